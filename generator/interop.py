"""Exports other tools read: Every Eval Ever records (schema 0.2.x) and Hugging Face model-index snippets. Pure.

Every measured result of a model becomes one Every Eval Ever record: this site is a third party to
every model it measures (``evaluator_relationship: third_party``), its numbers come from its own runs
(``source_type: evaluation_run``), and each score carries its 95% interval under ``uncertainty``.
"""

from __future__ import annotations

import datetime as dt

import yaml

from generator import metrics as M
from scoring.entries import Entry, FilesSource, HubSource, PyPISource, WheelsSource
from scoring.results import Result

EEE_VERSION = "0.2.2"  # validated in tests against every-eval-ever 0.2.3rc1's eval.schema.json
SITE = "unfragile"
# Checks whose results export, and the metrics that are scores (the rest are descriptive counts)
SCORES = {"classification-accuracy": ("accuracy", "f1", "precision", "recall", "roc_auc"),
          "linear-probe": ("accuracy",), "bits-per-byte": ("bits_per_byte",)}
TASKS = {"classification-accuracy": ("text-classification", "Text Classification"),
         "linear-probe": ("text-classification", "Text Classification (linear probe on frozen features)"),
         "bits-per-byte": ("text-generation", "Language modelling (bits per byte)")}


def model_id(entry: Entry) -> str:
    s = entry.source
    if isinstance(s, HubSource):
        return s.repo
    if isinstance(s, PyPISource):
        return f"pypi/{s.package}"
    if isinstance(s, WheelsSource):
        return f"pypi/{s.wheels[0].package}"
    return f"{SITE}/{entry.id}"


def _epoch(timestamp: str) -> str:
    try:
        return str(int(dt.datetime.fromisoformat(timestamp).timestamp()))
    except ValueError:
        return "0"


def _strings(d: dict) -> dict[str, str]:
    return {str(k): str(v) for k, v in sorted(d.items()) if v is not None and not isinstance(v, (dict, list))}


def _source_data(dataset: Entry | None, result: Result) -> dict:
    name = dataset.title if dataset else str(result.config.get("dataset", "unknown"))
    urls = [f.url for f in dataset.source.files if f.url] if dataset and isinstance(dataset.source, FilesSource) else []
    extra = {"split": str(result.config.get("split", "")), **{f"sha256:{k}": v for k, v in
                                                               result.provenance.inputs.items()}}
    if urls:
        return {"dataset_name": name, "source_type": "url", "url": sorted(set(urls)), "additional_details": extra}
    return {"dataset_name": name, "source_type": "other", "additional_details": extra}


def eee_record(entry: Entry, result: Result, dataset: Entry | None, page_url: str) -> dict | None:
    """One Every Eval Ever record for a measured result, or None when the check exports nothing."""
    scores = [m for m in SCORES.get(result.check, ()) if m in result.metrics]
    if result.status != "ok" or not scores or entry.kind != "model":
        return None
    task = TASKS[result.check]
    items = []
    for name in scores:
        info = M.info(name)
        value = result.metrics[name]
        score = {"score": value}
        low, high = result.metrics.get(f"{name}_ci_low"), result.metrics.get(f"{name}_ci_high")
        n = result.metrics.get("n", result.metrics.get("documents"))
        if low is not None and high is not None:
            score["uncertainty"] = {"confidence_interval": {"lower": low, "upper": high, "confidence_level": 0.95,
                                                            "method": "percentile bootstrap, 2,000 resamples"},
                                    **({"num_samples": int(n)} if isinstance(n, int) else {}),
                                    "num_bootstrap_samples": 2000}
        bounded = info.unit == "fraction"
        config = {"evaluation_description": f"{info.display}: {info.description}".rstrip(": "),
                  "lower_is_better": info.higher_is_better is False,
                  "score_type": "continuous"}
        config.update({"min_score": 0.0, "max_score": 1.0} if bounded else {"min_score": 0.0, "max_score": 8.0})
        items.append({"evaluation_name": f"{result.check}/{result.id}/{name}",
                      "source_data": _source_data(dataset, result),
                      "evaluation_timestamp": result.provenance.finished_at,
                      "metric_config": config, "score_details": score})
    ev = result.evidence
    record = {
        "schema_version": EEE_VERSION,
        "evaluation_id": f"{SITE}/{result.check}/{model_id(entry)}/{_epoch(result.provenance.finished_at)}",
        "evaluation_timestamp": result.provenance.finished_at,
        "retrieved_timestamp": _epoch(result.provenance.finished_at),
        "source_metadata": {"source_name": f"{SITE}: {task[1]}", "source_type": "evaluation_run",
                            "source_organization_name": SITE, "source_organization_url": page_url,
                            "evaluator_relationship": "third_party",
                            "additional_details": {"result_key": result.key, "check_version": result.provenance.check_version}},
        "eval_library": {"name": SITE, "version": result.provenance.engine_version,
                         "additional_details": _strings({"git_commit": result.provenance.git_commit,
                                                         **result.provenance.libraries})},
        "model_info": {"name": entry.title, "id": model_id(entry), "inference_platform": "local CPU",
                       "additional_details": _strings({**result.provenance.model, "entry": entry.id})},
        "evaluation_results": items,
    }
    if ev is not None:
        record["detailed_evaluation_results"] = {"format": "jsonl", "file_path": ev.file, "hash_algorithm": "sha256",
                                                 "checksum": ev.sha256, "total_rows": ev.records}
    return record


HF_DATASETS = {"sst2": {"name": "GLUE SST-2", "type": "glue", "config": "sst2"}}
HF_SPLITS = {"dev": "validation"}


def model_index(entry: Entry, results: list[Result]) -> str:
    """A model-index block a model card can carry: the measured scores, marked as not Hugging Face-verified."""
    out = []
    for r in results:
        scores = [m for m in SCORES.get(r.check, ()) if m in r.metrics]
        if r.status != "ok" or not scores:
            continue
        dataset = HF_DATASETS.get(str(r.config.get("dataset")), {"name": str(r.config.get("dataset")),
                                                                  "type": str(r.config.get("dataset"))})
        split = HF_SPLITS.get(str(r.config.get("split")), str(r.config.get("split")))
        out.append({"task": {"type": TASKS[r.check][0], "name": TASKS[r.check][1]},
                    "dataset": {**dataset, "split": split},
                    "metrics": [{"type": m, "value": r.metrics[m], "name": M.info(m).display, "verified": False}
                                for m in scores]})
    if not out:
        return ""
    return yaml.safe_dump({"model-index": [{"name": entry.id, "results": out}]}, sort_keys=False)
