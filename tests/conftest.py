"""Shared fixtures: a tiny project (entries, a 10-row SST-2-style dataset, results) in tmp paths."""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(FIXTURES))  # helper modules (tiny models, local servers) live beside the fixture data
SHARED_DATA = Path(os.environ.get("UNFRAGILE_DATA_DIR") or ROOT.parent / "shared" / "data")

TINY_ROWS = [
    ("a charming and often affecting journey .", 1),
    ("unflinchingly bleak and desperate", 0),
    ("the best film of the year , a triumph", 1),
    ("dull , lifeless and badly acted", 0),
    ("a warm , funny and wonderful movie", 1),
    ("a boring mess with no redeeming qualities", 0),
    ("great performances and a lovely script", 1),
    ("the worst kind of hollow sentiment", 0),
    ("it is not bad at all", 1),
    ("terrible , awful , ugly", 0),
]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def afinn_yaml(dataset: str) -> str:
    """The shipped AFINN entry with one check, classification accuracy, on ``dataset``."""
    afinn = (ROOT / "entries" / "models" / "afinn.yaml").read_text(encoding="utf-8")
    return afinn.split("  - check: classifier-throughput")[0].replace("dataset: sst2", f"dataset: {dataset}")


@pytest.fixture
def tiny_project(tmp_path: Path) -> Path:
    """tmp_path with entries/ (a tiny dataset + the afinn lexicon), data/ and an empty results/."""
    data = tmp_path / "data" / "tiny"
    data.mkdir(parents=True)
    tsv = data / "dev.tsv"
    tsv.write_text("sentence\tlabel\n" + "".join(f"{s} \t{y}\n" for s, y in TINY_ROWS), encoding="utf-8")
    (tmp_path / "entries" / "datasets").mkdir(parents=True)
    (tmp_path / "entries" / "models").mkdir(parents=True)
    (tmp_path / "results").mkdir()
    (tmp_path / "entries" / "datasets" / "tiny-sst.yaml").write_text(f"""\
id: tiny-sst
kind: dataset
type: benchmark
title: Tiny SST
summary: Ten labelled sentences for tests.
license: CC0
source:
  type: files
  copy: test fixture
  files:
    - path: tiny/dev.tsv
      split: dev
      sha256: {sha256(tsv)}
capabilities:
  - id: tiny
    title: Tiny
    summary: Ten rows.
    unique: Small.
    vs_alternatives: Smaller than SST-2.
""", encoding="utf-8")
    (tmp_path / "entries" / "models" / "afinn.yaml").write_text(afinn_yaml("tiny-sst"), encoding="utf-8")
    return tmp_path


@pytest.fixture
def project_args(tiny_project: Path) -> list[str]:
    p = tiny_project
    return ["--entries", str(p / "entries"), "--results", str(p / "results"), "--data-dir", str(p / "data"),
            "--out", str(p / "generated"), "--site-dir", str(p / "site"), "--cache-dir", str(p / "cache"),
            "--docs", str(ROOT / "docs"), "--config", str(ROOT / "mkdocs.yml"), "-q"]


@pytest.fixture
def shared_data() -> Path:
    if not (SHARED_DATA / "sst2" / "dev.tsv").is_file():
        pytest.skip(f"real data not found in {SHARED_DATA} (set UNFRAGILE_DATA_DIR)")
    return SHARED_DATA


def copy_entries(dst: Path, *names: str) -> None:
    for name in names:
        src = next((ROOT / "entries").rglob(f"{name}.yaml"))
        target = dst / src.relative_to(ROOT / "entries")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)


@pytest.fixture
def one_torch_thread(monkeypatch):
    """One torch thread: tests share a busy machine and oversubscribed cores crawl (answers do not change)."""
    import torch

    from scoring.adapters import hf

    monkeypatch.setenv(hf.THREADS_ENV, "1")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


CAPABILITY = """capabilities:
  - id: c
    title: c
    summary: c
    unique: c
    vs_alternatives: c
"""  # the one capability test entries need


def model_entry(source: dict, entry_id: str = "tiny", entry_type: str = "fine-tune"):
    """A minimal valid model Entry around ``source``."""
    from scoring.entries import Entry

    return Entry.model_validate({
        "id": entry_id, "kind": "model", "type": entry_type, "title": entry_id, "summary": "For tests.",
        "license": "MIT", "source": source,
        "capabilities": [{"id": "c", "title": "c", "summary": "c", "unique": "c", "vs_alternatives": "c"}]})


def write_model_yaml(project: Path, entry_id: str, source: str, checks: str, entry_type: str = "encoder") -> None:
    """Write entries/models/<entry_id>.yaml with the given source and checks YAML blocks (indented)."""
    (project / "entries" / "models" / f"{entry_id}.yaml").write_text(f"""id: {entry_id}
kind: model
type: {entry_type}
task: sentiment-classification
title: {entry_id}
summary: Test entry.
license: MIT
source:
{source}
{CAPABILITY}checks:
{checks}""")


MISSING_WEIGHTS = "  type: huggingface\n  repo: someone/missing-model\n  revision: 0123456789abcdef0123456789abcdef01234567"


def score_architecture(project: Path, project_args: list[str], checks: str, result_id: str) -> dict:
    """Score ``checks`` on an entry whose weights cannot be fetched (an architecture-only run); its result."""
    import json

    from unfragile.cli import main

    write_model_yaml(project, "tiny-arch", MISSING_WEIGHTS, checks, "fine-tune")
    assert main(["score", *project_args, "--only", "tiny-arch"]) == 0
    result = json.loads((project / "results" / "tiny-arch" / f"{result_id}.json").read_text())
    assert result["status"] == "ok", result["reason"]
    return result


@pytest.fixture
def server():
    """A local HTTP server on 127.0.0.1 (tests/fixtures/local_http.py) and its URL."""
    from local_http import serve

    yield from serve()
