"""Golden tests: the fixture under tests/fixtures/golden/fixture renders exactly to tests/fixtures/golden/expected.

Regenerate after an intended template change with:
    UNFRAGILE_UPDATE_GOLDEN=1 .venv/bin/python -m pytest -q tests/test_generator_golden.py
and review the diff.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from generator import match as E
from generator.build import build
from generator.render import generate
from scoring.entries import entry_files
from scoring.validation import load_catalog

GOLDEN = ROOT / "tests" / "fixtures" / "golden"
FIXTURE = GOLDEN / "fixture"
EXPECTED = GOLDEN / "expected"
UPDATE = os.environ.get("UNFRAGILE_UPDATE_GOLDEN") == "1"


def fixture_schema() -> dict:
    site = yaml.safe_load((FIXTURE / "schema.yaml").read_text(encoding="utf-8"))
    return site


def render_fixture(out: Path, docs: Path | None = None, project: Path = FIXTURE):
    """Generate ``project`` (entries/ and results/, the fixture's by default) into ``out``."""
    entries = project / "entries"
    catalog, problems = load_catalog(entry_files(entries), entries)
    assert not problems, problems
    return generate(catalog, project / "results", out, docs, cache_dir=None, encoder=E.hashing,
                    encoder_name=E.HASHING_ID, schema=fixture_schema())


def tree_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_templates_match_golden_files(tmp_path):
    out = tmp_path / "generated"
    render_fixture(out)
    if UPDATE:
        shutil.rmtree(EXPECTED, ignore_errors=True)
        shutil.copytree(out, EXPECTED)
        pytest.skip("golden files regenerated; review the diff")
    got, want = tree_files(out), tree_files(EXPECTED)
    assert sorted(got) == sorted(want), "pages added or removed: regenerate with UNFRAGILE_UPDATE_GOLDEN=1"
    changed = [name for name in got if got[name] != want[name]]
    assert not changed, f"differs from tests/fixtures/golden/expected: {changed} (UNFRAGILE_UPDATE_GOLDEN=1 regenerates)"


def test_output_is_deterministic(tmp_path):
    render_fixture(tmp_path / "one")
    render_fixture(tmp_path / "two")
    assert tree_files(tmp_path / "one") == tree_files(tmp_path / "two")


def test_fixture_site_builds_strict_with_pagination(tmp_path):
    out = tmp_path / "generated"
    render_fixture(out, ROOT / "docs")
    assert (out / "entries" / "index-2.md").is_file()  # page_size 2, four entries
    assert build(ROOT / "mkdocs.yml", out, tmp_path / "site") == 0
    assert (tmp_path / "site" / "entries" / "index-2" / "index.html").is_file()
    assert (tmp_path / "site" / "charts" / "gold-accuracy-scatter.svg").is_file()
