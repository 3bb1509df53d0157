"""Lon/lat bounding boxes of UMM spatial extents, antimeridian-aware; no I/O.

Example:
    >>> envelope([BoundingBox(170, -10, -170, 10), BoundingBox(175, 0, 179, 20)]).as_tuple()
    (170, -10, -170, 20)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vstore_explorer.catalog.umm_values import _list
from vstore_explorer.errors import InvalidInputError


@dataclass(frozen=True)
class BoundingBox:
    """A lon/lat box in degrees; ``west > east`` means it crosses the antimeridian.

    Example:
        >>> BoundingBox(170, -10, -170, 10).intersects(BoundingBox(175, 0, 179, 5))
        True
    """

    west: float
    south: float
    east: float
    north: float

    def __post_init__(self) -> None:
        values = (self.west, self.south, self.east, self.north)
        if not all(isinstance(v, int | float) and math.isfinite(v) for v in values):
            raise InvalidInputError(f"bounding box {values} must contain finite numbers")
        if not (-180 <= self.west <= 180 and -180 <= self.east <= 180):
            raise InvalidInputError(
                f"bounding box longitudes {self.west}, {self.east} outside [-180, 180]"
            )
        if not (-90 <= self.south <= self.north <= 90):
            raise InvalidInputError(f"bounding box latitudes {self.south}, {self.north} invalid")

    @classmethod
    def from_umm(cls, rect: Mapping[str, Any]) -> BoundingBox:
        """From a UMM ``BoundingRectangles`` entry."""
        return cls(
            float(rect["WestBoundingCoordinate"]),
            float(rect["SouthBoundingCoordinate"]),
            float(rect["EastBoundingCoordinate"]),
            float(rect["NorthBoundingCoordinate"]),
        )

    @classmethod
    def around(cls, points: Sequence[tuple[float, float]]) -> BoundingBox:
        """The smallest box around ``(lon, lat)`` points (crossing the antimeridian if shorter)."""
        if not points:
            raise InvalidInputError("no points to bound")
        lons = sorted(float(p[0]) for p in points)
        lats = [float(p[1]) for p in points]
        west, east = lons[0], lons[-1]
        gaps = [(lons[i + 1] - lons[i], i) for i in range(len(lons) - 1)]
        if gaps:
            gap, i = max(gaps)
            if gap > 360 - (lons[-1] - lons[0]):  # the widest empty arc is inside: wrap around
                west, east = lons[i + 1], lons[i]
        return cls(west, min(lats), east, max(lats))

    @property
    def crosses_antimeridian(self) -> bool:
        """Whether the box spans the 180° meridian."""
        return self.west > self.east

    def _lon_intervals(self) -> list[tuple[float, float]]:
        if self.crosses_antimeridian:
            return [(self.west, 180.0), (-180.0, self.east)]
        return [(self.west, self.east)]

    def intersects(self, other: BoundingBox | Sequence[float]) -> bool:
        """Whether two boxes overlap (touching edges count), antimeridian included."""
        if not isinstance(other, BoundingBox):
            other = BoundingBox(*(float(v) for v in other))
        if self.south > other.north or other.south > self.north:
            return False
        return any(
            a0 <= b1 and b0 <= a1
            for a0, a1 in self._lon_intervals()
            for b0, b1 in other._lon_intervals()
        )

    def as_tuple(self) -> tuple[float, float, float, float]:
        """``(west, south, east, north)``."""
        return (self.west, self.south, self.east, self.north)


def envelope(boxes: Sequence[BoundingBox]) -> BoundingBox | None:
    """One box around ``boxes`` (``None`` when empty)."""
    if not boxes:
        return None
    if len(boxes) == 1:
        return boxes[0]
    south, north = min(b.south for b in boxes), max(b.north for b in boxes)
    if not any(b.crosses_antimeridian for b in boxes):
        return BoundingBox(min(b.west for b in boxes), south, max(b.east for b in boxes), north)
    merged: list[list[float]] = []
    for west, east in sorted(iv for b in boxes for iv in b._lon_intervals()):
        if merged and west <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], east)
        else:
            merged.append([west, east])
    if len(merged) == 1:
        return BoundingBox(merged[0][0], south, merged[0][1], north)
    gap, i = max((merged[k + 1][0] - merged[k][1], k) for k in range(len(merged) - 1))
    if merged[0][0] + 360 - merged[-1][1] >= gap:  # the widest empty arc is at the antimeridian
        return BoundingBox(merged[0][0], south, merged[-1][1], north)
    return BoundingBox(merged[i + 1][0], south, merged[i][1], north)


def _geometry_boxes(spatial: Any) -> tuple[BoundingBox, ...]:
    """Boxes of a UMM ``SpatialExtent``: rectangles, and the envelopes of polygons/points/lines."""
    if not isinstance(spatial, Mapping):
        return ()
    domain = spatial.get("HorizontalSpatialDomain") or {}
    geometry = domain.get("Geometry") if isinstance(domain, Mapping) else None
    if not isinstance(geometry, Mapping):
        return ()
    boxes = [BoundingBox.from_umm(r) for r in _list(geometry.get("BoundingRectangles"), "rects")]

    def points_of(seq: Any) -> list[tuple[float, float]]:
        return [(float(p["Longitude"]), float(p["Latitude"])) for p in _list(seq, "Points")]

    for polygon in _list(geometry.get("GPolygons"), "GPolygons"):
        boxes.append(BoundingBox.around(points_of(polygon["Boundary"]["Points"])))
    for line in _list(geometry.get("Lines"), "Lines"):
        boxes.append(BoundingBox.around(points_of(line["Points"])))
    points = points_of(geometry.get("Points"))
    if points:
        boxes.append(BoundingBox.around(points))
    return tuple(boxes)
