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

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from ..reports import Report
    from ..settings import GenerationSettings

Progress = Callable[[int, int], None]  # (units done, units total)
OnText = Callable[[str], None]  # receives generated text as it is written; raising from it stops generation

ENGINES = ("transformers", "ct2")


@dataclass
class Draft:
    """What a backend made of one report, before the pipeline wraps it in a `Summary`."""
    bullets: list[str]
    chunks: int = 1
    input_tokens: int = 0
    output_tokens: int = 0
    notes: list[str] = field(default_factory=list)


class Backend(ABC):
    """One loaded model. Callers ask it what it can do instead of checking its type."""

    name: str = "model"
    streams: bool = False  # can `draft(on_text=...)` show text as it is written?
    by_sentence: bool = False  # split its raw output into bullets at sentence ends too

    def describe(self) -> str:
        """Where and how it runs, for logs and the UI's stats line."""
        return self.name

    def check(self, settings: "GenerationSettings") -> None:
        """Raise `SettingsError` before any work when the settings cannot be honoured."""
        settings.validate()

    def can_stream(self, settings: "GenerationSettings") -> bool:
        return self.streams

    def preview(self, partial: str, settings: "GenerationSettings") -> list[str]:
        """Bullets from text still being written (streaming display)."""
        from ..keypoints import clean_bullets
        return clean_bullets(partial, settings.bullets, by_sentence=self.by_sentence)

    @abstractmethod
    def draft(self, reports: list["Report"], settings: "GenerationSettings", batch_size: int = 8,
              progress: Progress | None = None, on_text: OnText | None = None) -> list[Draft]:
        """One Draft per report, in order. Reports are already validated and parsed."""


def load_backend(name: str | None = None, device: str = "auto", dtype: str = "auto",
                 engine: str = "transformers") -> Backend:
    """The backend for a model name (None: the offline default), a local folder or a hub id."""
    from ..models import ModelLoadError, is_extractive, resolve_device, resolve_dtype, resolve_model

    if engine not in ENGINES:
        raise ModelLoadError(f"unknown engine {engine!r}; use {' or '.join(ENGINES)}")
    resolve_dtype(dtype, resolve_device(device))  # refuse an impossible device or dtype before loading
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
