"""Lengths of predictions and references: ROUGE rewards length, so reports show it beside ROUGE."""

from __future__ import annotations

from typing import Iterable

from .faithfulness import words
from .rouge import sentence_lines


def text_lengths(text: str) -> dict[str, int]:
    """Words (ROUGE's tokens) and bullets (sentences or lines, the units ROUGE-Lsum scores)."""
    return {"words": len(words(text)), "bullets": len(sentence_lines(text))}


def article_lengths(prediction: str, reference: str) -> dict[str, int]:
    p, r = text_lengths(prediction), text_lengths(reference)
    return {"prediction_words": p["words"], "prediction_bullets": p["bullets"],
            "reference_words": r["words"], "reference_bullets": r["bullets"]}


def overall(per_article: Iterable[dict[str, int]]) -> dict[str, float]:
    rows = list(per_article)
    if not rows:
        return {}
    return {k: sum(r[k] for r in rows) / len(rows) for k in rows[0]}
