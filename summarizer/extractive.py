"""Extractive Key Developments: plan which sentences to say, then say them in fewer words.

Plan: a small trained scorer (logistic regression over position, length, overlap and
centrality features; `training/selector.py` fits it and writes `extractive.json`) ranks the
sentences. The planner then takes the best ones that are worth a bullet (no fragments, tweets,
bylines, captions or commentary) and say something new (no two bullets about the same fact).
A report in the house format is planned across its Full Report: one development per section
(the lede counts as one) before a second from any; "Context & Previous Events" only when nothing
new is left. A plain article is planned as a whole.

Say: each chosen sentence is shortened by the deletion model of `summarizer.compress`, which
only deletes whole constituents, so a bullet carries no word, number or name that its source
sentence does not.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from functools import lru_cache, partial
from pathlib import Path
from typing import Sequence

import numpy as np

from .chunking import split_sentences
from .compress import HEAD_NAME, DeletionModel, clean
from .minilm import MissingEncoder
from .facts import extract as extract_facts
from .inputs import unspaced
from .reports import Report, parse_report

CONFIG_NAME = "extractive.json"
COMPRESSOR_NAME = "compressor.json"
FIT = 0.2  # how much lower the deletion threshold goes to fit a sentence into the word budget or ceiling
SLACK = 1.15  # a bullet may overflow the word budget by this factor rather than be lost
FLOOR = 2 / 3  # below this share of the budget (40 of 60 words) a summary takes another bullet though it overflows,
CAP = 1.5  # ... as long as it stays within this share (90 of 60 words)
SWAP_MARGIN = 1.0  # a bullet traded to fit the ceiling goes only for one scored at most this much lower (logits)
log = logging.getLogger(__name__)
_EVAL_WORD = re.compile(r"[^\W_]+")


def n_words(text: str) -> int:
    """Words as the evaluation counts them (ROUGE's alphanumeric runs: "team's" and "0-0" are two
    each), so the word budget means the length that is reported."""
    return len(_EVAL_WORD.findall(text))


# ---- sentences -------------------------------------------------------------------------------

_HEADING_END = re.compile(r"[.!?:;,\"”’')\]。！？।]$")
_BULLET = re.compile(r"^\s*(?:[-*•·–—▪●◦]|\(?\d{1,3}[.)])\s+")


def is_heading(line: str, max_words: int = 14) -> bool:
    """A short line without end punctuation: a title or section heading, not a sentence."""
    s = line.strip().lstrip("#").strip()
    return bool(s) and len(s.split()) <= max_words and not _HEADING_END.search(s)


def _says_something(line: str) -> bool:
    """Three words or more ("Liverpool 3 Everton 0" does not)."""
    return len(re.findall(r"[^\W\d_]{2,}", line)) >= 3


def split_document(text: str) -> tuple[str, list[str]]:
    """(title, sentences): lines are split first so headings never glue onto a sentence, and an
    interviewer's lines ("REPORTER: ...", "Q: ...") are left out. Short
    lines without a full stop (list items, headlines) are sentences only when no other sentence
    could be a bullet, the first line too; then each needs three words. The first line is a title
    up to 14 words, or 30 when a blank line follows it (a web headline); a later one a heading up to 14."""
    title = ""
    sentences: list[str] = []
    short: list[str] = []
    apart = bool(re.match(r"\s*[^\n]*\n[^\S\n]*\n", text.replace("\r\n", "\n")))
    for line in re.split(r"\n+", text.replace("\r", "\n")):
        if _INTERVIEWER.match(line):
            continue  # an interviewer's turn asks and greets; the answers hold the news
        item = bool(_BULLET.match(line))
        line = _BULLET.sub("", line).strip()
        if not line:
            continue
        first = not title and not sentences and not item
        # a web headline runs to 20 words and more; so long, it must stand apart (a blank line after it)
        if is_heading(line, 30 if first and apart else 14):
            if first:
                title = line.lstrip("#").strip()
            elif _says_something(line):
                short.append(line.lstrip("#").strip())
            continue
        sentences += split_sentences(line)
    if not sentences:  # only short lines (a headline list, one sentence without its full stop): they are the text
        return title, ([title] if title and _says_something(title) else []) + short
    if any(worth(clean(s)) for s in sentences) or len(short) < 2:
        return title, sentences
    return title, sentences + short


def report_parts(report: Report) -> tuple[str, list[str], list[str]]:
    """(title, sentences, the part each comes from): "lede", a Full Report heading, or "context".
    A plain article is one part, "" (its first heading line, if any, is the title)."""
    if not report.is_structured:
        title, sents = split_document(report.text)
        return title, sents, [""] * len(sents)
    sents, parts = [], []
    for name, body in [("lede", report.lede), *[(h or "section", b) for h, b in report.sections],
                       ("context", report.context)]:
        s = split_document(body)[1]
        sents += s
        parts += [name] * len(s)
    return report.title, sents, parts


# ---- bullet-worthiness -----------------------------------------------------------------------
# Pieces of a web page that are not news, and commentary that carries no development.
_FRAGMENT = re.compile(
    r"(?:^|\s)[#@]\w|pic\.twitter|^(?:By|Photo|Picture|Pictured|Image|Video|Credit|Source|"
    r"Scroll|Click|Follow|Read|Watch|Download|Sign up|Share|Comments?|Updated|Published|Last updated)\b|"
    r"^(?:(?:Additional )?reporting|Writing|Editing|Edited|Written|Compiled) by (?-i:[A-Z])[^,]*$|"  # a credit line
    r"\bcontributed to this (?:report|story)\b|"
    r"\(\s*(?:pictured|left|right|centre|center|above|below|file photo)\s*\)\s*[.!]?\s*$|"
    r"\b(?-i:Getty Images|AFP|Reuters|AP|PA|EPA)\s*[.)]{0,2}\s*$|\bCLICK HERE\b", re.I)
# A photo caption: a named subject in the present tense of a pose or gesture, on a day or during an
# event ("President Bush pauses Tuesday during a news conference", "Isaac Arellano holds a candle
# and sings during a fundraiser"). News is told in the past tense; both cues are needed, and the
# subject must be a name, not "He", "The" or "That".
_CAPTION = re.compile(
    r"^(?!(?:He|She|It|They|We|I|You|This|That|These|Those|There|The|A|An|As|His|Her|Its|Their|Our)\b)"
    r"(?:[A-Z][\w.'’-]*\s+){1,4}(?:pauses|smiles|waves|poses|gestures|kneels|hugs|laughs|cries|prays|sings|"
    r"reacts|listens|holds|stands|sits|walks|speaks|watches|wears|looks on|celebrates)\b"
    r"(?=.*\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|during)\b)"
    r"(?!.*\b(?:said|says|told)\b)")
# A Daily Mail caption: a label of one to three words and a colon, then who is shown ("Searched: Oliver
# Pryce, four, pictured with his mother", "Loving mother : Mrs Doyle with her children"), with no end
# mark. A transcript's "SMITH: We will win." ends as a sentence does; "Mr Smith said: ..." is no label.
_LABEL_CAPTION = re.compile(r"^(?![^:]*\b(?:said|says|told|added|writes|wrote)\s?:)"
                            r"[A-Z][\w'’-]*(?:\s+[\w'’-]+){0,2}\s?:\s+\S.*[^.!?\"”’'\s]\s*$")
# A link: a sentence that is mostly one is web furniture; one that mentions an address in passing is news.
_LINK = re.compile(r"https?://\S+|\bwww\.\S+", re.I)
_FILLER = re.compile(r"(?:It )?remains to be seen\b|(?:Only )?time will tell\b", re.I)
# Words to the reader about the page itself: greetings, thanks, sign-offs, the coverage, the rules of a site
# (read outside quotations: 'the words "Stay tuned"' on a screen is news).
_META = re.compile(
    r"^the following is\b|(?:^|,\s*)thank(?:s| you) (?:for|to (?:all|everyone))\b|"
    r"\bwelcome (?:back )?to (?:our|this)\b|"
    r"\bour (?:live )?(?:coverage|live ?blog|blog)\b|\bthis live (?:coverage|blog)\b|\bthis blog\b|"
    r"\b(?:on|of|at the bottom of) this page\b|"
    r"\bwe(?:'ll| will| are going to)? (?:leave|end|wrap up|pause|close) (?:our|it|things|the (?:coverage|blog))\b|"
    r"\bstay (?:with us|tuned)\b|\bfollow (?:us|our live)\b|^you must be\b", re.I)
_QUOTED = re.compile(r"[\"“][^\"“”]*[\"”]|``[^`]*?''|(?:^|(?<=\s))['‘][^'‘’]*['’](?=[\s,.;:!?]|$)")
# A claim told as it first stood ("Officials initially put the toll at 63"), or a notice that one was
# wrong: a bullet of it alone states what the report goes on to correct. The cue must be the
# sentence's own claim, not a clause inside it ("Police, who initially said 14, confirmed nine"),
# and a sentence that carries its correction ("but later said", "had not happened") is news.
_SUPERSEDED = re.compile(
    r"^(?:previously|initially|originally|at first|early reports),?\s+(?:[\w'’.-]+\s+){0,6}?(?:had\s+)?"
    r"(?:said|reported|told|believed|thought|put|estimated|claimed|stated)\b|"
    r"^(?:(?!\b(?:who|which|that|what|saying|reveal\w*|than)\b).)*?"
    r"\b(?:initially|originally|at first)\s+(?:said|reported|put|estimated|claimed|"
    r"believed|thought|stated|told|described|identified|listed|gave|given)\b|"
    r"^(?:earlier,? we reported|an earlier version of this)", re.I)
_CORRECTED = re.compile(r"\b(?:but|later|now|since|revised|revising|corrected|however|lowered|raised|updated"
                        r"|not|never)\b|n't\b", re.I)
# A pointer to what follows, not a development: a list's opener ("Here are five things to know:"; CNN
# writes "... : ."), or "Here's how the swap works." with nothing told after a colon or a dash.
_OPENS_LIST = re.compile(r":\s*(?:\.\s*)?$|(?:^|^So,?\s+|,\s+|^\(\s*)(?:Here|Below)(?:'s|’s|\s+is|\s+are)\b"
                         r"(?!.*(?::|\s-{1,2}\s|[—–])\s*\S)", re.I)
# A sentence under 20 words that opens on "It", "That", "They", or "This"/"These" standing for what came
# before ("It was 4.8 percent in April.", "This is one of several videos she has made.", "It was the
# biggest rally in the capital for years."): alone it says nothing a reader can place. In a sample of
# 25 such sentences of 12-19 words from the CNN and BBC files, all 25 leaned on the one before.
# ("This year's budget ..." is no such sentence; a longer one usually names what it is about.)
_FOLLOW_UP = re.compile(r"^(?:It|That|They|(?:This|These)(?=\s+(?:is|was|are|were|has|have|had|will|would|could|can|"
                        r"may|might|means|meant)\b))\b"
                        r"(?!\s+(?:is|was|has been|will be)\s+(?:\w+\s+(?:to|that|for)|the first time)\b)")
_QUESTION = re.compile(r"\?[\"”’']*\s*$")
# (not HOST or ANCHOR: in a broadcast transcript they read the news)
_INTERVIEWER = re.compile(r"^\s*(?:Q\.|(?:Q|REPORTER|INTERVIEWER|QUESTION)\s*:)\s", re.I)
_SPEAKERLESS = re.compile(r"[\"“][^\"“”]+[.!?,]?[\"”][.!?]?")  # '"This is the biggest investment in a decade."'
_COMMENTARY = frozenset("""significance significant underscores underscore underscored highlights highlight
highlighting reflects reflect reflecting dynamics pivotal heightened broader landscape crucial notably noteworthy
implications signal signals signify complex complexities ongoing evolving shifting amidst intricate""".split())


def worth(sentence: str) -> bool:
    """Could this sentence be a bullet? Not a fragment (too short, no lower-case words, a short
    "It was ..." that leans on the sentence before), a tweet, link, byline or caption, a question
    (it asks; a development tells), the page talking to its reader, a claim told as it first stood
    without its correction, nor commentary that names no fact. (First-person sentences stay:
    opinion pieces are summarised in their own voice.)"""
    if _LINK.search(sentence):
        sentence = _LINK.sub("", sentence)
        if len(sentence.split()) < 8:
            return False
    words = sentence.split()
    cased = any(c.isupper() or c.islower() for c in sentence)  # Korean, Arabic, ... have no lower case
    if (len(words) < 6 or (cased and sum(w[:1].islower() for w in words) < 3) or _FRAGMENT.search(sentence)
            or _CAPTION.search(sentence) or _LABEL_CAPTION.match(sentence)
            or (len(words) < 20 and _FOLLOW_UP.match(sentence))):
        return False
    if (_OPENS_LIST.search(sentence) or _QUESTION.search(sentence) or _FILLER.match(sentence)
            or _SPEAKERLESS.fullmatch(sentence.strip()) or _META.search(_QUOTED.sub("", sentence))
            or (_SUPERSEDED.search(sentence) and not _CORRECTED.search(sentence))):
        return False  # a list's opener, a question, nothing yet, a quote no one says, the page talking, a stale claim
    lower = [w.strip(".,;:'\"“”’").lower() for w in words]
    commentary = sum(w in _COMMENTARY for w in lower)
    return commentary < 2 or (commentary < 4 and bool(re.search(r"\d", sentence)))


# Quotation marks; single ones as the Daily Mail and British papers quote ('We will win,' he said;
# the 'Iron Lady'): one opens before a capital, one closes after a word or an end mark. A closing
# one after a letter counts only while a quote is open: otherwise it is an apostrophe (the players' union).
_OPEN = re.compile(r"“|``|(?:^|(?<=[\s(\[—–-]))\"(?=\S)|(?:^|(?<=[\s(\[—–-]))['‘](?=[A-Z])")
_CLOSE = re.compile(r"”|''|(?<=\S)\"(?!\w)|(?<=[\w.!?,])['’](?=[\s.,;:!?)]|$)")
_LEADING_CLOSE = re.compile(r"^\s*(?:”|''|\"(?=\s))")  # a quote's end the splitter moved here


def half_quoted(sentences: Sequence[str], parts: Sequence[str] | None = None) -> list[bool]:
    """Which sentences hold only part of a quotation: one that opens a quote it does not close,
    that starts inside a quote an earlier sentence of the same part opened ("And there's cars
    on fire."), or that closes a quote it never opened. Such a piece has no speaker of its own,
    so it cannot be a bullet."""
    out, inside, run = [], False, 0
    low_open = any("„" in s for s in sentences)  # German „...“: there “ closes
    for i, s in enumerate(sentences):
        if (parts is not None and i and parts[i] != parts[i - 1]) or _LEADING_CLOSE.match(s):
            inside, run = False, 0
        began_inside = inside
        marks = _marks(s, inside, low_open)
        for kind in marks:
            inside = kind > 0
        if inside and i + 1 < len(sentences) and _LEADING_CLOSE.match(sentences[i + 1]):
            inside = False  # its closing mark was split off onto the next sentence
        out.append(began_inside or inside or (bool(marks) and marks[0] < 0))
        run = run + 1 if inside else 0
        if run > 4:  # no quotation runs on this long: a stray mark; judge those sentences alone
            out[i - run + 1:] = [_half_alone(x) for x in sentences[i - run + 1:i + 1]]
            inside, run = False, 0
    return out


def _marks(s: str, inside: bool = False, low_open: bool = False) -> list[int]:
    """The sentence's quotation marks in order: 1 opens, -1 closes. Not counted: a closing mark the
    splitter moved to its start, and a straight one after a digit while no quote is open (the inch
    mark of '12" pizza'; in '"Apollo 13" opened' it does close). `low_open`: the text quotes
    „like this“, so „ opens and “ closes."""
    lead = _LEADING_CLOSE.match(s)
    skip = lead.end() if lead else 0
    found = [(m.start(), 1) for m in _OPEN.finditer(s)] + [(m.start(), -1) for m in _CLOSE.finditer(s)]
    if low_open:
        found = [(at, -1 if s[at] == "“" else kind) for at, kind in found] + [
            (m.start(), 1) for m in re.finditer("„", s)]
    out = []
    for at, kind in sorted(found):
        if at < skip or (kind < 0 and not inside and (s[at] == '"' and s[at - 1].isdigit()
                                                     or s[at] in "'’" and s[at - 1].isalnum())):
            continue
        out.append(kind)
        inside = kind > 0
    return out


def _half_alone(s: str) -> bool:
    """Half a quotation by its own marks: it closes one first, or opens one it does not close."""
    marks = _marks(s)
    return bool(marks) and (marks[0] < 0 or marks[-1] > 0)


_STOP = frozenset("""a an the and or but if of at by for with about against between into through during before
after above below to from up down in out on off over under again further then once here there when where why
how all any both each few more most other some such no nor not only own same so than too very s t can will just
don should now i me my we our you your he him his she her it its they them their what which who whom this that
these those am is are was were be been being have has had having do does did doing would could said says say
also one two new""".split())
_WORD = re.compile(r"[^\W_]+")  # letters and digits of any script: Cyrillic repeats are repeats too


def content_words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 1]


def overlap(a: str, b: str) -> float:
    """Share of the shorter text's content words that the other has (1.0: says nothing new)."""
    wa, wb = set(content_words(a)), set(content_words(b))
    return len(wa & wb) / max(1, min(len(wa), len(wb)))


# ---- features --------------------------------------------------------------------------------

_QUOTE = re.compile(r"[\"“”]|``|''|(?:^|\s)'(?=\w)")
_FIRST_PERSON = re.compile(r"\b(?:I|we|my|our|me|us)\b")
_PRONOUN_START = re.compile(r"^(?:He|She|It|They|This|That|These|Those|His|Her|Their)\b")

FEATURES = (
    "pos_inv", "pos_log", "pos_rel", "is_first", "is_second", "is_third", "n_sents_log",
    "words_log", "words_short", "words_long", "tf_centrality", "title_overlap", "lead_overlap",
    "freq_score", "numbers", "names", "quote", "first_person", "pronoun_start", "question",
    "cut_ratio", "worth",
)


def _centrality(v: Counter, doc: Counter, doc_sq: float) -> float:
    """Cosine between a sentence's TF-IDF vector and the rest of the document's (doc - v),
    in time linear in the sentence length."""
    dot_doc = sum(x * doc[k] for k, x in v.items())
    v_sq = sum(x * x for x in v.values())
    rest_sq = doc_sq - 2 * dot_doc + v_sq
    if v_sq <= 0 or rest_sq <= 1e-12:
        return 0.0
    return (dot_doc - v_sq) / math.sqrt(v_sq * rest_sq)


def sentence_features(title: str, sentences: Sequence[str], cleaned: Sequence[str]) -> np.ndarray:
    """One row of FEATURES per sentence (`cleaned`: the sentences without dateline or byline)."""
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
    for i, (s, c, ws) in enumerate(zip(sentences, cleaned, words)):
        nw = max(1, len(c.split()))
        wset = set(ws)
        kinds = Counter(f.kind for f in extract_facts(c))
        rows.append([
            1.0 / (i + 1), math.log1p(i), i / max(1, n - 1), float(i == 0), float(i == 1), float(i == 2),
            math.log1p(n), math.log(nw), float(nw < 8), float(nw > 45),
            _centrality(vecs[i], doc, doc_sq),
            len(wset & anchor) / max(1, len(wset)) if (title or i > 0) else 1.0,
            len(wset & lead) / max(1, len(wset)) if i >= 2 else 1.0,
            sum(tf[w] for w in ws) / (top * max(1, len(ws))),
            min(5, kinds["number"]) / 5, min(5, kinds["name"]) / 5,
            float(bool(_QUOTE.search(s))), float(bool(_FIRST_PERSON.search(s))),
            float(bool(_PRONOUN_START.match(c))), float(s.rstrip().endswith("?")),
            nw / max(1, len(s.split())), float(bool(c) and worth(c)),
        ])
    return np.asarray(rows, dtype=np.float32).reshape(n, len(FEATURES))


# ---- the model -------------------------------------------------------------------------------

@dataclass
class ExtractiveConfig:
    """Everything the planner needs, stored as `extractive.json` (a few KB)."""
    features: list[str]
    mean: list[float]
    scale: list[float]
    layers: list[dict]  # [{"weight": [[...]], "bias": [...]}, ...]; ReLU between layers
    bullets: int = 3  # bullets when the caller does not ask for a number
    max_words: int = 0  # word budget of a summary of `bullets` bullets (0: none); scales with the number asked
    ceiling: int = 0  # the most words such a summary may have (0: none); scales with the number asked
    redundancy: float = 0.7  # skip a sentence sharing this share of content words with a picked one
    max_sentence_words: int = 55  # longer (e.g. glued photo captions) are never bullets
    order: str = "document"  # "document" or "score": order of the bullets
    compress: bool = True  # shorten picks with the deletion model when the folder has one
    compress_threshold: float | None = None  # overrides the compressor's own threshold
    name: str = "extractive"
    notes: dict = field(default_factory=dict)

    def save(self, folder: str | Path) -> Path:
        path = Path(folder) / CONFIG_NAME
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=1) + "\n", encoding="utf-8")
        return path


@dataclass
class Pick:
    """One planned bullet and its evidence."""
    text: str  # the bullet (the source sentence, shortened by deletions)
    source: str  # the sentence it came from, as written
    section: str  # "lede", a Full Report heading, "context", or "" in a plain article
    index: int  # the sentence's position in the report
    score: float


def _load_error(message: str) -> Exception:
    from .names import ModelLoadError

    return ModelLoadError(message)


class ExtractiveModel:
    """Plans a report's Key Developments from its sentences and shortens them."""

    def __init__(self, config: ExtractiveConfig, compressor: DeletionModel | None = None):
        self.config = config
        self.compressor = compressor
        self.mean = np.asarray(config.mean, dtype=np.float32)
        self.scale = np.asarray(config.scale, dtype=np.float32)
        self.layers = [(np.asarray(l["weight"], dtype=np.float32), np.asarray(l["bias"], dtype=np.float32))
                       for l in config.layers]
        if list(config.features) != list(FEATURES):
            raise ValueError(f"its features {config.features} are not the ones this version computes {list(FEATURES)}")
        width = len(FEATURES)
        for w, b in self.layers:
            if w.ndim != 2 or w.shape[1] != width or b.shape != (w.shape[0],):
                raise ValueError(f"a layer of shape {w.shape} does not fit {width} inputs")
            width = w.shape[0]
        if width != 1 or len(self.mean) != len(FEATURES) or len(self.scale) != len(FEATURES):
            raise ValueError("the scorer must map the standardised features to one score")

    @property
    def name(self) -> str:
        return self.config.name

    @classmethod
    def load(cls, folder: str | Path, compress: bool = True) -> "ExtractiveModel":
        """Read `extractive.json` and, when present and `compress`, the deletion model
        (`compressor.json` + its head; MiniLM from its PyPI package, run in numpy: no torch)."""
        folder = Path(folder)
        path = folder / CONFIG_NAME
        if not path.exists():
            raise _load_error(f"{folder} has no {CONFIG_NAME}; train one with `python -m training.selector`")
        try:
            config = ExtractiveConfig(**json.loads(path.read_text(encoding="utf-8")))
            model = cls(config)
        except (ValueError, TypeError, KeyError, IndexError) as e:
            msg = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise _load_error(f"cannot read {path}: {msg}") from None
        if compress and config.compress and (folder / COMPRESSOR_NAME).exists() and (folder / HEAD_NAME).exists():
            saved = json.loads((folder / COMPRESSOR_NAME).read_text(encoding="utf-8"))
            try:
                model.compressor = DeletionModel.load(folder, saved["config"])
            except MissingEncoder as e:  # the bullets stay whole sentences
                log.warning("%s; bullets are not shortened", e)
        return model

    def scores(self, x: np.ndarray) -> np.ndarray:
        h = (x - self.mean) / self.scale
        for k, (w, b) in enumerate(self.layers):
            h = h @ w.T + b
            if k < len(self.layers) - 1:
                h = np.maximum(h, 0.0)
        return h[:, 0]

    def shorten(self, sentences: Sequence[str], harder: float = 0.0, memo: dict | None = None) -> list[str]:
        """The sentences said in fewer words (unchanged without a compressor); `harder` lowers
        the deletion threshold, for a sentence that does not fit the word budget otherwise;
        `memo` keeps each sentence's deletion probabilities for the next ask."""
        if not self.compressor or not sentences:
            return list(sentences)
        base = self.config.compress_threshold
        threshold = (self.compressor.config.threshold if base is None else base) - harder
        return [c.text for c in self.compressor.compress_many(sentences, threshold, harder > 0, memo)]

    def word_budget(self, n_bullets: int) -> float:
        """Words for `n_bullets` bullets (0: no budget): the trained budget scaled to the count."""
        c = self.config
        return c.max_words * n_bullets / c.bullets if c.max_words else 0

    def word_ceiling(self, n_bullets: int) -> float:
        """The most words a summary of `n_bullets` bullets may have (0: no limit), scaled as the budget."""
        c = self.config
        return c.ceiling * n_bullets / c.bullets if c.ceiling else 0

    def plan(self, report: Report | str, n_bullets: int | None = None) -> list[Pick]:
        """Up to `n_bullets` picks (None: the model's own number), each with its source and section."""
        rep = parse_report(report) if isinstance(report, str) else report
        title, sentences, parts = report_parts(rep)
        if not sentences:
            return []
        cleaned = [clean(s) for s in sentences]
        scores = self.scores(sentence_features(title, sentences, cleaned))
        c = self.config
        n = n_bullets or c.bullets
        budget, ceiling = self.word_budget(n), self.word_ceiling(n)
        if rep.is_structured and ceiling:  # a section's only bullet is never dropped to fit: plan to the ceiling
            budget = min(budget, ceiling) if budget else ceiling
        shorten = partial(self.shorten, memo={})  # a sentence cut again, harder, is not encoded again
        return plan_picks(sentences, cleaned, parts, scores, n, budget, c.redundancy, c.max_sentence_words,
                          shorten, c.order, ceiling)

    def key_points(self, report: Report | str, n_bullets: int | None = None) -> list[str]:
        """Up to `n_bullets` bullets (None: the model's own number and word budget)."""
        return [p.text for p in self.plan(report, n_bullets)]


def plan_picks(sentences: Sequence[str], cleaned: Sequence[str], parts: Sequence[str], scores: np.ndarray,
               n_bullets: int, max_words: float = 0, redundancy: float = 0.5, max_sentence_words: int = 55,
               shorten=None, order: str = "document", ceiling: float = 0) -> list[Pick]:
    """Best sentences first, one per part before a second from any (the "context" part only when
    nothing else is left), skipping unworthy ones, run-ons and repeats, within the word budget.

    Sentences are shortened one at a time as the plan reaches them (only candidates pay for it);
    one that overflows the budget is shortened harder (`shorten(xs, FIT)`) before it is skipped.
    The budget trims a summary but must not starve it: while one stays below `FLOOR` of the budget
    with fewer bullets than asked (long sentences, none fitting), the best sentence left that
    keeps it within `CAP` of the budget joins, shortened hardest (the best 8 are tried). A report
    with a sentence of readable length gets at least one bullet. A summary over its `ceiling` is
    then brought under it (`fit_ceiling`).
    """
    shorten = shorten or (lambda xs, harder=0.0: list(xs))
    wanted = n_bullets
    ranked = [int(i) for i in np.argsort(-scores, kind="stable")]
    half = half_quoted(sentences, parts)
    ok = [bool(cleaned[i]) and worth(cleaned[i]) and not half[i]
          and _readable(cleaned[i], max_sentence_words) for i in range(len(sentences))]
    queue = [i for i in ranked if ok[i] and parts[i] != "context"] + [i for i in ranked if ok[i] and parts[i] == "context"]
    short: dict[int, str] = {}
    picked: list[int] = []
    words = 0
    rounds = 0
    while len(picked) < n_bullets and rounds < n_bullets:
        used = Counter(parts[i] for i in picked)
        before = len(picked)
        for i in queue:
            if len(picked) >= n_bullets or i in picked:
                continue
            # a part gives its (k+1)th bullet only once every part with worthy sentences gave k
            if used[parts[i]] > rounds or (parts[i] == "context" and any(
                    parts[j] != "context" and j not in picked and not _repeats(j, picked, cleaned, redundancy)
                    for j in queue)):
                continue
            if _repeats(i, picked, cleaned, redundancy):
                continue
            if i not in short:
                short[i] = shorten([cleaned[i]])[0]
            nw = n_words(short[i])
            if picked and max_words and words + nw > max_words * SLACK:
                harder = shorten([cleaned[i]], FIT)[0]  # delete more rather than lose the sentence
                if words + n_words(harder) > max_words * SLACK:
                    continue
                short[i], nw = harder, n_words(harder)
            picked.append(i)
            used[parts[i]] += 1
            words += nw
            if max_words and words >= max_words:
                n_bullets = len(picked)
        rounds += 1
        if len(picked) == before and rounds > 1:
            break
    while max_words and picked and len(picked) < wanted and words < max_words * FLOOR:
        used = Counter(parts[i] for i in picked)
        rest = [k for k, i in enumerate(queue) if i not in picked and not _repeats(i, picked, cleaned, redundancy)]
        for k in sorted(rest, key=lambda k: (parts[queue[k]] == "context", used[parts[queue[k]]], k))[:8]:
            text = shorten([cleaned[queue[k]]], FIT)[0]
            if words + n_words(text) <= max_words * CAP:
                short[queue[k]] = text
                picked.append(queue[k])
                words += n_words(text)
                break
        else:
            break
    if ceiling and picked:
        picked = fit_ceiling(picked, short, cleaned, parts, scores, ceiling, shorten)
        picked = swap_to_fit(picked, short, cleaned, parts, scores, queue, ceiling, shorten, redundancy)
    if not picked:  # nothing worthy: the best sentence of a readable length, if any, in spaced words
        fallback = [i for i in ranked if cleaned[i] and _readable(cleaned[i], max_sentence_words)
                    and not unspaced(cleaned[i])]
        if not fallback:
            return []
        picked = fallback[:1]
        short[picked[0]] = shorten([cleaned[picked[0]]])[0]
    if order == "document":
        picked.sort()
    return [Pick(_full_stop(short[i]), sentences[i], parts[i], i, float(scores[i])) for i in picked]


def _full_stop(text: str) -> str:
    """A bullet ends as a sentence does, though its source (a caption, a headline) had no end mark."""
    return text + "." if re.search(r"[^\W_]$", text) else text


def _readable(sentence: str, max_words: int) -> bool:
    """Of a length a bullet can have: at most `max_words` words, and 20 characters a word ("1,1,1,...,1"
    over 20,000 characters is one word to `split`, and would cost the deletion and support steps
    time and memory that grow with its square)."""
    return not max_words or (len(sentence.split()) <= max_words and len(sentence) <= 20 * max_words)


def fit_ceiling(picked: list[int], short: dict[int, str], cleaned: Sequence[str], parts: Sequence[str],
                scores: np.ndarray, ceiling: float, shorten) -> list[int]:
    """Bring a summary over `ceiling` words under it. First the weakest bullet whose leaving keeps
    `FLOOR` of the ceiling goes, unless it is its section's only one (a report's sections keep
    their development; the context may go). Then, only if cutting every bullet harder (`FIT`,
    never a source or a figure) reaches the ceiling, the longest are cut so until it fits: a cut
    that cannot reach it would only lose words. Planning to a looser budget and fitting after
    costs no ROUGE where stopping at the ceiling did (5-fold CV on the CNN rows: 31.30 / 11.50 /
    27.63 in 51 words, against 30.89 / 11.45 / 27.49 in 59)."""
    picked = list(picked)

    def total() -> int:
        return sum(n_words(short[i]) for i in picked)

    while total() > ceiling:
        spare = [i for i in picked if total() - n_words(short[i]) >= ceiling * FLOOR
                 and (parts[i] == "context" or sum(parts[j] == parts[i] for j in picked) > 1)]
        if not spare:
            break
        picked.remove(min(spare, key=lambda i: scores[i]))
    if total() > ceiling:
        harder = {i: shorten([cleaned[i]], FIT)[0] for i in picked}
        if sum(min(n_words(harder[i]), n_words(short[i])) for i in picked) <= ceiling:
            for i in sorted(picked, key=lambda i: -n_words(short[i])):
                if total() <= ceiling:
                    break
                if n_words(harder[i]) < n_words(short[i]):
                    short[i] = harder[i]
    return picked


def swap_to_fit(picked: list[int], short: dict[int, str], cleaned: Sequence[str], parts: Sequence[str],
                scores: np.ndarray, queue: Sequence[int], ceiling: float, shorten, redundancy: float) -> list[int]:
    """A summary still over its ceiling (two long bullets: dropping one would leave it under the
    floor) trades its weakest bullet for the best one left, from the same part, that lands it
    between `FLOOR` of the ceiling and the ceiling, cut as hard as a fit allows. The first bullet
    (the lede, as a rule) is never traded, and only for a sentence the planner rates nearly as
    well (`SWAP_MARGIN`): a weak one in 60 words is no better than a strong one in 65. None fits:
    as it is."""
    n = lambda i: n_words(short[i])  # noqa: E731
    if len(picked) < 2 or sum(map(n, picked)) <= ceiling:
        return picked
    weakest = min((i for i in picked if i != min(picked)), key=lambda i: scores[i])
    rest = [i for i in picked if i != weakest]
    have = sum(map(n, rest))
    for i in queue[:3 + len(picked)]:
        if i in picked or parts[i] != parts[weakest] or _repeats(i, rest, cleaned, redundancy) \
                or scores[i] < scores[weakest] - SWAP_MARGIN:
            continue
        text = shorten([cleaned[i]], FIT)[0]
        if ceiling * FLOOR <= have + n_words(text) <= ceiling:
            short[i] = text
            return rest + [i]
    return picked


def _repeats(i: int, picked: list[int], cleaned: Sequence[str], redundancy: float) -> bool:
    """Says what a picked bullet says: most of its content words, two of its telling figures
    ("$4.2 billion, or $38.50 a share" told again in other words), or one of them, none of its own,
    and a quarter of its words ("gold weighing 245 kg" and "the gold recovered is about 245 kilograms")."""
    mine = key_numbers(cleaned[i])
    for j in picked:
        theirs, words = key_numbers(cleaned[j]), overlap(cleaned[i], cleaned[j])
        shared, own = len(mine & theirs), mine - theirs  # a figure of its own tells another fact
        if words >= redundancy or shared >= 2 or (shared and not own and words >= 0.25):
            return True
    return False


@lru_cache(maxsize=4096)
def key_numbers(sentence: str) -> frozenset[str]:
    """The figures that identify a fact: amounts with a unit, and numbers from 100 on that are not years."""
    out = set()
    for f in extract_facts(sentence):
        if f.kind == "number":
            try:
                v = float(f.value)
            except ValueError:
                continue
            if f.unit or (v >= 100 and not (v.is_integer() and 1900 <= v <= 2100)):
                out.add(f.unit + f.value)
    return frozenset(out)
