"""Hostile YAML: every file in tests/fixtures/hostile/yaml/ states the problems it must cause, as

    # expect: LINE:COL FIELD: MESSAGE-START

(FIELD may be empty), or ``# valid``. Generated cases (too big or too binary to commit) follow.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT

from scoring import yaml_loader
from scoring.entries import load_entry
from scoring.validation import load_catalog

CORPUS = ROOT / "tests" / "fixtures" / "hostile" / "yaml"
FILES = sorted(CORPUS.glob("*.yaml"))
LINE = re.compile(r"^(?P<path>[^\n]+?):(?P<line>\d+):(?P<col>\d+): (?:(?P<field>[\w.\[\]<>-]+): )?(?P<msg>.+)$")


def _expectations(path: Path) -> list[str]:
    header = path.read_bytes().decode("latin-1").splitlines()
    return [line.removeprefix("# expect: ") for line in header if line.startswith("# expect: ")]


def _problems(path: Path) -> list[str]:
    _, problems = load_catalog([path])
    return [f"{p.line}:{p.col}: {p.field + ': ' if p.field else ''}{p.message}" for p in problems]


def test_corpus_is_all_checked():
    assert len(FILES) >= 20
    for path in FILES:
        header = path.read_bytes().decode("latin-1").splitlines()
        assert "# valid" in header or _expectations(path), f"{path.name} states no expectation"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_corpus_file(path):
    found = _problems(path)
    expected = _expectations(path)
    if not expected:
        assert found == []
        return
    for want in expected:
        where, rest = want.split(" ", 1)
        field, message = rest.split(": ", 1) if not rest.startswith(": ") else ("", rest[2:])
        prefix = f"{where}: {field + ': ' if field else ''}{message}"
        assert any(f.startswith(prefix) for f in found), f"{path.name}: no {prefix!r} in {found}"


def test_cli_over_the_whole_corpus_reports_every_file_without_crashing():
    proc = subprocess.run([sys.executable, "-m", "scoring", "validate", *map(str, FILES)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert lines[-1].endswith(f"in {len(FILES)} file(s)")
    for line in lines[:-1]:
        assert LINE.match(line), line
        assert line.isprintable(), f"unescaped control or bidi character in {line!r}"
    flagged = {Path(LINE.match(line)["path"]).name for line in lines[:-1]}
    hostile = {p.name for p in FILES if _expectations(p)}
    assert flagged == hostile


def test_python_tags_never_construct_anything(tmp_path):
    marker = tmp_path / "unfragile-pwned"
    proc = subprocess.run([sys.executable, "-m", "scoring", "validate", str(CORPUS / "python-tag.yaml"),
                           str(CORPUS / "tag-directive.yaml")], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 1 and "YAML tags are not allowed" in proc.stderr
    assert not marker.exists()
    doc = yaml_loader.load(CORPUS / "python-tag.yaml")
    assert doc.data["summary"] == ["touch unfragile-pwned"]  # plain data, never a call


def test_alias_bomb_is_refused_quickly():
    start = time.perf_counter()
    doc = yaml_loader.load(CORPUS / "alias-bomb.yaml")
    assert time.perf_counter() - start < 5
    assert doc.data["i"] == [None] * 9  # aliases are not expanded
    assert len(doc.problems) == yaml_loader.MAX_PROBLEMS + 1
    assert doc.problems[-1].message.startswith("... and ")


def test_yaml_11_coercions_never_change_a_string():
    entry, problems, _ = load_entry(CORPUS / "yaml11-coercions.yaml")
    assert [p.field for p in problems] == ["source.version"]  # kept as written, but flagged for other readers
    assert (entry.title, entry.summary, entry.license, entry.source.version) == ("0123456", "no", "on", "1.10")
    cap = entry.capabilities[0]
    assert (cap.title, cap.summary, cap.unique, cap.vs_alternatives) == ("12:30:00", "2024-02-30", "0x1F", ".inf")


def _run_validate(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scoring", "validate", str(path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("text", [
    "a: " + "[" * 30_000 + "]" * 30_000 + "\n",
    "summary: it's\nb: " + "{a: " * 30_000 + "1" + "}" * 30_000 + "\n",
    "- " * 30_000 + "x\n",
], ids=["brackets", "braces-after-apostrophe", "block-sequences"])
def test_30000_deep_nesting_exits_1_without_a_signal(tmp_path, text):
    path = tmp_path / "deep.yaml"
    path.write_text(text)
    proc = _run_validate(path)
    assert proc.returncode == 1, proc.stderr[-2000:]  # a segfault would be -11, a RecursionError a traceback
    assert f"{path}:" in proc.stderr and "nesting deeper than 32 levels" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_nesting_at_the_limit_is_read(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("a: " + "[" * (yaml_loader.MAX_DEPTH - 1) + "]" * (yaml_loader.MAX_DEPTH - 1) + "\n")
    assert yaml_loader.load(path).problems == []
    path.write_text("a: " + "[" * yaml_loader.MAX_DEPTH + "]" * yaml_loader.MAX_DEPTH + "\n")
    with pytest.raises(yaml_loader.YamlError, match="nesting deeper"):
        yaml_loader.load(path)


def test_deeply_indented_text_is_not_mistaken_for_nesting(tmp_path):
    path = tmp_path / "indent.yaml"
    path.write_text("summary: |\n" + "".join(" " * 80 + f"line {i}\n" for i in range(3)))
    assert yaml_loader.load(path).data["summary"] == "line 0\nline 1\nline 2\n"


def test_size_cap_reads_no_more_than_the_limit(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text("a: " + "x" * yaml_loader.MAX_BYTES + "\n")
    with pytest.raises(yaml_loader.YamlError) as err:
        yaml_loader.load(path)
    assert str(err.value) == f"{path}:1:1: file is larger than the limit of {yaml_loader.MAX_BYTES} bytes"
    path.write_text("a: " + "x" * (yaml_loader.MAX_BYTES - 10) + "\n")
    assert yaml_loader.load(path).problems == []


@pytest.mark.parametrize("raw, where, message", [
    (b"id: a\x00b\n", "1:6", "character U+0000"),
    (b"id: x\ntitle: \xff\xfe\n", "2:8", "file is not valid UTF-8 (byte 0xff)"),
    ("id: x\n".encode("utf-16"), "1:1", "file is not valid UTF-8"),
    (b"id: x\r\ntitle: \xe2\x80\xae\r\n", "2:8", "title: character U+202E"),
    (b"id: x\ntitle: \xef\xbf\xbe\n", "2:8", "character U+FFFE"),
])
def test_bytes_the_corpus_cannot_hold(tmp_path, raw, where, message):
    path = tmp_path / "x.yaml"
    path.write_bytes(raw)
    problems = [str(p) for p in load_entry(path)[1]]
    assert any(p.startswith(f"{path}:{where}: {message}") for p in problems), problems


def test_a_leading_bom_and_crlf_line_ends_are_fine(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_bytes(b"\xef\xbb\xbfid: x\r\ntitle: T\r\n")
    doc = yaml_loader.load(path)
    assert doc.data == {"id": "x", "title": "T"} and doc.problems == []
    assert doc.where(("title",)) == (2, 1)


def test_messages_never_carry_raw_control_or_bidi_characters(tmp_path):
    path = tmp_path / "x\u202e\x1b[2J.yaml"
    path.write_text("id: x\n")
    problems = [str(p) for p in load_entry(path)[1]]
    assert problems and all(p.isprintable() for p in problems)
    assert "\\u202e\\x1b[2J" in problems[0]


TOKENS = [b"[", b"]", b"{", b"}", b"&a ", b"*a", b"!!", b"!x ", b"%TAG ! tag:x,2000:\n", b"---\n", b"...\n", b"? ",
          b": ", b"- ", b'"', b"'", b"\\U", b"\\x", b"\\u", b"|", b">", b"\n", b"\t", b"#", b"\xe2\x80\xae", b"\xff",
          b"\x00", b"<<: ", b"~", b"\r", b"\xc2\x85", b"%YAML 1.1\n", b"  ", b",", b'"\\UFFFFFFFF"']


def test_mutated_entries_never_crash(tmp_path):
    """Random insertions and deletions in real and hostile entries: always problems, never an exception."""
    import random

    rng = random.Random(0)
    seeds = [p.read_bytes() for p in [*sorted((ROOT / "entries").rglob("*.yaml")), *FILES]]
    path = tmp_path / "mutant.yaml"
    for _ in range(300):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 8)):
            pos = rng.randrange(len(data) + 1)
            if rng.random() < 0.6:
                data[pos:pos] = rng.choice(TOKENS)
            else:
                del data[pos:pos + rng.randint(1, 10)]
        path.write_bytes(bytes(data))
        _, problems, _ = load_entry(path)
        for p in problems:
            assert LINE.match(str(p)) and str(p).isprintable(), str(p)
