"""Cheap faithfulness proxies beside ROUGE: does the prediction say things the source does not?

- numbers: share of the numbers in the prediction that the source supports;
- names: share of the names in the prediction (runs of capitalised words, "Andros Townsend",
  "U.S.") that the source supports.
  Both follow summarizer/facts.py, the rules the web UI warns by: numbers compare by value
  ("eighteen" = "18", "$62 million" = "$62,000,000", "83rd" = 83), a name's words must occur in
  that order in one source sentence (a title in front not needed, case ignored), and any words
  copied from one source sentence count as supported;
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

from summarizer import facts
from summarizer.inputs import looks_tokenized, untokenize

NOVEL_N = (1, 2, 3)

_TOKEN = re.compile(r"[a-z0-9]+")  # rouge_score's tokens before stemming


def numbers(text: str) -> list[str]:
    """Numbers in `text` as plain digits ("1,000" -> "1000", "2.50" -> "2.5", "eighteen" -> "18")."""
    return [f.value for f in facts.extract(text) if f.kind == "number"]


def names(text: str) -> list[str]:
    """Names as written; sentence-opening words ("The", "Officials") are not names."""
    return [f.text for f in facts.extract(text) if f.kind == "name"]


def words(text: str) -> list[str]:
    """ROUGE's tokens without stemming: lower-case alphanumeric runs, so tokenized text
    ("England 's") and plain text ("England's") give the same words."""
    return _TOKEN.findall(text.lower())


def _ngrams(toks: list[str], n: int) -> list[tuple[str, ...]]:
    return list(zip(*(toks[i:] for i in range(n))))


def _share(found: int, total: int) -> float | None:
    return None if total == 0 else found / total


def article_proxies(prediction: str, source: str) -> dict[str, float | None]:
    """The proxies for one article, each a share in [0, 1] or None when undefined. A tokenized
    source is compared as the plain text models read (`inputs.clean_text`), and so is the
    prediction: "ca n't" and "can't" are one word."""
    if looks_tokenized(source):
        source, prediction = untokenize(source), untokenize(prediction)
    c = facts.counts(prediction, source)
    pred_words, src_words = words(prediction), words(source)
    out: dict[str, float | None] = {
        "numbers_in_source": _share(c["numbers_supported"], c["numbers"]),
        "names_in_source": _share(c["names_supported"], c["names"]),
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
