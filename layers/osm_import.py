"""``peakmap import osm``: a project bootstrapped from an OpenStreetMap extract.

Reads an ``.osm.pbf`` extract with pyosmium (libosmium assembles multipolygons), keeps what
lies in the planner's boundary, turns OSM tags into canonical layers by the rules of
``layers/osm_tags.toml`` (kept as data, copied into the project's ``SOURCE.md``) and writes a
project directory: ``raw/osm.gpkg`` (WGS84, one layer per canonical layer, canonical
fields), ``raw/boundary.gpkg`` (the district), ``project.toml``, ``targets.toml`` (with the
catalogs it includes) and ``SOURCE.md``. ``peakmap build`` then reads it like any delivery.

The boundary becomes the district; OSM gives no street (街道) or community (社区) borders that
match the Chinese units, so the project starts with the district level only (the report says
so) until the planner adds ``streets`` and ``communities``.
"""

from __future__ import annotations

import shutil
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from gis import InputFileError
from gis import crs as gcrs
from gis.io import read_vector, write_gpkg_atomic
from gis.validate import keep_dimension
from layers.schema import CANONICAL

__all__ = ["OSM_TAGS", "OsmImport", "import_osm", "load_rules"]

OSM_TAGS = Path(__file__).with_name("osm_tags.toml")
CATALOG_DIR = Path(__file__).with_name("catalogs")
WGS84 = "EPSG:4326"
RAW_FILE = "raw/osm.gpkg"
BOUNDARY_FILE = "raw/boundary.gpkg"
ANY = "*"
MAX_LISTED = 30


@dataclass
class OsmImport:
    """What ``import_osm`` wrote."""

    out: Path
    counts: dict[str, int]
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def load_rules(path: Path = OSM_TAGS) -> dict[str, Any]:
    """Read the tag mapping (see the comments in ``layers/osm_tags.toml``)."""
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    for i, rule in enumerate(data.get("rule", []), start=1):
        if rule.get("layer") not in CANONICAL:
            raise InputFileError(f"{path}: rule {i}: layer {rule.get('layer')!r} is not canonical")
    return data


def _matches(tags: Mapping[str, str], match: Mapping[str, Any]) -> bool:
    for key, accepted in match.items():
        value = tags.get(key)
        if value is None:
            return False
        if accepted != ANY and value not in accepted:
            return False
    return True


def _excluded(tags: Mapping[str, str], rule: Mapping[str, Any]) -> bool:
    return any(tags.get(k) in v for k, v in (rule.get("except") or {}).items())


def _number(text: str | None) -> float | None:
    """``"12"``, ``"12.5 m"``, ``"1998-05"`` → a number (the leading one), else None."""
    if not text:
        return None
    head = ""
    for ch in text.strip():
        if ch.isdigit() or (ch == "." and "." not in head):
            head += ch
        else:
            break
    try:
        return float(head) if head else None
    except ValueError:
        return None


def _use(tags: Mapping[str, str], table: Mapping[str, list[str]]) -> str:
    value = tags.get("building", "")
    fallback = "other"
    for use, values in table.items():
        if value in values:
            return use
        if ANY in values:
            fallback = use
    return fallback


@dataclass
class _Collector:
    rules: list[dict[str, Any]]
    building_use: dict[str, list[str]]
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, kind: str, osm_id: str, tags: Mapping[str, str], geom: BaseGeometry) -> None:
        done: set[str] = set()
        for rule in self.rules:
            layer = rule["layer"]
            if layer in done or not _matches(tags, rule.get("match", {})) or _excluded(tags, rule):
                continue
            want = rule.get("geometry", "area")
            if want == "point" and kind in ("area", "node"):
                g = geom if kind == "node" else shapely.point_on_surface(geom)
            elif want == kind:
                g = geom
            else:
                continue
            row: dict[str, Any] = {"id": osm_id, "geometry": g}
            row.update(rule.get("set", {}))
            spec = CANONICAL[layer]
            for canon, tag in (rule.get("from_tags") or {}).items():
                f = spec.field(canon)
                raw = tags.get(tag)
                if f is None or raw is None:
                    continue
                row[canon] = raw if f.type == "str" else _number(raw)
            if "class_by_area" in rule:
                area = _area_m2(g)
                row["class"] = next(c for bound, c in rule["class_by_area"] if area >= bound)
            if rule.get("use_from"):
                row["use"] = _use(tags, self.building_use)
            if "walkable_unless" in rule:
                row["walkable"] = not any(
                    tags.get(k) in v for k, v in rule["walkable_unless"].items()
                )
            self.rows.setdefault(layer, []).append(row)
            done.add(layer)


def _area_m2(geom: BaseGeometry) -> float:
    """Geodesic-enough area of a WGS84 geometry (local azimuthal equal-area)."""
    c = geom.centroid
    laea = CRS.from_proj4(f"+proj=laea +lat_0={c.y} +lon_0={c.x} +units=m")
    return float(gpd.GeoSeries([geom], crs=WGS84).to_crs(laea).area.iloc[0])



def _read_extract(
    extract: Path, boundary: BaseGeometry, collector: _Collector, shore: Mapping[str, Any]
) -> tuple[list[str], list[BaseGeometry]]:
    """Stream the extract; return (ids of wanted objects without a geometry, shorelines).

    A way or relation cut at the extract's edge (nodes missing) or broken has no geometry;
    those a rule wanted are listed, never guessed from the nodes that are there.
    """
    import osmium

    shapely.prepare(boundary)
    box = boundary.bounds
    wkb = osmium.geom.WKBFactory()
    failed: list[str] = []
    shore_lines: list[BaseGeometry] = []
    processor = osmium.FileProcessor(str(extract)).with_locations().with_areas()
    for obj in processor:
        if not isinstance(obj, osmium.osm.Area | osmium.osm.Way | osmium.osm.Node):
            continue
        tags = {t.k: t.v for t in obj.tags}
        if not tags:
            continue
        try:
            if isinstance(obj, osmium.osm.Area):
                kind = "area"
                osm_id = f"{'w' if obj.from_way() else 'r'}{obj.orig_id()}"
                geom = shapely.from_wkb(wkb.create_multipolygon(obj))
            elif isinstance(obj, osmium.osm.Way):
                kind = "line"
                osm_id = f"w{obj.id}"
                geom = shapely.from_wkb(wkb.create_linestring(obj))
            else:
                kind = "node"
                osm_id = f"n{obj.id}"
                lon, lat = obj.location.lon, obj.location.lat
                if not (box[0] <= lon <= box[2] and box[1] <= lat <= box[3]):
                    continue
                geom = shapely.Point(lon, lat)
        except (RuntimeError, osmium.InvalidLocationError):
            if any(_matches(tags, r.get("match", {})) for r in collector.rules):
                failed.append(osm_id)
            continue
        if not shapely.intersects(boundary, geom):
            continue
        if kind != "node" and not shapely.contains(boundary, geom):
            geom = shapely.intersection(geom, boundary)
            if geom.is_empty:
                continue
        collector.add(kind, osm_id, tags, geom)
        if kind == "area" and _matches_any(tags, shore.get("areas", {})):
            shore_lines.append(shapely.intersection(geom.boundary, boundary))
        if kind == "line" and _matches_any(tags, shore.get("lines", {})):
            shore_lines.append(geom)
    return list(dict.fromkeys(failed)), shore_lines


def _matches_any(tags: Mapping[str, str], table: Mapping[str, list[str]]) -> bool:
    return any(tags.get(k) in v for k, v in table.items())


def _frames(collector: _Collector) -> dict[str, gpd.GeoDataFrame]:
    out = {}
    for layer, rows in collector.rows.items():
        frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84)
        spec = CANONICAL[layer]
        keep = [f.name for f in spec.fields if f.name in frame.columns]
        if spec.geometry != "point":  # clipping leaves collections: keep the right parts
            dim = {"polygon": 2, "line": 1}[spec.geometry]
            geoms = keep_dimension(np.asarray(frame.geometry.values, dtype=object), dim)
            frame = frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=WGS84))
            frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
        out[layer] = frame[[*keep, "geometry"]].reset_index(drop=True)
    return out


def _use_from_landuse(frames: dict[str, gpd.GeoDataFrame], table: Mapping[str, str]) -> int:
    """Give buildings of unknown use the use of the land-use class under them; return count."""
    buildings, landuse = frames.get("buildings"), frames.get("landuse")
    if buildings is None or landuse is None or not table or not len(buildings):
        return 0
    unknown = (buildings["use"] == "other").to_numpy()
    if not unknown.any():
        return 0
    points = shapely.point_on_surface(np.asarray(buildings.geometry.values, dtype=object))
    codes = landuse["code"].astype(str).to_numpy()
    use = buildings["use"].to_numpy(dtype=object).copy()
    tree = shapely.STRtree(np.asarray(landuse.geometry.values, dtype=object))
    pt_idx, lu_idx = tree.query(points[unknown], predicate="within")
    rows = np.flatnonzero(unknown)[pt_idx]
    changed = 0
    for row, lu in zip(rows, lu_idx, strict=True):
        if use[row] == "other" and codes[lu] in table:
            use[row] = table[codes[lu]]
            changed += 1
    buildings["use"] = use
    return changed


def _boundary(path: Path, crs: str | None) -> tuple[gpd.GeoDataFrame, BaseGeometry]:
    label = f"{path.name} (boundary)"
    frame = read_vector(path, label=label)
    if crs:
        frame = frame.set_crs(gcrs.parse_crs(crs, where=f"{label}: crs"), allow_override=True)
    if frame.crs is None:
        raise InputFileError(f"{label}: the file declares no CRS; give --boundary-crs EPSG:...")
    frame = frame.to_crs(WGS84)
    polys = frame[frame.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    if polys.empty:
        raise InputFileError(f"{label}: no polygon in the boundary file")
    return polys, shapely.union_all(polys.geometry.values)


def _tags_text(table: Mapping[str, Any]) -> str:
    return "; ".join(
        f"{k}={' / '.join(v) if isinstance(v, list) else v}" for k, v in table.items()
    )


def _rules_markdown(rules: Mapping[str, Any]) -> str:
    lines = ["| layer | geometry | OSM tags | canonical values |", "|---|---|---|---|"]
    for r in rules.get("rule", []):
        match = _tags_text(r.get("match", {}))
        if r.get("except"):
            match += f" (not {_tags_text(r['except'])})"
        values = [f"{k} = {v}" for k, v in (r.get("set") or {}).items()]
        values += [f"{k} ← {t}" for k, t in (r.get("from_tags") or {}).items()]
        if "class_by_area" in r:
            values.append("class by area: " + ", ".join(f"≥{b:g} m² {c}"
                                                         for b, c in r["class_by_area"]))
        if r.get("use_from"):
            values.append("use ← building (table below)")
        if "walkable_unless" in r:
            values.append("walkable unless " + _tags_text(r["walkable_unless"]))
        lines.append(f"| {r['layer']} | {r.get('geometry', 'area')} | {match} | "
                     f"{', '.join(values)} |")
    lines += ["", "building=* → use:", ""]
    lines += [f"- {use}: {', '.join(v)}" for use, v in rules.get("building_use", {}).items()]
    for code, use in rules.get("building_use_by_landuse", {}).items():
        lines.append(f"- building=yes (use other) on land use {code} → {use}")
    shore = rules.get("shorelines", {})
    lines += ["", f"Shorelines: outlines of areas with {_tags_text(shore.get('areas', {}))}, "
              f"and lines with {_tags_text(shore.get('lines', {}))}; `natural` unknown (OSM "
              "does not say)."]
    return "\n".join(lines)


def _source_md(extract: Path, name: str, counts: Mapping[str, int], rules: Mapping[str, Any],
               notes: list[str]) -> str:
    counted = "\n".join(f"- {layer}: {n}" for layer, n in sorted(counts.items()))
    noted = "\n".join(f"- {n}" for n in notes) or "- none"
    return f"""# {name}: sources

Imported with `peakmap import osm {extract.name}` from an OpenStreetMap extract.
Data © OpenStreetMap contributors, available under the Open Database License (ODbL 1.0).
OSM is mapped by volunteers: completeness varies, and it carries no floor counts for most
buildings, no zone (街道/社区) borders and no plan attributes (retrofits, green buildings,
heating pipes). Check the layers before trusting a figure; replace or add layers in
`project.toml` as the district's own data arrives.

## Layers written (features inside the boundary)
{counted}

## Notes
{noted}

## OSM tags → canonical layers (`layers/osm_tags.toml` as used)
{_rules_markdown(rules)}
"""


def _manifest(name: str, layers: list[str]) -> str:
    lines = [
        "[project]",
        f"name = {_toml_str(name)}",
        'targets = "targets.toml"',
        "",
        "[layers.districts]",
        f'path = "{BOUNDARY_FILE}"',
        'layer = "districts"',
    ]
    for layer in layers:
        lines += ["", f"[layers.{layer}]", f'path = "{RAW_FILE}"', f'layer = "{layer}"']
    return "\n".join(lines) + "\n"


def _toml_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def import_osm(
    extract: Path,
    boundary: Path,
    out: Path,
    *,
    name: str | None = None,
    code: str | None = None,
    boundary_crs: str | None = None,
    rules_path: Path = OSM_TAGS,
) -> OsmImport:
    """Write a project under ``out`` from an OSM extract clipped to a boundary.

    Parameters
    ----------
    extract : pathlib.Path
        An ``.osm.pbf`` (or ``.osm``) extract.
    boundary : pathlib.Path
        The district's boundary, any readable vector file with polygons (unioned).
    out : pathlib.Path
        The project directory; must not hold a ``project.toml`` yet.
    name, code : str, optional
        The district's name and code (default: the boundary's ``name``/``code`` fields, else
        the file name and ``"000000"``).
    boundary_crs : str, optional
        CRS of a boundary file that declares none (``gcj02`` accepted).
    rules_path : pathlib.Path
        The tag mapping.

    Returns
    -------
    OsmImport

    Raises
    ------
    InputFileError
        Missing or unreadable extract or boundary, or an existing project at ``out``.
    """
    if not extract.is_file():
        raise InputFileError(f"{extract}: OSM extract not found")
    if (out / "project.toml").exists():
        raise InputFileError(f"{out}: already holds a project.toml; choose a new --out")
    rules = load_rules(rules_path)
    polys, area = _boundary(boundary, boundary_crs)
    collector = _Collector(rules.get("rule", []), rules.get("building_use", {}))
    try:
        failed, shore_lines = _read_extract(extract, area, collector, rules.get("shorelines", {}))
    except RuntimeError as e:
        raise InputFileError(f"{extract}: not a readable OSM extract ({e})") from e
    frames = _frames(collector)
    by_landuse = _use_from_landuse(frames, rules.get("building_use_by_landuse", {}))
    if shore_lines:
        lines = [g for g in shapely.get_parts(np.asarray(shore_lines, dtype=object))
                 if shapely.get_dimensions(g) == 1]
        if lines:
            frames["shorelines"] = gpd.GeoDataFrame(
                {"id": [f"s{i + 1}" for i in range(len(lines))],
                 "natural": pd.array([pd.NA] * len(lines), dtype="boolean")},
                geometry=lines, crs=WGS84,
            )
    first = polys.iloc[0]
    district_name = name or str(first.get("name") or boundary.stem)
    district_code = code or str(first.get("code") or "000000")
    district = gpd.GeoDataFrame(
        {"code": [district_code], "name": [district_name]}, geometry=[area], crs=WGS84
    )
    notes = []
    if failed:
        shown = ", ".join(failed[:MAX_LISTED]) + (" …" if len(failed) > MAX_LISTED else "")
        notes.append(
            f"{len(failed)} OSM objects a rule wanted have no complete geometry in the extract "
            f"(cut at its edge, or broken) and were left out: {shown}"
        )
    empty = [layer for layer in CANONICAL if layer not in frames and CANONICAL[layer].zone_level
             is None]
    if empty:
        notes.append("no feature in the extract for: " + ", ".join(empty))
    notes.append("buildings: floors from building:levels, height_m from height where tagged; "
                 "the build estimates the rest (see its notes)")
    if by_landuse:
        notes.append(f"buildings: {by_landuse} of unknown use (building=yes) took the use of the "
                     "land use they stand on ([building_use_by_landuse])")
    out.mkdir(parents=True, exist_ok=True)
    (out / "raw").mkdir(exist_ok=True)
    layers = [layer for layer in CANONICAL if layer in frames and len(frames[layer])]
    write_gpkg_atomic(out / RAW_FILE, {layer: frames[layer] for layer in layers})
    write_gpkg_atomic(out / BOUNDARY_FILE, {"districts": district})
    for catalog in sorted(CATALOG_DIR.glob("*.toml")):  # targets.toml and its includes
        shutil.copyfile(catalog, out / catalog.name)
    counts = {layer: len(frames[layer]) for layer in layers}
    (out / "SOURCE.md").write_text(
        _source_md(extract, district_name, counts, rules, notes), encoding="utf-8"
    )
    (out / "project.toml").write_text(_manifest(district_name, layers), encoding="utf-8")
    return OsmImport(out=out, counts=counts, skipped=failed, notes=notes)
