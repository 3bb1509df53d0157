"""The GLDAS-like land surface fields: travelling storms and their rain, soil moisture that
remembers it, the surface climate, humidity and shortwave radiation.

Example:
    >>> round(float(saturation_specific_humidity(np.float64(293.15), np.float64(101325.0))), 4)
    0.0145
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from vstore_explorer.demo.field_maths import (
    F32,
    YEAR_DAYS,
    FieldContext,
    Fields,
    _wrap,
    beads,
    cos_zenith,
    days_since_epoch,
    local_hour,
    random_waves,
    solar_declination,
    year_phase,
)


@dataclass(frozen=True)
class Storms:
    """A population of storm systems; each moves along a track and pulses on and off."""

    lat0: np.ndarray
    lon0: np.ndarray
    u: np.ndarray  # eastward speed, degrees/day
    wobble: np.ndarray  # latitude excursion, degrees
    wobble_period: np.ndarray  # days
    sx: np.ndarray
    sy: np.ndarray
    peak: np.ndarray  # mm/h
    period: np.ndarray  # days between active phases
    phase: np.ndarray
    sharpness: np.ndarray
    seasonal_shift: np.ndarray  # degrees equatorward in local winter

    def at(self, days: np.ndarray | float) -> tuple[np.ndarray, ...]:
        """(lat, lon, sy, sx, intensity mm/h) of every storm at each of ``days`` (flattened)."""
        t = np.atleast_1d(np.asarray(days, dtype=np.float64))[:, None]
        hemi = np.sign(self.lat0)
        winter = -hemi * np.cos(2 * np.pi * ((t / YEAR_DAYS) % 1.0 - 0.55))
        lat = (
            self.lat0
            + self.wobble * np.sin(2 * np.pi * t / self.wobble_period + self.phase)
            - hemi * self.seasonal_shift * winter
        )
        lon = _wrap(self.lon0 + self.u * t)
        pulse = np.maximum(np.sin(2 * np.pi * t / self.period + 2.1 * self.phase), 0.0)
        intensity = self.peak * pulse**self.sharpness
        shape = lat.shape
        sy, sx = np.broadcast_to(self.sy, shape), np.broadcast_to(self.sx, shape)
        return tuple(v.ravel() for v in (lat, lon, sy, sx, intensity))


def storm_populations(seed: int) -> tuple[Storms, Storms]:
    """(extratropical storms, tropical convective cells), fixed per product seed."""
    rng = np.random.default_rng(seed + 5)
    n = 72
    mid = Storms(
        lat0=rng.choice([-1.0, 1.0], n, p=[0.4, 0.6]) * rng.uniform(32, 62, n),
        lon0=rng.uniform(-180, 180, n),
        u=rng.uniform(5, 12, n),
        wobble=rng.uniform(2, 7, n),
        wobble_period=rng.uniform(3, 9, n),
        sx=rng.uniform(3.0, 7.0, n),
        sy=rng.uniform(1.8, 4.0, n),
        peak=rng.uniform(0.8, 3.5, n),
        period=rng.uniform(4, 10, n),
        phase=rng.uniform(0, 2 * np.pi, n),
        sharpness=np.full(n, 1.5),
        seasonal_shift=np.full(n, 5.0),
    )
    m = 240
    tropical = Storms(
        lat0=rng.normal(4.0, 11.0, m).clip(-30, 32),
        lon0=rng.uniform(-180, 180, m),
        u=rng.uniform(-12, -2, m),
        wobble=rng.uniform(0.5, 3, m),
        wobble_period=rng.uniform(2, 6, m),
        sx=rng.uniform(0.8, 2.4, m),
        sy=rng.uniform(0.6, 1.8, m),
        peak=rng.uniform(2, 10, m),
        period=rng.uniform(1.2, 4.0, m),
        phase=rng.uniform(0, 2 * np.pi, m),
        sharpness=np.full(m, 3.0),
        seasonal_shift=np.full(m, 7.0),
    )
    return mid, tropical


def _rain_rate(
    lat: np.ndarray, lon: np.ndarray, days: float, storms: tuple[Storms, Storms], texture
) -> np.ndarray:
    """Rain rate (mm/h) at ``days``: storm blobs, convection peaking in the local afternoon."""
    mid, tropical = storms
    rain = beads(lat, lon, *mid.at(days))
    convective = beads(lat, lon, *tropical.at(days))
    afternoon = np.maximum(np.cos(2 * np.pi * (local_hour(lon, days) - 16.0) / 24.0), 0)
    rain += convective * (F32(0.3) + F32(1.4) * afternoon.astype(F32))[None, :]
    return np.maximum(rain * (F32(1.0) + F32(0.6) * texture) - F32(0.15), F32(0.0))


def _antecedent_rain(
    lat: np.ndarray, lon: np.ndarray, days: float, storms, lags: np.ndarray, tau: float
) -> np.ndarray:
    """Recent rain (mm) weighted by exp(-lag/tau): the memory that soil moisture has.

    Evaluated on a 2-degree grid (a smooth memory of broad storms) and interpolated to
    ``lat``/``lon``.
    """
    clat = np.arange(np.floor(lat.min()) - 1.0, lat.max() + 3.0, 2.0)
    clon = np.arange(-182.0, 183.0, 2.0)
    spacing = float(lags[1] - lags[0]) if lags.size > 1 else 1.0
    weights = np.exp(-lags / tau) * spacing * 24.0  # mm/h over the spacing in hours -> mm
    total = np.zeros((clat.size, clon.size), F32)
    for pop in storms:
        la, lo, sy, sx, inten = pop.at(days - lags)
        inten = inten * np.repeat(weights, pop.lat0.size)
        total += beads(clat, clon, la, lo, sy, sx, inten)
    # bilinear interpolation to the target grid, one axis at a time
    i, f = _interp_weights(clat, lat)
    rows = total[i] * (1 - f)[:, None] + total[i + 1] * f[:, None]
    j, g = _interp_weights(clon, ((lon + 180.0) % 360.0) - 180.0)
    return (rows[:, j] * (1 - g)[None, :] + rows[:, j + 1] * g[None, :]).astype(F32)


def _interp_weights(src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Left neighbour index and weight of the right one, for ``dst`` in a regular ascending
    ``src``."""
    pos = np.clip((dst - src[0]) / (src[1] - src[0]), 0, src.size - 1.000001)
    i = np.floor(pos).astype(int)
    return i, (pos - i).astype(F32)


# --------------------------------------------------------------------------- GLDAS-like LSM


def saturation_specific_humidity(temp: np.ndarray, pressure_pa: np.ndarray) -> np.ndarray:
    """Saturation specific humidity (kg/kg) over water (Bolton 1980)."""
    es = 611.2 * np.exp(17.67 * (temp - 273.15) / (temp - 29.65))
    return (0.622 * es / (pressure_pa - 0.378 * es)).astype(F32)


def _surface_climate(ctx: FieldContext, days: float, land_weight: np.ndarray) -> np.ndarray:
    """Sea-level air temperature (K): zonal climate and a hemispheric seasonal cycle that is
    larger over land (``land_weight`` 0..1)."""
    lat = ctx.lat
    s = np.sin(np.radians(lat))
    annual = (301.0 - 44.0 * s**2 - 8.0 * np.clip(-s, 0, 1) ** 4)[:, None]  # colder far south
    season = np.tanh(lat / 8.0) * np.cos(2 * np.pi * (year_phase(days) - 0.55))
    amplitude = (2.0 + 6.0 * np.abs(s) ** 1.2)[:, None] + 12.0 * np.abs(s)[:, None] * land_weight
    return (annual + season[:, None] * amplitude + 4.0 * ctx.aridity).astype(F32)


def gldas(ctx: FieldContext, time: datetime) -> Fields:
    """GLDAS-like fields at ``time``: instantaneous at ``time``, averages over the 3 h before."""
    lat, lon, seed, land = ctx.lat, ctx.lon, ctx.seed, ctx.land
    days = days_since_epoch(time)
    mid = days - 1.5 / 24.0
    elev, arid = ctx.elevation, ctx.aridity
    synoptic = random_waves(lat, lon, days, seed + 21, 40, (22.0, 70.0), (4.0, 10.0))
    humid = random_waves(lat, lon, days, seed + 22, 32, (8.0, 30.0), (2.0, 8.0))
    texture = random_waves(lat, lon, mid, seed + 23, 32, (2.5, 10.0), (-2.0, 8.0))
    slow = random_waves(lat, lon, days, seed + 24, 24, (15.0, 50.0), (-0.2, 0.2))
    # air temperature: climate, lapse rate, diurnal cycle (max mid-afternoon), weather
    sea_level = _surface_climate(ctx, days, np.ones((1, 1), F32))
    decl = solar_declination(days)
    daylight = np.clip(np.cos(np.radians(lat - decl)), 0.1, 1.0).astype(F32)[:, None]
    diurnal = np.cos(2 * np.pi * (local_hour(lon, days) - 15.0) / 24.0).astype(F32)[None, :]
    swing = (F32(2.5) + F32(6.5) * arid) * daylight
    weather = (
        F32(1.0) + F32(4.0) * np.abs(np.sin(np.radians(lat))).astype(F32)[:, None]
    ) * synoptic
    tair = sea_level - F32(6.5) * elev + swing * diurnal + weather
    tair = np.clip(tair, F32(200.0), F32(330.0))
    # pressure: barometric with elevation, plus weather systems
    psurf = F32(101325.0) * np.exp(-elev / F32(8.4)) + F32(900.0) * synoptic
    # rain from travelling storms; soil moisture remembers the recent rain
    storms = storm_populations(seed)
    rains = F32(1.0) - F32(0.9) * arid  # deserts rarely get rain
    rain_mm_h = _rain_rate(lat, lon, mid, storms, texture) * rains
    api_top = _antecedent_rain(lat, lon, days, storms, np.arange(0, 6.0, 0.5), 2.5) * rains
    api_deep = _antecedent_rain(lat, lon, days, storms, np.arange(0, 20.0, 2.0), 9.0) * rains
    wet = F32(0.5) - F32(0.45) * arid + F32(0.1) * slow
    top = np.clip(wet - F32(0.1) + F32(0.55) * (1 - np.exp(-api_top / F32(12.0))), 0.0, 1.0)
    deep = np.clip(wet + F32(0.35) * (1 - np.exp(-api_deep / F32(40.0))), 0.0, 1.0)
    # humidity: relative humidity from dryness, rain and time of day
    raining = np.minimum(rain_mm_h, F32(1.0))
    rh = F32(0.68) - F32(0.45) * arid + F32(0.12) * humid + F32(0.22) * raining
    rh = rh - F32(0.12) * diurnal * daylight - F32(0.025) * np.maximum(tair - F32(300.0), 0)
    rh = np.clip(rh, F32(0.06), F32(1.0))
    qair = rh * saturation_specific_humidity(tair, psurf)
    # shortwave: mean cosine of the solar zenith angle over the 3 h, dimmed by clouds
    cosz = sum(np.maximum(cos_zenith(lat, lon, days - h / 24.0), 0) for h in (2.5, 1.5, 0.5)) / 3
    cloud = np.clip(F32(0.35) + F32(0.3) * humid - F32(0.35) * arid + F32(0.6) * raining, 0, 1)
    toa = 1361.0 * (1 + 0.033 * np.cos(2 * np.pi * year_phase(days)))
    sw = F32(toa) * cosz * (F32(0.78) - F32(0.55) * cloud) * (1 + F32(0.04) * elev)
    out = {
        "Tair_f_inst": tair,
        "Qair_f_inst": qair,
        "Rainf_f_tavg": rain_mm_h / F32(3600.0),
        "SWdown_f_tavg": sw,
        "SoilMoi0_10cm_inst": F32(2.0) + F32(45.0) * top,
        "SoilMoi10_40cm_inst": F32(6.5) + F32(135.0) * deep,
    }
    nan = F32(np.nan)
    return {k: np.where(land, v, nan).astype(F32) for k, v in out.items()}
