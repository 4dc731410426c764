"""Speeds that rank fairly: the same entries timed on a quiet machine and beside a CPU hog get the same
throughput board groups and the same Efficiency scores, although their raw sentences per second drop."""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT

from generator import metrics as M
from generator.leaderboards import leaderboard
from generator.rank import parse_spec
from scoring import reference_work
from scoring import results as R
from scoring.check import usable_cores
from scoring.entries import entry_files
from scoring.validation import load_catalog

# Speeds about 2.3x apart or more (AFINN lies 1.8x below TextBlob: within noise of the 1.5x margin, its
# group may move between any two runs, quiet or not, and that is what its group says)
ENTRIES = ["vader", "textblob", "tfidf-logreg"]


# A spinning process per core, each in a session of its own: the checks run in sessions of their own too,
# and the kernel's autogroup scheduling shares the CPU between sessions, so hogs sharing one session would
# barely slow them.
SPIN = "x = 0\nwhile True:\n    x += 1\n"


def _project(tmp_path: Path) -> Path:
    """The shipped entries, each reduced to its classifier-throughput check."""
    import yaml

    (tmp_path / "entries").mkdir()
    shutil.copytree(ROOT / "entries" / "datasets", tmp_path / "entries" / "datasets")
    (tmp_path / "entries" / "models").mkdir()
    for name in ENTRIES:
        data = yaml.safe_load((ROOT / "entries" / "models" / f"{name}.yaml").read_text())
        data["checks"] = [c for c in data["checks"] if c["check"] == "classifier-throughput"]
        (tmp_path / "entries" / "models" / f"{name}.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return tmp_path


def _time(project: Path, out: Path, data: Path) -> dict:
    run = subprocess.run([sys.executable, "-m", "scoring", "score", "--entries", str(project / "entries"),
                          "--results", str(out), "--data-dir", str(data), "--cache-dir", str(project / "cache"),
                          "--force", "-q"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout + run.stderr
    found, problems = R.read_all(out)
    assert not problems
    return found


def _board_and_efficiency(project: Path, found: dict) -> tuple[list[tuple[str, str]], dict[str, float]]:
    catalog, problems = load_catalog(entry_files(project / "entries"), project / "entries")
    assert not problems
    spec = next(b for b in M.schema()["leaderboards"] if b["id"] == "sst2-throughput")
    board = leaderboard(spec, catalog, found)
    groups = [(r.entry, r.group) for r in board.rows if r.status == "ok"]
    crit = next(c for c in parse_spec(M.schema()).criteria if c.dimension == "efficiency"
                and "classifier-throughput" in c.checks)
    from generator.rank import _score_criterion

    scores = {e: _score_criterion(crit, catalog[e], found).score for e in ENTRIES}
    return groups, scores


@pytest.mark.slow
def test_a_cpu_hog_moves_raw_speed_but_not_groups_or_efficiency(tmp_path, shared_data):
    project = _project(tmp_path)
    quiet = _time(project, tmp_path / "quiet", shared_data)
    hogs = [subprocess.Popen([sys.executable, "-c", SPIN], start_new_session=True) for _ in range(usable_cores())]
    time.sleep(0.5)
    try:
        busy = _time(project, tmp_path / "busy", shared_data)
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait(10)
    raw = {e: busy[(e, "classifier-throughput")].metrics["sentences_per_s"]
           / quiet[(e, "classifier-throughput")].metrics["sentences_per_s"] for e in ENTRIES}
    relative = {e: busy[(e, "classifier-throughput")].metrics["sentences_per_unit"]
                / quiet[(e, "classifier-throughput")].metrics["sentences_per_unit"] for e in ENTRIES}
    print("busy / quiet, sentences per second:", {e: round(v, 2) for e, v in raw.items()})
    print("busy / quiet, sentences per reference unit:", {e: round(v, 2) for e, v in relative.items()})
    assert min(raw.values()) < 0.8, "the hog did not slow the checks: the test would prove nothing"
    groups_quiet, eff_quiet = _board_and_efficiency(project, quiet)
    groups_busy, eff_busy = _board_and_efficiency(project, busy)
    assert groups_quiet == groups_busy
    # Efficiency stays within three points of 100 (a process's own speed here moves by up to 15%
    # from one process to the next, quiet or not); raw seconds would have moved it by |log10(raw)| / 4
    assert all(abs(eff_quiet[e] - eff_busy[e]) <= 0.03 for e in ENTRIES), (eff_quiet, eff_busy)
    assert max(abs(math.log10(v)) / 4 for v in raw.values()) > max(abs(eff_quiet[e] - eff_busy[e]) for e in ENTRIES)


def test_sentences_per_unit_is_the_median_round_and_its_interval_spans_the_rounds():
    mid, low, high = reference_work.per_unit(100, [1.0, 2.0, 0.5], [0.5, 0.5, 0.5])
    assert (mid, low, high) == (50.0, 25.0, 100.0)
    mid, low, high = reference_work.per_unit(10, [1.0, 2.0, 0.5, 1.0, 4.0], [1.0] * 5)  # 10, 5, 20, 10, 2.5
    assert (mid, low, high) == (10.0, 5.0, 10.0)  # the slowest and fastest rounds are left out
