"""Markdown extension: an inline pattern is tried only on text holding a character it cannot match without.

Python-Markdown tries every inline pattern (code, escapes, links, autolinks, HTML, entities, emphasis)
on every text of a page, a regex search each. Most of the site's text (table cells, sentences) has
none of the characters those patterns begin with, so this extension looks for the characters first.
The HTML is the same: a regex that needs a ``[`` finds nothing in text without one. Only the patterns
this module recognises by their regex are skipped; any other pattern, such as one an extension adds,
is tried on every text as before. Listed in mkdocs.yml under ``markdown_extensions``.
"""

from __future__ import annotations

import re

from markdown import Extension
from markdown import inlinepatterns as ip
from markdown.treeprocessors import InlineProcessor

# Python-Markdown's inline regexes (its module constants, by name) and the characters of which a text must
# hold at least one, where the search starts or after, for the regex to match there.
_NEEDS = {"BACKTICK_RE": "`", "ESCAPE_RE": "\\", "LINK_RE": "[", "IMAGE_LINK_RE": "[", "AUTOLINK_RE": "<",
          "AUTOMAIL_RE": "<", "HTML_RE": "<", "ENTITY_RE": "&", "LINE_BREAK_RE": "\n"}
NEEDS = {getattr(ip, name): chars for name, chars in _NEEDS.items() if hasattr(ip, name)}


def needs(pattern) -> str | None:
    """The characters one of which ``pattern`` must see to match, or None when it is not recognised."""
    if type(pattern) is getattr(ip, "DelimiterProcessor", None):  # emphasis: its regex is its delimiters
        return "".join(pattern.tokens)
    if isinstance(pattern, ip.InlineProcessor):
        return NEEDS.get(pattern.pattern)
    return None


def _any_of(chars: str) -> re.Pattern:
    return re.compile(f"[{re.escape(chars)}]" if chars else "(?!)")


class QuickInlineProcessor(InlineProcessor):
    """Python-Markdown's inline treeprocessor, skipping the patterns that cannot match a text."""

    _needs: dict[int, re.Pattern] = {}  # until run() looks at the patterns, every pattern is tried
    _any: re.Pattern | None = None

    def run(self, tree, ancestors=None):
        chars = [needs(pattern) for pattern in self.inlinePatterns]
        self._needs = {id(p): _any_of(c) for p, c in zip(self.inlinePatterns, chars, strict=True) if c is not None}
        # every pattern recognised: a text with none of their characters skips them all at once
        self._any = None if None in chars else _any_of("".join(chars))
        return super().run(tree, ancestors)

    # InlineProcessor's private methods, by their mangled names.
    def _InlineProcessor__handleInline(self, data, patternIndex=0):  # noqa: N802, N803
        if self._any is not None and self._any.search(data) is None:
            return data
        return super()._InlineProcessor__handleInline(data, patternIndex)

    def _InlineProcessor__applyPattern(self, pattern, data, patternIndex, startIndex=0):  # noqa: N802, N803
        need = self._needs.get(id(pattern))
        if need is not None and need.search(data, startIndex) is None:
            return data, False, 0  # what InlineProcessor returns for a pattern that does not match
        return super()._InlineProcessor__applyPattern(pattern, data, patternIndex, startIndex)


class QuickInlineExtension(Extension):
    def extendMarkdown(self, md):  # noqa: N802
        md.treeprocessors.register(QuickInlineProcessor(md), "inline", 20)


def makeExtension(**kwargs):  # noqa: N802 (the name Python-Markdown looks for)
    return QuickInlineExtension(**kwargs)
