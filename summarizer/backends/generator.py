"""What every generating backend shares: token-budgeted chunks and map-reduce.

A report longer than one model call reads is cut into chunks (at sentence ends); all chunks
of all reports are generated in batches, longest first; a report's chunk bullets are merged,
de-duplicated and summarized again until a single call reads them all. A subclass only says
how one batch of texts is generated (`generate`) and how many tokens one call may read
(`chunk_budget`).
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from typing import TYPE_CHECKING, Any, Sequence

from .. import keypoints, prompts
from ..chunking import chunk_text, token_counter
from ..settings import SettingsError
from .base import Backend, Draft, OnText, Progress

if TYPE_CHECKING:
    from ..reports import Report
    from ..settings import GenerationSettings

MAX_REDUCE_ROUNDS = 4
log = logging.getLogger(__name__)


class Generator(Backend):
    streams = True
    tokenizer: Any  # a Hugging Face tokenizer: chunking counts tokens with it

    @abstractmethod
    def generate(self, texts: Sequence[str], settings: "GenerationSettings",
                 on_text: OnText | None = None) -> tuple[list[str], list[int]]:
        """One batched call: raw output texts and their new-token counts."""

    family: str  # "seq2seq" or "causal"
    model_type: str  # the config's model_type (T5 models get their task prefix)
    positions: int | None = None  # decoder positions (models.position_limit); None: no hard limit
    _capped = False

    def _most_new_tokens(self, settings: "GenerationSettings") -> int:
        hi = settings.token_range()[1]
        return min(hi, self.positions - 1) if self.positions and self.family == "seq2seq" else hi

    def fit_output(self, settings: "GenerationSettings", prompt_tokens: int = 0) -> "GenerationSettings":
        """The settings with max_new_tokens cut to what the decoder's positions hold (a token past
        them would crash an embedding lookup mid-generation); the first cut is logged."""
        if not self.positions:
            return settings
        room = self.positions - (1 if self.family == "seq2seq" else prompt_tokens)
        lo, hi = settings.token_range()
        if hi <= room:
            return settings
        if room < 1:
            raise SettingsError(f"the prompt ({prompt_tokens} tokens) fills all {self.positions} positions "
                                f"of {self.name}; lower --max-input-tokens")
        if not self._capped:
            log.warning("max_new_tokens %d is more than %s can write (%d positions): using %d",
                        hi, self.name, self.positions, room)
            self._capped = True
        return settings.with_overrides(max_new_tokens=room, min_new_tokens=min(lo, room))

    @abstractmethod
    def input_limit(self) -> int:
        """Most tokens the model reads at once."""

    @abstractmethod
    def _prompt_ids(self, text: str, n_bullets: int) -> list[int]:
        """The chat prompt's ids around `text` (decoder-only models)."""

    def chunk_budget(self, settings: "GenerationSettings") -> int:
        """Tokens of report text one call may read: the model's limit minus prompt and answer room."""
        limit = self.input_limit()
        if self.family == "causal":
            answer = settings.token_range()[1]
            if self.positions:  # more than fits is cut in fit_output; never starve the chunks for it
                answer = min(answer, limit // 2)
            limit = limit - len(self._prompt_ids("", settings.bullets)) - answer
        else:
            limit -= 2  # special tokens
            limit -= self.count([prompts.seq2seq_source("", self.model_type)])[0]
        if settings.max_input_tokens is not None:
            limit = min(limit, settings.max_input_tokens)
        return max(16, limit)

    def count(self, texts: Sequence[str]) -> list[int]:
        return token_counter(self.tokenizer)(texts)

    def can_stream(self, settings: "GenerationSettings") -> bool:
        return self.streams and self.beams(settings) == 1

    def beams(self, settings: "GenerationSettings") -> int:
        return settings.num_beams or 1

    def bullets(self, raw: str, settings: "GenerationSettings", n_tokens: int = 0) -> list[str]:
        return keypoints.clean_bullets(raw, settings.bullets, by_sentence=self.by_sentence,
                                       truncated=n_tokens >= self._most_new_tokens(settings))

    def draft(self, reports: list["Report"], settings: "GenerationSettings", batch_size: int = 8,
              progress: Progress | None = None, on_text: OnText | None = None) -> list[Draft]:
        budget = self.chunk_budget(settings)
        chunked = [chunk_text(r.text, self.tokenizer, budget) for r in reports]
        jobs = [(i, c) for i, chunks in enumerate(chunked) for c in chunks]
        stream = on_text if len(jobs) == 1 else None  # interleaved chunks would garble a stream
        raw = self._run_batched([c for _, c in jobs], settings, batch_size, progress, stream)
        per_report: list[list[tuple[str, int]]] = [[] for _ in reports]
        for (i, _), r in zip(jobs, raw):
            per_report[i].append(r)
        drafts = []
        for i, rep in enumerate(reports):
            outs, notes = per_report[i], []
            if len(outs) == 1:
                bullets = self.bullets(outs[0][0], settings, outs[0][1])
            else:
                bullets, extra, notes = self._reduce(outs, settings, budget, batch_size)
                outs = outs + extra
            drafts.append(Draft(bullets=bullets, chunks=len(chunked[i]), input_tokens=self.count([rep.text])[0],
                                output_tokens=sum(n for _, n in outs), notes=notes))
        return drafts

    def _run_batched(self, texts: list[str], settings: "GenerationSettings", batch_size: int,
                     progress: Progress | None, on_text: OnText | None = None) -> list[tuple[str, int]]:
        """Generate for all texts, longest first to keep padding low; results in input order."""
        order = sorted(range(len(texts)), key=lambda k: -len(texts[k]))
        results: list[tuple[str, int] | None] = [None] * len(texts)
        done = 0
        for s in range(0, len(order), max(1, batch_size)):
            idx = order[s:s + batch_size]
            decoded, counts = self.generate([texts[k] for k in idx], settings, on_text=on_text)
            for k, d, n in zip(idx, decoded, counts):
                results[k] = (d, n)
            done += len(idx)
            if progress:
                progress(done, len(texts))
        return results  # type: ignore[return-value]

    def _reduce(self, chunk_outputs: list[tuple[str, int]], settings: "GenerationSettings", budget: int,
                batch_size: int) -> tuple[list[str], list[tuple[str, int]], list[str]]:
        """Map-reduce: merge chunk bullets and summarize them again until one call reads them all."""
        extra: list[tuple[str, int]] = []
        notes: list[str] = []
        many = settings.with_overrides(bullets=min(20, 2 * settings.bullets))
        bullets = keypoints.dedupe([b for o, n in chunk_outputs for b in self.bullets(o, many, n)])
        for _ in range(MAX_REDUCE_ROUNDS):
            merged = "\n".join(bullets)
            pieces = chunk_text(merged, self.tokenizer, budget)
            final = len(pieces) == 1
            step = settings if final else many
            outs = self._run_batched(pieces, step, batch_size, None)
            extra += outs
            new = keypoints.dedupe([b for o, n in outs for b in self.bullets(o, step, n)])
            if final:
                return new[:settings.bullets], extra, notes
            if self.count([merged])[0] <= self.count(["\n".join(new)])[0]:
                notes.append("the merged chunk bullets did not shrink; kept the first ones")
                return new[:settings.bullets], extra, notes
            bullets = new
        notes.append(f"stopped merging after {MAX_REDUCE_ROUNDS} rounds")
        return bullets[:settings.bullets], extra, notes
