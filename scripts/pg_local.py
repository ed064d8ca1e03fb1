"""Memory of a throw-away PostgreSQL cluster (benchmarks); the cluster is layers.store.pg_cluster.

Usage::

    with LocalCluster(Path("bench-output/pg")) as pg, PeakMemory(pg) as mem:
        pg.psql("-c", "SELECT 1")
    print(mem.peak)
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from layers.store.pg_cluster import SETTINGS, LocalCluster, pg_bindir

__all__ = ["SETTINGS", "LocalCluster", "PeakMemory", "pg_bindir", "pss_bytes"]


def pss_bytes(pids: list[int]) -> int:
    """Proportional set size of these processes (shared memory counted once overall)."""
    total = 0
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith("Pss:"):
                total += int(line.split()[1]) * 1024
                break
    return total


class PeakMemory:
    """Sample the PSS of a cluster's processes every ``interval`` s; ``peak`` in bytes."""

    def __init__(self, cluster: LocalCluster, interval: float = 0.05) -> None:
        self.cluster = cluster
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, pss_bytes(self.cluster.server_pids()))
            time.sleep(self.interval)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
