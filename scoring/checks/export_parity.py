"""export-parity: does a converted model (e.g. int8 ONNX) still say what its original says?

Both encoders embed the same split: per sentence, the cosine similarity of the two mean-pooled
vectors. A logistic regression is trained on each model's features of the same train rows; probe
agreement is the share of evaluation sentences both probes label alike.
"""

from __future__ import annotations

import hashlib
import json
from importlib import metadata
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from scoring import data
from scoring.adapters import encoders, hf
from scoring.check import Args, Check, Context, Derived, Metric, Outcome, Unavailable
from scoring.checks.probe import fit_probe
from scoring.entries import Entry
from scoring.metrics import N
from scoring.registry import register


class ExportParityArgs(Args):
    dataset: str = "sst2"
    split: str = Field("dev", description="the sentences both models embed")
    train_split: str = "train"
    reference: str = Field(description="entry id of the original model the export is compared with")
    max_train: int = Field(5000, ge=2, description="train rows each probe learns from (the first N)")
    options: hf.HFOptions = hf.HFOptions()
    C: float = Field(1.0, gt=0)


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    i: int = Field(ge=0)
    label: Literal[0, 1]
    cosine: float = Field(ge=-1.0000001, le=1.0000001)
    pred: Literal[0, 1]
    reference_pred: Literal[0, 1]


TOL = {"tolerance": "close", "abs_tol": 1e-5}  # runtime float sums follow the thread count


def derive_parity(records: list[dict]) -> dict:
    cos = np.array([r["cosine"] for r in records])
    same = np.array([r["pred"] == r["reference_pred"] for r in records])
    return {"mean_cosine": float(cos.mean()), "min_cosine": float(cos.min()), "probe_agreement": float(same.mean()),
            "n": len(records)}


def _reference_key(entry: Entry) -> str:
    return hashlib.sha256(json.dumps(entry.source.model_dump(mode="json", by_alias=True), sort_keys=True)
                          .encode()).hexdigest()


@register
class ExportParity(Check):
    name = "export-parity"
    version = "1"
    Args = ExportParityArgs
    Record = Record
    record_id = ("i",)
    metrics = {
        "mean_cosine": Metric("Mean cosine similarity to the original", "other", True,
                              "mean over sentences of cos(export vector, original vector)", **TOL),
        "min_cosine": Metric("Worst cosine similarity to the original", "other", True, **TOL),
        "probe_agreement": Metric("Same probe prediction as the original", "fraction", True,
                                  "share of sentences two probes, one on each model's features, label alike"),
        "n": N,
    }

    def adapters(self, entry: Entry, args: ExportParityArgs) -> list[str]:
        return [encoders.ONNX_MODULE]

    def key_inputs(self, entry: Entry, args: ExportParityArgs, ctx: Context) -> dict:
        files = {f.path: f.sha256 for s in (args.train_split, args.split)
                 for f in data.dataset_files(ctx, args.dataset, s)}
        ref = ctx.catalog.get(args.reference)
        if ref is None:
            raise Unavailable("no-reference-entry", reference=args.reference)
        return {**files, f"reference:{args.reference}": _reference_key(ref)}

    def derive(self, records: list[dict], result) -> Derived:
        return Derived(derive_parity(records))

    def run(self, entry: Entry, args: ExportParityArgs, ctx: Context) -> Outcome:
        inputs = self.key_inputs(entry, args, ctx)
        train = data.split_file(ctx, args.dataset, args.train_split)
        dev = data.split_file(ctx, args.dataset, args.split)
        train_text, train_y = data.read_labelled_tsv(train.path)
        train_text, train_y = train_text[: args.max_train], np.asarray(train_y[: args.max_train])
        dev_text, dev_y = data.read_labelled_tsv(dev.path)
        dev_y = np.asarray(dev_y)
        options = args.options.model_dump()
        mine = encoders.encoder(entry, options, ctx)
        original = encoders.encoder(ctx.catalog[args.reference], options, ctx)
        vectors, preds = {}, {}
        for name, enc in (("export", mine), ("original", original)):
            x_train, _ = encoders.cached_embeddings(enc, train_text, train.spec.sha256, ctx, f"{name}: train")
            x_dev, _ = encoders.cached_embeddings(enc, dev_text, dev.spec.sha256, ctx, f"{name}: {args.split}")
            probe = fit_probe(x_train, train_y, args.C, ctx.seed)
            vectors[name], preds[name] = x_dev.astype(np.float64), probe.predict(x_dev)
        a, b = vectors["export"], vectors["original"]
        cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
        records = [{"i": i, "label": int(y), "cosine": float(c), "pred": int(p), "reference_pred": int(q)}
                   for i, (y, c, p, q) in enumerate(zip(dev_y, cos, preds["export"], preds["original"], strict=True))]
        accuracy = {k: float((v == dev_y).mean()) for k, v in preds.items()}
        return Outcome(
            metrics=derive_parity(records),
            details={"reference": args.reference, "train_rows": len(train_y),
                     "probe_accuracy": accuracy,
                     "method": "cosine of mean-pooled vectors per sentence; logistic regression "
                               f"(C={args.C:g}, lbfgs) on the first {len(train_y):,} train rows for each model"},
            examples=records,
            inputs=inputs,
            model={**mine.model, "reference": original.model},
            libraries={"numpy": metadata.version("numpy"), "scikit-learn": metadata.version("scikit-learn")},
        )
