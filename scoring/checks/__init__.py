"""Built-in checks; importing this package registers them."""

from scoring.checks import classification  # noqa: F401
from scoring.checks import probe  # noqa: F401
from scoring.checks import throughput  # noqa: F401
from scoring.checks import composition  # noqa: F401
from scoring.checks import compression  # noqa: F401
from scoring.checks import bits_per_byte  # noqa: F401
from scoring.checks import dataset_statistics  # noqa: F401
