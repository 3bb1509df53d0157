"""Granules of grids the shared fixtures lack, written as their products write them, and the
UMM-C records that list a store in a local catalog (for the any-grid and browser tests)."""

from __future__ import annotations

import json
from pathlib import Path

import netCDF4
import numpy as np
import pyproj

from vstore_explorer.build.umm import cmr_item, collection_umm
from vstore_explorer.catalog.links import StoreLink


def swath_granule(path: Path, k: int) -> Path:
    """A GPM-like granule: group S1, Latitude/Longitude data variables in 'degrees' (no CF
    coordinates), a Tc field with a -9999.9 fill; each granule's swath is 4 degrees further east."""
    rows, cols = np.meshgrid(np.arange(12.0), np.arange(8.0), indexing="ij")
    with netCDF4.Dataset(path, "w") as nc:
        g = nc.createGroup("S1")
        g.createDimension("nscan1", 12)
        g.createDimension("npixel1", 8)
        lat = g.createVariable("Latitude", "f4", ("nscan1", "npixel1"), fill_value=-9999.9)
        lat.units = "degrees"
        lat[:] = -5.0 + 0.9 * rows + 0.1 * cols
        lon = g.createVariable("Longitude", "f4", ("nscan1", "npixel1"), fill_value=-9999.9)
        lon.units = "degrees"
        lon[:] = 176.0 + 4.0 * k + 0.8 * cols - 0.1 * rows  # crosses the antimeridian
        lon[:] = np.where(lon[:] > 180, lon[:] - 360, lon[:])
        tc = g.createVariable("Tc", "f4", ("nscan1", "npixel1"), fill_value=-9999.9)
        tc.units, tc.long_name = "K", "brightness temperature"
        values = 200.0 + 10 * k + rows + cols / 10
        values[0, :2] = -9999.9  # missing cells stay missing
        tc[:] = values
    return path


POLAR_X = np.arange(-2000e3, 2000e3, 100e3) + 50e3  # NSIDC polar stereographic north, 100 km
POLAR_Y = np.arange(2400e3, -2400e3, -100e3) - 50e3


def polar_granule(path: Path, day: int) -> Path:
    """A sea-ice grid on EPSG:3413 x/y in metres with a CF grid mapping (no lat/lon arrays)."""
    crs = pyproj.CRS("EPSG:3413")
    xx, yy = np.meshgrid(POLAR_X, POLAR_Y)
    lon, lat = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(xx, yy)
    with netCDF4.Dataset(path, "w") as nc:
        nc.createDimension("time", 1)
        nc.createDimension("y", POLAR_Y.size)
        nc.createDimension("x", POLAR_X.size)
        t = nc.createVariable("time", "f8", ("time",))
        t.units, t.standard_name = "days since 2020-01-01", "time"
        t[:] = [day]
        for name, values in (("x", POLAR_X), ("y", POLAR_Y)):
            v = nc.createVariable(name, "f8", (name,))
            v.standard_name, v.units = f"projection_{name}_coordinate", "m"
            v[:] = values
        mapping = nc.createVariable("crs", "i4", ())
        mapping.setncatts({k: v for k, v in crs.to_cf().items() if k != "crs_wkt"})
        ice = nc.createVariable("ice", "f4", ("time", "y", "x"), fill_value=-1.0)
        ice.grid_mapping, ice.units, ice.long_name = "crs", "1", "sea ice concentration"
        values = (lat - 50) / 40 + 0.01 * day + 0.001 * np.cos(np.deg2rad(lon))
        values[:3, :3] = -1.0  # missing cells
        ice[0] = values
    return path


def record(root: Path, short_name: str, url: str, n: int) -> None:
    umm = collection_umm(
        short_name=short_name,
        version="1",
        entry_title=f"{short_name} test store",
        abstract=f"A store over the real {short_name} granules.",
        provider="VSTOREDEMO",
        processing_level="2",
        temporal=("1991-01-01", "2024-12-31"),
        bbox=(-180, -90, 180, 90),
        stores=[StoreLink(url=url, kind="icechunk")],
        science_keywords=["EARTH SCIENCE > OCEANS > OCEAN WINDS"],
    )
    item = cmr_item(umm, concept_id=f"C10000001{n:02d}-VSTOREDEMO", provider="VSTOREDEMO")
    (root / f"{short_name}.json").write_text(json.dumps(item))
