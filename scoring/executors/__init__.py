"""Executors take planned units and run them, writing each result as soon as it is done."""
