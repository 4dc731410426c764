"""`unfragile validate`: every problem in every file at once, as PATH:LINE:COL: field: message, exit 1."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from conftest import ROOT
from test_entries import SAMPLE

from unfragile.cli import main

LINE = re.compile(r"^(?P<path>[^\n]+?):(?P<line>\d+):(?P<col>\d+): (?:(?P<field>[\w.\[\]<>-]+): )?(?P<msg>.+)$")

BROKEN = {  # file name -> (replace, with, field at that line, message start)
    "unknown-key": ("title: Sample\n", "title: Sample\ncolour: red\n", "colour", "Extra inputs are not permitted"),
    "wrong-type": ("capabilities:\n", "capabilities: many\nx-capabilities:\n", "capabilities",
                   "Input should be a valid list"),
    "unquoted-revision": ('  type: pypi\n  package: afinn\n  version: "0.1"\n',
                          "  type: huggingface\n  repo: org/model\n  revision: 0123456\n", "source.revision",
                          "String should match pattern '^[0-9a-f]{40}$'"),
    "duplicate-key": ("license: MIT\n", "license: MIT\nlicense: GPL-3.0\n", "license", "duplicate key 'license'"),
    "renamed": ("id: sample\n", "id: something-else\n", "id",
                "id 'something-else' must equal the file name 'renamed'"),
    "typo-check": ("  - check: classification-accuracy\n", "  - check: clasification-accuracy\n", "checks[0].check",
                   "Unknown check 'clasification-accuracy'. Did you mean: classification-accuracy?"),
    "bad-args": ("      threshold: 0\n", "      threshold: high\n", "checks[0].args.threshold",
                 "Input should be a valid number"),
}


def _write_broken(models: Path) -> dict[str, tuple[Path, int, int, str, str]]:
    """Each broken file, with the line and column where its problem must be reported."""
    out = {}
    for name, (old, new, field, message) in BROKEN.items():
        assert old in SAMPLE, name
        text = SAMPLE.replace(old, new, 1).replace("id: sample\n", f"id: {name}\n", 1)
        path = models / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        marker = new.splitlines()[-1] if name in ("duplicate-key", "unknown-key") else new.splitlines()[0]
        if name == "unquoted-revision":
            marker = "  revision: 0123456"
        lines = text.splitlines()
        n = next(i for i, line in enumerate(lines, 1) if line == marker)
        col = len(lines[n - 1]) - len(lines[n - 1].lstrip(" -")) + 1
        out[name] = (path, n, col, field, message)
    return out


def test_validate_reports_every_problem_in_every_file_at_once(tiny_project, project_args, capsys):
    broken = _write_broken(tiny_project / "entries" / "models")
    assert main(["validate", *project_args]) == 1
    captured = capsys.readouterr()
    err = captured.err.splitlines()
    assert "Traceback" not in captured.err and captured.out == ""
    for name, (path, line, col, field, message) in broken.items():
        want = f"{path}:{line}:{col}: {field}: {message}"
        assert any(e.startswith(want) for e in err), f"{name}: no {want!r} in\n" + "\n".join(err)
    for e in err[:-1]:
        assert LINE.match(e), e
    assert err[-1] == f"{len(err) - 1} problem(s) in {len(broken) + 2} file(s)"


def test_one_file_with_many_problems_reports_them_all(tiny_project, project_args, capsys):
    text = SAMPLE
    for old, new, _, _ in BROKEN.values():
        if "id:" not in old:
            text = text.replace(old, new, 1)
    path = tiny_project / "entries" / "models" / "sample.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["validate", str(path), *project_args]) == 1
    err = capsys.readouterr().err
    fields = {LINE.match(e)["field"] for e in err.splitlines()[:-1]}
    assert {"colour", "capabilities", "source.revision", "license", "checks[0].check"} <= fields, err


def test_validate_in_a_subprocess_exits_1_with_no_traceback(tiny_project):
    broken = _write_broken(tiny_project / "entries" / "models")
    proc = subprocess.run([sys.executable, "-m", "scoring", "validate", "--entries", str(tiny_project / "entries")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert {Path(LINE.match(e)["path"]).stem for e in proc.stderr.splitlines()[:-1]} == set(broken)


def test_validate_takes_files_and_folders_and_names_missing_ones(tiny_project, project_args, capsys):
    entries = tiny_project / "entries"
    assert main(["validate", str(entries / "models"), str(entries / "datasets" / "tiny-sst.yaml"), *project_args]) == 0
    (entries / "models" / "sub").mkdir()
    (entries / "models" / "sub" / "bad.yaml").write_text("id: bad\n", encoding="utf-8")
    assert main(["validate", str(entries / "models"), *project_args]) == 1
    assert f"{entries / 'models' / 'sub' / 'bad.yaml'}:1:1: kind: Field required" in capsys.readouterr().err
    missing = tiny_project / "nope.yaml"
    assert main(["validate", str(missing), *project_args]) == 1
    assert f"{missing}:1:1: file not found" in capsys.readouterr().err


def test_the_real_entries_are_valid():
    proc = subprocess.run([sys.executable, "-m", "scoring", "validate"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
