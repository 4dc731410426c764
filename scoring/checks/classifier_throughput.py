"""classifier-throughput: sentences per second of any classifier adapter (lexicons, TF-IDF) on a split.

Times the adapter's own ``scores`` over the split's sentences, best of ``repeats`` passes, after one
untimed warm-up pass; a trained adapter is trained first (not timed). One process, as the adapter
runs it, on one core (lexicons are single-threaded Python; numeric libraries get one thread). Each
pass is followed by one unit of the reference workload on one core (scoring/reference_work.py):
sentences per reference unit is what compares across machines and moments.
"""

from __future__ import annotations

import os
import time
from importlib import metadata

from pydantic import Field
from threadpoolctl import threadpool_limits

from scoring import adapters, data, reference_work
from scoring.check import Check, Context, Metric, Outcome
from scoring.checks.classification import ClassifierChoice
from scoring.entries import Entry
from scoring.machine import cpu_name
from scoring.metrics import RELATIVE_SPEED_METRICS, SECONDS, SENTENCES_PER_S, N
from scoring.registry import register


class ClassifierThroughputArgs(ClassifierChoice):
    dataset: str = Field("sst2", description="dataset entry id")
    split: str = "dev"
    train_split: str | None = Field(None, description="split a trained adapter learns from first (not timed)")
    repeats: int = Field(7, ge=1, le=20, description="timed rounds; the fastest pass is reported, the median "
                                                          "round's ratio to the reference ranks")


@register
class ClassifierThroughput(Check):
    name = "classifier-throughput"
    version = "3"
    exclusive = True  # timings are only fair with nothing else running
    Args = ClassifierThroughputArgs
    metrics = {
        "sentences_per_s": SENTENCES_PER_S,
        "seconds": SECONDS,
        "n": N,
        "repeats": Metric("Timed passes", "count", None),
        **RELATIVE_SPEED_METRICS,
    }

    def adapters(self, entry: Entry, args: ClassifierThroughputArgs) -> list[str]:
        return adapters.classifier_modules(args.classifier, args.options)

    def key_inputs(self, entry: Entry, args: ClassifierThroughputArgs, ctx: Context) -> dict:
        splits = [args.split] + ([args.train_split] if args.train_split else [])
        return {f.path: f.sha256 for s in splits for f in data.dataset_files(ctx, args.dataset, s)}

    def run(self, entry: Entry, args: ClassifierThroughputArgs, ctx: Context) -> Outcome:
        split = data.split_file(ctx, args.dataset, args.split)
        sentences = data.read_labelled_tsv(split.path)[0]
        inputs = {split.spec.path: split.spec.sha256}
        quiet = Context(ctx.data_dir, ctx.catalog, ctx.cache_dir, ctx.seed, show_progress=False,
                        models_dir=ctx.models_dir)
        clf = adapters.classifier(args.classifier, entry, args.options, quiet)
        if args.train_split:
            train = data.split_file(ctx, args.dataset, args.train_split)
            clf.fit(*data.read_labelled_tsv(train.path), quiet)
            inputs[train.spec.path] = train.spec.sha256
        clf.scores(sentences[:64], quiet)  # warm-up: imports, caches, lazily built tables

        t0 = time.perf_counter()
        clf.scores(sentences, quiet)
        # a round repeats the pass to last about as long as a reference unit: a short pass under a load
        # takes its luck from a few time slices, a long one averages them like the reference does
        passes = max(1, min(100, round(reference_work.ROUND_S / max(time.perf_counter() - t0, 1e-6))))

        def one_pass() -> float:
            with threadpool_limits(1):  # one core, like the reference unit it is compared with
                t0 = time.perf_counter()
                for _ in range(passes):
                    clf.scores(sentences, quiet)
                return (time.perf_counter() - t0) / passes

        load = [round(os.getloadavg()[0], 2)]
        with reference_work.Reference(1) as ref:
            times, ref_times = reference_work.interleaved(
                one_pass, ref, args.repeats, lambda it: ctx.bar(it, desc="timing", unit="pass"))
        load.append(round(os.getloadavg()[0], 2))
        best = min(times)
        return Outcome(
            metrics={"sentences_per_s": len(sentences) / best, "seconds": best, "n": len(sentences),
                     "repeats": args.repeats, **reference_work.sentence_metrics(len(sentences), times, ref_times)},
            details={"hardware": {"cpu": cpu_name(), "logical_cores": os.cpu_count()},
                     "timing": {"repeats": args.repeats, "passes_per_round": passes, "seconds": times,
                                "reference_seconds": ref_times, "reference_cores": 1, "load_average": load},
                     "method": "the adapter's own scores() over every sentence of the split, one process; "
                               "best of the timed passes after one warm-up; each pass followed by one unit of "
                               "the reference workload on one core"},
            inputs=inputs,
            model=clf.model,
            libraries={"numpy": metadata.version("numpy"), **getattr(clf, "libraries", {})},
        )
