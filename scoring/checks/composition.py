"""composition: what a corpus sample holds per subset, next to the composition its entry declares.

Documents are the sampling unit: shares of documents get Wilson 95% intervals, shares of bytes a
document bootstrap. A shard's partial is plain counts (documents, UTF-8 text bytes, a histogram of
document lengths per subset), so partials merge by addition in any order.
"""

from __future__ import annotations

from importlib import metadata

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from scoring import shards, stats
from scoring.check import Args, Context, Derived, Metric, Outcome, Shard
from scoring.checks import corpus
from scoring.entries import Entry, Url
from scoring.metrics import CORPUS_METRICS
from scoring.registry import register

EXACT_BITS = 12  # lengths below 2**12 bytes are kept exactly; longer ones to 12 significant bits (< 0.05% off)
MAX_SUBSETS = 1000
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_MAX_DOCS = 10_000
MEAN_DOC = Metric("Mean document bytes", "bytes", None)
MEDIAN_DOC = Metric("Median document bytes", "bytes", None)
P90_DOC = Metric("90th percentile document bytes", "bytes", None)


class DeclaredSubset(Args):
    raw_gib: float | None = Field(None, ge=0, description="raw size in GiB as published")
    weight_pct: float | None = Field(None, ge=0, le=100, description="share of the training mix, percent")
    epochs: float | None = Field(None, ge=0)
    mean_doc_kib: float | None = Field(None, gt=0, description="mean document size in KiB as published")


class CompositionArgs(corpus.CorpusArgs):
    declared: dict[str, DeclaredSubset] = Field({}, description="published composition, by subset name")
    declared_source: Url | None = None


def length_bin(n: int) -> int:
    shift = n.bit_length() - EXACT_BITS
    return n if shift <= 0 else (n >> shift) << shift


def quantile(hist: dict[int, int], q: float) -> float:
    """Quantile of the lengths a histogram holds, interpolated like numpy's default ('linear')."""
    values = sorted(hist)
    cum = np.cumsum([hist[v] for v in values])
    h = (cum[-1] - 1) * q
    lo = int(np.floor(h))

    def at(rank: int) -> int:
        return values[int(np.searchsorted(cum, rank, side="right"))]

    a, b = at(lo), at(min(lo + 1, int(cum[-1]) - 1))
    return float(a + (h - lo) * (b - a))


def _merge_hist(target: dict[int, int], source: dict) -> None:
    for k, v in source.items():
        target[int(k)] = target.get(int(k), 0) + v


def byte_share_intervals(hists: dict[str, dict[int, int]], seed: int, level: float = 0.95
                         ) -> tuple[dict[str, tuple[float, float]], str]:
    """95% interval of each subset's share of text bytes, documents being the sampling unit.

    Up to BOOTSTRAP_MAX_DOCS documents: a percentile bootstrap resampling documents. Beyond that,
    where the bootstrap and the normal approximation agree, the delta-method interval of a ratio
    estimator (which needs only per-subset sums, so it stays cheap for any corpus size).
    """
    names = sorted(hists)
    values = {s: np.array(sorted(hists[s]), dtype=float) for s in names}
    counts = {s: np.array([hists[s][int(v)] for v in values[s]]) for s in names}
    n = int(sum(c.sum() for c in counts.values()))
    alpha = (1 - level) / 2
    if n <= BOOTSTRAP_MAX_DOCS:
        lengths = np.concatenate([np.repeat(values[s], counts[s]) for s in names])
        label = np.concatenate([np.full(int(counts[s].sum()), i) for i, s in enumerate(names)])
        rng = np.random.default_rng(seed)
        shares = []
        for start in range(0, BOOTSTRAP_RESAMPLES, 100):
            b = min(100, BOOTSTRAP_RESAMPLES - start)
            idx = rng.integers(0, n, size=(b, n))
            cell = (np.arange(b)[:, None] * len(names) + label[idx]).ravel()
            sums = np.bincount(cell, weights=lengths[idx].ravel(), minlength=b * len(names)).reshape(b, len(names))
            shares.append(sums / sums.sum(axis=1, keepdims=True))
        low, high = np.quantile(np.vstack(shares), [alpha, 1 - alpha], axis=0)
        method = f"percentile bootstrap over documents, {BOOTSTRAP_RESAMPLES:,} resamples"
        return {s: (float(low[i]), float(high[i])) for i, s in enumerate(names)}, method
    from statistics import NormalDist

    z = NormalDist().inv_cdf(1 - alpha)
    total = sum(float((values[s] * counts[s]).sum()) for s in names)
    squares = {s: float((values[s] ** 2 * counts[s]).sum()) for s in names}
    all_squares = sum(squares.values())
    out = {}
    for s in names:
        r = float((values[s] * counts[s]).sum()) / total
        spread = (n / total) ** 2 * ((1 - r) ** 2 * squares[s] + r * r * (all_squares - squares[s]))
        se = (spread / (n * (n - 1))) ** 0.5
        out[s] = (max(0.0, r - z * se), min(1.0, r + z * se))
    return out, f"delta-method normal interval of a ratio (more than {BOOTSTRAP_MAX_DOCS:,} documents)"


def _length_stats(hist: dict[int, int], docs: int, text_bytes: int) -> dict:
    if not docs:
        return {"mean_doc_bytes": None, "median_doc_bytes": None, "p90_doc_bytes": None}
    return {"mean_doc_bytes": text_bytes / docs, "median_doc_bytes": quantile(hist, 0.5),
            "p90_doc_bytes": quantile(hist, 0.9)}


def declared_shares(declared: dict[str, DeclaredSubset]) -> dict[str, dict]:
    """Raw-byte share from raw GiB; document share derived as (raw GiB / mean document KiB), normalised."""
    raw = {k: d.raw_gib for k, d in declared.items() if d.raw_gib is not None}
    docs = {k: d.raw_gib * 2**20 / d.mean_doc_kib for k, d in declared.items()
            if d.raw_gib is not None and d.mean_doc_kib is not None}
    total_raw, total_docs = sum(raw.values()), sum(docs.values())
    out = {}
    for name, d in declared.items():
        out[name] = {
            "declared_weight": None if d.weight_pct is None else d.weight_pct / 100,
            "declared_byte_share": raw[name] / total_raw if name in raw and total_raw else None,
            "declared_doc_share": docs[name] / total_docs if name in docs and total_docs else None,
            "declared_mean_doc_bytes": None if d.mean_doc_kib is None else d.mean_doc_kib * 1024,
            "declared_epochs": d.epochs,
        }
    return out


class Record(BaseModel):
    """One subset of one shard: its documents, their UTF-8 text bytes and a histogram of their lengths."""

    model_config = ConfigDict(extra="forbid", strict=True)

    shard: str
    subset: str
    documents: int = Field(ge=1)
    text_bytes: int = Field(ge=0)
    lengths: dict[str, int]


def numbers(records: list[dict], declared_args: dict, seed: int) -> tuple[dict, dict, list[str], str]:
    """Metrics, the per-subset table, the absent declared subsets and the byte-share interval method,
    from (shard, subset) records."""
    docs: dict[str, int] = {}
    nbytes: dict[str, int] = {}
    hists: dict[str, dict[int, int]] = {}
    for r in records:
        if sum(r["lengths"].values()) != r["documents"]:
            raise ValueError(f"{r['shard']} {r['subset']}: the length histogram holds "
                             f"{sum(r['lengths'].values())} documents, the record says {r['documents']}")
        s = r["subset"]
        docs[s] = docs.get(s, 0) + r["documents"]
        nbytes[s] = nbytes.get(s, 0) + r["text_bytes"]
        _merge_hist(hists.setdefault(s, {}), r["lengths"])
    n, total = sum(docs.values()), sum(nbytes.values())
    declared = declared_shares(declared_args)
    intervals, method = byte_share_intervals(hists, seed) if n else ({}, "none (no documents)")
    rows = {}
    for s in sorted(set(docs) | set(declared)):
        k, b = docs.get(s, 0), nbytes.get(s, 0)
        lo, hi = stats.wilson_ci(k, n)
        blo, bhi = intervals.get(s, (None, None))
        rows[s] = {
            "documents": k, "text_bytes": b,
            "doc_share": k / n if n else None, "doc_share_ci_low": lo, "doc_share_ci_high": hi,
            "byte_share": b / total if total else None, "byte_share_ci_low": blo, "byte_share_ci_high": bhi,
            **_length_stats(hists.get(s, {}), k, b),
            **declared.get(s, {}),
        }
    all_hist: dict[int, int] = {}
    for h in hists.values():
        _merge_hist(all_hist, h)
    absent = sorted(s for s in declared if not docs.get(s))
    metrics = {
        "documents": n, "text_bytes": total, **_length_stats(all_hist, n, total),
        "subsets_present": len(docs), "subsets_declared": len(declared), "subsets_absent": len(absent),
    }
    return {k: v for k, v in metrics.items() if v is not None}, rows, absent, method


@register
class Composition(corpus.CorpusCheck):
    name = "composition"
    version = "2"
    Args = CompositionArgs
    Record = Record
    record_id = ("shard", "subset")
    metrics = {
        **CORPUS_METRICS,
        "mean_doc_bytes": MEAN_DOC, "median_doc_bytes": MEDIAN_DOC, "p90_doc_bytes": P90_DOC,
        "subsets_present": Metric("Subsets in the sample", "count", None),
        "subsets_declared": Metric("Subsets declared", "count", None),
        "subsets_absent": Metric("Declared subsets absent from the sample", "count", None,
                                 "declared subsets with no document in the sample"),
        "files": Metric("Files read", "count", None),
    }
    detail_metrics = {
        "documents": CORPUS_METRICS["documents"], "text_bytes": CORPUS_METRICS["text_bytes"],
        "mean_doc_bytes": MEAN_DOC, "median_doc_bytes": MEDIAN_DOC, "p90_doc_bytes": P90_DOC,
        "doc_share": Metric("Share of documents", "fraction", None, interval=("doc_share_ci_low", "doc_share_ci_high")),
        "doc_share_ci_low": Metric("Share of documents 95% CI low", "fraction", None, "Wilson score interval"),
        "doc_share_ci_high": Metric("Share of documents 95% CI high", "fraction", None, "Wilson score interval"),
        "byte_share": Metric("Share of text bytes", "fraction", None,
                             interval=("byte_share_ci_low", "byte_share_ci_high")),
        "byte_share_ci_low": Metric("Share of text bytes 95% CI low", "fraction", None),
        "byte_share_ci_high": Metric("Share of text bytes 95% CI high", "fraction", None),
        "declared_weight": Metric("Declared weight in the training mix", "fraction", None),
        "declared_byte_share": Metric("Declared share of raw bytes", "fraction", None),
        "declared_doc_share": Metric("Declared share of documents (derived)", "fraction", None),
        "declared_mean_doc_bytes": Metric("Declared mean document bytes", "bytes", None),
        "declared_epochs": Metric("Declared epochs", "other", None),
    }

    def run_shard(self, entry: Entry, args: CompositionArgs, ctx: Context, shard: Shard) -> dict:
        bad = shards.BadLines()
        acc: dict[str, list] = {}  # subset -> [documents, text bytes, {length bin: count}]
        for doc in ctx.bar(corpus.documents(entry, args, ctx, shard, bad), desc=f"composition {shard.name}",
                           unit="doc"):
            row = acc.get(doc.subset)
            if row is None:
                if len(acc) >= MAX_SUBSETS:
                    bad.add(shard.name, doc.line, "too many subsets", f"more than {MAX_SUBSETS} distinct names")
                    continue
                row = acc[doc.subset] = [0, 0, {}]
            n = shards.utf8_len(doc.text)
            row[0] += 1
            row[1] += n
            b = length_bin(n)
            row[2][b] = row[2].get(b, 0) + 1
        subsets = {s: {"documents": d, "text_bytes": t, "lengths": {str(k): v for k, v in sorted(h.items())}}
                   for s, (d, t, h) in sorted(acc.items())}
        return {"shard": shard.name, "sha256": shard.sha256, "subsets": subsets, "bad_lines": bad.as_dict()}

    def derive(self, records: list[dict], result) -> Derived:
        args = CompositionArgs.model_validate(result.config)
        metrics, rows, _, _ = numbers(records, args.declared, result.provenance.seed)
        return Derived(metrics, {"subsets": rows})

    def merge(self, entry: Entry, args: CompositionArgs, ctx: Context, partials: list[dict]) -> Outcome:
        records = [{"shard": p["shard"], "subset": s, **row} for p in partials for s, row in sorted(p["subsets"].items())]
        metrics, rows, absent, interval_method = numbers(records, args.declared, ctx.seed)
        n = metrics["documents"]
        bad = shards.merge_bad_lines([p["bad_lines"] for p in partials])
        metrics.update(bad_lines=bad["count"], files=len(partials))
        present = {r["subset"] for r in records}
        return Outcome(
            metrics=metrics,
            details={
                "sample": corpus.sample(entry, args, ctx, n),
                "subsets": rows,
                "absent_declared_subsets": absent,
                "undeclared_subsets": sorted(s for s in present if args.declared and s not in args.declared),
                "declared_source": args.declared_source,
                "bad_lines": bad,
                "method": {
                    "unit": "documents are the sampling unit; text bytes are UTF-8 bytes of the text field",
                    "doc_share_interval": "Wilson score interval, 95%",
                    "byte_share_interval": f"{interval_method}, 95%",
                    "lengths": f"median and p90 from a length histogram, exact below {1 << EXACT_BITS:,} bytes, "
                               "within 0.05% above",
                    "declared_doc_share": "derived from the declared raw GiB / mean document KiB of each subset",
                },
            },
            examples=records,
            inputs={p["shard"]: p["sha256"] for p in partials},
            libraries={"orjson": metadata.version("orjson"), "zstandard": metadata.version("zstandard"),
                       "numpy": metadata.version("numpy")},
        )
