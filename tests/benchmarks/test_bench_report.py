"""make bench's own arithmetic: the summary's targets and disturbance flags, and the scale on paper."""

from __future__ import annotations

import pytest

from benchmarks import scale
from benchmarks.__main__ import summary


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
