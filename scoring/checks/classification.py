"""classification-accuracy: a binary sentiment classifier on a labelled split."""

from __future__ import annotations

import math
from importlib import metadata
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from scoring import adapters, data, stats
from scoring.check import Args, Check, Context, Derived, Metric, Outcome
from scoring.entries import Entry
from scoring.metrics import ACCURACY_METRICS
from scoring.registry import register

PROB_CLIP = 1e-15
# Scores that come from BLAS, torch or ONNX Runtime (TF-IDF, transformers) move in their last digits with the
# CPU's kernels: TF-IDF's log loss read 0.4047422 on AVX-512 and 0.4047423 on AVX2 (2.5e-7 relative). The
# tolerances leave 40x that; a prediction flipping would move accuracy and the counts, which stay exact.
SCORE_FLOAT = {"tolerance": "close", "rel_tol": 1e-5}
AUC_FLOAT = {"tolerance": "close", "abs_tol": 1e-4}  # a few pairs of near-tied scores may swap order


class ClassifierChoice(Args):
    """Which classifier adapter runs, and its options (validated against the adapter's own model)."""

    classifier: str = Field(description="adapter name, e.g. vader, textblob, afinn, huggingface, tfidf-logreg")
    options: dict = {}

    @field_validator("classifier")
    @classmethod
    def _known(cls, name: str) -> str:
        adapters.classifier_class(name)  # ValueError lists the known names
        return name

    @field_validator("options")
    @classmethod
    def _adapter_options(cls, options: dict, info: ValidationInfo) -> dict:
        name = info.data.get("classifier")
        model = getattr(adapters.classifier_class(name), "Options", None) if name else None
        if model is not None:
            try:
                model.model_validate(options)
            except ValidationError as err:
                raise ValueError("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())) from None
        return options


class ClassificationArgs(ClassifierChoice):
    dataset: str = Field("sst2", description="dataset entry id")
    split: str = "dev"
    rule: str = Field(description="the decision rule in words, shown on the site")
    threshold: float = Field(0.0, description="predict positive (label 1) iff score >= threshold")
    train_split: str | None = Field(None, description="split of the same dataset a trained adapter learns from")


def log_loss(labels: list[int], probs: list[float]) -> float:
    """Mean negative log-likelihood (natural log) of the true labels, probabilities clipped to [1e-15, 1-1e-15]."""
    total = 0.0
    for y, p in zip(labels, probs, strict=True):
        p = min(max(p, PROB_CLIP), 1 - PROB_CLIP)
        total -= math.log(p if y == 1 else 1 - p)
    return total / len(labels)


class Record(BaseModel):
    """One sentence of the evaluated split: its row, gold label, the classifier's score and prediction."""

    model_config = ConfigDict(extra="forbid", strict=True)

    i: int = Field(ge=0)
    label: Literal[0, 1]
    pred: Literal[0, 1]
    score: float | None = None
    p_positive: float | None = Field(None, ge=0, le=1)
    text: str | None = Field(None, max_length=4000)  # only when the dataset entry says its examples may be quoted


def derive_metrics(records: list[dict], threshold: float | None, seed: int) -> dict[str, float | int]:
    """Accuracy, confusion counts, precision/recall/F1, the bootstrap interval, ROC AUC and log loss."""
    labels = [r["label"] for r in records]
    preds = [r["pred"] for r in records]
    field = "p_positive" if records and records[0].get("p_positive") is not None else "score"
    scores = [r[field] for r in records]
    if any(s is None for s in scores):
        raise ValueError(f"some records have no {field!r}")
    if threshold is not None:
        wrong = [r["i"] for r, s, p in zip(records, scores, preds, strict=True) if int(s >= threshold) != p]
        if wrong:
            raise ValueError(f"{len(wrong)} record(s) predict against the rule score >= {threshold:g} (first i={wrong[0]})")
    metrics = stats.binary_metrics(labels, preds)
    correct = [int(p == y) for p, y in zip(preds, labels, strict=True)]
    metrics["accuracy_ci_low"], metrics["accuracy_ci_high"] = stats.bootstrap_mean_ci(correct, seed=seed)
    if len(set(labels)) == 2:
        metrics["roc_auc"] = stats.roc_auc(labels, scores)
    if field == "p_positive":
        metrics["log_loss"] = log_loss(labels, scores)
    return metrics


def add_texts(examples: list[dict], sentences: list[str], ctx: Context, dataset: str) -> None:
    """Keep each sentence beside its record when the dataset entry allows quoting it."""
    entry = ctx.catalog.get(dataset)
    if entry is not None and entry.quotable:
        for record, text in zip(examples, sentences, strict=True):
            record["text"] = text


@register
class ClassificationAccuracy(Check):
    name = "classification-accuracy"
    version = "4"
    Args = ClassificationArgs
    Record = Record
    record_id = ("i",)
    metrics = {
        **ACCURACY_METRICS,
        "precision": Metric("Precision", "fraction", True, "of the predicted positives, the share that are positive"),
        "recall": Metric("Recall", "fraction", True, "of the positives, the share predicted positive"),
        "f1": Metric("F1", "fraction", True, "harmonic mean of precision and recall"),
        "roc_auc": Metric("ROC AUC", "fraction", True, "area under the ROC curve of the scores", **AUC_FLOAT),
        "log_loss": Metric("Log loss (nats)", "other", False, "mean negative log-likelihood; only for probability scores",
                           **SCORE_FLOAT),
        "agreement_with_fp32": Metric("Same prediction as fp32", "fraction", True,
                                      "quantised variants: share of sentences predicted as the fp32 model does"),
        "max_prob_diff_vs_fp32": Metric("Largest probability gap vs fp32", "fraction", False,
                                        "quantised variants: largest |P(positive) - fp32 P(positive)|", **AUC_FLOAT),
        "tp": Metric("True positives", "count", None), "fp": Metric("False positives", "count", None),
        "tn": Metric("True negatives", "count", None), "fn": Metric("False negatives", "count", None),
    }

    def adapters(self, entry: Entry, args: ClassificationArgs) -> list[str]:
        return adapters.classifier_modules(args.classifier, args.options)

    def derive(self, records: list[dict], result) -> Derived:
        return Derived(derive_metrics(records, result.config.get("threshold"), result.provenance.seed))

    def _splits(self, args: ClassificationArgs) -> list[str]:
        return [args.split] + ([args.train_split] if args.train_split else [])

    def key_inputs(self, entry: Entry, args: ClassificationArgs, ctx: Context) -> dict:
        return {f.path: f.sha256 for s in self._splits(args) for f in data.dataset_files(ctx, args.dataset, s)}

    def run(self, entry: Entry, args: ClassificationArgs, ctx: Context) -> Outcome:
        split = data.split_file(ctx, args.dataset, args.split)
        sentences, labels = data.read_labelled_tsv(split.path)
        inputs = {split.spec.path: split.spec.sha256}
        clf = adapters.classifier(args.classifier, entry, args.options, ctx)
        if args.train_split:
            train = data.split_file(ctx, args.dataset, args.train_split)
            if not hasattr(clf, "fit"):
                raise ValueError(f"classifier {args.classifier!r} cannot be trained; remove train_split")
            clf.fit(*data.read_labelled_tsv(train.path), ctx)
            inputs[train.spec.path] = train.spec.sha256
        scores = clf.scores(sentences, ctx)
        preds = [int(s >= args.threshold) for s in scores]
        probabilities = getattr(clf, "probabilities", False)
        score_field = "p_positive" if probabilities else "score"
        examples = [
            {"i": i, "label": y, score_field: s, "pred": p}
            for i, (y, s, p) in enumerate(zip(labels, scores, preds, strict=True))
        ]
        add_texts(examples, sentences, ctx, args.dataset)
        metrics = derive_metrics(examples, args.threshold, ctx.seed)
        if hasattr(clf, "extra_metrics"):
            metrics.update(clf.extra_metrics(scores, labels, args.threshold))
        return Outcome(
            metrics=metrics,
            details={"rule": args.rule, "positive_label": 1, "bootstrap_resamples": 2000,
                     "scores": "P(positive)" if probabilities else "unbounded score, higher is more positive"},
            examples=examples,
            inputs=inputs,
            model=clf.model,
            libraries={"numpy": metadata.version("numpy"), "scikit-learn": metadata.version("scikit-learn"),
                       **getattr(clf, "libraries", {})},
        )
