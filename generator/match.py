"""The match graph: entries embedded from their capability text, nearest alternatives, comparison pairs.

Vectors are evidence scoring wrote (scoring/embeddings.py, keyed by the sha256 of each text); the
generator only reads them (tests and benchmarks pass the hashing stand-in instead). Everything here is deterministic: vectors
are rounded before use and ties break by entry id.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from scoring.embeddings import entry_texts, round_vectors, text_key  # noqa: F401  (what matching is built on)
from scoring.entries import Entry

SIMILARITY_DECIMALS = 3

Encoder = Callable[[list[str]], np.ndarray]


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


def entry_vectors(catalog: dict[str, Entry], lookup: Callable[[list[str]], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """One unit vector per entry: the normalised mean of its texts' vectors."""
    texts = {e.id: entry_texts(e) for e in catalog.values()}
    vectors = lookup(sorted({t for ts in texts.values() for t in ts}))
    out = {}
    for entry_id in sorted(texts):
        mean = np.mean([vectors[t] for t in texts[entry_id]], axis=0)
        norm = np.linalg.norm(mean)
        out[entry_id] = mean / norm if norm else mean
    return out


@dataclass(frozen=True)
class Neighbour:
    id: str
    similarity: float


def neighbours(vectors: dict[str, np.ndarray], k: int) -> dict[str, list[Neighbour]]:
    """The k most similar other entries of each entry (cosine similarity, ties by id)."""
    ids = sorted(vectors)
    if not ids:
        return {}
    matrix = np.stack([vectors[i] for i in ids])
    sims = np.round(matrix @ matrix.T, SIMILARITY_DECIMALS)
    out = {}
    position = np.arange(len(ids))  # ids are sorted, so position order is id order
    for row, entry_id in enumerate(ids):
        order = np.lexsort((position, -sims[row]))  # most similar first, ties by id
        order = [j for j in order[: k + 1] if j != row][:k]
        out[entry_id] = [Neighbour(ids[j], float(sims[row, j])) for j in order]
    return out


def similarity(vectors: dict[str, np.ndarray], a: str, b: str) -> float | None:
    if a not in vectors or b not in vectors:
        return None
    return round(float(vectors[a] @ vectors[b]), SIMILARITY_DECIMALS)


def comparison_pairs(catalog: dict[str, Entry], near: dict[str, list[Neighbour]], seed: list[tuple[str, str]],
                     compare_neighbours: int, task_pairs_max: int) -> list[tuple[str, str, str]]:
    """Pairs worth a comparison page, as (a, b, why): the seed pairs, each entry with its nearest
    entries in the match graph, and every pair inside a small task. Sorted; seed pairs keep their order."""
    chosen: dict[frozenset, tuple[str, str, str]] = {}

    def add(a: str, b: str, why: str) -> None:
        if a != b and a in catalog and b in catalog:
            chosen.setdefault(frozenset((a, b)), (a, b, why) if (a, b) in seed else (min(a, b), max(a, b), why))

    for a, b in seed:
        add(a, b, "the site's standing comparison")
    for entry_id in sorted(near):
        for n in near[entry_id][:compare_neighbours]:
            add(entry_id, n.id, "near in the match graph")
    by_task: dict[str, list[str]] = {}
    for entry in catalog.values():
        if entry.task:
            by_task.setdefault(entry.task, []).append(entry.id)
    for task in sorted(by_task):
        members = sorted(by_task[task])
        if len(members) <= task_pairs_max:
            for i, a in enumerate(members):
                for b in members[i + 1:]:
                    add(a, b, f"same task ({task})")
    return sorted(chosen.values(), key=lambda p: (p[0], p[1]))
