"""The interface every check implements, over plain data."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from scoring import reasons
from scoring.entries import Entry


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS tells it, else every core)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


class Unavailable(Exception):
    """The check cannot run here (missing data, weights or package): a code of scoring/reasons.py and its
    parameters, stored with the result and shown on the site."""

    def __init__(self, code: str, **params):
        self.code, self.params = code, params
        super().__init__(reasons.text(code, params))


class Args(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


Tolerance = Literal["exact", "close", "machine"]
UNITS = ("fraction", "count", "bits/byte", "ratio", "per-second", "bytes", "seconds", "parameters", "other")


@dataclass(frozen=True)
class Metric:
    """A metric, declared once on the check that reports it; the engine, verify and the generator read it.

    tolerance: how a re-measurement is compared with the committed value —
      ``exact``: equal after the stored rounding (counts, and numbers computed in a fixed order by code
        of ours);
      ``close``: within ``abs_tol + rel_tol * |committed|`` — floats that pass through BLAS, torch or ONNX
        Runtime kernels, whose last digits follow the CPU's instruction set and the thread count (each
        declaration says what it was measured against);
      ``machine``: timings, never compared across machines (reported with the machine they came from).
    interval: the names of the (low, high) metrics that bound this one.
    """

    display: str
    unit: str
    higher_is_better: bool | None = True
    description: str = ""
    tolerance: Tolerance = "exact"
    abs_tol: float = 0.0
    rel_tol: float = 0.0
    interval: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"metric {self.display!r}: unknown unit {self.unit!r}")
        if (self.tolerance == "close") != (self.abs_tol > 0 or self.rel_tol > 0):
            raise ValueError(f"metric {self.display!r}: a close metric needs abs_tol or rel_tol > 0, others none")

    def allows(self, committed: float, measured: float) -> bool:
        """Whether a re-measurement agrees with the committed value under this metric's tolerance class."""
        if self.tolerance == "close":
            return abs(measured - committed) <= self.abs_tol + self.rel_tol * abs(committed)
        return measured == committed


def machine(display: str, unit: str = "per-second", higher_is_better: bool | None = True,
            description: str = "") -> Metric:
    """A timing: depends on the machine and its load, so it is shown with them and never compared."""
    return Metric(display, unit, higher_is_better, description, tolerance="machine")


@dataclass(frozen=True)
class Shard:
    """One independently processable piece of a check's input (e.g. one .jsonl.zst file)."""

    name: str  # data-dir-relative path, shown to users
    sha256: str  # pinned in the entry; part of the shard's key


@dataclass
class Context:
    """What a check may use: resolved paths, the catalog of entries, a seed and a progress callback."""

    data_dir: Path | None
    catalog: dict[str, Entry]
    cache_dir: Path
    seed: int = 0
    show_progress: bool = True
    models_dir: Path | None = None  # where wheel-shipped models are unpacked (scoring/wheels.py)

    def bar(self, iterable=None, total: int | None = None, desc: str = "", unit: str = "it"):
        """A progress bar for long inner loops (hidden when progress is off)."""
        from tqdm.auto import tqdm

        return tqdm(iterable, total=total, desc=desc, unit=unit, leave=False, disable=not self.show_progress)


@dataclass
class Outcome:
    metrics: dict[str, float | int]
    details: dict = field(default_factory=dict)
    examples: list[dict] = field(default_factory=list)
    inputs: dict[str, str] = field(default_factory=dict)  # name -> sha256, as verified
    model: dict = field(default_factory=dict)  # revision or package + version actually used
    libraries: dict[str, str] = field(default_factory=dict)


@dataclass
class Derived:
    """Numbers recomputed from a result's evidence: metrics, and detail tables by their key."""

    metrics: dict[str, float | int] = field(default_factory=dict)
    details: dict[str, object] = field(default_factory=dict)


class Check:
    """Subclass, set ``name``, ``version``, ``Args`` and ``metrics``, and implement ``run``.

    ``version`` is part of every result key: bump it when the check's code changes what it measures
    (scoring/code.lock records a hash of the code beside it, and a test holds the two together).
    A check that keeps per-example records declares their shape (``Record``), what identifies one
    (``record_id``), and how its published numbers derive from them (``derive``).
    """

    name: ClassVar[str]
    version: ClassVar[str] = "1"
    Args: ClassVar[type[Args]] = Args
    metrics: ClassVar[dict[str, Metric]] = {}
    detail_metrics: ClassVar[dict[str, Metric]] = {}  # columns of the tables in a result's details
    Record: ClassVar[type[BaseModel] | None] = None
    record_id: ClassVar[tuple[str, ...]] = ()

    def adapters(self, entry: Entry, args: Args) -> list[str]:
        """Modules (under scoring/adapters) whose code this unit runs; their versions join its key."""
        return []

    def derive(self, records: list[dict], result) -> Derived:
        """Recompute a result's published numbers from its records (its config, seed, details and base
        counts may be used). Raise ValueError when the records contradict themselves. Metrics not
        returned are not derivable from the evidence (timings, for one)."""
        return Derived()

    def key_inputs(self, entry: Entry, args: Args, ctx: Context) -> dict:
        """Everything besides the entry's source and args that can change the answer (e.g. data sha256)."""
        return {}

    def run(self, entry: Entry, args: Args, ctx: Context) -> Outcome:
        """Whole check in one call. Sharded checks need not override it."""
        shards = self.shards(entry, args, ctx)
        if shards is None:
            raise NotImplementedError(f"{self.name} implements neither run nor shards")
        return self.merge(entry, args, ctx, [self.run_shard(entry, args, ctx, s) for s in shards])

    # Sharded checks (corpora): the runner may plan one unit per shard, store each partial,
    # skip shards already done, and merge. Partials are plain JSON-serialisable dicts.
    def shards(self, entry: Entry, args: Args, ctx: Context) -> list[Shard] | None:
        return None

    def run_shard(self, entry: Entry, args: Args, ctx: Context, shard: Shard) -> dict:
        raise NotImplementedError

    def merge(self, entry: Entry, args: Args, ctx: Context, partials: list[dict]) -> Outcome:
        raise NotImplementedError
