"""bits-per-byte: our check vs an lm-evaluation-harness-style loop, same model, same documents.

Ours is the code the bits-per-byte check runs per document (``CausalLM.loglikelihood``, loaded by
``causal_lm.load``) with the arguments of the SmolLM2 entry's rolling check. The baseline re-implements lm-evaluation-harness's
``loglikelihood_rolling`` for a Hugging Face causal LM: ``get_rolling_token_windows`` with
context_len=1, ``make_disjoint_window``, then one window at a time (its default batch size 1),
log-softmax over every position of the window, the continuation sliced out and gathered, and the
greedy check it computes alongside. Both sides run in their own process (peak memory of each),
alternating, best of ``--rounds``; speed is tokens per second of model time (tokenisation and model
loading excluded on both sides). The two must give the same bits per byte.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENTRY, CHECK_ID = "smollm2-135m-instruct", "bits-per-byte-rolling"


def _setup():
    from scoring.check import Context
    from scoring.checks.bits_per_byte import BitsPerByte
    from scoring.data import default_data_dir
    from scoring.entries import entry_files
    from scoring.validation import load_catalog

    catalog, problems = load_catalog(entry_files(ROOT / "entries"), ROOT / "entries")
    if problems:
        raise SystemExit(f"entries do not validate: {problems[0]}")
    data_dir = default_data_dir() or ROOT.parent / "shared" / "data"
    ctx = Context(data_dir=data_dir, catalog=catalog, cache_dir=ROOT / ".cache" / "unfragile", show_progress=False)
    entry = catalog[ENTRY]
    check = BitsPerByte()
    args = check.Args.model_validate(entry.check_spec(CHECK_ID).args)
    return check, entry, args, ctx


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _texts(check, entry, args, ctx, limit: int | None) -> list[str]:
    from scoring import shards
    from scoring.checks import corpus

    texts = []
    for shard in check.shards(entry, args, ctx):
        texts += [d.text for d in corpus.documents(entry, args, ctx, shard, shards.BadLines()) if d.text]
    return texts[:limit]


def ours(limit: int | None) -> dict:
    from scoring.adapters import causal_lm

    check, entry, args, ctx = _setup()
    texts = _texts(check, entry, args, ctx, limit)
    lm = causal_lm.load(entry, args.gguf_file)
    scored = [lm.loglikelihood(text, args.window, args.context) for text in texts]
    return {"ll": [ll for ll, _ in scored], "bytes": [len(t.encode("utf-8")) for t in texts],
            "tokens": sum(n for _, n in scored), "seconds": lm.forward_seconds, "peak_mb": _peak_mb()}


def get_rolling_token_windows(token_list: list[int], prefix_token: int, max_seq_len: int, context_len: int):
    """lm-evaluation-harness ``lm_eval.utils.get_rolling_token_windows``."""
    if not token_list:
        return
    pred_len = max_seq_len - context_len + 1
    first_seq_len = min(max_seq_len, len(token_list))
    yield [prefix_token] + token_list[: first_seq_len - 1], token_list[:first_seq_len]
    predicted = first_seq_len
    while predicted < len(token_list):
        window_pred_len = min(len(token_list) - predicted, pred_len)
        window_end = predicted + window_pred_len
        yield token_list[window_end - max_seq_len - 1: window_end - 1], token_list[window_end - window_pred_len: window_end]
        predicted += window_pred_len


def make_disjoint_window(pair):
    a, b = pair
    return a[: len(a) - (len(b) - 1)], b


def lm_eval_style(limit: int | None) -> dict:
    import torch
    import torch.nn.functional as F

    from scoring.adapters import causal_lm

    check, entry, args, ctx = _setup()
    texts = _texts(check, entry, args, ctx, limit)
    lm = causal_lm.load(entry, args.gguf_file)
    requests = [[make_disjoint_window(w) for w in get_rolling_token_windows(lm.encode(t), lm.prefix_token_id,
                                                                             args.window, 1)] for t in texts]
    lls, seconds = [], 0.0
    for windows in requests:
        total = 0.0
        t0 = time.perf_counter()
        with torch.no_grad():
            for context, continuation in windows:
                inp = torch.tensor((context + continuation)[-(args.window + 1):][:-1], dtype=torch.long)
                logits = F.log_softmax(lm.model(inp[None]).logits, dim=-1)[0]
                logits = logits[len(inp) - len(continuation): len(inp)].unsqueeze(0)
                cont = torch.tensor(continuation, dtype=torch.long).unsqueeze(0)
                _greedy = (logits.argmax(dim=-1) == cont).all()
                total += float(torch.gather(logits, 2, cont.unsqueeze(-1)).squeeze(-1).sum())
        seconds += time.perf_counter() - t0
        lls.append(total)
    return {"ll": lls, "bytes": [len(t.encode("utf-8")) for t in texts],
            "tokens": sum(len(c) for w in requests for _, c in w), "seconds": seconds, "peak_mb": _peak_mb()}


def _in_child(fn, limit: int | None) -> dict:
    """Run one side in a fresh interpreter: its own peak memory, nothing shared with the other side."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "side.json"
        code = (f"import json; from benchmarks.bench_bpb import {fn.__name__} as side; "
                f"json.dump(side({limit!r}), open({str(out)!r}, 'w'))")
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
        return json.loads(out.read_text())


def bpb(side: dict) -> float:
    return -sum(side["ll"]) / (sum(side["bytes"]) * math.log(2))


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1, help="alternating runs of each side; the fastest counts")
    parser.add_argument("--documents", type=int, default=None, help="only the first N documents (default: all)")
    args = parser.parse_args(argv or [])
    runs: dict[str, list[dict]] = {"ours": [], "lm-eval": []}
    for _ in range(args.rounds):
        runs["ours"].append(_in_child(ours, args.documents))
        runs["lm-eval"].append(_in_child(lm_eval_style, args.documents))
    best = {name: max(rs, key=lambda r: r["tokens"] / r["seconds"]) for name, rs in runs.items()}
    a, b = best["ours"], best["lm-eval"]
    if a["tokens"] != b["tokens"] or len(a["ll"]) != len(b["ll"]):
        raise SystemExit(f"the two sides scored different work: {a['tokens']} vs {b['tokens']} tokens")
    gap = max(abs(x - y) for x, y in zip(a["ll"], b["ll"], strict=True))
    speed = {name: r["tokens"] / r["seconds"] for name, r in best.items()}
    print(f"{len(a['ll'])} documents, {a['tokens']} tokens, {ENTRY} ({CHECK_ID}), {os.cpu_count()} cores")
    for name, r in best.items():
        print(f"{name:<8}: {speed[name]:8.1f} tokens/s  bits per byte {bpb(r):.6f}  peak RSS {r['peak_mb']:.0f} MiB")
    print(f"ratio {speed['ours'] / speed['lm-eval']:.2f}x; largest per-document log-likelihood gap {gap:.2e} nats")
    return [{
        "name": "bits-per-byte (rolling, 1,024-token windows) vs lm-evaluation-harness-style loop",
        "ours": round(speed["ours"], 1), "baseline": round(speed["lm-eval"], 1), "unit": "tokens/s",
        "ratio": round(speed["ours"] / speed["lm-eval"], 2),
        "agreement": f"BPB {bpb(a):.6f} vs {bpb(b):.6f}; largest per-document gap {gap:.1e} nats",
        "peak_mb_ours": round(a["peak_mb"]), "peak_mb_baseline": round(b["peak_mb"]),
    }]


if __name__ == "__main__":
    main()
