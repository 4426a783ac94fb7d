"""Training for the offline default model (no torch needed):

    python -m training.compressor ...   # the word-deletion tagger (summarizer.compress)
    python -m training.selector ...     # the sentence planner (summarizer.extractive)

`make model` runs both from ../shared/data.
"""
