"""The Ray executor on a local two-CPU Ray cluster gives the same results as the local executor.

Three checks: a classifier (AFINN on ten SST-2-style rows), the real composition check on two
Pile-format shards (one plain, one zstd), and the test-only sharded check.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import sha256
from test_runner import SHARDS, args_for, register_test_checks, unregister_test_checks, write_shards

from scoring import results
from unfragile.cli import main

pytest.importorskip("ray")
pytestmark = pytest.mark.ray


def write_pile_shards(project: Path) -> None:
    import zstandard

    folder = project / "data" / "mini-pile"
    folder.mkdir(parents=True)
    docs = [{"text": f"document {i} " + "word " * (i * 7 % 40), "meta": {"pile_set_name": ["Github", "ArXiv", "Pile-CC"][i % 3]}}
            for i in range(30)]
    lines = [json.dumps(d) + "\n" for d in docs]
    (folder / "00.jsonl").write_text("".join(lines[:12]), encoding="utf-8")
    (folder / "01.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress("".join(lines[12:]).encode()))
    files = "".join(f"    - path: mini-pile/{name}\n      split: train\n      sha256: {sha256(folder / name)}\n"
                    for name in ("00.jsonl", "01.jsonl.zst"))
    (project / "entries" / "datasets" / "mini-pile.yaml").write_text(f"""id: mini-pile
kind: dataset
type: corpus
title: Mini Pile
summary: Thirty generated documents in Pile format.
license: CC0
source:
  type: files
  copy: generated for tests
  files:
{files}capabilities:
  - id: test
    title: Test
    summary: For tests.
    unique: None.
    vs_alternatives: None.
checks:
  - check: composition
    args:
      split: train
""", encoding="utf-8")


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
    write_pile_shards(tiny_project)
    assert main(["score", *args_for(tiny_project, "--workers", "2")]) == 0
    ray_args = args_for(tiny_project, "--executor", "ray", "--workers", "2")
    ray_args[ray_args.index("--results") + 1] = str(tiny_project / "results-ray")
    ray_args[ray_args.index("--cache-dir") + 1] = str(tiny_project / "cache-ray")
    capsys.readouterr()
    assert main(["score", *ray_args]) == 0
    out = capsys.readouterr().out
    assert "scored 3 check(s) (3 ok), 0 up to date, 5 shard(s) run, 0 reused" in out
    assert _compare(tiny_project / "results", tiny_project / "results-ray") >= 3
    composition = results.read(tiny_project / "results-ray" / "mini-pile" / "composition.json")
    assert composition.metrics["documents"] == 30
    assert results.read(tiny_project / "results-ray" / "afinn" / "classification-accuracy.json").metrics["n"] == 10
