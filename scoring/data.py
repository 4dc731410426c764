"""Find data files in the data dir and verify them against the sha256 their entry pins."""

from __future__ import annotations

import csv
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from scoring.check import Context, Unavailable
from scoring.entries import DataFile, FilesSource

VERSION = "1"  # bump when a change here can move a measured number (see scoring/code.py)

DATA_ENV = "UNFRAGILE_DATA_DIR"
_VERIFIED: dict[tuple, str] = {}


MODELS_ENV = "UNFRAGILE_MODEL_DIR"


def _user_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")) / "unfragile"


def default_models_dir() -> Path:
    """$UNFRAGILE_MODEL_DIR, else ``~/.cache/unfragile/models``: where wheel-shipped models are unpacked."""
    value = os.environ.get(MODELS_ENV)
    return Path(value) if value else _user_cache() / "models"


def default_data_dir() -> Path:
    """$UNFRAGILE_DATA_DIR, else the user cache dir (``~/.cache/unfragile/data``), where ``unfragile fetch`` puts files."""
    value = os.environ.get(DATA_ENV)
    return Path(value) if value else _user_cache() / "data"


def sha256_file(path: Path) -> str:
    stat = path.stat()
    memo = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if memo not in _VERIFIED:
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        _VERIFIED[memo] = digest.hexdigest()
    return _VERIFIED[memo]


def dataset_files(ctx: Context, dataset_id: str, split: str | None = None) -> list[DataFile]:
    entry = ctx.catalog.get(dataset_id)
    if entry is None or not isinstance(entry.source, FilesSource):
        raise Unavailable("no-dataset-entry", dataset=dataset_id)
    files = [f for f in entry.source.files if split is None or f.split == split]
    if not files:
        raise Unavailable("no-split-file", dataset=dataset_id, split=split)
    return files


@dataclass(frozen=True)
class Resolved:
    path: Path
    spec: DataFile


def resolve(ctx: Context, spec: DataFile) -> Resolved:
    """The local path of a pinned data file, after checking its sha256."""
    if ctx.data_dir is None:
        raise Unavailable("no-data-dir", file=spec.path)
    path = ctx.data_dir / spec.path
    if not path.is_file():
        raise Unavailable("data-file-missing" if spec.url else "data-file-offline", file=spec.path)
    actual = sha256_file(path)
    if actual != spec.sha256:
        raise Unavailable("data-file-changed", file=spec.path, actual=actual[:12], pinned=spec.sha256[:12])
    return Resolved(path, spec)


def split_file(ctx: Context, dataset_id: str, split: str) -> Resolved:
    files = dataset_files(ctx, dataset_id, split)
    if len(files) != 1:
        raise Unavailable("split-files", dataset=dataset_id, split=split, count=len(files))
    return resolve(ctx, files[0])


def read_labelled_tsv(path: Path) -> tuple[list[str], list[int]]:
    """GLUE-style ``sentence<TAB>label`` with a header row."""
    sentences, labels = [], []
    with path.open(encoding="utf-8", newline="") as fh:
        rows = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(rows, None)
        if header is None or [h.strip() for h in header[:2]] != ["sentence", "label"]:
            raise ValueError(f"{path}: expected a header 'sentence<TAB>label'")
        for n, row in enumerate(rows, start=2):
            if len(row) != 2 or row[1].strip() not in ("0", "1"):
                raise ValueError(f"{path}:{n}: expected 'sentence<TAB>0|1'")
            sentences.append(row[0].strip())
            labels.append(int(row[1]))
    return sentences, labels
