"""One catalog row: run its metric kind, sum to streets and districts, compare, make records.

Each catalog row names a metric kind (:mod:`layers.indicators.registry`). The kind returns
additive parts per community; :func:`row_records` sums them to streets and districts,
recomputes shares from the sums (never averages), compares with the target and makes one
:class:`IndicatorResult` per zone. The engine (:mod:`layers.indicators.engine`) runs every
row in this process, :mod:`layers.indicators.partition` by district on Dask workers; both
with :func:`evaluate_row` and :func:`row_records`, so the records are the same.

Status: ``pass`` / ``fail`` against the target; ``no-target`` where the row states none for
that level (qualitative rows, sums below the level of their target); ``no-data`` where a
layer, field, reported value or base is missing (a share whose base is empty in a zone).

Gap: how far the zone still is from the target, in the row's unit, positive while the target
is not met: ``target − value`` for ``>=``/``>`` targets, ``value − target`` for ``<=``/``<``
targets, ``|value − target|`` for ``==``. Zero or negative means met (its size is the margin).

The mapping a kind receives is the row's ``params`` table plus ``id`` and ``level``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gis import PeakmapError
from layers._errors import StoreError
from layers.indicators.catalog import LEVELS, Catalog, IndicatorSpec, read_catalog
from layers.indicators.inputs import PARAMS_USED, NoData, level_missing
from layers.indicators.registry import (
    DEFAULT_SCALE,
    KIND_MODULES,
    KINDS,
    THEME_MODULES,
    EachZoneMin,
    MetricContext,
    MetricResult,
)
from layers.indicators.result import IndicatorResult
from layers.indicators.zones import Zones, default_year, load_zones
from layers.labels import RESPONSIBLE_SEPARATORS, bilingual_note, codes_in_text
from layers.project import Project

__all__ = [
    "RECORD_FIELDS",
    "RowOutcome",
    "evaluate_row",
    "import_themes",
    "metric_context",
    "row_records",
]

RECORD_FIELDS = (
    "indicator", "title", "title_en", "level", "zone_code", "zone_name", "value", "unit", "op",
    "target", "deadline", "status", "gap", "responsible", "source",
)
COUNT_UNIT = "个"
PERCENT_UNIT = "%"
# Decimal places kept in values and gaps (areas to 0.01 m², shares to 0.01 %).
DECIMALS = 2
RESPONSIBLE_SEPARATOR = RESPONSIBLE_SEPARATORS["zh"]
_PARENT = {"community": "street", "street": "district"}
# Child zones named in a parent's detail before "等 N 个" (N in all).
MAX_LISTED = 10
NO_BASE = "no base in this zone (denominator 0)"


def _load_metrics() -> None:
    import layers.metrics  # noqa: F401  (area_sum/share, count, each_zone_min, attribute_*)


def _load_heating() -> None:
    import layers.heating  # noqa: F401  (heat_loss_change)


def _load_coverage() -> None:
    import layers.coverage  # noqa: F401  (service_coverage)


def _load_rooftop_pv() -> None:
    import layers.rooftop_pv  # noqa: F401  (pv)


# Plain imports of the theme modules of THEME_MODULES (in that order), each in a function of
# its own: the themes import this package, so not at the top; and one ``try`` per theme, so
# a broken theme does not take every other row down.
_THEME_LOADERS: dict[str, Callable[[], None]] = {
    "layers.metrics": _load_metrics,
    "layers.heating": _load_heating,
    "layers.coverage": _load_coverage,
    "layers.rooftop_pv": _load_rooftop_pv,
}


def import_themes(kinds: Iterable[str] | None = None) -> dict[str, str]:
    """Import the theme modules; return the modules that could not be imported.

    Parameters
    ----------
    kinds : iterable of str, optional
        Import only the modules of these metric kinds (:data:`KIND_MODULES`); every module
        when None or when a kind is unknown (the run then names the unknown kind).
    """
    wanted = list(kinds) if kinds is not None else None
    modules = THEME_MODULES if wanted is None or any(k not in KIND_MODULES for k in wanted) \
        else tuple(m for m in THEME_MODULES if m in {KIND_MODULES[k] for k in wanted})
    missing: dict[str, str] = {}
    for module in modules:
        try:
            _THEME_LOADERS[module]()
        except ModuleNotFoundError as e:
            missing[module] = "not installed yet" if e.name == module else f"needs {e.name}"
        except Exception as e:  # a broken theme must not take every other row down
            missing[module] = f"failed to import: {type(e).__name__}: {e}"
    return missing


def _clean(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _round(value: Any, unit: str) -> Any:
    if not isinstance(value, float):
        return value
    if unit == COUNT_UNIT and value.is_integer():
        return int(value)
    return round(value, DECIMALS)


def _status(value: Any, op: str | None, target: float | None) -> str:
    if value is None:
        return "no-data"
    if op is None or target is None or isinstance(value, str):
        return "no-target"
    ok = {
        ">=": value >= target,
        ">": value > target,
        "<=": value <= target,
        "<": value < target,
        "==": math.isclose(value, target),
    }[op]
    return "pass" if ok else "fail"


def _gap(value: Any, op: str | None, target: float | None) -> float | None:
    if value is None or isinstance(value, str) or op is None or target is None:
        return None
    if op in (">=", ">"):
        return float(target - value)
    if op in ("<=", "<"):
        return float(value - target)
    return float(abs(value - target))


class _Builder:
    """Makes the records of one catalog row."""

    def __init__(self, spec: IndicatorSpec, zones: Zones) -> None:
        self.spec = spec
        self.zones = zones
        self.records: list[IndicatorResult] = []
        self._names = zones.name_maps

    def name(self, level: str, code: str) -> str:
        """The name of zone ``code`` of ``level`` (the code where it has none)."""
        return str(self._names[level].get(code, code))

    def add(
        self,
        level: str,
        code: str,
        value: Any,
        *,
        unit: str | None = None,
        op: str | None = None,
        target: float | None = None,
        with_target: bool | None = None,
        source: str = "computed",
        note: str = "",
        detail: str = "",
    ) -> None:
        spec = self.spec
        unit = spec.unit if unit is None else unit
        if with_target is None:
            with_target = spec.applies_at(level)
        if with_target and op is None:
            op, target = spec.op, spec.target
        elif not with_target:
            op, target = None, None
        value = _round(_clean(value), unit)
        gap = _gap(value, op, target)
        self.records.append(
            IndicatorResult(
                indicator=spec.id,
                title=spec.title,
                title_en=spec.title_en,
                level=level,
                zone_code=code,
                zone_name=self.name(level, code),
                value=value,
                unit=unit,
                op=op,
                target=target,
                deadline=spec.deadline,
                status=_status(value, op, target),
                gap=None if gap is None else round(gap, DECIMALS),
                responsible=RESPONSIBLE_SEPARATOR.join(spec.responsible),
                source=source,
                definition=spec.definition,
                note=note,
                detail=detail,
                group=spec.group,
                seq=spec.seq,
                definition_en=spec.definition_en,
                responsible_en=RESPONSIBLE_SEPARATORS["en"].join(spec.responsible_en),
                group_en=spec.group_en,
            )
        )

    def no_data(self, note: str) -> None:
        """The row's "no data" records at its level.

        A project lacking the row's level gets them at the coarsest level it has, so that a
        row never drops out of the report.
        """
        source = "reported" if self.spec.kind == "reported" else "computed"
        have = [lv for lv in self.spec.reported_levels() if lv in self.zones.levels]
        level = self.spec.level if self.spec.level in have else (have[0] if have else None)
        if level is None:
            return
        for code in self.zones.names[level].index:
            self.add(level, str(code), None, note=note, source=source)


def _sums_by_level(parts: pd.DataFrame, zones: Zones) -> dict[str, pd.DataFrame]:
    comm = zones.communities
    numeric = parts.reindex(comm.index).apply(pd.to_numeric, errors="coerce")
    out = {"community": numeric.reindex(zones.names["community"].index)}
    for level, key in (("street", "street_code"), ("district", "district_code")):
        # by the column itself (same index): an array key is first tried as a column label,
        # and the failed lookup prints the whole array when it has under 1,000 items (ms)
        grouped = numeric.groupby(comm[key]).sum(min_count=1)
        out[level] = grouped.reindex(zones.names[level].index)
    return out


def _values(sums: pd.DataFrame, result: MetricResult) -> pd.Series:
    if result.combine is not None:
        return pd.Series(result.combine(sums), index=sums.index, dtype=float)
    if "num" in sums.columns and "den" in sums.columns:
        den = sums["den"].where(sums["den"] > 0)
        return float(result.scale) * sums["num"] / den
    return sums["value"]


def _shown(value: float) -> int | float:
    return int(value) if value.is_integer() else round(value, DECIMALS)


def _extra_details(sums: pd.DataFrame, skip: set[str]) -> list[str]:
    """Per zone (row of ``sums``), its other columns as ``name: value`` (missing ones left out)."""
    columns = [(str(c), sums[c].to_numpy(dtype=float)) for c in sums.columns if c not in skip]
    return [
        "; ".join(f"{name}: {_shown(float(v[i]))}" for name, v in columns if not np.isnan(v[i]))
        for i in range(len(sums))
    ]


def _zone_notes(
    result: MetricResult, counts: pd.DataFrame | None, note: str, static: str, n: int
) -> tuple[list[str], list[bool]]:
    """Each zone's note and whether its value rests on estimates.

    With per-community ``counts`` (:attr:`MetricResult.counts`) a zone's note is made from
    its own sums, so a count is never the row's total copied onto every zone; else every
    zone carries the row's ``note``.
    """
    if counts is None or result.note_of is None:
        return [note] * n, [False] * n
    sums = counts.fillna(0.0)
    # one dict per zone from plain column lists (DataFrame.iterrows builds a Series per row)
    names = [str(c) for c in sums.columns]
    columns = [sums.iloc[:, i].astype(float).tolist() for i in range(sums.shape[1])]
    notes = [
        "; ".join(t for t in (result.note_of(dict(zip(names, row, strict=True))), static) if t)
        for row in (zip(*columns, strict=True) if columns else [()] * len(sums))
    ]
    marked = [c for c in result.estimated if c in sums.columns]
    estimated = (sums[marked] > 0).any(axis=1).tolist() if marked else [False] * n
    return notes, [bool(e) for e in estimated]


def _emit_additive(b: _Builder, result: MetricResult, note: str, static: str = "") -> None:
    sums = _sums_by_level(result.values, b.zones)
    counts = (None if result.counts is None
              else _sums_by_level(result.counts, b.zones))
    skip = {"value", "num", "den"}
    for level in b.spec.reported_levels():
        values = _values(sums[level], result)
        has_den = "den" in sums[level].columns
        details = _extra_details(sums[level], skip)
        notes, estimated = _zone_notes(result, None if counts is None else counts[level],
                                       note, static, len(values))
        for code, value, detail, zone_note, est in zip(
                values.index, values.to_numpy(), details, notes, estimated, strict=True):
            if has_den and _clean(value) is None:
                zone_note = "; ".join(t for t in (zone_note, NO_BASE) if t)
            b.add(level, str(code), value, note=zone_note, detail=detail,
                  source="estimated" if est and _clean(value) is not None else "computed")


def _parents(zones: Zones, over: str, level: str) -> pd.Series:
    """Code of the ``level`` zone holding each ``over`` zone (indexed by ``over`` codes)."""
    comm = zones.communities
    if over == "community":
        return comm["street_code" if level == "street" else "district_code"]
    return comm.groupby("street_code")["district_code"].first().reindex(zones.names["street"].index)


def _list_failing_children(b: _Builder) -> None:
    """Add to each parent record the names of its child zones that fail their target."""
    comm = b.zones.communities
    parent_of = {
        "community": comm["street_code"],
        "street": comm.groupby("street_code")["district_code"].first(),
    }
    for child in ("community", "street"):
        failing: dict[str, list[str]] = {}
        for r in b.records:
            if r.level == child and r.status == "fail":
                parent = str(parent_of[child].get(r.zone_code, ""))
                failing.setdefault(parent, []).append(r.zone_name)
        if not failing:
            continue
        parent_level = _PARENT[child]
        label = ("未达标街道", "streets below target") if child == "street" else (
            "未达标社区", "communities below target")
        for r in b.records:
            names = failing.get(r.zone_code) if r.level == parent_level else None
            if names:
                many = len(names) > MAX_LISTED
                text = bilingual_note(  # the names listed as each language lists them
                    f"{label[0]}：{'、'.join(names[:MAX_LISTED])}"
                    + (f" 等{len(names)}个" if many else ""),
                    f"{label[1]}: {', '.join(names[:MAX_LISTED])}"
                    + (f" ({len(names)} in all)" if many else ""))
                r.detail = f"{r.detail}; {text}" if r.detail else text


def _emit_each_zone_min(b: _Builder, parts: pd.DataFrame, rule: EachZoneMin, note: str) -> None:
    over, minimum = str(rule.over), int(rule.minimum)
    if over not in b.zones.levels:
        b.no_data(level_missing(over))
        return
    counts = _sums_by_level(parts[["count"]], b.zones)[over]["count"].fillna(0.0)
    reached = counts >= minimum
    levels = b.spec.reported_levels()
    if over in levels:
        for code, n in counts.items():
            b.add(over, str(code), float(n), unit=COUNT_UNIT, op=">=", target=float(minimum),
                  with_target=True, note=note)
    for level in LEVELS[: LEVELS.index(over)]:
        if level not in levels:
            continue
        parent = _parents(b.zones, over, level)
        for code in b.zones.names[level].index:
            members = parent.index[parent.to_numpy() == code]
            if len(members) == 0:
                b.add(level, str(code), None, note=(note + "; " if note else "") + f"no {over}")
                continue
            ok = reached.reindex(members).fillna(False).to_numpy(dtype=bool)
            failing = [str(b.zones.names[over].get(m, m)) for m in members[~ok]]
            detail = f"{int(ok.sum())}/{len(members)}"
            if failing:
                detail += "; " + bilingual_note("未达标：" + "、".join(failing),
                                                "below minimum: " + ", ".join(failing))
            b.add(level, str(code), DEFAULT_SCALE * float(ok.sum()) / len(members), note=note,
                  detail=detail)


def _emit_per_zone(
    b: _Builder, frame: pd.DataFrame, levels_given: tuple[str, ...], note: str, source: str
) -> None:
    """Rows already per zone (reported values, non-additive district rates)."""
    levels = set(b.spec.reported_levels()) & set(levels_given)
    for code, row in frame.iterrows():
        level = b.zones.level_of(str(code))
        if level is None or level not in levels:
            continue
        row_note = "; ".join(
            t for t in (note, str(row.get("note", "") or "")) if t and t != "nan"
        )
        year = row.get("year")
        detail = (bilingual_note(f"{int(year)}年", f"value of {int(year)}")
                  if year is not None and not pd.isna(year) else "")
        b.add(level, str(code), row["value"], source=source, note=row_note, detail=detail)


@dataclass
class RowOutcome:
    """What running one catalog row's kind gave, before records are made of it.

    Attributes
    ----------
    result : MetricResult or None
        The kind's result; None when the row has no data.
    no_data : str
        Why the row has no data (with ``result`` None).
    used : dict
        The ``$theme.key`` parameters the row read (listed in its note).
    """

    result: MetricResult | None
    no_data: str = ""
    used: dict[str, Any] | None = None


def evaluate_row(spec: IndicatorSpec, ctx: MetricContext, missing: dict[str, str]) -> RowOutcome:
    """Run the metric kind of one catalog row on ``ctx`` (its communities).

    Raises
    ------
    PeakmapError
        A malformed catalog row or parameter (the user must fix it).
    """
    fn = KINDS.get(spec.kind)
    if fn is None:
        why = "; ".join(f"{m}: {w}" for m, w in missing.items())
        return RowOutcome(
            None, f"metric kind {spec.kind} is not available" + (f" ({why})" if why else ""))
    params = {**spec.params, "id": spec.id, "level": spec.level}
    ctx.cache[PARAMS_USED] = {}
    try:
        result = fn(ctx, params)
    except NoData as e:
        return RowOutcome(None, str(e))
    except StoreError as e:
        return RowOutcome(None, str(e))
    except PeakmapError:
        raise  # a malformed catalog row or parameter: the user must fix it
    except Exception as e:  # a bug in one kind must not take the whole report down
        return RowOutcome(None, f"computation failed ({type(e).__name__}: {e}); please report it")
    return RowOutcome(result, used=dict(ctx.cache.get(PARAMS_USED) or {}))


def row_records(spec: IndicatorSpec, zones: Zones, outcome: RowOutcome) -> list[IndicatorResult]:
    """The records of one catalog row from its outcome, for every zone of ``zones``."""
    b = _Builder(spec, zones)
    result = outcome.result
    if result is None:
        b.no_data(outcome.no_data)
        return b.records
    used = outcome.used or {}
    static = ""
    if used:
        listed = ", ".join(f"{k} = {v}" for k, v in sorted(used.items()))
        static = bilingual_note(f"参数：{codes_in_text(listed, 'zh')}", f"parameters: {listed}")
    note = "; ".join(t for t in (result.note, static) if t)
    source = "reported" if spec.kind == "reported" else "computed"
    if result.each_zone_min is not None:
        _emit_each_zone_min(b, result.values, result.each_zone_min, note)
    elif result.levels is not None:
        _emit_per_zone(b, result.values, result.levels, note, source)
    else:
        _emit_additive(b, result, note, static)
        _list_failing_children(b)
    if not b.records:
        b.no_data(note or "no zone of this project carries a value")
    return b.records


def metric_context(
    project: Project,
    *,
    year: int | None = None,
    scenario: str | None = None,
    catalog: Catalog | None = None,
    zones: Zones | None = None,
    proposals: Mapping[str, Any] | None = None,
) -> MetricContext:
    """The context metric kinds (and siting) read the store through.

    Parameters
    ----------
    project : Project
        A built project.
    year : int, optional
        Report year (default: :func:`default_year`).
    scenario : str, optional
        ``"proposal"``: layers are read with their proposed features.
    catalog : Catalog, optional
        Its ``[params.*]`` defaults are used (default: the project's catalog).
    zones : Zones, optional
        Already loaded zones.
    proposals : mapping of str to GeoDataFrame, optional
        Proposed features not stored yet, per layer (see ``MetricContext.proposals``).

    Returns
    -------
    MetricContext
    """
    catalog = catalog or read_catalog(project.targets_path)
    zones = zones or load_zones(project)
    ctx = MetricContext(
        project=project,
        store=project.store,
        year=int(year) if year is not None else default_year(project),
        communities=zones.communities,
        scenario=scenario,
        proposals=dict(proposals or {}),
    )
    ctx.cache["catalog_params"] = catalog.params
    return ctx
