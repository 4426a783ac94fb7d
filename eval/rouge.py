"""ROUGE-1/2/L/Lsum as published papers report it, fast enough to score thousands of pairs.

Tokens come from `rouge_score`'s own tokenizer with the Porter stemmer (lower-case, runs of
non-alphanumerics are spaces, words over 3 letters stemmed), so numbers match `rouge_score`
exactly; the tests check that against `rouge_score.RougeScorer` pair by pair. What is ours:
stems are cached, ROUGE-L uses a bit-parallel LCS length, and ROUGE-Lsum skips sentence
pairs that share no token. That makes scoring about 4x faster than `RougeScorer` in one
process, with no worker pool to start (see benchmarks/bench_rouge.py).

ROUGE-Lsum is summary-level: each sentence or bullet sits on its own line on both sides.
`sentence_lines` puts it there: every line is a unit, and lines holding several sentences
are split with the project's sentence splitter plus a rule for pre-tokenized text
("said . 24 hours later" -> two sentences), which is how CNN/DailyMail test data is shipped.
Plain ROUGE-L ignores line breaks and reads about 10 points lower; say which one you report.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from typing import Sequence

from rouge_score import tokenize as rs_tokenize
from rouge_score.scoring import Score

from summarizer.chunking import split_sentences

from .stats import bootstrap_ci

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")
VARIANT = ("F1 x 100, mean over articles; rouge_score tokenizer with Porter stemming; rougeL is "
           "the LCS over the whole text (line breaks ignored); rougeLsum is summary-level LCS "
           "with each sentence or bullet on its own line in prediction and reference")
ZERO = Score(0.0, 0.0, 0.0)

# A stand-alone ".", "!" or "?" token followed by a word: a sentence end in tokenized text.
_TOKENIZED_END = re.compile(r"(?<=\s[.!?])\s+(?=[^\s.!?])")
# Where a sentence could end inside a line; lines without one (most bullets) skip the splitter.
_MAYBE_END = re.compile(r"[.!?\u2026][\"'\u2019\u201d)\]]*\s+\S")


# ---- tokens ----------------------------------------------------------------------------------
class _CachedStemmer:
    """Porter stemming is most of rouge_score's tokenizing time; words repeat, so cache them."""

    def __init__(self) -> None:
        from nltk.stem import porter  # the stemmer rouge_score uses; needs no nltk data

        self.stem = lru_cache(maxsize=1 << 18)(porter.PorterStemmer().stem)


_STEMMER: _CachedStemmer | None = None


def tokens(text: str, stem: bool = True) -> tuple[str, ...]:
    """rouge_score's tokens of `text` (stemmed like `RougeScorer(use_stemmer=True)`)."""
    global _STEMMER
    if stem and _STEMMER is None:
        _STEMMER = _CachedStemmer()
    return tuple(rs_tokenize.tokenize(text, _STEMMER if stem else None))


def sentence_lines(text: str) -> list[str]:
    """The units of ROUGE-Lsum: each line, split further into its sentences."""
    return list(_sentence_lines(text))


@lru_cache(maxsize=8192)  # the same texts are split for ROUGE, lengths and proxies
def _sentence_lines(text: str) -> tuple[str, ...]:
    units: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        for sentence in split_sentences(line) if _MAYBE_END.search(line) else [line]:
            units += [u.strip() for u in _TOKENIZED_END.split(sentence) if u.strip()]
    return tuple(units)


def lsum_text(text: str) -> str:
    """`text` with one sentence or bullet per line, ready for any ROUGE-Lsum scorer."""
    return "\n".join(sentence_lines(text))


# ---- the four scores -------------------------------------------------------------------------
def _score(hits: int, ref_len: int, pred_len: int) -> Score:
    precision = hits / pred_len if pred_len else 0.0
    recall = hits / ref_len if ref_len else 0.0
    f = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Score(precision, recall, f)


def _ngrams(toks: Sequence[str], n: int) -> Counter:
    return Counter(tuple(toks[i:i + n]) for i in range(len(toks) - n + 1))


def _rouge_n(ref: Sequence[str], pred: Sequence[str], n: int) -> Score:
    r, p = _ngrams(ref, n), _ngrams(pred, n)
    return _score(sum((r & p).values()), sum(r.values()), sum(p.values()))


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence, bit-parallel over `b` (Hyyro's recurrence)."""
    if not a or not b:
        return 0
    masks: dict[str, int] = {}
    for i, tok in enumerate(b):
        masks[tok] = masks.get(tok, 0) | (1 << i)
    full = (1 << len(b)) - 1
    v = full
    for tok in a:
        m = masks.get(tok)
        if m:
            u = v & m
            v = ((v + u) | (v - u)) & full
    return len(b) - bin(v).count("1")


def _lcs_ref_indices(ref: Sequence[str], cand: Sequence[str]) -> list[int]:
    """Positions in `ref` of one LCS with `cand`, chosen by the same walk-back as rouge_score."""
    prev = [0] * (len(cand) + 1)
    table = [prev]
    for r in ref:
        cur = [0]
        for j, c in enumerate(cand):
            if r == c:
                cur.append(prev[j] + 1)
            else:
                left, up = cur[j], prev[j + 1]
                cur.append(left if left > up else up)
        table.append(cur)
        prev = cur
    i, j, out = len(ref), len(cand), []
    while i > 0 and j > 0:
        if ref[i - 1] == cand[j - 1]:
            out.append(i - 1)
            i, j = i - 1, j - 1
        elif table[i][j - 1] > table[i - 1][j]:
            j -= 1
        else:
            i -= 1
    return out


def _rouge_lsum(ref_sents: list[tuple[str, ...]], pred_sents: list[tuple[str, ...]]) -> Score:
    """Summary-level LCS: union of each reference sentence's LCS with every predicted sentence."""
    m, n = sum(map(len, ref_sents)), sum(map(len, pred_sents))
    if not m or not n:
        return ZERO
    left_ref, left_pred = Counter(), Counter()
    for s in ref_sents:
        left_ref.update(s)
    for s in pred_sents:
        left_pred.update(s)
    pred_sets = [set(s) for s in pred_sents]
    hits = 0
    for r in ref_sents:
        r_set = set(r)
        union: set[int] = set()
        for c, c_set in zip(pred_sents, pred_sets):
            if r_set & c_set:
                union.update(_lcs_ref_indices(r, c))
        for i in sorted(union):
            t = r[i]
            if left_pred[t] > 0 and left_ref[t] > 0:
                hits += 1
                left_pred[t] -= 1
                left_ref[t] -= 1
    return _score(hits, m, n)


def score_pair(prediction: str, reference: str, stem: bool = True, split: bool = True) -> dict[str, Score]:
    """ROUGE-1/2/L/Lsum of one prediction against one reference (fractions, not x100).

    `split=False` scores Lsum on the lines as given (for texts already one sentence per line).
    """
    ref_lines = sentence_lines(reference) if split else [l for l in reference.split("\n") if l]
    pred_lines = sentence_lines(prediction) if split else [l for l in prediction.split("\n") if l]
    ref_sents = [tokens(l, stem) for l in ref_lines]
    pred_sents = [tokens(l, stem) for l in pred_lines]
    ref = tuple(t for s in ref_sents for t in s)
    pred = tuple(t for s in pred_sents for t in s)
    return {
        "rouge1": _rouge_n(ref, pred, 1),
        "rouge2": _rouge_n(ref, pred, 2),
        "rougeL": _score(lcs_length(ref, pred), len(ref), len(pred)) if ref and pred else ZERO,
        "rougeLsum": _rouge_lsum(ref_sents, pred_sents),
    }


def score_all(predictions: Sequence[str], references: Sequence[str], stem: bool = True,
              split: bool = True, engine: str = "fast") -> list[dict[str, Score]]:
    """Scores of every pair. engine="rouge_score" runs the stock `RougeScorer` (slower, same numbers)."""
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions for {len(references)} references")
    if engine == "fast":
        return [score_pair(p or "", r or "", stem, split) for p, r in zip(predictions, references)]
    if engine != "rouge_score":
        raise ValueError(f"unknown engine {engine!r}; use 'fast' or 'rouge_score'")
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=stem)
    prep = lsum_text if split else (lambda t: t)
    return [scorer.score(prep(r or ""), prep(p or "")) for p, r in zip(predictions, references)]


def score_pairs(predictions: list[str], references: list[str]) -> dict:
    """Mean F1 x 100 for rouge1/rouge2/rougeL/rougeLsum (Porter stemming, Lsum split by sentence)."""
    per = score_all(predictions, references)
    n = max(1, len(per))
    return {t: 100.0 * sum(s[t].fmeasure for s in per) / n for t in ROUGE_TYPES}


def as_percent(scores: dict[str, Score]) -> dict[str, dict[str, float]]:
    """{type: {"precision", "recall", "f1"}} x 100, rounded for JSON lines."""
    return {t: {"precision": round(100 * s.precision, 4), "recall": round(100 * s.recall, 4),
                "f1": round(100 * s.fmeasure, 4)} for t, s in scores.items()}


def aggregate(per_article: list[dict[str, dict[str, float]]], bootstrap: int = 1000,
              seed: int = 0) -> dict[str, dict]:
    """Mean precision/recall/F1 (x 100) over articles, with a 95% bootstrap CI on the mean F1."""
    out: dict[str, dict] = {}
    for t in ROUGE_TYPES:
        f1 = [a[t]["f1"] for a in per_article]
        n = len(f1)
        lo, hi = bootstrap_ci(f1, n_resamples=bootstrap, seed=seed)
        out[t] = {
            "f1": round(sum(f1) / n, 4) if n else 0.0,
            "precision": round(sum(a[t]["precision"] for a in per_article) / n, 4) if n else 0.0,
            "recall": round(sum(a[t]["recall"] for a in per_article) / n, 4) if n else 0.0,
            "ci95": [round(lo, 4), round(hi, 4)],
        }
    return out
