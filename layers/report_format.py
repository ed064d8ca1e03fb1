"""What the indicator tables share however they are written (text, CSV, JSON, Excel annex).

Status fills, the gap note and writing a file atomically (figures are printed by
:mod:`layers.numfmt`). :mod:`layers.report` and :mod:`layers.annex_xlsx` both use them, so the
annex does not import the report module that calls it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gis import InputFileError

__all__ = ["GAP_NOTE", "GAP_NOTES", "STATUS_FILL", "atomic_file", "atomic_path"]

STATUS_FILL = {"pass": "C6EFCE", "fail": "FFC7CE", "no-data": "FFEB9C"}
GAP_NOTES = (
    "差距 = 距目标还差多少（单位同现状值，占比 % 的差距为百分点）：≥/> 目标为 目标−现状，"
    "≤/< 目标为 现状−目标；正数表示尚未达标，零或负数表示已达标（绝对值为余量）。",
    "Gap = how far from the target in the value's unit (percentage points for a share in %): "
    "target − value for ≥/> targets, value − target for ≤/< targets; positive = not met yet, "
    "zero or negative = met (its size is the margin).",
)
"""What a gap means, in Chinese and in English."""
GAP_NOTE = " / ".join(GAP_NOTES)


@contextmanager
def atomic_file(path: Path, *, newline: str | None = None,
                binary: bool = False) -> Iterator[Any]:
    """A text file (or, ``binary``, a file name) next to ``path``, moved onto it on success.

    Parameters
    ----------
    path : pathlib.Path
    newline : str, optional
        ``""`` for CSV (then written with a BOM, for Excel); text is UTF-8.
    binary : bool, keyword-only
        Yield the temporary file's name instead of an open text file.

    Raises
    ------
    InputFileError
        The folder of ``path`` does not exist.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise InputFileError(f"{path}: the folder {path.parent} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        if binary:
            yield tmp
        else:
            with open(tmp, "w", encoding="utf-8-sig" if newline == "" else "utf-8",
                      newline=newline) as fh:
                yield fh
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@contextmanager
def atomic_path(path: Path) -> Iterator[str]:
    """A temporary file name next to ``path``, moved onto ``path`` when the block succeeds.

    Parameters
    ----------
    path : pathlib.Path

    Yields
    ------
    str
        Where to write.
    """
    with atomic_file(Path(path), binary=True) as tmp:
        yield tmp
