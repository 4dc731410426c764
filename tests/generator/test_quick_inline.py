"""generator.quick_inline gives the same HTML as Python-Markdown without it, pattern by pattern."""

from __future__ import annotations

from pathlib import Path

import markdown
import pytest
from conftest import ROOT
from markdown.inlinepatterns import SimpleTagInlineProcessor

EXTENSIONS = ["tables", "admonition", "pymdownx.details", "toc", "fenced_code"]
SAMPLES = [
    "plain words, numbers 1.5 and a dash –",
    "`code` and ``two `ticks` `` and \\\\`not code`",
    "escaped \\* star, \\[bracket\\], 60\\.04% and a trailing backslash \\",
    "[a link](../entries/x.md#anchor \"title\") and [ref][r] and [short]\n\n[r]: https://example.org\n[short]: /s",
    "![image](chart.svg) and ![ref image][r]\n\n[r]: chart.svg",
    "<https://example.org/path> and <someone@example.org> and <mailto:a@b.org>",
    "two spaces at the end  \nof a line",
    "inline <span class=\"x\">html</span> and &amp; &#169; &copy; entities, and a lone & < >",
    "*em* **strong** ***both*** _em_ __strong__ a * lone star and a _ lone underscore snake_case_word",
    "| a | b |\n|---|---|\n| **x** | [y](y.md) |\n| plain | `z` |\n",
    "# Heading with *em*\n\n!!! note \"Title\"\n    body with `code`\n\n??? tip \"More\"\n    hidden _text_\n",
    "```\n*not* [parsed]\n```\n\n> quoted *em* and\n> <b>bold</b>",
]


def _html(text: str, quick: bool, extra=()) -> str:
    return markdown.markdown(text, extensions=EXTENSIONS + list(extra) + (["generator.quick_inline"] if quick else []))


@pytest.mark.parametrize("text", SAMPLES)
def test_same_html_as_without_it(text):
    assert _html(text, True) == _html(text, False)


def test_the_committed_pages_render_the_same():
    pages = sorted((ROOT / "tests" / "fixtures" / "golden" / "expected").rglob("*.md")) + [ROOT / "docs" / "contributing.md"]
    for page in pages:
        text = Path(page).read_text(encoding="utf-8")
        assert _html(text, True) == _html(text, False), page


class _Mark(markdown.Extension):
    """A pattern quick_inline does not know: it must still run on every text."""

    def extendMarkdown(self, md):  # noqa: N802
        md.inlinePatterns.register(SimpleTagInlineProcessor(r"()==(.+?)==", "mark"), "mark", 65)


def test_a_pattern_it_does_not_know_still_runs():
    text = "a ==marked== word and plain text"
    assert "<mark>marked</mark>" in _html(text, True, [_Mark()])
    assert _html(text, True, [_Mark()]) == _html(text, False, [_Mark()])


def test_it_recognises_every_pattern_the_site_uses():
    """A Python-Markdown upgrade that renames a regex keeps the HTML right but loses the speed: say so."""
    from generator.quick_inline import needs

    md = markdown.Markdown(extensions=EXTENSIONS + ["generator.quick_inline"])
    assert [pattern for pattern in md.inlinePatterns if needs(pattern) is None] == []
