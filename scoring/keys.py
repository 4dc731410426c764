"""Result keys: a hash of everything that can change a unit's answer, the producing code included."""

from __future__ import annotations

import hashlib
import json

from scoring import code
from scoring.check import Args, Check, Context, Shard
from scoring.entries import CheckSpec, Entry, Limits


def code_versions(entry: Entry, check: Check, args: Args) -> dict[str, str]:
    return code.unit_code(type(check).__module__, check.adapters(entry, args))


def _material(entry: Entry, check: Check, args: Args, ctx: Context) -> dict:
    return {
        "check": check.name,
        "check_version": check.version,
        "code": code_versions(entry, check, args),
        "entry": entry.id,
        "source": _source(entry),
        "args": args.model_dump(mode="json"),
        "inputs": check.key_inputs(entry, args, ctx),
    }


# Where a data file can be downloaded from changes nothing it holds (its sha256 is pinned).
_WHERE_FROM = {"url", "member", "archive_sha256", "note"}


def _source(entry: Entry) -> dict:
    source = entry.source.model_dump(mode="json", by_alias=True)
    if isinstance(source.get("files"), list):
        source["files"] = [{k: v for k, v in f.items() if k not in _WHERE_FROM} for f in source["files"]]
    return source


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def unit_key(entry: Entry, spec: CheckSpec, check: Check, args: Args, ctx: Context) -> str:
    material = _material(entry, check, args, ctx)
    if spec.limits != Limits():  # a raised limit should retry a unit that failed on the old one
        material["limits"] = spec.limits.model_dump(exclude_none=True)
    return _sha256(json.dumps(material, sort_keys=True))


def shard_keys(unit, shards: list[Shard], ctx: Context) -> list[str]:
    """Unit inputs minus the shard files themselves, plus one shard's name and sha256.

    So a changed shard changes only its own key, while a new check version, new args or a new model
    revision changes every shard's key.
    """
    names = {s.name for s in shards}
    material = _material(unit.entry, unit.check, unit.args, ctx)
    if isinstance(material["inputs"], dict):
        material["inputs"] = {k: v for k, v in material["inputs"].items() if k not in names}
    files = material["source"].get("files")
    if isinstance(files, list):
        material["source"]["files"] = [f for f in files if f.get("path") not in names]
    base = json.dumps(material, sort_keys=True)
    return [_sha256(f"{base}\n{s.name}\n{s.sha256}") for s in shards]


