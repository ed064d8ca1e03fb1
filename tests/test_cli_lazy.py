"""The command line loads a command's module only when that command is used."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest
import typer
import typer.main

from peakmap.cli import COMMANDS

ROOT = Path(__file__).resolve().parent.parent


def _imported_modules(*args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "peakmap", *args],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    names = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    return names


def test_help_lists_every_command_without_importing_them() -> None:
    done = subprocess.run([sys.executable, "-m", "peakmap", "--help"], capture_output=True,
                          text=True, check=False, cwd=ROOT)
    assert done.returncode == 0
    for name in COMMANDS:
        assert f" {name} " in done.stdout, name
    modules = _imported_modules("--help")
    assert "geopandas" not in modules and "shapely" not in modules and "pandas" not in modules
    assert not any(module in modules for module, _ in COMMANDS.values())


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_module_registers_its_command(name: str) -> None:
    sub = typer.Typer()
    importlib.import_module(COMMANDS[name][0]).register(sub)
    assert name in typer.main.get_group(sub).commands
