"""The performance page's view model: the latest ``make bench`` figures from results/benchmarks.json. Pure."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError


class _Row(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str
    ours: float | None = None
    baseline: float | None = None
    unit: str = ""
    ratio: float | None = None
    agreement: str | None = None
    peak_mb_ours: float | None = None
    peak_mb_baseline: float | None = None
    note: str | None = None


class _Machine(BaseModel):
    model_config = ConfigDict(extra="ignore")
    cpu: str = "unknown"
    cores: int | None = None
    memory_gib: float | None = None
    os: str = "unknown"
    python: str = "unknown"
    libraries: dict[str, str] = {}
    gpu: str | None = None
    load_average_at_start: list[float] = []


class _Module(BaseModel):
    model_config = ConfigDict(extra="ignore")
    module: str
    status: str
    seconds: float
    peak_rss_mb: float
    measured_at: str = ""
    machine: _Machine | None = None
    rows: list[_Row] = []
    output: list[str] = []


class _File(BaseModel):
    model_config = ConfigDict(extra="ignore")
    schema_version: int
    updated_at: str
    machine: _Machine
    benchmarks: list[_Module]


@dataclass
class PerfRow:
    module: str
    name: str
    ours: str
    baseline: str
    unit: str
    ratio: str
    agreement: str
    peaks: str
    note: str


@dataclass
class PerfModule:
    module: str
    status: str
    seconds: str
    peak_rss_mb: str
    measured_at: str
    load: str
    output: list[str]


@dataclass
class Performance:
    updated_at: str
    machine: list[tuple[str, str]]  # (label, value)
    load: str
    rows: list[PerfRow]
    modules: list[PerfModule]


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f}"


def _load(machine: _Machine | None) -> str:
    if machine is None or len(machine.load_average_at_start) != 3:
        return "not recorded"
    one, five, fifteen = machine.load_average_at_start
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def _machine(m: _Machine) -> list[tuple[str, str]]:
    libs = ", ".join(f"{k} {v}" for k, v in sorted(m.libraries.items())) or "—"
    return [("CPU", m.cpu), ("cores", str(m.cores) if m.cores is not None else "unknown"),
            ("memory", f"{m.memory_gib:g} GiB" if m.memory_gib is not None else "unknown"),
            ("GPU", m.gpu or "none"), ("OS", m.os), ("Python", m.python), ("libraries", libs)]


def load(path: Path) -> Performance | None:
    """The view model of ``path``, or None when no benchmark has been run. Bad files stop with file and field."""
    if not path.is_file():
        return None
    try:
        data = _File.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except ValueError as err:  # JSONDecodeError and ValidationError
        if isinstance(err, ValidationError):
            first = err.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "(top level)"
            raise SystemExit(f"{path}: field {where}: {first['msg']}") from err
        raise SystemExit(f"{path}: not valid JSON: {err}") from err
    rows = [PerfRow(module=b.module, name=r.name, ours=_num(r.ours), baseline=_num(r.baseline), unit=r.unit,
                    ratio="—" if r.ratio is None else f"{r.ratio:.2f}×", agreement=r.agreement or "",
                    peaks=" / ".join(_num(v) for v in (r.peak_mb_ours, r.peak_mb_baseline) if v is not None),
                    note=r.note or "")
            for b in data.benchmarks for r in b.rows]
    modules = [PerfModule(module=b.module, status=b.status, seconds=f"{b.seconds:,.1f}",
                          peak_rss_mb=f"{b.peak_rss_mb:,.0f}", measured_at=b.measured_at or data.updated_at,
                          load=_load(b.machine or data.machine), output=b.output)
               for b in data.benchmarks]
    return Performance(updated_at=data.updated_at, machine=_machine(data.machine), load=_load(data.machine),
                       rows=rows, modules=modules)
