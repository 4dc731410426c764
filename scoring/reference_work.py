"""A fixed reference workload, timed beside every throughput pass, so that speeds compare across machines
and moments.

A sentences-per-second figure says as much about the machine and its load as about the model: the same
lexicon timed at a quiet moment and at a busy one differs by 3x. Each timing check therefore runs, in
every round, its own pass and then this workload, on the same number of cores, and publishes the ratio:
sentences per *reference unit*, the sentences it classifies in the time this machine needs for one
unit of the reference. A load that slows both sides alike leaves the ratio where it was.

One unit on one core is a fixed amount of Python (word counting over a fixed text, like a lexicon) and
of single-threaded float32 matrix products (like a model's layers). On ``cores`` cores, one unit runs on
each core side by side, as the checks' own batches do. Units always run in fresh worker processes with
the garbage collector off, so the state of the check's own process (its heap, its threads) cannot
speed the reference up or slow it down.
"""

from __future__ import annotations

import time

VERSION = "2"  # bump when the workload changes: every speed measured against it changes with it

WORDS = ("good bad film plot acting slow funny dull warm cold bright dark story music long short "
         "great awful clever silly tender brutal quiet loud").split()
PYTHON_ROUNDS = 900
MATMUL_SIZE, MATMUL_ROUNDS = 192, 900
ROUND_S = 0.5  # about one unit here: a check's timed round should last about as long


def unit() -> float:
    """One reference unit on this core; returns a checksum so that no work can be skipped."""
    import gc

    import numpy as np
    from threadpoolctl import threadpool_limits

    gc.disable()
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
    """Times one reference unit per core, side by side on ``cores`` cores, in worker processes."""

    def __init__(self, cores: int = 1):
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        self.cores = max(1, cores)
        # spawned, not forked (the check's process may hold torch's threads); they inherit PYTHONHASHSEED
        # from it (scoring/executors/isolate.py), as string hashing moves dict-heavy code's speed
        self._pool = ProcessPoolExecutor(self.cores, mp_context=mp.get_context("spawn"))
        self.seconds()  # warm-up: imports, worker start

    def seconds(self) -> float:
        t0 = time.perf_counter()
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
    """(median, low, high) over rounds of ``count`` items per reference unit: count x ref_i / own_i. From five
    rounds on, the interval leaves out the single slowest and fastest round (a round that caught a burst of
    other work, or missed it, widens a min-max range for nothing)."""
    import statistics

    ratios = sorted(count * r / o for o, r in zip(own, ref, strict=True))
    kept = ratios[1:-1] if len(ratios) >= 5 else ratios
    return statistics.median(ratios), kept[0], kept[-1]


def sentence_metrics(count: int, own: list[float], ref: list[float]) -> dict[str, float]:
    """The relative-speed metrics of a sentence timing (scoring/metrics.py RELATIVE_SPEED_METRICS)."""
    mid, low, high = per_unit(count, own, ref)
    return {"sentences_per_unit": mid, "sentences_per_unit_low": low, "sentences_per_unit_high": high,
            "reference_seconds": min(ref)}
