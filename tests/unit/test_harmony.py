"""The Harmony hand-off: scripts built for real selections on the tiny demo, their ``request``
built by the real harmony-py (nothing sent: the job runs only under ``__main__``), the URL
harmony-py would submit, their local step against ``vx.load``, and the refusals."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import xarray as xr

import vstore_explorer as vx
from vstore_explorer.catalog.records import Collection
from vstore_explorer.demo.archive import DemoArchive
from vstore_explorer.errors import InvalidInputError
from vstore_explorer.harmony import concept_id_of

harmony = pytest.importorskip("harmony")

SST = "DEMO_25km-VSTOREDEMO-L4-GLOB-v01"
GLDAS = "GLDAS_NOAH025_3H_DEMO"
AIRS = "AIRS3STD_DEMO"


@pytest.fixture(scope="module")
def collections(demo_records: str) -> dict[str, Collection]:
    """The tiny demo's UMM-C records (with their CMR-style concept ids), by short name."""
    return {c.short_name: c for c in vx.search(catalog=demo_records)}


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing here may reach Harmony or Earthdata Login."""
    import requests

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a request was sent")

    monkeypatch.setattr(requests.Session, "send", refuse)


def run(script: str) -> dict[str, Any]:
    """Execute the script as a module (not ``__main__``): builds ``request``, submits nothing."""
    namespace: dict[str, Any] = {"__name__": "harmony_handoff"}
    exec(compile(script, "harmony_handoff.py", "exec"), namespace)  # noqa: S102
    return namespace


def submitted(request: Any) -> dict[str, list[str]]:
    """The query harmony-py would submit (built offline: no credentials are checked)."""
    client = harmony.Client(auth=("u", "p"), should_validate_auth=False)
    url = client.request_as_url(request)
    assert url.startswith("https://harmony.earthdata.nasa.gov/")
    return {"path": [urlsplit(url).path], **parse_qs(urlsplit(url).query)}


def granules(archive: DemoArchive, short_name: str) -> list[str]:
    return sorted(str(p) for p in (archive.root / "granules" / short_name).glob("*.nc*"))


def test_time_mean_box_of_a_catalog_collection(
    collections: dict[str, Collection], demo_archive: DemoArchive
) -> None:
    sst = collections[SST]
    sel = vx.Selection(variables=("analysed_sst",), bbox=(-60, 20, -10, 50), reduction="time_mean")
    script = vx.to_harmony(sst, sel)
    assert "from harmony import BBox, Client, Collection, Request" in script
    assert "client = Client()" in script and "client.submit(request)" in script
    assert "client.wait_for_processing(job_id, show_progress=True)" in script
    assert 'client.download_all(job_id, directory=".")' in script
    assert "locally with" in script and "xarray" in script  # the reduction is done locally
    assert "no time range selected" in script

    ns = run(script)
    request = ns["request"]
    assert isinstance(request, harmony.Request) and request.is_valid(), request.error_messages()
    assert request.collection.id == sst.concept_id == "C1489692817-VSTOREDEMO"
    assert request.variables == ["analysed_sst"]
    assert tuple(request.spatial) == (-60.0, 20.0, -10.0, 50.0)
    # no time range: the store's whole record, its first and last daily steps (12:00 UTC)
    assert request.temporal == {"start": datetime(2023, 1, 1, 12), "stop": datetime(2023, 1, 6, 12)}
    assert request.format == "application/x-netcdf4"

    query = submitted(request)
    assert query["path"] == [
        "/C1489692817-VSTOREDEMO/ogc-api-coverages/1.0.0/collections/parameter_vars/coverage/rangeset"
    ]
    assert query["variable"] == ["analysed_sst"]
    assert query["format"] == ["application/x-netcdf4"]
    assert query["subset"] == [
        "lat(20.0:50.0)",
        "lon(-60.0:-10.0)",
        'time("2023-01-01T12:00:00":"2023-01-06T12:00:00")',
    ]

    # the local step on whole granules (Harmony's would be cut to the box) gives the app's map
    local = ns["subset_locally"](granules(demo_archive, SST)).load()
    expected = vx.load(sst.stores[0], sel)
    assert local.dims == ("lat", "lon") and local.shape == (120, 200)
    xr.testing.assert_allclose(local, expected)


def test_point_series_on_a_handle_with_the_collection_given(
    collections: dict[str, Collection], demo_archive: DemoArchive
) -> None:
    gldas = collections[GLDAS]
    handle = vx.connect(gldas.stores[0])
    sel = vx.Selection(
        variables=("Tair_f_inst",), point=(-40.3, 35.1), time=("2023-01-01T03", "2023-01-01T09")
    )
    script = vx.to_harmony(handle, sel, collection=str(gldas.concept_id))
    assert "as a small box around it (Harmony subsets boxes)" in script
    request = run(script)["request"]
    assert request.is_valid() and request.collection.id == "C4454629329-VSTOREDEMO"
    # the point as a box of one 0.25-degree cell each way
    assert tuple(request.spatial) == (-40.55, 34.85, -40.05, 35.35)
    # partial times cover their whole hour
    assert request.temporal == {
        "start": datetime(2023, 1, 1, 3, 0, 0),
        "stop": datetime(2023, 1, 1, 9, 59, 59),
    }
    query = submitted(request)
    assert query["subset"] == [
        "lat(34.85:35.35)",
        "lon(-40.55:-40.05)",
        'time("2023-01-01T03:00:00":"2023-01-01T09:59:59")',
    ]
    local = run(script)["subset_locally"](granules(demo_archive, GLDAS)).load()
    expected = vx.load(handle, sel)
    assert local.sizes == {"time": 3}
    xr.testing.assert_allclose(local, expected)


def test_level_and_area_mean_on_a_0_360_store(
    collections: dict[str, Collection], demo_archive: DemoArchive
) -> None:
    airs = collections[AIRS]
    sel = vx.Selection(
        variables=("air_temperature",),
        bbox=(200, 10, 260, 50),
        level=500,
        reduction="area_mean",
        time=("2023-01-02", "2023-01-04"),
    )
    script = vx.to_harmony(airs, sel)
    request = run(script)["request"]
    assert request.is_valid()
    assert tuple(request.spatial) == (-160.0, 10.0, -100.0, 50.0)  # Harmony's -180..180
    assert request.temporal == {
        "start": datetime(2023, 1, 2, 0, 0, 0),
        "stop": datetime(2023, 1, 4, 23, 59, 59),
    }
    assert '"level": 500.0}, method="nearest")' in script  # the level is picked locally
    local = run(script)["subset_locally"](granules(demo_archive, AIRS)).load()
    expected = vx.load(airs.stores[0], sel)
    assert local.sizes == {"time": 3}
    xr.testing.assert_allclose(local, expected)


def test_all_variables_and_a_box_across_the_antimeridian(
    collections: dict[str, Collection],
) -> None:
    sel = vx.Selection(bbox=(170, -10, -170, 10), time=("2023-01-02", "2023-01-02"))
    script = vx.to_harmony(collections[SST], sel)
    assert "crosses the antimeridian" in script
    assert "isel" not in script  # the store's index positions do not apply to Harmony's files
    request = run(script)["request"]
    assert request.is_valid()
    assert request.variables == ["all"]
    assert tuple(request.spatial) == (170.0, -10.0, -170.0, 10.0)
    assert submitted(request)["subset"][:2] == ["lat(-10.0:10.0)", "lon(170.0:-170.0)"]


def test_a_store_without_a_collection_is_refused(
    collections: dict[str, Collection], tmp_path: Path
) -> None:
    link = collections[SST].stores[0]
    sel = vx.Selection(variables=("analysed_sst",))
    for store in (link, vx.connect(link)):
        with pytest.raises(InvalidInputError, match=r"links to no CMR collection.*collection="):
            vx.to_harmony(store, sel)
    with pytest.raises(InvalidInputError, match="is not a CMR collection concept id"):
        vx.to_harmony(link, sel, collection="GHRSST-SST")
    bare = Collection(short_name="LOCAL_ONLY", stores=(link,))
    with pytest.raises(InvalidInputError, match="has no CMR concept id"):
        vx.to_harmony(bare, sel)
    assert concept_id_of(" C1996881146-POCLOUD ") == "C1996881146-POCLOUD"


def test_the_script_carries_no_credentials(
    collections: dict[str, Collection], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDL_USERNAME", "someone")
    monkeypatch.setenv("EDL_PASSWORD", "s3cret-pass")
    script = vx.to_harmony(collections[SST], vx.Selection(variables=("analysed_sst",)))
    assert "s3cret-pass" not in script and "someone" not in script
    assert "Client()" in script and "auth=" not in script
