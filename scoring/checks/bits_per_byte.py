"""bits-per-byte: how well a model (or a compressor) predicts a corpus, per subset and overall.

Per document: a log-likelihood in nats (a compressor's is -8 ln 2 x its compressed bytes) and the
UTF-8 bytes of its text. A shard's partial is that list of documents, so partials merge by
concatenation; the aggregate is -sum(ll) / (sum(bytes) ln 2), with a bootstrap over documents.

Protocols are named in every result and never ranked together:
- rolling: lm-evaluation-harness's loglikelihood_rolling (each window after the first conditioned on
  one token);
- sliding: overlapping windows, every scored token after the first window sees min_context tokens
  (The Pile paper's evaluation);
- compressor: each document compressed on its own, whole format included.
"""

from __future__ import annotations

import math
import os
import statistics
import sys
import time
from importlib import metadata
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from scoring import reference_work, shards, stats
from scoring.adapters import compressors
from scoring.check import Context, Derived, Metric, Outcome, Shard, machine
from scoring.checks import corpus
from scoring.entries import Entry
from scoring.metrics import CORPUS_METRICS
from scoring.registry import register

LN2 = math.log(2)
# A language model's log-likelihoods move in the last float32 digits with the thread count; a
# compressor's never do. 1e-4 bits per byte is far below any difference the site reports.
_LM_TOL = {"tolerance": "close", "abs_tol": 1e-4}
BPB = Metric("Bits per byte", "bits/byte", False, "-sum(ll) / (sum(bytes) ln 2) over documents",
             interval=("bits_per_byte_ci_low", "bits_per_byte_ci_high"), **_LM_TOL)


class Record(BaseModel):
    """One scored document: where it is, its subset, UTF-8 bytes, tokens and log-likelihood in nats."""

    model_config = ConfigDict(extra="forbid", strict=True)

    shard: str
    line: int = Field(ge=1)
    subset: str
    bytes: int = Field(ge=1)
    tokens: int | None = Field(None, ge=0)
    ll: float = Field(le=0)
    bits_per_byte: float | None = None
PROTOCOLS = {
    "rolling": "lm-evaluation-harness loglikelihood_rolling: the first window starts with the prefix token; "
               "each later window scores `window` new tokens conditioned on one preceding token (the last "
               "window takes a full window of context)",
    "sliding": "overlapping windows: each window scores `window - min_context + 1` new tokens, so every token "
               "after the first window sees at least `min_context` tokens of context",
    "compressor": "each document compressed on its own with the named compressor, headers and checksums included; "
                  "bits = 8 x compressed bytes",
}


class BitsPerByteArgs(corpus.CorpusArgs):
    dataset: str = Field("the-pile", description="dataset entry id")
    protocol: Literal["rolling", "sliding", "compressor"]
    window: int | None = Field(None, ge=2, le=1 << 17, description="tokens per window (rolling, sliding)")
    min_context: int | None = Field(None, ge=1, description="sliding: tokens of context every scored token sees")
    gguf_file: str | None = Field(None, max_length=200, description="GGUF file inside the pinned package")
    compressor: Literal["zstd", "gzip", "xz"] | None = None
    level: int | None = Field(None, ge=-7, le=22)

    @model_validator(mode="after")
    def _consistent(self):
        if self.protocol == "compressor":
            if self.compressor is None or self.window is not None or self.min_context is not None:
                raise ValueError("protocol 'compressor' needs 'compressor' and takes no window or min_context")
        else:
            if self.window is None or self.compressor is not None:
                raise ValueError(f"protocol {self.protocol!r} needs 'window' and takes no compressor")
            if self.protocol == "rolling" and self.min_context not in (None, 1):
                raise ValueError("protocol 'rolling' conditions on one token: leave min_context out")
            if self.protocol == "sliding" and not (self.min_context and 1 < self.min_context < self.window):
                raise ValueError("protocol 'sliding' needs 1 < min_context < window")
        return self

    @property
    def context(self) -> int:
        return self.min_context or 1


def aggregate(docs: list[dict], seed: int) -> dict:
    """BPB of a list of {ll, bytes} documents with a 95% bootstrap interval over documents."""
    bits = [-d["ll"] / LN2 for d in docs]
    nbytes = [d["bytes"] for d in docs]
    total_bytes = sum(nbytes)
    bpb = sum(bits) / total_bytes
    low, high = stats.bootstrap_ratio_ci(bits, nbytes, seed=seed) if len(docs) > 1 else (None, None)
    out = {"documents": len(docs), "text_bytes": total_bytes, "bits_per_byte": bpb,
           "bits_per_byte_ci_low": low, "bits_per_byte_ci_high": high}
    if all(d.get("tokens") is not None for d in docs):
        tokens = sum(d["tokens"] for d in docs)
        out.update(tokens=tokens, bytes_per_token=total_bytes / tokens if tokens else None)
    return out


def _torch_threads() -> int:
    """The threads the loaded language model runs on (the reference workload takes as many cores)."""
    torch = sys.modules.get("torch")
    return torch.get_num_threads() if torch is not None else 1


@register
class BitsPerByte(corpus.CorpusCheck):
    name = "bits-per-byte"
    version = "3"
    Args = BitsPerByteArgs
    exclusive = True  # reports tokens per second
    Record = Record
    record_id = ("shard", "line")
    metrics = {
        "bits_per_byte": BPB,
        "bits_per_byte_ci_low": Metric("Bits per byte 95% CI low", "bits/byte", False,
                                       "95% bootstrap interval over documents, low end", **_LM_TOL),
        "bits_per_byte_ci_high": Metric("Bits per byte 95% CI high", "bits/byte", False,
                                        "95% bootstrap interval over documents, high end", **_LM_TOL),
        "byte_perplexity": Metric("Byte perplexity", "other", False, "2 ** bits_per_byte",
                                  tolerance="close", abs_tol=5e-4),
        **CORPUS_METRICS,
        "tokens": Metric("Tokens scored", "count", None),
        "bytes_per_token": Metric("Bytes per token", "other", None),
        "tokens_per_s": machine("Tokens per second", description="tokens scored per second of model time"),
        "tokens_per_unit": Metric("Tokens per reference unit", "other", True,
                                  "tokens scored in the time this machine takes for one unit of the reference "
                                  "workload on the same cores, timed after every document",
                                  tolerance="machine", interval=("tokens_per_unit_low", "tokens_per_unit_high")),
        "tokens_per_unit_low": machine("Tokens per reference unit, slowest reference round", "other"),
        "tokens_per_unit_high": machine("Tokens per reference unit, fastest reference round", "other"),
    }
    detail_metrics = {"bits_per_byte": BPB}

    def derive(self, records: list[dict], result) -> Derived:
        """Every aggregate and per-subset number from the per-document (ll, bytes) records."""
        for r in records:
            if r["bytes"] <= 0:
                raise ValueError(f"document {r['shard']}:{r['line']} has {r['bytes']} bytes")
            if r.get("bits_per_byte") is not None and r["bits_per_byte"] != -r["ll"] / LN2 / r["bytes"]:
                raise ValueError(f"document {r['shard']}:{r['line']}: bits_per_byte {r['bits_per_byte']} is not "
                                 "-ll / (bytes ln 2)")
        docs = sorted(records, key=lambda d: (d["shard"], d["line"]))
        seed = result.provenance.seed
        overall = aggregate(docs, seed)
        metrics = {**overall, "byte_perplexity": 2 ** overall["bits_per_byte"]}
        subsets = {name: aggregate([d for d in docs if d["subset"] == name], seed)
                   for name in sorted({d["subset"] for d in docs})}
        return Derived({k: v for k, v in metrics.items() if v is not None}, {"subsets": subsets})

    def __init__(self) -> None:
        self._lm = None  # loaded once per process, reused across shards

    def _scorer(self, entry: Entry, args: BitsPerByteArgs, ctx: Context):
        """text -> (ll in nats, tokens or None), plus what to record about the model."""
        if args.protocol == "compressor":
            tool = compressors.make(args.compressor, args.level)
            return (lambda text: (-8 * LN2 * len(tool.compress(text.encode("utf-8"))), None)), \
                {"compressor": tool.description, **compressors.library_versions()}
        from scoring.adapters import causal_lm

        if self._lm is None:
            self._lm = causal_lm.load(entry, args.gguf_file, models_dir=ctx.models_dir)
        lm = self._lm
        return (lambda text: lm.loglikelihood(text, args.window, args.context)), lm.info

    def run_shard(self, entry: Entry, args: BitsPerByteArgs, ctx: Context, shard: Shard) -> dict:
        score, model = self._scorer(entry, args, ctx)
        load = [round(os.getloadavg()[0], 2)]
        bad = shards.BadLines()
        items, empty, seconds, ref_seconds = [], 0, 0.0, []
        # a language model's speed is timed in turns with the reference workload on the same cores
        ref = None if args.protocol == "compressor" else reference_work.Reference(_torch_threads())
        try:
            for doc in ctx.bar(corpus.documents(entry, args, ctx, shard, bad), desc=f"{args.protocol} {shard.name}",
                               unit="doc"):
                if not doc.text:
                    empty += 1
                    continue
                t0 = time.perf_counter()
                ll, tokens = score(doc.text)
                seconds += time.perf_counter() - t0
                if ref is not None:
                    ref_seconds.append(ref.seconds())
                items.append({"shard": shard.name, "line": doc.line, "subset": doc.subset, "ll": ll,
                              "bytes": shards.utf8_len(doc.text), "tokens": tokens})
        finally:
            if ref is not None:
                ref.close()
        load.append(round(os.getloadavg()[0], 2))
        return {"shard": shard.name, "sha256": shard.sha256, "documents": items, "empty_documents": empty,
                "seconds": seconds, "reference_seconds": ref_seconds, "load_average": load, "model": model,
                "bad_lines": bad.as_dict()}

    def merge(self, entry: Entry, args: BitsPerByteArgs, ctx: Context, partials: list[dict]) -> Outcome:
        docs = sorted((d for p in partials for d in p["documents"]), key=lambda d: (d["shard"], d["line"]))
        if not docs:
            raise ValueError("no document to score")
        overall = aggregate(docs, ctx.seed)
        subsets = {}
        for name in sorted({d["subset"] for d in docs}):
            subsets[name] = aggregate([d for d in docs if d["subset"] == name], ctx.seed)
        seconds = sum(p["seconds"] for p in partials)
        bad = shards.merge_bad_lines([p["bad_lines"] for p in partials])
        metrics = {**overall, "byte_perplexity": 2 ** overall["bits_per_byte"], "bad_lines": bad["count"]}
        if overall.get("tokens") and seconds:
            metrics["tokens_per_s"] = overall["tokens"] / seconds
            refs = [s for p in partials for s in p.get("reference_seconds") or []]
            if refs:  # the model's time in units of the reference workload timed beside it
                metrics.update(tokens_per_unit=overall["tokens"] * statistics.median(refs) / seconds,
                               tokens_per_unit_low=overall["tokens"] * min(refs) / seconds,
                               tokens_per_unit_high=overall["tokens"] * max(refs) / seconds)
        metrics = {k: v for k, v in metrics.items() if v is not None}
        protocol = {"name": args.protocol, "description": PROTOCOLS[args.protocol]}
        if args.protocol != "compressor":
            protocol.update(window=args.window, min_context=args.context)
        examples = [{"shard": d["shard"], "line": d["line"], "subset": d["subset"], "bytes": d["bytes"],
                     "tokens": d["tokens"], "ll": d["ll"], "bits_per_byte": -d["ll"] / LN2 / d["bytes"]}
                    for d in docs]
        return Outcome(
            metrics=metrics,
            details={
                "protocol": protocol,
                "sample": corpus.sample(entry, args, ctx, len(docs)),
                "subsets": subsets,
                "empty_documents_skipped": sum(p["empty_documents"] for p in partials),
                "load_average": {p["shard"]: p.get("load_average") for p in partials},
                "bad_lines": bad,
                "method": {
                    "aggregate": "-sum(ll) / (sum(bytes) ln 2): documents weighted by their bytes; ll in nats, "
                                 "bytes = UTF-8 bytes of the text field",
                    "interval": "95% percentile bootstrap over documents (2,000 resamples); none for one document",
                    "speed": "tokens per second of model forward time, load time excluded; after every document "
                             "one unit of the reference workload runs on the same cores, and tokens per reference "
                             "unit (median reference time) is what ranks; the machine's 1-minute load average at "
                             "the start and end of each shard is in load_average",
                },
            },
            examples=examples,
            inputs={p["shard"]: p["sha256"] for p in partials},
            model=partials[0]["model"],
            libraries={k: metadata.version(k) for k in ("torch", "transformers", "gguf", "numpy")
                       if args.protocol != "compressor" or k == "numpy"},
        )
