"""Writing one layer of a private (staged) store in consecutive chunks.

A city-size build (``peakmap sample --scale 200``: ≈ 1.5 M buildings) reads, checks and
reprojects a large layer a chunk at a time (:mod:`layers.build_chunks`) and hands the chunks
to a :class:`ChunkWriter` from ``store.layer_writer(name)`` (:meth:`ChunkWriter.write_all`
pulls them; a GeoPackage layer is one Arrow stream); nothing is committed before the
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

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from layers.store.meta import FrameDigest

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ChunkWriter", "DiscardingWriter", "GpkgChunkWriter", "Layout", "PgChunkWriter",
           "arrow_chunk", "geometry_layout"]

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
            import shapely

            geoms = frame.geometry
            # as pyogrio: the types of non-null geometries, Z of the non-empty ones (shapely
            # gives False for both others)
            self.types |= {str(t) for t in geoms.geom_type.dropna().unique()}
            self.has_z = self.has_z or bool(shapely.has_z(geoms.array).any())
        layout = self.forced or geometry_layout(self.types, self.has_z)
        self.used.add(layout)
        self.digest.add(frame)
        self.count += len(frame)
        return layout

    def write(self, frame: pd.DataFrame) -> None:
        """Append the next chunk (rows in layer order)."""
        raise NotImplementedError

    def write_all(self, frames: Iterable[pd.DataFrame]) -> None:
        """Write every chunk of ``frames`` in order (as :meth:`write` one by one).

        An error raised while ``frames`` makes the next chunk propagates unchanged.
        """
        for frame in frames:
            self.write(frame)

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
    """Appends chunks to one layer of a private GeoPackage (:class:`layers.store.Store`).

    :meth:`write_all` streams the chunks to GDAL through Arrow in one write of the layer
    (:func:`arrow_chunk`): the layer is created once and its R-tree built once, when the
    layer is complete, as for a whole-layer write. :meth:`write` appends one chunk as a
    write of its own (GDAL then updates the R-tree row by row, ≈ 3× the CPU of the
    stream, docs/benchmarks.md); a layer whose chunks the stream cannot take (a column
    Arrow would type otherwise than pyogrio's default write, or that changes type between
    chunks beyond a lossless cast) is written again with :meth:`write` (:meth:`close`).
    """

    def __init__(self, path: Path, name: str, written: dict[str, str],
                 layout: Layout | None = None) -> None:
        super().__init__(name, layout)
        self.path = path
        self._written = written
        self._again = False

    def write(self, frame: pd.DataFrame) -> None:
        """Append ``frame`` to the layer (the first chunk creates or replaces it)."""
        self._append(frame, self._see(frame))

    def _append(self, frame: pd.DataFrame, layout: Layout) -> None:
        """Write ``frame`` (already seen) as one write of its own."""
        import geopandas as gpd
        import pandas as pd
        import pyogrio

        if len(self.used) > 1:
            return  # the layer is written again with the final layout (close)
        first = self.count == len(frame)
        kind, promote = layout
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

    def write_all(self, frames: Iterable[pd.DataFrame]) -> None:
        """Write the chunks as one Arrow stream (see the class notes).

        The layer's first layout is kept for the stream: a chunk that changes it, or that
        the stream cannot take, is counted but not written, and :meth:`close` asks for the
        layer again. An error raised while ``frames`` makes a chunk ends the stream and
        propagates unchanged (the staged store is then thrown away).
        """
        import warnings

        import pyarrow as pa
        import pyogrio

        if self.forced is not None or self.count:  # a second write: chunk by chunk
            super().write_all(frames)
            return
        it = iter(frames)
        first = next(it, None)
        if first is None:
            return
        kind, promote = self._see(first)
        head = arrow_chunk(first, promote)
        if head is None:  # a column the stream would write otherwise: chunk by chunk
            self._append(first, (kind, promote))
            del first
            super().write_all(it)
            return
        geometry = _geometry_name(first)
        crs = _crs_text(first) if geometry is not None else None
        del first
        schema = head.schema
        failed: list[BaseException] = []

        def batches() -> Iterator[Any]:
            nonlocal head
            assert head is not None
            yield from head.to_batches()
            head = None
            try:
                for frame in it:
                    self._see(frame)
                    if self._again or len(self.used) > 1:
                        continue  # counted; the layer is written again (close)
                    table = arrow_chunk(frame, promote, schema)
                    del frame
                    if table is None:
                        self._again = True
                        continue
                    yield from table.to_batches()
                    del table
            except GeneratorExit:
                raise
            except BaseException as e:  # GDAL would only see "an error"
                failed.append(e)  # raised again, unchanged, after the write

        opts = {"OVERWRITE": "YES"} if self.path.exists() else None
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "'crs' was not provided", UserWarning)
            try:
                pyogrio.write_arrow(pa.RecordBatchReader.from_batches(schema, batches()),
                                    self.path, layer=self.name, driver="GPKG",
                                    geometry_name=geometry,
                                    geometry_type=kind if geometry is not None else None,
                                    crs=crs, layer_options=opts)
            except Exception:
                if failed:
                    raise failed[0] from None
                raise
        if failed:
            raise failed[0]

    def close(self) -> Layout | None:
        """Record the layer's digest, or return the layout the layer must be rewritten with."""
        final = self.forced or geometry_layout(self.types, self.has_z)
        if self.used - {final} or self._again:
            return final
        self._written[self.name] = self.digest.hexdigest()
        return None


def _geometry_name(frame: pd.DataFrame) -> str | None:
    """The active geometry column of ``frame`` (None: a table without geometry)."""
    import geopandas as gpd

    if isinstance(frame, gpd.GeoDataFrame) and frame._geometry_column_name in frame:
        return str(frame.geometry.name)
    return None


def _crs_text(frame: Any) -> str | None:
    """The CRS as pyogrio's ``write_dataframe`` hands it to GDAL (EPSG code, else WKT1)."""
    if frame.crs is None:
        return None
    epsg = frame.crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else str(frame.crs.to_wkt("WKT1_GDAL"))


def _plain(column: pd.Series) -> bool:
    """A column Arrow hands GDAL as pyogrio's default write does (same field type, values)."""
    import numpy as np
    import pandas as pd

    dtype = column.dtype
    if isinstance(dtype, np.dtype):
        if dtype.kind == "b" or (dtype.kind in "if" and dtype.itemsize == 8) or \
                (dtype.kind == "i" and dtype.itemsize == 4):
            return True
        # text (or nothing) held as Python objects
        return dtype.kind == "O" and pd.api.types.infer_dtype(column) in ("string", "empty")
    return isinstance(dtype, pd.StringDtype | pd.Int64Dtype | pd.Int32Dtype
                      | pd.Float64Dtype | pd.BooleanDtype)


def arrow_chunk(frame: pd.DataFrame, promote: bool, schema: Any = None) -> Any:
    """``frame`` as the Arrow table GDAL writes as pyogrio's default write writes the frame.

    Parameters
    ----------
    frame : pandas.DataFrame or geopandas.GeoDataFrame
        One chunk of a layer.
    promote : bool
        Write Points, LineStrings and Polygons as their multi types (the layer's layout).
    schema : pyarrow.Schema, optional
        The stream's schema (its first chunk's); the table is cast to it.

    Returns
    -------
    pyarrow.Table or None
        Attributes (missing values null, NaN included) then the geometry as WKB; None when
        a column is not plain (dates and times, categories, Python objects other than
        text: pyogrio's default write types them otherwise) or does not cast losslessly
        to ``schema``.
    """
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import shapely

    geometry = _geometry_name(frame)
    attrs = pd.DataFrame(frame, copy=False)
    if geometry is not None:
        attrs = attrs.drop(columns=[geometry])
    if not all(_plain(attrs[c]) for c in attrs.columns):
        return None
    table = pa.Table.from_pandas(attrs, preserve_index=False)
    for i, field in enumerate(table.schema):
        if pa.types.is_null(field.type):  # nothing but missing values: text, as pyogrio
            table = table.set_column(i, field.with_type(pa.string()),
                                     table.column(i).cast(pa.string()))
    if geometry is not None:
        geoms = np.asarray(frame[geometry].array, dtype=object)
        if promote:  # as pyogrio's promote_to_multi
            kinds = shapely.get_type_id(geoms)
            geoms = geoms.copy()
            for single, make in ((0, shapely.multipoints), (1, shapely.multilinestrings),
                                 (3, shapely.multipolygons)):
                mask = kinds == single
                if mask.any():
                    geoms[mask] = make(np.atleast_2d(geoms[mask]), axis=0)
        table = table.append_column(geometry, pa.array(shapely.to_wkb(geoms), pa.binary()))
    if schema is not None:
        if table.schema.names != schema.names:
            return None
        try:
            table = table.cast(schema)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
    return table
