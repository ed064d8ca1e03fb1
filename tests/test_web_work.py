"""The server's heavy work in child processes, its answers kept per data version, a cheap health.

The project is the tiny ingest project of tests/test_results_cache.py: HP-04 green area is
15,000 m² in the district, 2,500 m² after uploading one 50 m × 50 m G11 park.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import httpx
import pyogrio
import pytest
from fixtures.web import build_fixture, district_green, park_upload, records_fn
from starlette.exceptions import StarletteDeprecationWarning

import web.api
import web.data
from gis import InputFileError, PeakmapError
from layers.store.lock import TMP_DIR, clean_old_temp
from web.app import create_app
from web.cache import ResponseCacheMiddleware
from web.settings import WebSettings
from web.work import WorkPool

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient


@pytest.fixture
def built(tmp_path: Path) -> Path:
    return build_fixture(tmp_path / "proj")


def _pid() -> int:
    return os.getpid()


def _refuse(path: str) -> None:
    raise InputFileError(f"{path}: refused in the child")


def test_pool_runs_in_another_process_and_raises_the_same_error() -> None:
    pool = WorkPool(1)
    try:
        assert pool.run(_pid) != os.getpid()
        with pytest.raises(InputFileError, match=r"x\.geojson: refused in the child"):
            pool.run(_refuse, "x.geojson")
    finally:
        pool.close()
    assert WorkPool(0).run(_pid) == os.getpid()  # 0 processes: the calling thread


def test_upload_and_indicators_run_in_a_child_process(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the engine must not run in the server process (nor the upload's own steps)
    monkeypatch.setattr(web.data, "_engine_records",
                        lambda *a, **k: pytest.fail("indicators computed in the server"))
    app = create_app(built, settings=WebSettings(work_processes=1), processes=True)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        assert district_green(client.get("/api/indicators").json()) == pytest.approx(15_000.0)
        up = client.post("/api/layers/green_spaces",
                         files={"file": ("park.gpkg", park_upload(tmp_path))})
        assert up.status_code == 201, up.text
        app.state.data.wait_background(300)
        r = client.get("/api/indicators")
        assert r.headers["X-Peakmap-Updating"] == "0"
        assert district_green(r.json()) == pytest.approx(2_500.0)
        # a refused upload from the child is the same 4xx with one clear message
        bad = client.post("/api/layers/green_spaces", files={"file": ("x.geojson", b"{")})
        assert 400 <= bad.status_code < 500 and "x.geojson" in bad.text


def test_health_counts_spatial_layers_without_gdal(built: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    client = TestClient(create_app(built), base_url="http://127.0.0.1")
    store = built / "build" / "peakmap.gpkg"
    expected = sum(1 for r in pyogrio.list_layers(store) if r[1] is not None)
    monkeypatch.setattr(pyogrio, "list_layers", lambda *a, **k: pytest.fail("GDAL in health"))
    body = client.get("/api/health").json()
    assert body["built"] is True and body["layers"] == expected
    monkeypatch.undo()
    # a new spatial layer shows at the next call (the count follows the store file)
    from layers.project import Project

    s = Project(built).store
    s.write_layers({"proposal__green_spaces": s.read("green_spaces").head(1)})
    assert client.get("/api/health").json()["layers"] == expected + 1


# --- the answer cache -------------------------------------------------------------------------


def _counting_app(calls: list[str], *, status: int = 200, delay: float = 0.0,
                  headers: list[tuple[bytes, bytes]] | None = None) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        calls.append(scope["path"])
        if delay:
            await asyncio.sleep(delay)
        body = f"answer {len(calls)}".encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"text/plain"), *(headers or [])]})
        await send({"type": "http.response.body", "body": body})
    return app


def _get(app: Any, *paths: str) -> list[httpx.Response]:
    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            return list(await asyncio.gather(*(c.get(p) for p in paths)))
    return asyncio.run(go())


def test_cache_replays_until_the_data_version_changes() -> None:
    calls: list[str] = []
    version = {"v": 1}
    app = ResponseCacheMiddleware(_counting_app(calls), version=lambda: version["v"])
    first, again = _get(app, "/maps/layers?lang=en")[0], _get(app, "/maps/layers?lang=en")[0]
    assert first.text == again.text == "answer 1" and calls == ["/maps/layers"]
    assert _get(app, "/maps/layers?lang=zh")[0].text == "answer 2"  # another query
    version["v"] = 2  # an upload, a rebuild, new records
    assert _get(app, "/maps/layers?lang=en")[0].text == "answer 3"
    # not kept: health and status, downloads, errors, answers setting a cookie
    for path in ("/api/health", "/api/status", "/api/layers/roads/gpkg", "/maps/indicator.pdf"):
        _get(app, path)
        _get(app, path)
        assert calls.count(path) == 2


@pytest.mark.parametrize("status,headers", [
    (404, []), (200, [(b"set-cookie", b"a=b")]),
    (200, [(b"content-disposition", b"attachment")])])
def test_cache_keeps_only_plain_200_answers(status: int,
                                            headers: list[tuple[bytes, bytes]]) -> None:
    calls: list[str] = []
    app = ResponseCacheMiddleware(_counting_app(calls, status=status, headers=headers),
                                  version=lambda: 1)
    _get(app, "/")
    _get(app, "/")
    assert len(calls) == 2


def test_cache_renders_once_for_requests_arriving_together() -> None:
    calls: list[str] = []
    app = ResponseCacheMiddleware(_counting_app(calls, delay=0.2), version=lambda: 1)
    answers = _get(app, *["/"] * 5)
    assert calls == ["/"] and {a.text for a in answers} == {"answer 1"}


def test_cache_size_is_bounded() -> None:
    calls: list[str] = []
    app = ResponseCacheMiddleware(_counting_app(calls), version=lambda: 1, max_bytes=20)
    _get(app, "/maps/a")
    _get(app, "/maps/b")  # 8 + 8 bytes kept
    _get(app, "/maps/c")  # 24 > 20: the least recently used (/maps/a) goes
    _get(app, "/maps/c")
    _get(app, "/maps/a")
    assert calls == ["/maps/a", "/maps/b", "/maps/c", "/maps/a"]


def test_pages_follow_an_upload(built: Path, tmp_path: Path) -> None:
    """Through the real app: a kept page is not shown after the data changed."""
    client = TestClient(create_app(built), base_url="http://127.0.0.1")
    before = client.get("/api/layers").json()
    green = next(x for x in before if x["name"] == "green_spaces")["features"]
    assert client.get("/api/layers").json() == before  # kept
    up = client.post("/api/layers/green_spaces",
                     files={"file": ("park.gpkg", park_upload(tmp_path))})
    assert up.status_code == 201, up.text
    after = next(x for x in client.get("/api/layers").json() if x["name"] == "green_spaces")
    assert green != 1 and after["features"] == 1


def test_pool_child_death_is_one_clear_error() -> None:
    pool = WorkPool(1)
    try:
        with pytest.raises(PeakmapError, match="worker process running _exit_now died"):
            pool.run(_exit_now)
        assert pool.run(_pid) != os.getpid()  # replaced at the next job
    finally:
        pool.close()


def _exit_now() -> None:
    os._exit(3)


# --- temporary files ----------------------------------------------------------------------------


def _dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(proc.stdout)


def test_exports_leave_no_temporary_file(built: Path, monkeypatch: pytest.MonkeyPatch,
                                         tmp_path: Path) -> None:
    system_tmp = tmp_path / "systmp"
    system_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system_tmp))
    client = TestClient(create_app(built), base_url="http://127.0.0.1")
    for url in ("/api/report.csv", "/api/report.xlsx", "/api/layers/green_spaces/gpkg"):
        r = client.get(url)
        assert r.status_code == 200 and len(r.content) > 0, url
    assert list((built / TMP_DIR).iterdir()) == []  # removed after each answer
    assert list(system_tmp.iterdir()) == []  # and nothing in /tmp
    # an export that fails while writing leaves nothing either
    monkeypatch.setattr(web.api, "write_csv", _raise_disk_full)
    assert client.get("/api/report.csv").status_code >= 400
    assert list((built / TMP_DIR).iterdir()) == [] and list(system_tmp.iterdir()) == []


def _raise_disk_full(*a: Any, **k: Any) -> None:
    raise InputFileError("export.csv: no space left on device")


def test_next_start_removes_what_dead_processes_left(built: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    system_tmp = tmp_path / "systmp"
    system_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system_tmp))
    dead, alive = _dead_pid(), os.getpid()
    (built / TMP_DIR).mkdir(exist_ok=True)
    left = [built / TMP_DIR / f"export-{dead}-abc", built / TMP_DIR / f"check-{dead}-abd",
            system_tmp / f"peakmap-unzip-{dead}-abe"]
    kept = [built / TMP_DIR / f"export-{alive}-abf", system_tmp / f"peakmap-unzip-{alive}-abg",
            system_tmp / "peakmap-unrelated", system_tmp / f"other-unzip-{dead}-x"]
    for path in (*left, *kept):
        path.mkdir()
        (path / "export.xlsx").write_bytes(b"x")
    create_app(built, records_fn=records_fn)  # a server start
    assert [p.exists() for p in left] == [False] * 3
    assert [p.exists() for p in kept] == [True] * 4
    # an export folder of the live server an hour old (a cut-off download) goes at the next
    old = kept[0]
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    assert clean_old_temp(built, "export", 3600.0) == [old] and not old.exists()


# --- a running server and the CLI at the same moment ---------------------------------------------


def test_uploads_to_a_running_server_during_cli_builds_are_all_kept(built: Path,
                                                                     tmp_path: Path) -> None:
    """``peakmap serve`` (its uploads in its worker process) and ``peakmap build`` / a CLI
    upload in other processes: every acknowledged write is in the manifest and the store."""
    import socket
    import threading

    from fixtures.uploads import ENV, green_upload, manifest, recycling_upload, stored_ids

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "peakmap", "serve", str(built), "--port",
                               str(port)], env=ENV, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.5)
        else:
            pytest.fail("peakmap serve did not start")
        green, points = green_upload(tmp_path, "srv1"), recycling_upload(tmp_path, "srv2")
        cli_green = green_upload(tmp_path, "cli3", x=60.0)
        answers: dict[str, httpx.Response] = {}

        def send(layer: str, path: Path) -> None:
            answers[layer] = httpx.post(f"{base}/api/layers/{layer}", timeout=300,
                                        files={"file": (path.name, path.read_bytes())})

        build = subprocess.Popen([sys.executable, "-m", "peakmap", "build", str(built)],
                                 env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True)
        threads = [threading.Thread(target=send, args=a)
                   for a in (("green_spaces", green), ("recycling_points", points))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        _, err = build.communicate(timeout=600)
        assert build.returncode == 0, err
        assert {k: r.status_code for k, r in answers.items()} == {
            "green_spaces": 201, "recycling_points": 201}, {k: r.text for k, r in answers.items()}
        # then a CLI-side upload of the layer the server just wrote
        code = (f"from pathlib import Path; from layers.uploads import accept_upload\n"
                f"print(accept_upload(Path({str(built)!r}), 'green_spaces', "
                f"Path({str(cli_green)!r}), filename='cli3.gpkg').raw_path)")
        cli = subprocess.run([sys.executable, "-c", code], env=ENV, capture_output=True,
                             text=True, timeout=300)
        assert cli.returncode == 0, cli.stderr
    finally:
        server.terminate()
        server.wait(60)
    layers = manifest(built)["layers"]
    assert layers["recycling_points"]["path"] == answers["recycling_points"].json()["raw_path"]
    assert layers["green_spaces"]["path"] == cli.stdout.strip()
    assert "srv2" in stored_ids(built, "recycling_points")
    assert stored_ids(built, "green_spaces") == ["cli3"]
    # the server's green upload is the manifest version before the CLI's
    backups = sorted((built / "backup").glob("project-*.toml"))
    import tomllib

    previous = tomllib.loads(backups[-1].read_text("utf-8"))["layers"]["green_spaces"]["path"]
    assert previous == answers["green_spaces"].json()["raw_path"]


def test_one_layer_loading_does_not_hold_up_the_others(built: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from web.data import ProjectData

    data = ProjectData(built)
    release, started = threading.Event(), threading.Event()
    real = data._read_metric
    calls: list[str] = []

    def slow(name: str) -> Any:
        calls.append(name)
        if name == "green_spaces":
            started.set()
            assert release.wait(60)
        return real(name)

    monkeypatch.setattr(data, "_read_metric", slow)
    got: dict[str, Any] = {}
    first = threading.Thread(target=lambda: got.update(a=data.metric("green_spaces")))
    second = threading.Thread(target=lambda: got.update(b=data.metric("green_spaces")))
    first.start()
    assert started.wait(60)
    second.start()  # the same layer: waits for the first load, does not load again
    # another layer, the layer list and the project answer while green_spaces loads
    other = threading.Thread(target=lambda: got.update(
        c=(len(data.metric("streets")), data.layer_names(), data.project.name)))
    other.start()
    other.join(60)
    blocked = other.is_alive()
    release.set()
    assert not blocked, "a request for another layer waited for green_spaces to load"
    assert got["c"][0] == 2 and "green_spaces" in got["c"][1]
    first.join(60)
    second.join(60)
    assert calls == ["green_spaces", "streets"]
    assert got["a"] is got["b"]
