"""Printed A4 sheets: the furniture every PDF/PNG map export shares.

Page size, Chinese font, title and subtitle, legend, the notes column, the sample-data
notice, north arrow, metric scale bar and the project's own reference layers (water, roads,
district outline). :mod:`web.exports` (indicator maps), :mod:`web.exports_maps` (layers, gaps,
PV) and :mod:`web.report_pdf` (the PDF report) draw their pages with it. The same text as the
pages (``web/i18n.py``) goes on every sheet, so a Chinese page and its printed map agree.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gis import PeakmapError
from web.i18n import t
from web.layer_text import fit_notes, wrap_width

if TYPE_CHECKING:
    import geopandas as gpd

    from web.data import ProjectData


__all__ = [
    "MAP_FORMATS",
    "NO_DATA_FILL",
    "PAGE_SIZE_IN",
    "ZONE_EDGE",
    "ExportError",
    "MapSheet",
    "Overlay",
    "cjk_font",
    "draw_panel",
    "export_text",
    "map_figure",
    "new_page",
    "nice_length",
    "page_style",
    "reference_layers",
    "render_map",
    "save_figure",
]


# --- maps as PNG and PDF -------------------------------------------------------------------

MAP_FORMATS = ("pdf", "png")
PAGE_SIZE_IN = (11.69, 8.27)  # A4 landscape
PNG_DPI = 150
CJK_FONT_NAMES = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Source Han Sans SC",
                  "Microsoft YaHei", "SimHei")
ZONE_EDGE = "#4d4d4d"
ROAD_COLOR = "#bdbdbd"
WATER_COLOR = "#c6dbef"
OUTLINE_COLOR = "#222222"
NICE_STEPS = (1, 2, 5)
NO_DATA_FILL = "#d9d9d9"
NOTE_WIDTH = 58  # columns of the notes beside the map (a Chinese character takes two)
NOTES_GAP = 0.015  # figure height kept free between the legend and the notes
EXPORT_TEXT: dict[str, dict[str, str]] = {
    "export_date": {"zh": "制图日期", "en": "Date"},
    "data_source": {"zh": "数据来源", "en": "Data source"},
    "export_pdf": {"zh": "导出 PDF", "en": "Export PDF"},
    "export_png": {"zh": "导出 PNG", "en": "Export PNG"},
    "print": {"zh": "打印", "en": "Print"},
    "notes_full_at": {"zh": "网页地图的悬停提示和指标表 /api/report.xlsx 或 peakmap report",
                      "en": "the web map's tooltips and the indicator table "
                            "/api/report.xlsx or peakmap report"},
    "pass_border": {"zh": "区域边框：绿色 = 达标，红色 = 未达标",
                    "en": "Zone outline: green = met, red = not met"},
}


def export_text(key: str, lang: str) -> str:
    """Text of the exports: the pages' table (``web/i18n.py``) first, then these few keys."""
    entry = EXPORT_TEXT.get(key)
    if entry is None:
        return t(key, lang)
    return entry.get(lang, entry["zh"])


class ExportError(PeakmapError):
    """A map or report cannot be exported (missing font, unknown format)."""


def cjk_font() -> str:
    """The name of an installed font with Chinese glyphs, for matplotlib.

    Raises
    ------
    ExportError
        No such font: Chinese text would print as empty boxes.
    """
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_FONT_NAMES:
        if name in installed:
            return name
    raise ExportError(
        "no Chinese font found for map exports (install fonts-wqy-microhei: "
        "scripts/ensure_system_deps.sh, or any of " + ", ".join(CJK_FONT_NAMES) + ")")


def nice_length(span_m: float) -> float:
    """A round scale-bar length (1, 2 or 5 × 10ⁿ metres) of about a fifth of ``span_m``.

    Examples
    --------
    >>> nice_length(4300.0), nice_length(900.0), nice_length(26000.0)
    (500.0, 100.0, 5000.0)
    """
    goal = max(span_m / 5.0, 1.0)
    exp = 10 ** math.floor(math.log10(goal))
    best = exp
    for step in NICE_STEPS:
        if step * exp <= goal:
            best = step * exp
    return float(best)


def _length_text(m: float) -> str:
    return f"{m / 1000:g} km" if m >= 1000 else f"{m:g} m"


@dataclass(frozen=True)
class MapSheet:
    """Everything printed on one exported map besides the geometry.

    Attributes
    ----------
    title, subtitle : str
    legend : list of (colour, label)
    notes : list of str
        Definition, target, source, date, CRS; printed under the legend.
    notice : str or None
        The sample-data notice.
    """

    title: str
    subtitle: str
    legend: list[tuple[str, str]]
    notes: list[str]
    notice: str | None = None


def render_map(
    zones: gpd.GeoDataFrame,
    colors: Sequence[str],
    sheet: MapSheet,
    *,
    fmt: str,
    context: dict[str, gpd.GeoDataFrame] | None = None,
    labels: Sequence[str] | None = None,
    edges: Sequence[str] | None = None,
    lang: str = "zh",
) -> bytes:
    """Draw zones filled with ``colors`` on an A4 landscape page; return PDF or PNG bytes.

    The page holds the title, the map (in the project's metric CRS, so the metric scale bar
    is exact and grid north is up), a north arrow, a scale bar, zone labels, the legend, the
    notes (definition, target, data source, date) and the sample-data notice.

    Parameters
    ----------
    zones : geopandas.GeoDataFrame
        In a projected CRS with metres.
    colors : sequence of str
        Fill colour per zone.
    sheet : MapSheet
    fmt : {"pdf", "png"}
    context : dict, optional
        ``{"water": gdf, "roads": gdf, "outline": gdf}`` drawn under and over the zones.
    labels : sequence of str, optional
        Text placed inside each zone.
    edges : sequence of str, optional
        Outline colour per zone (the pages' pass/fail outlines).
    lang : {"zh", "en"}

    Returns
    -------
    bytes

    Raises
    ------
    ExportError
        Unknown format, no metric CRS, or no Chinese font.
    """
    if fmt not in MAP_FORMATS:
        raise ExportError(f"map format {fmt!r}: choose pdf or png")
    with page_style():
        fig = map_figure(zones, colors, sheet, context=context, labels=labels, edges=edges,
                         lang=lang)
        return save_figure(fig, fmt, sheet.title)


@contextmanager
def page_style() -> Iterator[None]:
    """Matplotlib settings of every exported page: the CJK font, fonts embedded in PDFs.

    Raises
    ------
    ExportError
        No Chinese font is installed.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    font = cjk_font()
    with matplotlib.rc_context({"font.family": [font, "DejaVu Sans"], "pdf.fonttype": 42,
                                "axes.unicode_minus": False}):
        yield


def save_figure(fig: Any, fmt: str, title: str) -> bytes:
    """The figure as PDF or PNG bytes, with its title in the file's metadata."""
    buffer = io.BytesIO()
    meta = ({"Title": title, "Creator": "peakmap"} if fmt == "pdf"
            else {"Title": title, "Software": "peakmap"})
    fig.savefig(buffer, format=fmt, dpi=PNG_DPI, metadata=meta)
    return buffer.getvalue()


@dataclass(frozen=True)
class Overlay:
    """A layer drawn over the zones of an exported map (features coloured one by one).

    Attributes
    ----------
    frame : geopandas.GeoDataFrame
        In the zones' metric CRS.
    colors : str or sequence of str
        One colour, or a colour per feature.
    fill : bool
        Fill polygons (else only their outline).
    width : float
        Line width (points) of lines and outlines.
    size : float
        Marker size of points (points²).
    edge : str, optional
        Outline colour of filled polygons.
    alpha : float
    """

    frame: gpd.GeoDataFrame
    colors: str | Sequence[str]
    fill: bool = True
    width: float = 0.5
    size: float = 6.0
    edge: str | None = None
    alpha: float = 1.0


RASTER_FEATURES = 1500  # layers with more features are pixels inside the PDF (small, fast)


def _draw_overlay(ax: Any, layer: Overlay, z: float) -> None:
    frame = layer.frame
    if not len(frame):
        return
    colors = layer.colors if isinstance(layer.colors, str) else list(layer.colors)
    raster = len(frame) > RASTER_FEATURES
    kinds = set(frame.geometry.geom_type.dropna())
    if kinds <= {"Point", "MultiPoint"}:
        frame.plot(ax=ax, color=colors, markersize=layer.size, linewidth=0.2,
                   edgecolor="#333333", alpha=layer.alpha, zorder=z, rasterized=raster)
    elif kinds <= {"LineString", "MultiLineString"} or not layer.fill:
        target = frame if kinds <= {"LineString", "MultiLineString"} else frame.boundary
        target.plot(ax=ax, color=colors, linewidth=layer.width, alpha=layer.alpha, zorder=z,
                    rasterized=raster)
    else:
        _draw_polygons(ax, frame, colors, layer, z, raster)


def _draw_polygons(ax: Any, frame: gpd.GeoDataFrame, colors: str | list[str], layer: Overlay,
                   z: float, raster: bool) -> None:
    """Filled polygons as one matplotlib collection built from the coordinate arrays.

    geopandas builds one patch per polygon in Python (≈ 1 ms each); thousands of buildings
    are drawn here from shapely's arrays instead. Polygons with holes go through geopandas,
    which keeps the holes open.
    """
    import numpy as np
    import shapely
    from matplotlib.collections import PolyCollection

    geoms = np.asarray(frame.geometry.values, dtype=object)
    fills = np.asarray([colors] * len(frame) if isinstance(colors, str) else colors,
                       dtype=object)
    parts, owner = shapely.get_parts(geoms, return_index=True)
    holes = shapely.get_num_interior_rings(parts) > 0
    simple = parts[~holes]
    if len(simple):
        coords, ring = shapely.get_coordinates(shapely.get_exterior_ring(simple),
                                               return_index=True)
        verts = np.split(coords, np.cumsum(np.bincount(ring, minlength=len(simple)))[:-1])
        edge = layer.edge or "face"
        ax.add_collection(PolyCollection(
            verts, facecolors=list(fills[owner[~holes]]), edgecolors=edge,
            linewidths=layer.width, alpha=layer.alpha, zorder=z, rasterized=raster))
        ax.autoscale_view()
    if holes.any():
        import geopandas as gpd_

        rest = gpd_.GeoSeries(parts[holes], crs=frame.crs)
        rest.plot(ax=ax, color=list(fills[owner[holes]]), edgecolor=layer.edge or "face",
                  linewidth=layer.width, alpha=layer.alpha, zorder=z, rasterized=raster)


def new_page(sheet: MapSheet, lang: str) -> Any:
    """An A4 landscape figure with a map sheet's furniture (call in :func:`page_style`).

    Title and subtitle on top; north arrow beside the map's top right corner; legend, notes
    (definition, target, data source, date, CRS) and the sample-data notice on the right.
    The notes take the space between the notice and the legend and no more: each note at most
    :data:`web.layer_text.NOTE_ITEM_LINES` lines, then what the measured space holds, the
    last line saying where the full text is (:func:`web.layer_text.fit_notes`).
    The map axes are added by the caller in the left 60 % (see :func:`map_figure`).
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    fig = Figure(figsize=PAGE_SIZE_IN)
    fig.set_label(sheet.title)
    fig.text(0.03, 0.955, sheet.title, fontsize=15, va="top")
    fig.text(0.03, 0.915, sheet.subtitle, fontsize=9, color="#404040", va="top")
    _north_arrow(fig, lang)
    handles = [Patch(facecolor=c, edgecolor=ZONE_EDGE, label=text)
               for c, text in sheet.legend]
    legend = fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.67, 0.89),
                        frameon=False, fontsize=9 if len(handles) <= 14 else 7.5,
                        title=t("legend", lang), title_fontsize=10, alignment="left")
    bottom = 0.07
    if sheet.notice:
        shown = fig.text(0.67, 0.07, wrap_width(sheet.notice, NOTE_WIDTH), fontsize=7.5,
                         va="bottom", color="#b2182b")
        bottom = max(0.13, _extent(fig, shown)[1] + 0.01)
    _notes_text(fig, sheet.notes, bottom, _extent(fig, legend)[0] - NOTES_GAP, lang)
    return fig


def _extent(fig: Any, artist: Any) -> tuple[float, float]:
    """Bottom and top of a drawn artist, as fractions of the figure's height."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    box = artist.get_window_extent(fig.canvas.get_renderer())
    return box.y0 / fig.bbox.height, box.y1 / fig.bbox.height


def _notes_text(fig: Any, notes: Sequence[str], bottom: float, top: float, lang: str) -> Any:
    """The notes column from ``bottom`` up to ``top`` at most (figure fractions).

    Lines are cut to what fits (:func:`web.layer_text.fit_notes`): the lines the space
    holds are measured on the drawn text, so the notes never run into the legend or off
    the page, whatever the number and length of the notes.
    """
    budget = 10_000
    text = fig.text(0.67, bottom, "", fontsize=7.5, va="bottom", color="#303030",
                    linespacing=1.35)
    for _ in range(4):  # the line height is measured, then the budget set from it
        lines = fit_notes(notes, width=NOTE_WIDTH, max_lines=budget, lang=lang)
        text.set_text("\n".join(lines))
        low, high = _extent(fig, text)
        if high <= top or len(lines) <= 1:
            break
        budget = max(1, int(len(lines) * (top - low) / (high - low)))
    return text


def draw_panel(
    ax: Any,
    zones: gpd.GeoDataFrame,
    colors: Sequence[str],
    *,
    context: dict[str, gpd.GeoDataFrame] | None = None,
    labels: Sequence[str] | None = None,
    edges: Sequence[str] | None = None,
    overlays: Sequence[Overlay] = (),
    extent: tuple[float, float, float, float] | None = None,
) -> None:
    """Draw one map into ``ax``: water, zones, overlays, roads, outline, labels, scale bar.

    ``extent`` (minx, miny, maxx, maxy) defaults to the zones' bounds; maps side by side pass
    the same extent so their scales agree.
    """
    from matplotlib.patches import Rectangle

    ax.set_axis_off()
    ctx = context or {}
    if "water" in ctx and len(ctx["water"]):
        ctx["water"].plot(ax=ax, color=WATER_COLOR, linewidth=0, zorder=1, rasterized=True)
    zones.plot(ax=ax, color=list(colors), edgecolor=ZONE_EDGE, linewidth=0.6, zorder=2)
    if edges is not None:
        zones.boundary.plot(ax=ax, color=list(edges), linewidth=1.6, zorder=2.5)
    for i, layer in enumerate(overlays):
        _draw_overlay(ax, layer, 2.6 + 0.01 * i)
    if "roads" in ctx and len(ctx["roads"]):
        # reference lines as pixels inside the PDF: thousands of roads stay cheap to write
        ctx["roads"].plot(ax=ax, color=ROAD_COLOR, linewidth=0.3, alpha=0.8, zorder=3,
                          rasterized=True)
    if "outline" in ctx and len(ctx["outline"]):
        ctx["outline"].boundary.plot(ax=ax, color=OUTLINE_COLOR, linewidth=1.4, zorder=4)
    x0, y0, x1, y1 = extent or tuple(float(v) for v in zones.total_bounds)
    pad = 0.04 * max(x1 - x0, y1 - y0)
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - pad, y1 + pad)
    ax.set_aspect("equal")
    if labels is not None:
        # a light box, not a stroked halo: the names stay text in the PDF (searchable)
        box = {"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none",
               "alpha": 0.65}
        size = 8 if len(zones) <= 20 else 5.5
        for point, text in zip(zones.representative_point(), labels, strict=True):
            ax.text(point.x, point.y, text, fontsize=size, ha="center", va="center",
                    bbox=box, zorder=5)
    _scale_bar(ax, Rectangle)


def map_figure(
    zones: gpd.GeoDataFrame,
    colors: Sequence[str],
    sheet: MapSheet,
    *,
    context: dict[str, gpd.GeoDataFrame] | None = None,
    labels: Sequence[str] | None = None,
    edges: Sequence[str] | None = None,
    overlays: Sequence[Overlay] = (),
    lang: str = "zh",
) -> Any:
    """The A4 map page of :func:`render_map` as a matplotlib figure (call in page_style)."""
    if zones.crs is None or not zones.crs.is_projected:
        raise ExportError("map export needs the zones in a projected (metric) CRS")
    fig = new_page(sheet, lang)
    ax = fig.add_axes((0.03, 0.07, 0.58, 0.82))
    draw_panel(ax, zones, colors, context=context, labels=labels, edges=edges,
               overlays=overlays)
    return fig


def _north_arrow(fig: Any, lang: str) -> None:
    """Grid north of the metric CRS, beside the map's top right corner."""
    from matplotlib.patches import FancyArrow

    fig.add_artist(FancyArrow(0.635, 0.80, 0.0, 0.06, width=0.004, head_width=0.014,
                              head_length=0.025, color="black", transform=fig.transFigure))
    fig.text(0.635, 0.895, "北 N" if lang == "zh" else "N", ha="center", va="bottom",
             fontsize=10)


def _scale_bar(ax: Any, rectangle: Any) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = nice_length(x1 - x0)
    left, bottom = x0 + 0.03 * (x1 - x0), y0 + 0.03 * (y1 - y0)
    height = 0.012 * (y1 - y0)
    for i in range(2):  # two halves, black and white, as surveyors draw them
        ax.add_patch(rectangle((left + i * length / 2, bottom), length / 2, height,
                               facecolor="black" if i == 0 else "white", edgecolor="black",
                               linewidth=0.8, zorder=6))
    for pos, text in ((0.0, "0"), (length, _length_text(length))):
        ax.text(left + pos, bottom + 1.6 * height, text, ha="center", va="bottom",
                fontsize=7.5, zorder=6)


def reference_layers(data: ProjectData, zones: gpd.GeoDataFrame
                     ) -> dict[str, gpd.GeoDataFrame]:
    """Reference layers from the project itself: water (land use E), roads, the district.

    Parameters
    ----------
    data : web.data.ProjectData
    zones : geopandas.GeoDataFrame
        The zones the page draws (not used: every page shows the whole district's context).

    Returns
    -------
    dict
        ``water``, ``roads``, ``outline`` where the layers exist, in the metric CRS.
    """
    names = set(data.layer_names())
    out: dict[str, gpd.GeoDataFrame] = {}
    if "landuse" in names:
        landuse = data.metric("landuse")
        if "code" in landuse.columns:
            out["water"] = landuse[landuse["code"].astype(str).str.startswith("E")]
    if "roads" in names:
        out["roads"] = data.metric("roads")
    if "districts" in names:
        out["outline"] = data.metric("districts")
    del zones
    return out
