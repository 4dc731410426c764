"""``unfragile verify``: every committed result is hostile input until its evidence says otherwise.

Offline, with no data and no model: each result file must parse, sit where its content says, belong
to a check its entry declares, carry the key today's entry gives (else it is *stale*: shown as such,
rescore it), hold only metrics its check declares, in range, intervals around their points, and
every number that derives from its per-example records must equal what those records give.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import orjson
from pydantic import TypeAdapter, ValidationError

from scoring import registry, results
from scoring.check import Check, Context, Metric
from scoring.entries import Entry
from scoring.keys import unit_key

TOP_LEVEL = {"benchmarks.json", "verification.json"}  # files results/ may hold beside the entry folders
INTEGER_UNITS = ("count", "parameters")


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    stale: dict[tuple[str, str], str] = field(default_factory=dict)  # (entry, result id) -> why
    verified: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def _show(value) -> str:
    return f"{value:.7g}" if isinstance(value, float) else repr(value) if isinstance(value, str) else str(value)


def _same(stored, derived) -> bool:
    """Equal after the stored rounding (7 significant digits)."""
    if isinstance(stored, bool) or isinstance(derived, bool):
        return stored == derived
    return results.tidy(derived) == stored


class _File:
    """Problems found in one result file, each one line that names the file."""

    def __init__(self, report: Report, path: Path, shown: str):
        self.report, self.path, self.shown = report, path, shown
        self.count = 0

    def __call__(self, message: str) -> None:
        self.report.problems.append(f"{self.shown}: {message}")
        self.count += 1


def _layout(results_dir: Path, report: Report, shown) -> tuple[list[Path], set[Path]]:
    """Result JSON files where results may be; anything else in results/ is a problem."""
    jsons, examples = [], set()
    for path in sorted(p for p in results_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(results_dir)
        if any(part.startswith(".") for part in rel.parts):
            continue  # temp files of a write in progress; score sweeps them
        if len(rel.parts) == 1 and rel.name in TOP_LEVEL:
            continue
        if len(rel.parts) == 2 and rel.name.endswith(".examples.jsonl"):
            examples.add(path)
        elif len(rel.parts) == 2 and rel.suffix == ".json":
            jsons.append(path)
        else:
            report.problems.append(f"{shown(path)}: not where a result can be "
                                   f"(results/<entry>/<result>.json and its .examples.jsonl)")
    return jsons, examples


def verify(catalog: dict[str, Entry], results_dir: Path, only: list[str] | None = None,
           root: Path | None = None) -> Report:
    """Check every result file under ``results_dir`` (or only those of the entries ``only`` names)."""
    report = Report()
    if not results_dir.is_dir():
        return report

    def shown(path: Path) -> str:
        try:
            return str(path.relative_to(root or Path.cwd()))
        except ValueError:
            return str(path)

    ctx = Context(data_dir=None, catalog=catalog, cache_dir=Path("."), show_progress=False)
    jsons, examples = _layout(results_dir, report, shown)
    claimed: set[Path] = set()
    for path in jsons:
        if only and path.parent.name not in only:
            continue
        problem = _File(report, path, shown(path))
        result = _read(path, problem)
        if result is None:
            continue
        if result.evidence is not None:
            claimed.add(path.parent / result.evidence.file)
        if result.schema_version < results.SCHEMA_VERSION:  # older files hashed no evidence: stale, never current
            claimed.add(results.examples_path(results_dir, path.parent.name, path.stem))
        _verify_one(result, path, catalog, ctx, report, problem)
        if not problem.count:
            report.verified += 1
    for path in sorted(examples - claimed):
        if only and path.parent.name not in only:
            continue
        report.problems.append(f"{shown(path)}: per-example file that no result names (an orphan); delete it or rescore")
    return report


def _read(path: Path, problem: _File) -> results.Result | None:
    try:
        return results.read(path)
    except ValidationError as err:
        e = err.errors()[0]
        where = ".".join(str(p) for p in e["loc"]) or "(file)"
        problem(f"{where}: {e['msg']}" + (f" (and {len(err.errors()) - 1} more)" if len(err.errors()) > 1 else ""))
    except (ValueError, OSError) as err:
        problem(f"cannot be read as a result: {str(err).splitlines()[0]}")
    return None


def _verify_one(result: results.Result, path: Path, catalog: dict[str, Entry], ctx: Context, report: Report,
                problem: _File) -> None:
    expected = results.result_path(path.parent.parent, result.entry, result.id)
    if path.parent.name != result.entry or path.name != expected.name:
        problem(f"says it is {result.entry}/{result.id}, but sits at {path.parent.name}/{path.name} "
                "(a copy under another name is never published)")
        return
    entry = catalog.get(result.entry)
    if entry is None:
        problem(f"no entry {result.entry!r} in entries/ (an orphan); delete it or add the entry")
        return
    spec = entry.check_spec(result.id)
    if spec is None or spec.check != result.check:
        declared = ", ".join(f"{c.result_id} ({c.check})" for c in entry.checks) or "none"
        problem(f"entry {entry.id} declares no check {result.id!r} running {result.check!r} (it declares: {declared})")
        return
    try:
        check = registry.get(spec.check)
        args = check.Args.model_validate(spec.args)
    except (registry.UnknownCheck, ValidationError, ValueError) as err:
        problem(f"its entry's check cannot be planned: {str(err).splitlines()[0]}")
        return
    _status_rules(result, problem)
    declared = {**check.detail_metrics, **check.metrics}
    _metric_rules(result, check.metrics, problem)
    _detail_intervals(result, declared, problem)
    key = unit_key(entry, spec, check, args, ctx)
    if result.schema_version < results.SCHEMA_VERSION:
        report.stale[(result.entry, result.id)] = (f"written by an older engine (schema {result.schema_version}); "
                                                   "rescore it")
        return
    if result.key != key:  # what it was measured on is no longer what the entry pins: judged as stale only
        report.stale[(result.entry, result.id)] = ("its entry, data or producing code changed since it was "
                                                   "measured; rescore it")
    elif result.status == "ok":
        _provenance_rules(result, entry, check, args, ctx, problem)
    if result.status == "ok":
        records = _records(result, path, check, problem)
        if records is not None:
            _derivations(result, check, records, problem)


def _status_rules(result: results.Result, problem: _File) -> None:
    if result.status == "ok":
        if result.reason:
            problem(f"status ok, but it gives a reason ({result.reason[:80]!r})")
        if not result.metrics:
            problem("status ok, but it holds no metric")
    else:
        if not result.reason:
            problem(f"status {result.status}, but no reason says why")
        if result.metrics:
            problem(f"status {result.status}, but it holds metrics ({', '.join(sorted(result.metrics)[:5])})")


def _value_rules(name: str, value, metric: Metric, problem: _File, where: str = "") -> None:
    if isinstance(value, float) and not math.isfinite(value):
        problem(f"{where}{name} is {value}, not a number a result may hold")
    elif metric.unit in INTEGER_UNITS and (not isinstance(value, int) or value < 0):
        problem(f"{where}{name} {_show(value)} is not a non-negative whole number ({metric.unit})")
    elif metric.unit == "fraction" and not 0 <= value <= 1 and "diff" not in name:
        problem(f"{where}{name} {_show(value)} is outside 0..1 (a fraction)")
    elif metric.unit in ("per-second", "seconds", "ratio", "bits/byte", "bytes") and value < 0:
        problem(f"{where}{name} {_show(value)} is negative")


def _metric_rules(result: results.Result, declared: dict[str, Metric], problem: _File) -> None:
    for name, value in sorted(result.metrics.items()):
        metric = declared.get(name)
        if metric is None:
            problem(f"metric {name!r} is not one check {result.check} declares")
            continue
        _value_rules(name, value, metric, problem)
    _intervals(result.metrics, declared, problem, "")


def _intervals(values: dict, declared: dict[str, Metric], problem: _File, where: str) -> None:
    for name, metric in declared.items():
        if metric.interval and name in values and values[name] is not None:
            low, high = (values.get(n) for n in metric.interval)
            if isinstance(low, (int, float)) and isinstance(high, (int, float)) and not low <= values[name] <= high:
                problem(f"{where}{name} {_show(values[name])} lies outside its interval "
                        f"[{_show(low)}, {_show(high)}]")


def _detail_intervals(result: results.Result, declared: dict[str, Metric], problem: _File) -> None:
    """Tables in details ({row: {metric: value}}): values in range, intervals around their points."""
    for key, table in result.details.items():
        if not (isinstance(table, dict) and table and all(isinstance(v, dict) for v in table.values())):
            continue
        for row, values in table.items():
            where = f"details.{key}.{row}: "
            for name, value in values.items():
                if name in declared and isinstance(value, (int, float)) and not isinstance(value, bool):
                    _value_rules(name, value, declared[name], problem, where)
            _intervals(values, declared, problem, where)


def _provenance_rules(result: results.Result, entry: Entry, check: Check, args, ctx: Context, problem: _File) -> None:
    try:
        pinned = check.key_inputs(entry, args, ctx)
    except Exception:  # an input the entry cannot resolve is reported by validate
        pinned = {}
    for name, sha in sorted(result.provenance.inputs.items()):
        if name in pinned and pinned[name] != sha:
            problem(f"provenance.inputs[{name!r}] is {sha}, but the entry pins {pinned[name]}")
    missing = sorted(set(pinned) - set(result.provenance.inputs))
    if missing:
        problem(f"provenance.inputs lacks {', '.join(missing)}, which the entry pins")
    model, pins = result.provenance.model, entry.source.pins()
    if model and any(k in model for k in pins):  # a model-less result (a compressor, a dataset check) echoes none
        for k, want in pins.items():
            if model.get(k) != want:
                problem(f"provenance.model.{k} is {model.get(k)!r}, but the entry pins {want!r}")


@cache
def _record_list(record: type) -> TypeAdapter:
    return TypeAdapter(list[record])


def _records(result: results.Result, path: Path, check: Check, problem: _File) -> list[dict] | None:
    """The per-example records, checked against the hash and count the result records."""
    if check.Record is None:
        return []
    ev = result.evidence
    if ev is None:
        problem("records no per-example file, so its numbers cannot be re-derived")
        return None
    epath = path.parent / ev.file
    if ev.file != results.examples_path(path.parent.parent, result.entry, result.id).name:
        problem(f"evidence.file {ev.file!r} is not this result's per-example file")
        return None
    try:
        raw = epath.read_bytes()
    except OSError:
        problem(f"its per-example file {ev.file} is missing")
        return None
    actual = hashlib.sha256(raw).hexdigest()
    if actual != ev.sha256:
        problem(f"per-example file {ev.file} has sha256 {actual}, but the result records {ev.sha256}")
        return None
    lines = raw.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    records = []
    for n, line in enumerate(lines, start=1):
        try:
            record = orjson.loads(line)  # NaN and Infinity are not JSON: refused
        except orjson.JSONDecodeError as err:
            problem(f"{ev.file} line {n}: not a valid record ({str(err).splitlines()[0][:120]})")
            return None
        if type(record) is not dict:
            problem(f"{ev.file} line {n}: not a valid record (a JSON {type(record).__name__}, not an object)")
            return None
        records.append(record)
    try:
        _record_list(check.Record).validate_python(records)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(x) for x in first["loc"][1:]) or "(record)"
        problem(f"{ev.file} line {first['loc'][0] + 1}: not a valid record ({where}: {first['msg'][:120]})")
        return None
    seen = set()
    for n, record in enumerate(records, start=1):
        rid = tuple(record.get(k) for k in check.record_id)
        if rid in seen:
            problem(f"{ev.file} line {n}: a second record for {dict(zip(check.record_id, rid, strict=True))}")
            return None
        seen.add(rid)
    if len(records) != ev.records:
        problem(f"{ev.file} holds {len(records)} records, but the result records {ev.records}")
        return None
    return records


def _derivations(result: results.Result, check: Check, records: list[dict], problem: _File) -> None:
    try:
        derived = check.derive(records, result)
    except (ValueError, KeyError, TypeError, ZeroDivisionError) as err:
        problem(f"its records contradict themselves: {err}")
        return
    n = f"its {len(records):,} examples" if records else "its own counts"
    for name, value in sorted(derived.metrics.items()):
        if name not in result.metrics:
            problem(f"lacks {name}, which {n} give as {_show(results.tidy(value))}")
        elif not _same(result.metrics[name], value):
            problem(f"{name} {_show(result.metrics[name])}, but {n} give {_show(results.tidy(value))}")
    for key, table in derived.details.items():
        stored = result.details.get(key)
        if not isinstance(stored, dict):
            problem(f"details.{key} is missing, but {n} give it")
            continue
        for row in sorted(set(table) | set(stored)):
            mine, theirs = table.get(row), stored.get(row)
            if not isinstance(mine, dict) or not isinstance(theirs, dict):
                problem(f"details.{key}.{row} does not match {n}")
                continue
            for col, value in sorted(mine.items()):
                if col in theirs and not _same(theirs[col], value):
                    problem(f"details.{key}.{row}.{col} {_show(theirs[col])}, but {n} give "
                            f"{_show(results.tidy(value))}")
