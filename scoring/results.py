"""Result files: one JSON per (entry, check), written atomically, read with migration."""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 2


class Provenance(BaseModel):
    model_config = ConfigDict(extra="forbid")

    engine_version: str
    check_version: str
    code: dict[str, str] = {}  # module -> version of every versioned module the unit ran (scoring/code.py)
    threads: dict[str, int | str] = {}  # torch / BLAS / OpenMP threads in the child process
    git_commit: str | None = None
    inputs: dict[str, str] = {}
    model: dict = {}
    libraries: dict[str, str] = {}
    device: str = "cpu"
    cpu: dict = {}  # model, instruction-set level, kernel-selecting flags and overrides (scoring/machine.py)
    python: str = ""
    platform: str = ""
    seed: int = 0
    started_at: str = ""
    finished_at: str = ""
    duration_s: float = 0.0


class Evidence(BaseModel):
    """The per-example file beside a result: its name, the sha256 of its bytes and its record count."""

    model_config = ConfigDict(extra="forbid")

    file: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    records: int = Field(ge=0)


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
    reason_code: str | None = None  # an unavailable result's reason as data (scoring/reasons.py)
    reason_params: dict = {}
    config: dict = {}
    details: dict = {}
    evidence: Evidence | None = None
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


def examples_text(examples: list[dict]) -> str:
    """Per-example records, one JSON object a line, numbers at full precision (aggregates derive from them)."""
    return "".join(json.dumps(e, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n" for e in examples)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write(results_dir: Path, result: Result, examples: list[dict] | None = None) -> Path:
    """Examples first (their sha256 goes into the result), then the result JSON, which marks the unit complete."""
    epath = examples_path(results_dir, result.entry, result.id)
    if examples:
        text = examples_text(examples)
        atomic_write(epath, text)
        result = result.model_copy(update={"evidence": Evidence(file=epath.name, sha256=sha256_text(text),
                                                                records=len(examples))})
    else:
        epath.unlink(missing_ok=True)  # an examples file no result names would be an orphan
        result = result.model_copy(update={"evidence": None})
    data = tidy(result.model_dump(mode="json"))
    path = result_path(results_dir, result.entry, result.id)
    atomic_write(path, dumps(data))
    return path


def migrate(data: dict) -> dict:
    """Bring an older result file to the current schema.

    Version 1 recorded no hash of its per-example file and no code versions: it still reads (so an old
    file is reported as stale, not as unreadable), but verify cannot vouch for it until it is rescored.
    """
    if not isinstance(data, dict):
        raise ValueError("a result file holds one JSON object")
    version = data.get("schema_version", 1)
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise ValueError(f"schema_version {version!r} is newer than this engine understands ({SCHEMA_VERSION})")
    if version == 1:
        data = {**data, "schema_version": 1}
        data["provenance"] = {k: v for k, v in (data.get("provenance") or {}).items() if k in Provenance.model_fields}
    return data


def read(path: Path) -> Result:
    return Result.model_validate(migrate(json.loads(path.read_text(encoding="utf-8"), parse_constant=_no_constant)))


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number a result may hold")


def read_examples(results_dir: Path, result: Result) -> list[dict]:
    """A result's per-example records ([] when it keeps none). Call after verify has checked them."""
    if result.evidence is None:
        return []
    path = results_dir / result.entry / result.evidence.file
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


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
