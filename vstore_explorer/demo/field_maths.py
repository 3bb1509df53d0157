"""The shared maths of the demo fields: the per-grid context, time and solar helpers, and the
vectorized building blocks (seeded plane waves, separable Gaussian beads, relief, dryness).

Everything is pure numpy and deterministic: the same inputs give bit-identical float32 arrays.

Example:
    >>> round(year_phase(days_since_epoch(datetime(2000, 7, 2, tzinfo=UTC))), 2)
    0.5
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property

import numpy as np

from vstore_explorer.demo.products import DemoProduct
from vstore_explorer.errors import InvalidInputError

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
YEAR_DAYS = 365.2422
F32 = np.float32

Fields = dict[str, np.ndarray]


# --------------------------------------------------------------------------- context


@dataclass(frozen=True, eq=False)
class FieldContext:
    """What does not change between time steps of one product grid: computed once, reused.

    ``lat``/``lon`` are in file order (any direction, any longitude convention); ``land`` is a
    boolean (lat, lon) mask; ``elevation`` (km, 0 over the ocean) and ``aridity`` (0..1) are
    computed on first use.
    """

    product: DemoProduct
    lat: np.ndarray
    lon: np.ndarray
    land: np.ndarray
    seed: int

    @cached_property
    def elevation(self) -> np.ndarray:
        return elevation(self.lat, self.lon, self.land, self.seed)

    @cached_property
    def aridity(self) -> np.ndarray:
        return aridity(self.lat, self.lon)


# --------------------------------------------------------------------------- time helpers


def _utc(time: datetime) -> datetime:
    return time.replace(tzinfo=UTC) if time.tzinfo is None else time.astimezone(UTC)


def days_since_epoch(time: datetime) -> float:
    """Days since 2000-01-01T00Z (the continuous time every field is a function of)."""
    return (_utc(time) - EPOCH).total_seconds() / 86400.0


def year_phase(days: float) -> float:
    """Fraction of the (mean) year, 0 at 1 January."""
    return (days / YEAR_DAYS) % 1.0


def solar_declination(days: float) -> float:
    """Solar declination (degrees) on a continuous day count."""
    return -23.44 * np.cos(2 * np.pi * (year_phase(days) + 10.0 / YEAR_DAYS))


def cos_zenith(lat: np.ndarray, lon: np.ndarray, days: float) -> np.ndarray:
    """Cosine of the solar zenith angle (lat, lon) at ``days`` (UTC), not clipped."""
    decl = np.radians(solar_declination(days))
    phi = np.radians(lat)[:, None]
    hour_angle = 2 * np.pi * ((days % 1.0) + lon / 360.0) - np.pi  # 0 at local solar noon
    cos_h = np.cos(hour_angle)[None, :]
    return (np.sin(phi) * np.sin(decl) + np.cos(phi) * np.cos(decl) * cos_h).astype(F32)


def local_hour(lon: np.ndarray, days: float) -> np.ndarray:
    """Local solar time in hours (0..24) per longitude."""
    return ((days % 1.0) * 24.0 + lon / 15.0) % 24.0


def _wrap(dlon: np.ndarray) -> np.ndarray:
    """Longitude differences folded into -180..180 (at 180 either sign)."""
    return dlon - 360.0 * np.round(dlon / 360.0)


# --------------------------------------------------------------------------- building blocks


def _dyadic(values: np.ndarray, bits: int = 18) -> np.ndarray:
    """``values`` (float64) rounded to multiples of 2**(e - bits), 2**e >= max |values|."""
    values = np.asarray(values, dtype=np.float64)
    peak = float(np.max(np.abs(values), initial=0.0))
    if peak == 0.0 or not np.isfinite(peak):
        return values
    quantum = 2.0 ** (np.ceil(np.log2(peak)) - bits)
    return np.round(values / quantum) * quantum


def exact_matmul(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """``left @ right`` as float32, bit-reproducible whatever BLAS does.

    Both factors are rounded to 18 significant bits (relative to their largest entry), so each
    product has at most 36 and each sum of up to 2**16 products at most 52 significant bits:
    float64 arithmetic is then exact and the result does not depend on BLAS's summation order,
    blocking or thread count (which otherwise change the last bits).
    """
    if left.shape[1] > 2**16:
        raise InvalidInputError(f"exact_matmul supports at most 65536 terms, got {left.shape[1]}")
    return (_dyadic(left) @ _dyadic(right)).astype(F32)


def random_waves(
    lat: np.ndarray,
    lon: np.ndarray,
    days: float,
    seed: int,
    n: int,
    wavelength: tuple[float, float],
    speed: tuple[float, float] = (0.0, 0.0),
) -> np.ndarray:
    """Smooth, spatially correlated noise of unit variance: ``n`` seeded plane waves.

    Wavelengths (degrees) are drawn in ``wavelength``; every wave drifts eastward at a speed
    (degrees/day, negative = westward) drawn in ``speed``, so the field evolves continuously.
    Longitude wavenumbers are integers, so the field wraps seamlessly around the globe.
    """
    rng = np.random.default_rng(seed)
    length = rng.uniform(*wavelength, n)
    theta = rng.uniform(0, 2 * np.pi, n)
    kx = np.round(360.0 / length * np.cos(theta)) * (2 * np.pi / 360.0)  # rad per degree lon
    ky = 2 * np.pi / length * np.sin(theta)  # rad per degree lat
    phase = rng.uniform(0, 2 * np.pi, n)
    omega = kx * rng.uniform(*speed, n)
    amp = np.sqrt(2.0 / n)
    a = ky[None, :] * lat[:, None] + (phase - omega * days)[None, :]  # (nlat, n)
    left = np.concatenate([amp * np.cos(a), -amp * np.sin(a)], axis=1)
    b = kx[:, None] * lon[None, :]  # (n, nlon)
    right = np.concatenate([np.cos(b), np.sin(b)], axis=0)
    return exact_matmul(left, right)


def beads(
    lat: np.ndarray,
    lon: np.ndarray,
    lat0: np.ndarray,
    lon0: np.ndarray,
    sy: np.ndarray,
    sx: np.ndarray,
    amp: np.ndarray,
) -> np.ndarray:
    """Sum of separable Gaussians ``amp * exp(-(dlat/sy)^2 - (dlon cos(lat0)/sx)^2)``.

    ``sx`` and ``sy`` are e-folding half-widths in degrees of great circle (lon scaled by
    ``cos(lat0)``), longitudes wrap. One (lat x n) @ (n x lon) product.
    """
    lat0, lon0, sy, sx, amp = (np.asarray(v, dtype=np.float64) for v in (lat0, lon0, sy, sx, amp))
    dy = ((lat[:, None] - lat0[None, :]) / sy[None, :]).astype(F32)
    gy = np.exp(-(dy**2)) * amp[None, :].astype(F32)
    scale = (np.maximum(np.cos(np.radians(lat0)), 0.05) / sx)[:, None]
    dx = (_wrap(lon[None, :] - lon0[:, None]) * scale).astype(F32)
    return exact_matmul(gy, np.exp(-(dx**2)))


def polyline_beads(
    features: tuple[tuple[float, float, tuple[tuple[float, float], ...]], ...],
) -> tuple[np.ndarray, ...]:
    """Bead parameters (lat0, lon0, sy, sx, amp) along polylines ``(height, width, points)``.

    Beads are spaced half a width apart and scaled so a line sums to about ``height``.
    """
    rows: list[tuple[float, float, float, float, float]] = []
    for height, width, points in features:
        if len(points) == 1:
            lon0, lat0 = points[0]
            rows.append((lat0, lon0, width, width, height))
            continue
        step = width / 2
        weight = height * step / (width * np.sqrt(np.pi))
        for (x0, y0), (x1, y1) in zip(points[:-1], points[1:], strict=True):
            dx = _wrap(np.array(x1 - x0)) * np.cos(np.radians((y0 + y1) / 2))
            count = max(int(np.ceil(np.hypot(dx, y1 - y0) / step)), 1)
            for s in np.arange(count) / count:
                rows.append(
                    (y0 + s * (y1 - y0), x0 + s * _wrap(np.array(x1 - x0)), width, width, weight)
                )
        x_end, y_end = points[-1]
        rows.append((y_end, x_end, width, width, weight))
    arr = np.array(rows, dtype=np.float64)
    return tuple(arr[:, i] for i in range(5))


# (height km, e-folding half-width deg, (lon, lat) points): the major mountain ranges/plateaus
MOUNTAINS: tuple[tuple[float, float, tuple[tuple[float, float], ...]], ...] = (
    (4.6, 4.5, ((80, 33.5), (88, 32.5), (97, 32.5))),  # Tibetan Plateau
    (2.2, 1.5, ((74, 35.5), (81, 30), (88, 28), (95, 28.5))),  # Himalaya
    (2.6, 2.0, ((70, 38.5), (78, 41.5), (87, 43))),  # Pamir, Tian Shan
    (1.4, 5.0, ((94, 46), (108, 45))),  # Mongolian plateau
    (1.3, 4.0, ((52, 32), (63, 33))),  # Iranian plateau
    (1.0, 3.0, ((32, 39), (41, 39))),  # Anatolia
    (1.8, 1.0, ((6, 45.5), (10, 46.5), (15, 47))),  # Alps
    (1.6, 1.0, ((40, 43.2), (47.5, 41.8))),  # Caucasus
    (2.0, 3.0, ((37.5, 13), (39, 8), (40, 5))),  # Ethiopian highlands
    (1.2, 4.0, ((34, 0), (33, -10), (29, -20))),  # East African plateau
    (1.2, 5.0, ((21, -25), (29, -28))),  # Southern African plateau
    (0.9, 2.5, ((5, 23.5), (18, 21))),  # Ahaggar, Tibesti
    (
        3.0,
        1.6,
        ((-76, 8), (-78, -2), (-75.5, -14), (-69, -22), (-70, -33), (-72, -45), (-73, -52)),
    ),  # Andes
    (3.6, 3.0, ((-68.5, -16), (-67, -22))),  # Altiplano
    (2.1, 3.0, ((-128, 58), (-118, 50), (-110, 44), (-106, 38), (-106, 32))),  # Rockies
    (1.5, 4.5, ((-117, 40), (-111, 37))),  # Great Basin, Colorado Plateau
    (1.8, 3.0, ((-106, 27), (-101, 21), (-97.5, 18.5))),  # Mexican plateau
    (0.6, 2.0, ((-84, 35), (-78, 39), (-72, 44))),  # Appalachians
    (0.9, 6.0, ((-48, -12), (-44, -20))),  # Brazilian highlands
    (1.0, 2.5, ((7, 60), (14, 65), (20, 69))),  # Scandinavian mountains
    (0.5, 1.5, ((59, 50), (60, 60), (62, 67))),  # Urals
    (0.7, 7.0, ((95, 62), (110, 64))),  # Central Siberian plateau
    (1.0, 4.0, ((130, 62), (150, 65), (166, 64))),  # North-east Siberian ranges
    (0.7, 2.0, ((146, -37.5), (150, -30), (145, -17))),  # Great Dividing Range
    (0.6, 6.0, ((76, 20), (78, 14))),  # Deccan
    (2.6, 5.5, ((-42, 65), (-40, 72), (-40, 78))),  # Greenland ice sheet
    (3.0, 9.0, ((-180, -82), (-90, -82), (0, -82), (90, -82), (180, -82))),  # Antarctica
)

# (lon, lat, half-width lon, half-width lat): the major dry regions
DESERTS: tuple[tuple[float, float, float, float], ...] = (
    (10, 23, 20, 7),  # Sahara
    (46, 22, 8, 6),  # Arabia
    (70, 27, 4, 3),  # Thar
    (60, 32, 8, 4),  # Iran, Afghanistan
    (90, 41, 14, 4),  # Taklamakan, Gobi
    (63, 43, 9, 4),  # Kyzylkum, Karakum
    (132, -25, 11, 7),  # Australia
    (19, -24, 5, 5),  # Kalahari, Namib
    (-70, -24, 2, 7),  # Atacama
    (-113, 33, 6, 5),  # North American deserts
    (-68, -44, 3, 5),  # Patagonia
    (45, 7, 4, 4),  # Horn of Africa
)


def elevation(lat: np.ndarray, lon: np.ndarray, land: np.ndarray, seed: int) -> np.ndarray:
    """Synthetic surface height (km) over land: the major ranges plus rough small-scale relief."""
    lat0, lon0, sy, sx, amp = polyline_beads(MOUNTAINS)
    height = beads(lat, lon, lat0, lon0, sy, sx, amp)
    rough = random_waves(lat, lon, 0.0, seed + 11, 48, (3.0, 12.0))
    height = np.clip(height * (1 + 0.15 * rough) + 0.12 + 0.06 * rough, 0.0, 6.5)
    return np.where(land, height, F32(0.0)).astype(F32)


def aridity(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """How dry the climate is, 0 (humid) .. 1 (desert), from the major dry regions."""
    lon0, lat0, sx, sy = (np.array(c, dtype=np.float64) for c in zip(*DESERTS, strict=True))
    sx = sx * np.cos(np.radians(lat0))  # beads() scales lon by cos(lat0)
    return np.clip(beads(lat, lon, lat0, lon0, sy, sx, np.ones_like(lat0)), 0, 1).astype(F32)


def bitround(values: np.ndarray, keepbits: int) -> np.ndarray:
    """Round float32 mantissas to ``keepbits`` bits (round half to even); NaN stays NaN."""
    if not 0 < keepbits < 23:
        return values
    bits = np.ascontiguousarray(values, dtype=F32).view(np.uint32)
    drop = 23 - keepbits
    half = np.uint32((1 << (drop - 1)) - 1)
    odd = (bits >> np.uint32(drop)) & np.uint32(1)
    rounded = (bits + half + odd) & np.uint32(~((1 << drop) - 1) & 0xFFFFFFFF)
    out = rounded.view(F32)
    return np.where(np.isfinite(values), out, values)
