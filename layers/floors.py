"""Floors and floor area of buildings when the delivery lacks them (one definition).

Most building footprints delivered to a district (and every OpenStreetMap extract) carry no
floor count, some a height. On ingest, after reprojection to the metric CRS:

- ``floors`` missing and ``height_m`` known: floors = max(1, round(height ÷ storey height)),
  with ``storey_height_m`` of ``[params.buildings]`` (default 3.0 m [U]);
- ``floor_area_m2`` missing and floors known (given or estimated): footprint area × floors;
- otherwise both stay missing.

``floor_area_source`` records where each floor area came from (``reported``, ``floors``,
``height`` or missing), so every indicator that sums floor area can say how many buildings
were estimated and how many were left out (:func:`floor_area_note`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from layers.labels import bilingual_note
from layers.params import BuildingsParams

__all__ = [
    "BUILDING_DEFAULTS",
    "FLOOR_AREA_COUNTS",
    "FLOOR_AREA_ESTIMATES",
    "FLOOR_AREA_SOURCE",
    "complete_floor_area",
    "floor_area_flags",
    "floor_area_note",
    "floor_area_note_of",
]

#: ``[params.buildings]`` defaults as a dict (:class:`layers.params.BuildingsParams`).
BUILDING_DEFAULTS: dict[str, Any] = BuildingsParams().model_dump()
FLOOR_AREA_SOURCE = "floor_area_source"


def _numbers(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def complete_floor_area(
    buildings: gpd.GeoDataFrame, params: Mapping[str, Any] | None = None
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Fill missing ``floors`` from ``height_m`` and missing ``floor_area_m2`` from floors.

    Parameters
    ----------
    buildings : geopandas.GeoDataFrame
        The buildings layer in a metric CRS.
    params : mapping, optional
        ``[params.buildings]`` over :data:`BUILDING_DEFAULTS`.

    Returns
    -------
    (GeoDataFrame, list of str)
        The layer with ``floors``, ``floor_area_m2`` and ``floor_area_source``, and build
        notes saying how many values were estimated and how many stay missing.

    Examples
    --------
    >>> import shapely
    >>> b = gpd.GeoDataFrame({"floors": [2.0, None, None], "height_m": [None, 10.0, None]},
    ...                      geometry=[shapely.box(0, 0, 10, 10)] * 3, crs="EPSG:4548")
    >>> out, notes = complete_floor_area(b)
    >>> out["floor_area_m2"].tolist(), out["floor_area_source"].tolist()
    ([200.0, 300.0, <NA>], ['floors', 'height', <NA>])
    """
    p = {**BUILDING_DEFAULTS, **(params or {})}
    storey = float(p["storey_height_m"])
    out = buildings.copy()
    floors = _numbers(out, "floors")
    height = _numbers(out, "height_m")
    area = _numbers(out, "floor_area_m2")
    from_height = np.isnan(floors) & (height > 0)
    floors = np.where(from_height, np.maximum(1.0, np.round(height / storey)), floors)
    source = np.full(len(out), None, dtype=object)
    source[~np.isnan(area)] = "reported"
    need = np.isnan(area) & ~np.isnan(floors)
    footprint = np.asarray(out.geometry.area, dtype=float)
    area = np.where(need, footprint * floors, area)
    source[need & ~from_height] = "floors"
    source[need & from_height] = "height"
    out["floors"] = pd.array(floors, dtype="Float64")  # NaN becomes <NA>
    out["floor_area_m2"] = pd.array(area, dtype="Float64")
    out[FLOOR_AREA_SOURCE] = pd.array(source, dtype="string")
    notes = []
    if from_height.any():
        notes.append(
            f"floors: {int(from_height.sum())} estimated from height_m ÷ {storey:g} m "
            "([params.buildings] storey_height_m)"
        )
    if need.any():
        notes.append(f"floor_area_m2: {int(need.sum())} estimated as footprint × floors")
    unknown = np.isnan(area)
    if unknown.any():
        notes.append(
            f"floor_area_m2: {int(unknown.sum())} buildings have no floor area, floors or "
            "height (left out of floor-area indicators)"
        )
    # keep the canonical columns in front, geometry last
    geom = out.geometry.name
    cols = [c for c in out.columns if c != geom] + [geom]
    return out[cols], notes


#: Per-building columns of :func:`floor_area_flags`: every building, and those whose floor
#: area came from floors × footprint, from height, or is missing.
FLOOR_AREA_COUNTS = ("fa_buildings", "fa_floors", "fa_height", "fa_missing")
#: The columns of :data:`FLOOR_AREA_COUNTS` that mark a value estimated (估算).
FLOOR_AREA_ESTIMATES = ("fa_floors", "fa_height")


def floor_area_flags(frame: pd.DataFrame) -> pd.DataFrame:
    """Per building, 1.0 in each column of :data:`FLOOR_AREA_COUNTS` that describes it.

    Summed over a zone's buildings they make that zone's :func:`floor_area_note_of`. A
    frame without ``floor_area_source`` (no ingest) reports every building's area as given.
    """
    if FLOOR_AREA_SOURCE not in frame.columns:
        src = pd.Series("reported", index=frame.index, dtype="string")
    else:
        src = frame[FLOOR_AREA_SOURCE].astype("string")
    return pd.DataFrame({
        "fa_buildings": np.ones(len(frame)),
        "fa_floors": (src == "floors").fillna(False).to_numpy(dtype=float),
        "fa_height": (src == "height").fillna(False).to_numpy(dtype=float),
        "fa_missing": src.isna().to_numpy(dtype=float),
    }, index=frame.index)


def floor_area_note_of(totals: Mapping[str, float]) -> str:
    """The note of :func:`floor_area_note` from summed :data:`FLOOR_AREA_COUNTS`.

    Returns "" when every building reported its floor area.
    """
    total, by_floors, by_height, missing = (int(totals.get(c, 0.0))
                                            for c in FLOOR_AREA_COUNTS)
    if not (by_floors or by_height or missing):
        return ""
    return bilingual_note(
        f"建筑面积：{total} 栋建筑中 {by_floors + by_height} 栋为估算值（{by_floors} "
        f"栋按层数 × 基底面积，{by_height} 栋按高度），{missing} 栋无建筑面积、层数与高度，未计入",
        f"floor area: {by_floors + by_height} of {total} buildings estimated "
        f"({by_floors} from floors × footprint, {by_height} from height), {missing} left out "
        "(no floor area, floors or height)",
    )


def floor_area_note(frame: pd.DataFrame) -> str:
    """How the floor area of these buildings was obtained, for an indicator's note.

    Returns "" when every building reported its floor area. Indicators by zone state each
    zone's own counts (:func:`floor_area_flags`, :func:`floor_area_note_of`).

    Examples
    --------
    The note is in both languages (:func:`layers.labels.bilingual_note`); pages show one.

    >>> from layers.labels import note_label
    >>> frame = pd.DataFrame({"floor_area_source": ["reported", "height", None]})
    >>> print(note_label(floor_area_note(frame), "en"))  # doctest: +ELLIPSIS
    floor area: 1 of 3 buildings estimated (0 from floors × footprint, 1 from height), 1 left out...
    >>> print(note_label(floor_area_note(frame), "zh"))  # doctest: +ELLIPSIS
    建筑面积：3 栋建筑中 1 栋为估算值（0 栋按层数 × 基底面积，1 栋按高度），1 栋无建筑面积...
    """
    if FLOOR_AREA_SOURCE not in frame.columns or not len(frame):
        return ""
    flags = floor_area_flags(frame)
    return floor_area_note_of({c: float(flags[c].sum()) for c in FLOOR_AREA_COUNTS})
