"""Generate ``vstore_explorer/data/coastlines_110m.npz`` from Natural Earth 1:110m (public domain).

The source is the Natural Earth 110m countries layer that ships inside the installed ``pyogrio``
wheel (``pyogrio/tests/fixtures/naturalearth_lowres``), so nothing is downloaded. The countries
are merged into land masses; their outlines are the coastlines. Edges that Natural Earth adds
along the antimeridian (polygons cut at +/-180) and along the South Pole are dropped, so they
are not drawn as fake coasts.

Output: two float32 arrays ``lon`` (-180..180) and ``lat``, with NaN between lines.

Run from the project root:
    $ .venv/bin/python scripts/make_coastlines.py
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "vstore_explorer" / "data" / "coastlines_110m.npz"
SEAM = 179.999  # |lon| beyond this is the antimeridian cut
POLE = -89.999  # lat below this is the edge of Antarctica at the pole


def _artificial(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Segments a->b that lie on the antimeridian or on the pole edge (not real coasts)."""
    seam = (
        (np.abs(a[:, 0]) > SEAM) & (np.abs(b[:, 0]) > SEAM) & (np.sign(a[:, 0]) == np.sign(b[:, 0]))
    )
    pole = (a[:, 1] < POLE) & (b[:, 1] < POLE)
    return seam | pole


def split_ring(coords: np.ndarray) -> list[np.ndarray]:
    """The pieces of one ring left after removing its artificial segments."""
    bad = _artificial(coords[:-1], coords[1:])
    pieces: list[np.ndarray] = []
    start = 0
    for i in np.flatnonzero(bad):
        if i + 1 - start >= 2:
            pieces.append(coords[start : i + 1])
        start = i + 1
    if len(coords) - start >= 2:
        pieces.append(coords[start:])
    return pieces


def coastlines() -> list[np.ndarray]:
    """Coastline pieces, (n, 2) lon/lat arrays."""
    import shapely
    from pyogrio.raw import read

    from vstore_explorer.demo.landmask import natural_earth_path

    _meta, _fids, wkb, _fields = read(natural_earth_path(), columns=[])
    land = shapely.union_all(shapely.make_valid(shapely.from_wkb(wkb)))
    lines: list[np.ndarray] = []
    for polygon in shapely.get_parts(land):
        rings = [polygon.exterior, *polygon.interiors]
        for ring in rings:
            lines.extend(split_ring(np.asarray(ring.coords, dtype=np.float64)))
    return lines


def pack(lines: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """One NaN-separated lon array and lat array."""
    gap = np.array([[np.nan, np.nan]])
    joined = np.concatenate([part for line in lines for part in (line, gap)][:-1])
    return joined[:, 0].astype(np.float32), joined[:, 1].astype(np.float32)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"output file ({OUT.name})")
    args = parser.parse_args()
    lines = coastlines()
    lon, lat = pack(lines)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.out,
        lon=lon,
        lat=lat,
        source=np.array("Natural Earth 1:110m countries (public domain), merged to land masses"),
    )
    print(f"{args.out}: {len(lines)} lines, {lon.size} points, {args.out.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
