"""Checks are small classes registered by name, discovered in their package: adding a check is adding a module."""

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


CHECK_PACKAGES = ["scoring.checks"]  # packages whose modules are checks; a test may add its own
_loaded: set[str] = set()


def _load_builtin() -> None:
    """Import every module of the check packages once (each registers its checks by decorator)."""
    import importlib
    import pkgutil

    for package in CHECK_PACKAGES:
        if package in _loaded:
            continue
        module = importlib.import_module(package)
        for info in sorted(pkgutil.iter_modules(module.__path__), key=lambda i: i.name):
            importlib.import_module(f"{package}.{info.name}")
        _loaded.add(package)


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


class MetricConflict(ValueError):
    pass


def metric_catalog() -> dict:
    """Every metric any check declares (its own or in its detail tables), by name, described once.

    A name two checks share must mean the same thing on the site: the same display name, unit and
    direction; a conflict is an error naming both checks.
    """
    _load_builtin()
    found: dict[str, tuple[str, object]] = {}
    for name in sorted(_CHECKS):
        cls = _CHECKS[name]
        for metric_name, metric in {**cls.detail_metrics, **cls.metrics}.items():
            seen = found.get(metric_name)
            if seen is None:
                found[metric_name] = (name, metric)
                continue
            other_check, other = seen
            if (other.display, other.unit, other.higher_is_better) != (metric.display, metric.unit,
                                                                      metric.higher_is_better):
                raise MetricConflict(f"metric {metric_name!r} is described twice: by {other_check} as "
                                     f"{other.display!r} ({other.unit}) and by {name} as {metric.display!r} "
                                     f"({metric.unit}); declare it once in scoring/metrics.py")
    return {k: m for k, (_, m) in found.items()}


def metrics_of(check_name: str) -> dict:
    """The metrics (and detail-table columns) check ``check_name`` declares."""
    cls = type(get(check_name))
    return {**cls.detail_metrics, **cls.metrics}
