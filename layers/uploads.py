"""A layer given by a planner goes in at the front: raw file + manifest entry, then the store.

:func:`accept_upload` validates the file exactly as ``peakmap build`` does and, as one
write under the project's writer lock:

1. stages the store with the new layer and re-runs the quick derived steps that read it
   (uncovered residential land); slow ones (PV fields of buildings) are dropped and marked
   stale in the store, to be recomputed by :func:`recompute_stale` off the request path;
2. moves the file to ``raw/uploads/<layer>/<time>-<name>`` and points the manifest's
   ``[layers.<layer>]`` at it (the previous manifest is kept under ``backup/``, the
   previous raw file stays where it was), so the next ``peakmap build`` reproduces it;
3. swaps the staged store in;
4. removes uploads and manifest backups beyond ``[params.retention]``
   (:mod:`layers.retention`; never the file the manifest names).

Nothing is written when any check or step fails.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gis import PeakmapError
from gis.crs import crs_name
from layers.build import POST_BUILD_STEPS, post_build_step, step_line
from layers.ingest import LayerReport, derive_fields, ingest_layer
from layers.manifest import LayerSource
from layers.manifest_edit import set_layer_entry
from layers.project import Project
from layers.retention import UPLOAD_DIR, prune
from layers.schema import CANONICAL
from layers.store import store_transaction, writer_lock
from layers.store.lock import DEFAULT_TIMEOUT_S

__all__ = [
    "SLOW_STEPS",
    "STEP_INPUTS",
    "UploadResult",
    "accept_upload",
    "ingest_upload",
    "recompute_stale",
]

# The layers each post-build step reads (None: any layer may matter, re-run it always).
STEP_INPUTS: dict[str, tuple[str, ...] | None] = {
    "coverage": None,
    "rooftop_pv": ("buildings",),
}
# Steps too slow for a request (PV: ~13 s on the sample): marked stale, recomputed after.
SLOW_STEPS: frozenset[str] = frozenset({"rooftop_pv"})


@dataclass
class UploadResult:
    """What an upload changed."""

    report: LayerReport
    raw_path: str
    backup: str
    steps: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)


def _run_step(project: Project, name: str) -> str:
    return step_line(name, post_build_step(name)(project.fresh()))


def _dependent_steps(name: str) -> list[str]:
    return [e for e in POST_BUILD_STEPS
            if STEP_INPUTS.get(e) is None or name in (STEP_INPUTS.get(e) or ())]


def _raw_name(name: str, filename: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return f"{UPLOAD_DIR}/{name}/{stamp}-{Path(filename).name}"


def _place(upload: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.part")
    try:
        shutil.copyfile(upload, tmp)
        with tmp.open("rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def accept_upload(
    project_dir: Path,
    name: str,
    upload: Path,
    *,
    filename: str,
    strict: bool = False,
    timeout: float = DEFAULT_TIMEOUT_S,
    **overrides: Any,
) -> UploadResult:
    """Validate an uploaded file and write it into the project (raw/ + manifest + store).

    Parameters
    ----------
    project_dir : pathlib.Path
        A built project.
    name : str
        Canonical layer name.
    upload : pathlib.Path
        The received file (a temporary file; it is copied).
    filename : str
        A safe file name for messages and for ``raw/uploads``.
    strict : bool, default False
        Refuse invalid geometries instead of repairing them.
    timeout : float, default 600
        Seconds to wait for another write (a build) to end.
    **overrides
        Manifest keys of the entry (``crs``, ``encoding``, ``layer``, ``x``, ``y``,
        ``fields``); ``None`` values are ignored.

    Returns
    -------
    UploadResult

    Raises
    ------
    PeakmapError
        Unknown layer, project not built, any validation failure, a failing derived step;
        nothing is written then. :class:`~layers.StoreBusyError` after ``timeout``.
    """
    if name not in CANONICAL:
        raise PeakmapError(
            f"layer {name}: not a canonical layer (known: {', '.join(CANONICAL)})"
        )
    root = Path(project_dir)
    with writer_lock(root, what=f"upload of {name}", timeout=timeout):
        project = Project(root)  # the manifest as it is now, under the lock
        crs_out = project.store.crs  # raises StoreError when the project is not built
        base = project.manifest.layers.get(name)
        entry: dict[str, Any] = base.model_dump() if base is not None else {}
        entry.update({k: v for k, v in overrides.items() if v is not None})
        raw_rel = _raw_name(name, filename)
        entry["path"] = raw_rel
        src = LayerSource.model_validate(entry)
        gdf, report = ingest_layer(name, src, Path(upload), strict=strict,
                                   label=f"{filename}, layer {name}",
                                   report_year=project.report_year)
        gdf = derive_fields(project, name, gdf.to_crs(crs_out), report)
        report.source = raw_rel
        report.crs_out = crs_name(crs_out)
        report.features_stored = len(gdf)
        result = UploadResult(report=report, raw_path=raw_rel, backup="")
        with store_transaction(project, what=f"upload of {name}", timeout=timeout) as staged:
            staged.store.write_layers({name: gdf})
            for key in _dependent_steps(name):
                if key in SLOW_STEPS:
                    staged.store.mark_stale(
                        key, f"{name} uploaded {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC")
                    result.stale.append(key)
                else:
                    result.steps.append(_run_step(staged, key))
            # the front door, once everything else is ready: raw file, then manifest
            _place(Path(upload), root / raw_rel)
            result.backup = str(set_layer_entry(root, name, src).relative_to(root))
        # committed; still under the lock: earlier uploads and backups beyond the limits
        try:
            result.pruned = prune(root)
        except (PeakmapError, OSError) as e:  # the upload stands; say why nothing was pruned
            result.report.notes.append(f"retention: nothing removed ({e})")
    return result


def recompute_stale(project_dir: Path, *, timeout: float = DEFAULT_TIMEOUT_S) -> list[str]:
    """Re-run the derived steps marked stale by uploads, as one write; clear their marks.

    Returns
    -------
    list of str
        One summary line per step run (empty when nothing was stale).
    """
    root = Path(project_dir)
    with writer_lock(root, what="recomputing derived results", timeout=timeout):
        project = Project(root)
        stale = project.store.meta().stale if project.store.exists() else {}
        todo = [e for e in POST_BUILD_STEPS if e in stale]
        if not todo:
            return []
        lines: list[str] = []
        with store_transaction(project, what="recomputing derived results",
                               timeout=timeout) as staged:
            for step in todo:
                lines.append(_run_step(staged, step))
                staged.store.clear_stale(step)
        return lines


def ingest_upload(
    project: Project,
    name: str,
    file_path: Path,
    *,
    strict: bool = False,
    **overrides: Any,
) -> LayerReport:
    """Validate an uploaded file as ``peakmap build`` does and write it into the project.

    The file goes in at the front (``raw/uploads`` + the manifest entry, then the store):
    see :func:`accept_upload`, which this calls.

    Parameters
    ----------
    project : Project
        The built project.
    name : str
        Canonical layer name.
    file_path : pathlib.Path
        The uploaded file (any location).
    strict : bool, default False
        Refuse invalid geometries instead of repairing them.
    **overrides
        Keys of a manifest layer entry: ``layer``, ``crs``, ``encoding``, ``x``, ``y``,
        ``fields``.

    Returns
    -------
    LayerReport

    Raises
    ------
    PeakmapError
        Unknown layer, or any validation failure; nothing is stored then.
    """
    path = Path(file_path)
    result = accept_upload(project.root, name, path, filename=path.name,
                           strict=strict, **overrides)
    report: LayerReport = result.report
    return report
