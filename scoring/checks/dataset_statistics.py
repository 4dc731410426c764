"""dataset-statistics: sizes, label balance, sentence lengths and exact duplicates of a labelled
train/dev pair, including dev sentences that also appear in train (leakage)."""

from __future__ import annotations

from collections import Counter
from importlib import metadata

import numpy as np
from pydantic import Field

from scoring import data
from scoring.check import Args, Check, Context, Derived, Metric, Outcome
from scoring.entries import Entry
from scoring.registry import register

SPLITS = ("train", "dev")
SHOWN = 10


class DatasetStatisticsArgs(Args):
    dataset: str | None = Field(None, description="dataset entry id; default: the entry itself")
    train: str = Field("train", description="the split used as train")
    dev: str = Field("dev", description="the split used as dev")


def _metrics() -> dict[str, Metric]:
    out = {}
    for s in SPLITS:
        t = s.capitalize()
        out.update({
            f"{s}_rows": Metric(f"{t} rows", "count", None),
            f"{s}_label_0": Metric(f"{t} label 0 (negative)", "count", None),
            f"{s}_label_1": Metric(f"{t} label 1 (positive)", "count", None),
            f"{s}_positive_share": Metric(f"{t} share positive", "fraction", None),
            f"{s}_mean_words": Metric(f"{t} mean words per sentence", "other", None),
            f"{s}_median_words": Metric(f"{t} median words per sentence", "other", None),
            f"{s}_p90_words": Metric(f"{t} 90th percentile words per sentence", "other", None),
            f"{s}_max_words": Metric(f"{t} longest sentence (words)", "count", None),
            f"{s}_duplicate_rows": Metric(f"{t} rows repeating an earlier sentence", "count", False,
                                          "rows whose sentence appeared earlier in the split"),
            f"{s}_conflicting_sentences": Metric(f"{t} sentences with both labels", "count", False,
                                                 "sentences that occur with both labels"),
        })
    out["dev_majority_share"] = Metric("Dev majority-class share", "fraction", None,
                                       "accuracy of always predicting dev's majority label")
    out["dev_in_train_rows"] = Metric("Dev rows also in train", "count", False,
                                      "dev rows whose exact sentence is also in train")
    out["dev_in_train_label_mismatch"] = Metric("Dev rows in train with another label", "count", False,
                                                "of those, rows whose train label differs")
    return out


def split_stats(prefix: str, sentences: list[str], labels: list[int]) -> tuple[dict, list[dict]]:
    words = np.array([len(s.split()) for s in sentences])
    counts = Counter(labels)
    seen: dict[str, set[int]] = {}
    duplicates = 0
    for s, y in zip(sentences, labels, strict=True):
        duplicates += s in seen
        seen.setdefault(s, set()).add(y)
    repeated = Counter(sentences)
    shown = [{"sentence": s[:200], "rows": n, "labels": sorted(seen[s])}
             for s, n in sorted(repeated.items(), key=lambda kv: (-kv[1], kv[0])) if n > 1][:SHOWN]
    metrics = {
        f"{prefix}_rows": len(sentences),
        f"{prefix}_label_0": counts.get(0, 0), f"{prefix}_label_1": counts.get(1, 0),
        f"{prefix}_positive_share": counts.get(1, 0) / len(labels),
        f"{prefix}_mean_words": float(words.mean()), f"{prefix}_median_words": float(np.median(words)),
        f"{prefix}_p90_words": float(np.quantile(words, 0.9)), f"{prefix}_max_words": int(words.max()),
        f"{prefix}_duplicate_rows": duplicates,
        f"{prefix}_conflicting_sentences": sum(len(v) > 1 for v in seen.values()),
    }
    return metrics, shown


@register
class DatasetStatistics(Check):
    name = "dataset-statistics"
    version = "1"
    Args = DatasetStatisticsArgs
    metrics = _metrics()

    def derive(self, records: list[dict], result) -> Derived:
        """Shares from the label counts, which must add up to the rows."""
        m, out = result.metrics, {}
        for s in SPLITS:
            rows, zero, one = (m.get(f"{s}_{k}") for k in ("rows", "label_0", "label_1"))
            if isinstance(rows, int) and isinstance(zero, int) and isinstance(one, int) and rows > 0:
                if zero + one != rows:
                    raise ValueError(f"{s}_label_0 + {s}_label_1 = {zero + one}, but {s}_rows is {rows}")
                out[f"{s}_positive_share"] = one / rows
                if s == "dev":
                    out["dev_majority_share"] = max(zero, one) / rows
        return Derived(out)

    def _files(self, entry: Entry, args: DatasetStatisticsArgs, ctx: Context) -> dict[str, data.DataFile]:
        dataset = args.dataset or entry.id
        return {role: data.dataset_files(ctx, dataset, split)[0]
                for role, split in (("train", args.train), ("dev", args.dev))}

    def key_inputs(self, entry: Entry, args: DatasetStatisticsArgs, ctx: Context) -> dict:
        return {f.path: f.sha256 for f in self._files(entry, args, ctx).values()}

    def run(self, entry: Entry, args: DatasetStatisticsArgs, ctx: Context) -> Outcome:
        dataset = args.dataset or entry.id
        rows, resolved, metrics, repeats = {}, {}, {}, {}
        for role, split in (("train", args.train), ("dev", args.dev)):
            resolved[role] = data.split_file(ctx, dataset, split)
            rows[role] = data.read_labelled_tsv(resolved[role].path)
            found, repeats[role] = split_stats(role, *rows[role])
            metrics.update(found)
        if not rows["train"][0] or not rows["dev"][0]:
            raise ValueError("a split has no rows")
        metrics["dev_majority_share"] = max(metrics["dev_label_0"], metrics["dev_label_1"]) / metrics["dev_rows"]
        train_labels: dict[str, set[int]] = {}
        for s, y in zip(*rows["train"], strict=True):
            train_labels.setdefault(s, set()).add(y)
        leaked = [(s, y) for s, y in zip(*rows["dev"], strict=True) if s in train_labels]
        metrics["dev_in_train_rows"] = len(leaked)
        metrics["dev_in_train_label_mismatch"] = sum(train_labels[s] != {y} for s, y in leaked)
        return Outcome(
            metrics=metrics,
            details={
                "splits": {role: {"split": split, "file": resolved[role].spec.path}
                           for role, split in (("train", args.train), ("dev", args.dev))},
                "repeated_train_sentences": repeats["train"],
                "repeated_dev_sentences": repeats["dev"],
                "dev_sentences_in_train": [{"sentence": s[:200], "dev_label": y, "train_labels": sorted(train_labels[s])}
                                           for s, y in leaked[:SHOWN]],
                "method": "sentences compared exactly after stripping surrounding whitespace; words split on "
                          "whitespace (the text is already tokenized); label 1 is positive",
            },
            inputs={r.spec.path: r.spec.sha256 for r in resolved.values()},
            libraries={"numpy": metadata.version("numpy")},
        )
