"""The bootstrap's fast paths give the plain formulation's numbers bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from scoring import stats


def _plain_mean_ci(x: np.ndarray, seed: int) -> tuple[float, float]:
    idx = np.random.default_rng(seed).integers(0, len(x), size=(2000, len(x)))
    means = x[idx].mean(axis=1)
    alpha = (1 - 0.95) / 2
    return float(np.quantile(means, alpha)), float(np.quantile(means, 1 - alpha))


@pytest.mark.parametrize("kind", ["binary", "small integers", "real"])
@pytest.mark.parametrize("seed", [0, 7])
def test_bootstrap_mean_ci_equals_the_plain_formulation(kind, seed):
    rng = np.random.default_rng(100 + seed)
    x = {"binary": (rng.random(872) < 0.63).astype(float), "small integers": rng.integers(-3, 9, 500).astype(float),
         "real": rng.normal(size=300)}[kind]
    assert stats.bootstrap_mean_ci(x, seed=seed) == _plain_mean_ci(x, seed)
    assert stats.bootstrap_mean_ci(x, seed=seed) == _plain_mean_ci(x, seed)  # again, from the kept indices


def test_kept_indices_cannot_be_changed_by_a_caller():
    idx = stats.resample_indices(0, 10, 20)
    with pytest.raises(ValueError):
        idx[0, 0] = 3
