"""Rooftop PV: which roofs can take PV, how much they yield, and the PV coverage indicators.

Post-build step (:func:`layers.rooftop_pv_build.build_step`)
-------------------------------------------------------------
From the DSM in the store (``build/dsm.tif``) it writes ``build/solar_irradiation.tif``
(bands of :data:`gis.solar.BANDS`: annual plane-of-array irradiation kWh/m²/yr with neighbour
shading, the ratio to the unshaded plane, slope, aspect; method in :mod:`gis.solar`) and adds
these fields to the store's ``buildings`` layer:

=======================  ==================================================================
field                    definition
=======================  ==================================================================
roof_area_m2             footprint area (m²): the roof area of the coverage ratios
pv_suitable_area_m2      roof area (m², horizontal projection) passing the NREL rule:
                         annual irradiation ≥ ``min_unshaded_ratio`` of the same plane
                         without neighbours, tilt ≤ ``max_tilt_deg``, not facing the north
                         sector (aspect within ± ``north_half_width_deg`` of north, for roofs
                         steeper than ``flat_slope_deg``), in patches of at least
                         ``min_patch_m2`` of contiguous suitable pixels (4-connected), and
                         at least ``setback_m`` inside the footprint's edge
pv_module_area_m2        module area (m²) the layout puts there: flat parts × the layout's
                         ground coverage ratio (GCR), pitched parts (fitted flush) × roof
                         surface (÷ cos tilt) × ``flush_fill``
pv_kwp                   installable peak power (kWp) = module area × ``power_density_kwp_m2``
pv_kwh_year              annual yield (kWh/yr) = Σ over suitable pixels of kWp × POA
                         irradiation (kWh/m², with row-to-row shading on flat roofs) ×
                         ``performance_ratio``
pv_layout                ``rows``, ``east_west``, ``flat`` (flat roofs), ``flush`` (pitched),
                         ``mixed`` or empty (no suitable roof), by the larger module area
pv_gcr                   module area ÷ suitable area (horizontal)
has_pv, tj_pv50,         flags of :mod:`layers.rooftop_pv_plan` (already fitted, in TJ-PV50's
historic                 denominator, historic), for the map; the ranking recomputes them
pv_specific_yield        pv_kwh_year ÷ pv_kwp (kWh/kWp)
pv_poa_kwh_m2            mean annual irradiation over the whole roof (kWh/m²/yr)
nea_class                NEA county-pilot class by ``use``: government 党政机关 (≥ 50 %),
                         public 学校、医院等公共建筑 (≥ 40 %), industry_commerce 工商业厂房
                         (≥ 30 %), rural_home 农村居民 (≥ 20 %), other
=======================  ==================================================================

Pixels count for a building by their exact covered fraction (:mod:`gis.zonal`) of the
footprint shrunk by ``setback_m``; a pixel is suitable only for the building holding its
centre.

Flat-roof layout (:mod:`gis.solar_layout`): ``layout`` = ``rows`` (modules of slant length
``module_length_m`` tilted ``flat_tilt_deg`` towards the equator, GCR ``row_gcr`` or, when 0,
the GCR that keeps rows unshaded from ``no_shade_from_h`` to ``no_shade_to_h`` solar time on
the winter solstice — 0.44 for 2 m modules at 30° and 39° N), ``east_west`` (tilt
``east_west_tilt_deg``, GCR ``east_west_gcr``) or ``flat`` (``flat_fill``). The layout
actually used and the sky are written to ``build/solar_irradiation.json`` and stated in the
notes of the PV figures.

Sky
---
In order (:func:`sun_for_project`): the hourly weather file ``weather_file`` names (EPW, TMY3
CSV, PVGIS TMY JSON or a plain CSV with time, ghi[, dni, dhi], inside the project, read with
pvlib.iotools; ``weather_csv`` is the older name; ``weather_utc_offset_h``); else the monthly
CSV ``monthly_climate`` (``month, ghi_kwh_m2, diffuse_fraction, source``); else the monthly
table ``monthly_ghi_kwh_m2`` (12 totals, kWh/m²) with ``monthly_diffuse_fraction`` (empty:
from the Erbs et al. 1982 monthly correlation), ``monthly_source`` (``monthly_source_zh``
its Chinese words) and ``monthly_site_lat_lon`` (the table is ignored more than 1° from the
DSM) — the catalog ``pv.toml`` carries Tianjin's [C], the monthly sums of the CSWD typical
year of station 54527 (1,355 kWh/m², diffuse fraction 0.42); monthly figures are spread over
clear-sky-shaped hours (:mod:`gis.solar_climate`). Only without any of these:
pvlib's clear sky × ``clearness`` [U] 0.76 (``linke_turbidity`` 0 = pvlib climatology).
Diffuse light is transposed with ``transposition`` ``perez`` (default) or ``haydavies``. The
sky used is stated in every PV figure's note, written in Chinese and English by the PV step
(:mod:`layers.rooftop_pv_note`).

Parameters (manifest ``[params.pv]`` over the catalog's ``[params.pv]`` over
:data:`DEFAULTS`, :func:`pv_params`; [C] confirmed, [U] default not fixed by a standard):
the sky above; ``albedo`` [U] 0.2, ``performance_ratio`` [U] 0.80, ``power_density_kwp_m2``
[C] 0.21 kWp per m² of module area (module efficiency at STC; MIIT《光伏制造行业规范条件
（2024年本）》: mono-Si modules ≥ 21.2 %), ``setback_m`` [U] 1.0, ``flush_fill`` [U] 0.9, the
layout parameters above, ``min_unshaded_ratio`` [C] 0.70, ``max_tilt_deg`` [C] 60,
``north_half_width_deg`` [U] 67.5 (north = NW…NE), ``min_patch_m2`` [C] 10,
``flat_slope_deg`` [U] 10, ``step_minutes`` (time-of-day step of the sun directions),
``min_sun_elevation_deg``, ``max_shadow_m``, ``tile_px``, ``nea_uses`` (use values of each NEA
class). Tiles run on a Dask cluster when ``[params.compute] scheduler`` (or the environment
variable ``PEAKMAP_DASK_SCHEDULER``) names one: ``local:2`` for two worker processes on this
machine, ``tcp://host:8786`` for a running scheduler whose workers see the project's files.
For the ranking and the potential per zone (:mod:`layers.rooftop_pv_plan`): ``heritage_year``
[U] 1949, ``heritage_field`` ("protected"), ``tj_pv50_indicator`` ("TJ-PV50"),
``exclude_historic`` (true), ``grid_emission_factor_t_per_mwh`` [C] 0.5306 (MEE & NBS, 2023
national average electricity CO₂ factor, published 2026) and ``grid_emission_source``.

Metric kind ``pv`` (catalog ``params``)
---------------------------------------
measure : str
    ``"coverage"`` (default): num = Σ ``pv_area_m2`` (installed PV, an input field; missing =
    0), den = Σ roof (footprint) area — TJ-PV50. ``"suitable_share"``: num = Σ
    ``pv_suitable_area_m2``, den = Σ roof area — the NEA ratios. ``"count_share"``: buildings
    with ``pv_area_m2 > 0`` ÷ buildings. ``"suitable_area"``, ``"kwp"``, ``"kwh_year"``: sums
    (``value``) of the fields above.
where, where_any : filter tables
    The building set (filter language of :mod:`layers.indicators.inputs`), e.g.
    ``where = {built_year = {">=" = 2021}}`` and
    ``where_any = [{public_institution = true}, {use = "industrial"}]``.
nea_class : str or list of str, optional
    Keep buildings of these NEA classes (computed from ``use``; needs no DSM).

Share measures also carry ``buildings`` and ``buildings_with_pv`` (counts) and, for
``coverage``, the building-count share is their ratio, shown alongside.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
from numpy.typing import NDArray
from rasterio.windows import Window

from gis import InputFileError
from gis.solar import (
    SolarOptions,
    SunSample,
    raster_location,
    read_weather,
    small_gdal_cache,
    sun_sample_clearsky,
    sun_sample_weather,
)
from gis.solar_climate import monthly_table, monthly_year, read_monthly_climate
from gis.solar_layout import LAYOUTS, Layout, make_layout
from gis.solar_sky import TRANSPOSITIONS
from gis.zonal import centre_labels, coverage_weights, window_transform
from layers._errors import ManifestError
from layers.indicators.inputs import NoData, filter_frame, read_layer, zone_index
from layers.indicators.registry import MetricContext, MetricResult, metric_kind
from layers.labels import bilingual_note
from layers.params import PvParams
from layers.rooftop_pv_note import (
    MONTHLY_METHOD as MONTHLY_METHOD,
)
from layers.rooftop_pv_note import (
    far_remark,
    sky_source,
    with_transposition,
)
from layers.share_notes import NoteCounts

if TYPE_CHECKING:
    from layers.project import Project

__all__ = [
    "DEFAULTS",
    "NEA_CLASSES",
    "PV_FIELDS",
    "building_pv",
    "nea_classes",
    "pv",
    "pv_params",
    "sun_for_project",
]

THEME = "pv"
IRRADIATION_RASTER = "solar_irradiation"
PERCENT = 100.0
# NEA county-pilot minimum shares of roof area able to take PV, by class [C].
NEA_CLASSES: dict[str, tuple[str, str, float]] = {
    "government": ("党政机关", "Party and government buildings", 50.0),
    "public": ("学校、医院等公共建筑", "Schools, hospitals and other public buildings", 40.0),
    "industry_commerce": ("工商业厂房", "Industrial and commercial buildings", 30.0),
    "rural_home": ("农村居民住宅", "Rural homes", 20.0),
}
OTHER_CLASS = "other"
PV_FIELDS = (
    "roof_area_m2",
    "pv_suitable_area_m2",
    "pv_module_area_m2",
    "pv_kwp",
    "pv_kwh_year",
    "pv_specific_yield",
    "pv_poa_kwh_m2",
    "pv_layout",
    "pv_gcr",
    "nea_class",
)
#: ``[params.pv]`` defaults as a dict (keys, units and sources: :class:`layers.params.PvParams`).
DEFAULTS: dict[str, Any] = PvParams().model_dump()
# A monthly climatology serves sites within this many degrees of latitude and longitude.
MAX_CLIMATE_DISTANCE_DEG = 1.0
MEASURES = ("coverage", "suitable_share", "count_share", "suitable_area", "kwp", "kwh_year")
SUM_FIELDS = {"suitable_area": "pv_suitable_area_m2", "kwp": "pv_kwp", "kwh_year": "pv_kwh_year"}
FULL_CIRCLE = 360.0
# A roof is 'mixed' when the smaller of flat and pitched module areas is at least this share.
MIXED_SHARE = 0.25


def _float(params: Mapping[str, Any], key: str) -> float:
    try:
        return float(params[key])
    except (TypeError, ValueError) as e:
        raise ManifestError(f"[params.pv] {key}: not a number ({params[key]!r})") from e


def nea_classes(buildings: pd.DataFrame, *, uses: Mapping[str, Any] | None = None) -> pd.Series:
    """NEA class of each building from its ``use`` (see :data:`NEA_CLASSES`).

    Parameters
    ----------
    buildings : pandas.DataFrame
        With a ``use`` column.
    uses : mapping, optional
        Class → list of use values (default ``DEFAULTS["nea_uses"]``).

    Returns
    -------
    pandas.Series of str
        ``government``, ``public``, ``industry_commerce``, ``rural_home`` or ``other``.

    Examples
    --------
    >>> nea_classes(pd.DataFrame({"use": ["school", "residential", "government"]})).tolist()
    ['public', 'other', 'government']
    """
    table = dict(DEFAULTS["nea_uses"] if uses is None else uses)
    use = buildings["use"].astype(str).str.strip().to_numpy() if "use" in buildings else None
    out = np.full(len(buildings), OTHER_CLASS, dtype=object)
    if use is not None:
        for cls in reversed(list(table)):
            out[np.isin(use, [str(u) for u in table[cls]])] = cls
    return pd.Series(out, index=buildings.index, name="nea_class")


def layout_for(params: Mapping[str, Any], latitude: float) -> Layout:
    """The flat-roof :class:`~gis.solar_layout.Layout` of the ``[params.pv]`` table."""
    kind = str(params.get("layout", "rows"))
    if kind not in LAYOUTS:
        raise ManifestError(f"[params.pv] layout: {kind!r} is not one of {', '.join(LAYOUTS)}")
    try:
        return make_layout(
            kind, latitude_deg=latitude, tilt_deg=_float(params, "flat_tilt_deg"),
            module_length_m=_float(params, "module_length_m"), gcr=_float(params, "row_gcr"),
            window_start_h=_float(params, "no_shade_from_h"),
            window_end_h=_float(params, "no_shade_to_h"),
            east_west_tilt_deg=_float(params, "east_west_tilt_deg"),
            east_west_gcr=_float(params, "east_west_gcr"), flat_fill=_float(params, "flat_fill"),
        )
    except ValueError as e:
        raise ManifestError(f"[params.pv] layout: {e}") from e


def solar_options(params: Mapping[str, Any], layout: Layout | None = None) -> SolarOptions:
    """The :class:`~gis.solar.SolarOptions` of the ``[params.pv]`` table."""
    return SolarOptions(
        albedo=_float(params, "albedo"),
        min_sun_elevation_deg=_float(params, "min_sun_elevation_deg"),
        max_shadow_m=_float(params, "max_shadow_m"),
        flat_slope_deg=_float(params, "flat_slope_deg"),
        flat_tilt_deg=_float(params, "flat_tilt_deg"),
        tile_px=int(_float(params, "tile_px")),
        layout=layout,
    )


def sun_for_project(project: Project, params: Mapping[str, Any], dsm_path: Any) -> SunSample:
    """The year's sun sample (which sky: see the module docstring, 'Sky').

    In order: the weather file ``weather_file`` names; the monthly CSV of ``monthly_climate``;
    the monthly table ``monthly_ghi_kwh_m2`` (catalog or manifest; ignored when
    ``monthly_site_lat_lon`` lies more than 1° from the DSM); pvlib's clear sky × clearness.
    The sample's ``source`` says which, in English, and ``meta["source_zh"]`` in Chinese
    (:mod:`layers.rooftop_pv_note`): the PV step's note is made in both languages here.
    """
    lat, lon = raster_location(dsm_path)
    step = _float(params, "step_minutes")
    model = str(params.get("transposition") or "perez")
    if model not in TRANSPOSITIONS:
        raise ManifestError(
            f"[params.pv] transposition: {model!r} is not one of {', '.join(TRANSPOSITIONS)}"
        )
    key = "weather_file" if params.get("weather_file") else "weather_csv"
    name = str(params.get(key) or "")
    if name:
        path = project.path(name, what=f"[params.pv] {key}")
        if not path.is_file():
            raise InputFileError(f"{name}: weather file named by [params.pv] {key} not found")
        weather, fmt = read_weather(path, utc_offset_hours=_float(params, "weather_utc_offset_h"))
        zh, en = sky_source("weather", params, fmt=fmt, name=name, records=len(weather))
        sun = sun_sample_weather(lat, lon, weather, step_minutes=step, source=en,
                                 transposition=model)
        return _zh(sun, with_transposition(zh, model))
    monthly = str(params.get("monthly_climate") or "")
    if monthly:
        path = project.path(monthly, what="[params.pv] monthly_climate")
        if not path.is_file():
            raise InputFileError(
                f"{monthly}: monthly climatology named by [params.pv] monthly_climate not found"
            )
        table, cited = read_monthly_climate(path)
        zh, en = sky_source("monthly_file", params, name=monthly, cited=cited)
        sun = sun_sample_weather(lat, lon, monthly_year(lat, lon, table), step_minutes=step,
                                 source=en, transposition=model)
        return _zh(sun, with_transposition(zh, model))
    table = _catalog_climate(params, lat, lon)
    if table is not None:
        zh, en = sky_source("monthly_params", params)
        sun = sun_sample_weather(lat, lon, monthly_year(lat, lon, table), step_minutes=step,
                                 source=en, transposition=model)
        return _zh(sun, with_transposition(zh, model))
    tl = _float(params, "linke_turbidity")
    clearness = _float(params, "clearness")
    sun = sun_sample_clearsky(
        lat, lon, clearness=clearness, linke_turbidity=tl or None,
        step_minutes=step, transposition=model,
    )
    zh = sky_source("clear_sky", params, clearness=clearness)[0]
    tail = ("", "")
    if params.get("monthly_ghi_kwh_m2"):
        tail = far_remark(params.get("monthly_site_lat_lon"), MAX_CLIMATE_DISTANCE_DEG)
        sun = replace(sun, source=f"{sun.source}{tail[1]}")
    return _zh(sun, with_transposition(zh, model, tail[0]))


def _zh(sun: SunSample, source_zh: str) -> SunSample:
    """The sample with its sky's source in Chinese beside the English ``source``."""
    return replace(sun, meta={**sun.meta, "source_zh": source_zh})


def _catalog_climate(
    params: Mapping[str, Any], latitude: float, longitude: float
) -> pd.DataFrame | None:
    """The monthly table of ``monthly_ghi_kwh_m2`` when it is given and meant for this site."""
    ghi = params.get("monthly_ghi_kwh_m2") or []
    if not ghi:
        return None
    site = params.get("monthly_site_lat_lon") or []
    if len(site) == 2 and max(abs(float(site[0]) - latitude),
                              abs(float(site[1]) - longitude)) > MAX_CLIMATE_DISTANCE_DEG:
        return None
    try:
        return monthly_table(latitude, longitude, [float(v) for v in ghi],
                             params.get("monthly_diffuse_fraction") or None)
    except (TypeError, ValueError) as e:
        raise ManifestError(
            f"[params.pv] monthly_ghi_kwh_m2 / monthly_diffuse_fraction: {e}") from e


def pv_params(project: Project, catalog: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``[params.pv]`` in force: defaults < catalog < manifest (:class:`layers.params.PvParams`).

    Parameters
    ----------
    project : Project
    catalog : mapping, optional
        The catalog's ``[params.pv]`` when the caller has it (an indicator run); by default
        read from the project's catalog (none when it does not exist).

    Returns
    -------
    dict
        Key → value, as the PV steps read them.
    """
    tables = None if catalog is None else {THEME: catalog}
    return project.params(PvParams, catalog=tables).model_dump()


def _suitable_pixels(
    bands: NDArray[np.float32], labels: NDArray[np.int32], params: Mapping[str, Any], px_m2: float
) -> NDArray[np.bool_]:
    """Pixels passing the NREL rule, in patches of ≥ min_patch_m2 within one roof."""
    import scipy.ndimage  # here: ranking roofs and reading PV rows do not need it

    _, ratio, slope, aspect = bands
    flat = slope < _float(params, "flat_slope_deg")
    off_north = np.abs(((aspect + FULL_CIRCLE / 2) % FULL_CIRCLE) - FULL_CIRCLE / 2)
    north = ~flat & (off_north < _float(params, "north_half_width_deg"))
    with np.errstate(invalid="ignore"):
        ok = (
            (labels > 0)
            & (ratio >= _float(params, "min_unshaded_ratio"))
            & (slope <= _float(params, "max_tilt_deg"))
            & ~north
        )
    patches, n = scipy.ndimage.label(ok)
    if n == 0:
        return ok
    # a patch spanning two touching roofs is split by roof
    key = patches.astype(np.int64) * (int(labels.max()) + 1) + labels
    uniq, inv = np.unique(key[ok], return_inverse=True)
    area = np.bincount(inv, minlength=len(uniq)) * px_m2
    big = np.zeros(ok.shape, dtype=bool)
    big[ok] = area[inv] >= _float(params, "min_patch_m2")
    return big


def _groups(geoms: NDArray[np.object_], ds: Any, tile_px: int) -> dict[tuple[int, int], Any]:
    """Buildings grouped by the tile holding their centroid (pixel coordinates)."""
    c = shapely.get_coordinates(shapely.centroid(geoms))
    col = np.floor((c[:, 0] - ds.transform.c) / ds.transform.a / tile_px).astype(int)
    row = np.floor((c[:, 1] - ds.transform.f) / ds.transform.e / tile_px).astype(int)
    frame = pd.DataFrame({"row": row, "col": col})
    return {k: np.asarray(v) for k, v in frame.groupby(["row", "col"]).indices.items()}


def building_pv(
    geoms: NDArray[np.object_], raster_path: Any, params: Mapping[str, Any],
    layout: Layout | None = None,
) -> pd.DataFrame:
    """PV fields of each building from the irradiation raster.

    Parameters
    ----------
    geoms : ndarray of shapely polygons
        Footprints in the raster's CRS.
    raster_path : path
        ``solar_irradiation.tif`` (bands of :data:`gis.solar.BANDS`).
    params : mapping
        The ``[params.pv]`` table over :data:`DEFAULTS`.
    layout : Layout, optional
        Flat-roof layout (by default the one of ``params`` at the raster's latitude).

    Returns
    -------
    pandas.DataFrame
        One row per footprint, in order, with the PV fields of the module docstring except
        ``nea_class``.
    """
    if layout is None:
        layout = layout_for(params, raster_location(raster_path)[0])
    n = len(geoms)
    keys = ("suit", "flat_mod", "pitch_mod", "kwh", "poa_w", "poa")
    out = {k: np.zeros(n) for k in keys}
    density = _float(params, "power_density_kwp_m2")
    flush = _float(params, "flush_fill")
    setback = _float(params, "setback_m")
    pr = _float(params, "performance_ratio")
    flat_deg = _float(params, "flat_slope_deg")
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    inner_all = shapely.buffer(geoms, -setback, join_style="mitre") if setback > 0 else geoms
    with rasterio.open(raster_path) as ds:
        px_m2 = abs(ds.transform.a * ds.transform.e)
        for idx in _groups(geoms[ok], ds, int(_float(params, "tile_px"))).values():
            members = np.flatnonzero(ok)[idx]
            g = geoms[members]
            x0, y0, x1, y1 = shapely.total_bounds(g)
            c0 = max(math.floor((x0 - ds.transform.c) / ds.transform.a), 0)
            c1 = min(math.ceil((x1 - ds.transform.c) / ds.transform.a), ds.width)
            r0 = max(math.floor((y1 - ds.transform.f) / ds.transform.e), 0)
            r1 = min(math.ceil((y0 - ds.transform.f) / ds.transform.e), ds.height)
            if c1 <= c0 or r1 <= r0:
                continue
            win = Window(c0, r0, c1 - c0, r1 - r0)
            tf = window_transform(ds.transform, win)
            with small_gdal_cache():
                bands = ds.read(window=win).astype(np.float32)
            shape = bands.shape[1:]
            labels = centre_labels(g, transform=tf, shape=shape)
            suitable = _suitable_pixels(bands, labels, params, px_m2)
            k = len(members)
            # roof-wide mean irradiation over the whole footprint
            w = coverage_weights(g, transform=tf, shape=shape)
            poa = bands[0].ravel()[w.pixel].astype(np.float64)
            valid = np.isfinite(poa)
            a = w.weight * px_m2
            out["poa"][members] += np.bincount(
                w.poly, weights=a * np.nan_to_num(poa) * valid, minlength=k
            )
            out["poa_w"][members] += np.bincount(w.poly, weights=a * valid, minlength=k)
            # modules: suitable pixels within the footprint less its setback
            wi = coverage_weights(inner_all[members], transform=tf, shape=shape)
            poa = bands[0].ravel()[wi.pixel].astype(np.float64)
            slope = bands[2].ravel()[wi.pixel].astype(np.float64)
            s = (suitable.ravel()[wi.pixel] & (labels.ravel()[wi.pixel] == wi.poly + 1)
                 & np.isfinite(poa))
            a = wi.weight * px_m2 * s
            pitched = slope >= flat_deg
            modules = np.where(pitched, a / np.cos(np.radians(slope)) * flush, a * layout.gcr)
            out["suit"][members] += np.bincount(wi.poly, weights=a, minlength=k)
            out["flat_mod"][members] += np.bincount(
                wi.poly, weights=modules * ~pitched, minlength=k
            )
            out["pitch_mod"][members] += np.bincount(
                wi.poly, weights=modules * pitched, minlength=k
            )
            out["kwh"][members] += np.bincount(
                wi.poly, weights=modules * density * np.nan_to_num(poa) * pr, minlength=k
            )
    module_area = out["flat_mod"] + out["pitch_mod"]
    kwp = module_area * density
    kind = np.where(out["flat_mod"] >= out["pitch_mod"], layout.kind, "flush").astype(object)
    both = (out["flat_mod"] > 0) & (out["pitch_mod"] > 0)
    share = np.minimum(out["flat_mod"], out["pitch_mod"]) / np.where(both, module_area, 1.0)
    kind[both & (share >= MIXED_SHARE)] = "mixed"
    kind[module_area <= 0] = ""
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.DataFrame(
            {
                "roof_area_m2": shapely.area(geoms),
                "pv_suitable_area_m2": out["suit"],
                "pv_module_area_m2": module_area,
                "pv_kwp": kwp,
                "pv_kwh_year": out["kwh"],
                "pv_specific_yield": np.where(kwp > 0, out["kwh"] / kwp, np.nan),
                "pv_poa_kwh_m2": np.where(out["poa_w"] > 0, out["poa"] / out["poa_w"], np.nan),
                "pv_layout": kind,
                "pv_gcr": np.where(out["suit"] > 0, module_area / out["suit"], np.nan),
            }
        )


def read_sky_note(project: Project, lang: str = "en") -> str:
    """The sky and layout the PV fields were computed with (empty before a build).

    ``lang="zh"``: the Chinese note the PV step wrote beside the English one (a build older
    than that wrote only the English one, returned then).
    """
    path = project.build_dir / f"{IRRADIATION_RASTER}.json"
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    if lang == "zh" and info.get("note_zh"):
        return str(info["note_zh"])
    return str(info.get("note", ""))


def _sky_record_note(project: Project) -> str:
    """The sky and layout note of the PV records: Chinese and English (``bilingual_note``)."""
    return bilingual_note(read_sky_note(project, "zh"), read_sky_note(project))


def _zone(ctx: MetricContext, frame: gpd.GeoDataFrame) -> NDArray[np.intp]:
    return zone_index(ctx, np.asarray(frame.geometry.values, dtype=object))


def _by_zone(ctx: MetricContext, zone: NDArray[np.intp], weights: Any) -> NDArray[np.float64]:
    inside = zone >= 0
    w = np.asarray(weights, dtype=float)[inside]
    out: NDArray[np.float64] = np.bincount(
        zone[inside], weights=w, minlength=len(ctx.communities)
    ).astype(np.float64)
    return out


@metric_kind("pv", reads=lambda spec: ("buildings",), themes=("pv",))
def pv(ctx: MetricContext, spec: Mapping[str, Any]) -> MetricResult:
    """Rooftop PV coverage or potential of a building set, per community.

    See the module docstring for the parameters (``measure``, ``where``, ``where_any``,
    ``nea_class``).

    Returns
    -------
    MetricResult
        Values: ``num``/``den`` (shares, plus ``buildings`` and ``buildings_with_pv``
        counts) or ``value`` (sums), indexed by community code.
    """
    measure = str(spec.get("measure", "coverage"))
    if measure not in MEASURES:
        raise ManifestError(f"kind pv: unknown measure {measure!r} (use one of {MEASURES})")
    whole = read_layer(ctx, "buildings")
    frame = filter_frame(ctx, whole, spec, layer_name="buildings")
    # e.g. TJ-PV50's "built since 2021": a building of unknown year is not in it (say so)
    # counted per community: each zone's note states its own buildings (layers.share_notes)
    undecided = NoteCounts(ctx, lambda f: _zone(ctx, f))
    undecided.undecided(whole, frame, {k: spec[k] for k in ("where", "where_any") if k in spec},
                        "buildings")
    classes = spec.get("nea_class")
    if classes is not None:
        wanted = [classes] if isinstance(classes, str) else list(classes)
        uses = pv_params(ctx.project, ctx.cache.get("catalog_params", {}).get(THEME, {})).get(
            "nea_uses")
        frame = frame[nea_classes(frame, uses=uses).isin(wanted).to_numpy()]
    zone = _zone(ctx, frame)
    index = pd.Index(ctx.communities.index, name="code")
    roof = shapely.area(np.asarray(frame.geometry.values, dtype=object))
    if measure in SUM_FIELDS:
        field = SUM_FIELDS[measure]
        if field not in frame.columns:
            raise NoData(f"buildings have no {field}: build the project with a DSM")
        out = pd.DataFrame({"value": _by_zone(ctx, zone, frame[field].fillna(0))}, index=index)
        return MetricResult(out, note=_sky_record_note(ctx.project))
    installed = (
        pd.to_numeric(frame["pv_area_m2"], errors="coerce").fillna(0.0).to_numpy()
        if "pv_area_m2" in frame.columns else np.zeros(len(frame))
    )
    if measure == "suitable_share":
        if "pv_suitable_area_m2" not in frame.columns:
            raise NoData("buildings have no pv_suitable_area_m2: build the project with a DSM")
        num = _by_zone(ctx, zone, frame["pv_suitable_area_m2"].fillna(0))
        den = _by_zone(ctx, zone, roof)
    elif measure == "count_share":
        num = _by_zone(ctx, zone, installed > 0)
        den = _by_zone(ctx, zone, np.ones(len(frame)))
    else:
        num = _by_zone(ctx, zone, installed)
        den = _by_zone(ctx, zone, roof)
    out = pd.DataFrame(
        {
            "num": num,
            "den": np.where(den > 0, den, np.nan),
            "buildings": _by_zone(ctx, zone, np.ones(len(frame))),
            "buildings_with_pv": _by_zone(ctx, zone, installed > 0),
        },
        index=index,
    )
    notes = []
    if measure == "suitable_share":
        notes.append(_sky_record_note(ctx.project))
    if "pv_area_m2" not in frame.columns and measure != "suitable_share":
        notes.append("buildings have no pv_area_m2 field: installed PV counted as 0")
    if not undecided.parts:
        return MetricResult(out, note="; ".join(n for n in notes if n), scale=PERCENT)
    undecided.parts += [("static", (n,)) for n in notes if n]  # said after the counts
    return undecided.result(out, scale=PERCENT)
