"""Committed results are hostile input: every tamper case fails verify and stops the site, naming the file."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from conftest import ROOT

from scoring.entries import entry_files
from scoring.validation import load_catalog
from scoring.verify import verify
from unfragile.cli import main

VADER = Path("vader") / "classification-accuracy.json"
VADER_EX = Path("vader") / "classification-accuracy.examples.jsonl"
TEXTBLOB = Path("textblob") / "classification-accuracy.json"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the shipped entries and results."""
    shutil.copytree(ROOT / "entries", tmp_path / "entries")
    shutil.copytree(ROOT / "results", tmp_path / "results")
    return tmp_path


def _args(p: Path) -> list[str]:
    return ["--entries", str(p / "entries"), "--results", str(p / "results"), "--out", str(p / "generated"),
            "--site-dir", str(p / "site"), "--cache-dir", str(p / "cache"), "--docs", str(ROOT / "docs"),
            "--config", str(ROOT / "mkdocs.yml"), "-q"]


def _edit(path: Path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data, indent=2, allow_nan=True))


def _lines(path: Path, change) -> None:
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(change(lines)))


def _flip_first_label(lines: list[str]) -> list[str]:
    first = json.loads(lines[0])
    first["label"] = 1 - first["label"]
    return [json.dumps(first, sort_keys=True) + "\n", *lines[1:]]


def _set_metric(name, value):
    return lambda r: r["metrics"].__setitem__(name, value)


def _rehash(results_dir: Path) -> None:
    """A careful forger: the result records the hash and count of the edited per-example file."""
    import hashlib

    raw = (results_dir / VADER_EX).read_bytes()
    _edit(results_dir / VADER, lambda r: r["evidence"].update(sha256=hashlib.sha256(raw).hexdigest(),
                                                              records=len(raw.splitlines())))


def _copy_textblob_over_vader(d: Path) -> None:
    shutil.copyfile(d / TEXTBLOB, d / VADER)


def _shadow(d: Path) -> None:
    (d / "vader-copy").mkdir()
    shutil.copyfile(d / VADER, d / "vader-copy" / "classification-accuracy.json")


def _undeclared(d: Path) -> None:
    _edit(d / VADER, lambda r: r.update(id="linear-probe", check="linear-probe"))
    (d / VADER).rename(d / "vader" / "linear-probe.json")


def _duplicate(d: Path) -> None:
    _lines(d / VADER_EX, lambda ls: [*ls, ls[-1]])
    _rehash(d)


def _flip_and_rehash(d: Path) -> None:
    _lines(d / VADER_EX, _flip_first_label)
    _rehash(d)


# (name, how to tamper with results/, what the one line must say)
CASES = [
    ("edited metric", lambda d: _edit(d / VADER, _set_metric("accuracy", 0.9876)),
     "accuracy 0.9876, but its 872 examples give 0.6307339"),
    ("edited count", lambda d: _edit(d / VADER, _set_metric("tp", 582)), "tp 582, but its 872 examples give 382"),
    ("interval excludes its point", lambda d: _edit(d / VADER, _set_metric("accuracy_ci_low", 0.65)),
     "accuracy 0.6307339 lies outside its interval"),
    ("out of range", lambda d: _edit(d / VADER, _set_metric("accuracy", 1.5)), "accuracy 1.5 is outside 0..1"),
    ("negative count", lambda d: _edit(d / VADER, _set_metric("fn", -62)), "fn -62 is not a non-negative whole number"),
    ("per-example file flipped", lambda d: _lines(d / VADER_EX, _flip_first_label), "has sha256"),
    ("per-example file flipped, hash forged", _flip_and_rehash, "but its 872 examples give"),
    ("per-example file deleted", lambda d: (d / VADER_EX).unlink(), "per-example file classification-accuracy.examples.jsonl is missing"),
    ("per-example file truncated", lambda d: _lines(d / VADER_EX, lambda ls: [*ls[:-1], ls[-1][:9]]), "has sha256"),
    ("duplicated example", _duplicate, "a second record for {'i': 871}"),
    ("edited input sha256", lambda d: _edit(d / VADER, lambda r: r["provenance"]["inputs"].update({"sst2/dev.tsv": "0" * 64})),
     "provenance.inputs['sst2/dev.tsv'] is 0000"),
    ("edited package version", lambda d: _edit(d / VADER, lambda r: r["provenance"]["model"].update(version="9.9.9")),
     "provenance.model.version is '9.9.9', but the entry pins '3.3.2'"),
    ("shadow copy", _shadow, "but sits at vader-copy/classification-accuracy.json"),
    ("NaN", lambda d: _edit(d / VADER, _set_metric("accuracy", float("nan"))), "NaN is not a number a result may hold"),
    ("another entry's result copied in", _copy_textblob_over_vader, "says it is textblob/classification-accuracy"),
    ("result for an undeclared check", _undeclared, "entry vader declares no check 'linear-probe'"),
    ("entry field names another entry", lambda d: _edit(d / VADER, lambda r: r.update(entry="textblob")),
     "says it is textblob/classification-accuracy, but sits at vader/"),
    ("status ok with a reason", lambda d: _edit(d / VADER, lambda r: r.update(reason="made up")), "status ok, but it gives a reason"),
    ("orphan per-example file", lambda d: shutil.copyfile(d / VADER_EX, d / "vader" / "extra.examples.jsonl"),
     "per-example file that no result names"),
]


@pytest.mark.parametrize("name,tamper,message", CASES, ids=[c[0] for c in CASES])
def test_tamper_fails_verify_and_stops_the_site(project, capsys, name, tamper, message):
    tamper(project / "results")
    capsys.readouterr()
    assert main(["verify", *_args(project)]) == 1
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if message in line]
    assert lines, f"{name}: expected a line with {message!r}, got:\n{err}"
    assert lines[0].split(":")[0].startswith(str(project / "results")) or lines[0].startswith("results/")
    assert "Traceback" not in err
    # generate and build stop too, and no page is written
    assert main(["generate", *_args(project)]) == 1
    assert not (project / "generated").exists()
    assert main(["build", *_args(project)]) == 1
    assert not (project / "site").exists()


def test_site_stops_before_scoring_over_a_tampered_file(project, capsys):
    before = (project / "results" / VADER).read_text().replace('"accuracy": 0.6307339', '"accuracy": 0.9876')
    (project / "results" / VADER).write_text(before)
    assert main(["site", *_args(project), "--data-dir", str(project / "no-data")]) == 1
    assert "accuracy 0.9876, but its 872 examples give 0.6307339" in capsys.readouterr().err
    assert (project / "results" / VADER).read_text() == before  # nothing was replaced
    assert not (project / "generated").exists()


def test_every_shipped_result_verifies_and_is_current():
    catalog, problems = load_catalog(entry_files(ROOT / "entries"), ROOT / "entries")
    assert not problems
    t0 = time.perf_counter()
    report = verify(catalog, ROOT / "results", root=ROOT)
    took = time.perf_counter() - t0
    assert report.problems == []
    assert report.stale == {}, "rescore these: " + ", ".join(f"{e}/{r}" for e, r in report.stale)
    assert report.verified == sum(len(e.checks) for e in catalog.values())
    print(f"verify: {report.verified} results in {took:.2f} s")


def test_stale_result_is_shown_as_stale_and_not_ranked(project, capsys):
    entry = project / "entries" / "models" / "vader.yaml"
    entry.write_text(entry.read_text().replace("rule: positive iff", "rule: positive if and only if"))
    assert main(["verify", *_args(project)]) == 0
    assert "stale: vader/classification-accuracy" in capsys.readouterr().out
    from generator.render import generate

    catalog, _ = load_catalog(entry_files(project / "entries"), project / "entries")
    report = verify(catalog, project / "results")
    from generator import match as E

    generate(catalog, project / "results", project / "generated", cache_dir=None, encoder=E.hashing,
             encoder_name=E.HASHING_ID, stale=report.stale)
    page = (project / "generated" / "entries" / "vader.md").read_text()
    assert "Stale: not current" in page
    board = (project / "generated" / "leaderboards" / "sst2-accuracy.md").read_text()
    vader_row = next(line for line in board.splitlines() if "(../entries/vader.md)" in line)
    assert "63.07%" not in vader_row


# Kernels another CPU generation would pick, forced on this one (only downward: a host without AVX-512
# cannot be asked for it), with one and with two threads.
KERNEL_VARIANTS = {
    "avx2-1thread": {"ATEN_CPU_CAPABILITY": "avx2", "OPENBLAS_CORETYPE": "Haswell",
                     "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR", "threads": "1"},
    "baseline-2threads": {"ATEN_CPU_CAPABILITY": "default", "OPENBLAS_CORETYPE": "Nehalem",
                          "NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR", "threads": "2"},
}
# Every entry measurable offline here in minutes: lexicons, TF-IDF, compressors, both datasets, and the
# MiniLM probe and its int8 ONNX export (torch and ONNX Runtime kernels).
CHEAP = ["vader", "textblob", "afinn", "tfidf-logreg", "gzip-9", "xz", "zstd-19", "sst2", "the-pile",
         "minilm-l6-probe", "minilm-l6-int8-onnx"]


@pytest.mark.slow
@pytest.mark.parametrize("variant", sorted(KERNEL_VARIANTS))
def test_rescore_under_forced_kernel_variants_finds_no_problem(tmp_path, shared_data, variant):
    """Re-measured under another CPU generation's kernels and thread count, every committed metric of the
    cheap entries agrees under its tolerance class: counts exactly, BLAS/torch/ORT floats within tolerance."""
    import os
    import subprocess
    import sys

    forced = dict(KERNEL_VARIANTS[variant])
    threads = forced.pop("threads")
    summary = tmp_path / "rescore.md"
    env = {**os.environ, **forced, "OMP_NUM_THREADS": threads, "OPENBLAS_NUM_THREADS": threads,
           "MKL_NUM_THREADS": threads, "UNFRAGILE_TORCH_THREADS": threads}
    before = {p: p.read_bytes() for p in (ROOT / "results").rglob("*") if p.is_file()}
    out = subprocess.run([sys.executable, "-m", "scoring", "verify", "--rescore", "--only", *CHEAP,
                          "--data-dir", str(shared_data), "--cache-dir", str(tmp_path / "cache"),
                          "--markdown", str(summary), "-q"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    table = summary.read_text() if summary.is_file() else ""
    rows = [line.split(" | ") for line in table.splitlines() if line.startswith("| ") and "---" not in line][1:]
    bad = [" | ".join(r) for r in rows if r[-1].rstrip(" |") not in ("match", "machine (reported)")
           and not r[-1].startswith("within tolerance")]
    assert out.returncode == 0 and not bad, "\n".join(bad) + out.stderr[-2000:]
    assert "| vader | classification-accuracy | accuracy | 0.6307339 | 0.6307339 | 0 | match |" in table
    assert sum(r[-1].rstrip(" |") == "match" for r in rows) >= 150
    print(table.splitlines()[-1])
    assert before == {p: p.read_bytes() for p in (ROOT / "results").rglob("*") if p.is_file()}


def test_rescore_reports_a_mismatch(project, tiny_rescore=None):
    from scoring import rescore
    from scoring.results import read

    committed = read(project / "results" / VADER)
    measured = committed.model_copy(update={"metrics": {**committed.metrics, "accuracy": 0.7}})
    rows = rescore.compare(committed, measured)
    row = next(r for r in rows if r.metric == "accuracy")
    assert row.verdict == "mismatch" and row.committed == "0.6307339" and row.measured == "0.7"
    assert rescore.failed(rows)
    table = rescore.table(rows)
    assert "| vader | classification-accuracy | accuracy | 0.6307339 | 0.7 |" in table
