"""Key Developments: news report in, short bullet list of what happened out.

    from summarizer import Summarizer
    s = Summarizer.from_pretrained()            # offline default model
    print(s.summarize(report_text).markdown)
"""

from .inputs import InputError
from .keypoints import clean_bullets, to_json, to_markdown, to_text
from .models import LoadedModel, ModelLoadError, load_model
from .reports import Report, parse_report
from .settings import GenerationSettings, SettingsError
from .summarize import Summarizer, Summary

__all__ = [
    "GenerationSettings", "InputError", "LoadedModel", "ModelLoadError", "Report", "SettingsError",
    "Summarizer", "Summary", "clean_bullets", "load_model", "parse_report", "to_json", "to_markdown",
    "to_text",
]
