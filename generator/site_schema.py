"""generator/schema.yaml, typed: the site's layout only (leaderboards, rank, match graph, charts).

Every check, metric and argument name it uses must exist: a typo is an error with did-you-mean,
never a criterion that silently scores every entry 0.
"""

from __future__ import annotations

import difflib
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from scoring import registry


class SchemaError(ValueError):
    pass


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Checks = str | list[str]


class Column(_Strict):
    title: str | None = None
    check: Checks
    metric: str
    where: dict[str, str | int | float | bool] = {}


class Board(_Strict):
    id: str
    title: str
    check: Checks
    metric: str
    ci: list[str] | None = Field(None, min_length=2, max_length=2)
    where: dict[str, str | int | float | bool] = {}
    columns: list[Column] = []
    n: str | None = None
    details: str | None = None
    chart: list[Literal["bars", "scatter", "subsets"]] | Literal["bars", "scatter", "subsets"] | None = None


class Criterion(_Strict):
    id: str
    title: str
    dimension: str
    check: Checks
    metric: str
    where: dict[str, str | int | float | bool] = {}
    applies: dict[str, str | list[str]] = Field(min_length=1, description="the peer group it applies to")
    floor: float | dict
    ceiling: float | dict
    scale: Literal["linear", "log"] = "linear"
    basis: str


class Rank(_Strict):
    weights: dict[str, float]
    open_licenses: list[str]
    criteria: list[Criterion]


class Match(_Strict):
    neighbours: int = Field(5, ge=0)
    compare_neighbours: int = Field(3, ge=0)
    task_pairs_max: int = Field(12, ge=0)


class ChartSpec(_Strict):
    id: str
    title: str
    check: str
    details: str
    series: dict[str, str]
    unit: str = ""
    axis: str = ""


class PeerGroup(_Strict):
    id: str
    title: str
    applies: dict[str, str | list[str]] = Field(min_length=1)
    leaderboards: list[str] = []


class SiteSchema(_Strict):
    leaderboards: list[Board] = []
    peer_groups: list[PeerGroup] = []
    rank: Rank
    match: Match = Match()
    charts: list[ChartSpec] = []
    page_size: int = Field(100, ge=1)
    comparisons: list[list[str]] = []


def _hint(name: str, known) -> str:
    close = difflib.get_close_matches(name, list(known), n=3)
    return f" Did you mean: {', '.join(close)}?" if close else ""


def _names(checks: Checks) -> list[str]:
    return [checks] if isinstance(checks, str) else list(checks)


def _refs(where: str, checks: Checks, metrics: list[str], args: dict) -> list[str]:
    problems = []
    known = registry.names()
    found = []
    for name in _names(checks):
        if name not in known:
            problems.append(f"{where}.check: unknown check {name!r}.{_hint(name, known)} Available: {', '.join(known)}")
        else:
            found.append(name)
    if not found:
        return problems
    declared = set().union(*(registry.metrics_of(c) for c in found))
    for metric in metrics:
        if metric not in declared:
            problems.append(f"{where}.metric: {', '.join(found)} report no metric {metric!r}.{_hint(metric, declared)}")
    fields = set().union(*(type(registry.get(c)).Args.model_fields for c in found))
    for arg in args:
        if arg not in fields:
            problems.append(f"{where}.where: {', '.join(found)} take no argument {arg!r}.{_hint(arg, fields)}")
    return problems


def validate(raw: dict, source: str = "generator/schema.yaml") -> SiteSchema:
    """The typed schema, or SchemaError listing every problem as ``source: path: message``."""
    if isinstance(raw, dict) and "metrics" in raw:
        raise SchemaError(f"{source}: metrics: metrics are declared on their checks (scoring/checks/, "
                          "scoring/metrics.py), not here")
    try:
        schema = SiteSchema.model_validate(raw)
    except ValidationError as err:
        lines = [f"{source}: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors()]
        raise SchemaError("\n".join(lines)) from None
    problems = []
    for i, b in enumerate(schema.leaderboards):
        where = f"leaderboards[{i}] ({b.id})"
        problems += _refs(where, b.check, [b.metric, *(b.ci or []), *([b.n] if b.n else [])], b.where)
        for j, c in enumerate(b.columns):
            problems += _refs(f"{where}.columns[{j}]", c.check, [c.metric], c.where)
    for i, c in enumerate(schema.rank.criteria):
        problems += _refs(f"rank.criteria[{i}] ({c.id})", c.check, [c.metric], c.where)
        for end in (c.floor, c.ceiling):
            if isinstance(end, dict) and "metric" in end and end["metric"] not in registry.metric_catalog():
                problems.append(f"rank.criteria[{i}] ({c.id}): no check reports {end['metric']!r}")
    boards = {b.id for b in schema.leaderboards}
    for i, g in enumerate(schema.peer_groups):
        for name in g.leaderboards:
            if name not in boards:
                problems.append(f"peer_groups[{i}] ({g.id}).leaderboards: no leaderboard {name!r}.{_hint(name, boards)}")
    for i, c in enumerate(schema.charts):
        problems += _refs(f"charts[{i}] ({c.id})", c.check, list(c.series), {})
    if problems:
        raise SchemaError("\n".join(f"{source}: {p}" for p in problems))
    return schema
