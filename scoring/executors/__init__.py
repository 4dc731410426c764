"""Executors take planned tasks and run each in an isolated child process, yielding outcomes as they end.

``local`` runs a pool of child processes on this machine; ``ray`` sends tasks to a Ray cluster.
Both have one method: ``run(tasks, ctx) -> Iterator[(task, TaskOutcome)]``.
"""

from __future__ import annotations

NAMES = ("local", "ray")


class ExecutorError(Exception):
    """The executor cannot start (missing package, unreachable cluster); the message says what to do."""


def get_executor(name: str, args=None):
    workers = getattr(args, "workers", None)
    if name == "local":
        from scoring.executors.local import LocalExecutor

        return LocalExecutor(workers)
    if name == "ray":
        from scoring.executors.ray import RayExecutor

        return RayExecutor(address=getattr(args, "address", None), workers=workers)
    raise ExecutorError(f"unknown executor {name!r}; choose one of: {', '.join(NAMES)}")
