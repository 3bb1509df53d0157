"""The demo products: what each synthetic collection looks like, modelled on a real NASA one.

Each ``DemoProduct`` fixes the grid, variables, encodings (dtype, packing, fill, chunks, zlib level),
attributes, time axis and file naming of one collection; ``fields`` makes its values and
``granules`` writes its files. Products are immutable and picklable (worker processes get them).

Example:
    >>> p = get_product("sst")
    >>> p.filename(p.times(1)[0])
    '20230101120000-VSTOREDEMO-L4_GHRSST-SSTfnd-DEMO_25km-GLOB-v02.0-fv01.0.nc'
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

from vstore_explorer.errors import InvalidInputError

PROVIDER = "VSTOREDEMO"

Attrs = tuple[tuple[str, Any], ...]
"""Ordered attributes (name, value); tuples of numbers are written as arrays of the variable dtype."""


@dataclass(frozen=True)
class Grid:
    """A regular lat/lon grid: first cell centre, step (negative = descending) and size per axis."""

    lat_first: float
    lat_step: float
    nlat: int
    lon_first: float
    lon_step: float
    nlon: int

    def lat(self) -> np.ndarray:
        """Cell-centre latitudes (float32, in file order)."""
        return (self.lat_first + self.lat_step * np.arange(self.nlat)).astype(np.float32)

    def lon(self) -> np.ndarray:
        """Cell-centre longitudes (float32, in file order)."""
        return (self.lon_first + self.lon_step * np.arange(self.nlon)).astype(np.float32)

    @property
    def resolution(self) -> float:
        """Cell size in degrees (the same on both axes for the demo grids)."""
        return abs(self.lat_step)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.nlat, self.nlon)

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) of the cell edges, longitudes folded to -180..180."""
        lat, lon = self.lat(), self.lon()
        half = self.resolution / 2
        south, north = float(lat.min()) - half, float(lat.max()) + half
        west, east = float(lon.min()) - half, float(lon.max()) + half
        if east - west >= 360 - 1e-9:
            west, east = -180.0, 180.0
        return (west, max(south, -90.0), east, min(north, 90.0))


@dataclass(frozen=True)
class DemoVariable:
    """One variable as stored: dims, dtype, fill, chunks, zlib level and its attributes.

    ``attrs`` holds every attribute but ``_FillValue`` (given by ``fill_value``) in file order;
    packed variables carry ``scale_factor``/``add_offset`` there. ``keepbits`` rounds float
    mantissas to that many bits before writing (precision well below the synthetic signal; it
    keeps files small and fast to compress). ``minmax_attrs`` adds per-file ``vmin``/``vmax``
    as GLDAS does.
    """

    name: str
    dims: tuple[str, ...]
    dtype: str
    fill_value: float | int | None
    chunks: tuple[int, ...] | None
    complevel: int
    attrs: Attrs = ()
    keepbits: int | None = None
    minmax_attrs: bool = False

    def attr(self, name: str, default: Any = None) -> Any:
        """The value of attribute ``name`` (or ``default``)."""
        return dict(self.attrs).get(name, default)

    @property
    def units(self) -> str | None:
        return self.attr("units")

    @property
    def long_name(self) -> str | None:
        return self.attr("long_name")

    @property
    def standard_name(self) -> str | None:
        return self.attr("standard_name")

    @property
    def scale_factor(self) -> float | None:
        return self.attr("scale_factor")

    @property
    def add_offset(self) -> float | None:
        return self.attr("add_offset")

    @property
    def packed(self) -> bool:
        """True when values are stored as scaled integers."""
        return np.dtype(self.dtype).kind in "iu" and self.scale_factor is not None


@dataclass(frozen=True)
class ScienceKeyword:
    """A GCMD science keyword (UMM-C ``ScienceKeywords`` item)."""

    topic: str
    term: str
    variable_level_1: str | None = None
    variable_level_2: str | None = None
    category: str = "EARTH SCIENCE"

    def as_umm(self) -> dict[str, str]:
        out = {"Category": self.category, "Topic": self.topic, "Term": self.term}
        if self.variable_level_1:
            out["VariableLevel1"] = self.variable_level_1
        if self.variable_level_2:
            out["VariableLevel2"] = self.variable_level_2
        return out


@dataclass(frozen=True)
class Platform:
    """A platform and its instruments (UMM-C ``Platforms`` item)."""

    type: str
    short_name: str
    long_name: str
    instruments: tuple[tuple[str, str], ...]  # (short name, long name)

    def as_umm(self) -> dict[str, Any]:
        return {
            "Type": self.type,
            "ShortName": self.short_name,
            "LongName": self.long_name,
            "Instruments": [{"ShortName": s, "LongName": ln} for s, ln in self.instruments],
        }


@dataclass(frozen=True)
class DemoProduct:
    """A synthetic collection modelled on a real NASA product (see the module docstring).

    ``kind`` selects the field generator and the file layout ("ghrsst", "gldas" or "airs").
    ``coords`` are the coordinate (and auxiliary) variables, ``variables`` the science data.
    ``filename_pattern`` is a ``strftime`` pattern of the time step's nominal (UTC) time;
    ``coverage_offset`` is where the period a granule covers starts, relative to that time.
    """

    kind: str
    short_name: str
    alias: str
    version: str
    entry_title: str
    abstract: str
    processing_level: str
    time_step: timedelta
    default_count: int
    start: datetime
    grid: Grid
    coords: tuple[DemoVariable, ...]
    variables: tuple[DemoVariable, ...]
    time_units: str
    filename_pattern: str
    global_attrs: Attrs
    science_keywords: tuple[ScienceKeyword, ...]
    platforms: tuple[Platform, ...]
    levels: tuple[float, ...] = ()
    coverage_offset: timedelta = timedelta(0)
    provider: str = PROVIDER

    @property
    def variable_names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.variables)

    def variable(self, name: str) -> DemoVariable:
        """The science or coordinate variable called ``name``."""
        for var in (*self.variables, *self.coords):
            if var.name == name:
                return var
        names = ", ".join(v.name for v in (*self.variables, *self.coords))
        raise InvalidInputError(f"{self.short_name} has no variable {name!r}; it has: {names}")

    def filename(self, time: datetime | date | str) -> str:
        """The granule file name of the time step at ``time`` (real naming pattern)."""
        return self._normalize(time).strftime(self.filename_pattern)

    def times(
        self, count: int | None = None, start: datetime | date | str | None = None
    ) -> list[datetime]:
        """``count`` consecutive time steps (UTC) from ``start`` (default: the product's own).

        A date (or a date-only string) means the first step of that day. ``start`` must lie on
        the product's time grid (e.g. 12:00 for daily SST, every 3 h for GLDAS).
        """
        n = self.default_count if count is None else int(count)
        if n < 1:
            raise InvalidInputError(f"count must be at least 1, got {count!r}")
        first = self.start if start is None else self._normalize(start)
        return [first + i * self.time_step for i in range(n)]

    def coverage(self, time: datetime | date | str) -> tuple[datetime, datetime]:
        """(begin, end) of the period the granule at ``time`` covers (e.g. the whole day of a
        daily SST analysis nominally at 12:00; the 3 hours before a GLDAS time step)."""
        begin = self._normalize(time) + self.coverage_offset
        return begin, begin + self.time_step

    def encode_time(self, time: datetime) -> float | int:
        """``time`` as a number in ``time_units`` (int for seconds, float otherwise)."""
        unit, _, epoch = self.time_units.strip().partition(" since ")
        offset = (time - datetime.fromisoformat(epoch).replace(tzinfo=UTC)).total_seconds()
        scale = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}[unit]
        return int(offset) if unit == "seconds" else offset / scale

    def _normalize(self, value: datetime | date | str) -> datetime:
        """A UTC datetime on this product's time grid, from a datetime, date or ISO string."""
        if isinstance(value, str):
            text = value.strip()
            try:
                value = date.fromisoformat(text) if len(text) <= 10 else _parse_iso(text)
            except ValueError as exc:
                raise InvalidInputError(f"not an ISO date or datetime: {text!r}") from exc
        if not isinstance(value, datetime):  # a date: the first step of that day
            midnight = datetime(value.year, value.month, value.day, tzinfo=UTC)
            phase = (self.start - self.start.replace(hour=0, minute=0, second=0)) % self.time_step
            value = midnight + phase
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        if (value - self.start) % self.time_step:
            raise InvalidInputError(
                f"{value.isoformat()} is not a time step of {self.short_name} "
                f"(every {self.time_step} from {self.start.isoformat()})"
            )
        return value


def _parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# --------------------------------------------------------------------------- GHRSST-like SST

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


# --------------------------------------------------------------------------- GLDAS-like LSM

_F32_FILL = np.float32(-9999.0)


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


# --------------------------------------------------------------------------- AIRS-like L3

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


PRODUCTS: Mapping[str, DemoProduct] = types.MappingProxyType(
    {p.short_name: p for p in (_ghrsst(), _gldas(), _airs())}
)
"""The demo products by short name (read-only)."""


def get_product(name: str) -> DemoProduct:
    """The demo product with this short name (or alias: "sst", "gldas", "airs").

    Example:
        >>> get_product("gldas").short_name
        'GLDAS_NOAH025_3H_DEMO'
    """
    if name in PRODUCTS:
        return PRODUCTS[name]
    for product in PRODUCTS.values():
        if product.alias == name.strip().lower():
            return product
    valid = ", ".join(f"{p.short_name} ({p.alias})" for p in PRODUCTS.values())
    raise InvalidInputError(f"unknown demo product {name!r}; valid names: {valid}")
