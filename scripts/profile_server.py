"""Run ``peakmap`` with a sampling profiler of every thread (used by ``load_test.py --profile``).

Usage: ``python scripts/profile_server.py OUT.json serve PROJECT ...``. Every 5 ms the
stacks of all threads are sampled; per thread, the innermost frame of peakmap's own code
(gis/, layers/, web/) and the innermost frame overall are counted. The event-loop thread's
lag (how late a 10 ms timer fires) is recorded too. Written to OUT.json at exit.
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import json
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

OWN = ("/gis/", "/layers/", "/web/", "/peakmap/")
INTERVAL_S = 0.005


def main() -> None:
    out = Path(sys.argv[1])
    own: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    leaf: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    lags: list[float] = []
    stop = threading.Event()

    def sample() -> None:
        names = {}
        while not stop.wait(INTERVAL_S):
            for t in threading.enumerate():
                names[t.ident] = t.name
            for ident, frame in sys._current_frames().items():
                if ident == threading.get_ident():
                    continue
                name = names.get(ident, str(ident))
                f: Any = frame
                leaf[name][f"{f.f_code.co_filename.rsplit('/', 2)[-1]}:{f.f_code.co_name}"] += 1
                while f is not None:
                    if any(p in f.f_code.co_filename for p in OWN):
                        own[name][f"{f.f_code.co_filename.rsplit('/', 2)[-1]}:"
                                  f"{f.f_code.co_name}:{f.f_lineno}"] += 1
                        break
                    f = f.f_back

    def dump() -> None:
        stop.set()
        top = {n: c.most_common(25) for n, c in own.items()}
        leaves = {n: c.most_common(15) for n, c in leaf.items()}
        lags.sort()
        q = (lambda p: 1000 * lags[min(len(lags) - 1, int(p * len(lags)))]) if lags else None
        inside = {}
        for kind, values in sorted(served.items()):
            values.sort()
            inside[kind] = {"n": len(values),
                            "p50_ms": 1000 * values[len(values) // 2],
                            "p95_ms": 1000 * values[min(len(values) - 1,
                                                        int(0.95 * len(values)))]}
        out.write_text(json.dumps({
            "served_inside_server": inside, "own": top, "leaf": leaves,
            "loop_lag_ms": {"n": len(lags), "p50": q and q(0.5), "p95": q and q(0.95),
                            "max": q and q(0.999)}}, indent=1), encoding="utf-8")

    async def lag_probe() -> None:
        while True:
            t0 = time.perf_counter()
            await asyncio.sleep(0.01)
            lags.append(time.perf_counter() - t0 - 0.01)

    import contextlib

    import web.app

    real_lifespan = web.app._lifespan

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> Any:
        probe = asyncio.get_running_loop().create_task(lag_probe())
        async with real_lifespan(app):
            yield
        probe.cancel()

    web.app._lifespan = lifespan  # type: ignore[assignment]

    # time each request inside the server (first ASGI call to its last body message), by
    # kind of path: what the server adds, without the operating system's queueing
    served: dict[str, list[float]] = collections.defaultdict(list)

    class Timing:
        def __init__(self, app: Any) -> None:
            self.app = app

        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                await self.app(scope, receive, send)
                return
            t0 = time.perf_counter()
            path = scope.get("path", "")
            kind = ("health" if path == "/api/health" else "upload"
                    if scope.get("method") == "POST" else "api"
                    if path.startswith("/api/") else "page")
            try:
                await self.app(scope, receive, send)
            finally:
                served[kind].append(time.perf_counter() - t0)

    real_create = web.app.create_app

    def create_app(*args: Any, **kwargs: Any) -> Any:
        app = real_create(*args, **kwargs)
        app.add_middleware(Timing)
        return app

    web.app.create_app = create_app  # type: ignore[assignment]
    threading.Thread(target=sample, name="sampler", daemon=True).start()
    atexit.register(dump)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sys.argv = ["peakmap", *sys.argv[2:]]
    from peakmap.cli import main as cli_main

    try:
        cli_main()
    finally:
        dump()


if __name__ == "__main__":
    main()
