"""The packaged Natural Earth coastlines: present, real, reproducible, in both longitude conventions."""

from __future__ import annotations

import importlib.util
import sys
from importlib.resources import files
from pathlib import Path

import holoviews as hv
import numpy as np
import pytest

from vstore_explorer import coastlines

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "make_coastlines.py"


def _finite_segments(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end points of every drawn segment (no NaN at either end)."""
    a = np.column_stack([lon[:-1], lat[:-1]])
    b = np.column_stack([lon[1:], lat[1:]])
    keep = np.isfinite(a).all(axis=1) & np.isfinite(b).all(axis=1)
    return a[keep], b[keep]


def test_the_data_file_ships_with_the_package() -> None:
    resource = files("vstore_explorer").joinpath("data", coastlines.DATA_FILE)
    assert resource.is_file()
    assert 20_000 < len(resource.read_bytes()) < 400_000
    assert files("vstore_explorer").joinpath("data", "README.md").read_text().count("public domain")


def test_minus180_convention_values() -> None:
    lon, lat = coastlines.coastline_xy("-180..180")
    assert lon.shape == lat.shape
    finite = np.isfinite(lon)
    assert np.array_equal(finite, np.isfinite(lat))
    assert 4_000 < finite.sum() < 20_000
    assert -180 <= np.nanmin(lon) < -170 and 170 < np.nanmax(lon) <= 180
    assert -90 <= np.nanmin(lat) < -80 and 80 < np.nanmax(lat) <= 90
    assert len(coastlines.coastline_lines()) == np.isnan(lon).sum() + 1


def test_no_artificial_edges_along_the_antimeridian_or_the_pole() -> None:
    lon, lat = coastlines.coastline_xy()
    a, b = _finite_segments(lon, lat)
    on_seam = (np.abs(a[:, 0]) > 179.999) & (np.abs(b[:, 0]) > 179.999)
    on_pole = (a[:, 1] < -89.999) & (b[:, 1] < -89.999)
    assert not on_seam.any() and not on_pole.any()


def test_real_coasts_are_there() -> None:
    lon, lat = coastlines.coastline_xy()
    xy = np.column_stack([lon, lat])[np.isfinite(lon)]

    def nearest(x: float, y: float) -> float:
        return float(np.min(np.hypot(xy[:, 0] - x, xy[:, 1] - y)))

    assert nearest(-5.7, 50.1) < 1.0  # Land's End
    assert nearest(18.5, -34.4) < 1.0  # Cape of Good Hope
    assert nearest(-40.0, 25.0) > 10.0  # mid North Atlantic
    assert nearest(-140.0, -30.0) > 10.0  # South Pacific


def test_0_360_convention_is_the_same_coast_without_jumps() -> None:
    lon, lat = coastlines.coastline_xy("-180..180")
    lon360, lat360 = coastlines.coastline_xy("0..360")
    assert np.nanmin(lon360) >= 0 and np.nanmax(lon360) <= 360
    a, b = _finite_segments(lon360, lat360)
    assert np.abs(a[:, 0] - b[:, 0]).max() < 180  # lines crossing 0 E are cut there
    same = np.isfinite(lon360)
    np.testing.assert_allclose(lon360[same] % 360, lon[np.isfinite(lon)] % 360, atol=1e-9)
    np.testing.assert_array_equal(lat360[np.isfinite(lat360)], lat[np.isfinite(lat)])


def test_holoviews_path_on_the_map_dimensions() -> None:
    path = coastlines.coastline("0..360", kdims=("longitude", "latitude"))
    assert isinstance(path, hv.Path)
    assert [d.name for d in path.kdims] == ["longitude", "latitude"]
    for convention in coastlines.CONVENTIONS:  # one NaN-separated path holding every line
        (xy,) = coastlines.coastline(convention).split(datatype="array")
        pieces = np.split(xy, np.flatnonzero(np.isnan(xy[:, 0])))
        drawn = [p[~np.isnan(p[:, 0])] for p in pieces if np.count_nonzero(~np.isnan(p[:, 0])) >= 2]
        lines = coastlines.coastline_lines(convention)
        assert len(drawn) == len(lines)
        for got, want in zip(drawn, lines, strict=True):
            np.testing.assert_array_equal(got, want)
    xs = path.dimension_values(0)
    assert np.nanmin(xs) >= 0 and np.nanmax(xs) > 350


def test_convention_of_and_bad_convention() -> None:
    assert coastlines.convention_of([0.5, 120.0, 359.5]) == "0..360"
    assert coastlines.convention_of([-179.5, 0.0, 179.5]) == "-180..180"
    assert coastlines.convention_of([0.0, 90.0]) == "-180..180"
    with pytest.raises(ValueError, match="convention must be one of"):
        coastlines.coastline_xy("east")  # type: ignore[arg-type]


def test_returned_arrays_are_copies() -> None:
    lon, _ = coastlines.coastline_xy()
    lon[:] = 0.0
    assert np.nanmax(coastlines.coastline_xy()[0]) > 170


def test_the_generator_script_reproduces_the_packaged_file(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("make_coastlines", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules["make_coastlines"] = module
    try:
        spec.loader.exec_module(module)
        lon, lat = module.pack(module.coastlines())
    finally:
        sys.modules.pop("make_coastlines", None)
    packaged_lon, packaged_lat = coastlines.coastline_xy()
    np.testing.assert_array_equal(lon.astype(np.float64), packaged_lon)
    np.testing.assert_array_equal(lat.astype(np.float64), packaged_lat)
