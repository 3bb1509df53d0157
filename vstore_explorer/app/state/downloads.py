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
from vstore_explorer.errors import InvalidInputError
from vstore_explorer.geotiff import grid_crs, to_geotiff
from vstore_explorer.harmony import to_harmony


class DownloadsPart(ViewsPart):
    """What the download buttons hand out."""

    def netcdf_bytes(self) -> bytes | None:
        """The user's subset (no reduction) as NetCDF-4 bytes, within the limits; None on error."""
        try:
            if self.handle is None:
                raise ValueError("open a store first")
            request = Request(self.handle, self.selection())
            data = request.load(self.limits, progress=self._progress, client=self.client)
            buffer = io.BytesIO()
            dataset = data.to_dataset() if isinstance(data, xr.DataArray) else data
            dataset.attrs = {**dataset.attrs, **request.provenance()}
            dataset.to_netcdf(buffer, engine="h5netcdf")
        except Exception as exc:
            self._fail(exc)
            return None
        return buffer.getvalue()

    def series_csv(self) -> str | None:
        """The time series on show (a point's, or the area mean) as CSV, its provenance as
        ``#`` header lines; None (and the alert says why) when there is none."""
        shown = self.result("timeseries")
        if shown is None or shown.request is None:
            self._fail("load the time series first (the Time series tab)", "info")
            return None
        data = shown.data
        ds = data.to_dataset(name=str(data.name)) if isinstance(data, xr.DataArray) else data
        header = [f"# {k}: {v}" for k, v in shown.request.provenance().items()]
        names = [str(name) for name in ds.data_vars]
        for name in names:
            attrs = ds[name].attrs
            header.append(f"# {name}: {attrs.get('long_name', name)} ({attrs.get('units', '')})")
        frame = ds.to_dataframe()[names]
        return "\n".join(header) + "\n" + frame.to_csv(lineterminator="\n")

    def geotiff_bytes(self) -> bytes | None:
        """The map on show (one time step, or the time mean of the range) as a Cloud-Optimized
        GeoTIFF: CRS, nodata, band description and units; None (the alert says why) without a
        map, or for a grid a GeoTIFF cannot hold (a swath: regrid it first)."""
        shown = self.result("map")
        if shown is None or shown.request is None or not isinstance(shown.data, xr.DataArray):
            self._fail("load the map first (the Map tab)", "info")
            return None
        data = shown.data
        one = [d for d in data.dims if data.sizes[d] == 1]
        try:
            return to_geotiff(data.squeeze(one) if one else data, crs=grid_crs(shown.request.ops))
        except Exception as exc:
            self._fail(exc)
            return None

    def harmony_script(self) -> str | None:
        """The view on show as a NASA Harmony request (harmony-py): for a request too large to
        read here; None (the alert says why) when the store links to no CMR collection."""
        try:
            if self.handle is None:
                raise InvalidInputError("open a store first")
            return to_harmony(
                self.handle, self.view_selection(self.view), collection=self.collection
            )
        except Exception as exc:
            self._fail(exc)
            return None

    def download_name(self, suffix: str, view: str | None = None) -> str:
        """A file name for downloads: ``<short name>_<variable>_<view>.<suffix>``."""
        short = self.collection.short_name if self.collection else "vstore"
        stem = "_".join(p for p in (short, self.variable or "", view or self.view) if p)
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in stem)
        return f"{safe}.{suffix}"
