"""Command-line entry: ``peakmap sample | build | report | site | serve``.

Each command lives in its own ``peakmap/cmd_<name>.py`` with a ``register(app)`` function,
so the commands stay thin and independent. Errors of peakmap (``PeakmapError``) are printed
as one line and end the process with exit code 1, never as a traceback; so are OS and value
errors that escaped as something else (``PEAKMAP_DEBUG=1`` shows their traceback).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys

import typer

from gis._errors import PeakmapError
from peakmap.console import error_text, plain_console

__all__ = ["app", "main"]

COMMAND_MODULES = (
    "peakmap.cmd_sample",
    "peakmap.cmd_build",
    "peakmap.cmd_report",
    "peakmap.cmd_map",
    "peakmap.cmd_site",
    "peakmap.cmd_serve",
    "peakmap.cmd_import",
    "peakmap.cmd_user",
)

app = typer.Typer(
    name="peakmap",
    help="碳达峰实施方案空间评估 — spatial indicators of carbon-peak plans, per district, "
    "street and community.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

err_console = plain_console(stderr=True)


@app.callback()
def _root() -> None:
    """碳达峰实施方案空间评估 — spatial indicators of carbon-peak plans."""

def _modules_needed(argv: list[str]) -> tuple[str, ...]:
    """Only the module of the command named on the command line (all for help or tests).

    Importing every command costs about a second of CPU (the sample generator, siting);
    ``peakmap report`` on a cached project needs none of it.
    """
    first = next((a for a in argv[1:] if not a.startswith("-")), None)
    wanted = f"peakmap.cmd_{first.replace('-', '_')}" if first else None
    return (wanted,) if wanted in COMMAND_MODULES else COMMAND_MODULES


for _name in _modules_needed(sys.argv):
    if importlib.util.find_spec(_name) is not None:
        importlib.import_module(_name).register(app)


def _one_line(exc: BaseException) -> str:
    """``exc`` as one line: ``file: reason`` for OS errors, else its text."""
    if isinstance(exc, OSError) and exc.strerror:
        where = exc.filename if exc.filename is not None else ""
        text = f"{where}: {exc.strerror}" if where != "" else exc.strerror
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.replace("\x00", "\\x00").split())


def main() -> None:
    """Run the command line; report peakmap errors as one line and exit 1."""
    try:
        code = app(standalone_mode=False)
    except PeakmapError as e:
        err_console.print(error_text(str(e)), soft_wrap=True)
        sys.exit(1)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(1)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except (OSError, ValueError, UnicodeError) as e:
        # File-system and value problems not raised as PeakmapError (an --out directory that
        # does not exist, a path the OS refuses): still one line. PEAKMAP_DEBUG=1 shows the
        # traceback for developers.
        if os.environ.get("PEAKMAP_DEBUG"):
            raise
        err_console.print(error_text(_one_line(e)), soft_wrap=True)
        sys.exit(1)
    except typer.TyperException as e:  # usage errors: typer prints them as click does
        show = getattr(e, "show", None)
        if callable(show):
            show()
        sys.exit(int(getattr(e, "exit_code", 2)))
    if isinstance(code, int) and code != 0:
        sys.exit(code)
