"""Users, roles, login, CSRF, TrustedHost and the audit log (issue 13 item 3).

The project is the tiny ingest fixture of test_web_api; uploads replace ``green_spaces`` with
one 50 m × 50 m park, so an accepted upload is seen as one feature of 2,500 m².
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import pytest
from fixtures import ingest as fx
from fixtures.web import TestClient, build_fixture, digest, records_fn

from gis import PeakmapError
from web.app import create_app
from web.sessions import Sessions
from web.settings import WebSettings
from web.users import AuditLog, UserError, UserStore

ROOT = Path(__file__).resolve().parent.parent
PASSWORDS = {"vera": "viewer-pass-1", "ed": "editor-pass-1", "ada": "admin-pass-1"}
ROLES = {"vera": "viewer", "ed": "editor", "ada": "admin"}


def _park(tmp: Path) -> bytes:
    gdf = gpd.GeoDataFrame({"id": ["n1"], "类别": ["G2"]}, geometry=[fx._box(0, 0, 50, 50)],
                           crs=fx.GK)
    path = tmp / "park.gpkg"
    gdf.to_file(path, driver="GPKG")
    return path.read_bytes()


def _upload(client: TestClient, tmp: Path, **kw: object) -> int:
    r = client.post("/api/layers/green_spaces", files={"file": ("park.gpkg", _park(tmp))},
                    **kw)  # type: ignore[arg-type]
    return r.status_code


def _green_count(project: Path) -> int:
    return len(gpd.read_file(project / "build" / "peakmap.gpkg", layer="green_spaces"))


def _client(project: Path, **settings: object) -> TestClient:
    app = create_app(project, settings=WebSettings(**settings), records_fn=records_fn)
    return TestClient(app, follow_redirects=False)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return build_fixture(tmp_path / "proj")


@pytest.fixture
def tokens(project: Path) -> dict[str, str]:
    store = UserStore.for_project(project)
    return {name: store.add(name, ROLES[name], pw) for name, pw in PASSWORDS.items()}


# --- login-free loopback (no accounts): behaviour as before, plus CSRF and Host checks -------


def test_loopback_without_accounts_stays_login_free(project: Path, tmp_path: Path) -> None:
    client = _client(project)
    assert client.get("/api/layers").status_code == 200
    assert _upload(client, tmp_path) == 201  # curl-like: no Origin, no Sec-Fetch-Site
    assert _green_count(project) == 1


def test_cross_origin_form_post_is_refused(project: Path, tmp_path: Path) -> None:
    client = _client(project)
    before = digest(project / "build")
    for headers in ({"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"},
                    {"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "same-site"},
                    {"Origin": "null"}):
        r = client.post("/api/layers/green_spaces", headers=headers,
                        files={"file": ("park.gpkg", _park(tmp_path))})
        assert r.status_code == 403, (headers, r.text)
        assert r.json()["detail"].startswith("cross-site request refused")
    assert digest(project / "build") == before
    same = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
    assert _upload(client, tmp_path, headers=same) == 201


def test_trusted_origin_behind_a_reverse_proxy(project: Path, tmp_path: Path) -> None:
    """A proxy at https://peakmap.district.example passes requests on with Host 127.0.0.1."""
    proxied = {"Host": "127.0.0.1:8000", "Origin": "https://peakmap.district.example",
               "Sec-Fetch-Site": "same-origin"}
    before = digest(project / "build")
    r = _client(project).post("/api/layers/green_spaces", headers=proxied,
                              files={"file": ("park.gpkg", _park(tmp_path))})
    assert r.status_code == 403 and "https://peakmap.district.example" in r.json()["detail"]
    assert digest(project / "build") == before
    client = _client(project, trusted_origins="HTTPS://Peakmap.District.Example/, "
                                              "http://10.0.0.5:8080")
    for origin in ("https://evil.example", "http://peakmap.district.example",
                   "https://peakmap.district.example:8443"):
        r = client.post("/api/layers/green_spaces", headers={**proxied, "Origin": origin},
                        files={"file": ("park.gpkg", _park(tmp_path))})
        assert r.status_code == 403, origin  # scheme and port are part of an origin
    assert _upload(client, tmp_path, headers=proxied) == 201
    assert _green_count(project) == 1
    with pytest.raises(PeakmapError, match=r"PEAKMAP_TRUSTED_ORIGINS: 'peakmap\.example/x'"):
        _client(project, trusted_origins="peakmap.example/x")


def test_trusted_origins_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PEAKMAP_TRUSTED_ORIGINS", "https://a.example,https://b.example:444")
    assert WebSettings().trusted_origin_set() == {"https://a.example", "https://b.example:444"}


def test_untrusted_host_is_refused(project: Path) -> None:
    client = _client(project)
    assert client.get("/api/health", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/api/health", headers={"Host": "127.0.0.1:8000"}).status_code == 200
    assert client.get("/api/health", headers={"Host": "localhost:8000"}).status_code == 200
    shared = _client(project, allowed_hosts="planning-pc")
    assert shared.get("/api/health", headers={"Host": "planning-pc:8000"}).status_code == 200
    assert shared.get("/api/health", headers={"Host": "planning-pc.evil"}).status_code == 400


def test_non_loopback_needs_accounts(project: Path, tokens: dict[str, str]) -> None:
    (project / ".peakmap" / "users.json").unlink()
    with pytest.raises(PeakmapError, match=r"serving on 0\.0\.0\.0 \(not loopback\) needs "
                                           r"accounts"):
        create_app(project, settings=WebSettings(host="0.0.0.0"))
    res = subprocess.run([sys.executable, "-m", "peakmap", "serve", str(project), "--host",
                          "0.0.0.0", "--port", "1"], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT, timeout=300)
    assert res.returncode == 1
    (line,) = res.stderr.strip().splitlines()
    assert line == (f"错误：在 0.0.0.0（非本机地址）上提供服务需要账户：请先运行 'peakmap user add "
                    f"{project} NAME --role admin' 添加一个")  # Chinese first
    res = subprocess.run([sys.executable, "-m", "peakmap", "serve", str(project), "--host",
                          "0.0.0.0", "--port", "1", "--lang", "en"], capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT,
                         timeout=300)
    assert res.stderr.strip().startswith("error: serving on 0.0.0.0 (not loopback) needs accounts")


def test_non_loopback_with_accounts_needs_allowed_hosts(project: Path,
                                                         tokens: dict[str, str]) -> None:
    with pytest.raises(PeakmapError, match="PEAKMAP_ALLOWED_HOSTS"):
        create_app(project, settings=WebSettings(host="0.0.0.0", allowed_hosts=""))
    create_app(project, settings=WebSettings(host="0.0.0.0", allowed_hosts="planning-pc"))


# --- accounts: tokens, roles ------------------------------------------------------------


def test_accounts_are_stored_hashed(project: Path, tokens: dict[str, str]) -> None:
    text = (project / ".peakmap" / "users.json").read_text(encoding="utf-8")
    for name, pw in PASSWORDS.items():
        assert pw not in text and tokens[name] not in text
    stored = json.loads(text)["users"]
    assert {n: u["role"] for n, u in stored.items()} == ROLES
    assert all(u["password_hash"].startswith("$argon2id$") for u in stored.values())
    assert oct((project / ".peakmap" / "users.json").stat().st_mode & 0o777) == "0o600"


def test_bearer_tokens_and_roles(project: Path, tmp_path: Path, tokens: dict[str, str]) -> None:
    client = _client(project)
    assert client.get("/api/layers").status_code == 401
    r = client.get("/")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/"
    assert client.get("/api/health").status_code == 200  # public
    bad = {"Authorization": "Bearer not-a-token"}
    assert client.get("/api/layers", headers=bad).status_code == 401

    def auth(name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[name]}"}

    assert client.get("/api/layers", headers=auth("vera")).status_code == 200
    assert client.get("/api/layers/green_spaces/gpkg", headers=auth("vera")).status_code == 200
    before = digest(project / "build")
    assert _upload(client, tmp_path, headers=auth("vera")) == 403  # viewer cannot upload
    assert digest(project / "build") == before
    assert _upload(client, tmp_path, headers=auth("ed")) == 201
    assert _green_count(project) == 1
    assert client.get("/admin", headers=auth("ed")).status_code == 403
    assert client.get("/admin", headers=auth("ada")).status_code == 200


def _login(client: TestClient, name: str, password: str, next_url: str = "/") -> int:
    r = client.post("/login", data={"username": name, "password": password, "next": next_url})
    return r.status_code


def test_browser_login_session_and_csrf_token(project: Path, tmp_path: Path,
                                              tokens: dict[str, str]) -> None:
    client = _client(project)
    assert "密码 Password" in client.get("/login").text
    assert _login(client, "ed", "wrong-password") == 401
    r = client.post("/login", data={"username": "ed", "password": PASSWORDS["ed"],
                                    "next": "//evil.example/x"})
    assert r.status_code == 303 and r.headers["location"] == "/"  # never another site
    assert client.get("/api/layers").status_code == 200
    session = client.get("/api/session").json()
    assert (session["user"], session["role"], session["accounts"]) == ("ed", "editor", True)
    before = digest(project / "build")
    r = client.post("/api/layers/green_spaces", files={"file": ("park.gpkg", _park(tmp_path))})
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]  # the cookie alone is not enough
    wrong = {"X-CSRF-Token": "x" * 43}
    assert _upload(client, tmp_path, headers=wrong) == 403
    assert digest(project / "build") == before
    assert client.cookies.get("peakmap_csrf") == session["csrf_token"]
    assert _upload(client, tmp_path, headers={"X-CSRF-Token": session["csrf_token"]}) == 201
    # logging out ends the session
    client.post("/logout", headers={"X-CSRF-Token": session["csrf_token"]})
    assert client.get("/api/layers").status_code == 401


def test_sessions_survive_a_restart_and_are_stored_hashed(project: Path, tmp_path: Path,
                                                          tokens: dict[str, str]) -> None:
    first = _client(project)
    assert _login(first, "ed", PASSWORDS["ed"]) == 303
    sid = first.cookies.get("peakmap_session")
    csrf = first.get("/api/session").json()["csrf_token"]
    assert sid and csrf
    db = project / ".peakmap" / "sessions.sqlite"
    assert oct(db.stat().st_mode & 0o777) == "0o600"
    # the cookie's id is not in the file (only its SHA-256), in any table
    raw = b"".join(p.read_bytes() for p in db.parent.glob("sessions.sqlite*"))
    assert sid.encode() not in raw
    assert hashlib.sha256(sid.encode()).hexdigest().encode() in raw
    # a new server (restart, or another worker process) knows the session and its token
    second = _client(project)
    second.cookies.set("peakmap_session", sid)
    assert second.get("/api/layers").status_code == 200
    assert second.get("/api/session").json()["csrf_token"] == csrf
    assert _upload(second, tmp_path, headers={"X-CSRF-Token": csrf}) == 201
    # logging out in one ends it in the other
    second.post("/logout", headers={"X-CSRF-Token": csrf})
    assert first.get("/api/layers").status_code == 401


def test_sessions_expire_and_are_shared_across_processes(project: Path,
                                                         tokens: dict[str, str]) -> None:
    sessions = Sessions(project / ".peakmap" / "sessions.sqlite", hours=1.0)
    sid, sess = sessions.create("vera")
    code = (f"from web.sessions import Sessions; s = Sessions({str(sessions.path)!r}, 1.0)\n"
            f"got = s.get({sid!r}); print(got.user, got.csrf)\n"
            "s.failed('ada')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120, check=True)
    assert out.stdout.split() == ["vera", sess.csrf]
    # failed logins counted by another process count here: four more lock the name out
    for _ in range(4):
        sessions.failed("ada")
    assert sessions.locked_out("ada") and not sessions.locked_out("ed")
    # an expired session is refused and removed
    con = sqlite3.connect(sessions.path)
    con.execute("UPDATE sessions SET expires = ?", (time.time() - 1,))
    con.commit()
    con.close()
    assert sessions.get(sid) is None
    con = sqlite3.connect(sessions.path)
    assert con.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0
    con.close()


def test_kept_pages_are_still_behind_the_login(project: Path, tokens: dict[str, str]) -> None:
    """web.cache keeps answers per data version, after the login check: never for strangers."""
    client = _client(project)
    assert _login(client, "vera", PASSWORDS["vera"]) == 303
    assert client.get("/api/layers").status_code == 200  # now kept
    assert client.get("/maps/layers").status_code == 200
    same_app = TestClient(client.app, follow_redirects=False)
    assert same_app.get("/api/layers").status_code == 401
    assert same_app.get("/maps/layers").status_code == 303  # to /login
    bearer = {"Authorization": f"Bearer {tokens['vera']}"}
    assert same_app.get("/api/layers", headers=bearer).status_code == 200


def test_removed_account_loses_its_session(project: Path, tokens: dict[str, str]) -> None:
    client = _client(project)
    assert _login(client, "vera", PASSWORDS["vera"]) == 303
    assert client.get("/api/layers").status_code == 200
    UserStore.for_project(project).remove("vera")
    assert client.get("/api/layers").status_code == 401


def test_repeated_failed_logins_are_locked_out(project: Path, tokens: dict[str, str]) -> None:
    client = _client(project)
    assert [_login(client, "ada", f"wrong-{i}") for i in range(5)] == [401] * 5
    assert _login(client, "ada", PASSWORDS["ada"]) == 429  # even the right password, for 5 min


def test_audit_log_is_appended_and_shown_to_admins(project: Path, tmp_path: Path,
                                                   tokens: dict[str, str]) -> None:
    client = _client(project)
    ed = {"Authorization": f"Bearer {tokens['ed']}"}
    vera = {"Authorization": f"Bearer {tokens['vera']}"}
    assert _upload(client, tmp_path, headers=ed) == 201
    log = project / ".peakmap" / "audit.jsonl"
    first = log.read_text(encoding="utf-8")
    assert _upload(client, tmp_path, headers=vera) == 403
    assert _login(client, "ada", "nope-nope") == 401
    text = log.read_text(encoding="utf-8")
    assert text.startswith(first)  # appended, earlier lines untouched
    entries = [json.loads(line) for line in text.splitlines()]
    got = [(e["user"], e["action"], e["target"], e["status"]) for e in entries]
    assert got == [("ed", "POST", "/api/layers/green_spaces", 201),
                   ("vera", "POST", "/api/layers/green_spaces", "403 needs editor"),
                   ("ada", "login", "/login", "failed")]
    assert all(e["time"].endswith("+00:00") and e["client"] for e in entries)
    page = client.get("/admin", headers={"Authorization": f"Bearer {tokens['ada']}"}).text
    assert "审计日志 Audit log" in page and "403 needs editor" in page
    assert page.index("failed") < page.index("403 needs editor")  # newest first


def test_user_store_refusals(project: Path) -> None:
    store = UserStore.for_project(project)
    store.add("ed", "editor", "long-enough")
    with pytest.raises(UserError, match="exists already"):
        store.add("ed", "viewer", "long-enough")
    with pytest.raises(UserError, match="at least 8"):
        store.add("bo", "viewer", "short")
    with pytest.raises(UserError, match="not one of viewer, editor, admin"):
        store.add("bo", "root", "long-enough")
    with pytest.raises(UserError, match="account name"):
        store.add("a b", "viewer", "long-enough")
    assert AuditLog.for_project(project).entries() == []


def _cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "peakmap", *args], input=stdin,
                          capture_output=True, text=True, cwd=ROOT, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"})


def test_cli_user_add_list_remove(project: Path) -> None:
    res = _cli("user", "add", str(project), "王工", "--role", "editor", "--password-stdin",
               stdin="a-good-password\n")
    assert res.returncode == 0, res.stderr
    token = res.stdout.strip().splitlines()[-1].rsplit(" ", 1)[1]
    assert UserStore.for_project(project).user_for_token(token).name == "王工"  # type: ignore[union-attr]
    assert UserStore.for_project(project).check_password("王工", "a-good-password") is not None
    res = _cli("user", "add", str(project), "王工", "--password-stdin", stdin="another-one\n")
    assert res.returncode == 1
    assert res.stderr.strip() == "错误：账户 王工 已存在（请先删除）"
    res = _cli("user", "add", str(project), "王工", "--password-stdin", "--lang", "en",
               stdin="another-one\n")
    assert res.stderr.strip() == "error: account 王工 exists already (remove it first)"
    listed = _cli("user", "list", str(project)).stdout.strip().split("\t")
    assert listed[:2] == ["王工", "editor"]
    res = _cli("user", "remove", str(project), "王工")
    assert (res.returncode, res.stdout.strip()) == (0, "账户 王工 已删除")
    res = _cli("user", "remove", str(project), "王工")
    assert res.returncode == 1 and res.stderr.strip() == "错误：没有账户 '王工'（现有账户：无）"
    res = _cli("user", "list", str(project), "--lang", "en")
    assert res.stdout.strip() == "no accounts: the server is login-free and serves loopback only"
    audit = [(e["action"], e["target"]) for e in AuditLog.for_project(project).entries()]
    assert audit == [("user remove", "王工"), ("user add", "王工")]
