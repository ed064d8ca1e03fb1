"""A write to the store as one transaction: prepare a staging copy, then swap it in.

:func:`store_transaction` holds the project's writer lock, gives the caller a project
whose ``build_dir`` is a private staging folder (a copy of the store, or an empty one for a
full build), and — only when the ``with`` block ends without an error — writes the store's
metadata (new version, layer versions, stale marks), moves new rasters into ``build/`` and
renames the staged GeoPackage over the store. On any error or a kill nothing in ``build/``
has changed, and the staging folder is removed (or, after a kill, at the next start).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from layers.store.gpkg import STORE_NAME
from layers.store.lock import DEFAULT_TIMEOUT_S, stage_dir, writer_lock
from layers.store.meta import StoreMeta

if TYPE_CHECKING:
    from layers.project import Project

__all__ = ["store_transaction"]


def _link_or_copy(src: Path, dest: Path) -> None:
    try:
        os.link(src, dest)
    except OSError:
        shutil.copy2(src, dest)


@contextmanager
def store_transaction(
    project: Project,
    *,
    what: str,
    fresh: bool = False,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> Iterator[Project]:
    """Stage a write of ``project``'s store; commit it when the block ends without error.

    Parameters
    ----------
    project : Project
        The project to write.
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
    Project
        The project with ``build_dir`` = the staging folder and a private store.

    Raises
    ------
    StoreBusyError
        Another write held the lock for longer than ``timeout``.
    """
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
            if not store.path.is_file():
                return  # nothing was written
            old = StoreMeta.read(old_path)
            import pyogrio

            present = {str(r[0]) for r in pyogrio.list_layers(store.path)}
            meta = old.next(store.written, present, mark=store.marks, clear=store.cleared,
                            reset_stale=fresh, inputs=store.inputs,
                            merge_inputs=frozenset(store.merge_inputs))
            store.write_layers(dict(meta.tables()))
            for path in sorted(stage.iterdir()):
                if path.name == STORE_NAME or not path.is_file():
                    continue
                dest = build / path.name
                if not (dest.exists() and os.path.samefile(path, dest)):
                    os.replace(path, dest)
            os.replace(store.path, old_path)
        finally:
            shutil.rmtree(stage, ignore_errors=True)
