"""The output folder of a finetuning run: refuse to clobber, find the checkpoint to resume,
check it can be written before anything heavy runs, and clear what a previous run left."""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

from .card import CURVES_FILE
from .config import FinetuneConfig, FinetuneError

log = logging.getLogger("finetune")

LOG_FILE = "train_log.jsonl"
ARGS_FILE = "finetune_args.json"
RESULTS_FILE = "train_results.json"
# What a previous run leaves at the top of the output folder; --overwrite removes these.
MODEL_FILES = ["config.json", "generation_config.json", "adapter_config.json", "model.safetensors.index.json",
               "training_args.bin", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
               "chat_template.jinja", "vocab.json", "merges.txt", "spiece.model", "added_tokens.json",
               "README.md", LOG_FILE, ARGS_FILE, RESULTS_FILE, CURVES_FILE]
_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")


def checkpoints(out: Path) -> list[tuple[int, Path]]:
    if not out.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in out.iterdir() if p.is_dir() and (m := _CHECKPOINT.match(p.name))]
    return sorted(found)


def holds_model(out: Path) -> bool:
    return out.is_dir() and (any((out / f).exists() for f in ("config.json", "adapter_config.json"))
                             or any(out.glob("*.safetensors")))


def check_output_dir(cfg: FinetuneConfig) -> str | None:
    """Refuse to clobber a model or an unfinished run; the checkpoint to resume from, if any."""
    out = Path(cfg.output_dir)
    if out.exists() and not out.is_dir():
        raise FinetuneError(f"--output-dir {out} is a file, not a folder")
    check_writable(out)
    ckpts = checkpoints(out)
    if cfg.overwrite:
        return None
    if cfg.resume:
        complete = [p for _, p in ckpts if (p / "trainer_state.json").exists()]
        if len(complete) < len(ckpts):
            log.warning("ignoring %d incomplete checkpoint(s) (killed while saving)", len(ckpts) - len(complete))
        if complete:
            return str(complete[-1])
        if holds_model(out):
            raise FinetuneError(f"{out} holds a finished model and no checkpoint to resume from "
                                "(pass --overwrite to train again)")
        log.warning("nothing to resume in %s: starting from the beginning", out)
        return None
    if holds_model(out):
        raise FinetuneError(f"{out} already holds a model; pass --overwrite to replace it "
                            "or choose another --output-dir")
    if ckpts:
        raise FinetuneError(f"{out} holds checkpoints of an unfinished run; pass --resume to continue it "
                            "or --overwrite to start over")
    return None


def check_writable(out: Path) -> None:
    """Fail now, in one line, when the output folder cannot be written (read-only folder or disk),
    not after loading and tokenizing, deep inside the Trainer."""
    target = out
    while not target.exists() and target.parent != target:  # mkdir -p will create the rest here
        target = target.parent
    if not target.is_dir():
        raise FinetuneError(f"--output-dir {out}: {target} is a file, not a folder")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".finetune-write-test-", dir=target))
    except OSError as e:
        where = "" if target == out else f" (in {target})"
        raise FinetuneError(f"cannot write to --output-dir {out}{where}: {e.strerror or e}; "
                            "choose a folder you can write to") from None


def clear_output_dir(out: Path) -> None:
    """Remove what a previous run left (only the files this tool writes)."""
    for _, p in checkpoints(out):
        shutil.rmtree(p)
    for name in MODEL_FILES:
        (out / name).unlink(missing_ok=True)
    for p in out.glob("*.safetensors"):
        p.unlink()
