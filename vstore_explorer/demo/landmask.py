"""A land/sea mask rasterized from Natural Earth 1:110m countries (public domain).

The polygons ship inside the installed ``pyogrio`` wheel (its test fixture), so no download is
needed. Cell centres are tested with shapely 2's vectorized ``contains_xy`` on the union of all
countries (about 0.1 s for a 0.25-degree global grid).

Example:
    >>> import numpy as np
    >>> land = land_mask(np.array([48.0, 0.0]), np.array([2.0, -30.0]))  # Paris; mid-Atlantic
    >>> land.tolist()
    [[True, False], [False, False]]
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from vstore_explorer.errors import InvalidInputError

NATURAL_EARTH = Path("tests") / "fixtures" / "naturalearth_lowres" / "naturalearth_lowres.shp"


def natural_earth_path() -> Path:
    """Path of the Natural Earth 110m countries shapefile inside the installed pyogrio."""
    import pyogrio

    path = Path(pyogrio.__file__).parent / NATURAL_EARTH
    if not path.is_file():
        raise FileNotFoundError(
            f"Natural Earth countries not found at {path}; the installed pyogrio wheel should "
            "ship them (reinstall pyogrio)"
        )
    return path


def land_polygons():
    """The union of all Natural Earth countries as one prepared shapely (multi)polygon."""
    import shapely
    from pyogrio.raw import read

    _meta, _fids, wkb, _fields = read(natural_earth_path(), columns=[])
    land = shapely.union_all(shapely.from_wkb(wkb))
    shapely.prepare(land)
    return land


def rasterize(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Boolean (lat, lon) array: True where the cell centre is on land (any lon convention)."""
    import shapely

    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    if lat.ndim != 1 or lon.ndim != 1:
        raise InvalidInputError("lat and lon must be 1-D coordinate arrays")
    x = (lon + 180.0) % 360.0 - 180.0  # 0..360 grids -> -180..180 like the polygons
    xx, yy = np.meshgrid(x, lat)
    return np.asarray(shapely.contains_xy(land_polygons(), xx, yy), dtype=bool)


def land_mask(lat: np.ndarray, lon: np.ndarray, cache_dir: Path | None = None) -> np.ndarray:
    """The land mask of a lat/lon grid, reused from ``cache_dir`` (a ``.npy`` per grid) if given.

    The cache file name is a hash of the coordinates; it is written atomically, so a concurrent
    or interrupted writer never leaves a partial file.
    """
    if cache_dir is None:
        return rasterize(lat, lon)
    cache_dir = Path(cache_dir)
    lat64 = np.ascontiguousarray(lat, dtype=np.float64)
    lon64 = np.ascontiguousarray(lon, dtype=np.float64)
    key = hashlib.sha256(b"ne110m-v1" + lat64.tobytes() + b"|" + lon64.tobytes()).hexdigest()[:16]
    path = cache_dir / f"landmask-{lat64.size}x{lon64.size}-{key}.npy"
    if path.is_file():
        mask = np.load(path)
        if mask.shape == (lat64.size, lon64.size) and mask.dtype == bool:
            return mask
    mask = rasterize(lat64, lon64)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        with open(tmp, "wb") as fh:
            np.save(fh, mask)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return mask
