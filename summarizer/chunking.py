"""Sentences and token-budgeted chunks.

Chunks tile the text exactly (``"".join(chunks) == text``): nothing is lost or
reordered, and every chunk fits the token budget. Chunks break at sentence
boundaries (blingfire, which needs no downloads); a single sentence longer than
the budget is cut at token boundaries.

Every step is linear in the text: it is tokenized once, with offsets, and each
chunk made of several sentences or cut from a long one is counted once more on
its own (benchmarks/bench_chunking.py times it against the old quadratic cutter).
"""

from __future__ import annotations

from itertools import accumulate
from typing import Callable, Sequence

import re

import blingfire

Unit = tuple[str, int]  # a piece of text and its token count on its own


# A sentence end with no space after it, as scraped text often has ("the matter.The court",
# 'a scam."There are'): a lower-case word or a number, the end mark, maybe a quote, then a
# capitalised word. Abbreviations ("e.g.", "U.S.", "St.") do not match: their letters are short or upper-case.
_GLUED = re.compile(r"(?<=[a-z0-9]{2}[.!?])([\"“”]?)(?=[A-Z][a-z])")


# Abbreviations whose full stop does not end a sentence ("Mrs. May", "St. Louis"); initials too ("John F. Kennedy").
TITLE_ABBR = frozenset("mr mrs ms dr prof st gen sen rep gov lt col sgt capt rev mt ft hon supt cmdr adm maj "
                       "cpl pvt fr".split())
_LAST_WORD = re.compile(r"(?:^|[^\w.])([A-Za-z]{1,4})\.[\"”’)]?\s*$")
# A sentence that ends right before a title ("after heavy rain. St. Louis will ..."), which the splitter misses.
_BEFORE_TITLE = re.compile(r"(?<=[a-z0-9]{2}[.!?])[\"”’]?(\s+)(?=(?:%s)\.\s+[A-Z])" % "|".join(
    w.capitalize() for w in sorted(TITLE_ABBR)))


def is_title_abbr(word: str) -> bool:
    return word.lower() in TITLE_ABBR or (len(word) == 1 and word.isupper())


def _ends_in_title(piece: str) -> bool:
    m = _LAST_WORD.search(piece)
    return bool(m) and is_title_abbr(m.group(1))


_LOWER_START = re.compile(r"(?<=[a-z0-9]{2}[.!?])[\"”’]?(\s+)(?=[\"“]?[a-z])")


def _lower_starts(text: str) -> list[int]:
    """In text written all in lower case, sentences start with a small letter; the splitter
    looks for capitals. Only when no sentence in the text starts with a capital."""
    if re.search(r"(?:^|[.!?][\"”’]?\s+)[\"“]?[A-Z]", text.lstrip()):
        return []
    return [m.end(1) for m in _LOWER_START.finditer(text)]


def _glued_starts(text: str) -> list[int]:
    """Where a sentence starts right behind the end of the one before. A quote mark between them
    goes with the sentence it belongs to: a curly one by its shape, a straight one by whether a
    quotation is open before it."""
    out = []
    for m in _GLUED.finditer(text):
        q = m.group(1)
        closes = q == "”" or (q == '"' and text.count('"', 0, m.start()) % 2 == 1)
        out.append(m.end() if closes else m.start())
    return out


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of sentences that tile `text` (whitespace joins the sentence before)."""
    if not text:
        return []
    _, offsets = blingfire.text_to_sentences_and_offsets(text)
    found = ({s for s, _ in offsets} | set(_glued_starts(text)) | set(_lower_starts(text))
             | {m.end(1) for m in _BEFORE_TITLE.finditer(text)})
    # no sentence starts right after a title: blingfire splits "Mrs. | May said"
    starts = sorted(s for s in found if 0 < s < len(text) and not _ends_in_title(text[max(0, s - 12):s]))
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


def chunk_text(text: str, tokenizer, budget: int) -> list[str]:
    """Split `text` into consecutive chunks of at most `budget` tokens each."""
    if budget < 1:
        raise ValueError(f"chunk budget must be positive, got {budget}")
    if not text:
        return []
    count = token_counter(tokenizer)
    pieces = [text[a:b] for a, b in sentence_spans(text)]
    enc = tokenizer(pieces, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
    sizes = [len(ids) for ids in enc["input_ids"]]
    # Sentences counted apart add up to about the whole, so only a text near the budget can fit as one.
    if sum(sizes) <= 2 * budget:
        whole = sizes[0] if len(pieces) == 1 else count([text])[0]
        if whole <= budget:
            return [text]
    units: list[Unit] = []
    for piece, n, offsets in zip(pieces, sizes, enc["offset_mapping"]):
        units += [(piece, n)] if n <= budget else _cut_long(piece, offsets, budget, count)
    return _enforce_budget(_pack(units, budget), budget, count)


def _cut_long(piece: str, offsets, budget: int, count) -> list[Unit]:
    """Cut one over-long piece at token boundaries into parts that each fit.

    `offsets` come from tokenizing the whole piece once. Each cut goes `budget` tokens
    ahead, less the tokens the previous part gained at its edges when counted on its own
    (a substring can tokenize differently where it was cut); a part that still overflows
    moves its cut back by the excess. So most parts are counted once.
    """
    starts = list(accumulate((a for a, _ in offsets), max))  # where each token begins
    parts: list[Unit] = []
    start, first, margin = 0, 0, 0  # the part being cut begins at character `start`, token `first`
    while start < len(piece):
        take = max(1, budget - margin)
        while True:
            last = first + take
            while last < len(starts) and starts[last] <= start:  # one character, several tokens
                last += 1
            end = starts[last] if last < len(starts) else len(piece)
            n = count([piece[start:end]])[0]
            if n <= budget or take == 1:  # a single token that overflows alone cannot be cut
                break
            take = max(1, take - (n - budget))
        parts.append((piece[start:end], n))
        margin = max(0, n - (last - first))
        start, first = end, last
    return parts


def _pack(units: list[Unit], budget: int) -> list[list[Unit]]:
    """Consecutive units, greedily, while their counts add up to at most `budget`."""
    groups: list[list[Unit]] = []
    used = 0
    for unit in units:
        if not groups or used + unit[1] > budget:
            groups.append([])
            used = 0
        groups[-1].append(unit)
        used += unit[1]
    return groups


def _enforce_budget(groups: list[list[Unit]], budget: int, count) -> list[str]:
    """Units joined can count differently from their sum; halve any group that overflows."""
    texts = ["".join(text for text, _ in g) for g in groups]
    several = [i for i, g in enumerate(groups) if len(g) > 1]  # single units are counted already
    over = {i for i, n in zip(several, count([texts[i] for i in several])) if n > budget}
    out: list[str] = []
    for i, (g, text) in enumerate(zip(groups, texts)):
        if i in over:
            out += _enforce_budget([g[:len(g) // 2], g[len(g) // 2:]], budget, count)
        else:
            out.append(text)
    return out
