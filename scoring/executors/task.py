"""The task model shared by the runner (parent) and the executors (children): what one child process runs,
what it answers, and ``execute``, which runs a task's check code in the process it is called in."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from scoring import results
from scoring.check import Args, Check, Context, Outcome, Shard, Unavailable
from scoring.entries import CheckSpec, Entry, Limits


@dataclass
class Unit:
    entry: Entry
    spec: CheckSpec
    check: Check
    args: Args
    key: str

    @property
    def label(self) -> str:
        return f"{self.entry.id}/{self.spec.result_id}"


@dataclass
class Task:
    """What an executor runs in one child process: a whole unit, or one shard of it."""

    unit: Unit
    limits: Limits  # both fields set
    shard: Shard | None = None
    shard_key: str | None = None

    @property
    def label(self) -> str:
        return self.unit.label + (f"[{self.shard.name}]" if self.shard else "")

    @property
    def exclusive(self) -> bool:
        """Timing checks ask to run alone so that other work does not slow them down."""
        return bool(getattr(self.unit.check, "exclusive", False))


@dataclass
class TaskOutcome:
    status: str  # ok | failed | unavailable
    reason: str | None = None
    outcome: Outcome | None = None  # a whole unit's answer
    partial: dict | None = None  # a shard's answer (JSON round-tripped)
    started_at: str = ""
    duration_s: float = 0.0
    threads: dict = field(default_factory=dict)  # thread counts in the child: they can move float results
    reason_code: str | None = None  # an ``unavailable`` outcome's code and parameters (scoring/reasons.py)
    reason_params: dict = field(default_factory=dict)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _guarded(fn, limits: Limits | None = None) -> tuple[str, str | Unavailable | None, object]:
    """Call fn(); turn the check's own errors into (status, reason, None); an ``unavailable`` reason is the
    exception itself (its code and parameters travel with the outcome)."""
    try:
        return "ok", None, fn()
    except Unavailable as err:
        return "unavailable", err, None
    except MemoryError as err:
        limit = f" (memory limit {limits.memory_mb} MiB)" if limits and limits.memory_mb else ""
        return "failed", f"MemoryError{': ' + str(err) if str(err) else ''}{limit}", None
    except Exception as err:  # a failing check must not stop the batch
        last = traceback.extract_tb(err.__traceback__)[-1:]
        where = f" (at {Path(last[0].filename).name}:{last[0].lineno})" if last else ""
        return "failed", f"{type(err).__name__}: {err}{where}", None


def _tidy_outcome(outcome: Outcome) -> Outcome:
    """Aggregates rounded as stored; per-example records keep full precision (aggregates derive from them)."""
    results.examples_text(outcome.examples)  # refuses NaN/Infinity and what JSON cannot hold, in the child
    return dataclasses.replace(outcome, metrics=results.tidy(outcome.metrics), details=results.tidy(outcome.details))


def task_outcome(status: str, reason: str | Unavailable | None, **fields) -> TaskOutcome:
    """A TaskOutcome from ``_guarded``'s answer: an Unavailable gives its sentence, code and parameters."""
    if isinstance(reason, Unavailable):
        return TaskOutcome(status, str(reason), reason_code=reason.code, reason_params=reason.params, **fields)
    return TaskOutcome(status, reason, **fields)


def execute(task: Task, ctx: Context) -> TaskOutcome:
    """Run a task's check code in this process; never raises for the check's own errors."""
    started, t0 = _now(), time.perf_counter()
    unit = task.unit
    if task.shard is None:
        status, reason, value = _guarded(lambda: _tidy_outcome(unit.check.run(unit.entry, unit.args, ctx)), task.limits)
        out = task_outcome(status, reason, outcome=value)
    else:
        def shard() -> dict:
            partial = unit.check.run_shard(unit.entry, unit.args, ctx, task.shard)
            # stored partials and fresh ones must merge alike, so both go through JSON
            return json.loads(json.dumps(partial, allow_nan=False))
        status, reason, value = _guarded(shard, task.limits)
        out = task_outcome(status, reason, partial=value)
    out.started_at, out.duration_s = started, round(time.perf_counter() - t0, 3)
    out.threads = thread_counts()
    return out


def thread_counts() -> dict:
    """Threads the libraries that did the arithmetic were using (torch only if the check loaded it)."""
    import sys

    found: dict = {}
    if "torch" in sys.modules:
        found["torch"] = sys.modules["torch"].get_num_threads()
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return found
    for pool in threadpool_info():
        found[f"{pool.get('user_api')}:{pool.get('internal_api')}"] = int(pool.get("num_threads") or 0)
    return found
