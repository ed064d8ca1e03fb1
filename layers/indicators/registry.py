"""The contract between the indicator engine and the metric kinds.

A metric kind is a function ``fn(ctx, spec) -> pandas.DataFrame`` registered under its kind
name with :func:`metric_kind`. It computes *additive parts* at the finest zone level
(communities), so that the engine can aggregate them upward by summing and recompute shares
from the sums (never averaging shares):

- a share returns columns ``num`` and ``den`` (value = 100 * num / den, unit ``%``);
- a sum or a count returns column ``value``.

The frame is indexed by community code and holds one row for every community (zero where
nothing is found, NaN in ``den``/``value`` where the base data is absent). Kinds that cannot
be computed per community (a rate that is not additive) may set ``LEVELS`` in the returned
frame's ``attrs`` (``frame.attrs["levels"] = ("district",)``) and index it by that level's
zone code instead.

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
    from layers.store import Store

__all__ = [
    "KINDS",
    "KIND_READS",
    "KIND_THEMES",
    "THEME_MODULES",
    "MetricContext",
    "MetricFn",
    "ReadsFn",
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
    """

    project: Project
    store: Store
    year: int
    communities: gpd.GeoDataFrame
    scenario: str | None = None
    cache: dict[str, Any] = field(default_factory=dict)
    proposals: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)


MetricFn = Callable[[MetricContext, Mapping[str, Any]], pd.DataFrame]
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


def metric_kind(
    name: str, *, reads: ReadsFn = layers_named, themes: tuple[str, ...] = ()
) -> Callable[[MetricFn], MetricFn]:
    """Register ``fn`` as the implementation of metric kind ``name``.

    Parameters
    ----------
    name : str
        The ``kind`` value catalog rows use, e.g. ``"area_share"``.
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
