"""The Ray executor on a local two-CPU Ray cluster gives the same results as the local executor."""

from __future__ import annotations

import pytest
from test_runner import SHARDS, args_for, register_test_checks, unregister_test_checks, write_shards

from scoring import results
from scoring.cli import main

pytest.importorskip("ray")
pytestmark = pytest.mark.ray


def _compare(local_dir, ray_dir) -> int:
    local_files = sorted(p.relative_to(local_dir) for p in local_dir.rglob("*") if p.is_file())
    assert local_files == sorted(p.relative_to(ray_dir) for p in ray_dir.rglob("*") if p.is_file())
    for rel in local_files:
        if rel.suffix == ".json":
            a, b = results.read(local_dir / rel), results.read(ray_dir / rel)
            assert a.status == b.status == "ok", (rel, a.reason, b.reason)
            assert (a.key, a.metrics, a.details, a.config) == (b.key, b.metrics, b.details, b.config)
            assert a.provenance.inputs == b.provenance.inputs and a.provenance.model == b.provenance.model
        else:  # per-example rows
            assert (local_dir / rel).read_bytes() == (ray_dir / rel).read_bytes()
    return len(local_files)


@pytest.fixture
def test_checks():
    register_test_checks()
    yield
    unregister_test_checks()


def test_ray_executor_matches_local(tiny_project, test_checks, capsys):
    write_shards(tiny_project, "corpus", SHARDS)
    assert main(["score", *args_for(tiny_project, "--workers", "2")]) == 0
    ray_args = args_for(tiny_project, "--executor", "ray", "--workers", "2")
    ray_args[ray_args.index("--results") + 1] = str(tiny_project / "results-ray")
    ray_args[ray_args.index("--cache-dir") + 1] = str(tiny_project / "cache-ray")
    capsys.readouterr()
    assert main(["score", *ray_args]) == 0
    out = capsys.readouterr().out
    assert "scored 2 check(s) (2 ok), 0 up to date, 3 shard(s) run, 0 reused" in out
    assert _compare(tiny_project / "results", tiny_project / "results-ray") == 4  # 2 results + 2 example files
    assert results.read(tiny_project / "results-ray" / "afinn" / "classification-accuracy.json").metrics["n"] == 10
