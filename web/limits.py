"""Request-body limit counted as the bytes arrive (pure ASGI middleware).

Starlette parses a multipart upload into a temporary file *before* a handler runs, so a
handler that counts the bytes it copies is too late: a chunked request without a
``Content-Length`` would already have filled the disk. :class:`BodyLimitMiddleware` counts
the body while the server receives it and stops reading at the limit, answering 413.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = ["BodyLimitMiddleware", "too_large_body"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


class _BodyTooLargeError(Exception):
    """Raised inside the app's ``receive`` once the body passed the limit."""


def too_large_body(limit_mb: float) -> bytes:
    """The JSON body of the 413 answer."""
    return json.dumps(
        {"detail": f"upload larger than the limit of {limit_mb:g} MiB (PEAKMAP_MAX_UPLOAD_MB)",
         "error": "UploadTooLargeError"}, ensure_ascii=False).encode("utf-8")


class BodyLimitMiddleware:
    """Refuse request bodies over ``limit_bytes`` with 413, reading no more than that.

    A declared ``Content-Length`` over the limit is refused before any byte is read; a
    chunked body is counted message by message and cut as soon as it passes the limit
    (the app's own answer to the broken body is replaced by the 413).

    Parameters
    ----------
    app : ASGI application
    limit_bytes : int
        Largest accepted body.
    limit_mb : float
        The same limit in MiB, for the message.
    """

    def __init__(self, app: ASGIApp, *, limit_bytes: int, limit_mb: float) -> None:
        self.app = app
        self.limit = limit_bytes
        self.limit_mb = limit_mb

    async def _refuse(self, send: Send) -> None:
        body = too_large_body(self.limit_mb)
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on with its body counted (ASGI entry point)."""
        if scope["type"] != "http" or scope.get("method") not in _WITH_BODY:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length", b"").strip()
        if declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send)
            return
        received = 0
        exceeded = False
        started = False

        async def counted_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                raise _BodyTooLargeError
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    exceeded = True
                    raise _BodyTooLargeError
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # the app's answer to the cut body is replaced by the 413
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await self._refuse(send)
