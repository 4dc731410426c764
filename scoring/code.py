"""Which code produced a result: versioned modules, their versions in every key, and the lock of their hashes.

A versioned module is a check module (its version is the check's ``version``), an adapter module or a
helper the checks share (its version is the module's ``VERSION``). A unit's key holds the versions of
its check, its adapters and every shared helper, so bumping a version reruns exactly the results that
ran that code. ``scoring/code.lock`` records each module's version and the sha256 of its source; the
test suite fails when a module's source changed while its version did not and the lock was not
re-recorded (``unfragile lock``, after ``unfragile verify --rescore`` showed its results unchanged).
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import json
from functools import cache, lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent
LOCK = ROOT / "code.lock"
SHARED = ("scoring.stats", "scoring.data", "scoring.shards", "scoring.adapters", "scoring.checks.corpus")
OTHER = ("scoring.reference_work",)  # versioned, in the keys of the checks that import it only


def module_file(name: str) -> Path:
    if name.split(".")[0] != "scoring":  # a check from another package (a plugin, or a test's)
        import importlib.util

        return Path(importlib.util.find_spec(name).origin)
    rel = Path(*name.split(".")[1:])
    package = ROOT / rel / "__init__.py"
    return package if package.is_file() else ROOT / rel.with_suffix(".py")


@lru_cache(maxsize=1)
def versioned_modules() -> list[str]:
    """Every module whose code can change a measured number."""
    found = set(SHARED) | set(OTHER)
    for folder in ("checks", "adapters"):
        for path in (ROOT / folder).glob("*.py"):
            if path.name != "__init__.py":
                found.add(f"scoring.{folder}.{path.stem}")
    return sorted(found)


def version(name: str) -> str:
    """A module's declared version: its check's ``version``, else its ``VERSION``."""
    module = importlib.import_module(name)
    from scoring.check import Check

    checks = [v for v in vars(module).values()
              if isinstance(v, type) and issubclass(v, Check) and v is not Check and v.__module__ == name]
    if checks:
        return str(checks[0].version)
    value = getattr(module, "VERSION", None)
    if value is None:
        raise LookupError(f"{module_file(name).relative_to(ROOT.parent)}: set VERSION = \"1\" (a versioned module)")
    return str(value)


def source_sha256(name: str) -> str:
    return hashlib.sha256(module_file(name).read_bytes()).hexdigest()


@cache
def _imports(name: str) -> frozenset[str]:
    """Versioned modules that ``name`` imports anywhere in its source (read with ast, not imported)."""
    known = set(versioned_modules())
    found = set()
    for node in ast.walk(ast.parse(module_file(name).read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return frozenset(found & known)


def closure(names: set[str]) -> set[str]:
    seen, todo = set(), list(names)
    while todo:
        n = todo.pop()
        if n not in seen:
            seen.add(n)
            todo += _imports(n) - seen
    return seen


def unit_code(check_module: str, adapter_modules: list[str]) -> dict[str, str]:
    """Module -> version for everything a unit runs (its check, its adapters, what they import, the
    shared helpers): part of its key, so a version bump reruns exactly the results that ran that code."""
    names = closure({check_module, *adapter_modules, *SHARED})
    return {n: version(n) for n in sorted(names)}


def current() -> dict[str, dict[str, str]]:
    return {n: {"version": version(n), "sha256": source_sha256(n)} for n in versioned_modules()}


def read_lock(path: Path = LOCK) -> dict[str, dict[str, str]]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def lock_problems(lock: dict | None = None, now: dict | None = None) -> list[str]:
    """Modules whose code changed without a version bump or a re-recorded lock."""
    lock = read_lock() if lock is None else lock
    now = current() if now is None else now
    problems = []
    for name, cur in now.items():
        rel = module_file(name).relative_to(ROOT.parent)
        old = lock.get(name)
        if old is None:
            problems.append(f"{rel}: not in scoring/code.lock; record it with `unfragile lock`")
        elif old["sha256"] != cur["sha256"] and old["version"] == cur["version"]:
            problems.append(f"{rel}: code changed but its version is still {cur['version']}: bump the version "
                            "(its results rerun), or run `unfragile verify --rescore` on its results and, if "
                            "nothing changed, re-record the lock with `unfragile lock`")
    problems += [f"scoring/code.lock: {n} no longer exists; re-record the lock with `unfragile lock`"
                 for n in sorted(set(lock) - set(now))]
    return problems


def write_lock(path: Path = LOCK) -> dict:
    now = current()
    path.write_text(json.dumps(now, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return now
