"""Comparison view models: a feature table, measurements head to head, a verdict drawn from numbers. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field

from generator import metrics as M
from generator import paired
from generator.links import evidence_path
from generator.match import similarity
from generator.rank import CriterionScore, DimensionScore, display
from generator.views import EntryView

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
class Disagreement:
    """Two classifiers on the same sentences: where each is right, and a sample of where they differ."""

    title: str  # the criterion
    counts: dict[str, int]  # both_right, only_a, only_b, both_wrong
    confusion_a: dict[str, int]
    confusion_b: dict[str, int]
    samples: list[dict]  # row, gold, text (or None), pred/score of each
    quoted: bool  # the dataset's examples may be quoted


@dataclass
class ConfigRow:
    field: str
    a: str
    b: str
    differs: bool


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
    disagreements: list[Disagreement] = field(default_factory=list)
    config: list[ConfigRow] = field(default_factory=list)


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


def _paired_sentence(lead_title: str, other_title: str, t, unit: str, lead_is_a: bool) -> str:
    """What a paired test says, in words: the discordant counts or the interval, and the decision."""
    sign = 1 if lead_is_a else -1
    if isinstance(t, paired.PairedAccuracy):
        lead_only, other_only = (t.only_a, t.only_b) if lead_is_a else (t.only_b, t.only_a)
        lo, hi = sorted((sign * 100 * t.ci_low, sign * 100 * t.ci_high))
        how = (f"paired on the same {t.n:,} sentences, {lead_title} alone is right on {lead_only:,} and "
               f"{other_title} alone on {other_only:,}; exact McNemar p = {t.p_value:.2g}, paired 95% interval of "
               f"the difference [{lo:.2f}, {hi:.2f}] points")
    else:
        lo, hi = sorted((-sign * t.ci_low, -sign * t.ci_high))
        how = (f"paired on the same {t.n:,} documents, the paired bootstrap 95% interval of the gap is "
               f"[{lo:.4f}, {hi:.4f}] bits per byte (p = {t.p_value:.2g})")
    decided = ("the difference is significant" if t.significant else
               "the difference is not significant: on this measurement they are tied")
    return f"{how}: {decided}"


def head_to_head(a: EntryView, b: EntryView, records: dict | None = None) -> list[HeadToHead]:
    """One line per criterion both entries have measured: who leads, by how much, and what a paired test says."""
    records = records or {}
    bs = {c.id: c for c in b.rank.criteria}
    out = []
    for ca in a.rank.criteria:
        cb = bs.get(ca.id)
        if cb is None or not (ca.measured and cb.measured):
            continue
        info = M.info(ca.metric)
        diff = ca.value - cb.value
        t = paired.paired(ca.metric, records.get((a.id, ca.result)), records.get((b.id, cb.result)))
        if diff == 0 and t is None:
            sentence = f"On {ca.title} they tie at {M.fmt(ca.value, info.unit)}."
        else:
            better_a = diff >= 0 if info.higher_is_better else diff <= 0
            lead, other = (a, b) if better_a else (b, a)
            if t is not None:
                sig = _paired_sentence(lead.title, other.title, t, info.unit, lead is a)
            else:
                sig = ("they were not measured on the same items, so no paired test applies and the gap "
                       "decides nothing")
            sentence = (f"On {ca.title} {lead.title} leads by {gap_text(diff, info.unit)} "
                        f"({_shown(lead, ca if lead is a else cb)} vs {_shown(other, cb if lead is a else ca)}); {sig}.")
        out.append(HeadToHead(ca.title, _shown(a, ca), _shown(b, cb), sentence,
                              evidence_path(a.id, ca.result), evidence_path(b.id, cb.result)))
    return out


SAMPLES_EACH = 5


def disagreements(a: EntryView, b: EntryView, records: dict, quotable: set[str]) -> list[Disagreement]:
    """For each accuracy criterion both classifiers measured on the same sentences: where they disagree."""
    out = []
    bs = {c.id: c for c in b.rank.criteria}
    for ca in a.rank.criteria:
        cb = bs.get(ca.id)
        if cb is None or not (ca.measured and cb.measured) or ca.metric != "accuracy":
            continue
        ra, rb = records.get((a.id, ca.result)), records.get((b.id, cb.result))
        t = paired.paired("accuracy", ra, rb)
        if t is None:
            continue
        by_b = {r["i"]: r for r in rb}
        dataset = next((r.config.get("dataset") for r in a.results if r.id == ca.result), None)
        quoted = dataset in quotable
        only_a = [(r, by_b[r["i"]]) for r in sorted(ra, key=lambda r: r["i"])
                  if r["pred"] == r["label"] != by_b[r["i"]]["pred"]]
        only_b = [(r, by_b[r["i"]]) for r in sorted(ra, key=lambda r: r["i"])
                  if by_b[r["i"]]["pred"] == r["label"] != r["pred"]]
        samples = [_sample(x, y, quoted) for x, y in only_a[:SAMPLES_EACH] + only_b[:SAMPLES_EACH]]
        out.append(Disagreement(ca.title, {"both_right": t.both_right, "only_a": t.only_a, "only_b": t.only_b,
                                           "both_wrong": t.both_wrong},
                                paired.confusion(ra), paired.confusion(rb), samples, quoted))
    return out


def _score(r: dict) -> str:
    value = r.get("p_positive", r.get("score"))
    return "—" if value is None else f"{value:.3g}"


def _sample(x: dict, y: dict, quoted: bool) -> dict:
    return {"row": x["i"], "gold": "positive" if x["label"] == 1 else "negative",
            "text": x.get("text") if quoted else None,
            "a": f"{'positive' if x['pred'] else 'negative'} ({_score(x)})",
            "b": f"{'positive' if y['pred'] else 'negative'} ({_score(y)})"}


def config_rows(a: EntryView, b: EntryView) -> list[ConfigRow]:
    """How the measurements behind the shared criteria were made; the lines where they differ are flagged."""
    bs = {c.id: c for c in b.rank.criteria}
    rows: list[ConfigRow] = []
    for ca in a.rank.criteria:
        cb = bs.get(ca.id)
        if cb is None or not (ca.measured and cb.measured):
            continue
        ra = next((r for r in a.results if r.id == ca.result), None)
        rb = next((r for r in b.results if r.id == cb.result), None)
        if ra is None or rb is None:
            continue
        fields = {"check": (f"{ra.check} v{ra.provenance.get('check_version')}",
                            f"{rb.check} v{rb.provenance.get('check_version')}")}
        for key in sorted(set(ra.config) | set(rb.config)):
            if key in ("rule", "options", "declared"):
                continue
            fields[key] = (str(ra.config.get(key, "—")), str(rb.config.get(key, "—")))
        libs = sorted(set(ra.provenance.get("libraries", {})) | set(rb.provenance.get("libraries", {})))
        for lib in libs:
            fields[lib] = (ra.provenance.get("libraries", {}).get(lib, "—"), rb.provenance.get("libraries", {}).get(lib, "—"))
        fields["machine"] = (f"{ra.provenance.get('platform')}, Python {ra.provenance.get('python')}",
                             f"{rb.provenance.get('platform')}, Python {rb.provenance.get('python')}")
        rows += [ConfigRow(f"{ca.title}: {k}", va, vb, va != vb) for k, (va, vb) in fields.items()]
    return rows


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
        FeatureRow("Adoption", a.adoption, b.adoption),
        FeatureRow("Ecosystem (what this engine loaded and ran)", a.ecosystem, b.ecosystem),
        FeatureRow("Pricing (from the licence)", a.pricing, b.pricing),
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
        said = f"{a.title} and {b.title} rank level at {ra}/100."
    else:
        lead, other = (a, b) if ra > rb else (b, a)
        said = f"{lead.title} ranks higher at {lead.rank.shown} vs {other.title} at {other.rank.shown}."
    if (a.kind, a.task) != (b.kind, b.task):
        said += (f" The two ranks come from different peer groups ({a.kind}, {a.task or 'no task'} vs {b.kind}, "
                 f"{b.task or 'no task'}), each scored on its own group's criteria: they say how well each is "
                 "evidenced and performs among its peers, not that one is better than the other.")
    return said


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


def comparison(a: EntryView, b: EntryView, why: str, vectors: dict, records: dict | None = None,
               quotable: set[str] | None = None) -> ComparisonView:
    sim = similarity(vectors, a.id, b.id)
    h2h = head_to_head(a, b, records)
    return ComparisonView(f"{a.id}-vs-{b.id}", why, a, b, sim, _features(a, b, sim), h2h, summary_sentence(a, b),
                          verdict(a, b, h2h), disagreements(a, b, records or {}, quotable or set()),
                          config_rows(a, b))
