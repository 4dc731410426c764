"""Charts on entry pages, drawn from one result's details as schema.yaml's ``charts`` section says. Pure.

A chart spec: {id, title, check, details: key of {row: {field: value}}, series: {field: label}, unit}.
Example: declared vs measured composition, one group per subset, one bar per series.
"""

from __future__ import annotations

from generator import charts
from generator import metrics as M
from generator.charts import Chart
from generator.lookup import results_of
from scoring.entries import Entry
from scoring.results import Result

MAX_GROUPS = 40  # a chart stays readable; the table on the page lists every row


def _number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def entry_charts(entry: Entry, results: dict[tuple[str, str], Result], specs: list[dict]) -> list[Chart]:
    out = []
    for spec in specs:
        for result_id, r in results_of(entry, results, spec["check"]):
            if r is None or r.status != "ok":
                continue
            table = r.details.get(spec["details"])
            if not isinstance(table, dict) or not table:
                continue
            series = list(spec["series"].items())
            rows = [(str(name), row) for name, row in table.items() if isinstance(row, dict)]
            # largest first by the first series that has a value, then by name
            rows.sort(key=lambda item: (-max((_number(item[1].get(f)) or 0.0) for f, _ in series), item[0]))
            rows = rows[:MAX_GROUPS]
            if not rows:
                continue
            unit = spec.get("unit", "")
            values = [(label, [_number(row.get(field)) for _, row in rows]) for field, label in series]
            title = f"{entry.title}: {spec['title']}"
            listed = "; ".join(
                f"{name}: " + ", ".join(f"{label} {M.fmt(vs[i], unit)}" for label, vs in values if vs[i] is not None)
                for i, (name, _) in enumerate(rows))
            more = f" (largest {len(rows)} of {len(table)})" if len(table) > len(rows) else ""
            alt = (f"Bar chart of {spec['title'].lower()} for {entry.title} ({result_id}), "
                   f"{len(rows)} groups{more}. {listed}.")
            svg = charts.bars([name for name, _ in rows], values, title, alt, spec.get("axis", spec["title"]),
                              lambda v, unit=unit: M.fmt(v, unit))
            out.append(Chart(f"{entry.id}-{result_id}-{spec['id']}", title, alt, svg))
    return out
