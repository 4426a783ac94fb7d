"""The backend interface: what the pipeline asks of every kind of model."""

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
