"""Moving a proposed site (``peakmap site move``, :func:`layers.siting.move_site`).

The tiny siting project (tests/fixtures/siting.py), radius 120 m, straight line:
communities C1 (x 0..200), C2 (200..300), C3 (300..400); homes of 100 households each at
b1 (50, 50), b2 (150, 50) in C1, b3 (250, 150) in C2, b4 (350, 150) in C3; the existing
community point e1 (50, 60) covers b1 (10 m) and b2 (100.5 m).

A proposed community point PR-RC-0001 stands at (20, 190) in C1, covering no one new
(b1 143.2 m, b2 191.1 m away): STD-RECYCLE-300 = 200 / 400 = 50 %, HP-T2 = 1 of 3
communities (C1) = 33.33 %. Moved to (350, 100) in C3 it covers b4 (50 m) and b3
(111.8 m): STD-RECYCLE-300 = 400 / 400 = 100 % (+50), HP-T2 = C1 and C3 = 66.67 %
(+33.34 between the values kept to 2 decimals).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest
from fixtures.siting import (
    CRS,
    X0,
    Y0,
    _box,
    _pt,
    make_siting_project,
    proposed_point_project,
)
from pyproj import Transformer

from gis import LayerValidationError

TO_WGS = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)


def _lonlat(x: float, y: float) -> tuple[float, float]:
    return TO_WGS.transform(X0 + x, Y0 + y)


def _project(root: Path):
    return proposed_point_project(root)


def _district(project, ident: str, scenario: str | None = None) -> float:
    from layers.indicators.engine import compute_records

    (rec,) = [r for r in compute_records(project, ids=[ident], scenario=scenario)
              if r.level == "district"]
    return float(rec.value)


def test_move_covers_a_community_and_moves_the_indicators(tmp_path) -> None:
    from layers.compare import compare
    from layers.siting import move_site

    project = _project(tmp_path / "p")
    assert _district(project, "STD-RECYCLE-300", "proposal") == pytest.approx(50.0)
    assert _district(project, "HP-T2", "proposal") == pytest.approx(100 / 3, abs=0.01)
    layer, stored = move_site(project, "PR-RC-0001", *_lonlat(350, 100))
    assert layer == "recycling_points" and len(stored) == 1
    (geom,) = project.store.read("proposal__recycling_points").geometry
    assert geom.distance(_pt(350, 100)) < 0.01
    row = stored.iloc[0]
    # the site keeps its id and the candidate it came from; it is marked moved
    assert row["id"] == "PR-RC-0001" and row["origin"] == "planner" and bool(row["moved"])
    assert row["cand_id"] == "C00007"
    assert _district(project, "STD-RECYCLE-300", "proposal") == pytest.approx(100.0)
    assert _district(project, "HP-T2", "proposal") == pytest.approx(200 / 3, abs=0.01)
    # the before → after table (indicator engine) says the same
    pairs = compare(project, layers=["recycling_points"], levels=["district"])
    change = {p.indicator: p.change for p in pairs}
    assert change["STD-RECYCLE-300"] == pytest.approx(50.0)
    # values are kept to 2 decimals: 66.67 − 33.33
    assert change["HP-T2"] == pytest.approx(100 / 3, abs=0.02)
    # the base is untouched
    assert _district(project, "STD-RECYCLE-300") == pytest.approx(50.0)


def test_move_in_project_metres(tmp_path) -> None:
    from layers.siting import move_site

    project = _project(tmp_path / "p")
    move_site(project, "PR-RC-0001", X0 + 350, Y0 + 100, crs=CRS)
    assert _district(project, "STD-RECYCLE-300", "proposal") == pytest.approx(100.0)


@pytest.mark.parametrize(
    ("site", "xy", "message"),
    [
        ("PR-RC-9999", (350, 100), r"no proposed site PR-RC-9999 \(proposed sites: PR-RC-0001\)"),
        ("PR-RC-0001", (500, 100), "outside the project area"),
        ("PR-RC-0001", (220, 80), r"on water \(land-use parcel .*code E"),
        # 10 m from e1 (50, 60), the default min_spacing_m is 30 m
        ("PR-RC-0001", (50, 70), "10 m from the existing community_point e1"),
    ],
)
def test_bad_move_is_one_message_and_changes_nothing(tmp_path, site, xy, message) -> None:
    from layers.siting import move_site

    project = _project(tmp_path / "p")
    with pytest.raises(LayerValidationError, match=message):
        move_site(project, site, *_lonlat(*xy))
    (geom,) = project.store.read("proposal__recycling_points").geometry
    assert geom.distance(_pt(20, 190)) < 0.01


def test_not_a_place(tmp_path) -> None:
    from layers.siting import move_site, parse_position

    project = _project(tmp_path / "p")
    with pytest.raises(LayerValidationError, match="not a longitude, latitude"):
        move_site(project, "PR-RC-0001", 200.0, 39.0)
    for text in ("117.2", "abc,def", "1,2,3", "nan,1"):
        with pytest.raises(LayerValidationError, match="expected two numbers LON,LAT"):
            parse_position(text)
    assert parse_position("117.2，39.1") == (117.2, 39.1)


def test_no_proposal_stored(tmp_path) -> None:
    from layers.siting import move_site

    project = make_siting_project(tmp_path / "p")
    with pytest.raises(LayerValidationError, match="no proposal stored"):
        move_site(project, "PR-RC-0001", *_lonlat(350, 100))


def test_pocket_park_is_shifted_and_refused_on_a_park(tmp_path) -> None:
    from layers.scenario import write_proposal
    from layers.siting import move_site

    project = make_siting_project(tmp_path / "p")
    park = gpd.GeoDataFrame({"id": ["PR-PP-0001"], "status": ["planned"], "origin": ["model"]},
                            geometry=[_box(100, 30, 120, 50)], crs=CRS)
    write_proposal(project, "pocket_parks", park)
    # onto the existing pocket park k1 (0..20, 30..50): refused, nothing changes
    with pytest.raises(LayerValidationError, match="are a park already"):
        move_site(project, "PR-PP-0001", *_lonlat(10, 40))
    layer, _ = move_site(project, "PR-PP-0001", *_lonlat(310, 40))
    assert layer == "pocket_parks"
    (geom,) = project.store.read("proposal__pocket_parks").geometry
    assert geom.symmetric_difference(_box(300, 30, 320, 50)).area < 0.01


def _run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([sys.executable, "-m", "peakmap", *args], capture_output=True,
                          text=True, env=env, cwd=root, timeout=120)


def test_cli_move_prints_the_change_and_bad_input_is_one_line(tmp_path) -> None:
    project = _project(tmp_path / "p")
    for args in (("PR-RC-9", "117.2,39.1"), ("PR-RC-0001", "117.2"),
                 ("PR-RC-0001", "{:.7f},{:.7f}".format(*_lonlat(220, 80)))):
        res = _run_cli("site", "move", str(project.root), *args)
        assert res.returncode == 1, res.stdout
        assert "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) == 1
    lon, lat = _lonlat(350, 100)
    res = _run_cli("site", "move", str(project.root), "PR-RC-0001", f"{lon:.7f},{lat:.7f}")
    assert res.returncode == 0, res.stderr
    assert "+50" in res.stdout and "+33.34" in res.stdout
    res = _run_cli("site", "move", str(project.root), "PR-RC-0001", f"{X0 + 20},{Y0 + 190}",
                   "--xy")
    assert res.returncode == 0, res.stderr
    assert _district(project, "STD-RECYCLE-300", "proposal") == pytest.approx(50.0)


# --------------------------------------------------------------------------- web


def _web(project, **settings):
    from fixtures.web import TestClient

    from web.app import create_app
    from web.settings import WebSettings

    return TestClient(create_app(project.root, settings=WebSettings(**settings)),
                      follow_redirects=False)


def test_web_move_form_recomputes_and_refuses_with_422(tmp_path) -> None:
    project = _project(tmp_path / "p")
    client = _web(project)
    page = client.get("/scenario?level=district").text
    lon0, _ = _lonlat(20, 190)
    assert 'id="pm-move"' in page and f'value="{lon0:.6f}"' in page and "PR-RC-0001" in page
    for form, words in (
        ({"site_id": "PR-RC-9", "lon": "117.2", "lat": "39.1"}, "no proposed site PR-RC-9"),
        ({"site_id": "PR-RC-0001", "lon": "abc", "lat": "39.1"}, "expected two numbers"),
        ({"site_id": "PR-RC-0001", "lon": f"{_lonlat(220, 80)[0]:.7f}",
          "lat": f"{_lonlat(220, 80)[1]:.7f}"}, "on water"),
        ({"site_id": "PR-RC-0001", "lon": "117.2"}, None),  # a field missing
    ):
        r = client.post("/api/proposals/move", data=form)
        assert r.status_code == 422, r.text
        if words:
            assert words in r.json()["detail"] and r.json()["detail"].startswith(
                ("方案站点", str(project.store.path), "位置"))
    (geom,) = project.store.read("proposal__recycling_points").geometry
    assert geom.distance(_pt(20, 190)) < 0.01  # nothing changed
    lon, lat = _lonlat(350, 100)
    r = client.post("/api/proposals/move",
                    data={"site_id": "PR-RC-0001", "lon": f"{lon:.7f}", "lat": f"{lat:.7f}"})
    assert r.status_code == 200, r.text
    change = {c["indicator"]: c["change"] for c in r.json()["changes"]}
    assert change["STD-RECYCLE-300"] == pytest.approx(50.0)
    assert change["HP-T2"] == pytest.approx(100 / 3, abs=0.02)
    # the page and the API show the recomputed scenario at once
    rows = {p["indicator"]: p for p in client.get("/api/compare?level=district").json()}
    assert rows["STD-RECYCLE-300"]["value_proposal"] == pytest.approx(100.0)
    assert f'value="{lon:.6f}"' in client.get("/scenario?level=district").text


def test_web_move_form_in_project_metres(tmp_path) -> None:
    """The coordinate choice: crs = xy takes X, Y in the project CRS, as --xy does."""
    project = _project(tmp_path / "p")
    client = _web(project)
    page = client.get("/scenario?level=district").text
    # the choice is offered, WGS84 first and chosen; the site's place in metres is there too
    assert 'id="pm-move-crs"' in page and '<option value="wgs84" selected>' in page
    assert '<option value="xy">项目坐标系 X,Y（米）</option>' in page
    assert f'data-x="{X0 + 20:.1f}" data-y="{Y0 + 190:.1f}"' in page
    en = client.get("/scenario?level=district&lang=en").text
    assert "X, Y in the project CRS (metres)" in en
    for form, words in (
        ({"site_id": "PR-RC-0001", "crs": "utm", "x": "1", "y": "2"},
         "field crs = 'utm', expected wgs84 (longitude, latitude) or xy"),
        ({"site_id": "PR-RC-0001", "crs": "xy", "lon": "117.2", "lat": "39.1"},
         "move form: field x is missing"),
        ({"site_id": "PR-RC-0001", "crs": "xy", "x": "abc", "y": "4330100"},
         "expected two numbers X,Y (metres in the project CRS"),
        # metres taken as degrees would be no place on Earth; as metres, (220, 80) is water
        ({"site_id": "PR-RC-0001", "crs": "xy", "x": f"{X0 + 220}", "y": f"{Y0 + 80}"},
         "on water"),
        ({"site_id": "PR-RC-0001", "lon": f"{X0 + 350}", "lat": f"{Y0 + 100}"},
         "is not a longitude, latitude (WGS84)"),
    ):
        r = client.post("/api/proposals/move", data=form)
        assert r.status_code == 422, r.text
        assert words in r.json()["detail"], r.json()["detail"]
        assert r.json()["detail"].split(" / ")[0].strip() != ""  # Chinese first
    (geom,) = project.store.read("proposal__recycling_points").geometry
    assert geom.distance(_pt(20, 190)) < 0.01  # nothing changed
    r = client.post("/api/proposals/move", data={
        "site_id": "PR-RC-0001", "crs": "xy", "x": f"{X0 + 350}", "y": f"{Y0 + 100}"})
    assert r.status_code == 200, r.text
    from layers.project import Project

    (geom,) = Project(project.root).store.read("proposal__recycling_points").geometry
    assert geom.distance(_pt(350, 100)) < 0.01
    change = {c["indicator"]: c["change"] for c in r.json()["changes"]}
    assert change["STD-RECYCLE-300"] == pytest.approx(50.0)  # b3 and b4 now covered


def test_web_move_needs_an_editor_and_the_csrf_token(tmp_path) -> None:
    from web.users import UserStore

    project = _project(tmp_path / "p")
    store = UserStore.for_project(project.root)
    viewer = store.add("vera", "viewer", "viewer-pass-1")
    store.add("ed", "editor", "editor-pass-1")
    client = _web(project)
    lon, lat = _lonlat(350, 100)
    form = {"site_id": "PR-RC-0001", "lon": f"{lon:.7f}", "lat": f"{lat:.7f}"}
    assert client.post("/api/proposals/move", data=form).status_code == 401
    assert client.post("/api/proposals/move", data=form,
                       headers={"Authorization": f"Bearer {viewer}"}).status_code == 403
    client.post("/login", data={"username": "ed", "password": "editor-pass-1", "next": "/"})
    r = client.post("/api/proposals/move", data=form)
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    (geom,) = project.store.read("proposal__recycling_points").geometry
    assert geom.distance(_pt(20, 190)) < 0.01
    csrf = client.get("/api/session").json()["csrf_token"]
    r = client.post("/api/proposals/move", data=form, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text


# --------------------------------------------------------------------------- id kept


def _wide(root: Path):
    """The siting project with radius 125 m, candidates the public buildings p1 (100, 50),
    p2 (290, 150), p3 (360, 100); no minimum per community. The first run proposes
    PR-RC-0001 at p2 (b3 40 m, b4 60 m); without p2, p3 covers b3 (120.8 m) and b4 (51 m)."""
    from layers.siting import apply_proposal, site_recycling, siting_params

    project = make_siting_project(root, radius=125.0)
    params = siting_params(project, {"candidate_sources": ["public_building"],
                                     "min_per_community": 0})
    first = site_recycling(project, params)
    assert first.proposal["id"].tolist() == ["PR-RC-0001"]
    assert first.proposal.geometry.iloc[0].distance(_pt(290, 150)) < 6
    apply_proposal(project, first)
    return project, params


def _table(project) -> dict[str, tuple[float, float, float]]:
    from layers.compare import compare

    return {p.indicator: (p.value_now, p.value_proposal, p.change)
            for p in compare(project, layers=["recycling_points"], levels=["district"])}


def test_moved_site_keeps_its_id_for_drop(tmp_path) -> None:
    """Move PR-RC-0001, then --drop PR-RC-0001: the same run as dropping it unmoved."""
    from layers.siting import apply_proposal, move_site, site_recycling

    ref, params = _wide(tmp_path / "ref")
    plain = site_recycling(ref, params, drop=["PR-RC-0001"])
    apply_proposal(ref, plain)

    project, _ = _wide(tmp_path / "p")
    move_site(project, "PR-RC-0001", *_lonlat(350, 100))
    out = site_recycling(project, params, drop=["PR-RC-0001"])
    assert out.summary["n_dropped"] == 1 and out.summary["n_new"] == 1
    (geom,) = out.proposal.geometry
    assert geom.distance(_pt(360, 100)) < 6  # p3, not the moved site nor p2
    # a fresh id: PR-RC-0001 named the dropped site
    assert out.proposal["id"].tolist() == plain.proposal["id"].tolist() == ["PR-RC-0002"]
    apply_proposal(project, out)
    table, expected = _table(project), _table(ref)
    assert table == expected
    # by hand: e1 covers b1, b2; p3 covers b3, b4 → 400/400 households; HP-T2: C1 (e1) and
    # C3 (p3) of three communities
    assert table["STD-RECYCLE-300"][:2] == (pytest.approx(50.0), pytest.approx(100.0))
    assert table["HP-T2"][1] == pytest.approx(200 / 3, abs=0.01)


def test_moved_site_fixed_stays_where_the_planner_put_it(tmp_path) -> None:
    """Move PR-RC-0001 to (350, 100), then --fix PR-RC-0001: it stays there, same id."""
    from layers.siting import apply_proposal, move_site, site_recycling

    project, params = _wide(tmp_path / "p")
    # a run without edits keeps the id of the site that stays on its candidate
    again = site_recycling(project, params)
    assert again.proposal["id"].tolist() == ["PR-RC-0001"]
    move_site(project, "PR-RC-0001", *_lonlat(350, 100))
    out = site_recycling(project, params, fix=["PR-RC-0001"])
    # (350, 100) covers b3 (111.8 m) and b4 (50 m): nothing else is needed
    assert out.summary["n_new"] == 1 and out.summary["n_fixed"] == 1
    row = out.proposal.iloc[0]
    assert row["id"] == "PR-RC-0001" and row["origin"] == "planner" and bool(row["moved"])
    assert out.proposal.geometry.iloc[0].distance(_pt(350, 100)) < 0.01
    assert out.summary["coverage_after_pct"] == pytest.approx(100.0)
    apply_proposal(project, out)
    table = _table(project)
    assert table["STD-RECYCLE-300"][1] == pytest.approx(100.0)  # the model's figure
    assert table["HP-T2"][1] == pytest.approx(200 / 3, abs=0.01)  # C1 and C3
    # still linked: a later --drop by the same id leaves it out (p3 then serves b3, b4)
    later = site_recycling(project, params, drop=["PR-RC-0001"])
    assert later.proposal.geometry.iloc[0].distance(_pt(360, 100)) < 6


def test_cli_move_names_the_id_to_use(tmp_path) -> None:
    project = _project(tmp_path / "p")
    lon, lat = _lonlat(350, 100)
    res = _run_cli("site", "move", str(project.root), "PR-RC-0001", f"{lon:.7f},{lat:.7f}")
    assert res.returncode == 0, res.stderr
    assert "--fix PR-RC-0001" in res.stdout and "--drop PR-RC-0001" in res.stdout


def test_moved_transfer_station_keeps_its_id(tmp_path) -> None:
    """HP-T3: street S2 (C2, C3) lacks a station. Of the public buildings p2 (290, 150) and p3
    (360, 100), p2 is nearer to S2's homes b3 (250, 150) and b4 (350, 150): 40 + 60 m against
    120.8 + 51 m, so PR-TS-0001 stands on p2. Moved to (300, 150) and fixed, it stays there
    with its id; dropped, p2 is left out and p3 is chosen under a new id."""
    from layers.siting import apply_proposal, move_site, site_transfer, siting_params

    project = make_siting_project(tmp_path / "p")
    params = siting_params(project, {"candidate_sources": ["public_building"]})
    first = site_transfer(project, params)
    assert first.proposal["id"].tolist() == ["PR-TS-0001"]
    assert first.proposal.geometry.iloc[0].distance(_pt(290, 150)) < 6
    apply_proposal(project, first)
    move_site(project, "PR-TS-0001", X0 + 300, Y0 + 150, crs=CRS)
    fixed = site_transfer(project, params, fix=["PR-TS-0001"])
    row = fixed.proposal.iloc[0]
    assert row["id"] == "PR-TS-0001" and bool(row["moved"]) and row["kind"] == "transfer_station"
    assert fixed.proposal.geometry.iloc[0].distance(_pt(300, 150)) < 0.01
    dropped = site_transfer(project, params, drop=["PR-TS-0001"])
    assert dropped.proposal["id"].tolist() == ["PR-TS-0002"]
    assert dropped.proposal.geometry.iloc[0].distance(_pt(360, 100)) < 6
    apply_proposal(project, dropped)
    assert _district(project, "HP-T3", "proposal") == pytest.approx(100.0)
