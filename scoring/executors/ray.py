"""Run tasks on a Ray cluster: each task is a Ray task that runs the check in an isolated child process.

Without ``address`` a local Ray instance with ``workers`` CPUs is started for the run and stopped
after it. With an address (``ray://host:10001`` or ``auto``) every node needs this project
installed and the data dir at the same absolute path. Results and shard partials are written by
the driver, as they arrive, exactly as with the local executor.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator

from scoring.check import Context
from scoring.entries import Limits
from scoring.executors import ExecutorError, isolate


def _run_packed(task_bytes: bytes, ctx_bytes: bytes, time_s: float, memory_mb: int) -> bytes:
    """Inside a Ray worker: the same isolated child process the local executor uses."""
    return pickle.dumps(isolate.run(task_bytes, ctx_bytes, Limits(time_s=time_s, memory_mb=memory_mb)))


class RayExecutor:
    def __init__(self, address: str | None = None, workers: int | None = None):
        try:
            import ray  # noqa: F401
        except ImportError:
            raise ExecutorError("--executor ray needs Ray: pip install 'ray[default]==2.60.0'") from None
        self.address = address
        self.workers = max(1, workers or os.cpu_count() or 1)

    def _connect(self) -> bool:
        """Start or join a cluster; True if this call started it (and so must stop it)."""
        import ray

        if ray.is_initialized():
            return False
        try:
            if self.address:
                ray.init(address=self.address, logging_level="WARNING")
            else:
                # workers import this copy of the engine even when it is not pip-installed
                env = {"PYTHONPATH": isolate.child_env(None)["PYTHONPATH"]}
                ray.init(num_cpus=self.workers, include_dashboard=False, logging_level="WARNING",
                         runtime_env={"env_vars": env})
        except Exception as err:
            raise ExecutorError(f"cannot start or reach Ray ({self.address or 'local'}): {err}") from None
        return True

    def run(self, tasks: list, ctx: Context) -> Iterator[tuple]:
        """Yield (task, TaskOutcome) in the order tasks finish."""
        if not tasks:
            return
        import ray

        from scoring.executors.task import TaskOutcome

        started_here = self._connect()
        remote = ray.remote(num_cpus=1, max_retries=0)(_run_packed)
        ctx_ref = ray.put(isolate.pack_context(ctx, show_progress=False))
        refs = {}
        for task in tasks:
            # a task that must run alone takes every CPU of a local cluster
            options = {"num_cpus": self.workers} if task.exclusive and not self.address else {}
            ref = remote.options(**options).remote(isolate.pack_task(task), ctx_ref,
                                                   task.limits.time_s, task.limits.memory_mb)
            refs[ref] = task
        try:
            while refs:
                ready, _ = ray.wait(list(refs), num_returns=1)
                for ref in ready:
                    task = refs.pop(ref)
                    try:
                        done = pickle.loads(ray.get(ref))
                    except Exception as err:  # the worker or its node died
                        first = str(err).strip().splitlines()[0] if str(err).strip() else ""
                        done = TaskOutcome("failed", f"the Ray task failed: {type(err).__name__}: {first}")
                    yield task, done
        finally:
            for ref in refs:
                ray.cancel(ref, force=True)
            if started_here:
                ray.shutdown()
