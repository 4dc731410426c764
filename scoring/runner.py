"""Plan (entry × check) units, skip those whose key matches the stored result, run the rest."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from scoring import __version__, registry, results
from scoring.check import Args, Check, Context, Outcome, Unavailable
from scoring.entries import CheckSpec, Entry


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
class Report:
    ran: list[results.Result] = field(default_factory=list)
    skipped: list[Unit] = field(default_factory=list)

    @property
    def not_ok(self) -> list[results.Result]:
        return [r for r in self.ran if r.status != "ok"]


def unit_key(entry: Entry, spec: CheckSpec, check: Check, args: Args, ctx: Context) -> str:
    material = {
        "check": check.name,
        "check_version": check.version,
        "entry": entry.id,
        "source": entry.source.model_dump(mode="json", by_alias=True),
        "args": args.model_dump(mode="json"),
        "inputs": check.key_inputs(entry, args, ctx),
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


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


def is_current(unit: Unit, results_dir: Path) -> bool:
    path = results.result_path(results_dir, unit.entry.id, unit.spec.result_id)
    try:
        return results.read(path).key == unit.key
    except (OSError, ValueError):
        return False


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10,
                             cwd=Path(__file__).resolve().parent)
    except (OSError, subprocess.SubprocessError):
        return None
    commit = out.stdout.strip()
    return commit if out.returncode == 0 and len(commit) == 40 else None


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def run_unit(unit: Unit, ctx: Context) -> tuple[results.Result, list[dict]]:
    """Run one unit; never raises for the check's own errors."""
    started, t0 = _now(), time.perf_counter()
    outcome, status, reason = Outcome(metrics={}), "ok", None
    try:
        outcome = unit.check.run(unit.entry, unit.args, ctx)
        outcome.metrics = results.tidy(outcome.metrics)
        outcome.details = results.tidy(outcome.details)
    except Unavailable as err:
        status, reason = "unavailable", str(err)
    except Exception as err:  # a failing check must not stop the batch
        status = "failed"
        last = traceback.extract_tb(err.__traceback__)[-1:]
        where = f" (at {Path(last[0].filename).name}:{last[0].lineno})" if last else ""
        reason = f"{type(err).__name__}: {err}{where}"
        outcome = Outcome(metrics={})
    provenance = results.Provenance(
        engine_version=__version__,
        check_version=unit.check.version,
        git_commit=_git_commit(),
        inputs=outcome.inputs,
        model=outcome.model,
        libraries=outcome.libraries,
        device="cpu",
        python=platform.python_version(),
        platform=f"{platform.system()} {platform.machine()}",
        seed=ctx.seed,
        started_at=started,
        finished_at=_now(),
        duration_s=round(time.perf_counter() - t0, 3),
    )
    result = results.Result(
        entry=unit.entry.id,
        id=unit.spec.result_id,
        check=unit.check.name,
        status=status,
        key=unit.key,
        metrics=outcome.metrics if status == "ok" else {},
        reason=reason,
        config=unit.args.model_dump(mode="json"),
        details=outcome.details if status == "ok" else {},
        provenance=provenance,
    )
    return result, outcome.examples if status == "ok" else []


def score(catalog: dict[str, Entry], ctx: Context, results_dir: Path, only: list[str] | None = None,
          force: bool = False, executor=None) -> Report:
    from scoring.executors.local import LocalExecutor

    report = Report()
    todo = []
    for unit in plan(catalog, ctx, only):
        if not force and is_current(unit, results_dir):
            report.skipped.append(unit)
        else:
            todo.append(unit)
    executor = executor or LocalExecutor()
    for result in executor.run(todo, ctx, results_dir):
        report.ran.append(result)
    return report


