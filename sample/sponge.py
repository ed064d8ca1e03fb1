"""Sponge-city drainage zones (排水分区) with runoff control rates and compliance.

Compliance is decided per drainage zone; zones cross street borders, as real ones do. Two
pilot streets are made compliant on more than half of their built-up land, the others stay
under half, and the district as a whole lands on a drawn aim of about 40–45 % (HP-18).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from sample.zones import partition, random_points_in

__all__ = ["PILOT_STREETS", "sponge_zones"]

N_ZONES = 42
RELAX_ITERATIONS = 3
PILOT_STREETS = ("120101002", "120101003")
PILOT_SHARE_AIM = (0.54, 0.62)
OTHER_STREET_MAX_SHARE = 0.48
PILOT_MIN_SHARE = 0.51
DISTRICT_SHARE_AIM = (0.415, 0.44)
TARGET_RATE_PCT = 75.0
COMPLIANT_RATE_ABOVE = (0.0, 12.0)
FAILING_RATE_BELOW = (3.0, 30.0)
COMPLETED_YEARS = (2016, 2026)


def sponge_zones(
    outline: BaseGeometry,
    built_up: BaseGeometry,
    streets: gpd.GeoDataFrame,
    rng: np.random.Generator,
) -> gpd.GeoDataFrame:
    """Drainage zones covering ``outline``, with compliance set to the aims.

    Parameters
    ----------
    outline : shapely polygon
        The district (local frame).
    built_up : shapely geometry
        Built-up land (everything but water).
    streets : GeoDataFrame
        Streets with ``code``.
    rng : numpy.random.Generator

    Returns
    -------
    GeoDataFrame
        ``name``, ``runoff_control_rate``, ``target_rate``, ``compliant``, ``completed_year``.
    """
    seeds, _ = random_points_in(np.array([outline], dtype=object), np.array([N_ZONES]), rng)
    zones = partition(outline, seeds, relax=RELAX_ITERATIONS)
    st_built = shapely.intersection(streets.geometry.values, built_up)
    area = shapely.area(shapely.intersection(zones[:, None], st_built[None, :]))
    codes = streets["code"].to_numpy()
    street_total = area.sum(axis=0)
    total = street_total.sum()
    compliant = np.zeros(len(zones), dtype=bool)

    def shares(mask: np.ndarray) -> np.ndarray:
        return area[mask].sum(axis=0) / street_total

    pilot = np.isin(codes, PILOT_STREETS)
    for j in np.flatnonzero(pilot):
        aim = rng.uniform(*PILOT_SHARE_AIM)
        for z in np.argsort(-area[:, j] / np.maximum(area.sum(axis=1), 1e-9)):
            if shares(compliant)[j] >= aim:
                break
            trial = compliant.copy()
            trial[z] = True
            if np.all(shares(trial)[~pilot] <= OTHER_STREET_MAX_SHARE):
                compliant = trial
    aim_total = rng.uniform(*DISTRICT_SHARE_AIM)
    for z in rng.permutation(len(zones)):
        if area[compliant].sum() / total >= aim_total:
            break
        if compliant[z]:
            continue
        trial = compliant.copy()
        trial[z] = True
        if np.all(shares(trial)[~pilot] <= OTHER_STREET_MAX_SHARE) and (
            area[trial].sum() / total <= DISTRICT_SHARE_AIM[1]
        ):
            compliant = trial
    # the pilot streets may have overshot the district aim: drop zones they can spare
    for z in rng.permutation(np.flatnonzero(compliant)):
        if area[compliant].sum() / total <= DISTRICT_SHARE_AIM[1]:
            break
        trial = compliant.copy()
        trial[z] = False
        if np.all(shares(trial)[pilot] > PILOT_MIN_SHARE) and (
            area[trial].sum() / total >= DISTRICT_SHARE_AIM[0]
        ):
            compliant = trial
    n = len(zones)
    rate = np.where(
        compliant,
        TARGET_RATE_PCT + rng.uniform(*COMPLIANT_RATE_ABOVE, size=n),
        TARGET_RATE_PCT - rng.uniform(*FAILING_RATE_BELOW, size=n),
    )
    completed = np.where(compliant, rng.integers(*COMPLETED_YEARS, size=n), -1)
    return gpd.GeoDataFrame(
        {
            "name": [f"排水分区{i + 1:02d}" for i in range(n)],
            "runoff_control_rate": np.round(rate, 1),
            "target_rate": TARGET_RATE_PCT,
            "compliant": compliant,
            "completed_year": completed,
        },
        geometry=zones,
    )
