"""Long CLI steps show a rich spinner on stderr (issue 12 item 8), never on stdout.

rich draws live displays only on a terminal; ``FORCE_COLOR`` makes the captured stderr count
as one, so the spinner's text (and its erasing control codes) can be read back. Standard
output keeps only the command's result, so pipes and ``--format csv`` stay clean.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fixtures.siting import make_siting_project
from fixtures.tiny import TARGETS, make_project


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FORCE_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "peakmap", *args], capture_output=True,
                          text=True, check=False, timeout=300, env=env)


def test_report_map_and_site_show_their_steps(tmp_path: Path) -> None:
    make_project(tmp_path / "r", targets=TARGETS)
    res = _run("report", str(tmp_path / "r"), "--format", "csv")
    assert res.returncode == 0, res.stderr
    assert "计算指标 computing indicators" in res.stderr
    assert "计算指标" not in res.stdout and res.stdout.startswith("indicator")

    res = _run("map", str(tmp_path / "r"), "layers", "--out", str(tmp_path / "l.png"))
    assert res.returncode == 0, res.stderr
    assert "地图 map layers → l.png" in res.stderr

    project = make_siting_project(tmp_path / "p")
    res = _run("site", "transfer", str(project.root), "--no-apply")
    assert res.returncode == 0, res.stderr
    assert "中转站选址模型 siting model: transfer stations" in res.stderr
    assert "方案前后指标 indicators now → with the proposal" in res.stderr
    assert "siting model" not in res.stdout
