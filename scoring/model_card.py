"""`unfragile import-claims MODEL_CARD.md`: a model card's `model-index` block as claims with their source.

Values marked ``verified: true`` come from Hugging Face's own evaluator, a third party; the rest are
the authors' claims. Each becomes a claim the classification check can test, with the card's
dataset and split as its protocol.
"""

from __future__ import annotations

import re

import yaml

# model-index metric types -> this site's metric names (on classification-accuracy)
METRICS = {"accuracy": "accuracy", "precision": "precision", "recall": "recall", "f1": "f1", "auc": "roc_auc",
           "roc_auc": "roc_auc", "loss": "log_loss", "log_loss": "log_loss"}
NAMES = {"accuracy": "accuracy", "precision": "precision", "recall": "recall", "f1": "F1", "roc_auc": "ROC AUC",
         "log_loss": "loss (mean cross-entropy)"}


class CardError(ValueError):
    pass


def front_matter(text: str) -> dict:
    m = re.match(r"^---\s*\n(.*?)\n---\s*(\n|$)", text, re.S)
    if not m:
        raise CardError("the card has no YAML front matter (--- ... ---) holding a model-index")
    data = yaml.safe_load(m.group(1))
    if not isinstance(data, dict) or not isinstance(data.get("model-index"), list):
        raise CardError("the card's front matter has no model-index list")
    return data


def claims(text: str, source: str | None = None, check: str = "classification-accuracy") -> list[dict]:
    """One claim per recognised metric of every result in the card's model-index."""
    out = []
    for model in front_matter(text)["model-index"]:
        for result in (model or {}).get("results") or []:
            dataset = (result or {}).get("dataset") or {}
            where = "/".join(str(dataset.get(k)) for k in ("type", "config") if dataset.get(k))
            split = dataset.get("split", "")
            for m in (result or {}).get("metrics") or []:
                name = METRICS.get(str(m.get("type", "")).lower())
                value = m.get("value")
                if name is None or not isinstance(value, (int, float)):
                    continue
                verified = m.get("verified") is True
                who = "Hugging Face's evaluation" if verified else "The model card"
                claim = {
                    "statement": f"{who} reports {NAMES[name]} {value:.4g} on {where or 'its dataset'} {split}".strip() + ".",
                    "metric": name,
                    "value": float(value),
                    "unit": "fraction" if name != "log_loss" else None,
                    "check": check,
                    "origin": "third-party" if verified else "author",
                    "protocol": (f"Hugging Face evaluation (model-index, verified) on {where} {split}".strip()
                                 if verified else f"model card (model-index) on {where} {split}".strip()),
                }
                if source:
                    claim["source"] = source
                out.append({k: v for k, v in claim.items() if v is not None})
    return out


def as_yaml(found: list[dict]) -> str:
    return yaml.safe_dump({"claims": found}, sort_keys=False, allow_unicode=True, width=100)
