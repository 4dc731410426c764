"""Display metadata for metrics (declared on their checks, read through the registry) and number formatting."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

SCHEMA = Path(__file__).with_name("schema.yaml")


@dataclass(frozen=True)
class MetricInfo:
    name: str
    display: str
    unit: str
    higher_is_better: bool | None
    description: str = ""
    tolerance: str = "exact"
    interval: tuple[str, str] | None = None  # the metrics that bound it (its 95% interval)


class UnknownMetric(ValueError):
    pass


@lru_cache(maxsize=1)
def schema() -> dict:
    """The site's layout (leaderboards, rank, match graph, charts); metrics are declared on their checks."""
    return yaml.safe_load(SCHEMA.read_text(encoding="utf-8"))


def _catalog() -> dict:
    from scoring import registry

    return _catalog_of(tuple(registry.names()))


@lru_cache(maxsize=4)
def _catalog_of(checks: tuple[str, ...]) -> dict:
    """Cached per set of registered checks, so a check registered later is seen."""
    from scoring.registry import metric_catalog

    return metric_catalog()


def info(name: str) -> MetricInfo:
    m = _catalog().get(name)
    if m is None:
        close = difflib.get_close_matches(name, _catalog(), n=3)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise UnknownMetric(f"no check declares a metric {name!r}.{hint}")
    return MetricInfo(name, m.display, m.unit, m.higher_is_better, m.description, m.tolerance, m.interval)


def fmt(value: float | int | None, unit: str) -> str:
    """One consistent way to print a number of a given unit, written for people (66.4M, 91.06%, 3.4 GiB);
    the exact values are in the JSON and CSV downloads."""
    if value is None:
        return "—"
    if unit == "fraction":
        return f"{100 * value:.2f}%"
    if unit == "parameters":
        for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
            if abs(value) >= size:
                return f"{value / size:.3g}{suffix}"
        return f"{value:,.0f}"
    if unit == "bytes" and abs(value) >= 2**20:
        for size, suffix in ((2**40, "TiB"), (2**30, "GiB"), (2**20, "MiB")):
            if abs(value) >= size:
                return f"{value / size:.1f} {suffix}"
    if unit in ("count", "bytes") and float(value).is_integer():
        return f"{int(value):,}"
    if unit == "bits/byte":
        return f"{value:.4f}"
    if unit == "ratio":
        return f"{value:.2f}×"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


SCALES = {("%", "fraction"): 0.01, ("M parameters", "parameters"): 1e6, ("B parameters", "parameters"): 1e9,
          ("KiB", "bytes"): 1024, ("MiB", "bytes"): 2**20, ("GiB", "bytes"): 2**30, ("KB", "bytes"): 1000,
          ("MB", "bytes"): 1e6, ("GB", "bytes"): 1e9}


def same_scale(claim_unit: str | None, metric_unit: str) -> bool:
    """Whether a claimed value can be shown in the metric's unit."""
    return (claim_unit or metric_unit) == metric_unit or (claim_unit or "", metric_unit) in SCALES \
        or (claim_unit, metric_unit) in (("rows", "count"), ("lines", "count"), ("count", "count"))


def to_metric_unit(value: float, claim_unit: str | None, metric_unit: str) -> float:
    """Convert a claimed value (or a claim's tolerance) into the metric's unit where they differ only by scale."""
    return value * SCALES.get((claim_unit or "", metric_unit), 1)
