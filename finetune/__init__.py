"""Finetuning for Key Developments: any seq2seq or instruct model, CPU or GPU, resumable.

    python -m finetune --train train.jsonl --valid valid.jsonl --output-dir runs/kd [--model INIT] [--lora]

The output folder loads directly with `summarizer.Summarizer.from_pretrained(DIR)`.
"""

from .config import FinetuneConfig, FinetuneError, parse_args
from .train import run

__all__ = ["FinetuneConfig", "FinetuneError", "parse_args", "run"]
