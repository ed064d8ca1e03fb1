"""Browser sessions and login throttling, kept in SQLite beside the accounts file.

``PROJECT/.peakmap/sessions.sqlite`` (next to ``users.json``, or to ``PEAKMAP_USERS_FILE``):

``sessions`` (id_hash, user, csrf, expires, created)
    One row per logged-in browser. The session id sent in the cookie is stored only as its
    SHA-256, so the file (a backup, a copy) gives nobody a usable session; ``expires`` is
    checked at every request and expired rows are deleted.
``failures`` (name, at)
    Failed logins, for the lock-out of :data:`MAX_FAILURES` in :data:`LOCKOUT_S`.

Being a file, sessions survive a restart of ``peakmap serve`` and are shared by every server
process of the project. SQLite's WAL mode lets readers (every request) go on while a login
writes. The file is created on the first login, mode 0600.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from gis import PeakmapError

__all__ = ["LOCKOUT_S", "MAX_FAILURES", "SESSIONS_FILE", "Session", "Sessions"]

SESSIONS_FILE = "sessions.sqlite"
MAX_FAILURES = 5
LOCKOUT_S = 300.0
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS sessions (id_hash TEXT PRIMARY KEY, user TEXT NOT NULL, "
    "csrf TEXT NOT NULL, expires REAL NOT NULL, created REAL NOT NULL)",
    "CREATE INDEX IF NOT EXISTS sessions_expires ON sessions (expires)",
    "CREATE TABLE IF NOT EXISTS failures (name TEXT NOT NULL, at REAL NOT NULL)",
    "CREATE INDEX IF NOT EXISTS failures_name ON failures (name, at)",
)


@dataclass
class Session:
    """A logged-in browser: the account name, its CSRF token and when it ends."""

    user: str
    csrf: str
    expires: float


def _digest(sid: str) -> str:
    return hashlib.sha256(sid.encode("utf-8")).hexdigest()


class Sessions:
    """Server-side sessions and failed-login counts in one SQLite file.

    Parameters
    ----------
    path : pathlib.Path
        The SQLite file (created with its folder on the first write).
    hours : float
        How long a session lasts.
    """

    def __init__(self, path: Path, hours: float) -> None:
        self.path = Path(path)
        self.ttl = hours * 3600.0
        self._local = threading.local()
        self._ready = False
        self._ready_lock = threading.Lock()

    def _con(self, *, create: bool) -> sqlite3.Connection | None:
        """The calling thread's connection (None: no file yet and ``create`` is off)."""
        con: sqlite3.Connection | None = getattr(self._local, "con", None)
        if con is not None:
            return con
        if not create and not self.path.is_file():
            return None
        try:
            if create:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
                os.close(fd)
            con = sqlite3.connect(self.path, timeout=10, isolation_level=None,
                                  check_same_thread=False)
            with self._ready_lock:
                if not self._ready:
                    con.execute("PRAGMA journal_mode=WAL")
                    for statement in _SCHEMA:
                        con.execute(statement)
                    self._ready = True
        except (OSError, sqlite3.Error) as e:
            raise PeakmapError(f"{self.path}: sessions file not usable ({e}); logins need a "
                               "writable project state folder") from e
        self._local.con = con
        return con

    def create(self, user: str) -> tuple[str, Session]:
        """A new session id (for the cookie) and session for ``user``."""
        sid = secrets.token_urlsafe(32)
        now = time.time()
        sess = Session(user=user, csrf=secrets.token_urlsafe(32), expires=now + self.ttl)
        con = self._con(create=True)
        assert con is not None
        con.execute("DELETE FROM sessions WHERE expires < ?", (now,))
        con.execute("INSERT INTO sessions VALUES (?, ?, ?, ?, ?)",
                    (_digest(sid), user, sess.csrf, sess.expires, now))
        return sid, sess

    def get(self, sid: str | None) -> Session | None:
        """The live session of ``sid``, or None (unknown, ended or expired)."""
        if not sid:
            return None
        con = self._con(create=False)
        if con is None:
            return None
        key = _digest(sid)
        try:
            row = con.execute("SELECT user, csrf, expires FROM sessions WHERE id_hash = ?",
                              (key,)).fetchone()
            if row is None:
                return None
            if float(row[2]) < time.time():
                con.execute("DELETE FROM sessions WHERE id_hash = ?", (key,))
                return None
        except sqlite3.Error:
            return None  # an unreadable file is no session: the user logs in again
        return Session(user=str(row[0]), csrf=str(row[1]), expires=float(row[2]))

    def drop(self, sid: str | None) -> None:
        """End a session."""
        con = self._con(create=False)
        if sid and con is not None:
            con.execute("DELETE FROM sessions WHERE id_hash = ?", (_digest(sid),))

    def locked_out(self, name: str) -> bool:
        """Whether ``name`` had :data:`MAX_FAILURES` failed logins in the last 5 minutes."""
        con = self._con(create=False)
        if con is None:
            return False
        since = time.time() - LOCKOUT_S
        row = con.execute("SELECT count(*) FROM failures WHERE name = ? AND at > ?",
                          (name, since)).fetchone()
        return int(row[0]) >= MAX_FAILURES

    def failed(self, name: str) -> None:
        """Count a failed login of ``name`` (and forget failures older than the lock-out)."""
        con = self._con(create=True)
        assert con is not None
        now = time.time()
        con.execute("DELETE FROM failures WHERE at < ?", (now - LOCKOUT_S,))
        con.execute("INSERT INTO failures VALUES (?, ?)", (name, now))
