"""A throw-away local PostgreSQL + PostGIS cluster (the PostGIS store tests, benchmarks).

The cluster lives in a directory of its own, listens only on a Unix socket in that directory
(no TCP port, so nothing on the network can reach it), and is stopped and removed on exit.
As root, the server runs as the ``postgres`` system user (PostgreSQL refuses to run as root).
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
from pathlib import Path
from types import TracebackType

__all__ = ["MISSING_MESSAGE", "SETTINGS", "LocalCluster", "missing_binaries", "pg_bindir"]

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

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> LocalCluster:
        self.start()
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        """initdb, write the settings, start the server and create the postgis extension."""
        if self.root.exists():
            shutil.rmtree(self.root)
        self.socket.mkdir(parents=True)
        self.data.mkdir()
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
        subprocess.run(
            _as_server_user([str(self.bin / "pg_ctl"), "-D", str(self.data), "-l",
                             str(self.root / "server.log"), "-w", "start"]),
            check=True, capture_output=True,
        )
        self.psql("-c", "CREATE EXTENSION IF NOT EXISTS postgis")

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove the cluster directory."""
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                _as_server_user([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast",
                                 "-w", "stop"]),
                check=False, capture_output=True,
            )
        shutil.rmtree(self.root, ignore_errors=True)

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
