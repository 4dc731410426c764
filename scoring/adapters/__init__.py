"""How to load and call a thing. Classifier adapters map sentences to a positive-class score."""

from __future__ import annotations

import importlib
from importlib import metadata

from scoring.check import Unavailable
from scoring.entries import Entry, PyPISource

CLASSIFIERS = {
    "vader": "scoring.adapters.lexicons:Vader",
    "textblob": "scoring.adapters.lexicons:TextBlobPolarity",
    "afinn": "scoring.adapters.lexicons:Afinn",
    "huggingface": "scoring.adapters.hf_classifier:HFClassifier",
    "tfidf-logreg": "scoring.adapters.tfidf:TfidfLogReg",
}


def classifier_class(name: str):
    """The adapter class registered as ``name`` (imported, not instantiated)."""
    if name not in CLASSIFIERS:
        raise ValueError(f"unknown classifier adapter {name!r}; known: {', '.join(sorted(CLASSIFIERS))}")
    module, cls = CLASSIFIERS[name].split(":")
    return getattr(importlib.import_module(module), cls)


def classifier(name: str, entry: Entry, options: dict, ctx):
    """Instantiate the classifier adapter ``name`` for ``entry``."""
    return classifier_class(name)(entry, options, ctx)


def require_pinned_package(entry: Entry, module: str | None) -> tuple[object, dict]:
    """Import the PyPI package an entry pins, refusing a different installed version (module None: check only)."""
    source = entry.source
    if not isinstance(source, PyPISource):
        raise ValueError("this adapter needs a 'pypi' source")
    try:
        installed = metadata.version(source.package)
    except metadata.PackageNotFoundError:
        raise Unavailable(f"package {source.package}=={source.version} is not installed "
                          f"(pip install {source.package}=={source.version})") from None
    if installed != source.version:
        raise Unavailable(f"installed {source.package} {installed}, the entry pins {source.version}")
    return importlib.import_module(module) if module else None, {"package": source.package, "version": installed}
