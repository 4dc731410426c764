"""The runner and the local executor: isolation (crash, hang, memory), sharded resume, temp-file sweep.

The checks below are test-only; ``register_test_checks()`` adds them to the registry (the crash-safety
and Ray tests reuse them), and child processes import this module to unpickle them.
"""

from __future__ import annotations

import ctypes
import json
import os
import time
from pathlib import Path
from typing import Literal

import pytest
from conftest import sha256

from scoring import data, registry, results
from scoring.check import Args, Check, Context, Metric, Outcome, Shard
from scoring.entries import FilesSource
from scoring.metrics import N
from unfragile.cli import main

# --- test-only checks ---------------------------------------------------------------------------


def _log(ctx: Context, line: str) -> None:
    ctx.cache_dir.mkdir(parents=True, exist_ok=True)
    with open(ctx.cache_dir / "ran.log", "a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def logged(cache_dir: Path) -> list[str]:
    path = cache_dir / "ran.log"
    return path.read_text(encoding="utf-8").splitlines() if path.is_file() else []


class ShardSumArgs(Args):
    sleep_s: float = 0.0


class ShardSum(Check):
    """Counts lines and bytes of each data file of a dataset entry, one shard per file."""

    name = "test-shard-sum"
    Args = ShardSumArgs
    metrics = {"lines": Metric("Lines", "count", None), "bytes": Metric("Bytes", "bytes", None)}

    def key_inputs(self, entry, args, ctx) -> dict:
        return {f.path: f.sha256 for f in entry.source.files}

    def shards(self, entry, args, ctx) -> list[Shard]:
        assert isinstance(entry.source, FilesSource)
        return [Shard(f.path, f.sha256) for f in entry.source.files]

    def run_shard(self, entry, args, ctx, shard) -> dict:
        spec = next(f for f in entry.source.files if f.path == shard.name)
        text = data.resolve(ctx, spec).path.read_text(encoding="utf-8")
        _log(ctx, f"{shard.name} {os.getpid()}")
        if "boom" in text:
            raise ValueError(f"{shard.name}: boom")
        time.sleep(args.sleep_s)
        return {"lines": text.count("\n"), "bytes": len(text.encode()), "per_file": [[shard.name, text.count("\n")]]}

    def merge(self, entry, args, ctx, partials) -> Outcome:
        return Outcome(metrics={"lines": sum(p["lines"] for p in partials), "bytes": sum(p["bytes"] for p in partials)},
                       details={"files": {name: {"lines": n} for p in partials for name, n in p["per_file"]}},
                       examples=[{"file": name, "lines": n} for p in partials for name, n in p["per_file"]],
                       inputs={f.path: f.sha256 for f in entry.source.files})


class MisbehaveArgs(Args):
    how: Literal["ok", "raise", "segfault", "exit", "memory", "hang", "sleep"]
    seconds: float = 0.0


class Misbehave(Check):
    """Ends in the way its args ask for."""

    name = "test-misbehave"
    Args = MisbehaveArgs
    metrics = {"n": N}

    def run(self, entry, args, ctx) -> Outcome:
        _log(ctx, f"{entry.id} {os.getpid()} start {time.time()}")
        if args.how == "raise":
            raise RuntimeError("on purpose")
        if args.how == "segfault":
            ctypes.string_at(0)
        if args.how == "exit":
            os._exit(3)
        if args.how == "memory":
            bytearray(8 << 30)
        if args.how in ("hang", "sleep"):
            time.sleep(args.seconds)
        _log(ctx, f"{entry.id} {os.getpid()} end {time.time()}")
        return Outcome(metrics={"n": 1})


class ExclusiveMisbehave(Misbehave):
    name = "test-misbehave-alone"
    exclusive = True


TEST_CHECKS = (ShardSum, Misbehave, ExclusiveMisbehave)


def register_test_checks() -> None:
    for cls in TEST_CHECKS:
        registry.register(cls)


def unregister_test_checks() -> None:
    for cls in TEST_CHECKS:
        registry._CHECKS.pop(cls.name, None)


@pytest.fixture
def test_checks():
    register_test_checks()
    yield
    unregister_test_checks()


# --- tiny projects ------------------------------------------------------------------------------

CAPABILITY = """capabilities:
  - id: test
    title: Test
    summary: For tests.
    unique: None.
    vs_alternatives: None.
"""


def write_model(entries: Path, entry_id: str, checks: str) -> None:
    path = entries / "models" / f"{entry_id}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"""id: {entry_id}
kind: model
type: baseline
title: {entry_id}
summary: A test entry.
license: CC0
source:
  type: local
  path: nowhere
{CAPABILITY}checks:
{checks}""", encoding="utf-8")


def write_shards(project: Path, dataset_id: str, texts: dict[str, str], check_args: str = "{}") -> None:
    """A dataset entry whose data files are ``texts`` (name -> content), scored by test-shard-sum."""
    folder = project / "data" / dataset_id
    folder.mkdir(parents=True, exist_ok=True)
    files = ""
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
        files += f"    - path: {dataset_id}/{name}\n      sha256: {sha256(folder / name)}\n"
    path = project / "entries" / "datasets" / f"{dataset_id}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"""id: {dataset_id}
kind: dataset
type: corpus
title: {dataset_id}
summary: Test shards.
license: CC0
source:
  type: files
  copy: test
  files:
{files}{CAPABILITY}checks:
  - check: test-shard-sum
    args: {check_args}
""", encoding="utf-8")


def args_for(project: Path, *extra: str) -> list[str]:
    return ["--entries", str(project / "entries"), "--results", str(project / "results"),
            "--data-dir", str(project / "data"), "--cache-dir", str(project / "cache"), "-q", *extra]


def snapshot(folder: Path) -> dict[str, tuple[int, bytes]]:
    return {str(p): (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(folder.rglob("*")) if p.is_file()}


def result(project: Path, entry: str, result_id: str) -> results.Result:
    return results.read(results.result_path(project / "results", entry, result_id))


SHARDS = {"a.txt": "one\ntwo\n", "b.txt": "three\n", "c.txt": "four\nfive\nsix\n"}

# --- tests --------------------------------------------------------------------------------------


def test_crashes_and_hangs_become_failed_results(tmp_path, test_checks, tiny_project, capsys):
    entries = tiny_project / "entries"
    for how, limits in (("raise", ""), ("segfault", ""), ("exit", ""), ("memory", "    limits: {memory_mb: 600}\n"),
                        ("hang", "    limits: {time_s: 2}\n")):
        write_model(entries, f"bad-{how}", f"  - check: test-misbehave\n    args: {{how: {how}, seconds: 60}}\n{limits}")
    t0 = time.monotonic()
    assert main(["score", *args_for(tiny_project, "--workers", "2")]) == 0
    assert time.monotonic() - t0 < 40  # the hang was stopped at its limit
    out = capsys.readouterr().out
    assert "scored 6 check(s) (1 ok)" in out
    assert result(tiny_project, "afinn", "classification-accuracy").status == "ok"
    reasons = {how: result(tiny_project, f"bad-{how}", "test-misbehave") for how in
               ("raise", "segfault", "exit", "memory", "hang")}
    assert all(r.status == "failed" and r.metrics == {} for r in reasons.values())
    assert "RuntimeError: on purpose" in reasons["raise"].reason
    assert "killed by SIGSEGV" in reasons["segfault"].reason
    assert "exited with code 3" in reasons["exit"].reason
    assert reasons["memory"].reason.startswith("MemoryError") and "600 MiB" in reasons["memory"].reason
    assert "time limit of 2 s" in reasons["hang"].reason
    assert 2 <= reasons["hang"].provenance.duration_s < 20


def test_limits_come_from_the_command_line(tiny_project, test_checks):
    write_model(tiny_project / "entries", "slow", "  - check: test-misbehave\n    args: {how: hang, seconds: 60}\n")
    assert main(["score", *args_for(tiny_project, "--time-limit", "1", "--only", "slow")]) == 0
    assert "time limit of 1 s" in result(tiny_project, "slow", "test-misbehave").reason


def test_bad_limits_are_entry_errors(tiny_project, test_checks, capsys):
    write_model(tiny_project / "entries", "bad", "  - check: test-misbehave\n    args: {how: ok}\n    limits: {time_s: -1}\n")
    assert main(["validate", "--entries", str(tiny_project / "entries")]) == 1
    assert "bad.yaml:" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["score", *args_for(tiny_project, "--workers", "0")])
    assert exit_.value.code == 2
    assert "--workers" in capsys.readouterr().err


def test_exclusive_check_runs_alone(tiny_project, test_checks):
    entries = tiny_project / "entries"
    (entries / "models" / "afinn.yaml").unlink()
    write_model(entries, "alone", "  - check: test-misbehave-alone\n    args: {how: sleep, seconds: 1}\n")
    for i in range(2):
        write_model(entries, f"busy{i}", "  - check: test-misbehave\n    args: {how: sleep, seconds: 1}\n")
    assert main(["score", *args_for(tiny_project, "--workers", "2")]) == 0
    spans: dict[str, list[float]] = {}
    for line in logged(tiny_project / "cache"):
        entry, _, _, at = line.split()
        spans.setdefault(entry, []).append(float(at))
    start, end = spans["alone"]
    for other in ("busy0", "busy1"):
        assert spans[other][1] <= start or spans[other][0] >= end


def test_sharded_check_resumes_and_reruns_only_changed_shards(tiny_project, test_checks, capsys):
    write_shards(tiny_project, "corpus", SHARDS)
    cache = tiny_project / "cache"
    assert main(["score", *args_for(tiny_project, "--only", "corpus")]) == 0
    assert "3 shard(s) run, 0 reused" in capsys.readouterr().out
    r = result(tiny_project, "corpus", "test-shard-sum")
    assert r.status == "ok" and r.metrics == {"lines": 6, "bytes": sum(len(t) for t in SHARDS.values())}
    assert r.details["files"]["corpus/c.txt"] == {"lines": 3}
    assert len(list((cache / "partials" / "corpus").rglob("*.json"))) == 3

    # the merged result equals the check's own unsharded run
    from scoring.entries import entry_files
    from scoring.validation import load_catalog

    catalog, _ = load_catalog(entry_files(tiny_project / "entries"))
    ctx = Context(data_dir=tiny_project / "data", catalog=catalog, cache_dir=cache, show_progress=False)
    whole = ShardSum().run(catalog["corpus"], ShardSumArgs(), ctx)
    assert r.metrics == whole.metrics and r.details == whole.details

    # nothing changed: nothing reruns, nothing is rewritten
    before = snapshot(tiny_project / "results") | snapshot(cache / "partials")
    assert main(["score", *args_for(tiny_project, "--only", "corpus")]) == 0
    assert "scored 0 check(s)" in capsys.readouterr().out
    assert snapshot(tiny_project / "results") | snapshot(cache / "partials") == before

    # one shard changes: only that shard runs, the old partial of it is dropped
    (cache / "ran.log").unlink()
    write_shards(tiny_project, "corpus", {**SHARDS, "b.txt": "three\nthree and a half\n"})
    assert main(["score", *args_for(tiny_project, "--only", "corpus")]) == 0
    assert "1 shard(s) run, 2 reused" in capsys.readouterr().out
    assert [line.split()[0] for line in logged(cache)] == ["corpus/b.txt"]
    assert result(tiny_project, "corpus", "test-shard-sum").metrics["lines"] == 7
    assert len(list((cache / "partials" / "corpus").rglob("*.json"))) == 3


def test_a_failing_shard_fails_the_check_and_keeps_the_others(tiny_project, test_checks, capsys):
    write_shards(tiny_project, "corpus", {**SHARDS, "b.txt": "boom\n"})
    assert main(["score", *args_for(tiny_project, "--only", "corpus")]) == 0
    r = result(tiny_project, "corpus", "test-shard-sum")
    assert r.status == "failed" and "shard corpus/b.txt: ValueError: corpus/b.txt: boom" in r.reason
    assert len(list((tiny_project / "cache" / "partials").rglob("*.json"))) == 2
    write_shards(tiny_project, "corpus", SHARDS)
    capsys.readouterr()
    assert main(["score", *args_for(tiny_project, "--only", "corpus")]) == 0
    assert "1 shard(s) run, 2 reused" in capsys.readouterr().out
    assert result(tiny_project, "corpus", "test-shard-sum").status == "ok"


def test_force_reruns_shards(tiny_project, test_checks, capsys):
    write_shards(tiny_project, "corpus", SHARDS)
    assert main(["score", *args_for(tiny_project, "--only", "corpus")]) == 0
    capsys.readouterr()
    assert main(["score", *args_for(tiny_project, "--only", "corpus", "--force")]) == 0
    assert "3 shard(s) run, 0 reused" in capsys.readouterr().out


def test_stale_temp_files_are_swept(tiny_project, test_checks):
    stale = [tiny_project / "results" / "afinn" / ".classification-accuracy.json.x1y2.tmp",
             tiny_project / "cache" / "partials" / "corpus" / "test-shard-sum" / ".abc.json.q.tmp"]
    for p in stale:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("{half a fi")
    assert main(["score", *args_for(tiny_project)]) == 0
    assert not any(p.exists() for p in stale)
    assert json.loads((tiny_project / "results" / "afinn" / "classification-accuracy.json").read_text())["status"] == "ok"


def test_a_stored_failure_never_blocks_a_measurement_that_can_run(tiny_project, project_args, capsys):
    """Sabotage: someone else's ok result rewritten as failed ("out of memory"), its records deleted."""
    import json

    from unfragile.cli import main

    assert main(["score", *project_args]) == 0
    path = tiny_project / "results" / "afinn" / "classification-accuracy.json"
    r = json.loads(path.read_text())
    assert r["status"] == "ok"
    r.update(status="failed", reason="MemoryError (memory limit 64 MiB)", metrics={}, evidence=None)
    path.write_text(json.dumps(r))
    (path.parent / "classification-accuracy.examples.jsonl").unlink()
    capsys.readouterr()
    assert main(["score", *project_args]) == 0  # no --force
    assert json.loads(path.read_text())["status"] == "ok"
    assert (path.parent / "classification-accuracy.examples.jsonl").is_file()
