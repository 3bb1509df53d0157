"""The GLDAS-like demo product: 3-hourly 0.25-degree land surface model output.

Modelled on the GLDAS Noah 0.25-degree 3-hourly granules (grid, encodings, attributes, naming).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from vstore_explorer.demo.product_types import (
    _F32_FILL,
    PROVIDER,
    Attrs,
    DemoProduct,
    DemoVariable,
    Grid,
    Platform,
    ScienceKeyword,
)


def _gldas_attrs(units: str, standard: str, long: str, method: str) -> Attrs:
    return (
        ("units", units),
        ("standard_name", standard),
        ("long_name", long),
        ("cell_methods", f"time: {method}"),
        ("scale_factor", np.float32(1.0)),
        ("add_offset", np.float32(0.0)),
        ("missing_value", _F32_FILL),
    )


def _gldas_var(name: str, keepbits: int, *attrs: str) -> DemoVariable:
    return DemoVariable(
        name,
        ("time", "lat", "lon"),
        "float32",
        _F32_FILL,
        (1, 600, 1440),  # one chunk per field, as the real GLDAS granules
        4,
        _gldas_attrs(*attrs),
        keepbits=keepbits,
        minmax_attrs=True,
    )


def _gldas_axis(name: str, units: str, long: str, size: int, vmin: float, vmax: float):
    return DemoVariable(
        name,
        (name,),
        "float32",
        _F32_FILL,
        (size,),
        4,
        (
            ("units", units),
            ("standard_name", long),
            ("long_name", long),
            ("scale_factor", np.float32(1.0)),
            ("add_offset", np.float32(0.0)),
            ("missing_value", _F32_FILL),
            ("vmin", np.float32(vmin)),
            ("vmax", np.float32(vmax)),
        ),
    )


def _gldas() -> DemoProduct:
    coords = (
        _gldas_axis("lat", "degrees_north", "latitude", 600, -59.875, 89.875),
        _gldas_axis("lon", "degrees_east", "longitude", 1440, -179.875, 179.875),
        DemoVariable(
            "time",
            ("time",),
            "float64",
            None,
            (1,),
            0,
            (
                # the leading space is real: GLDAS 2.1 files spell their units this way
                ("units", " minutes since 2000-01-01 03:00:00"),
                ("long_name", "time"),
                ("time_increment", "180"),
                ("bounds", "time_bnds"),
            ),
        ),
        DemoVariable("time_bnds", ("time", "bnds"), "float64", None, (1, 2), 0, ()),
    )
    variables = (
        _gldas_var("Tair_f_inst", 14, "K", "air_temperature", "Air temperature", "point"),
        _gldas_var("Qair_f_inst", 11, "kg kg-1", "specific_humidity", "Specific humidity", "point"),
        _gldas_var(
            "Rainf_f_tavg",
            9,
            "kg m-2 s-1",
            "precipitation_flux",
            "Total precipitation rate",
            "mean",
        ),
        _gldas_var(
            "SWdown_f_tavg",
            11,
            "W m-2",
            "surface_downwelling_shortwave_flux_in_air",
            "Downward shortwave radiation flux",
            "mean",
        ),
        _gldas_var(
            "SoilMoi0_10cm_inst", 11, "kg m-2", "soil_moisture_content", "Soil moisture", "point"
        ),
        _gldas_var(
            "SoilMoi10_40cm_inst", 11, "kg m-2", "soil_moisture_content", "Soil moisture", "point"
        ),
    )
    return DemoProduct(
        kind="gldas",
        short_name="GLDAS_NOAH025_3H_DEMO",
        alias="gldas",
        version="2.1",
        entry_title=(
            "GLDAS-like Noah Land Surface Model L4 3 hourly 0.25 x 0.25 degree "
            "(synthetic demo data, V2.1 layout)"
        ),
        abstract=(
            "Synthetic 3-hourly 0.25-degree land surface model output (60S-90N) in the GLDAS-2.1 "
            "Noah file layout: float32 fields with _FillValue/missing_value -9999 over the ocean. "
            "Air temperature and shortwave radiation follow solar geometry (diurnal and seasonal "
            "cycles), elevation and latitude; rain falls from storms that travel between time "
            "steps and soil moisture responds to it. For demonstrations and tests of "
            "vstore_explorer only; not model output."
        ),
        processing_level="4",
        time_step=timedelta(hours=3),
        # 12 days x 8 steps = 96 files (~0.25 s of CPU each): with a year of SST and AIRS files
        # this keeps the default demo (granules + virtual stores) inside 90 s on 2 cores
        default_count=12 * 8,
        start=datetime(2023, 1, 1, 0, tzinfo=UTC),
        coverage_offset=timedelta(hours=-3),  # time_bnds: the 3 hours ending at the step
        grid=Grid(-59.875, 0.25, 600, -179.875, 0.25, 1440),
        coords=coords,
        variables=variables,
        time_units=" minutes since 2000-01-01 03:00:00",
        filename_pattern="GLDAS_NOAH025_3H.A%Y%m%d.%H%M.021.nc4",
        global_attrs=(
            ("missing_value", _F32_FILL),
            ("tavg definision:", "past 3-hour average"),
            ("acc definision:", "past 3-hour accumulation"),
            ("inst definision:", "instantaneous"),
            ("title", "GLDAS2.1 LIS land surface model output (synthetic demo data)"),
            ("institution", PROVIDER),
            ("source", "Noah_v3.3 (synthetic)"),
            (
                "references",
                "Rodell_etal_BAMS_2004, Kumar_etal_EMS_2006, Peters-Lidard_etal_ISSE_2007",
            ),
            ("conventions", "CF-1.6"),
            ("comment", "Synthetic demo data for vstore_explorer; not model output."),
            ("MAP_PROJECTION", "EQUIDISTANT CYLINDRICAL"),
            ("SOUTH_WEST_CORNER_LAT", np.float32(-59.875)),
            ("SOUTH_WEST_CORNER_LON", np.float32(-179.875)),
            ("DX", np.float32(0.25)),
            ("DY", np.float32(0.25)),
        ),
        science_keywords=(
            ScienceKeyword(
                "ATMOSPHERE", "ATMOSPHERIC TEMPERATURE", "SURFACE TEMPERATURE", "AIR TEMPERATURE"
            ),
            ScienceKeyword(
                "ATMOSPHERE", "ATMOSPHERIC WATER VAPOR", "WATER VAPOR INDICATORS", "HUMIDITY"
            ),
            ScienceKeyword("ATMOSPHERE", "PRECIPITATION", "PRECIPITATION RATE"),
            ScienceKeyword("ATMOSPHERE", "ATMOSPHERIC RADIATION", "SHORTWAVE RADIATION"),
            ScienceKeyword("LAND SURFACE", "SOILS", "SOIL MOISTURE/WATER CONTENT"),
        ),
        platforms=(Platform("Models/Analyses", "MODELS", "MODELS", (("Computer", "Computer"),)),),
    )
