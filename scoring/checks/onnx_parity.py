"""onnx-parity: a model exported to ONNX, run by ONNX Runtime, against the same model in PyTorch.

The model is the entry's pinned architecture with random weights (the weights are not needed to test
the conversion): it is exported once (torch.onnx, TorchScript exporter), and both runtimes classify
the same sentences in the same length-sorted, per-batch-padded batches. Per sentence: both
P(positive) values; the published numbers are the largest and mean absolute difference and the share
of sentences with the same predicted label, all re-derivable from those records.
"""

from __future__ import annotations

import tempfile
from importlib import metadata
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from scoring import data
from scoring.adapters import hf, ort
from scoring.check import Args, Check, Context, Derived, Metric, Outcome
from scoring.checks.throughput import Architecture, random_model
from scoring.entries import Entry
from scoring.metrics import N
from scoring.registry import register


class OnnxParityArgs(Args):
    dataset: str = "sst2"
    split: str = "dev"
    architecture: Architecture
    batch_size: int = Field(32, ge=1, le=1024)
    max_length: int = Field(128, ge=8, le=8192)
    opset: int = Field(17, ge=11, le=23)


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    i: int = Field(ge=0)
    p_torch: float = Field(ge=0, le=1)
    p_onnx: float = Field(ge=0, le=1)


def derive_parity(records: list[dict]) -> dict:
    a = np.array([r["p_torch"] for r in records])
    b = np.array([r["p_onnx"] for r in records])
    diff = np.abs(a - b)
    return {"max_prob_diff": float(diff.max()), "mean_prob_diff": float(diff.mean()),
            "prediction_agreement": float(((a >= 0.5) == (b >= 0.5)).mean()), "n": len(records)}


def _softmax_positive(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=1, keepdims=True))[:, 1]


@register
class OnnxParity(Check):
    name = "onnx-parity"
    version = "2"  # 2: the PyTorch side no longer runs with dropout on after the export
    Args = OnnxParityArgs
    Record = Record
    record_id = ("i",)
    metrics = {
        "max_prob_diff": Metric("Largest P(positive) gap, ONNX vs PyTorch", "fraction", False,
                                tolerance="close", abs_tol=1e-4),
        "mean_prob_diff": Metric("Mean P(positive) gap, ONNX vs PyTorch", "fraction", False,
                                 tolerance="close", abs_tol=1e-5),
        "prediction_agreement": Metric("Same label in ONNX Runtime as in PyTorch", "fraction", True),
        "n": N,
    }

    def key_inputs(self, entry: Entry, args: OnnxParityArgs, ctx: Context) -> dict:
        return {f.path: f.sha256 for f in data.dataset_files(ctx, args.dataset, args.split)}

    def derive(self, records: list[dict], result) -> Derived:
        return Derived(derive_parity(records))

    def run(self, entry: Entry, args: OnnxParityArgs, ctx: Context) -> Outcome:
        ort.require()
        import torch

        split = data.split_file(ctx, args.dataset, args.split)
        sentences = data.read_labelled_tsv(split.path)[0]
        tokenizer, model, provenance = random_model(args.architecture, "classifier", ctx.seed)

        tokenized = hf.tokenize(tokenizer, sentences, args.max_length)
        batches = hf.length_sorted_batches(tokenized.lengths, args.batch_size)
        with tempfile.TemporaryDirectory(prefix="onnx-parity-") as tmp:
            path = Path(tmp) / "model.onnx"
            sample = tokenizer.pad([tokenized.features[i] for i in batches[0]], return_tensors="pt")
            ort.export_logits(model, sample, path, args.opset)
            session = ort.session(path, hf.use_all_cores())
            p_torch, p_onnx = [0.0] * len(sentences), [0.0] * len(sentences)
            with torch.inference_mode():
                for batch in ctx.bar(batches, desc="onnx parity", unit="batch"):
                    inputs = tokenizer.pad([tokenized.features[i] for i in batch], return_tensors="pt")
                    a = _softmax_positive(model(input_ids=inputs["input_ids"],
                                                attention_mask=inputs["attention_mask"]).logits.float().numpy())
                    b = _softmax_positive(session.run(None, {"input_ids": inputs["input_ids"].numpy(),
                                                              "attention_mask": inputs["attention_mask"].numpy()})[0])
                    for i, x, y in zip(batch, a, b, strict=True):
                        p_torch[i], p_onnx[i] = float(x), float(y)
        records = [{"i": i, "p_torch": a, "p_onnx": b} for i, (a, b) in enumerate(zip(p_torch, p_onnx, strict=True))]
        return Outcome(
            metrics=derive_parity(records),
            details={"weights": "random: architecture only (its config at the pinned revision)",
                     "exporter": f"torch.onnx (TorchScript), opset {args.opset}",
                     "batching": f"length-sorted batches of {args.batch_size}, padded per batch, max length "
                                 f"{args.max_length}"},
            examples=records,
            inputs={split.spec.path: split.spec.sha256},
            model={**entry.source.pins(), **provenance},
            libraries={"torch": metadata.version("torch"), **ort.libraries()},
        )

