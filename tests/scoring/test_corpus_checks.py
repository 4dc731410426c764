"""composition, compression and dataset-statistics on corpora built in the test, and on the real sample."""

from __future__ import annotations

import json
import math
import random

import numpy as np
import pytest
import zstandard
from conftest import ROOT, copy_entries, sha256

from scoring import stats
from scoring.check import Context
from scoring.checks import composition as C
from scoring.checks.compression import Compression, CompressionArgs
from scoring.checks.dataset_statistics import DatasetStatistics, DatasetStatisticsArgs
from scoring.entries import Entry
from scoring.shards import utf8_len


def corpus_catalog(files: dict[str, str], split: str = "s") -> dict[str, Entry]:
    entry = Entry.model_validate({
        "id": "corpus", "kind": "dataset", "type": "corpus", "title": "Test corpus", "summary": "Made in a test.",
        "license": "CC0", "source": {"type": "files", "copy": "test copy",
                                     "files": [{"path": p, "sha256": h, "split": split} for p, h in files.items()]},
        "capabilities": [{"id": "c", "title": "C", "summary": "S.", "unique": "U.", "vs_alternatives": "V."}],
    })
    return {"corpus": entry}


def make_docs(n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    words = ["alpha", "beta", "gamma", "délta", "日本", "code()", "x" * 40]
    return [{"text": " ".join(rng.choice(words) for _ in range(rng.randint(1, 1200))),
             "meta": {"pile_set_name": rng.choice(["Web", "Code", "Papers"])}} for _ in range(n)]


@pytest.fixture
def corpus(tmp_path):
    """Two shards: a two-frame .jsonl.zst and a .jsonl with two bad lines."""
    data = tmp_path / "data"
    (data / "c").mkdir(parents=True)
    a, b = make_docs(40, 1), make_docs(25, 2)
    lines_a = b"".join(json.dumps(d).encode() + b"\n" for d in a)
    cut = len(lines_a) // 3
    cctx = zstandard.ZstdCompressor(level=3)
    (data / "c" / "a.jsonl.zst").write_bytes(cctx.compress(lines_a[:cut]) + cctx.compress(lines_a[cut:]))
    lines_b = [json.dumps(d) for d in b]
    lines_b.insert(3, '{"text": NaN}')
    lines_b.insert(10, '{"text": "no subset"}')
    (data / "c" / "b.jsonl").write_text("\n".join(lines_b) + "\n", encoding="utf-8")
    files = {f"c/{n}": sha256(data / "c" / n) for n in ("a.jsonl.zst", "b.jsonl")}
    catalog = corpus_catalog(files)
    ctx = Context(data_dir=data, catalog=catalog, cache_dir=tmp_path / "cache", show_progress=False)
    return ctx, catalog["corpus"], a + b


DECLARED = {"Web": {"raw_gib": 10, "weight_pct": 50, "mean_doc_kib": 2}, "Code": {"raw_gib": 5, "mean_doc_kib": 5},
            "Books": {"raw_gib": 20, "weight_pct": 10, "mean_doc_kib": 500}}


def test_composition_counts_match_a_direct_computation(corpus):
    ctx, entry, docs = corpus
    check = C.Composition()
    args = C.CompositionArgs(split="s", declared=DECLARED)
    shards = check.shards(entry, args, ctx)
    assert [s.name for s in shards] == ["c/a.jsonl.zst", "c/b.jsonl"]
    partials = [check.run_shard(entry, args, ctx, s) for s in shards]
    out = check.merge(entry, args, ctx, partials)
    assert out.metrics == check.merge(entry, args, ctx, partials[::-1]).metrics  # order-independent
    assert out.details == check.merge(entry, args, ctx, partials[::-1]).details
    assert json.loads(json.dumps(partials)) == partials  # plain JSON
    n, total = len(docs), sum(utf8_len(d["text"]) for d in docs)
    assert out.metrics["documents"] == n and out.metrics["text_bytes"] == total
    assert out.metrics["bad_lines"] == 2 and out.metrics["files"] == 2
    rows = out.details["subsets"]
    for name in ("Web", "Code", "Papers"):
        mine = [utf8_len(d["text"]) for d in docs if d["meta"]["pile_set_name"] == name]
        row = rows[name]
        assert (row["documents"], row["text_bytes"]) == (len(mine), sum(mine))
        assert row["doc_share"] == pytest.approx(len(mine) / n)
        assert (row["doc_share_ci_low"], row["doc_share_ci_high"]) == pytest.approx(stats.wilson_ci(len(mine), n))
        assert row["byte_share_ci_low"] <= row["byte_share"] <= row["byte_share_ci_high"]
        assert row["mean_doc_bytes"] == pytest.approx(np.mean(mine))
        assert row["median_doc_bytes"] == pytest.approx(np.median(mine), rel=5e-4)
        assert row["p90_doc_bytes"] == pytest.approx(np.quantile(mine, 0.9), rel=5e-4)
    assert out.details["absent_declared_subsets"] == ["Books"]
    assert out.details["undeclared_subsets"] == ["Papers"]
    assert out.metrics["subsets_absent"] == 1 and out.metrics["subsets_present"] == 3
    assert rows["Books"]["documents"] == 0 and rows["Books"]["doc_share_ci_high"] > 0.02
    assert rows["Web"]["declared_weight"] == pytest.approx(0.5)
    assert rows["Web"]["declared_byte_share"] == pytest.approx(10 / 35)
    web_docs, code_docs, book_docs = 10 / 2, 5 / 5, 20 / 500
    assert rows["Code"]["declared_doc_share"] == pytest.approx(code_docs / (web_docs + code_docs + book_docs))
    bad = out.details["bad_lines"]
    assert [(e["file"], e["line"], e["reason"]) for e in bad["examples"]] == [
        ("c/b.jsonl", 4, "invalid JSON"), ("c/b.jsonl", 11, "missing meta.pile_set_name")]
    sample = out.details["sample"]
    assert sample["documents"] == n and sample["split"] == "s" and sample["copy"] == "test copy"
    assert [f["sha256"] for f in sample["files"]] == [s.sha256 for s in shards]
    assert f"{n} documents" in sample["label"] and "not the whole corpus" in sample["label"]


def test_composition_refuses_a_file_whose_sha256_changed(corpus):
    from scoring.check import Unavailable

    ctx, entry, _ = corpus
    (ctx.data_dir / "c" / "b.jsonl").write_text('{"text": "x", "meta": {"pile_set_name": "Web"}}\n')
    check = C.Composition()
    args = C.CompositionArgs(split="s")
    with pytest.raises(Unavailable, match="sha256"):
        check.run_shard(entry, args, ctx, check.shards(entry, args, ctx)[1])


def test_length_histogram_quantiles():
    rng = np.random.default_rng(0)
    exact = rng.integers(1, 4000, size=501).tolist()
    hist: dict[int, int] = {}
    for v in exact:
        hist[C.length_bin(v)] = hist.get(C.length_bin(v), 0) + 1
    for q in (0.1, 0.5, 0.9):
        assert C.quantile(hist, q) == pytest.approx(np.quantile(exact, q))
    big = rng.integers(5000, 10**7, size=301).tolist()
    hist = {}
    for v in big:
        hist[C.length_bin(v)] = hist.get(C.length_bin(v), 0) + 1
    assert len(hist) <= len(big)
    for q in (0.5, 0.9):
        assert C.quantile(hist, q) == pytest.approx(np.quantile(big, q), rel=5e-4)
    assert C.length_bin(4095) == 4095 and C.length_bin(10**6) <= 10**6 < C.length_bin(10**6) * 1.0005


def _direct_share_interval(docs: list[tuple[str, int]], resamples: int) -> tuple[float, float]:
    lengths = np.array([v for _, v in docs])
    in_a = np.array([s == "A" for s, _ in docs])
    idx = np.random.default_rng(5).integers(0, len(docs), size=(resamples, len(docs)))
    direct = (lengths[idx] * in_a[idx]).sum(1) / lengths[idx].sum(1)
    return tuple(np.quantile(direct, [0.025, 0.975]))


def _hists(docs: list[tuple[str, int]]) -> dict[str, dict[int, int]]:
    hists: dict[str, dict[int, int]] = {}
    for s, v in docs:
        hists.setdefault(s, {})[v] = hists.setdefault(s, {}).get(v, 0) + 1
    return hists


def test_byte_share_bootstrap_matches_a_direct_document_bootstrap():
    rng = np.random.default_rng(1)
    docs = [("A", int(v)) for v in rng.integers(10, 3000, 30)] + [("B", int(v)) for v in rng.integers(10, 300, 50)]
    ours, method = C.byte_share_intervals(_hists(docs), seed=0)
    lo, hi = _direct_share_interval(docs, 4000)
    assert "bootstrap" in method
    assert ours["A"][0] == pytest.approx(lo, abs=0.02) and ours["A"][1] == pytest.approx(hi, abs=0.02)
    assert ours["B"][0] == pytest.approx(1 - hi, abs=0.02)
    assert C.byte_share_intervals(_hists(docs), seed=0)[0] == ours  # seeded


def test_byte_share_delta_method_for_large_samples(monkeypatch):
    monkeypatch.setattr(C, "BOOTSTRAP_MAX_DOCS", 100)
    rng = np.random.default_rng(2)
    docs = ([("A", int(v)) for v in rng.lognormal(7, 1, 600).astype(int) + 1]
            + [("B", int(v)) for v in rng.lognormal(6, 1.5, 1400).astype(int) + 1])
    ours, method = C.byte_share_intervals(_hists(docs), seed=0)
    lo, hi = _direct_share_interval(docs, 1000)
    assert "delta-method" in method
    assert ours["A"][0] == pytest.approx(lo, abs=0.01) and ours["A"][1] == pytest.approx(hi, abs=0.01)


def test_compression_ratios_and_bits_per_byte(corpus):
    from scoring.adapters.compressors import make

    ctx, entry, _ = corpus
    check = Compression()
    args = CompressionArgs(split="s", zstd_level=19, gzip_level=9, xz_level=6, timing_rounds=1,
                           min_round_seconds=0.001)
    partials = [check.run_shard(entry, args, ctx, s) for s in check.shards(entry, args, ctx)]
    out = check.merge(entry, args, ctx, partials)
    assert out.metrics == pytest.approx(check.merge(entry, args, ctx, partials[::-1]).metrics)
    raws = [zstandard.ZstdDecompressor().stream_reader((ctx.data_dir / "c" / "a.jsonl.zst").open("rb"),
                                                      read_across_frames=True).read(),
            (ctx.data_dir / "c" / "b.jsonl").read_bytes()]
    raw = sum(len(r) for r in raws)
    assert out.metrics["raw_bytes"] == raw
    for name, level in (("zstd", 19), ("gzip", 9), ("xz", 6)):
        packed = sum(len(make(name, level).compress(r)) for r in raws)
        assert out.metrics[f"{name}_compressed_bytes"] == packed
        assert out.metrics[f"{name}_ratio"] == pytest.approx(raw / packed)
        assert out.metrics[f"{name}_bits_per_byte"] == pytest.approx(8 * packed / raw)
        assert out.metrics[f"{name}_decompress_mb_s"] > 0 and out.metrics[f"{name}_compress_mb_s"] > 0
    assert out.metrics["zstd_vs_gzip_decompression_speed"] == pytest.approx(
        out.metrics["zstd_decompress_mb_s"] / out.metrics["gzip_decompress_mb_s"])
    assert out.details["sample"]["documents"] == len(raws[0].splitlines()) + len(raws[1].splitlines())
    capped = CompressionArgs(split="s", max_bytes=2000, timing_rounds=1, min_round_seconds=0.001)
    part = check.run_shard(entry, capped, ctx, check.shards(entry, capped, ctx)[0])
    assert part["raw_bytes"] == 2000 and part["truncated"]


def write_tsv(path, rows):
    path.write_text("sentence\tlabel\n" + "".join(f"{s} \t{y}\n" for s, y in rows), encoding="utf-8")


def test_dataset_statistics_counts_duplicates_and_leakage(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    train = [("a good film", 1), ("a bad film", 0), ("a good film", 1), ("odd one", 1), ("odd one", 0),
             ("shared sentence here", 1), ("x", 0)]
    dev = [("shared sentence here", 0), ("new words", 1), ("x", 0), ("new words", 1)]
    write_tsv(data / "train.tsv", train)
    write_tsv(data / "dev.tsv", dev)
    entry = Entry.model_validate({
        "id": "tiny", "kind": "dataset", "type": "benchmark", "title": "T", "summary": "S.", "license": "CC0",
        "source": {"type": "files", "copy": "c", "files": [
            {"path": "train.tsv", "sha256": sha256(data / "train.tsv"), "split": "train"},
            {"path": "dev.tsv", "sha256": sha256(data / "dev.tsv"), "split": "dev"}]},
        "capabilities": [{"id": "c", "title": "C", "summary": "S.", "unique": "U.", "vs_alternatives": "V."}]})
    ctx = Context(data_dir=data, catalog={"tiny": entry}, cache_dir=tmp_path, show_progress=False)
    out = DatasetStatistics().run(entry, DatasetStatisticsArgs(), ctx)
    m = out.metrics
    assert (m["train_rows"], m["train_label_0"], m["train_label_1"]) == (7, 3, 4)
    assert (m["dev_rows"], m["dev_label_0"], m["dev_label_1"]) == (4, 2, 2)
    assert m["train_duplicate_rows"] == 2 and m["train_conflicting_sentences"] == 1
    assert m["dev_duplicate_rows"] == 1 and m["dev_conflicting_sentences"] == 0
    assert m["dev_in_train_rows"] == 2 and m["dev_in_train_label_mismatch"] == 1
    assert m["dev_majority_share"] == 0.5 and m["train_positive_share"] == pytest.approx(4 / 7)
    assert m["train_max_words"] == 3 and m["train_median_words"] == 3
    assert out.details["dev_sentences_in_train"][0] == {"sentence": "shared sentence here", "dev_label": 0,
                                                        "train_labels": [1]}


def test_real_pile_sample_composition(shared_data, tmp_path):
    from scoring.entries import entry_files
    from scoring.validation import load_catalog

    copy_entries(tmp_path / "entries", "the-pile")
    catalog, problems = load_catalog(entry_files(tmp_path / "entries"), tmp_path / "entries")
    assert problems == []
    entry = catalog["the-pile"]
    spec = entry.check_spec("composition")
    check = C.Composition()
    args = check.Args.model_validate(spec.args)
    assert len(args.declared) == 22 and math.isclose(sum(d.weight_pct for d in args.declared.values()), 100, abs_tol=0.1)
    ctx = Context(data_dir=shared_data, catalog=catalog, cache_dir=tmp_path, show_progress=False)
    out = check.run(entry, args, ctx)
    rows = out.details["subsets"]
    assert {k: (v["documents"], v["text_bytes"]) for k, v in rows.items() if v["documents"]} == {
        "PubMed Abstracts": (5, 8132), "OpenWebText2": (2, 9529), "StackExchange": (2, 4449), "Github": (1, 363)}
    assert len(out.details["absent_declared_subsets"]) == 18 and "Pile-CC" in out.details["absent_declared_subsets"]
    assert out.metrics["text_bytes"] == 22473 and out.metrics["bad_lines"] == 0
    assert "10 documents" in out.details["sample"]["label"]


def test_committed_results_match_the_entries():
    """The committed evidence names the files the entries pin."""
    path = ROOT / "results" / "the-pile" / "composition.json"
    if not path.is_file():
        pytest.skip("no committed composition result")
    result = json.loads(path.read_text())
    assert result["status"] == "ok"
    assert result["details"]["sample"]["files"][0]["sha256"] == result["provenance"]["inputs"][
        "pile-sample/pile_text.jsonl.zst"]


def test_a_hostile_shard_fails_the_check_clearly_and_keeps_no_partial_numbers(tmp_path):
    """Through the real score command: a bomb shard next to a good one gives 'failed' naming the file."""
    import shutil

    from unfragile.cli import main

    data = tmp_path / "data" / "c"
    data.mkdir(parents=True)
    (data / "good.jsonl").write_bytes(b'{"text": "fine", "meta": {"pile_set_name": "A"}}\n')
    shutil.copyfile(ROOT / "tests" / "fixtures" / "hostile" / "shards" / "bomb.jsonl.zst", data / "bomb.jsonl.zst")
    files = "".join(f"    - {{path: c/{n}, split: s, sha256: {sha256(data / n)}}}\n" for n in ("good.jsonl", "bomb.jsonl.zst"))
    (tmp_path / "entries").mkdir()
    (tmp_path / "entries" / "corpus.yaml").write_text(f"""\
id: corpus
kind: dataset
type: corpus
title: Hostile corpus
summary: One good shard and one decompression bomb.
license: CC0
source:
  type: files
  copy: test copy
  files:
{files}capabilities:
  - {{id: c, title: C, summary: S., unique: U., vs_alternatives: V.}}
checks:
  - check: composition
    args: {{split: s}}
""", encoding="utf-8")
    code = main(["score", "--entries", str(tmp_path / "entries"), "--results", str(tmp_path / "results"),
                 "--data-dir", str(tmp_path / "data"), "--cache-dir", str(tmp_path / "cache"), "-q"])
    assert code == 0
    result = json.loads((tmp_path / "results" / "corpus" / "composition.json").read_text())
    assert result["status"] == "failed" and result["metrics"] == {}
    assert "c/bomb.jsonl.zst" in result["reason"] and "decompression bomb" in result["reason"]
