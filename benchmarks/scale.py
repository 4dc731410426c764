"""Scale on paper: what the measured speeds say about the full Pile composition pass and a 500-model
SST-2 leaderboard, on one 2-core machine and on N Ray workers of the same kind.

Pure arithmetic over the rows ``make bench`` measured (looked up by their ``id``); a figure whose
measurement is missing is left out and says which benchmark to run.
"""

from __future__ import annotations

import math

PILE_TEXT_GIB = 825.18  # raw text of the Pile (Gao et al. 2020, table 1)
PILE_SHARDS = 30
JSON_OVERHEAD = 1.042  # JSON-lines bytes per text byte in the 10-document Pile sample (23,416 / 22,473)
LEADERBOARD_MODELS = 500
SST2_DEV = 872
WORKERS = (4, 16, 64)


def _say(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 7200 else f"{seconds / 60:.0f} min" if seconds >= 120 else f"{seconds:.0f} s"


def _rows(benchmarks: list[dict]) -> dict[str, dict]:
    return {row["id"]: row for b in benchmarks for row in b.get("rows", []) if row.get("id")}


def _pile(rows: dict[str, dict]) -> dict | None:
    two = rows.get("corpus-composition-2proc")
    if two is None:
        return None
    total_mb = PILE_TEXT_GIB * 2**30 * JSON_OVERHEAD / 1e6
    per_process = two["ours"] / 2  # MB/s of one shard in one process, two at a time on 2 cores
    shard_s = total_mb / PILE_SHARDS / per_process
    ray = {n: math.ceil(PILE_SHARDS / (2 * n)) * shard_s for n in WORKERS}
    return {"what": f"Pile composition pass: {PILE_SHARDS} shards, {PILE_TEXT_GIB:,.0f} GiB of text "
                    f"(about {total_mb / 1e6:,.0f} TB of JSON lines)",
            "one_machine_s": total_mb / two["ours"], "ray_s": ray,
            "dominated_by": "zstd decompression and JSON parsing, two shards at a time per machine (reading "
                            "the compressed files from disk not counted); with more "
                            f"workers than {PILE_SHARDS // 2} the {PILE_SHARDS} shards are the limit (one shard "
                            f"takes {_say(shard_s)}); the pass on 2 cores runs at {two['ratio']:.2f}x the speed of "
                            f"plain zstd decompression on one ({two['baseline']:,.0f} MB/s)",
            "from": f"composition pass {two['ours']:,.0f} MB/s over 2 shards in 2 processes (bench_corpus)"}


def _leaderboard(rows: dict[str, dict]) -> dict | None:
    fp32 = rows.get("classifier-distilbert-fp32")
    if fp32 is None:
        return None
    load_s = fp32.get("load_seconds") or 0.0
    per_model = SST2_DEV / fp32["ours"] + load_s
    ray = {n: math.ceil(LEADERBOARD_MODELS / n) * per_model for n in WORKERS}
    int8 = rows.get("classifier-distilbert-int8-onnx")
    faster = (f"; with int8 ONNX Runtime ({int8['ours']:,.0f} sentences/s) a model takes "
              f"{SST2_DEV / int8['ours'] + load_s:.0f} s, reported as its own result" if int8 else "")
    return {"what": f"SST-2 leaderboard of {LEADERBOARD_MODELS} DistilBERT-sized classifiers ({SST2_DEV} dev sentences each)",
            "one_machine_s": LEADERBOARD_MODELS * per_model, "ray_s": ray,
            "dominated_by": f"the forward passes (matrix products, {SST2_DEV / fp32['ours']:.0f} s a model) "
                            f"and loading each model ({load_s:.1f} s); downloads not counted{faster}",
            "from": f"fp32 {fp32['ours']:,.0f} sentences/s, length-sorted batches (bench_classifier)"}


def on_paper(benchmarks: list[dict]) -> list[dict]:
    rows = _rows(benchmarks)
    return [x for x in (_pile(rows), _leaderboard(rows)) if x is not None]
