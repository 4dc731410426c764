"""Keys that mean what they say: producing code, retries of unavailable results, kept evidence, proven packages."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import ROOT, copy_entries

from scoring import code, registry
from scoring.check import Context
from scoring.entries import entry_files
from scoring.runner import plan
from scoring.validation import load_catalog
from unfragile.cli import main


def test_code_lock_matches_the_code():
    """Fails when a check, adapter or shared helper changed but neither its version was bumped nor the lock
    re-recorded (after `unfragile verify --rescore` showed its results unchanged)."""
    assert code.lock_problems() == []


def test_lock_test_catches_an_edit_and_accepts_a_bump():
    now = code.current()
    lock = json.loads(json.dumps(now))
    edited = {**now, "scoring.adapters.lexicons": {**now["scoring.adapters.lexicons"], "sha256": "0" * 64}}
    problems = code.lock_problems(lock, edited)
    assert len(problems) == 1 and "scoring/adapters/lexicons.py: code changed but its version is still" in problems[0]
    bumped = {**edited, "scoring.adapters.lexicons": {"version": "99", "sha256": "0" * 64}}
    assert code.lock_problems(lock, bumped) == []


def test_every_versioned_module_declares_a_version():
    for name in code.versioned_modules():
        assert code.version(name)


def _keys(monkeypatch=None) -> dict[str, str]:
    catalog, _ = load_catalog(entry_files(ROOT / "entries"), ROOT / "entries")
    ctx = Context(data_dir=None, catalog=catalog, cache_dir=Path("."), show_progress=False)
    return {u.label: u.key for u in plan(catalog, ctx)}


def test_a_version_bump_reruns_exactly_the_results_of_that_code(monkeypatch):
    before = _keys()
    from scoring.adapters import lexicons

    monkeypatch.setattr(lexicons, "VERSION", "999")
    after = _keys()
    changed = sorted(k for k in before if before[k] != after[k])
    assert changed == ["afinn/classification-accuracy", "afinn/classifier-throughput",
                       "textblob/classification-accuracy", "textblob/classifier-throughput",
                       "vader/classification-accuracy", "vader/classifier-throughput"]


def test_a_shared_helper_bump_reruns_everything(monkeypatch):
    before = _keys()
    from scoring import stats

    monkeypatch.setattr(stats, "VERSION", "999")
    after = _keys()
    assert all(before[k] != after[k] for k in before)


def test_unavailable_is_retried_once_the_data_is_there(tiny_project, project_args, capsys):
    no_data = [a if a != str(tiny_project / "data") else str(tiny_project / "none") for a in project_args]
    assert main(["score", *no_data]) == 0
    r = json.loads((tiny_project / "results" / "afinn" / "classification-accuracy.json").read_text())
    assert r["status"] == "unavailable" and r["reason_code"] == "data-file-offline"
    capsys.readouterr()
    assert main(["score", *project_args]) == 0  # no --force
    assert "scored 1 check(s) (1 ok)" in capsys.readouterr().out
    r = json.loads((tiny_project / "results" / "afinn" / "classification-accuracy.json").read_text())
    assert r["status"] == "ok"


def test_a_run_that_cannot_measure_keeps_the_committed_ok_result(tiny_project, project_args, capsys):
    assert main(["score", *project_args]) == 0
    path = tiny_project / "results" / "afinn" / "classification-accuracy.json"
    before = path.read_bytes()
    no_data = [a if a != str(tiny_project / "data") else str(tiny_project / "none") for a in project_args]
    capsys.readouterr()
    assert main(["score", *no_data, "--force"]) == 0
    out = capsys.readouterr().out
    assert "kept the committed ok result afinn/classification-accuracy: this run was unavailable" in out
    assert path.read_bytes() == before


def test_an_entry_cannot_relabel_the_package_that_runs(tiny_project, project_args):
    afinn = tiny_project / "entries" / "models" / "afinn.yaml"
    afinn.write_text(afinn.read_text().replace("package: afinn", "package: afinn-lexicon"))
    assert main(["score", *project_args]) == 0
    r = json.loads((tiny_project / "results" / "afinn" / "classification-accuracy.json").read_text())
    assert r["status"] == "failed"
    assert "runs the distribution afinn, but the entry pins afinn-lexicon" in r["reason"]


def test_a_copied_vader_entry_naming_another_package_is_refused(tmp_path, shared_data):
    copy_entries(tmp_path / "entries", "sst2", "vader")
    entry = tmp_path / "entries" / "models" / "vader.yaml"
    entry.write_text(entry.read_text().replace("package: vaderSentiment", "package: nltk-vader-sentiment"))
    args = ["--entries", str(tmp_path / "entries"), "--results", str(tmp_path / "results"),
            "--data-dir", str(shared_data), "--cache-dir", str(tmp_path / "cache"), "-q"]
    assert main(["score", *args]) == 0
    r = json.loads((tmp_path / "results" / "vader" / "classification-accuracy.json").read_text())
    assert r["status"] == "failed" and "nltk-vader-sentiment" in r["reason"] and not r["metrics"]


def test_metrics_are_declared_once():
    catalog = registry.metric_catalog()  # raises on a name two checks describe differently
    assert "accuracy" in catalog and catalog["accuracy"].interval == ("accuracy_ci_low", "accuracy_ci_high")
    schema = (ROOT / "generator" / "schema.yaml").read_text()
    import yaml

    assert "metrics" not in yaml.safe_load(schema), "metrics belong on their checks, not in schema.yaml"
    for name in registry.names():
        for metric_name, metric in registry.metrics_of(name).items():
            assert metric.display and metric.unit, f"{name}.{metric_name}"


def test_shipped_results_key_and_provenance_record_the_code():
    for path in sorted((ROOT / "results").glob("*/*.json")):
        r = json.loads(path.read_text())
        assert r["provenance"]["code"], path
        assert "scoring.stats" in r["provenance"]["code"], path



def test_a_memory_limit_too_small_to_import_the_check_says_so(tiny_project, project_args):
    afinn = tiny_project / "entries" / "models" / "afinn.yaml"
    afinn.write_text(afinn.read_text().replace("  - check: classification-accuracy\n",
                                               "  - check: classification-accuracy\n    limits: {memory_mb: 64}\n", 1))
    assert main(["score", *project_args]) == 0
    r = json.loads((tiny_project / "results" / "afinn" / "classification-accuracy.json").read_text())
    assert r["status"] == "failed"
    assert "memory limit of 64 MiB is too small" in r["reason"] or "memory limit 64 MiB" in r["reason"], r["reason"]


def test_a_wrong_split_is_a_validate_error_listing_the_splits(tiny_project, project_args, capsys):
    afinn = tiny_project / "entries" / "models" / "afinn.yaml"
    afinn.write_text(afinn.read_text().replace("split: dev", "split: validation", 1))
    assert main(["validate", *project_args]) == 1
    err = capsys.readouterr().err
    assert "checks[0].args.split: dataset 'tiny-sst' has no split 'validation'. Its splits: dev" in err
