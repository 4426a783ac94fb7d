"""Article / reference pairs as documents of sentences, read from any file `read_records` reads."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from summarizer.chunking import split_sentences
from summarizer.extractive import split_document
from summarizer.inputs import InputError, clean_text
from summarizer.records import read_records

log = logging.getLogger("training")

ARTICLE_KEYS = ("article", "text", "document", "report")
REFERENCE_KEYS = ("highlights", "summary", "reference", "bullets", "key_developments")


@dataclass
class Doc:
    id: str
    title: str
    sentences: list[str]
    reference: list[str]  # one bullet / sentence per item
    text: str = ""  # the article as read

    @property
    def reference_text(self) -> str:
        return "\n".join(self.reference)


def reference_lines(ref: str | list) -> list[str]:
    """Bullets as a list: a multi-line reference keeps its lines, a paragraph is split into sentences."""
    if isinstance(ref, list):
        return [str(r).strip() for r in ref if str(r).strip()]
    lines = [l.strip() for l in str(ref).split("\n") if l.strip()]
    if len(lines) == 1:
        lines = split_sentences(lines[0])
    return lines


def read_docs(path: str | Path, limit: int | None = None) -> list[Doc]:
    """Documents of a file; with `limit`, that many spread evenly through it (files are often
    sorted by topic, so the first rows would be a biased sample)."""
    docs = []
    for rec in read_records(path):
        if rec.error:
            log.warning("%s line %d skipped: %s", path, rec.line, rec.error)
            continue
        art = next((rec.data[k] for k in ARTICLE_KEYS if rec.data.get(k)), None)
        ref = next((rec.data[k] for k in REFERENCE_KEYS if rec.data.get(k)), None)
        if not art or not ref:
            log.warning("%s line %d skipped: no article or reference", path, rec.line)
            continue
        try:  # read as the summarizer reads it (tokenized text written plainly, HTML reduced, ...)
            art = clean_text(str(art))
        except InputError as e:
            log.warning("%s line %d skipped: %s", path, rec.line, e)
            continue
        title, sentences = split_document(art)
        if sentences:
            docs.append(Doc(str(rec.data.get("id", rec.line)), title, sentences, reference_lines(ref), art))
    if limit and len(docs) > limit:
        docs = [docs[int(i * len(docs) / limit)] for i in range(limit)]
    return docs


def add_data_args(p) -> None:
    """The data flags both trainers take."""
    p.add_argument("--train", nargs="+", required=True,
                   help="JSONL files of article + highlights/summary; the first one's last --holdout rows are held out")
    p.add_argument("--output-dir", required=True)
    p.add_argument("--holdout", type=int, default=100)


def split_holdout(docs: list[Doc], holdout: int) -> tuple[list[Doc], list[Doc]]:
    """(training rows, the last `holdout` rows), so held-out rows never reach training."""
    if not docs:
        raise ValueError("no row has both an article and a reference to train on")
    if holdout >= len(docs):
        raise ValueError(f"holdout {holdout} leaves no training rows of {len(docs)}")
    return docs[:len(docs) - holdout], docs[len(docs) - holdout:]


def check_paths(train: list[str], output_dir: str, validate: list[str] = ()) -> None:
    """Before any training: every input is there and the output folder can be one (not a file)."""
    for f in list(train) + [v.partition(":")[0] for v in validate]:
        if not Path(f).exists():
            raise InputError(f"file not found: {f}")
    out = Path(output_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"--output-dir {out} is a file; name a folder")
