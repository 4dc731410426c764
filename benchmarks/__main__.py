"""``make bench``: run every benchmarks/bench_*.py module's main() in turn, then print one summary table.

Each module runs in its own process (so one module's crash or memory does not touch the others) and
may return rows from ``main()``; a row is a dict with ``name``, ``ours``, ``baseline``, ``unit``,
``ratio`` (ours over baseline, above 1 is better for us), and optionally ``agreement`` (do both sides
give the same numbers), ``peak_mb_ours``, ``peak_mb_baseline`` and ``note``. The latest figures,
with the machine they were measured on, go to results/benchmarks.json for the performance page.

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
SCHEMA_VERSION = 1
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

    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo", encoding="utf-8")
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    libraries = {}
    for name in ("torch", "transformers", "ray", "mkdocs"):
        try:
            from importlib import metadata

            libraries[name] = metadata.version(name)
        except Exception:
            continue
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
            "os": f"{platform.system()} {platform.release()} {platform.machine()}",
            "python": platform.python_version(), "libraries": libraries, "gpu": None,
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}


def run_module(name: str) -> dict:
    """Run one module in a child process; its rows, time, peak RSS and the last lines it printed."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rows.json"
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
    # what stays on screen: the last state of each line (progress bars redraw with \r)
    lines = (line.rsplit("\r", 1)[-1].rstrip() for line in seen.decode("utf-8", "replace").split("\n"))
    printed = [line for line in lines if line]
    return {"module": name, "status": "ok" if proc.returncode == 0 else f"failed (exit {proc.returncode})",
            "seconds": round(time.perf_counter() - t0, 1), "peak_rss_mb": round(usage.ru_maxrss / 1024),
            "rows": rows or [], "output": printed[-25:]}


def _num(value) -> str:
    return f"{value:,.1f}" if isinstance(value, (int, float)) else str(value or "")


def summary(results: list[dict]) -> str:
    head = ["benchmark", "ours", "baseline", "unit", "ratio", "same numbers?", "peak MiB ours/baseline"]
    table = [head]
    for r in results:
        for row in r["rows"]:
            peaks = "/".join(f"{row[k]:,.0f}" for k in ("peak_mb_ours", "peak_mb_baseline")
                             if isinstance(row.get(k), (int, float)))
            table.append([row.get("name", r["module"]), _num(row.get("ours")), _num(row.get("baseline")),
                          row.get("unit", ""), f"{row['ratio']:.2f}x" if isinstance(row.get("ratio"), (int, float))
                          else "", row.get("agreement", ""), peaks])
        if not r["rows"]:
            table.append([f"{r['module']}: {r['status']}, no rows returned (see its output above)", "", "", "", "", "", ""])
    widths = [max(len(str(row[i])) for row in table) for i in range(len(head))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines += ["", "module             seconds   peak RSS MiB   status"]
    lines += [f"{r['module']:<18} {r['seconds']:>7.1f}   {r['peak_rss_mb']:>12}   {r['status']}" for r in results]
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
    data = {"schema_version": SCHEMA_VERSION, "updated_at": when, "machine": info,
            "benchmarks": [old[k] for k in sorted(old)]}
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
