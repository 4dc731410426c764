"""Read Pile-format shards: ``.jsonl`` or ``.jsonl.zst``, one JSON object per line.

Every zstd frame is read (multi-frame files are normal), memory stays bounded (one chunk plus at
most one line), and hostile input never crashes the reader:

- damage to the file as a whole (truncated or corrupt zstd data, a window or an output size past
  the limits, a decompression bomb) raises ShardError naming the file: no partial result;
- a bad line (not UTF-8, invalid JSON, NaN/Infinity, nesting deeper than orjson's 1024 levels, a
  missing field, a line longer than the cap) is counted in BadLines with its ``file:line`` and
  skipped, so the caller reports exactly what it left out.
"""

from __future__ import annotations

import os
import queue
import struct
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import orjson
import zstandard

from scoring.check import usable_cores

VERSION = "1"  # bump when a change here can move a measured number (see scoring/code.py)

MiB = 1 << 20
ZSTD_MAGIC = 0xFD2FB528
_SKIPPABLE = range(0x184D2A50, 0x184D2A60)
_BLOCK_RLE, _BLOCK_RESERVED = 1, 3


class ShardError(Exception):
    """The shard as a whole cannot be read; nothing from it may count."""


@dataclass(frozen=True)
class Limits:
    """Caps that keep a hostile shard from exhausting memory or time."""

    max_line_bytes: int = 64 * MiB
    max_window_bytes: int = 128 * MiB  # zstd's own default cap for --long is 2**27
    max_output_bytes: int = 64 << 30  # decompressed bytes per shard
    max_ratio: float = 100.0  # decompressed / compressed, checked once past ratio_floor_bytes
    ratio_floor_bytes: int = 16 * MiB
    max_subset_chars: int = 200
    chunk_bytes: int = 4 * MiB
    prefetch_chunks: int = 2  # decompressed ahead on a thread while lines are parsed (when a core is spare); 0: no thread


@dataclass
class BadLines:
    """Lines skipped, by reason, with the first few as ``file:line`` examples (no line content)."""

    count: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)
    examples: list[dict] = field(default_factory=list)
    keep: int = 20

    def add(self, file: str, line: int, reason: str, detail: str = "") -> None:
        self.count += 1
        self.by_reason[reason] = self.by_reason.get(reason, 0) + 1
        if len(self.examples) < self.keep:
            self.examples.append({"file": file, "line": line, "reason": reason, "detail": detail[:200]})

    def as_dict(self) -> dict:
        return {"count": self.count, "by_reason": dict(sorted(self.by_reason.items())), "examples": self.examples}


def merge_bad_lines(parts: list[dict], keep: int = 20) -> dict:
    """Sum per-shard bad-line reports; examples sorted by (file, line), so the order of parts does not matter."""
    by_reason: dict[str, int] = {}
    for part in parts:
        for reason, n in part["by_reason"].items():
            by_reason[reason] = by_reason.get(reason, 0) + n
    examples = sorted((e for part in parts for e in part["examples"]), key=lambda e: (e["file"], e["line"]))
    return {"count": sum(p["count"] for p in parts), "by_reason": dict(sorted(by_reason.items())),
            "examples": examples[:keep]}


class Document(NamedTuple):
    line: int
    subset: str
    text: str


@dataclass
class ZstdSummary:
    frames: int = 0
    skippable_frames: int = 0
    declared_bytes: int | None = 0  # None when a frame does not declare its content size
    max_window: int = 0


def check_zstd_frames(path: Path, limits: Limits, name: str) -> ZstdSummary:
    """Walk frame and block headers (RFC 8878) without decompressing: catches truncation and
    oversized windows or declared sizes before any output is produced."""
    summary = ZstdSummary()
    size = path.stat().st_size
    with path.open("rb") as fh:
        pos = 0
        while pos < size:
            head = fh.read(18)
            if len(head) < 8:
                raise ShardError(f"{name}: truncated zstd frame header at byte {pos}")
            magic = struct.unpack_from("<I", head)[0]
            if magic in _SKIPPABLE:
                pos += 8 + struct.unpack_from("<I", head, 4)[0]
                summary.skippable_frames += 1
            elif magic == ZSTD_MAGIC:
                pos = _walk_frame(fh, head, pos, size, limits, name, summary)
            else:
                raise ShardError(f"{name}: not a zstd frame at byte {pos} (magic {magic:#010x})")
            if pos > size:
                raise ShardError(f"{name}: truncated zstd frame ending at byte {pos} of a {size}-byte file")
            fh.seek(pos)
    if summary.frames == 0:
        raise ShardError(f"{name}: no zstd frame in the file")
    return summary


def _walk_frame(fh, head: bytes, pos: int, size: int, limits: Limits, name: str, summary: ZstdSummary) -> int:
    try:
        header = zstandard.frame_header_size(head)
        params = zstandard.get_frame_parameters(head)
    except zstandard.ZstdError as err:
        raise ShardError(f"{name}: bad zstd frame header at byte {pos}: {err}") from None
    if params.window_size > limits.max_window_bytes:
        raise ShardError(f"{name}: zstd frame at byte {pos} needs a {params.window_size:,}-byte window; "
                         f"the limit is {limits.max_window_bytes:,}")
    summary.frames += 1
    summary.max_window = max(summary.max_window, params.window_size)
    if params.content_size == zstandard.CONTENTSIZE_UNKNOWN or summary.declared_bytes is None:
        summary.declared_bytes = None
    else:
        summary.declared_bytes += params.content_size
        if summary.declared_bytes > limits.max_output_bytes:
            raise ShardError(f"{name}: zstd frames declare {summary.declared_bytes:,} decompressed bytes; "
                             f"the limit is {limits.max_output_bytes:,}")
    pos += header
    while True:
        fh.seek(pos)
        raw = fh.read(3)
        if len(raw) < 3:
            raise ShardError(f"{name}: truncated zstd frame (block header cut at byte {pos})")
        block = int.from_bytes(raw, "little")
        kind, length = (block >> 1) & 3, block >> 3
        if kind == _BLOCK_RESERVED:
            raise ShardError(f"{name}: corrupt zstd block at byte {pos}")
        pos += 3 + (1 if kind == _BLOCK_RLE else length)
        if pos > size:
            raise ShardError(f"{name}: truncated zstd frame (block at byte {pos - length - 3} runs past the end)")
        if block & 1:
            return pos + (4 if params.has_checksum else 0)


def read_chunks(path: Path, limits: Limits = Limits(), name: str | None = None) -> Iterator[bytes]:
    """Decompressed bytes of a .jsonl or .jsonl.zst file, in chunks of at most ``limits.chunk_bytes``."""
    name = name or str(path)
    if path.suffix != ".zst":
        with path.open("rb") as fh:
            while chunk := fh.read(limits.chunk_bytes):
                yield chunk
        return
    check_zstd_frames(path, limits, name)
    compressed = path.stat().st_size
    cap = min(limits.max_output_bytes, max(int(limits.max_ratio * compressed), limits.ratio_floor_bytes))
    out = 0
    decompressor = zstandard.ZstdDecompressor(max_window_size=limits.max_window_bytes)
    with path.open("rb") as fh, decompressor.stream_reader(fh, read_size=MiB, read_across_frames=True) as reader:
        while True:
            try:
                chunk = reader.read(limits.chunk_bytes)
            except zstandard.ZstdError as err:
                raise ShardError(f"{name}: corrupt zstd data after {out:,} decompressed bytes: {err}") from None
            if not chunk:
                return
            out += len(chunk)
            if out > cap:
                raise ShardError(f"{name}: decompresses past {cap:,} bytes from {compressed:,} compressed "
                                 f"(limits: {limits.max_output_bytes:,} bytes, ratio {limits.max_ratio:g}); "
                                 "refusing a possible decompression bomb")
            yield chunk


_END = object()


SWITCH_INTERVAL = 0.0002  # seconds; see prefetch
TASKS_AT_ONCE = "UNFRAGILE_TASKS_AT_ONCE"  # set by the local executor in each task's environment


def spare_core() -> bool:
    """Whether this process has a core to itself beyond its own: more usable cores than the tasks the
    executor runs at once. Without one, a decompression thread only takes turns with the parser (and
    with the other tasks), which is slower than decompressing in line."""
    at_once = os.environ.get(TASKS_AT_ONCE, "1")
    return usable_cores() > (int(at_once) if at_once.isdigit() and int(at_once) > 0 else 1)


def prefetch(chunks: Iterator[bytes], depth: int) -> Iterator[bytes]:
    """Run ``chunks`` on a background thread at most ``depth`` items ahead (zstd decompresses without
    the GIL while the caller parses). Errors arrive in order; closing this generator stops the thread.

    While it runs, the interpreter hands the GIL over every 0.2 ms instead of every 5 ms: the parsing
    thread holds it almost all the time, and the decompressing thread needs it briefly between blocks;
    waiting 5 ms each time left decompression and parsing taking turns instead of overlapping (about
    a fifth more throughput in ``make bench``)."""
    if depth <= 0:
        yield from chunks
        return
    ahead: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                ahead.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for chunk in chunks:
                if not put(chunk):
                    return
            put(_END)
        except BaseException as err:  # handed over to the reading thread
            put(err)
        finally:
            chunks.close()

    thread = threading.Thread(target=work, name="shard-prefetch", daemon=True)
    switch = sys.getswitchinterval()
    sys.setswitchinterval(min(switch, SWITCH_INTERVAL))
    thread.start()
    try:
        while (item := ahead.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()
        sys.setswitchinterval(switch)


def read_lines(path: Path, bad: BadLines, limits: Limits = Limits(), name: str | None = None
               ) -> Iterator[tuple[int, memoryview]]:
    """(1-based line number, line bytes without the newline); lines over the cap are counted, never buffered."""
    name = name or str(path)
    cap = limits.max_line_bytes
    pending, line_no, skipping = b"", 0, False
    for chunk in prefetch(read_chunks(path, limits, name), limits.prefetch_chunks if spare_core() else 0):
        buf = pending + chunk if pending else chunk
        view, find, start = memoryview(buf), buf.find, 0
        while (end := find(b"\n", start)) >= 0:
            line_no += 1
            if skipping or end - start > cap:
                bad.add(name, line_no, "line too long", f"longer than {cap:,} bytes")
                skipping = False
            else:
                yield line_no, view[start:end]
            start = end + 1
        pending = buf[start:]
        if len(pending) > cap:
            pending, skipping = b"", True
    if pending or skipping:
        line_no += 1
        if skipping:
            bad.add(name, line_no, "line too long", f"longer than {cap:,} bytes")
        else:
            yield line_no, memoryview(pending)


def read_documents(path: Path, bad: BadLines, limits: Limits = Limits(), name: str | None = None,
                   text_field: str = "text", subset_field: str = "meta.pile_set_name") -> Iterator[Document]:
    """Valid documents of one shard; every other line lands in ``bad`` with its reason."""
    name = name or str(path)
    keys = subset_field.split(".")
    loads = orjson.loads
    for line_no, raw in read_lines(path, bad, limits, name):
        try:
            obj = loads(raw)
        except orjson.JSONDecodeError as err:
            bad.add(name, line_no, *_json_problem(raw, err))
            continue
        if type(obj) is not dict:
            bad.add(name, line_no, "not a JSON object", type(obj).__name__)
            continue
        text = obj.get(text_field)
        if type(text) is not str:
            bad.add(name, line_no, f"missing {text_field}", f"{text_field!r} is not a string")
            continue
        subset = obj
        for key in keys:
            subset = subset.get(key) if type(subset) is dict else None
        if type(subset) is not str or not subset:
            bad.add(name, line_no, f"missing {subset_field}", f"{subset_field!r} is not a non-empty string")
            continue
        if len(subset) > limits.max_subset_chars:
            bad.add(name, line_no, "subset name too long", f"longer than {limits.max_subset_chars} characters")
            continue
        yield Document(line_no, subset, text)


def _json_problem(raw: memoryview, err: orjson.JSONDecodeError) -> tuple[str, str]:
    if not raw.nbytes or not bytes(raw).strip():
        return "empty line", ""
    try:
        bytes(raw).decode("utf-8")
    except UnicodeDecodeError as bad_utf8:
        return "not UTF-8", f"invalid UTF-8 at byte {bad_utf8.start}"
    return "invalid JSON", str(err)


def utf8_len(text: str) -> int:
    """UTF-8 byte length without encoding pure-ASCII text (the common case)."""
    return len(text) if text.isascii() else len(text.encode("utf-8"))
