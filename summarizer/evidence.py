"""Where each bullet comes from, and what in it the source does not say.

Two cheap, model-free checks for the web UI (and anyone else who wants them):

- `find_support`: the source sentences that best match each bullet (weighted word
  overlap, rarer words count more), so a reader can check a bullet at a glance.
- `unsupported_facts`: numbers and names in a bullet that never occur in the
  source, the most common way a small summarizer goes wrong.

Both are lexical on purpose: fast, explainable, and no second model to load. A
paraphrase can score low and a wrong statement built from source words can score
high, so the results are hints for a reader, not a verdict.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from .chunking import sentence_spans

MIN_SCORE = 0.15  # below this a "best" sentence shares too little with the bullet to show
RELATIVE = 0.6  # a second sentence is kept when it scores at least this share of the best

_STOP = frozenset("""
a an the and or but nor so yet of to in on at by for from with without into onto over under
about after before during between through against among within upon as than then that this
these those there here it its it's is are was were be been being am has have had having do does
did doing will would shall should can could may might must not no yes also very just only
he him his she her hers they them their theirs we us our ours you your yours i me my mine
who whom whose which what when where why how all any both each few more most other some such
own same too up down out off again further once if while because until s t
""".split())

_WORD = re.compile(r"[^\W_]+(?:[.,'’][^\W_]+)*", re.UNICODE)

_UNITS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen".split())}
_TENS = {w: 10 * i for i, w in enumerate(
    "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()) if w != "_"}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000,
           "trillion": 1_000_000_000_000}
_NUMBER_WORD = re.compile(
    r"\b(?:(?P<tens>" + "|".join(_TENS) + r")(?:[-\s](?P<unit2>" + "|".join(list(_UNITS)[1:10]) +
    r"))?|(?P<unit>" + "|".join(sorted(_UNITS, key=len, reverse=True)) + r"))\b", re.I)
_DIGITS = re.compile(r"(?<![\w.])\d+(?:,\d{3})*(?:\.\d+)?")
_SCALE_AFTER = re.compile(r"\s*(hundred|thousand|million|billion|trillion|bn|m|k)\b", re.I)
_SCALE_ABBR = {"bn": 1_000_000_000, "m": 1_000_000, "k": 1_000}


# ---- words and sentences ---------------------------------------------------------------
def _stem(word: str) -> str:
    """Just enough folding that "votes"/"vote" and "Ruiz's"/"Ruiz" meet."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
        return w[:-1]
    return w


def content_words(text: str) -> list[str]:
    """Lower-cased, lightly stemmed words without function words; numbers as digits."""
    out = []
    for m in _WORD.finditer(_numbers_as_digits(text)):
        w = m.group().replace(",", "") if m.group()[0].isdigit() else m.group()
        s = _stem(w)
        if s not in _STOP:
            out.append(s)
    return out


def source_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of the sentences of `text`, also split at line breaks, so a heading
    or a list item is never glued to the sentence after it. Whitespace is left out."""
    spans = []
    for a, b in sentence_spans(text):
        start = a
        for m in re.finditer(r"\n", text[a:b]):
            spans.append((start, a + m.start()))
            start = a + m.end()
        spans.append((start, b))
    out = []
    for a, b in spans:
        piece = text[a:b]
        lead = len(piece) - len(piece.lstrip())
        trail = len(piece) - len(piece.rstrip())
        if b - trail > a + lead:
            out.append((a + lead, b - trail))
    return out


# ---- support: best-matching source sentences per bullet ---------------------------------
@dataclass
class Support:
    """The source sentences (character spans) that best back one bullet."""
    bullet: int  # 0-based index into the bullets
    spans: list[tuple[int, int]] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)


def _bigrams(words: list[str]) -> set[tuple[str, str]]:
    return set(zip(words, words[1:]))


def find_support(bullets: list[str], source: str, top_k: int = 2,
                 min_score: float = MIN_SCORE) -> list[Support]:
    """For each bullet, up to `top_k` source sentences that cover most of its words.

    Score = share of the bullet's word weight found in the sentence (weights are
    inverse sentence frequency, so "Harbor" counts more than "city"), plus a small
    bonus for shared word pairs, which favours the sentence that says it the same way.
    """
    spans = source_sentences(source)
    sent_words = [content_words(source[a:b]) for a, b in spans]
    df = Counter(w for ws in sent_words for w in set(ws))
    n = max(1, len(spans))

    def weight(w: str) -> float:
        return math.log(1.0 + n / (1 + df.get(w, 0)))

    out = []
    for i, bullet in enumerate(bullets):
        bw = set(content_words(bullet))
        total = sum(weight(w) for w in bw)
        pairs = _bigrams(content_words(bullet))
        scored = []
        for (a, b), ws in zip(spans, sent_words):
            if not total:
                break
            shared = bw & set(ws)
            if not shared:
                continue
            score = sum(weight(w) for w in shared) / total
            if pairs:
                score = 0.8 * score + 0.2 * len(pairs & _bigrams(ws)) / len(pairs)
            precision = len(shared) / len(set(ws))  # on a tie, the sentence with less else in it
            scored.append((round(score, 6), precision, a, b))
        scored.sort(key=lambda t: (-t[0], -t[1], t[2]))
        best = scored[0][0] if scored else 0.0
        keep = [t for t in scored[:top_k] if t[0] >= min_score and t[0] >= RELATIVE * best]
        keep.sort(key=lambda t: t[2])
        out.append(Support(i, [(a, b) for _, _, a, b in keep], [round(t[0], 3) for t in keep]))
    return out


def bullet_label(indices: list[int]) -> str:
    nums = [str(i + 1) for i in sorted(indices)]
    return f"Bullet {nums[0]}" if len(nums) == 1 else f"Bullets {' + '.join(nums)}"


def highlight_segments(source: str, support: list[Support]) -> list[tuple[str, str | None]]:
    """The whole source as (text, label) pieces for `gr.HighlightedText`: supporting
    sentences carry the label of their bullet(s), everything else None. The pieces
    join back to `source` exactly."""
    owners: dict[tuple[int, int], list[int]] = {}
    for s in support:
        for span in s.spans:
            owners.setdefault(span, []).append(s.bullet)
    pieces: list[tuple[str, str | None]] = []
    pos = 0
    for (a, b) in sorted(owners):
        if a < pos:  # spans come from one tiling, so this cannot happen; stay safe anyway
            continue
        if a > pos:
            pieces.append((source[pos:a], None))
        pieces.append((source[a:b], bullet_label(owners[(a, b)])))
        pos = b
    if pos < len(source):
        pieces.append((source[pos:], None))
    return pieces


# ---- faithfulness: numbers and names the source does not contain -------------------------
def _numbers_as_digits(text: str) -> str:
    """'eighteen months', 'twenty-five' -> '18 months', '25' (so words and digits meet)."""
    def sub(m: re.Match) -> str:
        if m.group("tens"):
            value = _TENS[m.group("tens").lower()]
            if m.group("unit2"):
                value += _UNITS[m.group("unit2").lower()]
            return str(value)
        return str(_UNITS[m.group("unit").lower()])
    return _NUMBER_WORD.sub(sub, text)


def _number_values(text: str, words: bool = True) -> list[tuple[str, set[float]]]:
    """Numbers in `text` as (surface form, the values it may stand for).

    "$62 million" stands for both 62 and 62,000,000, so a bullet saying either
    matches a source saying either.
    """
    out = []
    found = []
    for m in _DIGITS.finditer(text):
        found.append((m.start(), m.end(), float(m.group().replace(",", ""))))
    if words:
        for m in _NUMBER_WORD.finditer(text):
            if m.group().lower() in {"one", "zero"}:  # "one of the", "zero-emission": rarely a figure
                continue
            found.append((m.start(), m.end(), float(_numbers_as_digits(m.group()))))
    for start, end, value in sorted(found):
        values = {value}
        scale = _SCALE_AFTER.match(text, end)
        if scale:
            word = scale.group(1).lower()
            values.add(value * _SCALES.get(word, _SCALE_ABBR.get(word, 1)))
            end = scale.end()
        out.append((text[start:end].strip(), values))
    return out


def _source_numbers(source: str) -> set[float]:
    return {v for _, vals in _number_values(source) for v in vals}


_NAME = re.compile(r"[^\W\d_][\w'’.-]*", re.UNICODE)


def _names(bullet: str) -> list[tuple[str, int]]:
    """Capitalised words not at the start of a sentence: (word, position)."""
    out = []
    for m in _NAME.finditer(bullet):
        word = m.group().rstrip(".-'’")
        if not word or not word[0].isupper():
            continue
        before = bullet[:m.start()].rstrip()
        sentence_start = not before or before[-1] in ".!?:;\"“(" or re.fullmatch(r"[\W\d]*", before)
        if sentence_start and not (len(word) > 1 and word.isupper()):
            continue  # a capital after a full stop says nothing; an acronym still counts
        out.append((word, m.start()))
    return out


_TITLES = frozenset("""mr mrs ms dr prof professor sir dame lord lady mayor governor president senator
judge justice minister secretary chairman chairwoman chair councillor councilor chief officer
general captain sergeant king queen prince princess rep sen gov""".split())


def _phrase_key(text: str) -> str:
    return " " + " ".join(_stem(w) for w in re.findall(r"[\w'’]+", text)) + " "


def unsupported_facts(bullet: str, source: str) -> list[str]:
    """Numbers and names in `bullet` that the source never mentions.

    Number words and digits count alike ("eighteen" = 18), case is ignored, and a
    run of capitalised words ("Mill City Council") must occur as a run in the source,
    so two real words glued into a new name are caught too. A title in front
    ("Mayor Ruiz" for "Mayor Elena Ruiz") is not required to match.
    """
    missing: list[str] = []
    have = _source_numbers(source)
    for surface, values in _number_values(bullet):
        if not values & have:
            missing.append(surface)
    src_words = {_stem(w) for w in re.findall(r"[\w'’]+", source)}
    src_phrases = _phrase_key(source)
    groups: list[list[str]] = []
    last_end = -2
    for word, pos in _names(bullet):
        if groups and pos - last_end <= 1:
            groups[-1].append(word)
        else:
            groups.append([word])
        last_end = pos + len(word)
    for group in groups:
        core = list(group)
        while len(core) > 1 and _stem(core[0]).rstrip(".") in _TITLES:
            core.pop(0)
        absent = any(_stem(w) not in src_words for w in group)
        if absent or (len(core) > 1 and _phrase_key(" ".join(core)) not in src_phrases):
            missing.append(" ".join(group))
    seen: set[str] = set()
    return [m for m in missing if not (m in seen or seen.add(m))]


def faithfulness_warnings(bullets: list[str], source: str) -> list[tuple[int, list[str]]]:
    """(bullet index, missing numbers/names) for every bullet with something missing."""
    out = []
    for i, b in enumerate(bullets):
        missing = unsupported_facts(b, source)
        if missing:
            out.append((i, missing))
    return out
