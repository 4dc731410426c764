"""General-purpose compressors (zstd, gzip, xz) as plain functions, whole format included."""

from __future__ import annotations

import gzip
import lzma
import zlib
from dataclasses import dataclass, field
from importlib import metadata
from typing import Literal

import zstandard

VERSION = "1"  # bump when a change here can move a measured number (see scoring/code.py)

Name = Literal["zstd", "gzip", "xz"]
DEFAULT_LEVELS = {"zstd": 3, "gzip": 6, "xz": 6}


@dataclass
class Compressor:
    name: Name
    level: int
    _zstd: tuple = field(init=False, repr=False, default=())

    def __post_init__(self) -> None:
        if self.name == "zstd":  # contexts made once: timing measures the codec, not allocation
            self._zstd = (zstandard.ZstdCompressor(level=self.level), zstandard.ZstdDecompressor())

    def compress(self, data: bytes) -> bytes:
        if self.name == "zstd":
            return self._zstd[0].compress(data)
        if self.name == "gzip":
            return gzip.compress(data, compresslevel=self.level, mtime=0)
        return lzma.compress(data, preset=self.level)

    def decompress(self, data: bytes) -> bytes:
        if self.name == "zstd":
            return self._zstd[1].decompress(data)
        if self.name == "gzip":
            return zlib.decompress(data, wbits=16 + zlib.MAX_WBITS)
        return lzma.decompress(data, format=lzma.FORMAT_XZ)

    @property
    def description(self) -> str:
        how = {"zstd": "python-zstandard, frame with content size", "gzip": "Python gzip/zlib, mtime 0",
               "xz": "Python lzma, .xz container with CRC64"}[self.name]
        return f"{self.name} level {self.level} ({how})"


def make(name: Name, level: int | None = None) -> Compressor:
    return Compressor(name, DEFAULT_LEVELS[name] if level is None else level)


def library_versions() -> dict[str, str]:
    return {"zstandard": metadata.version("zstandard"), "libzstd": ".".join(map(str, zstandard.ZSTD_VERSION)),
            "zlib": zlib.ZLIB_RUNTIME_VERSION, "liblzma": _lzma_version()}


def _lzma_version() -> str:
    try:
        import ctypes
        import ctypes.util

        lib = ctypes.CDLL(ctypes.util.find_library("lzma") or "liblzma.so.5")
        lib.lzma_version_string.restype = ctypes.c_char_p
        return lib.lzma_version_string().decode()
    except (OSError, AttributeError):
        return "unknown"
