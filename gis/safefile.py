"""Opening input files only as what they claim to be.

Every project and upload read goes through these checks before GDAL, pandas or pyarrow
sees the file:

- the path is text GDAL cannot misread: no NUL byte, no component over 255 bytes, no
  ``/vsi...`` prefix or URL;
- it is a *regular* file (a FIFO, device or directory is refused, so a manifest entry
  naming a named pipe cannot hang a build);
- its leading bytes are those of the format its extension names (an XML VRT document or a
  GDALG pipeline under a ``.geojson`` name is refused), and the GDAL driver that reads it is
  the one of the extension (:data:`VECTOR_DRIVERS`, :data:`RASTER_DRIVERS`);
- a zip archive declares at most ``max_members`` members and ``max_bytes`` uncompressed
  bytes in its central directory, and the members peakmap reads are inflated to disk with
  the bytes counted as they come, stopping at the declared size and at the limit.

Every refusal is an :class:`~gis._errors.InputFileError` with a one-line message naming
the file. The limits come from ``PEAKMAP_MAX_UNZIPPED_MB`` (default 1024) and
``PEAKMAP_MAX_ZIP_MEMBERS`` (default 1000).
"""

from __future__ import annotations

import os
import stat
import struct
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gis._errors import InputFileError

__all__ = [
    "MAX_NAME_BYTES",
    "RASTER_DRIVERS",
    "SHAPEFILE_PARTS",
    "VECTOR_DRIVERS",
    "ZipLimits",
    "check_driver",
    "check_magic",
    "check_path_text",
    "check_regular_file",
    "extract_zip_members",
    "open_raster",
    "zip_members_checked",
]

#: Longest file or directory name accepted, in bytes (the usual file-system limit).
MAX_NAME_BYTES = 255
#: Longest whole path accepted, in bytes.
MAX_PATH_BYTES = 4096

#: GDAL vector driver forced for each extension read through GDAL.
VECTOR_DRIVERS: dict[str, str] = {
    ".gpkg": "GPKG",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".shp": "ESRI Shapefile",
    ".zip": "ESRI Shapefile",  # a zipped shapefile, read after checked extraction
    ".fgb": "FlatGeobuf",
}
#: GDAL raster driver forced for each raster extension.
RASTER_DRIVERS: dict[str, str] = {".tif": "GTiff", ".tiff": "GTiff"}

_TIFF = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
_MAGIC: dict[str, tuple[bytes, ...]] = {
    ".gpkg": (b"SQLite format 3\x00",),
    ".shp": (b"\x00\x00\x27\x0a",),
    ".fgb": (b"fgb\x03",),
    ".zip": (b"PK\x03\x04", b"PK\x05\x06"),
    ".parquet": (b"PAR1",),
    ".tif": _TIFF,
    ".tiff": _TIFF,
}
_FORMAT_NAMES = {
    ".gpkg": "GeoPackage", ".shp": "shapefile", ".fgb": "FlatGeobuf", ".zip": "zip archive",
    ".parquet": "GeoParquet", ".tif": "GeoTIFF", ".tiff": "GeoTIFF", ".geojson": "GeoJSON",
    ".json": "GeoJSON",
}
_JSON_SNIFF_BYTES = 64 * 1024
_COPY_CHUNK = 1024 * 1024
_EOCD = b"PK\x05\x06"
_EOCD_MIN = 22
#: Shapefile parts read from a zip (the other members are never inflated).
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


def _short(text: str, limit: int = 80) -> str:
    """``text`` as one printable line, cut to ``limit`` characters."""
    shown = text.replace("\x00", "\\x00").replace("\n", "\\n").replace("\r", "\\r")
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def check_path_text(text: str, *, what: str) -> None:
    """Refuse a path GDAL or the OS would misread: NUL byte, over-long name, URL, /vsi prefix.

    Parameters
    ----------
    text : str
        The path as written (manifest entry, upload name).
    what : str
        What the path is for, used at the start of the message.

    Raises
    ------
    InputFileError
        One line naming ``what`` and the (shortened, escaped) path.
    """
    if "\x00" in text:
        raise InputFileError(f"{_short(what)}: the path contains a NUL byte ('{_short(text)}')")
    encoded = text.encode("utf-8", "surrogateescape")
    longest = max((len(p.encode("utf-8", "surrogateescape")) for p in Path(text).parts),
                  default=0)
    if longest > MAX_NAME_BYTES or len(encoded) > MAX_PATH_BYTES:
        raise InputFileError(
            f"{_short(what)}: file name too long ({longest} bytes in one name, "
            f"{len(encoded)} in the path; the limits are {MAX_NAME_BYTES} and "
            f"{MAX_PATH_BYTES}): {_short(text, 60)!r}"
        )
    lowered = text.replace("\\", "/").lower()
    if "/vsi" in lowered or "://" in lowered:
        raise InputFileError(
            f"{_short(what)}: {_short(text)!r} is a GDAL virtual or network path; "
            "only plain files inside the project are read"
        )


def check_regular_file(path: Path, *, label: str) -> os.stat_result:
    """Return ``path``'s status when it is an existing regular file; refuse anything else.

    Raises
    ------
    InputFileError
        Missing file, bad path text, or a directory, FIFO, socket or device.
    """
    check_path_text(os.fspath(path), what=label)
    try:
        st = os.stat(path)
    except FileNotFoundError as e:
        raise InputFileError(f"{_short(label, 300)}: file not found") from e
    except OSError as e:
        raise InputFileError(f"{_short(label, 300)}: cannot be opened ({e.strerror})") from e
    mode = st.st_mode
    if not stat.S_ISREG(mode):
        kind = ("a directory" if stat.S_ISDIR(mode) else
                "a FIFO (named pipe)" if stat.S_ISFIFO(mode) else
                "a socket" if stat.S_ISSOCK(mode) else "a device")
        raise InputFileError(f"{_short(label, 300)}: not a regular file but {kind}")
    return st


def check_magic(path: Path, suffix: str, *, label: str) -> None:
    """Refuse a file whose leading bytes are not those of the format ``suffix`` names.

    GeoJSON must start with ``{`` (after an optional BOM and white space) and must not be
    a GDAL pipeline (``gdal_streamed_alg``); binary formats must carry their signature.
    Other suffixes (CSV) are not checked here.
    """
    with open(path, "rb") as f:
        head = f.read(_JSON_SNIFF_BYTES if suffix in (".geojson", ".json") else 16)
    name = _FORMAT_NAMES.get(suffix, suffix)
    if suffix in (".geojson", ".json"):
        body = head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
        if not body.startswith(b"{"):
            found = ("an XML document (such as a GDAL VRT)" if body.startswith(b"<")
                     else "not JSON")
            raise InputFileError(f"{label}: not a {name} file: its content is {found}")
        if b"gdal_streamed_alg" in head:
            raise InputFileError(
                f"{label}: not a {name} file: it is a GDAL pipeline (GDALG), which is never run"
            )
        return
    magic = _MAGIC.get(suffix)
    if magic and not head.startswith(magic):
        found = "an XML document (such as a GDAL VRT)" if head.lstrip().startswith(b"<") \
            else "something else"
        raise InputFileError(f"{label}: not a {name} file: its content is {found}")


def check_driver(opened: str, suffix: str, *, label: str) -> None:
    """Refuse a file GDAL opened with another driver than the one of its extension."""
    expected = VECTOR_DRIVERS.get(suffix) or RASTER_DRIVERS.get(suffix)
    if expected is not None and opened != expected:
        raise InputFileError(
            f"{label}: GDAL reads this file as {opened}, not as {expected} as its extension "
            "says; refused"
        )


@dataclass(frozen=True)
class ZipLimits:
    """Most members and uncompressed bytes accepted in one zip archive."""

    max_bytes: int
    max_members: int

    @classmethod
    def from_env(cls) -> ZipLimits:
        """Limits from ``PEAKMAP_MAX_UNZIPPED_MB`` and ``PEAKMAP_MAX_ZIP_MEMBERS``."""
        try:
            mb = float(os.environ.get("PEAKMAP_MAX_UNZIPPED_MB", "1024"))
            members = int(os.environ.get("PEAKMAP_MAX_ZIP_MEMBERS", "1000"))
        except ValueError as e:
            raise InputFileError(
                f"PEAKMAP_MAX_UNZIPPED_MB / PEAKMAP_MAX_ZIP_MEMBERS: not a number ({e})"
            ) from e
        return cls(max_bytes=int(mb * 1024 * 1024), max_members=members)


def _declared_entries(path: Path) -> int | None:
    """Member count from the zip's end-of-central-directory record (None: no record)."""
    size = path.stat().st_size
    back = min(size, 0xFFFF + _EOCD_MIN)
    with open(path, "rb") as f:
        f.seek(size - back)
        tail = f.read(back)
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < _EOCD_MIN:
        return None
    total: int = struct.unpack_from("<H", tail, at + 10)[0]
    return total


@contextmanager
def zip_members_checked(path: Path, limits: ZipLimits, *, label: str
                        ) -> Iterator[zipfile.ZipFile]:
    """Open a zip whose central directory is within ``limits``.

    The member count is read from the end record before the directory is parsed; the
    declared uncompressed sizes are summed before anything is inflated.
    """
    entries = _declared_entries(path)
    if entries is None or not zipfile.is_zipfile(path):
        raise InputFileError(f"{label}: not a valid zip archive (corrupt or truncated)")
    if entries > limits.max_members or entries == 0xFFFF:
        raise InputFileError(
            f"{label}: the zip declares {entries if entries != 0xFFFF else 'over 65534'} "
            f"members; the limit is {limits.max_members} (PEAKMAP_MAX_ZIP_MEMBERS)"
        )
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > limits.max_members:
                raise InputFileError(
                    f"{label}: the zip holds {len(infos)} members; the limit is "
                    f"{limits.max_members} (PEAKMAP_MAX_ZIP_MEMBERS)")
            total = sum(i.file_size for i in infos)
            if total > limits.max_bytes:
                raise InputFileError(
                    f"{label}: the zip would inflate to {total / 2**20:,.0f} MiB; the limit is "
                    f"{limits.max_bytes / 2**20:,.0f} MiB (PEAKMAP_MAX_UNZIPPED_MB)")
            yield zf
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as e:
        raise InputFileError(f"{label}: the zip archive cannot be read ({e})") from e


def extract_zip_members(zf: zipfile.ZipFile, members: dict[str, str], dest: Path,
                        limits: ZipLimits, *, label: str) -> None:
    """Inflate ``members`` (member name → file name in ``dest``), counting every byte.

    Stops with an error as soon as a member yields more than its declared size, or all
    of them together more than ``limits.max_bytes``; a bad CRC, encryption or an unknown
    compression method is refused too.
    """
    budget = limits.max_bytes
    for member, out_name in members.items():
        info = zf.getinfo(member)
        written = 0
        try:
            with zf.open(info) as src, open(dest / out_name, "wb") as out:
                while chunk := src.read(_COPY_CHUNK):
                    written += len(chunk)
                    budget -= len(chunk)
                    if written > info.file_size:
                        raise InputFileError(
                            f"{label}: zip member {member} inflates past its declared size "
                            f"({info.file_size} bytes); refused")
                    if budget < 0:
                        raise InputFileError(
                            f"{label}: the zip inflates past the limit of "
                            f"{limits.max_bytes / 2**20:,.0f} MiB (PEAKMAP_MAX_UNZIPPED_MB); "
                            "refused")
                    out.write(chunk)
        except zipfile.BadZipFile as e:
            raise InputFileError(f"{label}: zip member {member} is corrupt ({e})") from e
        except (RuntimeError, NotImplementedError) as e:  # encrypted, unknown compression
            raise InputFileError(f"{label}: zip member {member} cannot be read ({e})") from e
        except (OSError, EOFError) as e:
            if isinstance(e, InputFileError):
                raise
            raise InputFileError(f"{label}: zip member {member} cannot be read ({e})") from e


def open_raster(path: Path, *, label: str) -> Any:
    """Open a raster for reading with the driver of its extension forced (a rasterio dataset).

    Raises
    ------
    InputFileError
        Not a regular file, an extension without a known raster format, wrong leading
        bytes, or a file GDAL cannot read.
    """
    import rasterio
    from rasterio.errors import RasterioError

    check_regular_file(path, label=label)
    suffix = path.suffix.lower()
    driver = RASTER_DRIVERS.get(suffix)
    if driver is None:
        known = " ".join(RASTER_DRIVERS)
        raise InputFileError(f"{label}: unknown raster format {suffix!r} (known: {known})")
    check_magic(path, suffix, label=label)
    try:
        return rasterio.open(path, driver=driver)
    except RasterioError as e:
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise InputFileError(f"{label}: cannot be read as a raster ({msg})") from e
