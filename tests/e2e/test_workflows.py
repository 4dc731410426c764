"""CI supply chain: the rules the workflow files must keep, checked on the files themselves."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT

from scoring import yaml_loader

WORKFLOWS = ROOT / ".github" / "workflows"
PR = WORKFLOWS / "pr.yml"
PUBLISH = WORKFLOWS / "publish.yml"
SHA_PIN = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$")
# Release commits of each pinned action (checked against the actions' release notes and commit
# pages). A new pin is added here in the same change that puts it into a workflow.
VERIFIED = {
    "actions/checkout": {"b4ffde65f46336ab88eb53be808477a3936bae11": "v4.1.1"},
    "actions/setup-python": {"0a5c61591373683505ea898e09a3ea4f39ef2b9c": "v5.0.0"},
    "actions/upload-pages-artifact": {"56afc609e74202658d3ffba0e8f6dda462b719fa": "v3.0.1"},
    "actions/deploy-pages": {"d6db90164ac5ed86f2b6aed7e0febac5b3c0c03e": "v4.0.5"},
    "actions/cache": {"0400d5f644dc74513175e3cd8d07132dd4860809": "v4.2.4"},
    "actions/cache/restore": {"0400d5f644dc74513175e3cd8d07132dd4860809": "v4.2.4"},
    "actions/upload-artifact": {"ea165f8d65b6e75b540449e92b4886f43607fa02": "v4.6.2"},
}
READ_ONLY = {"read", "none"}
SECRET = re.compile(r"\$\{\{[^}]*\bsecrets\b|^\s*secrets:", re.M)


def _load(path: Path) -> dict:
    # Our own loader keeps `on` a string (YAML 1.1 would make the key True) and refuses tags and anchors.
    doc = yaml_loader.load(path)
    assert doc.problems == [], doc.problems
    return doc.data


def _steps(workflow: dict):
    for job_id, job in workflow["jobs"].items():
        for step in job.get("steps") or []:
            yield job_id, step


def _all() -> list[Path]:
    return sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])


def test_both_workflows_exist():
    assert PR.is_file() and PUBLISH.is_file()


@pytest.mark.parametrize("path", _all(), ids=lambda p: p.name)
def test_actions_are_pinned_to_verified_commits(path):
    text = path.read_text(encoding="utf-8")
    for job_id, step in _steps(_load(path)):
        uses = step.get("uses")
        if uses is None or uses.startswith("./"):
            continue
        assert SHA_PIN.match(uses), f"{path.name}: job {job_id}: {uses} is not pinned by a 40-hex commit"
        action, sha = uses.split("@")
        assert sha in VERIFIED.get(action, {}), f"{path.name}: {uses} is not a verified commit of {action}"
        assert re.search(rf"{re.escape(uses)} # {re.escape(VERIFIED[action][sha])}\b", text), \
            f"{path.name}: {uses} should carry the comment # {VERIFIED[action][sha]}"


@pytest.mark.parametrize("path", _all(), ids=lambda p: p.name)
def test_checkout_never_persists_credentials(path):
    checkouts = [(j, s) for j, s in _steps(_load(path)) if str(s.get("uses", "")).startswith("actions/checkout@")]
    assert checkouts
    for job_id, step in checkouts:
        assert (step.get("with") or {}).get("persist-credentials") == "false", f"{path.name}: job {job_id}"


@pytest.mark.parametrize("path", _all(), ids=lambda p: p.name)
def test_no_pull_request_target_and_no_expressions_in_scripts(path):
    workflow = _load(path)
    assert not {"pull_request_target", "workflow_run"} & set(workflow["on"])
    for job_id, step in _steps(workflow):
        assert "${{" not in step.get("run", ""), f"{path.name}: job {job_id}: expression in a run script"


def test_pull_request_workflow_measures_verifies_and_reports():
    runs = [s.get("run", "") for _, s in _steps(_load(PR))]
    order = ["unfragile validate", "score --fetch --changed-since", "unfragile verify", "verify --rescore --changed-since",
             "make test", "unfragile site", "unfragile report --base"]
    at = [next(i for i, r in enumerate(runs) if needle in r) for needle in order]
    assert at == sorted(at), "the steps run in this order"


def test_pull_request_workflow_reads_only_and_uses_no_secrets():
    workflow = _load(PR)
    assert set(workflow["on"]) == {"pull_request"}
    assert workflow["permissions"] == {"contents": "read"}
    for job_id, job in workflow["jobs"].items():
        assert set((job.get("permissions") or {}).values()) <= READ_ONLY, f"job {job_id} asks for write access"
        assert "secrets" not in job, f"job {job_id} passes secrets"
    assert not SECRET.search(PR.read_text(encoding="utf-8"))


def test_publish_runs_only_from_main_and_only_measure_and_deploy_write():
    workflow = _load(PUBLISH)
    assert workflow["on"] == {"push": {"branches": ["main"]}}
    assert set(workflow["permissions"].values()) <= READ_ONLY
    writers = {job_id: job["permissions"] for job_id, job in workflow["jobs"].items()
               if set((job.get("permissions") or {}).values()) - READ_ONLY}
    assert sorted(writers) == ["deploy", "measure"]
    assert writers["deploy"] == {"pages": "write", "id-token": "write"}
    assert writers["measure"] == {"contents": "write", "pull-requests": "write"}
    runs = " ".join(s.get("run", "") for _, s in _steps(workflow) if _ == "measure")
    assert "score --fetch" in runs and "--rescore --sample" in runs and "--record results/verification.json" in runs
    assert "gh pr create" in runs and "git push origin main" not in runs  # new results arrive as a pull request
    deploy = workflow["jobs"]["deploy"]
    assert deploy["if"] == "github.ref == 'refs/heads/main'"
    assert deploy["environment"]["name"] == "github-pages"
    assert [s.get("uses", "").split("@")[0] for s in deploy["steps"]] == ["actions/deploy-pages"]
    assert not SECRET.search(PUBLISH.read_text(encoding="utf-8"))


def test_the_rules_catch_a_bad_workflow(tmp_path):
    """The checks above are not vacuous: a workflow breaking each rule fails them."""
    bad = tmp_path / "bad.yml"
    bad.write_text(PR.read_text(encoding="utf-8")
                   .replace("  pull_request:\n", "  pull_request_target:\n")
                   .replace("  contents: read\n", "  contents: write\n")
                   .replace("@b4ffde65f46336ab88eb53be808477a3936bae11", "@v4")
                   .replace("persist-credentials: false", "persist-credentials: true"), encoding="utf-8")
    for check in (test_actions_are_pinned_to_verified_commits, test_checkout_never_persists_credentials,
                  test_no_pull_request_target_and_no_expressions_in_scripts):
        with pytest.raises(AssertionError):
            check(bad)


def test_zizmor_finds_nothing_offline():
    zizmor = shutil.which("zizmor") or str(Path(ROOT / ".venv" / "bin" / "zizmor"))
    if not Path(zizmor).is_file():
        pytest.skip("zizmor is not installed (pip install -e '.[dev]')")
    proc = subprocess.run([zizmor, "--offline", "--persona", "pedantic", "--format", "plain", str(WORKFLOWS)],
                          capture_output=True, text=True, timeout=120)
    if proc.returncode != 0 and "offline" in proc.stderr.lower() and "network" in proc.stderr.lower():
        pytest.skip(f"zizmor needs the network here: {proc.stderr.strip()[:200]}")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings" in proc.stdout


def test_every_install_on_a_runner_takes_cpu_torch():
    """PyPI's torch is the CUDA build (plus CUDA libraries): every make call that may install names the CPU index."""
    for wf in sorted(WORKFLOWS.glob("*.yml")):
        for line in wf.read_text(encoding="utf-8").splitlines():
            if re.search(r"run: make (install|site|test)\b", line):
                assert "TORCH_INDEX=https://download.pytorch.org/whl/cpu" in line, f"{wf.name}: {line.strip()}"
    dry = subprocess.run(["make", "-n", "-B", "install", "TORCH_INDEX=https://download.pytorch.org/whl/cpu"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert "pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu" in dry.stdout, dry.stdout
