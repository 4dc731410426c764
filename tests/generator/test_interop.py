"""Exports other tools read: Every Eval Ever records validate against the published schema; a model card's
model-index becomes the claims the seed entry carries."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import zipfile

import pytest
import yaml
from conftest import ROOT

from generator import interop
from scoring import results
from scoring.entries import entry_files
from scoring.model_card import claims
from scoring.validation import load_catalog

# The published schema ships inside the every-eval-ever wheel; it is fetched like any pinned input.
EEE_WHEEL = ("every-eval-ever", "0.2.3rc1", "3d6865e0094794949a33ea5188251cc429d3bcb794ed934fb8d3cd480c9205c1")


@pytest.fixture(scope="module")
def eee_schema(tmp_path_factory) -> dict:
    name, version, sha = EEE_WHEEL
    where = tmp_path_factory.mktemp("eee")
    out = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
                          "--python-version", "3.13", "--disable-pip-version-check", "-q", "-d", str(where),
                          f"{name}=={version}"], capture_output=True, text=True, timeout=300)
    wheels = list(where.glob("*.whl"))
    if out.returncode != 0 or not wheels:
        pytest.fail(f"could not fetch the published schema ({name}=={version}) from the package index: "
                    f"{out.stderr.strip()[-300:]}")
    assert hashlib.sha256(wheels[0].read_bytes()).hexdigest() == sha
    with zipfile.ZipFile(wheels[0]) as z:
        schema = json.loads(z.read("every_eval_ever/schemas/eval.schema.json"))
    assert schema["version"].startswith("0.2.")
    return schema


def _catalog():
    catalog, problems = load_catalog(entry_files(ROOT / "entries"), ROOT / "entries")
    assert not problems
    return catalog


def test_every_measured_result_exports_a_valid_eee_record(eee_schema):
    import jsonschema

    catalog = _catalog()
    found, _ = results.read_all(ROOT / "results")
    records = []
    for (entry_id, _), r in sorted(found.items()):
        if entry_id in catalog:
            record = interop.eee_record(catalog[entry_id], r, catalog.get(str(r.config.get("dataset"))), "entries/x/")
            if record is not None:
                jsonschema.validate(record, eee_schema)
                records.append(record)
    assert len(records) >= 6
    vader = next(r for r in records if r["model_info"]["additional_details"]["entry"] == "vader")
    acc = next(e for e in vader["evaluation_results"] if e["evaluation_name"].endswith("/accuracy"))
    assert acc["score_details"]["score"] == 0.6307339
    assert acc["score_details"]["uncertainty"]["confidence_interval"]["lower"] == 0.5986239
    assert vader["source_metadata"]["evaluator_relationship"] == "third_party"
    assert vader["source_metadata"]["source_type"] == "evaluation_run"


def test_the_rules_of_the_schema_are_not_vacuous(eee_schema):
    import jsonschema

    catalog = _catalog()
    r = results.read(ROOT / "results" / "vader" / "classification-accuracy.json")
    record = interop.eee_record(catalog["vader"], r, catalog["sst2"], "entries/vader/")
    record["source_metadata"]["evaluator_relationship"] = "a friend"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(record, eee_schema)


def test_import_claims_reads_the_cards_model_index_into_the_entrys_claims():
    card = (ROOT / "tests" / "fixtures" / "distilbert-model-card.md").read_text()
    url = "https://huggingface.co/distilbert/distilbert-base-uncased-finetuned-sst-2-english"
    found = claims(card, url)
    entry = yaml.safe_load((ROOT / "entries" / "models" / "distilbert-base-uncased-finetuned-sst-2-english.yaml")
                           .read_text())
    carried = [c for cap in entry["capabilities"] for c in cap.get("claims", []) if c.get("origin") == "third-party"]

    def key(c: dict) -> tuple:
        return (c["metric"], float(c["value"]), c.get("unit"), c["check"], c["origin"], c["protocol"], c["source"])

    assert sorted(map(key, found)) == sorted(map(key, carried))
    assert all(c["origin"] == "third-party" for c in found)  # verified: true is Hugging Face's own evaluator


def test_import_claims_on_a_card_without_model_index_says_so(tmp_path, capsys):
    from unfragile.cli import main

    card = tmp_path / "README.md"
    card.write_text("# no front matter\n")
    assert main(["import-claims", str(card)]) == 1
    assert "has no YAML front matter" in capsys.readouterr().err


def test_model_index_snippet_lists_measured_scores_unverified():
    catalog = _catalog()
    r = results.read(ROOT / "results" / "vader" / "classification-accuracy.json")
    snippet = yaml.safe_load(interop.model_index(catalog["vader"], [r]))
    result = snippet["model-index"][0]["results"][0]
    assert result["dataset"] == {"name": "GLUE SST-2", "type": "glue", "config": "sst2", "split": "validation"}
    acc = next(m for m in result["metrics"] if m["type"] == "accuracy")
    assert acc["value"] == 0.6307339 and acc["verified"] is False
