"""Baselines that need no model: the first sentences of the article.

- `lead-N` (lead-1, lead-3, ...): the first N sentences, one per line. Lead-3 is the standard
  news baseline that abstractive systems are expected to beat.
- `lead-k`: as many first sentences as the reference has bullets (a length-matched lead).

Sentences come from the same splitter ROUGE-Lsum uses, so tokenized test sets
("said . 24 hours later") split where a reader would.
"""

from __future__ import annotations

import re

from .rouge import sentence_lines

_LEAD = re.compile(r"^lead-(0*[1-9]\d*|k)$", re.I)


def is_baseline(name: str | None) -> bool:
    return bool(name and _LEAD.match(name.strip()))


def lead(article: str, reference: str, name: str) -> str:
    """The baseline `name` ("lead-3", "lead-k") for one article."""
    m = _LEAD.match(name.strip())
    if not m:
        raise ValueError(f"not a baseline: {name!r} (use lead-N or lead-k)")
    k = len(sentence_lines(reference)) if m.group(1).lower() == "k" else int(m.group(1))
    k = max(1, k)
    return "\n".join(sentence_lines(article)[:k])
