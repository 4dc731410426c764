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
from scoring.entries import entry_files
from scoring.validation import load_catalog

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
    from scoring.embeddings import embed_catalog

    embed_catalog(catalog, ROOT / ".cache" / "unfragile")  # the match graph's vectors: a scoring step
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
    assert page.locator("article h2", has_text="Sentiment classifiers").count() == 1
    assert page.locator("article h2", has_text="Highest UnfragileRank").count() == 0  # no list mixes kinds
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


WIDTHS = (1280, 390)
SCHEMES = ("light", "dark")


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("width", WIDTHS)
def test_pages_read_well_at_both_widths_in_both_schemes(browser, site_url, width, scheme):
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    for path, name in (("/", "home"), ("/leaderboards/sst2-accuracy/", "board"), ("/entries/the-pile/", "pile"),
                       ("/compare/textblob-vs-vader/", "compare")):
        page.goto(site_url + path)
        page.wait_for_load_state("networkidle")
        chosen = page.evaluate("document.body.getAttribute('data-md-color-scheme')")
        assert chosen == ("slate" if scheme == "dark" else "default")
        # no table wider than its box leaves the page scrolling sideways, and no row is drawn empty
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1, f"{path} scrolls sideways"
        empty = page.evaluate("""Array.from(document.querySelectorAll('article table tbody tr'))
            .filter(r => !r.closest('details:not([open])') && r.innerText.trim() === '').length""")
        assert empty == 0, f"{path}: {empty} empty table rows"
        # chart text stays readable: charts keep their drawn size and scroll inside their box instead
        sizes = page.evaluate("""Array.from(document.querySelectorAll("article img[src*='charts/']"))
            .map(i => i.getBoundingClientRect().width)""")
        assert all(w >= 700 for w in sizes), f"{path}: charts shrunk to {sizes}"
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}-{scheme}.png"), full_page=True)
    context.close()
    assert errors == [], f"JavaScript errors: {errors}"


def test_sort_a_table_and_toggle_a_filter(page, site_url):
    page.goto(site_url + "/leaderboards/sst2-accuracy/")
    table = page.locator("article table").first
    table.wait_for()
    header = table.locator("thead th", has_text="Accuracy").first
    header.click()
    values = table.locator("tbody tr td:nth-child(3)").all_inner_texts()
    numbers = [float(v.rstrip("%")) for v in values if v.strip() not in ("—", "")]
    assert numbers == sorted(numbers) and len(numbers) >= 5
    header.click()
    values = table.locator("tbody tr td:nth-child(3)").all_inner_texts()
    numbers = [float(v.rstrip("%")) for v in values if v.strip() not in ("—", "")]
    assert numbers == sorted(numbers, reverse=True)
    visible = table.locator("tbody tr:not(.uf-hidden)")
    total = visible.count()
    box = page.locator(".uf-controls label", has_text="unavailable").locator("input").first
    box.uncheck()
    assert 0 < visible.count() < total
    assert all("unavailable" not in t for t in visible.all_inner_texts())
    page.locator(".uf-controls input[type=search]").first.fill("VADER")
    assert visible.count() == 1
    page.screenshot(path=str(ARTIFACTS / "board-filtered.png"), full_page=True)
