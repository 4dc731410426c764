"""The child process of one task: ``python -m scoring.executors.child CTX TASK OUT PARENT_PID``.

Dies with its parent, limits its own address space, runs the task, writes the pickled outcome
atomically. Anything that escapes (a crash, os._exit) leaves no outcome file, which the parent
reports as a failure.
"""

from __future__ import annotations

import faulthandler
import os
import pickle
import resource
import signal
import sys


def _die_with_parent(parent: int) -> None:
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before prctl
        os._exit(1)


def _limit_memory(memory_mb: int | None) -> None:
    if memory_mb:
        limit = memory_mb << 20
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def main(argv: list[str]) -> int:
    ctx_path, task_path, out_path, parent = argv
    _die_with_parent(int(parent))
    faulthandler.enable()
    with open(task_path, "rb") as fh:
        header = pickle.load(fh)
        sys.path[:0] = [p for p in header["sys_path"] if p not in sys.path]
        from scoring.executors.task import TaskOutcome, execute  # before the limit: reporting must always work

        _limit_memory(header["memory_mb"])
        try:
            task = pickle.load(fh)
            with open(ctx_path, "rb") as cfh:
                ctx = pickle.load(cfh)
        except Exception as err:  # e.g. the check's module cannot be imported here
            why = f"{type(err).__name__}: {err}"
            if header["memory_mb"] and isinstance(err, (MemoryError, ImportError, OSError)):
                why = (f"the memory limit of {header['memory_mb']:,} MiB is too small to load the check and its "
                       f"libraries ({why}); raise limits.memory_mb in the entry")
            else:
                why = f"cannot load the task: {why}"
            task, ctx, done = None, None, TaskOutcome("failed", why)
    if task is not None:
        done = execute(task, ctx)
    try:
        data = pickle.dumps(done)
    except Exception as err:
        data = pickle.dumps(TaskOutcome("failed", f"the check returned something that cannot be stored: {err}",
                                        started_at=done.started_at, duration_s=done.duration_s))
    tmp = out_path + ".part"
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, out_path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
