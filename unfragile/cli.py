"""The ``unfragile`` command: the scoring commands, plus generate, build, site and report.

This is the one place that knows both packages: scoring/ never imports the generator, and the
generator only reads what scoring wrote.
"""

from __future__ import annotations

import sys
from pathlib import Path

from scoring import cli as scoring_cli
from scoring.cli import _catalog, _verified, cmd_score, cmd_validate


def cmd_generate(args) -> int:
    from generator.render import generate

    catalog = _catalog(args)
    if catalog is None:
        return 1
    report = _verified(catalog, args)
    if report is None:
        return 1
    done = generate(catalog, args.results, args.out, docs_dir=Path(args.docs), cache_dir=Path(args.cache_dir),
                    stale=report.stale)
    print(f"{done.pages} page(s) in {args.out}: {len(done.written)} file(s) written, {len(done.removed)} removed, "
          "the others unchanged")
    return 0


def cmd_build(args) -> int:
    from generator.build import build

    catalog = _catalog(args)
    if catalog is None or _verified(catalog, args) is None:
        return 1
    return build(Path(args.config), args.out, args.site_dir)


def cmd_site(args) -> int:
    for step in (cmd_validate, cmd_score, cmd_generate, cmd_build):
        code = step(args)
        if code:
            return code
    print(f"site built in {args.site_dir}/ — view it with: make serve (http://127.0.0.1:8000)")
    return 0


def cmd_report(args) -> int:
    from generator.report import build
    from scoring.rescore import changed_entries

    catalog = _catalog(args)
    if catalog is None:
        return 1
    try:
        changed = changed_entries(catalog, args.base, args.entries, args.results)
        text = build(args.base, args.entries, args.results, changed, Path(args.cache_dir))
    except (ValueError, OSError) as err:
        print(f"report: {err}", file=sys.stderr)
        return 1
    print(text, end="")
    if args.markdown:
        Path(args.markdown).write_text(text, encoding="utf-8")
    return 0


def parser():
    p, sub, common = scoring_cli.parser(prog="unfragile")
    p.description = "Measure AI models and datasets; build the site."
    s = sub.add_parser("site", parents=[common], help="validate, score, generate, build")
    scoring_cli.score_options(s)
    s.set_defaults(func=cmd_site)
    sub.add_parser("generate", parents=[common], help="write Markdown pages").set_defaults(func=cmd_generate)
    sub.add_parser("build", parents=[common], help="mkdocs build --strict").set_defaults(func=cmd_build)
    rp = sub.add_parser("report", parents=[common], help="what a change does to the site, as Markdown")
    rp.add_argument("--base", required=True, metavar="GIT_REF", help="compare with this commit (e.g. origin/main)")
    rp.add_argument("--markdown", metavar="FILE", help="also write the report here")
    rp.set_defaults(func=cmd_report)
    return p


def main(argv: list[str] | None = None) -> int:
    return scoring_cli.run(parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
