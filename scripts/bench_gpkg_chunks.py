"""CPU time of writing one large layer to a staged GeoPackage: whole, appended, streamed.

The buildings of the Heping sample (``data/heping``, or ``--project DIR``), repeated
``--copies`` times, are written into a private store three ways, each in a fresh process
(the write's user + system CPU, all threads, from ``getrusage``), in turn for ``--runs``
rounds:

- ``whole``: one ``Store.write_layers`` of the whole frame (``pyogrio.write_dataframe``);
- ``appended``: ``GpkgChunkWriter.write`` chunk by chunk (one ``write_dataframe(append=True)``
  per chunk: GDAL updates the layer's R-tree row by row through its triggers);
- ``streamed``: ``GpkgChunkWriter.write_all`` (one Arrow stream: the layer is created once
  and its R-tree built once at the end), what ``peakmap build`` uses.

Usage: ``python scripts/bench_gpkg_chunks.py [--copies 30] [--chunk-size 50000] [--runs 3]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchjson import record_run

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import sys
from pathlib import Path
import geopandas as gpd, pandas as pd, pyogrio
from layers.store.gpkg import Store
source, copies, size, how, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], \\
    Path(sys.argv[5])
one = pyogrio.read_dataframe(source, layer="buildings")
frame = gpd.GeoDataFrame(pd.concat([one] * copies, ignore_index=True), crs=one.crs)
del one
import resource
before = resource.getrusage(resource.RUSAGE_SELF)
out.mkdir(parents=True)
store = Store(out, private=True)
if how == "whole":
    store.write_layers({"buildings": frame})
else:
    writer = store.layer_writer("buildings")
    chunks = (frame.iloc[i:i + size] for i in range(0, len(frame), size))
    if how == "streamed":
        writer.write_all(chunks)
    else:
        for chunk in chunks:
            writer.write(chunk)
    assert writer.close() is None
after = resource.getrusage(resource.RUSAGE_SELF)
print(len(frame), (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime))
"""

HOWS = ("whole", "appended", "streamed")


def _run(args: list[str]) -> tuple[int, float]:
    """(features, CPU s of the write alone: user + system of every thread, getrusage)."""
    proc = subprocess.run([sys.executable, "-c", CHILD, *args], capture_output=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    if proc.returncode:
        raise SystemExit(proc.stderr.decode(errors="replace")[-2000:])
    n, cpu = proc.stdout.decode().split()
    return int(n), float(cpu)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=30)
    ap.add_argument("--chunk-size", type=int, default=50_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--project", type=Path, default=ROOT / "data" / "heping")
    args = ap.parse_args(argv)
    source = args.project / "raw" / "buildings_cgcs2000.gpkg"
    cpu: dict[str, list[float]] = {h: [] for h in HOWS}
    loads = [os.getloadavg()[0]]
    n = 0
    with tempfile.TemporaryDirectory(prefix="bench-gpkg-") as tmp:
        for r in range(args.runs):
            for how in HOWS:
                out = Path(tmp) / f"{how}-{r}"
                n, c = _run([str(source), str(args.copies), str(args.chunk_size), how,
                             str(out)])
                cpu[how].append(c)
            loads.append(os.getloadavg()[0])
    print(f"{n:,} buildings ({args.copies} copies of {source.relative_to(ROOT)}"
          f"), chunks of {args.chunk_size:,}, {args.runs} runs each in turn; load (1 min) "
          f"{min(loads):.1f}–{max(loads):.1f}\n")
    print("| write | CPU s of the write (median, range) | ÷ whole (median of rounds) |")
    print("|---|---:|---:|")
    for how in HOWS:
        ratio = statistics.median(a / b for a, b in zip(cpu[how], cpu["whole"], strict=True))
        print(f"| {how} | {statistics.median(cpu[how]):.2f} ({min(cpu[how]):.2f}–"
              f"{max(cpu[how]):.2f}) | {ratio:.2f}× |")
    return 0


if __name__ == "__main__":
    # the printed table also goes to bench-output/bench_gpkg_chunks.json (scripts/benchjson.py)
    sys.exit(record_run(lambda: main(sys.argv[1:])))
