"""A build never changes a committed file: a throwaway clone's `unfragile site` with no data and no network
leaves `git status --porcelain` empty (retried `unavailable` results stay byte for byte)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True, timeout=120).stdout


@pytest.mark.slow
def test_site_on_a_fresh_clone_without_data_or_network_leaves_git_status_clean(tmp_path):
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(clone)], check=True, timeout=300)
    home = tmp_path / "home"  # empty: no data, no fetched models, no Hugging Face cache
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UNFRAGILE_", "HF_", "XDG_"))}
    env.update(HOME=str(home), HF_HOME=str(home / "hf"), PYTHONPATH=str(clone),
               # no network: the hub client offline, and every URL through a proxy that refuses
               HF_HUB_OFFLINE="1", https_proxy="http://127.0.0.1:9", http_proxy="http://127.0.0.1:9",
               HTTPS_PROXY="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9")
    run = subprocess.run([sys.executable, "-m", "unfragile", "site", "-q"], cwd=clone, env=env,
                         capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert (clone / "site" / "index.html").is_file()
    status = _git("status", "--porcelain", "--untracked-files=all", cwd=clone)
    assert status == "", f"the build changed committed files:\n{status}"
