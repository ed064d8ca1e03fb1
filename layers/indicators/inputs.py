"""What metric kinds share: reading a layer for a scenario and year, filters, zone arrays.

A metric kind signals that it cannot compute a row (a layer or field is absent) by raising
:class:`NoData`; the engine turns it into ``no-data`` records carrying the message as a note.

Filter language (the ``where`` tables of a catalog row)
-------------------------------------------------------
``where = {field = condition, ...}`` keeps the features meeting every condition (AND);
``where_any = [{...}, {...}]`` additionally keeps only features meeting at least one of the
tables (OR). A condition is

- a scalar: equality (``status = "existing"``, ``compliant = true``);
- a list: membership (``class = ["G11", "G12"]``);
- a table of operators, all of which must hold: ``"=="``, ``"!="``, ``">="``, ``">"``, ``"<="``,
  ``"<"``, ``"in"``, ``"not_in"``, ``"null"`` (true: the value is missing),
  ``"age_over"`` (report year − value > n), ``"age_at_most"`` (report year − value ≤ n),
  ``"by_year"`` (true: set and ≤ the report year; false: missing or later than it).

A value written ``"$year"`` is the report year; ``"$theme.key"`` is the parameter ``key`` of
``[params.theme]`` (:func:`theme_params`: default < catalog < manifest). Missing values never
meet a comparison.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from gis.overlay import assign_points
from layers.indicators.registry import MetricContext
from layers.params import THEMES, ThemeParams
from layers.schema import CANONICAL

__all__ = [
    "LAYER_YEAR_FIELD",
    "PARAMS_USED",
    "READ_SCOPE",
    "UPDATE_LAYERS",
    "NoData",
    "ReadScope",
    "community_codes",
    "community_geoms",
    "filter_frame",
    "level_missing",
    "param",
    "read_layer",
    "read_layers",
    "read_scope",
    "require_communities",
    "resolve_value",
    "scenario_features",
    "theme_params",
    "undecided_mask",
    "zone_codes",
    "zone_index",
]

#: Status a proposed feature takes in a scenario: the scenario is the state once it is built.
SCENARIO_STATUS = "existing"
#: Column marking features that come from a proposal (True) in a scenario's layer.
PROPOSED_FIELD = "proposed"

# Features that did not exist yet in the report year are left out: the year field of each
# layer that has one (a missing year means "existed").
LAYER_YEAR_FIELD: dict[str, str] = {
    "buildings": "built_year",
    "green_spaces": "built_year",
    "pocket_parks": "built_year",
    "recycling_points": "opened_year",
    "heating_pipes": "install_year",
}

# Proposal layers that change existing features instead of adding new ones: base layer →
# (suffix of the scenario layer, field it sets). The scenario layer's rows name a base
# feature by ``id``; the field takes the row's value, or the report year where it is empty
# (a proposed renewal is done by the report year, as proposed sites exist by then).
# A measured ``loss_w_per_m`` of a renewed pipe no longer applies (it was the old pipe's).
UPDATE_LAYERS: dict[str, tuple[str, str]] = {
    "heating_pipes": ("heating_renewal", "renovated_year"),
}
_CLEARED_BY_UPDATE = ("loss_w_per_m",)

_COMPARE = {
    "==": np.equal,
    "!=": np.not_equal,
    ">=": np.greater_equal,
    ">": np.greater,
    "<=": np.less_equal,
    "<": np.less,
}


# ctx.cache key of the parameters a row used (the engine lists them in the row's note).
PARAMS_USED = "params_used"


class NoData(Exception):  # noqa: N818 - a signal, not an error
    """The row cannot be computed from the store; the message says what is missing."""


P = TypeVar("P", bound=ThemeParams)


def theme_params(ctx: MetricContext, model: type[P]) -> P:
    """The ``[params.<theme>]`` values of a run: defaults < catalog < manifest.

    The catalog is the run's (``ctx.cache["catalog_params"]``, set by the engine), else the
    project's own; the result is kept for the run.

    Parameters
    ----------
    ctx : MetricContext
    model : type
        The theme's model, e.g. :class:`layers.params.CoverageParams`.

    Returns
    -------
    ThemeParams
        An instance of ``model`` (:meth:`layers.project.Project.params`).
    """
    key = f"params:{model.THEME}"
    if key not in ctx.cache:
        ctx.cache[key] = ctx.project.params(model, catalog=ctx.cache.get("catalog_params"))
    found: P = ctx.cache[key]
    return found


def param(ctx: MetricContext, ref: str) -> Any:
    """Return parameter ``"theme.key"`` (:func:`theme_params`).

    Parameters
    ----------
    ctx : MetricContext
    ref : str
        ``"theme.key"``, e.g. ``"heating.renewal_age_years"``.

    Returns
    -------
    object
        The value.

    Raises
    ------
    NoData
        No theme model has this key.
    """
    theme, _, key = ref.partition(".")
    model = THEMES.get(theme)
    if model is None or key not in model.model_fields:
        raise NoData(f"parameter {ref} does not exist (no key {key} in [params.{theme}])")
    value = getattr(theme_params(ctx, model), key)
    ctx.cache.setdefault(PARAMS_USED, {})[ref] = value
    return value


def resolve_value(ctx: MetricContext, value: Any) -> Any:
    """Replace ``"$year"`` and ``"$theme.key"`` references (also inside lists)."""
    if isinstance(value, list):
        return [resolve_value(ctx, v) for v in value]
    if isinstance(value, str) and value.startswith("$"):
        return ctx.year if value == "$year" else param(ctx, value[1:])
    return value


def _store_layers(ctx: MetricContext) -> set[str]:
    if "store_layers" not in ctx.cache:
        ctx.cache["store_layers"] = set(ctx.store.layers()) if ctx.store.exists() else set()
    names: set[str] = ctx.cache["store_layers"]
    return names


def level_missing(level: str) -> str:
    """The no-data reason of a row that needs zone ``level`` the project lacks.

    >>> level_missing("community")
    'needs the community level, which this project does not have'
    """
    return f"needs the {level} level, which this project does not have"


def require_communities(ctx: MetricContext) -> None:
    """Refuse a row about communities themselves when the project has none.

    Without a communities layer the finest zones the project has (streets or the district)
    stand in for them (:func:`layers.indicators.zones.load_zones`); a share *of
    communities* computed over them would be a share of streets or of the one district.

    Raises
    ------
    NoData
        The store holds no communities layer.
    """
    if "communities" not in _store_layers(ctx):
        raise NoData(level_missing("community"))


#: ``ctx.cache`` key of the :class:`ReadScope` of a context that reads a neighbourhood only.
READ_SCOPE = "read:scope"


@dataclass(frozen=True)
class ReadScope:
    """What a context reads of each stored layer: a box, the features given, or all.

    A district's task on Dask (:mod:`layers.indicators.neighbourhood`) reads the features
    that can reach its communities, not the whole city. Without a scope in ``ctx.cache``
    (:data:`READ_SCOPE`) every layer is read whole.

    Attributes
    ----------
    box : tuple of 4 floats
        ``(minx, miny, maxx, maxy)``: layers not named below are read in this box
        (:meth:`layers.store.Store.read` ``bbox``).
    boxes : dict
        Layer name → its own box.
    frames : dict
        Layer name → the features to use (already chosen, e.g. whole parks).
    """

    box: tuple[float, float, float, float]
    boxes: Mapping[str, tuple[float, float, float, float]] = dataclasses.field(default_factory=dict)
    frames: Mapping[str, gpd.GeoDataFrame] = dataclasses.field(default_factory=dict)

    def read(self, store: Any, name: str) -> gpd.GeoDataFrame:
        """Layer ``name`` of ``store`` as this scope reads it."""
        if name in self.frames:
            frame: gpd.GeoDataFrame = self.frames[name].copy()
            return frame
        found: gpd.GeoDataFrame = store.read(name, bbox=self.boxes.get(name, self.box))
        return found


def read_scope(ctx: MetricContext) -> ReadScope | None:
    """The context's :class:`ReadScope`, or None when it reads every layer whole."""
    scope: ReadScope | None = ctx.cache.get(READ_SCOPE)
    return scope


def read_layer(ctx: MetricContext, name: str, *, as_of_year: bool = True,
               whole: bool = False) -> gpd.GeoDataFrame:
    """Read a layer as it stands in the report year and scenario.

    Parameters
    ----------
    ctx : MetricContext
    name : str
        Canonical layer name.
    as_of_year : bool
        Leave out features whose year field (:data:`LAYER_YEAR_FIELD`) is after the report
        year.
    whole : bool
        Read the whole layer also where the context reads a neighbourhood only
        (:class:`ReadScope`; for a figure about the whole layer, as a count in a note).

    Returns
    -------
    geopandas.GeoDataFrame
        The base layer plus the scenario's proposed features (:func:`scenario_features`),
        which count as built: their ``status`` becomes :data:`SCENARIO_STATUS` and the
        column :data:`PROPOSED_FIELD` marks them.

    Raises
    ------
    NoData
        The store has no such layer.
    """
    scope = None if whole else read_scope(ctx)
    key = f"layer:{name}:{ctx.scenario}:{ctx.year}:{as_of_year}" + (":near" if scope else "")
    if key in ctx.cache:
        cached: gpd.GeoDataFrame = ctx.cache[key]
        return cached
    names = _store_layers(ctx)
    if name not in names:
        raise NoData(f"layer {name} is not in the store")
    frame = ctx.store.read(name) if scope is None else scope.read(ctx.store, name)
    proposal = scenario_features(ctx, name)
    if proposal is not None and len(proposal):
        proposal = proposal.to_crs(frame.crs)
        if "status" in frame.columns or "status" in proposal.columns:
            proposal = proposal.assign(status=SCENARIO_STATUS)
        frame = gpd.GeoDataFrame(
            pd.concat(
                [frame.assign(**{PROPOSED_FIELD: False}),
                 proposal.assign(**{PROPOSED_FIELD: True})],
                ignore_index=True,
            ),
            geometry=frame.geometry.name, crs=frame.crs,
        )
    if ctx.scenario:
        frame = _apply_updates(ctx, name, frame, names)
    year_field = LAYER_YEAR_FIELD.get(name)
    if as_of_year and year_field and year_field in frame.columns:
        years = pd.to_numeric(frame[year_field], errors="coerce")
        later = years.to_numpy(dtype=float, na_value=np.nan) > ctx.year  # missing: existed
        if later.any():  # a copy of the layer only when something is left out
            frame = frame[~later]
    gone = (frame.geometry.isna() | frame.geometry.is_empty).to_numpy(dtype=bool)
    if gone.any():
        frame = frame[~gone]
    ctx.cache[key] = frame
    return frame


def _apply_updates(
    ctx: MetricContext, name: str, frame: gpd.GeoDataFrame, names: set[str]
) -> gpd.GeoDataFrame:
    """Apply the scenario's update layer of ``name`` (see :data:`UPDATE_LAYERS`)."""
    if name not in UPDATE_LAYERS or "id" not in frame.columns:
        return frame
    suffix, field = UPDATE_LAYERS[name]
    layer = f"{ctx.scenario}__{suffix}"
    if layer not in names:
        return frame
    rows = pd.DataFrame(ctx.store.read(layer))
    if "id" not in rows.columns or not len(rows):
        return frame
    given = (pd.to_numeric(rows[field], errors="coerce") if field in rows.columns
             else pd.Series(np.nan, index=rows.index))
    value = pd.Series(given.fillna(ctx.year).to_numpy(), index=rows["id"].astype(str))
    value = value[~value.index.duplicated(keep="last")]
    ids = frame["id"].astype(str)
    hit = ids.isin(value.index).to_numpy()
    if not hit.any():
        return frame
    frame = frame.copy()
    current = (pd.to_numeric(frame[field], errors="coerce") if field in frame.columns
               else pd.Series(np.nan, index=frame.index))
    frame[field] = current.where(~hit, ids.map(value))
    for col in _CLEARED_BY_UPDATE:
        if col in frame.columns:
            frame[col] = pd.to_numeric(frame[col], errors="coerce").where(~hit)
    return frame


def scenario_features(ctx: MetricContext, name: str) -> gpd.GeoDataFrame | None:
    """The proposed features of layer ``name`` in the context's scenario, or None.

    ``ctx.proposals`` (features not stored yet, e.g. a ``--no-apply`` preview) wins over the
    stored layer ``<scenario>__<name>``.
    """
    if not ctx.scenario:
        return None
    if name in ctx.proposals:
        return ctx.proposals[name]
    stored = f"{ctx.scenario}__{name}"
    if stored in _store_layers(ctx):
        return ctx.store.read(stored)
    return None


def read_layers(
    ctx: MetricContext, entries: Sequence[Mapping[str, Any]], *, what: str
) -> tuple[list[gpd.GeoDataFrame], list[str]]:
    """Read and filter several ``{layer = ..., where = ...}`` entries.

    Returns
    -------
    frames, notes
        The filtered frames of the layers that exist, and a note per absent layer.

    Raises
    ------
    NoData
        None of the layers exists.
    """
    frames: list[gpd.GeoDataFrame] = []
    notes: list[str] = []
    for entry in entries:
        name = str(entry["layer"])
        try:
            frames.append(filter_frame(ctx, read_layer(ctx, name), entry, layer_name=name))
        except NoData as e:
            notes.append(str(e))
    if not frames:
        raise NoData(f"{what}: " + "; ".join(notes))
    return frames, notes


def _condition(ctx: MetricContext, column: pd.Series, cond: Any) -> NDArray[np.bool_]:
    cond = resolve_value(ctx, cond)
    if isinstance(cond, list):
        return np.asarray(column.isin(cond), dtype=bool)
    if not isinstance(cond, Mapping):
        return np.asarray(column.eq(cond).fillna(False), dtype=bool)
    ok = np.ones(len(column), dtype=bool)
    numeric = pd.to_numeric(column, errors="coerce") if column.dtype == object else column
    present = column.notna().to_numpy()
    for op, raw in cond.items():
        arg = resolve_value(ctx, raw)
        if op in _COMPARE:
            if isinstance(arg, str):
                res = np.asarray(_COMPARE[op](column.astype(object), arg), dtype=bool)
            else:
                res = np.asarray(
                    _COMPARE[op](numeric.to_numpy(dtype=float, na_value=np.nan), float(arg)),
                    dtype=bool,
                )
            ok &= res & present
        elif op == "in":
            ok &= np.asarray(column.isin(list(arg)), dtype=bool)
        elif op == "not_in":
            ok &= ~np.asarray(column.isin(list(arg)), dtype=bool) & present
        elif op == "null":
            ok &= ~present if arg else present
        elif op in ("age_over", "age_at_most"):
            age = ctx.year - numeric.to_numpy(dtype=float, na_value=np.nan)
            with np.errstate(invalid="ignore"):
                res = age > float(arg) if op == "age_over" else age <= float(arg)
            ok &= np.asarray(res, dtype=bool) & present
        elif op == "by_year":
            vals = numeric.to_numpy(dtype=float, na_value=np.nan)
            with np.errstate(invalid="ignore"):
                done = present & (vals <= ctx.year)
            ok &= done if arg else ~done
        else:
            raise NoData(f"unknown filter operator {op!r}")
    return ok


# operators that say themselves what a missing value means
_DECIDES_MISSING = frozenset({"null", "by_year"})


def _table_mask(
    ctx: MetricContext, frame: pd.DataFrame, table: Mapping[str, Any], *, layer_name: str,
    lenient: bool = False,
) -> NDArray[np.bool_]:
    mask = np.ones(len(frame), dtype=bool)
    for field, cond in table.items():
        if field not in frame.columns:
            raise NoData(f"layer {layer_name} has no field {field}")
        ok = _condition(ctx, frame[field], cond)
        if lenient and not (isinstance(cond, Mapping) and _DECIDES_MISSING & set(cond)):
            ok = ok | frame[field].isna().to_numpy(dtype=bool)
        mask &= ok
    return mask


def filter_frame(
    ctx: MetricContext,
    frame: pd.DataFrame,
    spec: Mapping[str, Any],
    *,
    layer_name: str,
    key: str = "where",
) -> Any:
    """Keep the rows meeting ``spec[key]`` and ``spec[key + "_any"]`` (see module docs).

    Parameters
    ----------
    ctx : MetricContext
    frame : pandas.DataFrame or geopandas.GeoDataFrame
    spec : mapping
        A catalog entry holding the filter tables.
    layer_name : str
        Used in messages.
    key : str
        ``"where"`` (the population) or ``"condition"`` (a share's numerator).

    Returns
    -------
    Same type as ``frame``
        The filtered rows.

    Raises
    ------
    NoData
        A filter names a field the layer does not have.
    """
    mask = filter_mask(ctx, frame, spec, layer_name=layer_name, key=key)
    return frame[mask]


def filter_mask(
    ctx: MetricContext,
    frame: pd.DataFrame,
    spec: Mapping[str, Any],
    *,
    layer_name: str,
    key: str = "where",
    lenient: bool = False,
) -> NDArray[np.bool_]:
    """Boolean mask of :func:`filter_frame`.

    ``lenient``: a test of a field with no value passes (except ``null`` and ``by_year``,
    which say what a missing value means), to find what :func:`undecided_mask` reports.
    """
    mask = _table_mask(ctx, frame, spec.get(key) or {}, layer_name=layer_name, lenient=lenient)
    alternatives = spec.get(f"{key}_any") or []
    if alternatives:
        anyof = np.zeros(len(frame), dtype=bool)
        for table in alternatives:
            anyof |= _table_mask(ctx, frame, table, layer_name=layer_name, lenient=lenient)
        mask &= anyof
    return mask


def undecided_mask(
    ctx: MetricContext,
    frame: pd.DataFrame,
    spec: Mapping[str, Any],
    *,
    layer_name: str,
    key: str = "where",
) -> tuple[NDArray[np.bool_], list[str]]:
    """Rows the filter ``spec[key]`` turns down only because a field it tests has no value.

    A Shapefile's 0, an empty cell or a "是/否" column left blank is read as no value
    (README, "No value"); a filter cannot tell whether such a feature meets it, and turns it
    down. The indicators that filter say how many they turned down so.

    Returns
    -------
    mask : numpy.ndarray of bool
        Rows turned down for a missing value only.
    fields : list of str
        The tested fields holding no value in those rows.
    """
    strict = filter_mask(ctx, frame, spec, layer_name=layer_name, key=key)
    out = filter_mask(ctx, frame, spec, layer_name=layer_name, key=key, lenient=True) & ~strict
    tables = [spec.get(key) or {}, *(spec.get(f"{key}_any") or [])]
    fields = list(dict.fromkeys(
        str(f) for t in tables for f in t
        if f in frame.columns and bool(frame[f][out].isna().any())))
    return out, fields


def community_geoms(ctx: MetricContext) -> NDArray[np.object_]:
    """Geometries of the communities, in the order of :func:`community_codes`."""
    return np.asarray(ctx.communities.geometry.values, dtype=object)


def community_codes(ctx: MetricContext) -> pd.Index:
    """Codes of the communities (the index every kind returns)."""
    return pd.Index(ctx.communities.index, name="code")


def zone_index(ctx: MetricContext, geoms: Any, *, everywhere: bool = False) -> NDArray[np.intp]:
    """Community (row position) of each feature, -1 outside every community.

    The one zone assignment of peakmap: a point goes to the community holding it, a line or
    polygon to the community holding its representative point (``point_on_surface``); on a
    shared border the community listed first wins (:func:`gis.overlay.assign_points`).
    Streets and districts follow from the community's ``street_code`` / ``district_code``.
    When ``ctx`` computes one part of the communities (``ctx.all_communities`` set), features
    are assigned among all of them and those of other parts get -1, so a partitioned run
    assigns every feature exactly as the whole-city run; ``everywhere``: the row position in
    ``ctx.all_communities`` instead (the same as without it when that is None).
    """
    g = np.asarray(geoms, dtype=object).reshape(-1)
    if g.size == 0:
        return np.zeros(0, dtype=np.intp)
    points = np.where(shapely.get_type_id(g) == 0, g, shapely.point_on_surface(g))
    every = ctx.all_communities
    if every is None:
        return assign_points(points, community_geoms(ctx))
    idx = assign_points(points, np.asarray(every.geometry.values, dtype=object))
    if everywhere:
        return idx
    local = pd.Index(every.index).get_indexer(community_codes(ctx))
    to_local = np.full(len(every), -1, dtype=np.intp)
    to_local[local] = np.arange(len(local), dtype=np.intp)
    out: NDArray[np.intp] = np.where(idx >= 0, to_local[np.maximum(idx, 0)], -1).astype(np.intp)
    return out


def zone_codes(
    ctx: MetricContext, geoms: Any, *, level: str = "community", everywhere: bool = False
) -> NDArray[np.object_]:
    """Code of the community (or its street, ``level="street"``) of each feature, or None.

    ``everywhere``: among every community of the project, also those of other parts when
    ``ctx`` computes one part (``ctx.all_communities``).
    """
    if everywhere and ctx.all_communities is not None:
        ctx = replace(ctx, communities=ctx.all_communities, all_communities=None)
    idx = zone_index(ctx, geoms)
    column = {"community": None, "street": "street_code", "district": "district_code"}[level]
    values = (
        community_codes(ctx).to_numpy() if column is None
        else ctx.communities[column].astype(str).to_numpy()
    )
    out = np.full(len(idx), None, dtype=object)
    out[idx >= 0] = values[idx[idx >= 0]]
    return out


def layer_geometry(name: str) -> str | None:
    """Canonical geometry kind of a layer (``polygon``, ``line``, ``point``) or None."""
    spec = CANONICAL.get(name)
    return None if spec is None else spec.geometry
