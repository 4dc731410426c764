"""Entry schema: errors land on the right line, column and field, for every source type and nested claims."""

from __future__ import annotations

import json
import typing
from pathlib import Path

import pytest
from conftest import ROOT

from scoring import entries as entries_mod
from scoring.entries import SCHEMA_FILE, load_entry
from scoring.validation import load_catalog

SAMPLE = """\
id: sample
kind: model
type: lexicon
title: Sample
summary: A sample entry.
license: MIT
source:
  type: pypi
  package: afinn
  version: "0.1"
capabilities:
  - id: cap
    title: T
    summary: S
    unique: U
    vs_alternatives: V
    claims:
      - statement: It is accurate.
        metric: accuracy
        value: 0.9
        check: classification-accuracy
checks:
  - check: classification-accuracy
    args:
      dataset: tiny-sst
      split: dev
      classifier: afinn
      rule: positive iff the AFINN sum >= 0
      threshold: 0
"""
SOURCE = '''source:
  type: pypi
  package: afinn
  version: "0.1"
'''


def _problems(project: Path, text: str, name: str = "sample") -> list[str]:
    path = project / "entries" / "models" / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    _, problems = load_catalog([path], project / "entries")
    return [f"{p.line}:{p.col}: {p.field}: {p.message}" for p in problems]


def _at(text: str, needle: str) -> str:
    """'LINE:COL' of the first line containing ``needle``, at its first non-blank, non-'-' character."""
    for n, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return f"{n}:{len(line) - len(line.lstrip(' -')) + 1}"
    raise AssertionError(needle)


def _expect(found: list[str], where: str, field: str, message: str) -> None:
    assert any(f.startswith(f"{where}: {field}: {message}") for f in found), (where, field, message, found)


def test_sample_is_valid(tiny_project):
    assert _problems(tiny_project, SAMPLE) == []


def test_json_schema_file_matches_the_models():
    from scoring.describe import json_schema

    on_disk = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert on_disk == json.loads(json.dumps(json_schema())), (
        "entries/entry.schema.json is stale: run "
        "python -c 'from scoring.describe import write_json_schema; write_json_schema()'")


def test_json_schema_types_each_checks_arguments():
    import jsonschema
    import yaml

    from scoring.describe import json_schema

    schema = json_schema()
    good = yaml.safe_load((ROOT / "entries" / "models" / "vader.yaml").read_text())
    jsonschema.validate(good, schema)
    bad = json.loads(json.dumps(good))
    bad["checks"][0]["args"]["spilt"] = "dev"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


SOURCE_TYPES = typing.get_args(typing.get_args(entries_mod.Source)[0])


def _tag(member) -> str:
    return typing.get_args(member.model_fields["type"].annotation)[0]


@pytest.mark.parametrize("member", SOURCE_TYPES, ids=_tag)
def test_every_source_type_reports_fields_without_the_union_tag(tiny_project, member):
    tag = _tag(member)
    text = SAMPLE.replace(SOURCE, f"source:\n  type: {tag}\n  bogus: 1\n")
    found = _problems(tiny_project, text)
    _expect(found, _at(text, "bogus:"), "source.bogus", "Extra inputs are not permitted")
    required = [name for name, f in member.model_fields.items() if f.is_required() and name != "type"]
    for name in required:  # a missing field is named under source, at the source key
        alias = member.model_fields[name].alias or name
        _expect(found, _at(text, "source:"), f"source.{alias}", "Field required")
    assert not any(f.split(": ")[1].startswith(f"source.{tag}.") for f in found), found


@pytest.mark.parametrize("source, needle, field, message", [
    ('source:\n  type: huggingface\n  repo: org/model\n  revision: 0123456\n', "revision:", "source.revision",
     "String should match pattern '^[0-9a-f]{40}$'"),
    ('source:\n  type: pypi\n  package: afinn\n  version: "x"\n', "version:", "source.version", "String should match"),
    ("source:\n  type: local\n  path: ''\n", "path:", "source.path", "String should have at least 1 character"),
    ("source:\n  type: files\n  copy: c\n  files:\n    - path: a/b.tsv\n      sha256: xyz\n", "sha256:",
     "source.files[0].sha256", "String should match pattern"),
    ("source:\n  type: files\n  copy: c\n  files:\n    - path: ../b.tsv\n      sha256: " + "0" * 64 + "\n",
     "path: ../", "source.files[0].path", "Value error, must stay inside the data dir"),
    ("source:\n  type: gitlab\n  package: afinn\n", "type: gitlab", "source.type", "Input tag 'gitlab'"),
    ("source:\n  package: afinn\n", "source:", "source.type", "Unable to extract tag"),
])
def test_source_errors_point_at_the_value(tiny_project, source, needle, field, message):
    text = SAMPLE.replace(SOURCE, source)
    _expect(_problems(tiny_project, text), _at(text, needle), field, message)


CLAIM = "        check: classification-accuracy\n"


@pytest.mark.parametrize("claim, needle, field, message", [
    ("        value: lots\n", "value: lots", "value", "Input should be a valid number"),
    ("        value: nan\n", "value: nan", "value", "Input should be a finite number"),
    ("        tolerance: -1\n", "tolerance:", "tolerance", "Input should be greater than or equal to 0"),
    ("        comparison: around\n", "comparison:", "comparison", "Input should be 'about', 'at-least' or 'at-most'"),
    ("        source: ftp://example.com\n", "source: ftp", "source", "String should match pattern"),
    ("        colour: red\n", "colour:", "colour", "Extra inputs are not permitted"),
    ("        check: nope\n", "check: nope", "check", "entry has no check 'nope'"),
    ("        check: v\u0430der/x\n", "check: v", "check", "String should match pattern"),
    ("        check: tiny-sst/nope\n", "check: tiny-sst", "check", "entry 'tiny-sst' has no check 'nope'"),
])
def test_nested_claim_errors_point_at_the_value(tiny_project, claim, needle, field, message):
    key = claim.split(":")[0] + ":"
    line = next((x for x in SAMPLE.splitlines(keepends=True) if x.startswith(key)), None)
    text = SAMPLE.replace(line, claim) if line else SAMPLE.replace(CLAIM, CLAIM + claim)
    _expect(_problems(tiny_project, text), _at(text, needle), f"capabilities[0].claims[0].{field}", message)


def test_a_second_capability_and_claim_are_indexed(tiny_project):
    extra = ("  - id: two\n    title: T\n    summary: S\n    unique: U\n    vs_alternatives: V\n"
             "    claims:\n      - statement: fine\n      - statement: ''\n")
    text = SAMPLE.replace("checks:\n", extra + "checks:\n")
    _expect(_problems(tiny_project, text), _at(text, "statement: ''"), "capabilities[1].claims[1].statement",
            "String should have at least 1 character")


@pytest.mark.parametrize("old, new, needle, field, message", [
    ("  - check: classification-accuracy\n", "  - check: clasification-accuracy\n", "clasification",
     "checks[0].check", "Unknown check 'clasification-accuracy'. Did you mean: classification-accuracy?"),
    ("      threshold: 0\n", "      threshold: high\n", "threshold:", "checks[0].args.threshold",
     "Input should be a valid number"),
    ("      threshold: 0\n", "      threshold: 0\n      bogus: 1\n", "bogus:", "checks[0].args.bogus",
     "Extra inputs are not permitted"),
    ("      dataset: tiny-sst\n", "      dataset: missing\n", "dataset:", "checks[0].args.dataset",
     "no dataset entry 'missing' with data files"),
    ("      threshold: 0\n", "      threshold: 0\n    limits:\n      time_s: -5\n", "time_s:", "checks[0].limits.time_s",
     "Input should be greater than 0"),
])
def test_check_errors_point_at_the_value(tiny_project, old, new, needle, field, message):
    text = SAMPLE.replace(old, new)
    _expect(_problems(tiny_project, text), _at(text, needle), field, message)


def test_an_entry_with_schema_errors_still_gets_its_checks_checked(tiny_project):
    text = SAMPLE.replace("title: Sample\n", "title: Sample\ncolour: red\n").replace(
        "  - check: classification-accuracy\n", "  - check: clasification-accuracy\n")
    found = _problems(tiny_project, text)
    _expect(found, _at(text, "colour:"), "colour", "Extra inputs are not permitted")
    _expect(found, _at(text, "clasification"), "checks[0].check", "Unknown check")


def test_id_must_equal_the_file_name_and_be_unique(tiny_project):
    found = _problems(tiny_project, SAMPLE, name="other")
    _expect(found, "1:1", "id", "id 'sample' must equal the file name 'other'")
    first = tiny_project / "entries" / "models" / "sample.yaml"
    first.write_text(SAMPLE, encoding="utf-8")
    second = tiny_project / "entries" / "datasets" / "sample.yaml"
    second.write_text(SAMPLE, encoding="utf-8")
    _, problems = load_catalog([first, second], tiny_project / "entries")
    assert [(p.field, p.message.split(",")[0]) for p in problems] == [("id", "duplicate id"), ("kind", "kind model")]


def test_aliases_are_reported_once_not_again_by_the_schema(tmp_path):
    path = tmp_path / "sample.yaml"
    path.write_text(SAMPLE.replace("title: Sample", "title: &t Sample").replace("license: MIT", "license: *t"))
    _, problems, _ = load_entry(path)
    assert [(p.field, p.message) for p in problems] == [
        ("title", "anchors (&t) are not allowed"), ("license", "aliases (*t) are not allowed")]


def test_data_loc_keeps_keys_named_like_union_tags():
    data = {"source": {"type": "files", "files": [{"sha256": "x"}]}}
    error = {"loc": ("source", "files", "files", 0, "sha256"), "type": "string_pattern_mismatch"}
    assert entries_mod._data_loc((), error, data) == ("source", "files", 0, "sha256")
    missing = {"loc": ("source", "files", "copy"), "type": "missing"}
    assert entries_mod._data_loc((), missing, data) == ("source", "copy")


# Mistakes a contributor makes that would otherwise validate and be published: (name, edit, line needle,
# field, message start)
MISTAKES = [
    ("credentials in a URL", lambda t: t.replace("license: MIT\n", "license: MIT\nhomepage: https://bob:hunter2@example.org/x\n"),
     "homepage:", "homepage", "Value error, a URL may not carry a user name or password"),
    ("memory limit of 15 TiB", lambda t: t.replace("      threshold: 0\n", "      threshold: 0\n    limits:\n      memory_mb: 15728640\n"),
     "memory_mb:", "checks[0].limits.memory_mb", "Input should be less than or equal to 262144"),
    ("Cyrillic look-alike in the title", lambda t: t.replace("title: Sample\n", "title: V\u0410DER\n"),
     "title: V", "title", "Value error, 'V\u0410DER' mixes Latin with Cyrillic letters"),
    ("untouched skeleton", lambda t: t.replace("title: Sample\n", 'title: "TODO: a short title"\n'),
     "title:", "title", "Value error, still the skeleton's placeholder"),
    ("percentage for a fraction", lambda t: t.replace("        value: 0.9\n", "        value: 91.3\n"),
     "value: 91.3", "capabilities[0].claims[0].value", "accuracy is a fraction between 0 and 1: write 0.913"),
]


@pytest.mark.parametrize("name,edit,needle,field,message", MISTAKES, ids=[m[0] for m in MISTAKES])
def test_common_mistakes_are_refused_with_file_line_and_the_fix(tiny_project, name, edit, needle, field, message):
    text = edit(SAMPLE)
    _expect(_problems(tiny_project, text), _at(text, needle), field, message)


def test_a_percentage_with_its_unit_is_fine(tiny_project):
    text = SAMPLE.replace("        value: 0.9\n", '        value: 91.3\n        unit: "%"\n')
    assert _problems(tiny_project, text) == []


def test_an_entry_under_the_wrong_folder_is_refused(tiny_project):
    text = SAMPLE.replace("kind: model\n", "kind: dataset\ntask: sentiment-classification\n").replace(
        "type: lexicon", "type: benchmark")
    found = _problems(tiny_project, text)
    _expect(found, _at(text, "kind:"), "kind", "kind dataset, but the file is under models/")


def test_the_skeleton_of_unfragile_new_does_not_validate_until_filled_in(tiny_project):
    from scoring.describe import skeleton

    text = skeleton("model", "fresh", pypi="afinn==0.1")
    assert any("placeholder" in p for p in _problems(tiny_project, text, "fresh"))
