"""Run tasks on this machine: up to ``workers`` child processes at a time, yielding each as it ends."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections import deque
from collections.abc import Iterator
from pathlib import Path

from scoring import shards
from scoring.check import Context
from scoring.executors import isolate


class LocalExecutor:
    def __init__(self, workers: int | None = None):
        self.workers = max(1, workers or os.cpu_count() or 1)

    def run(self, tasks: list, ctx: Context) -> Iterator[tuple]:
        """Yield (task, TaskOutcome) in the order tasks finish; exclusive tasks run alone."""
        if not tasks:
            return
        # inner progress bars only when one task runs at a time, one line below the batch bar
        inner = ctx.show_progress and self.workers == 1
        env = {"TQDM_POSITION": "1"} if inner else {}
        env[shards.TASKS_AT_ONCE] = str(min(self.workers, len(tasks)))  # a shard reader threads only on a spare core
        workdir = Path(tempfile.mkdtemp(prefix="unfragile-"))
        ctx_path = workdir / "ctx.pkl"
        ctx_path.write_bytes(isolate.pack_context(ctx, inner))
        # tasks that must run alone go last, so they never hold free workers idle while others wait
        pending, running = deque(sorted(tasks, key=lambda t: t.exclusive)), []
        try:
            while pending or running:
                while pending and len(running) < self.workers:
                    if running and (pending[0].exclusive or any(t.exclusive for t, _ in running)):
                        break
                    task = pending.popleft()
                    running.append((task, isolate.Running(isolate.pack_task(task), ctx_path, task.limits, workdir, env)))
                still, finished = [], []
                for task, proc in running:
                    done = proc.poll()
                    (still if done is None else finished).append((task, proc if done is None else done))
                running = still
                if not finished:
                    time.sleep(0.02)
                yield from finished
        finally:
            for _, proc in running:
                proc.kill()
            shutil.rmtree(workdir, ignore_errors=True)
