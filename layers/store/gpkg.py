"""The project store: ``PROJECT/build/peakmap.gpkg`` plus processed rasters.

Every canonical layer is stored under its canonical name in the project's metric CRS.
Analyses that produce layers (uncovered residential land, siting proposals, PV fields on
buildings) write them back with :meth:`Store.write_layers`.

How a write stays whole. A write to the project's store holds the project's writer lock
(:mod:`layers.store.lock`), copies the GeoPackage, changes the copy and renames it over
the store: readers keep reading the old file until the rename and are never blocked, and
a failure or a kill leaves the old file untouched. This is the transaction rather than an
in-place SQLite transaction because GDAL replaces a layer by deleting it and creating it
anew outside any one SQLite transaction (pyogrio wraps only the feature inserts), so an
in-place overwrite killed mid-way would lose the layer. A *private* store (a staging copy
inside :func:`layers.store.txn.store_transaction`) is written in place, as nobody else sees
it until the transaction commits.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from layers._errors import StoreError
from layers.store.base import LayerReader, check_bbox
from layers.store.lock import writer_lock
from layers.store.meta import StaleMarks, StoreMeta, frame_digest

if TYPE_CHECKING:  # the geometry stack is imported where layers are read or written, so
    # that commands answering from cached results start without it
    import geopandas as gpd
    import pandas as pd
    from pyproj import CRS

    from layers.store.chunks import GpkgChunkWriter, Layout

__all__ = ["STORE_NAME", "Store"]

STORE_NAME = "peakmap.gpkg"


class Store(StaleMarks):
    """Read and update the GeoPackage store of one project.

    Parameters
    ----------
    build_dir : pathlib.Path
        ``PROJECT/build`` (or a staging folder, for a private store).
    private : bool, default False
        A staging copy nobody else reads: written in place, without the writer lock; the
        digests of the layers written are kept in :attr:`written` for the commit.
    """

    def __init__(self, build_dir: Path, *, private: bool = False) -> None:
        self.build_dir = Path(build_dir)
        self.path = self.build_dir / STORE_NAME
        self.private = private
        self.written: dict[str, str] = {}
        self.marks: dict[str, str] = {}
        self.cleared: set[str] = set()
        self.inputs: dict[str, tuple[str, ...]] = {}
        self.merge_inputs: set[str] = set()
        # whole layers by name, boxed reads by (name, box)
        self._cache: dict[str | tuple[str, tuple[float, float, float, float]],
                          gpd.GeoDataFrame] = {}
        # layer names with the file identity they were read at (see layers())
        self._names: tuple[tuple[int, int, int], list[str]] | None = None

    def exists(self) -> bool:
        """Return True when the store has been built."""
        return self.path.is_file()

    def _require(self) -> None:
        if not self.exists():
            raise StoreError(
                f"{self.path}: the project has not been built yet (run 'peakmap build PROJECT')"
            )

    def layers(self) -> list[str]:
        """Names of the layers in the store (spatial and attribute tables)."""
        self._require()
        # read once per file state: another writer replaces the file (new inode), this
        # object's own writes forget the names
        st = self.path.stat()
        ident = (st.st_ino, st.st_size, st.st_mtime_ns)
        if self._names is None or self._names[0] != ident:
            self._names = (ident, _layer_names(self.path))
        return list(self._names[1])

    def has(self, name: str) -> bool:
        """Return True when the store holds layer ``name``."""
        return self.exists() and name in self.layers()

    @property
    def crs(self) -> CRS:
        """The project's metric CRS (that of the ``districts`` or first spatial layer)."""
        self._require()
        names = self.layers()
        for name in ["districts", *names]:
            if name in names:
                import pyogrio

                info = pyogrio.read_info(self.path, layer=name)
                if info.get("crs"):
                    from pyproj import CRS

                    return CRS.from_user_input(info["crs"])
        raise StoreError(f"{self.path}: no spatial layer with a CRS")

    def read(self, name: str,
             bbox: tuple[float, float, float, float] | None = None) -> gpd.GeoDataFrame:
        """Return layer ``name`` (a copy; the cache keeps the original).

        The copy is shallow: its columns are the cache's until either side writes to them
        (pandas copy-on-write), so a layer read by the store, a report's layer cache and a
        map is held once, and changing the copy never changes the cache.

        Parameters
        ----------
        name : str
            Layer name.
        bbox : tuple of 4 floats, optional
            ``(minx, miny, maxx, maxy)`` in the store's CRS: only the features whose
            geometry intersects this rectangle (touching included; features without a
            geometry left out), in the layer's order. The GeoPackage's R-tree finds the
            candidates, so a small box reads a small part of a large layer. A table without
            geometry is returned whole.

        Raises
        ------
        StoreError
            The store is not built, has no such layer, or ``bbox`` is not a rectangle.
        """
        key = name if bbox is None else (name, check_bbox(self.path, name, bbox))
        if key not in self._cache:
            self._require()
            if name not in self.layers():
                raise StoreError(f"{self.path}: no layer {name!r} in the store")
            if isinstance(key, tuple) and self._spatial(name):
                self._cache[key] = _read_in_box(self.path, name, key[1])
            else:
                self._cache[key] = _read_whole(self.path, name)
        return self._cache[key].copy(deep=False)  # copy-on-write: see above

    def _spatial(self, name: str) -> bool:
        import pyogrio

        return bool(pyogrio.read_info(self.path, layer=name).get("geometry_name"))

    def raster_path(self, name: str) -> Path:
        """Path of processed raster ``name`` (e.g. ``dsm`` → ``build/dsm.tif``)."""
        path = self.build_dir / f"{name}.tif"
        if not path.is_file():
            raise StoreError(f"{path}: raster {name!r} is not in the store")
        return path

    def meta(self) -> StoreMeta:
        """The store's version, layer versions and stale marks (:mod:`layers.store.meta`)."""
        return StoreMeta.read(self.path)

    def version(self) -> str:
        """An id that changes at every write of the store ("" when it is not built).

        Stores written before versions existed get one from the file's identity.
        """
        try:
            st = self.path.stat()
        except OSError:
            return ""
        return self.meta().version or f"file-{st.st_ino}-{st.st_mtime_ns}-{st.st_size}"

    def write_layers(
        self,
        layers: dict[str, gpd.GeoDataFrame | pd.DataFrame],
        *,
        inputs: Mapping[str, Sequence[str]] | None = None,
        merge_inputs: Sequence[str] = (),
    ) -> None:
        """Add or replace layers, atomically (the old file stays intact on any failure).

        Parameters
        ----------
        layers : dict of str to GeoDataFrame or DataFrame
            Layer name to content; existing layers of other names are kept.
        inputs : mapping of str to sequence of str, optional
            For layers computed from other layers (siting proposals): the layers each was
            computed from, recorded with their digests (:class:`~layers.store.meta.StoreMeta`)
            so that it is stale exactly when one of them changes.
        merge_inputs : sequence of str
            Layers of ``inputs`` only partly rewritten (see ``StoreMeta.next``).
        """
        if self.private:
            self._write_in_place(layers)
            for name in layers:
                self.inputs.pop(name, None)
                self.merge_inputs.discard(name)
            self.inputs.update({k: tuple(v) for k, v in (inputs or {}).items()})
            self.merge_inputs.update(merge_inputs)
        else:
            self._require()
            with writer_lock(self.build_dir.parent, what=f"writing {', '.join(layers)}"):
                old = self.meta()
                present = set(self.layers()) | set(layers)
                new = old.next({n: frame_digest(f) for n, f in layers.items()}, present,
                               inputs=inputs, merge_inputs=frozenset(merge_inputs))
                from gis.io import write_gpkg_atomic

                write_gpkg_atomic(self.path, {**layers, **new.tables()}, keep_existing=True)
        self._names = None
        self._forget(layers)

    def _forget(self, names: Iterable[str]) -> None:
        """Drop the cached reads (whole or in a box) of layers ``names``."""
        gone = set(names)
        for key in [k for k in self._cache if (k[0] if isinstance(k, tuple) else k) in gone]:
            del self._cache[key]

    def _write_in_place(self, layers: dict[str, gpd.GeoDataFrame | pd.DataFrame]) -> None:
        import geopandas as gpd
        import pandas as pd
        import pyogrio

        self._names = None
        for name, frame in layers.items():
            opts = {"OVERWRITE": "YES"} if self.path.exists() else None
            data = frame if isinstance(frame, gpd.GeoDataFrame) else pd.DataFrame(frame)
            pyogrio.write_dataframe(data, self.path, layer=name, driver="GPKG",
                                    layer_options=opts)
            self.written[name] = frame_digest(frame)

    def layer_writer(self, name: str, layout: Layout | None = None) -> GpkgChunkWriter:
        """A writer appending layer ``name`` chunk by chunk (private store only).

        See :mod:`layers.store.chunks`: the layer, its digest and its declared geometry type
        come out as one :meth:`write_layers` of the whole layer would make them.
        """
        from layers.store.chunks import GpkgChunkWriter

        if not self.private:
            raise StoreError(f"{self.path}: a layer is written in chunks only into a staging "
                             "store")
        self._names = None
        self._forget([name])
        return GpkgChunkWriter(self.path, name, self.written, layout)

    def copy_layers_from(self, other: LayerReader, names: list[str]) -> None:
        """Copy layers ``names`` of ``other`` into this private store, keeping their versions.

        Used by a build to carry siting proposals over a rebuild.
        """
        import geopandas as gpd
        import pandas as pd
        import pyogrio

        if not self.private:
            raise StoreError(f"{self.path}: layers are copied only into a staging store")
        self._names = None
        for name in names:
            frame = other.read(name)
            data = frame if isinstance(frame, gpd.GeoDataFrame) and frame.crs else \
                pd.DataFrame(frame).drop(columns=["geometry"], errors="ignore")
            opts = {"OVERWRITE": "YES"} if self.path.exists() else None
            pyogrio.write_dataframe(data, self.path, layer=name, driver="GPKG",
                                    layer_options=opts)


# The tables GDAL lists as a GeoPackage's layers, in its order: the feature tables, then the
# attribute tables, each in the order they were registered (gpkg_contents, GeoPackage 1.4 §1.1.3)
_LAYER_NAMES_SQL = (
    "SELECT table_name FROM gpkg_contents WHERE data_type IN ('features', 'attributes') "
    "ORDER BY data_type = 'attributes', rowid"
)


def _layer_names(path: Path) -> list[str]:
    """Names of the layers of the GeoPackage ``path``, as ``pyogrio.list_layers`` gives them.

    Read from the ``gpkg_contents`` table with SQLite (about 1 ms) instead of opening the
    file with GDAL (about 20 ms on the Heping sample ×10), once per run; a file that is no
    GeoPackage SQLite can read is listed by GDAL, which names the problem.
    """
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        try:
            return [str(row[0]) for row in con.execute(_LAYER_NAMES_SQL)]
        finally:
            con.close()
    except sqlite3.Error:
        import pyogrio

        return [str(row[0]) for row in pyogrio.list_layers(path)]


def _read_whole(path: Path, name: str) -> gpd.GeoDataFrame:
    """Layer ``name`` as pyogrio's default read gives it, read through Arrow where that is equal.

    GDAL's Arrow stream of a GeoPackage hands the geometry blobs over as they are stored,
    without building each feature's geometry and field list: about a third of the CPU of the
    feature-by-feature read (a city's layers: seconds). The frame is the same for the
    store's field types (text, integer, real, boolean without nulls); a column Arrow hands
    over as Python objects (a date field: ``datetime.date`` where the default read gives
    datetime64; a boolean with nulls) and an empty layer (its text columns typed otherwise)
    are read the default way (tests/test_store_read.py).

    Memory: pandas keeps text columns as Arrow arrays, which would share the buffers GDAL
    handed over, and through them the whole batch, geometry blobs included, for as long as
    the layer is held (+43 MB peak for ``report --id HP-04 --id HP-18 --id STD-PARK-500`` on
    the Heping sample ×30). Each text column is therefore copied into buffers of its own
    (:func:`_own_text_columns`) and the batch is freed when the read returns; the frames'
    buffers come from the system allocator (Arrow's default pool keeps memory it freed).
    """
    import pyarrow
    import pyogrio

    frame: gpd.GeoDataFrame = pyogrio.read_dataframe(
        path, layer=name, use_arrow=True,
        arrow_to_pandas_kwargs={"memory_pool": pyarrow.system_memory_pool()})
    if not len(frame) or any(str(dtype) == "object" for dtype in frame.dtypes):
        return pyogrio.read_dataframe(path, layer=name)
    _own_text_columns(frame)
    return frame


def _own_text_columns(frame: pd.DataFrame) -> None:
    """Replace each Arrow-backed text column of ``frame`` by a copy in new buffers (in place).

    Examples
    --------
    >>> import pandas as pd, pyarrow as pa
    >>> f = pd.DataFrame({"a": pd.array(["x", None, "yz"], dtype="str"), "n": [1, 2, 3]})
    >>> before = f["a"].array._pa_array.chunk(0).buffers()[2].address
    >>> _own_text_columns(f)
    >>> f["a"].tolist(), f["a"].dtype == "str"
    (['x', nan, 'yz'], True)
    >>> f["a"].array._pa_array.chunk(0).buffers()[2].address != before
    True
    """
    import pandas as pd
    import pyarrow

    for column in frame.columns:
        values = frame[column].array
        chunked = getattr(values, "_pa_array", None)
        if not isinstance(values.dtype, pd.StringDtype) or chunked is None:
            continue
        # concatenation writes every chunk into newly allocated buffers
        fresh = pyarrow.concat_arrays([*chunked.chunks, pyarrow.array([], type=chunked.type)])
        frame[column] = pd.Series(
            type(values)(pyarrow.chunked_array([fresh]), dtype=values.dtype),
            index=frame.index, name=column)


def _read_in_box(path: Path, name: str,
                 bbox: tuple[float, float, float, float]) -> gpd.GeoDataFrame:
    """The features of layer ``name`` whose geometry intersects ``bbox``, in fid order.

    GDAL takes the candidates from the R-tree (envelopes); the exact test is made here
    again with shapely, so that the answer does not hang on whether GDAL was built with
    GEOS (and equals ``ST_Intersects`` with the envelope in PostGIS).
    """
    import pyogrio
    import shapely

    frame = pyogrio.read_dataframe(path, layer=name, bbox=bbox, fid_as_index=True)
    frame = frame.sort_index()
    hit = shapely.intersects(frame.geometry.values, shapely.box(*bbox))
    out: gpd.GeoDataFrame = frame[hit].reset_index(drop=True)
    return out
