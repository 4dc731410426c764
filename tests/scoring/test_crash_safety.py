"""SIGKILL ``python -m scoring score`` at several points of a batch; every finished result survives.

The batch: five slow checks and a corpus check of four slow shards, two at a time. After each kill,
every result and shard partial on disk must parse; the checks the killed run had started must be
gone; the next run reruns only what had not finished and leaves finished files untouched; and at the
end no temp file is left anywhere.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
from conftest import ROOT
from test_runner import args_for, logged, write_model, write_shards

from scoring import results

TESTS = Path(__file__).resolve().parent
SLOW = 5
SHARDS = {f"part{i}.txt": f"line {i}\n" * (i + 1) for i in range(4)}


def _project(tmp_path: Path) -> Path:
    for i in range(SLOW):
        write_model(tmp_path / "entries", f"slow{i}", "  - check: test-misbehave\n    args: {how: sleep, seconds: 1}\n")
    write_shards(tmp_path, "corpus", SHARDS, check_args="{sleep_s: 1}")
    (tmp_path / "cache").mkdir()
    script = tmp_path / "score.py"
    script.write_text(f"""import runpy, sys
sys.path[:0] = [{str(ROOT)!r}, {str(TESTS)!r}, {str(TESTS.parent)!r}, {str(TESTS.parent / "fixtures")!r}]
from test_runner import register_test_checks
register_test_checks()
runpy.run_module("scoring", run_name="__main__", alter_sys=True)
""", encoding="utf-8")
    return tmp_path


def _start(project: Path) -> subprocess.Popen:
    (project / "cache" / "ran.log").unlink(missing_ok=True)
    return subprocess.Popen([sys.executable, str(project / "score.py"), "score", *args_for(project, "--workers", "2")],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finished(project: Path) -> dict[str, tuple[int, bytes]]:
    """Result and partial files, each of which must parse."""
    files = {}
    for path in sorted((project / "results").glob("*/*.json")):
        assert results.read(path).status == "ok", path
        files[str(path)] = (path.stat().st_mtime_ns, path.read_bytes())
    for path in sorted((project / "cache" / "partials").rglob("*.json")):
        assert "partial" in json.loads(path.read_text())
        files[str(path)] = (path.stat().st_mtime_ns, path.read_bytes())
    return files


def _kill_when(proc: subprocess.Popen, project: Path, ready) -> None:
    deadline = time.monotonic() + 120
    while not ready() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert proc.poll() is None, "the run ended before the kill point"
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    # the killed run's check processes die with it
    pids = {int(line.split()[1]) for line in logged(project / "cache")}
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        alive = [p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
        if not alive:
            break
        time.sleep(0.1)
    assert not alive, f"check processes outlived the killed run: {alive}"


def _count(project: Path, pattern: str) -> int:
    return len(list(project.glob(pattern)))


def _entries_run(project: Path) -> set[str]:
    return {line.split()[0].split("/")[0] for line in logged(project / "cache")}


def test_sigkill_at_several_points_loses_nothing(tmp_path):
    project = _project(tmp_path)
    n_results = lambda: _count(project, "results/*/*.json")  # noqa: E731
    n_partials = lambda: _count(project, "cache/partials/**/*.json")  # noqa: E731
    points = [  # the corpus shards are planned first, then the slow checks
        lambda before: _count(project, "cache/ran.log") > 0,  # checks started, nothing finished
        lambda before: n_partials() > before[1],  # as the first shard partial lands
        lambda before: n_results() > before[0],  # as a result lands
        lambda before: n_results() >= before[0] + 2,
    ]
    for ready in points:
        before = _finished(project)
        counts = (n_results(), n_partials())
        _kill_when(_start(project), project, lambda ready=ready, counts=counts: ready(counts))
        after = _finished(project)
        assert {k: v for k, v in after.items() if k in before} == before  # nothing finished was rewritten
        assert not _entries_run(project) & {Path(p).parent.name for p in before if "/results/" in p}

    before = _finished(project)
    done_results = {Path(p).parent.name for p in before if "/results/" in p}
    assert 0 < len(done_results) < SLOW + 1
    done_partials = sum("/partials/" in p for p in before)
    proc = _start(project)
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, err
    assert f"scored {SLOW + 1 - len(done_results)} check(s) ({SLOW + 1 - len(done_results)} ok)" in out
    if "corpus" not in done_results:
        assert f"{4 - done_partials} shard(s) run, {done_partials} reused" in out
    assert not _entries_run(project) & done_results  # only unfinished checks ran again
    after = _finished(project)
    assert {k: v for k, v in after.items() if k in before} == before
    assert {Path(p).parent.name for p in after if "/results/" in p} == {f"slow{i}" for i in range(SLOW)} | {"corpus"}
    corpus = results.read(project / "results" / "corpus" / "test-shard-sum.json")
    assert corpus.metrics["lines"] == sum(t.count("\n") for t in SHARDS.values())
    assert not [p for p in project.rglob("*") if p.name.endswith((".tmp", ".part"))]
