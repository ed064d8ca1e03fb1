"""The text files of the sample project: ``project.toml``, ``SOURCE.md``, catalog, reported values.

The project's ``targets.toml`` includes the catalogs packaged with peakmap
(``include = ["peakmap:targets.toml"]``, see :mod:`layers.indicators.catalog`), so the sample
follows ``layers/catalogs/`` without a copy; ``--copy-catalogs`` writes editable copies instead.
The synthetic reported values ship with this package (``heping_reported.csv``) and are
written as the project's ``reported.csv``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from layers.indicators.catalog import PACKAGED_DIR, PACKAGED_PREFIX
from layers.project import GENERATED_MARK
from sample.district import copy_codes
from sample.write import (
    ADMIN_FILE,
    ADMIN_LAYERS,
    BUILDINGS_FILE,
    COMMUNITY_FIELDS,
    DSM_FILE,
    GEOJSON_LAYERS,
    PIPE_FIELDS,
    PIPES_FILE,
    RECYCLING_FIELDS,
    RECYCLING_FILE,
)

__all__ = [
    "AS_OF_YEAR",
    "GENERATED_MARK",
    "REPORTED_SOURCE",
    "copy_catalogs",
    "historic_streets",
    "manifest_text",
    "source_text",
    "write_catalogs",
]

AS_OF_YEAR = 2025
CATALOG_DIR = PACKAGED_DIR
TARGETS_NAME = "targets.toml"
REPORTED_NAME = "reported.csv"
REPORTED_SOURCE = Path(__file__).with_name("heping_reported.csv")
"""Synthetic values of the non-spatial indicators (not official figures)."""
HISTORIC_STREET_SUFFIX = "003"
"""五大道街道, the historic-cultural quarter (五大道历史文化街区)."""


def _fields(table: str, mapping: dict[str, str]) -> list[str]:
    return [f"\n[layers.{table}.fields]", *(f'{k} = "{v}"' for k, v in mapping.items())]


def manifest_text(*, seed: int, scale: int, with_dsm: bool = True) -> str:
    """Return the ``project.toml`` declaring every raw file of the sample.

    Parameters
    ----------
    seed, scale : int, keyword-only
        Recorded in the header comment.
    with_dsm : bool, keyword-only
        Declare the DSM raster (left out when it was not generated).

    Returns
    -------
    str
    """
    scale_note = "" if scale == 1 else f" ({scale} side-by-side copies of the district)"
    lines = [
        f"{GENERATED_MARK} --seed {seed} --scale {scale}`{scale_note}.",
        "# The outline of 和平区 and its street names/codes are real; every feature inside",
        "# is synthetic (see SOURCE.md). 示例数据：区界与街道名称为真实，其余要素均为合成。",
        "",
        "[project]",
        'name = "和平区碳达峰空间评估（示例数据）"',
        'metric_crs = "EPSG:4548"',
        f'targets = "{TARGETS_NAME}"',
        f'reported = "{REPORTED_NAME}"',
        f"year = {AS_OF_YEAR}",
    ]
    for name, layer in ADMIN_LAYERS.items():
        lines += ["", f"[layers.{name}]", f'path = "{ADMIN_FILE}"', f'layer = "{layer}"']
        if name == "communities":
            lines += _fields(name, COMMUNITY_FIELDS)
    lines += ["", "[layers.buildings]", f'path = "{BUILDINGS_FILE}"', 'layer = "buildings"']
    lines += [
        "", "[layers.recycling_points]", f'path = "{RECYCLING_FILE}"', 'crs = "gcj02"',
        'x = "lng"', 'y = "lat"', *_fields("recycling_points", RECYCLING_FIELDS),
    ]
    lines += [
        "", "[layers.heating_pipes]", f'path = "{PIPES_FILE}"', 'encoding = "gbk"',
        *_fields("heating_pipes", PIPE_FIELDS),
    ]
    for name in GEOJSON_LAYERS:
        lines += ["", f"[layers.{name}]", f'path = "raw/{name}.geojson"']
    if with_dsm:
        lines += ["", "[rasters.dsm]", f'path = "{DSM_FILE}"']
    historic = ", ".join(f'"{c}"' for c in historic_streets(scale))
    lines += [
        "",
        "[params.coverage]",
        "# 五大道历史文化街区: parks there follow the historic-district radius rule of",
        "# STD-PARK-SIZE (a real designation; the parks themselves are synthetic).",
        f"historic_streets = [{historic}]",
    ]
    return "\n".join([*lines, ""])


def historic_streets(scale: int) -> list[str]:
    """Codes of the 五大道 historic street in every copy of the district."""
    return [copy_codes(k)[0] + HISTORIC_STREET_SUFFIX for k in range(scale)]


def source_text(*, seed: int, scale: int, with_dsm: bool) -> str:
    """Return ``SOURCE.md``: what in the sample is real and what is synthetic."""
    dsm = "" if with_dsm else "\n(This copy was generated without a DSM: `--no-dsm`.)\n"
    return f"""# 和平区示例项目：数据来源 / Heping sample project: sources

**内部要素均为合成数据，不是真实位置。** 区界（外轮廓）与六个街道的名称、代码是真实的；
建筑、绿地、口袋公园、海绵城市分区、回收点、供热管网、路灯、设施、道路、社区划分与 DSM
均由 `peakmap sample --seed {seed} --scale {scale}` 按固定随机种子生成，仅供演示与测试。

**Everything inside the outline is synthetic.** The facilities, parks, pipes, buildings and
community boundaries are not real locations; they are generated deterministically from a
seed (`peakmap sample --seed {seed} --scale {scale}`) to demonstrate and test peakmap.
{dsm}
## Real
- District outline of 和平区 (adcode 120101): DataV.GeoAtlas, as published in the public
  repository anzhou99/GeoJsons (`120000_full.json`); the original GCJ-02 file ships with the
  generator (`sample/heping_outline_gcj02.geojson` in the peakmap source). It is converted to
  WGS84 (iterative GCJ-02 inverse) and measures ≈ 10.02 km² in EPSG:4548 (official area 9.98 km²).
- Streets (街道) and codes: 120101001 劝业场街道, 120101002 小白楼街道, 120101003 五大道街道,
  120101004 新兴街道, 120101005 南营门街道, 120101006 南市街道; 64 communities in all
  (plan text). Street borders are Voronoi cells of approximate street centres, not the
  official borders.
- Names of well-known parks (中心公园, 睦南公园, 南市公园, 五大道公园, 海河带状公园) and of
  roads; their placement here is approximate or invented.

## Synthetic
Community borders, names and counts of households; land use (GB 50137 codes); buildings
(use, age, floors, retrofit and green-building attributes, roof shape and pitch — gable and
hipped roofs on low pre-1960 buildings of 五大道 and 南市, drawn into the DSM above the eave
height — and a listed-building flag `protected`); green spaces (CJJ/T 85 classes);
pocket parks; sponge-city drainage zones; recycling points; heating pipes; street lights;
community facilities; the road network (streets, and lanes 里巷 between the building lots);
forest (the tree stands of the large parks), one nature reserve (the riverside park along the
Haihe as a municipal wetland nature park — 和平区 has no designated 自然保护地; this one only
lets TJ-PROTECT compute), shorelines (the inner Haihe bank in pieces of about 200 m, one in
eight natural, the rest embanked); the DSM (2 m, metres above sea level).
The generator aims the plan indicators at mixed results (some targets met, some not) so the
demo shows both passes and gaps.

## Files in `raw/` (as planners receive them)
| file | CRS | notes |
|---|---|---|
| `admin_landuse_cgcs2000_gk117.gpkg` | EPSG:4548 | layers 区界, 街道界, 社区界, 用地现状 |
| `buildings_cgcs2000.gpkg` | EPSG:4490 | CGCS2000 geographic |
| `recycling_points_amap.csv` | GCJ-02 | UTF-8, `lng,lat` as copied from Amap, Chinese headers |
| `heating_pipes.zip` | EPSG:4548 | zipped Shapefile, GBK attributes, no `.cpg` |
| `*.geojson` | WGS84 | green spaces, pocket parks, sponge zones, street lights, facilities, \
roads, forest, nature reserves, shorelines |
| `dsm_2m_cgcs2000.tif` | EPSG:4548 | float32, deflate, tiled, 2 m |

`targets.toml` includes the plan catalogs packaged with peakmap (`layers/catalogs/`; with
`peakmap sample --copy-catalogs` they are copied here, to be edited). `reported.csv` holds
synthetic values of the non-spatial statistics the plans report (energy intensity and the
like), not official figures.
"""


TARGETS_TEXT = f"""\
# Indicator catalog of this project, written by `peakmap sample`. Its rows are the plan
# catalogs packaged with peakmap (layers/catalogs/{TARGETS_NAME} and the files it includes),
# read through the include below. Add this project's own [[indicator]] rows here; to change
# a packaged row, run `peakmap sample --copy-catalogs` (editable copies) and edit those.
# 本项目的指标目录：指标行来自 peakmap 自带的规划目录（layers/catalogs/）。
include = ["{PACKAGED_PREFIX}{TARGETS_NAME}"]
"""


def write_catalogs(out: Path, *, copy: bool = False) -> list[Path]:
    """Write the project's catalog and ``reported.csv`` into ``out``.

    Parameters
    ----------
    out : pathlib.Path
        The project directory (it must exist).
    copy : bool, keyword-only
        Copy the packaged catalogs (editable, see :func:`copy_catalogs`) instead of writing a
        ``targets.toml`` that includes them.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    if copy:
        written = copy_catalogs(out)
    else:
        (out / TARGETS_NAME).write_text(TARGETS_TEXT, encoding="utf-8")
        written = [out / TARGETS_NAME]
    shutil.copyfile(REPORTED_SOURCE, out / REPORTED_NAME)
    return [*written, out / REPORTED_NAME]


def copy_catalogs(out: Path) -> list[Path]:
    """Copy the packaged catalogs (``layers/catalogs/*.toml``) into ``out``.

    ``targets.toml`` then includes its neighbours by name, and every row can be edited.

    Parameters
    ----------
    out : pathlib.Path
        An existing directory.

    Returns
    -------
    list of pathlib.Path
        The copies.
    """
    copied: list[Path] = []
    for src in sorted(CATALOG_DIR.glob("*.toml")):
        dst = out / src.name
        shutil.copyfile(src, dst)
        copied.append(dst)
    return copied
