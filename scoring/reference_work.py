"""A fixed reference workload, timed beside every throughput pass, so that speeds compare across machines
and moments.

A sentences-per-second figure says as much about the machine and its load as about the model: the same
lexicon timed at a quiet moment and at a busy one differs by 3x. Each timing check therefore runs, in
every round, its own pass and then this workload, on the same number of cores, and publishes the ratio:
sentences per *reference unit*, the sentences it classifies in the time this machine needs for one
unit of the reference. A load that slows both sides alike leaves the ratio where it was.

One unit on one core is a fixed amount of Python (word counting over a fixed text, like a lexicon) and
of single-threaded float32 matrix products (like a model's layers). On ``cores`` cores, one unit runs on
each core side by side, in worker processes, as the checks' own batches do.
"""

from __future__ import annotations

import time

VERSION = "1"  # bump when the workload changes: every speed measured against it changes with it

WORDS = ("good bad film plot acting slow funny dull warm cold bright dark story music long short "
         "great awful clever silly tender brutal quiet loud").split()
PYTHON_ROUNDS = 900
MATMUL_SIZE, MATMUL_ROUNDS = 192, 900


def unit() -> float:
    """One reference unit on this core; returns a checksum so that no work can be skipped."""
    import numpy as np
    from threadpoolctl import threadpool_limits

    text = [" ".join(WORDS[(i * 7 + j) % len(WORDS)] for j in range(24)) for i in range(200)]
    total = 0
    for _ in range(PYTHON_ROUNDS):
        counts: dict[str, int] = {}
        for sentence in text:
            for word in sentence.split():
                counts[word] = counts.get(word, 0) + 1
        total += len(counts)
    a = np.linspace(-1, 1, MATMUL_SIZE * MATMUL_SIZE, dtype=np.float32).reshape(MATMUL_SIZE, MATMUL_SIZE)
    b = a.T.copy()
    with threadpool_limits(1):
        for _ in range(MATMUL_ROUNDS):
            b = np.tanh(a @ b)
    return float(total) + float(b[0, 0])


class Reference:
    """Times one reference unit per core, side by side on ``cores`` cores (in this process when one)."""

    def __init__(self, cores: int = 1):
        self.cores = max(1, cores)
        self._pool = None
        if self.cores > 1:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor

            self._pool = ProcessPoolExecutor(self.cores, mp_context=mp.get_context("spawn"))  # no fork of a process torch has threaded
        self.seconds()  # warm-up: imports, worker start

    def seconds(self) -> float:
        t0 = time.perf_counter()
        if self._pool is None:
            unit()
        else:
            list(self._pool.map(_unit, range(self.cores)))
        return time.perf_counter() - t0

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def __enter__(self) -> Reference:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _unit(_: int) -> float:
    return unit()


def interleaved(own, reference: Reference, rounds: int, bar=None) -> tuple[list[float], list[float]]:
    """(own seconds, reference seconds) per round, the two taking turns: ``own()`` runs one timed pass."""
    mine, ref = [], []
    for _ in (bar(range(rounds)) if bar else range(rounds)):
        mine.append(own())
        ref.append(reference.seconds())
    return mine, ref


def per_unit(count: int, own: list[float], ref: list[float]) -> tuple[float, float, float]:
    """(median, low, high) over rounds of ``count`` items per reference unit: count x ref_i / own_i."""
    import statistics

    ratios = sorted(count * r / o for o, r in zip(own, ref, strict=True))
    return statistics.median(ratios), ratios[0], ratios[-1]
