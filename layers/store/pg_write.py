"""Writing a layer into the PostGIS store: a new table per layer, then the catalog points at it.

:func:`put_layer` writes a whole frame; :class:`layers.store.chunks.PgChunkWriter` the same
table chunk by chunk (:func:`create_table`, :func:`copy_rows`, :func:`finish_layer`). Both
run inside the caller's transaction (:mod:`layers.store.pg`), so nothing is seen before the
commit; single and multi parts mixed in a layer are promoted to multi, as GDAL does in a
GeoPackage.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from layers._errors import StoreError
from layers.store.pgurl import PgLocation

if TYPE_CHECKING:
    import psycopg

__all__ = ["LayerTable", "copy_rows", "create_table", "finish_layer", "ident", "put_layer",
           "refused_as_store_error", "utc_offsets", "zone_kind"]


def ident(*parts: str) -> Any:
    """A quoted SQL identifier (``schema``, ``table``)."""
    from psycopg import sql

    return sql.Identifier(*parts)


def _kind(series: Any) -> str:
    """``b`` bool, ``i`` integer, ``f`` float, ``M`` datetime, ``S`` text (anything else).

    A time-zone-aware datetime column is ``z`` and the zone it reads back in, as a
    GeoPackage round trip (GDAL) gives it: the one UTC offset all its values share
    (``z+08:00``), UTC when they have several; stored as ``timestamptz`` (the instant).
    Aware with no value at all, it reads back naive (``M``), as from the GeoPackage.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.Series(pd.to_datetime(["2020-01-01 08:00", "2020-07-01 08:00"]))
    >>> _kind(t), _kind(t.dt.tz_localize("Asia/Shanghai")), _kind(t.dt.tz_localize("CET"))
    ('M', 'z+08:00', 'z+00:00')
    """
    kind = getattr(series.dtype, "kind", "O")
    if kind == "M" and getattr(series.dtype, "tz", None) is not None:
        return zone_kind(utc_offsets(series))
    return kind if kind in "bifM" else ("i" if kind == "u" else "S")


def utc_offsets(series: Any) -> set[Any]:
    """The UTC offsets (timedelta) of the values of an aware datetime column."""
    values = series.dropna()
    return set((values.dt.tz_localize(None) - values.dt.tz_convert(None)).unique())


def zone_kind(offsets: set[Any]) -> str:
    """The kind of an aware column whose values have ``offsets`` (see :func:`_kind`).

    Examples
    --------
    >>> from datetime import timedelta as td
    >>> zone_kind(set()), zone_kind({td(hours=8)}), zone_kind({td(hours=1), td(hours=2)})
    ('M', 'z+08:00', 'z+00:00')
    >>> zone_kind({td(hours=-3, minutes=-30)})
    'z-03:30'
    """
    if not offsets:
        return "M"
    minutes = int(next(iter(offsets)).total_seconds() // 60) if len(offsets) == 1 else 0
    sign = "-" if minutes < 0 else "+"
    return f"z{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


_GEOM_NAMES = {0: "Point", 1: "LineString", 2: "LineString", 3: "Polygon", 4: "MultiPoint",
               5: "MultiLineString", 6: "MultiPolygon", 7: "GeometryCollection"}
_SQL_TYPE = {"b": "boolean", "i": "bigint", "f": "double precision", "M": "timestamp",
             "z": "timestamptz", "S": "text"}


def _values(series: Any, kind: str) -> list[Any]:
    import pandas as pd

    mask = series.isna().to_numpy()
    if kind.startswith("z"):  # aware: the instant, exact
        return [None if m else v.to_pydatetime() for v, m in zip(series, mask, strict=True)]
    if kind == "M":
        vals = [None if m else v.to_pydatetime() for v, m in
                zip(series.dt.tz_localize(None) if series.dt.tz else series, mask, strict=True)]
        return vals
    if kind == "S":
        return [None if m else str(v) for v, m in zip(series.tolist(), mask, strict=True)]
    plain = series.astype(object).where(~pd.Series(mask, index=series.index), None).tolist()
    if kind == "f":
        return [None if v is None else float(v) for v in plain]
    if kind == "i":
        return [None if v is None else int(v) for v in plain]
    return [None if v is None else bool(v) for v in plain]


def _srid(conn: psycopg.Connection[Any], crs: Any) -> tuple[int, str | None]:
    """(SRID known to PostGIS or 0, the CRS as stored in the catalog)."""
    if crs is None:
        return 0, None
    code = crs.to_epsg(min_confidence=100)
    if code is None:
        return 0, crs.to_wkt()
    row = conn.execute("SELECT srid FROM spatial_ref_sys WHERE auth_name = 'EPSG' AND "
                       "auth_srid = %s", (code,)).fetchone()
    return (int(row[0]) if row else 0), f"EPSG:{code}"


def put_layer(conn: psycopg.Connection[Any], loc: PgLocation, name: str, frame: Any) -> None:
    """Write ``frame`` as a new table and point the catalog at it (inside a transaction).

    Raises
    ------
    StoreError
        The database refused the layer (a value it cannot hold, no privilege), naming the
        store and the layer; the caller's transaction is then rolled back whole.
    """
    with refused_as_store_error(loc, name):
        _put_layer(conn, loc, name, frame)


@contextmanager
def refused_as_store_error(loc: PgLocation, name: str) -> Iterator[None]:
    """Raise what the database refuses in a layer's write as a StoreError naming the layer."""
    import psycopg

    try:
        yield
    except psycopg.errors.QueryCanceled:
        raise
    except psycopg.Error as e:
        raise StoreError(f"{loc}: layer {name!r} could not be written: "
                         f"{' '.join(str(e).split())[:300]}") from e


def _put_layer(conn: psycopg.Connection[Any], loc: PgLocation, name: str, frame: Any) -> None:
    import numpy as np
    import shapely
    table = create_table(conn, loc, frame)
    geoms = None
    if table.spatial:
        geoms = np.asarray(frame.geometry.values, dtype=object)
        ids = {int(t) for t in shapely.get_type_id(geoms) if t >= 0}
        for single, multi, make in ((0, 4, shapely.multipoints), (1, 5, shapely.multilinestrings),
                                    (3, 6, shapely.multipolygons)):
            if ids == {single, multi}:  # as GDAL writes a GeoPackage: all promoted to multi
                idx = np.flatnonzero(shapely.get_type_id(geoms) == single)
                geoms = geoms.copy()
                geoms[idx] = [make([g]) for g in geoms[idx]]
    copy_rows(conn, table, frame, 0, geoms)
    finish_layer(conn, loc, name, table, len(frame))


class LayerTable:
    """A layer's table being written: name, columns and their kinds, SRID, geometry types."""

    def __init__(self, schema: str, tbl: str, attrs: list[Any], kinds: list[str],
                 spatial: bool, srid: int, crs_text: str | None) -> None:
        self.schema, self.tbl, self.attrs, self.kinds = schema, tbl, attrs, kinds
        self.spatial, self.srid, self.crs_text = spatial, srid, crs_text
        self.type_ids: set[int] = set()
        # aware columns of a layer copied in chunks: column index → UTC offsets seen so far
        self.offsets: dict[int, set[Any]] = {}


def create_table(conn: psycopg.Connection[Any], loc: PgLocation, frame: Any, *,
                 first_chunk: bool = False) -> LayerTable:
    """Create the table of a new layer with the columns (and kinds) of ``frame``.

    ``first_chunk``: ``frame`` is the first chunk of the layer; an aware datetime column is
    then ``timestamptz`` whatever its values (``z+00:00`` until :func:`finish_layer` sets the
    kind of every value, given in ``LayerTable.offsets``).
    """
    import geopandas as gpd
    from psycopg import sql

    geom_col = getattr(frame, "_geometry_column_name", None) \
        if isinstance(frame, gpd.GeoDataFrame) else None
    spatial = geom_col is not None and geom_col in frame.columns
    attrs = [c for c in frame.columns if not (spatial and c == geom_col)]
    kinds = [_kind(frame[c]) for c in attrs]
    if first_chunk:
        kinds = ["z+00:00" if _aware(frame[c]) else k for c, k in zip(attrs, kinds, strict=True)]
    tbl = f"l_{uuid.uuid4().hex[:16]}"
    defs: list[Any] = [sql.SQL("fid bigint")]
    defs += [sql.SQL("{c} {ty}").format(c=sql.Identifier(f"c{i}"), ty=sql.SQL(_SQL_TYPE[k[0]]))
             for i, k in enumerate(kinds)]
    srid, crs_text = 0, None
    if spatial:
        srid, crs_text = _srid(conn, frame.crs)
        defs.append(sql.SQL("geom geometry(Geometry, {n})").format(n=sql.Literal(srid)))
    conn.execute(sql.SQL("CREATE TABLE {t} ({d})").format(
        t=ident(loc.schema, tbl), d=sql.SQL(", ").join(defs)))
    table = LayerTable(loc.schema, tbl, attrs, kinds, spatial, srid, crs_text)
    if first_chunk:
        table.offsets = {i: set() for i, c in enumerate(attrs) if _aware(frame[c])}
    return table


def _aware(series: Any) -> bool:
    return getattr(series.dtype, "kind", "O") == "M" and \
        getattr(series.dtype, "tz", None) is not None


def copy_rows(conn: psycopg.Connection[Any], table: LayerTable, frame: Any, start: int,
              geoms: Any = None) -> None:
    """COPY the rows of ``frame`` into ``table`` (fids from ``start``; ``geoms`` overrides)."""
    import numpy as np
    import shapely
    from psycopg import sql

    columns = [_values(frame[c], k) for c, k in zip(table.attrs, table.kinds, strict=True)]
    for i, seen in table.offsets.items():
        seen |= utc_offsets(frame[table.attrs[i]])
    if table.spatial:
        if geoms is None:
            geoms = np.asarray(frame.geometry.values, dtype=object)
        table.type_ids |= {int(t) for t in shapely.get_type_id(geoms) if t >= 0}
        ewkb = shapely.to_wkb(shapely.set_srid(geoms, table.srid), hex=True,
                              include_srid=table.srid > 0)
        columns.append([None if w is None else w for w in ewkb.tolist()])
    names_sql = sql.SQL(", ").join(
        [sql.SQL("fid"), *(sql.Identifier(f"c{i}") for i in range(len(table.attrs))),
         *([sql.SQL("geom")] if table.spatial else [])])
    t = ident(table.schema, table.tbl)
    with conn.cursor() as cur, cur.copy(sql.SQL("COPY {t} ({n}) FROM STDIN").format(
            t=t, n=names_sql)) as copy:
        for fid, row in enumerate(zip(*columns, strict=True) if columns else
                                  [()] * len(frame), start=start):
            copy.write_row((fid, *row))


def finish_layer(conn: psycopg.Connection[Any], loc: PgLocation, name: str, table: LayerTable,
                 count: int) -> None:
    """Promote mixed single/multi parts, index the geometry and point the catalog at it."""
    from psycopg import sql

    t = ident(loc.schema, table.tbl)
    for i, seen in table.offsets.items():  # chunks: the kind of all the values, as one write
        table.kinds[i] = zone_kind(seen)
        if table.kinds[i] == "M":  # no value at all: naive, as from a GeoPackage
            conn.execute(sql.SQL("ALTER TABLE {t} ALTER COLUMN {c} TYPE timestamp").format(
                t=t, c=sql.Identifier(f"c{i}")))
    ids = table.type_ids
    geom_type = None
    if table.spatial:
        for single, multi in ((0, 4), (1, 5), (3, 6)):
            if ids == {single, multi}:  # rows copied as they came (chunks): promote here
                conn.execute(sql.SQL("UPDATE {t} SET geom = ST_Multi(geom) WHERE "
                                     "ST_GeometryType(geom) = %s").format(t=t),
                             (f"ST_{_GEOM_NAMES[single]}",))
                ids = {multi}
        names = {_GEOM_NAMES.get(i, "Geometry") for i in ids}
        geom_type = names.pop() if len(names) == 1 else "Geometry"
        conn.execute(sql.SQL("CREATE INDEX ON {t} USING gist (geom)").format(t=t))
    s = ident(loc.schema)
    old = conn.execute(sql.SQL("SELECT tbl FROM {s}._layers WHERE name = %s FOR UPDATE")
                       .format(s=s), (name,)).fetchone()
    if old is not None:
        conn.execute(sql.SQL("INSERT INTO {s}._retired VALUES (%s, txid_current()) "
                             "ON CONFLICT DO NOTHING").format(s=s), (old[0],))
    conn.execute(sql.SQL(
        "INSERT INTO {s}._layers (name, tbl, geom_type, srid, crs, columns, features) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (name) DO UPDATE SET "
        "tbl = EXCLUDED.tbl, geom_type = EXCLUDED.geom_type, srid = EXCLUDED.srid, "
        "crs = EXCLUDED.crs, columns = EXCLUDED.columns, features = EXCLUDED.features")
        .format(s=s), (name, table.tbl, geom_type, table.srid if table.spatial else None,
                       table.crs_text,
                       json.dumps([[str(c), k] for c, k in
                                   zip(table.attrs, table.kinds, strict=True)]),
                       count))
