"""make bench's own arithmetic: the summary's targets and disturbance flags, and the scale on paper."""

from __future__ import annotations

import pytest

from benchmarks import scale
from benchmarks.__main__ import core_speeds, speed_flags, summary


def _module(rows, other=0.02):
    return {"module": "bench_x", "status": "ok", "seconds": 1.0, "peak_rss_mb": 10, "load_average": [0.1, 0.2],
            "other_work": other, "disturbed": other > 0.1, "rows": rows, "output": []}


def test_summary_counts_targets_and_flags_disturbed_runs():
    rows = [{"name": "a", "ours": 2.0, "baseline": 1.0, "unit": "x", "ratio": 2.0, "target": ">= 2x", "met": True},
            {"name": "b", "ours": 1.0, "baseline": 1.0, "unit": "x", "ratio": 1.0, "target": ">= 2x", "met": False},
            {"name": "c", "ours": 1.0, "baseline": 1.0, "unit": "x", "ratio": 1.0}]
    text = summary([_module(rows, other=0.35)])
    assert "targets met: 1 of 2; missed: b" in text
    assert "DISTURBED" in text and "35%" in text
    assert "DISTURBED" not in summary([_module(rows)])


def test_core_speeds_that_move_or_part_flag_a_run_no_process_shows():
    assert speed_flags([100.0, 98.0], [97.0, 101.0]) == []
    assert speed_flags([100.0, 100.0], [100.0, 88.0]) == ["a core's speed moved 12% during the run"]
    assert len(speed_flags([100.0, 100.0], [100.0, 80.0])) == 2  # moved, and now apart
    assert speed_flags([100.0, 70.0], [100.0, 72.0]) == ["one core ran 30% slower than another"]
    assert speed_flags(None, [1.0]) == []
    module = {**_module([]), "core_speed": {"start": [100.0, 100.0], "end": [100.0, 80.0],
                                            "flags": ["a core's speed moved 20% during the run"]}, "disturbed": True}
    text = summary([module])
    assert "100/100 -> 100/80" in text and "DISTURBED (a core's speed moved 20% during the run)" in text


def test_core_speeds_measures_every_core_this_process_may_use():
    speeds = core_speeds()
    assert speeds is None or (len(speeds) >= 1 and all(v > 0 for v in speeds))


def test_scale_on_paper_is_the_arithmetic_of_the_measured_rows():
    rows = [{"id": "corpus-composition-2proc", "ours": 1000.0, "baseline": 1100.0, "ratio": 1000 / 1100},
            {"id": "classifier-distilbert-fp32", "ours": 87.2, "load_seconds": 2.0},
            {"id": "classifier-distilbert-int8-onnx", "ours": 218.0, "load_seconds": 3.0}]
    pile, board = scale.on_paper([{"rows": rows}])
    total_mb = scale.PILE_TEXT_GIB * 2**30 * scale.JSON_OVERHEAD / 1e6
    assert pile["one_machine_s"] == pytest.approx(total_mb / 1000.0)
    shard_s = total_mb / scale.PILE_SHARDS / 500.0  # one shard per process, two processes per machine
    assert pile["ray_s"][4] == pytest.approx(4 * shard_s)  # 30 shards over 8 processes: 4 rounds
    assert pile["ray_s"][16] == pytest.approx(shard_s)  # 32 processes > 30 shards: one round
    assert board["one_machine_s"] == pytest.approx(500 * (872 / 87.2 + 2.0))
    assert board["ray_s"][64] == pytest.approx(8 * (872 / 87.2 + 2.0))
    assert "int8" in board["dominated_by"]


def test_scale_leaves_out_what_was_not_measured():
    assert scale.on_paper([{"rows": []}]) == []
