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

A separate probe process asks ``/api/health`` every 0.25 s on its own connection (kind
``health (probe)``): a monitor's view, free of the load generator's own delays. With
``--profile`` the server runs under ``scripts/profile_server.py``, which also reports the
time each kind of request spent inside the server and the server's event-loop lag.

Usage: ``python scripts/load_test.py [--project DIR] [--users 60] [--seconds 45]``
(default project: the embedded sample, built once into ``bench-output/load``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
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
from benchjson import record_run

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


async def reader(client: httpx.AsyncClient, tally: Tally, end: float, seed: int,
                 max_requests: int = MAX_REQUESTS) -> None:
    rng = random.Random(seed)
    while time.monotonic() < end and tally.count < max_requests:
        kind, url = rng.choice(READS)
        await timed(client, tally, kind, "GET", url)
        await asyncio.sleep(rng.uniform(0.2, 1.0))


async def uploader(client: httpx.AsyncClient, tally: Tally, project: Path, end: float,
                   every: float, acked: list[dict[str, Any]],
                   max_requests: int = MAX_REQUESTS) -> None:
    i = 0
    while time.monotonic() < end - 2 and tally.count < max_requests:
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


async def lag_probe(lags: list[float], end: float) -> None:
    """How late a 10 ms timer fires in this client process (its own event-loop delay)."""
    while time.monotonic() < end:
        t0 = time.perf_counter()
        await asyncio.sleep(0.01)
        lags.append(time.perf_counter() - t0 - 0.01)


async def client_part(port: int, seeds: list[int], deadline: float, upload: bool,
                      project: Path, every: float, max_requests: int) -> dict[str, Any]:
    """One client process's share of the users (and the uploader, in the first one)."""
    tally = Tally()
    acked: list[dict[str, Any]] = []
    lags: list[float] = []
    end = time.monotonic() + max(0.0, deadline - time.time())
    limits = httpx.Limits(max_connections=len(seeds) + 2)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits) as client:
        tasks = [reader(client, tally, end, seed, max_requests) for seed in seeds]
        if upload:
            tasks.append(uploader(client, tally, project, end, every, acked, max_requests))
        tasks.append(lag_probe(lags, end))
        await asyncio.gather(*tasks)
    return {"times": tally.times, "failures": tally.failures, "count": tally.count,
            "acked": acked, "lags": lags}


def _client_process(job: tuple[Any, ...]) -> dict[str, Any]:
    if job[0] == "probe":
        return health_probe(*job[1:])
    return asyncio.run(client_part(*job))


def health_probe(port: int, deadline: float, every: float = 0.25) -> dict[str, Any]:
    """``/api/health`` every 0.25 s from a process doing nothing else (a monitor's view).

    The load generator's own event loop parses ~150 kB answers for 60 users and is itself
    late on a loaded machine; this process sleeps between requests, so its figures are the
    server's (plus the operating system's scheduling), not the load generator's.
    """
    import http.client

    times: list[float] = []
    failures: list[str] = []
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    while time.time() < deadline:
        t0 = time.perf_counter()
        try:
            conn.request("GET", "/api/health")
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                failures.append(f"GET /api/health (probe): {response.status}")
        except (OSError, http.client.HTTPException) as e:
            failures.append(f"GET /api/health (probe): {e!r}")
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        times.append(time.perf_counter() - t0)
        time.sleep(every)
    conn.close()
    return {"times": {"health (probe)": times}, "failures": failures, "count": len(times),
            "acked": [], "lags": []}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    work = args.out.parent
    work.mkdir(parents=True, exist_ok=True)
    project = prepare(args.project, work)
    port = free_port()
    env = {**os.environ, "PEAKMAP_HOST": "127.0.0.1", "PEAKMAP_PORT": str(port)}
    cmd = [sys.executable, "-m", "peakmap"]
    if args.profile is not None:  # the server under a sampling profiler (scripts/profile_server)
        cmd = [sys.executable, str(ROOT / "scripts" / "profile_server.py"), str(args.profile)]
    proc = subprocess.Popen([*cmd, "serve", str(project), "--host", "127.0.0.1",
                             "--port", str(port)], cwd=ROOT, env=env)
    tally = Tally()
    acked: list[dict[str, Any]] = []
    lags: list[float] = []
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            await wait_up(client, proc)
            t_start = time.perf_counter()
            await client.get("/", timeout=300)  # the first load after serve (not counted)
            first_load = time.perf_counter() - t_start
        # the users split over --clients processes, so the client's own event loop (httpx
        # parsing ~150 kB answers) does not add its delays to the latencies measured
        deadline = time.time() + args.seconds
        k = max(1, min(args.clients, args.users))
        jobs = [(port, list(range(i, args.users, k)), deadline, i == 0, project,
                 args.upload_every, MAX_REQUESTS // k) for i in range(k)]
        jobs.append(("probe", port, deadline))
        with multiprocessing.get_context("fork").Pool(k + 1) as pool:
            parts = await asyncio.to_thread(pool.map, _client_process, jobs)
        for part in parts:
            for kind, values in part["times"].items():
                tally.times.setdefault(kind, []).extend(values)
            tally.failures.extend(part["failures"])
            tally.count += part["count"]
            acked.extend(part["acked"])
            lags.extend(part["lags"])
        # every acknowledged upload is in the project's manifest history and raw files
        missing = [a["raw_path"] for a in acked if not (project / a["raw_path"]).is_file()]
    finally:
        proc.terminate()
        proc.wait(30)
    rows = {kind: {"n": len(v), "p50_ms": 1000 * statistics.median(v),
                   "p95_ms": 1000 * pct(v, 95), "max_ms": 1000 * max(v)}
            for kind, v in sorted(tally.times.items())}
    return {"users": args.users, "seconds": args.seconds, "clients": k,
            "requests": tally.count, "failed": len(tally.failures),
            "failures": tally.failures[:20], "uploads_acknowledged": len(acked),
            "uploads_missing_raw": missing, "first_dashboard_load_s": first_load,
            "client_loop_lag_ms": {"p50": 1000 * statistics.median(lags),
                                   "p95": 1000 * pct(lags, 95)} if lags else {},
            "by_kind": rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--project", type=Path, default=None)
    ap.add_argument("--users", type=int, default=60)
    ap.add_argument("--seconds", type=float, default=45.0)
    ap.add_argument("--upload-every", type=float, default=8.0)
    ap.add_argument("--clients", type=int, default=2,
                    help="client processes the users are split over (default 2)")
    ap.add_argument("--profile", type=Path, default=None,
                    help="sample the server's threads; write where the time goes here (JSON)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench-output" / "load" / "result.json")
    args = ap.parse_args()
    args.users = max(1, min(args.users, MAX_USERS))
    args.seconds = max(1.0, min(args.seconds, MAX_SECONDS))
    result = asyncio.run(run(args))
    if args.profile is not None and args.profile.is_file():
        prof = json.loads(args.profile.read_text(encoding="utf-8"))
        result["server"] = {"event_loop_lag_ms": prof.get("loop_lag_ms"),
                            "served_inside_server": prof.get("served_inside_server")}
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"{result['users']} users, {result['seconds']:.0f} s, {result['requests']} requests, "
          f"{result['failed']} failed, {result['uploads_acknowledged']} uploads acknowledged "
          f"({len(result['uploads_missing_raw'])} missing afterwards); first dashboard load "
          f"{result['first_dashboard_load_s']:.2f} s; {result['clients']} client processes, "
          f"client loop lag p50/p95 {result['client_loop_lag_ms'].get('p50', 0):.0f}/"
          f"{result['client_loop_lag_ms'].get('p95', 0):.0f} ms")
    print("\n| request | n | p50 (ms) | p95 (ms) | max (ms) |\n|---|---:|---:|---:|---:|")
    for kind, row in result["by_kind"].items():
        print(f"| {kind} | {row['n']} | {row['p50_ms']:.0f} | {row['p95_ms']:.0f} | "
              f"{row['max_ms']:.0f} |")
    if "server" in result:
        print(f"\nserver event-loop lag: {result['server']['event_loop_lag_ms']}")
        print("time inside the server (first ASGI call to last byte handed to the socket):")
        for kind, row in (result["server"]["served_inside_server"] or {}).items():
            print(f"  {kind}: n {row['n']}, p50 {row['p50_ms']:.0f} ms, "
                  f"p95 {row['p95_ms']:.0f} ms")
    for failure in result["failures"]:
        print("FAILED:", failure)


if __name__ == "__main__":
    # the printed tables also go to bench-output/load_test.json (scripts/benchjson.py)
    sys.exit(record_run(lambda: main()))
