"""Stored polygon layers cut by the communities once per run, shared by the rows that read them.

HP-18 cuts the built-up land by the communities, the park coverage rows cut the residential
land (a part of it) by the same communities: each feature of a layer is cut once per run
(:func:`gis.overlay.split_by_zones`) and every row takes the parts of the features its filter
keeps. The parts are the ones a row would get cutting its own features (the same GEOS calls
on the same geometries); only their order, and so the last digits of sums, may differ.

The memo lives in the run's ``ctx.cache``, keyed by the layer frame that
:func:`layers.indicators.inputs.read_layer` returns (one per layer, year and scenario).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from gis.overlay import Pieces, concat_pieces, split_by_zones
from layers.indicators.inputs import (
    NoData,
    community_geoms,
    filter_mask,
    read_layer,
    theme_params,
)
from layers.indicators.registry import MetricContext
from layers.params import OverlayParams

__all__ = ["cut_layers", "layer_pieces", "overlay_workers"]

_CUTS = "cut:layers"


def overlay_workers(ctx: MetricContext) -> int:
    """Threads for the polygon overlays: ``[params.overlay] workers``, else min(2, CPUs)."""
    if "workers" not in ctx.cache:
        given = theme_params(ctx, OverlayParams).workers
        ctx.cache["workers"] = given if given is not None else min(2, os.cpu_count() or 1)
    workers: int = ctx.cache["workers"]
    return workers


def layer_pieces(ctx: MetricContext, frame: pd.DataFrame, keep: NDArray[np.bool_]) -> Pieces:
    """Parts of the features ``frame[keep]`` in each community (polygons, by area).

    Parameters
    ----------
    ctx : MetricContext
    frame : geopandas.GeoDataFrame
        A layer as :func:`layers.indicators.inputs.read_layer` returns it (the memo is kept
        per frame: pass the returned frame itself, not a copy or a filtered view).
    keep : numpy.ndarray of bool
        One flag per row of ``frame``: the features wanted.

    Returns
    -------
    Pieces
        ``feature`` is the row position in ``frame``; ``zone`` the community's position.
        Features not cut yet in this run are cut now; the others are taken from the memo.
    """
    memo: dict[int, tuple[pd.DataFrame, NDArray[np.bool_], list[Pieces]]] = ctx.cache.setdefault(
        _CUTS, {})
    entry = memo.get(id(frame))
    if entry is None or entry[0] is not frame:
        entry = (frame, np.zeros(len(frame), dtype=bool), [])
        memo[id(frame)] = entry  # the entry holds the frame: its id is not reused meanwhile
    _, done, parts = entry
    keep = np.asarray(keep, dtype=bool)
    todo = np.flatnonzero(keep & ~done)
    if len(todo):
        geoms = np.asarray(frame.geometry.values, dtype=object)[todo]
        cut = split_by_zones(geoms, community_geoms(ctx), measure="area",
                             workers=overlay_workers(ctx))
        parts.append(Pieces(todo[cut.feature], cut.zone, cut.measure, cut.fraction,
                            cut.geometry))
        done[todo] = True
    pieces = concat_pieces(parts)
    return pieces.take(keep[pieces.feature])


def cut_layers(
    ctx: MetricContext, entries: Sequence[Mapping[str, Any]], *, what: str
) -> tuple[Pieces, list[str]]:
    """Parts per community of the features of several ``{layer = ..., where = ...}`` entries.

    The polygon counterpart of :func:`layers.indicators.inputs.read_layers`: the same
    filters, the same notes for absent layers.

    Returns
    -------
    pieces, notes
        The parts of every entry one after another (``feature`` numbers the features of the
        entries in turn, so each entry's features keep numbers of their own), and a note per
        absent layer.

    Raises
    ------
    NoData
        None of the layers exists.
    """
    found: list[Pieces] = []
    notes: list[str] = []
    offset = 0
    for entry in entries:
        name = str(entry["layer"])
        try:
            frame = read_layer(ctx, name)
            keep = filter_mask(ctx, frame, entry, layer_name=name)
        except NoData as e:
            notes.append(str(e))
            continue
        pieces = layer_pieces(ctx, frame, keep)
        found.append(Pieces(pieces.feature + offset, pieces.zone, pieces.measure,
                            pieces.fraction, pieces.geometry))
        offset += len(frame)
    if not found:
        raise NoData(f"{what}: " + "; ".join(notes))
    return concat_pieces(found), notes
