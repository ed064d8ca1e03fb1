"""How each layer is drawn: colours, categories, ramps and tooltip fields.

One table serves both the inline layers (coloured in Python) and the layers loaded by
bounding box (coloured by ``static/peakmap.js`` from the same table sent as JSON).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["DEFAULT_STYLE", "LAYER_STYLES", "LayerStyle", "colors_of", "outlines_of", "style_for"]

AGG_COLOR = "#3f51b5"
MISSING_COLOR = "#bdbdbd"


@dataclass(frozen=True)
class LayerStyle:
    """Drawing rules of one layer.

    Attributes
    ----------
    color : str
        Default colour (outline of polygons without fill, lines, points).
    fill : bool
        Fill polygons.
    weight, fill_opacity, radius
        Line width (px), fill opacity, point radius (px).
    category : dict, optional
        ``{"field": name, "colors": {value: colour}, "prefix": n}``; values compare as text
        (``true``/``false`` for booleans), ``prefix`` compares only the first n characters.
    ramp : dict, optional
        ``{"field": num, "den": den or None, "breaks": [...], "colors": [...]}``: the value
        (``100 * num / den`` when ``den`` is given) is coloured by the first break it does
        not exceed.
    tip_fields : tuple of str
        Fields shown in tooltips, in order.
    show : bool
        Layer switched on when the page opens.
    stroke : str, optional
        Outline colour of filled polygons (default: the fill colour).
    outline : tuple of dict
        Flag outlines ``{"field": name, "color": c, "weight": px}``: a feature whose field is
        true (``true`` as text) is outlined in the first matching rule's colour and width,
        whatever its fill; the fill still follows ``category`` or ``ramp``.
    """

    color: str
    fill: bool = True
    weight: float = 1.0
    fill_opacity: float = 0.45
    radius: float = 4.0
    category: dict[str, Any] | None = None
    ramp: dict[str, Any] | None = None
    tip_fields: tuple[str, ...] = ("id", "name")
    show: bool = True
    stroke: str | None = None
    agg_color: str = AGG_COLOR
    legend: dict[str, str] = field(default_factory=dict)
    outline: tuple[dict[str, Any], ...] = ()

    def as_json(self) -> dict[str, Any]:
        """Plain dict for the page script."""
        out = asdict(self)
        out["tip_fields"] = list(self.tip_fields)
        out["outline"] = [dict(r) for r in self.outline]
        if self.ramp is not None:
            out["ramp"] = {**self.ramp, "missing": MISSING_COLOR}
        return out


_LANDUSE = {"R": "#f6e3a1", "A": "#f4a6a6", "B": "#f08080", "M": "#b39ddb", "W": "#ce93d8",
            "S": "#d5d5d5", "U": "#90a4ae", "G": "#81c784", "E": "#90caf9", "H": "#bcaaa4"}
_GREEN = {"G11": "#1b5e20", "G12": "#2e7d32", "G13": "#388e3c", "G14": "#43a047",
          "G2": "#66bb6a", "G3": "#c5e1a5", "XG": "#9ccc65", "EG": "#aed581"}
_RECYCLING = {"community_point": "#00897b", "transfer_station": "#f4511e",
              "sorting_center": "#6d4c41", "two_network_point": "#8e24aa"}
PV_BREAKS = [0.0, 10.0, 30.0, 50.0, 100.0]
PV_COLORS = ["#e0e0e0", "#fff59d", "#ffca28", "#fb8c00", "#e65100"]

LAYER_STYLES: dict[str, LayerStyle] = {
    "districts": LayerStyle("#222222", fill=False, weight=3.0, tip_fields=("code", "name")),
    "streets": LayerStyle("#444444", fill=False, weight=2.0,
                          tip_fields=("code", "name", "district_code")),
    "communities": LayerStyle("#888888", fill=False, weight=0.8,
                              tip_fields=("code", "name", "street_code", "households",
                                          "population"), show=False),
    "landuse": LayerStyle("#cccccc", fill_opacity=0.5, weight=0.3, show=False,
                          category={"field": "code", "colors": _LANDUSE, "prefix": 1},
                          tip_fields=("code", "subcode", "built_up", "area_m2")),
    "buildings": LayerStyle("#8d6e63", weight=0.5, fill_opacity=0.6, stroke="#5d4037",
                            tip_fields=("id", "use", "floors", "height_m", "built_year",
                                        "floor_area_m2", "retrofit_year", "pv_area_m2",
                                        "area_m2")),
    "green_spaces": LayerStyle("#43a047", weight=0.5, fill_opacity=0.6,
                               category={"field": "class", "colors": _GREEN},
                               tip_fields=("id", "name", "class", "built_year",
                                           "renovated_year", "area_m2")),
    "pocket_parks": LayerStyle("#1b5e20", weight=1.5, fill_opacity=0.7,
                               category={"field": "status",
                                         "colors": {"existing": "#1b5e20",
                                                    "planned": "#ffb300"}},
                               tip_fields=("id", "name", "status", "built_year", "area_m2")),
    "sponge_zones": LayerStyle("#1e88e5", weight=0.8, fill_opacity=0.3, show=False,
                               category={"field": "compliant",
                                         "colors": {"true": "#1e88e5", "false": "#ef6c00"}},
                               tip_fields=("id", "name", "compliant", "runoff_control_rate",
                                           "target_rate", "completed_year", "area_m2")),
    "recycling_points": LayerStyle("#00897b", radius=5.0, fill_opacity=0.9,
                                   category={"field": "kind", "colors": _RECYCLING},
                                   tip_fields=("id", "name", "kind", "community_code",
                                               "opened_year", "status")),
    "heating_pipes": LayerStyle("#d32f2f", fill=False, weight=1.5, show=False,
                                category={"field": "network",
                                          "colors": {"primary": "#b71c1c",
                                                     "secondary": "#ff8a65"}},
                                tip_fields=("id", "network", "install_year", "renovated_year",
                                            "diameter_mm", "length_m")),
    "streetlights": LayerStyle("#757575", radius=2.0, fill_opacity=0.9, show=False,
                               category={"field": "lamp_type",
                                         "colors": {"LED": "#fdd835", "HPS": "#ff7043",
                                                    "MH": "#90a4ae", "other": "#757575"}},
                               tip_fields=("id", "lamp_type", "power_w", "street_code")),
    "facilities": LayerStyle("#6a1b9a", radius=3.0, fill_opacity=0.9, show=False,
                             tip_fields=("id", "name", "type")),
    "forest": LayerStyle("#33691e", weight=0.5, fill_opacity=0.5,
                         tip_fields=("id", "name", "kind", "canopy_cover")),
    "nature_reserves": LayerStyle("#00695c", fill=False, weight=2.5,
                                  tip_fields=("id", "name", "category", "level",
                                              "established_year")),
    "shorelines": LayerStyle("#0d47a1", fill=False, weight=2.0,
                             tip_fields=("id", "name", "kind", "natural")),
    "roads": LayerStyle("#9e9e9e", fill=False, weight=1.0, show=False,
                        tip_fields=("id", "name", "class", "walkable", "length_m")),
}

DEFAULT_STYLE = LayerStyle("#ff6f00", weight=2.0, fill_opacity=0.5,
                           tip_fields=("id", "name", "kind", "status", "area_m2"))
PROPOSAL_STYLE = LayerStyle("#e91e63", weight=3.0, fill_opacity=0.7, radius=7.0,
                            tip_fields=("id", "name", "kind", "status", "community_code",
                                        "area_m2"))
UNCOVERED_STYLE = LayerStyle("#d50000", weight=0.5, fill_opacity=0.35,
                             tip_fields=("id", "name", "code", "area_m2", "households"))
PV_POTENTIAL_BREAKS = [0.0, 25.0, 50.0, 75.0, 100.0]
# Outlines of the PV ranking's flags (layers.rooftop_pv_plan), first match wins: roofs that
# already carry PV, historic buildings (left out of the potential), TJ-PV50's denominator.
PV_FLAG_OUTLINES: tuple[dict[str, Any], ...] = (
    {"field": "has_pv", "color": "#1565c0", "weight": 2.5},
    {"field": "historic", "color": "#6d4c41", "weight": 2.5},
    {"field": "tj_pv50", "color": "#8e24aa", "weight": 2.5},
)
PV_POTENTIAL_STYLE = LayerStyle(
    "#e0e0e0", weight=0.4, fill_opacity=0.8, stroke="#757575",
    ramp={"field": "pv_suitable_area_m2", "den": "roof_area_m2",
          "breaks": PV_POTENTIAL_BREAKS, "colors": PV_COLORS},
    tip_fields=("id", "use", "built_year", "public_institution", "roof_area_m2",
                "pv_suitable_area_m2", "pv_layout", "pv_gcr", "pv_module_area_m2", "pv_kwp",
                "pv_kwh_year", "pv_specific_yield", "nea_class", "pv_area_m2", "has_pv",
                "tj_pv50", "historic"),
    outline=PV_FLAG_OUTLINES)
PV_STYLE = LayerStyle("#e0e0e0", weight=0.4, fill_opacity=0.8, stroke="#757575",
                      ramp={"field": "pv_area_m2", "den": "area_m2", "breaks": PV_BREAKS,
                            "colors": PV_COLORS},
                      tip_fields=("id", "use", "built_year", "public_institution",
                                  "pv_area_m2", "area_m2", "floors"))


def style_for(name: str) -> LayerStyle:
    """The style of stored layer ``name`` (proposal and uncovered layers have their own).

    Examples
    --------
    >>> style_for("proposal__pocket_parks").color
    '#e91e63'
    """
    if name.startswith("proposal__"):
        return PROPOSAL_STYLE
    if "uncovered" in name:
        return UNCOVERED_STYLE
    return LAYER_STYLES.get(name, DEFAULT_STYLE)


def _text_key(values: pd.Series) -> pd.Series:
    """Values as the page script compares them: booleans as ``true``/``false``."""
    out = values.astype(object).map(
        lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v))
        else ("true" if v is True or v is np.True_ else
              "false" if v is False or v is np.False_ else str(v))
    )
    return out.astype(str)


def outlines_of(frame: pd.DataFrame, style: LayerStyle) -> pd.DataFrame:
    """Outline colour and width of each row under ``style`` (the same rule as ``peakmap.js``).

    Rows no flag rule matches keep the style's own outline: ``stroke`` (or the fill colour,
    given as None) at ``weight``.

    Returns
    -------
    pandas.DataFrame
        ``color`` (str or None) and ``weight`` (float), indexed as ``frame``.

    Examples
    --------
    >>> st = LayerStyle("#eee", weight=0.4, stroke="#777",
    ...                 outline=({"field": "a", "color": "#00f", "weight": 2.0},))
    >>> outlines_of(pd.DataFrame({"a": [True, False]}), st)["color"].tolist()
    ['#00f', '#777']
    """
    color = pd.Series([style.stroke] * len(frame), index=frame.index, dtype=object)
    weight = pd.Series(float(style.weight), index=frame.index)
    done = pd.Series(False, index=frame.index)
    for rule in style.outline:
        if rule["field"] not in frame.columns:
            continue
        hit = (_text_key(frame[rule["field"]]) == "true") & ~done
        color[hit] = rule["color"]
        weight[hit] = float(rule["weight"])
        done |= hit
    return pd.DataFrame({"color": color, "weight": weight})


def colors_of(frame: pd.DataFrame, style: LayerStyle) -> pd.Series:
    """Fill colour of each row under ``style`` (the same rule as ``peakmap.js``).

    Parameters
    ----------
    frame : DataFrame
        Features with the style's fields.
    style : LayerStyle

    Returns
    -------
    pandas.Series of str
    """
    n = len(frame)
    if style.category is not None and style.category["field"] in frame.columns:
        keys = _text_key(frame[style.category["field"]])
        prefix = style.category.get("prefix")
        if prefix:
            keys = keys.str.slice(0, int(prefix))
        colors: Mapping[str, str] = style.category["colors"]
        return keys.map(lambda k: colors.get(k, style.color)).astype(str)
    if style.ramp is not None:
        num_name, den_name = style.ramp["field"], style.ramp.get("den")
        if num_name not in frame.columns or (den_name and den_name not in frame.columns):
            return pd.Series([MISSING_COLOR] * n, index=frame.index)
        num = pd.to_numeric(frame[num_name], errors="coerce").to_numpy(dtype=float)
        if den_name:
            den = pd.to_numeric(frame[den_name], errors="coerce").to_numpy(dtype=float)
            with np.errstate(divide="ignore", invalid="ignore"):
                val = np.where(den > 0, 100.0 * num / den, np.nan)
        else:
            val = num
        palette = np.asarray(style.ramp["colors"], dtype=object)
        idx = np.searchsorted(np.asarray(style.ramp["breaks"], dtype=float), val, side="left")
        idx = np.minimum(idx, len(palette) - 1)
        out = np.where(np.isnan(val), MISSING_COLOR, palette[idx])
        return pd.Series(out, index=frame.index).astype(str)
    return pd.Series([style.color] * n, index=frame.index)
