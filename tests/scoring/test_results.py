"""Result files: atomic writes, consistent rounding, no NaN, and frozen old files that must stay readable."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

from scoring import results

HISTORIC = ROOT / "tests" / "fixtures" / "historic_results"


def _result(**metrics) -> results.Result:
    return results.Result(entry="e", id="c", check="c", status="ok", key="k" * 64, metrics=metrics,
                          provenance=results.Provenance(engine_version="0", check_version="1"))


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# --- frozen files -------------------------------------------------------------------------------

def test_historic_results_are_frozen_and_present():
    assert {p.name for p in HISTORIC.glob("*.json")} >= {
        "v1-ok-classification-accuracy.json", "v1-failed-classification-accuracy.json",
        "v1-unavailable-classification-accuracy.json"}


@pytest.mark.parametrize("path", sorted(HISTORIC.glob("*.json")), ids=lambda p: p.stem)
def test_every_historic_result_still_reads(path):
    raw = json.loads(path.read_text(encoding="utf-8"))
    result = results.read(path)
    assert result.status == raw["status"] and result.entry == raw["entry"] and result.key == raw["key"]
    assert result.schema_version == raw.get("schema_version", 1)  # read as written; verify calls it stale
    assert result.provenance.engine_version == raw["provenance"]["engine_version"]
    if result.status == "ok":
        m = result.metrics
        assert m["n"] == 872 and m["accuracy"] == pytest.approx((m["tp"] + m["tn"]) / m["n"], abs=1e-6)
        assert result.reason is None
    else:
        assert result.reason and result.metrics == {}


def test_historic_results_survive_a_rewrite(tmp_path):
    """Reading an old file and writing it again keeps every number (the format is stable)."""
    for path in HISTORIC.glob("*.json"):
        old = results.read(path)
        written = results.write(tmp_path, old)
        assert results.read(written) == old


def test_a_newer_schema_version_is_refused_by_name(tmp_path):
    data = json.loads((HISTORIC / "v1-ok-classification-accuracy.json").read_text(encoding="utf-8"))
    data["schema_version"] = results.SCHEMA_VERSION + 1
    path = tmp_path / "new.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match=f"schema_version {results.SCHEMA_VERSION + 1} is newer"):
        results.read(path)


def test_read_all_reports_unreadable_files_and_keeps_the_rest(tmp_path):
    (tmp_path / "e").mkdir()
    good = results.write(tmp_path, _result(accuracy=0.5))
    (tmp_path / "e" / "broken.json").write_text('{"entry": "e", "id": ', encoding="utf-8")
    found, problems = results.read_all(tmp_path)
    assert list(found) == [("e", "c")] and good.is_file()
    assert len(problems) == 1 and "broken.json" in problems[0]


def test_read_refuses_nan_in_a_stored_file(tmp_path):
    data = json.loads((HISTORIC / "v1-ok-classification-accuracy.json").read_text(encoding="utf-8"))
    path = tmp_path / "nan.json"
    path.write_text(json.dumps(data).replace('"accuracy": 0.6376147', '"accuracy": NaN'), encoding="utf-8")
    with pytest.raises(ValueError):
        results.read(path)


# --- tidy -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    (0.123456789, 0.1234568),
    (123456789.0, 123456800.0),
    (1 / 3 * 1e-12, 3.333333e-13),
    (2.0, 2.0),
    (7, 7),
    (True, True),
    (None, None),
    ("0.123456789", "0.123456789"),
    (np.float32(0.1), 0.1),
    (np.int64(42), 42),
    ({"a": [0.123456789, {"b": np.float64(2 / 3)}]}, {"a": [0.1234568, {"b": 0.6666667}]}),
    ((1, 2.000000001), [1, 2.0]),
])
def test_tidy_rounds_to_seven_significant_digits(value, expected):
    out = results.tidy(value)
    assert out == expected and type(out) is type(expected)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf"), np.float64("nan"), {"x": [float("nan")]}])
def test_tidy_refuses_nan_and_infinity(bad):
    with pytest.raises(ValueError, match="non-finite"):
        results.tidy(bad)


def test_tidy_refuses_what_json_cannot_hold():
    with pytest.raises(TypeError, match="cannot store set"):
        results.tidy({1, 2})


# --- atomic writes ----------------------------------------------------------------------------------

def test_write_then_read_round_trips_with_rounding(tmp_path):
    path = results.write(tmp_path, _result(accuracy=2 / 3, n=872))
    assert path == tmp_path / "e" / "c.json"
    assert results.read(path).metrics == {"accuracy": 0.6666667, "n": 872}
    assert _leftovers(path.parent) == []


def test_a_nan_metric_writes_nothing(tmp_path):
    with pytest.raises(ValueError, match="non-finite"):
        results.write(tmp_path, _result(accuracy=float("nan")))
    assert not (tmp_path / "e" / "c.json").exists()
    assert not (tmp_path / "e").exists() or _leftovers(tmp_path / "e") == []


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp_file(tmp_path):
    path = results.write(tmp_path, _result(accuracy=0.5))
    before = path.read_bytes()
    with pytest.raises(UnicodeEncodeError):
        results.atomic_write(path, '{"half": "written \ud800"}')  # fails while writing the temp file
    assert path.read_bytes() == before
    assert _leftovers(path.parent) == []


def test_a_crash_at_the_rename_leaves_the_old_file_whole(tmp_path, monkeypatch):
    path = results.write(tmp_path, _result(accuracy=0.5))
    before = path.read_bytes()

    def crash(src, dst):
        assert Path(src).read_text(encoding="utf-8") == "new contents\n"  # the temp file was complete
        raise OSError("disk went away")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk went away"):
        results.atomic_write(path, "new contents\n")
    assert path.read_bytes() == before
    assert _leftovers(path.parent) == []


def test_atomic_write_replaces_in_one_step(tmp_path, monkeypatch):
    path = tmp_path / "r.json"
    path.write_text("old\n", encoding="utf-8")
    seen = []
    real_replace = os.replace

    def watch(src, dst):
        seen.append(path.read_text(encoding="utf-8"))  # a reader just before the switch sees the old file
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", watch)
    results.atomic_write(path, "new\n")
    assert seen == ["old\n"] and path.read_text(encoding="utf-8") == "new\n"
    assert _leftovers(tmp_path) == []
