"""Converting a transformers model to CTranslate2 once, into a cache beside the GGUF cache.

The cache key names the model, a fingerprint of its files (the commit of a hub snapshot, else
the names, sizes and times of a folder's files) and the compute type, so a changed model or
another compute type converts again and an unchanged one loads in seconds. A conversion is
written into a temporary folder and renamed into place: a killed run leaves nothing half-made.

CTranslate2 4.x's converter was written against transformers 4 and reads a few config
attributes transformers 5 dropped; `patch_for_ct2` is the one place that fills those gaps.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from ..cache import building, cache_dir
from ..models import MAX_ADAPTER_CHAIN, LoadedModel, adapter_base

log = logging.getLogger(__name__)

CONVERTER_VERSION = 1  # bump when a conversion would come out differently: old caches are then ignored
HF_DIR = "hf"  # inside a converted folder: the tokenizer, config and generation config it was made from
SOURCE_FILE = "source.json"


def patch_for_ct2(model) -> None:
    """Give the loaded model what CTranslate2's converter expects to read (transformers 5 gaps)."""
    cfg = model.config
    if cfg.model_type in {"bart", "mbart", "pegasus"}:
        # transformers 5 configs no longer carry these; the layers say what they were. Pre-norm
        # stacks (PEGASUS, mBART) end with a layer norm, BART normalises the embeddings instead.
        enc = model.get_encoder()
        cfg.normalize_before = getattr(enc, "layer_norm", None) is not None
        cfg.normalize_embedding = getattr(enc, "layernorm_embedding", None) is not None
        cfg.add_final_layer_norm = cfg.normalize_before
    if getattr(cfg, "is_encoder_decoder", False):
        # The converter reads the decoder start from the model config; transformers 5 keeps
        # decoding choices in the generation config, which is what generate() uses.
        start = model.generation_config.decoder_start_token_id
        if start is not None:
            cfg.decoder_start_token_id = start


def convert(loaded: LoadedModel, output_dir: Path, quantization: str) -> None:
    """Write the CTranslate2 model for an already loaded model (the model is consumed: the
    converter frees its layers as it goes)."""
    from ctranslate2.converters import TransformersConverter

    class _Preloaded(TransformersConverter):
        """The converter's own loading, with the model we already loaded (adapters merged)."""

        def load_model(self, model_class, model_name_or_path, **kwargs):
            return loaded.model

        def load_tokenizer(self, tokenizer_class, model_name_or_path, **kwargs):
            return loaded.tokenizer

    patch_for_ct2(loaded.model)
    with tempfile.TemporaryDirectory() as cfg_dir:
        loaded.model.config.save_pretrained(cfg_dir)  # the converter picks its loader from this config
        _Preloaded(cfg_dir).convert(str(output_dir), quantization=quantization, force=True)


def fingerprint(path: str, depth: int = 0) -> str | None:
    """What identifies a model's weights: the commit of a hub snapshot in the local cache, else
    the names, sizes and modification times of a folder's files (an adapter adds its base's).
    None for a hub id that is not in the local cache yet."""
    p = Path(path)
    if not p.is_dir():
        from huggingface_hub import try_to_load_from_cache

        try:
            cfg = try_to_load_from_cache(path, "config.json")
        except Exception:  # a malformed id
            return None
        return Path(cfg).parent.name if isinstance(cfg, str) else None  # .../snapshots/<commit>/config.json
    h = hashlib.sha256()
    for f in sorted(p.iterdir()):
        if f.is_file():
            st = f.stat()
            h.update(f"{f.name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    if (p / "adapter_config.json").exists() and depth < MAX_ADAPTER_CHAIN:
        try:
            h.update(str(fingerprint(os.path.expanduser(adapter_base(p)), depth + 1)).encode())
        except Exception:  # an unreadable adapter config: loading it will say why
            pass
    return h.hexdigest()[:16]


def cache_key(display: str, path: str, compute_type: str) -> str | None:
    import ctranslate2

    fp = fingerprint(path)
    if fp is None:
        return None
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(display).name or display).strip("_")[:60] or "model"
    tag = hashlib.sha256(f"{display}\0{fp}\0{ctranslate2.__version__.split('.')[0]}\0{CONVERTER_VERSION}"
                         .encode()).hexdigest()[:12]
    return f"{slug}-{tag}-{compute_type}"


def ct2_cache() -> Path:
    return cache_dir() / "ct2"


def is_converted(folder: Path) -> bool:
    return (folder / "model.bin").exists() and (folder / SOURCE_FILE).exists()


def convert_into_cache(loaded: LoadedModel, target: Path, compute_type: str, source: dict[str, Any]) -> Path:
    """Convert into a temporary folder beside `target`, then rename it into place."""
    with building(target, is_converted) as tmp:
        gen_config = loaded.model.generation_config
        loaded.tokenizer.save_pretrained(tmp / HF_DIR)
        loaded.model.config.save_pretrained(tmp / HF_DIR)
        gen_config.save_pretrained(tmp / HF_DIR)
        out = tmp / "model"
        convert(loaded, out, compute_type)
        for f in out.iterdir():  # CTranslate2 files at the top, beside hf/
            f.rename(tmp / f.name)
        out.rmdir()
        (tmp / SOURCE_FILE).write_text(json.dumps(source, indent=2) + "\n", encoding="utf-8")
    return target
