"""Receiving an uploaded file: its safe name and its bytes, counted against the limit.

Used by the upload (``POST /api/layers/{name}``) and by its dry run
(``POST /api/layers/{name}/check``), so both accept and refuse exactly the same files.
"""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import UploadFile

from gis import InputFileError
from web.errors import UploadTooLargeError
from web.settings import WebSettings

__all__ = ["COPY_CHUNK", "MAX_UPLOAD_NAME", "save_upload", "upload_name"]

COPY_CHUNK = 1024 * 1024  # bytes read from the request at a time
MAX_UPLOAD_NAME = 200  # characters of an uploaded file's name
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._\-\u4e00-\u9fff]")


def upload_name(filename: str | None) -> str:
    """A file name safe to create: the base name, odd characters replaced, no leading dot.

    Raises
    ------
    InputFileError
        The name is longer than :data:`MAX_UPLOAD_NAME` characters.

    Examples
    --------
    >>> upload_name("../../etc/公园 绿地.geojson")
    '公园_绿地.geojson'
    >>> upload_name(None)
    'upload'
    """
    if filename is not None and len(filename) > MAX_UPLOAD_NAME:
        raise InputFileError(
            f"upload file name is {len(filename)} characters long; the limit is "
            f"{MAX_UPLOAD_NAME} ({filename[:40]!r}…)")
    base = Path(filename or "upload").name
    return _SAFE_NAME.sub("_", base).lstrip(".") or "upload"


def save_upload(file: UploadFile, target: Path, settings: WebSettings) -> int:
    """Copy the upload to ``target`` in chunks, stopping at the size limit; return its bytes.

    Raises
    ------
    UploadTooLargeError
        The file is larger than ``settings.max_upload_bytes`` (HTTP 413).
    """
    limit = settings.max_upload_bytes
    size = 0
    with target.open("wb") as out:
        while chunk := file.file.read(COPY_CHUNK):
            size += len(chunk)
            if size > limit:
                raise UploadTooLargeError(
                    f"{file.filename}: upload larger than the limit of "
                    f"{settings.max_upload_mb:g} MiB (PEAKMAP_MAX_UPLOAD_MB)")
            out.write(chunk)
    return size
