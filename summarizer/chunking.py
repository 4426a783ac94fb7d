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

import re
from itertools import accumulate
from typing import Callable, Sequence

import blingfire

Unit = tuple[str, int]  # a piece of text and its token count on its own


# Abbreviations whose full stop does not end a sentence: titles ("Mrs. May", "St. Louis") and
# others ("Apple Inc. said", "Smith vs. Jones"); single capitals are initials ("John F. Kennedy").
TITLE_ABBR = frozenset("mr mrs ms dr prof st gen sen rep gov lt col sgt capt rev mt ft hon supt cmdr adm maj "
                       "cpl pvt fr det insp".split())
ABBR = TITLE_ABBR | frozenset("inc corp co ltd llc plc vs jr sr dept univ assoc approx est govt bros "
                              "ave blvd rd sq".split())
# Words that begin a sentence, never a name: after "Group B." or "Elm St." they start a new one.
_STARTERS = frozenset("the a an it its they their he his she her we i this that these those there in on at but "
                      "and so as after when while if".split())
_WORD_BEFORE = re.compile(r"[\w'’.-]*$")
# A caption or headline glued to the sentence after it with no end mark (Daily Mail text loses the
# line break: "... at East Midlands Airport A four-year-old boy was frisked"): a word that can end a
# sentence, then a sentence's first word and a small letter. "A", "An" and "It" start one only after a
# small word and before a content word ("Serie A side", "Faking It and", "country A is"); after a
# function word none does ("from A to B").
_GLUED = re.compile(r"(?<![\w'’-])([\w%'’-]*[a-z0-9%])(\)?) +(The|This|These|He|She|They|His|Her|A|An|It) (?=[a-z])")
_GLUE_AFTER_SMALL = frozenset(("A", "An", "It"))
# ... nor after a word a letter grade follows: "class A drugs", "vitamin A", "got A grades"
_BEFORE_GRADE = frozenset("""class category grade type vitamin hepatitis group plan exhibit section part series division
level tier pool block phase stage option model size row gate terminal platform route appendix schedule annex box unit
wing ward league formula zone area floor court blood side got get gets getting scored earned achieved received rated
graded""".split())
_FUNCTION = frozenset("""a an the and or nor but if of at by for with about against between into through during
before after above below to from up down in on off over under than as is are was were be been being am has have
had do does did will would shall should can could may might must not no so its their his her our your my
whose which who that this these those plus vs via per like unlike including called named titled when while
where if because although though unless until since once whether""".split())
_AFTER = re.compile(r"([\"“”’]?)(\s*)([\"“]?)([^\W_][\w'’-]*)?")


def _next_word(text: str, i: int) -> str:
    m = re.match(r"[a-z]+", text[i:i + 24])
    return m.group() if m else ""


def is_title_abbr(word: str) -> bool:
    return word.lower() in TITLE_ABBR or (len(word) == 1 and word.isupper())


def _boundaries(text: str, lower_case: bool) -> tuple[set[int], set[int]]:
    """Sentence starts the splitter misses, and starts it finds that are none, from each end mark:
    - glued sentences ("the matter.The court", 'a scam."There are', 'Alone."The'); a quote mark between them
      goes with its sentence: a curly one by its shape, a straight one by whether a quotation is open;
    - a plain word's end mark before a capital ("he said no. Police", "heavy rain. St. Louis will");
    - in text all in lower case, a sentence that starts with a small letter;
    - a caption or headline glued to the next sentence without an end mark (`_GLUED`);
    - never a start right after an abbreviation or an initial ("Mrs. | May"), unless a word such
      as "The" or "It" begins there.
    Every look is bounded, so the scan is linear in the text."""
    add, veto = set(), set()
    quotes = 0  # straight double quotes seen so far
    last = 0
    for m in re.finditer(r"[.!?]", text):
        i = m.start()
        quotes += text.count('"', last, i)
        last = i
        word = _WORD_BEFORE.search(text[max(0, i - 24):i]).group()
        after = _AFTER.match(text[i + 1:i + 48])
        q, gap, q2, nxt = after.groups()
        nxt = nxt or ""
        start = i + 1 + after.start(3)  # where the next sentence would begin
        plain = ((len(word) >= 2 and word[0].islower()) or word[:1].isdigit()) \
            and "." not in word and word.lower() not in ABBR  # a word that can end a sentence
        # ... and, glued to the next one, a capitalised word ('alone. Alone."The officer'), not an acronym
        named = len(word) >= 2 and word[0].isupper() and word[1:].islower() and word.lower() not in ABBR
        # "the EU.On Tuesday"; not "FIH?Hockey", where a lost space was read as "?"
        named |= 2 <= len(word) <= 6 and word.isalpha() and word.isupper() and not q and m.group() == "."
        if word.lower() in ABBR or is_title_abbr(word) or (word in ("No", "Nos") and nxt[:1].isdigit()):
            if nxt.lower() not in _STARTERS:  # "No. 10", but "he said no. Police ..." ends
                veto.add(start)
        elif (plain or named) and not gap and not q2 and nxt[:1].isupper() and nxt[1:2].islower():
            closes = q == "”" or (q == '"' and quotes % 2 == 1)
            add.add(i + 1 + (len(q) if closes else 0))
        elif plain and gap and (nxt[:1].isupper() or lower_case and nxt[:1].islower()):
            add.add(start)  # "he said no. Police ...", "heavy rain. St. Louis will"
    for m in _GLUED.finditer(text):
        word, starter = m.group(1), m.group(3)
        small = starter in _GLUE_AFTER_SMALL
        if word.lower() not in _FUNCTION and not (small and (word[0].isupper() or word.lower() in _BEFORE_GRADE
                                                              or _next_word(text, m.end()) in _FUNCTION)):
            add.add(m.start(3))
    add |= {m.end() for m in re.finditer(r"[।॥]\s+", text)}  # Hindi's full stop, which the splitter does not know
    return add, veto


def _all_lower(text: str) -> bool:
    """No sentence in the text starts with a capital: it is written all in lower case."""
    return not re.search(r"(?:^|[.!?][\"”’]?\s+)[\"“]?[A-Z]", text.lstrip())


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of sentences that tile `text` (whitespace joins the sentence before)."""
    if not text:
        return []
    _, offsets = blingfire.text_to_sentences_and_offsets(text)
    add, veto = _boundaries(text, _all_lower(text))
    starts = sorted(s for s in ({s for s, _ in offsets} - veto) | add if 0 < s < len(text))
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
