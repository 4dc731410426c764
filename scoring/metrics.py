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
THREADS = machine("CPU threads", "count", None, "threads the timed model ran on here (a property of the machine and run)")

DOCUMENTS = Metric("Documents", "count", None, "documents read")
TEXT_BYTES = Metric("Text bytes (UTF-8)", "bytes", None, "UTF-8 bytes of the text field, summed")
BAD_LINES = Metric("Bad lines skipped", "count", False, "lines skipped as unreadable (details list them)")
CORPUS_METRICS = {"documents": DOCUMENTS, "text_bytes": TEXT_BYTES, "bad_lines": BAD_LINES}

SENTENCES_PER_S = machine("Sentences per second", description="sentences per second, best pass")
SECONDS = machine("Seconds (best pass)", "seconds", False, "best pass over the sentences")
# Speed that compares across machines and moments: each round times the check's pass and then a fixed
# reference workload on the same cores (scoring/reference_work.py); the ratio is what ranks.
SENTENCES_PER_UNIT = Metric("Sentences per reference unit", "other", True,
                            "sentences classified in the time this machine takes for one unit of the reference "
                            "workload on the same cores, timed in turns with it (median over rounds)",
                            tolerance="machine", interval=("sentences_per_unit_low", "sentences_per_unit_high"))
SENTENCES_PER_UNIT_LOW = machine("Sentences per reference unit, low end", "other", True,
                                 "slowest round (from five rounds on, the second slowest)")
SENTENCES_PER_UNIT_HIGH = machine("Sentences per reference unit, high end", "other", True,
                                  "fastest round (from five rounds on, the second fastest)")
REFERENCE_SECONDS = machine("Reference unit seconds (best round)", "seconds", False,
                            "one unit of the reference workload on each core used, side by side")
RELATIVE_SPEED_METRICS = {"sentences_per_unit": SENTENCES_PER_UNIT, "sentences_per_unit_low": SENTENCES_PER_UNIT_LOW,
                          "sentences_per_unit_high": SENTENCES_PER_UNIT_HIGH, "reference_seconds": REFERENCE_SECONDS}
