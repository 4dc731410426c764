"""Plan (entry × check [× shard]) work, skip what is up to date, hand the rest to an executor, record results.

A unit is an entry's check; its key is a hash of everything that can change its answer, and a unit
whose key matches the stored result is skipped. A sharded check (``Check.shards()``) becomes one
task per shard: each finished shard's partial result is stored at once under the cache dir, keyed by
the shard's own sha256, so a rerun (after a crash, or after one shard changed) runs only the shards
it has no partial for, then merges them into the same result file an unsharded check writes.
Tasks run in child processes under a time and memory limit (scoring/executors/isolate.py).
"""

from __future__ import annotations

import json
import platform
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from scoring import __version__, machine, reasons, registry, results
from scoring.check import Context, Outcome, Shard
from scoring.entries import CheckSpec, Entry, Limits
from scoring.executors.task import Task, TaskOutcome, Unit, _guarded, _now, _tidy_outcome, execute, task_outcome  # noqa: F401
from scoring.keys import code_versions, shard_keys, unit_key

DEFAULT_TIME_S = 4 * 3600.0


def default_memory_mb() -> int:
    """The machine's physical memory: a runaway check gets MemoryError instead of the OOM killer."""
    import psutil

    return psutil.virtual_memory().total >> 20


@dataclass
class Report:
    ran: list[results.Result] = field(default_factory=list)
    skipped: list[Unit] = field(default_factory=list)
    kept: list[tuple[results.Result, results.Result]] = field(default_factory=list)  # (committed ok, this run)
    shards_run: int = 0
    shards_reused: int = 0

    @property
    def not_ok(self) -> list[results.Result]:
        return [r for r in self.ran if r.status != "ok"]


def plan(catalog: dict[str, Entry], ctx: Context, only: list[str] | None = None) -> list[Unit]:
    units = []
    for entry in sorted(catalog.values(), key=lambda e: e.id):
        if only and entry.id not in only:
            continue
        for spec in entry.checks:
            check = registry.get(spec.check)
            args = check.Args.model_validate(spec.args)
            units.append(Unit(entry, spec, check, args, unit_key(entry, spec, check, args, ctx)))
    return units


def stored(unit: Unit, results_dir: Path) -> results.Result | None:
    try:
        return results.read(results.result_path(results_dir, unit.entry.id, unit.spec.result_id))
    except (OSError, ValueError):
        return None


def is_current(unit: Unit, results_dir: Path) -> bool:
    """Up to date: same key and ``ok``. An ``unavailable`` result is retried (what was missing may be here now),
    and so is a ``failed`` one: a stored failure (a crash, or one written by hand over a competitor's result)
    must never stand in for a measurement that can run."""
    found = stored(unit, results_dir)
    return found is not None and found.key == unit.key and found.status == "ok"


# --- recording (in the parent) ------------------------------------------------------------------


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10,
                             cwd=Path(__file__).resolve().parent)
    except (OSError, subprocess.SubprocessError):
        return None
    commit = out.stdout.strip()
    return commit if out.returncode == 0 and len(commit) == 40 else None


def make_result(unit: Unit, done: TaskOutcome, commit: str | None, seed: int) -> results.Result:
    outcome = done.outcome if done.status == "ok" and done.outcome is not None else Outcome(metrics={})
    provenance = results.Provenance(
        engine_version=__version__,
        check_version=unit.check.version,
        code=code_versions(unit.entry, unit.check, unit.args),
        threads=done.threads,
        git_commit=commit,
        inputs=outcome.inputs,
        model=outcome.model,
        libraries=outcome.libraries,
        device="cpu",
        cpu=machine.describe(),
        python=platform.python_version(),
        platform=f"{platform.system()} {platform.machine()}",
        seed=seed,
        started_at=done.started_at,
        finished_at=_now(),
        duration_s=done.duration_s,
    )
    return results.Result(
        entry=unit.entry.id,
        id=unit.spec.result_id,
        check=unit.check.name,
        status=done.status,
        key=unit.key,
        metrics=outcome.metrics,
        reason=done.reason,
        reason_code=done.reason_code,
        reason_params=done.reason_params,
        config=unit.args.model_dump(mode="json"),
        details=outcome.details,
        provenance=provenance,
    )


def partials_dir(ctx: Context, unit: Unit) -> Path:
    return ctx.cache_dir / "partials" / unit.entry.id / unit.spec.result_id


def partial_path(ctx: Context, unit: Unit, shard_key: str) -> Path:
    return partials_dir(ctx, unit) / f"{shard_key}.json"


def read_partial(ctx: Context, unit: Unit, shard_key: str) -> dict | None:
    try:
        record = json.loads(partial_path(ctx, unit, shard_key).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and record.get("key") == shard_key and "partial" in record else None


def sweep_temp(*dirs: Path) -> int:
    """Remove temp files a killed run left behind (atomic_write names them ``.<name>.<random>.tmp``)."""
    removed = 0
    for d in dirs:
        if d.is_dir():
            for p in d.rglob(".*.tmp"):
                p.unlink(missing_ok=True)
                removed += 1
    return removed


@dataclass
class _Gather:
    """The shards of one sharded unit: stored or fresh partial records, and failures."""

    unit: Unit
    shards: list[Shard]
    keys: list[str]
    records: list[dict | None]
    failures: list[str] = field(default_factory=list)
    statuses: set[str] = field(default_factory=set)
    codes: list[tuple[str, dict]] = field(default_factory=list)  # (code, params) of unavailable shards

    @property
    def complete(self) -> bool:
        return all(r is not None for r in self.records)


def _merge(g: _Gather, ctx: Context) -> TaskOutcome:
    records = [r for r in g.records if r is not None]
    started = min((r.get("started_at", "") for r in records), default="") or _now()
    duration = round(sum(float(r.get("duration_s", 0)) for r in records), 3)
    if g.failures:
        status = "unavailable" if g.statuses == {"unavailable"} else "failed"
        shown = "; ".join(g.failures[:3]) + (f"; and {len(g.failures) - 3} more" if len(g.failures) > 3 else "")
        code, params = g.codes[0] if status == "unavailable" and g.codes else (None, {})
        return TaskOutcome(status, shown, started_at=started, duration_s=duration, reason_code=code,
                           reason_params=params)
    u = g.unit
    status, reason, merged = _guarded(
        lambda: _tidy_outcome(u.check.merge(u.entry, u.args, ctx, [r["partial"] for r in g.records])))
    return task_outcome(status, reason, outcome=merged, started_at=started, duration_s=duration,
                   threads=next((r["threads"] for r in records if r.get("threads")), {}))


def _shards(unit: Unit, ctx: Context) -> list[Shard] | None:
    """The unit's shards, or None to run it whole (also when listing them fails: the child reports why)."""
    try:
        shards = unit.check.shards(unit.entry, unit.args, ctx)
    except Exception:
        return None
    return list(shards) if shards else None


def _limits(spec: CheckSpec, defaults: Limits) -> Limits:
    return Limits(time_s=spec.limits.time_s or defaults.time_s or DEFAULT_TIME_S,
                  memory_mb=spec.limits.memory_mb or defaults.memory_mb or default_memory_mb())


def score(catalog: dict[str, Entry], ctx: Context, results_dir: Path, only: list[str] | None = None,
          force: bool = False, executor=None, limits: Limits | None = None) -> Report:
    """Run every unit that is not up to date; each result (and each shard's partial) is written as it finishes."""
    from tqdm.auto import tqdm

    from scoring.executors.local import LocalExecutor

    sweep_temp(results_dir, ctx.cache_dir / "partials")
    report, commit, defaults = Report(), git_commit(), limits or Limits()

    def record(unit: Unit, done: TaskOutcome) -> None:
        before = stored(unit, results_dir)
        if done.status != "ok" and before is not None and before.status == "ok" and before.key == unit.key:
            report.kept.append((before, make_result(unit, done, commit, ctx.seed)))  # never lose measured evidence
            return
        if (done.status == "unavailable" and before is not None and before.status == "unavailable"
                and before.key == unit.key and (reasons.here(done.reason_code) or (
                    before.reason_code, before.reason_params) == (done.reason_code, done.reason_params))):
            # retried, and either still missing the same thing or missing something only this machine lacks
            # (network, data, a package): it learnt nothing about the entry, so the file stays byte for byte
            report.skipped.append(unit)
            return
        try:
            result = make_result(unit, done, commit, ctx.seed)
            results.write(results_dir, result, done.outcome.examples if result.status == "ok" else [])
        except (TypeError, ValueError) as err:  # e.g. provenance the result schema refuses
            done = TaskOutcome("failed", f"the result cannot be stored: {type(err).__name__}: {err}",
                               started_at=done.started_at, duration_s=done.duration_s)
            result = make_result(unit, done, commit, ctx.seed)
            results.write(results_dir, result)
        report.ran.append(result)

    tasks: list[Task] = []
    gathers: dict[str, _Gather] = {}
    for unit in plan(catalog, ctx, only):
        if not force and is_current(unit, results_dir):
            report.skipped.append(unit)
            continue
        unit_limits = _limits(unit.spec, defaults)
        shards = _shards(unit, ctx)
        if shards is None:
            tasks.append(Task(unit, unit_limits))
            continue
        keys = shard_keys(unit, shards, ctx)
        g = _Gather(unit, shards, keys, [None if force else read_partial(ctx, unit, k) for k in keys])
        report.shards_reused += sum(r is not None for r in g.records)
        todo = {k: s for s, k, r in zip(shards, keys, g.records, strict=True) if r is None}  # a file listed twice runs once
        tasks += [Task(unit, unit_limits, s, k) for k, s in todo.items()]
        if g.complete:
            record(unit, _merge(g, ctx))
        else:
            gathers[unit.label] = g

    executor = executor or LocalExecutor()
    with tqdm(total=len(tasks), desc="scoring", unit="task", disable=not ctx.show_progress or not tasks) as bar:
        for task, done in executor.run(tasks, ctx):
            bar.set_postfix_str(task.label)
            bar.update(1)
            if task.shard is None:
                record(task.unit, done)
                continue
            report.shards_run += 1
            g = gathers[task.unit.label]
            record_ = {}
            if done.status == "ok":
                record_ = {"key": task.shard_key, "shard": task.shard.name, "sha256": task.shard.sha256,
                           "started_at": done.started_at, "duration_s": done.duration_s, "partial": done.partial,
                           "threads": done.threads}
                results.atomic_write(partial_path(ctx, task.unit, task.shard_key), results.dumps(record_))
            else:
                g.failures.append(f"shard {task.shard.name}: {done.reason}")
                g.statuses.add(done.status)
                if done.reason_code:
                    g.codes.append((done.reason_code, done.reason_params))
            g.records = [record_ if k == task.shard_key else r for k, r in zip(g.keys, g.records, strict=True)]
            if g.complete:
                record(g.unit, _merge(g, ctx))
                if not g.failures:
                    _forget_other_partials(ctx, g)
    return report


def _forget_other_partials(ctx: Context, g: _Gather) -> None:
    """After a good merge, drop partials of shards the unit no longer has (old versions of changed shards)."""
    keep = {f"{k}.json" for k in g.keys}
    for p in partials_dir(ctx, g.unit).glob("*.json"):
        if p.name not in keep:
            p.unlink(missing_ok=True)
