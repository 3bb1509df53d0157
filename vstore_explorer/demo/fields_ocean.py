"""The GHRSST-like sea surface temperature fields: climate, ocean fronts, basin-scale
anomalies, drifting eddies and seasonal sea ice, with the analysis error and surface mask.

Example:
    >>> north, south = sea_ice_edge(np.array([0.0, 180.0]), days=0.0)  # 1 January 2000
    >>> bool((north > 65).all() and (south < -60).all())
    True
"""

from __future__ import annotations

from datetime import datetime

import numpy as np

from vstore_explorer.demo.field_maths import (
    F32,
    FieldContext,
    Fields,
    _wrap,
    beads,
    days_since_epoch,
    random_waves,
    year_phase,
)

FREEZING_SST = 271.35  # K, freezing point of sea water


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
