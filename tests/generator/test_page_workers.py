"""Pages rendered in worker processes during the build (generator/page_workers.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import ROOT
from test_generator_golden import render_fixture, tree_files

from generator import page_workers
from generator.build import build

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="workers are forked")

CONFIG = """site_name: t
docs_dir: docs
site_dir: site
strict: true
validation:
  links: {not_found: warn, anchors: warn}
"""


def _plain_site(tmp_path: Path, pages: dict[str, str | bytes]) -> Path:
    docs = tmp_path / "docs"
    for name, text in {"index.md": "# Home\n", **pages}.items():
        path = docs / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
    (tmp_path / "mkdocs.yml").write_text(CONFIG)
    return tmp_path / "mkdocs.yml"


def test_the_site_is_the_same_byte_for_byte_on_one_core_or_three(tmp_path):
    docs = tmp_path / "generated"
    render_fixture(docs, ROOT / "docs")
    assert build(ROOT / "mkdocs.yml", docs, tmp_path / "one", workers=1) == 0
    assert build(ROOT / "mkdocs.yml", docs, tmp_path / "three", workers=3) == 0
    one, three = tree_files(tmp_path / "one"), tree_files(tmp_path / "three")
    assert len(one) > 20 and one == three


def test_shares_are_consecutive_and_balanced_by_source_size(tmp_path):
    class Page:
        def __init__(self, path):
            self.file = type("F", (), {"abs_src_path": str(path)})

    sizes = [100, 100, 100, 100, 400, 100, 100]
    pages = []
    for i, size in enumerate(sizes):
        (tmp_path / f"{i}.md").write_text("x" * size)
        pages.append(Page(tmp_path / f"{i}.md"))
    cut = page_workers.shares(pages, 2)
    assert [p for share in cut for p in share] == pages
    assert [len(share) for share in cut] == [5, 2]  # 800 of 1,000 bytes, then 200


def test_a_warning_in_a_workers_page_fails_the_strict_build_and_names_the_page(tmp_path, caplog):
    pages = {f"p{i:02d}.md": f"# Page {i}\n\nSee [home](index.md).\n" for i in range(12)}
    pages["p11.md"] = "# Last\n\nA [broken link](missing.md) and [an anchor](p00.md#nowhere).\n"
    pages["p00.md"] = "# First\n\n[An anchor](p11.md#elsewhere) in a page a worker renders.\n"
    config = _plain_site(tmp_path, pages)
    assert build(config, tmp_path / "docs", tmp_path / "site", workers=2) == 1
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("p11.md" in m and "missing.md" in m for m in warned), warned
    # anchors checked across shares, both ways
    assert any("p11.md" in m and "nowhere" in m for m in warned), warned
    assert any("p00.md" in m and "elsewhere" in m for m in warned), warned


def test_an_error_in_a_workers_page_stops_the_build_naming_the_page(tmp_path, caplog):
    pages = {f"p{i:02d}.md": f"# Page {i}\n" for i in range(12)}
    pages["p11.md"] = b"# Bad\n\n\xff\xfe not UTF-8\n"
    config = _plain_site(tmp_path, pages)
    assert build(config, tmp_path / "docs", tmp_path / "site", workers=2) == 1
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert errors[-1] == ("Error reading page 'p11.md': UnicodeDecodeError: 'utf-8' codec can't decode byte 0xff "
                          "in position 7: invalid start byte"), errors


def test_a_clean_site_builds_the_same_pages_with_workers(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")  # the plain theme prints the build date
    pages = {f"p{i:02d}.md": f"# Page {i}\n\n## Part\n\nSee [page 0](p00.md#part).\n" for i in range(12)}
    config = _plain_site(tmp_path, pages)
    assert build(config, tmp_path / "docs", tmp_path / "two", workers=2) == 0
    assert build(config, tmp_path / "docs", tmp_path / "one", workers=1) == 0
    assert tree_files(tmp_path / "one") == tree_files(tmp_path / "two")
