"""Train the word-deletion tagger behind `summarizer.compress.DeletionModel`.

    python -m training.compressor --train ../shared/data/cnndm_validation_1000.jsonl \
        ../shared/data/inshorts_news_4304.jsonl --holdout 100 --output-dir summarizer/default_model

Data: for every reference bullet, the source sentence it was cut from, when the bullet is
nearly a subsequence of it (at least `--min-match` of the bullet's words appear, in order, in
the cleaned sentence). The longest common subsequence labels each sentence word keep or delete.
The last `--holdout` rows of the first file are held out (their pairs score the tagger, and
the selector trainer tunes the threshold on the same rows).

Model: a logistic regression over each word's frozen MiniLM state (numpy forward pass) and the
hand features of `summarizer.compress.hand_features`; `--no-encoder` fits on the hand features
alone. Only the head is stored (`compressor.safetensors`, a few KB) with its settings
(`compressor.json`); the encoder comes from its PyPI package.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from summarizer.compress import HAND_FEATURES, CompressorConfig, DeletionModel, clean, decide
from summarizer.spans import candidate_spans, tokenize
from summarizer.minilm import MINILM_PACKAGE, MiniLM

from .data import Doc, add_data_args, check_paths, read_docs, split_holdout

log = logging.getLogger("training.compressor")
CONFIG_NAME = "compressor.json"


# ---- deletion alignments ----------------------------------------------------------------------

@dataclass
class Pair:
    sentence: str  # cleaned source sentence
    bullet: str
    keep: np.ndarray  # per token of tokenize(sentence): True when the bullet keeps it
    match: float  # share of the bullet's words found, in order, in the sentence


def align(tokens: list[str], bullet: list[str]) -> tuple[np.ndarray, int]:
    """Keep-mask over `tokens` from one longest common subsequence with `bullet`, and its length."""
    n, m = len(tokens), len(bullet)
    dp = np.zeros((n + 1, m + 1), dtype=np.int32)
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            dp[i, j] = dp[i + 1, j + 1] + 1 if tokens[i] == bullet[j] else max(dp[i + 1, j], dp[i, j + 1])
    keep = np.zeros(n, dtype=bool)
    i = j = 0
    while i < n and j < m:
        if tokens[i] == bullet[j]:
            keep[i] = True
            i, j = i + 1, j + 1
        elif dp[i + 1, j] >= dp[i, j + 1]:
            i += 1
        else:
            j += 1
    return keep, int(dp[0, 0])


def doc_pairs(doc: Doc, min_match: float = 0.8) -> list[Pair]:
    """One pair per reference bullet whose best source sentence nearly contains it."""
    sents = [clean(s) for s in doc.sentences]
    toks = [[t.text.lower() for t in tokenize(s)] for s in sents]
    out = []
    for b in doc.reference:
        bt = [t.text.lower() for t in tokenize(b) if t.is_word]
        if len(bt) < 4:
            continue
        best = None
        for s, st in zip(sents, toks):
            words = [w for w in st if w[0].isalnum()]
            if len(set(bt) & set(words)) < min_match * len(set(bt)) or len(words) < len(bt):
                continue
            word_idx = [k for k, w in enumerate(st) if w[0].isalnum()]
            keep_w, hits = align(words, bt)
            if best is None or hits > best[0]:
                keep = np.zeros(len(st), dtype=bool)
                keep[np.asarray(word_idx)[keep_w]] = True
                best = (hits, s, keep)
        if best and best[0] >= min_match * len(bt):
            out.append(Pair(best[1], b, best[2], best[0] / len(bt)))
    return out


# ---- features and fit --------------------------------------------------------------------------

def default_cache() -> Path:
    base = os.environ.get("KD_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "key-developments")
    return Path(base) / "training"


def pair_features(pairs: list[Pair], encoder: MiniLM | None, cache: Path | None) -> list[np.ndarray]:
    """Per pair, a (tokens x features) matrix: hand features, plus MiniLM word states (cached on disk)."""
    model = DeletionModel(CompressorConfig(encoder=None), np.zeros(len(HAND_FEATURES)), 0.0,
                          np.zeros(len(HAND_FEATURES)), np.ones(len(HAND_FEATURES)))
    toks = [tokenize(p.sentence) for p in pairs]
    hand = model.features(toks, [candidate_spans(t) for t in toks])
    if encoder is None:
        return hand
    key = hashlib.sha1(("\x00".join(p.sentence for p in pairs) + f"|{encoder.layers}").encode()).hexdigest()[:16]
    path = cache / f"minilm-{key}.npz" if cache else None
    if path and path.exists():
        z = np.load(path)
        flat, sizes = z["flat"], z["sizes"]
        states = np.split(flat, np.cumsum(sizes)[:-1])
    else:
        t0 = time.time()
        states = encoder.word_states(toks)
        log.info("MiniLM states of %d sentences in %.0f s", len(toks), time.time() - t0)
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(path, flat=np.concatenate(states), sizes=np.array([len(s) for s in states]))
    return [np.concatenate([h, e], axis=1) for h, e in zip(hand, states)]


def word_rows(pairs: list[Pair], feats: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Rows of words only (punctuation follows its span), label 1 = delete."""
    xs, ys = [], []
    for p, x in zip(pairs, feats):
        words = np.array([t.is_word for t in tokenize(p.sentence)])
        xs.append(x[words])
        ys.append(~p.keep[words])
    return np.concatenate(xs), np.concatenate(ys).astype(np.int32)


def fit_head(x: np.ndarray, y: np.ndarray, c: float = 0.1) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(0), x.std(0)
    scale[scale < 1e-6] = 1.0
    mean[0], scale[0] = 0.0, 1.0  # the bias feature stays 1
    m = LogisticRegression(C=c, max_iter=3000).fit((x - mean) / scale, y)
    return m.coef_[0], float(m.intercept_[0]), mean, scale


# ---- scoring -----------------------------------------------------------------------------------

def score(model: DeletionModel, pairs: list[Pair], feats: list[np.ndarray], threshold: float) -> dict:
    """Word-level deletion precision/recall/F1 after span decisions, words kept, and ROUGE-2 /
    ROUGE-L of the output against the bullet (beside the uncut sentence's)."""
    from eval.rouge import score_pair

    tp = fp = fn = 0
    kept, r2, rl, r2_full, rl_full = [], [], [], [], []
    for p, x in zip(pairs, feats):
        toks = tokenize(p.sentence)
        spans = [s for s in candidate_spans(toks) if s.kind in model.config.kinds]
        out = decide(p.sentence, toks, spans, model.probabilities(x), threshold, model.config.min_words,
                     model.config.min_ratio)
        deleted = np.zeros(len(toks), dtype=bool)
        for s in out.deleted:
            deleted[s.start:s.end] = True
        words = np.array([t.is_word for t in toks])
        gold = ~p.keep & words
        tp += int((deleted & gold).sum())
        fp += int((deleted & ~gold & words).sum())
        fn += int((~deleted & gold).sum())
        kept.append(len(out.text.split()) / max(1, len(p.sentence.split())))
        s_out, s_full = score_pair(out.text, p.bullet), score_pair(p.sentence, p.bullet)
        r2.append(s_out["rouge2"].fmeasure)
        rl.append(s_out["rougeL"].fmeasure)
        r2_full.append(s_full["rouge2"].fmeasure)
        rl_full.append(s_full["rougeL"].fmeasure)
    prec, rec = tp / max(1, tp + fp), tp / max(1, tp + fn)
    return {"threshold": threshold, "delete_precision": round(prec, 3), "delete_recall": round(rec, 3),
            "delete_f1": round(2 * prec * rec / max(1e-9, prec + rec), 3),
            "words_kept": round(float(np.mean(kept)), 3),
            "rouge2": round(100 * float(np.mean(r2)), 2), "rougeL": round(100 * float(np.mean(rl)), 2),
            "rouge2_uncut": round(100 * float(np.mean(r2_full)), 2),
            "rougeL_uncut": round(100 * float(np.mean(rl_full)), 2)}


# ---- command line ------------------------------------------------------------------------------

@dataclass
class CompressorArgs:
    train: list[str]
    output_dir: str
    holdout: int = 100
    min_match: float = 0.8
    encoder: bool = True
    layers: int = 6
    c: float = 0.1
    thresholds: tuple[float, ...] = (0.3, 0.4, 0.5, 0.6, 0.7)
    cache: str = ""  # "" : the key-developments cache folder (never inside the repository)


def parse_args(argv: list[str] | None = None) -> CompressorArgs:
    p = argparse.ArgumentParser(prog="python -m training.compressor", description=__doc__.split("\n\n")[0])
    add_data_args(p)
    p.add_argument("--min-match", type=float, default=0.8, help="share of bullet words found in order in the sentence")
    p.add_argument("--no-encoder", action="store_true", help="hand features only (no MiniLM)")
    p.add_argument("--layers", type=int, default=6, help="MiniLM layers to run (1-6)")
    p.add_argument("--c", type=float, default=0.1, help="inverse regularisation strength of the head")
    p.add_argument("--thresholds", default="0.3,0.4,0.5,0.6,0.7", help="deletion thresholds scored on held-out pairs")
    p.add_argument("--cache", default="", help="folder for cached MiniLM states (default: the user cache)")
    a = p.parse_args(argv)
    if not 0 < a.min_match <= 1:
        p.error("--min-match must be in (0, 1]")
    if not 1 <= a.layers <= 6:
        p.error("--layers must be 1 to 6")
    return CompressorArgs(a.train, a.output_dir, a.holdout, a.min_match, not a.no_encoder, a.layers, a.c,
                          tuple(float(t) for t in a.thresholds.split(",") if t.strip()), a.cache)


def train(args: CompressorArgs) -> dict:
    t0 = time.time()
    first = read_docs(args.train[0])
    train_docs, held = split_holdout(first, args.holdout)
    for extra in args.train[1:]:
        train_docs += read_docs(extra)
    pairs = [p for d in train_docs for p in doc_pairs(d, args.min_match)]
    held_pairs = [p for d in held for p in doc_pairs(d, args.min_match)]
    log.info("%d training pairs from %d documents, %d held-out pairs (%.0f s)", len(pairs), len(train_docs),
             len(held_pairs), time.time() - t0)
    encoder = MiniLM.from_package(MINILM_PACKAGE, args.layers) if args.encoder else None
    cache = Path(args.cache) if args.cache else default_cache()
    x, y = word_rows(pairs, pair_features(pairs, encoder, cache))
    log.info("%d words, %.1f%% deleted", len(y), 100 * y.mean())
    weight, bias, mean, scale = fit_head(x, y, args.c)
    config = CompressorConfig(encoder=MINILM_PACKAGE if encoder else None, encoder_layers=args.layers)
    model = DeletionModel(config, weight, bias, mean, scale, encoder=encoder)
    held_feats = pair_features(held_pairs, encoder, cache)
    grid = [score(model, held_pairs, held_feats, t) for t in args.thresholds]
    for g in grid:
        log.info("held-out pairs at threshold %.2f: %s", g["threshold"], g)
    best = max(grid, key=lambda g: g["rouge2"] + g["rougeL"])
    config.threshold = best["threshold"]
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    metrics = {"train_pairs": len(pairs), "train_words": int(len(y)), "deleted_share": round(float(y.mean()), 3),
               "heldout_pairs": len(held_pairs), "heldout": grid, "chosen_threshold": config.threshold,
               "seconds": round(time.time() - t0, 1),
               "recipe": {k: v for k, v in asdict(args).items() if k != "cache"}}
    model.save(out)
    (out / CONFIG_NAME).write_text(json.dumps({"config": asdict(config), "metrics": metrics}, indent=1) + "\n")
    return metrics


def main(argv: list[str] | None = None) -> int:
    from summarizer.cli import run_main
    from summarizer.inputs import InputError

    def command() -> int:
        logging.basicConfig(level=logging.INFO, format="%(message)s")
        args = parse_args(argv)
        check_paths(args.train, args.output_dir)
        try:
            metrics = train(args)
        except ValueError as e:  # bad data or options: a usage error, one line
            raise InputError(str(e)) from None
        print(json.dumps({k: metrics[k] for k in ("train_pairs", "heldout_pairs", "chosen_threshold")}))
        return 0
    return run_main(command)


if __name__ == "__main__":
    sys.exit(main())
