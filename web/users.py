"""Accounts of a shared peakmap server and its audit log, stored beside the project.

Accounts live in ``PROJECT/.peakmap/users.json`` (or ``PEAKMAP_USERS_FILE``), readable by the
owner only: a name, a role, an Argon2id hash of the password (argon2-cffi) and a SHA-256 of
the account's API token (a random 256-bit secret shown once, when the account is created).
Roles rank ``viewer`` (pages, layers, exports) < ``editor`` (uploads, siting and every other
change) < ``admin`` (the admin page: accounts and the audit log).

The audit log ``PROJECT/.peakmap/audit.jsonl`` is append-only: one JSON object per line, each
written with a single ``O_APPEND`` write, never rewritten.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from gis import PeakmapError

__all__ = ["ROLES", "AuditLog", "User", "UserError", "UserStore", "role_at_least"]

ROLES: tuple[str, ...] = ("viewer", "editor", "admin")
_RANK = {r: i for i, r in enumerate(ROLES)}
_NAME = re.compile(r"^[A-Za-z0-9_.\-\u4e00-\u9fff]{1,64}$")
MIN_PASSWORD = 8
STATE_DIR = ".peakmap"
_HASHER = PasswordHasher()
_LOG = logging.getLogger("peakmap.audit")
# A hash verified when the name is unknown, so both cases take the same time.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


class UserError(PeakmapError, ValueError):
    """A bad account name, role or password, or an account that exists or does not."""


def role_at_least(role: str, needed: str) -> bool:
    """Whether ``role`` ranks at least as high as ``needed``.

    Examples
    --------
    >>> role_at_least("admin", "editor"), role_at_least("viewer", "editor")
    (True, False)
    """
    return _RANK.get(role, -1) >= _RANK[needed]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class User:
    """One account (the password and token are stored only as hashes)."""

    name: str
    role: str
    password_hash: str
    token_hash: str
    created: str


class UserStore:
    """The accounts file of one project; re-read whenever it changes on disk.

    Parameters
    ----------
    path : pathlib.Path
        The JSON file (created on the first :meth:`add`).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._cache: tuple[tuple[int, int], dict[str, User]] | None = None
        self._lock = threading.Lock()

    @classmethod
    def for_project(cls, project_dir: Path | str) -> UserStore:
        """The store of a project: ``PEAKMAP_USERS_FILE`` or ``PROJECT/.peakmap/users.json``."""
        env = os.environ.get("PEAKMAP_USERS_FILE")
        return cls(Path(env) if env else Path(project_dir) / STATE_DIR / "users.json")

    def users(self) -> dict[str, User]:
        """All accounts by name (empty when the file does not exist)."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return {}
        key = (st.st_mtime_ns, st.st_size)
        with self._lock:
            if self._cache is not None and self._cache[0] == key:
                return self._cache[1]
            try:
                raw = json.loads(self.path.read_text(encoding="utf-8"))
                users = {n: User(name=n, **u) for n, u in raw.get("users", {}).items()}
            except (ValueError, TypeError) as e:
                raise UserError(f"{self.path}: not a peakmap accounts file ({e})") from e
            self._cache = (key, users)
            return users

    def any(self) -> bool:
        """Whether at least one account exists (then every request needs one)."""
        return bool(self.users())

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, User]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            users = dict(self.users())
            yield users
            body = json.dumps(
                {"users": {n: {k: v for k, v in asdict(u).items() if k != "name"}
                           for n, u in sorted(users.items())}},
                ensure_ascii=False, indent=1)
            fd, tmp = tempfile.mkstemp(prefix=".users-", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(body)
                os.chmod(tmp, 0o600)
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise

    def add(self, name: str, role: str, password: str) -> str:
        """Create an account; return its API token (shown once, stored only as a hash).

        Raises
        ------
        UserError
            A bad name, unknown role, a password under 8 characters, or a taken name.
        """
        if not _NAME.match(name):
            raise UserError(f"account name {name!r}: use 1–64 letters, digits, Chinese, . _ -")
        if role not in ROLES:
            raise UserError(f"role {role!r}: not one of {', '.join(ROLES)}")
        if len(password) < MIN_PASSWORD:
            raise UserError(f"password for {name}: at least {MIN_PASSWORD} characters")
        token = secrets.token_urlsafe(32)
        with self._locked() as users:
            if name in users:
                raise UserError(f"account {name} exists already (remove it first)")
            users[name] = User(name=name, role=role, password_hash=_HASHER.hash(password),
                               token_hash=_token_digest(token), created=_now())
        return token

    def remove(self, name: str) -> None:
        """Delete an account (its sessions end at their next request)."""
        with self._locked() as users:
            if name not in users:
                raise UserError(f"no account {name!r} (accounts: {', '.join(users) or 'none'})")
            del users[name]

    def check_password(self, name: str, password: str) -> User | None:
        """The account when ``password`` is its password, else None (same time either way)."""
        user = self.users().get(name)
        try:
            _HASHER.verify(user.password_hash if user else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        return user

    def user_for_token(self, token: str) -> User | None:
        """The account whose API token is ``token``, else None."""
        digest = _token_digest(token)
        found = None
        for user in self.users().values():
            if hmac.compare_digest(user.token_hash, digest):
                found = user
        return found


class AuditLog:
    """Append-only JSON-lines log of who changed what, and when.

    Parameters
    ----------
    path : pathlib.Path
        The log file (created on the first entry).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @classmethod
    def for_project(cls, project_dir: Path | str) -> AuditLog:
        """``PROJECT/.peakmap/audit.jsonl``."""
        return cls(Path(project_dir) / STATE_DIR / "audit.jsonl")

    def append(self, *, user: str, action: str, target: str, status: int | str,
               client: str = "") -> None:
        """Add one entry (UTC time, user, action, target, outcome, client address)."""
        entry = {"time": _now(), "user": user, "action": action, "target": target,
                 "status": status, "client": client}
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
        except OSError as e:  # a read-only project must not turn answers into HTTP 500
            _LOG.warning("audit log %s not written (%s): %s", self.path, e.strerror, entry)

    def entries(self, last: int = 200) -> list[dict[str, Any]]:
        """The ``last`` entries, newest first."""
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        out = []
        for text in reversed(lines[-last:]):
            with contextlib.suppress(ValueError):
                out.append(json.loads(text))
        return out
