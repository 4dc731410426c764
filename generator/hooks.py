"""mkdocs hook: sanitise every page's HTML with nh3 before the theme wraps it.

Entry text is already escaped when pages are generated; this is the second wall. Only the tags and
attributes Markdown and the enabled extensions produce survive; scripts, event handlers, styles and
non-http(s) URLs do not. Listed in mkdocs.yml under ``hooks``.
"""

from __future__ import annotations

import nh3

TAGS = {
    "a", "abbr", "blockquote", "br", "code", "del", "details", "div", "em", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "img", "kbd", "li", "ol", "p", "pre", "small", "span", "strong", "sub", "summary", "sup", "table",
    "tbody", "td", "th", "thead", "tr", "ul",
}
ATTRIBUTES = {
    "*": {"class", "id", "title"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan"},
    "details": {"open"},
}
URL_SCHEMES = {"http", "https", "mailto"}
# built once: nh3.clean would rebuild the same rules for every page
_CLEANER = nh3.Cleaner(tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES, link_rel=None, strip_comments=True)


def sanitise(html: str) -> str:
    return _CLEANER.clean(html)


def on_page_content(html: str, page, config, files) -> str:
    return sanitise(html)
