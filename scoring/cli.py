"""The ``unfragile`` command: validate, score, generate, build, site."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scoring import data


def _paths(args) -> None:
    args.entries = Path(args.entries)
    args.results = Path(args.results)
    args.out = Path(args.out)
    args.site_dir = Path(args.site_dir)
    args.data_dir = Path(args.data_dir) if args.data_dir else data.default_data_dir()


def cmd_validate(args) -> int:
    from scoring.entries import entry_files, load_catalog
    from scoring.yaml_loader import Problem

    named = [Path(p) for p in args.paths]
    paths = [f for p in named for f in (entry_files(p) if p.is_dir() else [p])] if named else entry_files(args.entries)
    missing = [p for p in paths if not p.is_file()]
    for p in missing:
        print(Problem(str(p), 1, 1, "", "file not found"), file=sys.stderr)
    catalog, problems = load_catalog([p for p in paths if p.is_file()], args.entries)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems or missing:
        print(f"{len(problems) + len(missing)} problem(s) in {len(paths)} file(s)", file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"{len(catalog)} entries valid")
    return 0


def _catalog(args):
    from scoring.entries import entry_files, load_catalog

    catalog, problems = load_catalog(entry_files(args.entries), args.entries)
    for problem in problems:
        print(problem, file=sys.stderr)
    return None if problems else catalog


def cmd_score(args) -> int:
    from scoring.check import Context
    from scoring.runner import score

    catalog = _catalog(args)
    if catalog is None:
        return 1
    unknown = [i for i in args.only or [] if i not in catalog]
    if unknown:
        print(f"--only: no entry {', '.join(unknown)}", file=sys.stderr)
        return 1
    from scoring.entries import Limits
    from scoring.executors import ExecutorError, get_executor

    ctx = Context(data_dir=args.data_dir, catalog=catalog, cache_dir=Path(args.cache_dir),
                  show_progress=not args.quiet)
    limits = Limits(time_s=args.time_limit, memory_mb=args.memory_limit)
    try:
        executor = get_executor(args.executor, args)
        report = score(catalog, ctx, args.results, only=args.only, force=args.force, executor=executor, limits=limits)
    except ExecutorError as err:
        print(f"--executor {args.executor}: {err}", file=sys.stderr)
        return 1
    ok = sum(r.status == "ok" for r in report.ran)
    shards = f", {report.shards_run} shard(s) run, {report.shards_reused} reused" if report.shards_run or report.shards_reused else ""
    print(f"scored {len(report.ran)} check(s) ({ok} ok), {len(report.skipped)} up to date{shards}")
    for r in report.not_ok:
        print(f"  {r.status}: {r.entry}/{r.id}: {r.reason}")
    stale_reasons = _stored_not_ok(args.results, report)
    for line in stale_reasons:
        print(f"  {line}")
    return 0


def _stored_not_ok(results_dir: Path, report) -> list[str]:
    """Checks that were up to date but whose stored result could not run (shown so nobody is surprised)."""
    from scoring import results

    out = []
    for unit in report.skipped:
        try:
            r = results.read(results.result_path(results_dir, unit.entry.id, unit.spec.result_id))
        except (OSError, ValueError):
            continue
        if r.status != "ok":
            out.append(f"{r.status} (stored): {r.entry}/{r.id}: {r.reason}")
    return out


def cmd_generate(args) -> int:
    from generator.render import generate

    catalog = _catalog(args)
    if catalog is None:
        return 1
    pages = generate(catalog, args.results, args.out, docs_dir=Path(args.docs), cache_dir=Path(args.cache_dir))
    print(f"wrote {pages} page(s) to {args.out}")
    return 0


def cmd_build(args) -> int:
    from generator.build import build

    return build(Path(args.config), args.out, args.site_dir)


def cmd_site(args) -> int:
    for step in (cmd_validate, cmd_score, cmd_generate, cmd_build):
        code = step(args)
        if code:
            return code
    print(f"site built in {args.site_dir}/ — view it with: make serve (http://127.0.0.1:8000)")
    return 0


def _positive(kind, most: float = 1 << 24):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            value = 0
        if not 0 < value <= most:
            raise argparse.ArgumentTypeError(f"expected a number above 0 and at most {most:g}, got {text!r}")
        return value

    return parse


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--entries", default="entries", help="entries dir (default: entries)")
    common.add_argument("--results", default="results", help="results dir (default: results)")
    common.add_argument("--data-dir", default=None, help=f"data dir (default: ${data.DATA_ENV})")
    common.add_argument("--out", default="docs/generated", help="generated Markdown dir")
    common.add_argument("--docs", default="docs", help="hand-written pages copied into the generated site")
    common.add_argument("--site-dir", default="site", help="built HTML dir")
    common.add_argument("--config", default="mkdocs.yml", help="mkdocs config")
    common.add_argument("--cache-dir", default=".cache/unfragile", help="cache for embeddings and similar")
    common.add_argument("-q", "--quiet", action="store_true", help="no progress bars")

    p = argparse.ArgumentParser(prog="unfragile", description="Measure AI models and datasets; build the site.")
    sub = p.add_subparsers(dest="command", required=True)
    v = sub.add_parser("validate", parents=[common], help="check entry files")
    v.add_argument("paths", nargs="*", help="entry files (default: every entry)")
    v.set_defaults(func=cmd_validate)
    for name, func, helptext in (("score", cmd_score, "run the checks entries declare"),
                                 ("site", cmd_site, "validate, score, generate, build")):
        s = sub.add_parser(name, parents=[common], help=helptext)
        s.add_argument("--only", nargs="+", metavar="ID", help="only these entries")
        s.add_argument("--force", action="store_true", help="rerun even when up to date")
        s.add_argument("--executor", default="local", choices=["local", "ray"], help="local process pool (default) or ray")
        s.add_argument("--address", default=None, help="Ray cluster address (default: start a local Ray)")
        s.add_argument("--workers", type=_positive(int, 1024), default=None, help="parallel checks (default: CPU cores)")
        s.add_argument("--time-limit", type=_positive(float, 7 * 86400), default=None, metavar="S",
                       help="seconds per check or shard unless its entry sets limits.time_s (default: 14400)")
        s.add_argument("--memory-limit", type=_positive(int, 1 << 24), default=None, metavar="MB",
                       help="MiB of address space per check unless its entry sets limits.memory_mb (default: RAM)")
        s.set_defaults(func=func, paths=[])
    sub.add_parser("generate", parents=[common], help="write Markdown pages").set_defaults(func=cmd_generate)
    sub.add_parser("build", parents=[common], help="mkdocs build --strict").set_defaults(func=cmd_build)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    _paths(args)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("interrupted; finished results are kept", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
