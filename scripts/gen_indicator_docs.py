"""Regenerate docs/indicators.md from the catalogs and the parameter models (``make docs``).

``python scripts/gen_indicator_docs.py`` writes the page; ``--check`` exits 1 when the page on
disk differs from what the catalogs give (the test suite checks the same).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from layers.indicators.catalog import read_catalog  # noqa: E402
from layers.indicators.reference import indicator_references, reference_markdown  # noqa: E402
from layers.params import params_markdown  # noqa: E402

CATALOG = ROOT / "layers" / "catalogs" / "targets.toml"
PAGE = ROOT / "docs" / "indicators.md"
COMMAND = "make docs"


def render() -> tuple[str, int]:
    """The page as the catalogs and parameter models give it today, and its indicator count."""
    refs = indicator_references(read_catalog(CATALOG), root=ROOT)
    return reference_markdown(refs, command=COMMAND) + "\n" + params_markdown(), len(refs)


def main(argv: list[str]) -> int:
    text, count = render()
    if "--check" in argv:
        if not PAGE.is_file() or PAGE.read_text(encoding="utf-8") != text:
            print(f"{PAGE} is out of date: run '{COMMAND}'", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(text, encoding="utf-8")
    print(f"wrote {PAGE.relative_to(ROOT)} ({count} indicators)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
