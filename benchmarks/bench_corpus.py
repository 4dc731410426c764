"""Corpus streaming: the composition pass vs plain zstd decompression vs a naive json.loads loop.

A ~200 MB Pile-format corpus (two multi-frame .jsonl.zst shards, four subsets, some non-ASCII text)
is generated in a temp dir. In one run, on the same files, each measured in a fresh process, best
of ``--rounds`` with the passes taking turns:

- plain zstd: python-zstandard reading every frame and discarding the bytes (the floor for any pass);
- composition: the composition check's own shard code (``Composition.run_shard``), one process,
  then the two shards in two processes merged (how the runner executes shards);
- naive: ``io.TextIOWrapper`` over the decompressed stream and ``json.loads`` per line.

MB/s is decompressed MB (10^6 bytes) per second. File sha256 verification is done before timing.
Peak memory (max RSS) of the composition pass over a 50 MB and the 200 MB corpus, each in a fresh
process, shows whether memory stays flat as the corpus grows.
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import resource
import tempfile
import time
from pathlib import Path

SUBSETS = ["Pile-CC", "PubMed Abstracts", "Github", "StackExchange"]
FRAME_BYTES = 8 << 20  # a new zstd frame every 8 MB, as multi-frame writers do


def generate(path: Path, megabytes: float, seed: int) -> int:
    """A Pile-format .jsonl.zst of about ``megabytes`` MB; returns its decompressed size."""
    import numpy as np
    import orjson
    import zstandard

    rng = np.random.default_rng(seed)
    letters = np.array(list("etaoinshrdlcumwfgypbvkjxqz"))
    words = ["".join(rng.choice(letters, size=int(k))) for k in rng.integers(1, 12, size=20000)]
    words += ["naïve", "café", "Zürich", "日本語", "données", "→", "µg/mL"]
    vocab = np.array(words)
    total, frame = 0, 0
    with path.open("wb") as fh:
        writer = zstandard.ZstdCompressor(level=3).stream_writer(fh, closefd=False)
        while total < megabytes * 1e6:
            n = max(1, int(rng.lognormal(6.3, 1.1)))
            text = " ".join(vocab[rng.zipf(1.2, size=n) % len(vocab)].tolist())
            line = orjson.dumps({"text": text, "meta": {"pile_set_name": SUBSETS[int(rng.integers(0, 4))]}}) + b"\n"
            writer.write(line)
            total += len(line)
            frame += len(line)
            if frame >= FRAME_BYTES:
                writer.flush(zstandard.FLUSH_FRAME)
                frame = 0
        writer.flush(zstandard.FLUSH_FRAME)
        writer.close()
    return total


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def plain_zstd(paths: list[str]) -> dict:
    import zstandard

    t0, n = time.perf_counter(), 0
    for p in paths:
        with open(p, "rb") as fh, zstandard.ZstdDecompressor().stream_reader(fh, read_across_frames=True) as r:
            while chunk := r.read(4 << 20):
                n += len(chunk)
    return {"seconds": time.perf_counter() - t0, "bytes": n, "peak_mb": _peak_mb()}


def naive(paths: list[str]) -> dict:
    import zstandard

    t0, n, counts = time.perf_counter(), 0, {}
    for p in paths:
        with open(p, "rb") as fh, zstandard.ZstdDecompressor().stream_reader(fh, read_across_frames=True) as r:
            for line in io.TextIOWrapper(r, encoding="utf-8"):
                n += len(line.encode("utf-8"))
                doc = json.loads(line)
                row = counts.setdefault(doc["meta"]["pile_set_name"], [0, 0])
                row[0] += 1
                row[1] += len(doc["text"].encode("utf-8"))
    return {"seconds": time.perf_counter() - t0, "bytes": n, "counts": counts, "peak_mb": _peak_mb()}


def _setup(paths: list[str]):
    from scoring import data
    from scoring.check import Context, Shard
    from scoring.checks.composition import Composition, CompositionArgs
    from scoring.entries import Entry

    root = Path(paths[0]).parent
    files = [{"path": Path(p).name, "sha256": data.sha256_file(Path(p)), "split": "all"} for p in paths]
    entry = Entry.model_validate({
        "id": "bench-corpus", "kind": "dataset", "type": "corpus", "title": "Generated corpus",
        "summary": "Generated for the benchmark.", "license": "CC0",
        "source": {"type": "files", "copy": "generated", "files": files},
        "capabilities": [{"id": "c", "title": "C", "summary": "S.", "unique": "U.", "vs_alternatives": "V."}]})
    ctx = Context(data_dir=root, catalog={entry.id: entry}, cache_dir=root, show_progress=False)
    return Composition(), entry, CompositionArgs(split="all"), ctx, [Shard(f["path"], f["sha256"]) for f in files]


def composition(paths: list[str]) -> dict:
    check, entry, args, ctx, shards = _setup(paths)  # sha256 verified here, before timing
    t0 = time.perf_counter()
    partials = [check.run_shard(entry, args, ctx, s) for s in shards]
    outcome = check.merge(entry, args, ctx, partials)
    counts = {k: [v["documents"], v["text_bytes"]] for k, v in outcome.details["subsets"].items()}
    return {"seconds": time.perf_counter() - t0, "counts": counts, "peak_mb": _peak_mb()}


_WORKER: tuple = ()


def _init_worker(paths: list[str]) -> None:
    global _WORKER
    import os

    from scoring import shards

    os.environ[shards.TASKS_AT_ONCE] = str(len(paths))  # as the local executor sets it for its tasks
    _WORKER = _setup(paths)


def _run_shard(i: int) -> dict:
    check, entry, args, ctx, shards = _WORKER
    return check.run_shard(entry, args, ctx, shards[i])


def composition_sharded(paths: list[str]) -> dict:
    """One process per shard, then merge: how the runner executes a sharded check."""
    spawn = multiprocessing.get_context("spawn")
    with spawn.Pool(len(paths), initializer=_init_worker, initargs=(paths,)) as pool:
        pool.map(_run_shard, [0] * len(paths), chunksize=1)  # workers started and files verified
        check, entry, args, ctx, shards = _setup(paths)
        t0 = time.perf_counter()
        partials = pool.map(_run_shard, range(len(paths)), chunksize=1)
        check.merge(entry, args, ctx, partials)
        seconds = time.perf_counter() - t0
        pool.close()  # workers finish and exit: the pool's exit would terminate them mid-cleanup
        pool.join()
    return {"seconds": seconds}


def in_process(fn, paths: list[str]) -> dict:
    """Run fn(paths) in a fresh process, so time and peak memory are its own."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        out = pool.apply(fn, (paths,))
        pool.close()
        pool.join()
    return out


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=200, help="corpus size (default 200 MB)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv or [])
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        big = [str(Path(tmp) / f"shard-{i}.jsonl.zst") for i in range(2)]
        raw = sum(generate(Path(p), args.megabytes / 2, seed=i) for i, p in enumerate(big))
        small = [str(Path(tmp) / "small.jsonl.zst")]
        generate(Path(small[0]), args.megabytes / 4, seed=7)
        packed = sum(Path(p).stat().st_size for p in big)
        print(f"generated {raw / 1e6:.0f} MB of JSON lines in 2 shards ({packed / 1e6:.0f} MB zstd, "
              f"{packed and raw / packed:.2f}x) in {time.perf_counter() - t0:.0f} s")
        best = {"plain zstd": float("inf"), "composition": float("inf"), "composition 2 shards": float("inf"),
                "naive json.loads": float("inf")}
        runs = {"plain zstd": plain_zstd, "composition": composition, "naive json.loads": naive}
        answers = {}
        for r in range(args.rounds):
            for name, fn in runs.items():
                out = in_process(fn, big)
                best[name] = min(best[name], out["seconds"])
                answers[name] = out
            best["composition 2 shards"] = min(best["composition 2 shards"], composition_sharded(big)["seconds"])
            print(f"round {r + 1}: " + ", ".join(f"{k} {raw / v / 1e6:,.0f} MB/s" for k, v in best.items()))
        same = answers["composition"]["counts"] == answers["naive json.loads"]["counts"]
        peak_small = in_process(composition, small)["peak_mb"]
        peak_big = answers["composition"]["peak_mb"]
    speed = {k: raw / v / 1e6 for k, v in best.items()}
    print(f"\ncomposition pass, 1 process:       {speed['composition']:7,.0f} MB/s = "
          f"{speed['composition'] / speed['plain zstd']:.2f}x plain zstd decompression ({speed['plain zstd']:,.0f} MB/s)")
    print(f"composition pass, 2 shards/2 procs: {speed['composition 2 shards']:7,.0f} MB/s = "
          f"{speed['composition 2 shards'] / speed['plain zstd']:.2f}x plain zstd decompression (target >= 0.8x)")
    print(f"naive json.loads loop:              {speed['naive json.loads']:7,.0f} MB/s "
          f"(composition is {speed['composition'] / speed['naive json.loads']:.2f}x faster)")
    print(f"peak memory of the composition pass: {peak_small:.0f} MiB for {args.megabytes / 4:.0f} MB, "
          f"{peak_big:.0f} MiB for {args.megabytes:.0f} MB; same subset counts as the naive loop: {same}")
    agreement = "yes" if same else "no"
    return [
        {"id": "corpus-composition-1proc", "name": "corpus: composition pass, 1 process vs plain zstd decompression",
         "ours": speed["composition"], "baseline": speed["plain zstd"], "unit": "MB/s",
         "ratio": speed["composition"] / speed["plain zstd"], "agreement": agreement},
        {"id": "corpus-composition-2proc",
         "name": "corpus: composition pass, 2 shards in 2 processes vs plain zstd decompression (1 process)",
         "ours": speed["composition 2 shards"], "baseline": speed["plain zstd"], "unit": "MB/s",
         "ratio": speed["composition 2 shards"] / speed["plain zstd"], "agreement": agreement,
         "target": ">= 0.8x on 2 cores", "met": speed["composition 2 shards"] / speed["plain zstd"] >= 0.8 and same},
        {"id": "corpus-vs-naive", "name": "corpus: composition pass vs naive json.loads loop (1 process each)",
         "ours": speed["composition"], "baseline": speed["naive json.loads"], "unit": "MB/s",
         "ratio": speed["composition"] / speed["naive json.loads"], "agreement": agreement,
         "note": "ours also checks every line and counts what it skips"},
        {"id": "corpus-memory",
         "name": f"corpus: composition peak memory, {args.megabytes:.0f} MB vs {args.megabytes / 4:.0f} MB corpus",
         "ours": peak_big, "baseline": peak_small, "unit": "MiB", "ratio": peak_small / peak_big,
         "peak_mb_ours": peak_big, "peak_mb_baseline": peak_small,
         "target": "flat in file size (within 25%)", "met": peak_big <= 1.25 * peak_small},
    ]


if __name__ == "__main__":
    main()
