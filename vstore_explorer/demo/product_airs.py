"""The AIRS-like demo product: daily 1-degree L3 atmospheric profiles on pressure levels.

Modelled on the AIRS3STD daily L3 granules (grid, encodings, attributes and file naming).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from vstore_explorer.demo.product_types import (
    _F32_FILL,
    PROVIDER,
    DemoProduct,
    DemoVariable,
    Grid,
    Platform,
    ScienceKeyword,
)

_AIRS_LEVELS = (1000.0, 925.0, 850.0, 700.0, 600.0, 500.0, 400.0, 300.0, 250.0, 200.0, 150.0, 100.0)


def _airs_var(
    name: str, dims: tuple[str, ...], chunks: tuple[int, ...], keepbits: int, *attrs: str
) -> DemoVariable:
    units, standard, long, comment = attrs
    return DemoVariable(
        name,
        dims,
        "float32",
        _F32_FILL,
        chunks,
        2,  # zlib level 2 + shuffle: the 1-degree floats compress as well as at 4, faster
        (
            ("units", units),
            ("standard_name", standard),
            ("long_name", long),
            ("comment", comment),
            ("coordinates", " ".join(dims)),
        ),
        keepbits=keepbits,
    )


def _airs() -> DemoProduct:
    grid = Grid(89.5, -1.0, 180, 0.5, 1.0, 360)  # descending latitude, longitudes 0..360
    nlev = len(_AIRS_LEVELS)
    coords = (
        DemoVariable(
            "time",
            ("time",),
            "float64",
            None,
            (1,),
            0,
            (
                ("units", "days since 1993-01-01 00:00:00"),
                ("calendar", "standard"),
                ("long_name", "start of the daily observation period"),
                ("standard_name", "time"),
                ("axis", "T"),
            ),
        ),
        DemoVariable(
            "level",
            ("level",),
            "float32",
            None,
            (nlev,),
            0,
            (
                ("units", "hPa"),
                ("positive", "down"),
                ("standard_name", "air_pressure"),
                ("long_name", "standard pressure level"),
                ("axis", "Z"),
            ),
        ),
        DemoVariable(
            "lat",
            ("lat",),
            "float32",
            None,
            (180,),
            0,
            (
                ("units", "degrees_north"),
                ("standard_name", "latitude"),
                ("long_name", "latitude"),
                ("axis", "Y"),
            ),
        ),
        DemoVariable(
            "lon",
            ("lon",),
            "float32",
            None,
            (360,),
            0,
            (
                ("units", "degrees_east"),
                ("standard_name", "longitude"),
                ("long_name", "longitude"),
                ("axis", "X"),
            ),
        ),
    )
    dims4 = ("time", "level", "lat", "lon")
    chunks4 = (1, 4, 90, 180)  # 3 level chunks x 2 x 2 spatial chunks per field
    variables = (
        _airs_var(
            "air_temperature",
            dims4,
            chunks4,
            10,
            "K",
            "air_temperature",
            "Air temperature at standard pressure levels (TAirStd)",
            "Fill where the level is below the surface or outside the day's swaths.",
        ),
        _airs_var(
            "relative_humidity",
            dims4,
            chunks4,
            6,
            "%",
            "relative_humidity",
            "Relative humidity over equilibrium phase at standard pressure levels (RelHum)",
            "Fill where the level is below the surface or outside the day's swaths.",
        ),
        _airs_var(
            "surface_air_temperature",
            ("time", "lat", "lon"),
            (1, 90, 180),
            10,
            "K",
            "air_temperature",
            "Surface air temperature (SurfAirTemp)",
            "Fill outside the day's swaths.",
        ),
    )
    return DemoProduct(
        kind="airs",
        short_name="AIRS3STD_DEMO",
        alias="airs",
        version="7.0",
        entry_title=(
            "AIRS-like Aqua L3 Daily Standard Physical Retrieval 1 degree x 1 degree "
            "(synthetic demo data)"
        ),
        abstract=(
            "Synthetic daily 1-degree atmospheric profiles in an AIRS Level 3 style: air "
            "temperature and relative humidity on 12 standard pressure levels (1000-100 hPa) and "
            "surface air temperature, with descending latitudes, longitudes 0-360 and daily "
            "swath gaps. Temperature follows a lapse rate up to a latitude-dependent tropopause; "
            "humidity decreases with height; both have a seasonal cycle. For demonstrations and "
            "tests of vstore_explorer only; not a retrieval."
        ),
        processing_level="3",
        time_step=timedelta(days=1),
        default_count=365,
        start=datetime(2023, 1, 1, 0, tzinfo=UTC),
        grid=grid,
        coords=coords,
        variables=variables,
        time_units="days since 1993-01-01 00:00:00",
        filename_pattern="AIRS.%Y.%m.%d.L3.RetStd_IR001.v7.0.7.0.DEMO.nc4",
        global_attrs=(
            ("title", "AIRS-like L3 daily standard retrieval (synthetic demo data)"),
            ("institution", PROVIDER),
            ("source", "AIRS/AMSU-A on Aqua (synthetic)"),
            ("Conventions", "CF-1.8"),
            ("comment", "Synthetic demo data for vstore_explorer; not a retrieval."),
            ("geospatial_lat_resolution", np.float32(1.0)),
            ("geospatial_lon_resolution", np.float32(1.0)),
        ),
        science_keywords=(
            ScienceKeyword("ATMOSPHERE", "ATMOSPHERIC TEMPERATURE", "UPPER AIR TEMPERATURE"),
            ScienceKeyword(
                "ATMOSPHERE", "ATMOSPHERIC TEMPERATURE", "SURFACE TEMPERATURE", "AIR TEMPERATURE"
            ),
            ScienceKeyword(
                "ATMOSPHERE", "ATMOSPHERIC WATER VAPOR", "WATER VAPOR INDICATORS", "HUMIDITY"
            ),
        ),
        platforms=(
            Platform(
                "Earth Observation Satellites",
                "AQUA",
                "Earth Observing System, AQUA",
                (
                    ("AIRS", "Atmospheric Infrared Sounder"),
                    ("AMSU-A", "Advanced Microwave Sounding Unit-A"),
                ),
            ),
        ),
        levels=_AIRS_LEVELS,
    )
