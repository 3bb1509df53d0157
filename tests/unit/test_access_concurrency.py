"""Access(concurrency=): it reaches Icechunk's repository config and zarr's async concurrency."""

from __future__ import annotations

import pickle

import icechunk
import pytest
import zarr

from vstore_explorer.errors import InvalidInputError
from vstore_explorer.stores.access import (
    CHUNK_REQUEST_BYTES,
    READ_CONCURRENCY,
    Access,
)


def test_the_default_reaches_icechunk_and_one_request_per_chunk():
    config = Access().icechunk_config()
    assert isinstance(config, icechunk.RepositoryConfig)
    assert config.max_concurrent_requests == READ_CONCURRENCY
    concurrency = config.storage.concurrency
    assert concurrency.ideal_concurrent_request_size == CHUNK_REQUEST_BYTES
    assert config.storage.retries.max_tries == 6  # the retry policy travels with it


def test_a_setting_reaches_icechunk_and_zarr():
    access = Access(concurrency=128)
    assert access.icechunk_config().max_concurrent_requests == 128
    with zarr.config.set({"async.concurrency": 10}):
        access.apply_zarr_concurrency()
        assert zarr.config.get("async.concurrency") == 128


def test_zarr_concurrency_is_only_raised():
    with zarr.config.set({"async.concurrency": 200}):
        Access(concurrency=32).apply_zarr_concurrency()
        assert zarr.config.get("async.concurrency") == 200
    with zarr.config.set({"async.concurrency": 10}):
        Access(concurrency=None).apply_zarr_concurrency()
        assert zarr.config.get("async.concurrency") == 10
        assert Access(concurrency=None).icechunk_config().max_concurrent_requests is None


def test_the_icechunk_kind_applies_it(monkeypatch, tmp_path):
    """``stores/kinds/icechunk.repository`` opens with the Access's config and raises zarr's."""
    from vstore_explorer.catalog.links import StoreLink
    from vstore_explorer.stores.kinds import icechunk as kind

    seen = {}

    def fake_open(storage, config=None, **kwargs):
        seen["config"] = config
        raise icechunk.RepositoryNotFoundError("none")

    monkeypatch.setattr(icechunk.Repository, "open", staticmethod(fake_open))
    with zarr.config.set({"async.concurrency": 10}):
        with pytest.raises(Exception, match="no Icechunk repository"):
            kind.repository(StoreLink(tmp_path.as_uri(), kind="icechunk"), Access(concurrency=96))
        assert zarr.config.get("async.concurrency") == 96
    assert seen["config"].max_concurrent_requests == 96


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "64"])
def test_bad_values_are_refused(bad):
    with pytest.raises(InvalidInputError, match="concurrency"):
        Access(concurrency=bad)


def test_repr_and_pickle_keep_it():
    access = Access(concurrency=16)
    assert "concurrency=16" in repr(access)
    assert "concurrency" not in repr(Access())
    assert pickle.loads(pickle.dumps(access)).concurrency == 16
