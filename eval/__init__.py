"""ROUGE evaluation of Key Developments against reference summaries (`python -m eval`).

Python API for other parts of the project:

    from eval.rouge import score_pairs       # mean F1 x 100 for rouge1/rouge2/rougeL/rougeLsum
    score_pairs(predictions, references)

and `evaluate.load("eval/rouge_metric")` for code written against the `evaluate` API.
"""

from pathlib import Path as _Path

METRIC_PATH = str(_Path(__file__).with_name("rouge_metric"))  # evaluate.load(METRIC_PATH)

__all__ = ["METRIC_PATH", "ROUGE_TYPES", "score_pairs"]


def __getattr__(name: str):
    """Lazy, so `python -m eval` starts (and Ctrl-C during start-up exits cleanly) before
    rouge_score and nltk load."""
    if name in ("ROUGE_TYPES", "score_pairs"):
        from . import rouge
        return getattr(rouge, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
