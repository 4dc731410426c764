"""The last layer computed for the first token only is the same classifier, on padded batches too."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoModelForSequenceClassification, BertConfig, DistilBertConfig, GPT2Config, RobertaConfig

from scoring.adapters import first_token

SMALL = {"vocab_size": 100, "num_labels": 2}
CONFIGS = {
    "bert": lambda: BertConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64, **SMALL),
    "roberta": lambda: RobertaConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
                                     pad_token_id=1, **SMALL),
    "distilbert": lambda: DistilBertConfig(dim=32, n_layers=2, n_heads=4, hidden_dim=64, **SMALL),
}


@pytest.mark.parametrize("attention", ["sdpa", "eager"])
@pytest.mark.parametrize("arch", sorted(CONFIGS))
def test_same_logits_as_the_full_model(arch, attention):
    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_config(CONFIGS[arch](), attn_implementation=attention).eval()
    ids = torch.randint(5, 100, (5, 11))
    mask = torch.ones_like(ids)
    mask[1, 6:] = 0
    mask[4, 2:] = 0  # mostly padding
    with torch.inference_mode():
        full, alone = model(input_ids=ids, attention_mask=mask).logits, model(input_ids=ids[:1]).logits
        assert first_token.apply(model)
        cut, cut_alone = model(input_ids=ids, attention_mask=mask).logits, model(input_ids=ids[:1]).logits
    assert not torch.equal(full, torch.zeros_like(full))
    torch.testing.assert_close(cut, full, rtol=0, atol=1e-6)
    torch.testing.assert_close(cut_alone, alone, rtol=0, atol=1e-6)
    assert not first_token.apply(model)  # already applied: left as it is


def test_other_heads_are_left_alone():
    model = AutoModelForSequenceClassification.from_config(
        GPT2Config(vocab_size=100, n_embd=32, n_layer=1, n_head=4, num_labels=2, pad_token_id=0))
    before = [type(m) for m in model.modules()]
    assert not first_token.apply(model)  # GPT-2 reads the last token
    assert [type(m) for m in model.modules()] == before
