"""Entries + results -> view models. Pure: no I/O beyond what is passed in, no Markdown."""

from __future__ import annotations

from dataclasses import dataclass, field

from generator import metrics as M
from scoring.entries import Claim, Entry, FilesSource, HubSource, LocalSource, PyPISource
from scoring.results import Result

DEFAULT_RELATIVE_TOLERANCE = 0.02


@dataclass
class ClaimView:
    statement: str
    claimed: str
    measured: str
    verdict: str  # claimed | verified | contradicted | untested
    basis: str  # why this verdict, including the tolerance used
    origin: str
    source: str | None
    protocol: str | None


@dataclass
class CapabilityView:
    id: str
    title: str
    summary: str
    unique: str
    vs_alternatives: str
    claims: list[ClaimView]


@dataclass
class MetricRow:
    name: str
    display: str
    value: str


@dataclass
class ResultView:
    entry: str
    id: str
    check: str
    status: str
    reason: str | None
    metrics: list[MetricRow]
    config: dict
    provenance: dict
    details: dict


@dataclass
class EntryView:
    id: str
    title: str
    kind: str
    type: str
    task: str | None
    license: str
    summary: str
    homepage: str | None
    source: str
    source_url: str | None
    capabilities: list[CapabilityView]
    results: list[ResultView]
    verdicts: dict[str, int]
    checks_declared: int
    checks_ok: int


@dataclass
class LeaderRow:
    entry: str
    title: str
    status: str
    value: float | None
    shown: str
    interval: str
    n: str
    note: str


@dataclass
class Leaderboard:
    id: str
    title: str
    metric: str
    rows: list[LeaderRow]


@dataclass
class FeatureRow:
    feature: str
    a: str
    b: str


@dataclass
class ComparisonView:
    slug: str
    a: EntryView
    b: EntryView
    features: list[FeatureRow]
    verdict: str


@dataclass
class Site:
    entries: list[EntryView]
    leaderboards: list[Leaderboard]
    comparisons: list[ComparisonView]
    unavailable: list[ResultView] = field(default_factory=list)


def describe_source(entry: Entry) -> tuple[str, str | None]:
    s = entry.source
    if isinstance(s, HubSource):
        return f"Hugging Face {s.repo} at revision {s.revision}", f"https://huggingface.co/{s.repo}/tree/{s.revision}"
    if isinstance(s, PyPISource):
        return f"PyPI {s.package}=={s.version}", f"https://pypi.org/project/{s.package}/{s.version}/"
    if isinstance(s, LocalSource):
        return f"local directory {s.path}", None
    assert isinstance(s, FilesSource)
    files = ", ".join(f"{f.path} (sha256 {f.sha256[:12]}…)" for f in s.files)
    return f"{s.copy_}: {files}", None


def find_result(entry: Entry, ref: str | None, results: dict[tuple[str, str], Result]) -> Result | None:
    if not ref:
        return None
    entry_id, _, result_id = ref.rpartition("/")
    return results.get((entry_id or entry.id, result_id))


def judge(claim: Claim, entry: Entry, results: dict[tuple[str, str], Result]) -> ClaimView:
    """Compare a claimed value with the measured one and say verified / contradicted / untested."""
    unit = claim.unit or ""
    claimed = f"{claim.value:g} {unit}".strip() if claim.value is not None else "—"
    view = ClaimView(claim.statement, claimed, "—", "claimed", "no check can test this claim here",
                     claim.origin, claim.source, claim.protocol)
    if not (claim.check and claim.metric):
        return view
    result = find_result(entry, claim.check, results)
    if result is None or result.status != "ok":
        view.verdict = "untested"
        view.basis = f"check {claim.check} has not measured it" + (f": {result.reason}" if result else "")
        return view
    if claim.metric not in result.metrics:
        view.verdict, view.basis = "untested", f"check {claim.check} does not report {claim.metric}"
        return view
    info = M.info(claim.metric)
    measured = result.metrics[claim.metric]
    view.measured = M.fmt(measured, info.unit)
    if claim.value is None:
        view.verdict, view.basis = "untested", "the claim states no value to compare"
        return view
    target = M.to_metric_unit(claim.value, claim.unit, info.unit)
    low = result.metrics.get(f"{claim.metric}_ci_low")
    high = result.metrics.get(f"{claim.metric}_ci_high")
    if claim.tolerance is not None:
        tol = claim.tolerance
        low, high = measured - tol, measured + tol
        how = f"within ±{tol:g} of the measurement"
    elif low is not None and high is not None:
        how = f"inside the measured 95% interval [{M.fmt(low, info.unit)}, {M.fmt(high, info.unit)}]"
    else:
        tol = abs(measured) * DEFAULT_RELATIVE_TOLERANCE
        low, high = measured - tol, measured + tol
        how = f"within {DEFAULT_RELATIVE_TOLERANCE:.0%} of the measurement"
    if claim.comparison == "at-least":
        ok, how = high >= target, "measured value (upper bound) at least the claim"
    elif claim.comparison == "at-most":
        ok, how = low <= target, "measured value (lower bound) at most the claim"
    else:
        ok = low <= target <= high
    view.verdict = "verified" if ok else "contradicted"
    view.basis = ("claim " + how) if ok else f"claim not {how}"
    return view


def result_view(result: Result) -> ResultView:
    rows = []
    for name in sorted(result.metrics):
        info = M.info(name)
        rows.append(MetricRow(name, info.display, M.fmt(result.metrics[name], info.unit)))
    prov = result.provenance.model_dump()
    return ResultView(result.entry, result.id, result.check, result.status, result.reason, rows, result.config, prov, result.details)


def entry_view(entry: Entry, results: dict[tuple[str, str], Result]) -> EntryView:
    caps = [
        CapabilityView(c.id, c.title, c.summary, c.unique, c.vs_alternatives,
                       [judge(claim, entry, results) for claim in c.claims])
        for c in entry.capabilities
    ]
    mine = [results[(entry.id, spec.result_id)] for spec in entry.checks if (entry.id, spec.result_id) in results]
    verdicts = {v: 0 for v in ("verified", "contradicted", "untested", "claimed")}
    for cap in caps:
        for claim in cap.claims:
            verdicts[claim.verdict] += 1
    source, source_url = describe_source(entry)
    return EntryView(entry.id, entry.title, entry.kind, entry.type, entry.task, entry.license, entry.summary,
                     entry.homepage, source, source_url, caps, [result_view(r) for r in mine], verdicts,
                     len(entry.checks), sum(r.status == "ok" for r in mine))


def leaderboard(spec: dict, catalog: dict[str, Entry], results: dict[tuple[str, str], Result]) -> Leaderboard:
    info = M.info(spec["metric"])
    rows = []
    for entry in sorted(catalog.values(), key=lambda e: e.id):
        for check in entry.checks:
            args = check.args
            if check.check != spec["check"] or any(str(args.get(k)) != str(v) for k, v in spec.get("where", {}).items()):
                continue
            r = results.get((entry.id, check.result_id))
            if r is None:
                rows.append(LeaderRow(entry.id, entry.title, "missing", None, "—", "—", "—", "not scored yet"))
                continue
            if r.status != "ok":
                rows.append(LeaderRow(entry.id, entry.title, r.status, None, "—", "—", "—", r.reason or ""))
                continue
            value = r.metrics[spec["metric"]]
            lo, hi = (r.metrics.get(k) for k in spec.get("ci", [None, None]))
            interval = f"{M.fmt(lo, info.unit)} – {M.fmt(hi, info.unit)}" if lo is not None else "—"
            rows.append(LeaderRow(entry.id, entry.title, "ok", value, M.fmt(value, info.unit), interval,
                                  M.fmt(r.metrics.get("n"), "count"), str(r.config.get("rule", ""))))
    sign = -1 if info.higher_is_better else 1
    rows.sort(key=lambda row: (row.value is None, sign * (row.value or 0), row.entry))
    return Leaderboard(spec["id"], spec["title"], info.display, rows)


def comparison(a: EntryView, b: EntryView) -> ComparisonView:
    def claims(e: EntryView) -> str:
        v = e.verdicts
        return f"{v['verified']} verified, {v['contradicted']} contradicted, {v['untested']} untested, {v['claimed']} claimed only"

    features = [
        FeatureRow("Kind", a.kind, b.kind),
        FeatureRow("Type", a.type, b.type),
        FeatureRow("Task", a.task or "—", b.task or "—"),
        FeatureRow("License", a.license, b.license),
        FeatureRow("Capabilities", f"{len(a.capabilities)} decomposed", f"{len(b.capabilities)} decomposed"),
        FeatureRow("Claims", claims(a), claims(b)),
        FeatureRow("Checks measured", f"{a.checks_ok} of {a.checks_declared}", f"{b.checks_ok} of {b.checks_declared}"),
    ]
    return ComparisonView(f"{a.id}-vs-{b.id}", a, b, features, verdict_sentence(a, b))


def verdict_sentence(a: EntryView, b: EntryView) -> str:
    """Who has more evidence, stated only from counts the engine produced."""
    if a.checks_ok == b.checks_ok == 0:
        return (f"Neither {a.title} nor {b.title} has a measured result yet, so no ranking is given: "
                f"their pages list {sum(a.verdicts.values())} and {sum(b.verdicts.values())} claims, none verified.")
    lead, other = (a, b) if a.checks_ok >= b.checks_ok else (b, a)
    return (f"{lead.title} has more measured evidence ({lead.checks_ok} of {lead.checks_declared} checks) than "
            f"{other.title} ({other.checks_ok} of {other.checks_declared}).")


def summarize(catalog: dict[str, Entry], results: dict[tuple[str, str], Result],
              pairs: list[tuple[str, str]]) -> Site:
    views = {e.id: entry_view(e, results) for e in sorted(catalog.values(), key=lambda e: e.id)}
    boards = [leaderboard(spec, catalog, results) for spec in M.schema()["leaderboards"]]
    comparisons = [comparison(views[a], views[b]) for a, b in pairs if a in views and b in views]
    unavailable = [r for v in views.values() for r in v.results if r.status != "ok"]
    return Site(list(views.values()), boards, comparisons, unavailable)
