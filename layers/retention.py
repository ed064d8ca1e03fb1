"""Earlier uploads and manifest backups kept within bounds (``[params.retention]``).

Every upload adds a file under ``raw/uploads/<layer>/`` and a copy of the manifest under
``backup/``; nothing else removes them. After each upload (under the writer lock, so no
other write runs) :func:`prune` keeps, per layer, the newest ``keep_uploads`` uploaded files
and the newest ``keep_backups`` manifest copies. A file that the manifest names — the source
the store was built from, which the next ``peakmap build`` reads — is never removed, however
old; neither is anything outside those two folders.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from layers.manifest_edit import BACKUP_DIR
from layers.params import RetentionParams
from layers.project import Project

__all__ = ["UPLOAD_DIR", "prune"]

UPLOAD_DIR = "raw/uploads"


def _referenced(project: Project) -> set[Path]:
    """Files the manifest names (layers and rasters), resolved."""
    out = set()
    for src in [*project.manifest.layers.values(), *project.manifest.rasters.values()]:
        path = getattr(src, "path", None)
        if path:
            with contextlib.suppress(OSError, ValueError):
                out.add((project.root / str(path)).resolve())
    return out


def prune(project_dir: Path, params: RetentionParams | None = None) -> list[str]:
    """Remove uploads and manifest backups beyond the retention limits.

    Parameters
    ----------
    project_dir : pathlib.Path
        The project; the caller holds its writer lock.
    params : RetentionParams, optional
        Default: the project's ``[params.retention]`` (catalog < manifest).

    Returns
    -------
    list of str
        The removed files, relative to the project, oldest first per folder.
    """
    project = Project(Path(project_dir))
    params = params or project.params(RetentionParams)
    keep = _referenced(project)
    root = project.root
    gone: list[str] = []
    folders = [(d, params.keep_uploads) for d in sorted((root / UPLOAD_DIR).glob("*"))
               if d.is_dir() and not d.is_symlink()]
    folders.append((root / BACKUP_DIR, params.keep_backups))
    for folder, limit in folders:
        if not folder.is_dir():
            continue
        # names start with a UTC time stamp of fixed width: name order is time order
        files = sorted(p for p in folder.iterdir()
                       if p.is_file() and not p.is_symlink() and not p.name.startswith("."))
        for path in files[:-limit] if len(files) > limit else []:
            if path.resolve() in keep:
                continue
            with contextlib.suppress(OSError):
                path.unlink()
                gone.append(path.relative_to(root).as_posix())
    return gone
