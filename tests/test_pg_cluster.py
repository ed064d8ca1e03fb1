"""The throw-away PostGIS cluster outlives no owner (layers/store/pg_cluster.py).

A cluster is started in a child process which is then killed with SIGKILL (no ``finally``,
no ``atexit`` runs): its watchdog stops and removes it; with the watchdog killed too, the
next start in the same directory stops the leftover server first. "No orphan" is checked on
the process table: no process left whose command line names the cluster's data directory.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixtures.pg import TEST_SETTINGS, cluster_dir, stop_stale_clusters

from layers.store.pg_cluster import LocalCluster, owner_alive

ROOT = Path(__file__).resolve().parent.parent
CHILD = f"""
import sys, time
from pathlib import Path
from layers.store.pg_cluster import LocalCluster
pg = LocalCluster(Path(sys.argv[1]), settings={TEST_SETTINGS!r})
pg.start()
print(pg.server_pids()[0], pg.watchdog_pid, flush=True)
time.sleep(600)
"""


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _naming(path: Path) -> list[int]:
    """Processes whose command line names ``path`` (the postmaster: ``-D DATA``)."""
    out = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(path) in text and _running(int(cmdline.parent.name)):
            out.append(int(cmdline.parent.name))
    return out


def _wait(check: object, seconds: float = 60.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def root() -> Iterator[Path]:
    parent = cluster_dir()
    yield parent / "pg"
    shutil.rmtree(parent, ignore_errors=True)


def _start_in_child(root: Path) -> tuple[subprocess.Popen[str], int, int]:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(root)], stdout=subprocess.PIPE,
                             text=True, env=env)
    assert child.stdout is not None
    server, watchdog = (int(x) for x in child.stdout.readline().split())
    assert _running(server) and _running(watchdog) and owner_alive(root) is True
    return child, server, watchdog


def _kill(child: subprocess.Popen[str]) -> None:
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert child.stdout is not None
    child.stdout.close()
    assert child.returncode == -signal.SIGKILL


def test_killed_owner_the_watchdog_removes_the_cluster(root: Path) -> None:
    child, server, watchdog = _start_in_child(root)
    _kill(child)
    assert _wait(lambda: not root.exists() and not _running(server)), _naming(root)
    assert _wait(lambda: not _running(watchdog))
    assert _naming(root) == []
    with LocalCluster(root, settings=TEST_SETTINGS) as pg:  # the next start succeeds
        assert pg.psql("-tAc", "SELECT 1").strip() == "1"
    assert _naming(root) == [] and not root.exists()


def test_next_start_stops_a_leftover_of_a_dead_owner(root: Path) -> None:
    child, server, watchdog = _start_in_child(root)
    os.kill(watchdog, signal.SIGKILL)  # a kill of the whole session: no watchdog either
    _kill(child)
    assert _running(server) and owner_alive(root) is False  # the orphan, as before the fix
    with LocalCluster(root, settings=TEST_SETTINGS) as pg:
        assert not _running(server)
        assert pg.server_pids()[0] != server
        assert pg.psql("-tAc", "SELECT 1").strip() == "1"
    assert _naming(root) == []


def test_a_cluster_whose_owner_runs_is_not_touched(root: Path) -> None:
    with LocalCluster(root, settings=TEST_SETTINGS) as pg:
        server = pg.server_pids()[0]
        with pytest.raises(RuntimeError, match=f"cluster of process {os.getpid()} runs"):
            LocalCluster(root, settings=TEST_SETTINGS).start()
        assert root.parent not in stop_stale_clusters()
        assert _running(server) and pg.psql("-tAc", "SELECT 1").strip() == "1"
