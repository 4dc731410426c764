"""Site scale: generate and build 1,000 synthetic entries and 5,000 comparison pages in a temp dir.

Prints generate time (cold: embedding every text with MiniLM; warm: from the vector cache), mkdocs
build time, pages, the largest HTML page (target under 100 KB) and build time per page at two sizes
(linear when the two per-page times are close).

    .venv/bin/python -m benchmarks.bench_site [--entries 1000] [--comparisons 5000] [--encoder minilm|hashing]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

from generator import match as E
from generator import metrics as M
from generator.build import build
from generator.render import generate
from scoring import results as R
from scoring.embeddings import encoder_id, minilm
from scoring.entries import Entry

ROOT = Path(__file__).resolve().parent.parent
WORDS = ("sentiment classifier transformer lexicon corpus tokenizer encoder decoder fast small large "
         "multilingual english reviews news code papers books web dialogue summarisation translation "
         "distilled quantised sparse dense retrieval embedding probe baseline benchmark streaming").split()
TASKS = ("sentiment-classification", "language-modeling", "retrieval", "translation")


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def synthetic_catalog(n: int, seed: int = 0) -> tuple[dict[str, Entry], list[R.Result]]:
    rng = random.Random(seed)
    catalog: dict[str, Entry] = {}
    results = []
    dataset = Entry.model_validate({
        "id": "bench-sst", "kind": "dataset", "type": "benchmark", "task": "sentiment-classification",
        "title": "Bench SST", "summary": "Synthetic labelled sentences.", "license": "CC0-1.0",
        "source": {"type": "files", "copy": "synthetic", "files": [{"path": "bench/dev.tsv", "split": "dev",
                                                                     "sha256": "0" * 64}]},
        "capabilities": [{"id": "c", "title": "Labelled sentences", "summary": "s", "unique": "u",
                          "vs_alternatives": "v"}]})
    catalog[dataset.id] = dataset
    for i in range(n - 1):
        eid = f"synthetic-{i:04d}"
        task = TASKS[i % len(TASKS)]
        caps = [{"id": f"cap-{k}", "title": _text(rng, 4), "summary": _text(rng, 30), "unique": _text(rng, 15),
                 "vs_alternatives": _text(rng, 15),
                 "claims": [{"statement": _text(rng, 10), "metric": "accuracy", "value": round(rng.uniform(60, 95), 1),
                             "unit": "%", "check": "classification-accuracy"}] if task == TASKS[0] else []}
                for k in range(rng.randint(1, 3))]
        checks = [{"check": "classification-accuracy", "args": {"dataset": "bench-sst", "split": "dev",
                                                                "classifier": "c", "rule": "score >= 0"}}]
        catalog[eid] = Entry.model_validate({
            "id": eid, "kind": "model", "type": rng.choice(["lexicon", "fine-tune", "baseline"]), "task": task,
            "title": f"Synthetic model {i}", "summary": _text(rng, 25), "license": rng.choice(["MIT", "custom"]),
            "source": {"type": "pypi", "package": f"synthetic-{i}", "version": "1.0"}, "capabilities": caps,
            "checks": checks if task == TASKS[0] else []})
        if task == TASKS[0] and rng.random() < 0.9:
            acc = rng.uniform(0.5, 0.95)
            ok = rng.random() < 0.85
            results.append(R.Result(
                entry=eid, id="classification-accuracy", check="classification-accuracy",
                status="ok" if ok else "unavailable", key="0" * 64, reason=None if ok else "weights not here",
                metrics={"accuracy": acc, "accuracy_ci_low": acc - 0.03, "accuracy_ci_high": acc + 0.03, "n": 872}
                if ok else {},
                config={"dataset": "bench-sst", "split": "dev", "classifier": "c", "rule": "score >= 0"},
                provenance=R.Provenance(engine_version="0", check_version="1")))
    return catalog, results


def bench_schema(ids: list[str], comparisons: int) -> dict:
    schema = dict(M.schema())
    pairs, step = [], 1
    while len(pairs) < comparisons and step < len(ids):
        pairs += [[ids[i], ids[(i + step) % len(ids)]] for i in range(len(ids))]
        step += 1
    schema["comparisons"] = pairs[:comparisons]
    schema["match"] = {"neighbours": 5, "compare_neighbours": 0, "task_pairs_max": 0}
    schema["leaderboards"] = [dict(b, where={"dataset": "bench-sst", "split": "dev"}) for b in schema["leaderboards"]
                              if b["id"] == "sst2-accuracy"]
    schema["rank"] = dict(schema["rank"], criteria=[dict(c, where={"dataset": "bench-sst", "split": "dev"})
                                                    for c in schema["rank"]["criteria"] if c["id"] == "sst2-accuracy"])
    return schema


def run(n: int, comparisons: int, encoder: str, tmp: Path) -> dict:
    catalog, results = synthetic_catalog(n)
    for r in results:
        R.write(tmp / "results", r)
    schema = bench_schema(sorted(catalog), comparisons)
    enc, name = (minilm, encoder_id()) if encoder == "minilm" else (E.hashing, E.HASHING_ID)
    timings = {}
    for label in ("generate_cold_s", "generate_warm_s"):
        t0 = time.perf_counter()
        pages = generate(catalog, tmp / "results", tmp / "docs", ROOT / "docs", cache_dir=tmp / "cache",
                         encoder=enc, encoder_name=name, schema=schema)
        timings[label] = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    if build(ROOT / "mkdocs.yml", tmp / "docs", tmp / "site") != 0:
        raise SystemExit("mkdocs build failed")
    timings["build_s"], timings["build_cpu_s"] = time.perf_counter() - t0, time.process_time() - c0
    html = sorted((tmp / "site").rglob("*.html"), key=lambda p: p.stat().st_size)
    largest = html[-1]
    comp_pages = sum(1 for _ in (tmp / "docs" / "compare").glob("*-vs-*.md"))
    return {"entries": len(catalog), "comparison_pages": comp_pages, "pages": pages, "html_files": len(html),
            "largest_page": str(largest.relative_to(tmp / "site")), "largest_kb": largest.stat().st_size / 1024,
            "site_mb": sum(p.stat().st_size for p in (tmp / "site").rglob("*") if p.is_file()) / 2**20, **timings}


def main(argv: list[str] | None = None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entries", type=int, default=1000)
    ap.add_argument("--comparisons", type=int, default=5000)
    ap.add_argument("--encoder", choices=("minilm", "hashing"), default="minilm")
    args = ap.parse_args(argv if argv is not None else [])
    rows = []
    for scale in (4, 1):
        with tempfile.TemporaryDirectory(prefix="bench-site-") as tmp:
            n, c = args.entries // scale, args.comparisons // scale
            print(f"generating and building {n} entries, {c} comparisons ({args.encoder} encoder)…", flush=True)
            rows.append(run(n, c, args.encoder, Path(tmp)))
    for r in rows:
        print(f"{r['entries']:>5} entries, {r['comparison_pages']:>5} comparison pages, {r['pages']:>5} pages: "
              f"generate {r['generate_cold_s']:.1f} s cold / {r['generate_warm_s']:.1f} s warm, "
              f"build {r['build_s']:.1f} s wall, {r['build_cpu_s']:.1f} s CPU ({1000 * r['build_cpu_s'] / r['pages']:.1f} ms/page), "
              f"largest page {r['largest_kb']:.1f} KB ({r['largest_page']}), site {r['site_mb']:.0f} MB")
    small, big = rows
    ratio = (big["build_cpu_s"] / big["pages"]) / (small["build_cpu_s"] / small["pages"])
    print(f"build CPU time per page, {big['pages']} vs {small['pages']} pages: {ratio:.2f}× (1.0 = linear); "
          f"largest page {'under' if big['largest_kb'] < 100 else 'OVER'} the 100 KB target")
    return summary_rows(small, big, args.encoder)


def summary_rows(small: dict, big: dict, encoder: str) -> list[dict]:
    """The run's figures in the row format of benchmarks/__main__.py (ratio above 1 is better for us)."""
    ms_small, ms_big = (1000 * r["build_cpu_s"] / r["pages"] for r in (small, big))
    return [
        {"name": f"site: mkdocs build CPU per page, {big['pages']:,} vs {small['pages']:,} pages",
         "ours": ms_big, "baseline": ms_small, "unit": "ms/page", "ratio": ms_small / ms_big,
         "note": "linear build: ratio near 1"},
        {"name": f"site: generate {big['entries']:,} entries, warm vector cache vs cold ({encoder} encoder)",
         "ours": big["generate_warm_s"], "baseline": big["generate_cold_s"], "unit": "s",
         "ratio": big["generate_cold_s"] / big["generate_warm_s"]},
        {"name": f"site: largest HTML page vs the 100 KB target ({big['largest_page']})",
         "ours": big["largest_kb"], "baseline": 100.0, "unit": "KB", "ratio": 100.0 / big["largest_kb"],
         "note": "under the target: ratio above 1"},
    ]


if __name__ == "__main__":
    main(sys.argv[1:])
