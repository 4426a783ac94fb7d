"""Backends: how a model turns parsed reports into bullets.

The pipeline (`summarizer.pipeline`) cleans and parses every text once and hands a backend
the parsed reports; the backend answers with one `Draft` per report. A new kind of model is
one new module here with one `Backend` subclass, and one line in `load_backend`:

- `transformers.py`: seq2seq summarizers and instruct LMs through `generate()`;
- `extractive.py`: the project's trained sentence selector (the offline default);
- `ct2.py`: the same generators through CTranslate2 (`engine="ct2"`).

Generators share chunking and map-reduce (`generator.py`); they differ only in how one batch
of texts is generated.
"""

from __future__ import annotations

from .base import ENGINES, Backend, Draft, OnText, Progress

__all__ = ["ENGINES", "Backend", "Draft", "OnText", "Progress", "check_device", "load_backend"]


def check_device(name: str | None, device: str, dtype: str, engine: str) -> None:
    """Refuse an impossible device or dtype before anything loads: CTranslate2 has its own devices
    (CPU, CUDA) and compute types (int8, ...); the numpy default model needs only valid names
    (torch is never imported for it); other models ask torch about this machine."""
    from ..names import check_names, names_extractive

    if engine == "ct2":
        from .ct2 import compute_type, ct2_device
        compute_type(dtype, ct2_device(device)[0])
    elif names_extractive(name):
        check_names(device, dtype)
    else:
        from ..devices import resolve_device, resolve_dtype
        resolve_dtype(dtype, resolve_device(device))


def load_backend(name: str | None = None, device: str = "auto", dtype: str = "auto",
                 engine: str = "transformers") -> Backend:
    """The backend for a model name (None: the offline default), a local folder or a hub id."""
    from ..names import ModelLoadError, is_extractive, resolve_model

    if engine not in ENGINES:
        raise ModelLoadError(f"unknown engine {engine!r}; use {' or '.join(ENGINES)}")
    check_device(name, device, dtype, engine)
    path, display = resolve_model(name)
    if is_extractive(path):
        from .extractive import ExtractiveBackend
        return ExtractiveBackend.load(path, display)
    if engine == "ct2":
        from .ct2 import CT2Backend
        return CT2Backend.load(name, device=device, dtype=dtype)
    from ..models import load_model
    from .transformers import TransformersBackend
    return TransformersBackend(load_model(name, device=device, dtype=dtype))
