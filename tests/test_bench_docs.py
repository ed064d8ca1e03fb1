"""Benchmark results as JSON, and the tables of docs/benchmarks.md generated from them."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import benchjson  # noqa: E402
import gen_bench_docs  # noqa: E402


def test_page_is_generated_from_the_json() -> None:
    doc = gen_bench_docs.DOC.read_text(encoding="utf-8")
    results = gen_bench_docs.load_results()
    assert gen_bench_docs.render(doc, results) == doc, "run: python scripts/gen_bench_docs.py"
    used = gen_bench_docs.used_tables(doc)
    assert len(used) >= 20
    # every result file is shown, and every one of its tables
    for name, result in results.items():
        assert sorted(i for n, i in used if n == name) == list(range(len(result["tables"]))), name
        assert result["command"] and result["recorded"]
        assert result["origin"] in {"run", "seeded"}


def test_every_table_of_the_page_is_generated() -> None:
    doc = gen_bench_docs.DOC.read_text(encoding="utf-8")
    outside = gen_bench_docs.MARKER.sub("", gen_bench_docs.INDEX.sub("", doc))
    loose = [t["header"] for t in benchjson.parse_tables(outside)]
    assert loose == [], (
        f"docs/benchmarks.md: tables not generated from docs/bench/*.json: {loose}. A benchmark "
        "script writes bench-output/NAME.json (scripts/benchjson.py); publish it with "
        "`python scripts/gen_bench_docs.py --take bench-output/NAME.json` and put the table "
        "between <!-- bench:NAME#i --> and <!-- /bench --> (see the top of the page)")


def test_cells_read_as_numbers() -> None:
    cases = {"1,509": 1509.0, "7×": 7.0, "100 %": 100.0, "0.83": 0.83, "-13.72": -13.72,
             "≈ 18× ¹": 18.0, "5.3e-09": 5.3e-09, "12.7 s": 12.7, "14.1 GB": None,
             "327 / 95 / 241": None, "–": None, "Heping ×1": None}
    assert {c: benchjson.cell_value(c) for c in cases} == cases


def test_record_run_writes_the_printed_tables(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(benchjson, "OUT_DIR", tmp_path)
    monkeypatch.setattr(benchjson, "ROOT", tmp_path.parent)
    monkeypatch.setattr(sys, "argv", ["scripts/bench_toy.py", "--scale", "2"])

    def main() -> None:
        print("toy run\n\n| scale | wall (s) | ratio |\n|---:|---:|---:|")
        print("| 1 | 1,200.5 | 3× |\n| 2 | 0.25 | – |\n\ndone")

    assert benchjson.record_run(main) == 0
    out = json.loads((tmp_path / "bench_toy.json").read_text(encoding="utf-8"))
    assert out["bench"] == "bench_toy"
    assert out["command"] == ".venv/bin/python scripts/bench_toy.py --scale 2"
    assert out["origin"] == "run" and out["machine"]["cpus"] >= 1
    assert out["tables"] == [{
        "header": ["scale", "wall (s)", "ratio"], "align": ["---:", "---:", "---:"],
        "rows": [["1", "1,200.5", "3×"], ["2", "0.25", "–"]],
        "values": [[1.0, 1200.5, 3.0], [2.0, 0.25, None]],
    }]
    # rendering gives back the printed lines
    assert benchjson.render_table(out["tables"][0]).splitlines() == [
        "| scale | wall (s) | ratio |", "|---:|---:|---:|", "| 1 | 1,200.5 | 3× |",
        "| 2 | 0.25 | – |"]


def test_record_run_under_another_name_keeps_the_script_command(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(benchjson, "OUT_DIR", tmp_path)
    monkeypatch.setattr(benchjson, "ROOT", tmp_path.parent)
    monkeypatch.setattr(sys, "argv", ["scripts/bench_toy.py", "--callgrind"])
    assert benchjson.record_run(lambda: print("| a |\n|---|\n| 1 |"), name="bench_toy-cg") == 0
    assert [p.name for p in tmp_path.iterdir()] == ["bench_toy-cg.json"]
    out = json.loads((tmp_path / "bench_toy-cg.json").read_text(encoding="utf-8"))
    assert out["bench"] == "bench_toy-cg"
    assert out["command"] == ".venv/bin/python scripts/bench_toy.py --callgrind"


def test_failed_or_empty_run_writes_nothing(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(benchjson, "OUT_DIR", tmp_path)
    monkeypatch.setattr(sys, "argv", ["scripts/bench_toy.py"])
    assert benchjson.record_run(lambda: print("| a |\n|---|\n| 1 |") or 1) == 1
    assert benchjson.record_run(lambda: print("no table")) == 0
    assert list(tmp_path.iterdir()) == []


def test_take_refuses_a_run_without_a_table_the_page_uses(tmp_path: Path) -> None:
    run = {"bench": "bench_toy", "command": "x", "recorded": "2026-12-06", "origin": "run",
           "tables": [{"header": ["a"], "align": ["---"], "rows": [["1"]], "values": [[1.0]]}]}
    path = tmp_path / "bench_toy.json"
    path.write_text(json.dumps(run), encoding="utf-8")
    doc = "<!-- bench:bench_toy#1 -->\n| a |\n|---|\n| 0 |\n<!-- /bench -->\n"
    bench_dir = tmp_path / "bench"
    bench_dir.mkdir()
    with pytest.raises(SystemExit, match=r"1 table\(s\), docs/benchmarks.md uses #1"):
        gen_bench_docs.take([path], doc, bench_dir)
    assert list(bench_dir.iterdir()) == []
    ok = doc.replace("#1", "#0")
    assert gen_bench_docs.take([path], ok, bench_dir) == ["bench_toy"]
    rendered = gen_bench_docs.render(ok, gen_bench_docs.load_results(bench_dir))
    assert rendered == ok.replace("| 0 |", "| 1 |")
