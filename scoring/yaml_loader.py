"""Read entry YAML safely, keeping the line and column of every value.

Only plain mappings, sequences and scalars are accepted: no tags, no anchors or
aliases, no duplicate keys. Scalars stay strings exactly as written (YAML 1.1
coercions such as ``no`` -> False or ``0123456`` -> 42798 never happen); the
schema decides what a string means. Plain ``null``/``~``/empty become None.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

MAX_BYTES = 256 * 1024
MAX_DEPTH = 32
NULLS = {"", "~", "null", "Null", "NULL"}


@dataclass
class Problem:
    path: str
    line: int
    col: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.field}: " if self.field else ""
        return f"{self.path}:{self.line}:{self.col}: {where}{self.message}"


class YamlError(Exception):
    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


@dataclass
class Document:
    data: object
    positions: dict[tuple, tuple[int, int]] = field(default_factory=dict)

    def where(self, loc: tuple) -> tuple[int, int]:
        """Line/column of the deepest known prefix of ``loc``."""
        loc = tuple(loc)
        while loc and loc not in self.positions:
            loc = loc[:-1]
        return self.positions.get(loc, (1, 1))


def _depth_before_parsing(text: str) -> tuple[int, int, int]:
    """Largest bracket/indent nesting, found without parsing (the C parser can crash on deep input)."""
    depth = worst = 0
    line = 1
    worst_line = 1
    in_quote = ""
    for ch in text:
        if ch == "\n":
            line += 1
        if in_quote:
            if ch == in_quote:
                in_quote = ""
            continue
        if ch in "\"'":
            in_quote = ch
        elif ch in "[{":
            depth += 1
            if depth > worst:
                worst, worst_line = depth, line
        elif ch in "]}":
            depth = max(0, depth - 1)
    indent_worst = 0
    for n, raw in enumerate(text.splitlines(), 1):
        stripped = raw.lstrip(" -")
        if stripped and not stripped.startswith("#"):
            level = (len(raw) - len(stripped)) // 2
            if level > indent_worst:
                indent_worst = level
                if level > worst:
                    worst_line = n
    return max(worst, indent_worst), worst_line, 1


class _Reader:
    def __init__(self, path: str):
        self.path = path
        self.positions: dict[tuple, tuple[int, int]] = {}

    def fail(self, node_or_mark, message: str, loc: tuple = ()) -> YamlError:
        mark = getattr(node_or_mark, "start_mark", node_or_mark)
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        return YamlError(Problem(self.path, line, col, _dotted(loc), message))

    def convert(self, node, loc: tuple = ()):
        self.positions[loc] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            out: dict = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise self.fail(key_node, "merge keys (<<) are not allowed", loc)
                if not isinstance(key_node, yaml.ScalarNode):
                    raise self.fail(key_node, "keys must be plain text", loc)
                key = key_node.value
                if key in out:
                    raise self.fail(key_node, f"duplicate key {key!r}", loc + (key,))
                out[key] = self.convert(value_node, loc + (key,))
                self.positions[loc + (key,)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, loc + (i,)) for i, item in enumerate(node.value)]
        if node.style is None and node.value in NULLS:
            return None
        return node.value  # plain ints, bools, dates... keep their text


class _NoAliasComposer(yaml.SafeLoader):
    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed", event.start_mark)
        event = self.peek_event()
        if getattr(event, "tag", None) not in (None, "!"):
            raise yaml.composer.ComposerError(None, None, f"YAML tag {event.tag!r} is not allowed", event.start_mark)
        if getattr(event, "anchor", None):
            raise yaml.composer.ComposerError(None, None, f"anchors (&{event.anchor}) are not allowed", event.start_mark)
        return super().compose_node(parent, index)


def _dotted(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def read_text(path: Path, display: str) -> str:
    raw = path.read_bytes()
    if len(raw) > MAX_BYTES:
        raise YamlError(Problem(display, 1, 1, "", f"file is {len(raw)} bytes; the limit is {MAX_BYTES}"))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        col = err.start - (raw.rfind(b"\n", 0, err.start) + 1) + 1
        raise YamlError(Problem(display, line, col, "", "file is not valid UTF-8")) from None


def load(path: Path, display: str | None = None) -> Document:
    """Parse one YAML file into plain Python with positions, or raise YamlError."""
    display = display or str(path)
    text = read_text(path, display)
    depth, line, col = _depth_before_parsing(text)
    if depth > MAX_DEPTH:
        raise YamlError(Problem(display, line, col, "", f"nesting deeper than {MAX_DEPTH} levels"))
    reader = _Reader(display)
    try:
        loader = _NoAliasComposer(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        message = " ".join(p for p in (err.context, err.problem) if p) or "invalid YAML"
        raise reader.fail(mark, message) from None
    except yaml.YAMLError as err:
        raise YamlError(Problem(display, 1, 1, "", f"invalid YAML: {err}")) from None
    if node is None:
        raise YamlError(Problem(display, 1, 1, "", "file is empty"))
    data = reader.convert(node)
    return Document(data, reader.positions)
