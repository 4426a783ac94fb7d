"""Summarizer: load once, then report text -> Key Developments, for one text or many.

The path of one text: clean input -> parse report -> token-budgeted chunks ->
batched generate() over all chunks -> bullets per chunk -> (map-reduce while the
merged bullets are more than one model call reads) -> final bullets.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Iterable, Sequence

import torch

from . import keypoints, prompts
from .chunking import chunk_text, token_counter
from .inputs import InputError, clean_text
from .models import LoadedModel, is_extractive, load_model, resolve_model
from .reports import parse_report
from .settings import GenerationSettings

MAX_REDUCE_ROUNDS = 4

Progress = Callable[[int, int], None]  # (chunks done, chunks total)


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

    @property
    def markdown(self) -> str:
        return keypoints.to_markdown(self.bullets)

    @property
    def text(self) -> str:
        return keypoints.to_text(self.bullets)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["markdown"] = self.markdown
        return d


def _parse(text: str, settings: GenerationSettings):
    """Validated text -> report; a report that is only its own Key Developments has nothing to read."""
    rep = parse_report(clean_text(text, settings.max_input_chars))
    if not rep.text.strip():
        raise InputError("the report holds only its Key Developments list; paste the full report")
    return rep


class Summarizer:
    def __init__(self, loaded: LoadedModel, settings: GenerationSettings | None = None):
        self.loaded = loaded
        self.settings = (settings or GenerationSettings()).validate()
        self._count = token_counter(loaded.tokenizer)

    @classmethod
    def from_pretrained(cls, name_or_path: str | None = None, device: str = "auto",
                        dtype: str = "auto", settings: GenerationSettings | None = None) -> "Summarizer":
        """A generator (seq2seq or instruct LM) or, for a folder with extractive.json, the
        trained sentence selector; None: the offline default model."""
        path, display = resolve_model(name_or_path)
        if is_extractive(path):
            from .extractive import ExtractiveModel
            return ExtractiveSummarizer(ExtractiveModel.load(path), display, settings)
        return cls(load_model(name_or_path, device=device, dtype=dtype), settings)

    @property
    def name(self) -> str:
        return self.loaded.name

    # ---- budgets -------------------------------------------------------------------------
    def chunk_budget(self, settings: GenerationSettings) -> int:
        """Tokens of report text one call may read: the model limit minus prompt and answer room."""
        limit = self.loaded.input_limit()
        if self.loaded.family == "causal":
            overhead = len(self._prompt_ids("", settings.bullets))
            _, max_new = settings.token_range()
            limit = limit - overhead - max_new
        else:
            limit -= 2  # special tokens
            limit -= self._count([prompts.seq2seq_source("", self.loaded.model_type)])[0]
        if settings.max_input_tokens is not None:
            limit = min(limit, settings.max_input_tokens)
        return max(16, limit)

    def _prompt_ids(self, text: str, n_bullets: int) -> list[int]:
        tok = self.loaded.tokenizer
        msgs = prompts.chat_messages(text, n_bullets)
        prompt = tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
        return tok(prompt, add_special_tokens=False)["input_ids"]

    # ---- generation ----------------------------------------------------------------------
    @torch.inference_mode()
    def generate(self, texts: Sequence[str], settings: GenerationSettings,
                 streamer=None) -> tuple[list[str], list[int]]:
        """One batched generate() call: raw output texts and their token counts."""
        lm, tok = self.loaded, self.loaded.tokenizer
        if lm.family == "causal":
            prompts_ = [tok.apply_chat_template(prompts.chat_messages(t, settings.bullets),
                                                tokenize=False, add_generation_prompt=True) for t in texts]
            enc = tok(prompts_, return_tensors="pt", padding=True, add_special_tokens=False)
        else:
            sources = [prompts.seq2seq_source(t, lm.model_type) for t in texts]
            enc = tok(sources, return_tensors="pt", padding=True, truncation=True,
                      max_length=lm.input_limit())
        enc = enc.to(lm.device)
        kwargs = settings.generate_kwargs(lm.model.generation_config)
        out = lm.model.generate(**enc, **kwargs, streamer=streamer)
        if lm.family == "causal":
            out = out[:, enc["input_ids"].shape[1]:]
        pad, eos = tok.pad_token_id, lm.model.generation_config.eos_token_id
        eos_ids = set(eos if isinstance(eos, list) else [eos])
        counts = [int(sum(1 for t in row.tolist() if t != pad and t not in eos_ids)) for row in out]
        return tok.batch_decode(out, skip_special_tokens=True), counts

    def _bullets(self, raw: str, settings: GenerationSettings, n_tokens: int = 0) -> list[str]:
        return keypoints.clean_bullets(raw, settings.bullets, by_sentence=self.loaded.family == "seq2seq",
                                       truncated=n_tokens >= settings.token_range()[1])

    # ---- public API ----------------------------------------------------------------------
    def summarize(self, text: str, settings: GenerationSettings | None = None,
                  progress: Progress | None = None, streamer=None, batch_size: int = 8,
                  **overrides) -> Summary:
        """Key Developments of one report or article (its chunks are generated `batch_size` at a time)."""
        return self.summarize_many([text], settings, batch_size=batch_size, progress=progress,
                                   streamer=streamer, **overrides)[0]

    def summarize_many(self, texts: Iterable[str], settings: GenerationSettings | None = None,
                       batch_size: int = 8, progress: Progress | None = None, streamer=None,
                       **overrides) -> list[Summary]:
        """Summaries in input order; chunks of all texts are generated together, longest first."""
        settings = (settings or self.settings).with_overrides(**overrides)
        t0 = time.perf_counter()
        texts = list(texts)
        reports = [_parse(t, settings) for t in texts]
        budget = self.chunk_budget(settings)
        chunked = [chunk_text(r.text, self.loaded.tokenizer, budget) for r in reports]
        jobs = [(i, c) for i, chunks in enumerate(chunked) for c in chunks]
        raw = self._run_batched([c for _, c in jobs], settings, batch_size, progress, streamer)

        per_text: list[list[tuple[str, int]]] = [[] for _ in texts]
        for (i, _), r in zip(jobs, raw):
            per_text[i].append(r)
        results = []
        for i, rep in enumerate(reports):
            outs = per_text[i]
            notes: list[str] = []
            if len(outs) == 1:
                bullets = self._bullets(outs[0][0], settings, outs[0][1])
            else:
                bullets, extra, notes = self._reduce(outs, settings, budget, batch_size)
                outs = outs + extra
            results.append(Summary(
                bullets=bullets, model=self.name, chunks=len(chunked[i]),
                input_tokens=self._count([rep.text])[0], output_tokens=sum(n for _, n in outs),
                reference=rep.key_developments, notes=notes))
        elapsed = time.perf_counter() - t0
        for r in results:  # a batch shares its wall time; each result reports its share
            r.seconds = round(elapsed / max(1, len(results)), 3)
        return results

    def _run_batched(self, texts: list[str], settings: GenerationSettings, batch_size: int,
                     progress: Progress | None, streamer=None) -> list[tuple[str, int]]:
        """Generate for all texts, longest first to keep padding low; results in input order."""
        order = sorted(range(len(texts)), key=lambda k: -len(texts[k]))
        results: list[tuple[str, int] | None] = [None] * len(texts)
        done = 0
        for s in range(0, len(order), max(1, batch_size)):
            idx = order[s:s + batch_size]
            decoded, counts = self.generate([texts[k] for k in idx], settings,
                                            streamer=streamer if len(texts) == 1 else None)
            for k, d, n in zip(idx, decoded, counts):
                results[k] = (d, n)
            done += len(idx)
            if progress:
                progress(done, len(texts))
        return results  # type: ignore[return-value]

    def _reduce(self, chunk_outputs: list[tuple[str, int]], settings: GenerationSettings, budget: int,
                batch_size: int) -> tuple[list[str], list[tuple[str, int]], list[str]]:
        """Map-reduce: merge chunk bullets and summarize them again until one call reads them all."""
        extra: list[tuple[str, int]] = []
        notes: list[str] = []
        many = settings.with_overrides(bullets=min(20, max(settings.bullets, 2 * settings.bullets)))
        bullets = keypoints.dedupe([b for o, n in chunk_outputs for b in self._bullets(o, many, n)])
        for _ in range(MAX_REDUCE_ROUNDS):
            merged = "\n".join(bullets)
            pieces = chunk_text(merged, self.loaded.tokenizer, budget)
            final = len(pieces) == 1
            outs = self._run_batched(pieces, settings if final else many, batch_size, None)
            extra += outs
            new = keypoints.dedupe([b for o, n in outs for b in self._bullets(o, settings if final else many, n)])
            if final:
                return new[:settings.bullets], extra, notes
            if self._count([merged])[0] <= self._count(["\n".join(new)])[0]:
                notes.append("the merged chunk bullets did not shrink; kept the first ones")
                return new[:settings.bullets], extra, notes
            bullets = new
        notes.append(f"stopped merging after {MAX_REDUCE_ROUNDS} rounds")
        return bullets[:settings.bullets], extra, notes


class ExtractiveSummarizer(Summarizer):
    """The same surface for the trained sentence selector: bullets are source sentences,
    compressed by deleting words, so nothing is generated (and nothing invented).
    It reads the whole text at once (chunks=1); token counts are word counts."""

    def __init__(self, model, name: str, settings: GenerationSettings | None = None):
        self.extractive = model
        self.loaded = None  # no generator behind this one
        self._name = name
        self.settings = (settings or GenerationSettings()).validate()

    @property
    def name(self) -> str:
        return self._name

    def summarize_many(self, texts: Iterable[str], settings: GenerationSettings | None = None,
                       batch_size: int = 8, progress: Progress | None = None, streamer=None,
                       **overrides) -> list[Summary]:
        settings = (settings or self.settings).with_overrides(**overrides)
        texts = list(texts)
        reports = [_parse(t, settings) for t in texts]
        results = []
        for i, rep in enumerate(reports, 1):
            t0 = time.perf_counter()
            bullets = self.extractive.key_points(rep.text, settings.bullets)
            results.append(Summary(bullets=bullets, model=self.name, chunks=1,
                                   input_tokens=len(rep.text.split()),
                                   output_tokens=sum(len(b.split()) for b in bullets),
                                   seconds=round(time.perf_counter() - t0, 4),
                                   reference=rep.key_developments))
            if progress:
                progress(i, len(reports))
        return results
