"""Comparison view models: a feature table, measurements head to head, a verdict drawn from numbers. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from generator import metrics as M
from generator.links import evidence_path
from generator.match import similarity
from generator.rank import CriterionScore, DimensionScore, display

if TYPE_CHECKING:
    from generator.summarize import EntryView

DIMENSION_TITLES = {"quality": "Quality", "efficiency": "Efficiency", "openness": "Openness",
                    "coverage": "Evidence coverage"}


@dataclass
class FeatureRow:
    feature: str
    a: str
    b: str


@dataclass
class HeadToHead:
    title: str
    a: str
    b: str
    sentence: str
    a_evidence: str = ""  # the result JSON behind each value, relative to the site root
    b_evidence: str = ""


@dataclass
class ComparisonView:
    slug: str
    why: str
    a: EntryView
    b: EntryView
    similarity: float | None
    features: list[FeatureRow]
    head_to_head: list[HeadToHead]
    summary: str
    verdict: list[str]


def dimension_text(d: DimensionScore) -> str:
    if d.score is None:
        return "does not apply"
    if d.name == "openness":
        return f"{display(100 * d.score)}/100"
    return f"{display(100 * d.score)}/100 ({d.measured} of {d.applicable} measured)"


def _interval(e: EntryView, c: CriterionScore) -> tuple[float | None, float | None]:
    result = next((r for r in e.results if r.id == c.result), None)
    if result is None:
        return None, None
    return result.values.get(f"{c.metric}_ci_low"), result.values.get(f"{c.metric}_ci_high")


def _shown(e: EntryView, c: CriterionScore | None) -> str:
    if c is None:
        return "does not apply"
    if not c.measured:
        return "missing: " + c.note.removeprefix("missing: ").split(" (")[0]
    unit = M.info(c.metric).unit
    low, high = _interval(e, c)
    ci = f" [{M.fmt(low, unit)} – {M.fmt(high, unit)}]" if low is not None and high is not None else ""
    return f"{M.fmt(c.value, unit)}{ci}"


def gap_text(diff: float, unit: str) -> str:
    if unit == "fraction":
        return f"{100 * abs(diff):.2f} percentage points"
    return f"{M.fmt(abs(diff), unit)} {unit}".strip() if unit not in ("ratio", "count", "") else M.fmt(abs(diff), unit)


def head_to_head(a: EntryView, b: EntryView) -> list[HeadToHead]:
    """One line per criterion both entries have measured: who leads, by how much, inside the intervals or not."""
    bs = {c.id: c for c in b.rank.criteria}
    out = []
    for ca in a.rank.criteria:
        cb = bs.get(ca.id)
        if cb is None or not (ca.measured and cb.measured):
            continue
        info = M.info(ca.metric)
        diff = ca.value - cb.value
        if diff == 0:
            sentence = f"On {ca.title} they tie at {M.fmt(ca.value, info.unit)}."
        else:
            better_a = (diff > 0) == bool(info.higher_is_better)
            lead, other = (a, b) if better_a else (b, a)
            (la, lb), (oa, ob) = _interval(a, ca), _interval(b, cb)
            if None in (la, lb, oa, ob):
                sig = "no interval was measured for both, so whether the gap is real is not known"
            elif la <= ob and oa <= lb:
                sig = "the 95% intervals overlap, so the gap is inside the intervals and not established"
            else:
                sig = "the 95% intervals do not overlap, so the gap is outside the intervals"
            sentence = (f"On {ca.title} {lead.title} leads by {gap_text(diff, info.unit)} "
                        f"({_shown(lead, ca if lead is a else cb)} vs {_shown(other, cb if lead is a else ca)}); {sig}.")
        out.append(HeadToHead(ca.title, _shown(a, ca), _shown(b, cb), sentence,
                              evidence_path(a.id, ca.result), evidence_path(b.id, cb.result)))
    return out


def _claims(e: EntryView) -> str:
    v = e.verdicts
    return f"{v['verified']} verified, {v['contradicted']} contradicted, {v['untested']} untested, {v['claimed']} claimed only"


def _matched(n: int) -> str:
    return f"{n} {'entry lists' if n == 1 else 'entries list'} it among their nearest alternatives"


def _features(a: EntryView, b: EntryView, sim: float | None) -> list[FeatureRow]:
    rows = [
        FeatureRow("Kind", a.kind, b.kind),
        FeatureRow("Type", a.type, b.type),
        FeatureRow("Task", a.task or "—", b.task or "—"),
        FeatureRow("UnfragileRank", a.rank.shown, b.rank.shown),
    ]
    for name, title in DIMENSION_TITLES.items():
        rows.append(FeatureRow(title, dimension_text(a.rank.dimension(name)), dimension_text(b.rank.dimension(name))))
    crit_a = {c.id: c for c in a.rank.criteria}
    crit_b = {c.id: c for c in b.rank.criteria}
    for cid in sorted(set(crit_a) | set(crit_b)):
        title = (crit_a.get(cid) or crit_b.get(cid)).title
        rows.append(FeatureRow(title, _shown(a, crit_a.get(cid)), _shown(b, crit_b.get(cid))))
    rows += [
        FeatureRow("License", a.license, b.license),
        FeatureRow("Capabilities", f"{len(a.capabilities)} decomposed", f"{len(b.capabilities)} decomposed"),
        FeatureRow("Claims", _claims(a), _claims(b)),
        FeatureRow("Checks measured", f"{a.checks_ok} of {a.checks_declared}", f"{b.checks_ok} of {b.checks_declared}"),
        FeatureRow("Times matched", _matched(a.times_matched), _matched(b.times_matched)),
    ]
    if sim is not None:
        rows.append(FeatureRow("Match-graph similarity", f"{sim:.2f}", f"{sim:.2f}"))
    return rows


def summary_sentence(a: EntryView, b: EntryView) -> str:
    ra, rb = display(a.rank.total), display(b.rank.total)
    if ra == rb:
        return f"{a.title} and {b.title} rank level at {ra}/100."
    lead, other = (a, b) if ra > rb else (b, a)
    return f"{lead.title} ranks higher at {lead.rank.shown} vs {other.title} at {other.rank.shown}."


def verdict(a: EntryView, b: EntryView, h2h: list[HeadToHead]) -> list[str]:
    """Sentences drawn only from ranks, sub-scores, measurements and their intervals."""
    out = [summary_sentence(a, b)]
    ids_a = {c.id for c in a.rank.criteria}
    ids_b = {c.id for c in b.rank.criteria}
    if ids_a != ids_b:
        def names(e: EntryView) -> str:
            return ", ".join(c.title for c in e.rank.criteria) or "none"
        out.append(f"Their ranks rest on different criteria ({a.title}: {names(a)}; {b.title}: {names(b)}), "
                   "so the rank gap is not a like-for-like comparison.")
    out += [h.sentence for h in h2h]
    if not h2h:
        out.append("They share no measured criterion, so no measurement decides between them directly.")
    leads: dict[str, list[str]] = {a.title: [], b.title: []}
    for name, title in DIMENSION_TITLES.items():
        da, db = a.rank.dimension(name), b.rank.dimension(name)
        if da.score is None or db.score is None or display(100 * da.score) == display(100 * db.score):
            continue
        (winner, w, lose) = (a, da, db) if da.score > db.score else (b, db, da)
        leads[winner.title].append(f"{title.lower()} ({display(100 * w.score)} vs {display(100 * lose.score)})")
    parts = [f"{who} leads on {', '.join(dims)}" for who, dims in leads.items() if dims]
    if parts:
        out.append("By dimension: " + "; ".join(parts) + ".")
    for e in (a, b):
        missing = [c.title for c in e.rank.missing]
        if missing:
            out.append(f"{e.title} lacks measured evidence for {', '.join(missing)}; that lowers its rank and coverage.")
    return out


def comparison(a: EntryView, b: EntryView, why: str, vectors: dict) -> ComparisonView:
    sim = similarity(vectors, a.id, b.id)
    h2h = head_to_head(a, b)
    return ComparisonView(f"{a.id}-vs-{b.id}", why, a, b, sim, _features(a, b, sim), h2h, summary_sentence(a, b),
                          verdict(a, b, h2h))
