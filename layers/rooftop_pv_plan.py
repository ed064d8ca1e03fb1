"""Rooftop PV for the plan: which roofs to fit first, where they are, and the potential per zone.

Each roof carries three flags (:func:`roof_table`):

``has_pv``
    Already fitted: ``pv_area_m2 > 0`` (the installed-PV input field; missing = none).
``tj_pv50``
    Inside the denominator of the plan's TJ-PV50 row (new public-institution buildings and
    factories): the ``where`` / ``where_any`` filter of the row ``tj_pv50_indicator`` of the
    project's catalog, applied with the indicator engine's own filter, so the ranking and the
    indicator count the same buildings.
``historic``
    Built before ``heritage_year`` [U] (a screening default: Tianjin's 历史风貌建筑 rules
    look at buildings over 50 years old) or flagged true in the optional field named by
    ``heritage_field`` (e.g. a listed-building flag delivered with the buildings).

and where it is: street and community (code and name, by the point on the footprint's
surface), longitude and latitude in WGS84 and GCJ-02 (for Amap / Baidu look-ups).

The potential (:func:`potential_by_zone`) counts the roofs not yet fitted and, unless
``exclude_historic`` is false, not historic: kWp, MWh/yr and the CO₂ avoided,
``MWh × grid_emission_factor_t_per_mwh`` (tCO₂/yr).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from gis.crs import wgs84_to_gcj02
from gis.overlay import assign_points
from layers._errors import ManifestError, StoreError
from layers.indicators.catalog import read_catalog
from layers.indicators.inputs import NoData, filter_mask
from layers.indicators.registry import MetricContext
from layers.indicators.zones import default_year, load_zones
from layers.rooftop_pv import NEA_CLASSES, OTHER_CLASS, PV_FIELDS, pv_params, read_sky_note

if TYPE_CHECKING:
    from layers.project import Project

__all__ = [
    "FLAGS", "LEVELS", "emission_note", "potential_by_zone", "rank_roofs", "roof_flags",
    "roof_table",
]

FLAGS = ("has_pv", "tj_pv50", "historic")
LEVELS = ("street", "community")
WGS84 = "EPSG:4326"
COORD_DECIMALS = 6
KWH_PER_MWH = 1000.0
NDArrayBool = NDArray[np.bool_]
WHERE_COLUMNS = (
    "street_code", "street_name", "community_code", "community_name",
    "lon_wgs84", "lat_wgs84", "lon_gcj02", "lat_gcj02",
)


def _truthy(values: pd.Series) -> NDArrayBool:
    text = values.astype(str).str.strip().str.lower()
    return np.asarray(text.isin(("1", "1.0", "true", "yes", "y", "是", "t")).to_numpy(), dtype=bool)


def _tj_pv50_mask(project: Project, buildings: gpd.GeoDataFrame, row_id: str) -> NDArrayBool:
    """Buildings inside the population of catalog row ``row_id`` (False without the row)."""
    try:
        catalog = read_catalog(project.targets_path)
    except (OSError, ManifestError):
        return np.zeros(len(buildings), dtype=bool)
    spec = next((s for s in catalog.indicators if s.id == row_id), None)
    if spec is None:
        return np.zeros(len(buildings), dtype=bool)
    zones = load_zones(project)
    ctx = MetricContext(project=project, store=project.store, year=default_year(project),
                        communities=zones.communities)
    try:
        return np.asarray(filter_mask(ctx, buildings, spec.params, layer_name="buildings"))
    except NoData:
        return np.zeros(len(buildings), dtype=bool)


def _where(project: Project, buildings: gpd.GeoDataFrame) -> pd.DataFrame:
    """Street, community and WGS84 / GCJ-02 coordinates of each footprint."""
    zones = load_zones(project)
    comm = zones.communities
    pts = shapely.point_on_surface(np.asarray(buildings.geometry.values, dtype=object))
    idx = assign_points(pts, np.asarray(comm.geometry.values, dtype=object))
    inside = idx >= 0
    codes = np.asarray(comm.index.astype(str))
    names = comm["name"].astype(str).to_numpy() if "name" in comm else codes
    street_codes = comm["street_code"].astype(str).to_numpy()
    streets = project.store.read("streets")
    street_name = dict(zip(streets["code"].astype(str), streets["name"].astype(str), strict=True))
    out = pd.DataFrame(index=buildings.index)
    out["community_code"] = np.where(inside, codes[np.maximum(idx, 0)], "")
    out["community_name"] = np.where(inside, names[np.maximum(idx, 0)], "")
    out["street_code"] = np.where(inside, street_codes[np.maximum(idx, 0)], "")
    out["street_name"] = [street_name.get(c, "") for c in out["street_code"]]
    lonlat = gpd.GeoSeries(pts, crs=buildings.crs).to_crs(WGS84)
    lon, lat = lonlat.x.to_numpy(), lonlat.y.to_numpy()
    glon, glat = wgs84_to_gcj02(lon, lat)
    out["lon_wgs84"] = np.round(lon, COORD_DECIMALS)
    out["lat_wgs84"] = np.round(lat, COORD_DECIMALS)
    out["lon_gcj02"] = np.round(np.asarray(glon), COORD_DECIMALS)
    out["lat_gcj02"] = np.round(np.asarray(glat), COORD_DECIMALS)
    return out


def roof_flags(project: Project, buildings: gpd.GeoDataFrame) -> pd.DataFrame:
    """The flags ``has_pv``, ``tj_pv50`` and ``historic`` of each building (module docstring).

    Raises
    ------
    ManifestError
        ``[params.pv] heritage_year`` is not a year.
    """
    params = pv_params(project)
    b = buildings
    installed = (
        pd.to_numeric(b["pv_area_m2"], errors="coerce").fillna(0.0).to_numpy()
        if "pv_area_m2" in b.columns else np.zeros(len(b))
    )
    try:
        year = int(float(params["heritage_year"]))
    except (TypeError, ValueError) as e:
        raise ManifestError(
            f"[params.pv] heritage_year: not a year ({params['heritage_year']!r})"
        ) from e
    built = (
        pd.to_numeric(b["built_year"], errors="coerce").to_numpy(dtype=float)
        if "built_year" in b.columns else np.full(len(b), np.nan)
    )
    historic = (built > 0) & (built < year)  # 0 = no value in Shapefile deliveries
    field = str(params.get("heritage_field") or "")
    if field and field in b.columns:
        historic |= _truthy(b[field])
    return pd.DataFrame(
        {
            "has_pv": installed > 0,
            "tj_pv50": _tj_pv50_mask(project, b, str(params.get("tj_pv50_indicator") or "")),
            "historic": historic,
        },
        index=b.index,
    )


def roof_table(project: Project) -> gpd.GeoDataFrame:
    """Every building with its PV fields, the three flags and where it is.

    Parameters
    ----------
    project : Project
        A project built with a DSM.

    Returns
    -------
    geopandas.GeoDataFrame
        The buildings layer plus ``has_pv``, ``tj_pv50``, ``historic`` and the columns of
        :data:`WHERE_COLUMNS`.

    Raises
    ------
    StoreError
        The buildings carry no PV fields (the project was built without a DSM).
    ManifestError
        A ``[params.pv]`` value is not a number.
    """
    b = project.store.read("buildings")
    missing = [f for f in PV_FIELDS if f not in b.columns]
    if missing:
        raise StoreError(
            f"{project.store.path}, layer buildings, field {missing[0]}: no PV fields; build "
            "the project with a DSM ([rasters.dsm]) first"
        )
    flags = roof_flags(project, b)
    for col in FLAGS:
        b[col] = flags[col].to_numpy()
    where = _where(project, b)
    for col in WHERE_COLUMNS:
        b[col] = where[col].to_numpy()
    return b


def _factor(project: Project) -> float:
    params = pv_params(project)
    try:
        return float(params["grid_emission_factor_t_per_mwh"])
    except (TypeError, ValueError) as e:
        raise ManifestError(
            "[params.pv] grid_emission_factor_t_per_mwh: not a number "
            f"({params['grid_emission_factor_t_per_mwh']!r})"
        ) from e


def emission_note(project: Project, lang: str | None = None) -> str:
    """Which emission factor turns MWh into tCO₂, with its source, and which sky was used.

    Parameters
    ----------
    project : Project
    lang : {"zh", "en"}, optional
        The sky and layout note in this language only; by default in Chinese first, then in
        English (the two notes the PV step wrote; a build older than the Chinese note gives
        the English one alone).

    Returns
    -------
    str
    """
    params = pv_params(project)
    if lang is None:
        sky_zh, sky_en = read_sky_note(project, "zh"), read_sky_note(project)
        sky = sky_zh if sky_zh == sky_en else " / ".join(s for s in (sky_zh, sky_en) if s)
    else:
        sky = read_sky_note(project, lang)
    source = params.get("grid_emission_source", "")
    if lang == "en":
        return f"tCO₂ = MWh × {_factor(project):g} t/MWh ({source})" + (
            f"; {sky}" if sky else "")
    return f"tCO₂ = MWh × {_factor(project):g} t/MWh（{source}）" + (f"；{sky}" if sky else "")


def potential_by_zone(project: Project, *, level: str = "street") -> pd.DataFrame:
    """PV potential per street or community of the roofs still to fit.

    Parameters
    ----------
    project : Project
        A project built with a DSM.
    level : {"street", "community"}
        Zone level.

    Returns
    -------
    pandas.DataFrame
        One row per zone (every zone, also those without roofs), with ``code``, ``name``
        (and ``street_name`` for communities), ``roofs``, ``roofs_with_pv``,
        ``historic_roofs``, ``roofs_to_fit`` (suitable roofs without PV, not historic unless
        ``exclude_historic`` is false), ``suitable_area_m2``, ``kwp``, ``mwh_year`` and
        ``tco2_year`` of those roofs.

    Raises
    ------
    ManifestError
        Unknown level.
    """
    if level not in LEVELS:
        raise ManifestError(f"unknown level {level!r} (use one of: {', '.join(LEVELS)})")
    params = pv_params(project)
    b = roof_table(project)
    candidate = ~b["has_pv"].to_numpy(bool)
    if bool(params.get("exclude_historic", True)):
        candidate &= ~b["historic"].to_numpy(bool)
    fit = candidate & (b["pv_kwp"].fillna(0).to_numpy() > 0)
    key = f"{level}_code"
    if level == "street":
        zones = project.store.read("streets")
    else:
        zones = project.store.read("communities")
    zones = zones.assign(code=zones["code"].astype(str))
    group = b[key].astype(str)

    def total(values: Any) -> pd.Series:
        return pd.Series(np.asarray(values, dtype=float)).groupby(group.to_numpy()).sum()

    out = pd.DataFrame({"code": zones["code"], "name": zones["name"].astype(str)})
    if level == "community":
        names = dict(zip(project.store.read("streets")["code"].astype(str),
                         project.store.read("streets")["name"].astype(str), strict=True))
        out["street_name"] = [names.get(str(c), "") for c in zones["street_code"]]
    columns = {
        "roofs": np.ones(len(b)),
        "roofs_with_pv": b["has_pv"].to_numpy(float),
        "historic_roofs": b["historic"].to_numpy(float),
        "roofs_to_fit": fit.astype(float),
        "suitable_area_m2": b["pv_suitable_area_m2"].fillna(0).to_numpy() * fit,
        "kwp": b["pv_kwp"].fillna(0).to_numpy() * fit,
        "mwh_year": b["pv_kwh_year"].fillna(0).to_numpy() * fit / KWH_PER_MWH,
    }
    for col, values in columns.items():
        out[col] = out["code"].map(total(values)).fillna(0.0).to_numpy()
    for col in ("roofs", "roofs_with_pv", "historic_roofs", "roofs_to_fit"):
        out[col] = out[col].astype(int)
    out["tco2_year"] = out["mwh_year"] * _factor(project)
    return out.reset_index(drop=True)


def rank_roofs(
    project: Project,
    *,
    top: int,
    nea_class: str | None = None,
    tj_pv50_only: bool = False,
    include_existing: bool = False,
    include_historic: bool = False,
) -> gpd.GeoDataFrame:
    """The ``top`` roofs by annual PV yield, with their flags and where they are.

    Parameters
    ----------
    project : Project
        A project built with a DSM (so the buildings carry the PV fields).
    top : int
        Number of roofs.
    nea_class : str, optional
        ``government``, ``public``, ``industry_commerce``, ``rural_home`` or ``other``.
    tj_pv50_only : bool
        Only the buildings of TJ-PV50's denominator.
    include_existing, include_historic : bool
        Keep roofs already fitted / historic buildings (left out by default).

    Returns
    -------
    geopandas.GeoDataFrame
        ``rank``, ``id``, ``use``, ``nea_class``, the flags, where (street, community,
        WGS84 and GCJ-02 coordinates) and the PV fields, best first.

    Raises
    ------
    StoreError
        The buildings carry no PV fields (the project was built without a DSM).
    ManifestError
        Unknown class.
    """
    if nea_class is not None and nea_class not in (*NEA_CLASSES, OTHER_CLASS):
        known = ", ".join((*NEA_CLASSES, OTHER_CLASS))
        raise ManifestError(f"unknown NEA class {nea_class!r} (use one of: {known})")
    b = roof_table(project)
    keep = b["pv_kwh_year"].fillna(0).to_numpy() > 0
    if nea_class is not None:
        keep &= (b["nea_class"] == nea_class).to_numpy()
    if tj_pv50_only:
        keep &= b["tj_pv50"].to_numpy(bool)
    if not include_existing:
        keep &= ~b["has_pv"].to_numpy(bool)
    if not include_historic:
        keep &= ~b["historic"].to_numpy(bool)
    b = b[keep].sort_values(["pv_kwh_year", "pv_specific_yield"], ascending=False, kind="stable")
    b = b.head(max(int(top), 0)).copy()
    b.insert(0, "rank", np.arange(1, len(b) + 1))
    cols = ["rank", "id", "use", *FLAGS, *WHERE_COLUMNS, *PV_FIELDS, b.geometry.name]
    return gpd.GeoDataFrame(b[[c for c in cols if c in b.columns]], crs=b.crs)
