"""How to load and call a thing. Classifier adapters map sentences to a positive-class score."""

from __future__ import annotations

import importlib
import re
from importlib import metadata
from pathlib import Path

from scoring.check import Unavailable
from scoring.entries import Entry, PyPISource

VERSION = "1"

CLASSIFIERS = {
    "vader": "scoring.adapters.lexicons:Vader",
    "textblob": "scoring.adapters.lexicons:TextBlobPolarity",
    "afinn": "scoring.adapters.lexicons:Afinn",
    "huggingface": "scoring.adapters.hf_classifier:HFClassifier",
    "tfidf-logreg": "scoring.adapters.tfidf:TfidfLogReg",
}


def _split(name: str) -> tuple[str, str]:
    if name not in CLASSIFIERS:
        raise ValueError(f"unknown classifier adapter {name!r}; known: {', '.join(sorted(CLASSIFIERS))}")
    module, cls = CLASSIFIERS[name].split(":")
    return module, cls


def classifier_module(name: str) -> str:
    """The module that holds adapter ``name`` (without importing it)."""
    return _split(name)[0]


# Modules an adapter runs only under some options, loaded by name so that other units' keys do
# not carry their versions: (adapter, option, value) -> module.
OPTIONAL_MODULES = {("huggingface", "quantize", "int8-onnx"): "scoring.adapters.ort_int8"}


# Modules an adapter always runs, loaded by name: units of other checks that import the adapter's module
# for its options or constants do not run them, so their keys do not carry their versions.
ALWAYS_MODULES = {"huggingface": ("scoring.adapters.first_token",)}


def optional_modules(name: str, options: dict) -> list[str]:
    """The modules adapter ``name`` runs only because of ``options`` (their versions join the unit's key)."""
    return [m for (adapter, key, value), m in OPTIONAL_MODULES.items() if adapter == name and options.get(key) == value]


def classifier_modules(name: str, options: dict) -> list[str]:
    """The modules a unit running adapter ``name`` with ``options`` runs (their versions join its key)."""
    return [classifier_module(name), *ALWAYS_MODULES.get(name, ()), *optional_modules(name, options)]


def optional_module(name: str, option: str, value: str):
    return importlib.import_module(OPTIONAL_MODULES[(name, option, value)])


def always_module(name: str, module: str):
    """Module ``module`` that adapter ``name`` always runs (listed in ALWAYS_MODULES)."""
    if module not in ALWAYS_MODULES.get(name, ()):
        raise LookupError(f"{module} is not listed in ALWAYS_MODULES for adapter {name!r}")
    return importlib.import_module(module)


def classifier_class(name: str):
    """The adapter class registered as ``name`` (imported, not instantiated)."""
    module, cls = _split(name)
    return getattr(importlib.import_module(module), cls)


def classifier(name: str, entry: Entry, options: dict, ctx):
    """Instantiate the classifier adapter ``name`` for ``entry``."""
    return classifier_class(name)(entry, options, ctx)


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def require_pinned_package(entry: Entry, module: str | None, distribution: str | None = None) -> tuple[object, dict]:
    """Import the PyPI package an entry pins, proving that what runs is that distribution at that version.

    ``distribution``: the one distribution this adapter can run (e.g. vaderSentiment); an entry pinning
    another name is refused. The imported module's file must be one the distribution installed, so a
    same-named module from elsewhere on the path cannot stand in for it.
    """
    source = entry.source
    if not isinstance(source, PyPISource):
        raise ValueError("this adapter needs a 'pypi' source")
    if distribution and _canonical(source.package) != _canonical(distribution):
        raise ValueError(f"this adapter runs the distribution {distribution}, but the entry pins "
                         f"{source.package}: set source.package to {distribution}")
    try:
        dist = metadata.distribution(source.package)
    except metadata.PackageNotFoundError:
        raise Unavailable("package-missing", package=source.package, version=source.version) from None
    if dist.version != source.version:
        raise Unavailable("package-version", package=source.package, installed=dist.version, version=source.version)
    imported = importlib.import_module(module) if module else None
    if imported is not None:
        where = Path(imported.__file__).resolve()
        owned = {Path(str(dist.locate_file(f))).resolve() for f in dist.files or []}
        if where not in owned:
            raise ValueError(f"module {module} was imported from {where}, which distribution "
                             f"{source.package} {dist.version} did not install")
    return imported, {"package": source.package, "version": dist.version}
