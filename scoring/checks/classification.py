"""classification-accuracy: a binary sentiment classifier on a labelled split."""

from __future__ import annotations

from importlib import metadata

from pydantic import Field

from scoring import adapters, data, stats
from scoring.check import Args, Check, Context, Metric, Outcome
from scoring.entries import Entry
from scoring.registry import register


class ClassificationArgs(Args):
    dataset: str = Field("sst2", description="dataset entry id")
    split: str = "dev"
    classifier: str = Field(description="adapter name, e.g. vader, textblob, afinn")
    rule: str = Field(description="the decision rule in words, shown on the site")
    threshold: float = Field(0.0, description="predict positive (label 1) iff score >= threshold")
    options: dict = {}


@register
class ClassificationAccuracy(Check):
    name = "classification-accuracy"
    version = "1"
    Args = ClassificationArgs
    metrics = {
        "accuracy": Metric("fraction", True, "share of correct predictions"),
        "accuracy_ci_low": Metric("fraction", True, "95% bootstrap interval, low end"),
        "accuracy_ci_high": Metric("fraction", True, "95% bootstrap interval, high end"),
        "precision": Metric("fraction", True),
        "recall": Metric("fraction", True),
        "f1": Metric("fraction", True),
        "tp": Metric("count", None), "fp": Metric("count", None),
        "tn": Metric("count", None), "fn": Metric("count", None),
        "n": Metric("count", None),
    }

    def key_inputs(self, entry: Entry, args: ClassificationArgs, ctx: Context) -> dict:
        return {f.path: f.sha256 for f in data.dataset_files(ctx, args.dataset, args.split)}

    def run(self, entry: Entry, args: ClassificationArgs, ctx: Context) -> Outcome:
        split = data.split_file(ctx, args.dataset, args.split)
        sentences, labels = data.read_labelled_tsv(split.path)
        clf = adapters.classifier(args.classifier, entry, args.options, ctx)
        scores = clf.scores(sentences, ctx)
        preds = [int(s >= args.threshold) for s in scores]
        metrics = stats.binary_metrics(labels, preds)
        correct = [int(p == y) for p, y in zip(preds, labels)]
        metrics["accuracy_ci_low"], metrics["accuracy_ci_high"] = stats.bootstrap_mean_ci(correct, seed=ctx.seed)
        metrics.update(getattr(clf, "extra_metrics", lambda s, y: {})(scores, labels))
        examples = [
            {"i": i, "label": y, "score": s, "pred": p}
            for i, (y, s, p) in enumerate(zip(labels, scores, preds))
        ]
        return Outcome(
            metrics=metrics,
            details={"rule": args.rule, "positive_label": 1, "bootstrap_resamples": 2000},
            examples=examples,
            inputs={split.spec.path: split.spec.sha256},
            model=clf.model,
            libraries={"numpy": metadata.version("numpy")},
        )
