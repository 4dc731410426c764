"""Why a check could not measure, as data: a code and its parameters; the sentence is made from both.

A result stores ``reason_code`` and ``reason_params`` (never a local path, a machine's error text or a
time), and ``reason``, the sentence ``text`` makes of them, for people reading the file or the log.
Pages choose what to say by the code (generator/reasons.py), never by parsing the sentence.

``here`` marks reasons that describe this machine rather than the entry (no network, no data folder,
a package or fetched file missing here): such a retry learns nothing about the entry, so it never
rewrites a stored result with the same key (scoring/runner.py).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reason:
    template: str
    here: bool = False


REASONS: dict[str, Reason] = {
    # data
    "no-dataset-entry": Reason("no dataset entry {dataset!r} with data files"),
    "no-split-file": Reason("dataset {dataset!r} declares no file for split {split!r}"),
    "split-files": Reason("dataset {dataset!r} split {split!r} has {count} files; expected one"),
    "no-data-dir": Reason("no data dir set (UNFRAGILE_DATA_DIR or --data-dir); needs {file}", here=True),
    "data-file-missing": Reason("data file {file} is not in the data dir; run `unfragile fetch` "
                                "(or `unfragile score --fetch`)", here=True),
    "data-file-offline": Reason("data file {file} is not in the data dir and it is not online: "
                                "copy it there by hand", here=True),
    "data-file-changed": Reason("data file {file} has sha256 {actual}…, the entry pins {pinned}…", here=True),
    # packages and fetched files
    "package-missing": Reason("package {package}=={version} is not installed (pip install {package}=={version})",
                              here=True),
    "package-version": Reason("installed {package} {installed}, the entry pins {version}", here=True),
    "library-missing": Reason("{package} is not installed (pip install {package}=={version})", here=True),
    "wheels-not-fetched": Reason("the model's wheels ({packages}) are not fetched yet; run `unfragile fetch` "
                                 "(or `unfragile score --fetch`)", here=True),
    "fetched-file-changed": Reason("the fetched {files} no longer match the pinned sha256: fetch again", here=True),
    "model-folder-missing": Reason("model folder {folder} not found", here=True),
    # the hub and registries
    "hub-offline": Reason("the weights of {repo} at revision {revision} ({files}) are not in the local "
                          "Hugging Face cache and HF_HUB_OFFLINE is set", here=True),
    "hub-unreachable": Reason("the weights of {repo} at revision {revision} ({files}) are not in the local "
                              "Hugging Face cache and the hub cannot be reached ({error})", here=True),
    "hub-file-mismatch": Reason("the Hub served {file} of {repo} at revision {revision} with other bytes than "
                                "the revision pins (expected {expected}, got {actual}; {more} more file(s) "
                                "differ); deleted from the cache, nothing was scored"),
    "hub-download-failed": Reason("downloading {repo} at revision {revision} failed ({error})", here=True),
    "hub-revision-missing": Reason("revision {revision} not found in {repo} on the hub: pin a commit the "
                                   "repository has"),
    "hub-repo-missing": Reason("repository {repo} not found on the hub (or it is private or gated)"),
    "hub-api-unreachable": Reason("the Hub API could not be reached for {repo} ({error})", here=True),
    "http-error": Reason("{url} answered HTTP {status}", here=True),
    "url-unreachable": Reason("could not read {url} (no network here?): {error}", here=True),
    "no-download-count": Reason("pypistats.org gave no monthly download count for {package}"),
    "no-registry": Reason("no registry counts the use of a {source} source"),
    # what the entry asks for
    "pickle-weights": Reason("{where} has only pickle weights ({files}); refused: loading them could run code, "
                             "and only *.safetensors weights are loaded"),
    "no-safetensors": Reason("{where} has no *.safetensors weight file"),
    "weights-too-large": Reason("{where} weights are {size:,} bytes, above the cap of {cap:,} "
                                "(raise options.max_weight_bytes to allow it)"),
    "file-too-large": Reason("{file} is {size:,} bytes, above the cap of {cap:,}"),
    "gguf-choice": Reason("{where} GGUF files: {files}; name one with gguf_file"),
    "gguf-source": Reason("causal-lm scoring here loads GGUF files shipped in pinned PyPI packages or wheels "
                          "(this entry's source is {source!r})"),
    "no-reference-entry": Reason("no entry {reference!r} to compare with"),
}


def text(code: str, params: dict) -> str:
    """The sentence a code and its parameters make."""
    return REASONS[code].template.format(**params)


def here(code: str | None) -> bool:
    """Whether the reason is about this machine rather than the entry (see the module docstring)."""
    return code in REASONS and REASONS[code].here


def error_name(err: BaseException) -> str:
    """A network error as the same words on every machine: its type, not the resolver's message."""
    return type(err).__name__
