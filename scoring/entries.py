"""Entry models (one YAML file per model or dataset) and loading with file:line:col errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from scoring import yaml_loader
from scoring.yaml_loader import Problem, YamlError

SLUG = r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$"
HEX40 = r"^[0-9a-f]{40}$"
SHA256 = r"^[0-9a-f]{64}$"
URL = r"^https?://[^\s<>\"'`]+$"
SCHEMA_FILE = Path(__file__).resolve().parent.parent / "entries" / "entry.schema.json"

Slug = Annotated[str, Field(pattern=SLUG, description="lowercase ASCII letters, digits and '-'")]
Url = Annotated[str, Field(pattern=URL, max_length=500, description="http(s) URL")]
Text = Annotated[str, Field(min_length=1, max_length=4000)]
Line = Annotated[str, Field(min_length=1, max_length=200)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Claim(Strict):
    """One testable statement. A claim is shown as claimed until a check measures it."""

    statement: Text
    metric: str | None = Field(None, description="metric name as the check reports it")
    value: float | None = Field(None, description="claimed value, in the check's unit")
    unit: str | None = None
    comparison: Literal["about", "at-least", "at-most"] = "about"
    tolerance: float | None = Field(None, ge=0, description="absolute tolerance for 'about'")
    check: str | None = Field(None, description="check id of this entry (or 'entry-id/check-id') that can test it")
    source: Url | None = None
    origin: Literal["author", "third-party"] = Field(
        "author", description="who stated the number: the entry's authors, or a third party that measured it"
    )
    protocol: str | None = Field(None, max_length=200, description="how the number was obtained, when it matters")


class Capability(Strict):
    id: Slug
    title: Line
    summary: Text
    unique: Text
    vs_alternatives: Text
    claims: list[Claim] = []


class HubSource(Strict):
    type: Literal["huggingface"]
    repo: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")
    revision: str = Field(pattern=HEX40, description="40-hex commit of the hub repository")


class PyPISource(Strict):
    type: Literal["pypi"]
    package: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    version: str = Field(pattern=r"^[0-9][0-9A-Za-z.+!-]*$")


class LocalSource(Strict):
    type: Literal["local"]
    path: str = Field(min_length=1)


class StdlibSource(Strict):
    """Code that ships with Python itself (e.g. zlib, lzma); its library versions go into provenance."""

    type: Literal["stdlib"]
    module: str = Field(pattern=r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$", max_length=100)


class DataFile(Strict):
    path: str = Field(pattern=r"^[A-Za-z0-9_.-][A-Za-z0-9_./-]*$", description="relative to the data dir")
    sha256: str = Field(pattern=SHA256)
    split: str | None = None
    bytes: int | None = Field(None, ge=0)

    @field_validator("path")
    @classmethod
    def _inside(cls, value: str) -> str:
        if ".." in value.split("/"):
            raise ValueError("must stay inside the data dir (no '..')")
        return value


class FilesSource(Strict):
    type: Literal["files"]
    copy_: str = Field(alias="copy", description="which copy of the data these files are")
    files: list[DataFile] = Field(min_length=1)


Source = Annotated[Union[HubSource, PyPISource, LocalSource, StdlibSource, FilesSource],
                   Field(discriminator="type")]


class Limits(Strict):
    """Resource limits for one unit of work (a check, or one shard of it); unset means the score command's default."""

    time_s: float | None = Field(None, gt=0, le=7 * 86400, description="wall-clock seconds before the unit is stopped")
    memory_mb: int | None = Field(None, ge=64, le=1 << 24, description="address-space limit of the unit's process, MiB")


class CheckSpec(Strict):
    check: str = Field(description="a registered check name")
    id: Slug | None = Field(None, description="result name; defaults to the check name")
    args: dict = {}
    limits: Limits = Field(default_factory=Limits, description="time and memory limits for this check")

    @property
    def result_id(self) -> str:
        return self.id or self.check


class Entry(Strict):
    id: Slug
    kind: Literal["model", "dataset"]
    type: Literal["fine-tune", "base-model", "encoder", "lexicon", "baseline", "corpus", "benchmark", "instruct-model"]
    task: str | None = Field(None, pattern=SLUG, description="e.g. sentiment-classification, language-modeling")
    title: Line
    summary: Text
    license: Line
    homepage: Url | None = None
    source: Source
    capabilities: list[Capability] = Field(min_length=1)
    checks: list[CheckSpec] = []

    def check_spec(self, result_id: str) -> CheckSpec | None:
        return next((c for c in self.checks if c.result_id == result_id), None)


def write_json_schema(path: Path = SCHEMA_FILE) -> None:
    path.write_text(json.dumps(Entry.model_json_schema(by_alias=True), indent=2, sort_keys=True) + "\n")


def _pydantic_problems(err: ValidationError, doc: yaml_loader.Document, display: str, base: tuple = ()) -> list[Problem]:
    out = []
    for e in err.errors():
        loc = base + tuple(p for p in e["loc"] if not (isinstance(p, str) and p in _UNION_TAGS))
        line, col = doc.where(loc)
        out.append(Problem(display, line, col, yaml_loader._dotted(loc), e["msg"]))
    return out


_UNION_TAGS = {"huggingface", "pypi", "local", "stdlib", "files"}


def load_entry(path: Path, display: str | None = None) -> tuple[Entry | None, list[Problem], yaml_loader.Document | None]:
    """Load and validate one file on its own (no cross-entry checks)."""
    display = display or str(path)
    try:
        doc = yaml_loader.load(path, display)
    except YamlError as err:
        return None, [err.problem], None
    except OSError as err:
        return None, [Problem(display, 1, 1, "", f"cannot read: {err.strerror}")], None
    if not isinstance(doc.data, dict):
        return None, [Problem(display, 1, 1, "", "an entry must be a mapping of fields")], doc
    try:
        entry = Entry.model_validate(doc.data)
    except ValidationError as err:
        return None, _pydantic_problems(err, doc, display), doc
    problems = []
    if entry.id != path.stem:
        line, col = doc.where(("id",))
        problems.append(Problem(display, line, col, "id", f"id {entry.id!r} must equal the file name {path.stem!r}"))
    return entry, problems, doc


def entry_files(entries_dir: Path) -> list[Path]:
    return sorted(p for p in entries_dir.rglob("*.yaml") if p.is_file())


def load_catalog(paths: list[Path], entries_dir: Path | None = None) -> tuple[dict[str, Entry], list[Problem]]:
    """Load entries, then check what spans files: unique ids, known checks and their args, dataset references."""
    from scoring import registry

    entries: dict[str, Entry] = {}
    docs: dict[str, tuple[str, yaml_loader.Document]] = {}
    problems: list[Problem] = []
    for path in paths:
        display = _display(path)
        entry, found, doc = load_entry(path, display)
        problems += found
        if entry is None:
            continue
        if entry.id in entries:
            line, col = doc.where(("id",))
            problems.append(Problem(display, line, col, "id", f"duplicate id, also in {docs[entry.id][0]}"))
            continue
        entries[entry.id] = entry
        docs[entry.id] = (display, doc)
    known = dict(entries)
    if entries_dir is not None:  # referenced datasets may live outside the files named
        for path in entry_files(entries_dir):
            if path.stem not in known:
                other, _, _ = load_entry(path)
                if other is not None:
                    known[other.id] = other
    for entry_id, entry in entries.items():
        display, doc = docs[entry_id]
        seen: set[str] = set()
        for i, spec in enumerate(entry.checks):
            loc = ("checks", i)
            if spec.result_id in seen:
                line, col = doc.where(loc)
                problems.append(Problem(display, line, col, yaml_loader._dotted(loc + ("id",)),
                                        f"two checks named {spec.result_id!r}; give one an id"))
            seen.add(spec.result_id)
            try:
                check = registry.get(spec.check)
            except registry.UnknownCheck as err:
                line, col = doc.where(loc + ("check",))
                problems.append(Problem(display, line, col, yaml_loader._dotted(loc + ("check",)), str(err)))
                continue
            try:
                args = check.Args.model_validate(spec.args)
            except ValidationError as err:
                problems += _pydantic_problems(err, doc, display, loc + ("args",))
                continue
            ref = getattr(args, "dataset", None)
            if ref is not None:
                target = known.get(ref)
                if target is None or target.kind != "dataset" or not isinstance(target.source, FilesSource):
                    line, col = doc.where(loc + ("args", "dataset"))
                    problems.append(Problem(display, line, col, yaml_loader._dotted(loc + ("args", "dataset")),
                                            f"no dataset entry {ref!r} with data files"))
        for c, cap in enumerate(entry.capabilities):
            for k, claim in enumerate(cap.claims):
                if claim.check and "/" not in claim.check and entry.check_spec(claim.check) is None:
                    loc = ("capabilities", c, "claims", k, "check")
                    line, col = doc.where(loc)
                    problems.append(Problem(display, line, col, yaml_loader._dotted(loc),
                                            f"entry has no check {claim.check!r}"))
    return entries, problems


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
