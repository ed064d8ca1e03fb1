"""Bounded load test of ``peakmap serve`` on 127.0.0.1: readers with uploads mixed in.

Starts ``peakmap serve`` on a free loopback port for a copy of a built project, then runs
``--users`` simulated planners (asyncio + httpx, at most 100) for ``--seconds`` (at most 60):
each loops over the dashboard, a map page, ``/api/health``, ``/api/indicators``,
``/api/layers`` and a layer by bounding box, with a short pause between requests; one more
task uploads a layer (the project's own raw file of recycling points, green spaces or pocket
parks, in turn) every ``--upload-every`` seconds. Every request is counted; a failed request
is a non-2xx answer or a transport error. Prints a Markdown table (p50 / p95 / max per kind)
and writes it with the raw figures to ``--out`` as JSON.

Traffic goes to 127.0.0.1 only; loops are bounded in count and in time.

Usage: ``python scripts/load_test.py [--project DIR] [--users 60] [--seconds 45]``
(default project: the embedded sample, built once into ``bench-output/load``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MAX_USERS = 100
MAX_SECONDS = 60.0
MAX_REQUESTS = 200_000  # a hard bound on the loop, whatever the speed
UPLOADS = (("recycling_points", "raw/recycling_points_amap.csv"),
           ("green_spaces", "raw/green_spaces.geojson"),
           ("pocket_parks", "raw/pocket_parks.geojson"))
BBOX = "117.195,39.105,117.215,39.125"
READS: tuple[tuple[str, str], ...] = (
    ("page", "/"),
    ("page", "/?level=street"),
    ("page", "/maps/layers"),
    ("health", "/api/health"),
    ("api", "/api/indicators?level=street"),
    ("api", "/api/layers"),
    ("api", f"/api/layers/green_spaces?bbox={BBOX}&zoom=15"),
    ("api", "/api/status"),
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(project: Path | None, work: Path) -> Path:
    """A built copy of ``project`` (default: the sample, generated and built once)."""
    target = work / "project"
    if project is None:
        base = work / "sample"
        if not (base / "build" / "peakmap.gpkg").is_file():
            subprocess.run([sys.executable, "-m", "peakmap", "sample", "--out", str(base)],
                           check=True, cwd=ROOT)
            subprocess.run([sys.executable, "-m", "peakmap", "build", str(base)], check=True,
                           cwd=ROOT)
        project = base
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(project, target, symlinks=False)
    return target


async def wait_up(client: httpx.AsyncClient, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if proc.poll() is not None:
            raise SystemExit(f"peakmap serve exited with {proc.returncode}")
        try:
            if (await client.get("/api/health", timeout=2)).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.5)
    raise SystemExit("peakmap serve did not answer within 300 s")


class Tally:
    """Latencies and failures per kind of request."""

    def __init__(self) -> None:
        self.times: dict[str, list[float]] = {}
        self.failures: list[str] = []
        self.count = 0

    def add(self, kind: str, seconds: float, ok: bool, what: str) -> None:
        self.times.setdefault(kind, []).append(seconds)
        self.count += 1
        if not ok:
            self.failures.append(what)


async def timed(client: httpx.AsyncClient, tally: Tally, kind: str, method: str, url: str,
                **kw: Any) -> httpx.Response | None:
    t0 = time.perf_counter()
    try:
        r = await client.request(method, url, timeout=120, **kw)
    except httpx.TransportError as e:
        tally.add(kind, time.perf_counter() - t0, False, f"{method} {url}: {e!r}")
        return None
    ok = 200 <= r.status_code < 300
    tally.add(kind, time.perf_counter() - t0, ok, f"{method} {url}: {r.status_code} {r.text[:200]}")
    return r


async def reader(client: httpx.AsyncClient, tally: Tally, end: float, seed: int) -> None:
    rng = random.Random(seed)
    while time.monotonic() < end and tally.count < MAX_REQUESTS:
        kind, url = rng.choice(READS)
        await timed(client, tally, kind, "GET", url)
        await asyncio.sleep(rng.uniform(0.2, 1.0))


async def uploader(client: httpx.AsyncClient, tally: Tally, project: Path, end: float,
                   every: float, acked: list[dict[str, Any]]) -> None:
    i = 0
    while time.monotonic() < end - 2 and tally.count < MAX_REQUESTS:
        layer, rel = UPLOADS[i % len(UPLOADS)]
        content = (project / rel).read_bytes()
        r = await timed(client, tally, "upload", "POST", f"/api/layers/{layer}",
                        files={"file": (Path(rel).name, content)})
        if r is not None and r.status_code in (201, 202):
            acked.append({"layer": layer, **r.json()})
        i += 1
        await asyncio.sleep(every)


def pct(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    work = args.out.parent
    work.mkdir(parents=True, exist_ok=True)
    project = prepare(args.project, work)
    port = free_port()
    env = {**os.environ, "PEAKMAP_HOST": "127.0.0.1", "PEAKMAP_PORT": str(port)}
    proc = subprocess.Popen([sys.executable, "-m", "peakmap", "serve", str(project),
                             "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT, env=env)
    tally = Tally()
    acked: list[dict[str, Any]] = []
    try:
        limits = httpx.Limits(max_connections=args.users + 2)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}",
                                     limits=limits) as client:
            await wait_up(client, proc)
            t_start = time.perf_counter()
            await client.get("/", timeout=300)  # the first load after serve (not counted)
            first_load = time.perf_counter() - t_start
            end = time.monotonic() + args.seconds
            tasks = [reader(client, tally, end, seed) for seed in range(args.users)]
            tasks.append(uploader(client, tally, project, end, args.upload_every, acked))
            await asyncio.gather(*tasks)
            # every acknowledged upload is in the project's manifest history and raw files
            missing = [a["raw_path"] for a in acked if not (project / a["raw_path"]).is_file()]
    finally:
        proc.terminate()
        proc.wait(30)
    rows = {kind: {"n": len(v), "p50_ms": 1000 * statistics.median(v),
                   "p95_ms": 1000 * pct(v, 95), "max_ms": 1000 * max(v)}
            for kind, v in sorted(tally.times.items())}
    return {"users": args.users, "seconds": args.seconds, "requests": tally.count,
            "failed": len(tally.failures), "failures": tally.failures[:20],
            "uploads_acknowledged": len(acked), "uploads_missing_raw": missing,
            "first_dashboard_load_s": first_load, "by_kind": rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--project", type=Path, default=None)
    ap.add_argument("--users", type=int, default=60)
    ap.add_argument("--seconds", type=float, default=45.0)
    ap.add_argument("--upload-every", type=float, default=8.0)
    ap.add_argument("--out", type=Path, default=ROOT / "bench-output" / "load" / "result.json")
    args = ap.parse_args()
    args.users = max(1, min(args.users, MAX_USERS))
    args.seconds = max(1.0, min(args.seconds, MAX_SECONDS))
    result = asyncio.run(run(args))
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"{result['users']} users, {result['seconds']:.0f} s, {result['requests']} requests, "
          f"{result['failed']} failed, {result['uploads_acknowledged']} uploads acknowledged "
          f"({len(result['uploads_missing_raw'])} missing afterwards); first dashboard load "
          f"{result['first_dashboard_load_s']:.2f} s")
    print("\n| request | n | p50 (ms) | p95 (ms) | max (ms) |\n|---|---:|---:|---:|---:|")
    for kind, row in result["by_kind"].items():
        print(f"| {kind} | {row['n']} | {row['p50_ms']:.0f} | {row['p95_ms']:.0f} | "
              f"{row['max_ms']:.0f} |")
    for failure in result["failures"]:
        print("FAILED:", failure)


if __name__ == "__main__":
    main()
