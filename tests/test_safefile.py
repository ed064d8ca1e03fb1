"""Inputs opened only as what they claim to be (issue 13 item 2), one-line CLI errors (item 6).

Every probe stays on 127.0.0.1: a canary HTTP server counts the requests a VRT, a GDALG or a
``/vsicurl/`` path would make; each test asserts it received none.
"""

from __future__ import annotations

import asyncio
import http.server
import io
import json
import os
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fixtures import ingest as fx
from fixtures.web import build_fixture, client_for, digest

from gis import InputFileError
from gis.io import read_vector
from gis.safefile import ZipLimits, extract_zip_members
from layers import ManifestError
from layers.build import BuildError, build_project
from layers.indicators.catalog import read_catalog
from web.app import create_app
from web.settings import WebSettings

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


class Canary:
    """An HTTP server on 127.0.0.1 that counts the requests it gets."""

    def __init__(self) -> None:
        hits: list[str] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                self.send_response(404)
                self.end_headers()

            do_HEAD = do_GET  # noqa: N815

            def log_message(self, *args: Any) -> None:
                pass

        self.hits = hits
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def canary() -> Iterator[Canary]:
    c = Canary()
    yield c
    c.close()


# --- hostile documents --------------------------------------------------------------------


def vrt_passwd() -> bytes:
    return (b'<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>CSV:/etc/passwd'
            b"</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>")


def vrt_url(url: str) -> bytes:
    return (f'<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>/vsicurl/{url}/x.geojson'
            "</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>").encode()


def gdalg(url: str) -> bytes:
    return json.dumps({"type": "gdal_streamed_alg",
                       "command_line": f"gdal vector pipeline ! read /vsicurl/{url}/x.geojson "
                                       "! write --of stream streamed_dataset"}).encode()


def topojson() -> bytes:
    return json.dumps({"type": "Topology", "objects": {"x": {
        "type": "GeometryCollection", "geometries": [
            {"type": "Point", "coordinates": [117.0, 39.1], "properties": {"id": "p"}}]}},
        "arcs": []}).encode()


def zipped(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def hostile(url: str) -> dict[str, tuple[str, bytes, list[str]]]:
    """Case → (file name, content, words the one-line message must hold)."""
    return {
        "vrt_reads_passwd": ("green.geojson", vrt_passwd(), ["green.geojson", "VRT"]),
        "vrt_fetches_url": ("green.geojson", vrt_url(url), ["green.geojson", "VRT"]),
        "gdalg_fetches_url": ("green.geojson", gdalg(url), ["green.geojson", "GDALG"]),
        "topojson_as_geojson": ("green.json", topojson(), ["green.json", "TopoJSON"]),
        "vrt_as_gpkg": ("green.gpkg", vrt_url(url), ["green.gpkg", "GeoPackage"]),
        "vrt_in_zip": ("green.zip", zipped({"green.shp": vrt_url(url)}),
                       ["green.zip", "shapefile"]),
    }


CASES = sorted(hostile("http://x"))


def _point_manifest(project: Path, path: str) -> None:
    toml = project / "project.toml"
    text = toml.read_text(encoding="utf-8").replace('path = "raw/green.geojson"',
                                                    f'path = "{path}"')
    toml.write_text(text, encoding="utf-8")


@pytest.mark.parametrize("case", CASES)
def test_hostile_file_refused_in_build(case: str, tmp_path: Path, canary: Canary) -> None:
    name, content, words = hostile(canary.url)[case]
    project = fx.write_project(tmp_path / "p")
    (project / "raw" / name).write_bytes(content)
    _point_manifest(project, f"raw/{name}")
    with pytest.raises(BuildError) as err:
        build_project(project, run_steps=False)
    (msg,) = err.value.errors
    assert "\n" not in msg and "root:" not in msg
    for w in words:
        assert w in msg, (w, msg)
    assert canary.hits == []
    assert not (project / "build" / "peakmap.gpkg").exists()


@pytest.mark.parametrize("case", CASES)
def test_hostile_file_refused_in_upload(case: str, tmp_path: Path, canary: Canary) -> None:
    name, content, words = hostile(canary.url)[case]
    built = build_fixture(tmp_path / "proj")
    client = client_for(built)
    before = digest(built / "build")
    r = client.post("/api/layers/green_spaces", files={"file": (name, content)})
    assert 400 <= r.status_code < 500, r.text
    detail = r.json()["detail"]
    assert "\n" not in detail and "root:" not in detail
    for w in words:
        assert w in detail, (w, detail)
    assert canary.hits == []
    assert digest(built / "build") == before
    assert "root:" not in client.get("/api/layers/green_spaces").text


def test_vsicurl_and_url_paths_refused_in_build(tmp_path: Path, canary: Canary) -> None:
    for path in (f"/vsicurl/{canary.url}/x.geojson", f"{canary.url}/x.geojson",
                 "/vsizip//etc/x.zip/a.shp"):
        project = fx.write_project(tmp_path / f"p{abs(hash(path))}")
        _point_manifest(project, path)
        with pytest.raises(BuildError) as err:
            build_project(project, run_steps=False)
        (msg,) = err.value.errors
        assert "[layers.green_spaces] path" in msg, msg
    assert canary.hits == []


def test_vsicurl_upload_name_is_only_a_name(tmp_path: Path, canary: Canary) -> None:
    """The uploaded file's name never becomes a GDAL path: only its base name is kept."""
    built = build_fixture(tmp_path / "proj")
    client = client_for(built)
    before = digest(built / "build")
    r = client.post("/api/layers/green_spaces",
                    files={"file": (f"/vsicurl/{canary.url}/x.geojson", b"{}")})
    assert 400 <= r.status_code < 500, r.text
    assert canary.hits == []
    assert digest(built / "build") == before


def test_gdal_drivers_that_read_other_sources_are_not_registered() -> None:
    code = ("import gis, pyogrio, rasterio\n"
            "v = set(pyogrio.list_drivers())\n"
            "with rasterio.Env() as env: r = set(env.drivers())\n"
            "print(sorted(v & {'OGR_VRT', 'GDALG', 'WFS', 'OAPIF', 'GeoJSON', 'GPKG'}),"
            " sorted(r & {'VRT', 'GDALG', 'WMS', 'GTiff'}))\n")
    env = {k: v for k, v in os.environ.items() if k != "GDAL_SKIP"}
    out = subprocess.run([PY, "-c", code], capture_output=True, text=True, check=True,
                         env={**env, "PYTHONPATH": str(ROOT)}, cwd=ROOT)
    assert out.stdout.strip() == "['GPKG', 'GeoJSON'] ['GTiff']"
    assert out.stderr == ""  # no warning about unknown driver names


def test_content_checks_hold_when_pyogrio_was_imported_first(tmp_path: Path,
                                                            canary: Canary) -> None:
    """pyogrio imported before gis keeps every driver; the content and driver checks refuse."""
    files = {}
    for case in ("vrt_fetches_url", "gdalg_fetches_url", "topojson_as_geojson"):
        name, content, _ = hostile(canary.url)[case]
        path = tmp_path / f"{case}{Path(name).suffix}"
        path.write_bytes(content)
        files[case] = str(path)
    code = ("import sys, json, pyogrio\n"
            "assert {'OGR_VRT', 'GDALG'} <= set(pyogrio.list_drivers())\n"
            "from gis.io import read_vector\n"
            "from gis import InputFileError\n"
            "out = {}\n"
            "for case, p in json.loads(sys.argv[1]).items():\n"
            "    try:\n"
            "        read_vector(p); out[case] = 'read'\n"
            "    except InputFileError as e:\n"
            "        out[case] = str(e)\n"
            "print(json.dumps(out))\n")
    env = {k: v for k, v in os.environ.items() if k != "GDAL_SKIP"}
    res = subprocess.run([PY, "-c", code, json.dumps(files)], capture_output=True, text=True,
                         env={**env, "PYTHONPATH": str(ROOT)}, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert "VRT" in out["vrt_fetches_url"]
    assert "GDALG" in out["gdalg_fetches_url"]
    assert "TopoJSON" in out["topojson_as_geojson"]
    assert canary.hits == []


def test_fifo_in_manifest_is_refused_not_waited_on(tmp_path: Path) -> None:
    project = fx.write_project(tmp_path / "p")
    fifo = project / "raw" / "green.geojson"
    fifo.unlink()
    os.mkfifo(fifo)
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            build_project(project, run_steps=False)
        except BuildError as e:
            result["errors"] = e.errors

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(120)
    if t.is_alive():  # unblock the reader so the test process can end
        with open(fifo, "wb"):
            pass
        pytest.fail("the build waited on a FIFO")
    assert result["errors"] == [
        "raw/green.geojson, layer green_spaces: not a regular file but a FIFO (named pipe)"]


# --- zip limits -------------------------------------------------------------------------


MIB = 1024 * 1024


def test_zip_bomb_refused_from_its_central_directory(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """64 MiB of zeros deflate to ~64 KiB; with an 8 MiB limit nothing is inflated."""
    bomb = tmp_path / "pipes.zip"
    bomb.write_bytes(zipped({"pipes.shp": b"\x00\x00\x27\x0a" + bytes(64 * MIB)}))
    assert bomb.stat().st_size < MIB
    monkeypatch.setenv("PEAKMAP_MAX_UNZIPPED_MB", "8")
    with pytest.raises(InputFileError, match=r"pipes.zip: the zip would inflate to 64 MiB; "
                                             r"the limit is 8 MiB"):
        read_vector(bomb)


def test_zip_member_count_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    many = tmp_path / "many.zip"
    many.write_bytes(zipped({f"m{i}.txt": b"" for i in range(11)}))
    monkeypatch.setenv("PEAKMAP_MAX_ZIP_MEMBERS", "10")
    with pytest.raises(InputFileError, match="declares 11 members; the limit is 10"):
        read_vector(many)


def test_inflating_stops_at_the_limit(tmp_path: Path) -> None:
    """Even when the directory check is passed (here called directly), bytes are counted."""
    data = zipped({"a.shp": bytes(5 * MIB)})
    with zipfile.ZipFile(io.BytesIO(data)) as zf, \
            pytest.raises(InputFileError, match="inflates past the limit of 2 MiB"):
        extract_zip_members(zf, {"a.shp": "a.shp"}, tmp_path,
                            ZipLimits(max_bytes=2 * MIB, max_members=10), label="z.zip")
    assert (tmp_path / "a.shp").stat().st_size <= 2 * MIB


def test_zip_whose_directory_understates_a_member_is_refused(tmp_path: Path) -> None:
    """A member declared as 100 bytes that inflates to 1 MiB: never more than 100 bytes out."""
    data = bytearray(zipped({"pipes.shp": b"\x00\x00\x27\x0a" + bytes(MIB)}))
    local = data.find(b"PK\x03\x04")
    central = data.find(b"PK\x01\x02")
    data[local + 22: local + 26] = (100).to_bytes(4, "little")
    data[central + 24: central + 28] = (100).to_bytes(4, "little")
    path = tmp_path / "pipes.zip"
    path.write_bytes(bytes(data))
    with pytest.raises(InputFileError, match=r"pipes\.zip: zip member pipes\.shp is corrupt"):
        read_vector(path)


def test_zip_bomb_upload_is_4xx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    built = build_fixture(tmp_path / "proj")
    before = digest(built / "build")
    monkeypatch.setenv("PEAKMAP_MAX_UNZIPPED_MB", "8")
    r = client_for(built).post("/api/layers/heating_pipes", files={
        "file": ("pipes.zip", zipped({"pipes.shp": b"\x00\x00\x27\x0a" + bytes(64 * MIB)}))})
    assert r.status_code == 400, r.text
    assert "PEAKMAP_MAX_UNZIPPED_MB" in r.json()["detail"]
    assert digest(built / "build") == before


# --- streamed upload limit ---------------------------------------------------------------


def test_chunked_upload_is_cut_at_the_limit(tmp_path: Path) -> None:
    """The app stops pulling body chunks just past 1 MiB of a 32 MiB chunked upload."""
    built = build_fixture(tmp_path / "proj")
    app = create_app(built, settings=WebSettings(max_upload_mb=1.0))
    chunk = 64 * 1024
    boundary = "pmb"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            'filename="big.geojson"\r\nContent-Type: application/octet-stream\r\n\r\n').encode()
    pulled = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        body = head if pulled == 0 else b" " * chunk
        pulled += len(body)
        return {"type": "http.request", "body": body, "more_body": pulled < 32 * MIB}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": "/api/layers/green_spaces",
             "raw_path": b"/api/layers/green_spaces", "query_string": b"", "root_path": "",
             "headers": [(b"host", b"127.0.0.1"), (b"transfer-encoding", b"chunked"),
                         (b"content-type", f"multipart/form-data; boundary={boundary}".encode())],
             "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000)}
    before = digest(built / "build")
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 413
    assert "PEAKMAP_MAX_UPLOAD_MB" in json.loads(sent[1]["body"])["detail"]
    assert MIB < pulled <= MIB + 2 * chunk
    assert digest(built / "build") == before


# --- NaN / Infinity and long names --------------------------------------------------------


def _green_with(value: float, tmp: Path) -> bytes:
    gdf = fx.green_frame()
    path = tmp / "g.geojson"
    gdf.to_file(path, driver="GeoJSON")
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["features"][0]["geometry"]["coordinates"][0][1][0] = value
    return json.dumps(doc).encode()


@pytest.mark.parametrize(("value", "shown"), [(float("nan"), "nan"), (float("inf"), "inf"),
                                              (float("-inf"), "-inf")])
def test_non_finite_vertex_upload_is_422(value: float, shown: str, tmp_path: Path) -> None:
    built = build_fixture(tmp_path / "proj")
    before = digest(built / "build")
    r = client_for(built).post("/api/layers/green_spaces",
                               files={"file": ("g.geojson", _green_with(value, tmp_path))})
    assert r.status_code == 422, r.text
    assert r.json()["detail"].startswith(
        f"g.geojson, layer green_spaces, feature g1: a vertex is NaN or infinite ({shown}, ")
    assert digest(built / "build") == before


@pytest.mark.parametrize("route", ["/api/layers/green_spaces", "/api/layers/green_spaces/check"])
def test_long_upload_name_is_400(tmp_path: Path, route: str) -> None:
    """The upload and its dry run refuse the same over-long name (web.receive)."""
    built = build_fixture(tmp_path / "proj")
    r = client_for(built).post(route, files={"file": ("a" * 300 + ".geojson", b"{}")})
    assert r.status_code == 400, r.text
    assert r.json()["detail"].startswith("upload file name is 308 characters long; the limit "
                                         "is 200")


def test_catalog_include_outside_the_project(tmp_path: Path) -> None:
    (tmp_path / "outside.toml").write_text("", encoding="utf-8")
    project = tmp_path / "p"
    project.mkdir()
    (project / "targets.toml").write_text('include = ["../outside.toml"]\n', encoding="utf-8")
    with pytest.raises(ManifestError, match=r"catalog '\.\./outside\.toml' points outside"):
        read_catalog(project / "targets.toml", root=project)


# --- every CLI error is one line -----------------------------------------------------------


def _cli_project(tmp: Path, case: str) -> Path:
    import numpy as np
    import rasterio
    from affine import Affine

    project = fx.write_project(tmp / case)
    with rasterio.open(project / "raw" / "dsm.tif", "w", driver="GTiff", height=4, width=4,
                       count=1, dtype="float32", crs="EPSG:4548",
                       transform=Affine(100, 0, fx.X0, 0, -100, fx.Y0 + 400)) as ds:
        ds.write(np.ones((1, 4, 4), "float32"))
    toml = project / "project.toml"
    text = toml.read_text(encoding="utf-8")
    raster = '\n[rasters.dsm]\npath = "raw/dsm.tif"\n'
    if case == "nul_in_path":
        text = text.replace("raw/green.geojson", "raw/gr\\u0000een.geojson")
    elif case == "long_name":
        text = text.replace("raw/green.geojson", "raw/" + "a" * 300 + ".geojson")
    elif case == "bad_raster_crs":
        text += raster + 'crs = "EPSG:999999"\n'
    elif case in ("band_0", "band_7"):
        text += raster + f"band = {case[-1]}\n"
    elif case in ("nan_vertex", "infinity_vertex"):
        value = float("nan") if case == "nan_vertex" else float("inf")
        (project / "raw" / "green.geojson").write_bytes(_green_with(value, tmp))
    toml.write_text(text, encoding="utf-8")
    return project


CLI_CASES = {
    "nul_in_path": ["[layers.green_spaces] path", "NUL byte"],
    "long_name": ["[layers.green_spaces] path", "file name too long"],
    "bad_raster_crs": ["raw/dsm.tif, raster dsm", "EPSG:999999"],
    "band_0": ["raw/dsm.tif, raster dsm: band 0 does not exist (the raster has 1 band"],
    "band_7": ["raw/dsm.tif, raster dsm: band 7 does not exist"],
    "nan_vertex": ["raw/green.geojson, layer green_spaces, feature g1", "NaN or infinite (nan"],
    "infinity_vertex": ["feature g1", "NaN or infinite (inf"],
}


@pytest.mark.parametrize("case", sorted(CLI_CASES))
def test_cli_error_is_one_line(case: str, tmp_path: Path) -> None:
    project = _cli_project(tmp_path, case)
    res = subprocess.run([PY, "-m", "peakmap", "build", str(project), "--lang", "en"],
                         capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": str(ROOT),
                                         "COLUMNS": "400"}, cwd=ROOT, timeout=300)
    assert res.returncode == 1, res.stdout + res.stderr
    lines = [ln for ln in (res.stdout + res.stderr).splitlines() if ln.strip()]
    assert "Traceback" not in res.stderr
    errors = [ln for ln in lines if ln.startswith("error:")]
    assert len(errors) == 1, lines
    for w in CLI_CASES[case]:
        assert w in errors[0], (w, errors[0])
    assert not (project / "build" / "peakmap.gpkg").exists()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PY, "-m", "peakmap", *args], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "400"},
                          cwd=ROOT, timeout=300)


def test_cli_os_errors_are_one_line(tmp_path: Path) -> None:
    """A project path the OS refuses, an --out folder that does not exist: one line each."""
    res = _cli("build", str(tmp_path / ("x" * 300)), "--lang", "en")
    assert res.returncode == 1
    assert res.stderr.startswith("error: project directory: file name too long (300 bytes")
    assert len(res.stderr.strip().splitlines()) == 1
    built = build_fixture(tmp_path / "proj")
    out = tmp_path / "missing" / "r.xlsx"
    res = _cli("report", str(built), "--format", "xlsx", "--out", str(out))
    assert res.returncode == 1, res.stdout
    assert "Traceback" not in res.stderr
    (line,) = res.stderr.strip().splitlines()
    assert line == f"错误：{out}：文件夹 {out.parent} 不存在"  # Chinese by default


def test_cli_turns_a_stray_os_error_into_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An OSError no command turned into a PeakmapError still prints one line, exit 1."""
    import errno

    from layers.project import Project
    from peakmap import cli

    def fail(self: Project) -> None:
        raise OSError(errno.EIO, "Input/output error", "/srv/share/project.toml")

    monkeypatch.setattr(Project, "__post_init__", fail)
    monkeypatch.delenv("PEAKMAP_DEBUG", raising=False)
    monkeypatch.setattr(sys, "argv", ["peakmap", "report", str(tmp_path)])
    with pytest.raises(SystemExit) as done:
        cli.main()
    assert done.value.code == 1
    err = capsys.readouterr().err
    assert err == "错误：/srv/share/project.toml: 输入/输出错误\n"  # Chinese by default
