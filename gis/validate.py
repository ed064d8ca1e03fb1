"""Geometry checks and repair, and attribute type coercion, vectorised.

Functions here know geometry kinds (polygon, line, point) and value types (str, int, float,
bool), not canonical layers: the domain passes those in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from gis._errors import LayerValidationError

__all__ = [
    "FALSE_WORDS",
    "TRUE_WORDS",
    "GeometryReport",
    "coerce_column",
    "keep_dimension",
    "plain_value",
    "polygon_outlines",
    "repair_geometries",
]

GeomKind = Literal["polygon", "line", "point"]

# shapely type ids accepted by each geometry kind (single and multi part)
_KIND_TYPES: dict[str, tuple[int, ...]] = {
    "point": (shapely.GeometryType.POINT, shapely.GeometryType.MULTIPOINT),
    "line": (shapely.GeometryType.LINESTRING, shapely.GeometryType.MULTILINESTRING),
    "polygon": (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON),
}
_KIND_DIM = {"point": 0, "line": 1, "polygon": 2}

TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1", "是", "有", "达标", "合格"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0", "否", "无", "不达标", "不合格", ""})

# A polygon whose area is below this share of a circle of the same perimeter (4πA / P²) has
# zero area up to rounding: a way traced there and back (2e-6 once reprojected), all nodes in
# one place. A strip 1 cm wide and 1 km long still has 3e-5.
ZERO_AREA_QUOTIENT = 1e-5

# How many offending feature ids a message lists before "..."
MAX_IDS_IN_MESSAGE = 5


@dataclass
class GeometryReport:
    """What :func:`repair_geometries` did to a layer."""

    read: int = 0
    repaired: int = 0
    dropped: int = 0
    repaired_ids: list[str] = field(default_factory=list)
    dropped_ids: list[str] = field(default_factory=list)
    # of the dropped: polygons of zero area, lines of zero length (OSM-style collapsed rings)
    degenerate_ids: list[str] = field(default_factory=list)


def plain_value(value: object) -> str:
    """A cell value as a planner reads it: ``3.5``, ``'一级'``, never ``np.float64(3.5)``.

    Examples
    --------
    >>> plain_value(np.float64(3.5)), plain_value(np.int64(7)), plain_value("一级")
    ('3.5', '7', "'一级'")
    """
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return f"{value:g}" if abs(value) < 1e15 else repr(value)
    if isinstance(value, str):
        return repr(value)
    return str(value)


def _ids_text(ids: list[str]) -> str:
    head = ", ".join(ids[:MAX_IDS_IN_MESSAGE])
    return head + (", ..." if len(ids) > MAX_IDS_IN_MESSAGE else "")


_MULTI = {0: shapely.multipoints, 1: shapely.multilinestrings, 2: shapely.multipolygons}


def keep_dimension(geoms: NDArray[np.object_], dim: int) -> NDArray[np.object_]:
    """Keep only the parts of each geometry with topological dimension ``dim``.

    Returns
    -------
    numpy.ndarray of object
        Single or multi-part geometries; None where no part has that dimension.
    """
    parts, index = shapely.get_parts(geoms, return_index=True)
    while True:  # collections may hold multi-part members: flatten until single parts
        multi = shapely.get_num_geometries(parts) > 1
        nested = multi | (shapely.get_type_id(parts) == shapely.GeometryType.GEOMETRYCOLLECTION)
        if not nested.any():
            break
        sub, sub_idx = shapely.get_parts(parts[nested], return_index=True)
        parts = np.concatenate([parts[~nested], sub])
        index = np.concatenate([index[~nested], index[nested][sub_idx]])
    keep = shapely.get_dimensions(parts) == dim
    out = np.full(len(geoms), None, dtype=object)
    kept_parts, kept_index = parts[keep], index[keep]
    for idx in np.unique(kept_index):
        group = kept_parts[kept_index == idx]
        out[idx] = group[0] if len(group) == 1 else _MULTI[dim](group)
    return out


def polygon_outlines(gdf: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, int]:
    """Replace polygons by their outlines (rings as lines); other geometries stay.

    Returns
    -------
    (GeoDataFrame, int)
        The layer and how many polygons were replaced.

    Examples
    --------
    >>> g = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 2, 1)])
    >>> out, n = polygon_outlines(g)
    >>> n, out.geometry.iloc[0].geom_type, float(out.geometry.iloc[0].length)
    (1, 'LineString', 6.0)
    """
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    poly = np.isin(shapely.get_type_id(geoms), _KIND_TYPES["polygon"])
    if not poly.any():
        return gdf, 0
    geoms = geoms.copy()
    geoms[poly] = shapely.boundary(geoms[poly])
    out = gdf.copy()
    out.geometry = gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs)
    return out, int(poly.sum())


def _degenerate(geoms: NDArray[np.object_], kind: str) -> NDArray[np.bool_]:
    """Polygons of zero area (up to rounding) and lines of zero length."""
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    out = np.zeros(len(geoms), dtype=bool)
    if kind == "point" or not ok.any():
        return out
    with np.errstate(invalid="ignore", divide="ignore"):
        length = shapely.length(geoms[ok])
        if kind == "polygon":  # isoperimetric quotient: scale-free, works in degrees too
            out[ok] = ~(4 * np.pi * shapely.area(geoms[ok]) / length**2 > ZERO_AREA_QUOTIENT)
        else:
            out[ok] = ~(length > 0)
    return out


def repair_geometries(
    gdf: gpd.GeoDataFrame,
    kind: GeomKind,
    *,
    ids: pd.Series,
    label: str,
    strict: bool = False,
) -> tuple[gpd.GeoDataFrame, GeometryReport]:
    """Check geometry types, drop empty geometries and repair invalid ones.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The layer.
    kind : {"polygon", "line", "point"}
        The geometry kind the layer must hold (single or multi part).
    ids : pandas.Series
        Feature identifiers used in messages, aligned with ``gdf``.
    label : str
        How the layer is named in messages (file and layer).
    strict : bool, default False
        Refuse invalid geometries instead of repairing them.

    Returns
    -------
    (GeoDataFrame, GeometryReport)
        The layer without null/empty geometries and zero-area polygons (zero-length
        lines), which are dropped and counted apart, and with invalid ones repaired by
        :func:`shapely.make_valid` (keeping only parts of the layer's dimension).

    Raises
    ------
    LayerValidationError
        A feature has the wrong geometry type, a NaN or infinite vertex, or (``strict``) an
        invalid geometry.
    """
    report = GeometryReport(read=len(gdf))
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    id_arr = ids.astype(str).to_numpy()

    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    types = shapely.get_type_id(geoms)

    wrong = ~empty & ~np.isin(types, _KIND_TYPES[kind])
    if wrong.any():
        first = int(np.flatnonzero(wrong)[0])
        found = shapely.get_type_id(geoms[first])
        name = shapely.GeometryType(found).name.lower()
        raise LayerValidationError(
            f"{label}, feature {id_arr[first]}: geometry is {name}, the layer needs {kind}s "
            f"({int(wrong.sum())} features of the wrong type)"
        )

    coords, owner = shapely.get_coordinates(geoms[~empty], include_z=True, return_index=True)
    not_finite = ~np.isfinite(coords[:, :2]).all(axis=1)
    if not_finite.any():
        bad = np.flatnonzero(~empty)[np.unique(owner[not_finite])]
        raise LayerValidationError(
            f"{label}, feature {id_arr[bad[0]]}: a vertex is NaN or infinite "
            f"({float(coords[not_finite][0, 0])!r}, {float(coords[not_finite][0, 1])!r}); "
            f"{len(bad)} features with such vertices: {_ids_text(list(id_arr[bad]))}"
        )

    invalid = ~empty & ~shapely.is_valid(geoms)
    if invalid.any():
        bad_ids = list(id_arr[invalid])
        if strict:
            reason = shapely.is_valid_reason(geoms[invalid][0])
            raise LayerValidationError(
                f"{label}, feature {bad_ids[0]}: invalid geometry ({reason}); "
                f"{len(bad_ids)} invalid features: {_ids_text(bad_ids)}"
            )
        fixed = keep_dimension(shapely.make_valid(geoms[invalid]), _KIND_DIM[kind])
        geoms = geoms.copy()
        geoms[invalid] = fixed
        now_empty = shapely.is_missing(fixed) | shapely.is_empty(fixed)
        report.repaired = int((~now_empty).sum())
        report.repaired_ids = [i for i, e in zip(bad_ids, now_empty, strict=True) if not e]
        empty = empty.copy()
        empty[invalid] = now_empty

    given = ~(shapely.is_missing(np.asarray(gdf.geometry.array, dtype=object))
              | shapely.is_empty(np.asarray(gdf.geometry.array, dtype=object)))
    degenerate = given & (empty | _degenerate(geoms, kind))
    report.degenerate_ids = list(id_arr[degenerate])
    empty = empty | degenerate
    report.dropped = int(empty.sum())
    report.dropped_ids = list(id_arr[empty])
    out = gdf.copy()
    out.geometry = gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs)
    out = out.loc[~empty].reset_index(drop=True)
    return out, report


def coerce_column(
    values: pd.Series,
    type_: Literal["str", "int", "float", "bool"],
    *,
    ids: pd.Series,
    label: str,
    field_name: str,
    choices: tuple[str, ...] | None = None,
    aliases: dict[str, str] | None = None,
) -> pd.Series:
    """Convert a column to its canonical type, refusing values that do not convert.

    Parameters
    ----------
    values : pandas.Series
        The source column.
    type_ : {"str", "int", "float", "bool"}
        The canonical type. Empty cells become missing values (``<NA>``).
    ids : pandas.Series
        Feature identifiers for messages.
    label : str
        File and layer, for messages.
    field_name : str
        The canonical field name, for messages.
    choices : tuple of str, optional
        Allowed values of a text field.
    aliases : dict, optional
        Other spellings (e.g. Chinese terms) mapped to allowed values before checking.

    Returns
    -------
    pandas.Series
        ``string``, ``Int64``, ``Float64`` or ``boolean`` dtype.

    Raises
    ------
    LayerValidationError
        A value cannot be converted or is not among ``choices``; names the first feature.

    Examples
    --------
    >>> import pandas as pd
    >>> coerce_column(pd.Series(["是", "否", ""]), "bool", ids=pd.Series([1, 2, 3]),
    ...               label="x", field_name="f").tolist()
    [True, False, <NA>]
    """
    if type_ == "str" and pd.api.types.is_float_dtype(values.dtype):
        # a numeric code column with gaps is read as float: 120101.0 is the code "120101"
        values = values.map(
            lambda v: str(int(v)) if v == v and float(v).is_integer() else v, na_action="ignore"
        )
    text = values.astype("string").str.strip()
    blank = text.isna() | (text == "")

    def fail(mask: pd.Series, what: str) -> LayerValidationError:
        pos = int(np.flatnonzero(mask.to_numpy())[0])
        n = int(mask.sum())
        return LayerValidationError(
            f"{label}, field {field_name}, feature {ids.iloc[pos]}: "
            f"{plain_value(values.iloc[pos])} "
            f"is not {what} ({n} such value{'s' if n != 1 else ''})"
        )

    if type_ == "str":
        out = text.mask(blank)
        if aliases:
            out = out.replace(aliases)
        if choices is not None:
            bad = ~out.isna() & ~out.isin(choices)
            if bad.any():
                raise fail(bad.fillna(False), "one of " + ", ".join(choices))
        return out
    if type_ == "bool":
        if pd.api.types.is_bool_dtype(values.dtype):
            return values.astype("boolean")
        if pd.api.types.is_numeric_dtype(values.dtype):
            # GDAL's boolean fields come as 1.0/0.0 once they have a gap (NaN)
            num = values.astype("Float64")
            bad_n = (num.notna() & ~num.isin([0, 1])).fillna(False).astype(bool)
            if bad_n.any():
                raise fail(bad_n, "a yes/no value")
            return (num == 1).astype("boolean")
        low = text.str.lower()
        is_true = low.isin(TRUE_WORDS).fillna(False)
        is_false = low.isin(FALSE_WORDS).fillna(False) | blank
        bad = ~(is_true | is_false)
        if bad.any():
            raise fail(bad, "a yes/no value")
        out_b = pd.Series(pd.NA, index=values.index, dtype="boolean")
        out_b[is_true] = True
        out_b[is_false & ~blank] = False
        return out_b
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(
        values.dtype
    ):
        num = values.astype("Float64")
    else:
        num = pd.to_numeric(text.mask(blank), errors="coerce").astype("Float64")
        bad = num.isna() & ~blank
        if bad.any():
            raise fail(bad.fillna(False), "a number")
    if type_ == "int":
        frac = (num.round() != num).fillna(False)
        if frac.any():
            raise fail(frac, "a whole number")
        return num.round().astype("Int64")
    return num
