"""UnfragileRank: a deterministic 0-100 score from measured evidence, with sub-scores per dimension.

Pure: an entry's rank depends only on the entry, its own results, results a floor or ceiling names
explicitly, and the ``rank`` section of schema.yaml. No other entry can move it.

    score(criterion) = clamp((value - floor) / (ceiling - floor), 0, 1)    (log10 of each for scale: log)
    dimension       = sum of its criteria scores / number of criteria that apply   (missing scores 0)
    openness        = mean of [open license, pinned public source]
    coverage        = (criteria measured + claims tested) / (criteria that apply + claims a check can test)
    rank            = 100 * sum(weight * dimension) / sum(weight), over dimensions that apply
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from generator import metrics as M
from generator.lookup import results_of
from scoring.entries import Entry
from scoring.results import Result

MEASURED_DIMENSIONS = ("quality", "efficiency")
DIMENSIONS = (*MEASURED_DIMENSIONS, "openness", "coverage")


class RankSpecError(ValueError):
    pass


@dataclass(frozen=True)
class Bound:
    """A floor or ceiling: a number, or the value of a metric in a named result."""

    value: float | None = None
    result: str | None = None  # "entry/result-id"
    metric: str | None = None

    @classmethod
    def parse(cls, raw, where: str) -> Bound:
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            return cls(value=float(raw))
        if isinstance(raw, dict) and set(raw) == {"result", "metric"} and "/" in str(raw["result"]):
            return cls(result=str(raw["result"]), metric=str(raw["metric"]))
        raise RankSpecError(f"{where}: expected a number or {{result: entry/result-id, metric: name}}, got {raw!r}")

    def resolve(self, results: dict[tuple[str, str], Result]) -> float | None:
        if self.value is not None:
            return self.value
        entry_id, _, result_id = self.result.partition("/")
        r = results.get((entry_id, result_id))
        if r is None or r.status != "ok":
            return None
        return r.metrics.get(self.metric)

    def describe(self) -> str:
        return f"{self.value:g}" if self.value is not None else f"{self.metric} of {self.result}"


@dataclass(frozen=True)
class Criterion:
    id: str
    title: str
    dimension: str
    checks: tuple[str, ...]
    metric: str
    floor: Bound
    ceiling: Bound
    scale: str = "linear"
    where: tuple[tuple[str, str], ...] = ()
    applies: tuple[tuple[str, tuple[str, ...]], ...] = ()
    basis: str = ""

    def applies_to(self, entry: Entry) -> bool:
        """Every member of the criterion's peer group, whatever it declares: missing evidence shows as missing
        (and scores 0), so declaring a check can never lower a rank."""
        return in_group(entry, dict(self.applies))


def in_group(entry: Entry, applies: dict) -> bool:
    """Whether an entry belongs to a peer group given as {field: value or [values]} (e.g. kind and task)."""
    return bool(applies) and all(str(getattr(entry, k, None)) in _as_tuple(v) for k, v in applies.items())


@dataclass(frozen=True)
class RankSpec:
    weights: dict[str, float]
    open_licenses: frozenset[str]
    criteria: tuple[Criterion, ...]


def _as_tuple(value) -> tuple[str, ...]:
    return tuple(str(v) for v in (value if isinstance(value, (list, tuple)) else [value]))


def parse_spec(schema: dict) -> RankSpec:
    """The ``rank`` section of schema.yaml, checked: unknown dimensions, metrics or directions fail loudly."""
    raw = schema.get("rank") or {}
    weights = {str(k): float(v) for k, v in (raw.get("weights") or {}).items()}
    if set(weights) != set(DIMENSIONS) or any(w < 0 for w in weights.values()):
        raise RankSpecError(f"rank.weights: give a non-negative weight for each of {', '.join(DIMENSIONS)}")
    criteria, seen = [], set()
    for i, c in enumerate(raw.get("criteria") or []):
        where = f"rank.criteria[{i}]"
        if c.get("dimension") not in MEASURED_DIMENSIONS:
            raise RankSpecError(f"{where}.dimension: must be one of {', '.join(MEASURED_DIMENSIONS)}")
        if c.get("id") in seen:
            raise RankSpecError(f"{where}.id: duplicate criterion {c.get('id')!r}")
        seen.add(c.get("id"))
        info = M.info(c["metric"])
        crit = Criterion(
            id=str(c["id"]), title=str(c["title"]), dimension=c["dimension"], checks=_as_tuple(c["check"]),
            metric=c["metric"], floor=Bound.parse(c["floor"], f"{where}.floor"),
            ceiling=Bound.parse(c["ceiling"], f"{where}.ceiling"), scale=c.get("scale", "linear"),
            where=tuple(sorted((str(k), str(v)) for k, v in (c.get("where") or {}).items())),
            applies=tuple(sorted((str(k), _as_tuple(v)) for k, v in (c.get("applies") or {}).items())),
            basis=str(c.get("basis", "")),
        )
        if not crit.applies:
            raise RankSpecError(f"{where}.applies: name the peer group it applies to (e.g. kind and task)")
        if crit.scale not in ("linear", "log"):
            raise RankSpecError(f"{where}.scale: must be linear or log")
        lo, hi = crit.floor.value, crit.ceiling.value
        if lo is not None and hi is not None and info.higher_is_better is not None and (hi > lo) != info.higher_is_better:
            raise RankSpecError(f"{where}: {crit.metric} is {'higher' if info.higher_is_better else 'lower'}-is-better, "
                                f"so its ceiling must be {'above' if info.higher_is_better else 'below'} its floor")
        criteria.append(crit)
    licenses = frozenset(str(x) for x in raw.get("open_licenses") or [])
    return RankSpec(weights, licenses, tuple(criteria))


def normalise(value: float, floor: float, ceiling: float, scale: str = "linear") -> float:
    """Position of value between floor (0) and ceiling (1), clamped. Works for either direction."""
    if scale == "log":
        if min(value, floor, ceiling) <= 0:
            return 0.0 if value <= 0 else normalise(value, max(floor, 1e-12), max(ceiling, 1e-12), "log")
        value, floor, ceiling = math.log10(value), math.log10(floor), math.log10(ceiling)
    if ceiling == floor:
        return 1.0 if value == ceiling else 0.0
    return min(1.0, max(0.0, (value - floor) / (ceiling - floor)))


@dataclass
class CriterionScore:
    id: str
    title: str
    dimension: str
    metric: str
    value: float | None
    floor: float | None
    ceiling: float | None
    scale: str
    score: float | None  # None: missing
    result: str | None  # the result id used
    note: str  # what was used, or why it is missing
    basis: str
    unit: str = ""

    @property
    def measured(self) -> bool:
        return self.score is not None


@dataclass
class DimensionScore:
    name: str
    weight: float
    score: float | None  # 0..1; None when nothing in this dimension applies
    measured: int
    applicable: int
    note: str = ""


@dataclass
class RankView:
    total: float  # 0..100, two decimals
    dimensions: list[DimensionScore]
    criteria: list[CriterionScore]
    openness: list[tuple[str, float, str]] = field(default_factory=list)  # (criterion, score, why)

    @property
    def shown(self) -> str:
        return f"{display(self.total)}/100"

    def dimension(self, name: str) -> DimensionScore:
        return next(d for d in self.dimensions if d.name == name)

    @property
    def missing(self) -> list[CriterionScore]:
        return [c for c in self.criteria if not c.measured]


def display(total: float) -> int:
    """Round half up (not to even) so the page and a hand calculation agree."""
    return int(math.floor(total + 0.5))


def _score_criterion(crit: Criterion, entry: Entry, results: dict[tuple[str, str], Result]) -> CriterionScore:
    info = M.info(crit.metric)
    floor, ceiling = crit.floor.resolve(results), crit.ceiling.resolve(results)
    view = CriterionScore(crit.id, crit.title, crit.dimension, crit.metric, None, floor, ceiling, crit.scale,
                          None, None, "", crit.basis, info.unit)
    candidates = list(results_of(entry, results, crit.checks, dict(crit.where)))
    if not candidates:
        view.note = "missing: the entry declares no check that measures it"
        return view
    measured = [(rid, r) for rid, r in candidates if r is not None and r.status == "ok" and crit.metric in r.metrics]
    if not measured:
        rid, r = candidates[0]
        view.note = f"missing: {rid} is {r.status}" + (f" ({r.reason})" if r.reason else "") if r else f"missing: {rid} not scored yet"
        return view
    if floor is None or ceiling is None:
        absent = crit.floor if floor is None else crit.ceiling
        view.note = f"missing: its bound ({absent.describe()}) has not been measured"
        return view
    best = max(measured, key=lambda item: (normalise(item[1].metrics[crit.metric], floor, ceiling, crit.scale), item[0]))
    view.result, view.value = best[0], best[1].metrics[crit.metric]
    view.score = normalise(view.value, floor, ceiling, crit.scale)
    view.note = f"{M.fmt(view.value, info.unit)} from {best[0]}"
    return view


def is_open_license(license: str, open_licenses: frozenset[str]) -> bool:
    """The license is a listed one, alone or followed by a note in parentheses ("Public domain (liblzma)")."""
    name = license.split(" (", 1)[0].strip()
    return name in open_licenses


def _openness(entry: Entry, spec: RankSpec) -> list[tuple[str, float, str]]:
    licensed = is_open_license(entry.license, spec.open_licenses)
    how = entry.source.pinned_by
    return [
        ("open license", 1.0 if licensed else 0.0,
         f"{entry.license} is {'' if licensed else 'not '}in the list of open licenses"),
        ("pinned public source", 1.0 if how else 0.0,
         f"pinned by {how}" if how else "a local directory nobody else can fetch"),
    ]


def rank_entry(entry: Entry, results: dict[tuple[str, str], Result], spec: RankSpec,
               claims_tested: int = 0, claims_testable: int = 0) -> RankView:
    """The rank of one entry. ``claims_*`` count claims a check can test and those it did test."""
    criteria = [_score_criterion(c, entry, results) for c in spec.criteria if c.applies_to(entry)]
    dims = []
    for name in MEASURED_DIMENSIONS:
        mine = [c for c in criteria if c.dimension == name]
        got = [c for c in mine if c.measured]
        score = sum(c.score for c in got) / len(mine) if mine else None
        dims.append(DimensionScore(name, spec.weights[name], score, len(got), len(mine),
                                   "" if mine else "no criterion applies to this entry"))
    openness = _openness(entry, spec)
    dims.append(DimensionScore("openness", spec.weights["openness"], sum(s for _, s, _ in openness) / len(openness),
                               len(openness), len(openness)))
    measured = sum(c.measured for c in criteria) + claims_tested
    applicable = len(criteria) + claims_testable
    dims.append(DimensionScore("coverage", spec.weights["coverage"], measured / applicable if applicable else 0.0,
                               measured, applicable, "" if applicable else "nothing here can be measured yet"))
    used = [d for d in dims if d.score is not None]
    weight = sum(d.weight for d in used)
    total = 100 * sum(d.weight * d.score for d in used) / weight if weight else 0.0
    return RankView(round(total, 2), dims, criteria, openness)


def _n(x: float) -> str:
    """A number as stored (7 significant digits), so a hand calculation starts from the same value."""
    return f"{x:.7g}"


def explain(view: RankView) -> list[str]:
    """The arithmetic of one rank, line by line, with the numbers it used (for the methodology page)."""
    lines = []
    for c in view.criteria:
        if not c.measured:
            lines.append(f"{c.title} ({c.dimension}): {c.note} → scores 0")
            continue
        v, f, h = (f"log10({_n(x)})" if c.scale == "log" else _n(x) for x in (c.value, c.floor, c.ceiling))
        lines.append(f"{c.title} ({c.dimension}): ({v} − {f}) / ({h} − {f}) = {c.score:.4f}")
    for d in view.dimensions:
        if d.score is None:
            lines.append(f"{d.name.capitalize()}: no criterion applies, so it is left out with its weight")
        elif d.name in MEASURED_DIMENSIONS:
            parts = " + ".join(f"{c.score:.4f}" if c.measured else "0" for c in view.criteria if c.dimension == d.name)
            lines.append(f"{d.name.capitalize()} = ({parts}) / {d.applicable} = {d.score:.4f}")
        elif d.name == "openness":
            parts = " + ".join(f"{name} {_n(s)}" for name, s, _ in view.openness)
            lines.append(f"Openness = ({parts}) / {len(view.openness)} = {d.score:.4f}")
        else:
            lines.append(f"Coverage = {d.measured} measured or tested / {d.applicable} measurable = {d.score:.4f}")
    used = [d for d in view.dimensions if d.score is not None]
    num = " + ".join(f"{_n(d.weight)} × {d.score:.4f}" for d in used)
    den = " + ".join(_n(d.weight) for d in used)
    lines.append(f"Rank = 100 × ({num}) / ({den}) = {view.total:.2f}, shown as {view.shown}")
    return lines
