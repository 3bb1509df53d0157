"""The explorer's output sections: the code (copy, download as .py), the downloads (subset as
NetCDF, the series as CSV) and the messages (alert, "Load anyway", progress, status line).

Widgets follow the session's state; every widget has a stable ``vx-*`` CSS class for browser tests.
"""

from __future__ import annotations

import io
from typing import Any

import panel as pn
import param
from panel.viewable import Viewer

from vstore_explorer.app.state import ExplorerState
from vstore_explorer.app.state.params import NoNone
from vstore_explorer.app.ui_text import css as _css
from vstore_explorer.app.ui_text import safe_text as _text
from vstore_explorer.app.views import COPY_ICON


class RefusableDownload(pn.widgets.FileDownload):
    """A download whose callback may refuse (return ``None``): then nothing is sent, rather
    than an empty file under a real name; the alert says why."""

    def _sync_data(self, fileobj: Any) -> None:
        if fileobj is None:
            return
        super()._sync_data(fileobj)

    def deliver(self, data: bytes) -> None:
        """Send ``data`` made after the click (off the page's thread): the browser saves it."""
        super()._sync_data(io.BytesIO(data))


class CodeView(Viewer):
    """The script of the view on show (copy, download as .py) and the subset as NetCDF."""

    state = param.ClassSelector(class_=ExplorerState, allow_None=NoNone)

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        s = self.state
        self.editor = pn.widgets.CodeEditor(
            value=s.code,
            language="python",
            readonly=True,
            height=420,
            sizing_mode="stretch_width",
            css_classes=_css("code"),
        )
        s.param.watch(lambda e: setattr(self.editor, "value", e.new), "code")
        self.copy = pn.widgets.Button(label="Copy code", icon=COPY_ICON, css_classes=_css("copy"))
        self.copy.js_on_click(
            args={"editor": self.editor}, code="navigator.clipboard.writeText(editor.code)"
        )
        self.script = pn.widgets.FileDownload(
            callback=self._script,
            filename=s.download_name("py"),
            label="Download .py",
            color="light",
            css_classes=_css("download-py"),
        )
        self.netcdf = RefusableDownload(
            callback=self._netcdf,
            filename=s.download_name("nc"),
            label="Download subset (NetCDF)",
            color="light",
            css_classes=_css("download-nc"),
        )
        self.csv = RefusableDownload(
            callback=self._csv,
            filename=s.download_name("csv", view="timeseries"),
            label="Download series (CSV)",
            color="light",
            css_classes=_css("download-csv"),
        )
        self.geotiff = RefusableDownload(
            callback=self._geotiff,
            filename=s.download_name("tif", view="map"),
            label="Download map (GeoTIFF)",
            color="light",
            css_classes=_css("download-tif"),
        )
        self.download_progress = pn.indicators.Progress(
            value=-1, active=False, visible=False, width=160, css_classes=_css("download-progress")
        )
        self.cancel_download = pn.widgets.Button(
            label="Cancel download", visible=False, css_classes=_css("cancel-download")
        )
        self.cancel_download.on_click(lambda _event: self.state.cancel_download())
        s.param.watch(self._names, ["variable", "view", "collection"])
        s.param.watch(self._downloading, ["downloading", "download_progress"])

    def _downloading(self, *_: Any) -> None:
        s = self.state
        value = s.download_progress if 0 < s.download_progress < 100 else -1
        self.download_progress.param.update(
            value=value, active=s.downloading, visible=s.downloading
        )
        self.cancel_download.visible = s.downloading

    def _names(self, *_: Any) -> None:
        self.script.filename = self.state.download_name("py")
        self.netcdf.filename = self.state.download_name("nc")
        self.csv.filename = self.state.download_name("csv", view="timeseries")
        self.geotiff.filename = self.state.download_name("tif", view="map")

    def _geotiff(self) -> io.BytesIO | None:
        data = self.state.geotiff_bytes()
        return None if data is None else io.BytesIO(data)

    def _csv(self) -> io.StringIO | None:
        text = self.state.series_csv()
        return None if text is None else io.StringIO(text)

    def _script(self) -> io.StringIO:
        return io.StringIO(self.state.code)

    def _netcdf(self) -> io.BytesIO | None:
        """Sized first: over the limits, None and the alert says why. A served session makes
        the file off the page's thread (progress, Cancel) and sends it when it is ready."""
        if self.state.background is not None:
            self.state.prepare_netcdf(self.netcdf.deliver)
            return None
        data = self.state.netcdf_bytes()
        return None if data is None else io.BytesIO(data)

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(
            "### Code",
            pn.Row(self.copy, self.script, self.netcdf, self.csv, self.geotiff),
            pn.Row(self.download_progress, self.cancel_download),
            self.editor,
            css_classes=_css("code-section"),
            sizing_mode="stretch_width",
        )


class StatusView(Viewer):
    """The alert (errors, warnings: never tracebacks), the progress bar and the status line."""

    state = param.ClassSelector(class_=ExplorerState, allow_None=NoNone)

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        s = self.state
        self.alert = pn.pane.Alert(
            _text(s.alert),
            alert_type=s.alert_level,
            visible=bool(s.alert),
            css_classes=_css("alert"),
            sizing_mode="stretch_width",
        )
        self.progress = pn.indicators.Progress(
            value=-1,
            active=s.busy,
            visible=s.busy,
            width=300,
            css_classes=_css("progress"),
        )
        self.status = pn.pane.Markdown(_text(s.status), css_classes=_css("status"))
        self.confirm = pn.widgets.Button(
            label="Load anyway",
            color="warning",
            visible=s.needs_confirmation,
            css_classes=_css("confirm"),
        )
        self.export = pn.widgets.FileDownload(
            callback=lambda: io.StringIO(self.state.code),
            filename=s.download_name("py"),
            label="Export as script",
            color="light",
            visible=s.needs_confirmation,
            css_classes=_css("export-script"),
        )

        self.apply = pn.widgets.Button(
            label=s.pending_text, color="primary", visible=s.pending, css_classes=_css("apply")
        )
        self.cancel = pn.widgets.Button(
            label="Cancel", color="default", visible=False, css_classes=_css("cancel")
        )

        self.harmony = RefusableDownload(
            callback=self._harmony,
            filename=s.download_name("harmony.py"),
            label="Ask Harmony instead",
            color="light",
            visible=s.needs_confirmation,
            css_classes=_css("export-harmony"),
        )

        def confirm(_event: param.parameterized.Event) -> None:
            s.confirm()

        def apply(_event: param.parameterized.Event) -> None:
            s.apply()

        def cancel(_event: param.parameterized.Event) -> None:
            s.cancel()

        self.confirm.on_click(confirm)
        self.apply.on_click(apply)
        self.cancel.on_click(cancel)
        s.param.watch(self._confirmation, "needs_confirmation")
        s.param.watch(self._pending, ["pending", "pending_text"])
        s.param.watch(self._alert, ["alert", "alert_level"])
        s.param.watch(self._progress, ["progress", "busy"])
        s.param.watch(lambda e: setattr(self.status, "object", _text(e.new)), "status")

    def _alert(self, *_: Any) -> None:
        s = self.state
        self.alert.param.update(
            object=_text(s.alert), alert_type=s.alert_level, visible=bool(s.alert)
        )

    def _confirmation(self, *_: Any) -> None:
        asking = self.state.needs_confirmation
        self.export.filename = self.state.download_name("py")
        self.harmony.filename = self.state.download_name("harmony.py")
        self.confirm.visible = self.export.visible = self.harmony.visible = asking

    def _harmony(self) -> io.StringIO | None:
        script = self.state.harmony_script()
        return None if script is None else io.StringIO(script)

    def _pending(self, *_: Any) -> None:
        self.apply.param.update(label=self.state.pending_text, visible=self.state.pending)

    def _progress(self, *_: Any) -> None:
        s = self.state
        value = s.progress if 0 < s.progress < 100 else -1  # -1: indeterminate while busy
        self.progress.param.update(value=value, active=s.busy, visible=s.busy)
        self.cancel.visible = s.busy and s.background is not None  # only a background load stops

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(
            self.alert,
            pn.Row(self.confirm, self.export, self.harmony),
            pn.Row(self.apply, self.progress, self.cancel, self.status),
            sizing_mode="stretch_width",
            css_classes=_css("status-view"),
        )
