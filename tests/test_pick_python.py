"""scripts/pick_python.sh: which interpreter ``make install`` builds the venv from."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "pick_python.sh"


def fake_python(folder: Path, name: str, answer: str | None) -> Path:
    """An executable that answers the script's check like a Python 3.11 would.

    ``answer`` "static" or "shared": how libpython is linked; None: not a usable 3.11 (the
    check fails, as on a Python without ``venv``/``ensurepip`` or of another version).
    """
    path = folder / name
    body = f'echo "{answer}"' if answer else "exit 1"
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return path


def pick(*candidates: Path | str) -> str:
    env = {**os.environ, "PICK_PYTHON_CANDIDATES": " ".join(str(c) for c in candidates)}
    done = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, env=env,
                          check=True)
    return done.stdout.strip()


def test_a_static_libpython_is_preferred_wherever_it_is_listed(tmp_path: Path) -> None:
    shared = fake_python(tmp_path, "pyenv3.11", "shared")
    static = fake_python(tmp_path, "debian3.11", "static")
    assert pick(shared, static) == str(static)
    assert pick(static, shared) == str(static)


def test_the_first_usable_one_when_none_is_static(tmp_path: Path) -> None:
    broken = fake_python(tmp_path, "py3.10", None)
    first = fake_python(tmp_path, "a3.11", "shared")
    second = fake_python(tmp_path, "b3.11", "shared")
    assert pick(broken, first, second) == str(first)


def test_unusable_and_missing_candidates_are_passed_over(tmp_path: Path) -> None:
    broken = fake_python(tmp_path, "noventv3.11", None)
    static = fake_python(tmp_path, "debian3.11", "static")
    assert pick(tmp_path / "absent", broken, static) == str(static)


def test_nothing_usable_names_the_first_found(tmp_path: Path) -> None:
    """make's version check then names what it found, instead of an empty command."""
    broken = fake_python(tmp_path, "py3.10", None)
    assert pick(tmp_path / "absent", broken) == str(broken)


@pytest.mark.skipif(sys.version_info[:2] != (3, 11) or not Path("/proc/self/maps").exists(),
                    reason="the script's check is for Python 3.11 on Linux")
def test_this_interpreter_passes_the_real_check() -> None:
    """The check itself, run by the interpreter of this test: it is a usable 3.11."""
    assert pick(sys.executable) == sys.executable
