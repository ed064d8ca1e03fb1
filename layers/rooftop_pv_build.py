"""The rooftop-PV post-build step: irradiation raster, PV fields, flags and the sky note.

:func:`build_step` (one of :data:`layers.build.POST_BUILD_STEPS`) writes
``build/solar_irradiation.tif`` from the DSM (:func:`gis.solar.irradiation_raster`), adds the
PV fields of :mod:`layers.rooftop_pv` (:func:`~layers.rooftop_pv.building_pv`, the NEA class)
and the roof flags of :mod:`layers.rooftop_pv_plan` (for the map) to the ``buildings``
layer, and writes the sky and layout used to ``build/solar_irradiation.json`` in Chinese and
English (:mod:`layers.rooftop_pv_note`). The fields and parameters are described in
:mod:`layers.rooftop_pv`.
"""

from __future__ import annotations

import contextlib
import json
import time
from typing import TYPE_CHECKING

import numpy as np

from gis.solar import irradiation_raster, raster_location
from gis.tasks import dask_client, scheduler_address
from layers._errors import StoreError
from layers.labels import bilingual_note
from layers.params import ComputeParams
from layers.rooftop_pv import (
    IRRADIATION_RASTER,
    building_pv,
    layout_for,
    nea_classes,
    pv_params,
    solar_options,
    sun_for_project,
)
from layers.rooftop_pv_note import sky_note
from layers.rooftop_pv_plan import FLAGS, roof_flags

if TYPE_CHECKING:
    from layers.project import Project

__all__ = ["build_step"]


def build_step(project: Project) -> str:
    """Post-build step: irradiation raster and PV fields of the ``buildings`` layer.

    Parameters
    ----------
    project : Project
        A built project; skipped (with a note) when it has no DSM or no buildings.

    Returns
    -------
    str
        One-line summary in Chinese and English (:func:`layers.labels.bilingual_note`;
        :func:`layers.labels.note_label` shows one language).
    """
    store = project.store
    try:
        dsm = store.raster_path("dsm")
    except StoreError:
        return bilingual_note("已跳过：没有 DSM 栅格（请在 project.toml 中加入 [rasters.dsm]）",
                              "skipped: no DSM raster (add [rasters.dsm] to the manifest)")
    if not store.has("buildings"):
        return bilingual_note("已跳过：没有建筑图层（buildings）", "skipped: no buildings layer")
    t0 = time.perf_counter()
    params = pv_params(project)
    buildings = store.read("buildings")
    geoms = np.asarray(buildings.geometry.values, dtype=object)
    sun = sun_for_project(project, params, dsm)
    layout = layout_for(params, raster_location(dsm)[0])
    out_path = project.build_dir / f"{IRRADIATION_RASTER}.tif"
    address = scheduler_address(project.params(ComputeParams).scheduler)
    with dask_client(address) if address else contextlib.nullcontext() as client:
        info = irradiation_raster(
            dsm, out_path, sun, roofs=geoms, opts=solar_options(params, layout), client=client
        )
    fields = building_pv(geoms, out_path, params, layout)
    for col in fields.columns:
        buildings[col] = fields[col].to_numpy()
    buildings["nea_class"] = nea_classes(buildings, uses=params.get("nea_uses"))
    try:  # for the map: roofs already fitted, in TJ-PV50's denominator, historic
        flags = roof_flags(project, buildings)
        for col in FLAGS:
            buildings[col] = flags[col].to_numpy()
    except StoreError:
        pass  # no zones to read TJ-PV50's filter with: the ranking recomputes them anyway
    store.write_layers({"buildings": buildings})
    note_zh, note = sky_note(
        (str(sun.meta.get("source_zh") or sun.source), sun.source),
        ghi_kwh=sun.annual_ghi_kwh, diffuse_fraction=sun.diffuse_fraction, layout=layout,
        flush_fill=float(params["flush_fill"]), setback_m=float(params["setback_m"]),
    )
    (project.build_dir / f"{IRRADIATION_RASTER}.json").write_text(
        json.dumps({"note": note, "note_zh": note_zh, "sky": sun.source,
                    "layout": layout.describe(),
                    "annual_ghi_kwh_m2": round(sun.annual_ghi_kwh, 1),
                    "diffuse_fraction": round(sun.diffuse_fraction, 3), "gcr": layout.gcr,
                    "pitch_m": layout.pitch_m}, ensure_ascii=False, indent=1),
        encoding="utf-8",
    )
    total_kwp = float(fields["pv_kwp"].sum())
    total_mwh = float(fields["pv_kwh_year"].sum()) / 1000.0
    suitable = float(fields["pv_suitable_area_m2"].sum())
    seconds = time.perf_counter() - t0
    return bilingual_note(
        f"{IRRADIATION_RASTER}.tif（{info['tiles']} 个分块，{info['workers']} 个计算进程，"
        f"{info['sun_positions']} 个太阳位置）；{note_zh}；{len(buildings)} 个屋顶：适宜面积 "
        f"{suitable:,.0f} m²，{total_kwp / 1000.0:,.1f} MWp，{total_mwh:,.0f} MWh/年"
        f"（{seconds:.0f} s）",
        f"{IRRADIATION_RASTER}.tif ({info['tiles']} tiles on {info['workers']} worker(s), "
        f"{info['sun_positions']} sun positions); {note}; {len(buildings)} roofs: "
        f"{suitable:,.0f} m² suitable, "
        f"{total_kwp / 1000.0:,.1f} MWp, {total_mwh:,.0f} MWh/yr "
        f"({seconds:.0f} s)",
    )
