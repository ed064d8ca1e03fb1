"""Who may do what on a peakmap server: login, roles, CSRF refusal and the audit log.

Without accounts (the default) a server bound to loopback stays login-free, as before; once
``peakmap user add`` created an account, every request except the login page, static files
and ``/api/health`` needs one:

- browsers log in on ``/login`` and get a session cookie (HttpOnly, SameSite=Strict) and a
  CSRF token (``GET /api/session``, and the readable cookie ``peakmap_csrf``) that every
  state-changing request must send back in the ``X-CSRF-Token`` header;
- scripts send ``Authorization: Bearer <token>`` (the token printed by ``peakmap user add``).

Roles: GET/HEAD need ``viewer``; any other method needs ``editor``; ``/admin`` needs
``admin``. Whatever the mode, a state-changing request whose ``Sec-Fetch-Site`` is not
``same-origin``/``none`` or whose ``Origin`` is another site is refused with 403 (curl and
scripts send neither header and stay allowed). Every state-changing request is written to the
append-only audit log with its user and outcome.
"""

from __future__ import annotations

import html
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from web.sessions import Session, Sessions
from web.users import ROLES, AuditLog, UserStore, role_at_least

__all__ = ["AuthMiddleware", "Session", "Sessions", "router"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SESSION_COOKIE = "peakmap_session"
CSRF_COOKIE = "peakmap_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC_PREFIXES = ("/static/", "/login", "/api/health", "/favicon.ico")

router = APIRouter(tags=["auth"])


def _cookies(headers: dict[bytes, bytes]) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(headers.get(b"cookie", b"").decode("latin-1"))
    except Exception:  # a malformed Cookie header counts as no cookie
        return {}
    return {k: m.value for k, m in jar.items()}


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else ""


def normalise_origin(text: str) -> str:
    """``scheme://host[:port]`` in lower case, without a path or trailing slash.

    Examples
    --------
    >>> normalise_origin("HTTPS://Peakmap.Example.CN/")
    'https://peakmap.example.cn'
    """
    parts = urlsplit(text.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}" if parts.netloc else ""


def cross_site_reason(method: str, headers: dict[bytes, bytes],
                      trusted_origins: frozenset[str] = frozenset()) -> str | None:
    """Why a state-changing request comes from another site, or None when it does not.

    An ``Origin`` is this server's when its host is the request's ``Host``, or when it is one
    of ``trusted_origins`` (``PEAKMAP_TRUSTED_ORIGINS``: the address planners open behind a
    reverse proxy, which may pass the request on with another ``Host``).

    Examples
    --------
    >>> cross_site_reason("POST", {b"host": b"127.0.0.1:8000",
    ...                            b"origin": b"http://evil.example"})
    'Origin http://evil.example is not this server (127.0.0.1:8000)'
    >>> cross_site_reason("POST", {b"host": b"127.0.0.1:8000"}) is None
    True
    >>> cross_site_reason("POST", {b"host": b"127.0.0.1:8000",
    ...                            b"origin": b"https://plan.example"},
    ...                   frozenset({"https://plan.example"})) is None
    True
    """
    if method in SAFE_METHODS:
        return None
    site = headers.get(b"sec-fetch-site", b"").decode("latin-1").lower()
    if site and site not in ("same-origin", "none"):
        return f"Sec-Fetch-Site: {site}"
    origin = headers.get(b"origin")
    if origin is not None:
        text = origin.decode("latin-1")
        host = headers.get(b"host", b"").decode("latin-1").lower()
        if text == "null":
            return f"Origin {text} is not this server ({host})"
        if urlsplit(text).netloc.lower() != host and \
                normalise_origin(text) not in trusted_origins:
            return f"Origin {text} is not this server ({host})"
    return None


class AuthMiddleware:
    """Enforce login, roles and CSRF; write state-changing requests to the audit log.

    Parameters
    ----------
    app : ASGI application
    users : UserStore
    sessions : Sessions
    audit : AuditLog
    trusted_origins : frozenset of str, optional
        Origins (``https://host[:port]``) accepted besides the request's own ``Host``.
    """

    def __init__(self, app: ASGIApp, *, users: UserStore, sessions: Sessions,
                 audit: AuditLog, trusted_origins: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.trusted_origins = trusted_origins
        self.users = users
        self.sessions = sessions
        self.audit = audit

    async def _deny(self, scope: Scope, send: Send, status: int, detail: str) -> None:
        path = scope.get("path", "")
        if status == 401 and scope.get("method") == "GET" and not path.startswith("/api"):
            qs = scope.get("query_string", b"").decode("latin-1")
            target = path + (f"?{qs}" if qs else "")
            response: Response = RedirectResponse(f"/login?next={quote(target)}", 303)
        else:
            response = JSONResponse({"detail": detail, "error": "AuthError"}, status)
            if status == 401:
                response.headers["www-authenticate"] = "Bearer"
        await response(scope, _no_receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the request, then pass it on (ASGI entry point)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        path = scope.get("path", "")
        headers = dict(scope.get("headers") or [])
        reason = cross_site_reason(method, headers, self.trusted_origins)
        if reason is not None:
            self.audit.append(user="-", action=method, target=path,
                              status="403 cross-site", client=_client(scope))
            await self._deny(scope, send, 403, f"cross-site request refused ({reason})")
            return

        name, via, sess = None, "", None
        auth = headers.get(b"authorization", b"").decode("latin-1")
        if auth.lower().startswith("bearer "):
            user = self.users.user_for_token(auth[7:].strip())
            if user is None:
                await self._deny(scope, send, 401, "invalid API token")
                return
            name, role, via = user.name, user.role, "token"
        else:
            sess = self.sessions.get(_cookies(headers).get(SESSION_COOKIE))
            user = self.users.users().get(sess.user) if sess else None
            if user is not None:
                name, role, via = user.name, user.role, "session"
        required = self.users.any()
        if name is None:
            role = "admin" if not required else ""  # login-free loopback mode
        scope.setdefault("state", {})["user"] = name
        scope["state"]["role"] = role

        public = path.startswith(PUBLIC_PREFIXES)
        if required and not public:
            if name is None:
                await self._deny(scope, send, 401, "log in first (or send a Bearer token)")
                return
            needed = ("admin" if path.startswith("/admin") else
                      "viewer" if method in SAFE_METHODS or path == "/logout" else "editor")
            if not role_at_least(role, needed):
                self.audit.append(user=name, action=method, target=path,
                                  status=f"403 needs {needed}", client=_client(scope))
                await self._deny(scope, send, 403, f"{name} is {role}; this needs {needed}")
                return
            if via == "session" and method not in SAFE_METHODS and sess is not None:
                sent = headers.get(CSRF_HEADER.encode(), b"").decode("latin-1") or \
                    parse_qs(scope.get("query_string", b"").decode("latin-1")).get(
                        "csrf_token", [""])[0]
                if not secrets.compare_digest(sent, sess.csrf):
                    await self._deny(scope, send, 403, "missing or wrong CSRF token "
                                     "(send the X-CSRF-Token header)")
                    return

        status: list[int] = []

        async def send_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(int(message["status"]))
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            if method not in SAFE_METHODS and path != "/login":
                self.audit.append(user=name or "local", action=method, target=path,
                                  status=status[0] if status else "error",
                                  client=_client(scope))


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


# --- pages ------------------------------------------------------------------------------


_PAGE = """<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<link rel="icon" href="data:,"><style>
body{{font-family:"WenQuanYi Micro Hei","Microsoft YaHei",sans-serif;margin:2rem;color:#222}}
form{{max-width:22rem}} label{{display:block;margin:.8rem 0 .2rem}}
input{{width:100%;padding:.4rem;font-size:1rem}} button{{margin-top:1rem;padding:.4rem 1.2rem}}
.err{{color:#b00020}} table{{border-collapse:collapse}} td,th{{border:1px solid #ccc;
padding:.2rem .5rem;text-align:left;font-size:.9rem}}</style></head><body>{body}</body></html>"""


def _safe_next(target: str | None) -> str:
    """A local path to go to after login (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _login_page(next_url: str, error: str = "") -> str:
    """The login form: Chinese with English beside it.

    English only when the page asked for (``next`` carries ``lang=en``); ``error`` is
    ``中文 / English``.
    """
    en = parse_qs(urlsplit(_safe_next(next_url)).query).get("lang") == ["en"]
    if en:
        error = error.split(" / ", 1)[-1]
    words = (("Log in", "User name", "Password", "Log in") if en else
             ("登录 <small>Log in</small>", "用户名 User name", "密码 Password", "登录 Log in"))
    err = f'<p class="err" role="alert">{html.escape(error)}</p>' if error else ""
    body = (f"<h1>peakmap {words[0]}</h1>{err}"
            '<form method="post" action="/login">'
            f'<input type="hidden" name="next" value="{html.escape(_safe_next(next_url))}">'
            f'<label for="username">{words[1]}</label>'
            '<input id="username" name="username" autocomplete="username" required>'
            f'<label for="password">{words[2]}</label>'
            '<input id="password" name="password" type="password" '
            'autocomplete="current-password" required>'
            f'<button type="submit">{words[3]}</button></form>')
    return _PAGE.format(title="peakmap " + ("Log in" if en else "登录 Log in"), body=body,
                        lang="en" if en else "zh")


def _state(request: Request) -> tuple[UserStore, Sessions, AuditLog]:
    st = request.app.state
    return st.users, st.sessions, st.audit


@router.get("/login", include_in_schema=False)
def login_page(next: str = "/") -> HTMLResponse:
    """The login form (Chinese first, English beside it; English only for ``next=…lang=en``)."""
    return HTMLResponse(_login_page(next))


@router.post("/login", include_in_schema=False)
def login(request: Request, username: str = Form(""), password: str = Form(""),
          next: str = Form("/")) -> Response:
    """Check the password; on success set the session and CSRF cookies and go on."""
    users, sessions, audit = _state(request)
    client = request.client.host if request.client else ""
    if sessions.locked_out(username):
        audit.append(user=username, action="login", target="/login", status="locked",
                     client=client)
        return HTMLResponse(_login_page(next, "登录失败次数过多，请 5 分钟后再试 / too many "
                                        "failed logins, try again in 5 minutes"), 429)
    user = users.check_password(username, password)
    if user is None:
        sessions.failed(username)
        audit.append(user=username, action="login", target="/login", status="failed",
                     client=client)
        return HTMLResponse(_login_page(next, "用户名或密码错误 / wrong user name or password"),
                            401)
    sid, sess = sessions.create(user.name)
    audit.append(user=user.name, action="login", target="/login", status="ok", client=client)
    response = RedirectResponse(_safe_next(next), 303)
    secure = request.url.scheme == "https"
    max_age = int(sessions.ttl)
    response.set_cookie(SESSION_COOKIE, sid, max_age=max_age, httponly=True,
                        samesite="strict", secure=secure)
    response.set_cookie(CSRF_COOKIE, sess.csrf, max_age=max_age, httponly=False,
                        samesite="strict", secure=secure)
    return response


@router.post("/logout", include_in_schema=False)
def logout(request: Request) -> Response:
    """End the browser's session."""
    _, sessions, _ = _state(request)
    sessions.drop(request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", 303)
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)
    return response


@router.get("/api/session", tags=["api"])
def session_info(request: Request) -> dict[str, Any]:
    """Who is asking: account, role, whether accounts are on, the session's CSRF token."""
    users, sessions, _ = _state(request)
    sess = sessions.get(request.cookies.get(SESSION_COOKIE))
    return {"user": request.scope.get("state", {}).get("user"),
            "role": request.scope.get("state", {}).get("role") or None,
            "accounts": users.any(), "csrf_token": sess.csrf if sess else None}


@router.get("/admin", include_in_schema=False)
def admin_page(request: Request) -> HTMLResponse:
    """Accounts and the audit log, newest first (admin only)."""
    users, _, audit = _state(request)
    esc = html.escape
    urows = "".join(f"<tr><td>{esc(u.name)}</td><td>{esc(u.role)}</td><td>{esc(u.created)}"
                    "</td></tr>" for u in users.users().values())
    arows = "".join(
        "<tr>" + "".join(f"<td>{esc(str(e.get(k, '')))}</td>"
                         for k in ("time", "user", "action", "target", "status", "client"))
        + "</tr>" for e in audit.entries())
    body = ("<h1>管理 <small>Admin</small></h1>"
            f"<h2>账户 Accounts</h2><p>角色 roles: {', '.join(ROLES)}; 用 "
            "<code>peakmap user add|remove|list</code> 管理 / managed with the CLI.</p>"
            f"<table><tr><th>用户 user</th><th>角色 role</th><th>创建 created (UTC)</th></tr>"
            f"{urows}</table><h2>审计日志 Audit log</h2><table><tr><th>时间 time (UTC)</th>"
            "<th>用户 user</th><th>操作 action</th><th>对象 target</th><th>结果 status</th>"
            f"<th>地址 client</th></tr>{arows}</table>")
    return HTMLResponse(_PAGE.format(title="peakmap 管理 Admin", body=body, lang="zh"))

