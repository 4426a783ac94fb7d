"""Cheap faithfulness proxies beside ROUGE: does the prediction say things the source does not?

- numbers: share of the numbers in the prediction that also occur in the source
  ("1,000" and "1000" are the same number; "83rd" counts as 83);
- names: share of capitalised names in the prediction (consecutive capitalised words joined,
  "Andros Townsend") found in the source, ignoring case;
- novel n-grams: share of the prediction's word 1/2/3-grams absent from the source (high
  means abstractive, or invented); words are ROUGE's unstemmed tokens, so tokenized test
  sets ("England 's") and plain model output ("England's") compare fairly.

A proxy is None for an article whose prediction has nothing to check (no numbers, say);
overall figures average over the articles where it is defined and say how many those are.
These are signals for spotting hallucination, not a replacement for reading outputs.
"""

from __future__ import annotations

import re
from typing import Iterable

NOVEL_N = (1, 2, 3)

_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*")
_TOKEN = re.compile(r"[a-z0-9]+")  # rouge_score's tokens before stemming
_LOWER_WORD = re.compile(r"\b[a-z][a-z0-9]*\b")
_NAME = re.compile(r"[A-Z][\w’'&.-]*(?:\s+[A-Z][\w’'&.-]*)*")
# Capitalised words that start sentences without being names.
_NOT_NAMES = set("""a an the this that these those there then he she it its they them their his her
we our you your i my me in on at of for from to by with as after before when while if but and or
so yet not no yes also however meanwhile today yesterday tomorrow last next new mr mrs ms dr
one two three four five six seven eight nine ten what who how why where which
monday tuesday wednesday thursday friday saturday sunday""".split())


def numbers(text: str) -> list[str]:
    """Numbers in `text`, normalised ("1,000" -> "1000", "2.50" -> "2.5")."""
    out = []
    for m in _NUMBER.finditer(text):
        s = m.group().replace(",", "")
        if "." in s:
            s = s.rstrip("0").rstrip(".") or "0"
        out.append(s)
    return out


def _name_spans(text: str) -> list[tuple[str, bool]]:
    """(name, is it one word opening a sentence) for each capitalised run of words."""
    from .rouge import sentence_lines

    found = []
    for sentence in sentence_lines(text):
        for m in _NAME.finditer(sentence):
            words_ = m.group().split()
            opening = m.start() == 0
            if opening:  # "The", "He", "In" start sentences without being names
                while words_ and words_[0].lower().strip(".'’") in _NOT_NAMES:
                    words_ = words_[1:]
            words_ = [w.rstrip(".,") for w in words_]
            if words_ and any(ch.isalpha() for ch in "".join(words_)):
                found.append((" ".join(words_), opening and len(words_) == 1 and len(m.group().split()) == 1))
    return found


def names(text: str) -> list[str]:
    """Capitalised names, multi-word names joined; sentence-opening function words dropped."""
    return [n for n, _ in _name_spans(text)]


def words(text: str) -> list[str]:
    """ROUGE's tokens without stemming: lower-case alphanumeric runs, so tokenized text
    ("England 's") and plain text ("England's") give the same words."""
    return _TOKEN.findall(text.lower())


def _ngrams(toks: list[str], n: int) -> list[tuple[str, ...]]:
    return list(zip(*(toks[i:] for i in range(n))))


def _norm(toks: list[str]) -> str:
    return " " + " ".join(toks) + " "


def _share(found: int, total: int) -> float | None:
    return None if total == 0 else found / total


def article_proxies(prediction: str, source: str) -> dict[str, float | None]:
    """The proxies for one article, each a share in [0, 1] or None when undefined."""
    src_numbers = set(numbers(source))
    pred_numbers = numbers(prediction)
    pred_words, src_words = words(prediction), words(source)
    src_norm = _norm(src_words)
    # A lone capitalised word opening a sentence is a name only if the source never writes it
    # in lower case ("Repairs cost ..." is not a name when the source says "repairs").
    lower_src = set(_LOWER_WORD.findall(source))
    pred_names = [n for n, opening in _name_spans(prediction) if not (opening and n.lower() in lower_src)]
    out: dict[str, float | None] = {
        "numbers_in_source": _share(sum(n in src_numbers for n in pred_numbers), len(pred_numbers)),
        "names_in_source": _share(sum(_norm(words(n)) in src_norm for n in pred_names), len(pred_names)),
    }
    for n in NOVEL_N:
        pred = _ngrams(pred_words, n)
        src = set(_ngrams(src_words, n))
        out[f"novel_{n}gram"] = _share(sum(g not in src for g in pred), len(pred))
    return out


def overall(per_article: Iterable[dict[str, float | None]]) -> dict[str, dict[str, float | int | None]]:
    """Mean of each proxy over the articles where it is defined (x 100), with that count."""
    rows = list(per_article)
    keys = list(rows[0]) if rows else []
    out = {}
    for k in keys:
        vals = [r[k] for r in rows if r.get(k) is not None]
        out[k] = {"mean": 100 * sum(vals) / len(vals) if vals else None, "articles": len(vals)}
    return out
