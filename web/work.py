"""Heavy work of the server in child processes, so the server's own threads stay responsive.

Accepting an upload (read, check, reproject, write the store, re-run quick derived steps),
recomputing the slow derived results (PV fields) and computing the indicator records are
CPU-bound Python. Run in a thread of the server they hold the interpreter lock for seconds
and every other request — ``/api/health`` too — waits for it between its own steps (the
load test measured health p95 at ~1 s with 60 readers and an upload every 8 s). Here they
run in a pool of child processes (``PEAKMAP_WORK_PROCESSES``, default 1; 0 runs them in the
server's threads as before): the operating system shares the cores between the server and
its child fairly, and the server's interpreter lock is never held by that work.

The child processes are started with ``spawn`` (no copy of the server's threads or locks)
on the first job and kept warm; a crashed child is replaced at the next job.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from gis import PeakmapError

__all__ = ["WorkPool"]

T = TypeVar("T")


class WorkPool:
    """Run functions in child processes (``processes > 0``) or in the calling thread.

    Parameters
    ----------
    processes : int
        Number of child processes; 0 runs every job in the calling thread.
    """

    def __init__(self, processes: int) -> None:
        self.processes = max(0, int(processes))
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _executor(self) -> concurrent.futures.ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = concurrent.futures.ProcessPoolExecutor(
                    max_workers=self.processes,
                    mp_context=multiprocessing.get_context("spawn"))
            return self._pool

    def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` in a child process; wait for it and return its result.

        ``fn`` must be a module-level function and its arguments and result picklable.
        Errors raised by ``fn`` are raised here unchanged.

        Raises
        ------
        PeakmapError
            The child process died (killed, out of memory) before answering.
        """
        if not self.processes:
            return fn(*args, **kwargs)
        try:
            return self._executor().submit(fn, *args, **kwargs).result()
        except BrokenProcessPool as e:
            with self._lock:
                self._pool = None  # replaced at the next job
            raise PeakmapError(f"the worker process running {fn.__name__} died ({e}); "
                               "nothing was written — try again") from e

    def close(self) -> None:
        """Stop the child processes (waiting for running jobs)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
