"""Say a chosen sentence in fewer words, by deleting words only.

Two steps, so the output stays grammatical and can invent nothing:

1. `summarizer.spans.candidate_spans` proposes what may go: whole constituents found by shallow rules (an aside
   in brackets or dashes, a phrase between two commas, an opening adverbial or connective, a
   trailing clause or attribution, a time expression, a trailing prepositional phrase, an
   adverb, an "X said" that opens the sentence). A span never splits a number or name from the
   words around it, and never holds half a quotation.
2. A trained token tagger (`DeletionModel`) gives each word a probability of being deleted: a
   logistic head over MiniLM word states (all-MiniLM-L6-v2, frozen, run in numpy) and a few
   hand features. A span goes when its words' mean probability reaches a threshold, best spans
   first, as long as enough words remain.

`clean` drops web furniture, datelines and bylines first (deterministic, no model).
`training/compressor.py` fits the head on deletion alignments between reference bullets and
their source sentences.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from .minilm import MINILM_PACKAGE, MiniLM
from .spans import DASHES, END, QUOTES, SAY, SPAN_KINDS, Span, Token, candidate_spans, names_a_source, tokenize

HEAD_NAME = "compressor.safetensors"

# ---- cleaning (deterministic) ----------------------------------------------------------------
# Text may be plain ("(CNN) -- Police said, ...") or tokenized as in CNN/DM test sets
# ("( CNN ) -- Police said , ..."): every pattern allows optional spaces before punctuation.

# "(CNN)" with or without a dash after it; a news agency ("(Reuters) --", "(AP) —") only with one.
# Only named agencies: "Sen. John McCain (R-Arizona) -- the nominee -- said" keeps its subject.
_WIRES = (r"Reuters|AP|AFP|UPI|Bloomberg|dpa|Xinhua|PA|EFE|ANSA|Kyodo|Yonhap|TASS|Interfax|EW\.com|Mashable|"
          r"PTI|IANS|ANI|UNI")
_DATELINE = re.compile(
    r"^(?:[A-Z][\w.'’-]*(?:[ ,]+[A-Z][\w.'’-]*){0,5}\s*,?\s*)?(?:\(\s*CNN(?:\s+\w+)?\s*\)\s*(?:--|—|–|-|:)?"
    r"|\(\s*(?:" + _WIRES + r")\s*\)\s*(?:--|—|–))\s*")
# "New Delhi, Aug 1 (PTI)": place, date and agency, with no dash after it; maybe the writer's name
# before it ("From K J M Varma Beijing, Jan 27 (PTI)").
_DATED_WIRE = re.compile(r"^(?:From (?:[A-Z][\w.'’-]* ){1,5})?[A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*){0,3}\s*,\s*[A-Z][a-z]{2,8}\.? \d{1,2}\s*"
                         r"\(\s*(?:" + _WIRES + r")\s*\)\s*:?\s*")
# "NEW YORK --", "NAIROBI, Kenya —", "WASHINGTON, June 12 —", "SPRINGFIELD, Ill., Oct. 12, 2024 /PRNewswire/ --":
# a place in capitals, maybe its region, a date and a wire's name, then a dash.
_CAPS_DATELINE = re.compile(
    # before " - " the place has five letters or more, or its region ("NATO - The alliance" is a subject)
    r"^(?=[A-Z][A-Z .'’-]{4,}(?:\s*\([^)]{1,30}\))?\s-\s"
    r"|[A-Z][A-Z.'’-]+(?: [A-Z][A-Z.'’-]+){0,3}\s*,|.*?(?:--|—|–))"
    r"[A-Z][A-Z.'’-]{2,}(?: [A-Z][A-Z.'’-]+){0,3}"  # the place
    r"(?:\s*,\s*[A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*){0,2})?"  # its region
    r"(?:\s*,\s*[A-Z][a-z]{2,8}\.? \d{1,2}(?:\s*,\s*\d{4})?)?"  # a date
    r"\s*(?:/[^/]{2,30}/|\([A-Z][\w .&-]{1,30}\))?"  # a wire's name
    # the dash; a spaced hyphen with another after it opens an aside ("EADS - Airbus' owner - admitted")
    r"(?:\s*(?:--|—|–)\s*|\s+-\s+(?=[A-Z\"“])(?!.*\s-\s))")
# a live blog's clock time opening an entry: "14:05 GMT - ", "9.30am: "
_CLOCK = re.compile(r"^(?:[01]?\d|2[0-3])[:.][0-5]\d\s*(?:[aApP]\.?[mM]\.?)?\s*(?:[A-Z]{2,4}\b)?"
                    r"\s*(?:--|—|–|-|:)\s+(?=\S)")
_BYLINE = re.compile(
    r"^(?:By\s*\.\s*[^.]{1,80}?\s*\.\s*)?(?:(?:PUBLISHED|UPDATED|Last updated)\s*:?[^|]*?\d{4}\s*\.?\s*\|?\s*\.?\s*)+",
    re.I)
_BY_ONLY = re.compile(r"^By\s*\.\s*[A-Z][^.]{1,60}?\s*\.\s*(?:and\s*\.\s*[A-Z][^.]{1,60}?\s*\.\s*)?(?=[A-Z])")
_BOILERPLATE = re.compile(r"^(?:(?:Read|Watch|Click|Follow|See|Scroll|Sign up|Subscribe|Like us|Share|Join us|"
                          r"Check out)\s|(?:Related|More|MORE)\s*:|(?i:also\s+(?:read|see|watch)|read\s+more)\b)")
_ORPHAN_QUOTE = re.compile(r"^(?:'|’|”|''|\")\s+(?=\S)")  # a closing quote the splitter moved to the next sentence


def tokenized(s: str) -> bool:
    """CNN/DM test-set style: punctuation split off by spaces."""
    return bool(re.search(r"\w [,.;:!?]( |$)", s))


# A sentence that only points to the list after it ("The plan includes the following:").
_POINTS_ON = re.compile(r"\b(?:following|these|those|below|as follows|includes?|including|are|were|is|was)\s*:$", re.I)


def clean(sentence: str) -> str:
    """The sentence without dateline, byline or a stray closing quote; "" for web furniture."""
    s = re.sub(r"\s+", " ", sentence).strip()
    s = _ORPHAN_QUOTE.sub("", s)
    if _BOILERPLATE.match(s):
        return ""
    first = s.split(" ", 1)[0]
    s = _BY_ONLY.sub("", _BYLINE.sub("", s))
    s = _CLOCK.sub("", s, count=1)
    s = _CAPS_DATELINE.sub("", _DATELINE.sub("", _DATED_WIRE.sub("", s, count=1), count=1), count=1).strip()
    if not re.search(r"\w", s):
        return ""
    if s.endswith(":") and len(s.split()) >= 10 and not _POINTS_ON.search(s):
        s = s[:-1].rstrip() + "."  # "... approved three measures to close the gap:" says it whole
    return s if s.split(" ", 1)[0] == first else capitalise(s)


def capitalise(s: str) -> str:
    """Upper-case a plain lower-case first word ("the" -> "The", but "iPhone" stays)."""
    word = s.split(" ", 1)[0]
    return s[0].upper() + s[1:] if word[:1].islower() and word == word.lower() else s


# ---- hand features per token ------------------------------------------------------------------

HAND_FEATURES = ("bias", "punct", "number", "capital", "first", "position", "log_len", "quote_inside",
                 *(f"in_{k}" for k in SPAN_KINDS), "n_spans", "say_word", "stopword")
_STOP = frozenset("a an the of to in on at for with by from and or but is are was were be been has have had it its "
                  "this that which who he she they his her their".split())


def hand_features(toks: list[Token], spans: list[Span]) -> np.ndarray:
    n = len(toks)
    x = np.zeros((n, len(HAND_FEATURES)), dtype=np.float32)
    col = {name: k for k, name in enumerate(HAND_FEATURES)}
    inside_quote = False
    for i, t in enumerate(toks):
        w = t.text
        if w in {'"', "``", "''", "“", "”"}:
            inside_quote = not inside_quote if w in {'"'} else w in {"``", "“"}
        x[i, col["bias"]] = 1
        x[i, col["punct"]] = not t.is_word
        x[i, col["number"]] = any(ch.isdigit() for ch in w)
        x[i, col["capital"]] = i > 0 and w[:1].isupper()
        x[i, col["first"]] = i == 0
        x[i, col["position"]] = i / max(1, n - 1)
        x[i, col["quote_inside"]] = inside_quote
        x[i, col["say_word"]] = w.lower() in SAY
        x[i, col["stopword"]] = w.lower() in _STOP
    x[:, col["log_len"]] = math.log1p(n) / 5
    for s in spans:
        x[s.start:s.end, col[f"in_{s.kind}"]] = 1
        x[s.start:s.end, col["n_spans"]] += 0.25
    return x


# ---- the deletion model ------------------------------------------------------------------------

@dataclass
class CompressorConfig:
    """Settings stored in extractive.json under "compressor"; the head's weights in compressor.safetensors."""
    encoder: str | None = MINILM_PACKAGE  # None: hand features only (no MiniLM)
    encoder_layers: int = 6
    threshold: float = 0.5  # a span goes when its words' mean deletion probability reaches this
    min_words: int = 8  # never cut a sentence below this many words
    min_ratio: float = 0.4  # ... nor below this share of its words
    kinds: list[str] = field(default_factory=lambda: list(SPAN_KINDS))
    features: list[str] = field(default_factory=lambda: list(HAND_FEATURES))


@dataclass
class Compressed:
    text: str
    source: str
    deleted: list[Span]


class DeletionModel:
    """Token tagger (keep/delete) + constituent spans -> a shorter sentence."""

    def __init__(self, config: CompressorConfig, weight: np.ndarray, bias: float, mean: np.ndarray,
                 scale: np.ndarray, encoder: MiniLM | None = None):
        self.config = config
        self.weight, self.bias = weight.astype(np.float32), float(bias)
        self.mean, self.scale = mean.astype(np.float32), scale.astype(np.float32)
        self.encoder = encoder
        if config.encoder and encoder is None:
            self.encoder = MiniLM.from_package(config.encoder, config.encoder_layers)
        width = len(HAND_FEATURES) + (384 if config.encoder else 0)
        if list(config.features) != list(HAND_FEATURES) or self.weight.shape != (width,):
            raise ValueError(f"the compressor head ({self.weight.shape}) does not fit this version's features")

    @classmethod
    def load(cls, folder: str | Path, config: dict) -> "DeletionModel":
        from safetensors.numpy import load_file

        t = load_file(str(Path(folder) / HEAD_NAME))
        return cls(CompressorConfig(**config), t["weight"], float(t["bias"][0]), t["mean"], t["scale"])

    def save(self, folder: str | Path) -> dict:
        from safetensors.numpy import save_file

        save_file({"weight": self.weight, "bias": np.asarray([self.bias], np.float32), "mean": self.mean,
                   "scale": self.scale}, str(Path(folder) / HEAD_NAME))
        return asdict(self.config)

    def features(self, sentences: Sequence[list[Token]], spans: Sequence[list[Span]]) -> list[np.ndarray]:
        hand = [hand_features(t, s) for t, s in zip(sentences, spans)]
        if not self.encoder:
            return hand
        states = self.encoder.word_states(sentences)
        return [np.concatenate([h, e], axis=1) for h, e in zip(hand, states)]

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        z = ((x - self.mean) / self.scale) @ self.weight + self.bias
        return 1.0 / (1.0 + np.exp(-z))

    def analyse(self, sentences: Sequence[str], memo: dict | None = None) -> list[tuple]:
        """(tokens, spans, P(delete)) of each sentence; `memo` keeps them for the caller's next ask
        (the planner asks again for a harder cut of a sentence over the budget, and MiniLM is most
        of a summary's time)."""
        memo = {} if memo is None else memo
        todo = [s for s in dict.fromkeys(sentences) if s not in memo]
        if todo:
            toks = [tokenize(s) for s in todo]
            spans = [[s for s in candidate_spans(t) if s.kind in self.config.kinds] for t in toks]
            for s, t, sp, x in zip(todo, toks, spans, self.features(toks, spans)):  # features see every span
                memo[s] = (t, sp, self.probabilities(x))
        return [memo[s] for s in sentences]

    def compress_many(self, sentences: Sequence[str], threshold: float | None = None,
                      careful: bool = False, memo: dict | None = None) -> list[Compressed]:
        """`careful`: no span that names who said it or holds a figure goes (for cuts below the
        trained threshold, where a claim would too easily lose its source and read as fact, or
        lose its news: ", killing at least 30 people,")."""
        threshold = self.config.threshold if threshold is None else threshold
        out = []
        for s, (toks, spans, p) in zip(sentences, self.analyse(sentences, memo)):
            spans = careful_spans(toks, spans) if careful else spans
            out.append(decide(s, toks, spans, p, threshold, self.config.min_words, self.config.min_ratio))
        return out

    def compress(self, sentence: str) -> str:
        return self.compress_many([sentence])[0].text


def careful_spans(toks: list[Token], spans: list[Span]) -> list[Span]:
    """The spans a harder cut may take: none that names who said it or holds a figure."""
    return [s for s in spans if not names_a_source(toks, s)
            and not any(c.isdigit() for t in toks[s.start:s.end] for c in t.text)]


def decide(sentence: str, toks: list[Token], spans: list[Span], p_delete: np.ndarray, threshold: float,
           min_words: int = 8, min_ratio: float = 0.4) -> Compressed:
    """Delete the spans whose words' mean deletion probability reaches `threshold`, best first,
    while at least max(min_words, min_ratio x words) words remain; nested spans are fine,
    crossing ones are not."""
    is_word = np.array([t.is_word for t in toks], dtype=bool)
    n_words = int(is_word.sum())
    floor = max(min_words, math.ceil(min_ratio * n_words))
    scored = []
    for s in spans:
        w = is_word[s.start:s.end]
        if w.any():  # an opening "But"/"However" always goes: a bullet stands alone
            scored.append((1.0 if s.kind == "connective" else float(p_delete[s.start:s.end][w].mean()), s))
    keep = np.ones(len(toks), dtype=bool)
    deleted: list[Span] = []
    for score, s in sorted(scored, key=lambda x: -x[0]):
        if score < threshold:
            break
        if any(not (s.end <= d.start or d.end <= s.start or (d.start <= s.start and s.end <= d.end)
                    or (s.start <= d.start and d.end <= s.end)) for d in deleted):
            continue
        if s.kind == "inner" and any(d.kind == "inner" and (abs(d.end - s.start) <= 1 or abs(s.end - d.start) <= 1)
                                     for d in deleted):
            continue  # two asides side by side ("Smith, 54, a teacher, ..."): one goes, the other keeps the commas
        trial = keep.copy()
        trial[s.start:s.end] = False
        if int((trial & is_word).sum()) < floor and s.kind != "connective":  # one word: no floor
            continue
        keep = trial
        deleted.append(s)
    return Compressed(render(sentence, toks, keep), sentence, sorted(deleted, key=lambda s: s.start))


def render(sentence: str, toks: list[Token], keep: np.ndarray) -> str:
    """The kept tokens with their original spacing; punctuation left stranded by a deletion
    (a leading comma, ", ,", a comma before the full stop) goes too, and a sentence that lost
    its start gets a capital."""
    if keep.all():
        return sentence.strip()
    kept = [i for i in range(len(toks)) if keep[i]]
    # stranded punctuation: at the start, doubled, or before the end
    out: list[int] = []
    for i in kept:
        t = toks[i].text
        if t in (",", ";", ":") or t in DASHES:
            if not out or toks[out[-1]].text in (",", ";", ":") or toks[out[-1]].text in DASHES:
                continue
        if t in END and out and (toks[out[-1]].text in (",", ";", ":") or toks[out[-1]].text in DASHES):
            out.pop()
        out.append(i)
    while out and (toks[out[-1]].text in (",", ";", ":") or toks[out[-1]].text in DASHES):
        out.pop()
    pieces = []
    for k, i in enumerate(out):
        gap = "" if k == 0 else (sentence[toks[out[k - 1]].end:toks[i].start] if i == out[k - 1] + 1 else " ")
        if k and i != out[k - 1] + 1 and (not toks[i].is_word and toks[i].text not in QUOTES | {"(", "["}
                                          and toks[i].text not in DASHES) and not tokenized(sentence):
            gap = ""
        pieces.append(gap + toks[i].text)
    text = "".join(pieces).strip()
    if text and not re.search(r"[.!?\"”’')]$", text):
        text += " ." if tokenized(sentence) else "."
    first_kept = out[0] if out else 0
    return capitalise(text) if first_kept > 0 else text
