"""The one-file PDF compliance report: summary, district table, street matrix, failing maps.

``peakmap report PROJECT --format pdf --out FILE.pdf`` writes it. Pages are A4 landscape,
drawn with matplotlib in the style of the map exports (``web.printed``): the same text
tables (``web/i18n.py``), the same status colours as the workbook (green = meets the target),
the sample-data notice on every page where it applies, and one street map per indicator the
district fails, with the pages' classes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from layers.labels import responsible_label
from layers.numfmt import figures, target_text, value_text
from web.exports import indicator_figure
from web.i18n import sample_notice, t
from web.layer_text import wrap_width
from web.printed import PAGE_SIZE_IN, export_text, page_style

if TYPE_CHECKING:
    from web.data import ProjectData
    from web.settings import WebSettings

__all__ = ["write_report_pdf"]

STATUS_FILL = {"pass": "#C6EFCE", "fail": "#FFC7CE", "no-data": "#FFEB9C",
               "no-target": "#F2F2F2"}  # as the workbook (layers/annex_xlsx.py)
STATUSES = ("pass", "fail", "no-target", "no-data")
LINES_PER_PAGE = 24
STREETS_PER_PAGE = 8
TITLE_WIDTH = 46  # columns of an indicator title in a table cell (a Chinese character = 2)
# columns of the responsible departments' cell: English names are long, the cell holds ~38
RESPONSIBLE_WIDTH = {"zh": 22, "en": 36}
SUBTITLE_WIDTH = 165  # columns of the subtitle line (the English one takes two lines)


def _title(r: dict[str, Any], lang: str) -> str:
    return str((r.get("title_en") if lang == "en" else None) or r.get("title") or "")


def _page(fig_cls: Any, title: str, subtitle: str, notice: str | None, page_no: int) -> Any:
    fig = fig_cls(figsize=PAGE_SIZE_IN)
    fig.text(0.03, 0.955, title, fontsize=14, va="top")
    fig.text(0.03, 0.915, wrap_width(subtitle, SUBTITLE_WIDTH), fontsize=8.5, color="#404040",
             va="top")
    if notice:
        fig.text(0.03, 0.025, notice, fontsize=7.5, color="#b2182b", va="bottom")
    fig.text(0.97, 0.025, str(page_no), fontsize=8, ha="right", va="bottom")
    return fig


def _lines(row: Sequence[str]) -> int:
    return max(cell.count("\n") + 1 for cell in row)


def _pages_of(rows: Sequence[Sequence[str]], budget: int) -> list[tuple[int, int]]:
    """Row ranges that fit ``budget`` text lines each (a wrapped row takes several)."""
    out, start, used = [], 0, 0
    for i, row in enumerate(rows):
        n = _lines(row)
        if used + n > budget and i > start:
            out.append((start, i))
            start, used = i, 0
        used += n
    out.append((start, len(rows)))
    return out


def _table(fig: Any, rect: tuple[float, float, float, float], header: Sequence[str],
           rows: Sequence[Sequence[str]], fills: Sequence[Sequence[str]],
           widths: Sequence[float]) -> None:
    """A table at the top of ``rect``, every row as tall as its most wrapped cell."""
    ax = fig.add_axes(rect)
    ax.set_axis_off()
    if not rows:
        return
    table = ax.table(cellText=[list(r) for r in rows], cellColours=[list(f) for f in fills],
                     colLabels=list(header), colWidths=list(widths), loc="upper left",
                     cellLoc="left", colLoc="left")
    table.auto_set_font_size(False)
    table.set_fontsize(7)
    line = 1.0 / (LINES_PER_PAGE + 2)
    heights = [1] + [_lines(r) for r in rows]
    for (row, _), cell in table.get_celld().items():
        cell.set_edgecolor("#999999")
        cell.set_linewidth(0.4)
        cell.set_height(line * heights[row])
        if row == 0:
            cell.set_facecolor("#D9E1F2")


def write_report_pdf(
    data: ProjectData,
    path: Path,
    *,
    lang: str,
    settings: WebSettings,
    scenario: str | None = None,
    today: date | None = None,
) -> int:
    """Write the compliance report of every district of the project; return its page count.

    Pages: a summary (met / not met / no target / no data per district) with the district
    table of every indicator (value, target, gap, status, responsible department), the
    street × indicator matrix coloured by status, then one street map per indicator the
    district does not meet.

    Parameters
    ----------
    data : web.data.ProjectData
    path : pathlib.Path
        Written through a temporary file, then moved into place.
    lang : {"zh", "en"}
    settings : web.settings.WebSettings
        Classes of the maps (as the pages).
    scenario : str, optional
    today : datetime.date, optional

    Returns
    -------
    int
    """
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    from layers.report import atomic_path

    project = data.project
    notice = sample_notice(project, lang)
    day = (today or date.today()).isoformat()
    districts = data.records("district", scenario=scenario)
    streets = data.records("street", scenario=scenario)
    title = f"{project.name} — " + ("碳达峰实施方案指标评估报告" if lang == "zh"
                                    else "carbon-peak plan compliance report")
    scen = f" · {t('scenario_proposal', lang)}" if scenario else ""
    subtitle = f"{export_text('export_date', lang)}: {day}{scen} · {t('computed_note', lang)}"
    pages = 0
    with page_style(), atomic_path(Path(path)) as tmp, PdfPages(
            tmp, metadata={"Title": title, "Creator": "peakmap"}) as pdf:

        def emit(fig: Any) -> None:
            nonlocal pages
            pdf.savefig(fig)
            pages += 1

        # 1. summary and district table
        counts = {code: Counter(r.get("status") for r in districts if r["zone_code"] == code)
                  for code in dict.fromkeys(r["zone_code"] for r in districts)}
        names = {r["zone_code"]: r["zone_name"] for r in districts}
        summary = "   ".join(
            f"{names[c]}: " + ", ".join(f"{t(f'status_{s}', lang)} {n[s]}" for s in STATUSES)
            for c, n in counts.items())
        head = [t("indicator", lang), "", t("zone", lang), t("value", lang), t("target", lang),
                t("gap", lang), t("status", lang), t("responsible", lang)]
        rows, fills = [], []
        for r in districts:
            shown = figures(r, lang)
            rows.append([str(r["indicator"]), wrap_width(_title(r, lang), TITLE_WIDTH),
                         str(r["zone_name"]), shown.value, shown.target, shown.gap,
                         t(f"status_{r.get('status')}", lang),
                         wrap_width(responsible_label(r, lang),
                                    RESPONSIBLE_WIDTH.get(lang, 22))])
            fills.append(["white"] * 6 + [STATUS_FILL.get(str(r.get("status")), "white"),
                                          "white"])
        widths = [0.08, 0.27, 0.08, 0.12, 0.11, 0.09, 0.07, 0.18]
        for start, stop in _pages_of(rows, LINES_PER_PAGE):
            fig = _page(Figure, title, subtitle, notice, pages + 1)
            if start == 0:
                fig.text(0.03, 0.88, wrap_width(summary, 200), fontsize=9, va="top")
            _table(fig, (0.03, 0.07, 0.94, 0.78), head, rows[start:stop], fills[start:stop],
                   widths)
            emit(fig)

        # 2. street × indicator matrix, coloured by status
        street_names = {r["zone_code"]: str(r["zone_name"]) for r in streets}
        by = {(r["indicator"], r["zone_code"]): r for r in streets}
        indicators = list(dict.fromkeys(r["indicator"] for r in streets))
        first = {r["indicator"]: r for r in streets}
        codes = list(street_names)
        matrix_title = ("街道 × 指标达标情况" if lang == "zh" else "Streets × indicators")
        for c0 in range(0, len(codes), STREETS_PER_PAGE):
            chunk = codes[c0:c0 + STREETS_PER_PAGE]
            mhead = [t("indicator", lang), "", t("target", lang),
                     *(street_names[c] for c in chunk)]
            mrows, mfills = [], []
            for ident in indicators:
                f = first[ident]
                unit = f.get("unit")
                mrows.append([ident, wrap_width(_title(f, lang), TITLE_WIDTH),
                              target_text(f.get("op"), f.get("target"), unit, lang),
                              *(value_text(by[(ident, c)].get("value"), unit, lang,
                                           with_unit=False)
                                if (ident, c) in by else "" for c in chunk)])
                mfills.append(["white"] * 3 + [
                    STATUS_FILL.get(str(by[(ident, c)].get("status")), "white")
                    if (ident, c) in by else "white" for c in chunk])
            zone_w = 0.5 / max(1, len(chunk))
            for start, stop in _pages_of(mrows, LINES_PER_PAGE):
                fig = _page(Figure, f"{title} · {matrix_title}", subtitle, notice, pages + 1)
                _table(fig, (0.03, 0.07, 0.94, 0.81), mhead, mrows[start:stop],
                       mfills[start:stop], [0.1, 0.25, 0.1, *([zone_w] * len(chunk))])
                emit(fig)

        # 3. one street map per indicator the district does not meet
        failing = list(dict.fromkeys(r["indicator"] for r in districts
                                     if r.get("status") == "fail"))
        mapped = {r["indicator"] for r in streets if isinstance(r.get("value"), (int, float))}
        for ident in failing:
            if ident in mapped:
                emit(indicator_figure(data, ident, level="street", lang=lang,
                                      settings=settings, scenario=scenario, today=today))
    return pages
