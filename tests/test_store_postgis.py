"""The PostGIS store: manifest URL, round trip, bbox, one transaction per write, concurrency.

The tests that both stores must pass are in tests/test_store_writes.py (parametrized over
``gpkg`` and ``postgis``); here what only PostGIS has. The cluster is the session's
throw-away one (tests/fixtures/pg.py); the project is the tiny ingest project
(tests/fixtures/ingest.py: a 400 m × 400 m district in EPSG:4548).
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import pytest
import shapely
from fixtures import ingest as fx
from fixtures.pg import use_postgis
from fixtures.uploads import ENV, green_upload

from layers import ManifestError, StoreBusyError, StoreError
from layers.build import build_project
from layers.project import Project
from layers.store import PgStore, close_pooled, pg_write
from layers.store import pg as pgmod
from layers.store.meta import frame_digest
from layers.store.pg import write_transaction
from layers.uploads import accept_upload


def _pg_project(tmp_path: Path, url: str, name: str = "proj", schema: str | None = None,
                build: bool = True) -> Path:
    project = fx.write_project(tmp_path / name)
    use_postgis(project, url, schema)
    if build:
        build_project(project, run_steps=False)
    return project


def _tables(url: str, schema: str) -> set[str]:
    with psycopg.connect(url) as conn:
        return {r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,))}


# --- the manifest ----------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["postgresql://planner:secret@db.lan/planning",
                                 "postgresql:///planning?host=/run/pg&password=secret"])
def test_a_password_in_the_manifest_is_refused(tmp_path: Path, url: str) -> None:
    project = fx.write_project(tmp_path / "proj")
    use_postgis(project, url)
    with pytest.raises(ManifestError) as e:
        Project(project)
    msg = str(e.value)
    assert msg.startswith(f"{project / 'project.toml'}: [project] store: the URL contains a "
                          "password")
    assert "PGPASSWORD" in msg and "secret" not in msg
    run = subprocess.run([sys.executable, "-m", "peakmap", "build", str(project)], env=ENV,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    assert "[project] store: the URL contains a password" in run.stderr
    assert "Traceback" not in run.stderr and "secret" not in run.stderr


def test_bad_store_keys_and_an_unreachable_server_are_one_line(tmp_path: Path) -> None:
    project = fx.write_project(tmp_path / "proj")
    text = (project / "project.toml").read_text(encoding="utf-8")
    (project / "project.toml").write_text(
        text.replace("[project]\n", '[project]\nstore = "mysql://x/y"\n'), encoding="utf-8")
    with pytest.raises(ManifestError, match=r"\[project\] store = 'mysql://x/y': not a "):
        Project(project)
    (project / "project.toml").write_text(
        text.replace("[project]\n", '[project]\nstore_schema = "x"\n'), encoding="utf-8")
    with pytest.raises(ManifestError, match="store_schema is set but store is not"):
        Project(project)
    (project / "project.toml").write_text(text, encoding="utf-8")
    use_postgis(project, f"postgresql:///nodb?host={tmp_path / 'nowhere'}", "Bad-Name")
    with pytest.raises(ManifestError, match="store_schema = 'Bad-Name': use lower-case"):
        Project(project)
    (project / "project.toml").write_text(text, encoding="utf-8")
    use_postgis(project, f"postgresql:///nodb?host={tmp_path / 'nowhere'}")
    with pytest.raises(StoreError, match="cannot connect to the PostGIS store") as e:
        Project(project).store.exists()
    assert "\n" not in str(e.value)


# --- layers ----------------------------------------------------------------------------------


def _mixed_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": ["甲", None, "c"], "n": [1, 2, 3], "x": [1.5, np.nan, -2.25],
         "ok": [True, False, True],
         "t": pd.to_datetime(["2020-01-01 00:00", "2021-06-30 12:00", "2022-12-31 00:00"])},
        geometry=[fx._box(0, 0, 100, 100), None, shapely.Point(fx.X0 + 350, fx.Y0 + 350)],
        crs=fx.GK)


def test_a_layer_reads_back_as_from_the_geopackage(tmp_path: Path, pg_url: str) -> None:
    """Columns, dtypes, nulls, geometry and CRS equal a GeoPackage round trip (GDAL)."""
    gpkg = fx.write_project(tmp_path / "g")
    build_project(gpkg, run_steps=False)
    pg = _pg_project(tmp_path, pg_url)
    frame = _mixed_frame()
    for project in (gpkg, pg):
        Project(project).store.write_layers({"proposal__mixed": frame})
    a = Project(gpkg).store.read("proposal__mixed")
    b = Project(pg).store.read("proposal__mixed")
    pd.testing.assert_frame_equal(pd.DataFrame(a.drop(columns="geometry")),
                                  pd.DataFrame(b.drop(columns="geometry")))
    assert b.crs == a.crs and b.crs.to_epsg() == 4548
    assert shapely.equals_exact(np.asarray(a.geometry.values), np.asarray(b.geometry.values),
                                tolerance=0).tolist() == [True, False, True]
    assert b.geometry.isna().tolist() == [False, True, False]
    assert float(b.geometry.area.sum()) == pytest.approx(10_000.0)  # the 100 m × 100 m box
    # every layer of the build too, attribute tables included
    for name in Project(gpkg).store.layers():
        if name.startswith("_"):
            continue
        pd.testing.assert_frame_equal(Project(gpkg).store.read(name),
                                      Project(pg).store.read(name), check_like=False)
    assert set(Project(pg).store.layers()) == {
        n for n in Project(gpkg).store.layers() if n not in ("_store_meta", "_layer_versions")}
    assert Project(pg).store.crs == Project(gpkg).store.crs


def test_bbox_read_uses_the_gist_index(tmp_path: Path, pg_url: str) -> None:
    project = _pg_project(tmp_path, pg_url)
    store = Project(project).store
    assert isinstance(store, PgStore)
    store.write_layers({"proposal__mixed": _mixed_frame()})
    # the box touches the 100 m square's corner, misses the point at (350, 350)
    box = (fx.X0 + 100, fx.Y0 + 100, fx.X0 + 200, fx.Y0 + 200)
    got = store.read("proposal__mixed", bbox=box)
    assert got["n"].tolist() == [1]
    full = store.read("proposal__mixed")
    want = full[full.geometry.intersects(shapely.box(*box))]
    assert want["n"].tolist() == [1]
    box = (fx.X0 + 300, fx.Y0 + 300, fx.X0 + 400, fx.Y0 + 400)
    assert store.read("proposal__mixed", bbox=box)["n"].tolist() == [3]
    with psycopg.connect(pg_url) as conn:
        spatial = {r[0] for r in conn.execute(
            f"SELECT tbl FROM {store.location.schema}._layers WHERE geom_type IS NOT NULL")}
        gist = {r[0] for r in conn.execute(
            "SELECT tablename FROM pg_indexes WHERE schemaname = %s AND indexdef LIKE "
            "'%%USING gist (geom)%%'", (store.location.schema,))}
    assert len(spatial) == 7 and spatial <= gist  # 6 canonical layers + the proposal


def test_idle_read_connections_are_pooled_and_closed(tmp_path: Path, pg_url: str) -> None:
    """Reads share one idle connection; ``close_pooled`` closes it; the next read reconnects."""
    project = _pg_project(tmp_path, pg_url)
    store = Project(project).store
    close_pooled()  # connections of earlier tests
    store.read("districts")
    store.read("streets")  # the catalog lookups and both reads: one connection, reused
    assert close_pooled() == 1
    assert close_pooled() == 0
    assert len(Project(project).store.read("districts")) == 1  # a new store: no cache
    assert close_pooled() == 1


def test_a_process_that_read_ends_without_an_open_connection(
    tmp_path: Path, pg_url: str
) -> None:
    """No ``ResourceWarning: <psycopg.Connection ...> was deleted while still open`` at exit."""
    project = _pg_project(tmp_path, pg_url)
    code = ("import sys\nfrom layers.project import Project\n"
            "print(len(Project(sys.argv[1]).store.read('districts')))\n")
    run = subprocess.run([sys.executable, "-W", "error::ResourceWarning", "-c", code,
                          str(project)], env=ENV, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout == "1\n"
    assert "ResourceWarning" not in run.stderr, run.stderr[-2000:]


# --- one transaction per write ------------------------------------------------------------


def test_a_build_that_fails_mid_write_leaves_the_previous_state(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _pg_project(tmp_path, pg_url)
    store = Project(project).store
    assert isinstance(store, PgStore)
    schema = store.location.schema
    before = {n: store.read(n) for n in store.layers()}
    version, tables = store.version(), _tables(pg_url, schema)
    # every layer's rows go through copy_rows: a whole write (put_layer) and the chunks of
    # a build (PgChunkWriter); the tiny project's layers are one chunk each
    real = pg_write.copy_rows
    written: list[str] = []

    def failing(conn: Any, table: Any, *args: Any, **kw: Any) -> None:
        if len(written) == 3:
            raise OSError("disk full (test)")
        written.append(table.tbl)
        real(conn, table, *args, **kw)

    monkeypatch.setattr(pg_write, "copy_rows", failing)
    with pytest.raises(OSError, match="disk full"):
        build_project(project, run_steps=False)
    assert len(written) == 3  # three layers were written inside the transaction
    after = Project(project).store
    assert after.version() == version and _tables(pg_url, schema) == tables
    for name, frame in before.items():
        pd.testing.assert_frame_equal(after.read(name), frame)
    # an upload that fails the same way leaves it too
    written.clear()
    written.extend(["a", "b", "c"])
    with pytest.raises(OSError, match="disk full"):
        accept_upload(project, "green_spaces", green_upload(tmp_path, "lost"),
                      filename="lost.gpkg")
    assert Project(project).store.version() == version
    assert Project(project).store.read("green_spaces")["id"].tolist() == \
        before["green_spaces"]["id"].tolist()
    monkeypatch.setattr(pg_write, "copy_rows", real)
    accept_upload(project, "green_spaces", green_upload(tmp_path, "kept"), filename="kept.gpkg")
    assert Project(project).store.read("green_spaces")["id"].tolist() == ["kept"]


def test_writers_queue_on_the_database_lock_and_readers_never_wait(
    tmp_path: Path, pg_url: str
) -> None:
    """Two offices (two project folders, one schema): every acknowledged write is kept."""
    a = _pg_project(tmp_path, pg_url, "office_a", "shared")
    b = _pg_project(tmp_path, pg_url, "office_b", "shared", build=False)
    loc = Project(a).store_location
    assert loc is not None
    base = Project(a).store.meta().counter
    green = Project(a).store.read("green_spaces")
    # a writer holds the lock with an uncommitted layer: another writer gives up after
    # 0.2 s, a reader in the other office answers at once with the committed state
    with write_transaction(loc, what="long write") as conn:
        pgmod.put_layer(conn, loc, "proposal__held", green)
        with pytest.raises(StoreBusyError, match="another write is in progress"), \
                write_transaction(loc, what="second", timeout=0.2):
            pass
        reader = Project(b).store
        assert len(reader.read("districts")) == 1 and not reader.has("proposal__held")
    assert reader.has("proposal__held")
    done = threading.Event()
    acked: list[str] = []
    errors: list[str] = []
    reads = [0]

    def write(project: Path, tag: str) -> None:
        for i in range(4):
            frame = green.assign(id=f"{tag}{i}")
            Project(project).store.write_layers({f"proposal__{tag}{i}": frame})
            acked.append(f"proposal__{tag}{i}")

    def read() -> None:
        while not done.is_set():
            try:
                store = Project(b).store
                version = store.version()
                assert len(store.read("districts")) == 1 and version
                reads[0] += 1
            except Exception as e:  # collected and asserted below
                errors.append(repr(e))

    threads = [threading.Thread(target=write, args=(a, "a")),
               threading.Thread(target=write, args=(b, "b"))]
    reader_thread = threading.Thread(target=read)
    reader_thread.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    reader_thread.join()
    assert errors == [] and reads[0] > 0
    assert len(acked) == 8
    store = Project(a).store
    meta = store.meta()
    assert meta.counter == base + 8  # eight writes, none lost (the held one wrote no meta)
    for name in acked:
        tag = name.removeprefix("proposal__")
        assert store.read(name)["id"].tolist() == [tag] * len(green)
        assert meta.digest_of(name) == frame_digest(green.assign(id=tag))
    # replaced tables are dropped by later writes; none is left unreferenced but the last
    with psycopg.connect(pg_url) as conn:
        live = {r[0] for r in conn.execute("SELECT tbl FROM shared._layers")}
        retired = {r[0] for r in conn.execute("SELECT tbl FROM shared._retired")}
    assert {t for t in _tables(pg_url, "shared") if t.startswith("l_")} <= live | retired


def test_serve_reads_postgis_and_sees_writes_from_another_machine(
    tmp_path: Path, pg_url: str
) -> None:
    """The web app on office A's folder shows an upload made from office B's at once."""
    import warnings

    from starlette.exceptions import StarletteDeprecationWarning

    from web.app import create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StarletteDeprecationWarning)
        from fastapi.testclient import TestClient

    a = _pg_project(tmp_path, pg_url, "office_a", "served")
    b = _pg_project(tmp_path, pg_url, "office_b", "served", build=False)
    client = TestClient(create_app(a, records_fn=lambda *_a, **_k: []))
    health = client.get("/api/health").json()
    assert health["built"] is True and health["layers"] == 6  # the six spatial layers
    before = client.get("/api/layers/green_spaces").json()
    ids = sorted(f["properties"]["id"] for f in before["features"])
    assert ids == sorted(Project(a).store.read("green_spaces")["id"])
    accept_upload(b, "green_spaces", green_upload(tmp_path, "from_b"), filename="b.gpkg")
    after = client.get("/api/layers/green_spaces").json()
    assert [f["properties"]["id"] for f in after["features"]] == ["from_b"]
    assert not (a / "build" / "peakmap.gpkg").exists()


def test_health_asks_postgis_every_few_seconds_and_reports_it_down(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One catalog query per HEALTH_TTL_S, in a thread; a stopped cluster answers 503."""
    import warnings

    from fixtures.pg import TEST_SETTINGS, cluster_dir
    from starlette.exceptions import StarletteDeprecationWarning

    import web.data
    from layers.store.pg_cluster import LocalCluster
    from web.app import create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StarletteDeprecationWarning)
        from fastapi.testclient import TestClient

    calls: list[int] = []
    real = PgStore.layer_infos
    monkeypatch.setattr(PgStore, "layer_infos", lambda self: calls.append(1) or real(self))
    built = TestClient(create_app(_pg_project(tmp_path, pg_url, "healthy"),
                                  records_fn=lambda *_a, **_k: []))
    for _ in range(5):
        r = built.get("/api/health")
        assert r.status_code == 200 and r.json()["layers"] == 6
    assert len(calls) == 1  # the four others within HEALTH_TTL_S: no query
    monkeypatch.setattr(web.data, "HEALTH_TTL_S", 0.0)
    assert built.get("/api/health").json()["built"] is True and len(calls) == 2

    root = cluster_dir()
    own = LocalCluster(root / "pg", settings=TEST_SETTINGS)
    own.start()
    try:
        project = fx.write_project(tmp_path / "own")
        use_postgis(project, own.url())
        client = TestClient(create_app(project, records_fn=lambda *_a, **_k: []))
        body = client.get("/api/health").json()
        assert body == {"status": "ok", "project": "测试项目", "built": False, "layers": 0}
    finally:
        own.stop()
        root.rmdir()
    # the pooled connection was cut (the server's words), then none can be made
    for words in ("", "cannot connect to the PostGIS store"):
        r = client.get("/api/health")
        assert r.status_code == 503
        assert r.json()["status"] == "error" and r.json()["project"] == "测试项目"
        assert r.json()["detail"].startswith(own.url()) and words in r.json()["detail"]


def test_missing_postgresql_is_named_not_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    from fixtures.pg import local_cluster

    from layers.store import pg_cluster

    monkeypatch.setattr(pg_cluster, "pg_bindir", lambda: None)
    with pytest.raises(RuntimeError) as e, local_cluster():
        pass
    assert "Debian packages: postgresql postgresql-postgis" in str(e.value)
    assert "initdb/pg_ctl" in str(e.value) and "ensure_postgis.sh" in str(e.value)


def test_a_value_the_database_refuses_names_the_layer(tmp_path: Path, pg_url: str) -> None:
    project = _pg_project(tmp_path, pg_url)
    store = Project(project).store
    version = store.version()
    bad = _mixed_frame().assign(name=["ok", "nul\x00byte", "ok"])  # text cannot hold NUL
    with pytest.raises(StoreError, match=r"layer 'proposal__bad' could not be written"):
        store.write_layers({"proposal__bad": bad})
    assert Project(project).store.version() == version
    assert not Project(project).store.has("proposal__bad")
