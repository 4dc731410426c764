"""Turn entries and results into Markdown pages, then build the site."""
