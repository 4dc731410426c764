"""Causal self-attention for reduced-precision causal LMs on CPU, a block of query positions at a time.

The arithmetic is transformers' eager attention (``eager_attention_forward``): scores as a matrix
product in the model's dtype, times the scale, the causal mask, softmax (float32 inside), then the
product with the values. Two things are skipped, none computed differently:

- key blocks a query block cannot see (under the causal mask their weights are exactly 0), so a
  window costs about half the products of the full square;
- the copies of keys and values for grouped-query heads: the query heads that share a key/value
  head go through one product together.

On a 2-core AMD EPYC, a 512-token SmolLM2 window through all layers in bfloat16: about 2x faster
than PyTorch's CPU flash kernel (``scaled_dot_product_attention``), which does not speed up in
bfloat16 there. ``tests/scoring/test_block_attention.py`` checks the output against eager attention.

Only plain causal self-attention goes this way (no padding or sliding-window mask, no cache, no
dropout, no soft-capping); everything else goes to transformers' ``sdpa`` attention unchanged.
"""

from __future__ import annotations

VERSION = "1"  # bump when a change here can move a measured number (see scoring/code.py)

NAME = "unfragile-block-causal"
BLOCK = 128  # query positions per block: scores of 128 x (positions so far) stay in cache


def attention(module, query, key, value, attention_mask, dropout: float = 0.0, scaling: float | None = None,
              **kwargs):
    """(batch, heads, t, d) queries over (batch, kv_heads, t, d) keys and values -> ((batch, t, heads, d), None)."""
    import torch
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    b, heads, t, d = query.shape
    kv_heads = key.shape[1]
    plain = (attention_mask is None and key.shape[2] == t and not dropout and kwargs.get("softcap") is None
             and not kwargs.get("output_attentions") and heads % kv_heads == 0)
    if not plain:
        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout=dropout, scaling=scaling,
                                      **kwargs)
    group = heads // kv_heads
    scale = d ** -0.5 if scaling is None else scaling
    q = query.reshape(b * kv_heads, group, t, d)
    k, v = key.reshape(b * kv_heads, t, d), value.reshape(b * kv_heads, t, d)
    out = torch.empty(b, t, kv_heads, group, d, dtype=query.dtype)
    for start in range(0, t, BLOCK):
        end = min(t, start + BLOCK)
        n = end - start
        rows = q[:, :, start:end].reshape(b * kv_heads, group * n, d)
        scores = torch.bmm(rows, k[:, :end].transpose(1, 2)).view(b * kv_heads, group, n, end)
        scores.mul_(scale)
        scores[..., start:].masked_fill_(torch.ones(n, n, dtype=torch.bool).triu(1), float("-inf"))
        weights = torch.softmax(scores, dim=-1).view(b * kv_heads, group * n, end)
        block = torch.bmm(weights, v[:, :end]).view(b, kv_heads, group, n, d)
        out[:, start:end] = block.permute(0, 3, 1, 2, 4)
    return out.view(b, t, heads, d), None


def use(model) -> None:
    """Run ``model``'s self-attention here (registered with transformers once)."""
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

    AttentionInterface.register(NAME, attention)
    AttentionMaskInterface.register(NAME, sdpa_mask)  # no mask at all for plain causal windows, as sdpa
    model.set_attn_implementation(NAME)
