"""Machine-readable benchmark results: every table a benchmark script prints, as JSON.

A script's ``__main__`` runs its ``main`` through :func:`record_run`: what it prints still goes
to the terminal, and every Markdown table in it is also written to
``bench-output/<script>.json`` with the command, the date, the machine and its load, so the
tables of ``docs/benchmarks.md`` can be generated from the file instead of copied by hand
(``scripts/gen_bench_docs.py --take bench-output/<script>.json``).

The JSON (one object)::

    {"bench": "bench_crs", "command": ".venv/bin/python scripts/bench_crs.py",
     "recorded": "2026-12-06", "recorded_at": "2026-12-06T21:03:11Z",
     "machine": {"cpus": 2, "load_before": [..], "load_after": [..], "python": "3.11.9"},
     "origin": "run",
     "tables": [{"header": [..], "align": ["---", "---:"], "rows": [[..]], "values": [[..]]}]}

``rows`` are the cells as printed; ``values`` the same cells as numbers where they read as one
(``"1,509"`` → 1509, ``"7×"`` → 7, ``"100 %"`` → 100), else null.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import platform
import re
import shlex
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "bench-output"
_NUMBER = re.compile(r"^[≈~]?\s*(-?[\d,]*\.?\d+(?:[eE][-+]?\d+)?)\s*(?:×|%|x|s|ms|MB)?\s*[¹²³⁴]?$")


def cell_value(cell: str) -> float | None:
    """The number a printed cell holds, or None.

    >>> cell_value("1,509"), cell_value("7×"), cell_value("100 %"), cell_value("5.3e-09")
    (1509.0, 7.0, 100.0, 5.3e-09)
    >>> cell_value("`peakmap sample`") is None
    True
    """
    m = _NUMBER.match(cell.strip().strip("*"))
    return float(m.group(1).replace(",", "")) if m else None


def split_row(line: str) -> list[str]:
    """The cells of one Markdown table line ``| a | b |`` (``\\|`` is a pipe inside a cell).

    >>> split_row("| | a \\| b | 1 |") == ["", "a \\| b", "1"]
    True
    """
    inner = line.strip().removeprefix("|").removesuffix("|")
    return [c.strip() for c in re.split(r"(?<!\\)\|", inner)]


def parse_tables(text: str) -> list[dict[str, Any]]:
    """Every Markdown table of ``text`` (a header line, an alignment line, rows).

    >>> t = parse_tables("x\\n| a | b |\\n|---|---:|\\n| u | 1.5 |\\n\\n")
    >>> t[0]["header"], t[0]["align"], t[0]["rows"], t[0]["values"]
    (['a', 'b'], ['---', '---:'], [['u', '1.5']], [[None, 1.5]])
    """
    lines = text.splitlines()
    tables: list[dict[str, Any]] = []
    i = 0
    while i < len(lines) - 1:
        head, sep = lines[i].strip(), lines[i + 1].strip()
        if head.startswith("|") and re.fullmatch(r"\|(\s*:?-{3,}:?\s*\|)+", sep):
            rows = []
            j = i + 2
            while j < len(lines) and lines[j].strip().startswith("|"):
                rows.append(split_row(lines[j]))
                j += 1
            tables.append({
                "header": split_row(head),
                "align": split_row(sep),
                "rows": rows,
                "values": [[cell_value(c) for c in r] for r in rows],
            })
            i = j
        else:
            i += 1
    return tables


def render_table(table: dict[str, Any]) -> str:
    """The Markdown lines of one table (the inverse of :func:`parse_tables`).

    >>> print(render_table(parse_tables("| a | b |\\n|---|---:|\\n| u | 1.5 |")[0]))
    | a | b |
    |---|---:|
    | u | 1.5 |
    """
    def line(cells: list[str]) -> str:
        return "|" + "|".join(f" {c} " if c else " " for c in cells) + "|"

    lines = [line(table["header"]), "|" + "|".join(table["align"]) + "|"]
    lines += [line(row) for row in table["rows"]]
    return "\n".join(lines)


def _machine(load_before: tuple[float, ...]) -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
    }


class _Tee(io.TextIOBase):
    def __init__(self, stream: Any) -> None:
        self.stream, self.buffer_text = stream, io.StringIO()

    def write(self, s: str) -> int:
        self.buffer_text.write(s)
        return int(self.stream.write(s))

    def flush(self) -> None:
        self.stream.flush()


@contextlib.contextmanager
def _tee_stdout() -> Iterator[_Tee]:
    tee = _Tee(sys.stdout)
    old, sys.stdout = sys.stdout, tee
    try:
        yield tee
    finally:
        sys.stdout = old


def record_run(main: Callable[[], Any], *, name: str | None = None) -> int:
    """Run a benchmark's ``main``; write its printed tables to ``bench-output/<name>.json``.

    ``name`` (default: the script's name) names the result; the recorded command is the
    script's. Returns ``main``'s exit status (0 for None). Nothing is written when ``main``
    fails or prints no table, so a broken run never replaces a good result.
    """
    script = Path(sys.argv[0]).stem
    name = name or script
    load = os.getloadavg()
    now = dt.datetime.now(dt.UTC)
    with _tee_stdout() as tee:
        status = main()
    tables = parse_tables(tee.buffer_text.getvalue())
    if status in (None, 0) and tables:
        args = " ".join(shlex.quote(a) for a in sys.argv[1:])
        result = {
            "bench": name,
            "command": f".venv/bin/python scripts/{script}.py {args}".strip(),
            "recorded": now.date().isoformat(),
            "recorded_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "machine": _machine(load),
            "origin": "run",
            "tables": tables,
        }
        OUT_DIR.mkdir(exist_ok=True)
        path = OUT_DIR / f"{name}.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, path)
        print(f"[benchjson] {len(tables)} table(s) → {path.relative_to(ROOT)}", file=sys.stderr)
    return int(status or 0)
