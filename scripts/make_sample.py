"""Generate the Heping sample project: a thin wrapper over ``peakmap sample``.

Usage: ``python scripts/make_sample.py [--out data/heping] [--seed 42] [--scale 1] [--no-dsm]``
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sample import generate_sample


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("data/heping"))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--no-dsm", action="store_true")
    args = parser.parse_args()
    result = generate_sample(args.out, seed=args.seed, scale=args.scale, dsm=not args.no_dsm,
                             progress=print)
    print(f"wrote {len(result.files)} files to {result.out} in {result.seconds:.1f} s")


if __name__ == "__main__":
    main()
