r"""Typed theme parameters: one pydantic model per ``[params.<theme>]`` table, one merge.

Every adjustable parameter of peakmap is a field of one of the models below, with its
default, type and unit (in the field's description; [C] = fixed by a standard or the plan,
[U] = common practice that no standard fixes). A theme's values in force come from
:func:`merge_params`, always in the same order:

1. the model's defaults (this module),
2. the indicator catalog's ``[params.<theme>]`` table (``targets.toml`` and its includes),
3. the manifest's ``[params.<theme>]`` table (``project.toml``),
4. options given on the command line (``None`` = not given).

Each table is checked on its own (:func:`check_table`): an unknown table or key, or a value
of the wrong type, is one line naming the table and the closest valid key. Tables replace
whole values: a manifest ``complete_facilities`` table replaces the catalog's.

:meth:`layers.project.Project.params` and :func:`layers.indicators.inputs.theme_params` are the
readers for a project and for a metric run.

Examples
--------
>>> merge_params(BuildingsParams).storey_height_m
3.0
>>> merge_params(BuildingsParams, ("project.toml [params.buildings]", {"storey_height_m": 2.8}),
...              ("command line", {"storey_height_m": None})).storey_height_m
2.8
>>> try:
...     merge_params(BuildingsParams, ("project.toml [params.buildings]", {"storey_hight_m": 3}))
... except ManifestError as e:
...     print(*str(e).split(": "), sep="\n")
project.toml [params.buildings]
unknown key 'storey_hight_m' (did you mean 'storey_height_m'?)
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any, ClassVar, Literal, TypeVar, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from layers._errors import ManifestError

__all__ = [
    "THEMES",
    "BuildingsParams",
    "ComputeParams",
    "CoverageParams",
    "HeatingParams",
    "OverlayParams",
    "PvParams",
    "RetentionParams",
    "SitingParams",
    "ThemeParams",
    "check_table",
    "merge_params",
    "origins",
    "params_markdown",
]

# Close-match cut-off of difflib for "did you mean" (0.6 is difflib's default).
_CLOSE_MATCH = 0.6


class ThemeParams(BaseModel):
    """Base of the theme models: unknown keys refused, values checked by type."""

    # schemas built on first use: a run validates a few themes, not all nine at import
    model_config = ConfigDict(extra="forbid", validate_default=True, coerce_numbers_to_str=True,
                              defer_build=True)

    #: The ``[params.<theme>]`` table the model describes.
    THEME: ClassVar[str] = ""


def _field(default: Any, description: str, **kw: Any) -> Any:
    return Field(default, description=description, **kw)


class BuildingsParams(ThemeParams):
    """``[params.buildings]``: completing building attributes at build time."""

    THEME: ClassVar[str] = "buildings"

    storey_height_m: float = _field(
        3.0, "m; storeys estimated from height_m ÷ this where floors is missing "
        "[U] common storey height of Chinese housing (GB 50096: ≤ 2.8 m net)", gt=0)


class RetentionParams(ThemeParams):
    """``[params.retention]``: how many earlier uploads and manifest backups are kept."""

    THEME: ClassVar[str] = "retention"

    keep_uploads: int = _field(
        5, "files kept per layer in raw/uploads/<layer>/, newest first (the file the "
        "manifest names is always kept, whatever its age) [U]", ge=1)
    keep_backups: int = _field(
        20, "earlier manifests kept in backup/, newest first [U]", ge=1)


class OverlayParams(ThemeParams):
    """``[params.overlay]``: the polygon overlay of the generic metric kinds."""

    THEME: ClassVar[str] = "overlay"

    workers: int | None = _field(
        None, "threads for the polygon overlays (clip, union, intersect; GEOS releases the "
        "GIL); 1 = this thread only; none = min(2, CPU count)", ge=1)


class ComputeParams(ThemeParams):
    """``[params.compute]``: where raster tiles and indicators are computed."""

    THEME: ClassVar[str] = "compute"

    scheduler: str = _field(
        "", "Dask scheduler: 'local:N' (N worker processes here) or 'tcp://host:8786'; "
        "empty = in this process (or the PEAKMAP_DASK_SCHEDULER environment variable)")


class CoverageParams(ThemeParams):
    """``[params.coverage]``: service coverage, demand and walking distances."""

    THEME: ClassVar[str] = "coverage"

    residential_landuse_prefix: str = _field(
        "R", "land-use code prefix of residential land (GB 50137: R*)")
    residential_uses: list[str] = _field(
        ["residential"], "building use values that hold households")
    household_area_m2: float = _field(
        90.0, "m² of floor area per household where households is missing [U]", gt=0)
    assumed_floors: float = _field(
        6.0, "floors assumed for a home with no households, floor area, floors or height when "
        "no home of its community has floors: the top of 多层住宅 (4–6 floors, GB "
        "50352-2005 1.0.5) [U]; 0 leaves such homes out of household figures", ge=0)
    recycling_radius_m: float = _field(
        300.0, "m; service radius of a community recycling point [U] no national radius: "
        "the 5-minute circle", gt=0)
    recycling_kinds: list[str] = _field(
        ["community_point"], "recycling_points kind values that serve homes")
    historic_streets: list[str] = _field(
        [], "street codes whose parks follow the historic-district radius rules")
    complete_facilities: dict[str, float] = _field(
        {"kindergarten": 300.0, "elderly_care": 300.0, "supermarket": 300.0,
         "community_service": 300.0, "clinic": 500.0},
        "facility type → service radius (m) of a complete community [U] 5/10-minute "
        "circles (GB 50180-2018 practice)")
    complete_min_share: float = _field(
        80.0, "% of a community's households within each radius [U]", ge=0, le=100)
    grid_spacing_m: float = _field(
        10.0, "m; sample grid of residential land in walking mode", gt=0)
    demand_snap_m: float = _field(
        150.0, "m; demand farther than this from every road is reported as off the network",
        ge=0)
    entrance_snap_m: float = _field(
        50.0, "m; park boundary points farther than this from roads are no entrance", ge=0)
    access_spacing_m: float = _field(
        25.0, "m; park entrances: the boundary is sampled at this spacing", gt=0)
    road_snap_tolerance_m: float = _field(
        1.0, "m; road ends closer than this are joined in the walking graph", ge=0)
    walkable_only: bool = _field(
        True, "leave out roads with walkable = false (a missing value counts as walkable)")
    uncovered_preset: str = _field(
        "gbt51346", "park preset of the store layer uncovered_residential")
    presets_file: str = _field(
        "", "extra park presets (TOML inside the project); empty = the built-in ones")


class HeatingParams(ThemeParams):
    """``[params.heating]``: the heat-loss model of the heating network."""

    THEME: ClassVar[str] = "heating"

    baseline_year: int = _field(2020, "year; the plan's baseline [C]")
    renewal_age_years: int = _field(
        30, "years; '30年以上老旧供热管网' (plan text) as insulation life [U]", ge=0)
    heat_load_w_per_m2: float = _field(
        36.0, "W/m² floor, heating-season mean: 0.38 GJ/m²·a = 5.95 bn GJ ÷ 15.6 bn m² "
        "(Tsinghua BERC 2024, Decarbonize Urban Heating System, 3.1; northern average [U]) "
        "over Tianjin's 121-day season (GB 50736-2012 app. A, ≤+5 ℃ days [C])", ge=0)
    primary_supply_c: float = _field(
        95.0, "°C seasonal mean; primary networks designed 130/70 °C (CJJ 34) [U]")
    primary_return_c: float = _field(55.0, "°C seasonal mean [U]")
    secondary_supply_c: float = _field(
        60.0, "°C seasonal mean; radiator networks designed 85/60 or 95/70 °C [U]")
    secondary_return_c: float = _field(45.0, "°C seasonal mean [U]")
    soil_c: float = _field(6.0, "°C; soil at pipe depth, heating-season mean (Tianjin) [U]")
    soil_w_per_mk: float = _field(1.5, "W/(m·K); moist clay / silt [U]", gt=0)
    cover_m: float = _field(
        0.8, "m soil cover over the casing (CJJ/T 81 minimum under roadways) [U]", ge=0)
    pipe_gap_m: float = _field(
        0.25, "m clear distance between supply and return casings [U]", ge=0)
    insulation_w_per_mk: float = _field(
        0.033, "W/(m·K); PUR foam of pre-insulated pipes, λ50 ≤ 0.033 (GB/T 29047) [C]", gt=0)
    ageing_per_year: float = _field(
        0.01, "1/year; λ rises ≈ 1 %/yr as the foam's cell gas diffuses out [U]", ge=0)
    old_insulation_w_per_mk: float = _field(
        0.30, "W/(m·K); wet, settled mineral wool / perlite of old trench pipes [U]", gt=0)
    old_leak_w_per_m: float = _field(
        250.0, "W/m; heat of the make-up water of leaking old pipes; a 1 % make-up share, "
        "not the 7–10 % a day reported for Changchun (央广网 2013-03-22) [U]", ge=0)
    fittings_factor: float = _field(
        1.15, "× pipe loss for valves, supports, chambers (CJJ 34 practice) [U]", gt=0)
    default_diameter_mm: float = _field(150.0, "mm; DN of a pipe without one [U]", gt=0)
    primary_min_diameter_mm: float = _field(
        300.0, "mm; a pipe without level with DN ≥ this is primary [U]", gt=0)
    baseline_rate_percent: float | None = _field(
        None, "% measured loss rate of the whole network in the baseline year; when set, "
        "modelled losses are scaled so the baseline rate equals it", gt=0, lt=100)
    old_loss_w_per_m: float | None = _field(
        None, "W/m; flat model: with new_loss_w_per_m, every old pipe loses this")
    new_loss_w_per_m: float | None = _field(
        None, "W/m; flat model: with old_loss_w_per_m, every other pipe loses this")


class PvParams(ThemeParams):
    """``[params.pv]``: rooftop PV suitability, yield and the ranking."""

    THEME: ClassVar[str] = "pv"

    clearness: float = _field(
        0.76, "ratio of actual to clear-sky irradiation without a weather file "
        "(Tianjin ≈ 1,510 kWh/m²/yr) [U]", gt=0)
    linke_turbidity: float = _field(0.0, "Linke turbidity; 0 = pvlib climatology", ge=0)
    albedo: float = _field(0.2, "ground reflectance, 0–1 [U]", ge=0, le=1)
    transposition: Literal["perez", "haydavies"] = _field(
        "perez", "sky model of the plane-of-array irradiation")
    performance_ratio: float = _field(0.80, "system losses, 0–1 [U]", gt=0, le=1)
    power_density_kwp_m2: float = _field(
        0.21, "kWp per m² of module area (= module efficiency at STC): P/N-type mono-Si "
        "≥ 21.2 / 22.3 % (工业和信息化部《光伏制造行业规范条件（2024年本）》) [C]", gt=0)
    setback_m: float = _field(1.0, "m kept free inside the footprint's edge [U]", ge=0)
    flush_fill: float = _field(
        0.9, "share of a pitched roof's surface the modules fill [U]", ge=0, le=1)
    layout: Literal["rows", "east_west", "flat"] = _field(
        "rows", "flat-roof layout (gis.solar_layout)")
    module_length_m: float = _field(2.0, "m slant length of a module row", gt=0)
    row_gcr: float = _field(
        0.0, "ground coverage ratio of rows; 0 = unshaded from no_shade_from_h to "
        "no_shade_to_h on the winter solstice", ge=0, le=1)
    no_shade_from_h: float = _field(9.0, "h solar time", ge=0, le=24)
    no_shade_to_h: float = _field(15.0, "h solar time", ge=0, le=24)
    east_west_tilt_deg: float = _field(10.0, "° tilt of east-west modules", ge=0, le=90)
    east_west_gcr: float = _field(0.85, "ground coverage ratio of east-west rows", ge=0, le=1)
    flat_fill: float = _field(0.85, "share of a flat roof filled by flat modules", ge=0, le=1)
    min_unshaded_ratio: float = _field(
        0.70, "annual irradiation ÷ the same plane without neighbours, at least (NREL) [C]",
        ge=0, le=1)
    max_tilt_deg: float = _field(60.0, "° steepest suitable roof [C]", ge=0, le=90)
    north_half_width_deg: float = _field(
        67.5, "° half-width of the north sector left out (NW…NE) [U]", ge=0, le=180)
    min_patch_m2: float = _field(10.0, "m² smallest contiguous suitable patch [C]", ge=0)
    flat_slope_deg: float = _field(10.0, "° roofs flatter than this are flat [U]", ge=0, le=90)
    flat_tilt_deg: float = _field(30.0, "° tilt of modules on flat roofs", ge=0, le=90)
    step_minutes: float = _field(60.0, "min; time-of-day step of the sun directions", gt=0)
    min_sun_elevation_deg: float = _field(5.0, "° sun below this is ignored", ge=0, le=90)
    max_shadow_m: float = _field(500.0, "m longest shadow traced", gt=0)
    tile_px: int = _field(2048, "pixels per side of a raster tile", gt=0)
    weather_file: str = _field(
        "", "EPW, TMY3 CSV, PVGIS TMY JSON or CSV (time, ghi[, dni, dhi]) inside the project")
    monthly_climate: str = _field(
        "", "CSV month, ghi_kwh_m2, diffuse_fraction, source inside the project")
    weather_csv: str = _field("", "older name of weather_file")
    weather_utc_offset_h: float = _field(8.0, "h; time zone of the weather file")
    heritage_year: int = _field(1949, "year; buildings built before are historic [U]")
    heritage_field: str = _field("protected", "buildings field flagging protected buildings")
    tj_pv50_indicator: str = _field("TJ-PV50", "catalog row whose buildings the ranking marks")
    exclude_historic: bool = _field(True, "leave historic buildings out of the ranking")
    grid_emission_factor_t_per_mwh: float = _field(
        0.5306, "tCO₂ avoided per MWh of PV: 2023 national average electricity factor "
        "(MEE & NBS) [C]", ge=0)
    grid_emission_source: str = _field(
        "生态环境部、国家统计局《关于发布2023年电力二氧化碳排放因子的公告》：2023年全国电力平均"
        "二氧化碳排放因子 0.5306 kgCO₂/kWh",
        "source of the emission factor, shown with the figures")
    monthly_ghi_kwh_m2: list[float] = _field(
        [], "kWh/m²; 12 monthly GHI totals (Jan…Dec) used without a weather file or "
        "monthly_climate; empty = pvlib clear sky × clearness")
    monthly_diffuse_fraction: list[float] = _field(
        [], "12 monthly diffuse fractions, 0–1; empty = Erbs et al. 1982 monthly correlation")
    monthly_source: str = _field("", "source of the monthly table, shown with the figures")
    monthly_source_zh: str = _field(
        "", "the same source in Chinese, for Chinese pages (empty: monthly_source as written)")
    monthly_site_lat_lon: list[float] = _field(
        [], "° latitude, longitude the monthly table is for; ignored more than 1° from the DSM")
    nea_uses: dict[str, list[str]] = _field(
        {"government": ["government"], "public": ["school", "hospital", "public"],
         "industry_commerce": ["industrial", "commercial", "warehouse"],
         "rural_home": ["rural_residential"]},
        "NEA county-pilot class → building use values")


class SitingParams(ThemeParams):
    """``[params.siting]``: the siting models (``peakmap site``)."""

    THEME: ClassVar[str] = "siting"

    recycling_indicator: str = _field("STD-RECYCLE-300", "coverage row recycling points serve")
    recycling_each_zone_indicator: str = _field(
        "HP-T2", "per-community minimum row recycling points serve")
    transfer_indicator: str = _field("HP-T3", "row transfer stations serve")
    pocket_park_indicator: str = _field("STD-PARK-500", "park-coverage row pocket parks serve")
    distance: Literal["straight", "walk"] = _field(
        "straight", "'walk' serves the '-walk' row of the indicator")
    min_per_community: int | None = _field(
        None, "points per community; none = the per-community row's min (HP-T2: 1); 0 = off",
        ge=0)
    capacity_households: float = _field(
        0.0, "households one point serves at most; 0 = off (norms: 1,000–1,500) [C]", ge=0)
    budget: int = _field(
        0, "> 0: this many new points maximising covered households", ge=0)
    candidate_sources: list[str] = _field(
        ["roadside", "public_land", "public_building"], "where candidates come from")
    grid_spacing_m: float = _field(50.0, "m; road-side and public-land candidate grid", gt=0)
    public_landuse_codes: list[str] = _field(["A", "S", "G"], "land-use codes of public land")
    water_landuse_codes: list[str] = _field(
        ["E1", "E", "W1", "water"], "land-use codes or subcodes of water (no candidate)")
    min_spacing_m: float = _field(
        30.0, "m; no new candidate this close to an existing site", ge=0)
    pocket_park_target: int = _field(20, "pocket parks per district (专栏2)", ge=0)
    pocket_park_min_area_m2: float = _field(400.0, "m² smallest plot", ge=0)
    pocket_park_max_area_m2: float = _field(10000.0, "m² largest plot", gt=0)
    pocket_park_landuse_codes: list[str] = _field(
        ["G", "S", "A"], "land-use codes of plots that may take a park")
    pocket_park_vacant_subcodes: list[str] = _field(
        ["vacant", "E9", "空地", "闲置"], "land-use subcodes of vacant plots")
    pocket_park_green_classes: list[str] = _field(
        ["XG", "G2"], "green-space classes that may be opened up (附属绿地, 防护绿地)")
    pocket_park_cell_m: float = _field(25.0, "m; sample grid of residential land", gt=0)
    count_planned_parks: bool = _field(
        True, "planned parks count as sited when computing the default number")
    time_limit_s: float = _field(120.0, "s; solver time limit", gt=0)
    mip_rel_gap: float = _field(1e-4, "relative optimality gap the solver stops at", ge=0)


#: Every ``[params.<theme>]`` table by theme name.
THEMES: dict[str, type[ThemeParams]] = {
    m.THEME: m
    for m in (CoverageParams, HeatingParams, PvParams, SitingParams, BuildingsParams,
              OverlayParams, ComputeParams, RetentionParams)
}

P = TypeVar("P", bound=ThemeParams)


def _closest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=_CLOSE_MATCH)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return f" (valid: {', '.join(choices)})"


def _value_error(where: str, err: Mapping[str, Any]) -> ManifestError:
    loc = ".".join(str(p) for p in err["loc"])
    return ManifestError(f"{where} {loc}: {err['msg']} (got {err.get('input')!r})")


def check_table(theme: str, table: Any, *, where: str) -> type[ThemeParams]:
    """Check one ``[params.<theme>]`` table on its own: theme, keys and value types.

    Parameters
    ----------
    theme : str
        The table's theme name.
    table : mapping
        Its keys and values.
    where : str
        The file holding it, for messages (e.g. ``"project.toml"``).

    Returns
    -------
    type
        The theme's model.

    Raises
    ------
    ManifestError
        One line: an unknown theme or key with the closest valid one, or a bad value.

    Examples
    --------
    >>> check_table("coverage", {"recycling_radius_m": 250.0}, where="project.toml").__name__
    'CoverageParams'
    >>> check_table("pvv", {}, where="project.toml")
    Traceback (most recent call last):
    ...
    layers._errors.ManifestError: project.toml: unknown table [params.pvv] (did you mean 'pv'?)
    """
    model = THEMES.get(theme)
    if model is None:
        hint = _closest(theme, list(THEMES))
        raise ManifestError(f"{where}: unknown table [params.{theme}]{hint}")
    if not isinstance(table, Mapping):
        raise ManifestError(f"{where}: [params.{theme}] must be a table")
    label = f"{where} [params.{theme}]"
    _unknown_keys(model, table, label)
    try:
        model.model_validate(dict(table))
    except ValidationError as e:
        raise _value_error(label, e.errors()[0]) from e
    return model


def _unknown_keys(model: type[ThemeParams], table: Mapping[str, Any], label: str) -> None:
    known = list(model.model_fields)
    for key in table:
        if key not in model.model_fields:
            raise ManifestError(f"{label}: unknown key {key!r}{_closest(str(key), known)}")


def merge_params(model: type[P], *sources: tuple[str, Mapping[str, Any] | None]) -> P:
    """Merge ``[params.<theme>]`` tables over the model's defaults, later sources winning.

    This is the one place parameters are merged: catalog, then manifest, then command line.

    Parameters
    ----------
    model : type
        The theme's model, e.g. :class:`PvParams`.
    *sources : (str, mapping or None)
        ``(label, table)`` pairs in increasing precedence; the label names the table in
        messages (``"project.toml [params.pv]"``). ``None`` tables and ``None`` values
        (a command-line option not given) are skipped.

    Returns
    -------
    ThemeParams
        An instance of ``model``.

    Raises
    ------
    ManifestError
        An unknown key (with the closest valid one) or a bad value, naming its table.
    """
    merged: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for label, table in sources:
        if not table:
            continue
        given = {k: v for k, v in table.items() if v is not None}
        _unknown_keys(model, given, label)
        merged.update(given)
        origin.update(dict.fromkeys(given, label))
    try:
        return model.model_validate(merged)
    except ValidationError as e:
        err = e.errors()[0]
        key = str(err["loc"][0]) if err["loc"] else ""
        raise _value_error(origin.get(key, f"[params.{model.THEME}]"), err) from e


def origins(model: type[P], *sources: tuple[str, Mapping[str, Any] | None]) -> dict[str, str]:
    """Which source gave each key of ``model`` (``"default"`` where none did).

    Parameters
    ----------
    model : type
        The theme's model.
    *sources : (str, mapping or None)
        As for :func:`merge_params`.

    Returns
    -------
    dict
        Key → label of the last source setting it.

    Examples
    --------
    >>> origins(BuildingsParams, ("catalog", None))
    {'storey_height_m': 'default'}
    """
    out = dict.fromkeys(model.model_fields, "default")
    for label, table in sources:
        for key, value in (table or {}).items():
            if key in out and value is not None:
                out[key] = label
    return out


def _type_name(annotation: Any) -> str:
    if get_origin(annotation) is Literal:
        return " \\| ".join(repr(a) for a in get_args(annotation))
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "").replace("|", "\\|")


def _toml(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    return repr(value)


def params_markdown() -> str:
    """The parameter reference (every table, key, type, default and unit) as Markdown.

    Returns
    -------
    str
        One section per theme model, for docs/indicators.md.
    """
    out = [
        "## Parameters",
        "",
        "Adjustable values, by `[params.<theme>]` table of `project.toml`, generated from the",
        "models in `layers/params.py`. In force: the default here < the catalog's",
        "`[params.<theme>]` (`targets.toml` and its includes) < the manifest < command-line",
        "options; a table given replaces the whole value. An unknown table or key, or a value",
        "of the wrong type, stops with one line naming the table and the closest valid key.",
        "[C] = fixed by a standard or the plan, [U] = common practice that no standard fixes.",
    ]
    for theme, model in THEMES.items():
        doc = (model.__doc__ or "").strip().splitlines()[0]
        out += [
            "",
            f"### [params.{theme}]",
            "",
            f"`layers.params.{model.__name__}`: {doc.split(': ', 1)[-1]}",
            "",
            "| key | type | default | unit and meaning |",
            "|---|---|---|---|",
        ]
        for key, info in model.model_fields.items():
            desc = (info.description or "").replace("|", "\\|")
            out.append(f"| `{key}` | {_type_name(info.annotation)} | "
                       f"`{_toml(info.get_default(call_default_factory=True))}` | {desc} |")
    return "\n".join(out) + "\n"
