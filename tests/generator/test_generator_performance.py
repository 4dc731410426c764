"""The performance page: figures from results/benchmarks.json, or how to run a benchmark when there is none."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import ROOT

from generator import match as E
from generator.render import generate
from scoring.entries import entry_files
from scoring.validation import load_catalog

FIXTURE = ROOT / "tests" / "fixtures" / "golden" / "fixture"
MACHINE = {"cpu": "Test CPU <b>", "cores": 2, "memory_gib": 7.5, "os": "Linux x", "python": "3.11.7",
           "libraries": {"torch": "2.13.0+cpu"}, "gpu": None, "load_average_at_start": [1.25, 0.5, 0.75]}
ROW = {"name": "corpus: pass | vs zstd", "ours": 812.345, "baseline": 1000.0, "unit": "MB/s", "ratio": 0.812345,
       "agreement": "yes", "peak_mb_ours": 120.0, "peak_mb_baseline": 80.0, "note": "2 shards",
       "target": ">= 0.8x", "met": True}
MISSED = {"name": "int8", "ours": 500.0, "baseline": 100.0, "unit": "sentences/s", "ratio": 5.0, "agreement": "97%",
          "target": ">= 7x at >= 99.5% agreement", "met": False}
SCALE = [{"what": "Pile composition pass", "one_machine_s": 30 * 3600.0, "ray_s": {"4": 4 * 3600.0, "16": 5400.0},
          "dominated_by": "zstd", "from": "bench_corpus"}]


def _generate(tmp_path: Path, bench: dict | str | None) -> str:
    results = tmp_path / "results"
    shutil.copytree(FIXTURE / "results", results)
    if bench is not None:
        (results / "benchmarks.json").write_text(bench if isinstance(bench, str) else json.dumps(bench))
    catalog, problems = load_catalog(entry_files(FIXTURE / "entries"), FIXTURE / "entries")
    assert not problems, problems
    out = tmp_path / "generated"
    generate(catalog, results, out, cache_dir=None, encoder=E.hashing, encoder_name=E.HASHING_ID)
    return (out / "performance.md").read_text(encoding="utf-8")


def test_page_shows_figures_machine_and_load(tmp_path):
    bench = {"schema_version": 1, "updated_at": "2026-01-02T03:04:05+00:00", "machine": MACHINE, "benchmarks": [
        {"module": "bench_corpus", "status": "ok", "seconds": 50.14, "peak_rss_mb": 321,
         "measured_at": "2026-01-02T03:04:05+00:00", "machine": MACHINE, "rows": [ROW, MISSED], "output": ["- done"],
         "load_average": [0.2, 0.4], "other_work": 0.31, "disturbed": True},
        {"module": "bench_site", "status": "failed (exit 1)", "seconds": 3.0, "peak_rss_mb": 99,
         "measured_at": "2025-12-31T00:00:00+00:00", "rows": [], "output": []}], "scale": SCALE}
    page = _generate(tmp_path, bench)
    assert "side by side in one run" in page
    assert "| load average at start (1 / 5 / 15 min) | 1.25 / 0.50 / 0.75 |" in page
    assert "Test CPU &lt;b&gt;" in page and "<b>" not in page  # machine text is escaped
    assert ("| corpus: pass \\| vs zstd | 812.3 | 1,000.0 | MB/s | 0.81× | yes | &gt;= 0.8x | yes | 120.0 / 80.0 "
            "| 2 shards |") in page
    assert "| &gt;= 7x at &gt;= 99.5% agreement | no |" in page
    assert "**1 of 2 targets met.**" in page
    assert "| bench\\_site | failed (exit 1) | 3.0 | 99 | 2025-12-31T00:00:00+00:00 | 1.25 / 0.50 / 0.75 | not recorded |" in page
    assert "| bench\\_corpus | ok (disturbed) | 50.1 | 321 | 2026-01-02T03:04:05+00:00 | 0.20 → 0.40 | 31% |" in page
    assert "Measured while other work ran" in page and "while bench\\_corpus" in page
    assert "## Scale on paper" in page
    assert ("| Work | One machine | 4 workers | 16 workers |\n|---|---:|---:|---:|\n"
            "| Pile composition pass | 30.0 h | 4.0 h | 90 min |\n") in page
    assert "- **Pile composition pass**: zstd. From bench\\_corpus." in page
    assert "    - \\- done" in page  # module output, escaped
    assert "No benchmark has been run" not in page


def test_missing_file_says_how_to_run_one(tmp_path):
    page = _generate(tmp_path, None)
    assert "No benchmark has been run yet" in page and "`make bench`" in page
    assert "| Benchmark |" not in page


@pytest.mark.parametrize("text, field", [("{not json", "not valid JSON"),
                                         (json.dumps({"schema_version": 1, "updated_at": "x", "machine": MACHINE,
                                                      "benchmarks": [{"module": "m", "status": "ok"}]}),
                                          "field benchmarks.0.seconds")])
def test_bad_file_names_file_and_field(tmp_path, text, field):
    with pytest.raises(SystemExit, match=field) as err:
        _generate(tmp_path, text)
    assert "benchmarks.json" in str(err.value)
