"""Indicator results computed once per store version, kept beside the store.

The key of a result set is a SHA-256 of: the store's version (a new id at every build,
upload or siting run, :meth:`layers.store.Store.version`), the content of every top-level
``*.toml`` and ``*.csv`` of the project (manifest, catalogs, reported values), the scenario
and year, and the peakmap code itself (size and time of each file of ``gis/`` and
``layers/``). Results live in ``build/cache/indicators-<key>.json``, written atomically;
the CLI and the web app read the same files, so ``peakmap report`` after ``peakmap build``
or after the server computed them answers without recomputing.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any, TextIO

from layers.indicators.result import IndicatorResult
from layers.project import Project

__all__ = ["CACHE_DIR", "cache_key", "cached_records", "load_records", "refresh", "save_records"]

CACHE_DIR = "cache"
KEEP = 6  # newest result files kept (current + a few scenarios / years)
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False)
BATCH = 2000  # records encoded at once when the results are saved


@functools.cache
def code_fingerprint() -> str:
    """Size and modification time of every source file of ``gis`` and ``layers``."""
    h = hashlib.sha256()
    here = Path(__file__).resolve().parents[1]  # layers/
    for base in (here, here.parent / "gis"):
        for path in sorted(base.rglob("*")):
            if "__pycache__" in path.parts or not path.is_file():
                continue
            st = path.stat()
            h.update(f"{path.relative_to(base.parent)}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def compute_records(project: Project, **kw: Any) -> list[IndicatorResult]:
    """The indicator engine's :func:`~layers.indicators.engine.compute_records`.

    Imported on a cache miss only, so reading cached results loads no geometry library.
    """
    from layers.indicators.engine import compute_records as compute

    return compute(project, **kw)


def project_files_digest(root: Path) -> str:
    """SHA-256 of the names and bytes of the project's top-level ``*.toml`` and ``*.csv``."""
    h = hashlib.sha256()
    for path in sorted([*root.glob("*.toml"), *root.glob("*.csv")]):
        h.update(path.name.encode("utf-8") + b"\0")
        try:
            h.update(path.read_bytes())
        except OSError:
            h.update(b"<unreadable>")
    return h.hexdigest()


def cache_key(project: Project, *, scenario: str | None = None, year: int | None = None,
              files_digest: str | None = None) -> str:
    """The key of the results of ``project`` as it is now ("" when it is not built)."""
    version = project.store.version()
    if not version:
        return ""
    files = files_digest or project_files_digest(project.root)
    text = "|".join([version, files, scenario or "", str(year or ""), code_fingerprint()])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _path(project: Project, key: str) -> Path:
    return project.build_dir / CACHE_DIR / f"indicators-{key}.json"


def _clean(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def load_records(project: Project, key: str) -> list[IndicatorResult] | None:
    """The cached results of ``key``, or None (missing or unreadable: recompute)."""
    if not key:
        return None
    try:
        raw = json.loads(_path(project, key).read_text(encoding="utf-8"))
        return [IndicatorResult(**row) for row in raw["records"]]
    except (OSError, ValueError, TypeError, KeyError):
        return None


def save_records(project: Project, key: str, records: list[IndicatorResult]) -> None:
    """Write the results of ``key`` atomically; keep only the newest :data:`KEEP` files."""
    if not key or not project.store.exists():
        return
    folder = project.build_dir / CACHE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".indicators-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            _write_body(f, key, records)
        os.replace(tmp, _path(project, key))
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    old = sorted(folder.glob("indicators-*.json"), key=lambda p: p.stat().st_mtime_ns)
    for path in old[:-KEEP]:
        path.unlink(missing_ok=True)


def _write_body(f: TextIO, key: str, records: list[IndicatorResult]) -> None:
    """``json.dumps({"key": key, "records": rows})`` of the cleaned rows, in batches.

    Each batch of :data:`BATCH` rows is encoded by the C encoder (``json.dump`` runs
    Python's), so only one batch's text is held at a time; a NaN or an infinity makes the
    encoder raise, and that batch is written again with them as null.
    """
    f.write(_ENCODER.encode(key).join(('{"key": ', ', "records": [')))
    for start in range(0, len(records), BATCH):
        rows = [r.as_dict() for r in records[start:start + BATCH]]
        try:
            text = _ENCODER.encode(rows)
        except ValueError:
            text = _ENCODER.encode([{k: _clean(v) for k, v in row.items()} for row in rows])
        f.write((", " if start else "") + text[1:-1])
    f.write("]}")


def cached_records(
    project: Project,
    *,
    scenario: str | None = None,
    year: int | None = None,
    ids: list[str] | None = None,
    scheduler: str | None = None,
) -> list[IndicatorResult]:
    """Every result of ``project`` from the cache, computed and saved on a miss.

    Parameters
    ----------
    project : Project
        A built project.
    scenario, year : optional
        As :func:`layers.indicators.engine.compute_records`.
    ids : list of str, optional
        Only these indicators: taken from a cached full set, or computed alone (not cached).
    scheduler : str, optional
        Dask scheduler for a computation (:func:`layers.indicators.engine.compute_records`).
    """
    key = cache_key(project, scenario=scenario, year=year)
    records = load_records(project, key)
    if records is None:
        if ids:
            return compute_records(project, year=year, scenario=scenario, ids=ids,
                                   scheduler=scheduler)
        records = compute_records(project, year=year, scenario=scenario, scheduler=scheduler)
        save_records(project, key, records)
    if ids:
        wanted = set(ids)
        if wanted - {r.indicator for r in records}:  # let the engine name the unknown id
            return compute_records(project, year=year, scenario=scenario, ids=ids,
                                   scheduler=scheduler)
        return [r for r in records if r.indicator in wanted]
    return records


def refresh(project_dir: Path | str, *, scenario: str | None = None) -> str:
    """Make sure the results of the project as it is now are cached; return their key.

    A module-level function taking a path, so a server can run it in a child process
    (:mod:`web.work`) and then read the results with :func:`load_records`.

    Raises
    ------
    PeakmapError
        The project is not built, or the engine failed on it.
    """
    project = Project(Path(project_dir))
    key = cache_key(project, scenario=scenario)
    if not key:
        project.store.layers()  # raises the "not built" StoreError
    if load_records(project, key) is None:
        save_records(project, key, compute_records(project, scenario=scenario))
    return key
