"""The interface every check implements, over plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from scoring.entries import Entry


class Unavailable(Exception):
    """The check cannot run here (missing data, weights or package); the reason is shown on the site."""


class Args(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class Metric:
    unit: str
    higher_is_better: bool | None = True
    description: str = ""


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


class Check:
    """Subclass, set ``name``, ``version``, ``Args`` and ``metrics``, and implement ``run``."""

    name: ClassVar[str]
    version: ClassVar[str] = "1"
    Args: ClassVar[type[Args]] = Args
    metrics: ClassVar[dict[str, Metric]] = {}

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
