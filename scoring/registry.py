"""Checks are small classes registered by name."""

from __future__ import annotations

import difflib

_CHECKS: dict[str, type] = {}


class UnknownCheck(KeyError):
    def __str__(self) -> str:
        return self.args[0]


def register(cls):
    """Class decorator: make a Check available under its ``name``."""
    name = cls.name
    if name in _CHECKS and _CHECKS[name] is not cls:
        raise ValueError(f"check {name!r} is registered twice")
    _CHECKS[name] = cls
    return cls


def _load_builtin() -> None:
    import scoring.checks  # noqa: F401  (registers every built-in check)


def get(name: str):
    _load_builtin()
    if name not in _CHECKS:
        close = difflib.get_close_matches(name, _CHECKS, n=3)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise UnknownCheck(f"Unknown check {name!r}.{hint} Available: {', '.join(sorted(_CHECKS))}")
    return _CHECKS[name]()


def names() -> list[str]:
    _load_builtin()
    return sorted(_CHECKS)
