"""Rendered pages and API reads kept until the project's data changes.

Every page and every JSON/GeoJSON read of the app depends only on its path, its query
string and the project's data (store, manifest, catalogs, the indicator records shown):
never on who asks (roles decide *whether* a request is answered, checked before this
middleware, not what the answer holds). A dashboard or a map page costs 40–350 ms of
CPU-bound Python to render, and 60 planners ask for the same few pages, so the first
answer for a given data version is kept and replayed until the version changes (an
upload, a rebuild, new indicator records, an edited catalog).

When several requests for the same uncached answer arrive together (after an upload
every open dashboard reloads), one renders it and the others wait for its answer instead
of rendering it again ("single flight").

Only ``GET`` answers with status 200, no ``Set-Cookie`` and no download
(``Content-Disposition``) are kept, for the paths in :data:`CACHED_PREFIXES`; the total
size is bounded (least recently used answers go first).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, MutableMapping
from dataclasses import dataclass
from typing import Any

__all__ = ["CACHED_PREFIXES", "ResponseCacheMiddleware"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Pages and reads whose answer is a function of (path, query, data version).
CACHED_EXACT = frozenset({"/", "/scenario", "/api/indicators", "/api/layers",
                          "/api/compare", "/api/proposals"})
CACHED_PREFIXES = ("/maps/", "/api/layers/", "/api/basemap")
NOT_CACHED_SUFFIXES = (".pdf", ".png", ".gpkg", ".xlsx", ".csv", "/gpkg")
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
MAX_ENTRY_BYTES = 8 * 1024 * 1024


def cacheable_path(path: str) -> bool:
    """Whether answers for ``path`` may be kept.

    Examples
    --------
    >>> cacheable_path("/maps/layers"), cacheable_path("/api/health")
    (True, False)
    >>> cacheable_path("/api/layers/roads/gpkg"), cacheable_path("/maps/indicator.pdf")
    (False, False)
    """
    if path.endswith(NOT_CACHED_SUFFIXES):
        return False
    return path in CACHED_EXACT or path.startswith(CACHED_PREFIXES)


@dataclass(frozen=True)
class _Answer:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


class ResponseCacheMiddleware:
    """Keep and replay answers per (path, query, data version).

    Parameters
    ----------
    app : ASGI application
    version : callable
        Returns a hashable value that changes whenever the data behind any answer changes
        (:meth:`web.data.ProjectData.version`); cheap, called once per request.
    max_bytes : int, default 64 MiB
        Total size of the kept bodies.
    """

    def __init__(self, app: ASGIApp, *, version: Callable[[], Hashable],
                 max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.app = app
        self.version = version
        self.max_bytes = max_bytes
        self._items: OrderedDict[Hashable, _Answer] = OrderedDict()
        self._size = 0
        self._flights: dict[Hashable, asyncio.Future[_Answer | None]] = {}
        self.hits = 0
        self.misses = 0

    def _get(self, key: Hashable) -> _Answer | None:
        answer = self._items.get(key)
        if answer is not None:
            self._items.move_to_end(key)
        return answer

    def _put(self, key: Hashable, answer: _Answer) -> None:
        if len(answer.body) > MAX_ENTRY_BYTES:
            return
        old = self._items.pop(key, None)
        if old is not None:
            self._size -= len(old.body)
        self._items[key] = answer
        self._size += len(answer.body)
        while self._size > self.max_bytes and self._items:
            _, gone = self._items.popitem(last=False)
            self._size -= len(gone.body)

    @staticmethod
    async def _replay(answer: _Answer, send: Send) -> None:
        await send({"type": "http.response.start", "status": answer.status,
                    "headers": list(answer.headers)})
        await send({"type": "http.response.body", "body": answer.body, "more_body": False})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer from the cache, or pass the request on and keep its answer."""
        if (scope["type"] != "http" or scope.get("method") != "GET"
                or not cacheable_path(scope.get("path", ""))):
            await self.app(scope, receive, send)
            return
        key = (scope["path"], scope.get("query_string", b""), self.version())
        answer = self._get(key)
        if answer is None and key in self._flights:
            answer = await asyncio.shield(self._flights[key])
            if answer is None:  # the first one's answer is not kept: render this one
                await self.app(scope, receive, send)
                return
        if answer is not None:
            self.hits += 1
            await self._replay(answer, send)
            return
        self.misses += 1
        flight: asyncio.Future[_Answer | None] = asyncio.get_running_loop().create_future()
        self._flights[key] = flight
        start: Message = {}
        chunks: list[bytes] = []
        complete = False

        async def keep(message: Message) -> None:
            nonlocal complete
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(bytes(message.get("body", b"")))
                complete = not message.get("more_body", False)
            await send(message)

        result: _Answer | None = None
        try:
            await self.app(scope, receive, keep)
            headers = [(bytes(k).lower(), bytes(v)) for k, v in start.get("headers", [])]
            names = {k for k, _ in headers}
            if (complete and start.get("status") == 200
                    and b"set-cookie" not in names and b"content-disposition" not in names):
                result = _Answer(200, headers, b"".join(chunks))
                self._put(key, result)
        finally:
            self._flights.pop(key, None)
            if not flight.done():
                flight.set_result(result)
