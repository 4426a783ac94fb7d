"""How well the source supports each bullet: a score in [0, 1], a warning, and the evidence.

Three lexical signals per bullet, each 0 for a sentence copied from the source:

- `novel_bigrams`: share of the bullet's word pairs that never occur in the source (a new
  combination of words is where an abstractive summarizer goes wrong);
- `uncovered`: share of the bullet's words that its best one or two source sentences
  (`evidence.find_support`) do not cover in order (longest common subsequence);
- `facts`: numbers, dates and names the source does not back (`facts.unsupported`).

    score = exp(-(w1 * novel_bigrams + w2 * uncovered + w3 * facts))

so a copied sentence scores 1 and every gap lowers it. The weights and the warning
threshold come from `support.json`, fitted by `eval/calibrate_support.py` on SummEval human
consistency labels with folds grouped by article: a bullet is warned when its score is below
the threshold, set so that about 5% of the summaries experts rated fully consistent get a
warning. A bullet whose words all occur in order in one source sentence (a copy, or a
shortening by deleting words) is never warned: its score is at least `copy_floor`, above the
threshold. An unsupported number or name alone puts a bullet below the threshold.

On SummEval the summary mean of these scores correlates with expert consistency about as
well as an NLI model (Spearman ~0.43), in tens of milliseconds per report. It is lexical:
a faithful paraphrase scores lower than a copy (heavily reworded bullets, such as human
CNN highlights, are warned more often than not), and a wrong statement made of source words
in source order scores high. A SmolLM2 likelihood ratio and MiniLM similarity were tried on
the same data: weaker alone, no gain in combination, and seconds per report on a CPU.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from . import facts
from .evidence import find_support, source_sentences

CALIBRATION = Path(__file__).with_name("support.json")
FEATURES = ("novel_bigrams", "uncovered", "facts")

_TOKEN = re.compile(r"[^\W_]+")  # lower-case letter/digit runs: "team 's" and "team's" agree
_STOP = frozenset("""a an the and or but of to in on at by for from with as is are was were be
been has have had it its that this he she they his her their s""".split())


@dataclass
class BulletSupport:
    """The support of one bullet."""
    score: float  # 1 = every word pair and word order found in the cited sentences
    warn: bool  # score below the calibrated threshold
    sentences: list[tuple[int, int]]  # character spans of the supporting source sentences
    unsupported: list[str]  # numbers, dates, names the source lacks, then uncovered phrases
    features: dict[str, float] = field(default_factory=dict)


@dataclass
class Calibration:
    """Weights of the signals and the warning threshold (see `support.json`)."""
    weights: dict[str, float]
    threshold: float
    copy_floor: float

    @classmethod
    def load(cls, path: str | Path = CALIBRATION) -> "Calibration":
        d = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(weights=d["weights"], threshold=d["threshold"], copy_floor=d["copy_floor"])

    def score(self, feats: dict[str, float], copy: bool = False) -> float:
        s = math.exp(-sum(self.weights[k] * feats[k] for k in FEATURES))
        return max(s, self.copy_floor) if copy else s


@lru_cache(maxsize=4)
def default_calibration() -> Calibration:
    return Calibration.load()


def _tokens(text: str) -> list[re.Match]:
    return list(_TOKEN.finditer(text))


def _words(text: str) -> list[str]:
    return [m.group().lower() for m in _TOKEN.finditer(text)]


def _lcs_matched(a: list[str], b: list[str]) -> list[bool]:
    """For each item of `a`: is it part of one longest common subsequence with `b`?"""
    n, m = len(a), len(b)
    dp = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        row, below = dp[i], dp[i + 1]
        for j in range(m - 1, -1, -1):
            row[j] = below[j + 1] + 1 if a[i] == b[j] else max(below[j], row[j + 1])
    matched, i, j = [False] * n, 0, 0
    while i < n and j < m:
        if a[i] == b[j]:
            matched[i] = True
            i, j = i + 1, j + 1
        elif dp[i + 1][j] >= dp[i][j + 1]:
            i += 1
        else:
            j += 1
    return matched


def _is_subsequence(words: list[str], sentence: list[str]) -> bool:
    it = iter(sentence)
    return all(w in it for w in words)


class SourceIndex:
    """A source indexed once for many bullets."""

    def __init__(self, text: str):
        self.text = text
        self.facts = facts.SourceFacts(text)
        self.spans = source_sentences(text)
        self.words = {span: _words(text[span[0]:span[1]]) for span in self.spans}
        all_words = _words(text)
        self.bigrams = set(zip(all_words, all_words[1:]))
        self.vocab = set(all_words)

    def is_copy(self, words: list[str]) -> bool:
        """Do all the words occur, in order, in one source sentence?"""
        if not words or not set(words) <= self.vocab:
            return False
        return any(_is_subsequence(words, ws) for ws in self.words.values())


def _uncovered_phrases(bullet: str, toks: list[re.Match], matched: list[bool]) -> list[str]:
    """Runs of bullet words outside the alignment, as written, without function words at
    their edges ("citing the" -> "citing"); runs of function words alone are left out."""
    out, run = [], []
    for tok, ok in zip(toks + [None], matched + [True]):
        if tok is not None and not ok:
            run.append(tok)
            continue
        while run and run[0].group().lower() in _STOP:
            run.pop(0)
        while run and run[-1].group().lower() in _STOP:
            run.pop()
        if run:
            out.append(bullet[run[0].start():run[-1].end()])
        run = []
    return out


def bullet_features(bullet: str, src: SourceIndex, spans: list[tuple[int, int]]) -> tuple[dict[str, float], bool, list[str]]:
    """(signals, is it a copy, unsupported items) for one bullet and its supporting spans."""
    toks = _tokens(bullet)
    words = [t.group().lower() for t in toks]
    pairs = list(zip(words, words[1:]))
    novel = sum(p not in src.bigrams for p in pairs) / len(pairs) if pairs else 0.0
    cited = [w for span in sorted(spans) for w in src.words.get(span, [])]
    matched = _lcs_matched(words, cited) if words else []
    uncovered = 1 - sum(matched) / len(words) if words else 0.0
    missing = facts.unsupported(bullet, src.facts)
    items = [f.text for f in missing]
    items += [p for p in _uncovered_phrases(bullet, toks, matched) if p not in items]
    feats = {"novel_bigrams": novel, "uncovered": uncovered, "facts": float(len(missing))}
    return feats, src.is_copy(words), items


def score_bullets(bullets: list[str], source: str,
                  calibration: Calibration | None = None) -> list[BulletSupport]:
    """The support of each bullet by `source` (its score, warning and evidence)."""
    cal = calibration or default_calibration()
    src = SourceIndex(source)
    out = []
    for bullet, sup in zip(bullets, find_support(bullets, source)):
        feats, copy, items = bullet_features(bullet, src, sup.spans)
        score = round(cal.score(feats, copy), 4)
        out.append(BulletSupport(score=score, warn=score < cal.threshold,
                                 sentences=list(sup.spans), unsupported=items, features=feats))
    return out
