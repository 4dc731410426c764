"""Hostile entries: no raw HTML from an entry reaches a built page, and bad URLs are refused at validation."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import ROOT

from generator import match as E
from generator import metrics as M
from generator.build import build
from generator.hooks import sanitise
from generator.render import generate, md, url
from scoring import results as R
from scoring.entries import entry_files
from scoring.validation import load_catalog
from unfragile.cli import main

HOSTILE = ROOT / "tests" / "fixtures" / "hostile" / "entries"
URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background"}
PAYLOAD_RESULT = "<script>alert('PWN-result')</script> | x"


class Audit(HTMLParser):
    """Collects what would run in a browser: script bodies, event-handler attributes, script URLs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        if tag in ("iframe", "object", "embed", "frame", "base"):
            self.problems.append(f"<{tag}> element")
        self._in_script = tag in ("script", "style")
        for name, value in attrs:
            if name.lower().startswith("on"):
                self.problems.append(f"event handler {name}={value!r} on <{tag}>")
            squashed = re.sub(r"[\s\x00-\x1f]", "", value or "").lower()
            if name.lower() in URL_ATTRS and squashed.startswith(("javascript:", "vbscript:", "data:text/html")):
                self.problems.append(f"script URL {name}={value!r} on <{tag}>")
            if tag == "script" and name == "src" and "pwn" in squashed:
                self.problems.append(f"script src {value!r}")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self._in_script = False

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and ("PWN" in data or "alert(" in data or "body{display" in data):
            self.problems.append(f"script body {data[:80]!r}")


def audit(text: str) -> list[str]:
    parser = Audit()
    parser.feed(text)
    parser.close()
    return parser.problems


def _hostile_results(results_dir: Path) -> None:
    """One ok result with payloads in its config and details, one unavailable with a payload reason."""
    prov = R.Provenance(engine_version="0", check_version="1", model={"<script>": "<script>alert('PWN-prov')</script>"})
    config = {"dataset": "hostile-dataset", "split": "dev", "classifier": "afinn", "threshold": 0.0,
              "rule": "<img src=x onerror=alert('PWN-rule')> | cell", "options": {}}
    ok = R.Result(entry="hostile-model", id="classification-accuracy", check="classification-accuracy", status="ok",
                  key="k", metrics={"accuracy": 0.7, "accuracy_ci_low": 0.6, "accuracy_ci_high": 0.8, "n": 10},
                  config=config, provenance=prov,
                  details={"rule": PAYLOAD_RESULT, "subsets": {"<svg onload=alert('PWN-subset')>": {"accuracy": 0.5}}})
    R.write(results_dir, ok)


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("hostile")
    catalog, problems = load_catalog(entry_files(HOSTILE), HOSTILE)
    assert not problems, problems
    _hostile_results(tmp / "results")
    schema = dict(M.schema())
    board = {"id": "hostile", "title": "Hostile <script>alert('PWN-board')</script>", "check": "classification-accuracy",
             "metric": "accuracy", "ci": ["accuracy_ci_low", "accuracy_ci_high"], "details": "subsets",
             "columns": [{"check": "classification-accuracy", "metric": "n"}], "chart": ["scatter", "subsets"]}
    schema["leaderboards"] = [*schema["leaderboards"], board]
    schema["charts"] = [{"id": "subsets", "title": "<script>alert('PWN-chart')</script>", "check": "classification-accuracy",
                         "details": "subsets", "series": {"accuracy": "<b onclick=alert('PWN-series')>"}, "unit": "fraction"}]
    generate(catalog, tmp / "results", tmp / "docs", ROOT / "docs", cache_dir=None, encoder=E.hashing,
             encoder_name=E.HASHING_ID, schema=schema)
    assert build(ROOT / "mkdocs.yml", tmp / "docs", tmp / "site") == 0
    return tmp


def test_no_entry_payload_runs_in_any_built_page(hostile_site):
    pages = sorted((hostile_site / "site").rglob("*.html"))
    assert len(pages) >= 8
    seen_payload_text = False
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert audit(text) == [], page
        assert "<script>alert(" not in text, page
        seen_payload_text |= "PWN-model-title" in text
    assert seen_payload_text, "the payloads should be shown as text"


def test_payloads_are_shown_escaped_not_dropped(hostile_site):
    page = (hostile_site / "site" / "entries" / "hostile-model" / "index.html").read_text(encoding="utf-8")
    assert "&lt;/title&gt;&lt;script&gt;alert('PWN-model-title')&lt;/script&gt;" in page
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert "<" not in title and "&lt;/title&gt;" in title


def test_charts_and_downloads_carry_no_markup(hostile_site):
    svgs = sorted((hostile_site / "site" / "charts").glob("*.svg"))
    assert len(svgs) == 3
    for svg in svgs:
        text = svg.read_text(encoding="utf-8")
        assert audit(text) == [] and "<script" not in text and "<svg onload" not in text, svg
    data = json.loads((hostile_site / "site" / "data" / "unfragile.json").read_text(encoding="utf-8"))
    assert "hostile-model" in data["entries"]
    csv_text = (hostile_site / "site" / "data" / "hostile.csv").read_text(encoding="utf-8")
    assert "PWN-model-title" in csv_text and "\n'=" not in csv_text


def test_search_index_holds_no_markup_from_entries(hostile_site):
    index = json.loads((hostile_site / "site" / "search" / "search_index.json").read_text(encoding="utf-8"))
    for doc in index["docs"]:
        for field in ("title", "text"):
            assert audit(doc[field]) == [], (doc["location"], field)
            assert "<script" not in doc[field].lower(), (doc["location"], field)


@pytest.mark.parametrize("text", [
    "a | b", "line\nbreak", "<script>x</script>", "[l](javascript:alert(1))", "# h", "`code`", "*x*", "&amp;",
])
def test_md_makes_one_safe_inline_cell(text):
    out = md(text)
    assert "\n" not in out and "<" not in out
    assert re.search(r"(?<!\\)\|", out) is None
    assert re.search(r"(?<!\\)[\[\]`*_]", out) is None


def test_url_filter_only_passes_http():
    assert url("javascript:alert(1)") == "#"
    assert url("data:text/html,<script>") == "#"
    assert url("https://example.com/a b\"<>") == "https://example.com/a%20b%22%3C%3E"


def test_sanitiser_strips_what_markdown_never_makes():
    dirty = ('<p onclick="x">t</p><script>alert(1)</script><a href="javascript:alert(1)">a</a>'
             '<img src="data:text/html,x" onerror="y"><iframe src="https://x"></iframe><h2 id="k">h</h2>')
    clean = sanitise(dirty)
    assert audit(clean) == []
    assert "<script" not in clean and "iframe" not in clean and "onerror" not in clean
    assert '<h2 id="k">h</h2>' in clean


@pytest.mark.parametrize("field, value", [
    ("homepage", "javascript:alert(1)"),
    ("homepage", "JAVASCRIPT:alert(1)"),
    ("homepage", "data:text/html,<script>alert(1)</script>"),
    ("homepage", " https://example.com"),
    ("homepage", "https://example.com/\"onmouseover=alert(1)"),
    ("source", "javascript:alert(1)"),
])
def test_script_and_data_urls_are_refused_at_validation(tmp_path, capsys, field, value):
    entry = (ROOT / "entries" / "models" / "vader.yaml").read_text(encoding="utf-8")
    if field == "homepage":
        entry = re.sub(r"^homepage: .*$", f"homepage: {json.dumps(value)}", entry, flags=re.M)
    else:
        entry = entry.replace("    vs_alternatives: >-", "    claims:\n      - statement: s\n"
                              f"        source: {json.dumps(value)}\n    vs_alternatives: >-")
    path = tmp_path / "vader.yaml"
    path.write_text(entry, encoding="utf-8")
    assert main(["validate", str(path), "--entries", str(ROOT / "entries")]) == 1
    err = capsys.readouterr().err
    assert f"{path}:" in err and ("homepage" if field == "homepage" else "claims[0].source") in err
    assert "Traceback" not in err


@pytest.mark.parametrize("target", ["/proc/self/environ", "outside"])
def test_a_linked_docs_page_stops_the_build(tmp_path, target):
    """A hand-written page that is a link would publish what it points at (the environment, a file outside)."""
    import shutil

    from scoring.entries import entry_files
    from scoring.validation import load_catalog

    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", docs)
    outside = tmp_path / "secret.md"
    outside.write_text("# secret\n")
    (docs / "leak.md").symlink_to(outside if target == "outside" else Path(target))
    from generator.render import generate

    catalog, problems = load_catalog(entry_files(ROOT / "entries"), ROOT / "entries")
    assert problems == []
    with pytest.raises(SystemExit) as stop:
        generate(catalog, ROOT / "results", tmp_path / "gen", docs_dir=docs, cache_dir=None, encoder=E.hashing,
                 encoder_name=E.HASHING_ID)
    assert "leak.md: is a link" in str(stop.value)
    assert not (tmp_path / "gen" / "leak.md").exists()
