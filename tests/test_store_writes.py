"""Writes that cannot be lost: the writer lock, staged builds, uploads at the front door.

The project is the tiny ingest project (tests/fixtures/ingest.py: a 400 m × 400 m district
in EPSG:4548) plus, where PV matters, two 20 m × 20 m buildings and a flat 10 m DSM.

Every test that is not about the GeoPackage file itself runs against both stores
(``store_kind``: the GeoPackage, and PostGIS in a throw-away cluster, tests/fixtures/pg.py).
"""

from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
import textwrap
import threading
import tomllib
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import rasterio
from affine import Affine
from fixtures import ingest as fx
from fixtures.pg import STORES, use_postgis
from fixtures.uploads import ENV, green_upload, manifest, recycling_upload, stored_ids
from fixtures.web import TARGETS
from starlette.exceptions import StarletteDeprecationWarning

from gis import InputFileError
from layers import StoreBusyError
from layers.build import build_project
from layers.labels import note_label
from layers.project import Project
from layers.store import clean_stale_temp, writer_lock
from layers.store.lock import TMP_DIR
from layers.store.proposals import proposal_states
from layers.uploads import accept_upload
from web.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient


PV_MANIFEST = """
[layers.buildings]
path = "raw/buildings.geojson"

[rasters.dsm]
path = "raw/dsm.tif"
"""


def _records(_project: object, **_: Any) -> list[dict[str, Any]]:
    return []


def digest(build_dir: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(build_dir.iterdir()) if p.is_file()}


def buildings_frame(ids: tuple[str, ...] = ("b1", "b2")) -> gpd.GeoDataFrame:
    boxes = [fx._box(20 + 60 * i, 20, 20, 20) for i in range(len(ids))]
    return gpd.GeoDataFrame({"id": list(ids), "use": ["residential"] * len(ids),
                             "floors": [3] * len(ids)}, geometry=boxes, crs=fx.GK)


def write_pv_project(root: Path) -> Path:
    """The ingest project with two buildings and a flat DSM (40 × 40 px of 10 m)."""
    project = fx.write_project(root)
    pyogrio.write_dataframe(buildings_frame(), project / "raw" / "buildings.geojson",
                            driver="GeoJSON")
    profile = {"driver": "GTiff", "width": 40, "height": 40, "count": 1, "dtype": "float32",
               "crs": fx.GK, "transform": Affine(10.0, 0.0, fx.X0, 0.0, -10.0, fx.Y0 + 400)}
    with rasterio.open(project / "raw" / "dsm.tif", "w", **profile) as ds:
        ds.write(np.full((1, 40, 40), 5.0, dtype=np.float32))
    with (project / "project.toml").open("a", encoding="utf-8") as f:
        f.write(PV_MANIFEST)
    return project


@pytest.fixture(params=STORES)
def store_kind(request: pytest.FixtureRequest) -> str:
    """``gpkg`` or ``postgis`` (which starts the session's cluster)."""
    if request.param == "postgis":
        request.getfixturevalue("pg_url")
    return str(request.param)


def on_store(project: Path, kind: str, request: pytest.FixtureRequest) -> Path:
    """Point ``project`` at a fresh PostGIS schema when ``kind`` is ``postgis``."""
    if kind == "postgis":
        use_postgis(project, request.getfixturevalue("pg_url"))
    return project


def store_state(project: Path) -> dict[str, Any]:
    """Version and the content digest of every layer (either store)."""
    store = Project(project).store
    return {"version": store.version(),
            "layers": {n: store.meta().digest_of(n) for n in store.layers()}}


@pytest.fixture
def built(tmp_path: Path, store_kind: str, request: pytest.FixtureRequest) -> Path:
    project = on_store(fx.write_project(tmp_path / "proj"), store_kind, request)
    build_project(project, run_steps=False)
    return project










def post(client: TestClient, layer: str, path: Path, out: dict[str, Any]) -> None:
    r = client.post(f"/api/layers/{layer}", files={"file": (path.name, path.read_bytes())})
    out[path.stem] = r


# --- the lock --------------------------------------------------------------------------------


def test_lock_excludes_other_processes_and_threads(built: Path) -> None:
    """A writer in another process holds the lock: a write here waits, or fails with 0 s."""
    ready = built / "ready"
    done = built / "done"
    code = textwrap.dedent(f"""
        import time
        from pathlib import Path
        from layers.store import writer_lock
        with writer_lock(Path({str(built)!r}), what="test holder"):
            Path({str(ready)!r}).write_text("1")
            time.sleep(3)
            Path({str(done)!r}).write_text("1")
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], env=ENV)
    try:
        while not ready.exists():
            assert proc.poll() is None
        with (pytest.raises(StoreBusyError, match="test holder"),
              writer_lock(built, what="here", timeout=0)):
            pass
        # an upload waits for the holder instead of failing or writing past it
        result = accept_upload(built, "green_spaces", green_upload(built, "w1"),
                               filename="w1.gpkg")
        assert done.exists()  # the holder was done before the upload could write
        assert result.report.features_stored == 1
    finally:
        assert proc.wait(60) == 0
    # threads of one process exclude each other too, and one thread may re-enter
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with writer_lock(built, what="thread holder"):
            held.set()
            release.wait(30)

    t = threading.Thread(target=hold)
    t.start()
    held.wait(30)
    with pytest.raises(StoreBusyError), writer_lock(built, what="other thread", timeout=0):
        pass
    release.set()
    t.join()
    with writer_lock(built, what="outer", timeout=0), writer_lock(built, what="inner", timeout=0):
        pass


def test_readers_are_not_blocked_by_a_writer(built: Path) -> None:
    """While a writer holds the lock, the API still reads layers (the old version)."""
    client = TestClient(create_app(built, records_fn=_records))
    done = threading.Event()
    answers: list[int] = []

    def read() -> None:
        answers.append(client.get("/api/layers/green_spaces").status_code)
        done.set()

    with writer_lock(built, what="long write"):
        t = threading.Thread(target=read)
        t.start()
        read_while_locked = done.wait(60)
    t.join()
    assert read_while_locked and answers == [200]


# --- concurrent uploads ------------------------------------------------------------------------


def test_concurrent_uploads_of_different_layers_all_kept(built: Path, tmp_path: Path) -> None:
    client = TestClient(create_app(built, records_fn=_records))
    files = {"green_spaces": green_upload(tmp_path, "gnew"),
             "recycling_points": recycling_upload(tmp_path, "rnew")}
    pipes = tmp_path / "pipes_new.zip"
    pipes.write_bytes(fx.pipes_zip())
    files["heating_pipes"] = pipes
    out: dict[str, Any] = {}
    threads = [threading.Thread(target=post, args=(client, layer, path, out))
               for layer, path in files.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status_code for r in out.values()) == [201, 201, 201], \
        [r.text for r in out.values()]
    assert stored_ids(built, "green_spaces") == ["gnew"]
    assert "rnew" in stored_ids(built, "recycling_points")
    # every upload is in the manifest, pointing at its own raw file
    layers = manifest(built)["layers"]
    for layer in files:
        path = layers[layer]["path"]
        assert path.startswith(f"raw/uploads/{layer}/") and (built / path).is_file()
    assert len(list((built / "backup").glob("project-*.toml"))) == 3
    # and a rebuild reproduces all three
    build_project(built, run_steps=False)
    assert stored_ids(built, "green_spaces") == ["gnew"]
    assert "rnew" in stored_ids(built, "recycling_points")


def test_concurrent_uploads_of_one_layer_all_committed_in_turn(built: Path,
                                                               tmp_path: Path) -> None:
    """Four uploads of green_spaces: each is committed whole, one after the other."""
    client = TestClient(create_app(built, records_fn=_records))
    paths = [green_upload(tmp_path, f"g{i}", x=60.0 * i) for i in range(4)]
    out: dict[str, Any] = {}
    threads = [threading.Thread(target=post, args=(client, "green_spaces", p, out))
               for p in paths]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [out[f"g{i}"].status_code for i in range(4)] == [201] * 4
    raw = {out[f"g{i}"].json()["raw_path"]: f"g{i}" for i in range(4)}
    # the manifests (4 backups + the current one) name every upload's raw file in turn
    seen = []
    for backup in sorted((built / "backup").glob("project-*.toml")):
        seen.append(tomllib.loads(backup.read_text("utf-8"))["layers"]["green_spaces"]["path"])
    current = manifest(built)["layers"]["green_spaces"]["path"]
    seen.append(current)
    assert seen[0] == "raw/green.geojson" and set(seen[1:]) == set(raw)
    # the store holds exactly the upload the manifest names: the last one committed
    assert stored_ids(built, "green_spaces") == [raw[current]]
    gdf = Project(built).store.read("green_spaces")
    assert float(gdf.geometry.area.sum()) == pytest.approx(2_500.0)


def test_upload_in_another_process_during_a_cli_build_is_kept(built: Path,
                                                              tmp_path: Path) -> None:
    """``peakmap build`` and an upload from another process, at the same moment."""
    path = green_upload(tmp_path, "cli1")
    code = textwrap.dedent(f"""
        from pathlib import Path
        from layers.uploads import accept_upload
        r = accept_upload(Path({str(built)!r}), "green_spaces", Path({str(path)!r}),
                          filename="cli1.gpkg")
        print(r.raw_path)
    """)
    build = subprocess.Popen([sys.executable, "-m", "peakmap", "build", str(built)], env=ENV,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    upload = subprocess.run([sys.executable, "-c", code], env=ENV, capture_output=True,
                            text=True, timeout=300)
    _, err = build.communicate(timeout=300)
    assert build.returncode == 0, err
    assert upload.returncode == 0, upload.stderr
    # whichever went first, the upload is in the manifest and in the store
    assert manifest(built)["layers"]["green_spaces"]["path"] == upload.stdout.strip()
    assert stored_ids(built, "green_spaces") == ["cli1"]


# --- builds ------------------------------------------------------------------------------------


def test_upload_then_peakmap_build_finds_the_upload(built: Path, tmp_path: Path) -> None:
    client = TestClient(create_app(built, records_fn=_records))
    path = green_upload(tmp_path, "kept")
    r = client.post("/api/layers/green_spaces", files={"file": ("kept.gpkg", path.read_bytes())})
    assert r.status_code == 201, r.text
    run = subprocess.run([sys.executable, "-m", "peakmap", "build", str(built)], env=ENV,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    gdf = Project(built).store.read("green_spaces")
    assert gdf["id"].tolist() == ["kept"]
    assert float(gdf.geometry.area.iloc[0]) == pytest.approx(2_500.0)
    # the previous manifest is the backup, and names the original file
    backup = built / r.json()["manifest_backup"]
    assert tomllib.loads(backup.read_text("utf-8"))["layers"]["green_spaces"]["path"] == \
        "raw/green.geojson"


def test_post_ingest_failure_leaves_the_store_byte_identical(
    tmp_path: Path, store_kind: str, request: pytest.FixtureRequest
) -> None:
    project = on_store(write_pv_project(tmp_path / "pv"), store_kind, request)
    report = build_project(project)
    steps = [note_label(s, "en") for s in report.steps]
    assert any(s.startswith("rooftop_pv:") and "2 roofs" in s for s in steps)
    before = digest(project / "build")
    state = store_state(project)
    assert "pv_kwp" in Project(project).store.read("buildings").columns
    # a second build: every layer ingests, then the PV step finds no weather file (a bad
    # value such as clearness = "abc" is refused earlier, when the manifest is read)
    pyogrio.write_dataframe(buildings_frame(("b1", "b2", "b3")),
                            project / "raw" / "buildings.geojson", driver="GeoJSON")
    with (project / "project.toml").open("a", encoding="utf-8") as f:
        f.write('\n[params.pv]\nweather_file = "raw/nowhere.epw"\n')
    with pytest.raises(InputFileError, match=r"nowhere\.epw"):
        build_project(project)
    assert digest(project / "build") == before
    assert store_state(project) == state
    assert not list((project / "build").glob(".staging-*"))


def test_killed_build_and_upload_leave_no_temp_files_after_next_start(built: Path) -> None:
    before = digest(built / "build")
    state = store_state(built)
    code = textwrap.dedent(f"""
        import os, signal
        from pathlib import Path
        from layers.project import Project
        from layers.store import project_temp_dir, store_transaction
        root = Path({str(built)!r})
        with project_temp_dir(root, "upload") as tmp:
            (tmp / "half.gpkg").write_bytes(b"x" * 1000)
            with store_transaction(Project(root), what="killed") as staged:
                staged.store.write_layers({{"green_spaces": staged.store.read("districts")}})
                os.kill(os.getpid(), signal.SIGKILL)
    """)
    run = subprocess.run([sys.executable, "-c", code], env=ENV, timeout=120)
    assert run.returncode == -signal.SIGKILL
    left = [*(built / TMP_DIR).iterdir(), *(built / "build").glob(".staging-*")]
    assert len(left) == 2  # the upload folder and the staging folder of the dead process
    assert digest(built / "build") == before  # the kill changed nothing in the store
    assert store_state(built) == state  # nor in PostGIS (the transaction rolled back)
    gone = clean_stale_temp(built)
    assert sorted(gone) == sorted(left)
    assert not list((built / TMP_DIR).iterdir()) and not list((built / "build").glob(".sta*"))
    # a live process's temporary folder is kept
    from layers.store import project_temp_dir
    with project_temp_dir(built, "upload") as mine:
        assert clean_stale_temp(built) == [] and mine.is_dir()


# --- derived results and proposals -----------------------------------------------------------


def test_buildings_upload_marks_pv_stale_then_recomputes_it(
    tmp_path: Path, store_kind: str, request: pytest.FixtureRequest
) -> None:
    project = on_store(write_pv_project(tmp_path / "pv"), store_kind, request)
    build_project(project)
    data_app = create_app(project, records_fn=_records)
    client = TestClient(data_app)
    path = tmp_path / "b3.geojson"
    pyogrio.write_dataframe(buildings_frame(("b1", "b2", "b3")), path, driver="GeoJSON")
    r = client.post("/api/layers/buildings", files={"file": ("b3.geojson", path.read_bytes())})
    assert r.status_code == 201, r.text
    assert r.json()["stale"] == ["rooftop_pv"]
    data_app.state.data.wait_background(300)
    store = Project(project).store
    b = store.read("buildings")
    assert sorted(b["id"]) == ["b1", "b2", "b3"]
    assert "pv_kwp" in b.columns and b["pv_kwp"].notna().all()
    assert store.meta().stale == {}


def test_proposal_before_an_upload_is_stale_after_it(built: Path, tmp_path: Path) -> None:
    store = Project(built).store
    green = store.read("green_spaces")
    store.write_layers({"proposal__green_spaces": green.head(1)})
    states = proposal_states(Project(built).store.meta())
    assert [(s.layer, s.stale) for s in states] == [("proposal__green_spaces", False)]
    # a rebuild from the same raw files keeps the proposal, still fresh
    build_project(built, run_steps=False)
    states = proposal_states(Project(built).store.meta())
    assert [(s.layer, s.stale) for s in states] == [("proposal__green_spaces", False)]
    # an upload of a layer it depends on makes it stale: store, API and CLI say so
    client = TestClient(create_app(built, records_fn=_records))
    path = green_upload(tmp_path, "later")
    assert client.post("/api/layers/green_spaces",
                       files={"file": ("later.gpkg", path.read_bytes())}).status_code == 201
    states = proposal_states(Project(built).store.meta())
    assert [(s.layer, s.changed_after) for s in states] == [
        ("proposal__green_spaces", ("green_spaces",))]
    api = client.get("/api/proposals").json()
    assert api[0]["layer"] == "proposal__green_spaces" and api[0]["stale"] is True
    assert api[0]["changed_after"] == ["green_spaces"]
    page = client.get("/?scenario=proposal").text
    assert "选址方案已过期：proposal__green_spaces" in page
    (built / "targets.toml").write_text(TARGETS, encoding="utf-8")
    cli = subprocess.run([sys.executable, "-m", "peakmap", "report", str(built), "--scenario",
                          "proposal", "--format", "json"], env=ENV, capture_output=True,
                         text=True, timeout=300)
    assert cli.returncode == 0, cli.stderr
    assert "warning: proposal__green_spaces" in cli.stderr
    assert "before green_spaces changed" in cli.stderr
    # and it survives the next rebuild, still stale
    build_project(built, run_steps=False)
    states = proposal_states(Project(built).store.meta())
    assert [(s.layer, s.stale) for s in states] == [("proposal__green_spaces", True)]
    assert "later" in stored_ids(built, "green_spaces")


def test_layer_names_follow_writes_by_another_store_object(built: Path) -> None:
    reader, writer = Project(built).store, Project(built).store
    before = reader.layers()
    assert "proposal__green_spaces" not in before
    writer.write_layers({"proposal__green_spaces": writer.read("green_spaces").head(1)})
    assert "proposal__green_spaces" in reader.layers()  # the file was replaced: read again
    if isinstance(reader.path, Path):
        assert set(reader.layers()) == {str(r[0]) for r in pyogrio.list_layers(reader.path)}


def test_datetimes_read_back_alike_aware_or_naive(built: Path) -> None:
    """Both stores give back the instant and the zone a GeoPackage round trip (GDAL) gives.

    Worked out by hand: a zone with one UTC offset over the values (Shanghai, +08:00) reads
    back in that fixed offset with the same wall-clock times; a zone with two (Berlin, +01:00
    in January, +02:00 in July) reads back in UTC (08:00+01:00 → 07:00Z, 12:30+02:00 →
    10:30Z); naive times stay naive; all in milliseconds.
    """
    import pandas as pd

    wall = pd.to_datetime(["2020-01-01 08:00", "2021-06-30 12:30", None])
    frame = gpd.GeoDataFrame(
        {"naive": wall, "shanghai": wall.tz_localize("Asia/Shanghai"),
         "berlin": wall.tz_localize("Europe/Berlin"), "utc": wall.tz_localize("UTC")},
        geometry=[fx._box(0, 0, 10, 10)] * 3, crs=fx.GK)
    store = Project(built).store
    store.write_layers({"proposal__times": frame})
    with warnings.catch_warnings():
        # GDAL's note on reading a GeoPackage datetime not in UTC ("Non-conformant content
        # ... successfully parsed"); PostGIS has none
        warnings.filterwarnings("ignore", "Non-conformant content", RuntimeWarning)
        back = Project(built).store.read("proposal__times")
    plus8 = pd.DatetimeTZDtype("ms", "UTC+08:00")
    assert str(back["naive"].dtype) == "datetime64[ms]"
    assert back["shanghai"].dtype == plus8 and back["berlin"].dtype == pd.DatetimeTZDtype(
        "ms", "UTC") and back["utc"].dtype == pd.DatetimeTZDtype("ms", "UTC")
    assert [str(v) for v in back["naive"]] == ["2020-01-01 08:00:00", "2021-06-30 12:30:00",
                                               "NaT"]
    assert [str(v) for v in back["shanghai"]] == ["2020-01-01 08:00:00+08:00",
                                                  "2021-06-30 12:30:00+08:00", "NaT"]
    assert [str(v) for v in back["berlin"]] == ["2020-01-01 07:00:00+00:00",
                                                "2021-06-30 10:30:00+00:00", "NaT"]
    assert [str(v) for v in back["utc"]] == ["2020-01-01 08:00:00+00:00",
                                             "2021-06-30 12:30:00+00:00", "NaT"]
