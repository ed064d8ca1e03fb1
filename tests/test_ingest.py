"""`peakmap build` on a tiny project of every raw-file shape, and the bad-input corpus.

Every bad input must give a one-line message naming the file/layer/field/feature, a
non-zero exit, and leave an existing store byte-for-byte unchanged.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from fixtures import ingest as fx

from layers.build import build_project
from layers.project import Project
from layers.uploads import ingest_upload
from peakmap import cli


def run_cli(*args: str) -> int:
    """Run ``peakmap ARGS`` in-process; return the exit code."""
    old = sys.argv
    sys.argv = ["peakmap", *args]
    try:
        cli.main()
    except SystemExit as e:
        return int(e.code or 0)
    finally:
        sys.argv = old
    return 0


def digest(build_dir: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(build_dir.iterdir())
        if p.is_file()
    }


@pytest.fixture
def built(tmp_path: Path) -> Path:
    root = fx.write_project(tmp_path / "proj")
    build_project(root, run_steps=False)
    return root


# --- the good path, with values worked out by hand ---------------------------------------


def test_build_areas_lengths_and_crs(built: Path) -> None:
    store = Project(built).store
    assert store.crs.to_epsg() == 4548
    districts = store.read("districts")
    assert districts.geometry.area.sum() == pytest.approx(160_000.0, abs=1e-6)
    streets = store.read("streets").set_index("code")
    assert streets.geometry.area.to_dict() == pytest.approx({"S1": 80_000.0, "S2": 80_000.0})
    pipes = store.read("heating_pipes").set_index("id")
    assert pipes.geometry.length.to_dict() == pytest.approx({"p1": 300.0, "p2": 400.0})
    assert pipes.loc["p1", "install_year"] == 1985


def test_gbk_shapefile_text_decoded(built: Path) -> None:
    # `name` is not canonical for heating_pipes and is dropped; the GBK column name was
    # mapped (敷设年份 → install_year): reading it at all needs the right encoding
    pipes = Project(built).store.read("heating_pipes")
    assert sorted(pipes["install_year"].tolist()) == [1985, 2010]


def test_green_space_repaired_and_reprojected(built: Path) -> None:
    green = Project(built).store.read("green_spaces").set_index("id")
    # g1: a 100 m square drawn in GK, stored in GeoJSON WGS84 and projected back
    assert green.loc["g1"].geometry.area == pytest.approx(10_000.0, rel=1e-6)
    # g2: a bow-tie over a 100 m square; make_valid keeps two triangles of 2,500 m² each
    assert green.loc["g2"].geometry.is_valid
    assert green.loc["g2"].geometry.area == pytest.approx(5_000.0, rel=1e-6)
    assert green.loc["g1", "class"] == "G11"


def test_gcj02_csv_lands_on_wgs84_position(built: Path) -> None:
    pts = Project(built).store.read("recycling_points").set_index("id")
    for pid, (lon, lat) in zip(["r1", "r2"], fx.RECYCLING_WGS84, strict=True):
        x, y = fx.to_gk(lon, lat)
        p = pts.loc[pid].geometry
        assert shapely.distance(p, shapely.Point(x, y)) < 0.01  # within 1 cm
    assert pts.loc["r1", "kind"] == "community_point"  # Chinese value mapped
    assert pts.loc["r2", "kind"] == "transfer_station"


def test_build_report_counts(tmp_path: Path) -> None:
    root = fx.write_project(tmp_path / "p")
    report = build_project(root, run_steps=False)
    by = {r.name: r for r in report.layers}
    assert by["green_spaces"].features_read == 2
    assert by["green_spaces"].repaired == 1
    assert by["recycling_points"].crs_in == "GCJ-02"
    assert by["heating_pipes"].crs_out == "EPSG:4548"


def test_cli_build_prints_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    root = fx.write_project(tmp_path / "p")
    assert run_cli("build", str(root), "--no-steps", "--lang", "en") == 0
    out = capsys.readouterr().out
    assert "green_spaces" in out and "GCJ-02→4548" in out
    assert "green_spaces: repaired 1 invalid geometry: g2" in out


# --- the bad-input corpus -----------------------------------------------------------------


def _set_manifest(root: Path, text: str) -> None:
    (root / "project.toml").write_text(text, encoding="utf-8")


def _bad_missing_crs(root: Path) -> None:
    _set_manifest(root, fx.MANIFEST.replace('crs = "GCJ-02"\n', ""))


def _bad_unknown_field(root: Path) -> None:
    _set_manifest(root, fx.MANIFEST.replace('class = "类别"', 'class = "类别"\ncolour = "颜色"'))


def _bad_missing_column(root: Path) -> None:
    _set_manifest(root, fx.MANIFEST.replace('class = "类别"', 'class = "分类"'))


def _bad_geometry_type(root: Path) -> None:
    gdf = fx.green_frame()
    gdf.loc[0, "geometry"] = gdf.geometry.iloc[0].centroid
    (root / "raw/green.geojson").unlink()
    gdf.to_file(root / "raw/green.geojson", driver="GeoJSON")


def _bad_empty_file(root: Path) -> None:
    (root / "raw/green.geojson").write_bytes(b"")


def _bad_encoding(root: Path) -> None:
    _set_manifest(root, fx.MANIFEST.replace('encoding = "gbk"\n', ""))


def _bad_corrupt_zip(root: Path) -> None:
    data = (root / "raw/pipes.zip").read_bytes()
    (root / "raw/pipes.zip").write_bytes(data[: len(data) // 2])


def _bad_outside(root: Path) -> None:
    (root.parent / "elsewhere.geojson").write_bytes((root / "raw/green.geojson").read_bytes())
    _set_manifest(root, fx.MANIFEST.replace('"raw/green.geojson"', '"../elsewhere.geojson"'))


def _bad_declared_twice(root: Path) -> None:
    _set_manifest(root, fx.MANIFEST + '\n[layers.green_spaces]\npath = "raw/green.geojson"\n')


def _bad_not_canonical(root: Path) -> None:
    _set_manifest(root, fx.MANIFEST + '\n[layers.rivers]\npath = "raw/green.geojson"\n')


def _bad_choice(root: Path) -> None:
    text = (root / "raw/recycling.csv").read_text(encoding="utf-8")
    (root / "raw/recycling.csv").write_text(text.replace("中转站", "垃圾桶"), encoding="utf-8")


def _bad_csv_coordinate(root: Path) -> None:
    lines = (root / "raw/recycling.csv").read_text(encoding="utf-8").splitlines()
    parts = lines[2].split(",")
    parts[2] = "abc"
    lines[2] = ",".join(parts)
    (root / "raw/recycling.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _bad_swapped_xy(root: Path) -> None:
    text = (root / "raw/recycling.csv").read_text(encoding="utf-8")
    _set_manifest(root, fx.MANIFEST.replace('x = "lng"\ny = "lat"', 'x = "lat"\ny = "lng"'))
    (root / "raw/recycling.csv").write_text(text, encoding="utf-8")


CORPUS = {
    # case: (break the project, words the message must contain)
    "missing_crs": (_bad_missing_crs, ["recycling.csv", "recycling_points", "no CRS"]),
    "unknown_field": (_bad_unknown_field, ["project.toml", "green_spaces", "colour"]),
    "missing_column": (_bad_missing_column, ["green.geojson", "field 分类", "class"]),
    "wrong_geometry_type": (_bad_geometry_type, ["green.geojson", "feature g1", "point"]),
    "empty_file": (_bad_empty_file, ["green.geojson", "empty"]),
    "non_utf8_without_encoding": (_bad_encoding, ["pipes.zip", "heating_pipes", "gbk"]),
    "corrupt_zip": (_bad_corrupt_zip, ["pipes.zip", "zip"]),
    "path_outside_project": (_bad_outside, ["green_spaces", "outside the project"]),
    "layer_declared_twice": (_bad_declared_twice, ["project.toml", "green_spaces", "twice"]),
    "layer_not_canonical": (_bad_not_canonical, ["project.toml", "rivers"]),
    "value_not_allowed": (_bad_choice, ["recycling.csv", "field kind", "feature r2", "垃圾桶"]),
    "coordinate_not_number": (_bad_csv_coordinate, ["recycling.csv", "row 3", "abc"]),
    "swapped_lon_lat": (_bad_swapped_xy, ["recycling.csv", "swapped"]),
}


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_bad_input_gives_one_line_and_keeps_store(
    case: str, built: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    breaker, words = CORPUS[case]
    before = digest(built / "build")
    breaker(built)
    capsys.readouterr()
    code = run_cli("build", str(built), "--no-steps", "--lang", "en")
    captured = capsys.readouterr()
    text = (captured.err + captured.out).strip()
    assert code != 0
    error_lines = [ln for ln in text.splitlines() if ln.startswith("error:")]
    assert len(error_lines) == 1, text
    for w in words:
        assert w in error_lines[0], (w, error_lines[0])
    assert "Traceback" not in text
    assert digest(built / "build") == before


def test_strict_refuses_self_intersection(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = digest(built / "build")
    capsys.readouterr()
    assert run_cli("build", str(built), "--no-steps", "--strict", "--lang", "en") == 1
    err = capsys.readouterr()
    line = (err.err + err.out).strip().splitlines()[0]
    assert "green.geojson" in line and "feature g2" in line and "Self-intersection" in line
    assert digest(built / "build") == before


def test_missing_project_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("build", str(tmp_path / "nope")) == 1
    assert capsys.readouterr().err == f"错误：{tmp_path / 'nope'}：找不到项目目录\n"  # zh first
    assert run_cli("build", str(tmp_path / "nope"), "--lang", "en") == 1
    assert "project directory not found" in capsys.readouterr().err


# --- uploads go through the same checks ---------------------------------------------------


def test_upload_replaces_layer(built: Path, tmp_path: Path) -> None:
    project = Project(built)
    new = gpd.GeoDataFrame(
        {"id": ["n1"], "类别": ["G2"]}, geometry=[fx._box(0, 0, 50, 50)], crs=fx.GK
    )
    path = tmp_path / "upload.gpkg"
    new.to_file(path, driver="GPKG")
    report = ingest_upload(project, "green_spaces", path)
    assert report.features_stored == 1
    green = Project(built).store.read("green_spaces")
    assert green["id"].tolist() == ["n1"]
    assert green.geometry.area.iloc[0] == pytest.approx(2_500.0)


def test_rejected_upload_changes_nothing(built: Path, tmp_path: Path) -> None:
    before = digest(built / "build")
    bad = tmp_path / "bad.geojson"
    bad.write_bytes(b"")
    with pytest.raises(Exception, match="empty"):
        ingest_upload(Project(built), "green_spaces", bad)
    assert digest(built / "build") == before


# --- every source format reads to the same layer --------------------------------------------


@pytest.mark.parametrize("fmt", ["fgb", "parquet", "shp", "gpkg", "geojson"])
def test_each_format_gives_the_same_green_layer(fmt: str, tmp_path: Path) -> None:
    root = fx.write_project(tmp_path / "p")
    green = fx.green_frame().to_crs(fx.GK)
    path = root / "raw" / f"green_{fmt}.{fmt}"
    if fmt == "parquet":
        green.to_parquet(path)
    elif fmt == "shp":
        green.to_file(path, encoding="gbk")  # writes a .cpg: no encoding needed in the manifest
    else:
        green.to_file(path)
    text = fx.MANIFEST.replace('"raw/green.geojson"', f'"raw/{path.name}"')
    (root / "project.toml").write_text(text, encoding="utf-8")
    build_project(root, run_steps=False)
    stored = Project(root).store.read("green_spaces").set_index("id")
    assert stored.loc["g1"].geometry.area == pytest.approx(10_000.0, rel=1e-6)
    assert stored.loc["g2"].geometry.area == pytest.approx(5_000.0, rel=1e-6)
    assert stored.loc["g1", "class"] == "G11"


def test_plain_gbk_shapefile_without_cpg_needs_encoding(tmp_path: Path) -> None:
    import zipfile

    root = fx.write_project(tmp_path / "p")
    with zipfile.ZipFile(root / "raw" / "pipes.zip") as zf:
        zf.extractall(root / "raw" / "pipes")
    text = fx.MANIFEST.replace('"raw/pipes.zip"', '"raw/pipes/pipes.shp"')
    (root / "project.toml").write_text(text, encoding="utf-8")
    build_project(root, run_steps=False)
    assert sorted(Project(root).store.read("heating_pipes")["install_year"]) == [1985, 2010]
    (root / "project.toml").write_text(text.replace('encoding = "gbk"\n', ""), encoding="utf-8")
    with pytest.raises(Exception, match=r"pipes\.dbf is not UTF-8.*gbk"):
        build_project(root, run_steps=False)
