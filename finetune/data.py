"""Rows in, tokenized training examples out, laid out exactly as `summarizer` reads and writes.

- Rows come from `summarizer.records.read_records` (JSONL/CSV/TSV/Parquet, report folders,
  hub datasets); columns are the first of the usual names found in the first rows (not only
  the first row). Bad rows (unreadable, empty, or of the wrong type: an article must be text,
  a reference text or a list of strings) are reported with their line numbers.
- References become bullets with `summarizer.records.reference_bullets`: a list of strings is
  one bullet per item, text one bullet per line, a single paragraph one bullet per sentence.
- The model reads what inference would read: the report text after `parse_report`, cut to
  the first chunk `summarizer` would make for the same token budget.
- Targets are `summarizer.prompts.format_target` bullets; decoder-only examples use the
  same chat template and prompt as inference, with the loss on the answer tokens only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from summarizer import prompts
from summarizer.chunking import chunk_text
from summarizer.inputs import InputError, clean_text
from summarizer.models import LoadedModel
from summarizer.records import get_field, json_kind, pick_column, read_records, reference_bullets, sample_columns
from summarizer.reports import parse_report
from summarizer.settings import GenerationSettings
from summarizer.backends.transformers import TransformersBackend

from .config import ARTICLE_COLUMNS, REFERENCE_COLUMNS, FinetuneError

log = logging.getLogger("finetune")

IGNORE_INDEX = -100  # label value the loss skips (prompt and padding tokens)
MAX_LISTED_ERRORS = 3


@dataclass
class Pair:
    article: str
    bullets: list[str]
    line: int


@dataclass
class DataNotes:
    """What reading and tokenizing did to a data set; goes into the log and the model card."""
    source: str
    rows: int = 0
    used: int = 0
    bad_rows: list[str] = field(default_factory=list)
    sources_cut: int = 0
    targets_shortened: int = 0  # trailing bullets dropped to fit --max-target-length
    targets_cut: int = 0  # even one bullet did not fit: cut at the token limit

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "rows": self.rows, "used": self.used, "bad_rows": len(self.bad_rows),
                "bad_row_examples": self.bad_rows[:MAX_LISTED_ERRORS], "sources_cut": self.sources_cut,
                "targets_shortened": self.targets_shortened, "targets_cut": self.targets_cut}


bullets_from_reference = reference_bullets  # the name finetune used before the shared reader


def _display(source: str) -> str:
    p = Path(source)
    return p.name if p.exists() else source


def read_pairs(source: str, article_column: str | None, reference_column: str | None,
               skip_bad_rows: bool = False, limit: int | None = None) -> tuple[list[Pair], DataNotes]:
    """(article, bullets) pairs of a data source; raises FinetuneError/InputError with one line."""
    name = _display(source)
    notes = DataNotes(source=str(source))
    pairs: list[Pair] = []
    columns, records = sample_columns(read_records(source))
    cols: tuple[str, str] | None = None
    empty_article = empty_reference = 0
    for rec in records:
        notes.rows += 1
        if rec.error:
            notes.bad_rows.append(rec.error)
            continue
        if cols is None:  # from the columns of the first rows, not of this row alone
            cols = (pick_column(columns, article_column, ARTICLE_COLUMNS, "article"),
                    pick_column(columns, reference_column, REFERENCE_COLUMNS, "reference"))
        where = f"line {rec.line}" if rec.source_id is None else f"{rec.source_id}"
        try:
            article, reference = get_field(rec.data, cols[0]), get_field(rec.data, cols[1])
        except KeyError as e:
            notes.bad_rows.append(f"{where}: no {e.args[0]!r} field")
            continue
        if article is not None and not isinstance(article, str):
            notes.bad_rows.append(f"{where}: {cols[0]!r} is {json_kind(article)}, not text")
            continue
        try:
            bullets = reference_bullets(reference)
        except TypeError as e:
            notes.bad_rows.append(f"{where}: {cols[1]!r}: {e}")
            continue
        if not (article or "").strip():
            empty_article += 1
            notes.bad_rows.append(f"{where}: empty {cols[0]!r}")
            continue
        if not bullets:
            empty_reference += 1
            notes.bad_rows.append(f"{where}: empty {cols[1]!r}")
            continue
        pairs.append(Pair(article, bullets, rec.line))
        if limit is not None and len(pairs) >= limit:
            break
    notes.used = len(pairs)
    if notes.rows == 0:
        raise FinetuneError(f"{name} is empty: it holds no rows")
    if not pairs:
        if cols is not None and empty_article == notes.rows:
            raise FinetuneError(f"{name}: column {cols[0]!r} is empty in every row")
        if cols is not None and empty_reference + empty_article == notes.rows and empty_reference:
            raise FinetuneError(f"{name}: column {cols[1]!r} is empty in every row")
        raise FinetuneError(f"{name}: no usable rows; {len(notes.bad_rows)} bad: "
                            + "; ".join(notes.bad_rows[:MAX_LISTED_ERRORS]))
    if notes.bad_rows and not skip_bad_rows:
        more = len(notes.bad_rows) - MAX_LISTED_ERRORS
        raise FinetuneError(f"{name}: {len(notes.bad_rows)} bad row(s): "
                            + "; ".join(notes.bad_rows[:MAX_LISTED_ERRORS])
                            + (f"; and {more} more" if more > 0 else "")
                            + " (fix them, or pass --skip-bad-rows to leave them out)")
    if notes.bad_rows:
        log.warning("%s: skipped %d bad row(s), e.g. %s", name, len(notes.bad_rows), notes.bad_rows[0])
    return pairs, notes


@dataclass
class EvalItem:
    """A validation article as the model reads it, and its reference bullets."""
    source: str
    reference: list[str]


class ExampleBuilder:
    """Turns (article, bullets) into input_ids/labels for one model, the way summarizer uses it."""

    def __init__(self, loaded: LoadedModel, bullets: int, max_source_length: int, max_target_length: int):
        self.loaded = loaded
        self.tok = loaded.tokenizer
        self.family = loaded.family
        self.model_type = loaded.model_type
        self.bullets = bullets
        if self.family == "seq2seq" and max_target_length > loaded.input_limit():
            log.warning("--max-target-length %d is more than %s decodes; using %d",
                        max_target_length, loaded.name, loaded.input_limit())
            max_target_length = loaded.input_limit()
        self.max_target = max_target_length
        # The budget summarizer itself uses for these settings: an example's source is exactly
        # the first chunk inference would read, so the evaluation reads one chunk too.
        self.settings = GenerationSettings(bullets=bullets, max_new_tokens=max_target_length,
                                           max_input_tokens=max_source_length).validate()
        self.source_budget = TransformersBackend(loaded).chunk_budget(self.settings)
        if self.family == "causal":
            self.end_ids = self._end_of_turn_ids()

    # ---- decoder-only layout -----------------------------------------------------------------
    def _stop_ids(self) -> set[int]:
        eos = self.loaded.model.generation_config.eos_token_id
        ids = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
        if self.tok.eos_token_id is not None:
            ids.add(self.tok.eos_token_id)
        return ids

    def _end_of_turn_ids(self) -> list[int]:
        """Tokens the chat template puts after an assistant answer, up to the one generation stops at."""
        probe = "- probe"
        msgs = prompts.chat_messages("text", 1)
        prompt = self.tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
        full = self.tok.apply_chat_template(msgs + [{"role": "assistant", "content": probe}], tokenize=False)
        stops = self._stop_ids()
        if full.startswith(prompt + probe):
            tail = self.tok(full[len(prompt) + len(probe):], add_special_tokens=False)["input_ids"]
            for k, t in enumerate(tail):
                if t in stops:
                    return tail[:k + 1]
            # The template's end-of-turn token is not one generation stops at: teach it and stop on it.
            if tail:
                gen = self.loaded.model.generation_config
                eos = gen.eos_token_id
                gen.eos_token_id = sorted(set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
                                          | {tail[0]})
                log.info("added end-of-turn token %r to the generation stop tokens", self.tok.decode(tail[:1]))
                return tail[:1]
        if self.tok.eos_token_id is None:
            raise FinetuneError("the tokenizer has no end-of-sequence token to end answers with")
        return [self.tok.eos_token_id]

    def prompt_ids(self, source: str, n_bullets: int) -> list[int]:
        msgs = prompts.chat_messages(source, n_bullets)
        text = self.tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
        return self.tok(text, add_special_tokens=False)["input_ids"]

    # ---- both families -------------------------------------------------------------------------
    def source_text(self, article: str) -> tuple[str, bool]:
        """What the model reads of an article (as summarizer would), and whether it was cut."""
        text = parse_report(clean_text(article)).text
        chunks = chunk_text(text, self.tok, self.source_budget)
        return chunks[0], len(chunks) > 1

    def target_ids(self, bullets: list[str]) -> list[int]:
        target = prompts.format_target(bullets, self.model_type, self.family)
        if self.family == "causal":
            return self.tok(target, add_special_tokens=False, verbose=False)["input_ids"] + self.end_ids
        return self.tok(text_target=target, verbose=False)["input_ids"]

    def fit_target(self, bullets: list[str]) -> tuple[list[int], list[str], str]:
        """Target ids within the limit: drop trailing bullets first, cut tokens only as a last resort."""
        ids = self.target_ids(bullets)
        if len(ids) <= self.max_target:
            return ids, bullets, ""
        kept = list(bullets)
        while len(kept) > 1:
            kept.pop()
            ids = self.target_ids(kept)
            if len(ids) <= self.max_target:
                return ids, kept, "shortened"
        end = self.end_ids if self.family == "causal" else ids[-1:]
        return ids[:self.max_target - len(end)] + end, kept, "cut"

    def encode(self, pair: Pair, notes: DataNotes | None = None) -> dict[str, list[int]]:
        source, was_cut = self.source_text(pair.article)
        target, kept, fix = self.fit_target(pair.bullets)
        if notes is not None:
            notes.sources_cut += was_cut
            notes.targets_shortened += fix == "shortened"
            notes.targets_cut += fix == "cut"
        if self.family == "causal":
            prompt = self.prompt_ids(source, max(self.bullets, len(kept)))
            return {"input_ids": prompt + target, "attention_mask": [1] * (len(prompt) + len(target)),
                    "labels": [IGNORE_INDEX] * len(prompt) + target}
        src = prompts.seq2seq_source(source, self.model_type)
        enc = self.tok(src, truncation=True, max_length=self.loaded.input_limit())
        return {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"], "labels": target}

    def build(self, pairs: list[Pair], notes: DataNotes, desc: str = "tokenizing"):
        """A `datasets.Dataset` of input_ids/attention_mask/labels, and each example's length."""
        import datasets
        from tqdm.auto import tqdm

        rows = []
        for p in tqdm(pairs, desc=desc, leave=False, disable=len(pairs) < 200):
            try:
                rows.append(self.encode(p, notes))
            except InputError as e:  # e.g. an article over summarizer's size limit
                raise FinetuneError(f"{_display(notes.source)} line {p.line}: {e}") from None
        if notes.targets_shortened or notes.targets_cut:
            log.warning("%s: %d of %d targets were longer than %d tokens: %d lost trailing bullets, %d were cut",
                        _display(notes.source), notes.targets_shortened + notes.targets_cut, len(rows),
                        self.max_target, notes.targets_shortened, notes.targets_cut)
        if notes.sources_cut:
            log.info("%s: %d of %d articles are longer than %d tokens: the model reads their first %d",
                     _display(notes.source), notes.sources_cut, len(rows), self.source_budget, self.source_budget)
        return datasets.Dataset.from_list(rows), [len(r["input_ids"]) for r in rows]

    def eval_items(self, pairs: list[Pair]) -> list[EvalItem]:
        return [EvalItem(self.source_text(p.article)[0], p.bullets) for p in pairs]

    def decode_target(self, labels: list[int]) -> str:
        """The answer text a label sequence stands for (round-trip tests, debugging)."""
        return self.tok.decode([t for t in labels if t != IGNORE_INDEX], skip_special_tokens=True)

