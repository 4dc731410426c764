"""``make bench``: run every benchmarks/bench_*.py module's main() in turn, then print one summary table.

Each module runs in its own process (so one module's crash or memory does not touch the others) and
may return rows from ``main()``; a row is a dict with ``name``, ``ours``, ``baseline``, ``unit``,
``ratio`` (ours over baseline, above 1 is better for us), and optionally ``agreement`` (do both sides
give the same numbers), ``target`` and ``met`` (the issue's target and whether this run meets it),
``peak_mb_ours``, ``peak_mb_baseline`` and ``note``. Each module interleaves its sides over rounds,
so a ratio compares runs made side by side.

Disturbance: the CPU time the whole machine spent while a module ran (``/proc/stat``), minus the
module's own (its process tree's rusage), over the cores and wall time. Above 10% of the machine,
the module is flagged as disturbed by other work, and its figures should be re-measured. Inside a
virtual machine, the host's other guests do not show in ``/proc/stat``: so each core's speed at a
fixed loop is also measured before and after each module, all cores at once, and a module is
flagged as well when a core's speed moved by more than 10% between the two, or when one core runs
more than 15% slower than another (a core shared with work we cannot see). The latest
figures, with the machine they were measured on, go to results/benchmarks.json for the performance
page.

    python -m benchmarks                 # every module
    python -m benchmarks bpb site        # only bench_bpb and bench_site
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import pkgutil
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "results" / "benchmarks.json"
SCHEMA_VERSION = 2
DISTURBED = 0.10  # other work's share of the machine above which a module's figures are flagged
SPEED_MOVED, CORES_APART = 0.10, 0.15  # core speed change during a module / gap between cores that flag it
PROBE = """import os, sys, time
os.sched_setaffinity(0, {int(sys.argv[1])})
n, t0 = 0, time.perf_counter()
while time.perf_counter() - t0 < 0.4:
    sum(range(2000))
    n += 1
print(n / (time.perf_counter() - t0))
"""
CHILD = """import json, sys
from importlib import import_module
rows = import_module("benchmarks." + sys.argv[1]).main([])
json.dump(rows if isinstance(rows, list) and all(isinstance(r, dict) for r in rows) else None,
          open(sys.argv[2], "w"), allow_nan=False)
"""


def modules() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_"))


def machine() -> dict:
    import psutil

    from scoring import machine as cpu_info

    described = cpu_info.describe()
    libraries = {}
    for name in ("torch", "transformers", "ray", "mkdocs"):
        try:
            from importlib import metadata

            libraries[name] = metadata.version(name)
        except Exception:
            continue
    return {"cpu": described["model"], "isa": described["isa"], "cpu_flags": described["flags"],
            **({"kernel_overrides": described["kernel_overrides"]} if "kernel_overrides" in described else {}),
            "cores": os.cpu_count(), "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
            "os": f"{platform.system()} {platform.release()} {platform.machine()}",
            "python": platform.python_version(), "libraries": libraries, "gpu": None,
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}


def busy_seconds() -> float | None:
    """CPU seconds every core of the machine has spent busy since boot (None where /proc/stat is absent)."""
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            fields = [int(x) for x in fh.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def core_speeds() -> list[float] | None:
    """Loops per second of a fixed workload on each core, every core busy at once (thousands)."""
    if not hasattr(os, "sched_getaffinity"):
        return None
    procs = [subprocess.Popen([sys.executable, "-c", PROBE, str(core)], stdout=subprocess.PIPE, text=True)
             for core in sorted(os.sched_getaffinity(0))]
    try:
        return [round(float(p.communicate()[0]) / 1000, 1) for p in procs]
    except ValueError:
        return None


def speed_flags(start: list[float] | None, end: list[float] | None) -> list[str]:
    """Why the cores' speeds make a module's figures doubtful (nothing when they look steady)."""
    if not start or not end or len(start) != len(end):
        return []
    flags = []
    moved = max(abs(b - a) / a for a, b in zip(start, end, strict=True))
    if moved > SPEED_MOVED:
        flags.append(f"a core's speed moved {moved:.0%} during the run")
    apart = 1 - min(start + end) / max(start + end)
    if apart > CORES_APART:
        flags.append(f"one core ran {apart:.0%} slower than another")
    return flags


def run_module(name: str) -> dict:
    """Run one module in a child process; its rows, time, peak RSS, the other work on the machine
    meanwhile, and the last lines it printed."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rows.json"
        speed_start = core_speeds()
        load_start, busy_start = os.getloadavg()[0], busy_seconds()
        t0 = time.perf_counter()
        # stdout (the module's report) is echoed and kept; stderr (progress bars, warnings) only shown
        proc = subprocess.Popen([sys.executable, "-c", CHILD, name, str(out)], cwd=ROOT, stdout=subprocess.PIPE,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
        seen = bytearray()
        for chunk in iter(lambda: proc.stdout.read1(1 << 16), b""):
            sys.stdout.buffer.write(chunk)
            sys.stdout.flush()
            seen += chunk
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        rows = json.loads(out.read_text()) if proc.returncode == 0 and out.is_file() else None
    wall = time.perf_counter() - t0
    busy_end = busy_seconds()
    speed_end = core_speeds()
    flags = speed_flags(speed_start, speed_end)
    other = None
    if busy_start is not None and busy_end is not None:
        own = usage.ru_utime + usage.ru_stime
        other = max(0.0, (busy_end - busy_start - own) / (wall * (os.cpu_count() or 1)))
    # what stays on screen: the last state of each line (progress bars redraw with \r)
    lines = (line.rsplit("\r", 1)[-1].rstrip() for line in seen.decode("utf-8", "replace").split("\n"))
    printed = [line for line in lines if line]
    return {"module": name, "status": "ok" if proc.returncode == 0 else f"failed (exit {proc.returncode})",
            "seconds": round(wall, 1), "peak_rss_mb": round(usage.ru_maxrss / 1024),
            "load_average": [round(load_start, 2), round(os.getloadavg()[0], 2)],
            "other_work": None if other is None else round(other, 3),
            "core_speed": {"start": speed_start, "end": speed_end, "flags": flags},
            "disturbed": (other is not None and other > DISTURBED) or bool(flags),
            "rows": rows or [], "output": printed[-25:]}


def _num(value) -> str:
    return f"{value:,.1f}" if isinstance(value, (int, float)) else str(value or "")


def summary(results: list[dict]) -> str:
    head = ["benchmark", "ours", "baseline", "unit", "ratio", "same numbers?", "target", "met?",
            "peak MiB ours/baseline"]
    table = [head]
    for r in results:
        for row in r["rows"]:
            peaks = "/".join(f"{row[k]:,.0f}" for k in ("peak_mb_ours", "peak_mb_baseline")
                             if isinstance(row.get(k), (int, float)))
            table.append([row.get("name", r["module"]), _num(row.get("ours")), _num(row.get("baseline")),
                          row.get("unit", ""), f"{row['ratio']:.2f}x" if isinstance(row.get("ratio"), (int, float))
                          else "", row.get("agreement", ""), row.get("target", ""),
                          {True: "yes", False: "NO"}.get(row.get("met"), ""), peaks])
        if not r["rows"]:
            table.append([f"{r['module']}: {r['status']}, no rows returned (see its output above)"] + [""] * 8)
    widths = [max(len(str(row[i])) for row in table) for i in range(len(head))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines += ["", "module             seconds   peak RSS MiB   load start/end   other work   core speed start -> end"
                  "   status"]
    for r in results:
        other = "n/a" if r["other_work"] is None else f"{r['other_work']:.0%}"
        speed = r.get("core_speed") or {}
        cores = (f"{'/'.join(f'{v:.0f}' for v in speed['start'])} -> {'/'.join(f'{v:.0f}' for v in speed['end'])}"
                 if speed.get("start") and speed.get("end") else "n/a")
        why = "; ".join(speed.get("flags") or []) or "other work on the machine"
        flag = f"  DISTURBED ({why}): re-run on a quiet machine" if r["disturbed"] else ""
        lines.append(f"{r['module']:<18} {r['seconds']:>7.1f}   {r['peak_rss_mb']:>12}   "
                     f"{r['load_average'][0]:>6.2f}/{r['load_average'][1]:<6.2f}   {other:>10}   {cores:>23}   "
                     f"{r['status']}{flag}")
    rows = [row for r in results for row in r["rows"] if row.get("met") is not None]
    missed = [row["name"] for row in rows if not row["met"]]
    lines += ["", f"targets met: {len(rows) - len(missed)} of {len(rows)}" + (f"; missed: {'; '.join(missed)}" if missed else "")]
    return "\n".join(lines)


def write(results: list[dict], path: Path, info: dict) -> None:
    """Replace the modules that ran, keep the others' last figures."""
    from scoring.results import atomic_write

    try:
        old = {b["module"]: b for b in json.loads(path.read_text(encoding="utf-8")).get("benchmarks", [])}
    except (OSError, ValueError, AttributeError):
        old = {}
    when = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    for r in results:
        old[r["module"]] = {**r, "measured_at": when, "machine": info}
    from benchmarks import scale

    benchmarks = [old[k] for k in sorted(old)]
    data = {"schema_version": SCHEMA_VERSION, "updated_at": when, "machine": info, "benchmarks": benchmarks,
            "scale": scale.on_paper(benchmarks)}
    atomic_write(path, json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description="Speed ratios measured side by side.")
    parser.add_argument("only", nargs="*", help="module names, with or without 'bench_' (default: all)")
    parser.add_argument("--out", type=Path, default=OUT, help=f"figures for the performance page (default: {OUT})")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    names = modules()
    wanted = [n if n.startswith("bench_") else f"bench_{n}" for n in args.only] or names
    unknown = [n for n in wanted if n not in names]
    if unknown:
        print(f"no benchmark module {', '.join(unknown)}; available: {', '.join(names)}", file=sys.stderr)
        return 2
    info = machine()
    print(f"machine: {info['cpu']}, instruction set {info['isa']} ({' '.join(info['cpu_flags'])}), "
          f"{info['cores']} cores", flush=True)
    results = []
    for name in wanted:
        print(f"== {name}", flush=True)
        results.append(run_module(name))
    print("\n" + summary(results))
    if not args.no_write:
        write(results, args.out, info)
        print(f"\nwrote {args.out}")
    return 0 if all(r["status"] == "ok" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
