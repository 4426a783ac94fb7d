"""Bootstrap statistics over articles: a CI for one system's mean, and paired A-vs-B tests.

Articles are the unit of resampling (the usual practice for summarization: Koehn 2004,
Dror et al. 2018). Seeds are fixed so a report can be regenerated to the same digits.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

CHUNK = 200  # resamples drawn at once; bounds memory for large test sets


def _resampled_means(values: np.ndarray, n_resamples: int, seed: int) -> np.ndarray:
    """Means of `n_resamples` resamples (with replacement, same size) of `values`."""
    rng = np.random.default_rng(seed)
    n = len(values)
    out = np.empty(n_resamples)
    for start in range(0, n_resamples, CHUNK):
        k = min(CHUNK, n_resamples - start)
        idx = rng.integers(0, n, size=(k, n))
        out[start:start + k] = values[idx].mean(axis=1)
    return out


def bootstrap_ci(values: Sequence[float], n_resamples: int = 1000, seed: int = 0,
                 confidence: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of `values`."""
    x = np.asarray(values, dtype=float)
    if len(x) == 0:
        return (0.0, 0.0)
    if len(x) == 1 or n_resamples < 1:
        return (float(x.mean()), float(x.mean()))
    means = _resampled_means(x, n_resamples, seed)
    alpha = (1 - confidence) / 2
    lo, hi = np.quantile(means, [alpha, 1 - alpha])
    return (float(lo), float(hi))


def paired_bootstrap(a: Sequence[float], b: Sequence[float], n_resamples: int = 1000,
                     seed: int = 0) -> dict[str, float | list[float]]:
    """Mean difference a - b over the same articles, its bootstrap CI and a two-sided p-value.

    The p-value is the share of resampled mean differences on the other side of zero, doubled
    (with the observed sample counted once, so it is never exactly 0).
    """
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"paired scores need equal lengths, got {len(x)} and {len(y)}")
    d = x - y
    if len(d) == 0:
        raise ValueError("no articles to compare")
    observed = float(d.mean())
    means = _resampled_means(d, max(1, n_resamples), seed)
    lo, hi = np.quantile(means, [0.025, 0.975])
    below = int((means <= 0).sum())
    above = int((means >= 0).sum())
    p = min(1.0, 2 * (min(below, above) + 1) / (len(means) + 1))
    return {"mean_a": float(x.mean()), "mean_b": float(y.mean()), "diff": observed,
            "ci95": [float(lo), float(hi)], "p_value": p, "n": int(len(d))}

