"""The indicator engine: run a catalog on a project's store, per community, street, district.

:func:`compute_records` runs every catalog row (:mod:`layers.indicators.rows`: the metric
kind, the sums by level, status and gap) in this process, or by district on Dask workers
(:mod:`layers.indicators.partition`) when a scheduler is configured; the records are the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from layers.indicators.catalog import LEVELS, Catalog, read_catalog
from layers.indicators.result import IndicatorResult
from layers.indicators.rows import (
    RECORD_FIELDS,
    evaluate_row,
    import_themes,
    metric_context,
    row_records,
)
from layers.indicators.zones import Zones, default_year, load_zones
from layers.params import ComputeParams
from layers.project import Project

__all__ = [
    "RECORD_FIELDS",
    "IndicatorResult",
    "Zones",
    "compute_records",
    "default_year",
    "import_themes",
    "load_zones",
    "metric_context",
]


def compute_records(
    project: Project,
    *,
    year: int | None = None,
    scenario: str | None = None,
    catalog: Catalog | None = None,
    ids: list[str] | None = None,
    proposals: Mapping[str, Any] | None = None,
    scheduler: str | None = None,
) -> list[IndicatorResult]:
    """Compute every catalog row for every zone of every level.

    With a Dask scheduler (``scheduler``, else ``[params.compute] scheduler``, else the
    environment variable ``PEAKMAP_DASK_SCHEDULER``) the rows are computed by district on its
    workers (:mod:`layers.indicators.partition`), giving the same records; without one (or
    with ``proposals`` not stored, which the workers could not read) in this process.

    Parameters
    ----------
    project : Project
        A built project.
    year : int, optional
        Report year (default: :func:`default_year`).
    scenario : str, optional
        ``"proposal"`` reads each layer as base + ``proposal__<layer>``.
    catalog : Catalog, optional
        Default: the project's ``targets.toml`` with its includes.
    ids : list of str, optional
        Compute only these rows.
    proposals : mapping of str to GeoDataFrame, optional
        Proposed features not stored yet (with ``scenario``), per canonical layer.
    scheduler : str, optional
        ``local:N`` or ``tcp://host:8786`` (:func:`gis.tasks.dask_client`); '' for none
        (this process) whatever the configuration says.

    Returns
    -------
    list of IndicatorResult
        Catalog order; per row, districts, then streets, then communities.

    Raises
    ------
    PeakmapError
        The store or the catalog is missing or malformed.
    """
    catalog = catalog or read_catalog(project.targets_path, root=project.root)
    missing = import_themes(
        None if ids is None else [spec.kind for spec in catalog.indicators if spec.id in ids])
    zones = load_zones(project)
    address = _scheduler(project, catalog, scheduler)
    if address and not proposals:
        from gis.tasks import dask_client
        from layers.indicators.partition import compute_partitioned

        with dask_client(address) as client:
            return compute_partitioned(
                project, client, catalog=catalog, zones=zones, year=year, scenario=scenario,
                ids=ids)
    ctx = metric_context(
        project, year=year, scenario=scenario, catalog=catalog, zones=zones, proposals=proposals
    )
    records: list[IndicatorResult] = []
    for spec in catalog.indicators:
        if ids is not None and spec.id not in ids:
            continue
        rows = row_records(spec, zones, evaluate_row(spec, ctx, missing))
        order: dict[str, int] = {level: i for i, level in enumerate(LEVELS)}
        rows.sort(key=lambda r: order[r.level])
        records.extend(rows)
    return records


def _scheduler(project: Project, catalog: Catalog, given: str | None) -> str:
    """The Dask scheduler in force: ``given``, else the parameters, else the environment."""
    if given is not None:
        return given.strip()
    from gis.tasks import scheduler_address

    return scheduler_address(project.params(ComputeParams, catalog=catalog.params).scheduler)


def records_frame(records: list[IndicatorResult]) -> pd.DataFrame:
    """The records as a DataFrame (one column per field)."""
    return pd.DataFrame([r.as_dict() for r in records])
