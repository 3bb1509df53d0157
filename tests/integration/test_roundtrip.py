"""Round trip: the exported script, run in a fresh Python process, gives exactly what apply() gives.

Selections are drawn with hypothesis over every store of the demo archive (Icechunk, Kerchunk JSON
and Parquet), each script runs in its own interpreter, and results are compared with
``xr.testing.assert_identical``.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.strategies import selections
from vstore_explorer.compute import to_code
from vstore_explorer.ops import apply
from vstore_explorer.stores.open import connect

RUNNER = (
    "import pickle, runpy, sys\n"
    "ns = runpy.run_path(sys.argv[1])\n"
    "result = ns['result'].load().copy()  # drop cached accessors (hvplot) before pickling\n"
    "with open(sys.argv[2], 'wb') as f:\n"
    "    pickle.dump(result, f)\n"
)

STORES = [
    ("DEMO_25km-VSTOREDEMO-L4-GLOB-v01", "icechunk"),
    ("DEMO_25km-VSTOREDEMO-L4-GLOB-v01", "kerchunk-json"),
    ("DEMO_25km-VSTOREDEMO-L4-GLOB-v01", "kerchunk-parquet"),
    ("GLDAS_NOAH025_3H_DEMO", "icechunk"),
    ("AIRS3STD_DEMO", "icechunk"),
]


def run_script(script: str, folder: Path) -> xr.DataArray | xr.Dataset:
    """Run ``script`` in a fresh interpreter and return its loaded ``result``."""
    path = folder / "exported.py"
    out = folder / "result.pkl"
    path.write_text(script)
    proc = subprocess.run(
        [sys.executable, "-c", RUNNER, str(path), str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, f"exported script failed:\n{script}\n{proc.stderr[-3000:]}"
    with out.open("rb") as f:
        return pickle.load(f)


@pytest.mark.parametrize(("short_name", "kind"), STORES)
def test_exported_script_reproduces_apply(demo_archive, tmp_path_factory, short_name, kind):
    handle = connect(demo_archive.collection(short_name).link(kind))
    ds = handle.dataset

    @settings(
        max_examples=4,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(sel=selections(ds), plot=st.booleans())
    def check(sel, plot):
        expected = apply(ds, sel).load()
        one_d = isinstance(expected, xr.DataArray) and expected.ndim == 1
        spec = ("line", {"title": "check"}) if plot and one_d else None
        script = to_code(handle, sel, plot=spec)
        assert "import hvplot.xarray" in script if spec else "hvplot" not in script
        actual = run_script(script, tmp_path_factory.mktemp("run"))
        xr.testing.assert_identical(actual, expected)

    check()


def test_script_pins_the_snapshot_and_authorizes_containers_explicitly(demo_archive):
    link = demo_archive.collection("AIRS3STD_DEMO").link("icechunk")
    handle = connect(link)
    script = to_code(handle, {"variables": ["air_temperature"], "level": 500})
    assert f'readonly_session(snapshot_id="{handle.snapshot_id}")' in script
    prefix = (demo_archive.root / "granules" / "AIRS3STD_DEMO").as_uri() + "/"
    compact = "".join(script.split())  # black may wrap the grant over several lines
    assert f'{{"{prefix}":icechunk.credentials.LocalFileSystemAccess}}' in compact
    assert "earthaccess" not in script  # local demo data needs no login
    tagged = to_code(connect(link, tag="v1"), {"variables": ["air_temperature"]})
    assert 'readonly_session(tag="v1")' in tagged
