"""Paired statistics for two results measured on the same items. Pure.

Two classifiers scored on the same sentences are compared sentence by sentence: the discordant
counts (only A right, only B right), an exact McNemar test (a two-sided binomial test on the
discordant pairs) and a paired bootstrap interval of the accuracy difference. Two models' bits per
byte on the same documents: a paired bootstrap interval of the difference (documents resampled
together). Leaderboards with many pairs correct for multiple comparisons with Holm's step-down
method. Interval overlap decides nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ALPHA = 0.05
RESAMPLES = 2000
LN2 = float(np.log(2))


@dataclass(frozen=True)
class PairedAccuracy:
    n: int
    both_right: int
    only_a: int
    only_b: int
    both_wrong: int
    accuracy_a: float
    accuracy_b: float
    diff: float  # accuracy_a - accuracy_b
    ci_low: float
    ci_high: float
    p_value: float  # exact McNemar, two-sided

    @property
    def significant(self) -> bool:
        return self.p_value < ALPHA


@dataclass(frozen=True)
class PairedBPB:
    n: int
    bpb_a: float
    bpb_b: float
    diff: float  # bpb_a - bpb_b
    ci_low: float
    ci_high: float
    p_value: float  # paired bootstrap, two-sided

    @property
    def significant(self) -> bool:
        return self.p_value < ALPHA


def mcnemar_exact(only_a: int, only_b: int) -> float:
    """Two-sided exact McNemar p-value: a binomial test of only_a out of only_a + only_b at 1/2."""
    n = only_a + only_b
    if n == 0:
        return 1.0
    from scipy.stats import binomtest

    return float(binomtest(only_a, n, 0.5).pvalue)


def _by(records: list[dict], key) -> dict:
    return {key(r): r for r in records}


def paired_accuracy(a: list[dict], b: list[dict], seed: int = 0) -> PairedAccuracy | None:
    """None unless both hold the same items (row numbers) with the same gold labels."""
    ra, rb = _by(a, lambda r: r["i"]), _by(b, lambda r: r["i"])
    if not ra or ra.keys() != rb.keys() or any(ra[i]["label"] != rb[i]["label"] for i in ra):
        return None
    items = sorted(ra)
    ca = np.array([ra[i]["pred"] == ra[i]["label"] for i in items], dtype=float)
    cb = np.array([rb[i]["pred"] == rb[i]["label"] for i in items], dtype=float)
    only_a, only_b = int(((ca == 1) & (cb == 0)).sum()), int(((ca == 0) & (cb == 1)).sum())
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(items), size=(RESAMPLES, len(items)))
    diffs = (ca[idx] - cb[idx]).mean(axis=1)
    low, high = np.quantile(diffs, [ALPHA / 2, 1 - ALPHA / 2])
    return PairedAccuracy(len(items), int(((ca == 1) & (cb == 1)).sum()), only_a, only_b,
                          int(((ca == 0) & (cb == 0)).sum()), float(ca.mean()), float(cb.mean()),
                          float(ca.mean() - cb.mean()), float(low), float(high), mcnemar_exact(only_a, only_b))


def paired_bpb(a: list[dict], b: list[dict], seed: int = 0) -> PairedBPB | None:
    """None unless both scored the same documents (shard, line) with the same byte counts."""
    ra, rb = _by(a, lambda r: (r["shard"], r["line"])), _by(b, lambda r: (r["shard"], r["line"]))
    if not ra or ra.keys() != rb.keys() or any(ra[k]["bytes"] != rb[k]["bytes"] for k in ra):
        return None
    docs = sorted(ra)
    nbytes = np.array([ra[d]["bytes"] for d in docs], dtype=float)
    bits_a = np.array([-ra[d]["ll"] / LN2 for d in docs])
    bits_b = np.array([-rb[d]["ll"] / LN2 for d in docs])
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(docs), size=(RESAMPLES, len(docs)))
    diffs = (bits_a[idx].sum(axis=1) - bits_b[idx].sum(axis=1)) / nbytes[idx].sum(axis=1)
    low, high = np.quantile(diffs, [ALPHA / 2, 1 - ALPHA / 2])
    bpb_a, bpb_b = bits_a.sum() / nbytes.sum(), bits_b.sum() / nbytes.sum()
    p = min(1.0, 2 * min(float((diffs <= 0).mean()), float((diffs >= 0).mean())))
    return PairedBPB(len(docs), float(bpb_a), float(bpb_b), float(bpb_a - bpb_b), float(low), float(high), p)


def holm(p_values: dict, alpha: float = ALPHA) -> dict:
    """Holm's step-down correction: key -> True where the difference stays significant."""
    order = sorted(p_values, key=lambda k: p_values[k])
    out, m, stopped = {}, len(order), False
    for rank, key in enumerate(order):
        stopped = stopped or p_values[key] > alpha / (m - rank)
        out[key] = not stopped
    return out


def confusion(records: list[dict]) -> dict[str, int]:
    out = {"tp": 0, "fp": 0, "tn": 0, "fn": 0}
    for r in records:
        key = ("t" if r["pred"] == r["label"] else "f") + ("p" if r["pred"] == 1 else "n")
        out[key] += 1
    return out


def paired(metric: str, a: list[dict] | None, b: list[dict] | None, seed: int = 0):
    """The paired comparison a metric calls for, or None when there is none (or the items differ)."""
    if not a or not b:
        return None
    if metric == "accuracy" and "label" in a[0] and "label" in b[0]:
        return paired_accuracy(a, b, seed)
    if metric == "bits_per_byte" and "ll" in a[0] and "ll" in b[0]:
        return paired_bpb(a, b, seed)
    return None
