"""Dates and times come out of every reader typed, the same whole and in chunks.

A tiny layer of five points holding a date, a date-time without zone and a Berlin date-time
(+01:00 in the first two features, +02:00 after) is written in every format and read whole
(``read_vector``) and in chunks of two (``read_vector_chunks``): the chunks joined equal the
whole read, values and dtypes, and the values are those worked out by hand below. GDAL's
formats give ``datetime64[ms]`` for dates and zoneless times and ``datetime64[ms, UTC]`` for
times with an offset (each converted on its own: 08:00+01:00 is 07:00 UTC); a Shapefile has
no time type (its times are text), a CSV is text throughout; GeoParquet keeps its Arrow
types (a date is a ``datetime.date``, the zone is the file's).
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from fixtures import ingest as fx

from gis.io import read_vector, read_vector_chunks

DATES = [dt.date(2020, 1, 15), None, dt.date(2021, 3, 1), dt.date(2022, 12, 31),
         dt.date(2023, 6, 1)]
WALL = ["2020-01-15 08:00:00", "2020-01-16 09:30:00", "2020-07-01 12:30:15.250", None,
        "2020-07-03 00:30:00"]

# by hand: Berlin is UTC+01:00 in January, UTC+02:00 in July
DATES_TYPED = ["2020-01-15 00:00:00", "NaT", "2021-03-01 00:00:00", "2022-12-31 00:00:00",
               "2023-06-01 00:00:00"]
NAIVE_TYPED = ["2020-01-15 08:00:00", "2020-01-16 09:30:00", "2020-07-01 12:30:15.250000",
               "NaT", "2020-07-03 00:30:00"]
UTC_TYPED = ["2020-01-15 07:00:00+00:00", "2020-01-16 08:30:00+00:00",
             "2020-07-01 10:30:15.250000+00:00", "NaT", "2020-07-02 22:30:00+00:00"]


def _frame() -> gpd.GeoDataFrame:
    wall = pd.to_datetime(pd.Series(WALL), format="ISO8601")
    return gpd.GeoDataFrame({
        "id": [f"p{i}" for i in range(1, 6)],
        "day": pd.Series(DATES, dtype=object),
        "seen": wall,
        "berlin": wall.dt.tz_localize("Europe/Berlin"),
    }, geometry=[shapely.Point(fx.X0 + 10 * i, fx.Y0) for i in range(5)], crs=fx.GK)


def _write(path: Path) -> None:
    frame = _frame()
    if path.suffix == ".parquet":
        frame.to_parquet(path, row_group_size=2)
    elif path.suffix == ".csv":
        pts = frame.to_crs("EPSG:4326")
        text = pd.DataFrame(pts.drop(columns="geometry")).assign(
            x=pts.geometry.x.map("{:.7f}".format), y=pts.geometry.y.map("{:.7f}".format))
        text.to_csv(path, index=False)
    elif path.suffix in (".shp", ".zip"):  # no time type: the times as text
        frame["seen"] = frame["seen"].astype("str")
        frame["berlin"] = frame["berlin"].astype("str")
        shp = path.with_name("t.shp")
        pyogrio.write_dataframe(frame, shp, use_arrow=True)
        if path.suffix == ".shp":
            return
        with zipfile.ZipFile(path, "w") as zf:
            for f in sorted(path.parent.glob("t.*")):
                if f.suffix != ".zip":
                    zf.write(f, f.name)
    else:  # through Arrow: a date column is a date field, Berlin times keep their offsets
        pyogrio.write_dataframe(frame, path, use_arrow=True)


SUFFIXES = [".gpkg", ".fgb", ".geojson", ".shp", ".zip", ".csv", ".parquet"]


# GDAL's note on a GeoPackage time not in UTC, read as written
@pytest.mark.filterwarnings("ignore:Non-conformant content:RuntimeWarning")
@pytest.mark.parametrize("suffix", SUFFIXES)
def test_dates_and_times_typed_the_same_whole_and_in_chunks(tmp_path: Path,
                                                            suffix: str) -> None:
    path = tmp_path / f"t{suffix}"
    _write(path)
    whole = read_vector(path)
    parts = list(read_vector_chunks(path, chunk_size=2))
    assert [len(p) for p in parts] == [2, 2, 1]
    joined = pd.concat(parts, ignore_index=True)
    cols = ["day", "seen", "berlin"]
    pd.testing.assert_frame_equal(pd.DataFrame(joined[cols]), pd.DataFrame(whole[cols]))
    for part in parts:  # every chunk typed as the whole read
        assert [str(t) for t in part[cols].dtypes] == [str(t) for t in whole[cols].dtypes]
    # by id: a FlatGeobuf is read in the order of its spatial index
    whole = whole.sort_values("id").reset_index(drop=True)
    typed = {c: [str(v) for v in whole[c]] for c in cols}
    dtypes = [str(whole[c].dtype) for c in cols]
    if suffix in (".gpkg", ".geojson", ".fgb"):  # a FlatGeobuf date is a date-time
        assert dtypes == ["datetime64[ms]", "datetime64[ms]", "datetime64[ms, UTC]"]
        assert typed == {"day": DATES_TYPED, "seen": NAIVE_TYPED, "berlin": UTC_TYPED}
    elif suffix in (".shp", ".zip"):  # dates typed; no time type: times as text
        assert dtypes[0] == "datetime64[ms]" and typed["day"] == DATES_TYPED
        assert whole["seen"].dtype == "str" and whole["berlin"].dtype == "str"
        assert whole["berlin"].tolist()[0] == "2020-01-15 08:00:00.000+01:00"
    elif suffix == ".csv":  # text throughout, as written
        assert all(whole[c].dtype == "str" for c in cols)
        assert whole["berlin"].tolist()[0] == "2020-01-15 08:00:00.000+01:00"
    else:  # GeoParquet: Arrow's types, the file's zone
        assert dtypes[1:] == ["datetime64[us]", "datetime64[us, Europe/Berlin]"]
        assert [str(v) for v in whole["day"]] == [str(d) for d in DATES]
        assert [str(v) for v in whole["berlin"].dt.tz_convert("UTC")] == UTC_TYPED
