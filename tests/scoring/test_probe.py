"""linear-probe and the trained tfidf-logreg baseline, on a tiny train/dev dataset and a tiny encoder."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from conftest import model_entry, sha256, write_model_yaml
from tiny_hf import build_tiny

from scoring.adapters import encoders
from scoring.checks.probe import k_shot_sample
from unfragile.cli import main

GOOD = "great good warm funny wonderful lovely charming triumph best".split()
BAD = "bad dull boring terrible awful ugly lifeless mess worst".split()


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _rows(n: int, rng: random.Random) -> list[tuple[str, int]]:
    rows = []
    for i in range(n):
        label = i % 2
        words = [rng.choice(GOOD if label else BAD) for _ in range(rng.randint(2, 8))]
        rows.append((" ".join(words + ["film"]), label))
    return rows


@pytest.fixture
def split_project(tiny_project: Path) -> Path:
    """tiny_project plus a dataset 'tiny-split' with a 40-row train and a 12-row dev file."""
    rng = random.Random(1)
    files = []
    for split, n in (("train", 40), ("dev", 12)):
        path = tiny_project / "data" / "tiny" / f"split-{split}.tsv"
        path.write_text("sentence\tlabel\n" + "".join(f"{s}\t{y}\n" for s, y in _rows(n, rng)), encoding="utf-8")
        files.append(f"    - path: tiny/split-{split}.tsv\n      split: {split}\n      sha256: {sha256(path)}\n")
    ds = (tiny_project / "entries" / "datasets" / "tiny-sst.yaml").read_text()
    head = ds.split("  files:\n")[0].replace("id: tiny-sst", "id: tiny-split")
    caps = "capabilities:" + ds.split("capabilities:")[1]
    (tiny_project / "entries" / "datasets" / "tiny-split.yaml").write_text(head + "  files:\n" + "".join(files) + caps)
    return tiny_project




def test_k_shot_sample_is_balanced_and_without_repeats():
    labels = np.array([0] * 30 + [1] * 20)
    idx = k_shot_sample(labels, 8, np.random.default_rng(0))
    assert len(idx) == 16 and len(set(idx)) == 16 and (labels[idx] == 1).sum() == 8
    assert not np.array_equal(idx, k_shot_sample(labels, 8, np.random.default_rng(1)))
    with pytest.raises(ValueError, match="fewer than k=64"):
        k_shot_sample(labels, 64, np.random.default_rng(0))


def test_mean_pooling_ignores_padding(tmp_path):
    path = build_tiny(tmp_path / "enc", "bert")
    e = model_entry({"type": "local", "path": str(path)}, "enc", "encoder")
    enc = encoders.MeanPooledEncoder(e, {"batch_size": 4}, None)
    sentences = ["good", "a warm , funny and wonderful movie with great performances", "bad film", "dull"]
    batched = enc.embed(sentences, None)
    alone = np.stack([enc.embed([s], None)[0] for s in sentences])
    np.testing.assert_allclose(batched, alone, atol=1e-5)
    import torch

    inputs = enc.tokenizer(sentences[1], return_tensors="pt")
    with torch.no_grad():
        manual = enc.encoder(**inputs).last_hidden_state[0].mean(0).numpy()
    np.testing.assert_allclose(batched[1], manual, atol=1e-5)
    assert batched.shape == (4, enc.model["dimensions"])


def test_linear_probe_end_to_end_and_cache(split_project, project_args, tmp_path, monkeypatch):
    model = build_tiny(tmp_path / "encoder", "bert")
    write_model_yaml(split_project, "tiny-encoder", f"  type: local\n  path: {model}", """  - check: linear-probe
    args: {dataset: tiny-split, split: dev, train_split: train, ks: [8], seeds: 3, options: {batch_size: 8}}
""")
    assert main(["score", *project_args, "--only", "tiny-encoder"]) == 0
    path = split_project / "results" / "tiny-encoder" / "linear-probe.json"
    first = json.loads(path.read_text())
    assert first["status"] == "ok", first["reason"]
    m = first["metrics"]
    assert m["n"] == 12 and m["n_train"] == 40 and m["dimensions"] == 32
    assert m["accuracy_ci_low"] <= m["accuracy"] <= m["accuracy_ci_high"]
    row = first["details"]["k_shot"]["8"]
    per_seed = [c / row["n"] for c in row["per_seed_correct"]]
    assert len(per_seed) == 3 and m["accuracy_k8"] == pytest.approx(np.mean(per_seed), abs=1e-6)
    assert m["accuracy_k8_sd"] == pytest.approx(np.std(per_seed, ddof=1), abs=1e-6)
    assert "accuracy_k64" not in m
    cache = list((split_project / "cache" / "embeddings").glob("*.npy"))
    assert len(cache) == 2  # train and dev

    def no_encoder(*args, **kwargs):
        raise AssertionError("the encoder ran although the embeddings are cached")

    monkeypatch.setattr(encoders.MeanPooledEncoder, "embed", no_encoder)
    assert main(["score", *project_args, "--only", "tiny-encoder", "--force"]) == 0
    again = json.loads(path.read_text())
    assert again["status"] == "ok", again["reason"]
    assert again["metrics"] == first["metrics"]


def test_probe_rejects_unknown_k(split_project, project_args, capsys):
    write_model_yaml(split_project, "tiny-encoder", "  type: local\n  path: /nowhere", """  - check: linear-probe
    args: {dataset: tiny-split, ks: [8, 16]}
""")
    assert main(["validate", *project_args]) == 1
    assert "tiny-encoder.yaml" in capsys.readouterr().err


def test_tfidf_logreg_trains_on_train_and_scores_dev(split_project, project_args):
    write_model_yaml(split_project, "tiny-tfidf", '  type: pypi\n  package: scikit-learn\n  version: "1.9.1"', """  - check: classification-accuracy
    args: {dataset: tiny-split, split: dev, train_split: train, classifier: tfidf-logreg, rule: p >= 0.5,
           threshold: 0.5}
""")
    assert main(["score", *project_args, "--only", "tiny-tfidf"]) == 0
    r = json.loads((split_project / "results" / "tiny-tfidf" / "classification-accuracy.json").read_text())
    assert r["status"] == "ok", r["reason"]
    assert set(r["provenance"]["inputs"]) == {"tiny/split-train.tsv", "tiny/split-dev.tsv"}
    assert r["provenance"]["model"]["trained_on_rows"] == 40
    assert r["metrics"]["accuracy"] >= 0.75  # the dev words all occur in train with one polarity
    assert r["metrics"]["log_loss"] > 0 and r["metrics"]["roc_auc"] >= 0.75


def test_untrainable_adapter_with_train_split_fails_clearly(split_project, project_args):
    afinn = (split_project / "entries" / "models" / "afinn.yaml")
    afinn.write_text(afinn.read_text().replace("dataset: tiny-sst", "dataset: tiny-split")
                     .replace("      split: dev\n", "      split: dev\n      train_split: train\n"))
    assert main(["score", *project_args, "--only", "afinn"]) == 0
    r = json.loads((split_project / "results" / "afinn" / "classification-accuracy.json").read_text())
    assert r["status"] == "failed" and "cannot be trained" in r["reason"]
