"""The PV step's note, in Chinese and in English: which sky and which layout the PV fields used.

Both texts are made here, from the same values, where the PV step (:mod:`layers.rooftop_pv`)
makes its note; they are stored side by side (``note``, ``note_zh`` of
``build/solar_irradiation.json``) and read with :func:`layers.rooftop_pv.read_sky_note`.
Model and product names (pvlib, Ineichen, Erbs, Perez, Hay-Davies, EPW), units, file names
and the sources a planner cites stay as written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gis.solar_layout import Layout
from gis.solar_sky import TRANSPOSITION_NAMES

__all__ = [
    "MONTHLY_METHOD",
    "MONTHLY_METHOD_ZH",
    "TRANSPOSITION_LABELS",
    "far_remark",
    "layout_text",
    "sky_note",
    "sky_source",
    "with_transposition",
]

MONTHLY_METHOD = (
    "clear-sky hourly shape scaled to each month's GHI, Erbs hourly split scaled to the "
    "month's diffuse fraction"
)
MONTHLY_METHOD_ZH = "逐时形状取晴空、按各月水平总辐照缩放，Erbs 逐时直散分离按当月散射比缩放"
#: The transposition models' names (zh, en).
TRANSPOSITION_LABELS: dict[str, tuple[str, str]] = {
    "perez": ("Perez 1990 斜面辐照模型", TRANSPOSITION_NAMES["perez"]),
    "haydavies": ("Hay-Davies 斜面辐照模型", TRANSPOSITION_NAMES["haydavies"]),
}
_FACES_ZH = {180.0: "南", 0.0: "北", 90.0: "东", 270.0: "西"}
NO_SOURCE = ("未注明来源", "no source given")


def sky_source(kind: str, params: Mapping[str, Any], **what: Any) -> tuple[str, str]:
    """Where the year's sky came from, (zh, en), without the transposition model.

    Parameters
    ----------
    kind : str
        ``weather`` (``fmt``, ``name``, ``records``), ``monthly_file`` (``name``,
        ``cited``), ``monthly_params`` (``[params.pv] monthly_source`` /
        ``monthly_source_zh``), ``clear_sky`` (``clearness``; ``far_site`` when the monthly
        table of ``[params.pv]`` is for a site too far away, ``max_deg``).
    params : mapping
        ``[params.pv]``.

    Examples
    --------
    >>> sky_source("weather", {}, fmt="EPW", name="tj.epw", records=8760)
    ('EPW 气象文件 tj.epw（8760 条记录）', 'EPW weather file tj.epw (8760 records)')
    """
    if kind == "weather":
        return (f"{what['fmt']} 气象文件 {what['name']}（{what['records']} 条记录）",
                f"{what['fmt']} weather file {what['name']} ({what['records']} records)")
    if kind == "monthly_file":
        cited = str(what.get("cited") or "")
        return (f"月气候表 {what['name']}（{cited or NO_SOURCE[0]}），{MONTHLY_METHOD_ZH}",
                f"monthly climatology {what['name']} ({cited or NO_SOURCE[1]}), "
                f"{MONTHLY_METHOD}")
    if kind == "monthly_params":
        en = str(params.get("monthly_source") or "")
        zh = str(params.get("monthly_source_zh") or "") or en
        return (f"月气候表（[params.pv] monthly_ghi_kwh_m2；{zh or NO_SOURCE[0]}），"
                f"{MONTHLY_METHOD_ZH}",
                f"monthly climatology of [params.pv] monthly_ghi_kwh_m2 "
                f"({en or NO_SOURCE[1]}), {MONTHLY_METHOD}")
    if kind == "clear_sky":
        c = float(what["clearness"])
        return (f"pvlib Ineichen 晴空 × 晴朗指数 {c:g}，Erbs 直散分离",
                f"pvlib Ineichen clear sky × clearness {c:g}, Erbs split")
    raise ValueError(f"unknown sky kind {kind!r}")


def far_remark(site: Any, max_deg: float) -> tuple[str, str]:
    """Why the monthly table of ``[params.pv]`` was not used (zh, en)."""
    return (f"（[params.pv] 的月气候表适用于 {site}，与本 DSM 相距超过 {max_deg:g}°，未采用）",
            f" (the monthly climatology of [params.pv] is for {site}, more than "
            f"{max_deg:g}° from this DSM)")


def layout_text(layout: Layout) -> tuple[str, str]:
    """The flat-roof layout (zh, en), e.g. ``南向阵列 倾角 30°，GCR 0.44，排间距 4.6 m``."""
    en = layout.describe()
    if layout.kind == "flat":
        return f"平铺，覆盖率 {layout.gcr:.2f}", en
    if layout.kind == "east_west":
        return (f"东西向 倾角 {layout.tilt_deg:g}°，GCR {layout.gcr:.2f}，排间距 "
                f"{layout.pitch_m:.1f} m", en)
    face = _FACES_ZH.get(layout.azimuth_deg % 360.0)
    head = f"{face}向阵列" if face else f"阵列（方位 {layout.azimuth_deg:g}°）"
    return (f"{head} 倾角 {layout.tilt_deg:g}°，GCR {layout.gcr:.2f}，排间距 "
            f"{layout.pitch_m:.1f} m", en)


def with_transposition(source_zh: str, model: str, tail_zh: str = "") -> str:
    """The Chinese sky source as the sun sample's English one reads: source, model, remark."""
    return f"{source_zh}，{TRANSPOSITION_LABELS[model][0]}{tail_zh}"


def sky_note(
    source: tuple[str, str], *, ghi_kwh: float, diffuse_fraction: float, layout: Layout,
    flush_fill: float, setback_m: float,
) -> tuple[str, str]:
    """The PV step's note (zh, en): sky (with its transposition), GHI, diffuse fraction, layout.

    ``source`` is the sky's source in Chinese (:func:`with_transposition`) and in English
    (the sun sample's ``source``).

    Examples
    --------
    >>> from gis.solar_layout import make_layout
    >>> zh, en = sky_note((with_transposition("S", "perez"), "S, Perez 1990 transposition"),
    ...                   ghi_kwh=1514.2, diffuse_fraction=0.4, flush_fill=0.9, setback_m=1.0,
    ...                   layout=make_layout("flat", latitude_deg=39.1))
    >>> print(zh)
    天空：S，Perez 1990 斜面辐照模型，年水平总辐照 1,514 kWh/m²，散射比 0.40；平屋顶：平铺，覆盖率 0.85，坡屋顶顺坡铺设 × 0.9；退距 1 m
    >>> print(en)
    sky: S, Perez 1990 transposition, 1,514 kWh/m² GHI, diffuse fraction 0.40; flat roofs: flat-mounted, fill 0.85, pitched roofs flush × 0.9; setback 1 m
    """  # noqa: E501
    lay_zh, lay_en = layout_text(layout)
    zh = (f"天空：{source[0]}，年水平总辐照 {ghi_kwh:,.0f} kWh/m²，散射比 "
          f"{diffuse_fraction:.2f}；平屋顶：{lay_zh}，坡屋顶顺坡铺设 × {flush_fill:g}；退距 "
          f"{setback_m:g} m")
    en = (f"sky: {source[1]}, {ghi_kwh:,.0f} kWh/m² GHI, diffuse fraction "
          f"{diffuse_fraction:.2f}; flat roofs: {lay_en}, pitched roofs flush × "
          f"{flush_fill:g}; setback {setback_m:g} m")
    return zh, en
