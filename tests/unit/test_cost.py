"""Cost estimates from the chunk grid and from a chunk-size lookup (pure, synthetic data)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from vstore_explorer.cost import (
    MAX_EXACT_KEYS,
    SAMPLE_KEYS,
    CostLimitError,
    Limits,
    check,
    estimate,
    human_bytes,
)
from vstore_explorer.ops import plan
from vstore_explorer.selection import Selection


@pytest.fixture()
def ds() -> xr.Dataset:
    """A year of daily 1-degree fields stored in 1x90x90 chunks (int16 on disk, float32 decoded)."""
    time = pd.date_range("2024-01-01", periods=366, freq="D")
    lat = np.arange(-89.5, 90, 1.0)
    lon = np.arange(-179.5, 180, 1.0)
    data = xr.DataArray(
        np.zeros((366, 180, 360), dtype="float32"),
        dims=("time", "lat", "lon"),
        coords={"time": time, "lat": lat, "lon": lon},
        attrs={"units": "K"},
    )
    data.encoding.update(chunks=(1, 90, 90), dtype=np.dtype("int16"))
    return xr.Dataset({"sst": data})


def test_point_series_touches_one_chunk_per_day(ds):
    ops = plan(ds, Selection(variables=("sst",), point=(-40.2, 35.3)))
    cost = estimate(ds, ops)
    assert cost.chunks == 366
    assert cost.variables[0].selected_shape == (366, 1, 1)
    assert cost.decoded_bytes == 366 * 4
    assert cost.stored_bytes == 366 * 90 * 90 * 2  # grid bound: whole int16 chunks
    assert not cost.exact and cost.source == "chunk grid"


def test_box_and_time_range_chunks(ds):
    sel = Selection(variables=("sst",), time=("2024-01-01", "2024-01-10"), bbox=(-10, 0, 10, 5))
    cost = estimate(ds, plan(ds, sel))
    # 10 days x lat 0..5 (one chunk row) x lon -10..10 (crosses the chunk edge at lon 0 -> 2 chunks)
    assert cost.chunks == 10 * 1 * 2
    assert cost.variables[0].selected_shape == (10, 5, 20)


def test_antimeridian_box_counts_both_sides(ds):
    sel = Selection(variables=("sst",), time=("2024-03-01", "2024-03-01"), bbox=(170, -5, -170, 5))
    cost = estimate(ds, plan(ds, sel))
    assert cost.variables[0].selected_shape == (1, 10, 20)
    assert cost.chunks == 1 * 2 * 2  # lat crosses the equator chunk edge; lon at both ends


def _key(name, index):
    return f"{name}/c/" + "/".join(map(str, index))


def _sizes(seen: list[str]):
    """A chunk-size lookup recording the keys asked: 1000 + the chunk's time index."""

    def sizes(keys):
        seen.extend(keys)
        return [1000 + int(k.split("/")[2]) for k in keys]

    return sizes


def test_exact_sizes_from_lookup_and_reduction_result_size(ds):
    seen: list[str] = []
    key, sizes = _key, _sizes(seen)

    sel = Selection(variables=("sst",), time=("2024-01-01", "2024-01-03"), reduction="area_mean")
    cost = estimate(
        ds, plan(ds, sel), chunk_key=key, chunk_nbytes=sizes, source="Icechunk manifest"
    )
    assert cost.exact and cost.source == "Icechunk manifest"
    assert cost.chunks == 3 * 2 * 4
    assert cost.stored_bytes == sum(1000 + t for t in range(3)) * 8
    assert len(seen) == 24 and "sst/c/2/1/3" in seen
    assert cost.result_bytes == 3 * 4  # one float32 per day after the area mean
    assert "24 chunks" in cost.summary() and "exact, Icechunk manifest" in cost.summary()


def test_many_chunks_are_sampled_not_looked_up_one_by_one(ds):
    seen: list[str] = []
    key, sizes = _key, _sizes(seen)

    sel = Selection(variables=("sst",))  # the whole year: 366 x 2 x 4 = 2928 chunks
    cost = estimate(ds, plan(ds, sel), chunk_key=key, chunk_nbytes=sizes, source="manifest")
    assert cost.chunks == 2928 > MAX_EXACT_KEYS
    assert len(seen) == len(set(seen)) == SAMPLE_KEYS  # distinct chunks, a bounded number
    truth = sum(1000 + t for t in range(366)) * 8
    assert cost.stored_bytes == pytest.approx(truth, rel=0.01)
    assert not cost.exact and cost.source == "manifest, sampled"
    assert "(estimated, manifest, sampled)" in cost.summary()


def test_limit_stops_with_explanation(ds):
    sel = Selection(variables=("sst",))
    ops = plan(ds, sel)
    cost = estimate(ds, ops)
    with pytest.raises(CostLimitError) as err:
        check(cost, Limits(max_read_bytes=1e6), ops)
    text = str(err.value)
    assert "stopped before reading" in text
    assert human_bytes(cost.stored_bytes) in text and "limit 1.0 MB" in text
    assert "'sst' 366x180x360" in text
    assert "shorter time range" in text and "dask cluster" in text
    assert err.value.cost == cost
    check(cost, Limits(max_read_bytes=1e12, max_memory_bytes=1e12), ops)  # under: no error


@pytest.mark.parametrize("bad", [0, -1, "big", None])
def test_limits_validate(bad):
    with pytest.raises(ValueError, match="max_read_bytes"):
        Limits(max_read_bytes=bad)


def test_human_bytes():
    assert human_bytes(999) == "999 B"
    assert human_bytes(1_234_567) == "1.2 MB"
    assert human_bytes(None) == "unknown"
