"""Generator pieces: match graph and its cache, comparison pairs, charts, downloads, the real catalog's pages."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

from generator import charts
from generator import match as E
from generator.export import leaderboard_csv
from generator.leaderboards import Cell, Leaderboard, LeaderRow
from generator.match import Neighbour, comparison_pairs, entry_texts, entry_vectors, neighbours
from generator.rank import display
from generator.render import generate, paged
from scoring.embeddings import VectorCache, encoder_id, minilm
from scoring.entries import entry_files
from scoring.validation import load_catalog

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def catalog():
    found, problems = load_catalog(entry_files(ROOT / "entries"), ROOT / "entries")
    assert not problems, problems
    return found


@pytest.fixture(scope="module")
def real_site(tmp_path_factory, catalog) -> Path:
    """The committed entries and results, generated with the stand-in encoder (fast, no model)."""
    out = tmp_path_factory.mktemp("real") / "generated"
    generate(catalog, ROOT / "results", out, ROOT / "docs", cache_dir=None, encoder=E.hashing,
             encoder_name=E.HASHING_ID)
    return out


def test_neighbours_are_sorted_with_ties_broken_by_id():
    vecs = {"a": np.array([1.0, 0.0]), "b": np.array([0.0, 1.0]), "c": np.array([0.0, 1.0]), "d": np.array([1.0, 0.0])}
    near = neighbours(vecs, 2)
    assert [n.id for n in near["b"]] == ["c", "a"]  # c is identical; a and d tie at 0, a sorts first
    assert near["a"][0] == Neighbour("d", 1.0)


def test_comparison_pairs_keep_seed_order_and_cover_small_tasks(catalog):
    near = {"vader": [Neighbour("afinn", 0.9)]}
    pairs = comparison_pairs(catalog, near, [("the-pile", "sst2")], compare_neighbours=1, task_pairs_max=12)
    assert ("the-pile", "sst2", "the site's standing comparison") in pairs
    assert ("afinn", "vader", "near in the match graph") in pairs
    sentiment = sorted(e.id for e in catalog.values() if e.task == "sentiment-classification")
    for i, a in enumerate(sentiment):
        for b in sentiment[i + 1:]:
            assert any({p[0], p[1]} == {a, b} for p in pairs), (a, b)
    assert len({frozenset(p[:2]) for p in pairs}) == len(pairs)
    few = comparison_pairs(catalog, {}, [], compare_neighbours=0, task_pairs_max=1)
    assert few == []


def test_vector_cache_embeds_each_text_once(tmp_path, catalog):
    calls = []

    def counting(texts):
        calls.append(len(texts))
        return E.hashing(texts)

    path = tmp_path / "vectors.json"
    first = entry_vectors(catalog, VectorCache(path, counting, "x"))
    n_texts = len({t for e in catalog.values() for t in entry_texts(e)})
    assert calls == [n_texts]
    again = entry_vectors(catalog, VectorCache(path, counting, "x"))
    assert calls == [n_texts]  # all from the cache
    assert all(np.array_equal(first[k], again[k]) for k in first)
    path.write_text("{broken", encoding="utf-8")
    entry_vectors(catalog, VectorCache(path, counting, "x"))
    assert calls == [n_texts, n_texts]  # a broken cache is rebuilt, not trusted


@pytest.mark.slow
def test_minilm_places_lexicons_near_each_other(tmp_path, catalog):
    vecs = entry_vectors(catalog, VectorCache(tmp_path / "v.json", minilm, encoder_id()))
    sims = {k: float(vecs["vader"] @ v) for k, v in vecs.items() if k != "vader"}
    assert sims["afinn"] > sims["the-pile"] and sims["textblob"] > sims["the-pile"]
    assert abs(float(np.linalg.norm(vecs["vader"])) - 1.0) < 1e-3


def test_charts_are_valid_svg_with_title_desc_and_escaped_labels():
    svg = charts.scatter([charts.Point("<b>&", 10, 0.8, 0.7, 0.9), charts.Point("two", 1000, 0.6)], "T <x>", "D & d",
                         "x", "y", str, str, log_x=True)
    root = ET.fromstring(svg)
    assert root.find(f"{SVG}title").text == "T <x>" and root.find(f"{SVG}desc").text == "D & d"
    assert len(root.findall(f".//{SVG}circle")) == 4  # two points, two legend marks
    bars = charts.bars(["s1", "s2"], [("a", [1.0, None]), ("b", [0.5, 2.0])], "t", "d", "v", str)
    root = ET.fromstring(bars)
    assert len(root.findall(f".//{SVG}rect")) == 1 + 2 + 3  # background, legend, bars
    assert "not measured" in bars


def test_nice_ticks_cover_the_range():
    for lo, hi in ((0, 1), (0.51, 0.93), (3, 3), (0, 1234)):
        ticks = charts.nice_ticks(lo, hi)
        assert ticks[0] <= lo and ticks[-1] >= hi and ticks == sorted(ticks)


def test_csv_parses_and_defuses_formulas():
    row = LeaderRow(1, "e", "=HYPERLINK(\"x\")", "r", "ok", 0.5, "50%", 0.4, 0.6, "", "10", [Cell(3.0, "3")],
                    [], "+note")
    board = Leaderboard("b", "B", "Accuracy", "accuracy", "fraction", True, ["Speed"], [], [row])
    rows = list(csv.reader(io.StringIO(leaderboard_csv(board))))
    assert rows[0][:7] == ["position", "rank_group", "entry", "title", "result", "status", "accuracy"]
    assert rows[1][3].startswith("'=") and rows[1][-1] == "'+note"
    assert float(rows[1][6]) == 0.5 and rows[1][9] == "10" and rows[1][10] == "3.0"


def test_paged_links_neighbours():
    pages = paged(list(range(5)), 2, "entries/index")
    assert [p[0] for p in pages] == ["entries/index.md", "entries/index-2.md", "entries/index-3.md"]
    assert pages[1][2]["prev"] == "index.md" and pages[1][2]["next"] == "index-3.md"
    assert paged([], 2, "x")[0][1] == []


def test_real_catalog_every_entry_has_a_rank_and_downloads_parse(real_site, catalog):
    data = json.loads((real_site / "data" / "unfragile.json").read_text(encoding="utf-8"))
    assert sorted(data["entries"]) == sorted(catalog)
    for entry_id, item in data["entries"].items():
        assert 0 <= item["rank"]["total"] <= 100
        page = (real_site / "entries" / f"{entry_id}.md").read_text(encoding="utf-8")
        assert f"**{display(item['rank']['total'])}/100**" in page
        for rid, r in item["results"].items():
            assert (ROOT / "results" / entry_id / f"{rid}.json").is_file() and r["entry"] == entry_id
    for board in sorted((real_site / "data").glob("*.csv")):
        rows = list(csv.DictReader(board.open(encoding="utf-8")))
        assert rows, board
        for row in rows:
            assert row["status"] in ("ok", "failed", "unavailable", "missing")
            assert (row["status"] == "ok") == (row[list(row)[6]] != "")
    graph = json.loads((real_site / "data" / "match-graph.json").read_text(encoding="utf-8"))
    assert set(graph["nodes"]) == set(catalog) and graph["edges"]


def test_real_catalog_has_the_seed_comparison_with_a_numeric_verdict(real_site):
    page = (real_site / "compare" / "distilbert-base-uncased-finetuned-sst-2-english-vs-the-pile.md").read_text()
    h1 = next(line for line in page.splitlines() if line.startswith("# "))
    assert h1.startswith("# DistilBERT") and h1.endswith(" vs The Pile")
    assert re.search(r"ranks (higher|level) at \d+/100", page)
    for feature in ("UnfragileRank", "Quality", "Evidence coverage", "Capabilities", "Times matched"):
        assert f"| {feature} |" in page
    assert "**Unique:**" in page and "**vs alternatives:**" in page and "## Verdict" in page


def test_methodology_reproduces_its_example_by_hand(real_site):
    text = (real_site / "methodology.md").read_text(encoding="utf-8").replace("\\", "")
    line = next(ln for ln in text.splitlines() if "Rank = 100 ×" in ln)
    m = re.search(r"Rank = 100 × \((.*)\) / \((.*)\) = ([\d.]+), shown as (\d+)/100", line)
    terms = [tuple(map(float, t.split(" × "))) for t in m.group(1).split(" + ")]
    by_hand = 100 * sum(w * s for w, s in terms) / sum(map(float, m.group(2).split(" + ")))
    assert abs(by_hand - float(m.group(3))) < 0.01
    example = re.search(r"\[(.*?)\]\(entries/(.*?)\.md\), from its committed results", text).group(2)
    page = (real_site / "entries" / f"{example}.md").read_text(encoding="utf-8")
    assert f"**{m.group(4)}/100**" in page


def test_a_metric_missing_from_the_schema_stops_generation_with_its_name(tmp_path, catalog):
    from scoring import results as R

    r = R.Result(entry="vader", id="classification-accuracy", check="classification-accuracy", status="ok", key="k",
                 metrics={"mystery_metric": 1.0}, provenance=R.Provenance(engine_version="0", check_version="1"))
    R.write(tmp_path / "results", r)
    with pytest.raises(SystemExit, match="mystery_metric"):
        generate(catalog, tmp_path / "results", tmp_path / "out", None, cache_dir=None, encoder=E.hashing,
                 encoder_name=E.HASHING_ID)
