"""The Verification page's view model: which committed results CI re-measured, when, where, and whether they matched."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError


class Run(BaseModel):
    model_config = ConfigDict(extra="ignore")
    date: str
    commit: str | None = None
    machine: str = "unknown"
    entries: list[str] = []
    results: dict[str, str] = {}
    matched: bool
    timings_reported: int = 0


def load(path: Path) -> list[Run]:
    """Newest first; a missing or unreadable record is an empty history (the page says so)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        runs = [Run.model_validate(r) for r in raw] if isinstance(raw, list) else []
    except (OSError, ValueError, ValidationError):
        return []
    return sorted(runs, key=lambda r: r.date, reverse=True)
