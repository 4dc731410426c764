"""Classifiers whose head reads the first token only: run their last encoder layer for that token only.

BERT, RoBERTa, XLM-RoBERTa and DistilBERT sequence classifiers pool the first token ([CLS] / <s>)
of the last layer. In that layer, every other token's output is computed and thrown away: its keys
and values are needed (the first token attends to them), its queries, attention output and
feed-forward block are not. Skipping them is the same function, fewer products: on a 6-layer
model about 14% of the matrix work. The output differs from the full model's by float rounding
only (the same products over a different number of rows); ``tests/scoring/test_first_token.py``
checks that on padded batches, and ``unfragile verify --rescore`` on every classifier result.

Other architectures are left as they are.
"""

from __future__ import annotations

VERSION = "1"  # bump when a change here can move a measured number (see scoring/code.py)

# model class -> (attribute path to the encoder's layer list, layer kind)
SUPPORTED = {
    "BertForSequenceClassification": ("bert.encoder.layer", "bert"),
    "RobertaForSequenceClassification": ("roberta.encoder.layer", "bert"),
    "XLMRobertaForSequenceClassification": ("roberta.encoder.layer", "bert"),
    "DistilBertForSequenceClassification": ("distilbert.transformer.layer", "distilbert"),
}


def _attend(query, key, value, mask, heads: int):
    """Multi-head attention of (batch, q, hidden) queries over (batch, t, hidden) keys and values."""
    import torch

    b, q_len, hidden = query.shape
    d = hidden // heads

    def split(x):
        return x.view(b, -1, heads, d).transpose(1, 2)

    out = torch.nn.functional.scaled_dot_product_attention(split(query), split(key), split(value), attn_mask=mask)
    return out.transpose(1, 2).reshape(b, q_len, hidden)


def _query_mask(mask):
    """The mask the encoder hands its layers (None, boolean or additive; (batch, t) or 4-D), for the first
    query row in the shape attention takes."""
    import torch

    if mask is None:
        return None
    if mask.dim() == 2:  # a plain padding mask: 1 = a real token
        return mask[:, None, None, :].to(torch.bool)
    return mask[:, :, :1, :] if mask.shape[-2] > 1 else mask


def _bert_layer(layer, hidden, mask):
    att = layer.attention
    first = hidden[:, :1]
    heads = att.self.num_attention_heads
    context = _attend(att.self.query(first), att.self.key(hidden), att.self.value(hidden), _query_mask(mask), heads)
    attended = att.output(context, first)
    return layer.output(layer.intermediate(attended), attended)


def _distilbert_layer(layer, hidden, mask):
    att = layer.attention
    first = hidden[:, :1]
    context = _attend(att.q_lin(first), att.k_lin(hidden), att.v_lin(hidden), _query_mask(mask),
                      att.n_heads)
    attended = layer.sa_layer_norm(att.out_lin(context) + first)
    return layer.output_layer_norm(layer.ffn(attended) + attended)


LAYERS = {"bert": _bert_layer, "distilbert": _distilbert_layer}


def _wrapper(layer, kind: str):
    import torch

    run = LAYERS[kind]

    class FirstTokenLayer(torch.nn.Module):
        """The last layer, computed for the first token only: (batch, 1, hidden) out."""

        def __init__(self):
            super().__init__()
            self.inner = layer

        def forward(self, hidden_states, attention_mask=None, *args, **kwargs):
            return run(self.inner, hidden_states, attention_mask)

    return FirstTokenLayer()


def apply(model) -> bool:
    """Replace ``model``'s last encoder layer in place when its head reads the first token only."""
    found = SUPPORTED.get(type(model).__name__)
    if found is None or getattr(model.config, "is_decoder", False) or getattr(model.config, "add_cross_attention",
                                                                              False):
        return False
    path, kind = found
    layers = model
    for name in path.split("."):
        layers = getattr(layers, name, None)
        if layers is None:
            return False
    if not len(layers) or type(layers[-1]).__name__ == "FirstTokenLayer":
        return False
    layers[-1] = _wrapper(layers[-1], kind)
    return True
