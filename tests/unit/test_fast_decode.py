"""stores/fast_decode: zlib-ng's inflate gives zlib's bytes; the fused pipeline is chosen only over
zarr's default, and a connected store's arrays read with it, with the values of a direct read."""

from __future__ import annotations

import zlib

import numcodecs
import numpy as np
import pytest
import zarr
from numcodecs.zlib import Zlib

from vstore_explorer.stores.fast_decode import (
    FUSED_PIPELINE,
    ZARR_DEFAULT_PIPELINE,
    ZlibNg,
    use_fast_decoding,
)


@pytest.fixture
def registry():
    before = numcodecs.registry.codec_registry.get("zlib")
    yield
    numcodecs.register_codec(before)


def test_zlib_ng_inflates_to_zlibs_bytes():
    data = np.random.default_rng(1).integers(0, 50, 230_400, dtype=np.uint8).tobytes()
    packed = zlib.compress(data, 4)
    assert bytes(ZlibNg().decode(packed)) == data == bytes(Zlib().decode(packed))
    out = np.empty(len(data), dtype=np.uint8)
    ZlibNg().decode(packed, out=out)
    assert out.tobytes() == data
    assert ZlibNg(level=4).encode(data) == Zlib(level=4).encode(data)  # compressing unchanged
    with pytest.raises(Exception, match="decompress"):
        ZlibNg().decode(b"not zlib")


def test_the_fused_pipeline_replaces_only_zarrs_default(registry):
    with zarr.config.set({"codec_pipeline.path": ZARR_DEFAULT_PIPELINE}):
        use_fast_decoding()
        assert zarr.config.get("codec_pipeline.path") == FUSED_PIPELINE
        assert numcodecs.registry.codec_registry["zlib"] is ZlibNg
    chosen = "some.users.Pipeline"
    with zarr.config.set({"codec_pipeline.path": chosen}):
        use_fast_decoding()
        assert zarr.config.get("codec_pipeline.path") == chosen


def test_a_connected_store_reads_with_it(tmp_path, registry):
    import icechunk

    from vstore_explorer.stores.open import connect

    values = np.arange(4 * 30 * 40, dtype="i2").reshape(4, 30, 40)
    repo = icechunk.Repository.create(icechunk.local_filesystem_storage(str(tmp_path / "s")))
    session = repo.writable_session("main")
    root = zarr.open_group(session.store, mode="w")
    array = root.create_array(
        "sst",
        shape=values.shape,
        chunks=(1, 30, 40),
        dtype="i2",
        serializer=zarr.codecs.BytesCodec(),
        compressors=[zarr.codecs.numcodecs.Zlib(level=4)],
        dimension_names=("time", "lat", "lon"),
    )
    array[:] = values
    session.commit("data")
    with zarr.config.set({"codec_pipeline.path": ZARR_DEFAULT_PIPELINE}):
        handle = connect(tmp_path / "s")
        sst = handle.dataset["sst"]
        pipeline = _zarr_array(sst.variable._data)._async_array.codec_pipeline
        assert type(pipeline).__name__ == "FusedCodecPipeline"
        np.testing.assert_array_equal(sst[:, 7, 9].values, values[:, 7, 9])
        np.testing.assert_array_equal(sst.values, values)


def _zarr_array(lazy):
    """The zarr array under xarray's lazy wrappers (``.array``; ``ZarrArrayWrapper._array``)."""
    for _ in range(12):
        if isinstance(lazy, zarr.Array):
            return lazy
        lazy = getattr(lazy, "_array", None) or lazy.array
    raise AssertionError("no zarr array under the variable's wrappers")
