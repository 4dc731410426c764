"""mkdocs build --strict of the generated pages."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from generator import page_workers
from scoring.check import usable_cores


def build(config: Path, docs_dir: Path, site_dir: Path, workers: int | None = None) -> int:
    """Build ``docs_dir`` into ``site_dir``, its pages rendered on ``workers`` cores (default: all)."""
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    if not (docs_dir / "index.md").is_file():
        print(f"{docs_dir}/index.md is missing: run 'unfragile generate' first", file=sys.stderr)
        return 1
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    try:
        cfg = load_config(str(config), docs_dir=str(docs_dir.resolve()), site_dir=str(site_dir.resolve()), strict=True)
        with page_workers.rendering_on(workers or usable_cores()):
            mkdocs_build(cfg)
    except MkDocsException as err:
        print(f"mkdocs build failed: {err}", file=sys.stderr)
        return 1
    print(f"built {site_dir}/")
    return 0
