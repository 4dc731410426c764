"""Regeneration touches only what changed: one entry's change rewrites exactly the files whose bytes change
(its page, its comparisons, the leaderboards, ...), leaves every other file untouched, and the tree equals
a generate into an empty directory."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from test_generator_golden import FIXTURE, render_fixture, tree_files

from generator.output import sync

OLD = 1_000_000_000  # a modification time no write today leaves


def _generate(project: Path, out: Path):
    return render_fixture(out, project=project)


@pytest.fixture
def project(tmp_path) -> Path:
    shutil.copytree(FIXTURE, tmp_path / "project")
    return tmp_path / "project"


def _regenerate(project: Path, tmp_path: Path, change) -> tuple[dict, dict, object]:
    """Generate, age every file, apply ``change``, regenerate; (before, after, what the second run did)."""
    out = tmp_path / "out"
    _generate(project, out)
    before = tree_files(out)
    for rel in before:
        os.utime(out / rel, (OLD, OLD))
    change(project)
    done = _generate(project, out)
    after = tree_files(out)
    fresh = tmp_path / "fresh"
    _generate(project, fresh)
    assert after == tree_files(fresh), "regenerating in place differs from generating into an empty directory"
    differs = {rel for rel in after if before.get(rel) != after[rel]}
    assert set(done.written) == differs, "written files must be exactly those whose bytes changed"
    assert set(done.removed) == set(before) - set(after)
    touched = {rel for rel in after if (out / rel).stat().st_mtime != OLD}
    assert touched == differs, "an unchanged file was rewritten"
    return before, after, done


def test_a_changed_result_rewrites_exactly_the_pages_that_show_it(project, tmp_path):
    def change(p: Path):
        path = p / "results" / "gold-fast" / "classification-accuracy.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        data["metrics"]["accuracy"] = 0.9
        path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")

    before, after, done = _regenerate(project, tmp_path, change)
    dependent = {"entries/gold-fast.md", "compare/gold-fast-vs-gold-lexicon.md", "compare/gold-fast-vs-gold-sst.md",
                 "leaderboards/gold-accuracy.md", "data/gold-accuracy.csv", "data/unfragile.json",
                 "evidence/gold-fast/classification-accuracy.json", "charts/gold-accuracy-scatter.svg"}
    assert dependent <= set(done.written)
    unrelated = {"compare/gold-encoder-vs-gold-sst.md", "performance.md", "verification.md",
                 "evidence/gold-lexicon/classification-accuracy.json"}
    assert not unrelated & set(done.written)
    assert len(done.written) < len(after) and not done.removed


def test_a_changed_summary_rewrites_only_its_page_and_the_downloads(project, tmp_path):
    def change(p: Path):
        path = p / "entries" / "models" / "gold-encoder.yaml"
        text = path.read_text(encoding="utf-8")
        path.write_text(re.sub(r"^summary: .*$", "summary: A summary written again.", text, count=1, flags=re.M),
                        encoding="utf-8")

    _, after, done = _regenerate(project, tmp_path, change)
    assert "entries/gold-encoder.md" in done.written
    assert "A summary written again." in after["entries/gold-encoder.md"].decode()
    assert not [rel for rel in done.written if rel.endswith(".md") and rel != "entries/gold-encoder.md"]


def test_a_removed_entry_takes_its_pages_and_evidence_with_it(project, tmp_path):
    def change(p: Path):
        (p / "entries" / "models" / "gold-encoder.yaml").unlink()
        shutil.rmtree(p / "results" / "gold-encoder")

    _, after, done = _regenerate(project, tmp_path, change)
    assert {"entries/gold-encoder.md", "compare/gold-encoder-vs-gold-sst.md",
            "evidence/gold-encoder/classification-accuracy.json"} <= set(done.removed)
    assert not (tmp_path / "out" / "evidence" / "gold-encoder").exists()  # emptied folders go too
    assert "entries/gold-fast.md" not in done.written


def test_sync_replaces_symlinks_and_files_in_the_way_and_clears_leftovers(tmp_path):
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere.md"
    elsewhere.write_text("outside\n")
    (out / "a").mkdir(parents=True)
    (out / "a" / "page.md").symlink_to(elsewhere)
    (out / "b").write_text("a file where a folder must go\n")
    (out / "old" / "deep").mkdir(parents=True)
    (out / "old" / "deep" / "x.md").write_text("left over\n")
    done = sync(out, {"a/page.md": b"new\n", "b/c.md": b"c\n"})
    assert tree_files(out) == {"a/page.md": b"new\n", "b/c.md": b"c\n"}
    assert not (out / "a" / "page.md").is_symlink() and elsewhere.read_text() == "outside\n"
    assert not (out / "old").exists()
    assert done.written == ["a/page.md", "b/c.md"] and done.removed == ["b", "old/deep/x.md"]
    assert sync(out, {"a/page.md": b"new\n", "b/c.md": b"c\n"}).written == []
