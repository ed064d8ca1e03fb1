"""Consoles that print text as it is: no rich markup, no highlighting of data or paths.

Messages carry file names, field values and manifest lines such as ``[rasters.dsm]`` or
``户线[入户]``; rich would read the brackets as markup and drop them. Every command prints
through :func:`plain_console`; colour is given with ``style=``, never with markup.

rich is imported when a console is made, not with this module: ``peakmap report --format
json`` into a pipe prints nothing through rich and never imports it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TextIO

import typer

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

__all__ = ["LANG_KEY", "Lang", "chosen_lang", "error_text", "lang_option", "plain_console",
           "remember_lang", "spinner"]

#: Key of ``click.Context.meta`` (shared by a command and its groups) holding the ``--lang``
#: of the command running, for the error handler of :mod:`peakmap.cli`.
LANG_KEY = "peakmap.lang"


class Lang(StrEnum):
    """Language of a command's text (``--lang``): Chinese by default, English available."""

    zh = "zh"
    en = "en"


def remember_lang(ctx: typer.Context, value: Any) -> Any:
    """Callback of every ``--lang`` option: keep the language for the error handler.

    The value is stored in ``ctx.meta`` (shared by the command and the groups above it) and
    returned unchanged.
    """
    if value is not None:
        ctx.meta[LANG_KEY] = "en" if str(getattr(value, "value", value)) == "en" else "zh"
    return value


def chosen_lang(ctx: Any) -> str:
    """The ``--lang`` of the command running in ``ctx`` (a click context or None), zh by default."""
    return str(ctx.meta.get(LANG_KEY, "zh")) if ctx is not None else "zh"


def lang_option(help: str = "messages and errors in zh or en") -> Any:
    """The ``--lang`` option of a command (``typer.Option``), remembered for its errors.

    Use as ``lang: Annotated[Lang, lang_option("titles in zh or en")] = Lang.zh``.
    """
    return typer.Option("--lang", help=help, callback=remember_lang)


def plain_console(**kwargs: Any) -> Console:
    """A :class:`rich.console.Console` that prints strings literally (``markup=False``)."""
    from rich.console import Console

    return Console(markup=False, highlight=False, **kwargs)


def error_text(message: str, lang: str = "en") -> Text:
    """``error: <message>`` with the prefix in bold red and the message as plain text.

    ``lang="zh"`` writes the prefix ``错误：`` (the message is printed as given).

    Examples
    --------
    >>> error_text("add [rasters.dsm] to the manifest").plain
    'error: add [rasters.dsm] to the manifest'
    >>> error_text("图层没有要素", "zh").plain
    '错误：图层没有要素'
    """
    from rich.text import Text

    text = Text("错误：" if lang == "zh" else "error:", style="bold red")
    text.append(message if lang == "zh" else " " + message)
    return text


def may_be_terminal(stream: TextIO) -> bool:
    """False when a rich console on ``stream`` would surely not be a terminal.

    As ``rich.console.Console.is_terminal`` decides, without importing rich: ``TTY_COMPATIBLE``
    or ``FORCE_COLOR`` in the environment leave the answer to rich (True here), else the
    stream's ``isatty()``.

    Examples
    --------
    >>> import io
    >>> may_be_terminal(io.StringIO()) or "FORCE_COLOR" in os.environ
    False
    """
    if os.environ.get("TTY_COMPATIBLE", "") in ("0", "1") or "FORCE_COLOR" in os.environ:
        return True
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty is not None and isatty())
    except ValueError:  # a closed stream
        return False


@contextmanager
def spinner(description: str) -> Iterator[Callable[[str], None]]:
    """A transient spinner with the elapsed time on stderr while a long step runs.

    Yields a function that replaces the description (the step now running). The text is
    printed literally (no markup), and nothing is left on the screen afterwards. When stderr
    is not a terminal (a pipe, a log file) nothing is drawn, and rich's live display is not
    even imported.

    Examples
    --------
    >>> with spinner("computing") as step:
    ...     step("computing: coverage")
    """
    if not may_be_terminal(sys.stderr):
        yield lambda text: None
        return
    console = plain_console(stderr=True)
    if not console.is_terminal:
        yield lambda text: None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}", markup=False),
                  TimeElapsedColumn(), console=console, transient=True) as progress:
        task = progress.add_task(description, total=None)
        yield lambda text: progress.update(task, description=text)
