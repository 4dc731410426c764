"""UnfragileRank: the formula, its edge cases, and properties checked with hypothesis."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator import metrics as M
from generator.rank import RankSpecError, display, explain, normalise, parse_spec, rank_entry
from generator.summarize import summarize
from scoring.entries import Entry
from scoring.results import Provenance, Result

WEIGHTS = {"quality": 0.5, "efficiency": 0.2, "openness": 0.15, "coverage": 0.15}


def schema(criteria: list[dict], weights: dict | None = None) -> dict:
    return {"rank": {"weights": weights or WEIGHTS, "open_licenses": ["MIT"], "criteria": criteria}}


ACCURACY = {"id": "acc", "title": "Accuracy", "dimension": "quality", "check": "classification-accuracy",
            "metric": "accuracy", "where": {"dataset": "d", "split": "dev"}, "applies": {"task": "sentiment"},
            "floor": 0.5, "ceiling": 1.0}
F1_LOG = {"id": "f1", "title": "F1", "dimension": "efficiency", "check": "classification-accuracy", "metric": "f1",
          "where": {"dataset": "d", "split": "dev"}, "applies": {"task": "sentiment"}, "floor": 0.01, "ceiling": 1.0,
          "scale": "log"}


def entry(entry_id: str, checks: int = 1, task: str = "sentiment", license: str = "MIT", claims: int = 0) -> Entry:
    return Entry.model_validate({
        "id": entry_id, "kind": "model", "type": "lexicon", "task": task, "title": entry_id.upper(),
        "summary": "s", "license": license, "source": {"type": "pypi", "package": "p", "version": "1"},
        "capabilities": [{"id": "c", "title": "t", "summary": "s", "unique": "u", "vs_alternatives": "v",
                          "claims": [{"statement": f"claim {i}", "metric": "accuracy", "value": 0.8,
                                      "check": "classification-accuracy"} for i in range(claims)]}],
        "checks": [{"check": "classification-accuracy", "id": None if i == 0 else f"run-{i}",
                    "args": {"dataset": "d", "split": "dev", "classifier": "c", "rule": "r"}} for i in range(checks)],
    })


def result(entry_id: str, metrics: dict | None, result_id: str = "classification-accuracy") -> Result:
    status = "ok" if metrics is not None else "unavailable"
    return Result(entry=entry_id, id=result_id, check="classification-accuracy", status=status, key="k",
                  metrics=metrics or {}, reason=None if metrics is not None else "weights not here",
                  config={"dataset": "d", "split": "dev", "classifier": "c", "rule": "r"},
                  provenance=Provenance(engine_version="0", check_version="1"))


def test_normalise_both_directions_and_log():
    assert normalise(0.75, 0.5, 1.0) == 0.5
    assert normalise(0.4, 0.5, 1.0) == 0.0 and normalise(1.2, 0.5, 1.0) == 1.0
    assert normalise(2.0, 8.0, 0.0) == 0.75  # lower is better: floor 8 bits/byte, ceiling 0
    assert math.isclose(normalise(100, 1, 10_000, "log"), 0.5)
    assert normalise(0, 1, 10_000, "log") == 0.0


def test_rank_by_hand():
    spec = parse_spec(schema([ACCURACY]))
    view = rank_entry(entry("a", claims=2), {("a", "classification-accuracy"): result("a", {"accuracy": 0.8})}, spec,
                      claims_tested=1, claims_testable=2)
    quality = (0.8 - 0.5) / 0.5
    coverage = (1 + 1) / (1 + 2)
    expected = 100 * (0.5 * quality + 0.15 * 1.0 + 0.15 * coverage) / (0.5 + 0.15 + 0.15)
    assert math.isclose(view.total, round(expected, 2))
    assert view.dimension("efficiency").score is None  # nothing applies: left out with its weight
    assert explain(view)[-1].endswith(f"= {view.total:.2f}, shown as {display(view.total)}/100")


def test_missing_evidence_scores_zero_and_lowers_coverage():
    spec = parse_spec(schema([ACCURACY]))
    measured = rank_entry(entry("a"), {("a", "classification-accuracy"): result("a", {"accuracy": 0.8})}, spec)
    missing = rank_entry(entry("a"), {("a", "classification-accuracy"): result("a", None)}, spec)
    assert missing.criteria[0].score is None and "unavailable" in missing.criteria[0].note
    assert missing.dimension("quality").score == 0.0  # counted, not averaged away
    assert missing.dimension("coverage").score == 0.0 < measured.dimension("coverage").score
    assert missing.total < measured.total
    undeclared = rank_entry(entry("a", checks=0), {}, spec)  # applies by task even without the check
    assert undeclared.criteria[0].note.startswith("missing: the entry declares no check")


def test_best_of_several_results_counts():
    spec = parse_spec(schema([ACCURACY]))
    results = {("a", "classification-accuracy"): result("a", {"accuracy": 0.6}),
               ("a", "run-1"): result("a", {"accuracy": 0.9}, "run-1")}
    view = rank_entry(entry("a", checks=2), results, spec)
    assert view.criteria[0].result == "run-1" and view.criteria[0].value == 0.9


def test_bound_from_a_named_result():
    crit = dict(ACCURACY, floor={"result": "base/classification-accuracy", "metric": "accuracy"})
    spec = parse_spec(schema([crit]))
    results = {("a", "classification-accuracy"): result("a", {"accuracy": 0.8})}
    assert "has not been measured" in rank_entry(entry("a"), results, spec).criteria[0].note
    results[("base", "classification-accuracy")] = result("base", {"accuracy": 0.6})
    assert math.isclose(rank_entry(entry("a"), results, spec).criteria[0].score, 0.5)


@pytest.mark.parametrize("bad, message", [
    ({"weights": {"quality": 1}}, "rank.weights"),
    ({"criteria": [dict(ACCURACY, dimension="vibes")]}, "dimension"),
    ({"criteria": [dict(ACCURACY, floor=1.0, ceiling=0.5)]}, "ceiling must be above"),
    ({"criteria": [dict(ACCURACY, floor="low")]}, "floor"),
    ({"criteria": [ACCURACY, ACCURACY]}, "duplicate"),
])
def test_bad_rank_spec_fails_loudly(bad, message):
    raw = {"weights": WEIGHTS, "open_licenses": [], "criteria": [], **bad}
    with pytest.raises(RankSpecError, match=message):
        parse_spec({"rank": raw})


def test_unknown_metric_in_a_criterion_fails_loudly():
    with pytest.raises(M.UnknownMetric):
        parse_spec(schema([dict(ACCURACY, metric="acuracy")]))


values = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(acc=st.tuples(values, values), f1=st.tuples(values, values), present=st.tuples(st.booleans(), st.booleans()),
       tested=st.integers(0, 3), extra=st.integers(0, 3))
def test_a_better_measurement_never_lowers_a_rank(acc, f1, present, tested, extra):
    spec = parse_spec(schema([ACCURACY, F1_LOG]))
    lo_acc, hi_acc = sorted(acc)
    lo_f1, hi_f1 = sorted(f1)
    worse = {("a", "classification-accuracy"): result("a", {"accuracy": lo_acc, "f1": lo_f1})}
    better = {("a", "classification-accuracy"): result("a", {"accuracy": hi_acc, "f1": hi_f1})}
    if not present[0]:  # the worse case may even lack the measurement
        worse = {("a", "classification-accuracy"): result("a", None)}
    if not present[1]:
        worse = {}
    e = entry("a", claims=tested + extra)
    r_worse = rank_entry(e, worse, spec, 0 if not worse or not present[0] else tested, tested + extra)
    r_better = rank_entry(e, better, spec, tested, tested + extra)
    assert r_better.total >= r_worse.total
    for name in ("quality", "efficiency", "coverage"):
        assert r_better.dimension(name).score >= r_worse.dimension(name).score


@st.composite
def catalogs(draw):
    n = draw(st.integers(1, 5))
    entries, results = {}, {}
    for i in range(n):
        eid = f"e{i}"
        entries[eid] = entry(eid, task=draw(st.sampled_from(["sentiment", "other"])),
                             license=draw(st.sampled_from(["MIT", "proprietary"])))
        if draw(st.booleans()):
            results[(eid, "classification-accuracy")] = result(eid, {"accuracy": draw(values), "f1": draw(values)})
    return entries, results


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(base=catalogs(), newcomer_acc=st.one_of(st.none(), values), task=st.sampled_from(["sentiment", "other"]))
def test_adding_an_unrelated_entry_never_changes_another_rank(base, newcomer_acc, task):
    entries, results = base
    s = schema([ACCURACY, F1_LOG])
    before = {e.id: e.rank.total for e in summarize(entries, results, s).entries}
    grown = dict(entries, newcomer=entry("newcomer", task=task))
    grown_results = dict(results)
    if newcomer_acc is not None:
        grown_results[("newcomer", "classification-accuracy")] = result("newcomer", {"accuracy": newcomer_acc, "f1": 0.5})
    after = {e.id: e.rank.total for e in summarize(grown, grown_results, s).entries}
    assert {k: after[k] for k in before} == before


THROUGHPUT = {"id": "speed", "title": "Speed", "dimension": "efficiency", "check": "throughput",
              "metric": "sentences_per_s", "where": {"dataset": "d", "split": "dev"}, "applies": {"task": "sentiment"},
              "floor": 1, "ceiling": 10000, "scale": "log"}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(acc=st.one_of(st.none(), values), speed=st.one_of(st.none(), st.floats(0, 1e6)), measured=st.booleans())
def test_declaring_a_throughput_check_never_lowers_a_rank(acc, speed, measured):
    """Every criterion of a peer group applies to every member, so evidence can only add to a rank."""
    spec = parse_spec(schema([ACCURACY, THROUGHPUT]))
    plain = entry("a")
    results = {("a", "classification-accuracy"): result("a", None if acc is None else {"accuracy": acc})}
    before = rank_entry(plain, results, spec).total
    data = plain.model_dump(mode="json", by_alias=True)
    data["checks"].append({"check": "throughput", "args": {"dataset": "d", "split": "dev"}})
    declared = Entry.model_validate(data)
    more = dict(results)
    if measured:
        more[("a", "throughput")] = Result(
            entry="a", id="throughput", check="throughput", status="ok" if speed is not None else "unavailable",
            key="k", metrics={} if speed is None else {"sentences_per_s": speed},
            reason=None if speed is not None else "no weights", config={"dataset": "d", "split": "dev"},
            provenance=Provenance(engine_version="0", check_version="1"))
    assert rank_entry(declared, more, spec).total >= before
