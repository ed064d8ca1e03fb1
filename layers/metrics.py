"""Generic metric kinds: area, shares, counts, per-zone minimums, attributes, reported values.

Each kind returns additive parts per community (see :mod:`layers.indicators.registry`); the
engine sums them to streets and districts and recomputes shares from the sums. Catalog
parameters of each kind are listed in its docstring; the filter language of ``where`` and
``condition`` is described in :mod:`layers.indicators.inputs`.

Splitting rules: a polygon crossing community borders is split by area, a line by length;
a point (and, for counts, a polygon's representative point) goes to the community holding
it, once.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis import InputFileError
from gis.overlay import Pieces, features_in_pieces_area, merge_overlaps, split_by_zones
from layers.demand import FROM_HOMES, HOME_ESTIMATES, community_households, demand_params
from layers.indicators.cut import cut_layers, overlay_workers
from layers.indicators.inputs import (
    NoData,
    community_codes,
    community_geoms,
    filter_frame,
    filter_mask,
    read_layer,
    read_layers,
    zone_index,
)
from layers.indicators.registry import EachZoneMin, MetricContext, MetricResult, metric_kind
from layers.share_notes import NoteCounts

__all__ = [
    "area_share",
    "area_sum",
    "attribute_share",
    "attribute_sum",
    "count",
    "each_zone_min",
    "length_share",
    "reported",
]

PERCENT = 100.0
REPORTED_COLUMNS = ("indicator", "zone_code", "year", "value")
# Excel in China saves CSV as GBK: accept it after UTF-8.
REPORTED_ENCODINGS = ("utf-8-sig", "gb18030")


def _frame(ctx: MetricContext, **columns: Any) -> pd.DataFrame:
    return pd.DataFrame(columns, index=community_codes(ctx))


def _entries(spec: Mapping[str, Any], key: str = "layers") -> list[Mapping[str, Any]]:
    raw = spec.get(key)
    if raw is None and "layer" in spec:
        return [spec]
    if isinstance(raw, str):
        return [{"layer": raw}]
    return [e if isinstance(e, Mapping) else {"layer": e} for e in (raw or [])]


def _result(frame: pd.DataFrame, notes: list[str], **how: Any) -> MetricResult:
    """``frame`` with the non-empty ``notes`` joined, and ``how`` to read it."""
    return MetricResult(frame, note="; ".join(n for n in notes if n), **how)


@metric_kind("area_sum")
def area_sum(ctx: MetricContext, spec: Mapping[str, Any]) -> MetricResult:
    """Area (m²) of the features of one or more layers inside each community.

    Parameters (catalog ``params``)
    -------------------------------
    layers : list of {layer, where, where_any}
        The layers and their filters; their union is measured.
    dissolve : bool, default true
        Overlapping features (also across layers) are counted once.

    Returns
    -------
    MetricResult
        Values: a DataFrame with column ``value`` (m²).
    """
    pieces, notes = cut_layers(ctx, _entries(spec), what="area_sum")
    if spec.get("dissolve", True):
        pieces = merge_overlaps(pieces, workers=overlay_workers(ctx))
    value = pieces.sum_by_zone(None, len(ctx.communities))
    return _result(_frame(ctx, value=value), notes)


def _base_den(ctx: MetricContext, base: Any) -> tuple[Pieces | None, np.ndarray, list[str]]:
    """Return (base cut by communities or None for whole zones, denominator, notes)."""
    zones = community_geoms(ctx)
    if base in (None, "zone"):
        return None, np.asarray(shapely.area(zones), dtype=float), []
    if isinstance(base, Mapping) and "field" in base:
        name = str(base["field"])
        if name not in ctx.communities.columns:
            raise NoData(f"layer communities has no field {name}")
        den = pd.to_numeric(ctx.communities[name], errors="coerce").to_numpy(dtype=float)
        return None, den, []
    entries = _entries(base if isinstance(base, Mapping) else {"layers": base})
    cut, notes = cut_layers(ctx, entries, what="area_share base")
    # cut once: the pieces give the denominator and clip the numerator
    pieces = merge_overlaps(cut, workers=overlay_workers(ctx))
    return pieces, pieces.sum_by_zone(None, len(zones)), notes


@metric_kind("area_share")
def area_share(ctx: MetricContext, spec: Mapping[str, Any]) -> MetricResult:
    """Share of a base covered by features: Σ area(features ∩ base) ÷ Σ area(base).

    Parameters (catalog ``params``)
    -------------------------------
    layers : list of {layer, where}
        The covering features (their union).
    base : "zone" | {layers = [...]} | {field = "population"}
        The base: the whole zone, the union of filtered base layers (the numerator is clipped
        to it), or a community attribute (the numerator is then the plain area, e.g. m² per
        resident with ``scale = 1``).
    scale : float, default 100
        Factor applied to num ÷ den (100 for percent).

    Returns
    -------
    MetricResult
        Values: a DataFrame with columns ``num`` and ``den``; ``den`` is NaN where the zone
        has no base.
    """
    frames, notes = read_layers(ctx, _entries(spec), what="area_share")
    n = len(ctx.communities)
    base_pieces, den, base_notes = _base_den(ctx, spec.get("base", "zone"))
    if base_pieces is None:
        cut, _ = cut_layers(ctx, _entries(spec), what="area_share")
        num = merge_overlaps(cut, workers=overlay_workers(ctx)).sum_by_zone(None, n)
    else:  # the base is cut by the communities already: the features need no cut of their own
        geoms = np.concatenate([np.asarray(f.geometry.values, dtype=object) for f in frames])
        num = features_in_pieces_area(geoms, base_pieces, n, workers=overlay_workers(ctx))
    den = np.where(den > 0, den, np.nan)
    out = _frame(ctx, num=num, den=den)
    return _result(out, notes + base_notes, scale=float(spec.get("scale", PERCENT)))


def _point_zone(ctx: MetricContext, frame: gpd.GeoDataFrame, layer: str) -> np.ndarray:
    """Community index of each feature (:func:`layers.indicators.inputs.zone_index`)."""
    if layer == "communities":
        codes = community_codes(ctx)
        return np.asarray(codes.get_indexer(frame["code"].astype(str)), dtype=np.intp)
    return zone_index(ctx, frame.geometry.values)


def _counts(ctx: MetricContext, frame: gpd.GeoDataFrame, layer: str) -> np.ndarray:
    zone = _point_zone(ctx, frame, layer)
    zone = zone[zone >= 0]
    return np.bincount(zone, minlength=len(ctx.communities)).astype(float)


@metric_kind("count")
def count(ctx: MetricContext, spec: Mapping[str, Any]) -> MetricResult:
    """Number of features inside each community (points by containment).

    Parameters (catalog ``params``)
    -------------------------------
    layer : str
    where, where_any : filter tables
    also : table of {label = {where = ...}}, optional
        Further counts shown in the detail (e.g. planned parks beside existing ones).

    Returns
    -------
    MetricResult
        Values: a DataFrame with column ``value`` and one column per ``also`` label.
    """
    layer = str(spec["layer"])
    frame = read_layer(ctx, layer)
    out = _frame(ctx, value=_counts(ctx, filter_frame(ctx, frame, spec, layer_name=layer), layer))
    for label, extra in (spec.get("also") or {}).items():
        out[label] = _counts(ctx, filter_frame(ctx, frame, extra, layer_name=layer), layer)
    return MetricResult(out)


@metric_kind("each_zone_min")
def each_zone_min(ctx: MetricContext, spec: Mapping[str, Any]) -> MetricResult:
    """Features per zone, for the share of zones holding at least ``min`` of them.

    Parameters (catalog ``params``)
    -------------------------------
    layer : str
    where, where_any : filter tables
    min : int, default 1
        Features a zone needs.
    over : "community" | "street", default "community"
        The zones that must each hold ``min`` features.

    Returns
    -------
    MetricResult
        Values: column ``count`` per community; its ``each_zone_min`` tells the engine to
        report the count at the ``over`` level and, above it, the percent of ``over`` zones
        reaching ``min`` (with the list of those that do not).
    """
    layer = str(spec["layer"])
    frame = filter_frame(ctx, read_layer(ctx, layer), spec, layer_name=layer)
    out = _frame(ctx, count=_counts(ctx, frame, layer))
    rule = EachZoneMin(over=str(spec.get("over", "community")), minimum=int(spec.get("min", 1)))
    return MetricResult(out, each_zone_min=rule)


def _weights_by_zone(
    ctx: MetricContext, frame: gpd.GeoDataFrame, layer: str, by: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per part: (zone index, weight, feature index) for ``by`` count, area, length or field.

    Counts use one point per feature; areas, lengths and fields of polygons and lines are
    split between communities by area (length for lines).
    """
    geoms = np.asarray(frame.geometry.values, dtype=object)
    every = np.arange(len(frame), dtype=np.intp)
    if by == "count":
        return _point_zone(ctx, frame, layer), np.ones(len(frame)), every
    field_values = (
        None
        if by in ("area", "length")
        else pd.to_numeric(frame[by], errors="coerce").fillna(0.0).to_numpy(float)
    )
    types = shapely.get_type_id(geoms)
    if layer == "communities" or (len(geoms) and (types == 0).all()):
        if field_values is None:
            if layer != "communities":
                raise NoData(f"layer {layer} holds points: a share by {by} is undefined")
            field_values = np.asarray(shapely.area(geoms), dtype=float)
        return _point_zone(ctx, frame, layer), field_values, every
    is_line = bool(len(geoms)) and bool(np.isin(types, (1, 2, 5)).all())
    pieces = split_by_zones(
        geoms, community_geoms(ctx), measure="length" if is_line else "area",
        workers=overlay_workers(ctx),
    )
    if field_values is None:
        return pieces.zone, pieces.measure, pieces.feature
    return pieces.zone, field_values[pieces.feature] * pieces.fraction, pieces.feature


def _sum(ctx: MetricContext, zone: np.ndarray, weights: np.ndarray) -> np.ndarray:
    ok = zone >= 0
    return np.bincount(zone[ok], weights=weights[ok], minlength=len(ctx.communities)).astype(
        float
    )


def _require_field(frame: pd.DataFrame, layer: str, field: str) -> None:
    if field not in ("count", "area", "length") and field not in frame.columns:
        raise NoData(f"layer {layer} has no field {field}")


def _known(
    frame: gpd.GeoDataFrame, spec: Mapping[str, Any], layer: str, counts: NoteCounts
) -> gpd.GeoDataFrame:
    """Leave out features lacking a value in any field of ``spec["known"]``, and count them.

    A share whose condition reads a field (e.g. an age from ``install_year``) cannot tell
    whether a feature with no value meets it; such features are left out of both the
    numerator and the denominator, and each zone's note counts its own (with their length
    for lines, area for polygons).
    """
    fields = spec.get("known") or []
    if isinstance(fields, str):
        fields = [fields]
    if not fields or not len(frame):
        return frame
    for name in fields:
        _require_field(frame, layer, str(name))
    unknown = np.zeros(len(frame), dtype=bool)
    for name in fields:
        unknown |= frame[str(name)].isna().to_numpy()
    counts.known(frame, [str(f) for f in fields], layer, unknown)
    return frame[~unknown]


def _zone_of(ctx: MetricContext, layer: str) -> Any:
    return lambda frame: _point_zone(ctx, frame, layer)


@metric_kind("attribute_share")
def attribute_share(ctx: MetricContext, spec: Mapping[str, Any]) -> MetricResult:
    """Share of features meeting a condition, by count, area, length or a field's sum.

    Parameters (catalog ``params``)
    -------------------------------
    layer : str
    where, where_any : filter tables
        The population (denominator).
    condition, condition_any : filter tables
        What the numerator's features also meet.
    by : "count" | "area" | "length" | field name, default "count"
        Polygons are counted at their representative point; area, length and fields are
        split between communities by area (length for lines).
    known : list of str, optional
        Fields that must hold a value: features without one are left out of numerator
        and denominator, and the note counts them.

    Returns
    -------
    MetricResult
        Values: a DataFrame with columns ``num`` and ``den``; ``den`` is NaN where the zone
        has no feature.
    """
    layer = str(spec["layer"])
    by = str(spec.get("by", "count"))
    whole = read_layer(ctx, layer)
    households = None
    if layer == "communities" and by == "households":
        # the one definition of a community's households, estimated from its homes where
        # the community carries none (layers.demand)
        households = community_households(ctx)
        whole = whole.assign(households=households[0].reindex(
            whole["code"].astype(str)).to_numpy())
    frame = filter_frame(ctx, whole, spec, layer_name=layer)
    _require_field(frame, layer, by)
    counts = NoteCounts(ctx, _zone_of(ctx, layer))
    frame = _known(frame, spec, layer, counts)
    counts.undecided(whole, frame, spec, layer)
    if by == "floor_area_m2":
        counts.floor_area(frame)
    meets = filter_mask(ctx, frame, spec, layer_name=layer, key="condition")
    zone, weight, feature = _weights_by_zone(ctx, frame, layer, by)
    part_meets = meets[feature]
    num = _sum(ctx, zone, np.where(part_meets, weight, 0.0))
    den = _sum(ctx, zone, weight)
    out = _frame(ctx, num=num, den=np.where(den > 0, den, np.nan))
    if households is not None:
        demand = demand_params(ctx)
        counts.households(households[1], float(demand.household_area_m2),
                          float(demand.assumed_floors), (FROM_HOMES, *HOME_ESTIMATES))
    return counts.result(out, scale=PERCENT)


@metric_kind("attribute_sum")
def attribute_sum(ctx: MetricContext, spec: Mapping[str, Any]) -> MetricResult:
    """Sum of a numeric field over filtered features (split by area/length across borders).

    Parameters (catalog ``params``)
    -------------------------------
    layer : str
    where, where_any : filter tables
    field : str
        The field summed (missing values count as 0).

    Returns
    -------
    MetricResult
        Values: a DataFrame with column ``value``.
    """
    layer = str(spec["layer"])
    field = str(spec["field"])
    frame = filter_frame(ctx, read_layer(ctx, layer), spec, layer_name=layer)
    _require_field(frame, layer, field)
    zone, weight, _ = _weights_by_zone(ctx, frame, layer, field)
    counts = NoteCounts(ctx, _zone_of(ctx, layer))
    if field == "floor_area_m2":
        counts.floor_area(frame)
    return counts.result(_frame(ctx, value=_sum(ctx, zone, weight)))


@metric_kind("length_share")
def length_share(ctx: MetricContext, spec: Mapping[str, Any]) -> MetricResult:
    """Share of line length meeting a condition, per community (lines split by length).

    Parameters (catalog ``params``)
    -------------------------------
    layer : str
    where, where_any : filter tables
        The lines measured (denominator).
    condition, condition_any : filter tables
        What the numerator's lines also meet.
    known : list of str, optional
        Fields that must hold a value (e.g. ``install_year`` for an age share): lines
        without one are left out of numerator and denominator, and the note says how many.

    Returns
    -------
    MetricResult
        Values: a DataFrame with columns ``num`` and ``den`` (m).
    """
    layer = str(spec["layer"])
    whole = read_layer(ctx, layer)
    frame = filter_frame(ctx, whole, spec, layer_name=layer)
    counts = NoteCounts(ctx, _zone_of(ctx, layer))
    frame = _known(frame, spec, layer, counts)
    counts.undecided(whole, frame, spec, layer)
    meets = filter_mask(ctx, frame, spec, layer_name=layer, key="condition")
    pieces = split_by_zones(
        np.asarray(frame.geometry.values, dtype=object), community_geoms(ctx),
        measure="length", workers=overlay_workers(ctx),
    )
    num = _sum(ctx, pieces.zone, np.where(meets[pieces.feature], pieces.measure, 0.0))
    den = _sum(ctx, pieces.zone, pieces.measure)
    out = _frame(ctx, num=num, den=np.where(den > 0, den, np.nan))
    return counts.result(out, scale=PERCENT)


def read_reported(path: Path) -> pd.DataFrame:
    """Read ``reported.csv`` (columns indicator, zone_code, year, value[, note]), UTF-8 or GBK.

    Raises
    ------
    InputFileError
        The file is unreadable or lacks a column; the message names the file and the line.
    """
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise InputFileError(f"{path}: cannot read reported values ({e})") from e
    for encoding in REPORTED_ENCODINGS:
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InputFileError(
            f"{path}: reported values are neither UTF-8 nor GBK/GB18030 text; save the CSV as "
            "UTF-8"
        )
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    if rows:
        missing = [c for c in REPORTED_COLUMNS if c not in rows[0]]
        if missing:
            raise InputFileError(f"{path}: missing column(s) {', '.join(missing)}")
    for i, row in enumerate(rows, start=2):
        try:
            int(str(row["year"]).strip())
        except ValueError as e:
            raise InputFileError(f"{path}, line {i}: year {row['year']!r} is not a year") from e
    return pd.DataFrame(rows, columns=[*REPORTED_COLUMNS, "note"])


@metric_kind("reported")
def reported(ctx: MetricContext, spec: Mapping[str, Any]) -> MetricResult:
    """Values of non-spatial indicators from the project's ``reported.csv``.

    For each zone the latest year not after the report year is used. Non-numeric values
    (qualitative rows) are passed through as text.

    Parameters (catalog ``params``)
    -------------------------------
    indicator : str, default the row's id
        The ``indicator`` value to read in the CSV.

    Returns
    -------
    MetricResult
        Values: a DataFrame indexed by zone code (any level) with ``value``, ``year`` and
        ``note``; its ``levels`` mark it as already per zone.
    """
    path = ctx.project.reported_path
    if path is None or not path.is_file():
        raise NoData("no reported values file (reported.csv)")
    key = f"reported:{path}"
    if key not in ctx.cache:
        ctx.cache[key] = read_reported(path)
    table: pd.DataFrame = ctx.cache[key]
    name = str(spec.get("indicator", spec.get("id", "")))
    rows = table[table["indicator"].astype(str).str.strip() == name].copy()
    rows["year"] = rows["year"].astype(str).str.strip().astype(int)
    rows = rows[rows["year"] <= ctx.year]
    if rows.empty:
        raise NoData(f"no value for {name} up to {ctx.year} in {path.name}")
    rows = rows.sort_values("year").groupby("zone_code", sort=False).tail(1)
    values = [_number_or_text(v) for v in rows["value"]]
    out = pd.DataFrame(
        {
            "value": pd.Series(values, dtype=object).to_numpy(),
            "year": rows["year"].to_numpy(),
            "note": rows["note"].fillna("").astype(str).to_numpy(),
        },
        index=pd.Index(rows["zone_code"].astype(str).str.strip(), name="code"),
    )
    return MetricResult(out, levels=("district", "street", "community"))


def _number_or_text(value: Any) -> float | str:
    text = str(value).strip()
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return text
