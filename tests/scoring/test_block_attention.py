"""Blocked causal attention (scoring/adapters/block_attention.py) against transformers' eager attention."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from scoring.adapters import block_attention  # noqa: E402


class _Module:
    def __init__(self, groups: int):
        self.num_key_value_groups = groups
        self.is_causal = True
        self.training = False


def _eager(module, q, k, v, scaling):
    from transformers.models.llama.modeling_llama import eager_attention_forward

    t = q.shape[2]
    mask = torch.full((t, t), torch.finfo(q.dtype).min, dtype=q.dtype).triu(1)[None, None]
    return eager_attention_forward(module, q, k, v, mask, scaling=scaling)[0]


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float32])
@pytest.mark.parametrize("t", [1, 5, 128, 129, 300])
@pytest.mark.parametrize("heads,kv_heads", [(6, 2), (4, 4)])
def test_equals_eager_attention(dtype, t, heads, kv_heads):
    gen = torch.Generator().manual_seed(t * heads)
    q, k, v = (torch.randn(2, h, t, 16, generator=gen).to(dtype) for h in (heads, kv_heads, kv_heads))
    module = _Module(heads // kv_heads)
    ours = block_attention.attention(module, q, k, v, None, scaling=0.3)[0]
    eager = _eager(module, q, k, v, 0.3)
    assert ours.shape == eager.shape == (2, t, heads, 16)
    exact = torch.float32 if dtype == torch.float32 else torch.float64
    reference = _eager(module, *(x.to(exact) for x in (q, k, v)), 0.3)
    # no further from exact arithmetic than eager attention is
    assert (ours.to(exact) - reference).abs().max() <= 1.01 * (eager.to(exact) - reference).abs().max() + 1e-6
    if dtype == torch.bfloat16:
        assert (ours.float() - eager.float()).abs().max() <= 2 ** -7  # one bfloat16 step near 1, at most


def test_other_attention_goes_to_sdpa_unchanged():
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    gen = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(1, 4, 10, 8, generator=gen) for _ in range(3))
    padding = torch.ones(1, 1, 10, 10, dtype=torch.bool).tril()
    padding[..., :3] = False  # left padding
    padding[..., torch.arange(10), torch.arange(10)] = True
    module = _Module(1)
    assert torch.equal(block_attention.attention(module, q, k, v, padding)[0],
                       sdpa_attention_forward(module, q, k, v, padding)[0])
    cached = k[:, :, :1], v[:, :, :1]  # one new token against a longer cache: not plain self-attention
    assert torch.equal(block_attention.attention(module, q[:, :, :1], *cached, None)[0],
                       sdpa_attention_forward(module, q[:, :, :1], *cached, None)[0])


def test_a_bfloat16_model_scores_like_eager_attention():
    """A tiny grouped-query Llama in bfloat16: block attention gives eager attention's log-probabilities."""
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=97, hidden_size=48, intermediate_size=96, num_hidden_layers=2,
                         num_attention_heads=6, num_key_value_heads=2, max_position_embeddings=512)
    model = LlamaForCausalLM(config).eval().to(torch.bfloat16)
    ids = torch.randint(0, 97, (2, 260), generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        model.set_attn_implementation("eager")
        eager = torch.log_softmax(model(ids).logits.float(), -1)
        block_attention.use(model)
        assert model.config._attn_implementation == block_attention.NAME
        ours = torch.log_softmax(model(ids).logits.float(), -1)
    # identical here; allow for a matrix-product kernel that sums in another order elsewhere
    assert (ours - eager).abs().max() < 0.01
    assert (ours - eager).abs().mean() < 1e-4
