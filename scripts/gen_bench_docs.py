"""Generate the tables of docs/benchmarks.md from the benchmark results in docs/bench/*.json.

Each generated table sits between marker comments naming its JSON file and table index::

    <!-- bench:bench_crs#0 -->
    | conversion | numpy vectorised (s) | ... |
    <!-- /bench -->

and the list of results (file, tables, date recorded, how, command) between
``<!-- bench-index -->`` and ``<!-- /bench-index -->``. The text around the tables is written
by hand and says what the figures mean.

Usage::

    python scripts/gen_bench_docs.py            # rewrite the tables from docs/bench/*.json
    python scripts/gen_bench_docs.py --check    # exit 1 when the page is not current (a test does)
    python scripts/gen_bench_docs.py --take bench-output/bench_crs.json
        # a benchmark's fresh result (scripts/benchjson.py) replaces docs/bench/bench_crs.json,
        # then the tables are rewritten; refused when the page uses a table the run lacks
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchjson import render_table

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
BENCH_DIR = ROOT / "docs" / "bench"
MARKER = re.compile(
    r"(?P<open><!-- bench:(?P<name>[\w.-]+)#(?P<index>\d+) -->\n)(?P<body>.*?)"
    r"(?P<close><!-- /bench -->)",
    re.S,
)
INDEX = re.compile(r"(<!-- bench-index -->\n)(.*?)(<!-- /bench-index -->)", re.S)


def load_results(bench_dir: Path = BENCH_DIR) -> dict[str, dict[str, Any]]:
    """Every ``<name>.json`` of ``bench_dir`` by name."""
    return {
        p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(bench_dir.glob("*.json"))
    }


def used_tables(doc: str) -> list[tuple[str, int]]:
    """(result name, table index) of every generated table of the page, in page order."""
    return [(m["name"], int(m["index"])) for m in MARKER.finditer(doc)]


def _origin(result: dict[str, Any]) -> str:
    if result.get("origin") == "run":
        machine = result.get("machine", {})
        load = machine.get("load_before")
        return "run" + (f" (load {load[0]:.1f}, {machine.get('cpus')} cores)" if load else "")
    if result.get("origin") == "seeded":
        return "seeded: copied from this page, not rerun"
    return str(result.get("origin", "?"))


def index_table(doc: str, results: dict[str, dict[str, Any]]) -> str:
    """The list of results the page's tables come from."""
    counts: dict[str, int] = {}
    for name, _ in used_tables(doc):
        counts[name] = counts.get(name, 0) + 1
    lines = ["| results file | tables here | recorded | how | command |", "|---|---:|---|---|---|"]
    for name, result in results.items():
        lines.append(
            f"| `docs/bench/{name}.json` | {counts.get(name, 0)} | {result.get('recorded', '?')} "
            f"| {_origin(result)} | `{result.get('command', '?')}` |"
        )
    return "\n".join(lines) + "\n"


def render(doc: str, results: dict[str, dict[str, Any]]) -> str:
    """``doc`` with every marked table and the index generated from ``results``.

    Raises
    ------
    SystemExit
        A marker names a result file or table that does not exist (the message names it).
    """

    def table(m: re.Match[str]) -> str:
        name, index = m["name"], int(m["index"])
        if name not in results:
            raise SystemExit(f"docs/benchmarks.md: no docs/bench/{name}.json for <!-- bench:"
                             f"{name}#{index} -->")
        tables = results[name]["tables"]
        if index >= len(tables):
            raise SystemExit(f"docs/benchmarks.md: docs/bench/{name}.json has {len(tables)} "
                             f"table(s), the page asks for #{index}")
        return m["open"] + render_table(tables[index]) + "\n" + m["close"]

    out = MARKER.sub(table, doc)
    return INDEX.sub(lambda m: m[1] + index_table(out, results) + m[3], out)


def take(paths: list[Path], doc: str, bench_dir: Path = BENCH_DIR) -> list[str]:
    """Copy fresh results into ``bench_dir`` after checking the page's markers still fit."""
    taken = []
    for path in paths:
        result = json.loads(path.read_text(encoding="utf-8"))
        name = result["bench"]
        need = [i for n, i in used_tables(doc) if n == name]
        if need and max(need) >= len(result["tables"]):
            raise SystemExit(f"{path}: {len(result['tables'])} table(s), docs/benchmarks.md "
                             f"uses #{max(need)} of {name}; run it with the documented command")
        shutil.copyfile(path, bench_dir / f"{name}.json")
        taken.append(name)
    return taken


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the page is stale")
    parser.add_argument("--take", nargs="+", type=Path, default=[],
                        help="fresh results (bench-output/*.json) to copy into docs/bench first")
    args = parser.parse_args(argv)
    doc = DOC.read_text(encoding="utf-8")
    if args.take:
        print("took", ", ".join(take(args.take, doc)))
    new = render(doc, load_results())
    if args.check:
        if new != doc:
            print("docs/benchmarks.md is not current: run python scripts/gen_bench_docs.py")
            return 1
        return 0
    if new != doc:
        DOC.write_text(new, encoding="utf-8")
    print(f"docs/benchmarks.md: {len(used_tables(new))} generated tables")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
