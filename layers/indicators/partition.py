"""Indicators computed by district on a Dask cluster, equal to the single-process run.

:func:`compute_partitioned` submits one task per worker, each a run of whole districts
(:func:`partitions`, :func:`district_outcomes`): what a task reads (the layers in its
neighbourhood, the walking graph, the parks with their radii) is read once per task. Each
task opens the project from its path (the workers read the store themselves; nothing but
district codes, the catalog rows and small per-community tables goes through the scheduler),
runs every catalog row's metric kind on the communities of its district and returns the
kind's per-community parts. This process concatenates the parts of all districts and makes
the records exactly as the single-process run does (sums to streets and districts, shares
from the sums, targets, failing child zones), so the order and every value are the same.

Why a district's parts are exact: streets and communities nest in districts; a task reads
its districts' neighbourhood (:mod:`layers.indicators.neighbourhood`: the box of its
communities grown by the largest service radius of the catalog, parks whole, roads by the
snapping distances), so facilities, parks and walking streets beyond the border that can
serve its communities are there: a park in district A serving homes in district B is found
from B's task, walking over A's streets; features are assigned to zones among every
community of the project (:func:`layers.indicators.inputs.zone_index`, the one zone
assignment), so a feature on a district border goes to the same community as in the
whole-city run. A walking row whose task finds demand on a network part without facilities
in the neighbourhood is computed again by that task from the whole layers (the part may be
joined to a facility beyond the box).

Rows computed in one piece in this process instead (documented in the README):

- kinds of :data:`ONE_PIECE`: ``reported`` (values per zone from a table, in its own order)
  and ``heat_loss_change`` (its calibration factor is a city-wide ratio);
- any row whose districts disagree on anything but their parts and the counts its note is
  made from (``MetricResult.totals``: homes with estimated households, demand not reachable
  on foot, communities served, summed here; their per-community ``counts`` concatenated like
  the parts, each zone's note made from its own): a "no data" in some districts only, a note not
  made from counts, parameters read. Those rows are recomputed over the whole city so that
  the note equals the single-process one.

A task's box is that of all its communities: districts given to one task should lie side by
side (they are runs along a Hilbert curve through the districts' centres,
:func:`district_order`; the parts are put back in community order before any sum).
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any

import pandas as pd

from layers.indicators.catalog import LEVELS, Catalog, IndicatorSpec
from layers.indicators.inputs import READ_SCOPE, ReadScope
from layers.indicators.neighbourhood import describe, read_scope_for
from layers.indicators.registry import MetricContext, MetricResult
from layers.indicators.result import IndicatorResult
from layers.indicators.rows import (
    RowOutcome,
    evaluate_row,
    import_themes,
    metric_context,
    row_records,
)
from layers.indicators.zones import Zones, load_zones
from layers.project import Project

__all__ = ["ONE_PIECE", "compute_partitioned", "district_order", "district_outcomes",
           "partitions"]

log = logging.getLogger(__name__)

#: Metric kinds never split by district (see the module docstring).
ONE_PIECE = frozenset({"reported", "heat_loss_change"})


def partitions(zones: Zones, tasks: int) -> list[list[str]]:
    """District codes of each task: ``tasks`` runs of whole districts, neighbours together.

    The districts are taken along a Hilbert curve through their centres (the middle of the
    bounding box of their communities; :func:`district_order`), so a run is a compact patch
    of the city and a task's box (its neighbourhood read) holds little beyond its districts.
    Runs are as even as possible in number of communities (a district is never split).

    Examples
    --------
    >>> import pandas as pd
    >>> comm = pd.DataFrame({"district_code": ["a", "a", "b", "c", "c", "c"]})
    >>> names = {"district": pd.Series(["A", "B", "C"], index=["a", "b", "c"])}
    >>> partitions(Zones(comm, names), 2)
    [['a', 'b'], ['c']]
    """
    codes = district_order(zones)
    sizes = zones.communities["district_code"].astype(str).value_counts()
    weight = [int(sizes.get(c, 0)) + 1 for c in codes]
    n = max(1, min(int(tasks), len(codes)))
    total = sum(weight)
    groups: list[list[str]] = [[] for _ in range(n)]
    done = 0
    for code, w in zip(codes, weight, strict=True):
        # the run whose share of the communities this district's middle falls in
        k = min(n - 1, int(n * (done + w / 2) / total))
        groups[k].append(code)
        done += w
    return [g for g in groups if g]


def district_order(zones: Zones) -> list[str]:
    """District codes along a Hilbert curve through the districts' centres.

    A district's centre is the middle of the bounding box of its communities; districts
    without communities or geometries (and every district when the zones have no geometry)
    keep the code order, after the others. Ties keep the code order.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd, shapely
    >>> cells = {"a": (0, 0), "b": (5, 5), "c": (0, 1), "d": (5, 4)}  # a, c and b, d touch
    >>> comm = gpd.GeoDataFrame({"district_code": list(cells)},
    ...                         geometry=[shapely.box(x, y, x + 1, y + 1)
    ...                                   for x, y in cells.values()])
    >>> names = {"district": pd.Series(list("ABCD"), index=list(cells))}
    >>> partitions(Zones(comm, names), 2)  # in code order: [['a', 'b'], ['c', 'd']]
    [['a', 'c'], ['b', 'd']]
    """
    import geopandas as gpd
    import numpy as np
    import shapely

    codes = [str(c) for c in zones.names["district"].index]
    comm = zones.communities
    if not isinstance(comm, gpd.GeoDataFrame) or comm.geometry.name not in comm.columns \
            or len(codes) < 3:
        return codes
    bounds = pd.DataFrame(comm.geometry.bounds.to_numpy(), columns=["x0", "y0", "x1", "y1"])
    bounds["d"] = comm["district_code"].astype(str).to_numpy()
    box = bounds.dropna().groupby("d").agg({"x0": "min", "y0": "min", "x1": "max", "y1": "max"})
    box = box.reindex(codes)
    known = box.notna().all(axis=1).to_numpy()
    if known.sum() < 2:
        return codes
    mid = (box[["x0", "y0"]].to_numpy() + box[["x1", "y1"]].to_numpy()) / 2
    centres = gpd.GeoSeries(shapely.points(mid[known]))
    key = np.asarray(centres.hilbert_distance(), dtype=np.int64)
    inside = [c for c, k in zip(codes, known, strict=True) if k]
    order = np.argsort(key, kind="stable")
    rest = [c for c, k in zip(codes, known, strict=True) if not k]
    return [inside[i] for i in order] + rest


def district_outcomes(
    root: str,
    districts: list[str],
    specs: list[IndicatorSpec],
    catalog_params: dict[str, dict[str, Any]],
    year: int | None,
    scenario: str | None,
) -> dict[str, RowOutcome]:
    """Run ``specs`` on the communities of ``districts`` (a Dask task; reads the store by path).

    Parameters
    ----------
    root : str
        Project directory, as the workers see it.
    districts : list of str
        District codes of this task.
    specs : list of IndicatorSpec
        Catalog rows to run.
    catalog_params : dict
        The catalog's ``[params.*]`` defaults.
    year : int or None
        Report year.
    scenario : str or None
        Stored proposal to apply.

    Returns
    -------
    dict
        Row id → outcome with the parts of this task's communities only.
    """
    missing = import_themes()
    project = Project(Path(root))
    zones = load_zones(project)
    catalog = Catalog(list(specs), params=catalog_params)

    def context() -> MetricContext:
        ctx = metric_context(project, year=year, scenario=scenario, catalog=catalog,
                             zones=zones)
        mine = zones.communities["district_code"].astype(str).isin(districts).to_numpy()
        ctx.communities = zones.communities[mine]
        ctx.all_communities = zones.communities
        # One Dask worker runs one task at a time on one thread: no overlay pool inside.
        ctx.cache["workers"] = 1
        return ctx

    ctx = context()
    scope = read_scope_for(ctx, specs)
    log.info("districts %s: %s", ",".join(districts), describe(scope))
    shared = _worker_cache(project, year, scenario, catalog_params, scope)
    ctx.cache.update(shared)
    if scope is not None:
        ctx.cache[READ_SCOPE] = scope
    whole: MetricContext | None = None
    out: dict[str, RowOutcome] = {}
    for spec in specs:
        outcome = evaluate_row(spec, ctx, missing)
        if scope is not None and _cut(outcome):
            # demand on a network part without facilities in the neighbourhood's roads may
            # be joined to one beyond it: this row again from the whole layers
            log.info("indicator %s, districts %s: demand cut off in the neighbourhood; "
                     "whole layers", spec.id, ",".join(districts))
            whole = whole or context()
            outcome = evaluate_row(spec, whole, missing)
        out[spec.id] = outcome
    shared.update({k: v for k, v in ctx.cache.items() if _shared(k)})
    return out


def _cut(outcome: RowOutcome) -> bool:
    """The row reports walking demand on network parts without facilities."""
    totals = outcome.result.totals if outcome.result is not None else None
    return bool(totals) and float((totals or {}).get("cut", 0.0)) > 0


#: ``ctx.cache`` entries that do not depend on which communities a task computes (layers as
#: read, the walking graph, parks with their radii, parameters): kept by a worker for its
#: next district of the same store. Everything else (homes and land by community, coverage
#: parts) is computed again for each district.
SHARED_KEYS = ("layer:", "walk:graph", "store_layers", "coverage:presets", "coverage:parks:",
               "params:", "reported:")
_WORKER: dict[str, Any] = {"key": None, "cache": {}}


def _shared(key: str) -> bool:
    if key.startswith("coverage:parks:"):  # the parks of one preset, not coverage parts
        return ":" not in key[len("coverage:parks:"):]
    return key.startswith(SHARED_KEYS)


def _worker_cache(project: Project, year: int | None, scenario: str | None,
                  catalog_params: dict[str, dict[str, Any]],
                  scope: ReadScope | None) -> dict[str, Any]:
    """The shared entries a worker process keeps for this store, year, scenario and box.

    The box: what the task reads (:class:`~layers.indicators.inputs.ReadScope`).

    A store that is not one file (no ``path``) shares nothing.
    """
    path = Path(str(getattr(project.store, "path", "")))
    try:
        st = path.stat()
        version: Any = (st.st_mtime_ns, st.st_size) if path.is_file() else None
    except OSError:
        version = None
    read = None if scope is None else (scope.box, sorted(scope.boxes.items()))
    key = repr((str(path.resolve()), version, year, scenario, catalog_params, read))
    if version is None or _WORKER["key"] != key:
        _WORKER["key"], _WORKER["cache"] = key, {}
    cache: dict[str, Any] = _WORKER["cache"]
    return cache


def _how(r: MetricResult) -> tuple[Any, ...]:
    """Everything of a result but its parts and totals (equal in every district)."""
    note_of = r.note_of
    if isinstance(note_of, functools.partial):
        how_note: Any = (note_of.func, note_of.args, sorted(note_of.keywords.items()))
    else:
        how_note = (r.note, note_of)
    return (how_note, r.scale, r.each_zone_min, r.levels, r.combine, list(r.values.columns),
            None if r.totals is None else sorted(r.totals),
            None if r.counts is None else list(r.counts.columns), r.estimated)


def merge_outcomes(parts: list[RowOutcome]) -> RowOutcome | None:
    """One outcome from the districts' outcomes of a row, or None when they disagree.

    The parts are concatenated and the note's totals summed (the note made again from
    them); everything else (note, scale, rule, parameters read, "no data") must be the same
    in every district, else the row is recomputed in one piece.
    """
    first = parts[0]
    if first.result is None:
        same = all(p.result is None and p.no_data == first.no_data for p in parts)
        return first if same else None
    results = [p.result for p in parts if p.result is not None]
    if len(results) < len(parts) or any(r.levels is not None for r in results):
        return None
    if any(p.used != first.used for p in parts):
        return None
    base = results[0]
    if any(_how(r) != _how(base) for r in results):
        return None
    note = base.note
    totals = None
    if base.totals is not None:
        totals = {k: sum(float(r.totals[k]) for r in results if r.totals is not None)
                  for k in base.totals}
        if base.note_of is not None:
            note = base.note_of(totals)
    elif base.note_of is not None:
        return None
    values = pd.concat([r.values for r in results])
    counts = None if base.counts is None else pd.concat(
        [r.counts for r in results if r.counts is not None])
    merged = MetricResult(
        values, note=note, scale=base.scale, combine=base.combine,
        each_zone_min=base.each_zone_min, levels=base.levels, totals=totals,
        note_of=base.note_of, counts=counts, estimated=base.estimated,
    )
    return RowOutcome(merged, used=first.used)


def compute_partitioned(
    project: Project,
    client: Any,
    *,
    catalog: Catalog,
    zones: Zones,
    year: int | None = None,
    scenario: str | None = None,
    ids: list[str] | None = None,
    one_piece: list[str] | None = None,
) -> list[IndicatorResult]:
    """Every catalog row for every zone, computed by district on ``client``'s workers.

    Parameters
    ----------
    project : Project
        A built project whose folder the workers can read at the same path.
    client : distributed.Client or None
        Where the tasks run (one per worker); None: one district after the other here.
    catalog : Catalog
        The catalog.
    zones : Zones
        The project's zones (as :func:`layers.indicators.zones.load_zones`).
    year, scenario, ids : optional
        As :func:`layers.indicators.engine.compute_records`.
    one_piece : list, optional
        Gets the ids of the rows computed in one piece in this process.

    Returns
    -------
    list of IndicatorResult
        The records of the single-process run, in the same order.
    """
    from gis.tasks import run_tasks

    chosen = [s for s in catalog.indicators if ids is None or s.id in ids]
    split = [s for s in chosen if s.kind not in ONE_PIECE]
    # in this process (no client, for tests): one district after the other
    n_tasks = (len(zones.names["district"]) if client is None
               else len(client.scheduler_info().get("workers", {})))
    groups = partitions(zones, max(n_tasks, 1))
    root = str(Path(project.root).resolve())
    outcomes: dict[str, list[RowOutcome]] = {s.id: [] for s in split}
    by_task: dict[int, dict[str, RowOutcome]] = {}

    def tasks() -> Any:
        for i, group in enumerate(groups):
            yield (i, root, group, split, catalog.params, year, scenario)

    def keep(answer: tuple[int, dict[str, RowOutcome]]) -> None:
        by_task[answer[0]] = answer[1]

    if split and groups:
        run_tasks(_numbered, tasks(), keep, client=client, max_in_flight=len(groups))
    for i in sorted(by_task):  # task order, whatever order the tasks finished in
        for spec_id, outcome in by_task[i].items():
            outcomes[spec_id].append(outcome)
    missing = import_themes()
    whole: Any = None
    records: list[IndicatorResult] = []
    order: dict[str, int] = {level: i for i, level in enumerate(LEVELS)}
    for spec in chosen:
        merged = merge_outcomes(outcomes[spec.id]) if outcomes.get(spec.id) else None
        if merged is None:
            if spec.kind not in ONE_PIECE:
                log.info("indicator %s: districts disagree (note or no-data); one piece", spec.id)
            if whole is None:
                whole = metric_context(
                    project, year=year, scenario=scenario, catalog=catalog, zones=zones)
            merged = evaluate_row(spec, whole, missing)
            if one_piece is not None:
                one_piece.append(spec.id)
        rows = row_records(spec, zones, merged)
        rows.sort(key=lambda r: order[r.level])
        records.extend(rows)
    return records


def _numbered(i: int, *args: Any) -> tuple[int, dict[str, RowOutcome]]:
    return i, district_outcomes(*args)

