"""classification-accuracy: a binary sentiment classifier on a labelled split."""

from __future__ import annotations

import math
from importlib import metadata

from pydantic import Field, ValidationError, ValidationInfo, field_validator

from scoring import adapters, data, stats
from scoring.check import Args, Check, Context, Metric, Outcome
from scoring.entries import Entry
from scoring.registry import register

PROB_CLIP = 1e-15


class ClassificationArgs(Args):
    dataset: str = Field("sst2", description="dataset entry id")
    split: str = "dev"
    classifier: str = Field(description="adapter name, e.g. vader, textblob, afinn, huggingface, tfidf-logreg")
    rule: str = Field(description="the decision rule in words, shown on the site")
    threshold: float = Field(0.0, description="predict positive (label 1) iff score >= threshold")
    train_split: str | None = Field(None, description="split of the same dataset a trained adapter learns from")
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


def log_loss(labels: list[int], probs: list[float]) -> float:
    """Mean negative log-likelihood (natural log) of the true labels, probabilities clipped to [1e-15, 1-1e-15]."""
    total = 0.0
    for y, p in zip(labels, probs, strict=True):
        p = min(max(p, PROB_CLIP), 1 - PROB_CLIP)
        total -= math.log(p if y == 1 else 1 - p)
    return total / len(labels)


@register
class ClassificationAccuracy(Check):
    name = "classification-accuracy"
    version = "2"
    Args = ClassificationArgs
    metrics = {
        "accuracy": Metric("fraction", True, "share of correct predictions"),
        "accuracy_ci_low": Metric("fraction", True, "95% bootstrap interval, low end"),
        "accuracy_ci_high": Metric("fraction", True, "95% bootstrap interval, high end"),
        "precision": Metric("fraction", True),
        "recall": Metric("fraction", True),
        "f1": Metric("fraction", True),
        "roc_auc": Metric("fraction", True, "area under the ROC curve of the scores"),
        "log_loss": Metric("other", False, "mean negative log-likelihood; only for probability scores"),
        "agreement_with_fp32": Metric("fraction", True, "quantised variants: same prediction as fp32"),
        "max_prob_diff_vs_fp32": Metric("fraction", False, "quantised variants: largest probability gap"),
        "tp": Metric("count", None), "fp": Metric("count", None),
        "tn": Metric("count", None), "fn": Metric("count", None),
        "n": Metric("count", None),
    }

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
        metrics = stats.binary_metrics(labels, preds)
        correct = [int(p == y) for p, y in zip(preds, labels, strict=True)]
        metrics["accuracy_ci_low"], metrics["accuracy_ci_high"] = stats.bootstrap_mean_ci(correct, seed=ctx.seed)
        probabilities = getattr(clf, "probabilities", False)
        if len(set(labels)) == 2:
            from sklearn.metrics import roc_auc_score

            metrics["roc_auc"] = float(roc_auc_score(labels, scores))
        if probabilities:
            metrics["log_loss"] = log_loss(labels, scores)
        if hasattr(clf, "extra_metrics"):
            metrics.update(clf.extra_metrics(scores, labels, args.threshold))
        score_field = "p_positive" if probabilities else "score"
        examples = [
            {"i": i, "label": y, score_field: s, "pred": p}
            for i, (y, s, p) in enumerate(zip(labels, scores, preds, strict=True))
        ]
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
