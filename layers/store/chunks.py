"""Writing one layer of a private (staged) store in consecutive chunks.

A city-size build (``peakmap sample --scale 200``: ≈ 1.5 M buildings) reads, checks and
reprojects a large layer a chunk at a time (:mod:`layers.build_chunks`) and hands each chunk
to a :class:`ChunkWriter` from ``store.layer_writer(name)``; nothing is committed before the
staged store is (:func:`layers.store.txn.store_transaction`), so a failing build still leaves
the previous store intact.

The layer must come out exactly as one write of the whole layer would have made it. Two
things of a layer depend on every feature: its digest (:class:`~layers.store.meta.FrameDigest`
takes the parts) and, in a GeoPackage, its declared geometry type. GDAL (through pyogrio)
declares a layer of Polygons and MultiPolygons as MultiPolygon and promotes every Polygon;
when a later chunk brings a type that changes that choice, the chunks already written were
written with the wrong one: :meth:`ChunkWriter.close` then returns the layout the whole layer
needs, and the caller writes the layer once more with it (:func:`geometry_layout`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from layers.store.meta import FrameDigest

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ChunkWriter", "DiscardingWriter", "GpkgChunkWriter", "Layout", "PgChunkWriter",
           "geometry_layout"]

Layout = tuple[str, bool]
"""(declared geometry type, promote single parts to multi) of a GeoPackage layer."""

_MULTI = {"Polygon": "MultiPolygon", "LineString": "MultiLineString", "Point": "MultiPoint"}


def geometry_layout(types: set[str], has_z: bool) -> Layout:
    """The geometry type and promotion pyogrio chooses for a GeoPackage layer of ``types``.

    The rule of ``pyogrio.write_dataframe`` (pyogrio 0.13, driver GPKG) for a frame whose
    non-null geometries have the type names ``types``.

    Examples
    --------
    >>> geometry_layout({"Polygon"}, False), geometry_layout({"Polygon", "MultiPolygon"}, True)
    (('Polygon', False), ('MultiPolygon Z', True))
    >>> geometry_layout({"Point", "LineString"}, False), geometry_layout(set(), False)
    (('Unknown', False), ('Unknown', False))
    """
    kind, promote = "Unknown", False
    if len(types) == 1:
        kind = next(iter(types))
    elif len(types) == 2:
        for single, multi in _MULTI.items():
            if types == {single, multi}:
                kind, promote = multi, True
    if has_z and kind != "Unknown":
        kind = f"{kind} Z"
    return kind, promote


class ChunkWriter:
    """Base: tracks what the whole layer needs (types, digest, count) as chunks come."""

    def __init__(self, name: str, layout: Layout | None = None) -> None:
        self.name = name
        self.forced = layout
        self.types: set[str] = set()
        self.has_z = False
        self.used: set[Layout] = set()
        self.digest = FrameDigest()
        self.count = 0

    def _see(self, frame: pd.DataFrame) -> Layout:
        import geopandas as gpd

        if isinstance(frame, gpd.GeoDataFrame) and len(frame):
            geoms = frame.geometry
            # as pyogrio: the types of non-null geometries, Z of the non-empty ones
            self.types |= {str(t) for t in geoms.geom_type.dropna().unique()}
            ok = geoms.notna() & ~geoms.is_empty
            self.has_z = self.has_z or bool(geoms[ok].has_z.any())
        layout = self.forced or geometry_layout(self.types, self.has_z)
        self.used.add(layout)
        self.digest.add(frame)
        self.count += len(frame)
        return layout

    def write(self, frame: pd.DataFrame) -> None:
        """Append the next chunk (rows in layer order)."""
        raise NotImplementedError

    def close(self) -> Layout | None:
        """Finish the layer; return None, or the layout to write it again with."""
        raise NotImplementedError


class DiscardingWriter(ChunkWriter):
    """Takes chunks and keeps nothing (a build checking layers after one failed)."""

    def write(self, frame: pd.DataFrame) -> None:
        """Count ``frame`` and let it go."""
        self.count += len(frame)

    def close(self) -> Layout | None:
        """Nothing to finish."""
        return None


class PgChunkWriter(ChunkWriter):
    """Copies chunks into a new table of a staged PostGIS write (:class:`layers.store.PgStore`).

    The table is created from the first chunk, each chunk is copied as it comes (fids
    continuing), and :meth:`close` promotes mixed single/multi parts, indexes the geometry and
    points the catalog at the table (``layers.store.pg.finish_layer``): the layer reads back
    as one ``put_layer`` of the whole layer writes it. Nothing is seen before the commit. An
    aware datetime column reads back in the UTC offset of all its values (UTC when they have
    several, naive when none has a value), whatever the first chunk held: its instants are
    stored as they come, its zone is set at the end.
    """

    def __init__(self, conn: Any, location: Any, name: str, written: dict[str, str]) -> None:
        super().__init__(name)
        self.conn, self.location = conn, location
        self._written = written
        self.table: Any = None

    def write(self, frame: pd.DataFrame) -> None:
        """Copy ``frame`` into the layer's table (the first chunk creates it)."""
        from layers.store.pg_write import copy_rows, create_table, refused_as_store_error

        start = self.count
        self._see(frame)
        with refused_as_store_error(self.location, self.name):
            if self.table is None:
                self.table = create_table(self.conn, self.location, frame, first_chunk=True)
            copy_rows(self.conn, self.table, frame, start)

    def close(self) -> Layout | None:
        """Finish the table and record the layer's digest (never asks for a rewrite)."""
        from layers.store.pg_write import finish_layer, refused_as_store_error

        if self.table is not None:
            with refused_as_store_error(self.location, self.name):
                finish_layer(self.conn, self.location, self.name, self.table, self.count)
            self._written[self.name] = self.digest.hexdigest()
        return None


class GpkgChunkWriter(ChunkWriter):
    """Appends chunks to one layer of a private GeoPackage (:class:`layers.store.Store`)."""

    def __init__(self, path: Path, name: str, written: dict[str, str],
                 layout: Layout | None = None) -> None:
        super().__init__(name, layout)
        self.path = path
        self._written = written

    def write(self, frame: pd.DataFrame) -> None:
        """Append ``frame`` to the layer (the first chunk creates or replaces it)."""
        import geopandas as gpd
        import pandas as pd
        import pyogrio

        first = self.count == 0
        kind, promote = self._see(frame)
        if len(self.used) > 1:
            return  # the layer is written again with the final layout (close)
        data = frame if isinstance(frame, gpd.GeoDataFrame) else pd.DataFrame(frame)
        kw: dict[str, Any] = {}
        if isinstance(data, gpd.GeoDataFrame):
            kw = {"geometry_type": kind, "promote_to_multi": promote}
        if first:
            opts = {"OVERWRITE": "YES"} if self.path.exists() else None
            pyogrio.write_dataframe(data, self.path, layer=self.name, driver="GPKG",
                                    layer_options=opts, **kw)
        else:
            pyogrio.write_dataframe(data, self.path, layer=self.name, driver="GPKG",
                                    append=True, **kw)

    def close(self) -> Layout | None:
        """Record the layer's digest, or return the layout the layer must be rewritten with."""
        final = self.forced or geometry_layout(self.types, self.has_z)
        if self.used - {final}:
            return final
        self._written[self.name] = self.digest.hexdigest()
        return None
