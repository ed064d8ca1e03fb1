"""``peakmap user add|remove|list PROJECT``: accounts of a shared server (web/users.py)."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Annotated

import typer

from peakmap.console import Lang, lang_option
from web.users import AuditLog, UserStore

__all__ = ["register"]

user_app = typer.Typer(
    help="账户管理 — accounts of a shared server (viewer / editor / admin).",
    no_args_is_help=True,
)

ProjectArg = Annotated[Path, typer.Argument(help="Project directory")]
NameArg = Annotated[str, typer.Argument(help="Account name")]


def _stores(project: Path) -> tuple[UserStore, AuditLog]:
    from layers.project import Project

    root = Project(project).root  # a project directory with a manifest, or a one-line error
    return UserStore.for_project(root), AuditLog.for_project(root)


def _who() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


@user_app.command("add")
def add(
    project: ProjectArg,
    name: NameArg,
    role: Annotated[str, typer.Option(help="viewer (read), editor (upload, site) or admin")
                    ] = "viewer",
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="read the password from the first line of stdin")] = False,
    lang: Annotated[Lang, lang_option()] = Lang.zh,
) -> None:
    """Create an account; prints its API token once (for scripts: Authorization: Bearer)."""
    users, audit = _stores(project)
    en = lang is Lang.en
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt(f"password for {name}" if en else f"{name} 的密码",
                                hide_input=True, confirmation_prompt=True)
    token = users.add(name, role, password)
    audit.append(user=_who(), action="user add", target=name, status=role)
    if en:
        typer.echo(f"account {name} ({role}) added to {users.path}")
        typer.echo(f"API token (shown once; send as 'Authorization: Bearer <token>'): {token}")
    else:
        typer.echo(f"账户 {name}（{role}）已添加到 {users.path}")
        typer.echo(f"API 令牌（只显示这一次；以 'Authorization: Bearer <令牌>' 发送）: {token}")


@user_app.command("remove")
def remove(project: ProjectArg, name: NameArg,
           lang: Annotated[Lang, lang_option()] = Lang.zh) -> None:
    """Delete an account; its browser sessions end at their next request."""
    users, audit = _stores(project)
    users.remove(name)
    audit.append(user=_who(), action="user remove", target=name, status="ok")
    typer.echo(f"account {name} removed" if lang is Lang.en else f"账户 {name} 已删除")


@user_app.command("list")
def list_users(project: ProjectArg, lang: Annotated[Lang, lang_option()] = Lang.zh) -> None:
    """List accounts: name, role, created (UTC)."""
    users, _ = _stores(project)
    accounts = users.users()
    if not accounts:
        typer.echo("no accounts: the server is login-free and serves loopback only"
                   if lang is Lang.en else "没有账户：服务器无需登录，只在本机地址提供服务")
        return
    for u in accounts.values():
        typer.echo(f"{u.name}\t{u.role}\t{u.created}")


def register(app: typer.Typer) -> None:
    """Add ``user`` to the ``peakmap`` command line."""
    app.add_typer(user_app, name="user")
