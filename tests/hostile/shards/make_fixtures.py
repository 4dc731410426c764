"""Write the hostile shard fixtures in this folder (tiny files; rerun after changing this script).

    .venv/bin/python tests/hostile/shards/make_fixtures.py

| file | what it tries |
|---|---|
| multi_frame.jsonl.zst | three zstd frames (with and without content size, one with a checksum) and a skippable frame; readers that stop after the first frame lose documents |
| malformed.jsonl | one bad line of each kind between valid ones: not UTF-8, invalid JSON, NaN, -Infinity, 1e999, nesting past 1,024 levels, a lone surrogate escape, missing or mistyped fields, an empty line, a JSON array, an over-long subset name; CRLF ends and a last line without newline |
| malformed.jsonl.zst | the same bytes as two zstd frames, one of them cutting a line in half |
| truncated_block.jsonl.zst | a frame cut inside a compressed block |
| truncated_checksum.jsonl.zst | a frame whose 4-byte checksum is cut short |
| trailing_garbage.jsonl.zst | a valid frame followed by bytes that are no frame |
| bomb.jsonl.zst | 64 MiB of one repeated byte in about 2 KiB, content size not declared |
| big_window.jsonl.zst | a frame that asks for a 256 MiB window |
| declared_huge.jsonl.zst | a frame header that declares 1 TiB of content |
"""

from __future__ import annotations

import io
import struct
from pathlib import Path

import zstandard

HERE = Path(__file__).resolve().parent
GOOD = [
    b'{"text": "first valid document", "meta": {"pile_set_name": "Alpha"}}',
    b'{"text": "second \\u00e9t\\u00e9 caf\xc3\xa9", "meta": {"pile_set_name": "Beta"}}',
]
BAD = [  # (line, reason the reader must give)
    (b'{"text": "bad \xff\xfe bytes", "meta": {"pile_set_name": "Alpha"}}', "not UTF-8"),
    (b'{"text": "unterminated, "meta": {}}', "invalid JSON"),
    (b'{"text": NaN, "meta": {"pile_set_name": "Alpha"}}', "invalid JSON"),
    (b'{"text": "x", "n": -Infinity, "meta": {"pile_set_name": "Alpha"}}', "invalid JSON"),
    (b'{"text": "x", "n": 1e999, "meta": {"pile_set_name": "Alpha"}}', "invalid JSON"),
    (b'{"text": "deep", "x": ' + b"[" * 1100 + b"]" * 1100 + b', "meta": {"pile_set_name": "Alpha"}}', "invalid JSON"),
    (b'{"text": "lone \\ud800 surrogate", "meta": {"pile_set_name": "Alpha"}}', "invalid JSON"),
    (b'{"meta": {"pile_set_name": "Alpha"}}', "missing text"),
    (b'{"text": 42, "meta": {"pile_set_name": "Alpha"}}', "missing text"),
    (b'{"text": "no meta"}', "missing meta.pile_set_name"),
    (b'{"text": "meta is a string", "meta": "Alpha"}', "missing meta.pile_set_name"),
    (b'{"text": "empty subset", "meta": {"pile_set_name": ""}}', "missing meta.pile_set_name"),
    (b"", "empty line"),
    (b'["text", "an array"]', "not a JSON object"),
    (b'{"text": "long subset", "meta": {"pile_set_name": "' + b"S" * 300 + b'"}}', "subset name too long"),
]


def malformed() -> bytes:
    lines = [GOOD[0]]
    for line, _ in BAD:
        lines += [line, GOOD[1]]
    lines.append(b'{"text": "crlf line", "meta": {"pile_set_name": "Alpha"}}\r')
    body = b"\n".join(lines) + b"\n"
    return body + b'{"text": "last line, no newline", "meta": {"pile_set_name": "Beta"}}'


def frame(data: bytes, **kw) -> bytes:
    return zstandard.ZstdCompressor(**kw).compress(data)


def streamed(data: bytes, params: zstandard.ZstdCompressionParameters | None = None, **kw) -> bytes:
    """A frame without a declared content size, as streaming writers make them."""
    out = io.BytesIO()
    with zstandard.ZstdCompressor(compression_params=params, **kw).stream_writer(out, closefd=False) as w:
        w.write(data)
    return out.getvalue()


def skippable(payload: bytes) -> bytes:
    return struct.pack("<II", 0x184D2A50, len(payload)) + payload


def multi_frame() -> bytes:
    docs = [b'{"text": "doc %d", "meta": {"pile_set_name": "%s"}}\n' % (i, b"AB"[i % 2:i % 2 + 1]) for i in range(6)]
    return (frame(b"".join(docs[:2]), level=3) + skippable(b"metadata")
            + streamed(b"".join(docs[2:4]), level=19) + frame(b"".join(docs[4:]), write_checksum=True))


def files() -> dict[str, bytes]:
    bad = malformed()
    cut = len(bad) // 2
    checksum = frame(GOOD[0] * 40 + b"\n", write_checksum=True)
    block = frame(b"".join(GOOD[i % 2] + b"\n" for i in range(200)))
    big = zstandard.ZstdCompressionParameters.from_level(3, window_log=28)
    huge = struct.pack("<IBBQ", 0xFD2FB528, 0xC0, 0, 1 << 40) + b"\x01\x00\x00"  # 1 KiB window, 1 TiB content
    return {
        "multi_frame.jsonl.zst": multi_frame(),
        "malformed.jsonl": bad,
        "malformed.jsonl.zst": frame(bad[:cut]) + frame(bad[cut:], write_checksum=True),
        "truncated_block.jsonl.zst": block[: len(block) // 2],
        "truncated_checksum.jsonl.zst": checksum[:-2],
        "trailing_garbage.jsonl.zst": frame(GOOD[0] + b"\n") + b"GARBAGE!",
        "bomb.jsonl.zst": streamed(b"a" * (64 << 20), level=19),
        "big_window.jsonl.zst": streamed(GOOD[0] + b"\n", params=big),
        "declared_huge.jsonl.zst": huge,
    }


def main() -> None:
    for name, data in files().items():
        (HERE / name).write_bytes(data)
        print(f"{name}: {len(data):,} bytes")


if __name__ == "__main__":
    main()
