"""compression: zstd vs gzip vs xz on the same corpus bytes — size ratio, speed, and bits per byte.

Each shard's decompressed bytes (up to ``max_bytes``) are compressed by every compressor, checked to
round-trip, and decompressed repeatedly; compressors take turns within each timing round so that
load on the machine hits them alike. Partials are sums (bytes, seconds), so they merge in any order.
"""

from __future__ import annotations

import time

from pydantic import Field

from scoring import shards
from scoring.adapters import compressors
from scoring.check import Context, Derived, Metric, Outcome, Shard, machine
from scoring.checks import corpus
from scoring.entries import Entry
from scoring.registry import register

NAMES = ("zstd", "gzip", "xz")


class CompressionArgs(corpus.CorpusArgs):
    zstd_level: int = Field(3, ge=-7, le=22)
    gzip_level: int = Field(6, ge=1, le=9)
    xz_level: int = Field(6, ge=0, le=9)
    max_bytes: int = Field(64 << 20, ge=1024, description="bytes read from each shard (its start)")
    timing_rounds: int = Field(5, ge=1, le=50)
    min_round_seconds: float = Field(0.05, gt=0, le=10)


def _metrics() -> dict[str, Metric]:
    out = {"raw_bytes": Metric("Uncompressed bytes", "bytes", None, "uncompressed bytes measured")}
    for c in NAMES:
        out[f"{c}_compressed_bytes"] = Metric(f"{c} compressed bytes", "bytes", False)
        out[f"{c}_ratio"] = Metric(f"{c} compression ratio", "ratio", True, "raw bytes / compressed bytes")
        out[f"{c}_bits_per_byte"] = Metric(f"{c} bits per byte", "bits/byte", False, "8 x compressed / raw bytes")
        out[f"{c}_compress_mb_s"] = machine(f"{c} compression MB/s", description="MB (10^6 bytes) of input per second, one run")
        out[f"{c}_decompress_mb_s"] = machine(f"{c} decompression MB/s", description="MB of output per second, best round")
    out["zstd_vs_gzip_decompression_speed"] = machine("zstd vs gzip decompression speed", "ratio",
                                                      description="zstd decompression MB/s / gzip's")
    out["zstd_vs_gzip_size"] = Metric("gzip size / zstd size", "ratio", True, "gzip compressed bytes / zstd compressed bytes")
    return out


def _ratios(raw: int, packed: dict[str, int]) -> dict[str, float]:
    out = {}
    for n, size in packed.items():
        out[f"{n}_ratio"], out[f"{n}_bits_per_byte"] = raw / size, 8 * size / raw
    out["zstd_vs_gzip_size"] = packed["gzip"] / packed["zstd"]
    return out


def _best_rate(fn, nbytes: int, min_seconds: float) -> float:
    """Bytes per second of fn(), repeated until at least min_seconds have passed."""
    reps, t0 = 0, time.perf_counter()
    while True:
        fn()
        reps += 1
        elapsed = time.perf_counter() - t0
        if elapsed >= min_seconds:
            return reps * nbytes / elapsed


@register
class Compression(corpus.CorpusCheck):
    name = "compression"
    version = "1"
    Args = CompressionArgs
    exclusive = True  # a timing check: run alone
    metrics = _metrics()
    detail_metrics = {
        "level": Metric("Level", "other", None), "compressed_bytes": Metric("Compressed bytes", "bytes", False),
        "ratio": Metric("Compression ratio", "ratio", True), "bits_per_byte": Metric("Bits per byte", "bits/byte", False),
        "compress_mb_s": machine("Compression MB/s"), "decompress_mb_s": machine("Decompression MB/s"),
    }

    def derive(self, records: list[dict], result) -> Derived:
        """Ratios and bits per byte from the measured byte counts (the speeds are machine figures)."""
        m = result.metrics
        if not isinstance(m.get("raw_bytes"), int) or not all(isinstance(m.get(f"{n}_compressed_bytes"), int) for n in NAMES):
            return Derived()
        return Derived(_ratios(m["raw_bytes"], {n: m[f"{n}_compressed_bytes"] for n in NAMES}))

    def run_shard(self, entry: Entry, args: CompressionArgs, ctx: Context, shard: Shard) -> dict:
        path = corpus.resolve(entry, args, ctx, shard).path
        buf, truncated = bytearray(), False
        for chunk in shards.read_chunks(path, args.limits(), shard.name):
            buf += chunk
            if len(buf) >= args.max_bytes:
                del buf[args.max_bytes:]
                truncated = True
                break
        raw = bytes(buf)
        levels = {"zstd": args.zstd_level, "gzip": args.gzip_level, "xz": args.xz_level}
        tools = {n: compressors.make(n, levels[n]) for n in NAMES}
        packed, out = {}, {}
        for n, tool in tools.items():
            t0 = time.perf_counter()
            packed[n] = tool.compress(raw)
            seconds = time.perf_counter() - t0
            if tool.decompress(packed[n]) != raw:
                raise RuntimeError(f"{tool.description} did not round-trip {shard.name}")
            out[n] = {"level": tool.level, "compressed_bytes": len(packed[n]), "compress_seconds": seconds}
        best = dict.fromkeys(NAMES, 0.0)
        for _ in ctx.bar(range(args.timing_rounds), desc=f"compression {shard.name}", unit="round"):
            for n, tool in tools.items():
                rate = _best_rate(lambda n=n, tool=tool: tool.decompress(packed[n]), len(raw), args.min_round_seconds)
                best[n] = max(best[n], rate)
        for n in NAMES:
            out[n]["decompress_seconds"] = len(raw) / best[n] if raw else 0.0
        return {"shard": shard.name, "sha256": shard.sha256, "raw_bytes": len(raw), "truncated": truncated,
                "lines": raw.count(b"\n") + (1 if raw and not raw.endswith(b"\n") else 0), "compressors": out}

    def merge(self, entry: Entry, args: CompressionArgs, ctx: Context, partials: list[dict]) -> Outcome:
        raw = sum(p["raw_bytes"] for p in partials)
        if not raw:
            raise ValueError("no bytes to compress")
        metrics: dict[str, float | int] = {"raw_bytes": raw}
        table = {}
        for n in NAMES:
            rows = [p["compressors"][n] for p in partials]
            packed = sum(r["compressed_bytes"] for r in rows)
            row = {
                "level": rows[0]["level"],
                "compressed_bytes": packed,
                "ratio": raw / packed,
                "bits_per_byte": 8 * packed / raw,
                "compress_mb_s": raw / max(sum(r["compress_seconds"] for r in rows), 1e-9) / 1e6,
                "decompress_mb_s": raw / max(sum(r["decompress_seconds"] for r in rows), 1e-9) / 1e6,
            }
            table[n] = row
            metrics.update({f"{n}_{k}": v for k, v in row.items() if k != "level"})
        metrics["zstd_vs_gzip_decompression_speed"] = table["zstd"]["decompress_mb_s"] / table["gzip"]["decompress_mb_s"]
        metrics["zstd_vs_gzip_size"] = table["gzip"]["compressed_bytes"] / table["zstd"]["compressed_bytes"]
        lines = sum(p["lines"] for p in partials)
        return Outcome(
            metrics=metrics,
            details={
                "sample": corpus.sample(entry, args, ctx, lines),
                "compressors": table,
                "truncated_shards": sorted(p["shard"] for p in partials if p["truncated"]),
                "method": {
                    "input": f"the decompressed bytes of each file (JSON lines as stored), at most {args.max_bytes:,} "
                             "bytes per file; each compressor gets the same bytes",
                    "formats": "; ".join(compressors.make(n, table[n]["level"]).description for n in NAMES),
                    "speed": f"MB = 10^6 bytes. Decompression: best of {args.timing_rounds} rounds, each repeating "
                             f"until {args.min_round_seconds:g} s have passed, compressors taking turns; "
                             "compression: one run. One thread.",
                    "bits_per_byte": "8 x compressed bytes / raw bytes (a model-free baseline)",
                },
            },
            inputs={p["shard"]: p["sha256"] for p in partials},
            libraries=compressors.library_versions(),
        )
