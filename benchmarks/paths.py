"""The ways to read the same collection, each as ``open`` then ``read`` of a :class:`Case`.

- ``explorer``: :func:`vstore_explorer.connect` + :func:`vstore_explorer.load` of a Selection,
  on the store the demo archive builds (a build, then an append: tags v1 and v2);
- ``built``: the same, on a store built from the same granules the way users build one, with
  ``vstore-explorer build granules/*.nc --store ...`` (one command, no append);
- ``icechunk``: ``icechunk.Repository.open`` + ``xr.open_zarr(chunks=None)`` + xarray by hand;
- ``kerchunk``: ``xr.open_dataset("reference://", engine="zarr", chunks=None)`` + xarray by hand;
- ``mfdataset``: ``xr.open_mfdataset`` over the NetCDF4 granules (netCDF4 engine, serial, a file
  cache larger than the number of files, minimal/override combine options; the HDF5 chunk cache
  turned off only where the default would not fit in memory) + xarray by hand.

Example:
    >>> opened = open_path("kerchunk", sources)  # doctest: +SKIP
    >>> series = read_path("kerchunk", opened, Case("point", point=(-40.0, 35.0)))  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from benchmarks.cases import Case, by_hand, selection

PATH_NAMES = ("explorer", "built", "icechunk", "kerchunk", "mfdataset")
PATH_TITLES = {
    "explorer": "vstore_explorer (connect + load)",
    "built": "vstore_explorer, `vstore-explorer build` store",
    "icechunk": "raw Icechunk + xarray",
    "kerchunk": "Kerchunk reference:// (zarr)",
    "mfdataset": "xr.open_mfdataset (netCDF4)",
}
# The mfdataset path's HDF5 chunk cache (per variable and open file). netCDF-C's default (64 MB)
# keeps every chunk read in each of the N open files: the 4 MB time chunk (1,048,576 int32, as the
# GAMSSA files) at open, then e.g. the 2 MB field of each day of a point series. 365 GAMSSA
# granules: 1.93 GB RSS after the open, 2.71 GB after a point series, open 4.7 s. With the cache
# off ("off", netCDF4.set_chunk_cache(0)): 0.44 / 0.47 GB, but the open takes 9.5 s, as xarray
# reads `time` three times per file and each read inflates the 4 MB chunk again. So the path keeps
# the default where its estimated peak fits in memory and turns the cache off where it does not
# (3650 granules: ~28 GB with the default; 4.55 GB measured with the cache off).
NETCDF_CACHES = ("default", "off")
MF_COMBINE = MappingProxyType(  # how every open_mfdataset path combines the daily granules
    {
        "combine": "nested",
        "concat_dim": "time",
        "data_vars": "minimal",
        "coords": "minimal",
        "compat": "override",
    }
)
MFDATASET_BASE_GB = 0.5  # the fork server (~0.15 GB), xarray's objects, a margin
# per open file: netCDF-C/HDF5 state (~1.16 MB measured at 365 and 3650), plus the cached 4 MB
# time chunk with the default cache (~5.3 MB measured); with a margin
MFDATASET_FILE_GB = {"default": 5.6e-3, "off": 1.6e-3}


def mfdataset_peak_gb(granules: int, chunk_bytes: int, cache: str) -> float:
    """The peak memory (GB) of an mfdataset measurement over ``granules`` files whose data chunks
    inflate to ``chunk_bytes``, with the HDF5 chunk cache ``cache`` (``default`` also keeps one
    data chunk per file, as a point series does)."""
    if cache not in NETCDF_CACHES:
        raise ValueError(f"netCDF chunk cache must be one of {NETCDF_CACHES}, got {cache!r}")
    held = chunk_bytes / 1e9 if cache == "default" else 0.0
    return MFDATASET_BASE_GB + granules * (MFDATASET_FILE_GB[cache] + held)


@dataclass(frozen=True)
class Sources:
    """Where one demo collection's stores and granules are (plain strings: sent to children).

    Attributes:
        icechunk: the Icechunk repository folder.
        container: its virtual chunk container prefix (``file:///.../granules/NAME/``).
        kerchunk: the Kerchunk JSON references file.
        granules: the folder of NetCDF4 granules.
        count: the number of granules.
        built: an Icechunk store of the same granules built by ``vstore-explorer build``
            (the ``built`` path; empty when none was built).
    """

    icechunk: str
    container: str
    kerchunk: str
    granules: str
    count: int
    built: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Sources:
        return cls(
            **{k: data[k] for k in ("icechunk", "container", "kerchunk", "granules")},
            count=int(data["count"]),
            built=str(data.get("built") or ""),
        )


def granule_files(sources: Sources) -> list[str]:
    """The granules, in time order (their names start with the date)."""
    return sorted(str(p) for p in Path(sources.granules).glob("*.nc"))


def allow_open_files(count: int) -> None:
    """Raise this process's open-file limit to ``count`` if it is lower (up to the hard limit);
    a clear error if the hard limit is lower."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= count:
        return
    if hard != resource.RLIM_INFINITY and hard < count:
        raise ValueError(
            f"open_mfdataset keeps {count} files open but the open-file limit is {hard}; "
            "raise it (ulimit -Hn) or leave out the mfdataset path (--paths)"
        )
    resource.setrlimit(resource.RLIMIT_NOFILE, (count, hard))


def open_path(path: str, sources: Sources, *, netcdf_cache: str = "default") -> Any:
    """Open the collection the ``path`` way: a StoreHandle (explorer) or a lazy Dataset.
    ``netcdf_cache`` (mfdataset only): ``default`` (netCDF-C's chunk cache) or ``off``."""
    if path in ("explorer", "built"):
        from vstore_explorer.catalog.links import StoreLink
        from vstore_explorer.stores.open import connect

        store = sources.icechunk if path == "explorer" else sources.built
        if not store:
            raise ValueError("no store built by `vstore-explorer build` for the built path")
        return connect(StoreLink(url=Path(store).as_uri(), kind="icechunk"))
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
        import netCDF4
        import xarray as xr

        files = granule_files(sources)
        # a file cache smaller than the number of files re-opens granules on every read
        xr.set_options(file_cache_maxsize=max(128, len(files) + 16))
        allow_open_files(len(files) + 64)
        if netcdf_cache == "off":
            netCDF4.set_chunk_cache(0)  # for the files opened from now on
        elif netcdf_cache != "default":
            raise ValueError(f"netcdf_cache must be one of {NETCDF_CACHES}, got {netcdf_cache!r}")
        return xr.open_mfdataset(files, engine="netcdf4", parallel=False, **MF_COMBINE)
    raise ValueError(f"unknown path {path!r}; known: {', '.join(PATH_NAMES)}")


def read_path(path: str, opened: Any, case: Case) -> Any:
    """Read ``case`` from what :func:`open_path` returned; the loaded DataArray."""
    if path in ("explorer", "built"):
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
