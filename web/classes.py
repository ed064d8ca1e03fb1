"""Classes of an indicator map, chosen for the indicator.

- With a target: classes on each side of it, reds where the target is not met (darker the
  further away), greens where it is met (darker the further beyond). Green always means
  "meets the target", on every map.
- Without a target: fixed steps of 20 points for shares that spread over 40 points or
  more, quantiles otherwise, in a neutral blue (no pass/fail meaning).
- Never more classes than the values allow at their precision: values are compared as
  rounded to ``decimals`` places, and a range narrower than the number of classes times
  one step of that precision gets fewer classes.
- Values that take at most ``k`` distinct values (a share that is 0 or 100 % in every zone)
  get one class per value, with or without a target: the legend lists the values that
  occur, never empty steps between them. Their colours sit where the values sit on the
  scale (0 – 100 for shares; around a target, by distance from it), so 100 % is the
  darkest colour, as the top of a stepped scale would be.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from web.data import ProjectData

__all__ = ["CLASS_DECIMALS", "FAIL_COLORS", "NEUTRAL_COLORS", "PASS_COLORS", "STATUS_COLORS",
           "MapClass", "ZoneClasses", "assign_classes", "break_label", "class_label",
           "classify_indicator",
           "legend_items", "zone_classes"]

# Far from the target → near it (ColorBrewer RdYlGn ends).
FAIL_COLORS = ("#a50026", "#d73027", "#f46d43", "#fdae61")
# Just met → far beyond it.
PASS_COLORS = ("#a6d96a", "#66bd63", "#1a9850", "#006837")
# Outlines of zones that meet (green) or miss (red) the target, on the pages and the prints.
STATUS_COLORS = {"pass": "#1a9850", "fail": "#d73027", "no-target": "#777777",
                 "no-data": "#777777"}
NEUTRAL_COLORS = ("#eff3ff", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
# Decimals of class bounds: the engine keeps two (areas to 0.01 m², shares to 0.01 %).
CLASS_DECIMALS = 2
FIXED_STEP_PERCENT = 20.0
FIXED_STEP_MIN_SPREAD = 40.0


@dataclass(frozen=True)
class MapClass:
    """One class: colour, bounds, whether it meets the target (None: no target)."""

    color: str
    lo: float
    hi: float
    meets: bool | None
    lo_open: bool = False
    hi_open: bool = False


def _fmt(v: float, decimals: int) -> str:
    text = f"{v:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def class_label(c: MapClass, decimals: int, unit: str) -> str:
    """Legend text of a class, e.g. ``60 – 80 %``; an open end reads ``< 60`` / ``> 60``.

    Examples
    --------
    >>> class_label(MapClass("#fff", 10.0, 60.0, False, hi_open=True), 1, "%")
    '10 – < 60 %'
    >>> class_label(MapClass("#fff", 60.0, 80.0, True), 1, "%")
    '60 – 80 %'
    """
    u = f" {unit}" if unit else ""
    lo, hi = _fmt(c.lo, decimals), _fmt(c.hi, decimals)
    if c.lo == c.hi:
        return f"{lo}{u}"
    lo_text = f"> {lo}" if c.lo_open else lo
    hi_text = f"< {hi}" if c.hi_open else hi
    return f"{lo_text} – {hi_text}{u}"


def break_label(lo: float | None, hi: float, unit: str) -> str:
    """Legend text of a fixed class between two breaks (``lo`` None: the first class).

    Used by the PV maps on the page and on paper, whose breaks are fixed shares.

    Examples
    --------
    >>> break_label(None, 20.0, "%"), break_label(20.0, 40.0, "%"), break_label(0.5, 1.25, "")
    ('20 %', '20 – 40 %', '0.5 – 1.25')
    """
    u = f" {unit}" if unit else ""
    hi_text = _fmt(hi, CLASS_DECIMALS)
    if lo is None:
        return f"{hi_text}{u}"
    return f"{_fmt(lo, CLASS_DECIMALS)} – {hi_text}{u}"


def _nice(edges: Sequence[float], keep: Sequence[float] = ()) -> list[float]:
    """Edges rounded to the fewest significant digits that keep them distinct.

    The outer edges round outwards (so every value stays inside); edges in ``keep`` (the
    target) stay exact.

    Examples
    --------
    >>> _nice([20328.97, 151451.77, 155023.28, 306707.63])
    [20000.0, 150000.0, 160000.0, 310000.0]
    """
    top = max((abs(e) for e in edges), default=0.0)
    if top == 0:
        return list(edges)
    for sig in range(2, 8):
        q = 10.0 ** (math.floor(math.log10(top)) - sig + 1)
        out = []
        for i, e in enumerate(edges):
            if e in keep:
                out.append(e)
            elif i == 0:
                out.append(math.floor(e / q) * q)
            elif i == len(edges) - 1:
                out.append(math.ceil(e / q) * q)
            else:
                out.append(round(e / q) * q)
        out = [float(round(x, 10)) for x in out]
        if all(a < b for a, b in itertools.pairwise(out)):
            return out
    return list(edges)


def _steps(lo: float, hi: float, n: int, decimals: int, keep: Sequence[float] = ()
           ) -> list[float]:
    """``n`` equal steps from lo to hi at the values' precision, rounded to nice numbers."""
    edges = sorted({round(lo + (hi - lo) * i / n, decimals) for i in range(n + 1)})
    return _nice(edges, keep) if len(edges) > 1 else edges


def _n_classes(values: NDArray[np.float64], k: int, decimals: int) -> int:
    """At most ``k``, the number of distinct rounded values, and the steps the range holds."""
    if values.size == 0:
        return 0
    rounded = np.unique(np.round(values, decimals))
    spread_steps = round((rounded.max() - rounded.min()) * 10**decimals)
    return max(1, min(k, rounded.size, spread_steps + 1))


def _side(lo: float, hi: float, n: int, decimals: int, *, meets: bool,
          target_low: bool, open_at_target: bool) -> list[MapClass]:
    """Classes covering [lo, hi] on one side of the target, low to high.

    ``target_low``: the target is the low end of this side. Colours get darker away from
    the target (red for not met, green for met).
    """
    palette = FAIL_COLORS if not meets else PASS_COLORS
    target = lo if target_low else hi
    edges = _steps(lo, hi, max(1, min(n, len(palette))), decimals, keep=(target,))
    if len(edges) == 1:
        edges = [edges[0], edges[0]]
    m = len(edges) - 1
    # Ordered from near the target to far from it.
    near_far = list(palette[-m:][::-1]) if not meets else list(palette[:m])
    colors = near_far if target_low else near_far[::-1]
    out = []
    for i in range(m):
        out.append(MapClass(colors[i], edges[i], edges[i + 1], meets,
                            lo_open=open_at_target and target_low and i == 0,
                            hi_open=open_at_target and not target_low and i == m - 1))
    return out


def classify_indicator(
    values: Sequence[float] | NDArray[np.float64],
    *,
    op: str | None,
    target: float | None,
    unit: str,
    k: int = 5,
    decimals: int = 2,
) -> tuple[NDArray[np.int64], list[MapClass]]:
    """Class index of each value (−1 for missing) and the classes, low to high.

    Parameters
    ----------
    values : array of float
        One value per zone (NaN where there is none).
    op, target
        The indicator's comparison and target (None: no target).
    unit : str
        ``%`` allows fixed steps of 20 points.
    k : int
        Most classes.
    decimals : int
        Precision of the values (the engine keeps two decimals).

    Returns
    -------
    (array of int, list of MapClass)

    Examples
    --------
    Five shares against a target of ≥ 60 %: two below (red), three at or above (green).

    >>> idx, cls = classify_indicator([10.0, 50.0, 60.0, 80.0, 100.0], op=">=", target=60.0,
    ...                               unit="%", k=5)
    >>> [cls[i].meets for i in idx]
    [False, False, True, True, True]
    """
    v = np.asarray(values, dtype=float)
    idx = np.full(v.size, -1, dtype=np.int64)
    ok = np.isfinite(v)
    finite = np.round(v[ok], decimals)
    if finite.size == 0:
        return idx, []
    if op in (">=", ">", "<=", "<") and target is not None:
        few = np.unique(finite).size <= k
        classes = (_few_values(finite, op, float(target), unit) if few
                   else _around_target(finite, op, float(target), k, decimals))
    else:
        classes = _no_target(finite, unit, k, decimals)
    idx[ok] = [_which(x, classes, op, target) for x in finite]
    return idx, classes


def assign_classes(values: Sequence[float] | NDArray[np.float64], classes: list[MapClass], *,
                   op: str | None, target: float | None, decimals: int = 2
                   ) -> NDArray[np.int64]:
    """Class index of each value under given ``classes`` (−1 for missing or no classes).

    Maps that must share classes (now and with a proposal) compute them once on all their
    values with :func:`classify_indicator` and assign each side with this.

    Examples
    --------
    >>> _, cls = classify_indicator([0.0, 50.0], op=">=", target=40.0, unit="%")
    >>> assign_classes([45.0, 10.0, float("nan")], cls, op=">=", target=40.0).tolist()
    [1, 0, -1]
    """
    v = np.asarray(values, dtype=float)
    idx = np.full(v.size, -1, dtype=np.int64)
    if not classes:
        return idx
    ok = np.isfinite(v)
    idx[ok] = [_which(x, classes, op, target) for x in np.round(v[ok], decimals)]
    return idx


def _meets(x: float, op: str | None, target: float | None) -> bool:
    if op is None or target is None:
        return True
    return {">=": x >= target, ">": x > target, "<=": x <= target, "<": x < target}[op]


def _which(x: float, classes: list[MapClass], op: str | None, target: float | None) -> int:
    side = _meets(x, op, target) if classes and classes[0].meets is not None else None
    best = -1
    for i, c in enumerate(classes):
        if side is not None and c.meets != side:
            continue
        if c.lo <= x <= c.hi or best < 0:
            best = i
            if c.lo <= x <= c.hi:
                return i
    # Outside every bound (rounding): the nearest class of its side.
    same = [i for i, c in enumerate(classes) if side is None or c.meets == side]
    return min(same, key=lambda i: min(abs(x - classes[i].lo), abs(x - classes[i].hi)))


def _around_target(values: NDArray[np.float64], op: str, target: float, k: int,
                   decimals: int) -> list[MapClass]:
    meets = np.array([_meets(x, op, target) for x in values])
    fail, ok = values[~meets], values[meets]
    n_fail = _n_classes(fail, max(1, k // 2 + k % 2), decimals) if fail.size else 0
    n_ok = _n_classes(ok, max(1, k // 2), decimals) if ok.size else 0
    strict = op in (">", "<")
    if op in (">=", ">"):
        fail_cls = _side(float(fail.min()), target, n_fail, decimals, meets=False,
                         target_low=False, open_at_target=not strict) if fail.size else []
        ok_cls = _side(target, max(target, float(ok.max())), n_ok, decimals, meets=True,
                       target_low=True, open_at_target=strict) if ok.size else []
        return [*fail_cls, *ok_cls]
    ok_cls = _side(min(target, float(ok.min())), target, n_ok, decimals, meets=True,
                   target_low=False, open_at_target=strict) if ok.size else []
    fail_cls = _side(target, float(fail.max()), n_fail, decimals, meets=False,
                     target_low=True, open_at_target=not strict) if fail.size else []
    return [*ok_cls, *fail_cls]


def _no_target(values: NDArray[np.float64], unit: str, k: int, decimals: int
               ) -> list[MapClass]:
    n = _n_classes(values, k, decimals)
    lo, hi = float(values.min()), float(values.max())
    uniq = np.unique(values)
    if uniq.size <= n:
        ends = (0.0, 100.0) if unit == "%" and lo >= 0.0 and hi <= 100.0 else (lo, hi)
        colors = (_palette(1) if uniq.size == 1 and unit != "%"
                  else _value_colors(uniq, NEUTRAL_COLORS, *ends))
        return [MapClass(c, float(e), float(e), None) for c, e in
                zip(colors, uniq, strict=True)]
    if unit == "%" and hi - lo >= FIXED_STEP_MIN_SPREAD:
        start = math.floor(lo / FIXED_STEP_PERCENT) * FIXED_STEP_PERCENT
        stop = math.ceil(hi / FIXED_STEP_PERCENT) * FIXED_STEP_PERCENT
        edges = [float(e) for e in
                 np.arange(start, stop + FIXED_STEP_PERCENT / 2, FIXED_STEP_PERCENT)]
    else:
        qs = np.quantile(values, np.linspace(0, 1, n + 1))
        edges = sorted({round(float(q), decimals) for q in qs})
        edges[0], edges[-1] = min(edges[0], lo), max(edges[-1], hi)
        edges = _nice(edges)
    if len(edges) < 2:
        edges = [lo, hi]
    return [MapClass(c, a, b, None) for c, a, b in
            zip(_palette(len(edges) - 1), edges[:-1], edges[1:], strict=True)]


def _value_colors(values: NDArray[np.float64], palette: Sequence[str], start: float,
                  end: float) -> list[str]:
    """Colour of each of the distinct ``values`` (sorted) by where it sits from start to end.

    ``palette`` runs from ``start`` to ``end`` (either way round). Values too close to tell
    apart on that scale get colours spread over the palette by rank instead, so each value
    keeps a colour of its own.

    Examples
    --------
    >>> _value_colors(np.array([0.0, 100.0]), NEUTRAL_COLORS, 0.0, 100.0)
    ['#eff3ff', '#08519c']
    >>> _value_colors(np.array([40.0, 41.0]), NEUTRAL_COLORS, 0.0, 100.0)
    ['#eff3ff', '#08519c']
    """
    top = len(palette) - 1
    span = (end - start) or 1.0
    at = [min(top, max(0, round((float(v) - start) / span * top))) for v in values]
    if len(set(at)) < len(at):
        step = top / max(1, len(values) - 1)
        order = range(len(values)) if end >= start else range(len(values) - 1, -1, -1)
        at = [round(i * step) for i in order]
    return [palette[i] for i in at]


def _few_values(values: NDArray[np.float64], op: str, target: float, unit: str
                ) -> list[MapClass]:
    """One class per distinct value on each side of the target (few distinct values).

    Colours by the value's distance from the target: a share (values and target in
    0 – 100, ``unit`` ``%``) runs to 0 below the target and 100 above it; other values to
    the target ± the largest distance of any value from it, so one scale holds both sides.
    """
    uniq = np.unique(values)
    meets = np.array([_meets(float(x), op, target) for x in uniq])
    if unit == "%" and uniq.min() >= 0.0 and uniq.max() <= 100.0 and 0.0 <= target <= 100.0:
        low_end, high_end = 0.0, 100.0
    else:
        reach = float(np.abs(uniq - target).max())
        low_end, high_end = target - reach, target + reach
    out = []
    for side in (True, False):
        vals = uniq[meets == side]
        if not vals.size:
            continue
        # near the target → far from it
        palette = PASS_COLORS if side else FAIL_COLORS[::-1]
        above = bool(vals.min() >= target)
        start, end = (target, high_end) if above else (target, low_end)
        colors = _value_colors(vals, palette, start, end)
        out += [MapClass(c, float(v), float(v), side) for c, v in
                zip(colors, vals, strict=True)]
    return sorted(out, key=lambda c: c.lo)


def _palette(n: int) -> list[str]:
    if n <= 1:
        return [NEUTRAL_COLORS[3]]
    step = (len(NEUTRAL_COLORS) - 1) / (n - 1)
    return [NEUTRAL_COLORS[round(i * step)] for i in range(n)]


@dataclass(frozen=True)
class ZoneClasses:
    """The classes of one indicator map and the class of each zone (−1: no value)."""

    idx: NDArray[np.int64]
    classes: list[MapClass]
    op: str | None
    target: float | None


def zone_classes(
    data: ProjectData,
    indicator: str,
    level: str,
    recs: Sequence[Mapping[str, Any]],
    values: NDArray[np.float64],
    codes: Sequence[str],
    *,
    scenario: str | None,
    k: int,
) -> ZoneClasses:
    """Classes of an indicator map as every map of it draws them (page, PNG, PDF, report).

    Around the target of the first record of ``recs`` that has one. When proposals are
    stored, the classes are computed on the values now and with the proposal together, so
    both maps of the indicator share them.

    Parameters
    ----------
    data : web.data.ProjectData
    indicator, level : str
    recs : sequence of dict
        The indicator's records at ``level`` (of ``scenario``).
    values : array of float
        One value per zone of ``codes`` (NaN where there is none).
    codes : sequence of str
        Zone codes in the order of ``values``.
    scenario : str or None
    k : int
        Most classes.

    Returns
    -------
    ZoneClasses
    """
    with_target = next((r for r in recs if r.get("target") is not None), None)
    op = with_target.get("op") if with_target else None
    target = with_target.get("target") if with_target else None
    unit = str(recs[0].get("unit") or "") if recs else ""
    if data.has_proposals():
        other_key = None if scenario else "proposal"
        by_code = {str(r.get("zone_code")): r.get("value")
                   for r in data.records(level, scenario=other_key)
                   if r.get("indicator") == indicator}
        other = np.array([float(v) if isinstance(v := by_code.get(str(c)), (int, float))
                          and not isinstance(v, bool) else np.nan for c in codes])
        joined = np.concatenate([np.asarray(values, dtype=float), other])
        classes = classify_indicator(joined, op=op, target=target, unit=unit, k=k,
                                     decimals=CLASS_DECIMALS)[1]
        idx = assign_classes(values, classes, op=op, target=target, decimals=CLASS_DECIMALS)
    else:
        idx, classes = classify_indicator(values, op=op, target=target, unit=unit, k=k,
                                          decimals=CLASS_DECIMALS)
    return ZoneClasses(idx, classes, op, None if target is None else float(target))


def legend_items(classes: Sequence[MapClass], unit: str, lang: str) -> list[tuple[str, str]]:
    """(colour, label) of each class as the legends show it: 达标/未达标 and the bounds.

    Examples
    --------
    >>> legend_items([MapClass("#a6d96a", 60.0, 80.0, True)], "%", "en")
    [('#a6d96a', 'met 60 – 80 %')]
    """
    from web.i18n import t

    items = []
    for c in classes:
        word = "" if c.meets is None else t("status_pass" if c.meets else "status_fail", lang)
        items.append((c.color, (f"{word} " if word else "") + class_label(c, CLASS_DECIMALS,
                                                                        unit)))
    return items
