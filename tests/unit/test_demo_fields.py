"""The demo products, their synthetic fields and the Natural Earth land mask (no files written)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from vstore_explorer.demo import fields, landmask
from vstore_explorer.demo.products import PRODUCTS, get_product

SST = get_product("sst")
GLDAS = get_product("gldas")
AIRS = get_product("airs")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture(scope="module")
def contexts() -> dict[str, fields.FieldContext]:
    """Field contexts on the products' own grids with the real land mask (built once)."""
    out = {}
    for product in (SST, GLDAS, AIRS):
        land = landmask.land_mask(product.grid.lat(), product.grid.lon())
        out[product.alias] = fields.make_context(product, land)
    return out


def sel(ctx: fields.FieldContext, lat: tuple[float, float], lon: tuple[float, float]):
    """Row and column index arrays of a lat/lon box (longitudes in -180..180)."""
    x = (ctx.lon + 180) % 360 - 180
    rows = np.nonzero((ctx.lat >= lat[0]) & (ctx.lat <= lat[1]))[0]
    cols = np.nonzero((x >= lon[0]) & (x <= lon[1]))[0]
    return np.ix_(rows, cols)


# --------------------------------------------------------------------------- products


def test_registry_is_read_only_and_lookups_are_clear():
    assert set(PRODUCTS) == {
        "DEMO_25km-VSTOREDEMO-L4-GLOB-v01",
        "GLDAS_NOAH025_3H_DEMO",
        "AIRS3STD_DEMO",
    }
    with pytest.raises(TypeError):
        PRODUCTS["x"] = SST  # type: ignore[index]
    assert get_product("GLDAS_NOAH025_3H_DEMO") is GLDAS
    assert get_product("sst") is SST
    with pytest.raises(ValueError, match="valid names: DEMO_25km-VSTOREDEMO-L4-GLOB-v01 \\(sst\\)"):
        get_product("MUR")
    assert {p.provider for p in PRODUCTS.values()} == {"VSTOREDEMO"}


def test_file_names_follow_the_real_patterns():
    assert SST.filename(utc(2023, 1, 1, 12)) == (
        "20230101120000-VSTOREDEMO-L4_GHRSST-SSTfnd-DEMO_25km-GLOB-v02.0-fv01.0.nc"
    )
    assert GLDAS.filename(utc(2023, 1, 1, 3)) == "GLDAS_NOAH025_3H.A20230101.0300.021.nc4"
    assert AIRS.filename(utc(2023, 2, 5)) == "AIRS.2023.02.05.L3.RetStd_IR001.v7.0.7.0.DEMO.nc4"


def test_times_step_from_the_start_and_accept_dates_and_strings():
    assert SST.times(3) == [utc(2023, 1, 1, 12), utc(2023, 1, 2, 12), utc(2023, 1, 3, 12)]
    assert GLDAS.times(2, "2023-07-01") == [utc(2023, 7, 1, 0), utc(2023, 7, 1, 3)]
    assert SST.times(1, date(2024, 2, 29)) == [utc(2024, 2, 29, 12)]
    assert GLDAS.times(1, "2023-07-01T06:00:00Z") == [utc(2023, 7, 1, 6)]
    assert len(SST.times()) == SST.default_count == 365
    assert GLDAS.default_count == 96 and AIRS.default_count == 365
    ten_years = SST.times(3650)
    assert ten_years[-1] == utc(2032, 12, 28, 12)
    assert len({SST.filename(t) for t in ten_years}) == 3650


def test_times_refuse_off_grid_starts_and_bad_counts():
    with pytest.raises(ValueError, match="not a time step of GLDAS_NOAH025_3H_DEMO"):
        GLDAS.times(1, "2023-01-01T04:00:00")
    with pytest.raises(ValueError, match="not a time step"):
        SST.times(1, utc(2023, 1, 1, 0))
    with pytest.raises(ValueError, match="count must be at least 1"):
        SST.times(0)
    with pytest.raises(ValueError, match="not an ISO date"):
        SST.times(1, "yesterday")


def test_time_encoding_matches_the_real_granules():
    # values read from the real GAMSSA and GLDAS fixtures (reference_values.json)
    assert SST.encode_time(utc(2024, 10, 11, 12)) == 1381492800
    assert GLDAS.time_units == " minutes since 2000-01-01 03:00:00"
    assert GLDAS.encode_time(utc(2016, 1, 1, 3)) == 8415360.0
    assert AIRS.encode_time(utc(1993, 1, 11)) == 10.0


def test_coverage_periods():
    assert SST.coverage(utc(2023, 1, 1, 12)) == (utc(2023, 1, 1), utc(2023, 1, 2))
    assert GLDAS.coverage(utc(2023, 1, 1, 3)) == (utc(2023, 1, 1, 0), utc(2023, 1, 1, 3))
    assert AIRS.coverage(utc(2023, 1, 1)) == (utc(2023, 1, 1), utc(2023, 1, 2))


def test_grids_lat_order_and_lon_conventions():
    lat, lon = SST.grid.lat(), SST.grid.lon()
    assert (lat[0], lat[-1], lat.size, lon[0], lon[-1], lon.size) == (
        -89.875,
        89.875,
        720,
        -179.875,
        179.875,
        1440,
    )
    assert lat.dtype == np.float32 and np.all(np.diff(lat) > 0)
    glat = GLDAS.grid.lat()
    assert (glat[0], glat[-1], glat.size, GLDAS.grid.nlon) == (-59.875, 89.875, 600, 1440)
    alat, alon = AIRS.grid.lat(), AIRS.grid.lon()
    assert (alat[0], alat[-1], alon[0], alon[-1]) == (89.5, -89.5, 0.5, 359.5)
    assert np.all(np.diff(alat) < 0)
    assert AIRS.levels[0] == 1000 and AIRS.levels[-1] == 100 and len(AIRS.levels) == 12
    level = AIRS.variable("level")
    assert level.units == "hPa" and level.attr("positive") == "down"
    assert SST.grid.bbox == (-180.0, -90.0, 180.0, 90.0)
    assert GLDAS.grid.bbox == (-180.0, -60.0, 180.0, 90.0)
    assert AIRS.grid.bbox == (-180.0, -90.0, 180.0, 90.0)
    assert SST.grid.resolution == 0.25 and AIRS.grid.resolution == 1.0


def test_sst_encodings_are_those_of_the_real_gamssa_file():
    sst = SST.variable("analysed_sst")
    assert (sst.dtype, sst.fill_value, sst.scale_factor, sst.add_offset) == (
        "int16",
        -32768,
        0.01,
        273.15000000000003,
    )
    assert sst.attr("valid_min") == -300 and sst.attr("valid_max") == 4500 and sst.packed
    ice = SST.variable("sea_ice_fraction")
    assert (ice.dtype, ice.fill_value, ice.scale_factor, ice.add_offset) == ("int8", -128, 0.01, 0)
    assert SST.variable("time").chunks == (1048576,)  # the real files' oversized time chunk
    assert {v.complevel for v in SST.variables} == {3}
    with pytest.raises(ValueError, match="has no variable 'sst'"):
        SST.variable("sst")


def test_umm_helpers():
    assert SST.science_keywords[0].as_umm() == {
        "Category": "EARTH SCIENCE",
        "Topic": "OCEANS",
        "Term": "OCEAN TEMPERATURE",
        "VariableLevel1": "SEA SURFACE TEMPERATURE",
        "VariableLevel2": "SEA SURFACE FOUNDATION TEMPERATURE",
    }
    aqua = AIRS.platforms[0].as_umm()
    assert aqua["ShortName"] == "AQUA"
    assert [i["ShortName"] for i in aqua["Instruments"]] == ["AIRS", "AMSU-A"]


# --------------------------------------------------------------------------- building blocks


def test_exact_matmul_does_not_depend_on_summation_order():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(50, 300)), rng.normal(size=(300, 70))
    perm = rng.permutation(300)
    first = fields.exact_matmul(a, b)
    assert first.dtype == np.float32
    assert first.tobytes() == fields.exact_matmul(a[:, perm], b[perm]).tobytes()
    assert first.tobytes() == np.ascontiguousarray(fields.exact_matmul(b.T, a.T).T).tobytes()
    np.testing.assert_allclose(first, a @ b, rtol=1e-3, atol=1e-3)


def test_bitround_keeps_precision_and_nan():
    x = np.array([287.123456, -0.000123456, np.nan, 1e-30], np.float32)
    r = fields.bitround(x, 10)
    np.testing.assert_allclose(r[[0, 1, 3]], x[[0, 1, 3]], rtol=2.0**-11)
    assert np.isnan(r[2])
    assert (r[[0, 1, 3]].view(np.uint32) & np.uint32((1 << 13) - 1) == 0).all()


def test_random_waves_are_smooth_unit_variance_and_wrap_in_longitude():
    lat = np.arange(-89.5, 90, 1.0)
    lon = np.arange(-179.5, 180, 1.0)
    w = fields.random_waves(lat, lon, 100.0, seed=1, n=48, wavelength=(10, 40), speed=(5, 10))
    assert 0.5 < w.std() < 1.5
    step = np.abs(np.diff(w, axis=1)).mean()
    assert step < 0.3 * w.std()  # smooth at 1 degree
    assert abs(w[:, 0] - w[:, -1]).mean() < 2 * step  # no seam at the dateline
    later = fields.random_waves(lat, lon, 100.1, seed=1, n=48, wavelength=(10, 40), speed=(5, 10))
    assert np.corrcoef(w.ravel(), later.ravel())[0, 1] > 0.9  # continuous in time
    much_later = fields.random_waves(lat, lon, 110.0, 1, 48, (10, 40), (5, 10))
    assert abs(np.corrcoef(w.ravel(), much_later.ravel())[0, 1]) < 0.5  # but it evolves


# --------------------------------------------------------------------------- land mask


def test_land_mask_known_places_and_conventions():
    lat = np.array([48.85, 23.0, 0.0, -85.0, 40.0])
    lon = np.array([2.35, 10.0, -150.0, -30.0])
    land = landmask.land_mask(lat, lon)
    assert land[0, 0] and land[1, 1]  # Paris, the Sahara
    assert not land[2, 2] and not land[4, 3]  # central Pacific, mid-Atlantic
    assert land[3, 3]  # Antarctica
    same = landmask.land_mask(lat, (lon + 360) % 360)  # 0..360 longitudes
    np.testing.assert_array_equal(land, same)


def test_land_fraction_is_earth_like(contexts):
    assert 0.30 < contexts["sst"].land.mean() < 0.37  # cells, not area: the real GAMSSA has 0.345
    assert 0.25 < contexts["gldas"].land.mean() < 0.32  # the real GLDAS has 0.282 valid


def test_land_mask_cache_is_reused(tmp_path, monkeypatch):
    lat, lon = np.arange(-89.5, 90, 2.0), np.arange(-179.5, 180, 2.0)
    first = landmask.land_mask(lat, lon, cache_dir=tmp_path)
    files = list(tmp_path.glob("landmask-90x180-*.npy"))
    assert len(files) == 1 and not list(tmp_path.glob(".*part"))

    def fail(*_args):
        raise AssertionError("rasterized again instead of reading the cache")

    monkeypatch.setattr(landmask, "rasterize", fail)
    np.testing.assert_array_equal(landmask.land_mask(lat, lon, cache_dir=tmp_path), first)


# --------------------------------------------------------------------------- determinism


@pytest.mark.parametrize("alias", ["sst", "gldas", "airs"])
def test_fields_are_deterministic_and_change_with_time(contexts, alias):
    ctx = contexts[alias]
    t = ctx.product.times(2, ctx.product.start + 40 * ctx.product.time_step)
    a, b = fields.generate(ctx, t[0]), fields.generate(ctx, t[0])
    assert sorted(a) == sorted(ctx.product.variable_names)
    for name in a:
        assert a[name].tobytes() == b[name].tobytes(), name
    c = fields.generate(ctx, t[1])
    first = ctx.product.variable_names[0]
    assert a[first].tobytes() != c[first].tobytes()
    assert fields.product_seed(ctx.product) == fields.product_seed(get_product(alias))


def test_naive_times_are_utc(contexts):
    ctx = contexts["airs"]
    a = fields.generate(ctx, datetime(2023, 3, 1))
    b = fields.generate(ctx, utc(2023, 3, 1))
    assert a["air_temperature"].tobytes() == b["air_temperature"].tobytes()


# --------------------------------------------------------------------------- SST physics


def test_sst_ranges_land_and_ice(contexts):
    ctx = contexts["sst"]
    out = fields.generate(ctx, utc(2023, 3, 15, 12))
    sst, ice, err = out["analysed_sst"], out["sea_ice_fraction"], out["analysis_error"]
    ocean = ~ctx.land
    assert np.isnan(sst[ctx.land]).all() and not np.isnan(sst[ocean]).any()
    assert np.nanmin(sst) >= 270.0 and np.nanmax(sst) <= 306.0
    assert np.nanmax(sst) > 300.0 and np.nanmin(sst) < 272.0
    assert np.nanmin(ice) >= 0 and np.nanmax(ice) == 1.0
    rows_with_ice = np.nonzero((np.nan_to_num(ice) > 0).any(axis=1))[0]
    assert np.abs(ctx.lat[rows_with_ice]).min() >= 40.0  # ice only at high latitude
    full_ice = ice > 0.95
    assert full_ice.sum() > 10_000
    assert np.abs(sst[full_ice] - fields.FREEZING_SST).max() < 0.7  # clamped near freezing
    assert np.nanmin(err) >= 0.01 and np.nanmax(err) <= 1.0
    assert set(np.unique(out["mask"])) == {1, 2, 8}
    np.testing.assert_array_equal(out["mask"] == 8, ice > 0)


def test_sst_zonal_gradient_and_hemispheric_seasons(contexts):
    ctx = contexts["sst"]
    march = fields.generate(ctx, utc(2023, 3, 15, 12))
    sept = fields.generate(ctx, utc(2023, 9, 15, 12))

    def band(out, lo, hi):
        return np.nanmean(out["analysed_sst"][sel(ctx, (lo, hi), (-180, 180))])

    assert band(march, -5, 5) > band(march, 35, 45) + 8 > band(march, 60, 70) + 8
    assert band(sept, 35, 50) > band(march, 35, 50) + 3  # northern summer
    assert band(march, -50, -35) > band(sept, -50, -35) + 3  # southern summer
    north_ice = lambda out: np.nansum(out["sea_ice_fraction"][ctx.lat > 0])  # noqa: E731
    south_ice = lambda out: np.nansum(out["sea_ice_fraction"][ctx.lat < 0])  # noqa: E731
    assert north_ice(march) > 1.5 * north_ice(sept)
    assert south_ice(sept) > 1.5 * south_ice(march)


def test_sst_western_boundary_currents_are_sharp_fronts(contexts):
    ctx = contexts["sst"]
    sst = fields.generate(ctx, utc(2023, 5, 1, 12))["analysed_sst"]
    err = fields.generate(ctx, utc(2023, 5, 1, 12))["analysis_error"]
    grad = np.abs(np.diff(sst, axis=0))  # K per 0.25 degree of latitude

    def steepest(lat, lon):
        return np.nanmax(grad[sel(ctx, lat, lon)])

    gulf, kuroshio = steepest((33, 45), (-72, -55)), steepest((32, 40), (143, 160))
    open_pacific = steepest((33, 45), (-170, -150))
    assert gulf > 1.0 and kuroshio > 1.0
    assert gulf > 3 * open_pacific and kuroshio > 3 * open_pacific
    # the analysis error is larger along the front than in the subtropical gyre
    assert np.nanmean(err[sel(ctx, (36, 42), (-70, -55))]) > np.nanmean(
        err[sel(ctx, (20, 28), (-60, -40))]
    )


# --------------------------------------------------------------------------- GLDAS physics


@pytest.fixture(scope="module")
def gldas_day(contexts) -> list[dict[str, np.ndarray]]:
    """Eight 3-hourly GLDAS steps of one northern-summer day."""
    ctx = contexts["gldas"]
    return [fields.generate(ctx, t) for t in GLDAS.times(8, "2023-07-10")]


def test_gldas_ranges_and_ocean_mask(contexts, gldas_day):
    ctx = contexts["gldas"]
    for out in gldas_day:
        for name, values in out.items():
            assert np.isnan(values[~ctx.land]).all(), name
            assert not np.isnan(values[ctx.land]).any(), name
        assert np.nanmin(out["Tair_f_inst"]) > 200 and np.nanmax(out["Tair_f_inst"]) < 330
        assert np.nanmin(out["Qair_f_inst"]) > 0 and np.nanmax(out["Qair_f_inst"]) < 0.035
        assert (
            2.0
            <= np.nanmin(out["SoilMoi0_10cm_inst"])
            <= np.nanmax(out["SoilMoi0_10cm_inst"])
            <= 47.0
        )
        assert np.nanmin(out["SWdown_f_tavg"]) >= 0 and np.nanmax(out["SWdown_f_tavg"]) < 1361
        rain = out["Rainf_f_tavg"][ctx.land]
        assert rain.min() >= 0.0  # rain is never negative
        assert 0.02 < (rain > 0).mean() < 0.4  # intermittent: it rains somewhere, not everywhere
        assert rain.max() < 0.01  # < 36 mm/h


def test_gldas_diurnal_cycle_follows_the_sun(contexts, gldas_day):
    ctx = contexts["gldas"]
    times = GLDAS.times(8, "2023-07-10")
    sw = np.stack([o["SWdown_f_tavg"] for o in gldas_day])
    tair = np.stack([o["Tair_f_inst"] for o in gldas_day])
    lon = (ctx.lon + 180) % 360 - 180
    for lon0 in (-100.0, 10.0, 80.0, 120.0):
        box = sel(ctx, (15, 45), (lon0 - 3, lon0 + 3))
        sw_series = np.nanmean(sw[(slice(None), *box)], axis=(1, 2))
        t_series = np.nanmean(tair[(slice(None), *box)], axis=(1, 2))
        # shortwave is averaged over the 3 h before each step: the interval's local mid-time
        mid_local = [((t.hour - 1.5 + lon0 / 15) % 24) for t in times]
        assert 9.0 <= mid_local[int(np.argmax(sw_series))] <= 15.0, lon0
        assert sw_series.min() < 0.05 * sw_series.max()  # night
        inst_local = [((t.hour + lon0 / 15) % 24) for t in times]
        assert 11.0 <= inst_local[int(np.argmax(t_series))] <= 19.0, lon0  # afternoon maximum
    assert lon.size == 1440


def test_gldas_elevation_and_latitude(contexts, gldas_day):
    ctx = contexts["gldas"]
    tair = np.mean([o["Tair_f_inst"] for o in gldas_day], axis=0)
    tibet = np.nanmean(tair[sel(ctx, (30, 35), (82, 95))])
    ganges = np.nanmean(tair[sel(ctx, (24, 28), (78, 88))])
    siberia = np.nanmean(tair[sel(ctx, (65, 72), (90, 130))])
    sahara = np.nanmean(tair[sel(ctx, (18, 28), (0, 20))])
    assert ganges > tibet + 15  # lapse rate
    assert sahara > siberia + 15  # latitude (and dryness)


def test_gldas_rain_moves_and_soil_moisture_responds(contexts, gldas_day):
    ctx = contexts["gldas"]
    rain = [o["Rainf_f_tavg"][ctx.land] for o in gldas_day]
    r = np.corrcoef(rain[0], rain[1])[0, 1]
    assert 0.2 < r < 0.999  # the same storms, moved on
    later = fields.generate(ctx, utc(2023, 7, 20))["Rainf_f_tavg"][ctx.land]
    assert abs(np.corrcoef(rain[0], later)[0, 1]) < 0.2  # and different storms ten days on
    out = gldas_day[4]
    wet = out["Rainf_f_tavg"] > 2e-4
    wet_band = wet & (np.abs(ctx.lat) < 60)[:, None]
    sm = out["SoilMoi0_10cm_inst"]
    assert wet_band.sum() > 500
    assert np.nanmean(sm[wet_band]) > np.nanmean(sm[ctx.land & ~wet]) + 5


# --------------------------------------------------------------------------- AIRS physics


def test_airs_temperature_and_humidity_decrease_with_height(contexts):
    ctx = contexts["airs"]
    out = fields.generate(ctx, utc(2023, 4, 1))
    t, rh = out["air_temperature"], out["relative_humidity"]
    assert t.shape == (12, 180, 360)
    step = np.diff(t, axis=0)  # upward: 1000 -> 100 hPa
    assert np.nanmax(step) <= 0  # never warmer higher up (isothermal above the tropopause)
    tropics = sel(ctx, (-20, 20), (-180, 180))
    lower = step[:7][(slice(None), *tropics)]  # 1000 .. 300 hPa
    assert np.nanmax(lower) < -1.0  # a lapse rate there
    tropical = np.nanmean(t[(slice(None), *tropics)], axis=(1, 2))
    assert 293 < tropical[0] < 303 and 262 < tropical[5] < 275  # 1000 and 500 hPa
    assert 185 < tropical[-1] < 205  # the tropical tropopause near 100 hPa
    polar = np.nanmean(t[(slice(None), *sel(ctx, (70, 90), (-180, 180)))], axis=(1, 2))
    assert polar[-1] > tropical[-1] + 5  # lower, warmer tropopause near the poles
    rh_profile = np.nanmean(rh, axis=(1, 2))
    assert np.all(np.diff(rh_profile) < 0) and rh_profile[0] > 60 and rh_profile[-1] < 25
    assert np.nanmin(rh) > 0 and np.nanmax(rh) <= 100


def test_airs_fill_below_ground_and_in_swath_gaps(contexts):
    ctx = contexts["airs"]
    out = fields.generate(ctx, utc(2023, 4, 1))
    t, sat = out["air_temperature"], out["surface_air_temperature"]
    assert np.isnan(t[0][sel(ctx, (31, 34), (84, 92))]).all()  # 1000 hPa under Tibet
    gaps = np.isnan(sat)
    gap_rows = np.nonzero(gaps.any(axis=1))[0]
    assert gaps.mean() > 0.02 and np.abs(ctx.lat[gap_rows]).max() < 45
    np.testing.assert_array_equal(np.isnan(t[-1]), gaps)  # upper levels: only the gaps
    assert np.nanmin(sat) > 190 and np.nanmax(sat) < 330


def test_airs_seasonal_cycle(contexts):
    ctx = contexts["airs"]
    jan = fields.generate(ctx, utc(2023, 1, 15))["surface_air_temperature"]
    jul = fields.generate(ctx, utc(2023, 7, 15))["surface_air_temperature"]
    siberia = sel(ctx, (50, 65), (60, 120))
    antarctic = sel(ctx, (-85, -70), (-180, 180))
    assert np.nanmean(jul[siberia]) > np.nanmean(jan[siberia]) + 15
    assert np.nanmean(jan[antarctic]) > np.nanmean(jul[antarctic]) + 10


def test_context_refuses_a_mismatched_land_mask():
    with pytest.raises(ValueError, match="does not match grid"):
        fields.make_context(AIRS, np.zeros((10, 10), bool))
    assert fields.days_since_epoch(utc(2000, 1, 2)) == 1.0
    assert fields.year_phase(fields.days_since_epoch(utc(2001, 1, 1))) < 0.01
    assert timedelta(hours=3) == GLDAS.time_step
