"""The contract between the indicator engine and the metric kinds.

A metric kind is a function ``fn(ctx, spec) -> MetricResult`` registered under its kind
name with :func:`metric_kind`. It computes *additive parts* at the finest zone level
(communities), so that the engine can aggregate them upward by summing and recompute shares
from the sums (never averaging shares). :attr:`MetricResult.values` holds them:

- a share returns columns ``num`` and ``den`` (value = ``scale`` * num / den, unit ``%``);
- a sum or a count returns column ``value``;
- other numeric columns are summed alike and shown in the row's detail.

The frame is indexed by community code and holds one row for every community (zero where
nothing is found, NaN in ``den``/``value`` where the base data is absent). The other fields
of :class:`MetricResult` tell the engine how to read it: ``note`` (shown with every value),
``scale``, ``combine`` (a value from summed columns that is not ``num``/``den``),
``each_zone_min`` (a count per zone with a minimum) and ``levels`` (values already per zone,
for rates that are not additive: the frame is then indexed by zone code at those levels).

Theme modules (``layers/<theme>.py``) register their kinds on import; the engine imports the
theme modules listed in :data:`THEME_MODULES` so every kind is known before a catalog runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    import geopandas as gpd

    from layers.project import Project
    from layers.store import AnyStore

__all__ = [
    "DEFAULT_SCALE",
    "KINDS",
    "KIND_MODULES",
    "KIND_READS",
    "KIND_THEMES",
    "THEME_MODULES",
    "EachZoneMin",
    "MetricContext",
    "MetricFn",
    "MetricResult",
    "ReadsFn",
    "counted_result",
    "layers_named",
    "metric_kind",
]


@dataclass
class MetricContext:
    """What every metric kind may use.

    Attributes
    ----------
    project : Project
        The opened project (directory, manifest, parameters).
    store : Store
        The built store; ``store.read(name)`` returns a canonical layer in the metric CRS.
    year : int
        The report year (filters on years and deadlines refer to it).
    communities : geopandas.GeoDataFrame
        Finest zones, indexed by community ``code``, with ``name``, ``street_code`` and
        ``district_code`` columns, in the metric CRS.
    scenario : str or None
        Name of a stored proposal to apply (e.g. new recycling points), or None for the
        current state.
    cache : dict
        Per-run memo shared by all kinds (e.g. a union of green space reused by two rows).
    proposals : dict
        Proposed features per canonical layer name that are not stored (yet), used by the
        scenario in place of the stored ``<scenario>__<layer>`` (a preview before applying).
    all_communities : geopandas.GeoDataFrame or None
        Every community of the project when ``communities`` is one part of them (a district's
        task on a Dask cluster, :mod:`layers.indicators.partition`): features are assigned
        among all of them (:func:`layers.indicators.inputs.zone_index`), so a feature on a
        district border goes where the whole-city run puts it. None: ``communities`` is all.
    """

    project: Project
    store: AnyStore
    year: int
    communities: gpd.GeoDataFrame
    scenario: str | None = None
    cache: dict[str, Any] = field(default_factory=dict)
    proposals: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    all_communities: gpd.GeoDataFrame | None = None


#: ``num`` / ``den`` shares are reported as percent unless a kind says otherwise.
DEFAULT_SCALE = 100.0


@dataclass(frozen=True)
class EachZoneMin:
    """Rule of a count that every zone of one level must reach.

    Attributes
    ----------
    over : str
        The zone level that must each hold ``minimum`` features (``"community"`` or
        ``"street"``): the count is reported there, and above it the percent of those zones
        reaching it.
    minimum : int
        Features each zone needs.
    """

    over: str
    minimum: int


@dataclass(frozen=True)
class MetricResult:
    """What a metric kind returns: additive parts per zone and how to read them.

    Attributes
    ----------
    values : pandas.DataFrame
        Additive parts indexed by community code (``num``/``den``, ``value`` or ``count``,
        plus extra numeric columns shown in the detail), or values per zone code when
        ``levels`` is set.
    note : str
        Shown with every value of the row (parameters used, estimates, data gaps).
    scale : float
        Value = ``scale`` × Σnum / Σden for share rows (default 100: percent).
    combine : callable or None
        ``combine(sums) -> array`` computes the value from the summed columns of one level
        instead of ``num``/``den``/``value`` (e.g. a change in percentage points).
    each_zone_min : EachZoneMin or None
        ``values`` holds a ``count`` column to report against a per-zone minimum.
    levels : tuple of str or None
        ``values`` is already per zone at these levels (indexed by zone code, with
        ``value`` and optional ``year`` and ``note`` columns); nothing is summed.
    totals : mapping of str to float or None
        Additive counts over the computed communities that the note states (households
        not reachable on foot, communities served...). A kind whose note counts anything
        over its zones must give them with ``note_of``: a run split by district sums the
        totals of its parts and makes the note again (:mod:`layers.indicators.partition`).
    note_of : callable or None
        ``note_of(totals) -> note`` (``note`` equals ``note_of(totals)``); a
        :func:`functools.partial` of a module-level function, so the parts can be compared.
    counts : pandas.DataFrame or None
        The counts of ``totals`` per community (indexed like ``values``, additive): each
        zone's record then carries ``note_of`` of its own sums, not the row's totals
        (:func:`layers.indicators.rows.row_records`); ``totals`` are their column sums.
    estimated : tuple of str
        Columns of ``counts`` that count estimated inputs (households, floor areas): a zone
        where one of them is above 0 has its value marked ``estimated`` (估算).

    Examples
    --------
    >>> import pandas as pd
    >>> r = MetricResult(pd.DataFrame({"num": [1.0], "den": [4.0]}, index=["c1"]), note="n")
    >>> r.scale, r.combine is None, r.levels is None
    (100.0, True, True)
    """

    values: pd.DataFrame
    note: str = ""
    scale: float = DEFAULT_SCALE
    combine: Callable[[pd.DataFrame], Any] | None = None
    each_zone_min: EachZoneMin | None = None
    levels: tuple[str, ...] | None = None
    totals: Mapping[str, float] | None = None
    note_of: Callable[[Mapping[str, float]], str] | None = None
    counts: pd.DataFrame | None = None
    estimated: tuple[str, ...] = ()


def counted_result(
    values: pd.DataFrame,
    counts: pd.DataFrame,
    note_of: Callable[[Mapping[str, float]], str],
    *,
    estimated: tuple[str, ...] = (),
    **how: Any,
) -> MetricResult:
    """A result whose note states counts kept per community (each zone gets its own).

    Parameters
    ----------
    values : pandas.DataFrame
        The additive parts (:attr:`MetricResult.values`).
    counts : pandas.DataFrame
        Additive counts per community, indexed like ``values``.
    note_of : callable
        ``note_of(sums) -> note``, a :func:`functools.partial` of a module-level function.
    estimated : tuple of str
        Columns of ``counts`` counting estimated inputs (:attr:`MetricResult.estimated`).
    **how
        Further fields of :class:`MetricResult` (``scale``, ``combine``...).

    Returns
    -------
    MetricResult
        ``totals`` the column sums of ``counts``, ``note`` the note of the totals (the row's).

    Examples
    --------
    >>> import pandas as pd
    >>> def said(t): return f"{t['est']:g} estimated"
    >>> r = counted_result(pd.DataFrame({"value": [1.0, 2.0]}, index=["c1", "c2"]),
    ...                    pd.DataFrame({"est": [0.0, 3.0]}, index=["c1", "c2"]), said,
    ...                    estimated=("est",))
    >>> r.note, dict(r.totals or {})
    ('3 estimated', {'est': 3.0})
    """
    totals = {str(c): float(pd.to_numeric(counts[c], errors="coerce").sum())
              for c in counts.columns}
    return MetricResult(values, note=note_of(totals), totals=totals, note_of=note_of,
                        counts=counts, estimated=tuple(estimated), **how)


MetricFn = Callable[[MetricContext, Mapping[str, Any]], MetricResult]
ReadsFn = Callable[[Mapping[str, Any]], tuple[str, ...]]

KINDS: dict[str, MetricFn] = {}
# kind name -> the store layers a row of that kind reads, from the row's params
KIND_READS: dict[str, ReadsFn] = {}
# kind name -> the [params.<theme>] tables a row of that kind reads
KIND_THEMES: dict[str, tuple[str, ...]] = {}


def layers_named(params: Mapping[str, Any]) -> tuple[str, ...]:
    """Layer names a row's params name under ``layer`` keys, at any depth, in order.

    Parameters
    ----------
    params : mapping
        A catalog row's ``params`` table.

    Returns
    -------
    tuple of str
        Each name once, in the order found.

    Examples
    --------
    >>> layers_named({"layers": [{"layer": "green_spaces"}, {"layer": "pocket_parks"}],
    ...               "base": {"layers": [{"layer": "landuse"}]}})
    ('green_spaces', 'pocket_parks', 'landuse')
    >>> layers_named({"layers": "forest"})
    ('forest',)
    """
    found: list[str] = []

    def walk(value: Any, key: str | None) -> None:
        if isinstance(value, Mapping):
            for k, v in value.items():
                walk(v, str(k))
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif isinstance(value, str) and key in ("layer", "layers") and value not in found:
            found.append(value)

    walk(params, None)
    return tuple(found)

# Modules that register metric kinds when imported; the engine imports them all.
THEME_MODULES: tuple[str, ...] = (
    "layers.metrics",  # area_sum/share, count, each_zone_min, attribute_*, length_share, reported
    "layers.heating",  # heat_loss_change
    "layers.coverage",  # service_coverage
    "layers.rooftop_pv",  # pv
)
# The module of each kind, so a run of a few rows imports only the themes they need (a test
# checks this against the registry once every theme is imported).
KIND_MODULES: dict[str, str] = {
    **dict.fromkeys(("area_sum", "area_share", "count", "each_zone_min", "attribute_share",
                     "attribute_sum", "length_share", "reported"), "layers.metrics"),
    "heat_loss_change": "layers.heating",
    "service_coverage": "layers.coverage",
    "pv": "layers.rooftop_pv",
}


def metric_kind(
    name: str, *, reads: ReadsFn = layers_named, themes: tuple[str, ...] = ()
) -> Callable[[MetricFn], MetricFn]:
    """Register ``fn`` as the implementation of metric kind ``name``.

    Parameters
    ----------
    name : str
        The ``kind`` value catalog rows use, e.g. ``"area_share"``. The function takes the
        :class:`MetricContext` and the row's params and returns a :class:`MetricResult`.
    reads : callable, optional
        ``reads(params)`` gives the store layers a row of this kind reads (shown in
        docs/indicators.md and by ``peakmap report --explain``); default: the layers its
        params name (:func:`layers_named`).
    themes : tuple of str, optional
        The ``[params.<theme>]`` tables the kind reads besides the row's own params.

    Returns
    -------
    callable
        A decorator that records the function and returns it unchanged.
    """

    def deco(fn: MetricFn) -> MetricFn:
        if name in KINDS and KINDS[name] is not fn:
            raise ValueError(f"metric kind {name!r} registered twice")
        KINDS[name] = fn
        KIND_READS[name] = reads
        KIND_THEMES[name] = themes
        return fn

    return deco
