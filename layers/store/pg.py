"""The PostGIS store: the same API as :class:`layers.store.gpkg.Store`, in one schema.

Selected by ``[project] store = "postgresql://…"`` (:mod:`layers.store.pgurl`). Rasters
(the DSM, the irradiation grid) stay files in ``PROJECT/build``.

Tables of the project's schema:

``_layers`` (name, tbl, geom_type, srid, crs, columns, features)
    The catalog: layer name → the physical table that holds it now. A write never changes
    a table in place: it creates a new one (``l_<random>``, one row per feature with the
    attributes, ``geom geometry(Geometry, SRID)`` and a GiST index on it), loads it with
    ``COPY`` (geometries as EWKB), and points the catalog row at it, all inside the
    writer's transaction. ``columns`` (JSON) keeps the attribute names and kinds, so a
    layer reads back with the columns and dtypes a GeoPackage round trip gives.
``_store_meta``, ``_layer_versions``
    The same rows as in the GeoPackage (:mod:`layers.store.meta`).
``_retired`` (tbl, xid)
    Tables a write replaced. They are dropped by the *next* write, so a reader that looked
    the catalog up just before a commit still finds the table it was pointed at.

Concurrency is the database's: a writer holds ``pg_advisory_xact_lock`` on the schema's key
for its whole transaction (writers queue, in any process on any machine); readers take no
lock, see the last committed catalog (MVCC) and are never blocked.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Any

from layers._errors import StoreBusyError, StoreError
from layers.store.base import BBox, LayerReader, check_bbox
from layers.store.lock import DEFAULT_TIMEOUT_S
from layers.store.meta import (
    META_TABLE,
    VERSIONS_TABLE,
    StaleMarks,
    StoreMeta,
    frame_digest,
)
from layers.store.pg_write import ident as _ident
from layers.store.pg_write import put_layer
from layers.store.pgurl import PgLocation

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd
    import psycopg
    from pyproj import CRS

__all__ = ["PgStore", "close_pooled", "put_layer", "write_transaction"]

CATALOG = "_layers"
RETIRED = "_retired"

_pool: dict[str, list[psycopg.Connection[Any]]] = {}
_pool_pid = os.getpid()
_pool_lock = threading.Lock()


def close_pooled() -> int:
    """Close the idle read connections of this process's pool; return how many were closed.

    Runs at interpreter exit (``atexit``), so no pooled connection is left for the garbage
    collector (psycopg's ``ResourceWarning: ... was deleted while still open``); the web
    app's lifespan and the test cluster call it too before their server goes away.
    Connections in use are not in the pool and stay open. In a forked child the parent's
    connections are forgotten, not closed: closing would end the parent's sessions on the
    server.

    Returns
    -------
    int
        The number of connections closed.
    """
    global _pool_pid
    with _pool_lock:
        idle = [c for conns in _pool.values() for c in conns]
        _pool.clear()
        if _pool_pid != os.getpid():
            _pool_pid = os.getpid()
            return 0
    for conn in idle:
        conn.close()
    return len(idle)


atexit.register(close_pooled)


def _connect(loc: PgLocation, what: str = "read") -> psycopg.Connection[Any]:
    import psycopg

    try:
        return psycopg.connect(loc.url, autocommit=True, connect_timeout=10,
                               application_name=f"peakmap {what}"[:63])
    except psycopg.Error as e:
        msg = " ".join(str(e).split())
        raise StoreError(f"{loc}: cannot connect to the PostGIS store: {msg} (credentials "
                         "come from PGUSER/PGPASSWORD or a pgpass file)") from e


@contextmanager
def _pooled(loc: PgLocation) -> Iterator[psycopg.Connection[Any]]:
    """A connection for reads (autocommit), returned to a small per-process pool."""
    import psycopg

    global _pool_pid
    with _pool_lock:
        if _pool_pid != os.getpid():  # a forked child never uses its parent's sockets
            _pool.clear()
            _pool_pid = os.getpid()
        idle = _pool.setdefault(loc.url, [])
        conn = idle.pop() if idle else None
    if conn is None or conn.closed:
        conn = _connect(loc)
    ok = False
    try:
        yield conn
        ok = True
    except psycopg.OperationalError as e:
        conn.close()
        raise StoreError(f"{loc}: {' '.join(str(e).split())}") from e
    finally:
        if ok and not conn.closed and conn.info.transaction_status == 0:
            with _pool_lock:
                if len(_pool.setdefault(loc.url, [])) < 4:
                    _pool[loc.url].append(conn)
                    conn = None  # kept
        if conn is not None:
            conn.close()


def _lock_key(loc: PgLocation) -> int:
    digest = hashlib.sha256(f"peakmap:{loc.schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _ensure_schema(conn: psycopg.Connection[Any], loc: PgLocation) -> None:
    """Create the schema and its tables (under the writer's advisory lock)."""
    import psycopg

    if conn.execute("SELECT to_regtype('geometry')").fetchone() == (None,):
        try:
            with conn.transaction():
                conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        except psycopg.Error as e:
            raise StoreError(f"{loc}: the database has no PostGIS and it cannot be added "
                             f"({' '.join(str(e).split())}); ask its administrator to run "
                             "CREATE EXTENSION postgis") from e
    s = _ident(loc.schema)
    from psycopg import sql

    for stmt in (
        "CREATE SCHEMA IF NOT EXISTS {s}",
        "CREATE TABLE IF NOT EXISTS {s}._layers (name text PRIMARY KEY, tbl text NOT NULL, "
        "geom_type text, srid integer, crs text, columns jsonb NOT NULL, features bigint)",
        "CREATE TABLE IF NOT EXISTS {s}._store_meta (key text PRIMARY KEY, value text)",
        "CREATE TABLE IF NOT EXISTS {s}._layer_versions (layer text PRIMARY KEY, "
        "digest text, changed_in bigint, changed_at text)",
        "CREATE TABLE IF NOT EXISTS {s}._retired (tbl text PRIMARY KEY, xid bigint NOT NULL)",
    ):
        conn.execute(sql.SQL(stmt).format(s=s))


@contextmanager
def write_transaction(
    loc: PgLocation, *, what: str, timeout: float = DEFAULT_TIMEOUT_S
) -> Iterator[psycopg.Connection[Any]]:
    """A connection inside one transaction holding the store's writer lock.

    The transaction commits when the ``with`` block ends without an error and rolls back
    otherwise (a failure or a kill leaves the previous state intact).

    Raises
    ------
    StoreBusyError
        Another writer held the lock for longer than ``timeout`` seconds.
    """
    import psycopg

    conn = _connect(loc, what)
    try:
        with conn.transaction():
            conn.execute(f"SET LOCAL lock_timeout = {int(max(timeout, 0.001) * 1000)}")
            try:
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_lock_key(loc),))
            except psycopg.errors.LockNotAvailable as e:
                raise StoreBusyError(f"{loc}: another write is in progress; try again when "
                                     "it ends") from e
            _ensure_schema(conn, loc)
            yield conn
            _collect_retired(conn, loc)
    except psycopg.OperationalError as e:
        raise StoreError(f"{loc}: the write failed and was rolled back: "
                         f"{' '.join(str(e).split())}") from e
    finally:
        conn.close()


def _collect_retired(conn: psycopg.Connection[Any], loc: PgLocation) -> None:
    """Drop the tables earlier writes replaced (not those this one did); skip busy ones."""
    import psycopg
    from psycopg import sql

    s = _ident(loc.schema)
    rows = conn.execute(sql.SQL("SELECT tbl FROM {s}._retired WHERE xid <> txid_current()")
                        .format(s=s)).fetchall()
    for (tbl,) in rows:
        try:
            with conn.transaction():  # a savepoint: a table a slow reader holds stays
                conn.execute("SET LOCAL lock_timeout = 2000")
                conn.execute(sql.SQL("DROP TABLE IF EXISTS {t}").format(t=_ident(loc.schema,
                                                                                 tbl)))
                conn.execute(sql.SQL("DELETE FROM {s}._retired WHERE tbl = %s").format(s=s),
                             (tbl,))
        except psycopg.errors.LockNotAvailable:
            continue


def read_meta(conn: psycopg.Connection[Any], loc: PgLocation) -> StoreMeta:
    """The store's metadata as seen by ``conn``."""
    from psycopg import sql

    s = _ident(loc.schema)
    rows = dict(conn.execute(sql.SQL("SELECT key, value FROM {s}._store_meta").format(s=s))
                .fetchall())
    vers = conn.execute(sql.SQL("SELECT layer, digest, changed_in, changed_at FROM "
                                "{s}._layer_versions").format(s=s)).fetchall()
    return StoreMeta.from_rows(rows, vers)


def write_meta(conn: psycopg.Connection[Any], loc: PgLocation, meta: StoreMeta) -> None:
    """Replace the rows of ``_store_meta`` and ``_layer_versions`` (inside the transaction)."""
    from psycopg import sql

    s = _ident(loc.schema)
    tables = meta.tables()
    for table, frame in ((META_TABLE, tables[META_TABLE]),
                         (VERSIONS_TABLE, tables[VERSIONS_TABLE])):
        conn.execute(sql.SQL("DELETE FROM {t}").format(t=_ident(loc.schema, table)))
        cols = sql.SQL(", ").join(_ident(c) for c in frame.columns)
        marks = sql.SQL(", ").join(sql.Placeholder() * len(frame.columns))
        with conn.cursor() as cur:
            cur.executemany(sql.SQL("INSERT INTO {t} ({c}) VALUES ({m})").format(
                t=_ident(loc.schema, table), c=cols, m=marks),
                [tuple(r) for r in frame.astype(object).itertuples(index=False)])
    del s


def retire_all(conn: psycopg.Connection[Any], loc: PgLocation) -> None:
    """Empty the catalog inside the transaction (a full build starts from nothing)."""
    from psycopg import sql

    conn.execute(sql.SQL(
        "WITH gone AS (DELETE FROM {s}._layers RETURNING tbl) INSERT INTO {s}._retired "
        "SELECT tbl, txid_current() FROM gone ON CONFLICT DO NOTHING").format(
        s=_ident(loc.schema)))


class PgStore(StaleMarks):
    """Read and update the PostGIS store of one project (same API as the GeoPackage one).

    Parameters
    ----------
    location : PgLocation
        The database URL and the project's schema.
    build_dir : pathlib.Path
        ``PROJECT/build`` (or a staging folder): where the rasters are.
    conn : psycopg.Connection, optional
        The connection of an open write transaction: the store is then *private* (a
        staged write, :func:`layers.store.txn.store_transaction`); its writes are seen by
        nobody else until the transaction commits. Without it reads use pooled
        connections and each :meth:`write_layers` is a transaction of its own.
    """

    def __init__(self, location: PgLocation, build_dir: Path, *,
                 conn: psycopg.Connection[Any] | None = None) -> None:
        self.location = location
        self.path = location  # what messages name (str) and data-source lines (.name)
        self.build_dir = Path(build_dir)
        self.private = conn is not None
        self._conn = conn
        self.written: dict[str, str] = {}
        self.marks: dict[str, str] = {}
        self.cleared: set[str] = set()
        self.inputs: dict[str, tuple[str, ...]] = {}
        self.merge_inputs: set[str] = set()
        self._cache: dict[str, Any] = {}

    @contextmanager
    def _db(self) -> Iterator[psycopg.Connection[Any]]:
        if self._conn is not None:
            yield self._conn
        else:
            with _pooled(self.location) as conn:
                yield conn

    def _sql(self, text: str) -> Any:
        from psycopg import sql

        return sql.SQL(text).format(s=_ident(self.location.schema))

    def _catalog(self) -> dict[str, tuple[Any, ...]]:
        """Name → (tbl, geom_type, srid, crs, columns, features); {} before the first build."""
        with self._db() as conn:
            reg = conn.execute("SELECT to_regclass(%s)",
                               (f'"{self.location.schema}"."{CATALOG}"',)).fetchone()
            if reg is None or reg[0] is None:
                return {}
            rows = conn.execute(self._sql(
                "SELECT name, tbl, geom_type, srid, crs, columns, features FROM {s}._layers "
                "ORDER BY name")).fetchall()
        return {str(r[0]): tuple(r[1:]) for r in rows}

    def exists(self) -> bool:
        """Return True when the store has been built (its catalog holds a layer)."""
        return bool(self._catalog())

    def _require(self) -> dict[str, tuple[Any, ...]]:
        cat = self._catalog()
        if not cat:
            raise StoreError(
                f"{self.location}: the project has not been built yet (run 'peakmap build "
                "PROJECT')")
        return cat

    def layers(self) -> list[str]:
        """Names of the layers in the store (spatial and attribute tables)."""
        return list(self._require())

    def has(self, name: str) -> bool:
        """Return True when the store holds layer ``name``."""
        return name in self._catalog()

    def layer_infos(self) -> list[tuple[str, str | None, int]]:
        """``(name, geometry type or None, feature count)`` of every layer."""
        return [(n, r[1], int(r[5] or 0)) for n, r in self._catalog().items()]

    @property
    def crs(self) -> CRS:
        """The project's metric CRS (that of the ``districts`` or first spatial layer)."""
        cat = self._require()
        for name in ["districts", *cat]:
            if name in cat and cat[name][3]:
                from pyproj import CRS

                return CRS.from_user_input(cat[name][3])
        raise StoreError(f"{self.location}: no spatial layer with a CRS")

    def read(self, name: str, bbox: BBox | None = None) -> gpd.GeoDataFrame:
        """Return layer ``name`` (a copy; the cache keeps the original).

        A shallow, copy-on-write copy, as :meth:`layers.store.gpkg.Store.read` returns.

        Parameters
        ----------
        name : str
            The layer.
        bbox : (xmin, ymin, xmax, ymax), optional
            Only features whose geometry intersects this box (in the layer's CRS); uses the
            GiST index.

        Raises
        ------
        StoreError
            The store is not built or has no such layer.
        """
        import psycopg

        if bbox is not None:
            bbox = check_bbox(self.location, name, bbox)
        if bbox is None and name in self._cache:
            return self._cache[name].copy(deep=False)
        for attempt in range(3):
            cat = self._require()
            if name not in cat:
                raise StoreError(f"{self.location}: no layer {name!r} in the store")
            try:
                frame = self._read_table(name, cat[name], bbox)
                break
            except psycopg.errors.UndefinedTable:
                if attempt == 2:  # replaced twice while reading: a writer storm
                    raise StoreError(f"{self.location}: layer {name!r} kept changing while "
                                     "it was read; try again") from None
        if bbox is None:
            self._cache[name] = frame
            return frame.copy(deep=False)
        return frame

    def _read_table(self, name: str, row: tuple[Any, ...], bbox: BBox | None) -> Any:
        import geopandas as gpd
        import numpy as np
        import pandas as pd
        import shapely
        from psycopg import sql

        tbl, geom_type, srid, crs, columns, _n = row
        cols = [tuple(c) for c in columns]
        fields: list[Any] = [sql.Identifier(f"c{i}") for i in range(len(cols))]
        if geom_type is not None:
            fields.append(sql.SQL("ST_AsBinary(geom)"))
        query = sql.SQL("SELECT {f} FROM {t}").format(
            f=sql.SQL(", ").join(fields) if fields else sql.SQL("fid"),
            t=_ident(self.location.schema, tbl))
        params: tuple[Any, ...] = ()
        if bbox is not None and geom_type is not None:
            # the GiST index gives the candidates (envelopes); the exact test is made below
            # with shapely, as the GeoPackage store does (also for a degenerate box)
            query += sql.SQL(" WHERE geom && ST_MakeEnvelope(%s, %s, %s, %s, %s)")
            params = (*(float(v) for v in bbox), int(srid or 0))
        query += sql.SQL(" ORDER BY fid")
        with self._db() as conn, conn.cursor(binary=True) as cur:
            cur.execute(query, params)
            rows = cur.fetchall()
        data = list(zip(*rows, strict=True)) if rows else [()] * (len(fields) or 1)
        out = {}
        for i, (col, kind) in enumerate(cols):
            out[col] = _series(data[i], kind, len(rows))
        attrs = pd.DataFrame(out, index=pd.RangeIndex(len(rows)))
        if geom_type is None:
            return attrs
        wkb = np.array(data[len(cols)] if rows else [], dtype=object)
        geoms = shapely.from_wkb(wkb)
        frame = gpd.GeoDataFrame(attrs, geometry=gpd.GeoSeries(geoms, index=attrs.index),
                                 crs=crs or None)
        if bbox is not None:
            hit = shapely.intersects(geoms, shapely.box(*bbox))
            frame = frame[hit].reset_index(drop=True)
        return frame

    def raster_path(self, name: str) -> Path:
        """Path of processed raster ``name`` (rasters stay files in ``build/``)."""
        path = self.build_dir / f"{name}.tif"
        if not path.is_file():
            raise StoreError(f"{path}: raster {name!r} is not in the store")
        return path

    def meta(self) -> StoreMeta:
        """The store's version, layer versions and stale marks."""
        if not self._catalog() and self._conn is None:
            return StoreMeta()
        with self._db() as conn:
            reg = conn.execute("SELECT to_regclass(%s)",
                               (f'"{self.location.schema}"."{META_TABLE}"',)).fetchone()
            if reg is None or reg[0] is None:
                return StoreMeta()
            return read_meta(conn, self.location)

    def version(self) -> str:
        """An id that changes at every write of the store ("" when it is not built).

        Two small queries (the web app asks at every request).
        """
        with self._db() as conn:
            reg = conn.execute("SELECT to_regclass(%s)",
                               (f'"{self.location.schema}"."{META_TABLE}"',)).fetchone()
            if reg is None or reg[0] is None:
                return ""
            row = conn.execute(self._sql("SELECT value FROM {s}._store_meta WHERE key = "
                                         "'version'")).fetchone()
        return str(row[0]) if row and row[0] else ""

    def write_layers(
        self,
        layers: dict[str, gpd.GeoDataFrame | pd.DataFrame],
        *,
        inputs: Mapping[str, Sequence[str]] | None = None,
        merge_inputs: Sequence[str] = (),
    ) -> None:
        """Add or replace layers in one transaction (as ``Store.write_layers``)."""
        if self._conn is not None:
            for name, frame in layers.items():
                put_layer(self._conn, self.location, name, frame)
                self.written[name] = frame_digest(frame)
                self.inputs.pop(name, None)
                self.merge_inputs.discard(name)
            self.inputs.update({k: tuple(v) for k, v in (inputs or {}).items()})
            self.merge_inputs.update(merge_inputs)
        else:
            self._require()
            with write_transaction(self.location,
                                   what=f"writing {', '.join(layers)}") as conn:
                staged = PgStore(self.location, self.build_dir, conn=conn)
                old = read_meta(conn, self.location)
                for name, frame in layers.items():
                    put_layer(conn, self.location, name, frame)
                new = old.next({n: frame_digest(f) for n, f in layers.items()},
                               set(staged.layers()), inputs=inputs,
                               merge_inputs=frozenset(merge_inputs))
                write_meta(conn, self.location, new)
        for name in layers:
            self._cache.pop(name, None)

    def layer_writer(self, name: str, layout: Any = None) -> Any:
        """A writer appending layer ``name`` chunk by chunk (staged write only).

        Each chunk is copied into the layer's new table as it comes; mixed single and multi
        parts are promoted at the end, as one write of the whole layer does
        (:class:`layers.store.chunks.PgChunkWriter`); ``layout`` is unused here.
        """
        from layers.store.chunks import PgChunkWriter

        if self._conn is None:
            raise StoreError(f"{self.location}: a layer is written in chunks only into a "
                             "staged write")
        self._cache.pop(name, None)
        return PgChunkWriter(self._conn, self.location, name, self.written)

    def copy_layers_from(self, other: LayerReader, names: list[str]) -> None:
        """Copy layers ``names`` of ``other`` into this private store (a build's carry-over)."""
        import geopandas as gpd
        import pandas as pd

        if self._conn is None:
            raise StoreError(f"{self.location}: layers are copied only into a staged write")
        for name in names:
            frame = other.read(name)
            data = frame if isinstance(frame, gpd.GeoDataFrame) and frame.crs else \
                pd.DataFrame(frame).drop(columns=["geometry"], errors="ignore")
            put_layer(self._conn, self.location, name, data)


# ---------------------------------------------------------------------------- columns
def _zone(kind: str) -> Any:
    """The fixed-offset zone of a ``z±HH:MM`` kind (:func:`_kind`)."""
    from datetime import timedelta, timezone

    sign = -1 if kind[1] == "-" else 1
    hours, minutes = (int(x) for x in kind[2:].split(":"))
    offset = timedelta(hours=hours, minutes=minutes) * sign
    return UTC if not offset else timezone(offset)


def _series(values: Sequence[Any], kind: str, n: int) -> Any:
    """A column read back with the dtype a GeoPackage round trip gives."""
    import numpy as np
    import pandas as pd

    vals = list(values) if n else []
    has_null = any(v is None for v in vals)
    if kind == "i":
        if has_null:
            return pd.Series([np.nan if v is None else float(v) for v in vals],
                             dtype="float64")
        return pd.Series(vals, dtype="int64")
    if kind == "f":
        return pd.Series([np.nan if v is None else v for v in vals], dtype="float64")
    if kind == "b":
        return pd.Series(vals, dtype=object if has_null else "bool")
    if kind == "M":
        return pd.Series(pd.to_datetime(vals)).astype("datetime64[ms]")
    if kind.startswith("z"):
        utc = pd.Series(pd.to_datetime(vals, utc=True), dtype="datetime64[ns, UTC]")
        return utc.dt.tz_convert(_zone(kind)).astype(pd.DatetimeTZDtype("ms", _zone(kind)))
    return pd.Series(vals, dtype="str")
