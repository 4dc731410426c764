"""The pull-request job, run for real: a branch adds one entry; the workflow's own run steps fetch its data
from a local server, score only what changed, verify, re-measure and write the report."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import CAPABILITY, ROOT, afinn_yaml
from local_http import BODY, SHA

from scoring import yaml_loader

STEPS = ("Fetch and measure what the pull request adds or changes", "Verify every result",
         "Re-measure the changed results", "Report")


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def _dataset(url: str) -> str:
    return f"""id: remote-sst
kind: dataset
type: benchmark
title: Remote SST
summary: Ten labelled sentences served by the test server.
license: CC0-1.0
source:
  type: files
  copy: test server
  files:
    - path: remote/dev.tsv
      split: dev
      sha256: {SHA}
      url: {url}
{CAPABILITY}"""


@pytest.mark.slow
def test_a_pull_request_adding_an_entry_is_measured_and_reported(tmp_path, server):
    repo = tmp_path / "repo"
    (repo / "entries" / "datasets").mkdir(parents=True)
    (repo / "entries" / "models").mkdir()
    (repo / "results").mkdir()
    shutil.copyfile(ROOT / "entries" / "entry.schema.json", repo / "entries" / "entry.schema.json")
    (repo / "entries" / "datasets" / "remote-sst.yaml").write_text(_dataset(f"{server}/ok/dev.tsv"))
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "add", "-A")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base")
    _git(tmp_path, "clone", "-q", "--bare", str(repo), "origin.git")
    _git(repo, "remote", "add", "origin", str(tmp_path / "origin.git"))
    _git(repo, "fetch", "-q", "origin")
    # the pull request: one new YAML file
    afinn = afinn_yaml("remote-sst")
    (repo / "entries" / "models" / "afinn.yaml").write_text(afinn)
    _git(repo, "switch", "-q", "-c", "add-afinn")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "add", "-A")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "Add AFINN")

    workflow = yaml_loader.load(ROOT / ".github" / "workflows" / "pr.yml").data
    steps = {s.get("name"): s for s in workflow["jobs"]["check"]["steps"]}
    bin_dir = Path(os.environ.get("VIRTUAL_ENV") or ROOT / ".venv") / "bin"
    env = {**os.environ, "BASE_REF": "main", "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
           "UNFRAGILE_DATA_DIR": str(tmp_path / "data"), "HF_HUB_OFFLINE": "1"}
    for name in STEPS:
        script = steps[name]["run"].replace(".venv/bin/unfragile", str(bin_dir / "unfragile"))
        out = subprocess.run(["bash", "-e", "-c", script], cwd=repo, env=env, capture_output=True, text=True,
                             timeout=600)
        assert out.returncode == 0, f"step {name!r} failed:\n{out.stdout}\n{out.stderr}"
    assert (tmp_path / "data" / "remote" / "dev.tsv").read_bytes() == BODY  # fetched from the server
    assert (repo / "results" / "afinn" / "classification-accuracy.json").is_file()  # only the changed entry scored
    report = (repo / "report.md").read_text()
    assert "### AFINN (`afinn`, new entry)" in report
    assert "| classification-accuracy | Accuracy | — | " in report and "95% interval" in report
    assert "**UnfragileRank**: — → " in report
    rescore = (repo / "rescore.md").read_text()
    assert "| afinn | classification-accuracy | accuracy |" in rescore and "mismatch" not in rescore
    summary = (tmp_path / "summary.md").read_text()
    assert "What this change does to the site" in summary
