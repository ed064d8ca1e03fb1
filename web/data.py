"""What the pages and the API read: layers for display and indicator records, cached.

Caches are keyed by the modification stamps of the store, the manifest and the catalogs,
so a rebuild or an upload shows at the next request without restarting the server.
"""

from __future__ import annotations

import contextlib
import math
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

from gis import PeakmapError
from layers import StoreError
from layers.indicators import cache as results_cache
from layers.indicators.engine import compute_records
from layers.project import Project
from layers.schema import CANONICAL
from layers.store import clean_stale_temp
from layers.store.pg import PgStore
from layers.store.proposals import proposal_states
from layers.uploads import recompute_stale
from web.errors import NotFoundError
from web.geo import to_display
from web.work import WorkPool

__all__ = ["HEALTH_TTL_S", "LEVELS", "ZONE_LAYERS", "ProjectData", "RecordsFn"]

LEVELS: tuple[str, ...] = ("district", "street", "community")
# The zone layer of each level.
ZONE_LAYERS = {"district": "districts", "street": "streets", "community": "communities"}
RecordsFn = Callable[..., list[Any]]
SCENARIOS: tuple[str, ...] = ("proposal",)
PROPOSAL_PREFIX = "proposal__"


def _engine_records(project: Project, *, scenario: str | None = None) -> list[Any]:
    """All indicator results of ``project`` from the indicator engine (all levels)."""
    return list(compute_records(project, scenario=scenario))


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _as_dict(record: Any) -> dict[str, Any]:
    """The record as plain JSON-safe dict (NaN and infinities become None)."""
    raw = record.as_dict() if hasattr(record, "as_dict") else record
    return {k: _json_safe(v) for k, v in dict(raw).items()}


def _mtime(path: Path | None) -> int:
    try:
        return path.stat().st_mtime_ns if path is not None else 0
    except OSError:
        return 0


def _spatial_layer_count(store: Path) -> int:
    """Number of feature tables of a GeoPackage (0 when it cannot be read)."""
    try:
        con = sqlite3.connect(f"{store.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return 0
    try:
        row = con.execute(
            "SELECT count(*) FROM gpkg_contents WHERE data_type = 'features'").fetchone()
        return int(row[0])
    except sqlite3.Error:
        return 0
    finally:
        con.close()


@dataclass(frozen=True)
class _Results:
    """Indicator results of one scenario: cache key, engine objects, dicts, error, time."""

    key: str
    raw: list[Any]
    dicts: list[dict[str, Any]]
    error: str | None
    computed_at: float


@dataclass(frozen=True)
class LayerInfo:
    """One stored layer as the API lists it."""

    name: str
    title_zh: str
    title_en: str
    geometry: str
    features: int
    canonical: bool

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        return dict(self.__dict__)


# /api/health asks a PostGIS store at most this often (seconds); a database that went down
# is reported at the first health request after that.
HEALTH_TTL_S = 5.0


class ProjectData:
    """A project seen by the web app: layers in WGS84 / GCJ-02 and indicator records.

    Parameters
    ----------
    project_dir : pathlib.Path
        The project directory.
    records_fn : callable, optional
        ``fn(project) -> list of results`` (objects with ``as_dict()`` or dicts); default:
        the indicator engine's ``compute_records``.
    work : WorkPool, optional
        Where the heavy work runs (indicator records of the engine, derived results after
        an upload, uploads themselves): child processes, or (default) the calling thread.
    """

    def __init__(self, project_dir: Path, *, records_fn: RecordsFn | None = None,
                 work: WorkPool | None = None) -> None:
        self.project_dir = Path(project_dir)
        self.work = work or WorkPool(0)
        self._health: tuple[tuple[int, int, int], int] | None = None
        # the PostGIS store's health: (store, monotonic time, answer), one query at a time
        self._pg_health: tuple[PgStore, float, dict[str, Any]] | None = None
        self._pg_health_lock = threading.Lock()
        # the PostGIS store named by the manifest (None: the GeoPackage), per manifest mtime
        self._pg: tuple[int, PgStore | None] | None = None
        self._records_fn = records_fn or _engine_records
        self._lock = threading.RLock()
        self._stamp: tuple[int, ...] | None = None
        self._project: Project | None = None
        self._name: str | None = None
        self._layers: dict[tuple[str, bool], gpd.GeoDataFrame] = {}
        self._metric: dict[str, gpd.GeoDataFrame] = {}
        # scenario -> newest results; the engine's are also kept beside the store
        self._persist = records_fn is None
        self._rec_lock = threading.Lock()
        self._rec: dict[str | None, _Results] = {}
        self._keys: dict[str | None, tuple[tuple[int, ...], str]] = {}
        self._scheduled: set[str | None] = set()
        self._tables: dict[str, dict[str, LayerInfo]] = {}
        self._loading: dict[tuple[int, Any], threading.Lock] = {}
        self._bg_lock = threading.Lock()
        self._bg_pending: list[Callable[[], None]] = []
        self._bg_thread: threading.Thread | None = None
        self.background_error: str | None = None
        self._start_up()

    def _start_up(self) -> None:
        """Remove what killed writes left behind; resume recomputing stale results."""
        if not self.project_dir.is_dir():
            return
        with contextlib.suppress(PeakmapError, OSError):
            clean_stale_temp(self.project_dir)
        with contextlib.suppress(PeakmapError, OSError):
            store = Project(self.project_dir).store
            if store.exists() and store.meta().stale:
                self._start_background(self._recompute_derived)

    # -- cache -----------------------------------------------------------------
    def stamp(self) -> tuple[int, ...]:
        """Modification times of the store, manifest, catalogs and reported values.

        Every ``*.toml`` and ``*.csv`` at the project's top level counts, so included
        catalogs and a reported-values file of any name invalidate the cache too.
        """
        files = sorted([*self.project_dir.glob("*.toml"), *self.project_dir.glob("*.csv")])
        pg = self._pg_store()
        if pg is None:
            store = _mtime(self.project_dir / "build" / "peakmap.gpkg")
        else:  # the version changes at every committed write, from any process or machine
            store = 0
            with contextlib.suppress(PeakmapError):
                store = int(pg.version()[:15] or "0", 16)
        return (store, len(files), *(_mtime(f) for f in files))

    def _pg_store(self) -> PgStore | None:
        """The project's PostGIS store, or None for a GeoPackage (re-read with the manifest)."""
        stamp = _mtime(self.project_dir / "project.toml")
        memo = self._pg
        if memo is None or memo[0] != stamp:
            store: PgStore | None = None
            with contextlib.suppress(PeakmapError, OSError):
                opened = Project(self.project_dir).store
                store = opened if isinstance(opened, PgStore) else None
            memo = (stamp, store)
            self._pg = memo
        return memo[1]

    def _fresh(self) -> None:
        stamp = self.stamp()
        if stamp != self._stamp:
            self._stamp = stamp
            self._project = None
            self._layers.clear()
            self._metric.clear()
            self._tables.clear()
            self._loading.clear()

    def version(self) -> tuple[Any, ...]:
        """Changes whenever anything a page or API read shows may have changed.

        The files' stamp (store, manifest, catalogs, reported values) and, per scenario,
        the indicator results held and whether new ones are being computed. Cheap (a few
        ``stat`` calls): :class:`web.cache.ResponseCacheMiddleware` asks it per request.
        """
        held = tuple(sorted((str(s), h.key, h.computed_at) for s, h in self._rec.items()))
        return (self.stamp(), held, tuple(sorted(map(str, self._scheduled))))

    def invalidate(self) -> None:
        """Forget every cached layer and record (after an upload)."""
        with self._lock:
            self._stamp = None
            self._fresh()

    def after_write(self, *, recompute: bool = False) -> None:
        """Forget cached layers after an upload; recompute stale results in the background.

        The recomputation runs off the request path, in one background thread at a time.
        """
        self.invalidate()
        if recompute:
            self._start_background(self._recompute_derived)
        self._schedule(None)

    def _start_background(self, job: Callable[[], None]) -> None:
        with self._bg_lock:
            self._bg_pending.append(job)
            if self._bg_thread is not None and self._bg_thread.is_alive():
                return
            self._bg_thread = threading.Thread(target=self._bg_loop, name="peakmap-background",
                                               daemon=True)
            self._bg_thread.start()

    def _bg_loop(self) -> None:
        while True:
            with self._bg_lock:
                if not self._bg_pending:
                    self._bg_thread = None
                    return
                job = self._bg_pending.pop(0)
            try:
                job()
            except PeakmapError as e:
                self.background_error = str(e)

    def _recompute_derived(self) -> None:
        try:
            self.work.run(recompute_stale, self.project_dir)
        finally:
            self.invalidate()

    def proposals(self) -> list[dict[str, Any]]:
        """Every siting proposal layer: when made, and whether an input changed since."""
        store = self.project.store
        if not store.exists():
            return []
        return [p.as_dict() for p in proposal_states(store.meta())]

    def stale_results(self) -> dict[str, str]:
        """Derived results being recomputed after an upload (result → reason)."""
        store = self.project.store
        return store.meta().stale if store.exists() else {}

    def wait_background(self, timeout: float = 600.0) -> None:
        """Wait until the background work queued so far is done (tests, benchmarks)."""
        end = time.monotonic() + timeout
        while (thread := self._bg_thread) is not None and time.monotonic() < end:
            thread.join(max(0.0, end - time.monotonic()))

    def health(self) -> dict[str, Any]:
        """Status, project name, whether built, number of spatial layers: lock-free.

        Cheap enough for the event loop on a GeoPackage: one ``stat`` of the store; the
        layer count is read (one SQLite query, no GDAL) only when the store file changed.
        A PostGIS store is asked at most every :data:`HEALTH_TTL_S` seconds (one catalog
        query; see :meth:`cached_health`); when it cannot be reached the answer says so:
        ``status`` ``"error"`` and the store's message in ``detail``.
        """
        name = self._project_name()
        pg = self._pg_store()
        if pg is not None:
            body = self._ask_pg(pg)
            return {"status": body["status"], "project": name, **body}
        store = self.project_dir / "build" / "peakmap.gpkg"
        try:
            st = store.stat()
        except OSError:
            return {"status": "ok", "project": name, "built": False, "layers": 0}
        ident = (st.st_ino, st.st_mtime_ns, st.st_size)
        memo = self._health
        if memo is None or memo[0] != ident:
            memo = (ident, _spatial_layer_count(store))
            self._health = memo
        return {"status": "ok", "project": name, "built": True, "layers": memo[1]}

    def cached_health(self) -> dict[str, Any] | None:
        """:meth:`health` when it needs no database query, else None (ask it in a thread)."""
        pg = self._pg_store()
        if pg is None:
            return self.health()
        memo = self._pg_health
        if memo is not None and memo[0] is pg and time.monotonic() - memo[1] < HEALTH_TTL_S:
            return {"status": memo[2]["status"], "project": self._project_name(), **memo[2]}
        return None

    def _project_name(self) -> str:
        project = self._project
        name = project.name if project is not None else self._name
        if name is None:
            name = Project(self.project_dir).name
        self._name = name
        return name

    def _ask_pg(self, pg: PgStore) -> dict[str, Any]:
        with self._pg_health_lock:  # requests arriving together wait for one query
            memo = self._pg_health
            if memo is not None and memo[0] is pg and time.monotonic() - memo[1] < HEALTH_TTL_S:
                return memo[2]
            try:
                infos = pg.layer_infos()
            except PeakmapError as e:
                body: dict[str, Any] = {"status": "error", "built": False, "layers": 0,
                                        "detail": str(e)}
            else:
                body = {"status": "ok", "built": bool(infos),
                        "layers": sum(1 for _n, kind, _c in infos if kind is not None)}
            self._pg_health = (pg, time.monotonic(), body)
            return body

    @property
    def project(self) -> Project:
        """The opened project (re-opened when its files change)."""
        with self._lock:
            self._fresh()
            if self._project is None:
                self._project = Project(self.project_dir)
            return self._project

    # -- layers ----------------------------------------------------------------
    def _once(self, cache: dict[Any, Any], key: Any, load: Callable[[], Any]) -> Any:
        """``cache[key]``, loaded by ``load()`` once per stamp.

        The shared lock is held only to look up and to store: a request that needs another
        layer (or the project) does not wait while one layer is read and reprojected. Two
        requests for the same missing entry load it once (a lock per entry).
        """
        with self._lock:
            self._fresh()
            if key in cache:
                return cache[key]
            entry = self._loading.setdefault((id(cache), key), threading.Lock())
        with entry:
            with self._lock:
                self._fresh()
                if key in cache:
                    return cache[key]
                stamp = self._stamp
            value = load()
            with self._lock:
                if self._stamp == stamp:  # not when the files changed while loading
                    cache[key] = value
            return value

    def _layer_table(self) -> dict[str, LayerInfo]:
        """Every spatial layer's info, read once per stamp (canonical layers first)."""
        table: dict[str, LayerInfo] = self._once(self._tables, "layers",
                                                 self._read_layer_table)
        return table

    def _read_layer_table(self) -> dict[str, LayerInfo]:
        store = self.project.store
        if not store.exists():
            return {}
        if isinstance(store, PgStore):
            infos = {n: {"geometry_type": kind, "features": count}
                     for n, kind, count in store.layer_infos() if kind is not None}
        else:
            infos = {str(r[0]): {} for r in pyogrio.list_layers(store.path) if r[1] is not None}
        names = [n for n in CANONICAL if n in infos]
        names += sorted(n for n in infos if n not in CANONICAL)
        out = {}
        for name in names:
            info = infos[name] or pyogrio.read_info(store.path, layer=name)
            spec = CANONICAL.get(name) or CANONICAL.get(name.split("__", 1)[-1])
            features: Any = info["features"]
            out[name] = LayerInfo(
                name=name,
                title_zh=spec.title_zh if spec else name,
                title_en=spec.title_en if spec else name,
                geometry=str(info.get("geometry_type")), features=int(features),
                canonical=name in CANONICAL,
            )
        return out

    def layer_names(self) -> list[str]:
        """Spatial layers in the store (canonical ones first, in schema order)."""
        return list(self._layer_table())

    def layer_info(self) -> list[LayerInfo]:
        """Name, title, geometry type and feature count of every spatial layer."""
        return list(self._layer_table().values())

    def feature_count(self, name: str) -> int:
        """Number of features of stored layer ``name``."""
        self.require_layer(name)
        return self._layer_table()[name].features

    def require_layer(self, name: str) -> None:
        """Raise :class:`StoreError` unless ``name`` is a spatial layer of the store."""
        if name not in self.layer_names():
            raise StoreError(f"{self.project.store.path}: no layer {name!r} in the store")

    def metric(self, name: str) -> gpd.GeoDataFrame:
        """Layer ``name`` in the metric CRS with ``area_m2`` / ``length_m`` added (cached)."""
        self.require_layer(name)
        gdf: gpd.GeoDataFrame = self._once(self._metric, name, lambda: self._read_metric(name))
        return gdf

    def _read_metric(self, name: str) -> gpd.GeoDataFrame:
        gdf = self.project.store.read(name)
        geoms = np.asarray(gdf.geometry.values, dtype=object)
        kinds = shapely.get_type_id(geoms)
        if np.isin(kinds, (3, 6)).any() and "area_m2" not in gdf.columns:
            gdf["area_m2"] = np.round(shapely.area(geoms), 2)
        if np.isin(kinds, (1, 5)).any() and "length_m" not in gdf.columns:
            gdf["length_m"] = np.round(shapely.length(geoms), 2)
        return gdf

    def display(self, name: str, *, gcj02: bool = False) -> gpd.GeoDataFrame:
        """Layer ``name`` in WGS84 (or GCJ-02), with its spatial index built (cached)."""
        def load() -> gpd.GeoDataFrame:
            gdf = to_display(self.metric(name), gcj02=gcj02)
            gdf = gdf[~(gdf.geometry.isna() | gdf.geometry.is_empty)]
            _ = gdf.sindex  # build once, reused by every bbox query
            return gdf

        out: gpd.GeoDataFrame = self._once(self._layers, (name, gcj02), load)
        return out

    # -- indicators ------------------------------------------------------------
    def has_proposals(self) -> bool:
        """Whether the store holds siting proposals (``proposal__<layer>`` layers)."""
        return any(n.startswith(PROPOSAL_PREFIX) for n in self.layer_names())

    def _key(self, scenario: str | None) -> str:
        """The key of the results as the project is now (cache key, or the file stamp)."""
        stamp = self.stamp()
        if not self._persist:
            return repr(stamp)
        memo = self._keys.get(scenario)
        if memo is not None and memo[0] == stamp:
            return memo[1]
        key = results_cache.cache_key(self.project, scenario=scenario) or repr(stamp)
        self._keys[scenario] = (stamp, key)
        return key

    def _compute(self, scenario: str | None, key: str) -> _Results:
        """Run the engine (one computation at a time) and keep the result under ``key``."""
        with self._rec_lock:
            hit = self._rec.get(scenario)
            if hit is not None and hit.key == key:
                return hit
            project = self.project
            try:
                if self._persist and self.work.processes:
                    # the engine in a child process; the results come back through the cache
                    key = self.work.run(results_cache.refresh, self.project_dir,
                                        scenario=scenario)
                    loaded = results_cache.load_records(project, key)
                    if loaded is None:
                        raise PeakmapError(f"{project.build_dir}: indicator results of "
                                           f"{key} were not readable after computing them")
                    raw = list(loaded)
                else:
                    raw = list(self._records_fn(project) if scenario is None
                               else self._records_fn(project, scenario=scenario))
                hit = _Results(key, raw, [_as_dict(r) for r in raw], None, time.time())
                if self._persist and not self.work.processes:
                    results_cache.save_records(project, key, raw)
            except PeakmapError as e:
                hit = _Results(key, [], [], str(e), time.time())
            self._rec[scenario] = hit
            return hit

    def _refresh(self, scenario: str | None) -> None:
        """Background job: bring the results of ``scenario`` up to date."""
        try:
            self._compute(scenario, self._key(scenario))
        finally:
            with self._bg_lock:
                self._scheduled.discard(scenario)

    def _schedule(self, scenario: str | None) -> None:
        with self._bg_lock:
            if scenario in self._scheduled:
                return
            self._scheduled.add(scenario)
        self._start_background(lambda: self._refresh(scenario))

    def _entry(self, scenario: str | None) -> _Results:
        """The newest results: current ones, else the last ones while new ones compute.

        Current results come from memory or from the cache beside the store; when the
        project changed and older results exist they are served at once (``status`` says
        "updating") and the new ones are computed in the background and swapped in. Only
        the very first computation of a project, with nothing to show, is waited for.
        """
        if scenario is not None and scenario not in SCENARIOS:
            raise PeakmapError(f"scenario {scenario!r}: choose {', '.join(SCENARIOS)} or none")
        key = self._key(scenario)
        hit = self._rec.get(scenario)
        if hit is not None and hit.key == key:
            return hit
        if self._persist:
            raw = results_cache.load_records(self.project, key)
            if raw is not None:
                hit = _Results(key, raw, [_as_dict(r) for r in raw], None, time.time())
                self._rec[scenario] = hit
                return hit
        if hit is not None:
            self._schedule(scenario)
            return hit
        return self._compute(scenario, key)

    def status(self, scenario: str | None = None) -> dict[str, Any]:
        """Whether results are being recomputed, and when the shown ones were computed."""
        hit = self._rec.get(scenario)
        updating = hit is None or hit.key != self._key(scenario) or scenario in self._scheduled
        computed = (None if hit is None else
                    datetime.fromtimestamp(hit.computed_at).strftime("%Y-%m-%d %H:%M:%S"))
        return {"updating": updating, "computed_at": computed}

    def _raise(self, hit: _Results) -> None:
        if hit.error is not None:
            raise PeakmapError(hit.error)

    def records(self, level: str | None = None, *, scenario: str | None = None
                ) -> list[dict[str, Any]]:
        """Indicator records (cached per stamp), optionally of one level.

        Parameters
        ----------
        level : str, optional
            ``district``, ``street`` or ``community``; default all.
        scenario : str, keyword-only, optional
            ``"proposal"``: each layer read as base + its ``proposal__`` layer.

        Raises
        ------
        PeakmapError
            The engine failed on this project, or the scenario is unknown.
        """
        hit = self._entry(scenario)
        self._raise(hit)
        recs = hit.dicts
        if level is None:
            return list(recs)
        return [r for r in recs if r.get("level") == level]

    def indicator_records(self, indicator: str, level: str, *,
                          scenario: str | None = None) -> list[dict[str, Any]]:
        """The records of one indicator at one level (the map pages' rows).

        Raises
        ------
        NotFoundError
            No record of ``indicator`` at ``level``; the message lists the indicators that
            have results there, so a planner who typed an id can pick one.
        """
        recs = self.records(level, scenario=scenario)
        mine = [r for r in recs if r.get("indicator") == indicator]
        if not mine:
            known = sorted({str(r.get("indicator")) for r in recs})
            raise NotFoundError(f"indicator {indicator!r}: no results at level {level} "
                                f"(indicators with results there: {', '.join(known) or 'none'})")
        return mine

    def raw_records(self, *, scenario: str | None = None) -> list[Any]:
        """The engine's result objects, as the report writers take them."""
        hit = self._entry(scenario)
        self._raise(hit)
        return list(hit.raw)
