"""`unfragile verify` speed: every committed result, and 1,000 synthetic entries' results, against reading the JSON.

Targets (issue: speed): under 2 s for the committed results, under 20 s for 1,000 entries. The baseline
is reading and parsing every result file without checking anything, measured in the same run.

    .venv/bin/python -m benchmarks.bench_verify [--entries 1000]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from scoring import results
from scoring.check import Context
from scoring.entries import entry_files
from scoring.keys import unit_key
from scoring.registry import get
from scoring.validation import load_catalog
from scoring.verify import verify

ROOT = Path(__file__).resolve().parent.parent


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def synthetic(n: int, where: Path) -> tuple[Path, Path]:
    """n copies of the VADER entry and its verified result (keys recomputed for each copy)."""
    entries, res = where / "entries", where / "results"
    (entries / "models").mkdir(parents=True)
    (entries / "datasets").mkdir()
    shutil.copyfile(ROOT / "entries" / "datasets" / "sst2.yaml", entries / "datasets" / "sst2.yaml")
    text = (ROOT / "entries" / "models" / "vader.yaml").read_text().split("  - check: classifier-throughput")[0]
    for i in range(n):
        (entries / "models" / f"vader-{i:04d}.yaml").write_text(text.replace("id: vader", f"id: vader-{i:04d}", 1))
    catalog, problems = load_catalog(entry_files(entries), entries)
    assert not problems, problems[:3]
    ctx = Context(data_dir=None, catalog=catalog, cache_dir=where, show_progress=False)
    original = results.read(ROOT / "results" / "vader" / "classification-accuracy.json")
    examples = ROOT / "results" / "vader" / "classification-accuracy.examples.jsonl"
    check = get("classification-accuracy")
    for entry_id, entry in catalog.items():
        if entry.kind != "model":
            continue
        spec = entry.checks[0]
        key = unit_key(entry, spec, check, check.Args.model_validate(spec.args), ctx)
        folder = res / entry_id
        folder.mkdir(parents=True)
        shutil.copyfile(examples, folder / examples.name)
        copy = original.model_copy(update={"entry": entry_id, "key": key})
        (folder / "classification-accuracy.json").write_text(results.dumps(copy.model_dump(mode="json")))
    return entries, res


def main(argv: list[str] | None = None) -> list[dict]:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=1000)
    args = ap.parse_args(argv)
    catalog, _ = load_catalog(entry_files(ROOT / "entries"), ROOT / "entries")
    ours = _timed(lambda: verify(catalog, ROOT / "results"))
    base = _timed(lambda: results.read_all(ROOT / "results"))
    report = verify(catalog, ROOT / "results")
    rows = [{"name": f"verify: the {report.verified} committed results", "ours": round(ours, 3),
             "baseline": round(base, 3), "unit": "s", "ratio": round(base / ours, 3),
             "agreement": f"{len(report.problems)} problems", "note": "baseline: reading the JSON",
             "id": "verify-committed", "target": "< 2 s", "met": ours < 2 and not report.problems}]
    with tempfile.TemporaryDirectory(prefix="bench-verify-") as tmp:
        entries, res = synthetic(args.entries, Path(tmp))
        big, _ = load_catalog(entry_files(entries), entries)
        ours = _timed(lambda: verify(big, res))
        base = _timed(lambda: results.read_all(res))
        report = verify(big, res)
    rows.append({"name": f"verify: {args.entries:,} synthetic entries' results", "ours": round(ours, 3),
                 "baseline": round(base, 3), "unit": "s", "ratio": round(base / ours, 3),
                 "agreement": f"{report.verified} verified, {len(report.problems)} problems",
                 "note": "each result re-derived from its 872 records", "id": "verify-synthetic",
                 "target": "< 20 s", "met": ours < 20 and not report.problems})
    for r in rows:
        print(f"{r['name']}: {r['ours']} s (reading the JSON: {r['baseline']} s) — {r['agreement']}")
    return rows


if __name__ == "__main__":
    main()
