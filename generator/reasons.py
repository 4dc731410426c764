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


_RULES: list[tuple[re.Pattern, str, str]] = [
    (re.compile(r"not in the local Hugging Face cache and the hub cannot be reached"),
     "Not measured yet: this machine could not download the weights (no network).",
     "Run `unfragile score --fetch --only {entry}` on a machine with network; CI does on its first run with one."),
    (re.compile(r"revision .* (?:not found|does not exist)|RevisionNotFound", re.I),
     "Not measured: the pinned revision does not exist on the hub.",
     "Pin a revision the repository has (a 40-hex commit), then score again."),
    (re.compile(r"data file (\S+) not found in .*unfragile fetch"),
     "Not measured yet: the data file {0} is not on this machine.",
     "Run `unfragile score --fetch --only {entry}`: it downloads the pinned file and checks its sha256."),
    (re.compile(r"data file (\S+) not found in .*not online"),
     "Not measured here: the data file {0} exists nowhere online and is not on this machine.",
     "Put it in the data dir by hand (its sha256 is pinned in the dataset entry), then score again."),
    (re.compile(r"no data dir set"),
     "Not measured yet: no data folder was given.",
     "Run `unfragile score --fetch --only {entry}`."),
    (re.compile(r"has sha256 .*the entry pins"),
     "Not measured: the local data file differs from the one the entry pins.",
     "Replace it with the pinned file (`unfragile fetch --only {entry}`), then score again."),
    (re.compile(r"package (\S+)==(\S+) is not installed"),
     "Not measured yet: the package {0} {1} is not installed here.",
     "Run `pip install --no-deps {0}=={1}`, then `unfragile score --only {entry}`."),
    (re.compile(r"installed (\S+) (\S+), the entry pins (\S+)"),
     "Not measured: a different version of {0} is installed ({1}, the entry pins {2}).",
     "Install the pinned version, then score again."),
    (re.compile(r"exceeded the time limit"),
     "Failed: the check ran past its time limit and was stopped.",
     "Raise the entry's `limits.time_s` or run it on a faster machine."),
    (re.compile(r"MemoryError"),
     "Failed: the check ran out of memory.",
     "Raise the entry's `limits.memory_mb`, or run it on a machine with more memory."),
]


def plain(reason: str | None, entry_id: str, status: str) -> Plain:
    text = reason or ""
    for pattern, headline, how in _RULES:
        m = pattern.search(text)
        if m:
            groups = m.groups()
            return Plain(headline.format(*groups), how.format(*groups, entry=entry_id))
    lead = "Failed" if status == "failed" else "Not measured"
    first = re.split(r"(?<=[.;])\s|\s\(", text, maxsplit=1)[0][:200] if text else "no reason was recorded"
    return Plain(f"{lead}: {first}", f"See the reason below; fix it, then run `unfragile score --only {entry_id}`.")
