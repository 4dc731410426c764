"""Small statistics shared by checks: confusion metrics and bootstrap intervals."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

VERSION = "1"  # bump when a change here can move a measured number (see scoring/code.py)


def confusion(labels, preds) -> dict[str, int]:
    y, p = np.asarray(labels), np.asarray(preds)
    return {
        "tp": int(((p == 1) & (y == 1)).sum()),
        "fp": int(((p == 1) & (y == 0)).sum()),
        "tn": int(((p == 0) & (y == 0)).sum()),
        "fn": int(((p == 0) & (y == 1)).sum()),
    }


def binary_metrics(labels, preds) -> dict[str, float | int]:
    """Accuracy, precision, recall and F1 with label 1 as the positive class."""
    c = confusion(labels, preds)
    n = c["tp"] + c["fp"] + c["tn"] + c["fn"]
    precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 0.0
    recall = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"accuracy": (c["tp"] + c["tn"]) / n, "precision": precision, "recall": recall, "f1": f1, **c, "n": n}


@lru_cache(maxsize=4)
def resample_indices(seed: int, n: int, resamples: int) -> np.ndarray:
    """The bootstrap's (resamples, n) indices: the first draw of a fresh generator seeded ``seed``.

    Kept for reuse (read-only), since results of one dataset share their seed and size: a catalog's
    verify draws them once, not once per result."""
    idx = np.random.default_rng(seed).integers(0, n, size=(resamples, n))
    idx.setflags(write=False)
    return idx


@lru_cache(maxsize=4)
def resample_counts(seed: int, n: int, resamples: int) -> np.ndarray:
    """How often each example is drawn in each resample of ``resample_indices`` (resamples x n)."""
    idx = resample_indices(seed, n, resamples)
    rows = np.repeat(np.arange(resamples), n)
    counts = np.bincount(rows * n + idx.ravel(), minlength=resamples * n).reshape(resamples, n).astype(float)
    counts.setflags(write=False)
    return counts


def bootstrap_mean_ci(values, seed: int = 0, resamples: int = 2000, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval for the mean of per-example values."""
    x = np.asarray(values, dtype=float)
    if len(x) and np.array_equal(x, np.round(x)) and len(x) * np.abs(x).max() < 2**53:
        # whole numbers (0/1 correctness): every sum is exact in float64, so counts @ x gives the
        # plain gather-and-mean's numbers bit for bit, in one matrix-vector product
        means = resample_counts(seed, len(x), resamples) @ x / len(x)
    else:
        means = x[resample_indices(seed, len(x), resamples)].mean(axis=1)
    alpha = (1 - level) / 2
    return float(np.quantile(means, alpha)), float(np.quantile(means, 1 - alpha))


def bootstrap_ratio_ci(num, den, seed: int = 0, resamples: int = 2000, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval for sum(num)/sum(den), resampling items (documents) together."""
    a, b = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    idx = resample_indices(seed, len(a), resamples)
    ratios = a[idx].sum(axis=1) / b[idx].sum(axis=1)
    alpha = (1 - level) / 2
    return float(np.quantile(ratios, alpha)), float(np.quantile(ratios, 1 - alpha))


def wilson_ci(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion k/n (informative at k = 0 and for small n)."""
    if n <= 0:
        return 0.0, 1.0
    from statistics import NormalDist

    z = NormalDist().inv_cdf(1 - (1 - level) / 2)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return float(low), float(high)


def roc_auc(labels, scores) -> float:
    """Area under the ROC curve: the probability that a positive outscores a negative, ties counting half
    (the Mann-Whitney statistic, with average ranks for tied scores)."""
    y = np.asarray(labels)
    x = np.asarray(scores, dtype=float)
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    ranks = ((ends - counts + 1 + ends) / 2.0)[inverse]
    positives = y == 1
    n_pos, n_neg = int(positives.sum()), int((~positives).sum())
    return float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
