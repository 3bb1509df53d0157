"""The GHRSST-like demo product: a daily global 0.25-degree L4 sea surface temperature analysis.

Modelled on the GAMSSA GHRSST L4 granules (grid, encodings, attributes and file naming).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from vstore_explorer.demo.product_types import (
    PROVIDER,
    DemoProduct,
    DemoVariable,
    Grid,
    Platform,
    ScienceKeyword,
)

_GHRSST_SOURCE = "AMSR2-JAXA,VIIRS_NPP_OSPO,VIIRS_N20_OSPO,IN_SITU-GTS_BUOYS (synthetic)"
_GRID_MAPPING = (("grid_mapping", "crs"), ("coordinates", "time lat lon"))


def _ghrsst() -> DemoProduct:
    grid = Grid(-89.875, 0.25, 720, -179.875, 0.25, 1440)
    dims = ("time", "lat", "lon")
    chunks = (1, 720, 1440)  # one chunk per field, as the real GAMSSA granules
    f64 = np.float64
    coords = (
        DemoVariable(
            "time",
            ("time",),
            "int32",
            np.int32(-2147483647),
            (1048576,),  # the real GAMSSA files' oversized time chunk, kept on purpose
            3,
            (
                ("long_name", "reference time of SST field"),
                ("standard_name", "time"),
                ("axis", "T"),
                ("units", "seconds since 1981-01-01 00:00:00"),
                ("comment", "Nominal time of the daily analysis"),
                ("coverage_content_type", "coordinate"),
                ("calendar", "Standard"),
            ),
        ),
        _ghrsst_axis("lat", "latitude", "degrees_north", "Y", 720, -90.0, 90.0),
        _ghrsst_axis("lon", "longitude", "degrees_east", "X", 1440, -180.0, 180.0),
        DemoVariable(
            "crs",
            (),
            "int32",
            None,
            None,
            0,
            (
                ("long_name", "coordinate reference system"),
                ("grid_mapping_name", "latitude_longitude"),
                ("semi_major_axis", np.float32(6378137.0)),
                ("inverse_flattening", f64(298.257223563)),
                ("epsg_code", "EPSG:4326"),
            ),
        ),
    )
    variables = (
        DemoVariable(
            "analysed_sst",
            dims,
            "int16",
            np.int16(-32768),
            chunks,
            3,
            (
                ("add_offset", f64(273.15000000000003)),
                ("scale_factor", f64(0.01)),
                ("valid_min", np.int16(-300)),
                ("valid_max", np.int16(4500)),
                ("units", "kelvin"),
                ("long_name", "analysed sea surface temperature"),
                ("standard_name", "sea_surface_foundation_temperature"),
                ("comment", "Synthetic optimally interpolated analysis (demo data)."),
                ("source", _GHRSST_SOURCE),
                ("coverage_content_type", "physicalMeasurement"),
                *_GRID_MAPPING,
            ),
        ),
        DemoVariable(
            "analysis_error",
            dims,
            "int16",
            np.int16(-32768),
            chunks,
            3,
            (
                ("add_offset", f64(0.0)),
                ("scale_factor", f64(0.01)),
                ("valid_min", np.int16(0)),
                ("valid_max", np.int16(32765)),
                ("units", "kelvin"),
                ("long_name", "estimated error standard deviation of analysed_sst"),
                ("comment", "Larger near fronts and the sea-ice edge (demo data)."),
                ("coverage_content_type", "auxiliaryInformation"),
                *_GRID_MAPPING,
            ),
        ),
        DemoVariable(
            "sea_ice_fraction",
            dims,
            "int8",
            np.int8(-128),
            chunks,
            3,
            (
                ("add_offset", f64(0.0)),
                ("scale_factor", f64(0.01)),
                ("valid_min", np.int8(0)),
                ("valid_max", np.int8(100)),
                ("units", "1"),
                ("long_name", "sea ice area fraction"),
                ("standard_name", "sea_ice_area_fraction"),
                ("comment", "Synthetic fractional sea ice cover with a seasonal extent."),
                ("source", "SSMI-NCEP-Analysis-ICE-5min (synthetic)"),
                ("coverage_content_type", "auxiliaryInformation"),
                *_GRID_MAPPING,
            ),
        ),
        DemoVariable(
            "mask",
            dims,
            "int8",
            np.int8(-128),
            chunks,
            3,
            (
                ("valid_min", np.int8(1)),
                ("valid_max", np.int8(8)),
                ("long_name", "sea/land/lake/ice field composite mask"),
                (
                    "comment",
                    "b0: 1 = grid cell is open sea water, b1: 1 = land is present in this grid "
                    "cell, b2: 1 = lake surface is present in this grid cell, b3: 1 = sea ice is "
                    "present in this grid cell, b4-b7: reserved for future grid mask data",
                ),
                ("source", "Natural Earth 1:110m land polygons (public domain)"),
                ("flag_masks", (1, 2, 4, 8)),
                ("flag_meanings", "water land optional_lake_surface sea-ice"),
                *_GRID_MAPPING,
            ),
        ),
    )
    return DemoProduct(
        kind="ghrsst",
        short_name="DEMO_25km-VSTOREDEMO-L4-GLOB-v01",
        alias="sst",
        version="1.0",
        entry_title=(
            "GHRSST-like Level 4 DEMO_25km Global Foundation Sea Surface Temperature Analysis "
            "(synthetic demo data, GDS2 layout)"
        ),
        abstract=(
            "Synthetic daily global 0.25-degree foundation sea surface temperature analysis in the "
            "GHRSST GDS2 Level 4 layout (packed int16 analysed_sst and analysis_error, int8 "
            "sea_ice_fraction and mask, land masked). Values are generated deterministically: a "
            "latitudinal gradient with a hemispheric seasonal cycle, western boundary currents "
            "and fronts, mesoscale eddies and a seasonal sea-ice cover. For demonstrations and "
            "tests of vstore_explorer only; not an observation."
        ),
        processing_level="4",
        time_step=timedelta(days=1),
        default_count=365,
        start=datetime(2023, 1, 1, 12, tzinfo=UTC),
        coverage_offset=timedelta(hours=-12),
        grid=grid,
        coords=coords,
        variables=variables,
        time_units="seconds since 1981-01-01 00:00:00",
        filename_pattern="%Y%m%d%H%M%S-VSTOREDEMO-L4_GHRSST-SSTfnd-DEMO_25km-GLOB-v02.0-fv01.0.nc",
        global_attrs=(
            ("id", "DEMO_25km-VSTOREDEMO-L4-GLOB-v01"),
            ("Conventions", "CF-1.6, ACDD-1.3, ISO 8601"),
            ("title", "DEMO v1.0 Analysed daily global foundation sea surface temperature"),
            ("summary", "Synthetic GHRSST-like L4 analysis generated for vstore_explorer demos."),
            ("source", _GHRSST_SOURCE),
            ("references", "https://www.ghrsst.org/ (GDS 2.0 layout); values are synthetic"),
            ("institution", PROVIDER),
            ("comment", "Synthetic demo data: plausible, deterministic, not an observation."),
            ("license", "GHRSST protocol describes data use as free and open"),
            ("naming_authority", "org.ghrsst"),
            ("product_version", "1.0"),
            ("gds_version_id", "2.0r5"),
            ("netcdf_version_id", "4"),
            ("spatial_resolution", "1/4 degree"),
            ("platform", "GCOM-W,NPP,N20"),
            ("sensor", "AMSR2,VIIRS"),
            ("keywords", "Oceans > Ocean Temperature > Sea Surface Temperature"),
            ("keywords_vocabulary", "NASA Global Change Master Directory (GCMD) Science Keywords"),
            ("standard_name_vocabulary", "NetCDF Climate and Forecast (CF) Metadata Convention"),
            ("geospatial_lat_units", "degrees_north"),
            ("geospatial_lon_units", "degrees_east"),
            ("geospatial_lat_resolution", np.float32(0.25)),
            ("geospatial_lon_resolution", np.float32(0.25)),
            ("creator_name", "vstore_explorer demo"),
            ("processing_level", "L4"),
            ("cdm_data_type", "Grid"),
            ("time_coverage_duration", "P1D"),
            ("time_coverage_resolution", "P1D"),
            ("northernmost_latitude", f64(89.875)),
            ("southernmost_latitude", f64(-89.875)),
            ("easternmost_longitude", f64(179.875)),
            ("westernmost_longitude", f64(-179.875)),
            ("file_quality_level", np.int32(3)),
            ("geospatial_lat_max", np.float32(89.875)),
            ("geospatial_lat_min", np.float32(-89.875)),
            ("geospatial_lon_max", np.float32(179.875)),
            ("geospatial_lon_min", np.float32(-179.875)),
            ("geospatial_bounds_crs", "EPSG:4326"),
        ),
        science_keywords=(
            ScienceKeyword(
                "OCEANS",
                "OCEAN TEMPERATURE",
                "SEA SURFACE TEMPERATURE",
                "SEA SURFACE FOUNDATION TEMPERATURE",
            ),
            ScienceKeyword("CRYOSPHERE", "SEA ICE", "ICE EXTENT"),
        ),
        platforms=(
            Platform(
                "Earth Observation Satellites",
                "GCOM-W1",
                "Global Change Observation Mission 1st-Water",
                (("AMSR2", "Advanced Microwave Scanning Radiometer 2"),),
            ),
            Platform(
                "Earth Observation Satellites",
                "Suomi-NPP",
                "Suomi National Polar-orbiting Partnership",
                (("VIIRS", "Visible Infrared Imaging Radiometer Suite"),),
            ),
        ),
    )


def _ghrsst_axis(
    name: str, long: str, units: str, axis: str, size: int, vmin: float, vmax: float
) -> DemoVariable:
    return DemoVariable(
        name,
        (name,),
        "float32",
        np.float32(9.96921e36),
        (size,),
        3,
        (
            ("long_name", long),
            ("standard_name", long),
            ("axis", axis),
            ("comment", f"{long.capitalize()}s for locating data"),
            ("valid_min", np.float32(vmin)),
            ("valid_max", np.float32(vmax)),
            ("units", units),
            ("coverage_content_type", "coordinate"),
        ),
    )
