"""peakmap errors to HTTP responses, in one table (style.md #9).

Handlers never catch errors themselves: a :class:`~gis.PeakmapError` raised anywhere
becomes a response with the status from :data:`STATUS_CODES` (the most specific class in
the table wins). Under ``/api`` it is JSON ``{"detail": message, "detail_zh": ...,
"error": class name}``; elsewhere (pages and map downloads a planner opens in a browser) a
small bilingual HTML page with the message and a link back to the dashboard.

A request FastAPI cannot validate (a missing or bad query parameter, form field or path
part) is answered the same way with status 422 and one message naming the parameter and
the values it takes (:func:`validation_message`), never pydantic's raw error list; a page
that does not exist is the same page with status 404.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response

from gis import CRSError, InputFileError, LayerValidationError, PeakmapError
from layers import ManifestError, StoreBusyError, StoreError

__all__ = [
    "STATUS_CODES",
    "NotFoundError",
    "UploadTooLargeError",
    "add_exception_handlers",
    "status_for",
    "validation_message",
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


# Where a parameter comes from, as the message names it (English, Chinese).
_WHERE = {"query": ("query parameter", "查询参数"), "path": ("URL part", "网址路径参数"),
          "body": ("form field", "表单字段"), "header": ("header", "请求头"),
          "cookie": ("cookie", "Cookie")}
_BOUNDS = {"greater_than_equal": ("ge", "≥"), "greater_than": ("gt", ">"),
           "less_than_equal": ("le", "≤"), "less_than": ("lt", "<")}


def _one(error: dict[str, Any]) -> tuple[str, str, str]:
    """(parameter name, English, Chinese) of one pydantic error."""
    loc = [str(x) for x in error.get("loc", ())]
    source, name = (loc[0], loc[-1]) if len(loc) > 1 else ("query", loc[0] if loc else "?")
    where_en, where_zh = _WHERE.get(source, (source, source))
    kind = str(error.get("type", ""))
    got = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return name, f"{where_en} {name!r} is missing", f"缺少{where_zh} {name}"
    head_en, head_zh = f"{where_en} {name!r}: {str(got)!r} is not allowed", \
        f"{where_zh} {name} 的值 {str(got)!r} 无效"
    if kind in ("literal_error", "enum"):
        allowed = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return (name, f"{head_en}; choose one of {', '.join(allowed)}",
                f"{head_zh}；可选值：{'、'.join(allowed)}")
    if kind == "bool_parsing":
        return name, f"{head_en}; choose true or false", f"{head_zh}；可选值：true、false"
    if kind in _BOUNDS:
        key, sign = _BOUNDS[kind]
        return (name, f"{head_en}; it must be {sign} {ctx.get(key)}",
                f"{head_zh}；须 {sign} {ctx.get(key)}")
    if kind == "string_too_long":
        most = ctx.get("max_length")
        return (name, f"{head_en}; it must be at most {most} characters",
                f"{head_zh}；至多 {most} 个字符")
    if kind.startswith("int_"):
        return name, f"{head_en}; it must be a whole number", f"{head_zh}；须为整数"
    if kind.startswith("float_"):
        return name, f"{head_en}; it must be a number", f"{head_zh}；须为数字"
    msg = str(error.get("msg", kind))
    return name, f"{head_en}: {msg}", f"{head_zh}：{msg}"


def validation_message(errors: Sequence[dict[str, Any]]) -> tuple[list[str], str, str]:
    """One message, English and Chinese, for FastAPI's request validation errors.

    Parameters
    ----------
    errors : sequence of dict
        ``RequestValidationError.errors()``: pydantic's ``type``, ``loc``, ``input``, ``ctx``.

    Returns
    -------
    names : list of str
        The parameters at fault, in order.
    english, chinese : str
        One sentence per parameter, joined with ``"; "`` / ``"；"``.

    Examples
    --------
    >>> validation_message([{"type": "literal_error", "loc": ("query", "level"),
    ...     "input": "city", "ctx": {"expected": "'district', 'street' or 'community'"}}])[1]
    "query parameter 'level': 'city' is not allowed; choose one of district, street, community"
    >>> validation_message([{"type": "missing", "loc": ("query", "indicator")}])[2]
    '缺少查询参数 indicator'
    """
    parts = [_one(dict(e)) for e in errors] or [("?", "bad request", "请求无效")]
    return ([p[0] for p in parts], "; ".join(p[1] for p in parts),
            "；".join(p[2] for p in parts))


def _is_api(request: Request) -> bool:
    path = request.url.path
    return path == "/api" or path.startswith("/api/")


def _page(request: Request, status: int, english: str, chinese: str) -> HTMLResponse:
    """The error page of a page request: Chinese first, English under it.

    An English page (``?lang=en``) is English only.
    """
    lang = "en" if request.query_params.get("lang") == "en" else "zh"
    title_zh, title_en = (("请求参数有误", "Bad request parameter") if status == 422 else
                          ("未找到", "Not found") if status == 404 else
                          ("无法完成请求", "The request cannot be done"))
    lines = [f'<p lang="zh-CN">{html.escape(chinese)}</p>'] if chinese != english else []
    lines.append(f'<p lang="en">{html.escape(english)}</p>')
    heading, back = f"{title_zh} / {title_en}", "返回指标总览 / Back to the dashboard"
    if lang == "en":  # an English page is English only; a Chinese one keeps the original
        lines, heading, back = lines[-1:], title_en, "Back to the dashboard"
    body = (
        f'<!DOCTYPE html><html lang="{"en" if lang == "en" else "zh-CN"}"><head>'
        '<meta charset="utf-8"><meta name="viewport" content="width=device-width, '
        f'initial-scale=1"><title>{status} {heading} — peakmap</title>'
        '<link rel="icon" href="data:,">'
        '<link rel="stylesheet" href="/static/peakmap/peakmap.css"></head><body>'
        f'<div class="pm-page" style="padding-top:16px"><h1 class="pm-h">{heading} '
        f'({status})</h1><div class="pm-note pm-error">{"".join(lines)}</div>'
        f'<p><a id="pm-back" href="/?lang={lang}">{back}</a>'
        "</p></div></body></html>")
    return HTMLResponse(body, status_code=status)


async def _handle(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PeakmapError)
    from layers.messages import message_label

    detail = str(exc)
    detail_zh = message_label(detail, "zh")
    if not _is_api(request):
        return _page(request, status_for(exc), detail, detail_zh)
    return JSONResponse({"detail": detail, "detail_zh": detail_zh,
                         "error": type(exc).__name__}, status_code=status_for(exc))


async def _handle_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    names, english, chinese = validation_message(exc.errors())
    if not _is_api(request):
        return _page(request, 422, english, chinese)
    return JSONResponse({"detail": english, "detail_zh": chinese, "fields": names,
                         "error": "RequestValidationError"}, status_code=422)


async def _handle_http(request: Request, exc: Exception) -> Response:
    """A page that does not exist (a mistyped link): the same page, 404; else FastAPI's."""
    from fastapi.exception_handlers import http_exception_handler
    from starlette.exceptions import HTTPException

    assert isinstance(exc, HTTPException)
    if exc.status_code == 404 and not _is_api(request):
        return _page(request, 404, f"no page at {request.url.path}",
                     f"没有此页面：{request.url.path}")
    return await http_exception_handler(request, exc)


def add_exception_handlers(app: FastAPI) -> None:
    """Register the table's handler on ``app`` for every peakmap error and bad request."""
    from starlette.exceptions import HTTPException

    app.add_exception_handler(PeakmapError, _handle)
    app.add_exception_handler(RequestValidationError, _handle_validation)
    app.add_exception_handler(HTTPException, _handle_http)
