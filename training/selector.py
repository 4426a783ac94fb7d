"""Train the sentence planner behind `summarizer.extractive.ExtractiveModel`.

    python -m training.selector --train ../shared/data/cnndm_validation_1000.jsonl \
        --output-dir summarizer/default_model --holdout 100 \
        --validate ../shared/data/bbc_news_summary.jsonl:200

Labels come from a greedy ROUGE oracle: the cleaned source sentences that, added one at a time,
most raise ROUGE-1 + ROUGE-2 F1 against the reference bullets, among those the planner may pick
(`worth`: a question or a site's boilerplate in a reference is no example to learn from). The scorer is a logistic
regression over `sentence_features`. Then the word budget and the compressor's deletion threshold
are chosen, when the output folder holds a compressor (`python -m training.compressor`, run
first), on documents the scorer never saw: the last `--holdout` rows of the first training file,
any `--validate` files, and, with `--cv K`, every training row, scored by a scorer fitted on the
other K-1 folds. Each document weighs the same: a hundred held-out rows alone choose by noise.
ROUGE, bootstrap and Lead-3 come from `eval/`.
Nothing here is tuned on the SummEval test set: score the result with `python -m eval`.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from eval.baselines import lead
from eval.rouge import score_pair, tokens
from eval.stats import bootstrap_ci, paired_bootstrap
from summarizer.compress import DeletionModel
from summarizer.extractive import (COMPRESSOR_NAME, FEATURES, ExtractiveConfig, ExtractiveModel, clean, n_words,
                                   plan_picks, sentence_features, worth)

from .data import Doc, add_data_args, check_paths, read_docs, split_holdout

log = logging.getLogger("training.selector")
METRICS = ("rouge1", "rouge2", "rougeLsum")


def rouge_row(bullets: list[str], reference: list[str]) -> list[float]:
    """ROUGE-1/2/Lsum F1 x 100 of one summary, one bullet per line on both sides."""
    s = score_pair("\n".join(bullets), "\n".join(reference))
    return [100 * s[m].fmeasure for m in METRICS]


# ---- oracle labels ---------------------------------------------------------------------------

def _ngrams(toks: tuple[str, ...], n: int) -> Counter:
    return Counter(tuple(toks[i:i + n]) for i in range(len(toks) - n + 1))


def _f1(hits: int, n_pred: int, n_ref: int) -> float:
    return 0.0 if not hits else 2 * hits / (n_pred + n_ref)


def oracle(candidates: list[str], reference: str, max_sentences: int = 4) -> list[int]:
    """Greedy ROUGE-1+2 oracle: indices of the sentences that, added in turn, raise it most.
    Each trial only looks at the candidate's own n-grams, so a document takes milliseconds."""
    ref = tokens(reference)
    refs = (_ngrams(ref, 1), _ngrams(ref, 2))
    sizes = [max(1, sum(r.values())) for r in refs]
    grams = [(_ngrams(t, 1), _ngrams(t, 2)) for t in (tokens(c) for c in candidates)]
    have = (Counter(), Counter())
    hits, lengths = [0, 0], [0, 0]

    def gain(i: int) -> tuple[float, list[int]]:
        new = []
        for k in (0, 1):
            h = hits[k] + sum(min(have[k][g] + c, refs[k][g]) - min(have[k][g], refs[k][g])
                              for g, c in grams[i][k].items() if g in refs[k])
            new.append(h)
        f = sum(_f1(new[k], lengths[k] + sum(grams[i][k].values()), sizes[k]) for k in (0, 1))
        return f, new

    picked: list[int] = []
    best = 0.0
    while len(picked) < max_sentences:
        trials = [(*gain(i), i) for i in range(len(candidates)) if i not in picked and grams[i][0]]
        if not trials:
            break
        f, new, i = max(trials, key=lambda t: (t[0], t[2]))
        if f <= best:
            break
        best, picked = f, picked + [i]
        for k in (0, 1):
            have[k].update(grams[i][k])
            lengths[k] += sum(grams[i][k].values())
        hits[:] = new
    return picked


# ---- features, fit and policy ----------------------------------------------------------------

@dataclass
class Prepared:
    doc: Doc
    cleaned: list[str]
    x: np.ndarray
    y: np.ndarray  # oracle membership 0/1


def prepare(docs: list[Doc], labels: bool = True) -> list[Prepared]:
    out = []
    for d in docs:
        cleaned = [clean(s) for s in d.sentences]
        y = np.zeros(len(cleaned), dtype=np.float32)
        if labels:  # the oracle picks among the sentences the planner may pick, as inference does
            y[oracle([c if c and worth(c) else "" for c in cleaned], d.reference_text)] = 1
        out.append(Prepared(d, cleaned, sentence_features(d.title, d.sentences, cleaned), y))
    return out


def fit(prepared: list[Prepared], c: float = 1.0, hidden: int = 0,
        ensemble: int = 1) -> tuple[list[float], list[float], list[dict]]:
    """Standardise the features and fit the scorer: (mean, scale, layers) for ExtractiveConfig.

    hidden = 0: a logistic regression. Otherwise `ensemble` one-hidden-layer nets of `hidden`
    ReLU units (seeds 0..E-1) whose logits are averaged. That average is itself one net with
    E x hidden units, so it is stored and run like any other; one net alone varies with its seed
    by about as much as it gains over the regression (5-fold CV on the CNN rows)."""
    x = np.concatenate([p.x for p in prepared])
    y = np.concatenate([p.y for p in prepared])
    mean, scale = x.mean(0), x.std(0)
    scale[scale < 1e-6] = 1.0
    z = (x - mean) / scale
    if not hidden:
        from sklearn.linear_model import LogisticRegression

        m = LogisticRegression(C=c, max_iter=2000).fit(z, y)
        layers = [{"weight": np.round(m.coef_, 6).tolist(), "bias": np.round(m.intercept_, 6).tolist()}]
        return mean.round(6).tolist(), scale.round(6).tolist(), layers
    from sklearn.neural_network import MLPClassifier

    nets = [MLPClassifier((hidden,), alpha=1e-2, max_iter=500, early_stopping=True, random_state=seed).fit(z, y)
            for seed in range(ensemble)]
    w1 = np.concatenate([n.coefs_[0].T for n in nets])
    b1 = np.concatenate([n.intercepts_[0] for n in nets])
    w2 = np.concatenate([n.coefs_[1].T for n in nets], axis=1) / ensemble
    b2 = np.mean([n.intercepts_[1] for n in nets], axis=0)
    layers = [{"weight": np.round(w, 6).tolist(), "bias": np.round(b, 6).tolist()} for w, b in ((w1, b1), (w2, b2))]
    return mean.round(6).tolist(), scale.round(6).tolist(), layers


class CachedShortener:
    """The compressor with each sentence's deletion probabilities computed once, so a grid of
    thresholds costs one MiniLM pass; it cuts as inference does (`DeletionModel.compress_many`)."""

    def __init__(self, compressor: DeletionModel):
        self.model = compressor
        self.cache: dict[str, tuple] = {}

    def __call__(self, sentences: list[str], threshold: float, harder: float = 0.0) -> list[str]:
        return [c.text for c in self.model.compress_many(sentences, threshold - harder, harder > 0, self.cache)]


def run_policy(model: ExtractiveModel, prepared: list[Prepared], bullets: int, max_words: int,
               shorten=None, threshold: float | None = None, ceiling: int = 0) -> tuple[np.ndarray, list[list[str]]]:
    """ROUGE rows and bullets of every document under one policy (word budget, deletion threshold)."""
    c = model.config
    rows, outs = [], []
    for p in prepared:
        fn = (lambda xs, harder=0.0: shorten(list(xs), threshold, harder)) if shorten and threshold is not None else None
        picks = plan_picks(p.doc.sentences, p.cleaned, [""] * len(p.cleaned), model.scores(p.x), bullets,
                           max_words, c.redundancy, c.max_sentence_words, fn, c.order, ceiling)
        outs.append([q.text for q in picks])
        rows.append(rouge_row(outs[-1], p.doc.reference))
    return np.array(rows), outs


def choose_policy(gains: dict, longest: dict, max_mean_words: float):
    """The policy of the best held-out gain among those whose summaries average at most
    `max_mean_words` on every held-out set (the issue's 40-60 words); none fits: the shortest."""
    fit = [p for p in gains if longest[p] <= max_mean_words] or [min(gains, key=longest.get)]
    return max(fit, key=gains.get)


def lead3_rows(docs: list[Doc]) -> np.ndarray:
    return np.array([rouge_row(lead(d.text, d.reference_text, "lead-3").split("\n"), d.reference) for d in docs])


# ---- command line ----------------------------------------------------------------------------

@dataclass
class SelectorArgs:
    train: list[str]
    output_dir: str
    holdout: int = 100
    c: float = 1.0
    hidden: int = 32  # 0: logistic regression
    ensemble: int = 5
    bullets: int = 3
    words_grid: tuple[int, ...] = (60, 65, 70)
    max_mean_words: float = 60.0  # a policy whose summaries average more words on any held-out set is not chosen
    ceiling: int = 60  # the most words a summary may have (the 40-60); 0: none
    thresholds: tuple[float, ...] = ()  # deletion thresholds to try (empty: the compressor's own)
    redundancy: float = 0.7
    validate: list[str] = field(default_factory=list)  # extra held-out files ("path" or "path:N")
    cv: int = 0  # folds over the training rows that also choose the policy (0: held-out rows only)
    name: str = "extractive"


def parse_args(argv: list[str] | None = None) -> SelectorArgs:
    p = argparse.ArgumentParser(prog="python -m training.selector", description=__doc__.split("\n\n")[0])
    add_data_args(p)
    p.add_argument("--c", type=float, default=1.0, help="inverse regularisation strength of the regression")
    p.add_argument("--hidden", type=int, default=32, help="hidden units of each scorer net (0: logistic regression)")
    p.add_argument("--ensemble", type=int, default=5, help="scorer nets averaged (default 5)")
    p.add_argument("--bullets", type=int, default=3, help="bullets when the caller asks for no number")
    p.add_argument("--words-grid", default="60,65,70", help="word budgets to plan to, tried on the held-out rows (0: none)")
    p.add_argument("--max-mean-words", type=float, default=60.0,
                   help="choose only budgets whose held-out summaries average at most this many words (default 60)")
    p.add_argument("--ceiling", type=int, default=60,
                   help="the most words a summary may have: a longer one loses its weakest bullet while 2/3 of it "
                        "stays, then is cut harder if that fits (default 60; 0: none)")
    p.add_argument("--thresholds", default="", help="deletion thresholds to try (default: the compressor's own)")
    p.add_argument("--redundancy", type=float, default=0.7,
                   help="skip a sentence sharing this share of content words with a picked one")
    p.add_argument("--validate", nargs="*", default=[], metavar="FILE[:N]",
                   help="more held-out files (never trained on; N rows spread through the file)")
    p.add_argument("--cv", type=int, default=0, metavar="K",
                   help="also choose budget and threshold on the training rows, each scored by a scorer fitted "
                        "on the other K-1 folds (0: only the held-out rows)")
    p.add_argument("--name", default="extractive")
    a = p.parse_args(argv)
    try:
        grid = tuple(int(w) for w in a.words_grid.split(",") if w.strip())
        thresholds = tuple(float(t) for t in a.thresholds.split(",") if t.strip())
    except ValueError:
        p.error("--words-grid and --thresholds are comma-separated numbers")
    if a.holdout < 0 or a.bullets < 1:
        p.error("--holdout must be 0 or more and --bullets 1 or more")
    if a.ceiling < 0:
        p.error("--ceiling must be 0 or more")
    if a.cv < 0 or a.cv == 1:
        p.error("--cv must be 0 (none) or 2 or more")
    if a.hidden < 0 or a.ensemble < 1:
        p.error("--hidden must be 0 or more and --ensemble 1 or more")
    return SelectorArgs(a.train, a.output_dir, a.holdout, a.c, a.hidden, a.ensemble, a.bullets, grid or (0,),
                        a.max_mean_words, a.ceiling, thresholds, a.redundancy, a.validate, a.cv, a.name)


def fmt(row) -> str:
    return " / ".join(f"{v:.2f}" for v in row)


def train(args: SelectorArgs) -> dict:
    """Fit, choose the budget and threshold on the held-out rows, save; returns the metrics."""
    t0 = time.time()
    train_docs, held = split_holdout(read_docs(args.train[0]), args.holdout)
    for extra in args.train[1:]:
        train_docs += read_docs(extra)
    log.info("%d training documents, %d held out", len(train_docs), len(held))
    prepared = prepare(train_docs)
    mean, scale, layers = fit(prepared, args.c, args.hidden, args.ensemble)
    config = ExtractiveConfig(features=list(FEATURES), mean=mean, scale=scale, layers=layers, bullets=args.bullets,
                              ceiling=args.ceiling, redundancy=args.redundancy, name=args.name)
    out = Path(args.output_dir)
    config.save(out)  # so the compressor, if any, loads beside it
    model = ExtractiveModel.load(out)
    shorten = CachedShortener(model.compressor) if model.compressor else None
    thresholds = (args.thresholds or (model.compressor.config.threshold,)) if shorten else (None,)
    log.info("scorer fitted in %.0f s; compressor: %s", time.time() - t0,
             "none" if not shorten else f"thresholds {thresholds}")

    metrics: dict = {"train_docs": len(train_docs), "holdout_docs": len(held), "train": args.train}
    sets = {"holdout": [(model, prepare(held, labels=False))]} if held else {}
    for spec in args.validate:
        path, _, n = spec.partition(":")
        sets[Path(path).stem] = [(model, prepare(read_docs(path, int(n) if n else None), labels=False))]
    if args.cv and len(args.words_grid) * len(thresholds) > 1:
        sets["cv"] = cross_validated(prepared, config, model.compressor, args)
    policies = [(w, t) for w in args.words_grid for t in thresholds]
    gains = dict.fromkeys(policies, 0.0)
    longest = dict.fromkeys(policies, 0.0)  # the policy's highest mean words over the held-out sets
    total = sum(len(prep) for folds in sets.values() for _, prep in folds)
    rows: dict = {}
    for name, folds in sets.items():
        base = lead3_rows([p.doc for _, prep in folds for p in prep])
        metrics[f"{name}_lead3"] = [round(float(v), 2) for v in base.mean(0)]
        metrics[f"{name}_docs"] = len(base)
        for w, t in policies:
            runs = [run_policy(m, prep, args.bullets, w, shorten, t, args.ceiling) for m, prep in folds]
            r, outs = np.concatenate([r for r, _ in runs]), [o for _, fold_outs in runs for o in fold_outs]
            rows[(name, w, t)] = r
            words = float(np.mean([sum(n_words(b) for b in o) for o in outs]))
            longest[(w, t)] = max(longest[(w, t)], words)
            metrics.setdefault(f"{name}_grid", {})[f"words={w},threshold={t}"] = (
                [round(float(v), 2) for v in r.mean(0)] + [round(words, 1)])
            # the two metrics, ROUGE-2 and ROUGE-Lsum, over Lead-3; each document weighs the same
            gains[(w, t)] += float((r[:, 1] - base[:, 1] + r[:, 2] - base[:, 2]).sum()) / total
        log.info("%s grid (R1/R2/RLsum/words): %s", name, metrics[f"{name}_grid"])
    if sets:
        best = choose_policy(gains, longest, args.max_mean_words)
        config.max_words, config.compress_threshold = best
        metrics["policy_gain"] = {f"words={w},threshold={t}": round(g, 2) for (w, t), g in gains.items()}
        metrics["policy"] = {"max_words": best[0], "compress_threshold": best[1]}
        for name in sets:
            r, base = rows[(name, *best)], lead3_rows([p.doc for _, prep in sets[name] for p in prep])
            metrics[name] = {"mean": [round(float(v), 2) for v in r.mean(0)],
                             "ci95": [[round(v, 2) for v in bootstrap_ci(r[:, j])] for j in range(3)],
                             "minus_lead3_ci95": [[round(v, 2) for v in paired_bootstrap(r[:, j], base[:, j])["ci95"]]
                                                  for j in range(3)]}
            log.info("%s (R1/R2/RLsum): model %s (words=%d, threshold=%s); Lead-3 %s", name,
                     fmt(metrics[name]["mean"]), best[0], best[1], fmt(metrics[f"{name}_lead3"]))
    metrics["seconds"] = round(time.time() - t0, 1)
    config.notes = {"recipe": asdict(args), "metrics": metrics}
    config.save(out)
    (out / "metrics.json").write_text(json.dumps(_merge_compressor(out, metrics), indent=1) + "\n")
    return metrics


def cross_validated(prepared: list[Prepared], config: ExtractiveConfig, compressor: DeletionModel | None,
                    args: SelectorArgs) -> list[tuple[ExtractiveModel, list[Prepared]]]:
    """(scorer fitted without fold k, fold k) for each of `args.cv` folds of the training rows."""
    folds = []
    for k in range(args.cv):
        rest = [p for i, p in enumerate(prepared) if i % args.cv != k]
        mean, scale, layers = fit(rest, args.c, args.hidden, args.ensemble)
        fold = ExtractiveConfig(**{**asdict(config), "mean": mean, "scale": scale, "layers": layers, "notes": {}})
        folds.append((ExtractiveModel(fold, compressor), prepared[k::args.cv]))
    log.info("%d-fold scorers fitted for the policy", args.cv)
    return folds


def _merge_compressor(folder: Path, metrics: dict) -> dict:
    """metrics.json: the planner's figures and, when there is one, the compressor's."""
    path = folder / COMPRESSOR_NAME
    if path.exists():
        return {"planner": metrics, "compressor": json.loads(path.read_text())["metrics"]}
    return {"planner": metrics}


def main(argv: list[str] | None = None) -> int:
    from summarizer.cli import run_main
    from summarizer.inputs import InputError

    def command() -> int:
        logging.basicConfig(level=logging.INFO, format="%(message)s")
        args = parse_args(argv)
        check_paths(args.train, args.output_dir, args.validate)
        try:
            metrics = train(args)
        except ValueError as e:  # bad data or options: a usage error, one line
            raise InputError(str(e)) from None
        print(json.dumps(metrics.get("holdout", {}).get("mean")))
        return 0
    return run_main(command)


if __name__ == "__main__":
    sys.exit(main())
