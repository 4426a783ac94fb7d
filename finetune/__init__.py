"""Finetuning for Key Developments: any seq2seq or instruct model, CPU or GPU, resumable.

    python -m finetune --train train.jsonl --valid valid.jsonl --output-dir runs/kd [--model INIT] [--lora]

The output folder loads directly with `summarizer.Summarizer.from_pretrained(DIR)`.
"""

__all__ = ["FinetuneConfig", "FinetuneError", "parse_args", "run"]


def __getattr__(name: str):
    """Lazy, so `python -m finetune` handles Ctrl-C during its slow imports (torch, Trainer)."""
    if name in ("FinetuneConfig", "FinetuneError", "parse_args"):
        from . import config
        return getattr(config, name)
    if name == "run":
        from .train import run
        return run
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
