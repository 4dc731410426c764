"""Render a site's Markdown pages on every core during one ``mkdocs build``.

mkdocs reads and renders every page (Markdown -> HTML, the ``page_markdown`` and ``page_content``
events) in one loop on one core, then writes them through the theme. Rendering is most of a build,
and each page's rendering depends only on its own source and the list of files. So, at the loop's
first page, the build forks one worker per spare core: each renders its share of the pages (the
last shares of the list, split by source size) with mkdocs' own code, and hands back what the rest
of the build reads from a page: its HTML, table of contents, metadata, title, anchors and the
anchors it links to. The build renders the first share meanwhile, then takes the workers' pages
instead of rendering them. Everything after (theme, search index, anchor validation, strict mode)
runs in the build's process as before, so the site is the same, byte for byte.

A worker's log records are replayed in the build's process, where strict mode counts them; a
worker's error stops the build naming the page. Where ``os.fork`` does not exist, or with one core,
pages render in the loop as before.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import tempfile
from collections.abc import Iterator
from pathlib import Path

# what the rest of a build reads from a rendered page
FIELDS = ("markdown", "content", "toc", "meta", "_title_from_render", "present_anchor_ids")


class _Capture(logging.Handler):
    """A worker's log records, as plain picklable ones, to replay in the build's process."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self._seen: set[int] = set()

    def emit(self, record: logging.LogRecord) -> None:
        if id(record) in self._seen:  # the same record, propagated to another logger's handler
            return
        self._seen.add(id(record))
        record.msg, record.args, record.exc_info, record.exc_text = record.getMessage(), None, None, None
        self.records.append(record)

    @classmethod
    def instead_of_every_handler(cls) -> _Capture:
        """Replace every handler in this process (a worker: it prints nothing itself)."""
        capture = cls()
        loggers = [v for v in logging.root.manager.loggerDict.values() if isinstance(v, logging.Logger)]
        for logger in [logging.getLogger(), *loggers]:
            if logger.handlers or logger is logging.getLogger():
                logger.handlers = [capture]
        return capture


def shares(pages: list, workers: int) -> list[list]:
    """``pages`` cut in order into ``workers`` runs of about equal source size."""
    sizes = [max(1, os.path.getsize(p.file.abs_src_path)) for p in pages]
    total, out, run, acc = sum(sizes), [], [], 0
    for page, size in zip(pages, sizes, strict=True):
        run.append(page)
        acc += size
        if acc >= total * (len(out) + 1) / workers and len(out) < workers - 1:
            out.append(run)
            run = []
    return [*out, run]


def _render_share(populate, pages: list, config, files, out: Path) -> None:
    """In a worker: render ``pages``, write what the build needs of them to ``out``."""
    capture = _Capture.instead_of_every_handler()
    rendered, error = {}, None
    for page in pages:
        try:
            populate(page, config, files)
        except BaseException as err:  # noqa: BLE001 - every failure goes back to the build, naming the page
            error = f"Error reading page '{page.file.src_uri}': {type(err).__name__}: {err}"
            break
        links = {f.src_uri: anchors for f, anchors in (page.links_to_anchors or {}).items()}
        rendered[page.file.src_uri] = ({f: getattr(page, f) for f in FIELDS}, links)
    with open(out, "wb") as fh:
        pickle.dump({"pages": rendered, "records": capture.records, "error": error}, fh, pickle.HIGHEST_PROTOCOL)


def _spawn(populate, pages: list, config, files, out: Path) -> int:
    pid = os.fork()
    if pid == 0:  # the worker
        code = 0
        try:
            _render_share(populate, pages, config, files, out)
        except BaseException:  # noqa: BLE001
            code = 1
        finally:
            os._exit(code)
    return pid


class _Pool:
    def __init__(self, populate, workers: int):
        self.populate, self.workers = populate, workers
        self.started = False
        self.pending: dict[str, tuple[int, Path]] = {}  # page -> (worker pid, its output)
        self.results: dict[str, tuple[dict, dict]] = {}
        self.tmp = tempfile.TemporaryDirectory(prefix="unfragile-pages-")

    def start(self, config, files) -> None:
        from mkdocs.structure.files import InclusionLevel

        self.started = True
        pages = [f.page for f in files.documentation_pages(inclusion=InclusionLevel.is_included)]
        if len(pages) < 2 * self.workers:
            return
        for n, share in enumerate(shares(pages, self.workers)[1:]):
            out = Path(self.tmp.name) / f"share-{n}.pickle"
            pid = _spawn(self.populate, share, config, files, out)
            self.pending.update({p.file.src_uri: (pid, out) for p in share})

    def collect(self, src_uri: str) -> None:
        """Wait for the worker that renders ``src_uri``; replay its log; keep its pages."""
        from mkdocs.exceptions import BuildError

        pid, out = self.pending[src_uri]
        _, status = os.waitpid(pid, 0)
        try:
            with open(out, "rb") as fh:
                share = pickle.load(fh)
        except (OSError, EOFError, pickle.UnpicklingError):
            share = {"pages": {}, "records": [],
                     "error": f"the worker rendering pages from '{src_uri}' on stopped (exit status {status})"}
        for record in share["records"]:
            logging.getLogger(record.name).handle(record)
        if share["error"]:
            raise BuildError(share["error"])
        self.results.update(share["pages"])
        for uri in share["pages"]:
            del self.pending[uri]

    def take(self, page, files) -> bool:
        """Give ``page`` what a worker rendered for it (False: the page is the build's to render)."""
        uri = page.file.src_uri
        if uri in self.pending:
            self.collect(uri)
        if uri not in self.results:
            return False
        fields, links = self.results.pop(uri)
        for name, value in fields.items():
            setattr(page, name, value)
        page.links_to_anchors = {files.get_file_from_path(u): a for u, a in links.items()}
        return True

    def close(self) -> None:
        for pid in {pid for pid, _ in self.pending.values()}:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        self.tmp.cleanup()


@contextlib.contextmanager
def rendering_on(workers: int) -> Iterator[None]:
    """Within this block, ``mkdocs build`` renders its pages in ``workers`` processes."""
    import mkdocs.commands.build as mkdocs_build

    if workers < 2 or not hasattr(os, "fork"):
        yield
        return
    original = mkdocs_build._populate_page
    pool = _Pool(original, workers)

    def populate(page, config, files, dirty: bool = False) -> None:
        if not pool.started and not dirty:
            pool.start(config, files)
        if not pool.take(page, files):
            original(page, config, files, dirty)

    mkdocs_build._populate_page = populate
    try:
        yield
    finally:
        mkdocs_build._populate_page = original
        pool.close()
