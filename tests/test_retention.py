"""Earlier uploads and manifest backups beyond ``[params.retention]`` are removed; never the
file the manifest names.

The project is the tiny ingest project of tests/test_web_api.py; each upload replaces
``green_spaces`` with one park of a different size, so every upload is a distinct file.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import tomlkit
from fixtures import ingest as fx
from fixtures.web import build_fixture

from layers import ManifestError
from layers.manifest import LayerSource
from layers.manifest_edit import set_layer_entry
from layers.params import RetentionParams
from layers.project import Project
from layers.retention import prune
from layers.uploads import accept_upload


def _park(tmp: Path, size: float) -> Path:
    path = tmp / f"park{int(size)}.gpkg"
    gpd.GeoDataFrame({"id": [f"p{int(size)}"], "类别": ["G11"]},
                     geometry=[fx._box(0, 0, size, size)], crs=fx.GK).to_file(path,
                                                                              driver="GPKG")
    return path


def _set_retention(project: Path, **values: int) -> None:
    path = project / "project.toml"
    doc = tomlkit.parse(path.read_text(encoding="utf-8"))
    doc.setdefault("params", tomlkit.table())["retention"] = values
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")


@pytest.fixture
def built(tmp_path: Path) -> Path:
    return build_fixture(tmp_path / "proj")


def test_defaults_are_visible_and_checked(built: Path) -> None:
    params = Project(built).params(RetentionParams)
    assert (params.keep_uploads, params.keep_backups) == (5, 20)
    _set_retention(built, keep_uploads=0)
    with pytest.raises(ManifestError, match="retention"):
        Project(built).params(RetentionParams)


def test_uploads_keep_the_newest_files_and_backups(built: Path, tmp_path: Path) -> None:
    _set_retention(built, keep_uploads=2, keep_backups=3)
    results = [accept_upload(built, "green_spaces", _park(tmp_path, 10.0 * (i + 1)),
                             filename=f"park{i}.gpkg") for i in range(5)]
    folder = built / "raw" / "uploads" / "green_spaces"
    kept = sorted(p.relative_to(built).as_posix() for p in folder.iterdir())
    # the two newest uploads, the newest being the one the manifest names
    assert kept == sorted(r.raw_path for r in results[-2:])
    assert Project(built).manifest.layers["green_spaces"].path == results[-1].raw_path
    backups = sorted((built / "backup").iterdir())
    assert [b.relative_to(built).as_posix() for b in backups] == sorted(
        r.backup for r in results[-3:])
    # what each upload removed is in its answer: the 3rd removed the 1st upload, …
    assert results[2].pruned == [results[0].raw_path]
    assert results[4].pruned == [results[2].raw_path, results[1].backup]
    # the store is the last upload's (50 m square) and a rebuild reproduces it
    store = Project(built).store
    assert store.read("green_spaces")["id"].tolist() == ["p50"]
    from layers.build import build_project

    build_project(built, run_steps=False)
    assert Project(built).store.read("green_spaces")["id"].tolist() == ["p50"]


def test_the_file_the_manifest_names_is_never_removed(built: Path, tmp_path: Path) -> None:
    before = sorted(p for p in (built / "raw").rglob("*") if p.is_file())
    folder = built / "raw" / "uploads" / "green_spaces"
    folder.mkdir(parents=True)
    names = [f"2026010{i}T000000000000Z-park.gpkg" for i in range(1, 5)]
    for name in names:
        (folder / name).write_bytes(_park(tmp_path, 10.0).read_bytes())
    (folder / ".20260105T000000000000Z-park.gpkg.part").write_bytes(b"half")
    src = Project(built).manifest.layers["green_spaces"].model_dump()
    src["path"] = f"raw/uploads/green_spaces/{names[0]}"  # a planner went back to the oldest
    set_layer_entry(built, "green_spaces", LayerSource.model_validate(src))
    gone = prune(built, RetentionParams(keep_uploads=1, keep_backups=20))
    assert gone == [f"raw/uploads/green_spaces/{n}" for n in names[1:3]]
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [names[0], names[3], ".20260105T000000000000Z-park.gpkg.part"])
    # the project's own raw files (outside raw/uploads) are not touched
    assert before and all(p.is_file() for p in before)
