"""The match graph: entries embedded from their capability text, nearest alternatives, comparison pairs.

Vectors come from an encoder (generator/encoder.py) through a cache keyed by the sha256 of each
text, so generation only embeds text it has not seen. Everything here is deterministic: vectors
are rounded before use and ties break by entry id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from scoring.entries import Entry

VECTOR_DECIMALS = 5
SIMILARITY_DECIMALS = 3

Encoder = Callable[[list[str]], np.ndarray]


def entry_texts(entry: Entry) -> list[str]:
    """What an entry is matched on: its summary and each capability (title and summary)."""
    return [f"{entry.title}. {entry.summary}"] + [f"{c.title}. {c.summary}" for c in entry.capabilities]


def text_key(encoder_id: str, text: str) -> str:
    return hashlib.sha256(f"{encoder_id}\n{text}".encode()).hexdigest()


def round_vectors(vectors: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(vectors, dtype=np.float64), VECTOR_DECIMALS)


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
