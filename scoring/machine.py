"""The CPU a result was measured on: its model, its instruction-set level, and any kernel override in force.

Floats that pass through BLAS, torch or ONNX Runtime take the kernels the CPU's instruction set selects
(AVX2, AVX-512, AVX-512 VNNI...), so their last digits can differ between CPU generations; every result
records which level produced it, and ``verify --rescore`` says when a re-measurement ran on another.
"""

from __future__ import annotations

import os
import platform

# Environment variables that force other kernels than the CPU would pick (they can move a float's digits).
KERNEL_ENV = ("ATEN_CPU_CAPABILITY", "OPENBLAS_CORETYPE", "NPY_DISABLE_CPU_FEATURES", "MKL_ENABLE_INSTRUCTIONS",
              "ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA")
# Flags that select kernels, from the most capable level down; the first the CPU has names its level.
LEVELS = (("avx512_vnni", "avx512-vnni"), ("avx512f", "avx512"), ("avx2", "avx2"), ("sse4_2", "sse4.2"))
REPORTED_FLAGS = ("avx2", "fma", "f16c", "avx_vnni", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16",
                  "avx512_fp16", "amx_tile", "amx_int8", "amx_bf16")


def _cpuinfo() -> tuple[str, set[str]]:
    name, flags = "", set()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name" and not name:
                    name = value.strip()
                elif key == "flags" and not flags:
                    flags = set(value.split())
                if name and flags:
                    break
    except OSError:
        pass
    return name or platform.processor() or platform.machine(), flags


def cpu_name() -> str:
    return _cpuinfo()[0]


def isa_level(flags: set[str] | None = None) -> str:
    """The CPU's instruction-set level as kernels see it: avx512-vnni, avx512, avx2, sse4.2, or the machine."""
    flags = _cpuinfo()[1] if flags is None else flags
    return next((level for flag, level in LEVELS if flag in flags), platform.machine())


def describe() -> dict:
    """What a result's provenance records about the CPU (and the kernel overrides set for this run)."""
    name, flags = _cpuinfo()
    out: dict = {"model": name, "isa": isa_level(flags), "flags": [f for f in REPORTED_FLAGS if f in flags]}
    overrides = {k: os.environ[k] for k in KERNEL_ENV if os.environ.get(k)}
    if overrides:
        out["kernel_overrides"] = overrides
    return out


def same_kernels(a: dict, b: dict) -> bool:
    """Whether two provenance CPU records ran the same kernel level (with the same overrides)."""
    return bool(a) and bool(b) and (a.get("isa"), a.get("kernel_overrides")) == (b.get("isa"), b.get("kernel_overrides"))
