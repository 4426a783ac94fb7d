"""Fit and check the per-bullet support score (summarizer/support.py) on SummEval.

    python -m eval.calibrate_support ../shared/data/summeval_cnndm_test_100.jsonl

SummEval gives 16 systems' summaries of 100 CNN/DailyMail articles, each rated 1-5 for
consistency by experts. Every summary sentence stands in for a bullet. The script

1. scores each signal alone (Spearman of the summary's weakest / mean bullet with the rating),
   beside the old check (any unsupported number or name) and the novel-bigram share of the
   whole summary;
2. fits the weights of `score = exp(-w . gaps)` with 5 folds grouped by article (no article
   on both sides), picks the threshold on the training folds, and reports the out-of-fold
   Spearman, the share of fully consistent summaries (rating 5) with a warned bullet, and the
   share of poor ones (rating <= 2) caught;
3. fits on all articles and writes the weights and threshold to summarizer/support.json.

The ratings are used only to weigh three signals and place one threshold, never to tune a
summarizer. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from scipy.stats import spearmanr
from sklearn.model_selection import GroupKFold

from eval.faithfulness import article_proxies
from summarizer.evidence import find_support, source_sentences
from summarizer.support import CALIBRATION, FEATURES, SourceIndex, bullet_features

FULL = 5.0  # "fully consistent": every expert gave 5
POOR = 2.0  # "poor": mean rating 2 or lower
THRESHOLD = 0.5  # the score is rescaled so that the warning threshold sits here
COPY_FLOOR = 0.55  # a bullet found in order in one source sentence scores at least this
FACT_SCORE = 0.4  # one unsupported fact alone takes a perfect bullet down to this (or lower)


def load_bullets(path: str):
    """Per summary: article index, rating, per-bullet gaps (n_bullets x 3), copy flags, seconds."""
    rows = [json.loads(line) for line in open(path, encoding="utf-8")]
    out = []
    for a, row in enumerate(rows):
        source = row["article"]
        for system, summary in sorted(row["systems"].items()):
            t = time.perf_counter()
            bullets = [summary[s:e] for s, e in source_sentences(summary)] or [summary]
            src = SourceIndex(source)  # rebuilt per summary so the timing is that of one report
            feats, copies = [], []
            for bullet, sup in zip(bullets, find_support(bullets, source)):
                f, copy, _ = bullet_features(bullet, src, sup.spans)
                feats.append([f[k] for k in FEATURES])
                copies.append(copy)
            out.append(dict(article=a, rating=row["human_scores"][system]["consistency"],
                            gaps=np.array(feats), copy=np.array(copies),
                            seconds=time.perf_counter() - t,
                            novel2=article_proxies(summary, source)["novel_2gram"] or 0.0))
    return out


def fit(items, l2: float = 1e-3) -> np.ndarray:
    """Weights w >= 0 of P(rating 5) = a * exp(-w . max-over-bullets gaps): a summary is as
    good as its weakest bullet on each gap. `a` (the share rated 5 among perfect copies) is
    fitted and dropped, so a copied sentence scores exactly 1."""
    M = np.array([s["gaps"].max(0) for s in items])
    y = np.array([s["rating"] >= FULL for s in items], float)

    def loss(p):
        w, log_a = p[:-1], p[-1]
        lp = np.minimum(log_a - M @ w, -1e-9)
        return -(y * lp + (1 - y) * np.log(-np.expm1(lp))).mean() + l2 * w @ w

    k = M.shape[1]
    res = minimize(loss, np.r_[np.ones(k), -0.1], method="L-BFGS-B",
                   bounds=[(0, None)] * k + [(None, -1e-6)])
    return res.x[:-1]


def bullet_scores(s, w: np.ndarray, floor: float = COPY_FLOOR) -> np.ndarray:
    scores = np.exp(-(s["gaps"] @ w))
    return np.where(s["copy"], np.maximum(scores, floor), scores)


def calibrate(items, warn_rate: float) -> np.ndarray:
    """Fit, then rescale the weights so that a share `warn_rate` of fully consistent summaries
    has its weakest bullet below THRESHOLD, with the facts weight at least large enough for
    one unsupported fact to warn."""
    w = fit(items)
    fact_min = math.log(1 / FACT_SCORE)
    j = FEATURES.index("facts")
    full = [s for s in items if s["rating"] >= FULL]
    for _ in range(10):
        weakest = np.array([bullet_scores(s, w, floor=0.0).min() for s in full])
        q = np.quantile(weakest, warn_rate)
        if q < 1.0:  # (q == 1: hardly any consistent summary has a gap; nothing to place)
            w = w * math.log(1 / THRESHOLD) / math.log(1 / q)  # now q -> THRESHOLD
        if w[j] >= fact_min - 1e-9:
            break
        w[j] = fact_min
    return w


def warned(s, w) -> bool:
    return bool((bullet_scores(s, w) < THRESHOLD).any())


def rates(flags, ratings) -> tuple[float, float]:
    flags, ratings = np.asarray(flags), np.asarray(ratings)
    return float(flags[ratings >= FULL].mean()), float(flags[ratings <= POOR].mean())


def cv_rates(bad: np.ndarray, y: np.ndarray, groups: np.ndarray, folds: int, warn_rate: float):
    """Warn when `bad` (higher = worse) exceeds the training folds' (1 - warn_rate) quantile
    over fully consistent summaries: out-of-fold (warn rate at 5, recall at <= 2)."""
    flags = np.zeros(len(bad), bool)
    for train, test in GroupKFold(n_splits=folds).split(bad, groups=groups):
        t = np.quantile(bad[train][y[train] >= FULL], 1 - warn_rate)
        flags[test] = bad[test] > t
    return rates(flags, y)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", help="SummEval JSONL (article, systems, human_scores)")
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--warn-rate", type=float, default=0.045,
                   help="share of fully consistent summaries allowed a warning when fitting (below "
                        "the 5%% target, so the out-of-fold rate stays under it)")
    p.add_argument("--output", default=str(CALIBRATION), help="where to write the weights")
    args = p.parse_args(argv)

    items = load_bullets(args.data)
    y = np.array([s["rating"] for s in items])
    groups = np.array([s["article"] for s in items])
    secs = np.array([s["seconds"] for s in items])
    print(f"{len(items)} summaries of {len(set(groups))} articles, {sum(len(s['gaps']) for s in items)} "
          f"bullets; rated 5: {np.mean(y >= FULL):.1%}, rated <= 2: {int(np.sum(y <= POOR))}")
    print(f"features: {1000 * secs.mean():.1f} ms per summary (median {1000 * np.median(secs):.1f})\n")

    # each signal alone: Spearman needs no fitting; its warning threshold is picked per fold
    print(f"{'signal':34s} {'rho min':>8s} {'rho mean':>8s} {'warn@5':>7s} {'recall@<=2':>10s}")
    novel2 = np.array([s["novel2"] for s in items])
    r5, r2 = cv_rates(novel2, y, groups, args.folds, args.warn_rate)
    print(f"{'novel bigrams, whole summary':34s} {spearmanr(-novel2, y)[0]:8.3f} {'':8s} {r5:7.3f} {r2:10.3f}")
    fa = np.array([bool(s["gaps"][:, FEATURES.index("facts")].any()) for s in items])
    r5, r2 = rates(fa, y)
    print(f"{'any unsupported fact (old warning)':34s} {spearmanr(~fa, y)[0]:8.3f} {'':8s} {r5:7.3f} {r2:10.3f}")
    for j, name in enumerate(FEATURES):
        worst = np.array([s["gaps"][:, j].max() for s in items])
        mean = np.array([s["gaps"][:, j].mean() for s in items])
        r5, r2 = cv_rates(worst, y, groups, args.folds, args.warn_rate)
        print(f"{name + ' (per bullet)':34s} {spearmanr(-worst, y)[0]:8.3f} {spearmanr(-mean, y)[0]:8.3f} "
              f"{r5:7.3f} {r2:10.3f}")

    # grouped cross-validation of the whole recipe (fit, rescale, threshold, copy floor)
    oof_min, oof_mean, flags = np.zeros(len(items)), np.zeros(len(items)), np.zeros(len(items), bool)
    for train, test in GroupKFold(n_splits=args.folds).split(items, groups=groups):
        w = calibrate([items[i] for i in train], args.warn_rate)
        for i in test:
            sc = bullet_scores(items[i], w)
            oof_min[i], oof_mean[i], flags[i] = sc.min(), sc.mean(), warned(items[i], w)
    cv = dict(rho_min=float(spearmanr(oof_min, y)[0]), rho_mean=float(spearmanr(oof_mean, y)[0]))
    cv["warn_rate_full"], cv["recall_poor"] = rates(flags, y)
    print(f"{'support score (grouped CV, OOF)':34s} {cv['rho_min']:8.3f} {cv['rho_mean']:8.3f} "
          f"{cv['warn_rate_full']:7.3f} {cv['recall_poor']:10.3f}")

    w = calibrate(items, args.warn_rate)
    fit_rates = rates([warned(s, w) for s in items], y)
    weights = {k: round(float(v), 4) for k, v in zip(FEATURES, w)}
    out = dict(weights=weights, threshold=THRESHOLD, copy_floor=COPY_FLOOR,
               fitted_on=f"SummEval consistency, {len(items)} summaries of {len(set(groups))} articles",
               cv_folds_grouped_by_article=args.folds, cv={k: round(v, 4) for k, v in cv.items()},
               warn_rate_full_in_sample=round(fit_rates[0], 4), recall_poor_in_sample=round(fit_rates[1], 4))
    Path(args.output).write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(f"\nweights {weights}; warn below {THRESHOLD}; in-sample warn@5 {fit_rates[0]:.3f}, "
          f"recall@<=2 {fit_rates[1]:.3f}; wrote {args.output}")
    print(json.dumps(dict(cv=cv, weights=weights, threshold=THRESHOLD,
                          ms_per_summary=round(1000 * float(secs.mean()), 2))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
