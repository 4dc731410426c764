"""The performance page's view model: the latest ``make bench`` figures from results/benchmarks.json. Pure."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError


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
    target: str | None = None
    met: bool | None = None


class _Machine(BaseModel):
    model_config = ConfigDict(extra="ignore")
    cpu: str = "unknown"
    isa: str = "not recorded"
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
    load_average: list[float] = []
    other_work: float | None = None
    disturbed: bool = False
    rows: list[_Row] = []
    output: list[str] = []


class _Scale(BaseModel):
    model_config = ConfigDict(extra="ignore")
    what: str
    one_machine_s: float
    ray_s: dict[int, float]
    dominated_by: str
    from_: str = Field("", alias="from")


class _File(BaseModel):
    model_config = ConfigDict(extra="ignore")
    schema_version: int
    updated_at: str
    machine: _Machine
    benchmarks: list[_Module]
    scale: list[_Scale] = []


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
    target: str
    met: str  # "yes", "no" or "" (no target)


@dataclass
class PerfModule:
    module: str
    status: str
    seconds: str
    peak_rss_mb: str
    measured_at: str
    load: str
    other_work: str
    disturbed: bool
    output: list[str]


@dataclass
class PerfScale:
    what: str
    one_machine: str
    ray: list[tuple[int, str]]  # (workers, time)
    dominated_by: str
    source: str


@dataclass
class Performance:
    updated_at: str
    machine: list[tuple[str, str]]  # (label, value)
    load: str
    rows: list[PerfRow]
    modules: list[PerfModule]
    scale: list[PerfScale]
    targets_met: tuple[int, int]  # (met, with a target)
    disturbed: list[str]  # modules run while other work took a tenth of the machine, or core speeds moved


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f}"


def _load(machine: _Machine | None) -> str:
    if machine is None or len(machine.load_average_at_start) != 3:
        return "not recorded"
    one, five, fifteen = machine.load_average_at_start
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def duration(seconds: float) -> str:
    """3.2 h, 41 min, 12 s, 2.5 days: the unit a reader would say."""
    if seconds >= 2 * 86400:
        return f"{seconds / 86400:,.1f} days"
    if seconds >= 2 * 3600:
        return f"{seconds / 3600:,.1f} h"
    if seconds >= 120:
        return f"{seconds / 60:,.0f} min"
    return f"{seconds:,.0f} s"


def _module_load(b: _Module, machine: _Machine | None) -> str:
    if len(b.load_average) == 2:
        return f"{b.load_average[0]:.2f} → {b.load_average[1]:.2f}"
    return _load(machine)


def _machine(m: _Machine) -> list[tuple[str, str]]:
    libs = ", ".join(f"{k} {v}" for k, v in sorted(m.libraries.items())) or "—"
    return [("CPU", m.cpu), ("instruction set", m.isa), ("cores", str(m.cores) if m.cores is not None else "unknown"),
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
                    note=r.note or "", target=r.target or "", met={True: "yes", False: "no"}.get(r.met, ""))
            for b in data.benchmarks for r in b.rows]
    modules = [PerfModule(module=b.module, status=b.status, seconds=f"{b.seconds:,.1f}",
                          peak_rss_mb=f"{b.peak_rss_mb:,.0f}", measured_at=b.measured_at or data.updated_at,
                          load=_module_load(b, b.machine or data.machine),
                          other_work="not recorded" if b.other_work is None else f"{b.other_work:.0%}",
                          disturbed=b.disturbed, output=b.output)
               for b in data.benchmarks]
    scale = [PerfScale(what=x.what, one_machine=duration(x.one_machine_s),
                       ray=[(n, duration(t)) for n, t in sorted(x.ray_s.items())], dominated_by=x.dominated_by,
                       source=x.from_) for x in data.scale]
    with_target = [r for r in rows if r.met]
    return Performance(updated_at=data.updated_at, machine=_machine(data.machine), load=_load(data.machine),
                       rows=rows, modules=modules, scale=scale,
                       targets_met=(sum(r.met == "yes" for r in with_target), len(with_target)),
                       disturbed=[m.module for m in modules if m.disturbed])
