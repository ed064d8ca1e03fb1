"""A write to the store as one transaction: prepare a staging copy, then swap it in.

(On a PostGIS store the same function opens one database transaction instead:
:func:`_pg_transaction`.)

:func:`store_transaction` holds the project's writer lock, gives the caller a project
whose ``build_dir`` is a private staging folder (a copy of the store, or an empty one for a
full build), and — only when the ``with`` block ends without an error — writes the store's
metadata (new version, layer versions, stale marks), moves new rasters into ``build/`` and
renames the staged GeoPackage over the store. On any error or a kill nothing in ``build/``
has changed, and the staging folder is removed (or, after a kill, at the next start).

The project is any object with what :class:`StagedProject` names (a
:class:`layers.project.Project`), so this module does not import :mod:`layers.project`, which
imports the store.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, Self, TypeVar

from layers.store.gpkg import STORE_NAME, Store
from layers.store.lock import DEFAULT_TIMEOUT_S, stage_dir, writer_lock
from layers.store.meta import StoreMeta

if TYPE_CHECKING:
    from layers.store.pg import PgStore
    from layers.store.pgurl import PgLocation

__all__ = ["StagedProject", "store_transaction"]


class _Rasters(Protocol):
    @property
    def rasters(self) -> Mapping[str, Any]: ...


class StagedProject(Protocol):
    """What a store transaction needs of a project (:class:`layers.project.Project`)."""

    @property
    def root(self) -> Path:
        """The project directory (its writer lock)."""
        ...

    @property
    def build_dir(self) -> Path:
        """``PROJECT/build``."""
        ...

    @property
    def store_location(self) -> PgLocation | None:
        """The PostGIS store, or None for the GeoPackage."""
        ...

    @property
    def manifest(self) -> _Rasters:
        """The manifest (its rasters are staged with the store)."""
        ...

    @property
    def store(self) -> Store | PgStore:
        """The project's store."""
        ...

    def staged(self, build_dir: Path, *, conn: Any = None) -> Self:
        """The project with its store in ``build_dir`` (and the transaction's ``conn``)."""
        ...


P = TypeVar("P", bound=StagedProject)


def _link_or_copy(src: Path, dest: Path) -> None:
    try:
        os.link(src, dest)
    except OSError:
        shutil.copy2(src, dest)


@contextmanager
def store_transaction(
    project: P,
    *,
    what: str,
    fresh: bool = False,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> Iterator[P]:
    """Stage a write of ``project``'s store; commit it when the block ends without error.

    Parameters
    ----------
    project : StagedProject
        The project to write (a :class:`layers.project.Project`).
    what : str
        What the write is (shown to a writer that waits for the lock).
    fresh : bool, default False
        Start from an empty store (a full build; stale marks are reset); otherwise from a
        copy of the current one. Input rasters of the manifest are linked into the staging
        folder so post-build steps can read them.
    timeout : float, default 600
        Seconds to wait for another writer.

    Yields
    ------
    StagedProject
        The same kind of project (``project.staged(...)``) with ``build_dir`` = the staging
        folder and a private store.

    Raises
    ------
    StoreBusyError
        Another write held the lock for longer than ``timeout``.
    """
    if project.store_location is not None:
        with _pg_transaction(project, what=what, fresh=fresh, timeout=timeout) as staged:
            yield staged
        return
    with writer_lock(project.root, what=what, timeout=timeout):
        build = project.build_dir
        stage = stage_dir(build)
        try:
            old_path = build / STORE_NAME
            if not fresh:
                if old_path.is_file():
                    shutil.copy2(old_path, stage / STORE_NAME)
                for name in project.manifest.rasters:
                    tif = build / f"{name}.tif"
                    if tif.is_file():
                        _link_or_copy(tif, stage / tif.name)
            staged = project.staged(stage)
            yield staged
            store = staged.store
            assert isinstance(store, Store)
            if not store.path.is_file():
                return  # nothing was written
            old = StoreMeta.read(old_path)
            import pyogrio

            present = {str(r[0]) for r in pyogrio.list_layers(store.path)}
            meta = old.next(store.written, present, mark=store.marks, clear=store.cleared,
                            reset_stale=fresh, inputs=store.inputs,
                            merge_inputs=frozenset(store.merge_inputs))
            store.write_layers(dict(meta.tables()))
            _move_rasters(stage, build)
            os.replace(store.path, old_path)
        finally:
            shutil.rmtree(stage, ignore_errors=True)


def _move_rasters(stage: Path, build: Path) -> None:
    for path in sorted(stage.iterdir()):
        if path.name == STORE_NAME or not path.is_file():
            continue
        dest = build / path.name
        if not (dest.exists() and os.path.samefile(path, dest)):
            os.replace(path, dest)


@contextmanager
def _pg_transaction(
    project: P, *, what: str, fresh: bool, timeout: float
) -> Iterator[P]:
    """:func:`store_transaction` on a PostGIS store: one database transaction.

    The writer lock is the database's (an advisory lock held until commit), so writers on
    other machines sharing the schema queue too; rasters are staged in a folder as for the
    GeoPackage and moved into ``build/`` just before the commit.
    """
    from layers.store.pg import read_meta, retire_all, write_meta, write_transaction

    loc = project.store_location
    assert loc is not None
    build = project.build_dir
    stage = stage_dir(build)
    try:
        with write_transaction(loc, what=what, timeout=timeout) as conn:
            if fresh:
                retire_all(conn, loc)
            else:
                for name in project.manifest.rasters:
                    tif = build / f"{name}.tif"
                    if tif.is_file():
                        _link_or_copy(tif, stage / tif.name)
            staged = project.staged(stage, conn=conn)
            yield staged
            store = staged.store
            if not (fresh or store.written or store.marks or store.cleared):
                return  # nothing was written
            old = read_meta(conn, loc)
            meta = old.next(store.written, set(store.layers()) if store.exists() else set(),
                            mark=store.marks, clear=store.cleared, reset_stale=fresh,
                            inputs=store.inputs, merge_inputs=frozenset(store.merge_inputs))
            write_meta(conn, loc, meta)
            _move_rasters(stage, build)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
