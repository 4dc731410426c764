"""Leaderboards (one metric over every entry that declares the check) and their charts. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field

from generator import charts, paired, reasons
from generator import metrics as M
from generator.charts import Chart
from generator.lookup import results_of
from scoring.entries import Entry
from scoring.results import Result

CHART_SERIES_MAX = 6  # entries drawn in a per-subset chart; the table and CSV hold all
CHART_GROUPS_MAX = 15  # entries drawn in a per-entry chart
# A timing's interval spans its rounds in one run; between runs and machines its ratio to the reference
# workload drifts further (up to 20% from one process to the next here, quiet or beside a CPU hog: see
# tests/scoring/test_fair_timing.py), and a busy run widens the interval itself. So two timed entries are
# told apart only when one's median is this factor above the other's.
TIMING_MARGIN = 1.5


@dataclass
class Cell:
    value: float | None
    shown: str


@dataclass
class LeaderRow:
    position: int | None  # order on the board
    entry: str
    title: str
    result: str
    status: str  # ok | failed | unavailable | missing
    value: float | None
    shown: str
    low: float | None
    high: float | None
    interval: str
    n: str
    columns: list[Cell]
    subsets: list[Cell]
    note: str
    group: str = ""  # rank group, e.g. "1–2": the ranks this entry's measurement cannot tell apart


@dataclass
class Leaderboard:
    id: str
    title: str
    metric: str  # display name
    metric_name: str
    unit: str
    higher_is_better: bool | None
    columns: list[str]
    subsets: list[str]
    rows: list[LeaderRow]
    charts: list[Chart] = field(default_factory=list)
    rule: str = ""  # how the rank groups were decided

    @property
    def measured(self) -> list[LeaderRow]:
        return [r for r in self.rows if r.status == "ok"]


def _checks(spec: dict) -> tuple[str, ...]:
    c = spec["check"]
    return tuple(c) if isinstance(c, list) else (c,)


def _column(entry: Entry, results: dict[tuple[str, str], Result], col: dict) -> Cell:
    info = M.info(col["metric"])
    for _, r in results_of(entry, results, _checks(col), col.get("where")):
        if r is not None and r.status == "ok" and col["metric"] in r.metrics:
            return Cell(r.metrics[col["metric"]], M.fmt(r.metrics[col["metric"]], info.unit))
    return Cell(None, "—")


def subset_table(details: dict, key: str, metric: str) -> dict[str, float]:
    """{subset: value} from details[key], which holds {subset: {metric: value}} or {subset: value}."""
    out = {}
    for name, item in (details.get(key) or {}).items():
        value = item.get(metric) if isinstance(item, dict) else item
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out[str(name)] = value
    return out


def rank_groups(rows: list[LeaderRow], metric: str, records: dict) -> str:
    """Give every measured row its rank group; return the rule, stated under the table.

    An entry's group runs from 1 + the number of entries significantly better than it to the number
    of entries not significantly worse: entries the paired tests cannot tell apart share ranks.
    """
    measured = [r for r in rows if r.status == "ok"]
    tests = {}
    for i, a in enumerate(measured):
        for j in range(i + 1, len(measured)):
            b = measured[j]
            t = paired.paired(metric, records.get((a.entry, a.result)), records.get((b.entry, b.result)))
            if t is not None:
                tests[(i, j)] = t.p_value
    different = paired.holm(tests)
    test = {"accuracy": "an exact McNemar test on the sentences both classified",
            "bits_per_byte": "a paired bootstrap over the documents both scored"}.get(metric)
    by_interval = test is None and bool(measured) and all(r.low is not None and r.high is not None for r in measured)
    timing = M.info(metric).tolerance == "machine"
    if by_interval:
        better = M.info(metric).higher_is_better is not False
        for i, a in enumerate(measured):  # sorted best first: a can only be better than b
            for j in range(i + 1, len(measured)):
                b = measured[j]
                if timing:
                    different[(i, j)] = (a.value > b.value * TIMING_MARGIN) if better else \
                        (a.value * TIMING_MARGIN < b.value)
                else:
                    different[(i, j)] = (a.low > b.high) if better else (a.high < b.low)
    for k, row in enumerate(measured):
        better = sum(different.get((j, k), False) for j in range(k))
        worse = sum(different.get((k, j), False) for j in range(k + 1, len(measured)))
        low, high = 1 + better, len(measured) - worse
        row.group = str(low) if low == high else f"{low}–{high}"
    pairs = len(measured) * (len(measured) - 1) // 2
    if by_interval and timing:
        return (f"Rank groups: an entry's range runs from 1 + the number of entries measurably faster to the number "
                f"of entries not measurably slower. One entry is measurably faster than another when its speed "
                f"relative to the reference workload is more than {TIMING_MARGIN:g}x the other's (each is timed "
                "against the reference in the same run; between runs and machines the ratio drifts by less).")
    if by_interval:
        return ("Rank groups: an entry's range runs from 1 + the number of entries whose whole interval lies "
                "better than its own to the number of entries whose interval does not lie wholly worse.")
    if test is None:
        return "Ranks follow the measured value; no paired test applies to this metric, so ties are not tested."
    return (f"Rank groups: an entry's range runs from 1 + the number of entries significantly better than it to the "
            f"number of entries not significantly worse. Two entries differ significantly when {test} gives "
            f"p below {paired.ALPHA:g} after Holm's correction for the {len(tests)} of {pairs} pairs that could be "
            "tested; pairs not measured on the same items count as not different.")


def leaderboard(spec: dict, catalog: dict[str, Entry], results: dict[tuple[str, str], Result],
                records: dict | None = None) -> Leaderboard:
    info = M.info(spec["metric"])
    columns = spec.get("columns") or []
    col_titles = [c.get("title") or M.info(c["metric"]).display for c in columns]
    ci = spec.get("ci") or [None, None]
    found = [(entry, result_id, r) for entry in sorted(catalog.values(), key=lambda e: e.id)
             for result_id, r in results_of(entry, results, _checks(spec), spec.get("where"))]
    subsets = sorted({s for _, _, r in found if r is not None and r.status == "ok"
                      for s in subset_table(r.details, spec["details"], spec["metric"])}) if spec.get("details") else []
    rows = []
    for entry, result_id, r in found:
        cols = [_column(entry, results, c) for c in columns]
        if r is None or r.status != "ok" or spec["metric"] not in r.metrics:
            status = "missing" if r is None else r.status
            note = "not scored yet" if r is None else (reasons.plain(r.reason, entry.id, r.status, r.reason_code, r.reason_params).headline
                                                       if r.status != "ok" else f"reports no {spec['metric']}")
            rows.append(LeaderRow(None, entry.id, entry.title, result_id, status, None, "—", None, None, "—", "—",
                                  cols, [Cell(None, "—") for _ in subsets], note))
            continue
        value = r.metrics[spec["metric"]]
        low, high = (r.metrics.get(k) if k else None for k in ci)
        interval = f"{M.fmt(low, info.unit)} – {M.fmt(high, info.unit)}" if low is not None and high is not None else "—"
        per = subset_table(r.details, spec["details"], spec["metric"]) if spec.get("details") else {}
        note = str(r.details.get("rule") or r.config.get("rule") or r.config.get("protocol") or "")
        rows.append(LeaderRow(None, entry.id, entry.title, result_id, "ok", value, M.fmt(value, info.unit), low, high,
                              interval, M.fmt(r.metrics.get(spec.get("n", "n")), "count"), cols,
                              [Cell(per.get(s), M.fmt(per.get(s), info.unit)) for s in subsets], note))
    sign = -1 if info.higher_is_better else 1
    rows.sort(key=lambda row: (row.value is None, sign * (row.value or 0), row.entry, row.result))
    for i, row in enumerate(r for r in rows if r.status == "ok"):
        row.position = i + 1
    board = Leaderboard(spec["id"], spec["title"], info.display, spec["metric"], info.unit, info.higher_is_better,
                        col_titles, subsets, rows)
    board.rule = rank_groups(rows, spec["metric"], records or {})
    board.charts = [c for c in (_chart(board, spec, kind) for kind in _as_list(spec.get("chart"))) if c is not None]
    return board


def _as_list(value) -> list:
    return [] if value is None else value if isinstance(value, list) else [value]


def _chart(board: Leaderboard, spec: dict, kind: str) -> Chart | None:
    if kind == "scatter":
        return _scatter(board, spec)
    if kind == "subsets":
        return _subset_bars(board)
    if kind == "bars":
        return _entry_bars(board)
    raise ValueError(f"leaderboard {board.id}: unknown chart {kind!r} (bars, scatter or subsets)")


def _entry_bars(board: Leaderboard) -> Chart | None:
    """The metric for the leading entries, with their 95% intervals as whiskers."""
    shown = board.measured[:CHART_GROUPS_MAX]
    if not shown:
        return None
    title = f"{board.title}: {board.metric} per entry"
    listed = "; ".join(f"{r.title} {r.shown}" + (f" (95% interval {r.interval})" if r.low is not None else "")
                       for r in shown)
    more = f", the first {len(shown)} of {len(board.measured)}" if len(board.measured) > len(shown) else ""
    alt = f"Bar chart of {board.metric} per entry{more}, best first. {listed}."
    intervals = [(r.low, r.high) if r.low is not None and r.high is not None else None for r in shown]
    label = board.metric + (" (whiskers: 95% interval)" if any(intervals) else "")
    svg = charts.bars([r.title for r in shown], [(board.metric, [r.value for r in shown])], title, alt, label,
                      lambda v: M.fmt(v, board.unit), intervals)
    return Chart(f"{board.id}-bars", title, alt, svg)


def _scatter(board: Leaderboard, spec: dict) -> Chart | None:
    col = (spec.get("columns") or [None])[0]
    if col is None:
        raise ValueError(f"leaderboard {board.id}: a scatter chart needs a first column for its x axis")
    x_info = M.info(col["metric"])
    points = [charts.Point(r.title, r.columns[0].value, r.value, r.low, r.high)
              for r in board.measured if r.columns[0].value is not None and r.columns[0].value > 0]
    if not points:
        return None
    title = f"{board.title}: {board.metric} against {x_info.display}"
    listed = "; ".join(f"{p.label}: {M.fmt(p.y, board.unit)} at {M.fmt(p.x, x_info.unit)}" for p in points)
    alt = (f"Scatter chart of {board.metric} (vertical, with 95% intervals) against {x_info.display} "
           f"(horizontal, log scale) for {len(points)} entries. {listed}.")
    svg = charts.scatter(points, title, alt, f"{x_info.display} (log scale)", board.metric,
                         lambda v: M.fmt(v, x_info.unit), lambda v: M.fmt(v, board.unit), log_x=True)
    return Chart(f"{board.id}-scatter", title, alt, svg)


def _subset_bars(board: Leaderboard) -> Chart | None:
    shown = [r for r in board.measured if any(c.value is not None for c in r.subsets)][:CHART_SERIES_MAX]
    if not shown or not board.subsets:
        return None
    title = f"{board.title}: {board.metric} per subset"
    parts = []
    for r in shown:
        cells = ", ".join(f"{s} {c.shown}" for s, c in zip(board.subsets, r.subsets, strict=True) if c.value is not None)
        parts.append(f"{r.title}: {cells}")
    more = f" ({len(board.measured) - len(shown)} more entries in the table)" if len(board.measured) > len(shown) else ""
    alt = f"Bar chart of {board.metric} for {len(board.subsets)} subsets and {len(shown)} entries{more}. " + "; ".join(parts) + "."
    svg = charts.bars(board.subsets, [(r.title, [c.value for c in r.subsets]) for r in shown], title, alt,
                      board.metric, lambda v: M.fmt(v, board.unit))
    return Chart(f"{board.id}-subsets", title, alt, svg)
