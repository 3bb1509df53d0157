"""Downloads: the user's subset as NetCDF, and the file names downloads get.

Example:
    >>> part.download_name("nc")  # doctest: +SKIP
    'DEMO_25km-VSTOREDEMO-L4-GLOB-v01_analysed_sst_map.nc'
"""

from __future__ import annotations

import io

import xarray as xr

from vstore_explorer.app.state.loading import ViewsPart
from vstore_explorer.compute import Request


class DownloadsPart(ViewsPart):
    """What the download buttons hand out."""

    def netcdf_bytes(self) -> bytes | None:
        """The user's subset (no reduction) as NetCDF-4 bytes, within the limits; None on error."""
        try:
            if self.handle is None:
                raise ValueError("open a store first")
            data = Request(self.handle, self.selection()).load(self.limits, progress=self._progress)
            buffer = io.BytesIO()
            dataset = data.to_dataset() if isinstance(data, xr.DataArray) else data
            dataset.to_netcdf(buffer, engine="h5netcdf")
        except Exception as exc:
            self._fail(exc)
            return None
        return buffer.getvalue()

    def download_name(self, suffix: str) -> str:
        """A file name for downloads: ``<short name>_<variable>_<view>.<suffix>``."""
        short = self.collection.short_name if self.collection else "vstore"
        stem = "_".join(p for p in (short, self.variable or "", self.view) if p)
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in stem)
        return f"{safe}.{suffix}"
