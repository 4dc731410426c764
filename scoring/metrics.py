"""Metrics that more than one check reports, declared here once (each check imports the same object).

A metric a single check reports is declared on that check. ``catalog()`` in scoring/registry.py
gathers every declaration and refuses a name declared twice with different meanings.
"""

from __future__ import annotations

from scoring.check import Metric, machine

N = Metric("Examples", "count", None, "items the metric was computed on")
ACCURACY = Metric("Accuracy", "fraction", True, "share of examples predicted right",
                  interval=("accuracy_ci_low", "accuracy_ci_high"))
ACCURACY_CI_LOW = Metric("Accuracy 95% CI low", "fraction", True, "95% percentile bootstrap over examples, low end")
ACCURACY_CI_HIGH = Metric("Accuracy 95% CI high", "fraction", True, "95% percentile bootstrap over examples, high end")
ACCURACY_METRICS = {"accuracy": ACCURACY, "accuracy_ci_low": ACCURACY_CI_LOW, "accuracy_ci_high": ACCURACY_CI_HIGH,
                    "n": N}

PARAMETERS = Metric("Parameters", "parameters", None)
THREADS = Metric("CPU threads", "count", None)

DOCUMENTS = Metric("Documents", "count", None, "documents read")
TEXT_BYTES = Metric("Text bytes (UTF-8)", "bytes", None, "UTF-8 bytes of the text field, summed")
BAD_LINES = Metric("Bad lines skipped", "count", False, "lines skipped as unreadable (details list them)")
CORPUS_METRICS = {"documents": DOCUMENTS, "text_bytes": TEXT_BYTES, "bad_lines": BAD_LINES}

SENTENCES_PER_S = machine("Sentences per second", description="sentences per second, best pass")
SECONDS = machine("Seconds (best pass)", "seconds", False, "best pass over the sentences")
