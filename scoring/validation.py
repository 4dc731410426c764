"""Cross-entry validation: load a catalog and check what spans files.

Unique ids, registered checks and their arguments, dataset and split references, and that every
claim names a check that exists and a metric that check reports. It sits above the registry (it
asks the registry about checks), while scoring/entries.py, the entry models, sits below it.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from pydantic import ValidationError

from scoring import registry, yaml_loader
from scoring.entries import CheckSpec, Entry, FilesSource, _schema_problems, entry_files, load_entry
from scoring.yaml_loader import Problem


def _valid_checks(entry: Entry | None, data: dict) -> list[tuple[int, CheckSpec]]:
    """The entry's check specs; for an entry the schema refused, those that are valid on their own."""
    if entry is not None:
        return list(enumerate(entry.checks))
    raw = data.get("checks")
    out = []
    for i, item in enumerate(raw if isinstance(raw, list) else []):
        try:
            out.append((i, CheckSpec.model_validate(item)))
        except ValidationError:
            pass  # reported with the entry's own problems
    return out


SPLIT_ARGS = ("split", "train_split", "train", "dev")  # check arguments that name a split of the dataset


def _check_problems(checks: list[tuple[int, CheckSpec]], doc: yaml_loader.Document, display: str,
                    known: dict[str, Entry], owner: Entry | None = None) -> list[Problem]:
    """Registered check names, their arguments, dataset references and unique result names."""
    problems = []

    def add(loc: tuple, message: str) -> None:
        line, col = doc.where(loc)
        problems.append(Problem(display, line, col, yaml_loader.dotted(loc), message))

    seen: set[str] = set()
    for i, spec in checks:
        loc = ("checks", i)
        if spec.result_id in seen:
            add(loc + ("id",), f"two checks named {spec.result_id!r}; give one an id")
        seen.add(spec.result_id)
        try:
            check = registry.get(spec.check)
        except registry.UnknownCheck as err:
            add(loc + ("check",), str(err))
            continue
        try:
            args = check.Args.model_validate(spec.args)
        except ValidationError as err:
            problems += _schema_problems(err, doc, display, loc + ("args",))
            continue
        ref = getattr(args, "dataset", None)
        target = known.get(ref) if ref is not None else (owner if "dataset" in type(args).model_fields else None)
        if ref is not None and (target is None or target.kind != "dataset" or not isinstance(target.source, FilesSource)):
            add(loc + ("args", "dataset"), f"no dataset entry {ref!r} with data files")
        elif target is not None and isinstance(target.source, FilesSource):
            splits = sorted({f.split for f in target.source.files if f.split})
            for field in SPLIT_ARGS:
                value = getattr(args, field, None)
                if isinstance(value, str) and value not in splits:
                    close = difflib.get_close_matches(value, splits, n=1)
                    hint = f" Did you mean {close[0]!r}?" if close else ""
                    add(loc + ("args", field), f"dataset {target.id!r} has no split {value!r}.{hint} "
                                               f"Its splits: {', '.join(splits) or 'none'}")
    return problems


def _claim_problems(entry: Entry, doc: yaml_loader.Document, display: str, known: dict[str, Entry]) -> list[Problem]:
    """Every claim's check exists: in this entry, or as 'entry-id/check-id' in another."""
    problems = []
    for c, cap in enumerate(entry.capabilities):
        for k, claim in enumerate(cap.claims):
            if not claim.check:
                continue
            other_id, _, check_id = claim.check.rpartition("/")
            other = known.get(other_id) if other_id else entry
            spec = other.check_spec(check_id) if other is not None else None
            if spec is None:
                loc = ("capabilities", c, "claims", k, "check")
                line, col = doc.where(loc)
                owner = f"entry {other_id!r}" if other_id else "entry"
                problems.append(Problem(display, line, col, yaml_loader.dotted(loc),
                                        f"{owner} has no check {check_id!r}"))
            elif claim.metric:
                try:
                    declared = registry.metrics_of(spec.check)
                except registry.UnknownCheck:
                    continue  # reported on the check itself
                if claim.metric not in declared:
                    loc = ("capabilities", c, "claims", k, "metric")
                    line, col = doc.where(loc)
                    close = difflib.get_close_matches(claim.metric, list(declared), n=3)
                    hint = f" Did you mean: {', '.join(close)}?" if close else ""
                    problems.append(Problem(display, line, col, yaml_loader.dotted(loc),
                                            f"check {spec.check} reports no metric {claim.metric!r}.{hint}"))
                elif (declared[claim.metric].unit == "fraction" and claim.value is not None and claim.unit != "%"
                      and not 0 <= claim.value <= 1):
                    loc = ("capabilities", c, "claims", k, "value")
                    line, col = doc.where(loc)
                    hint = (f": write {claim.value / 100:g}, or keep {claim.value:g} and add unit: \"%\""
                            if 0 < claim.value <= 100 else "")
                    problems.append(Problem(display, line, col, yaml_loader.dotted(loc),
                                            f"{claim.metric} is a fraction between 0 and 1{hint}"))
    return problems


def load_catalog(paths: list[Path], entries_dir: Path | None = None) -> tuple[dict[str, Entry], list[Problem]]:
    """Load entries, then check what spans files: unique ids, known checks and their args, references.

    Every problem in every file is returned at once; the catalog holds the entries the schema accepts.
    """
    entries: dict[str, Entry] = {}
    first: dict[str, str] = {}  # id -> the file that defined it
    loaded: list[tuple[str, yaml_loader.Document, Entry | None]] = []
    problems: list[Problem] = []
    for path in paths:
        display = _display(path)
        entry, found, doc = load_entry(path, display)
        problems += found
        if entry is not None and entry.id in entries:
            line, col = doc.where(("id",))
            problems.append(Problem(display, line, col, "id", f"duplicate id, also in {first[entry.id]}"))
        elif entry is not None:
            entries[entry.id], first[entry.id] = entry, display
        if entry is not None and path.parent.name in ("models", "datasets") and f"{entry.kind}s" != path.parent.name:
            line, col = doc.where(("kind",))
            problems.append(Problem(display, line, col, "kind", f"kind {entry.kind}, but the file is under "
                                    f"{path.parent.name}/: move it to entries/{entry.kind}s/ or fix kind"))
        if doc is not None and isinstance(doc.data, dict):
            loaded.append((display, doc, entry))
    known = dict(entries)
    if entries_dir is not None:  # referenced entries may live outside the files named
        for path in entry_files(entries_dir):
            if path.stem not in known:
                other, _, _ = load_entry(path)
                if other is not None:
                    known[other.id] = other
    for display, doc, entry in loaded:
        problems += _check_problems(_valid_checks(entry, doc.data), doc, display, known, entry)
        if entry is not None:
            problems += _claim_problems(entry, doc, display, known)
    return entries, problems


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
