"""Consoles that print text as it is: no rich markup, no highlighting of data or paths.

Messages carry file names, field values and manifest lines such as ``[rasters.dsm]`` or
``户线[入户]``; rich would read the brackets as markup and drop them. Every command prints
through :func:`plain_console`; colour is given with ``style=``, never with markup.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.text import Text

__all__ = ["error_text", "plain_console"]


def plain_console(**kwargs: Any) -> Console:
    """A :class:`rich.console.Console` that prints strings literally (``markup=False``)."""
    return Console(markup=False, highlight=False, **kwargs)


def error_text(message: str) -> Text:
    """``error: <message>`` with the prefix in bold red and the message as plain text.

    Examples
    --------
    >>> error_text("add [rasters.dsm] to the manifest").plain
    'error: add [rasters.dsm] to the manifest'
    """
    text = Text("error:", style="bold red")
    text.append(" " + message)
    return text
