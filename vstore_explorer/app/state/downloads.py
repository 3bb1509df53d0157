"""Downloads: the user's subset as NetCDF, the series as CSV, the map as GeoTIFF, a Harmony
request, and the file names downloads get.

The subset is sized before anything is read: over the limits it is refused with the same
explanation as a view (never an empty file). In a served session it is made off the page's
thread, with dask's progress, and :meth:`DownloadsPart.cancel_download` stops it.

Example:
    >>> part.download_name("nc")  # doctest: +SKIP
    'DEMO_25km-VSTOREDEMO-L4-GLOB-v01_analysed_sst_map.nc'
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import param
import xarray as xr

from vstore_explorer.app.state.background import Ticket
from vstore_explorer.app.state.loading import ViewsPart
from vstore_explorer.compute import Request
from vstore_explorer.cost import Limits, check, human_bytes
from vstore_explorer.errors import InvalidInputError
from vstore_explorer.geotiff import grid_crs, to_geotiff
from vstore_explorer.harmony import to_harmony

if TYPE_CHECKING:
    from distributed import Client


def netcdf_of(
    request: Request,
    limits: Limits,
    progress: Callable[[float], None] | None = None,
    client: Client | None = None,
) -> bytes:
    """The request's data as NetCDF-4 bytes, its provenance as global attributes (no state:
    runs on any thread). Read a stored chunk per dask task: progress and Cancel come chunk by
    chunk."""
    data = request.load(limits, progress=progress, client=client, by_chunk=True)
    dataset = data.to_dataset() if isinstance(data, xr.DataArray) else data
    dataset.attrs = {**dataset.attrs, **request.provenance()}
    buffer = io.BytesIO()
    dataset.to_netcdf(buffer, engine="h5netcdf")
    return buffer.getvalue()


class DownloadsPart(ViewsPart):
    """What the download buttons hand out."""

    downloading = param.Boolean(default=False, doc="The NetCDF subset is being made")
    download_progress = param.Integer(default=0, bounds=(0, 100), doc="Its progress, percent")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._download: Ticket | None = None

    def netcdf_bytes(self) -> bytes | None:
        """The user's subset (no reduction) as NetCDF-4 bytes, within the limits, made here;
        None (the alert says why) on error."""
        try:
            return netcdf_of(self._subset_request(), self.limits, self._progress, self.client)
        except Exception as exc:
            self._fail(exc)
            return None

    def prepare_netcdf(self, deliver: Callable[[bytes], None]) -> bool:
        """Make the user's subset as NetCDF and hand its bytes to ``deliver``.

        It is sized first: over the limits it is refused (the alert explains, as for a view)
        and nothing is delivered. With a ``background`` (a served session) it is made on the
        session's download thread, with progress (``download_progress``), and
        :meth:`cancel_download` stops it; otherwise it is made at once. Returns whether it was
        made or started."""
        try:
            request = self._subset_request()
            cost = request.cost()
            check(cost, self.limits, request.ops)  # the explanation names what was asked
        except Exception as exc:
            self._fail(exc)
            return False
        background = self.background
        if background is None:
            data = self.netcdf_bytes()
            if data is not None:
                deliver(data)
            return data is not None
        self._stop_download()
        ticket = Ticket("download")
        self._download = ticket
        name, limits, client = self.download_name("nc"), self.limits, self.client
        self._clear()
        self.param.update(
            downloading=True, download_progress=0, status=f"Making {name} ({cost.summary()})…"
        )
        progress = background.progress(ticket, lambda p: setattr(self, "download_progress", p))

        def done(outcome: bytes | BaseException) -> None:
            if self._download is not ticket:
                return  # cancelled, or replaced by a newer download
            self._download = None
            self.param.update(downloading=False, download_progress=0)
            if isinstance(outcome, BaseException):
                self._fail(outcome)
                return
            deliver(outcome)
            self.status = f"{name}: {human_bytes(len(outcome))} of NetCDF-4, handed to the browser"

        background.run(
            ticket, lambda: netcdf_of(request, limits, progress, client), done, download=True
        )
        return True

    def cancel_download(self) -> None:
        """Stop the NetCDF subset being made (nothing is saved)."""
        if self._download is not None:
            self._stop_download()
            self.status = "Download cancelled: nothing was saved."

    def _stop_download(self) -> None:
        ticket, self._download = self._download, None
        if ticket is not None:
            ticket.cancel()
            self.param.update(downloading=False, download_progress=0)

    def _subset_request(self) -> Request:
        if self.handle is None:
            raise InvalidInputError("open a store first")
        return Request(self.handle, self.selection())

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
