"""Run one task in a fresh child process under a wall-clock and a memory limit.

The child (scoring/executors/child.py) reads the pickled context and task from files, sets
RLIMIT_AS, runs the check and writes a pickled TaskOutcome. Whatever happens to it (segfault,
os._exit, a hang, the OOM killer) the parent gets a TaskOutcome back: ``failed`` with the reason.
The child dies with its parent (Linux), so killing the run never leaves checks running.
"""

from __future__ import annotations

import os
import pickle
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from scoring.check import Context
from scoring.entries import Limits


def pack_context(ctx: Context, show_progress: bool) -> bytes:
    """The context with absolute paths (children and remote workers may run in another directory)."""
    import dataclasses

    return pickle.dumps(dataclasses.replace(
        ctx, show_progress=show_progress, cache_dir=ctx.cache_dir.resolve(),
        data_dir=ctx.data_dir.resolve() if ctx.data_dir else None))


def pack_task(task) -> bytes:
    """A header the child reads first (import path, memory limit), then the task itself."""
    header = {"sys_path": [p for p in sys.path if p], "memory_mb": task.limits.memory_mb}
    return pickle.dumps(header) + pickle.dumps(task)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def child_env(extra: dict | None) -> dict:
    """The parent's environment, with this copy of the engine first on the import path, and string hashing
    fixed: with a random seed, dict-heavy code (lexicons, the reference workload) ran 10-15% faster or
    slower from one process to the next."""
    import scoring

    root = str(Path(scoring.__file__).resolve().parent.parent)
    path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
    return {"PYTHONHASHSEED": "0", **os.environ, **(extra or {}), "PYTHONPATH": path}


class Running:
    """One child process running one task."""

    def __init__(self, task_bytes: bytes, ctx_path: Path, limits: Limits, workdir: Path, env: dict | None = None):
        import tempfile

        self.folder = Path(tempfile.mkdtemp(prefix="task-", dir=workdir))
        (self.folder / "task.pkl").write_bytes(task_bytes)
        self.out = self.folder / "outcome.pkl"
        self.limits = limits
        self.started = time.monotonic()
        self.timed_out = False
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "scoring.executors.child", str(ctx_path), str(self.folder / "task.pkl"),
             str(self.out), str(os.getpid())],
            stdin=subprocess.DEVNULL, env=child_env(env), start_new_session=True)

    def poll(self):
        """The TaskOutcome once the child has ended (stopping it at its time limit), else None."""
        if self.proc.poll() is None:
            if time.monotonic() - self.started <= self.limits.time_s:
                return None
            self.timed_out = True
            self.kill()
        return self._outcome()

    def wait(self):
        try:
            self.proc.wait(timeout=max(0.0, self.limits.time_s - (time.monotonic() - self.started)))
        except subprocess.TimeoutExpired:
            self.timed_out = True
            self.kill()
        return self._outcome()

    def kill(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)  # the check's own subprocesses too
            except ProcessLookupError:
                pass
        self.proc.wait()

    def _outcome(self):
        from scoring.executors.task import TaskOutcome

        code = self.proc.returncode
        try:
            if self.timed_out:
                return TaskOutcome("failed", f"exceeded the time limit of {self.limits.time_s:g} s and was stopped",
                                   duration_s=round(time.monotonic() - self.started, 3))
            if code == 0 and self.out.is_file():
                return pickle.loads(self.out.read_bytes())
            if code < 0:
                hint = " (possibly out of memory)" if -code == signal.SIGKILL else ""
                reason = f"the check process crashed: killed by {_signal_name(-code)}{hint}"
            else:
                reason = f"the check process exited with code {code} before reporting a result"
            return TaskOutcome("failed", reason, duration_s=round(time.monotonic() - self.started, 3))
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def run(task_bytes: bytes, ctx_bytes: bytes, limits: Limits):
    """Run one packed task to the end in a child process (used by remote workers)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="unfragile-") as tmp:
        ctx_path = Path(tmp) / "ctx.pkl"
        ctx_path.write_bytes(ctx_bytes)
        return Running(task_bytes, ctx_path, limits, Path(tmp)).wait()
