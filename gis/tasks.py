"""Run independent tasks (raster tiles) in this process or on a Dask cluster.

:func:`run_tasks` calls ``fn(*args)`` for every argument tuple and hands each result to a
callback in the calling process (so one process writes the output file), keeping at most
``max_in_flight`` tasks submitted at once so memory stays bounded by a few tiles.

:func:`dask_client` opens a :class:`distributed.Client` from an address: ``tcp://host:8786``
(a running scheduler: the workers must import peakmap and read the same paths) or
``local:N`` (a :class:`distributed.LocalCluster` of N single-threaded worker processes on this
machine). The address comes from ``[params.compute] scheduler`` or the environment variable
:data:`SCHEDULER_ENV`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from gis._errors import InputFileError

__all__ = ["SCHEDULER_ENV", "dask_client", "run_tasks", "scheduler_address"]

SCHEDULER_ENV = "PEAKMAP_DASK_SCHEDULER"
LOCAL_PREFIX = "local:"
# The scheduler of a LocalCluster always serves HTTP (8787 by default, taken when another
# cluster runs on the machine): any free port on loopback instead.
LOCAL_DASHBOARD = "127.0.0.1:0"


def scheduler_address(configured: str | None) -> str:
    """The scheduler to use: ``configured`` when set, else :data:`SCHEDULER_ENV`, else ''."""
    return (configured or os.environ.get(SCHEDULER_ENV, "")).strip()


@contextlib.contextmanager
def dask_client(address: str) -> Iterator[Any]:
    """A Dask client for ``address`` (``local:N`` or a scheduler URL), closed on exit.

    Raises
    ------
    InputFileError
        Dask is not installed, the address is malformed or the scheduler does not answer.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError as e:  # pragma: no cover - dask is a dependency of peakmap
        raise InputFileError(
            f"scheduler {address!r}: dask.distributed is not installed (pip install distributed)"
        ) from e
    if address.startswith(LOCAL_PREFIX):
        try:
            n = int(address[len(LOCAL_PREFIX):])
        except ValueError as e:
            raise InputFileError(f"scheduler {address!r}: write local:N with N workers") from e
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                          dashboard_address=LOCAL_DASHBOARD) as cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as e:
        raise InputFileError(f"scheduler {address!r}: cannot connect ({e})") from e
    try:
        yield client
    finally:
        client.close()


def run_tasks(
    fn: Callable[..., Any],
    tasks: Iterable[tuple[Any, ...]],
    on_result: Callable[[Any], None],
    *,
    client: Any = None,
    max_in_flight: int = 2,
) -> int:
    """Run ``fn(*args)`` for each tuple of ``tasks``; pass every result to ``on_result``.

    Parameters
    ----------
    fn : callable
        A module-level function (it is pickled by reference for the workers).
    tasks : iterable of tuple
        Arguments of each call.
    on_result : callable
        Called in this process with each result, in completion order.
    client : distributed.Client, optional
        Where to run; inline in this process when None.
    max_in_flight : int
        Most tasks submitted and not yet handed to ``on_result``.

    Returns
    -------
    int
        Number of tasks run.
    """
    count = 0
    if client is None:
        for args in tasks:
            on_result(fn(*args))
            count += 1
        return count
    from distributed import wait

    pending: set[Any] = set()
    for args in tasks:
        pending.add(client.submit(fn, *args, pure=False))
        count += 1
        while len(pending) >= max(max_in_flight, 1):
            done, not_done = wait(pending, return_when="FIRST_COMPLETED")
            pending = set(not_done)
            for fut in done:
                on_result(fut.result())
    while pending:
        done, not_done = wait(pending, return_when="FIRST_COMPLETED")
        pending = set(not_done)
        for fut in done:
            on_result(fut.result())
    return count
