"""Exports a planner prints or hands on: workbook notices now, map PNG/PDF renderers below.

The same text as the pages (``web/i18n.py``) goes into every export, so a Chinese page and
its printed map or workbook never disagree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from web.i18n import t

if TYPE_CHECKING:
    from layers.project import Project

__all__ = ["sample_notice"]


def sample_notice(project: Project, lang: str) -> str | None:
    """The pages' sample-data notice when ``project`` is the generated sample, else None.

    Parameters
    ----------
    project : layers.project.Project
    lang : {"zh", "en"}

    Returns
    -------
    str or None
    """
    return t("synthetic_note", lang) if project.is_sample else None
