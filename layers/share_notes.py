"""What a share's or sum's note counts, kept per community so each zone states its own.

A share leaves out features lacking a ``known`` field, its filters turn down features
whose tested field has no value (:func:`layers.indicators.inputs.undecided_mask`), a sum of
floor area rests on estimated floor areas (:mod:`layers.floors`), a share by households on
estimated households (:mod:`layers.demand`). Each of these is counted per community in a
:class:`NoteCounts`; the engine sums the counts of a zone's communities and makes that
zone's note with :func:`share_note` (:func:`layers.indicators.registry.counted_result`), so
a street's note counts the street's features, not the row's.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.overlay import split_by_zones
from layers.demand import community_households_note
from layers.floors import (
    FLOOR_AREA_COUNTS,
    FLOOR_AREA_ESTIMATES,
    floor_area_flags,
    floor_area_note_of,
)
from layers.indicators.cut import overlay_workers
from layers.indicators.inputs import community_codes, community_geoms, undecided_mask
from layers.indicators.registry import MetricContext, MetricResult, counted_result
from layers.labels import bilingual_note, field_label
from layers.schema import layer_spec

__all__ = ["NoteCounts", "fields_zh", "layer_zh", "share_note"]

Part = tuple[str, tuple[Any, ...]]


def layer_zh(layer: str) -> str:
    """The Chinese title of a canonical layer (its name when it has none)."""
    spec = layer_spec(layer)
    return spec.title_zh if spec else layer


def fields_zh(fields: Iterable[Any]) -> str:
    """Fields by their Chinese labels, then their names: ``敷设年份（install_year）``."""
    names = [str(f) for f in fields]
    return "、".join(field_label(f, "zh") for f in names) + f"（{' / '.join(names)}）"


class NoteCounts:
    """Counts a note states, per community of ``ctx``, and the parts of the note.

    Parameters
    ----------
    ctx : MetricContext
    zone_of : callable
        ``zone_of(frame) -> ndarray of int``: the community (row position, -1 outside) of
        each feature (:func:`layers.metrics.attribute_share` counts polygons at one point).
    """

    def __init__(self, ctx: MetricContext, zone_of: Any) -> None:
        self.ctx = ctx
        self.zone_of = zone_of
        self.columns: dict[str, np.ndarray] = {}
        self.parts: list[Part] = []
        self.estimated: list[str] = []
        self.extra: pd.DataFrame | None = None

    def _add(self, name: str, zone: np.ndarray, weights: Any = None) -> None:
        n = len(self.ctx.communities)
        ok = zone >= 0
        w = None if weights is None else np.asarray(weights, dtype=float)[ok]
        self.columns[name] = np.bincount(zone[ok], weights=w, minlength=n).astype(float)

    def known(self, frame: gpd.GeoDataFrame, fields: list[str], layer: str,
              unknown: np.ndarray) -> None:
        """Features of ``frame`` left out for a missing ``known`` field (``unknown``)."""
        if not unknown.any():
            return
        zone = self.zone_of(frame)
        self._add("known_all", zone)
        self._add("known_n", zone, unknown)
        left = np.asarray(frame.geometry.values[unknown], dtype=object)
        types = shapely.get_type_id(left)
        unit = ("m" if np.isin(types, (1, 2, 5)).all()
                else "m²" if np.isin(types, (3, 6)).all() else "")
        if unit:  # measured as the share measures: split between communities
            pieces = split_by_zones(left, community_geoms(self.ctx),
                                    measure="length" if unit == "m" else "area",
                                    workers=overlay_workers(self.ctx))
            self._add("known_measure", pieces.zone, pieces.measure)
        self.parts.append(("known", (tuple(fields), layer, unit)))

    def undecided(self, layer_frame: pd.DataFrame, population: pd.DataFrame,
                  spec: Mapping[str, Any], layer: str) -> None:
        """Features a share's filters turned down for a missing value only.

        ``where`` (tested on ``layer_frame``): left out of the share; ``condition`` (tested
        on ``population``): counted as not meeting it.
        """
        out, fields = undecided_mask(self.ctx, layer_frame, spec, layer_name=layer,
                                     key="where")
        if out.any():
            self._add("where_n", self.zone_of(layer_frame[out]))
            self.parts.append(("where", (tuple(fields), layer)))
        out, fields = undecided_mask(self.ctx, population, spec, layer_name=layer,
                                     key="condition")
        if out.any():
            zone = self.zone_of(population)
            self._add("condition_all", zone)
            self._add("condition_n", zone, out)
            self.parts.append(("condition", (tuple(fields),)))

    def floor_area(self, frame: pd.DataFrame) -> None:
        """Buildings whose floor area was estimated or is missing (:mod:`layers.floors`)."""
        if "floor_area_source" not in frame.columns or not len(frame):
            return
        zone = self.zone_of(frame)
        flags = floor_area_flags(frame)
        for c in FLOOR_AREA_COUNTS:
            self._add(c, zone, flags[c].to_numpy(dtype=float))
        self.parts.append(("floor_area", ()))
        self.estimated += FLOOR_AREA_ESTIMATES

    def households(self, counts: pd.DataFrame, per_household: float, assumed_floors: float,
                   estimated: Iterable[str]) -> None:
        """Communities whose households were summed from their homes (:mod:`layers.demand`)."""
        self.extra = counts
        self.parts.append(("households", (per_household, assumed_floors)))
        self.estimated += list(estimated)

    def result(self, values: pd.DataFrame, static: Iterable[str] = (), **how: Any
               ) -> MetricResult:
        """The kind's result: ``values``, these counts and ``static`` notes said first."""
        parts: list[Part] = [("static", (t,)) for t in static if t]
        parts += self.parts
        counts = pd.DataFrame(self.columns, index=community_codes(self.ctx))
        if self.extra is not None:
            counts = pd.concat([counts, self.extra], axis=1)
        note_of = functools.partial(share_note, parts=tuple(parts))
        return counted_result(values, counts, note_of, estimated=tuple(self.estimated), **how)


def share_note(totals: Mapping[str, float], *, parts: tuple[Part, ...]) -> str:
    """The note of a zone from its summed counts (:class:`NoteCounts`).

    Examples
    --------
    >>> from layers.labels import note_label
    >>> parts = (("known", (("install_year",), "heating_pipes", "m")),)
    >>> note = share_note({"known_all": 5, "known_n": 1, "known_measure": 100.0}, parts=parts)
    >>> note_label(note, "en")
    'install_year unknown: 1 of 5 features of heating_pipes, 100 m left out of the share'
    >>> share_note({"known_all": 3, "known_n": 0, "known_measure": 0.0}, parts=parts)
    ''
    """
    out = [_part(kind, args, totals) for kind, args in parts]
    return "; ".join(t for t in out if t)


def _part(kind: str, args: tuple[Any, ...], t: Mapping[str, float]) -> str:
    if kind == "static":
        return str(args[0])
    if kind == "floor_area":
        return floor_area_note_of(t)
    if kind == "households":
        return community_households_note(t, per_household=float(args[0]),
                                         assumed_floors=float(args[1]))
    if kind == "known":
        fields, layer, unit = args
        n, total = int(t.get("known_n", 0.0)), int(t.get("known_all", 0.0))
        if not n:
            return ""
        measure = f", {float(t.get('known_measure', 0.0)):,.0f} {unit}" if unit else ""
        return bilingual_note(
            f"{fields_zh(fields)}未知：{layer_zh(layer)} {total} 个要素中 "
            f"{n} 个{measure.replace(', ', '，')}不计入比例（分子与分母）",
            f"{' / '.join(fields)} unknown: {n} of {total} features of {layer}{measure} left "
            "out of the share",
        )
    if kind == "where":
        fields, layer = args
        n = int(t.get("where_n", 0.0))
        return "" if not n else bilingual_note(
            f"{fields_zh(fields)}无值：{layer_zh(layer)}中 {n} 个要素无法判断是否属于统计范围，"
            "不计入比例",
            f"{' / '.join(fields)} has no value: {n} features of {layer} cannot be placed in "
            "the population and are left out of the share")
    if kind == "condition":
        (fields,) = args
        n, m = int(t.get("condition_n", 0.0)), int(t.get("condition_all", 0.0))
        return "" if not n else bilingual_note(
            f"{fields_zh(fields)}无值：统计范围内 {m} 个要素中 {n} 个按不满足条件计",
            f"{' / '.join(fields)} has no value: {n} of {m} features counted as not meeting "
            "the condition")
    raise ValueError(f"unknown note part {kind!r}")
