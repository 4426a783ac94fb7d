"""Where each bullet comes from, and what in it the source does not say.

Two cheap, model-free checks for the web UI (and anyone else who wants them):

- `find_support`: the source sentences that best match each bullet (weighted word
  overlap, rarer words count more), so a reader can check a bullet at a glance.
- `unsupported_facts`: numbers and names in a bullet that the source does not back,
  the most common way a small summarizer goes wrong (the rules live in facts.py, shared
  with the evaluation).

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
from .facts import SourceFacts, digits, unsupported

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
    for m in _WORD.finditer(digits(text)):
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
def unsupported_facts(bullet: str, source: str | SourceFacts) -> list[str]:
    """Numbers, dates and names in `bullet` that the source does not back, as written
    (see summarizer/facts.py for the rules: "eighteen" = 18, "$62 million" = "$62,000,000",
    a title needs no match, a name's words must meet in one source sentence)."""
    out: list[str] = []
    for fact in unsupported(bullet, source):
        if fact.text not in out:
            out.append(fact.text)
    return out


def faithfulness_warnings(bullets: list[str], source: str) -> list[tuple[int, list[str]]]:
    """(bullet index, missing numbers/names) for every bullet with something missing."""
    src = SourceFacts(source)
    out = []
    for i, b in enumerate(bullets):
        missing = unsupported_facts(b, src)
        if missing:
            out.append((i, missing))
    return out
