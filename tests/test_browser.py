"""Headless Chromium opens the built site on 127.0.0.1: home, an entry, a comparison, search, a chart.

Needs Debian's chromium (/usr/bin/chromium) and the playwright package. Without chromium the test is
skipped, unless UNFRAGILE_REQUIRE_BROWSER=1 (set by .ci/run), which turns the skip into a failure.
Screenshots go to test-artifacts/browser/.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest
from conftest import ROOT

from generator.build import build
from generator.render import generate
from scoring.entries import entry_files, load_catalog

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
SEED = "distilbert-base-uncased-finetuned-sst-2-english-vs-the-pile"


def _unavailable(reason: str) -> None:
    if os.environ.get("UNFRAGILE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (UNFRAGILE_REQUIRE_BROWSER=1 requires the browser test to run)")
    pytest.skip(f"{reason}; install it with: apt-get install -y chromium")


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        _unavailable(f"no Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield chromium
        chromium.close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def site_url(tmp_path_factory):
    """The committed entries and results, generated and built, served on 127.0.0.1."""
    tmp = tmp_path_factory.mktemp("browser")
    catalog, problems = load_catalog(entry_files(ROOT / "entries"), ROOT / "entries")
    assert not problems, problems
    generate(catalog, ROOT / "results", tmp / "docs", ROOT / "docs", cache_dir=ROOT / ".cache" / "unfragile")
    assert build(ROOT / "mkdocs.yml", tmp / "docs", tmp / "site") == 0
    handler = functools.partial(_Quiet, directory=str(tmp / "site"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors: {errors}"


def heading(page) -> str:
    return page.locator("h1").first.inner_text().replace("¶", "").strip()


def test_home_page(page, site_url):
    page.goto(site_url + "/")
    assert page.title() == "unfragile"
    assert heading(page) == "unfragile"
    assert page.locator("table").count() >= 2
    assert page.locator("article h2", has_text="Highest UnfragileRank").count() == 1
    page.screenshot(path=str(ARTIFACTS / "home.png"), full_page=True)


def test_entry_page(page, site_url):
    page.goto(site_url + "/entries/vader/")
    assert heading(page) == "VADER"
    assert "/100" in page.locator("article").inner_text()
    assert page.locator("#nearest-alternatives").count() == 1
    page.screenshot(path=str(ARTIFACTS / "entry.png"), full_page=True)


def test_comparison_page(page, site_url):
    page.goto(f"{site_url}/compare/{SEED}/")
    title = heading(page)
    assert title.startswith("DistilBERT") and title.endswith(" vs The Pile")
    assert page.title().endswith(" vs The Pile - unfragile")
    text = page.locator("article").inner_text()
    assert "UnfragileRank" in text and "Verdict" in text and "Unique:" in text
    page.screenshot(path=str(ARTIFACTS / "compare.png"), full_page=True)


def test_search_finds_an_entry(page, site_url):
    page.goto(site_url + "/")
    page.locator("input.md-search__input").click(force=True)
    page.keyboard.type("AFINN")
    result = page.locator(".md-search-result__item").first
    result.wait_for(state="visible", timeout=30_000)
    assert "AFINN" in page.locator(".md-search-result").inner_text()
    page.screenshot(path=str(ARTIFACTS / "search.png"))


def test_a_chart_renders(page, site_url):
    page.goto(site_url + "/")
    chart = page.locator("article img[src$='.svg']").first
    chart.wait_for(state="visible")
    assert chart.get_attribute("alt").startswith(("Bar chart", "Scatter chart"))
    size = chart.evaluate("img => img.complete ? [img.naturalWidth, img.naturalHeight] : [0, 0]")
    assert size[0] > 100 and size[1] > 50
    chart.screenshot(path=str(ARTIFACTS / "chart.png"))
