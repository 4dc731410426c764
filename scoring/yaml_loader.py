"""Read entry YAML safely, keeping the line and column of every value.

Entries arrive by pull request, so every file is hostile until read. The file is read with a size
cap, decoded as strict UTF-8 and screened for invisible, control and bidi characters. PyYAML's
pure-Python parser then streams events and this module builds plain dicts, lists and strings from
them in a loop, refusing nesting deeper than MAX_DEPTH as soon as it opens. PyYAML's C parser
(which segfaults on ~30,000 nested ``[``) and its recursive composer (RecursionError) are never used.

Only plain mappings, sequences and scalars are accepted: no tags, no anchors or aliases, no merge
keys, no duplicate keys, one document. Scalars stay strings exactly as written (YAML 1.1 coercions
such as ``no`` -> False or ``0123456`` -> 42798 never happen); the schema decides what a string
means. Plain ``null``/``~``/empty become None.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

MAX_BYTES = 256 * 1024
MAX_DEPTH = 32
MAX_PROBLEMS = 50  # reported per file; the rest are counted
NULLS = {"", "~", "null", "Null", "NULL"}
# Controls, invisible format characters (zero-width, bidi overrides and isolates, BOM), surrogates,
# private use and the Unicode line/paragraph separators.
REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Zl", "Zp"}
_NOT_PLAIN_ASCII = re.compile(r"[^\t\n\r\x20-\x7e]")
_LINE_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")  # what PyYAML counts as a new line


@dataclass
class Problem:
    path: str
    line: int
    col: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.field}: " if self.field else ""
        return printable(f"{self.path}:{self.line}:{self.col}: {where}{self.message}")


class YamlError(Exception):
    """The file could not be read into data at all; ``problems`` says why (one or more)."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


@dataclass
class Document:
    data: object
    positions: dict[tuple, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)  # found while reading; the data is still usable
    replaced: set[tuple] = field(default_factory=set)  # locations whose value was refused and set to None
    plain: set[tuple] = field(default_factory=set)  # locations of unquoted scalars

    def where(self, loc: tuple) -> tuple[int, int]:
        """Line/column of the deepest known prefix of ``loc``."""
        loc = tuple(loc)
        while loc and loc not in self.positions:
            loc = loc[:-1]
        return self.positions.get(loc, (1, 1))


def printable(text: str) -> str:
    """``text`` with every non-printable character escaped, so a message can never hide or reorder text."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def capped(problems: list[Problem]) -> list[Problem]:
    """At most MAX_PROBLEMS problems of one file, then one line counting the rest."""
    if len(problems) <= MAX_PROBLEMS:
        return problems
    rest = problems[MAX_PROBLEMS]
    return problems[:MAX_PROBLEMS] + [Problem(rest.path, rest.line, rest.col, "",
                                              f"... and {len(problems) - MAX_PROBLEMS} more problems in this file")]


def refused_character(ch: str) -> str | None:
    """Why ``ch`` may not appear in an entry, or None when it may."""
    code = ord(ch)
    if unicodedata.category(ch) in REFUSED_CATEGORIES or (code & 0xFFFE) == 0xFFFE or 0xFDD0 <= code <= 0xFDEF:
        name = unicodedata.name(ch, "control character" if code < 0xA0 else "unnamed character")
        return f"character U+{code:04X} ({name}) is not allowed: invisible, control and bidi characters can hide text"
    return None


def dotted(loc: tuple) -> str:
    out = ""
    for part in loc:
        text = str(part) if len(str(part)) <= 80 else str(part)[:80] + "..."
        out += f"[{part}]" if isinstance(part, int) else (f".{text}" if out else text)
    return out


def read_text(path: Path, display: str) -> str:
    """The file's text: at most MAX_BYTES, strict UTF-8, an optional leading BOM dropped."""
    with path.open("rb") as fh:
        raw = fh.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise YamlError([Problem(display, 1, 1, "", f"file is larger than the limit of {MAX_BYTES} bytes")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        start = raw.rfind(b"\n", 0, err.start) + 1
        line = raw[: err.start].count(b"\n") + 1
        col = len(raw[start: err.start].decode("utf-8", "replace")) + 1
        raise YamlError([Problem(display, line, col, "", f"file is not valid UTF-8 (byte 0x{raw[err.start]:02x})")]) from None
    return text.removeprefix("\ufeff")


class _Open:
    """A mapping or sequence being built."""

    def __init__(self, value: dict | list, loc: tuple | None):
        self.value = value
        self.loc = loc  # None inside a value that is being dropped (a duplicate key's)
        self.key: str | None = None  # mapping: the key whose value comes next
        self.keep = True  # mapping: whether that value is kept


class _Builder:
    def __init__(self, text: str, display: str):
        self.text = text
        self.display = display
        self.line_starts = [0] + [m.end() for m in _LINE_BREAK.finditer(text)]
        self.hits = [m.start() for m in _NOT_PLAIN_ASCII.finditer(text) if refused_character(m.group())]
        self.claimed: set[int] = set()
        self.doc = Document(None)
        self.loader: yaml.SafeLoader | None = None

    def events(self):
        """PyYAML's pure-Python parser: a state machine, no recursion, whatever the nesting."""
        self.loader = yaml.SafeLoader(self.text)
        try:
            while self.loader.check_event():
                yield self.loader.get_event()
        finally:
            self.loader.dispose()

    def position(self, index: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.line_starts, index)
        return line, index - self.line_starts[line - 1] + 1

    def problem(self, where, loc: tuple | None, message: str) -> Problem:
        """``where`` is a text index or a PyYAML mark."""
        index = where if isinstance(where, int) else where.index
        line, col = self.position(index)
        return Problem(self.display, line, col, dotted(loc or ()), message)

    def report(self, where, loc: tuple | None, message: str) -> None:
        self.doc.problems.append(self.problem(where, loc, message))

    def character_problems(self, start: int, end: int, loc: tuple | None) -> bool:
        """Report the first refused character written in text[start:end]; True if there was one."""
        first = bisect.bisect_left(self.hits, start)
        inside = self.hits[first: bisect.bisect_left(self.hits, end)]
        self.claimed.update(inside)
        if inside:
            self.report(inside[0], loc, refused_character(self.text[inside[0]]))
        return bool(inside)

    def screen_node(self, event, loc: tuple | None) -> None:
        if event.anchor is not None:
            self.report(event.start_mark, loc, f"anchors (&{event.anchor}) are not allowed")
        if getattr(event, "tag", None) is not None:
            self.report(event.start_mark, loc, f"YAML tags are not allowed (found {event.tag[:80]!r})")

    def screen_scalar(self, event, loc: tuple | None) -> None:
        if self.character_problems(event.start_mark.index, event.end_mark.index, loc):
            return
        if event.style == '"':  # escapes such as \u202e turn plain ASCII into refused characters
            bad = next((r for r in map(refused_character, event.value) if r), None)
            if bad:
                self.report(event.start_mark, loc, f"an escape sequence makes a {bad}")

    def build(self) -> Document:
        stack: list[_Open] = []
        documents = 0
        try:
            for event in self.events():
                if isinstance(event, yaml.DocumentStartEvent):
                    documents += 1
                    if documents > 1:
                        raise self.fatal(event.start_mark, "only one YAML document is allowed per file")
                elif isinstance(event, yaml.CollectionEndEvent):
                    self.attach(stack, stack.pop().value)
                elif isinstance(event, yaml.NodeEvent):
                    self.node(stack, event)
        except yaml.MarkedYAMLError as err:
            mark = err.problem_mark or err.context_mark
            message = " ".join(p for p in (err.context, err.problem) if p) or "invalid YAML"
            raise self.fatal(mark, message) from None
        except yaml.reader.ReaderError as err:  # characters PyYAML refuses; the screen has found them
            raise self.fatal(None, "" if self.hits else f"invalid YAML: {err}") from None
        except yaml.YAMLError as err:
            raise self.fatal(None, f"invalid YAML: {err}") from None
        except (ValueError, OverflowError) as err:  # PyYAML lets some escapes through, e.g. "\UFFFFFFFF"
            mark = self.loader.get_mark() if self.loader is not None else None
            raise self.fatal(mark, f"invalid escape sequence ({err})") from None
        if documents == 0:
            raise self.fatal(None, "file is empty")
        self.unclaimed_characters()
        self.doc.problems = capped(self.doc.problems)
        return self.doc

    def fatal(self, mark, message: str) -> YamlError:
        self.unclaimed_characters()
        if message:
            self.doc.problems.append(self.problem(mark, (), message) if mark is not None
                                     else Problem(self.display, 1, 1, "", message))
        return YamlError(capped(self.doc.problems))

    def unclaimed_characters(self) -> None:
        """Refused characters outside any value (comments, indentation), at most one per line."""
        lines = set()
        for index in self.hits:
            line = self.position(index)[0]
            if index not in self.claimed and line not in lines:
                lines.add(line)
                self.report(index, (), refused_character(self.text[index]))
        self.claimed.update(self.hits)

    def node(self, stack: list[_Open], event) -> None:
        top = stack[-1] if stack else None
        if top is not None and isinstance(top.value, dict) and top.key is None:
            self.key(top, event)
            return
        if top is None:
            loc = ()
        elif isinstance(top.value, list):
            loc = None if top.loc is None else top.loc + (len(top.value),)
        else:
            loc = top.loc + (top.key,) if top.loc is not None and top.keep else None
        if loc is not None:
            self.doc.positions.setdefault(loc, (event.start_mark.line + 1, event.start_mark.column + 1))
        if isinstance(event, yaml.AliasEvent):
            self.report(event.start_mark, loc, f"aliases (*{event.anchor}) are not allowed")
            if loc is not None:
                self.doc.replaced.add(loc)
            self.attach(stack, None)
            return
        self.screen_node(event, loc)
        if isinstance(event, yaml.ScalarEvent):
            self.screen_scalar(event, loc)
            if event.style is None and loc is not None:
                self.doc.plain.add(loc)
            self.attach(stack, None if event.style is None and event.value in NULLS else event.value)
        elif len(stack) >= MAX_DEPTH:
            raise self.fatal(event.start_mark, f"nesting deeper than {MAX_DEPTH} levels")
        else:
            stack.append(_Open({} if isinstance(event, yaml.MappingStartEvent) else [], loc))

    def key(self, top: _Open, event) -> None:
        if not isinstance(event, yaml.ScalarEvent):
            raise self.fatal(event.start_mark, "keys must be plain text")
        key = event.value
        loc = None if top.loc is None else top.loc + (key,)
        self.screen_node(event, loc)
        self.screen_scalar(event, loc)
        top.key, top.keep = key, top.loc is not None
        if event.style is None and key == "<<":
            self.report(event.start_mark, loc, "merge keys (<<) are not allowed")
            top.keep = False
        elif key in top.value:
            self.report(event.start_mark, loc, f"duplicate key {key[:80]!r}")
            top.keep = False
        elif loc is not None:
            self.doc.positions[loc] = (event.start_mark.line + 1, event.start_mark.column + 1)

    def attach(self, stack: list[_Open], value) -> None:
        if not stack:
            self.doc.data = value
            return
        top = stack[-1]
        if isinstance(top.value, list):
            top.value.append(value)
            return
        if top.keep:
            top.value[top.key] = value
        top.key = None


def load(path: Path, display: str | None = None) -> Document:
    """Parse one YAML file into plain Python with positions, or raise YamlError.

    Problems that leave the data usable (a duplicate key, a tag, an alias, a refused character) are
    in ``Document.problems``; the caller reports them with whatever else it finds.
    """
    display = display or str(path)
    return _Builder(read_text(path, display), display).build()
