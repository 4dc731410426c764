"""Hugging Face Hub weights over HTTP: a local server speaking the Hub API serves tiny models at pinned revisions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import write_model_yaml
from local_hub import LocalHub
from tiny_hf import build_tiny

from unfragile.cli import main

REVISION = "3f2a9c1d5e7b8a6c4d2e0f1a3b5c7d9e1f2a4b6c"
REPO = "tiny-org/tiny-distilbert-sst2"
CHECK = """  - check: classification-accuracy
    args: {dataset: tiny-sst, split: dev, classifier: huggingface, rule: argmax, threshold: 0.5%s}
"""

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory) -> Path:
    return build_tiny(tmp_path_factory.mktemp("hub-model"), "distilbert")


@pytest.fixture
def hub(monkeypatch, tmp_path):
    server = LocalHub()
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub-cache"))
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    yield server
    server.close()


def _entry(project: Path, repo: str = REPO, revision: str = REVISION, options: str = "") -> None:
    write_model_yaml(project, "tiny-hub", f"  type: huggingface\n  repo: {repo}\n  revision: {revision}",
                     CHECK % options, "fine-tune")


def _result(project: Path) -> dict:
    return json.loads((project / "results" / "tiny-hub" / "classification-accuracy.json").read_text())


def test_download_score_and_rerun_offline_from_the_cache(tiny_project, project_args, hub, tiny_folder, monkeypatch):
    hub.add(REPO, REVISION, tiny_folder)
    _entry(tiny_project)
    assert main(["score", *project_args, "--only", "tiny-hub"]) == 0
    r = _result(tiny_project)
    assert r["status"] == "ok", r["reason"]
    assert r["provenance"]["model"]["repo"] == REPO and r["provenance"]["model"]["revision"] == REVISION
    assert r["provenance"]["model"]["weights_sha256"]["model.safetensors"]
    assert "model.safetensors" in hub.downloaded() and "config.json" in hub.downloaded()
    assert main(["verify", *project_args]) == 0
    first = r["metrics"]
    served = len(hub.log)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert main(["score", *project_args, "--only", "tiny-hub", "--force"]) == 0
    again = _result(tiny_project)
    assert again["status"] == "ok" and again["metrics"] == first
    assert len(hub.log) == served  # nothing was asked of the hub


def test_pickle_only_repository_is_refused_before_any_weight_byte(tiny_project, project_args, hub, tmp_path):
    folder = tmp_path / "pickled"
    folder.mkdir()
    (folder / "config.json").write_text('{"model_type": "distilbert"}')
    (folder / "pytorch_model.bin").write_bytes(b"\x80\x04 not really a pickle")
    hub.add(REPO, REVISION, folder)
    _entry(tiny_project)
    assert main(["score", *project_args, "--only", "tiny-hub"]) == 0
    r = _result(tiny_project)
    assert r["status"] == "unavailable" and "only pickle weights (pytorch_model.bin); refused" in r["reason"]
    assert hub.downloaded() == []


def test_the_size_cap_is_checked_from_metadata_before_downloading(tiny_project, project_args, hub, tiny_folder):
    hub.add(REPO, REVISION, tiny_folder)
    _entry(tiny_project, options=", options: {max_weight_bytes: 1000}")
    assert main(["score", *project_args, "--only", "tiny-hub"]) == 0
    r = _result(tiny_project)
    assert r["status"] == "unavailable" and "above the cap of 1,000" in r["reason"]
    assert hub.downloaded() == []


def test_a_missing_revision_is_unavailable_with_the_reason(tiny_project, project_args, hub, tiny_folder):
    hub.add(REPO, REVISION, tiny_folder)
    other = "0" * 40
    _entry(tiny_project, revision=other)
    assert main(["score", *project_args, "--only", "tiny-hub"]) == 0
    r = _result(tiny_project)
    assert r["status"] == "unavailable"
    assert f"revision {other} not found in {REPO} on the hub" in r["reason"]


def test_custom_code_in_a_config_never_runs(tiny_project, project_args, hub, tiny_folder, tmp_path):
    folder = tmp_path / "custom"
    folder.mkdir()
    for p in tiny_folder.iterdir():
        (folder / p.name).write_bytes(p.read_bytes())
    marker = tmp_path / "ran.txt"
    config = json.loads((folder / "config.json").read_text())
    config["auto_map"] = {"AutoConfig": "evil.EvilConfig", "AutoModelForSequenceClassification": "evil.EvilModel"}
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "evil.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    hub.add(REPO, REVISION, folder)
    _entry(tiny_project)
    assert main(["score", *project_args, "--only", "tiny-hub"]) == 0
    assert not marker.exists()
    assert "evil.py" not in hub.downloaded()
    r = _result(tiny_project)
    assert r["status"] in ("ok", "failed")  # either the built-in class loads it, or loading is refused


def test_adoption_is_a_dated_snapshot_from_the_hub(tiny_project, project_args, hub, tiny_folder):
    hub.add(REPO, REVISION, tiny_folder)
    write_model_yaml(tiny_project, "tiny-hub", f"  type: huggingface\n  repo: {REPO}\n  revision: {REVISION}",
                     "  - check: adoption\n", "fine-tune")
    assert main(["score", *project_args, "--only", "tiny-hub"]) == 0
    r = json.loads((tiny_project / "results" / "tiny-hub" / "adoption.json").read_text())
    assert r["status"] == "ok", r["reason"]
    assert r["metrics"] == {"downloads": 12345, "likes": 67}
    assert "last 30 days" in r["details"]["period"] and r["provenance"]["finished_at"]


def test_adoption_from_pypistats_and_unavailable_offline(tiny_project, project_args, monkeypatch):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Stats(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):  # noqa: N802
            body = json.dumps({"data": {"last_day": 1, "last_week": 7, "last_month": 4321},
                               "package": "afinn", "type": "recent_downloads"}).encode()
            self.send_response(200 if self.path == "/api/packages/afinn/recent" else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Stats)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    afinn = tiny_project / "entries" / "models" / "afinn.yaml"
    afinn.write_text(afinn.read_text() + "  - check: adoption\n")
    monkeypatch.setenv("UNFRAGILE_PYPISTATS_URL", "http://127.0.0.1:9/api")  # nothing listens: offline
    assert main(["score", *project_args, "--only", "afinn"]) == 0
    r = json.loads((tiny_project / "results" / "afinn" / "adoption.json").read_text())
    assert r["status"] == "unavailable" and "could not read" in r["reason"]
    monkeypatch.setenv("UNFRAGILE_PYPISTATS_URL", f"http://127.0.0.1:{server.server_address[1]}/api")
    assert main(["score", *project_args, "--only", "afinn"]) == 0  # unavailable is retried
    r = json.loads((tiny_project / "results" / "afinn" / "adoption.json").read_text())
    assert r["status"] == "ok" and r["metrics"] == {"downloads": 4321}
    server.shutdown()


def _snapshot_files(cache: Path) -> list[Path]:
    return [p for p in cache.rglob("*") if p.is_file() and "blobs" in p.parts]


@pytest.mark.parametrize("fault", ["same-size wrong bytes", "lying etag"])
def test_weights_whose_bytes_differ_from_the_pin_are_refused_and_deleted(tiny_project, project_args, hub, tiny_folder,
                                                                          tmp_path, fault):
    """The weights come through a cross-origin redirect; bytes that are not the revision's (LFS sha256)
    end as one refusal naming the file and both hashes, and nothing of them stays in the cache."""
    import hashlib

    hub.add(REPO, REVISION, tiny_folder)
    good = (tiny_folder / "model.safetensors").read_bytes()
    bad = bytearray(good)
    bad[len(bad) // 2] ^= 0xFF  # same size, one byte flipped
    hub.serve_instead["model.safetensors"] = bytes(bad)
    if fault == "lying etag":  # the server announces the hash of what it sends, not of the pinned file
        hub.etag_instead["model.safetensors"] = hashlib.sha256(bad).hexdigest()
    _entry(tiny_project)
    assert main(["score", *project_args]) == 0
    r = _result(tiny_project)
    assert r["status"] == "unavailable" and r["reason_code"] == "hub-file-mismatch", r["reason"]
    assert r["reason_params"]["file"] == "model.safetensors"
    assert r["reason_params"]["actual"] != r["reason_params"]["expected"]
    assert "model.safetensors" in hub.downloaded()  # it went through the redirect to the other origin
    blobs = [p for p in (tmp_path / "hub-cache").rglob("*") if p.is_file() and "blobs" in p.parts]
    assert all(p.read_bytes() != bytes(bad) for p in blobs)  # nothing of the bad bytes is left
    # the server is fixed: the next run downloads again and scores, with no hand cleanup
    hub.serve_instead.clear()
    hub.etag_instead.clear()
    assert main(["score", *project_args]) == 0
    assert _result(tiny_project)["status"] == "ok"


def test_a_cached_file_whose_bytes_changed_is_fetched_again(tiny_project, project_args, hub, tiny_folder, tmp_path):
    hub.add(REPO, REVISION, tiny_folder)
    _entry(tiny_project)
    assert main(["score", *project_args]) == 0 and _result(tiny_project)["status"] == "ok"
    blob = next(p for p in (tmp_path / "hub-cache").rglob("*") if p.is_file() and "blobs" in p.parts
                and p.stat().st_size == (tiny_folder / "model.safetensors").stat().st_size)
    data = bytearray(blob.read_bytes())
    data[-1] ^= 0xFF
    blob.write_bytes(bytes(data))  # corrupted on disk (or restored from a bad cache)
    before = len(hub.downloaded())
    assert main(["score", *project_args, "--force"]) == 0
    assert _result(tiny_project)["status"] == "ok"
    assert len(hub.downloaded()) > before  # fetched anew
    assert blob.read_bytes() == (tiny_folder / "model.safetensors").read_bytes()
