"""The project's trained sentence selector as a backend: bullets are source sentences,
shortened only by deleting words, so nothing is generated and nothing invented.

It reads the whole report at once (one chunk); token counts are word counts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import Backend, Draft, OnText, Progress

if TYPE_CHECKING:
    from ..reports import Report
    from ..settings import GenerationSettings


class ExtractiveBackend(Backend):
    streams = False

    def __init__(self, model, name: str):
        self.model = model
        self.name = name

    @classmethod
    def load(cls, path: str, name: str) -> "ExtractiveBackend":
        from ..extractive import ExtractiveModel
        return cls(ExtractiveModel.load(path), name)

    def describe(self) -> str:
        return f"{self.name} (extractive, CPU)"

    def draft(self, reports: list["Report"], settings: "GenerationSettings", batch_size: int = 8,
              progress: Progress | None = None, on_text: OnText | None = None) -> list[Draft]:
        drafts = []
        for i, rep in enumerate(reports, 1):
            bullets = self.model.key_points(rep, settings.bullets)
            notes = []
            if 0 < len(bullets) < settings.bullets:  # say why, rather than leave the user guessing
                n = settings.bullets
                limit = self.model.word_ceiling(n) or self.model.word_budget(n)  # the most words it may have
                notes.append(f"{len(bullets)} of {n} bullets: no other sentence says something new"
                             + (f" within the {limit:.0f}-word limit" if limit else ""))
            drafts.append(Draft(bullets=bullets, chunks=1, input_tokens=len(rep.text.split()),
                                output_tokens=sum(len(b.split()) for b in bullets), notes=notes))
            if progress:
                progress(i, len(reports))
        return drafts
