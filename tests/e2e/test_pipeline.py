"""End to end on tmp paths: validate -> score -> generate -> build, reruns, failures, no data dir."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import ROOT, sha256

from scoring import results
from unfragile.cli import main


def _result(project: Path, entry: str, check: str = "classification-accuracy") -> dict:
    return json.loads((project / "results" / entry / f"{check}.json").read_text())


def _snapshot(results_dir: Path) -> dict[str, tuple[int, bytes]]:
    return {str(p): (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(results_dir.rglob("*")) if p.is_file()}


def test_site_end_to_end(tiny_project, project_args):
    assert main(["site", *project_args]) == 0
    r = _result(tiny_project, "afinn")
    m = r["metrics"]
    assert r["status"] == "ok" and m["n"] == 10
    assert m["accuracy"] == (m["tp"] + m["tn"]) / m["n"]
    assert m["accuracy_ci_low"] <= m["accuracy"] <= m["accuracy_ci_high"]
    assert r["provenance"]["inputs"] == {"tiny/dev.tsv": sha256(tiny_project / "data" / "tiny" / "dev.tsv")}
    assert r["provenance"]["model"] == {"package": "afinn", "version": "0.1"}
    examples = (tiny_project / "results" / "afinn" / "classification-accuracy.examples.jsonl").read_text().splitlines()
    assert len(examples) == 10
    site = tiny_project / "site"
    assert (site / "index.html").is_file()
    assert (site / "entries" / "afinn" / "index.html").is_file()
    assert "AFINN" in (site / "entries" / "afinn" / "index.html").read_text()


def test_second_score_reruns_nothing(tiny_project, project_args, capsys):
    assert main(["score", *project_args]) == 0
    before = _snapshot(tiny_project / "results")
    capsys.readouterr()
    assert main(["score", *project_args]) == 0
    assert "scored 0 check(s)" in capsys.readouterr().out
    assert _snapshot(tiny_project / "results") == before


def test_changed_data_hash_reruns(tiny_project, project_args, capsys):
    assert main(["score", *project_args]) == 0
    entry = tiny_project / "entries" / "models" / "afinn.yaml"
    entry.write_text(entry.read_text().replace("threshold: 0", "threshold: 1"))
    capsys.readouterr()
    assert main(["score", *project_args]) == 0
    assert "scored 1 check(s)" in capsys.readouterr().out
    assert _result(tiny_project, "afinn")["config"]["threshold"] == 1.0


def test_failing_check_does_not_stop_the_batch(tiny_project, project_args):
    bad = tiny_project / "data" / "tiny" / "bad.tsv"
    bad.write_text("sentence\tlabel\nfine \t1\nbroken row without label\n", encoding="utf-8")
    ds = (tiny_project / "entries" / "datasets" / "tiny-sst.yaml").read_text()
    (tiny_project / "entries" / "datasets" / "bad-sst.yaml").write_text(
        ds.replace("id: tiny-sst", "id: bad-sst").replace("tiny/dev.tsv", "tiny/bad.tsv")
        .replace(sha256(tiny_project / "data" / "tiny" / "dev.tsv"), sha256(bad)))
    afinn = (tiny_project / "entries" / "models" / "afinn.yaml").read_text()
    (tiny_project / "entries" / "models" / "vader.yaml").write_text(
        (ROOT / "entries" / "models" / "vader.yaml").read_text().replace("dataset: sst2", "dataset: bad-sst"))
    assert "tiny-sst" in afinn
    assert main(["score", *project_args]) == 0
    assert _result(tiny_project, "afinn")["status"] == "ok"
    failed = _result(tiny_project, "vader")
    assert failed["status"] == "failed"
    assert "bad.tsv:3" in failed["reason"]


def test_no_data_dir_uses_committed_results(tiny_project, project_args, capsys, monkeypatch):
    assert main(["score", *project_args]) == 0
    before = _snapshot(tiny_project / "results")
    monkeypatch.delenv("UNFRAGILE_DATA_DIR", raising=False)
    no_data = [a for a in project_args if a not in ("--data-dir", str(tiny_project / "data"))]
    capsys.readouterr()
    assert main(["site", *no_data]) == 0
    assert "scored 0 check(s)" in capsys.readouterr().out
    assert _snapshot(tiny_project / "results") == before


def test_no_data_and_no_results_says_why(tiny_project, project_args, capsys, monkeypatch):
    monkeypatch.delenv("UNFRAGILE_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tiny_project / "user-cache"))
    no_data = [a for a in project_args if a not in ("--data-dir", str(tiny_project / "data"))]
    assert main(["site", *no_data]) == 0
    out = capsys.readouterr().out
    default = tiny_project / "user-cache" / "unfragile" / "data"
    assert "unavailable: afinn/classification-accuracy: data file tiny/dev.tsv is not in the data dir" in out
    r = _result(tiny_project, "afinn")
    assert r["status"] == "unavailable" and r["metrics"] == {}
    assert r["reason_code"] == "data-file-offline" and r["reason_params"] == {"file": "tiny/dev.tsv"}
    raw = (tiny_project / "results" / "afinn" / "classification-accuracy.json").read_text()
    assert str(default) not in raw and str(tiny_project) not in raw  # no local path is stored
    page = (tiny_project / "site" / "entries" / "afinn" / "index.html").read_text()
    assert "tiny/dev.tsv" in page and str(default) not in page


def test_committed_lexicon_results_are_consistent():
    for entry in ("vader", "textblob", "afinn"):
        r = results.read(ROOT / "results" / entry / "classification-accuracy.json")
        m = r.metrics
        assert r.status == "ok" and m["n"] == 872
        assert m["tp"] + m["fp"] + m["tn"] + m["fn"] == 872
        assert abs(m["accuracy"] - (m["tp"] + m["tn"]) / m["n"]) < 1e-6
        assert r.provenance.inputs == {"sst2/dev.tsv": "54a9c12c77e402fc14d6a66a506f24d999f596b0176eb777c972cccc2f9cc4b0"}


def test_rescoring_reproduces_committed_result(tmp_path, shared_data):
    from conftest import copy_entries

    copy_entries(tmp_path / "entries", "sst2", "afinn")
    args = ["--entries", str(tmp_path / "entries"), "--results", str(tmp_path / "results"),
            "--data-dir", str(shared_data), "--cache-dir", str(tmp_path / "cache"), "-q"]
    assert main(["score", *args]) == 0
    fresh = results.read(tmp_path / "results" / "afinn" / "classification-accuracy.json")
    committed = results.read(ROOT / "results" / "afinn" / "classification-accuracy.json")
    assert fresh.key == committed.key
    assert fresh.metrics == committed.metrics
