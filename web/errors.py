"""peakmap errors to HTTP responses, in one table (style.md #9).

Handlers never catch errors themselves: a :class:`~gis.PeakmapError` raised anywhere
becomes a JSON response ``{"detail": message, "error": class name}`` with the status from
:data:`STATUS_CODES` (the most specific class in the table wins).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from gis import CRSError, InputFileError, LayerValidationError, PeakmapError
from layers import ManifestError, StoreBusyError, StoreError

__all__ = [
    "STATUS_CODES",
    "NotFoundError",
    "UploadTooLargeError",
    "add_exception_handlers",
    "status_for",
]


class UploadTooLargeError(PeakmapError, ValueError):
    """An upload is larger than the configured limit."""


class NotFoundError(PeakmapError, LookupError):
    """A page or resource named in the URL does not exist (indicator id, layer name)."""


STATUS_CODES: dict[type[PeakmapError], int] = {
    UploadTooLargeError: 413,
    NotFoundError: 404,
    LayerValidationError: 422,
    CRSError: 422,
    InputFileError: 400,
    ManifestError: 422,
    StoreBusyError: 503,
    StoreError: 404,
    PeakmapError: 400,
}


def status_for(exc: PeakmapError) -> int:
    """Return the HTTP status of ``exc``: that of the first class in its MRO in the table.

    Examples
    --------
    >>> status_for(CRSError("x"))
    422
    """
    for cls in type(exc).__mro__:
        if cls in STATUS_CODES:
            return STATUS_CODES[cls]
    return STATUS_CODES[PeakmapError]


async def _handle(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PeakmapError)
    from layers.messages import message_label

    detail = str(exc)
    return JSONResponse(
        {"detail": detail, "detail_zh": message_label(detail, "zh"),
         "error": type(exc).__name__}, status_code=status_for(exc)
    )


def add_exception_handlers(app: FastAPI) -> None:
    """Register the table's handler on ``app`` for every peakmap error."""
    app.add_exception_handler(PeakmapError, _handle)
