"""Sentences and token-budgeted chunks.

Chunks tile the text exactly (``"".join(chunks) == text``): nothing is lost or
reordered, and every chunk fits the token budget. Chunks break at sentence
boundaries (blingfire, which needs no downloads); a single sentence longer than
the budget is cut at token boundaries.
"""

from __future__ import annotations

from typing import Callable, Sequence

import blingfire


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of sentences that tile `text` (whitespace joins the sentence before)."""
    if not text:
        return []
    _, offsets = blingfire.text_to_sentences_and_offsets(text)
    starts = sorted({s for s, _ in offsets if 0 < s < len(text)})
    bounds = [0, *starts, len(text)]
    return [(a, b) for a, b in zip(bounds, bounds[1:]) if b > a]


def split_sentences(text: str) -> list[str]:
    """Sentences of `text`, stripped, without empty ones."""
    return [s for s in (text[a:b].strip() for a, b in sentence_spans(text)) if s]


def token_counter(tokenizer) -> Callable[[Sequence[str]], list[int]]:
    def count(texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        enc = tokenizer(list(texts), add_special_tokens=False, verbose=False)["input_ids"]
        return [len(ids) for ids in enc]
    return count


def _cut_long(piece: str, tokenizer, budget: int, count) -> list[str]:
    """Cut one over-long piece at token boundaries into parts that each fit."""
    parts: list[str] = []
    rest = piece
    while rest:
        if count([rest])[0] <= budget:
            parts.append(rest)
            break
        offsets = tokenizer(rest, add_special_tokens=False, return_offsets_mapping=True,
                            verbose=False)["offset_mapping"]
        take = budget
        while True:
            cut = offsets[take][0] if take < len(offsets) else len(rest)
            cut = max(cut, 1)
            if count([rest[:cut]])[0] <= budget or take <= 1:
                break
            take = max(1, take - max(1, budget // 8))
        parts.append(rest[:cut])
        rest = rest[cut:]
    return parts


def chunk_text(text: str, tokenizer, budget: int) -> list[str]:
    """Split `text` into consecutive chunks of at most `budget` tokens each."""
    if budget < 1:
        raise ValueError(f"chunk budget must be positive, got {budget}")
    count = token_counter(tokenizer)
    if not text:
        return []
    if count([text])[0] <= budget:
        return [text]
    pieces = [text[a:b] for a, b in sentence_spans(text)]
    sizes = count(pieces)
    units: list[tuple[str, int]] = []
    for piece, n in zip(pieces, sizes):
        if n <= budget:
            units.append((piece, n))
        else:
            parts = _cut_long(piece, tokenizer, budget, count)
            units += list(zip(parts, count(parts)))

    chunks: list[str] = []
    current: list[str] = []
    used = 0
    for piece, n in units:
        if current and used + n > budget:
            chunks.append("".join(current))
            current, used = [], 0
        current.append(piece)
        used += n
    if current:
        chunks.append("".join(current))
    return _enforce_budget(chunks, tokenizer, budget, count)


def _enforce_budget(chunks: list[str], tokenizer, budget: int, count) -> list[str]:
    """Token counts of joined pieces can differ from their sum; re-split any chunk that overflows."""
    out: list[str] = []
    for chunk, n in zip(chunks, count(chunks)):
        if n <= budget:
            out.append(chunk)
            continue
        spans = sentence_spans(chunk)
        if len(spans) <= 1:
            out += _cut_long(chunk, tokenizer, budget, count)
            continue
        mid = spans[len(spans) // 2][0]
        out += _enforce_budget([chunk[:mid], chunk[mid:]], tokenizer, budget, count)
    return out
