"""Run units one after another in this process, with a progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from scoring import results
from scoring.check import Context


class LocalExecutor:
    def run(self, units: list, ctx: Context, results_dir: Path) -> Iterator[results.Result]:
        from tqdm.auto import tqdm

        from scoring.runner import run_unit

        with tqdm(total=len(units), desc="scoring", unit="check", disable=not ctx.show_progress or not units) as bar:
            for unit in units:
                bar.set_postfix_str(unit.label)
                result, examples = run_unit(unit, ctx)
                results.write(results_dir, result, examples)
                bar.update(1)
                yield result
