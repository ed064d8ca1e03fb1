"""Run every ``scripts/bench_*.py`` in turn (``make bench``); each prints its own table.

Usage: ``python scripts/bench_all.py [--only NAME ...]``.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# run on their own: this runner itself, the PostGIS runs (`make bench-postgis`, which needs
# PostgreSQL + PostGIS installed) and the interpreter comparison (needs a second venv)
SEPARATE = {"bench_all.py", "bench_interpreter.py", "bench_postgis.py", "bench_store.py"}


def main(argv: list[str]) -> int:
    only = set(argv[argv.index("--only") + 1 :]) if "--only" in argv else None
    failed = []
    for script in sorted(HERE.glob("bench_*.py")):
        if script.name in SEPARATE:
            continue
        if only and script.stem.removeprefix("bench_") not in only:
            continue
        print(f"\n## {script.stem}\n", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.call([sys.executable, str(script)], cwd=HERE.parent)
        print(f"\n({script.name}: {time.perf_counter() - t0:.1f} s, exit {rc})", flush=True)
        if rc:
            failed.append(script.name)
    if failed:
        print("failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
