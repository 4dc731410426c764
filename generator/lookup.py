"""The one way to find an entry's results for a check and its arguments (``where``). Pure."""

from __future__ import annotations

from collections.abc import Iterator

from scoring.entries import Entry
from scoring.results import Result


def matches(config: dict, where: dict | None) -> bool:
    return all(str(config.get(k)) == str(v) for k, v in (where or {}).items())


def results_of(entry: Entry, results: dict[tuple[str, str], Result], checks, where: dict | None = None
               ) -> Iterator[tuple[str, Result | None]]:
    """(result id, result or None when not scored) for each of the entry's checks that runs one of ``checks``
    with arguments matching ``where`` (the result's echoed config, or the entry's args before it ran)."""
    names = {checks} if isinstance(checks, str) else set(checks)
    for spec in entry.checks:
        if spec.check not in names:
            continue
        r = results.get((entry.id, spec.result_id))
        if matches(r.config if r is not None else spec.args, where):
            yield spec.result_id, r
