"""Raw model text -> clean bullets -> markdown / plain text / JSON."""

from __future__ import annotations

import json
import re
from difflib import SequenceMatcher

from .chunking import split_sentences
from .reports import BULLET_RE

NEAR_DUPLICATE = 0.85  # word-level similarity at or above which two bullets say the same
_SEPARATORS = re.compile(r"<n>|\n|\s•\s")  # newline, PEGASUS "<n>", inline "•"
_PREAMBLE = re.compile(r"^(here (are|is)|key developments|sure[,!.]|the key developments)\b.*:\s*$", re.I)
# A short heading line the model writes before its answer ("Report:", "The summary:").
_HEADING = re.compile(r"^\W*(\w+\W+){0,3}\w+\W*:\W*$")


def _norm_words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def similar(a: str, b: str) -> float:
    wa, wb = _norm_words(a), _norm_words(b)
    if not wa or not wb:
        return 0.0
    if wa == wb:
        return 1.0
    return SequenceMatcher(None, wa, wb, autojunk=False).ratio()


def split_items(raw: str, by_sentence: bool = False) -> list[str]:
    """Raw text -> candidate items (markers kept off). Sentences split too when the
    family writes prose (BART/T5 join their sentences with spaces) or when asked."""
    items: list[str] = []
    lines = [l.strip() for l in _SEPARATORS.split(raw)]
    lines = [l for l in lines if l and not _PREAMBLE.match(l) and not _HEADING.match(l)]
    has_markers = any(BULLET_RE.match(l) for l in lines)
    for line in lines:
        m = BULLET_RE.match(line)
        body = line[m.end():] if m else line
        if by_sentence or (not has_markers and len(lines) == 1):
            items += split_sentences(body)
        else:
            items.append(body)
    return items


def _tidy(item: str) -> str:
    item = re.sub(r"\s+", " ", item).strip()
    item = re.sub(r"^(?:[-*•·–—]+|\d{1,3}[.)])\s*", "", item)  # stray inner marker
    item = item.strip(" \"'`*_").strip()
    if item and item[0].isalpha() and item[0].islower():
        item = item[0].upper() + item[1:]
    return item


def clean_bullets(raw: str, max_bullets: int | None = None, by_sentence: bool = False,
                  truncated: bool = False) -> list[str]:
    """Model output -> at most `max_bullets` clean, distinct bullets.

    `truncated`: generation stopped at its token limit, so a last item without end
    punctuation is a sentence cut off mid-way; it is dropped when others remain.
    """
    items = split_items(raw, by_sentence=by_sentence)
    if truncated and len(items) > 1 and not re.search(r"[.!?\"”')\]]\s*$", items[-1]):
        items = items[:-1]
    out: list[str] = []
    seen: list[str] = []  # sentences already said, in any bullet
    for item in items:
        item = _tidy(_drop_repeated_sentences(item, seen))
        if not re.search(r"\w", item):
            continue
        if any(similar(item, kept) >= NEAR_DUPLICATE for kept in out):
            continue
        out.append(item)
        if max_bullets is not None and len(out) >= max_bullets:
            break
    return out


def _drop_repeated_sentences(item: str, seen: list[str]) -> str:
    """Small models loop: drop a sentence already said earlier, in this bullet or another."""
    sentences = split_sentences(item)
    if len(sentences) <= 1:
        return item
    kept = []
    for sentence in sentences:
        if not any(similar(sentence, k) >= NEAR_DUPLICATE for k in seen):
            kept.append(sentence)
            seen.append(sentence)
    return " ".join(kept)


def dedupe(bullets: list[str]) -> list[str]:
    """Drop near-duplicates across chunks, keeping first occurrences."""
    out: list[str] = []
    for b in bullets:
        if not any(similar(b, k) >= NEAR_DUPLICATE for k in out):
            out.append(b)
    return out


def to_markdown(bullets: list[str], heading: str = "Key Developments") -> str:
    lines = [f"## {heading}", ""] + [f"- {b}" for b in bullets]
    return "\n".join(lines) + "\n"


def to_text(bullets: list[str]) -> str:
    return "\n".join(f"- {b}" for b in bullets) + ("\n" if bullets else "")


def to_json(bullets: list[str], **extra) -> str:
    return json.dumps({"bullets": bullets, **extra}, ensure_ascii=False, indent=2)
