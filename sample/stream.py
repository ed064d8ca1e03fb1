"""Write the raw files one copy of the district at a time (``peakmap sample --scale N``).

A ``--scale 200`` city is 200 copies of the district; holding them all (and then one
concatenated frame per layer, and its reprojected copy in each writer) grows memory with the
city. :class:`RawWriter` instead takes each copy as soon as it is generated and adds it to
every file, so memory stays bounded by one copy:

- GeoPackages (zones and land use, buildings): the first copy creates the layers, later
  copies are appended (pyogrio ``append=True``);
- GeoJSON layers: each copy is written to a scratch file by the same writer as a whole
  layer, and its feature lines are appended to the output (GDAL writes one feature per line,
  so the result is the file a single write of all copies gives, byte for byte);
- the recycling CSV: rows appended without a header;
- heating pipes: appended to a scratch Shapefile, zipped at the end;
- the DSM: one window per copy of a raster sized for every copy up front
  (:func:`sample.district.copy_outline`).

At ``--scale 1`` the files are those of a single write; at larger scales the GeoPackages hold
the same features and values as a single write (their internal pages differ), the other files
are byte-identical (``tests/test_sample_stream.py``).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import IO

import numpy as np

from sample.district import District, copy_outline
from sample.raster import DsmWriter, dsm_box
from sample.write import (
    DSM_FILE,
    GEOJSON_LAYERS,
    write_admin,
    write_buildings,
    write_geojson,
    write_pipes_shp,
    write_recycling_csv,
    zip_pipes,
)

__all__ = ["RawWriter", "pipe_rng"]

WRITE_SEED_TAG = 11
FEATURES_OPEN = '"features": [\n'
FEATURES_CLOSE = "]\n}\n"


def pipe_rng(seed: int, k: int) -> np.random.Generator:
    """Generator of copy ``k``'s heat-source draws (copy 0 keeps the single-copy stream)."""
    return np.random.default_rng([seed, WRITE_SEED_TAG] if k == 0 else [seed, WRITE_SEED_TAG, k])


class _GeoJSONAppender:
    """One GeoJSON layer written copy by copy: header of the first, features of all."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._out: IO[str] | None = None
        self._first = True

    def add(self, scratch: Path) -> None:
        text_in = scratch.open(encoding="utf-8")
        with text_in:
            head = []
            for line in text_in:
                head.append(line)
                if line == FEATURES_OPEN:
                    break
            else:
                raise ValueError(f"{scratch}: no features array where GDAL writes it")
            if self._out is None:
                self._out = self.path.open("w", encoding="utf-8", newline="")
                self._out.write("".join(head))
            for line in text_in:
                if line in ("]\n", "}\n") or line == "\n":
                    continue
                feature = line.rstrip("\n").removesuffix(",")
                self._out.write(feature if self._first else ",\n" + feature)
                self._first = False

    def close(self) -> Path:
        if self._out is None:
            raise ValueError(f"{self.path}: no copy was written")
        self._out.write("\n" + FEATURES_CLOSE if not self._first else FEATURES_CLOSE)
        self._out.close()
        return self.path


class RawWriter:
    """Add each copy of the district to every raw file as it is generated.

    Parameters
    ----------
    tmp : pathlib.Path
        Staging project folder (the files go to ``tmp/raw``).
    scale : int
        Number of copies that will be added (sizes the DSM).
    seed : int
        Seed of the run (heat sources, DSM).
    dsm : bool
        Write the DSM.
    """

    def __init__(self, tmp: Path, *, scale: int, seed: int, dsm: bool) -> None:
        self.tmp = tmp
        self.seed = seed
        self.k = 0
        self._scratch = tmp / "scratch"
        (self._scratch / "raw").mkdir(parents=True, exist_ok=True)
        (tmp / "raw").mkdir(parents=True, exist_ok=True)
        self._shp = self._scratch / "heating_pipes.shp"
        self._geojson = {n: _GeoJSONAppender(tmp / "raw" / f"{n}.geojson")
                         for n in GEOJSON_LAYERS}
        self._dsm = (
            DsmWriter(tmp / DSM_FILE, [dsm_box(copy_outline(k).bounds) for k in range(scale)],
                      seed=seed)
            if dsm else None
        )
        self.files: list[Path] = []

    def add(self, d: District) -> None:
        """Write copy number ``self.k`` (copies come in order, 0 first)."""
        k, layers, more = self.k, d.layers, self.k > 0
        admin = write_admin(self.tmp, layers, append=more)
        buildings = write_buildings(self.tmp, layers["buildings"], append=more)
        recycling = write_recycling_csv(self.tmp, layers["recycling_points"], append=more)
        write_pipes_shp(self._shp, layers["heating_pipes"], pipe_rng(self.seed, k), append=more)
        for name in GEOJSON_LAYERS:
            part = write_geojson(self._scratch, name, layers[name])
            self._geojson[name].add(part)
            part.unlink()
        if self._dsm is not None:
            self._dsm.add(k, d)
        if not more:
            self.files = [admin, buildings, recycling]
        self.k += 1

    def close(self) -> list[Path]:
        """Finish every file; the paths in the order of the single-write generator."""
        files = [*self.files, zip_pipes(self._shp, self.tmp)]
        files += [self._geojson[n].close() for n in GEOJSON_LAYERS]
        if self._dsm is not None:
            files.append(self._dsm.close())
        shutil.rmtree(self._scratch, ignore_errors=True)
        return files

    def abort(self) -> None:
        """Close what is open after a failure (the staging folder is removed by the caller)."""
        if self._dsm is not None:
            self._dsm.close()
        for g in self._geojson.values():
            if g._out is not None:
                g._out.close()
