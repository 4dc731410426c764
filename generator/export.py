"""Downloads: every leaderboard as CSV, and all entries, results, ranks and the match graph as one JSON."""

from __future__ import annotations

import csv
import io
import json

from generator.leaderboards import Leaderboard
from generator.summarize import Site
from scoring.entries import Entry
from scoring.results import Result

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str) -> str:
    """A text cell that a spreadsheet will not run as a formula."""
    return "'" + value if value.startswith(FORMULA_START) else value


def leaderboard_csv(board: Leaderboard) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["position", "rank_group", "entry", "title", "result", "status", board.metric_name, "ci_low", "ci_high", "n",
                *board.columns, *(f"{board.metric_name}[{s}]" for s in board.subsets), "note"])
    for r in board.rows:
        w.writerow(["" if r.position is None else r.position, r.group, r.entry, _text(r.title), r.result, r.status,
                    _num(r.value), _num(r.low), _num(r.high), "" if r.n == "—" else r.n.replace(",", ""),
                    *(_num(c.value) for c in r.columns), *(_num(c.value) for c in r.subsets), _text(r.note)])
    return out.getvalue()


def _num(value: float | int | None) -> str:
    return "" if value is None else repr(value)


def _rank(site: Site, entry_id: str) -> dict:
    rank = site.entry(entry_id).rank
    return {
        "total": rank.total,
        "dimensions": {d.name: {"score": None if d.score is None else round(d.score, 6), "weight": d.weight,
                                "measured": d.measured, "applicable": d.applicable} for d in rank.dimensions},
        "criteria": [{"id": c.id, "metric": c.metric, "value": c.value, "floor": c.floor, "ceiling": c.ceiling,
                      "scale": c.scale, "score": None if c.score is None else round(c.score, 6), "result": c.result,
                      "note": c.note} for c in rank.criteria],
    }


def site_json(catalog: dict[str, Entry], results: dict[tuple[str, str], Result], site: Site, encoder: str) -> str:
    """One file with everything the pages show, sorted so the same inputs give the same bytes."""
    data = {
        "entries": {
            e.id: {
                "entry": e.model_dump(mode="json", by_alias=True),
                "results": {rid: r.model_dump(mode="json") for (eid, rid), r in sorted(results.items()) if eid == e.id},
                "rank": _rank(site, e.id),
                "nearest": [{"id": n.id, "similarity": n.similarity} for n in site.entry(e.id).neighbours],
            }
            for e in sorted(catalog.values(), key=lambda e: e.id)
        },
        "comparisons": [{"a": c.a.id, "b": c.b.id, "page": f"compare/{c.slug}/", "why": c.why} for c in site.comparisons],
        "match_graph": {"encoder": encoder},
    }
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def match_graph_json(site: Site, texts: dict[str, list[str]], encoder: str) -> str:
    """The match graph as data: each entry's text hashes and its nearest entries with cosine similarity."""
    from generator.match import text_key

    data = {
        "encoder": encoder,
        "nodes": {e.id: [text_key(encoder, t) for t in texts[e.id]] for e in site.entries},
        "edges": sorted({tuple(sorted((e.id, n.id))) + (n.similarity,) for e in site.entries for n in e.neighbours}),
    }
    return json.dumps(data, indent=1, sort_keys=True) + "\n"
