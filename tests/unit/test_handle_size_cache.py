"""A handle looks each chunk's stored size up once: a session's later cost estimates (the same
or overlapping chunks) ask the manifest only for keys it has not seen."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import xarray as xr

from vstore_explorer.catalog.links import StoreLink
from vstore_explorer.stores.access import Access
from vstore_explorer.stores.handle import StoreHandle
from vstore_explorer.stores.versions import Version


def test_each_chunk_size_is_looked_up_once_per_handle() -> None:
    asked: list[list[str]] = []

    def sizer(keys: Sequence[str]) -> list[int | None]:
        asked.append(list(keys))
        return [None if k.endswith("/9") else len(k) for k in keys]

    link = StoreLink(url="file:///d/sst.icechunk", kind="icechunk")
    handle = StoreHandle(link, Version(branch="main"), Access(), xr.Dataset(), _sizer=sizer)
    first = handle.chunk_nbytes(["sst/c/0", "sst/c/1", "sst/c/9", "sst/c/0"])
    assert first == [7, 7, None, 7] and asked == [["sst/c/0", "sst/c/1", "sst/c/9"]]
    again = handle.chunk_nbytes(["sst/c/1", "sst/c/2", "sst/c/9"])
    assert again == [7, 7, None] and asked[1:] == [["sst/c/2"]]  # only the new key
    assert handle.chunk_nbytes(["sst/c/0", "sst/c/2"]) == [7, 7] and len(asked) == 2
    other = dataclasses.replace(handle, group="S1")  # another group or version: its own sizes
    other.chunk_nbytes(["sst/c/0"])
    assert asked[-1] == ["sst/c/0"]
