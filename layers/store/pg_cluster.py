"""A throw-away local PostgreSQL + PostGIS cluster (the PostGIS store tests, benchmarks).

The cluster lives in a directory of its own, listens only on a Unix socket in that directory
(no TCP port, so nothing on the network can reach it), and is stopped and removed on exit.
As root, the server runs as the ``postgres`` system user (PostgreSQL refuses to run as root).

The server outlives a killed owner (``pg_ctl`` detaches it), so the cluster looks after
itself: the process that starts it is written to ``ROOT/owner`` (pid and start time), a small
watchdog process (this file run as a script, stdlib only) stops and removes the cluster within
a second or two once that process is gone (``kill -9`` included), and :meth:`LocalCluster.start`
first stops a leftover server in its directory whose owner is dead (:func:`stop_stale`) — and
refuses, naming the owner, one whose owner still runs.
The binaries come from Debian's ``postgresql`` and ``postgresql-postgis`` packages
(``scripts/ensure_postgis.sh`` installs them).

Usage::

    with LocalCluster(Path("bench-output/pg")) as pg:
        pg.psql("-c", "SELECT postgis_full_version()")
        url = pg.url()  # postgresql:///postgres?host=...&user=postgres
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

__all__ = ["MISSING_MESSAGE", "OWNER_FILE", "SETTINGS", "LocalCluster", "missing_binaries",
           "owner_alive", "pg_bindir", "stop_stale"]

MISSING_MESSAGE = ("PostgreSQL + PostGIS are not installed (Debian packages: postgresql "
                   "postgresql-postgis); run 'bash scripts/ensure_postgis.sh' as root")

# Settings a competent PostGIS user would give a 2-core, 24 GiB machine for analytic queries.
SETTINGS: dict[str, str] = {
    "shared_buffers": "2GB",
    "work_mem": "256MB",
    "maintenance_work_mem": "1GB",
    "effective_cache_size": "12GB",
    "max_parallel_workers_per_gather": "2",
    "random_page_cost": "1.1",
    "jit": "off",
    "fsync": "off",  # a throw-away cluster; loading speed is not what is compared
    "synchronous_commit": "off",
    "full_page_writes": "off",
}


def pg_bindir() -> Path | None:
    """The newest installed PostgreSQL server's bin directory (Debian layout), or None."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    return found[-1].parent if found else None


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


OWNER_FILE = "owner"
WATCH_INTERVAL_S = 0.5


def _start_time(pid: int) -> str | None:
    """Start time of process ``pid`` (clock ticks after boot, /proc), or None if none runs.

    With the pid it names one process for good: a pid reused later has another start time.
    A zombie (killed, not yet reaped by its parent) counts as gone. Without /proc,
    ``"?"`` for a running process.
    """
    if not Path("/proc/self/stat").exists():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return "?"
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # fields 3 (state) and 22 (starttime) of proc(5), counted after "(comm)"
    return None if fields[0] in ("Z", "X") else fields[19]


def _same_process(pid: int, start: str) -> bool:
    now = _start_time(pid)
    return now is not None and (now == start or "?" in (now, start))


def owner_alive(root: Path, *, owner_pid: int | None = None) -> bool | None:
    """Whether the process that started the cluster in ``root`` still runs.

    Parameters
    ----------
    root : pathlib.Path
        The cluster directory (holding ``owner`` and ``data/``).
    owner_pid : int, optional
        The owner when ``root`` has no ``owner`` file (a cluster of an older peakmap whose
        directory name holds the pid).

    Returns
    -------
    bool or None
        None when the owner is not known.
    """
    try:
        pid_text, start = (root / OWNER_FILE).read_text().split()[:2]
    except (OSError, ValueError):
        if owner_pid is None:
            return None
        return _start_time(owner_pid) is not None
    return _same_process(int(pid_text), start)


def _pg_ctl_stop(bindir: Path, data: Path) -> None:
    if (data / "postmaster.pid").exists():
        subprocess.run(
            _as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w",
                             "stop"]),
            check=False, capture_output=True, stdin=subprocess.DEVNULL,
        )


def stop_stale(root: Path, *, owner_pid: int | None = None) -> bool:
    """Stop and remove a leftover cluster in ``root`` whose owner has died.

    Parameters
    ----------
    root : pathlib.Path
        The cluster directory.
    owner_pid : int, optional
        See :func:`owner_alive`.

    Returns
    -------
    bool
        True when a leftover was stopped or removed; False when there is none, its owner
        runs, or its owner is not known (then it is left alone).
    """
    if not root.exists() or owner_alive(root, owner_pid=owner_pid) is not False:
        return False
    bindir = pg_bindir()
    if bindir is not None:
        _pg_ctl_stop(bindir, root / "data")
    shutil.rmtree(root, ignore_errors=True)
    return True


def missing_binaries() -> list[str]:
    """What of PostgreSQL + PostGIS is missing here (empty when a cluster can start)."""
    missing = []
    if pg_bindir() is None:
        missing.append("initdb/pg_ctl (/usr/lib/postgresql/*/bin: package postgresql)")
    if not list(Path("/usr/share/postgresql").glob("*/extension/postgis.control")):
        missing.append("postgis.control (package postgresql-postgis)")
    return missing


class LocalCluster:
    """A PostgreSQL cluster in ``root`` for the duration of a ``with`` block.

    Parameters
    ----------
    root : pathlib.Path
        Directory for the cluster's data and socket; emptied first.
    settings : dict, optional
        ``postgresql.conf`` settings (default :data:`SETTINGS`).
    """

    def __init__(self, root: Path, *, settings: dict[str, str] | None = None) -> None:
        bindir = pg_bindir()
        if bindir is None:
            raise RuntimeError(MISSING_MESSAGE)
        self.bin = bindir
        self.root = root.resolve()
        self.data = self.root / "data"
        self.socket = self.root / "sock"
        self.settings = dict(SETTINGS if settings is None else settings)
        self.port = 5432
        self._watchdog: subprocess.Popen[bytes] | None = None

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> LocalCluster:
        self.start()
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        """initdb, write the settings, start the server and create the postgis extension.

        A leftover cluster in ``root`` whose owner died is stopped and removed first; one
        whose owner still runs is not touched. The watchdog is started with the server.

        Raises
        ------
        RuntimeError
            ``root`` holds a cluster whose owner still runs.
        """
        stop_stale(self.root)
        if owner_alive(self.root):
            owner = (self.root / OWNER_FILE).read_text().split()[0]
            raise RuntimeError(f"{self.root}: a PostgreSQL cluster of process {owner} runs "
                               "there; stop it or choose another directory")
        if self.root.exists():
            shutil.rmtree(self.root)
        self.socket.mkdir(parents=True)
        self.data.mkdir()
        pid = os.getpid()
        (self.root / OWNER_FILE).write_text(f"{pid} {_start_time(pid) or '?'}\n")
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
            shutil.chown(self.data, "postgres")
            shutil.chown(self.socket, "postgres")
        subprocess.run(
            _as_server_user([str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                             "--auth=trust", "--encoding=UTF8", "--locale=C"]),
            check=True, capture_output=True,
        )
        conf = "\n".join(f"{k} = '{v}'" for k, v in self.settings.items())
        conf += f"\nlisten_addresses = ''\nunix_socket_directories = '{self.socket}'\n"
        with (self.data / "postgresql.conf").open("a", encoding="utf-8") as f:
            f.write("\n" + conf)
        # the watchdog first: a kill while the server starts still leaves nothing behind
        self._watchdog = subprocess.Popen(
            [sys.executable, "-I", str(Path(__file__).resolve()), "--watch", str(self.root),
             str(self.bin)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C to the owner's process group spares it
        )
        subprocess.run(
            _as_server_user([str(self.bin / "pg_ctl"), "-D", str(self.data), "-l",
                             str(self.root / "server.log"), "-w", "start"]),
            check=True, capture_output=True, stdin=subprocess.DEVNULL,
        )
        self.psql("-c", "CREATE EXTENSION IF NOT EXISTS postgis")

    def stop(self) -> None:
        """Stop the server (fast shutdown), remove the cluster directory and the watchdog."""
        _pg_ctl_stop(self.bin, self.data)
        shutil.rmtree(self.root, ignore_errors=True)
        if self._watchdog is not None:
            self._watchdog.terminate()
            self._watchdog.wait(timeout=30)
            self._watchdog = None

    @property
    def watchdog_pid(self) -> int | None:
        """Process id of the watchdog that removes the cluster after its owner dies."""
        return None if self._watchdog is None else int(self._watchdog.pid)

    # ------------------------------------------------------------------ use
    def psql_cmd(self, *args: str, db: str = "postgres") -> list[str]:
        """The psql command line for this cluster (``ON_ERROR_STOP``, no ~/.psqlrc)."""
        psql = shutil.which("psql") or str(self.bin / "psql")
        return [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", str(self.socket),
                "-p", str(self.port), "-U", "postgres", "-d", db, *args]

    def psql(self, *args: str, db: str = "postgres") -> str:
        """Run psql with ``args``; return its standard output (raises on any SQL error)."""
        done = subprocess.run(self.psql_cmd(*args, db=db), capture_output=True, text=True,
                              check=False)
        if done.returncode != 0:
            raise RuntimeError(f"psql {' '.join(args)[:200]}: {done.stderr.strip()}")
        return done.stdout

    def url(self, db: str = "postgres") -> str:
        """A ``postgresql://`` URL of database ``db`` on this cluster's socket (no password)."""
        return f"postgresql:///{db}?host={self.socket}&port={self.port}&user=postgres"

    def server_pids(self) -> list[int]:
        """Process ids of the postmaster and all its children."""
        pid_file = self.data / "postmaster.pid"
        if not pid_file.exists():
            return []
        master = int(pid_file.read_text().split()[0])
        pids = [master]
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                text = status.read_text()
            except OSError:
                continue
            for line in text.splitlines():
                if line.startswith("PPid:") and int(line.split()[1]) == master:
                    pids.append(int(status.parent.name))
                    break
        return pids


def _watch(root: Path, bindir: Path) -> None:
    """Wait while the cluster's owner runs; once it is gone, stop and remove the cluster."""
    while root.exists():
        if owner_alive(root) is False:
            _pg_ctl_stop(bindir, root / "data")
            shutil.rmtree(root, ignore_errors=True)
            return
        time.sleep(WATCH_INTERVAL_S)


if __name__ == "__main__" and sys.argv[1:2] == ["--watch"]:  # the watchdog (stdlib only)
    _watch(Path(sys.argv[2]), Path(sys.argv[3]))
