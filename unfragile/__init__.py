"""The composition root: the `unfragile` command wires the scoring engine and the site generator."""
