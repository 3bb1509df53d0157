"""Rendered code mirrors execute(), and metadata can only ever become string literals."""

from __future__ import annotations

import ast
import sys
from typing import Any

import black
import numpy as np
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings

from tests.strategies import grid_dataset, selections
from vstore_explorer.codegen import comment_text, literal, render_ops, render_script
from vstore_explorer.ops import Op, execute, plan
from vstore_explorer.selection import Selection

GRIDS = {
    "plain": {},
    "descending_360": {"lat_descending": True, "lon360": True},
    "level_cftime": {"level": True, "use_cftime": True},
    "packed_cftime": {"packed": True, "use_cftime": True},
    "dask": {"level": True, "chunks": {"time": 2, "lat": 5, "lon": 7}},
}
HOSTILE_NAMES = ('a"); import os; ("', "sst\n# comment\nimport os\nos.system('x')  #")
OPEN_CODE = "ds = _source"  # stands in for the stores module's open block
SAFE_NAMES = {
    "np", "xr", "ds", "result", "plot", "_source", "hvplot", "numpy", "xarray", "hvplot.xarray",
    "sel", "isel", "weighted", "mean", "chunk", "cos", "deg2rad", "r_", "slice", "float",
    "method", "keep_attrs", "image", "line", "x", "y", "title", "astype", "assign_coords",
}  # fmt: skip
SAFE_CALLS = {
    "sel",
    "isel",
    "weighted",
    "mean",
    "chunk",
    "cos",
    "deg2rad",
    "astype",
    "assign_coords",
    "slice",
    "image",
    "line",
}


def run(code: str, ds: xr.Dataset) -> Any:
    namespace: dict[str, Any] = {"_source": ds, "ds": ds, "np": np, "xr": xr}
    exec(code, namespace)
    return namespace["result"]


def assert_only_safe_code(script: str, hostile: tuple[str, ...]) -> None:
    """The script parses; its only names and calls are expected; hostile text is only data."""
    tree = ast.parse(script)
    names: set[str] = set()
    constants: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.alias):
            names.add(node.name)
        elif isinstance(node, ast.keyword) and node.arg:
            names.add(node.arg)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            constants.append(node.value)
        if isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            assert called in SAFE_CALLS, ast.unparse(node)
        assert not isinstance(node, ast.ImportFrom | ast.Lambda | ast.FunctionDef)
    assert names <= SAFE_NAMES, names - SAFE_NAMES
    for text in hostile:
        assert text in constants  # present, but only as a string constant


def test_literal() -> None:
    assert literal("a\"'\n") == repr("a\"'\n")
    assert literal((1, -2.5, None, True)) == "(1, -2.5, None, True)"
    assert literal(("x",)) == "('x',)"
    assert literal({"a": [np.float32(1.5)]}) == "{'a': [1.5]}"
    assert literal(float("nan")) == 'float("nan")' and literal(-np.inf) == '-float("inf")'
    with pytest.raises(ValueError, match="cannot write object"):
        literal(object())
    for text in HOSTILE_NAMES:
        assert ast.literal_eval(literal(text)) == text


def test_comment_text() -> None:
    text = "line1\nline2\r\x1b[31mred\u2028sep\u202eRTL\ttab"
    assert comment_text(text) == "line1 line2 [31mred sepRTL tab"


def test_render_ops_text() -> None:
    ops = (
        Op.make("select_variable", name="sst"),
        Op.make("time_range", dim="time", start="2001-01-02", stop=None),
        Op.make("bbox_slice", indexers=(("lat", 50.0, -50.0), ("lon", 10.0, 20.0))),
        Op.make("lon_runs", dim="lon", runs=((0, 2), (22, 24))),
        Op.make("stride", dims=("lat", "lon"), step=2),
        Op.make("point_nearest", lat="lat", lat_value=1.5, lon="lon", lon_value=200.0),
        Op.make("chunk", chunks=(("time", 1),)),
        Op.make("chunk", chunks="auto"),
        Op.make("area_mean", lat="lat", lon="lon"),
        Op.make("zonal_mean", dim="lon"),
    )
    assert render_ops(ops, source="src", target="out").splitlines() == [
        "out = src['sst']",
        "out = out.sel({'time': slice('2001-01-02', None)})",
        "out = out.sel({'lat': slice(50.0, -50.0), 'lon': slice(10.0, 20.0)})",
        "out = out.isel({'lon': np.r_[0:2, 22:24]})",
        "out = out.isel({'lat': slice(None, None, 2), 'lon': slice(None, None, 2)})",
        "out = out.sel({'lat': 1.5, 'lon': 200.0}, method=\"nearest\")",
        "out = out.chunk({'time': 1})",
        "out = out.chunk('auto')",
        "out = out.weighted(np.cos(np.deg2rad(out['lat'].astype(\"float64\")))).mean(('lat', 'lon'), keep_attrs=True)",
        "out = out.mean('lon', keep_attrs=True)",
    ]
    assert render_ops(()) == "result = ds"
    with pytest.raises(ValueError, match="target must be a Python identifier"):
        render_ops((), target="x; import os")


@pytest.mark.parametrize("name", list(GRIDS))
def test_rendered_ops_equal_execute(name: str) -> None:
    ds = grid_dataset(**GRIDS[name])

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(selections(ds))
    def check(sel: Selection) -> None:
        ops = plan(ds, sel)
        xr.testing.assert_identical(run(render_ops(ops), ds), execute(ds, ops))

    check()


def test_script_runs_and_equals_execute() -> None:
    ds = grid_dataset(lon360=True, level=True)
    sel = Selection(
        ("sst",), ("2001-01-02", "2001-01-04"), (-20, -30, 20, 30), None, 600, "area_mean"
    )
    ops = plan(ds, sel)
    script = render_script(open_code=OPEN_CODE, ops=ops, header="Demo SST, area mean")
    assert black.format_str(script, mode=black.Mode(line_length=100)) == script
    assert script.startswith("# Generated by vstore_explorer\n# Demo SST, area mean\n\n")
    assert "import numpy as np\nimport xarray as xr\n" in script and "hvplot" not in script
    assert script.rstrip().endswith("result")
    xr.testing.assert_identical(run(script, ds), execute(ds, ops))


def test_script_imports_only_what_it_needs() -> None:
    ops = (Op.make("select_variable", name="sst"), Op.make("time_mean", dim="time"))
    script = render_script(open_code=OPEN_CODE, ops=ops, plot=("image", {"x": "lon", "y": "lat"}))
    assert "import numpy" not in script
    assert "import hvplot.xarray  # noqa: F401" in script
    assert script.rstrip().endswith('plot = result.hvplot.image(x="lon", y="lat")')


@pytest.mark.parametrize("hostile", HOSTILE_NAMES)
def test_hostile_variable_name_stays_a_string(hostile: str) -> None:
    ds = grid_dataset().rename({"sst": hostile})
    sel = Selection(variables=(hostile,), bbox=(150, -40, -150, 40), reduction="area_mean")
    ops = plan(ds, sel)
    title = f"{hostile} (area mean)"
    script = render_script(
        open_code=OPEN_CODE,
        ops=ops,
        plot=("line", {"title": title, "x": "time"}),
        header=f"Variable: {hostile}\nmore",
    )
    assert_only_safe_code(script, (hostile, title))
    assert all(line.startswith("# ") for line in script.split("\n\n")[0].splitlines())
    no_plot = render_script(open_code=OPEN_CODE, ops=ops)
    xr.testing.assert_identical(run(no_plot, ds), execute(ds, ops))


def test_hostile_dimension_names_stay_strings() -> None:
    lat, lon = 'lat"]); import os; os.system("x"); ([', "lon\nimport os"
    ds = grid_dataset(level=True).rename({"lat": lat, "lon": lon})
    sel = Selection(
        ("sst",), ("2001-01-02", None), (150, -40, -150, 40), None, 600, "zonal_mean", 2
    )
    ops = plan(ds, sel)
    script = render_script(open_code=OPEN_CODE, ops=ops)
    assert_only_safe_code(script, (lat, lon))
    xr.testing.assert_identical(run(script, ds), execute(ds, ops))


@pytest.mark.parametrize(
    ("plot", "message"),
    [
        (("image(); import os; x", {}), "plot method must be a Python identifier"),
        (("_private", {}), "public hvplot method"),
        (("image", {"x": object()}), "cannot write object"),
        (("image", {1: "x"}), "option names must be strings"),
        (("image",), "plot must be"),
    ],
)
def test_bad_plots(plot: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        render_script(open_code=OPEN_CODE, ops=(), plot=plot)


def test_odd_plot_option_names_are_dict_keys() -> None:
    script = render_script(open_code=OPEN_CODE, ops=(), plot=("line", {"a-b": 1, "class": 2}))
    assert 'plot = result.hvplot.line(**{"a-b": 1, "class": 2})' in script


def test_open_code_that_does_not_parse() -> None:
    with pytest.raises(ValueError, match="does not parse"):
        render_script(open_code="ds = (", ops=())


MAP_OPS = (Op.make("select_variable", name="sst"), Op.make("time_mean", dim="time"))
MAP_PLOT = ("image", {"x": "lon", "y": "lat"})


def _paths(obj: Any) -> list[Any]:
    return [e for e in getattr(obj, "values", lambda: [obj])() if type(e).__name__ == "Path"]


def test_map_script_draws_the_same_coastlines_as_the_app() -> None:
    from vstore_explorer import plots

    ds = grid_dataset(lon360=True)
    script = render_script(open_code=OPEN_CODE, ops=MAP_OPS, plot=MAP_PLOT, coastlines=True)
    namespace: dict[str, Any] = {"_source": ds}
    exec(script, namespace)
    drawn = plots.render(execute(ds, MAP_OPS), "map", plot=MAP_PLOT)
    (mine,), (apps,) = _paths(namespace["plot"]), _paths(drawn)
    xs = mine.dimension_values("lon")
    assert np.nanmin(xs) >= 0 and np.nanmax(xs) > 300  # in the data's 0-360 convention
    assert len(xs) > 1000 and mine.kdims == apps.kdims
    for dim in ("lon", "lat"):
        np.testing.assert_array_equal(mine.dimension_values(dim), apps.dimension_values(dim))
    assert render_script(open_code=OPEN_CODE, ops=MAP_OPS, plot=MAP_PLOT).count("coastline") == 0


def test_map_script_runs_without_vstore_explorer(monkeypatch: pytest.MonkeyPatch) -> None:
    script = render_script(open_code=OPEN_CODE, ops=MAP_OPS, plot=MAP_PLOT, coastlines=True)
    monkeypatch.setitem(sys.modules, "vstore_explorer.coastlines", None)  # not importable
    namespace: dict[str, Any] = {"_source": grid_dataset()}
    exec(script, namespace)
    assert type(namespace["plot"]).__name__ == "Image" and not _paths(namespace["plot"])


def test_coastline_overlay_keeps_hostile_dimension_names_as_strings() -> None:
    lon = 'lon"]); import os; os.system("x"); (["'
    ops = (Op.make("select_variable", name="sst"),)
    script = render_script(
        open_code=OPEN_CODE, ops=ops, plot=("image", {"x": lon, "y": "lat"}), coastlines=True
    )
    tree = ast.parse(script)
    imported = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert imported == ["vstore_explorer.coastlines"]
    strings = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)]
    assert strings.count(lon) == 3  # the plot's x, the longitudes read, and the overlay's kdims
    assert "os" not in {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


@pytest.mark.parametrize(
    ("plot", "message"),
    [
        (("image", {"x": "lon", "y": "lat", "tiles": "OSM"}), "tiles bring their own"),
        (("image", {"x": "lon"}), "need the map's x and y"),
    ],
)
def test_bad_coastline_overlays(plot: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        render_script(open_code=OPEN_CODE, ops=(), plot=plot, coastlines=True)
