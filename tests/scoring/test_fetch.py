"""`unfragile fetch` against a local HTTP server on 127.0.0.1: every failure is one line, nothing partial is left."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import CAPABILITY, ROOT, afinn_yaml
from local_http import BIG, BIG_SHA, BODY, SHA, Handler

from unfragile.cli import main


def _project(tmp: Path, files: list[tuple[str, str, str, str | None]]) -> list[str]:
    """A dataset entry whose files come from URLs; returns the CLI args."""
    (tmp / "entries" / "datasets").mkdir(parents=True)
    listed = "".join(f"""    - path: {path}
      split: {split}
      sha256: {sha}
      url: {url}
""" + (f"      member: {member}\n" if member else "") for path, split, sha, url, member in files)
    (tmp / "entries" / "datasets" / "remote.yaml").write_text(f"""id: remote
kind: dataset
type: benchmark
title: Remote
summary: Files fetched over HTTP in tests.
license: CC0
source:
  type: files
  copy: test server
  files:
{listed}{CAPABILITY}""")
    return ["--entries", str(tmp / "entries"), "--data-dir", str(tmp / "data"), "-q"]


def _leftovers(data: Path) -> list[str]:
    return sorted(str(p.relative_to(data)) for p in data.rglob("*") if p.is_file()) if data.exists() else []


def test_happy_path_and_second_run(tmp_path, server, capsys):
    args = _project(tmp_path, [("remote/dev.tsv", "dev", SHA, f"{server}/ok/dev.tsv", None)])
    assert main(["fetch", *args]) == 0
    assert (tmp_path / "data" / "remote" / "dev.tsv").read_bytes() == BODY
    assert main(["fetch", *args]) == 0  # already there: nothing downloaded
    assert "1 file(s)" in capsys.readouterr().out


def test_a_file_inside_a_zip(tmp_path, server):
    args = _project(tmp_path, [("remote/dev.tsv", "dev", SHA, f"{server}/glue/SST-2.zip", "SST-2/dev.tsv")])
    assert main(["fetch", *args]) == 0
    assert (tmp_path / "data" / "remote" / "dev.tsv").read_bytes() == BODY


@pytest.mark.parametrize("route,message", [
    ("wrong", f"sha256 mismatch for remote/dev.tsv: got {hashlib.sha256(BODY.replace(b'charming', b'charmless')).hexdigest()}, the entry pins {SHA}"),
    ("truncated", f"the server sent 40 of {len(BODY):,} bytes (truncated)"),
    ("missing", "HTTP 404"),
    ("redirect", "redirected to http://example.com/dev.tsv, which is not https: refused"),
    ("huge", "50,000,000 bytes is more than the 100,000-byte cap"),
    ("stream", "more than the 100,000-byte cap"),
])
def test_each_failure_is_one_line_and_leaves_nothing(tmp_path, server, capsys, route, message):
    url = f"{server}/{route}/dev.tsv"
    args = _project(tmp_path, [("remote/dev.tsv", "dev", SHA, url, None)])
    assert main(["fetch", *args, "--max-bytes", "100000"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith(f"remote: {url}: ") and message in err[0], err[0]
    assert _leftovers(tmp_path / "data") == []


def test_a_redirect_to_loopback_is_followed(tmp_path, server):
    args = _project(tmp_path, [("remote/dev.tsv", "dev", SHA, f"{server}/redirect-ok/dev.tsv", None)])
    assert main(["fetch", *args]) == 0


def test_timeout_is_one_line(tmp_path, server, capsys):
    Handler.slow.set()
    url = f"{server}/big/dev.tsv"
    args = _project(tmp_path, [("remote/dev.tsv", "dev", BIG_SHA, url, None)])
    assert main(["fetch", *args, "--timeout", "1"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"remote: {url}: the download stalled for 1 s"
    assert _leftovers(tmp_path / "data") == []


def test_resume_after_a_kill(tmp_path, server):
    Handler.slow.set()
    url = f"{server}/big/dev.tsv"
    args = _project(tmp_path, [("remote/dev.tsv", "dev", BIG_SHA, url, None)])
    proc = subprocess.Popen([sys.executable, "-m", "scoring", "fetch", *args], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    downloads = tmp_path / "data" / ".downloads"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        parts = list(downloads.glob("*.part")) if downloads.exists() else []
        if parts and parts[0].stat().st_size >= len(BIG) // 2:
            break
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    kept = next(downloads.glob("*.part")).stat().st_size
    assert len(BIG) // 2 <= kept < len(BIG)
    assert not (tmp_path / "data" / "remote" / "dev.tsv").exists()  # nothing partial where checks read
    Handler.slow.clear()
    assert main(["fetch", *args]) == 0
    assert Handler.ranges[-1] == f"bytes={kept}-"
    assert (tmp_path / "data" / "remote" / "dev.tsv").read_bytes() == BIG
    assert _leftovers(tmp_path / "data") == ["remote/dev.tsv"]


def test_a_file_with_no_url_says_so(tmp_path, capsys):
    from conftest import copy_entries

    copy_entries(tmp_path / "entries", "the-pile")
    assert main(["fetch", "--entries", str(tmp_path / "entries"), "--data-dir", str(tmp_path / "data"),
                 "--only", "the-pile", "--timeout", "0.5", "-q"]) == 1
    err = capsys.readouterr().err
    assert "the-pile: pile-sample/pile_text.jsonl.zst is not online (made from pile_text.jsonl" in err


def test_plain_http_is_refused_in_an_entry(tmp_path, capsys):
    args = _project(tmp_path, [("remote/dev.tsv", "dev", SHA, "http://example.com/dev.tsv", None)])
    assert main(["validate", "--entries", args[1]]) == 1
    assert "url: Value error, must be an https URL" in capsys.readouterr().err


def test_score_fetch_then_measures(tmp_path, server, capsys):
    args = _project(tmp_path, [("remote/dev.tsv", "dev", SHA, f"{server}/ok/dev.tsv", None)])
    afinn = afinn_yaml("remote")
    (tmp_path / "entries" / "models").mkdir()
    (tmp_path / "entries" / "models" / "afinn.yaml").write_text(afinn)
    results = ["--results", str(tmp_path / "results"), "--cache-dir", str(tmp_path / "cache")]
    assert main(["score", *args, *results]) == 0
    assert "is not in the data dir; run `unfragile fetch`" in capsys.readouterr().out  # the way out
    assert main(["score", *args, *results, "--fetch"]) == 0  # retried (unavailable never blocks), now measured
    assert "scored 1 check(s) (1 ok)" in capsys.readouterr().out
