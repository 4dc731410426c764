"""Shard reader: every zstd frame, clear failures on damaged files, bad lines counted by file:line."""

from __future__ import annotations

import importlib.util
import io
import resource
from pathlib import Path

import pytest
import zstandard
from conftest import ROOT

from scoring import shards
from scoring.shards import BadLines, Limits, ShardError, merge_bad_lines, read_documents

HOSTILE = ROOT / "tests" / "fixtures" / "hostile" / "shards"


def _fixtures():
    spec = importlib.util.spec_from_file_location("make_fixtures", HOSTILE / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FIXTURES = _fixtures()


def read(path: Path, limits: Limits | None = None) -> tuple[list[shards.Document], dict]:
    bad = BadLines(keep=100)
    docs = list(read_documents(path, bad, limits or Limits(), name=path.name))
    return docs, bad.as_dict()


def test_fixtures_are_what_the_script_writes():
    for name, data in FIXTURES.files().items():
        assert (HOSTILE / name).read_bytes() == data, f"rerun {HOSTILE / 'make_fixtures.py'}"


def test_every_frame_is_read_including_after_a_skippable_frame():
    path = HOSTILE / "multi_frame.jsonl.zst"
    first_only = b"".join(zstandard.ZstdDecompressor().read_to_iter(io.BytesIO(path.read_bytes())))
    assert first_only.count(b"\n") == 2  # the trap: python-zstandard's read_to_iter stops after frame 1
    summary = shards.check_zstd_frames(path, Limits(), path.name)
    assert (summary.frames, summary.skippable_frames, summary.declared_bytes) == (3, 1, None)
    docs, bad = read(path)
    assert [d.text for d in docs] == [f"doc {i}" for i in range(6)]
    assert [d.subset for d in docs] == ["A", "B"] * 3
    assert [d.line for d in docs] == [1, 2, 3, 4, 5, 6] and bad["count"] == 0


@pytest.mark.parametrize("name", ["malformed.jsonl", "malformed.jsonl.zst"])
def test_every_bad_line_is_counted_by_file_and_line_and_skipped(name):
    path = HOSTILE / name
    docs, bad = read(path)
    good = len(FIXTURES.BAD) + 1 + 2  # the second valid line after each bad one, the first, CRLF and last
    assert len(docs) == good
    assert docs[-1].text == "last line, no newline" and docs[-2].text == "crlf line"
    assert docs[1].text == "second été café"
    expected: dict[str, int] = {}
    for _, reason in FIXTURES.BAD:
        expected[reason] = expected.get(reason, 0) + 1
    assert bad["by_reason"] == dict(sorted(expected.items()))
    assert bad["count"] == len(FIXTURES.BAD)
    lines = [e["line"] for e in bad["examples"]]
    assert lines == [2 + 2 * i for i in range(len(FIXTURES.BAD))]  # bad lines alternate with good ones
    assert [e["reason"] for e in bad["examples"]] == [r for _, r in FIXTURES.BAD]
    assert all(e["file"] == name for e in bad["examples"])
    assert bad["examples"][0]["detail"] == "invalid UTF-8 at byte 14"
    assert "\xff" not in str(bad) and "SSSS" not in str(bad)  # line content is never echoed


@pytest.mark.parametrize("name,message", [
    ("truncated_block.jsonl.zst", "truncated zstd frame"),
    ("truncated_checksum.jsonl.zst", "truncated zstd frame"),
    ("trailing_garbage.jsonl.zst", "not a zstd frame at byte"),
    ("big_window.jsonl.zst", "268,435,456-byte window"),
    ("declared_huge.jsonl.zst", "declare 1,099,511,627,776 decompressed bytes"),
    ("bomb.jsonl.zst", "decompression bomb"),
])
def test_damaged_or_hostile_files_fail_clearly_with_no_partial_result(name, message):
    path = HOSTILE / name
    bad = BadLines()
    seen = []
    with pytest.raises(ShardError, match=message) as err:
        for doc in read_documents(path, bad, Limits(), name=name):
            seen.append(doc)
    assert name in str(err.value)
    if name != "bomb.jsonl.zst":  # refused before any output
        assert seen == []


def test_bomb_stops_at_the_cap_without_holding_the_output():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    limits = Limits(ratio_floor_bytes=8 << 20, chunk_bytes=1 << 20)
    total = 0
    with pytest.raises(ShardError, match="decompresses past 8,388,608 bytes"):
        for chunk in shards.read_chunks(HOSTILE / "bomb.jsonl.zst", limits):
            total += len(chunk)
    assert total <= 8 << 20
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 48 << 10  # KiB: far below 64 MiB


def test_absolute_output_cap_applies_even_at_a_normal_ratio(tmp_path):
    path = tmp_path / "c.jsonl.zst"
    line = b'{"text": "%s", "meta": {"pile_set_name": "A"}}\n'
    path.write_bytes(FIXTURES.streamed(b"".join(line % str(i).encode() * 1 for i in range(40000))))
    with pytest.raises(ShardError, match="decompresses past 100,000 bytes"):
        read(path, Limits(max_output_bytes=100_000, ratio_floor_bytes=1))


@pytest.mark.parametrize("chunk", [7, 64, 1 << 20])
def test_long_lines_are_counted_without_buffering_them(tmp_path, chunk):
    ok = b'{"text": "fine", "meta": {"pile_set_name": "A"}}'
    huge = b'{"text": "' + b"x" * 5000 + b'", "meta": {"pile_set_name": "A"}}'
    path = tmp_path / "long.jsonl"
    path.write_bytes(b"\n".join([ok, huge, ok, huge, ok, huge]))  # the last huge line has no newline
    docs, bad = read(path, Limits(max_line_bytes=1024, chunk_bytes=chunk))
    assert [d.line for d in docs] == [1, 3, 5]
    assert bad["by_reason"] == {"line too long": 3}
    assert [e["line"] for e in bad["examples"]] == [2, 4, 6]


def test_a_line_exactly_at_the_cap_is_kept(tmp_path):
    line = b'{"text": "' + b"y" * 100 + b'", "meta": {"pile_set_name": "A"}}'
    path = tmp_path / "edge.jsonl"
    path.write_bytes(line + b"\n" + line + b"z\n")
    docs, bad = read(path, Limits(max_line_bytes=len(line), chunk_bytes=16))
    assert [d.line for d in docs] == [1] and bad["by_reason"] == {"line too long": 1}


def test_subset_field_is_configurable(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_bytes(b'{"body": "t", "source": {"name": "S"}}\n{"text": "t", "meta": {"pile_set_name": "P"}}\n')
    bad = BadLines()
    docs = list(read_documents(path, bad, text_field="body", subset_field="source.name"))
    assert [(d.subset, d.text) for d in docs] == [("S", "t")]
    assert bad.by_reason == {"missing body": 1}


def test_corrupt_block_content_is_a_shard_error(tmp_path):
    data = bytearray(FIXTURES.frame(b"".join(FIXTURES.GOOD[i % 2] + b"\n" for i in range(300)),
                                    write_checksum=True))
    data[len(data) // 2] ^= 0xFF
    path = tmp_path / "flip.jsonl.zst"
    path.write_bytes(bytes(data))
    with pytest.raises(ShardError, match="flip.jsonl.zst"):
        read(path)


def test_empty_and_newline_only_files(tmp_path):
    (tmp_path / "empty.jsonl").write_bytes(b"")
    (tmp_path / "blank.jsonl").write_bytes(b"\n\n")
    assert read(tmp_path / "empty.jsonl") == ([], {"count": 0, "by_reason": {}, "examples": []})
    docs, bad = read(tmp_path / "blank.jsonl")
    assert docs == [] and bad["by_reason"] == {"empty line": 2}
    (tmp_path / "empty.jsonl.zst").write_bytes(b"")
    with pytest.raises(ShardError, match="no zstd frame"):
        read(tmp_path / "empty.jsonl.zst")


def test_bad_line_reports_merge_in_any_order():
    a, b = BadLines(keep=2), BadLines(keep=2)
    a.add("b.jsonl", 3, "invalid JSON")
    a.add("b.jsonl", 9, "empty line")
    b.add("a.jsonl", 5, "invalid JSON")
    merged = merge_bad_lines([a.as_dict(), b.as_dict()], keep=2)
    assert merged == merge_bad_lines([b.as_dict(), a.as_dict()], keep=2)
    assert merged["count"] == 3 and merged["by_reason"] == {"empty line": 1, "invalid JSON": 2}
    assert [(e["file"], e["line"]) for e in merged["examples"]] == [("a.jsonl", 5), ("b.jsonl", 3)]


def test_utf8_len_counts_bytes_not_characters():
    assert shards.utf8_len("abc") == 3
    assert shards.utf8_len("café") == 5
    assert shards.utf8_len("日本") == 6
    assert shards.utf8_len("😀") == 4


def test_prefetch_thread_reads_the_same_and_stops_when_the_reader_stops(tmp_path):
    import threading

    path = HOSTILE / "malformed.jsonl.zst"
    with_thread = read(path, Limits(chunk_bytes=64, prefetch_chunks=2))
    assert with_thread == read(path, Limits(chunk_bytes=64, prefetch_chunks=0))
    before = threading.active_count()
    docs = read_documents(HOSTILE / "malformed.jsonl", BadLines(), Limits(chunk_bytes=16, prefetch_chunks=1))
    next(docs)
    assert threading.active_count() == before + 1
    docs.close()  # the consumer gives up early: the thread must end, not block on its queue
    assert threading.active_count() == before


def test_a_reader_threads_only_on_a_spare_core(monkeypatch):
    monkeypatch.setattr(shards.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.delenv(shards.TASKS_AT_ONCE, raising=False)
    assert shards.spare_core()  # one task on two cores
    monkeypatch.setenv(shards.TASKS_AT_ONCE, "2")
    assert not shards.spare_core()  # as many tasks as cores: decompress in line
    monkeypatch.setenv(shards.TASKS_AT_ONCE, "garbage")
    assert shards.spare_core()


def test_prefetch_hands_the_gil_over_often_while_it_runs_and_restores_the_interval():
    import sys

    before = sys.getswitchinterval()
    seen = []
    for _ in shards.prefetch((c for c in [b"a", b"b"]), 2):
        seen.append(sys.getswitchinterval())
    assert seen == [pytest.approx(shards.SWITCH_INTERVAL)] * 2 and sys.getswitchinterval() == before
