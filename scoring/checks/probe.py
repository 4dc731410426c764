"""linear-probe: how much a frozen encoder's features know, with k labelled examples per class.

Sentences are embedded once (mean-pooled hidden states, cached); a logistic regression is trained
on k examples per class drawn from the train split (several seeds), and on all of it, and scored
on the evaluation split.
"""

from __future__ import annotations

from importlib import metadata

import numpy as np
from pydantic import Field, field_validator

from scoring import data, stats
from scoring.adapters import encoders, hf
from scoring.check import Args, Check, Context, Derived, Metric, Outcome
from scoring.checks.classification import Record as ClassificationRecord
from scoring.checks.classification import add_texts, derive_metrics
from scoring.entries import Entry
from scoring.metrics import ACCURACY_METRICS
from scoring.registry import register

K_VALUES = (8, 64, 512)


class ProbeArgs(Args):
    dataset: str = "sst2"
    split: str = Field("dev", description="the split the probe is scored on")
    train_split: str = "train"
    options: hf.HFOptions = hf.HFOptions()
    ks: list[int] = Field(list(K_VALUES), description="examples per class, among 8, 64, 512; 'all' always runs")
    seeds: int = Field(5, ge=1, le=100, description="samples drawn for every k")
    C: float = Field(1.0, gt=0, description="inverse regularisation strength of the logistic regression")
    max_train: int | None = Field(None, ge=2, description="use only the first N train rows")

    @field_validator("ks")
    @classmethod
    def _known_k(cls, ks: list[int]) -> list[int]:
        unknown = [k for k in ks if k not in K_VALUES]
        if unknown:
            raise ValueError(f"k must be one of {', '.join(map(str, K_VALUES))} (got {unknown})")
        return ks


def k_shot_sample(labels: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k indices of each class, drawn without replacement."""
    picks = []
    for c in np.unique(labels):
        pool = np.flatnonzero(labels == c)
        if len(pool) < k:
            raise ValueError(f"class {c} has {len(pool)} train rows, fewer than k={k}")
        picks.append(rng.choice(pool, size=k, replace=False))
    return np.sort(np.concatenate(picks))


def fit_probe(x: np.ndarray, y: np.ndarray, c: float, seed: int):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=2000, random_state=seed).fit(x, y)


def _metrics_for_k(k: int, accs: list[float]) -> dict[str, float]:
    a = np.asarray(accs)
    return {f"accuracy_k{k}": float(a.mean()), f"accuracy_k{k}_sd": float(a.std(ddof=1)) if len(a) > 1 else 0.0}


@register
class LinearProbe(Check):
    name = "linear-probe"
    version = "3"
    Args = ProbeArgs
    Record = ClassificationRecord
    record_id = ("i",)
    metrics = {
        **ACCURACY_METRICS,
        **{f"accuracy_k{k}": Metric(f"Accuracy with {k} examples per class", "fraction", True,
                                    f"mean over seeds, {k} train examples per class") for k in K_VALUES},
        **{f"accuracy_k{k}_sd": Metric(f"SD over seeds ({k} per class)", "fraction", None,
                                       "standard deviation over seeds") for k in K_VALUES},
        "n_train": Metric("Train examples", "count", None),
        "dimensions": Metric("Embedding dimensions", "count", None),
    }

    def adapters(self, entry: Entry, args: ProbeArgs) -> list[str]:
        return [encoders.ONNX_MODULE] if encoders.is_onnx(entry) else []

    def derive(self, records: list[dict], result) -> Derived:
        """The all-data probe from its per-sentence records; each k from its per-seed accuracies."""
        out = derive_metrics(records, 0.5, result.provenance.seed)
        derived = {k: out[k] for k in ("accuracy", "accuracy_ci_low", "accuracy_ci_high", "n")}
        for k, row in (result.details.get("k_shot") or {}).items():
            if k != "all" and isinstance(row, dict) and isinstance(row.get("per_seed_correct"), list):
                n = row.get("n")
                if not isinstance(n, int) or n <= 0 or not all(isinstance(c, int) and 0 <= c <= n
                                                               for c in row["per_seed_correct"]):
                    raise ValueError(f"details.k_shot.{k}: per-seed correct counts must be whole numbers 0..n")
                derived.update(_metrics_for_k(int(k), [c / n for c in row["per_seed_correct"]]))
        return Derived(derived)

    def key_inputs(self, entry: Entry, args: ProbeArgs, ctx: Context) -> dict:
        return {f.path: f.sha256 for s in (args.train_split, args.split)
                for f in data.dataset_files(ctx, args.dataset, s)}

    def run(self, entry: Entry, args: ProbeArgs, ctx: Context) -> Outcome:
        train = data.split_file(ctx, args.dataset, args.train_split)
        dev = data.split_file(ctx, args.dataset, args.split)
        train_x_text, train_y = data.read_labelled_tsv(train.path)
        train_x_text, train_y = train_x_text[: args.max_train], np.asarray(train_y[: args.max_train])
        dev_text, dev_y = data.read_labelled_tsv(dev.path)
        dev_y = np.asarray(dev_y)
        encoder = encoders.encoder(entry, args.options.model_dump(), ctx)
        x_train, _ = encoders.cached_embeddings(encoder, train_x_text, train.spec.sha256, ctx, "embed train")
        x_dev, _ = encoders.cached_embeddings(encoder, dev_text, dev.spec.sha256, ctx, "embed dev")

        metrics: dict[str, float | int] = {}
        k_shot: dict[str, dict] = {}
        for k in ctx.bar(sorted(args.ks), desc="k-shot", unit="k"):
            correct = []
            for s in range(args.seeds):
                idx = k_shot_sample(train_y, k, np.random.default_rng([ctx.seed, k, s]))
                correct.append(int((fit_probe(x_train[idx], train_y[idx], args.C, s).predict(x_dev) == dev_y).sum()))
            accs = [c / len(dev_y) for c in correct]
            metrics.update(_metrics_for_k(k, accs))
            k_shot[str(k)] = {"mean": metrics[f"accuracy_k{k}"], "sd": metrics[f"accuracy_k{k}_sd"],
                              "min": min(accs), "max": max(accs), "per_seed_correct": correct, "n": len(dev_y)}
        probe = fit_probe(x_train, train_y, args.C, ctx.seed)
        p_pos = probe.predict_proba(x_dev)[:, list(probe.classes_).index(1)]
        preds = (p_pos >= 0.5).astype(int)
        correct = (preds == dev_y).astype(int)
        metrics["accuracy"] = float(correct.mean())
        metrics["accuracy_ci_low"], metrics["accuracy_ci_high"] = stats.bootstrap_mean_ci(correct, seed=ctx.seed)
        metrics.update(n=len(dev_y), n_train=len(train_y), dimensions=int(x_train.shape[1]))
        k_shot["all"] = {"mean": metrics["accuracy"], "train_rows": len(train_y)}
        examples = [{"i": i, "label": int(y), "p_positive": float(p), "pred": int(q)}
                    for i, (y, p, q) in enumerate(zip(dev_y, p_pos, preds, strict=True))]
        add_texts(examples, dev_text, ctx, args.dataset)
        return Outcome(
            metrics=metrics,
            details={"k_shot": k_shot, "pooling": encoders.POOLING, "seeds": args.seeds,
                     "probe": f"scikit-learn LogisticRegression(C={args.C:g}, lbfgs) on raw embeddings"},
            examples=examples,
            inputs={train.spec.path: train.spec.sha256, dev.spec.path: dev.spec.sha256},
            model=encoder.model,
            libraries={**hf.libraries(), "numpy": metadata.version("numpy"),
                       "scikit-learn": metadata.version("scikit-learn")},
        )
