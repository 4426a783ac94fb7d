"""Key Developments: news report in, short bullet list of what happened out.

    from summarizer import Summarizer
    s = Summarizer.from_pretrained()            # offline default model
    print(s.summarize(report_text).markdown)

Names are imported lazily, so light modules (chunking, reports, keypoints) load
without importing torch and transformers.
"""

from importlib import import_module

_EXPORTS = {
    "GenerationSettings": "settings", "SettingsError": "settings",
    "InputError": "inputs",
    "clean_bullets": "keypoints", "to_json": "keypoints", "to_markdown": "keypoints", "to_text": "keypoints",
    "LoadedModel": "models", "ModelLoadError": "models", "load_model": "models",
    "Report": "reports", "parse_report": "reports",
    "Summarizer": "pipeline", "Summary": "pipeline",
    "Backend": "backends", "load_backend": "backends",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
