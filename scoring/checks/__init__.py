"""Built-in checks; importing this package registers them."""

from scoring.checks import (
    adoption,  # noqa: F401
    bits_per_byte,  # noqa: F401
    classification,  # noqa: F401
    classifier_throughput,  # noqa: F401
    composition,  # noqa: F401
    compression,  # noqa: F401
    dataset_statistics,  # noqa: F401
    probe,  # noqa: F401
    throughput,  # noqa: F401
)
