"""Tiny Hugging Face models built in tests: random weights, a vocabulary of a few dozen words."""

from __future__ import annotations

from pathlib import Path

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
WORDS = sorted(set(
    "a the and of is it not at all film movie best worst great good bad dull boring warm funny "
    "wonderful lovely terrible awful ugly charming often affecting journey year triumph lifeless "
    "badly acted mess with no redeeming qualities performances script kind hollow sentiment "
    "unflinchingly bleak desperate , . !".split()))


def build_tiny(path: Path, kind: str = "distilbert", labels: dict[int, str] | None = None, seed: int = 0,
               layers: int = 2, hidden: int = 32) -> Path:
    """Save a randomly initialised sequence classifier (safetensors) with its tokenizer into ``path``."""
    import torch
    from transformers import AutoModelForSequenceClassification, BertConfig, BertTokenizerFast, DistilBertConfig

    path.mkdir(parents=True, exist_ok=True)
    vocab = path / "vocab.txt"
    vocab.write_text("\n".join(SPECIAL + WORDS) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast(vocab_file=str(vocab), do_lower_case=True)
    labels = labels or {0: "NEGATIVE", 1: "POSITIVE"}
    common = {"vocab_size": len(SPECIAL) + len(WORDS), "max_position_embeddings": 64,
              "id2label": labels, "label2id": {v: k for k, v in labels.items()}, "pad_token_id": 0,
              "initializer_range": 0.5}  # wide weights: predictions spread on both sides of 0.5
    if kind == "distilbert":
        config = DistilBertConfig(n_layers=layers, dim=hidden, n_heads=2, hidden_dim=2 * hidden, **common)
    else:
        config = BertConfig(num_hidden_layers=layers, hidden_size=hidden, num_attention_heads=2,
                            intermediate_size=2 * hidden, **common)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny work; more threads only contend with whatever else runs
    try:
        torch.manual_seed(seed)
        model = AutoModelForSequenceClassification.from_config(config)
        model.save_pretrained(path, safe_serialization=True)
    finally:
        torch.set_num_threads(threads)
    tokenizer.save_pretrained(path)
    return path
