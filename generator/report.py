"""`unfragile report --base REF`: what a pull request changes on the site, as Markdown for its reviewers.

Per entry the change adds or edits: every new or changed number with its interval, claim verdicts,
its rank before and after, the comparison pages added or changed, and what could not be measured
and why. Both sides are built by the same summarize step the site uses.
"""

from __future__ import annotations

import subprocess
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

from generator import metrics as M
from generator.summarize import Site
from generator.views import EntryView


def checkout(ref: str, paths: list[str], into: Path) -> None:
    """The given folders of git ``ref`` written under ``into``; a folder the ref lacks stays absent."""
    for path in paths:
        out = subprocess.run(["git", "archive", "--format=tar", ref, "--", path], capture_output=True, timeout=120)
        if out.returncode != 0:
            if subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
                              capture_output=True).returncode != 0:
                raise ValueError(f"--base {ref}: not a commit git knows")
            continue  # the folder does not exist there yet
        with tarfile.open(fileobj=BytesIO(out.stdout)) as tar:
            tar.extractall(into, filter="data")


def _metrics(view: EntryView | None) -> dict[tuple[str, str], tuple[str, str]]:
    """(result id, metric display) -> (value shown, what follows it: a status's reason, a metric's declared
    95% interval) for an entry's current results."""
    out = {}
    for r in view.results if view else []:
        if r.stale:
            continue
        if r.status != "ok":
            out[(r.id, "(status)")] = (r.status, f" — {r.reason}" if r.reason else "")
            continue
        for row in r.metrics:
            info = M.info(row.name)
            low, high = (r.values.get(n) for n in info.interval) if info.interval else (None, None)
            interval = (f" (95% interval {M.fmt(low, info.unit)}–{M.fmt(high, info.unit)})"
                        if low is not None and high is not None else "")
            out[(r.id, row.display)] = (row.value, interval)
    return out


def entry_section(entry_id: str, before: EntryView | None, after: EntryView | None, site_before: Site | None,
                  site_after: Site) -> list[str]:
    title = after.title if after else before.title if before else entry_id
    state = "new entry" if before is None else "removed" if after is None else "changed"
    lines = [f"### {title} (`{entry_id}`, {state})", ""]
    if after is None:
        return lines + ["This entry is removed; its pages and results go with it.", ""]
    old, new = _metrics(before), _metrics(after)
    changed = [(k, old.get(k), v) for k, v in sorted(new.items()) if old.get(k) != v]
    gone = [k for k in sorted(old) if k not in new]
    if changed or gone:
        lines += ["| result | metric | before | after |", "|---|---|---|---|"]
        for (rid, metric), was, now in changed:
            shown = now[0] + now[1]
            lines.append(f"| {rid} | {metric} | {was[0] if was else '—'} | {shown.replace('|', '/')} |")
        for rid, metric in gone:
            lines.append(f"| {rid} | {metric} | {old[(rid, metric)][0]} | — |")
        lines.append("")
    else:
        lines += ["No measured number changed.", ""]
    rank_before = before.rank.shown if before and before.rank else "—"
    lines.append(f"**UnfragileRank**: {rank_before} → {after.rank.shown if after.rank else '—'}")
    lines.append("")
    verdicts = [(cap.title, c) for cap in after.capabilities for c in cap.claims]
    if verdicts:
        lines += ["| claim | claimed | measured | verdict |", "|---|---|---|---|"]
        for _, c in verdicts:
            lines.append(f"| {c.statement[:90].replace('|', '/')} | {c.claimed} | {c.measured} | {c.verdict} |")
        lines.append("")
    slugs_before = {c.slug for c in site_before.comparisons} if site_before else set()
    mine = [c.slug for c in site_after.comparisons if entry_id in (c.a.id, c.b.id)]
    added = [s for s in mine if s not in slugs_before]
    if mine:
        lines.append(f"**Comparison pages**: {len(mine)} ({len(added)} new" + (f": {', '.join(added)}" if added else "")
                     + f"; the rest may change with its numbers: {', '.join(s for s in mine if s not in added) or 'none'}).")
        lines.append("")
    missing = [r for r in after.results if r.status != "ok" or r.stale]
    for r in missing:
        why = r.stale or r.reason or "no reason recorded"
        lines.append(f"- **{r.id}** is {'stale' if r.stale else r.status}: {why}")
    if missing:
        lines.append("")
    return lines


def report(changed: list[str], site_before: Site | None, site_after: Site, base: str) -> str:
    by_before = {e.id: e for e in site_before.entries} if site_before else {}
    by_after = {e.id: e for e in site_after.entries}
    lines = [f"## What this change does to the site (against `{base}`)", ""]
    if not changed:
        return "\n".join(lines + ["No entry or result changed.", ""])
    for entry_id in changed:
        lines += entry_section(entry_id, by_before.get(entry_id), by_after.get(entry_id), site_before, site_after)
    return "\n".join(lines) + "\n"


def build(base: str, entries_dir: Path, results_dir: Path, changed: list[str], cache_dir: Path | None,
          encoder=None, encoder_name: str | None = None) -> str:
    """The report for ``changed`` entries between git ``base`` and the working tree."""
    from generator.render import build_site
    from scoring.entries import entry_files
    from scoring.validation import load_catalog
    from scoring.verify import verify

    def site_of(entries: Path, results: Path) -> Site | None:
        if not entries.is_dir():
            return None
        catalog, problems = load_catalog(entry_files(entries), entries)
        if problems:
            return None
        stale = verify(catalog, results).stale
        return build_site(catalog, results, M.schema(), cache_dir=cache_dir, encoder=encoder,
                          encoder_name=encoder_name, stale=stale)[0]

    with tempfile.TemporaryDirectory(prefix="unfragile-base-") as tmp:
        checkout(base, [str(entries_dir), str(results_dir)], Path(tmp))
        before = site_of(Path(tmp) / entries_dir, Path(tmp) / results_dir)
    after = site_of(entries_dir, results_dir)
    if after is None:
        raise ValueError("the entries of the working tree do not validate: run `unfragile validate`")
    return report(changed, before, after, base)
