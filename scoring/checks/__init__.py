"""Built-in checks; importing this package registers them."""

from scoring.checks import classification  # noqa: F401
