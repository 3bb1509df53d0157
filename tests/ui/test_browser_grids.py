"""A swath map and a projected map in Chromium (#13): the served explorer opened on links to the
real ASCAT netCDF-3 swath (a box of it) and to a polar stereographic sea-ice grid, then back to
the swath. The values the browser's Bokeh data source holds for each map are compared with the
granules read directly with netCDF4 (the cells inside the box for the swath, every cell of the
projected grid, drawn on latitude/longitude)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import netCDF4
import numpy as np
import pytest

from tests.grids import POLAR_X, POLAR_Y, polar_granule, record
from tests.plugins.browser import BrowserPage, serving, wait_for_map
from tests.ui.test_browser import _FIGURE_JS, wait_until
from vstore_explorer.app.state import NO_LIMITS, ExplorerState
from vstore_explorer.build.icechunk_store import build_icechunk
from vstore_explorer.catalog.local import LocalCatalog

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore::UserWarning")]
G = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "granules"
ASCAT = next(G.glob("ascat_l2_netcdf3/*.nc"))

# The columns of the glyph that draws the map's cells (a quadmesh: one patch per cell).
CELLS_JS = f"""
([pane, column]) => {{
  const view = ({_FIGURE_JS})(pane);
  if (view === null) return null;
  for (const renderer of view.model.renderers) {{
    const source = renderer.data_source;
    if (!source || !renderer.glyph) continue;
    const data = source.data instanceof Map ? source.data : new Map(Object.entries(source.data));
    if (!data.has(column)) continue;
    return {{glyph: renderer.glyph.type, values: Array.from(data.get(column), Number),
             lat: data.has("lat") ? Array.from(data.get("lat"), Number) : null}};
  }}
  return null;
}}
"""


def _ascat(name: str) -> np.ndarray:
    with netCDF4.Dataset(ASCAT) as nc:
        return np.ma.filled(nc[name][:].astype("f8"), np.nan)


@pytest.fixture(scope="module")
def grid_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("browser-grids")
    (root / "polar").mkdir()
    (root / "records").mkdir()
    polar = [polar_granule(root / "polar" / f"ice_{d}.nc", d) for d in range(2)]
    for n, (name, files, options) in enumerate(
        (("ASCAT", [ASCAT], {"dim": "NUMROWS"}), ("POLAR", polar, {}))
    ):
        store = root / f"{name}.icechunk"
        build_icechunk(files, str(store), **options)
        record(root / "records", name, store.as_uri(), n)
    # the links a user would share, made by the explorer itself
    state = ExplorerState(catalog=LocalCatalog(root / "records"), limits=NO_LIMITS)
    state.search()
    assert state.select_collection("ASCAT"), state.alert
    lat, lon = _ascat("lat"), _ascat("lon")
    i = int(np.flatnonzero((lon[:, 20] > 200) & (np.abs(lat[:, 20]) < 50))[400])
    box = (float(lon[i, 20]) - 363.0, float(lat[i, 20]) - 3.0, float(lon[i, 20]) - 357.0,
           float(lat[i, 20]) + 3.0)  # fmt: skip
    state.variable = "wind_speed"
    state.set_box(*box)
    assert state.result("map") is not None, state.alert
    swath_query = state.query
    assert state.select_collection("POLAR"), state.alert
    assert state.result("map") is not None, state.alert
    polar_query = state.query
    with serving(str(root / "records"), root) as (url, *_):
        yield {
            "url": url,
            "swath": swath_query,
            "polar": polar_query,
            "box": box,
            "polar_granule": polar[0],
        }


def _cells(page: Any, column: str) -> dict[str, Any]:
    handle = page.locator(".vx-plot-map").first.element_handle()
    return wait_until(
        lambda: page.evaluate(CELLS_JS, [handle, column]), f"a map glyph holding {column!r}"
    )


def test_a_swath_map_and_a_projected_map_hold_the_granules_values(
    grid_app: dict[str, Any], new_page: Callable[[], BrowserPage]
) -> None:
    opened = new_page()
    page = opened.page
    page.goto(f"{grid_app['url']}?{grid_app['swath']}")
    wait_for_map(page)
    swath = _cells(page, "wind_speed")
    west, south, east, north = grid_app["box"]
    lat, lon, wind = _ascat("lat"), _ascat("lon"), _ascat("wind_speed")
    inside = (lat >= south) & (lat <= north) & ((lon - west) % 360 <= (east - west) % 360)
    expected = np.sort(wind[inside & np.isfinite(wind)])
    assert swath["glyph"] == "Patches" and expected.size > 100
    np.testing.assert_array_equal(np.sort(np.asarray(swath["values"])), expected)

    page.goto(f"{grid_app['url']}?{grid_app['polar']}")  # then the projected grid
    wait_for_map(page)
    polar = wait_until(
        lambda: (cells := _cells(page, "ice")) and len(cells["values"]) > 1000 and cells,
        "the polar grid's cells",
    )
    with netCDF4.Dataset(grid_app["polar_granule"]) as nc:
        ice = np.ma.filled(nc["ice"][0].astype("f8"), np.nan)
    finite = np.isfinite(ice)
    assert ice.shape == (POLAR_Y.size, POLAR_X.size) and polar["glyph"] == "Patches"
    np.testing.assert_array_equal(np.sort(polar["values"]), np.sort(ice[finite]))
    # drawn on latitude/longitude: every patch lies north of the grid's lowest latitude
    assert min(polar["lat"]) > 55.0

    page.go_back()  # and back to the swath box
    wait_for_map(page)
    again = wait_until(
        lambda: (cells := _cells(page, "wind_speed")) and cells, "the swath's cells again"
    )
    np.testing.assert_array_equal(np.sort(np.asarray(again["values"])), expected)
    assert not opened.outside, opened.outside  # nothing fetched off this machine
