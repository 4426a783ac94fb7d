"""Summarizer: load a model once, then report text -> Key Developments, for one text or many.

The path of one text: clean and validate (`inputs.clean_text`) -> parse the report once
(`reports.parse_report`) -> the backend drafts bullets -> each bullet's support by the source
(`support.score_bullets`) -> a `Summary` that also carries the parsed report, so the UI's
highlights and warnings read exactly what the model read.
A text that cannot be summarized (empty, too long, only its own bullets) gets a Summary with
`error` set; the other texts of the batch go on.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Iterable

from . import keypoints
from .backends import Backend, OnText, Progress, load_backend
from .inputs import InputError, clean_text, unspaced
from .reports import Report, parse_report
from .settings import GenerationSettings
from .support import BulletSupport, score_bullets


@dataclass
class Summary:
    bullets: list[str]
    model: str
    chunks: int = 1
    input_tokens: int = 0
    output_tokens: int = 0
    seconds: float = 0.0
    reference: list[str] = field(default_factory=list)  # the report's own Key Developments, if any
    notes: list[str] = field(default_factory=list)
    error: str | None = None  # why this text could not be summarized (then bullets is empty)
    runtime: str = ""  # how the model ran (device, dtype or compute type, engine)
    support: list[BulletSupport] = field(default_factory=list)  # per bullet: score, warning, evidence
    report: Report | None = field(default=None, repr=False)  # what the model read

    @property
    def source(self) -> str:
        """The text the bullets were made from: the report without its Key Developments."""
        return self.report.text if self.report else ""

    @property
    def markdown(self) -> str:
        return keypoints.to_markdown(self.bullets)

    @property
    def text(self) -> str:
        return keypoints.to_text(self.bullets)

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("report")
        d["markdown"] = self.markdown
        d["support"] = [{"score": s.score, "warn": s.warn, "unsupported": s.unsupported,
                         "sentences": [self.source[a:b] for a, b in s.sentences]} for s in self.support]
        return d


def read_report(text: str, settings: GenerationSettings) -> Report:
    """Validated text -> parsed report; raises InputError with a reason a user can act on."""
    rep = parse_report(clean_text(text, settings.max_input_chars))
    if rep.only_key_developments:
        raise InputError("the report holds only its Key Developments list; paste the full report")
    return rep


class Summarizer:
    def __init__(self, backend: Backend, settings: GenerationSettings | None = None):
        self.backend = backend
        self.settings = (settings or GenerationSettings()).validate()

    @classmethod
    def from_pretrained(cls, name_or_path: str | None = None, device: str = "auto", dtype: str = "auto",
                        settings: GenerationSettings | None = None, engine: str = "transformers") -> "Summarizer":
        """None: the offline default model; else a local folder, an alias (`smollm2`) or a hub id."""
        return cls(load_backend(name_or_path, device=device, dtype=dtype, engine=engine), settings)

    @property
    def name(self) -> str:
        return self.backend.name

    def resolve(self, settings: GenerationSettings | None = None, **overrides) -> GenerationSettings:
        """The settings a call will use, checked against what the backend can honour."""
        settings = (settings or self.settings).with_overrides(**overrides)
        self.backend.check(settings)
        return settings

    def summarize(self, text: str | Report, settings: GenerationSettings | None = None, progress: Progress | None = None,
                  on_text: OnText | None = None, batch_size: int = 8, **overrides) -> Summary:
        """Key Developments of one report or article (text, or a report `read_report` already
        parsed); raises InputError when it cannot be summarized."""
        result = self.summarize_many([text], settings, batch_size=batch_size, progress=progress,
                                     on_text=on_text, **overrides)[0]
        if result.error:
            raise InputError(result.error)
        return result

    def summarize_many(self, texts: Iterable[str | Report], settings: GenerationSettings | None = None,
                       batch_size: int = 8, progress: Progress | None = None, on_text: OnText | None = None,
                       **overrides) -> list[Summary]:
        """One Summary per text, in input order; a bad text gets its `error`, never fails the others."""
        settings = self.resolve(settings, **overrides)
        t0 = time.perf_counter()
        runtime = self.backend.describe()
        results: list[Summary] = []
        for text in texts:
            try:
                rep = text if isinstance(text, Report) else read_report(text, settings)
                results.append(Summary(bullets=[], model=self.name, reference=rep.key_developments, report=rep,
                                       runtime=runtime))
            except InputError as e:
                results.append(Summary(bullets=[], model=self.name, chunks=0, error=str(e)))
        good = [r for r in results if r.error is None]
        drafts = self.backend.draft([r.report for r in good], settings, batch_size=batch_size,
                                    progress=progress, on_text=on_text) if good else []
        for r, d in zip(good, drafts):
            r.bullets, r.chunks, r.notes = d.bullets, d.chunks, d.notes
            r.input_tokens, r.output_tokens = d.input_tokens, d.output_tokens
            if d.bullets:
                r.support = score_bullets(d.bullets, r.source)
            else:
                r.notes.append(_why_empty(r.report))
        elapsed = time.perf_counter() - t0
        for r in results:  # a batch shares its wall time; each result reports its share
            r.seconds = round(elapsed / max(1, len(results)), 4)
        return results


def _why_empty(rep: Report) -> str:
    letters = [ch for ch in rep.text if ch.isalpha()]
    if not letters:
        return "no bullets: the text has no words to summarize (only digits, punctuation or symbols)"
    if unspaced(rep.text):
        return ("no bullets: the text is in a language written without spaces between words (Chinese, "
                "Japanese, Thai), which this model cannot split into sentences; use a multilingual "
                "model with --model")
    return "no bullets: the model found no sentence it could use"
