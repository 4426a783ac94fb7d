"""Every finetuning choice in one typed dataclass, parsed from the command line.

`HfArgumentParser` turns the fields into flags (`--max-steps` and `--max_steps` both work);
`validate()` turns a bad combination into one clear `FinetuneError` before any model loads.
"""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass, field
from typing import Literal

from transformers import HfArgumentParser

from summarizer.records import REFERENCE_FIELDS, TEXT_FIELDS

# The project's one table of column names (summarizer.records), under finetune's names.
ARTICLE_COLUMNS = TEXT_FIELDS
REFERENCE_COLUMNS = REFERENCE_FIELDS


class FinetuneError(ValueError):
    """A bad argument, file or folder; the message is one line a user can act on."""


def _f(default, help: str, **kw):
    return field(default=default, metadata={"help": help, **kw})


@dataclass
class FinetuneConfig:
    # ---- data ------------------------------------------------------------------------------
    train: str = field(metadata={"help": "training data: JSONL/CSV/TSV/Parquet, a folder of reports, "
                                          "or a hub dataset 'name [config] split'"})
    output_dir: str = field(metadata={"help": "where the finetuned model, card, log and curves go"})
    valid: str | None = _f(None, "validation data (same formats); needed for ROUGE, early stopping and "
                                 "keeping the best checkpoint")
    model: str | None = _f(None, "INIT: anything summarizer loads (local folder or hub id, encoder-decoder or "
                                 "decoder-only instruct model); default: smollm2 (SmolLM2-135M-Instruct)")
    article_column: str | None = _f(None, f"article column, text only (default: the first of "
                                          f"{', '.join(ARTICLE_COLUMNS)} found in the rows); "
                                          "dotted names reach into objects")
    reference_column: str | None = _f(None, "reference bullets column: a list of strings (one bullet each), text "
                                            "with one bullet per line, or one paragraph (one bullet per sentence); "
                                            f"other types are bad rows (default: the first of "
                                            f"{', '.join(REFERENCE_COLUMNS)} found in the rows)")
    max_train_samples: int | None = _f(None, "use only the first N training rows")
    eval_samples: int = _f(50, "validation rows scored with generation + ROUGE at each evaluation")
    skip_bad_rows: bool = _f(False, "skip malformed, empty or wrongly typed rows (counted, and reported with "
                                   "line numbers) instead of stopping")

    # ---- method ----------------------------------------------------------------------------
    lora: bool = _f(False, "train a LoRA adapter (peft) instead of all weights")
    lora_r: int = _f(16, "LoRA rank")
    lora_alpha: int = _f(32, "LoRA scaling numerator")
    lora_dropout: float = _f(0.05, "LoRA dropout")
    lora_target_modules: str = _f("all-linear", "comma-separated module names, or all-linear")

    # ---- schedule --------------------------------------------------------------------------
    epochs: float = _f(3.0, "training epochs (ignored when --max-steps is set)")
    max_steps: int = _f(-1, "optimizer steps; overrides --epochs when > 0")
    learning_rate: float | None = _f(None, "peak learning rate (default: 2e-4 with --lora, 5e-5 full)")
    lr_scheduler: str = _f("linear", "linear, cosine, constant, constant_with_warmup, ...")
    warmup: float = _f(0.05, "warmup: a fraction of all steps if < 1, else a number of steps")
    weight_decay: float = _f(0.0, "AdamW weight decay")
    batch_size: int = _f(8, "examples per device per step")
    eval_batch_size: int | None = _f(None, "examples per device when evaluating (default: --batch-size)")
    gradient_accumulation_steps: int = _f(1, "batches summed into one optimizer step")
    max_source_length: int = _f(512, "article tokens the model reads per example (the rest is cut at a "
                                      "sentence boundary, as summarizer chunks it)")
    max_target_length: int = _f(128, "answer tokens; longer targets lose trailing bullets (counted in the log)")
    bullets: int = _f(4, "bullet count named in the prompt (raised to the target's count) and asked for at eval")
    seed: int = _f(42, "seed for weights init (LoRA), data order and dropout")

    # ---- evaluation and checkpoints ------------------------------------------------------
    eval_steps: int = _f(200, "evaluate (loss + generation + ROUGE) every N steps; 0 turns evaluation off")
    save_steps: int | None = _f(None, "checkpoint every N steps (default: --eval-steps, else 200)")
    save_total_limit: int = _f(2, "checkpoints kept besides the best one")
    early_stopping_patience: int = _f(3, "stop after N evaluations without a better ROUGE-Lsum; 0: never")
    logging_steps: int = _f(10, "log the training loss every N steps")
    keep_checkpoints: bool = _f(False, "keep checkpoint-* folders after a successful run")

    # ---- speed and hardware --------------------------------------------------------------
    precision: Literal["auto", "fp32", "bf16", "fp16"] = _f("auto", "auto: bf16 on GPUs that support it, else fp32")
    gradient_checkpointing: bool = _f(False, "recompute activations in the backward pass: less memory, ~20% slower")
    group_by_length: bool = _f(True, "batch examples of similar length together (less padding)")
    cpu: bool = _f(False, "train on the CPU even when a GPU is present")
    num_workers: int = _f(0, "data loader worker processes")

    # ---- output folder -------------------------------------------------------------------
    resume: bool = _f(False, "continue from the last checkpoint in --output-dir")
    overwrite: bool = _f(False, "replace a model or checkpoints already in --output-dir")

    @property
    def lr(self) -> float:
        if self.learning_rate is not None:
            return self.learning_rate
        return 2e-4 if self.lora else 5e-5

    @property
    def eval_enabled(self) -> bool:
        return bool(self.valid) and self.eval_steps > 0

    @property
    def checkpoint_steps(self) -> int:
        if self.save_steps:
            return self.save_steps
        return self.eval_steps if self.eval_steps > 0 else 200

    def validate(self) -> "FinetuneConfig":
        def check(ok: bool, msg: str) -> None:
            if not ok:
                raise FinetuneError(msg)

        check(not (self.resume and self.overwrite), "--resume and --overwrite exclude each other: "
              "resume continues the run in --output-dir, overwrite starts it over")
        check(self.max_steps > 0 or self.epochs > 0, "set --epochs or --max-steps to a positive number")
        check(self.lr > 0, f"--learning-rate must be positive, got {self.lr}")
        check(self.warmup >= 0, f"--warmup must be >= 0, got {self.warmup}")
        for name in ("batch_size", "gradient_accumulation_steps", "eval_samples", "lora_r", "lora_alpha",
                     "logging_steps", "bullets"):
            v = getattr(self, name)
            check(v >= 1, f"--{name.replace('_', '-')} must be at least 1, got {v}")
        check(self.eval_batch_size is None or self.eval_batch_size >= 1, "--eval-batch-size must be at least 1")
        check(self.bullets <= 20, f"--bullets must be at most 20, got {self.bullets}")
        check(16 <= self.max_source_length <= 1_000_000,
              f"--max-source-length must be at least 16, got {self.max_source_length}")
        check(8 <= self.max_target_length <= 1024,
              f"--max-target-length must be from 8 to 1024, got {self.max_target_length}")
        check(0 <= self.lora_dropout < 1, f"--lora-dropout must be in [0, 1), got {self.lora_dropout}")
        check(self.eval_steps >= 0, f"--eval-steps must be >= 0, got {self.eval_steps}")
        check(self.save_steps is None or self.save_steps >= 1, "--save-steps must be at least 1")
        check(self.max_train_samples is None or self.max_train_samples >= 1, "--max-train-samples must be at least 1")
        from transformers.trainer_utils import SchedulerType

        schedules = [t.value for t in SchedulerType]
        check(self.lr_scheduler in schedules,
              f"--lr-scheduler {self.lr_scheduler!r} is not one of {', '.join(schedules)}")
        if self.precision == "fp16":
            import torch

            check(torch.cuda.is_available() and not self.cpu,
                  "--precision fp16 needs a CUDA GPU; use bf16 or fp32 on this machine")
        if self.eval_enabled and self.save_steps:
            check(self.save_steps % self.eval_steps == 0,
                  f"--save-steps ({self.save_steps}) must be a multiple of --eval-steps ({self.eval_steps}) "
                  "so the best checkpoint can be kept")
        return self

    def to_dict(self) -> dict:
        return asdict(self)


class _Parser(HfArgumentParser):
    def error(self, message):  # argparse prints the whole usage; one line is enough
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def parse_args(argv: list[str] | None = None) -> FinetuneConfig:
    parser = _Parser(FinetuneConfig, prog="python -m finetune",
                     description="Finetune a seq2seq or instruct model to write Key Developments bullets.")
    args = sys.argv[1:] if argv is None else argv
    cfg, unknown = parser.parse_args_into_dataclasses(args=args, return_remaining_strings=True)
    if unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    return cfg
