"""``unfragile verify --rescore``: re-measure committed results into a temporary folder and compare.

Each metric is compared under its check's tolerance class: ``exact`` after the stored rounding,
``close`` within its declared absolute or relative tolerance (the verdict says "within tolerance" when
the digits moved, and names both instruction-set levels when the committed result came from another),
``machine`` (timings) reported, never compared. ``results/`` is never touched.
"""

from __future__ import annotations

import random
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from scoring import machine, registry, results
from scoring.check import Context
from scoring.entries import Entry


@dataclass
class Row:
    entry: str
    result: str
    metric: str
    committed: str
    measured: str
    difference: str
    verdict: str  # match | within tolerance[ (isa vs isa)] | mismatch | machine (reported) | missing | new | not measured


def changed_entries(catalog: dict[str, Entry], ref: str, entries_dir: Path, results_dir: Path) -> list[str]:
    """Entries whose YAML or results changed since git ``ref``."""
    out = subprocess.run(["git", "diff", "--name-only", ref, "--", str(entries_dir), str(results_dir)],
                         capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise ValueError(f"git diff {ref}: {out.stderr.strip() or 'failed'}")
    new = subprocess.run(["git", "ls-files", "--others", "--exclude-standard", "--", str(entries_dir), str(results_dir)],
                         capture_output=True, text=True, timeout=60)  # files not committed yet count too
    ids = set()
    for name in out.stdout.split() + new.stdout.split():
        path = Path(name)
        stem = path.name.split(".")[0]
        if stem in catalog:
            ids.add(stem)
        elif path.parent.name in catalog:
            ids.add(path.parent.name)
    # an entry whose checks read a changed dataset changes with it
    ids |= {e.id for e in catalog.values() for c in e.checks if c.args.get("dataset") in ids}
    return sorted(ids)


def sample(ids: list[str], n: int, seed: int) -> list[str]:
    return sorted(random.Random(seed).sample(sorted(ids), min(n, len(ids))))


def _fmt(value) -> str:
    if value is None:
        return "—"
    return f"{value:.7g}" if isinstance(value, float) else str(value)


def compare(committed: results.Result, measured: results.Result | None) -> list[Row]:
    """One row per metric of a committed result against its re-measurement."""
    e, r = committed.entry, committed.id
    if measured is None or measured.status != "ok":
        why = "not re-measured" if measured is None else f"{measured.status}: {measured.reason}"
        if committed.status != "ok":
            return [Row(e, r, "(status)", committed.status, measured.status if measured else "—", "",
                        "match" if measured and measured.status == committed.status else "not measured")]
        return [Row(e, r, "(all)", "ok", why[:200], "", "not measured")]
    declared = registry.metrics_of(committed.check)
    was, now = committed.provenance.cpu, measured.provenance.cpu
    moved = "within tolerance" + (f" ({was.get('isa', 'unknown ISA')} vs {now.get('isa')})"
                                  if not machine.same_kernels(was, now) else "")
    rows = []
    for name in sorted(set(committed.metrics) | set(measured.metrics)):
        a, b = committed.metrics.get(name), measured.metrics.get(name)
        metric = declared.get(name)
        if a is None or b is None:
            rows.append(Row(e, r, name, _fmt(a), _fmt(b), "", "missing" if b is None else "new"))
            continue
        diff = b - a
        if metric is not None and metric.tolerance == "machine":
            verdict = "machine (reported)"
        elif results.tidy(b) == a:
            verdict = "match"
        elif metric is not None and metric.allows(a, b):
            verdict = moved
        else:
            verdict = "mismatch"
        rows.append(Row(e, r, name, _fmt(a), _fmt(b), f"{diff:+.3g}" if diff else "0", verdict))
    return rows


def rescore(catalog: dict[str, Entry], ctx: Context, results_dir: Path, only: list[str], executor=None,
            limits=None) -> list[Row]:
    """Rerun the selected entries' checks into a temp folder; compare every committed result."""
    from scoring.runner import score

    committed, _ = results.read_all(results_dir)
    with tempfile.TemporaryDirectory(prefix="unfragile-rescore-") as tmp:
        score(catalog, ctx, Path(tmp), only=only, force=True, executor=executor, limits=limits)
        fresh, _ = results.read_all(Path(tmp))
    rows = []
    for key in sorted(k for k in committed if k[0] in only):
        rows += compare(committed[key], fresh.get(key))
    return rows


def failed(rows: list[Row]) -> bool:
    return any(r.verdict in ("mismatch", "missing", "new", "not measured") for r in rows)


def table(rows: list[Row]) -> str:
    """The comparison as a Markdown table (also printed; CI puts it in the job summary)."""
    head = ["entry", "check", "metric", "committed", "re-measured", "difference", "verdict"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r.entry, r.result, r.metric, r.committed, r.measured, r.difference, r.verdict]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    bad = sum(r.verdict in ("mismatch", "missing", "new", "not measured") for r in rows)
    lines.append("")
    lines.append(f"{len(rows)} metric(s) compared: {sum(r.verdict == 'match' for r in rows)} match, "
                 f"{sum(r.verdict.startswith('within') for r in rows)} within tolerance, "
                 f"{sum(r.verdict.startswith('machine') for r in rows)} timing(s) reported, {bad} problem(s).")
    return "\n".join(lines) + "\n"


def record(path: Path, ids: list[str], rows: list[Row], keep: int = 100) -> None:
    """Append this re-measurement to the verification record the Verification page shows."""
    import datetime as dt
    import json
    import os
    import platform

    from scoring.runner import git_commit

    try:
        history = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        history = []
    per_result: dict[str, str] = {}
    for r in rows:
        key = f"{r.entry}/{r.result}"
        bad = r.verdict in ("mismatch", "missing", "new", "not measured")
        per_result[key] = "mismatch" if bad or per_result.get(key) == "mismatch" else "match"
    history.append({
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "machine": f"{machine.cpu_name()} ({machine.isa_level()}), {os.cpu_count()} cores, "
                   f"{platform.system()} {platform.machine()}",
        "entries": ids,
        "results": dict(sorted(per_result.items())),
        "matched": not failed(rows),
        "timings_reported": sum(r.verdict.startswith("machine") for r in rows),
    })
    results.atomic_write(path, results.dumps(history[-keep:]))
