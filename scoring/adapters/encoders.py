"""Sentence features from a Hugging Face encoder: hidden states averaged over the real tokens.

Embeddings are cached under ``<cache_dir>/embeddings/`` in a file named by a hash of the model
(weights sha256), the options and the data file's sha256, so a rerun skips the encoder.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from scoring import results
from scoring.adapters import hf

VERSION = "1"  # bump when a change here can move a measured number (see scoring/code.py)

POOLING = "mean over non-padding tokens of the last hidden state"


class MeanPooledEncoder:
    Options = hf.HFOptions

    def __init__(self, entry, options: dict, ctx):
        self.options = hf.HFOptions.model_validate(options)
        located = hf.locate(entry, self.options, getattr(ctx, "models_dir", None))
        self.tokenizer, self.encoder = hf.load(located.path, "encoder")
        self.model = {**located.provenance, "pooling": POOLING, "parameters": hf.parameter_count(self.encoder),
                      "dimensions": int(self.encoder.config.hidden_size)}

    def embed(self, sentences: list[str], ctx, desc: str = "embed") -> np.ndarray:
        def output(out, mask):
            m = mask.unsqueeze(-1).to(out.last_hidden_state.dtype)
            return ((out.last_hidden_state * m).sum(1) / m.sum(1).clamp(min=1)).float().numpy()

        tokenized = hf.tokenize(self.tokenizer, sentences, self.options.max_length)
        bar = (lambda it: ctx.bar(it, desc=desc, unit="batch")) if ctx is not None else None
        rows = hf.run_batches(self.encoder, self.tokenizer, tokenized, self.options.batch_size, output, bar)
        return np.stack(rows).astype(np.float32) if rows else np.zeros((0, self.model["dimensions"]), np.float32)

    def cache_key(self, data_sha256: str, extra: dict | None = None) -> str:
        material = {"model": self.model, "options": self.options.model_dump(), "data": data_sha256,
                    "code": {"encoders": VERSION, "hf": hf.VERSION}, **(extra or {})}  # new pooling code: new vectors
        return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def encoder(entry, options: dict, ctx):
    """The entry's encoder: ONNX Runtime for a pinned .onnx file, else PyTorch (transformers)."""
    if is_onnx(entry):  # loaded by name: only ONNX entries' keys carry its version (their check says so)
        import importlib

        return importlib.import_module(ONNX_MODULE).OnnxEncoder(entry, options, ctx)
    return MeanPooledEncoder(entry, options, ctx)


ONNX_MODULE = "scoring.adapters.onnx_encoder"


def is_onnx(entry) -> bool:
    return bool(getattr(entry.source, "onnx", False))


def cached_embeddings(encoder: MeanPooledEncoder, sentences: list[str], data_sha256: str, ctx,
                      desc: str = "embed") -> tuple[np.ndarray, bool]:
    """(embeddings, whether they came from the cache). ``data_sha256`` names the exact sentences."""
    key = encoder.cache_key(data_sha256, {"rows": len(sentences)})
    path = Path(ctx.cache_dir) / "embeddings" / f"{key}.npy"
    if path.is_file():
        cached = np.load(path, allow_pickle=False)
        if cached.shape[0] == len(sentences):
            return cached, True
    vectors = encoder.embed(sentences, ctx, desc)
    with results.atomic_open(path, "wb") as fh:
        np.save(fh, vectors, allow_pickle=False)
    return vectors, False
