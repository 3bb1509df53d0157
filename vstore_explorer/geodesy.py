"""Selections on grids located by 2-D latitude/longitude arrays (swaths, curvilinear grids).

Pure functions of xarray objects and numbers, using only ``numpy`` and ``xarray``: the exported
scripts carry their source (``inspect.getsource``), so the explorer and a script run the very
same code. Distances are great-circle, on a sphere of the mean Earth radius.

Example:
    >>> import numpy as np, xarray as xr
    >>> lat = xr.DataArray([[0.0, 0.0], [1.0, 1.0]], dims=("row", "col"))
    >>> lon = xr.DataArray([[0.0, 1.0], [0.0, 1.0]], dims=("row", "col"))
    >>> da = xr.DataArray([[1.0, 2.0], [3.0, 4.0]], dims=("row", "col"),
    ...                   coords={"lat": lat, "lon": lon})
    >>> float(nearest_cell(da, "lat", "lon", ("row", "col"), 0.9, 0.1))
    3.0
    >>> in_box(da, "lat", "lon", -0.5, -0.5, 0.5, 0.5).values.tolist()
    [[True, False], [False, False]]
"""

from __future__ import annotations

from typing import Any

EARTH_RADIUS_KM = 6371.0088  # the IUGG mean Earth radius


def great_circle_km(lat: Any, lon: Any, lat0: Any, lon0: Any) -> Any:
    """Great-circle distance (km) from ``(lat0, lon0)`` to each ``(lat, lon)`` (haversine).

    Example:
        >>> round(float(great_circle_km(0.0, 1.0, 0.0, 0.0)), 3)
        111.195
    """
    import numpy as np

    phi, phi0 = np.deg2rad(lat), np.deg2rad(lat0)
    half_dphi = (phi - phi0) / 2
    half_dlam = np.deg2rad(lon - lon0) / 2
    h = np.sin(half_dphi) ** 2 + np.cos(phi) * np.cos(phi0) * np.sin(half_dlam) ** 2
    return 2 * 6371.0088 * np.arcsin(np.sqrt(np.clip(h, 0, 1)))


def nearest_cell(
    obj: Any, lat: str, lon: str, dims: tuple[str, str], lat0: float, lon0: float
) -> Any:
    """``obj`` at the cell nearest to ``(lat0, lon0)`` by great-circle distance, for each step
    of any other dimension of the geolocation (a swath per time step)."""
    distance = great_circle_km(obj[lat], obj[lon], lat0, lon0).fillna(float("inf"))
    where = {d: i.compute() for d, i in distance.argmin(dim=list(dims)).items()}
    return obj.isel(where)


def mask_far(obj: Any, lat: str, lon: str, lat0: float, lon0: float, max_km: float) -> Any:
    """``obj`` masked where its cell is farther than ``max_km`` from ``(lat0, lon0)`` (a swath
    that does not come near the point has no observation there)."""
    return obj.where(great_circle_km(obj[lat], obj[lon], lat0, lon0) <= max_km)


def in_box(
    obj: Any, lat: str, lon: str, west: float, south: float, east: float, north: float
) -> Any:
    """Whether each cell's centre lies in the box; ``west > east`` crosses the antimeridian.
    Longitudes are compared modulo 360, so 0..360 and -180..180 grids both work."""
    lats = obj[lat]
    rel = (obj[lon] - west) % 360
    return (lats >= south) & (lats <= north) & (rel <= ((east - west) % 360 or 360.0))


def box_window(lat: Any, lon: Any, west: float, south: float, east: float, north: float) -> Any:
    """The ``(row_start, row_stop, col_start, col_stop)`` index window (numpy arrays in, last two
    dimensions horizontal) that covers every cell in the box, or ``None`` when none is."""
    import numpy as np

    lats, lons = np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64)
    rel = (lons - west) % 360
    inside = (lats >= south) & (lats <= north) & (rel <= ((east - west) % 360 or 360.0))
    inside = inside.reshape((-1, *inside.shape[-2:])).any(axis=0)
    rows, cols = np.flatnonzero(inside.any(axis=1)), np.flatnonzero(inside.any(axis=0))
    if rows.size == 0:
        return None
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
