"""The seed page's Ecosystem, Pricing and Adoption rows, from evidence only. Pure.

Ecosystem: the formats and runtimes this engine itself loaded and ran for the entry. Pricing: what
the licence says (no price is ever invented). Adoption: a dated snapshot of a registry's download
and like counts, recorded as a result by the ``adoption`` check; without one the row says so.
"""

from __future__ import annotations

from scoring.entries import Entry, FilesSource
from scoring.results import Result


def ecosystem(entry: Entry, results: list[Result]) -> str:
    ok = [r for r in results if r.status == "ok"]
    if not ok:
        return "nothing loaded here yet"
    found = []
    for r in ok:
        model = r.provenance.model
        weights = model.get("weights_sha256") or {}
        if any(name.endswith(".safetensors") for name in weights):
            found.append("safetensors weights loaded by transformers (PyTorch)")
        if str(model.get("file", "")).endswith(".gguf"):
            found.append("GGUF file loaded by transformers (dequantised to float32)")
        if str(model.get("weights", "")).startswith("random"):
            found.append("its config run with random weights (transformers)")
        if "package" in model and not weights and "file" not in model:
            found.append(f"the Python package {model['package']} {model.get('version', '')}".strip())
        if "compressor" in model:
            found.append(str(model["compressor"]))
    if isinstance(entry.source, FilesSource):
        kinds = sorted({_format(f.path) for f in entry.source.files})
        found.append("files read here: " + ", ".join(kinds))
    unique = list(dict.fromkeys(found))
    return "; ".join(unique) if unique else "measured here, no format recorded"


def _format(path: str) -> str:
    for suffix, name in ((".jsonl.zst", "jsonlines + zstandard"), (".jsonl", "jsonlines"), (".tsv", "TSV"),
                         (".parquet", "Parquet"), (".csv", "CSV")):
        if path.endswith(suffix):
            return name
    return path.rsplit(".", 1)[-1]


def pricing(entry: Entry, open_license: bool) -> str:
    if open_license:
        return f"free to use: open licence ({entry.license})"
    return f"licence terms, not an open licence: {entry.license}"


def adoption(results: list[Result]) -> str:
    r = next((r for r in results if r.check == "adoption"), None)
    if r is None:
        return "no adoption snapshot recorded"
    if r.status != "ok":
        return f"not measured: {r.reason}"
    parts = [f"{int(r.metrics[k]):,} {label}" for k, label in (("downloads", "downloads"), ("likes", "likes"))
             if k in r.metrics]
    period = r.details.get("period", "")
    return f"{', '.join(parts)}{f' ({period})' if period else ''} — {r.details.get('source', '')}, " \
           f"snapshot of {r.provenance.finished_at[:10]}"
