"""Result files: one JSON per (entry, check), written atomically, read with migration."""

from __future__ import annotations

import json
import math
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

SCHEMA_VERSION = 1


class Provenance(BaseModel):
    model_config = ConfigDict(extra="allow")

    engine_version: str
    check_version: str
    git_commit: str | None = None
    inputs: dict[str, str] = {}
    model: dict = {}
    libraries: dict[str, str] = {}
    device: str = "cpu"
    python: str = ""
    platform: str = ""
    seed: int = 0
    started_at: str = ""
    finished_at: str = ""
    duration_s: float = 0.0


class Result(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: int = SCHEMA_VERSION
    entry: str
    id: str
    check: str
    status: Literal["ok", "failed", "unavailable"]
    key: str
    metrics: dict[str, float | int] = {}
    reason: str | None = None
    config: dict = {}
    details: dict = {}
    provenance: Provenance


def tidy(value):
    """Consistent rounding (7 significant digits) and no NaN/Infinity in stored numbers."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"non-finite number {value}")
        return float(f"{value:.7g}")
    if hasattr(value, "item"):  # numpy scalar
        return tidy(value.item())
    if isinstance(value, dict):
        return {str(k): tidy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [tidy(v) for v in value]
    raise TypeError(f"cannot store {type(value).__name__}")


def result_path(results_dir: Path, entry_id: str, result_id: str) -> Path:
    return results_dir / entry_id / f"{result_id}.json"


def examples_path(results_dir: Path, entry_id: str, result_id: str) -> Path:
    return results_dir / entry_id / f"{result_id}.examples.jsonl"


@contextmanager
def atomic_open(path: Path, mode: str = "w"):
    """Write through a temp file in the same folder, fsync, os.replace: readers see the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes 0600; results are shared, readable files
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def atomic_write(path: Path, text: str) -> None:
    with atomic_open(path) as fh:
        fh.write(text)


def dumps(data) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def write(results_dir: Path, result: Result, examples: list[dict] | None = None) -> Path:
    """Examples first, then the result JSON, which marks the unit complete."""
    if examples:
        lines = "".join(json.dumps(tidy(e), sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n" for e in examples)
        atomic_write(examples_path(results_dir, result.entry, result.id), lines)
    data = tidy(result.model_dump(mode="json"))
    path = result_path(results_dir, result.entry, result.id)
    atomic_write(path, dumps(data))
    return path


def migrate(data: dict) -> dict:
    """Bring an older result file to the current schema (version 1 is the first)."""
    version = data.get("schema_version", 1)
    if version > SCHEMA_VERSION:
        raise ValueError(f"schema_version {version} is newer than this engine understands ({SCHEMA_VERSION})")
    return data


def read(path: Path) -> Result:
    return Result.model_validate(migrate(json.loads(path.read_text(encoding="utf-8"), parse_constant=_no_constant)))


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number a result may hold")


def read_all(results_dir: Path) -> tuple[dict[tuple[str, str], Result], list[str]]:
    """Every result under results_dir, keyed by (entry, result id); unreadable files are reported, not fatal."""
    found: dict[tuple[str, str], Result] = {}
    problems = []
    if not results_dir.is_dir():
        return found, problems
    for path in sorted(results_dir.glob("*/*.json")):
        try:
            result = read(path)
        except (ValueError, OSError) as err:
            problems.append(f"{path}: {str(err).splitlines()[0]}")
            continue
        found[(result.entry, result.id)] = result
    return found, problems
