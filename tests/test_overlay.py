"""Lines split by zones (gis.overlay.split_by_zones): a stretch on a shared border counts once."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely import LineString, box

from gis.overlay import split_by_zones

ZONES = np.array([box(0, 0, 100, 100), box(100, 0, 200, 100)], dtype=object)  # A | B


def per_zone(lines: list[LineString]) -> np.ndarray:
    return split_by_zones(lines, ZONES, measure="length").sum_by_zone(None, len(ZONES))


def test_line_along_the_shared_border_counts_half_in_each() -> None:
    assert per_zone([LineString([(100, 0), (100, 100)])]) == pytest.approx([50.0, 50.0])


def test_l_shape_worked_by_hand() -> None:
    # 50 m inside A, 50 m on the A|B border (25 + 25), 50 m on B's outer top edge (B only)
    line = LineString([(50, 50), (100, 50), (100, 100), (150, 100)])
    assert per_zone([line]) == pytest.approx([75.0, 75.0])


def test_outer_edge_and_interior_lines_count_whole() -> None:
    lines = [LineString([(10, 0), (60, 0)]), LineString([(120, 20), (180, 20)])]
    assert per_zone(lines) == pytest.approx([50.0, 60.0])
    pieces = split_by_zones(lines, ZONES, measure="length")
    assert pieces.fraction == pytest.approx([1.0, 1.0])


def brute_force(line: LineString, zones: np.ndarray, step: float = 0.25) -> np.ndarray:
    """Walk the line in short steps; a step's midpoint inside one zone counts for it, on the
    border of k zones 1/k for each (an independent rule, no overlay)."""
    out = np.zeros(len(zones))
    dist = np.arange(0.0, line.length, step)
    mids = shapely.line_interpolate_point(line, np.minimum(dist + step / 2, line.length))
    lengths = np.minimum(step, line.length - dist)
    for mid, w in zip(mids, lengths, strict=True):
        inside = np.asarray(shapely.contains(zones, mid), dtype=bool)
        if inside.any():
            out[inside] += w
            continue
        border = np.asarray(shapely.intersects(zones, mid), dtype=bool)
        if border.any():
            out[border] += w / border.sum()
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_grid_walks_match_a_brute_force_count(seed: int) -> None:
    # 3 × 2 zones of 40 m; lines walk the 10 m lattice, so many stretches lie on borders
    zones = np.array([box(x, y, x + 40, y + 40) for x in (0, 40, 80) for y in (0, 40)],
                     dtype=object)
    rng = np.random.default_rng(seed)
    checked = 0
    for _ in range(8):
        pts = [(float(rng.integers(0, 13)) * 10, float(rng.integers(0, 9)) * 10)]
        used: set[frozenset[tuple[float, float]]] = set()
        for _ in range(12):  # a walk that never runs the same 10 m stretch twice
            x, y = pts[-1]
            dx, dy = [(10, 0), (-10, 0), (0, 10), (0, -10)][int(rng.integers(0, 4))]
            nxt = (min(max(x + dx, 0.0), 120.0), min(max(y + dy, 0.0), 80.0))
            edge = frozenset([pts[-1], nxt])
            if nxt != pts[-1] and edge not in used:
                used.add(edge)
                pts.append(nxt)
        if len(pts) < 2:
            continue
        line = LineString(pts)
        got = split_by_zones([line], zones, measure="length").sum_by_zone(None, len(zones))
        assert got == pytest.approx(brute_force(line, zones), abs=1e-6)
        assert got.sum() == pytest.approx(line.length)
        checked += 1
    assert checked >= 5
