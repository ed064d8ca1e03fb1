"""One writer at a time per project, across threads and processes; temporary files by owner.

Every write to a project — ``peakmap build``, a web upload, a siting run, a post-build
step — holds the project's writer lock (``PROJECT/.peakmap.lock``, an OS file lock through
the ``filelock`` library, so a CLI build and a server upload exclude each other). The lock
is re-entrant within one thread: a build that runs its steps, each writing layers, takes
it once. Readers never take it: a write prepares a new store file beside the old one and
swaps it in with one rename, so a reader sees the old store or the new one, never a mix,
and waits for nobody.

Temporary files and folders carry the id of the process that made them
(``<kind>-<pid>-<random>``), so the next start removes those whose process is gone —
a killed upload or build leaves nothing behind for long (:func:`clean_stale_temp`).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

from gis import InputFileError
from layers._errors import StoreBusyError

if TYPE_CHECKING:  # filelock is imported by the first write, not by a command that only reads
    from filelock import FileLock

__all__ = [
    "LOCK_NAME",
    "TMP_DIR",
    "clean_old_temp",
    "clean_stale_temp",
    "holder",
    "owned_temp_dir",
    "project_temp_dir",
    "stage_dir",
    "writer_lock",
]

LOCK_NAME = ".peakmap.lock"
HOLDER_NAME = ".peakmap.lock.who"
TMP_DIR = ".peakmap-tmp"
STAGE_PREFIX = ".staging-"
# a write waits this long for the one before it (a build of the sample takes ~25 s)
DEFAULT_TIMEOUT_S = 600.0
_OWNED = re.compile(r"-(\d+)-[^-/]+$")
# Temporary folders peakmap makes in the system's temporary directory (unzipped shapefile
# parts): "peakmap-<kind>-<pid>-<random>", removed at the next start when <pid> is gone.
SYSTEM_TMP = re.compile(r"^peakmap-[a-z]+-(\d+)-[^-/]+$")

_locks: dict[Path, FileLock] = {}
_locks_guard = threading.Lock()
_depth = threading.local()


def _lock_for(root: Path) -> FileLock:
    from filelock import FileLock

    key = root.resolve()
    with _locks_guard:
        lock = _locks.get(key)
        if lock is None:
            # thread_local: each thread has its own descriptor, so two threads exclude
            # each other like two processes; the same thread may re-enter.
            lock = FileLock(key / LOCK_NAME, thread_local=True, preserve_lock_file=True)
            _locks[key] = lock
        return lock


def holder(root: Path) -> str:
    """Who holds (or last held) the writer lock of ``root``: ``"<what>, pid N, since T"``."""
    try:
        return (Path(root) / HOLDER_NAME).read_text(encoding="utf-8").strip()
    except OSError:
        return "unknown"


@contextmanager
def writer_lock(root: Path, *, what: str, timeout: float = DEFAULT_TIMEOUT_S) -> Iterator[None]:
    """Hold the project's writer lock for the duration of the ``with`` block.

    Parameters
    ----------
    root : pathlib.Path
        The project directory.
    what : str
        What the write is ("build", "upload of buildings"), shown to whoever waits.
    timeout : float, default 600
        Seconds to wait for the current writer; 0 = fail at once when it is held.

    Raises
    ------
    InputFileError
        ``root`` is not a directory.
    StoreBusyError
        Another writer held the lock for longer than ``timeout``.
    """
    root = Path(root)
    try:
        is_dir = root.is_dir()
    except OSError as e:  # e.g. a name too long for the file system
        raise InputFileError(f"{root}: project directory: {e.strerror}") from e
    if not is_dir:
        raise InputFileError(f"{root}: project directory not found")
    from filelock import Timeout

    lock = _lock_for(root)
    try:
        lock.acquire(timeout=timeout)
    except Timeout as e:
        raise StoreBusyError(
            f"{root}: another write is in progress ({holder(root)}); try again when it ends"
        ) from e
    depth = getattr(_depth, "n", 0)
    _depth.n = depth + 1
    try:
        if depth == 0:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime())
            with suppress(OSError):
                (root / HOLDER_NAME).write_text(
                    f"{what}, pid {os.getpid()}, since {stamp}", encoding="utf-8")
        yield
    finally:
        _depth.n = depth
        lock.release()


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owned_name(kind: str) -> str:
    return f"{kind}-{os.getpid()}-"


def owned_temp_dir(root: Path, kind: str) -> Path:
    """A new private folder ``PROJECT/.peakmap-tmp/<kind>-<pid>-<random>``; the caller removes it.

    Should the process die first, :func:`clean_stale_temp` removes it at the next start.
    """
    base = Path(root) / TMP_DIR
    base.mkdir(exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=_owned_name(kind), dir=base))


@contextmanager
def project_temp_dir(root: Path, kind: str) -> Iterator[Path]:
    """A private folder under ``PROJECT/.peakmap-tmp``, removed on exit (or at next start).

    It lives on the project's file system, so a file prepared in it can be renamed into
    ``raw/`` atomically.
    """
    tmp = owned_temp_dir(root, kind)
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def clean_old_temp(root: Path, kind: str, max_age_s: float) -> list[Path]:
    """Remove ``kind`` folders of ``PROJECT/.peakmap-tmp`` older than ``max_age_s``, owner or not.

    For folders whose owner is alive but that it will not remove: an export whose download
    was cut off (the clean-up after the answer never ran).
    """
    now = time.time()
    gone = []
    for path in (Path(root) / TMP_DIR).glob(f"{kind}-*"):
        try:
            old = now - path.stat().st_mtime > max_age_s
        except OSError:
            continue
        if old:
            _remove(path)
            gone.append(path)
    return gone


def stage_dir(build_dir: Path) -> Path:
    """A new staging folder ``build/.staging-<pid>-<random>`` (the caller removes it)."""
    build_dir.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=STAGE_PREFIX.rstrip("-") + "-" + str(os.getpid()) + "-",
                                 dir=build_dir))


def clean_stale_temp(root: Path) -> list[Path]:
    """Remove temporary files of writes that died (killed upload, build, siting run).

    Owned entries (``<kind>-<pid>-<random>`` in ``PROJECT/.peakmap-tmp`` — uploads, checks,
    exports —, staging folders in ``build/`` and ``peakmap-<kind>-<pid>-<random>`` in the
    system's temporary directory) go when their process is gone. Unowned temporary store files
    (``build/.peakmap.tmp-*``, a half-written manifest or raw upload, all written only under
    the writer lock) go when the lock is free.

    Returns
    -------
    list of pathlib.Path
        What was removed.
    """
    root = Path(root)
    build = root / "build"
    gone: list[Path] = []
    owned = [*(root / TMP_DIR).glob("*"), *build.glob(STAGE_PREFIX + "*")]
    for path in owned:
        m = _OWNED.search(path.name)
        if m and not _alive(int(m.group(1))):
            _remove(path)
            gone.append(path)
    for path in Path(tempfile.gettempdir()).glob("peakmap-*"):
        m = SYSTEM_TMP.match(path.name)
        if m and not _alive(int(m.group(1))):
            _remove(path)
            gone.append(path)
    if build.is_dir():
        try:
            with writer_lock(root, what="clean-up", timeout=0):
                for path in [*build.glob(".peakmap.tmp-*"), *root.glob(".project.toml.tmp-*"),
                             *root.glob("raw/uploads/*/.*.part")]:
                    _remove(path)
                    gone.append(path)
        except StoreBusyError:
            pass
    return gone


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
