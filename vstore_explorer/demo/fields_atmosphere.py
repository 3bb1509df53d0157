"""The AIRS-like atmospheric fields: daily temperature and humidity profiles on pressure
levels and the surface air temperature, with the swath gaps of a sun-synchronous satellite.

Example:
    >>> gaps = swath_gaps(np.array([0.0, 60.0]), np.arange(0.0, 360.0), days=0.0)
    >>> gaps.any(axis=1).tolist()  # gaps at the equator, none at 60 degrees
    [True, False]
"""

from __future__ import annotations

from datetime import datetime

import numpy as np

from vstore_explorer.demo.field_maths import (
    F32,
    FieldContext,
    Fields,
    days_since_epoch,
    random_waves,
    year_phase,
)
from vstore_explorer.demo.fields_land import _surface_climate


def swath_gaps(lat: np.ndarray, lon: np.ndarray, days: float) -> np.ndarray:
    """True where no orbit of the day's sun-synchronous satellite saw (low-latitude gaps)."""
    spacing = 360.0 / 14.57  # longitude between successive equator crossings
    offset = (np.floor(days) * 10.3) % spacing
    slant = -0.25 * lat[:, None]  # ground tracks lean with latitude
    dist = np.abs(((lon[None, :] - offset - slant) % spacing) - spacing / 2)  # from gap centre
    half_swath = 9.9 / np.maximum(np.cos(np.radians(lat)), 0.05)[:, None]
    return dist < (spacing / 2 - half_swath)


def airs(ctx: FieldContext, time: datetime) -> Fields:
    """AIRS-like daily profiles: air_temperature and relative_humidity (level, lat, lon) and
    surface_air_temperature (lat, lon); fill below the surface and in the swath gaps."""
    product = ctx.product
    lat, lon, seed = ctx.lat, ctx.lon, ctx.seed
    days = days_since_epoch(time) + 0.5  # daily mean: conditions at mid-day
    p = np.asarray(product.levels, dtype=np.float64)[:, None, None]
    weather = random_waves(lat, lon, days, seed + 31, 40, (20.0, 70.0), (3.0, 9.0))
    humid = random_waves(lat, lon, days, seed + 32, 32, (10.0, 40.0), (1.0, 6.0))
    land = ctx.land.astype(F32)
    s = np.abs(np.sin(np.radians(lat))).astype(F32)[:, None]
    sea_level = _surface_climate(ctx, days, land) + (F32(0.8) + F32(3.5) * s) * weather
    elev = ctx.elevation
    surface = sea_level - F32(6.5) * elev
    p_surface = 1013.25 * np.exp(-elev / 8.4)
    # lapse rate up to a tropopause that is high in the tropics and low near the poles
    lat2 = np.sin(np.radians(lat)) ** 2
    p_trop = (100.0 + 200.0 * lat2)[None, :, None]
    kappa = (0.190 - 0.045 * lat2)[None, :, None]  # R * lapse / g: 6.5 K/km tropics, 5 poles
    temp = sea_level[None] * (np.maximum(p, p_trop) / 1000.0) ** kappa
    # humidity: moist boundary layer, drying upward; a moist ITCZ and dry subtropics
    itcz = 6.0 * np.sin(2 * np.pi * (year_phase(days) - 0.3))
    moist = np.exp(-(((lat - itcz) / 9.0) ** 2))[None, :, None]
    subtropics = np.exp(-(((np.abs(lat) - 25.0) / 8.0) ** 2))[None, :, None]
    rh_sfc = np.clip(F32(0.78) - F32(0.4) * ctx.aridity + F32(0.1) * humid, 0.1, 1.0)[None]
    rh = 100 * rh_sfc * (p / 1000.0) ** 1.1 + 28 * moist * (p / 1000.0) ** 0.6
    rh = rh - 12 * subtropics * (p / 1000.0) ** 0.8 + 4 * humid[None] * (p / 1000.0)
    rh = np.clip(rh, 2.0, 100.0)
    below = p > p_surface[None]
    gaps = swath_gaps(lat, lon, days)
    hidden = below | gaps[None]
    nan = F32(np.nan)
    return {
        "air_temperature": np.where(hidden, nan, temp).astype(F32),
        "relative_humidity": np.where(hidden, nan, rh).astype(F32),
        "surface_air_temperature": np.where(gaps, nan, surface).astype(F32),
    }
