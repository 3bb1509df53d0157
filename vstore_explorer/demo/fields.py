"""Deterministic, physically plausible fields for the demo products (pure numpy).

Every value is a smooth function of position and time built from a product seed, so the same
(product, time) always gives bit-identical arrays, consecutive time steps are continuous (storms
and eddies move), and any time step can be made on its own (in any worker process).

Building blocks, all vectorized and separable so a 0.25-degree field costs a few milliseconds:

- random waves: sums of seeded plane waves, evaluated as one (lat x 2K) @ (2K x lon) product;
- beads: sums of separable Gaussians (mountain ranges, deserts, storms) as another product;
- fronts: ``tanh`` steps across meandering lines, evaluated in their own window only.

Example:
    >>> from vstore_explorer.demo.products import get_product
    >>> p = get_product("airs")
    >>> ctx = make_context(p, land=np.zeros(p.grid.shape, bool))
    >>> sorted(generate(ctx, p.times(1)[0]))
    ['air_temperature', 'relative_humidity', 'surface_air_temperature']
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from types import MappingProxyType

import numpy as np

from vstore_explorer.demo.products import DemoProduct
from vstore_explorer.errors import InvalidInputError

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
YEAR_DAYS = 365.2422
FREEZING_SST = 271.35  # K, freezing point of sea water
F32 = np.float32

Fields = dict[str, np.ndarray]


# --------------------------------------------------------------------------- context and API


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


def product_seed(product: DemoProduct) -> int:
    """A stable seed from the product's short name (``hash()`` is salted per process)."""
    return zlib.crc32(product.short_name.encode())


def make_context(
    product: DemoProduct,
    land: np.ndarray,
    lat: np.ndarray | None = None,
    lon: np.ndarray | None = None,
) -> FieldContext:
    """The static part of ``product``'s fields on its grid (or on ``lat``/``lon`` if given)."""
    lat = np.asarray(product.grid.lat() if lat is None else lat, dtype=np.float64)
    lon = np.asarray(product.grid.lon() if lon is None else lon, dtype=np.float64)
    land = np.asarray(land, dtype=bool)
    if land.shape != (lat.size, lon.size):
        raise InvalidInputError(
            f"land mask shape {land.shape} does not match grid {(lat.size, lon.size)}"
        )
    return FieldContext(product=product, lat=lat, lon=lon, land=land, seed=product_seed(product))


def generate(ctx: FieldContext, time: datetime) -> Fields:
    """The product's variables at ``time``: float32 physical values (NaN = fill), 2-D (lat, lon)
    or 3-D (level, lat, lon); GHRSST's ``mask`` is int8 flags."""
    try:
        make = GENERATORS[ctx.product.kind]
    except KeyError:
        raise InvalidInputError(
            f"no field generator for product kind {ctx.product.kind!r}"
        ) from None
    return make(ctx, _utc(time))


def fields_for(product: DemoProduct, time: datetime, land: np.ndarray) -> Fields:
    """One-off convenience: ``generate(make_context(product, land), time)``."""
    return generate(make_context(product, land), time)


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


# --------------------------------------------------------------------------- GHRSST-like SST

# (warm-to-cold step K, half-width deg, meander amplitude deg, (lon, lat) nodes west to east)
FRONTS: tuple[tuple[float, float, float, tuple[tuple[float, float], ...]], ...] = (
    (8.0, 0.55, 1.1, ((-76, 35.0), (-70, 37.6), (-60, 39.6), (-50, 41.8), (-42, 45.0))),  # Gulf St.
    (4.0, 1.2, 1.0, ((-42, 45.0), (-35, 50.0), (-24, 52.5))),  # North Atlantic Current
    (6.5, 0.6, 1.0, ((141, 35.3), (150, 36.0), (160, 37.0), (176, 38.5))),  # Kuroshio Extension
    (5.0, 0.7, 0.8, ((-56, -37.5), (-48, -40.0), (-38, -42.0))),  # Brazil-Malvinas confluence
    (4.0, 0.8, 0.8, ((18, -39.5), (40, -40.5), (62, -41.5))),  # Agulhas Return Current
    (2.5, 0.8, 0.6, ((152, -33.0), (162, -33.5), (172, -34.5))),  # Tasman Front
    (
        3.0,
        0.9,
        1.5,
        tuple((x, -52.0 + 3.0 * np.sin(np.radians(2 * x + 40))) for x in range(-180, 181, 20)),
    ),  # Polar Front
    (
        2.5,
        1.0,
        1.2,
        tuple((x, -44.5 + 2.0 * np.sin(np.radians(3 * x))) for x in range(-180, 181, 20)),
    ),  # Subantarctic Front
)

# (lon, lat, half-width lon, half-width lat, K): warm pools, cold tongues, upwelling, currents
SST_ANOMALIES: tuple[tuple[float, float, float, float, float], ...] = (
    (150, 2, 40, 12, 1.3),  # western Pacific warm pool
    (80, 5, 20, 10, 0.8),  # Indian Ocean warm pool
    (-110, -1, 28, 4, -3.2),  # eastern Pacific cold tongue
    (-5, -1, 12, 3, -1.8),  # Atlantic cold tongue
    (-78, -15, 4, 9, -3.5),  # Humboldt upwelling
    (-122, 34, 4, 8, -2.5),  # California upwelling
    (12, -22, 4, 8, -3.5),  # Benguela upwelling
    (-17, 24, 4, 6, -2.0),  # Canary upwelling
    (53, 15, 5, 4, -1.5),  # Somali/Arabian upwelling
    (5, 68, 18, 8, 5.5),  # Norwegian Sea (North Atlantic drift)
    (-22, 56, 15, 8, 3.0),  # north-east Atlantic
    (-52, 54, 8, 7, -3.5),  # Labrador Current
    (155, 46, 12, 5, -3.0),  # Oyashio
    (38, 21, 3, 7, 2.0),  # Red Sea
    (52, 27, 3, 2, 2.0),  # Persian Gulf
    (18, 36, 14, 5, 1.0),  # Mediterranean
)


def _front_lat(nodes: tuple[tuple[float, float], ...], lon: np.ndarray) -> np.ndarray:
    """Latitude of a front at ``lon`` (nodes west to east; NaN outside its span)."""
    xs = np.array([p[0] for p in nodes], dtype=np.float64)
    ys = np.array([p[1] for p in nodes], dtype=np.float64)
    rel = (lon - xs[0]) % 360.0
    span = xs[-1] - xs[0]
    return np.where(rel <= span, np.interp(rel, xs - xs[0], ys), np.nan)


def _apply_fronts(
    sst: np.ndarray, prox: np.ndarray, lat: np.ndarray, lon: np.ndarray, days: float, seed: int
) -> None:
    """Add every front's tanh step (cold on the poleward side) and its proximity, in place."""
    rng = np.random.default_rng(seed + 3)
    for step, width, meander, nodes in FRONTS:
        lat_f = _front_lat(nodes, lon)
        cols = np.nonzero(np.isfinite(lat_f))[0]
        if cols.size == 0:
            continue
        x = lon[cols]
        span = max(nodes[-1][0] - nodes[0][0], 1.0)
        rel = ((x - nodes[0][0]) % 360.0) / span
        taper = np.sin(np.pi * np.clip(rel, 0, 1)) ** 0.5 if span < 359 else np.ones_like(x)
        phase = rng.uniform(0, 2 * np.pi, 3)
        wander = sum(
            np.sin(2 * np.pi * x / wl - days * 2 * np.pi / period + ph)
            for wl, period, ph in zip((9.0, 15.0, 23.0), (47.0, 83.0, 131.0), phase, strict=True)
        )
        centre = lat_f[cols] + meander * wander / 1.6
        band = 9.0
        rows = np.nonzero((lat > centre.min() - band) & (lat < centre.max() + band))[0]
        if rows.size == 0:
            continue
        d = (lat[rows][:, None] - centre[None, :]).astype(F32)
        poleward = np.sign(np.mean(centre)) or 1.0
        envelope = np.exp(-((d / F32(band / 2)) ** 2)) * taper[None, :].astype(F32)
        block = np.ix_(rows, cols)
        sst[block] -= F32(step / 2) * np.tanh(d * F32(poleward / width)) * envelope
        prox[block] = np.maximum(prox[block], np.exp(-((d / F32(2.5)) ** 2)) * envelope)


def sea_ice_edge(lon: np.ndarray, days: float) -> tuple[np.ndarray, np.ndarray]:
    """Latitude of the sea-ice edge per longitude: (north edge, south edge), seasonal."""
    yr = year_phase(days)
    north_season = np.cos(2 * np.pi * (yr - 0.19))  # +1 at the March maximum
    south_season = np.cos(2 * np.pi * (yr - 0.70))  # +1 at the September maximum
    x = lon
    bump = lambda lon0, w: np.exp(-((_wrap(x - lon0) / w) ** 2))  # noqa: E731
    north = (
        75.0
        - 7.5 * north_season
        + 9.0 * bump(20, 30)  # Barents and Norwegian seas stay open
        - 9.0 * bump(-62, 14)  # Labrador Sea, Baffin Bay
        - 5.0 * bump(-85, 10)  # Hudson Bay
        - 9.0 * bump(150, 12) * (0.5 + 0.5 * north_season)  # Okhotsk
        - 6.0 * bump(-175, 12)  # Bering Sea
    )
    south = (
        -64.5
        + 5.0 * south_season
        + 4.0 * bump(-40, 25) * (0.6 + 0.4 * south_season)  # Weddell Sea
        + 2.5 * bump(-175, 25)  # Ross Sea
        - 2.0 * bump(70, 30)
    )
    return north, south


def sst(ctx: FieldContext, time: datetime) -> Fields:
    """GHRSST-like L4 fields: analysed_sst, analysis_error (K), sea_ice_fraction (1), mask."""
    lat, lon, seed = ctx.lat, ctx.lon, ctx.seed
    days = days_since_epoch(time)
    yr = year_phase(days)
    a = np.abs(lat)
    # zonal climate: warm tropics, cold poles, a hemispheric seasonal cycle peaking in late summer
    base = 271.4 + 30.4 * np.exp(-((a / 47.0) ** 4))
    season = (
        np.tanh(lat / 8.0) * np.cos(2 * np.pi * (yr - 0.62)) * 3.8 * np.exp(-(((a - 40) / 17) ** 2))
    )
    field = np.repeat((base + season).astype(F32)[:, None], lon.size, axis=1)
    # basin-scale structure: warm pools, cold tongues, upwelling, high-latitude currents
    lon0, lat0, sx, sy, amp = (np.array(c, np.float64) for c in zip(*SST_ANOMALIES, strict=True))
    summer = np.where(lat0 >= 0, 1.0, -1.0) * np.cos(2 * np.pi * (yr - 0.62))
    amp = amp * np.where(np.abs(lat0) > 20, 1.0 + 0.25 * summer, 1.0)
    field += beads(lat, lon, lat0, lon0, sy, sx * np.cos(np.radians(lat0)), amp)
    # fronts of the western boundary currents and the Southern Ocean
    prox = np.zeros_like(field)
    _apply_fronts(field, prox, lat, lon, days, seed)
    # mesoscale eddies (strongest along the fronts) and large-scale anomalies, drifting west
    eddies = random_waves(lat, lon, days, seed + 1, 72, (2.0, 6.0), (-0.08, -0.02))
    large = random_waves(lat, lon, days, seed + 2, 24, (18.0, 60.0), (-0.15, 0.05))
    field += eddies * (F32(0.2) + F32(0.9) * prox) + F32(0.45) * large
    # sea ice poleward of a seasonal, longitude-dependent edge; water under it near freezing
    ice = np.zeros_like(field)
    polar = np.nonzero(a >= 40)[0]
    north, south = sea_ice_edge(lon, days)
    y = lat[polar][:, None]
    past_edge = np.maximum(y - north[None, :], south[None, :] - y).astype(F32)
    past_edge += F32(1.2) * large[polar] + F32(0.5) * eddies[polar]
    cover = np.clip((past_edge + F32(0.4)) / F32(3.0), 0, 1)
    cover = np.minimum(cover, F32(0.97) + F32(0.03) * eddies[polar])
    ice[polar] = np.where(cover < 0.005, F32(0), cover)
    freezing = F32(FREEZING_SST)
    field = np.maximum(field, freezing + F32(0.15) * np.abs(eddies))
    cold = polar[ice[polar].any(axis=1)]
    c = ice[cold]
    field[cold] = field[cold] * (1 - c) + (freezing - F32(0.25) * c * np.abs(large[cold])) * c
    field = np.clip(field, F32(270.6), F32(305.6))
    # analysis error: larger along fronts, at the ice edge and at high latitudes
    edge = 4 * ice * (1 - ice)
    error = (
        F32(0.11)
        + F32(0.03) * large
        + F32(0.25) * prox
        + F32(0.45) * edge
        + F32(0.12) * (a[:, None] / 90.0).astype(F32) ** 2
        + F32(0.015) * eddies
    )
    error = np.clip(error, F32(0.02), F32(1.0))
    land = ctx.land
    mask = np.where(land, np.int8(2), np.where(ice > 0, np.int8(8), np.int8(1))).astype(np.int8)
    nan = F32(np.nan)
    return {
        "analysed_sst": np.where(land, nan, field).astype(F32),
        "analysis_error": np.where(land, nan, error).astype(F32),
        "sea_ice_fraction": np.where(land, nan, ice).astype(F32),
        "mask": mask,
    }


# --------------------------------------------------------------------------- storms


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


# --------------------------------------------------------------------------- AIRS-like L3


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


GENERATORS: Mapping[str, Callable[[FieldContext, datetime], Fields]] = MappingProxyType(
    {"ghrsst": sst, "gldas": gldas, "airs": airs}
)
"""Field generator per product kind."""
