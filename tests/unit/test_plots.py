"""Plot specs from CF attributes: labels, colormaps, colour ranges, methods; the coastline overlay."""

from __future__ import annotations

import ast

import dask.array
import holoviews as hv
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from vstore_explorer import plots
from vstore_explorer.codegen import literal, render_script
from vstore_explorer.ops import Op


def grid(
    values: np.ndarray | None = None,
    *,
    lon360: bool = False,
    times: int = 1,
    attrs: dict | None = None,
    name: str = "sst",
    step: float = 1.0,
) -> xr.DataArray:
    lat = np.arange(-89.5, 90, step)
    lon = np.arange(0.5, 360, step) if lon360 else np.arange(-179.5, 180, step)
    shape = (times, lat.size, lon.size)
    if values is None:
        rng = np.random.default_rng(0)
        values = 280.0 + 10.0 * rng.random(shape)
    return xr.DataArray(
        values,
        dims=("time", "lat", "lon"),
        coords={"time": pd.date_range("2024-01-03", periods=times), "lat": lat, "lon": lon},
        name=name,
        attrs=attrs
        if attrs is not None
        else {
            "long_name": "analysed sea surface temperature",
            "standard_name": "sea_surface_foundation_temperature",
            "units": "kelvin",
        },
    )


def series(values: np.ndarray, attrs: dict, name: str = "v") -> xr.DataArray:
    times = pd.date_range("2024-01-01", periods=values.size)
    return xr.DataArray(values, dims="time", coords={"time": times}, name=name, attrs=attrs)


# ------------------------------------------------------------------------------ labels, colors


@pytest.mark.parametrize(
    ("attrs", "name", "expected"),
    [
        ({"long_name": "analysed sea surface temperature", "units": "kelvin"}, "sst",
         "analysed sea surface temperature (kelvin)"),
        ({"standard_name": "precipitation_flux", "units": "kg m-2 s-1"}, "pr",
         "precipitation flux (kg m-2 s-1)"),
        ({"units": "1", "long_name": "sea ice area fraction"}, "ice", "sea ice area fraction"),
        ({}, "tas", "tas"),
        ({"long_name": "  two\n lines  ", "units": " K "}, "t", "two lines (K)"),
    ],
)  # fmt: skip
def test_label_from_cf_attributes(attrs: dict, name: str, expected: str) -> None:
    assert plots.label(xr.DataArray(0.0, name=name, attrs=attrs)) == expected


@pytest.mark.parametrize(
    ("attrs", "name", "cmap"),
    [
        ({"standard_name": "sea_surface_foundation_temperature", "units": "kelvin"}, "analysed_sst",
         "RdYlBu_r"),
        ({"standard_name": "air_temperature", "units": "K"}, "Tair_f_inst", "RdYlBu_r"),
        ({"standard_name": "precipitation_flux", "long_name": "Total precipitation rate"},
         "Rainf_f_tavg", "Blues"),
        ({"standard_name": "relative_humidity", "units": "%"}, "relative_humidity", "YlGnBu"),
        ({"standard_name": "specific_humidity", "units": "kg kg-1"}, "Qair_f_inst", "YlGnBu"),
        ({"standard_name": "sea_ice_area_fraction", "units": "1"}, "sea_ice_fraction", "Blues_r"),
        ({"long_name": "SST anomaly", "units": "K"}, "ssta", "RdBu_r"),
        ({"long_name": "something else"}, "x", "viridis"),
    ],
)  # fmt: skip
def test_colormap_from_cf_names(attrs: dict, name: str, cmap: str) -> None:
    assert plots.colormap(xr.DataArray(0.0, name=name, attrs=attrs)) == cmap


def test_robust_colour_range_is_the_rounded_2_98_percentiles() -> None:
    da = grid()
    low, high = np.percentile(da.values, [2, 98])
    clim = plots.robust_range(da)
    assert clim == (float(f"{low:.4g}"), float(f"{high:.4g}"))
    assert plots.spec(da, "map")[1]["clim"] == clim


def test_robust_range_ignores_nan_and_needs_spread() -> None:
    values = np.full((1, 180, 360), np.nan)
    assert plots.robust_range(grid(values)) is None
    values[0, :, :10] = 5.0
    assert plots.robust_range(grid(values)) is None  # all equal: no range
    assert "clim" not in plots.spec(grid(values), "map")[1]


def test_lazy_data_is_never_read_for_the_colour_range() -> None:
    da = grid()
    lazy = da.copy(data=dask.array.from_array(da.values, chunks=(1, 90, 90)))
    assert not plots.in_memory(lazy)
    method, kwargs = plots.spec(lazy, "map")
    assert "clim" not in kwargs
    assert kwargs["cmap"] == "RdYlBu_r"


def test_zero_crossing_data_gets_a_symmetric_diverging_range() -> None:
    rng = np.random.default_rng(1)
    values = rng.normal(1.0, 3.0, (1, 180, 360))
    da = grid(values, attrs={"long_name": "eastward wind", "units": "m s-1"}, name="u")
    kwargs = plots.spec(da, "map")[1]
    low, high = np.percentile(values, [2, 98])
    bound = max(abs(float(f"{low:.4g}")), abs(float(f"{high:.4g}")))
    assert kwargs["cmap"] == "RdBu_r"
    assert kwargs["clim"] == (-bound, bound)


def test_kelvin_never_diverges() -> None:
    values = np.linspace(-1, 1, 180 * 360).reshape(1, 180, 360)  # odd, but units say absolute
    kwargs = plots.spec(grid(values), "map")[1]
    assert kwargs["cmap"] == "RdYlBu_r"


# ------------------------------------------------------------------------------ specs


def test_map_spec_values() -> None:
    da = grid()
    method, kwargs = plots.spec(da, "map")
    assert method == "image"
    assert kwargs["x"] == "lon" and kwargs["y"] == "lat"
    assert kwargs["clabel"] == "analysed sea surface temperature (kelvin)"
    assert kwargs["title"] == "analysed sea surface temperature, 2024-01-03"
    assert kwargs["frame_width"] == plots.FRAME_WIDTH
    assert kwargs["frame_height"] == round(plots.FRAME_WIDTH * 179 / 359 - 0.5)
    assert "rasterize" not in kwargs  # 64,800 cells: drawn directly


def test_large_maps_are_rasterized_and_box_maps_keep_their_aspect() -> None:
    big = grid(step=0.25)
    assert big.sizes["lat"] * big.sizes["lon"] > plots.RASTERIZE_ABOVE
    assert plots.spec(big, "map")[1]["rasterize"] is True
    box = grid().sel(lat=slice(0, 30), lon=slice(-60, 0))
    kwargs = plots.spec(box, "map")[1]
    assert kwargs["frame_height"] == int(plots.FRAME_WIDTH * 29 / 59)


def test_irregular_grids_use_quadmesh_and_other_axis_names() -> None:
    lat = np.array([-80.0, -40.0, -10.0, 0.0, 5.0, 30.0, 70.0])
    lon = np.arange(0.0, 360.0, 30.0)
    da = xr.DataArray(
        np.zeros((lat.size, lon.size)),
        dims=("latitude", "longitude"),
        coords={"latitude": lat, "longitude": lon},
        attrs={"standard_name": "precipitation_flux"},
    )
    method, kwargs = plots.spec(da, "map")
    assert method == "quadmesh"
    assert (kwargs["x"], kwargs["y"], kwargs["cmap"]) == ("longitude", "latitude", "Blues")


def test_timeseries_spec() -> None:
    da = series(np.arange(5.0), {"long_name": "near surface air temperature", "units": "K"})
    method, kwargs = plots.spec(da, "timeseries")
    assert method == "line"
    assert kwargs["x"] == "time"
    assert kwargs["ylabel"] == "near surface air temperature (K)"
    assert (kwargs["frame_width"], kwargs["frame_height"]) == (640, plots.SERIES_HEIGHT)


def test_point_series_are_titled_with_their_place() -> None:
    da = grid(times=4).sel(lat=30.2, lon=-40.1, method="nearest")
    assert plots.spec(da, "timeseries")[1]["title"] == (
        "analysed sea surface temperature, 30.5°N, 40.5°W"
    )
    area = grid(times=4).mean(("lat", "lon"), keep_attrs=True)
    assert plots.spec(area, "timeseries")[1]["title"] == "analysed sea surface temperature"


def test_hovmoller_spec_time_by_latitude_or_longitude() -> None:
    da = grid(times=4)
    method, kwargs = plots.spec(da.mean("lon", keep_attrs=True), "hovmoller")
    assert (method, kwargs["x"], kwargs["y"]) == ("quadmesh", "time", "lat")
    assert kwargs["ylabel"] == "latitude (degrees north)"
    method, kwargs = plots.spec(da.mean("lat", keep_attrs=True), "hovmoller")
    assert (kwargs["x"], kwargs["y"]) == ("time", "lon")
    assert kwargs["clim"] == plots.robust_range(da.mean("lat"))


@pytest.mark.parametrize(
    ("kind", "da", "message"),
    [
        ("chart", grid(), "plot kind must be one of"),
        ("map", series(np.arange(3.0), {}), "needs a latitude dimension"),
        ("timeseries", grid(times=3), "one more selection along"),
        ("map", grid(times=3), "one more selection along ['time']"),
    ],
)
def test_wrong_kind_or_shape_is_a_clear_error(kind: str, da: xr.DataArray, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        plots.spec(da, kind)  # type: ignore[arg-type]


def test_a_dataset_is_refused() -> None:
    with pytest.raises(ValueError, match="one variable"):
        plots.spec(grid().to_dataset(), "map")  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["map", "timeseries", "hovmoller"])
def test_specs_are_plain_data_written_into_scripts(kind: str) -> None:
    da = {
        "map": grid(),
        "timeseries": grid(times=4).isel(lat=3, lon=4),
        "hovmoller": grid(times=4).mean("lon", keep_attrs=True),
    }[kind]
    method, kwargs = plots.spec(da, kind)  # type: ignore[arg-type]
    assert ast.literal_eval(literal(kwargs)) == kwargs
    script = render_script(
        open_code="ds = None", ops=[Op.make("select_variable", name="sst")], plot=(method, kwargs)
    )
    if kind == "map":  # drawn on float64 coordinates, in the app and the script alike
        assert "plot = result.assign_coords(" in script and f".hvplot.{method}(" in script
        assert 'result["lon"].astype("float64")' in script
    else:
        assert f"plot = result.hvplot.{method}(" in script
    assert f"x={kwargs['x']!r}".replace("'", '"') in script


def test_a_float32_0_to_360_global_map_draws_with_its_values() -> None:
    """HoloViews rejected a rasterized image's float32 bounds (a blank map): it is drawn on
    float64 coordinates, and the Bokeh image holds the data's values."""
    import holoviews as hv

    lat = np.arange(-89.875, 90, 0.25, dtype="f4")
    lon = np.arange(0.125, 360, 0.25, dtype="f4")
    values = np.random.default_rng(1).random((lat.size, lon.size), dtype="f4")
    da = xr.DataArray(values, dims=("lat", "lon"), coords={"lat": lat, "lon": lon}, name="sst")
    method, kwargs = plots.spec(da, "map")
    assert (method, kwargs["rasterize"]) == ("image", True)
    figure = hv.render(plots.render(da, "map", coastline=False), backend="bokeh")
    (image,) = [r.data_source.data for r in figure.renderers if "image" in r.data_source.data]
    assert image["x"][0] == 0.0 and image["dw"][0] == 360.0
    shown = np.asarray(image["image"][0])
    assert np.isfinite(shown).all() and shown.min() >= 0.0 and shown.max() <= 1.0


def test_tiles_are_opt_in_and_for_maps_only() -> None:
    assert "tiles" not in plots.spec(grid(), "map")[1]
    assert plots.spec(grid(), "map", tiles="OSM")[1]["tiles"] == "OSM"
    with pytest.raises(ValueError, match="maps only"):
        plots.spec(series(np.arange(3.0), {}), "timeseries", tiles="OSM")


# ------------------------------------------------------------------------------ render


def _elements(obj: hv.core.Dimensioned, kind: type) -> list:
    return obj.traverse(lambda e: e, [kind])


def test_render_is_the_spec_call_plus_coastlines_in_the_data_convention() -> None:
    for lon360 in (False, True):
        da = grid(lon360=lon360).isel(time=0)
        method, kwargs = plots.spec(da, "map")
        obj = plots.render(da, "map")
        (image,) = _elements(obj, hv.Image)
        expected = getattr(da.hvplot, method)(**kwargs)
        np.testing.assert_array_equal(image.dimension_values(2), expected.dimension_values(2))
        np.testing.assert_array_equal(np.flipud(image.data[da.name]), np.flipud(da.values))
        (path,) = _elements(obj, hv.Path)
        xs = np.concatenate([p[:, 0] for p in path.split(datatype="array")])
        assert [d.name for d in path.kdims] == ["lon", "lat"]
        assert np.isfinite(xs).sum() > 1000  # NaN only between lines (one path holds them all)
        if lon360:
            assert np.nanmin(xs) >= 0 and np.nanmax(xs) > 300
        else:
            assert np.nanmin(xs) < -100 and np.nanmax(xs) <= 180


def test_render_without_coastlines_or_with_a_given_spec() -> None:
    da = grid().isel(time=0)
    assert not _elements(plots.render(da, "map", coastline=False), hv.Path)
    custom = ("image", {"x": "lon", "y": "lat", "cmap": "gray", "clim": (0.0, 1.0)})
    image = _elements(plots.render(da, "map", plot=custom, coastline=False), hv.Image)[0]
    assert hv.Store.lookup_options("bokeh", image, "style").kwargs["cmap"] == "gray"


def test_render_time_series_values() -> None:
    da = series(np.array([1.0, 3.0, 2.0]), {"units": "K"})
    curve = plots.render(da, "timeseries")
    assert isinstance(curve, hv.Curve)
    np.testing.assert_array_equal(curve.dimension_values(1), [1.0, 3.0, 2.0])


def test_frame_drops_only_unused_size_one_dims() -> None:
    da = grid()
    kwargs = plots.spec(da, "map")[1]
    assert plots.frame(da, kwargs).dims == ("lat", "lon")
    assert plots.frame(da.isel(time=0), kwargs).dims == ("lat", "lon")
