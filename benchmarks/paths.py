"""The four ways to read the same collection, each as ``open`` then ``read`` of a :class:`Case`.

- ``explorer``: :func:`vstore_explorer.connect` + :func:`vstore_explorer.load` of a Selection;
- ``icechunk``: ``icechunk.Repository.open`` + ``xr.open_zarr(chunks=None)`` + xarray by hand;
- ``kerchunk``: ``xr.open_dataset("reference://", engine="zarr", chunks=None)`` + xarray by hand;
- ``mfdataset``: ``xr.open_mfdataset`` over the NetCDF4 granules (netCDF4 engine, serial, a file
  cache larger than the number of files, minimal/override combine options) + xarray by hand.

Example:
    >>> opened = open_path("kerchunk", sources)  # doctest: +SKIP
    >>> series = read_path("kerchunk", opened, Case("point", point=(-40.0, 35.0)))  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.cases import Case, by_hand, selection

PATH_NAMES = ("explorer", "icechunk", "kerchunk", "mfdataset")
PATH_TITLES = {
    "explorer": "vstore_explorer (connect + load)",
    "icechunk": "raw Icechunk + xarray",
    "kerchunk": "Kerchunk reference:// (zarr)",
    "mfdataset": "xr.open_mfdataset (netCDF4)",
}


@dataclass(frozen=True)
class Sources:
    """Where one demo collection's stores and granules are (plain strings: sent to children).

    Attributes:
        icechunk: the Icechunk repository folder.
        container: its virtual chunk container prefix (``file:///.../granules/NAME/``).
        kerchunk: the Kerchunk JSON references file.
        granules: the folder of NetCDF4 granules.
        count: the number of granules.
    """

    icechunk: str
    container: str
    kerchunk: str
    granules: str
    count: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Sources:
        return cls(
            **{k: data[k] for k in ("icechunk", "container", "kerchunk", "granules")},
            count=int(data["count"]),
        )


def granule_files(sources: Sources) -> list[str]:
    """The granules, in time order (their names start with the date)."""
    return sorted(str(p) for p in Path(sources.granules).glob("*.nc"))


def open_path(path: str, sources: Sources) -> Any:
    """Open the collection the ``path`` way: a StoreHandle (explorer) or a lazy Dataset."""
    if path == "explorer":
        from vstore_explorer.catalog.links import StoreLink
        from vstore_explorer.stores.open import connect

        return connect(StoreLink(url=Path(sources.icechunk).as_uri(), kind="icechunk"))
    if path == "icechunk":
        import icechunk
        import xarray as xr

        repo = icechunk.Repository.open(
            icechunk.local_filesystem_storage(sources.icechunk),
            authorize_virtual_chunk_access=icechunk.containers_credentials(
                {sources.container: icechunk.credentials.LocalFileSystemAccess}
            ),
        )
        session = repo.readonly_session(branch="main")
        return xr.open_zarr(session.store, consolidated=False, chunks=None, zarr_format=3)
    if path == "kerchunk":
        import xarray as xr

        options = {"fo": sources.kerchunk, "remote_protocol": "file"}
        return xr.open_dataset(
            "reference://",
            engine="zarr",
            backend_kwargs={"consolidated": False, "storage_options": options},
            chunks=None,
        )
    if path == "mfdataset":
        import xarray as xr

        files = granule_files(sources)
        # a file cache smaller than the number of files re-opens granules on every read
        xr.set_options(file_cache_maxsize=max(128, len(files) + 16))
        return xr.open_mfdataset(
            files,
            engine="netcdf4",
            parallel=False,
            combine="nested",
            concat_dim="time",
            data_vars="minimal",
            coords="minimal",
            compat="override",
        )
    raise ValueError(f"unknown path {path!r}; known: {', '.join(PATH_NAMES)}")


def read_path(path: str, opened: Any, case: Case) -> Any:
    """Read ``case`` from what :func:`open_path` returned; the loaded DataArray."""
    if path == "explorer":
        import math

        from vstore_explorer.compute import load
        from vstore_explorer.cost import Limits

        # no limits: at 3650 granules a full-record point series is above the 2 GB default
        unlimited = Limits(max_read_bytes=math.inf, max_memory_bytes=math.inf)
        return load(opened, selection(case), limits=unlimited)
    if path in PATH_NAMES:
        return by_hand(opened, case).load()
    raise ValueError(f"unknown path {path!r}; known: {', '.join(PATH_NAMES)}")


def fingerprint(data: Any) -> dict[str, Any]:
    """Shape, finite count and NaN-skipping sum of a loaded result (to check paths agree)."""
    import numpy as np

    values = np.asarray(data.values, dtype=float)
    finite = np.isfinite(values)
    return {
        "shape": list(values.shape),
        "finite": int(finite.sum()),
        "sum": float(values[finite].sum()) if finite.any() else 0.0,
    }
