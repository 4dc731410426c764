"""Put the generated files on disk, touching only what changed.

A file is written only when its bytes differ from the file already there, and files the generator no
longer produces are removed, so the tree ends up exactly as a generate into an empty directory would
leave it, while every unchanged page keeps its bytes and its modification time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Synced:
    written: list[str]  # relative paths written (new or changed), sorted
    removed: list[str]  # relative paths removed (no longer produced), sorted


def _same(path: Path, data: bytes) -> bool:
    try:
        return not path.is_symlink() and path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:  # missing, or a directory
        return False


def _remove_stale(out: Path, keep: set[str]) -> list[str]:
    """Remove files (and symlinks) not in ``keep``, then directories left empty; the files removed."""
    removed = []
    for root, dirs, names in os.walk(out, topdown=False):
        for name in names:
            path = Path(root, name)
            rel = path.relative_to(out).as_posix()
            if rel not in keep or path.is_symlink():
                path.unlink()
                if rel not in keep:
                    removed.append(rel)
        for name in dirs:
            path = Path(root, name)
            if path.is_symlink():
                path.unlink()
            elif not any(path.iterdir()):
                path.rmdir()
    return sorted(removed)


def sync(out: Path, files: dict[str, bytes]) -> Synced:
    """Make ``out`` hold exactly ``files`` (relative POSIX path -> bytes), writing only what differs."""
    out.mkdir(parents=True, exist_ok=True)
    removed = _remove_stale(out, set(files))
    written = []
    for rel, data in files.items():
        path = out / rel
        if _same(path, data):
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(rel)
    return Synced(sorted(written), removed)
