"""Where the evidence behind a number lives in the built site."""

from __future__ import annotations


def evidence_path(entry_id: str, result_id: str, examples: bool = False) -> str:
    """A result's JSON (or its per-example file), copied into the site, relative to the site's root."""
    return f"evidence/{entry_id}/{result_id}{'.examples.jsonl' if examples else '.json'}"
