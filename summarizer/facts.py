"""Facts in text (numbers, dates, names) and whether a source backs them.

The one place that decides "is this number / name in the source?", so the web UI's
warnings (evidence.py), the evaluation's faithfulness columns (eval/faithfulness.py) and
the extractive selector's features agree. Rules, not a model: fast, explainable, and no
heavy imports.

    src = SourceFacts(article)              # once per source
    unsupported("Ruiz approved $62 billion.", src)   # -> [Fact(kind='number', text='62 billion', ...)]

A fact of a bullet is supported by the source when

1. its value occurs anywhere in the source: numbers compare by value, so "eighteen" = "18",
   "$62 million" = "$62,000,000" = "$62m", "12%" = "12 percent" (a unit given on both sides
   must agree); a month or weekday by its name; or
2. its words occur, in that order, in one source sentence (case and possessive "'s" aside).
   For a name, a title in front is not needed ("Mayor Ruiz" for "Mayor Elena Ruiz").

Rule 2 means a sentence copied from the source, or shortened from one by deleting words, can
never be warned about ("$62 million" cut to "$62", "Mill City Council" to "Mill Council",
"twenty five" to "twenty"), while a changed number, a name from nowhere, two names glued
from different sentences, or "$62 billion" against "$62 million" are still caught. Both
rules are lexical, so they are hints for a reader, not a verdict.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from .chunking import TITLE_ABBR, is_title_abbr, sentence_spans

# ---- words ----------------------------------------------------------------------------------
# A word never crosses white space, so deleting whole words from a sentence leaves exactly the
# remaining words: rule 2 holds by construction. "U.S", "1,000", "twenty-five", "Ruiz's" are
# words, and so are currency and percent signs ("$62" is "$" "62"), so a unit must match too.
_WORD = re.compile(r"[^\W_]+(?:[-.,'’&][^\W_]+)*|[$£€¥₹%]")
_POSSESSIVE = re.compile(r"['’]s$")
_DOTTED = re.compile(r"(?:[^\W\d_]{1,2}\.)+[^\W\d_]{1,2}")  # U.S, U.N, D.C, a.m


def _norm(word: str) -> str:
    """The form two words compare by: lower case, no possessive, "U.S" = "US", "1,000" = "1000"."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    if _DOTTED.fullmatch(w):
        w = w.replace(".", "")
    if w[:1].isdigit():
        w = w.replace(",", "")
    return w


def words(text: str) -> list[str]:
    """The comparable words of `text` (see `_norm`)."""
    return [_norm(m.group()) for m in _WORD.finditer(text)]


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of the sentences of `text`: lines first, so a heading never joins the
    sentence below it, then `chunking.sentence_spans` within each line."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        for a, b in sentence_spans(line):
            piece = line[a:b]
            if not piece.strip():
                continue
            a, b = pos + a + len(piece) - len(piece.lstrip()), pos + b - (len(piece) - len(piece.rstrip()))
            spans.append((a, b))
        pos += len(line) + 1
    return spans


# ---- numbers --------------------------------------------------------------------------------
_SMALL = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen".split())}
_TENS = {w: 10 * i for i, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split())
         if w != "_"}
_SCALES = {"hundred": 100, "thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}
_SCALE_ABBR = {"k": 10**3, "m": 10**6, "mn": 10**6, "bn": 10**9}
_CURRENCY = {"$": "$", "us$": "$", "dollar": "$", "dollars": "$", "usd": "$", "£": "£", "pound": "£",
             "pounds": "£", "gbp": "£", "€": "€", "euro": "€", "euros": "€", "eur": "€", "¥": "¥",
             "yen": "¥", "yuan": "¥", "₹": "₹", "rs": "₹", "rs.": "₹", "rupee": "₹", "rupees": "₹"}

_NUMBER_WORDS = "|".join(sorted([*_SMALL, *_TENS, *_SCALES], key=len, reverse=True))
_UNIT_AFTER = r"(?:\s?(?P<unit>%|percent\b|per\s?cent\b|dollars?\b|usd\b|pounds?\b|gbp\b|euros?\b|eur\b|" \
              r"yen\b|yuan\b|rupees?\b))?"
_DIGITS = re.compile(
    r"(?:(?P<cur>US\$|[$£€¥₹]|Rs\.?)\s?)?"
    r"(?<![\w.,])(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:(?P<ord>st|nd|rd|th|s)\b|(?P<abbr>bn|mn|m|k)\b|\s?(?P<scale>hundred|thousand|million|billion|trillion)\b)?"
    + _UNIT_AFTER, re.I)
_SPELLED = re.compile(
    r"(?:(?P<cur>US\$|[$£€¥₹])\s?)?"
    rf"\b(?P<num>(?:an?\s+(?=(?:hundred|thousand|million|billion|trillion)\b))?(?:{_NUMBER_WORDS})"
    rf"(?:(?:-|\s+|\s+and\s+)(?:{_NUMBER_WORDS}))*)\b" + _UNIT_AFTER, re.I)


def _spelled_value(phrase: str) -> int | None:
    """ "twenty-five" -> 25, "a hundred and five" -> 105, "two million" -> 2000000; None for a
    bare scale word."""
    parts = [p for p in re.split(r"[-\s]+", phrase.lower()) if p not in ("and", "a", "an")]
    if not parts or (len(parts) == 1 and parts[0] in _SCALES):
        return None
    total = current = 0
    for p in parts:
        if p in _SMALL:
            current += _SMALL[p]
        elif p in _TENS:
            current += _TENS[p]
        elif p == "hundred":
            current = (current or 1) * 100
        else:
            total += (current or 1) * _SCALES[p]
            current = 0
    return total + current


def _plain(value: Decimal | int) -> str:
    """A number as plain digits: 62000000, 2.5, 83."""
    return format(Decimal(value).normalize(), "f")


# ---- dates ----------------------------------------------------------------------------------
_MONTHS = "january february march april may june july august september october november december".split()
_MONTH_ABBR = {"jan": "january", "feb": "february", "mar": "march", "apr": "april", "jun": "june",
               "jul": "july", "aug": "august", "sep": "september", "sept": "september", "oct": "october",
               "nov": "november", "dec": "december"}
_WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()


def _date_value(text: str, m: re.Match) -> str | None:
    """The month or weekday a capitalised word names, or None. "May" and abbreviations
    count only beside a number ("May 3", "Jan. 2025"): "Theresa May" is a name."""
    word = m.group()
    if not word[:1].isupper():
        return None
    w = _norm(word)
    if w in _WEEKDAYS or (w in _MONTHS and w != "may"):
        return w
    if w == "may" or w in _MONTH_ABBR:
        near = text[max(0, m.start() - 6):m.start()] + " " + text[m.end():m.end() + 6]
        if re.search(r"\d", near):
            return _MONTH_ABBR.get(w, w)
    return None


# ---- names ----------------------------------------------------------------------------------
# Capitalised words that are not names (sentence openers, pronouns, function words).
_NOT_NAMES = frozenset("""a an the this that these those there here then he she it its they them their his
her hers we our you your i my me in on at of for from to by with as after before when while if but and or
so yet not no yes also however meanwhile today yesterday tomorrow what who whom how why where which
some many all both each every any most more other such one""".split())
# Words in front of a name that the source need not repeat: "Mayor Ruiz" for "Mayor Elena Ruiz".
_TITLES = frozenset("""mr mrs ms miss dr prof professor sir dame lord lady mayor governor gov president
senator sen representative rep congressman congresswoman judge justice minister secretary chancellor
chairman chairwoman chair councillor councilor chief officer general gen captain capt sergeant sgt
lieutenant lt colonel col major admiral commander king queen prince princess pope bishop rev reverend
father sheriff detective inspector commissioner ambassador coach premier prime deputy vice acting
former late""".split())
_VERBISH = re.compile(r"[A-Z][a-z]{3,}(?:ed|ing|ly)")  # "Continued", "Following", "Reportedly"
_OPENING_PUNCT = " \t\"“”'‘’`([{*•-–—"


def _acronym(word: str) -> bool:
    return bool(_DOTTED.fullmatch(word)) or (len(word) > 1 and word.isupper() and word.isalpha())


def _opens_sentence(text: str, start: int) -> bool:
    """Is the word at `start` the first of a sentence (or line)? A capital there says nothing."""
    i = start  # text[:i] is text[:start] without its trailing opening punctuation (no copy: O(1))
    while i > 0 and text[i - 1] in _OPENING_PUNCT:
        i -= 1
    if i == 0 or text[i - 1] in "\n!?:;":
        return True
    if text[i - 1] != ".":
        return False
    prev = _WORD.findall(text[max(0, i - 12):i])
    return not (prev and text[max(0, i - 1 - len(prev[-1])):i - 1] == prev[-1]
                and (is_title_abbr(prev[-1]) or _DOTTED.fullmatch(prev[-1])))


# ---- facts ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Fact:
    """A number, date or name as written in a text."""
    kind: str  # "number" | "date" | "name"
    text: str  # as written: "62 million", "83rd", "March", "Mayor Elena Ruiz", "U.S."
    start: int  # character span of `text`
    end: int
    value: str  # what it compares by: "62000000"; "march"; "elena ruiz" (a name without its title)
    unit: str = ""  # numbers: "%", "$", "£", "€", "¥", "₹" or ""
    words: tuple[str, ...] = ()  # comparable words (rule 2): a number's with its unit, a name's without its title


def _number_fact(text: str, m: re.Match, value: Decimal | int, end: int) -> Fact:
    cur = (m.group("cur") or "").lower()
    unit = m.group("unit") or ""
    unit = "%" if unit == "%" or "cent" in unit.lower() else _CURRENCY.get(unit.lower(), "")
    unit = unit or _CURRENCY.get(cur, "")
    start = m.start("num")
    return Fact("number", text[start:end], start, end, _plain(value), unit,
                tuple(_span_words(text, m.start(), max(end, m.end("unit")))))


def _span_words(text: str, start: int, end: int) -> list[str]:
    """The words that overlap text[start:end] (whole words: the search starts at white space)."""
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    out = []
    for w in _WORD.finditer(text, start):
        if w.start() >= end:
            break
        out.append(_norm(w.group()))
    return out


def _overlap_test(spans: list[tuple[int, int]]):
    """hit(start, end): does [start, end) overlap any of the spans? Calls must come with
    non-decreasing `start` (a scan through the text): linear overall, where `any(...)` over every
    span for every word took minutes on a long report."""
    spans = sorted(spans)
    i = 0

    def hit(start: int, end: int) -> bool:
        nonlocal i
        while i < len(spans) and spans[i][1] <= start:
            i += 1
        return i < len(spans) and spans[i][0] < end
    return hit


def _numbers(text: str) -> list[Fact]:
    out: list[Fact] = []
    taken: list[tuple[int, int]] = []
    for m in _DIGITS.finditer(text):
        value = Decimal(m.group("num").replace(",", ""))
        if m.group("abbr"):
            value *= _SCALE_ABBR[m.group("abbr").lower()]
        elif m.group("scale"):
            value *= _SCALES[m.group("scale").lower()]
        end = max(m.end(g) for g in ("num", "ord", "abbr", "scale"))
        out.append(_number_fact(text, m, value, end))
        taken.append((m.start("num"), end))
    hit = _overlap_test(taken)
    for m in _SPELLED.finditer(text):
        value = _spelled_value(m.group("num"))
        if m.group("num").lower() in ("one", "zero") and not m.group("unit"):
            continue  # "one of them", "zero-emission": not figures; "one percent" is
        if value is None or hit(m.start("num"), m.end("num")):
            continue
        out.append(_number_fact(text, m, value, m.end("num")))
    return out


def _dates(text: str) -> list[Fact]:
    out = []
    for m in _WORD.finditer(text):
        value = _date_value(text, m)
        if value:
            end = m.end() - 2 if _POSSESSIVE.search(m.group()) else m.end()
            out.append(Fact("date", text[m.start():end], m.start(), end, value, "", (_norm(m.group()),)))
    return out


def _names(text: str, taken: list[tuple[int, int]]) -> list[Fact]:
    """Runs of capitalised words ("Mill City Council", "Dr. Amira Haddad", "U.S."). A lone
    capitalised word opening a sentence is no name ("Officials said"), unless an acronym."""
    hit = _overlap_test(taken)

    def is_name_word(m: re.Match) -> bool:
        w = m.group()
        if not w[0].isupper() or hit(m.start(), m.end()):
            return False
        return not (_norm(w) in _NOT_NAMES and not _acronym(w))

    runs: list[list[re.Match]] = []
    run: list[re.Match] = []
    for m in _WORD.finditer(text):
        if not is_name_word(m):
            run = []
            continue
        if run:  # join words that only white space (or a title's full stop: "Dr. Ruiz") parts
            prev = run[-1].group()
            gap = text[run[-1].end():m.start()]
            if gap.startswith(".") and is_title_abbr(prev):
                gap = gap[1:]
            if gap.strip() == "" and "\n" not in gap and not _POSSESSIVE.search(prev):
                run.append(m)
                continue
        run = [m]
        runs.append(run)

    out = []
    for run in runs:
        if _opens_sentence(text, run[0].start()) and not _acronym(run[0].group()):
            if len(run) == 1:
                continue
            if _VERBISH.fullmatch(run[0].group()):  # "Continued Russian attacks": only "Russian"
                run = run[1:]
        start, end = run[0].start(), run[-1].end()
        last = run[-1].group()
        if _POSSESSIVE.search(last):
            end -= 2
        elif text[end:end + 1] == "." and (_DOTTED.fullmatch(last) or last.lower() in TITLE_ABBR
                                           or last.lower() in ("jr", "sr", "inc", "ltd", "co")):
            end += 1
        core = [_norm(m.group()) for m in run]
        while len(core) > 1 and core[0].rstrip(".") in _TITLES:
            core.pop(0)
        out.append(Fact("name", text[start:end], start, end, " ".join(core), "", tuple(core)))
    return out


def extract(text: str) -> list[Fact]:
    """The numbers, dates and names of `text`, in reading order."""
    found = _numbers(text) + _dates(text)
    found += _names(text, [(f.start, f.end) for f in found])
    return sorted(found, key=lambda f: (f.start, f.end))


def digits(text: str) -> str:
    """`text` with every number written as plain digits ("eighteen" -> "18", "$62 million" ->
    "$62000000", "1,000" -> "1000"), so word-overlap measures see equal numbers as equal."""
    out, pos = [], 0
    for f in sorted(_numbers(text), key=lambda f: f.start):
        if f.start < pos:
            continue
        out += [text[pos:f.start], f.value]
        pos = f.end
    return "".join(out) + text[pos:]


# ---- support --------------------------------------------------------------------------------
class SourceFacts:
    """What a source says, indexed once so that many bullets can be checked cheaply."""

    def __init__(self, source: str):
        self.source = source
        self.facts = extract(source)
        self.numbers: dict[str, set[str]] = {}  # value -> units seen with it
        for f in self.facts:
            if f.kind == "number":
                self.numbers.setdefault(f.value, set()).add(f.unit)
                bare = re.match(r"\d[\d.,]*", f.text)  # "$62 million" (or "62m") also reads as 62
                if bare:
                    self.numbers.setdefault(_plain(Decimal(bare.group().replace(",", ""))), set()).add(f.unit)
        self.dates = {f.value for f in self.facts if f.kind == "date"}
        self.spans = sentences(source)
        self.sentences = [words(source[a:b]) for a, b in self.spans]
        self._where: dict[str, set[int]] = {}
        for i, ws in enumerate(self.sentences):
            for w in ws:
                self._where.setdefault(w, set()).add(i)

    def in_one_sentence(self, seq: tuple[str, ...] | list[str]) -> bool:
        """Do these words occur, in this order, in one sentence of the source?"""
        if not seq:
            return True
        candidates = set.intersection(*(self._where.get(w, set()) for w in seq))
        for i in sorted(candidates):
            it = iter(self.sentences[i])
            if all(w in it for w in seq):
                return True
        return False

    def supports(self, fact: Fact) -> bool:
        if fact.kind == "number":
            units = self.numbers.get(fact.value)
            if units is not None and (not fact.unit or "" in units or fact.unit in units):
                return True
        elif fact.kind == "date" and fact.value in self.dates:
            return True
        return self.in_one_sentence(fact.words)


def _as_source(source: str | SourceFacts) -> SourceFacts:
    return source if isinstance(source, SourceFacts) else SourceFacts(source)


def check(text: str, source: str | SourceFacts) -> list[tuple[Fact, bool]]:
    """Every fact of `text`, with whether the source supports it."""
    src = _as_source(source)
    return [(f, src.supports(f)) for f in extract(text)]


def unsupported(text: str, source: str | SourceFacts) -> list[Fact]:
    """The facts of `text` (a bullet, a summary) that the source does not back."""
    return [f for f, ok in check(text, source) if not ok]


def counts(text: str, source: str | SourceFacts) -> dict[str, int]:
    """How many numbers / dates / names `text` has and how many the source supports:
    {"numbers": 3, "numbers_supported": 2, "dates": ..., "names": ..., ...}."""
    out = {k: 0 for kind in ("numbers", "dates", "names") for k in (kind, f"{kind}_supported")}
    for f, ok in check(text, source):
        out[f.kind + "s"] += 1
        out[f.kind + "s_supported"] += ok
    return out
