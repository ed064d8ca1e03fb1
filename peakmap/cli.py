"""Command-line entry: ``peakmap sample | build | report | map | site | serve | import | user``.

Each command lives in its own ``peakmap/cmd_<name>.py`` with a ``register(app)`` function,
so the commands stay thin and independent. Errors of peakmap (``PeakmapError``) are printed
as one line and end the process with exit code 1, never as a traceback; so are OS and value
errors that escaped as something else (``PEAKMAP_DEBUG=1`` shows their traceback).
"""

from __future__ import annotations

import atexit
import errno
import gc
import importlib
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
import typer._click as click  # typer 0.29 carries its own click; its classes are these
import typer.main
from typer.core import TyperCommand, TyperGroup

from gis import PeakmapError
from peakmap.console import chosen_lang, error_text, plain_console

__all__ = ["app", "error_line", "fail", "main"]

# Command name → (module whose register(app) adds it, short help for ``peakmap --help``).
# A command's module is imported only when that command runs (or shows its own help), so
# ``peakmap --help`` and every command import only what they use (the sample generator and
# siting cost about a second of CPU that ``peakmap report`` on a cached project never needs).
# This table and LazyGroup._load are peakmap's one deliberate importlib indirection; every
# other import is a plain one (function-local where only import time is at stake), and
# tests/test_cli_lazy.py imports each module named here, so mypy-invisible typos still fail.
COMMANDS: dict[str, tuple[str, str]] = {
    "sample": ("peakmap.cmd_sample", "生成和平区示例项目 — generate the Heping sample project"),
    "build": ("peakmap.cmd_build", "原始数据入库 — build the store from the raw files"),
    "report": ("peakmap.cmd_report", "指标对照表 — indicators against their targets"),
    "map": ("peakmap.cmd_map", "专题图导出 PDF/PNG — export an indicator map"),
    "site": ("peakmap.cmd_site", "选址方案 — propose sites: recycling, parks, PV, heating"),
    "serve": ("peakmap.cmd_serve", "本地网页 — serve the dashboard and maps"),
    "import": ("peakmap.cmd_import", "导入 OpenStreetMap — start a project from an OSM extract"),
    "user": ("peakmap.cmd_user", "用户与角色 — accounts for a shared server"),
}


class LazyGroup(TyperGroup):
    """A command group that imports a command's module only when the command is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command, loaded or not, in :data:`COMMANDS` order."""
        return [*COMMANDS, *(n for n in super().list_commands(ctx) if n not in COMMANDS)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The loaded command, else a stub carrying its short help (for the command list)."""
        loaded = super().get_command(ctx, cmd_name)
        if loaded is not None or cmd_name not in COMMANDS:
            return loaded
        return TyperCommand(cmd_name, help=COMMANDS[cmd_name][1])

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """Load the module of the command about to run, then resolve as click does."""
        if args and args[0] in COMMANDS and args[0] not in self.commands:
            self._load(args[0])
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; an error that ends it is one line in its ``--lang``, exit 1.

        Errors of peakmap (``PeakmapError``) and OS, value and encoding errors that escaped as
        something else print :func:`error_line` on stderr (``PEAKMAP_DEBUG=1`` lets the
        latter through with their traceback; a closed pipe is left to click).
        """
        try:
            return super().invoke(ctx)
        except PeakmapError as e:
            fail(e, chosen_lang(ctx))
        except typer.Abort:
            plain_console(stderr=True).print(_ABORTED[chosen_lang(ctx) == "en"])
            raise typer.Exit(1) from None
        except (OSError, ValueError, UnicodeError) as e:
            if os.environ.get("PEAKMAP_DEBUG") or getattr(e, "errno", None) == errno.EPIPE:
                raise
            fail(e, chosen_lang(ctx))

    def _load(self, name: str) -> None:
        sub = typer.Typer()
        with quiet_collector():
            module = importlib.import_module(COMMANDS[name][0])
        module.register(sub)
        group = typer.main.get_group(sub)
        for cmd_name, command in group.commands.items():
            self.add_command(command, cmd_name)


@contextmanager
def quiet_collector() -> Iterator[None]:
    """No cyclic garbage collection while a command's modules are imported.

    Importing a command's modules (pandas, pydantic models, the store) creates some 85,000
    long-lived objects and almost no garbage (about 1,100 objects collected), yet the
    collector ran about 240 times over them, one of them a full scan. Collection is paused
    for the import and resumed afterwards, also when the import fails (and left paused when
    the caller had paused it). Nothing is frozen here, so a test calling :func:`main` in its
    own process keeps an ordinary collector; ``report`` freezes what is alive while it
    computes (:func:`peakmap.cmd_report.few_collections`).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


app = typer.Typer(
    name="peakmap",
    cls=LazyGroup,
    help="碳达峰实施方案空间评估 — spatial indicators of carbon-peak plans, per district, "
    "street and community.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # the command list in click's plain layout: rich's help panels would import rich's
    # markdown and traceback renderers (about 0.1 s of CPU, a third of ``peakmap --help``);
    # each command's own ``--help`` keeps the panels
    rich_markup_mode=None,
)


@app.callback()
def _root() -> None:
    """碳达峰实施方案空间评估 — spatial indicators of carbon-peak plans."""


_ABORTED = ("已中止", "aborted")
# the reasons of the OS errors a planner meets (os.strerror is English whatever the locale)
_OS_REASONS_ZH = {
    errno.ENOENT: "文件或目录不存在", errno.EACCES: "没有访问权限", errno.EPERM: "不允许的操作",
    errno.EIO: "输入/输出错误", errno.ENOSPC: "磁盘空间不足", errno.EROFS: "只读文件系统",
    errno.EEXIST: "文件已存在", errno.ENOTDIR: "不是目录", errno.EISDIR: "是目录",
    errno.ENAMETOOLONG: "文件名过长", errno.EBUSY: "设备或资源忙", errno.ENOTEMPTY: "目录不为空",
}


def _one_line(exc: BaseException, lang: str = "en") -> str:
    """``exc`` as one line: ``file: reason`` for OS errors, else its text."""
    if isinstance(exc, OSError) and exc.strerror:
        reason = exc.strerror
        if lang == "zh":
            reason = _OS_REASONS_ZH.get(exc.errno or 0, reason)
        where = exc.filename if exc.filename is not None else ""
        text = f"{where}: {reason}" if where != "" else reason
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.replace("\x00", "\\x00").split())


def error_line(exc: BaseException, lang: str = "zh") -> str:
    """The line printed for an error that ends a command, without its ``错误：`` prefix.

    In Chinese the message goes through :func:`layers.messages.message_label` (the place
    and the problems it knows are translated, any other words stay as written) and the
    reasons of common OS errors are translated; in English it is the message as raised.

    Examples
    --------
    >>> error_line(FileNotFoundError(errno.ENOENT, "No such file or directory", "a.toml"))
    'a.toml: 文件或目录不存在'
    >>> error_line(PeakmapError("layer streets: the layer has no features"), "zh")
    '图层 街道（streets）：图层没有要素'
    >>> error_line(PeakmapError("layer streets: the layer has no features"), "en")
    'layer streets: the layer has no features'
    """
    if not isinstance(exc, PeakmapError):  # OS, value and encoding errors: one line
        return _one_line(exc, lang)
    text = str(exc) or type(exc).__name__  # as raised (lines to paste into project.toml)
    if lang != "zh":
        return text
    from layers.messages import message_label

    return message_label(text, "zh")


def fail(exc: BaseException, lang: str) -> NoReturn:
    """Print :func:`error_line` of ``exc`` on stderr (``错误：`` / ``error:``) and exit 1."""
    plain_console(stderr=True).print(error_text(error_line(exc, lang), lang), soft_wrap=True)
    raise typer.Exit(1) from None


def short_lived_process() -> None:
    """Settings for a process that runs one command and ends, made before anything is imported.

    * pydantic looks for plugins in the entry points of every installed distribution when
      the first model is built (≈ 0.1 s CPU with the project's environment); peakmap uses
      none, so ``PYDANTIC_DISABLE_PLUGINS`` is set to ``__all__`` unless the environment
      already sets it (set it to an empty value to load installed plugins).
    * At exit every object still alive is frozen out of the collector (``gc.freeze``, the
      last exit handler): the interpreter's shutdown otherwise runs full collections over
      every module's objects before freeing them (``report --id`` of three rows on the
      Heping sample ×10: 0.63 s from the command's end to the process's end, 0.14 s
      frozen; median of 4 on a loaded machine). The objects are still freed; the other
      exit handlers (the PostGIS pool's among them) run before it.
    """
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    atexit.unregister(gc.freeze)  # once, however often main() runs in one process (tests)
    atexit.register(gc.freeze)


def main() -> None:
    """Run the command line; report peakmap errors as one line and exit 1.

    The errors of a command are printed by :meth:`LazyGroup.invoke` in its ``--lang``; the
    handlers here (Chinese) catch what ends the program outside a command.
    """
    short_lived_process()
    try:
        code = app(standalone_mode=False)
    except PeakmapError as e:
        plain_console(stderr=True).print(error_text(error_line(e), "zh"), soft_wrap=True)
        sys.exit(1)
    except typer.Abort:
        plain_console(stderr=True).print(_ABORTED[0])
        sys.exit(1)
    except KeyboardInterrupt:
        plain_console(stderr=True).print("interrupted")
        sys.exit(130)
    except (OSError, ValueError, UnicodeError) as e:
        # File-system and value problems not raised as PeakmapError (an --out directory that
        # does not exist, a path the OS refuses): still one line. PEAKMAP_DEBUG=1 shows the
        # traceback for developers.
        if os.environ.get("PEAKMAP_DEBUG"):
            raise
        plain_console(stderr=True).print(error_text(error_line(e), "zh"), soft_wrap=True)
        sys.exit(1)
    except typer.TyperException as e:  # usage errors: typer prints them as click does
        show = getattr(e, "show", None)
        if callable(show):
            show()
        sys.exit(int(getattr(e, "exit_code", 2)))
    if isinstance(code, int) and code != 0:
        sys.exit(code)


if __name__ == "__main__":  # ``python -m peakmap.cli …`` as ``python -m peakmap …``
    main()
