"""What the explorer tells its user: the alert (errors, warnings), the status line, progress.

The package's own errors (:class:`~vstore_explorer.errors.VStoreError`) are shown as they are;
anything else is a bug, shown as one and logged with its traceback.

Example:
    >>> part = MessagesPart()
    >>> part.report("the box is empty", "warning")
    >>> part.alert, part.alert_level
    ('the box is empty', 'warning')
"""

from __future__ import annotations

import logging
import re
from types import MappingProxyType

import param

from vstore_explorer.app.state.changes import ChangesPart
from vstore_explorer.app.state.params import selector
from vstore_explorer.errors import VStoreError

LOG = logging.getLogger("vstore_explorer.app")


_FIELDS = MappingProxyType(
    {
        "bbox": "Box",
        "point": "Point",
        "time": "Time range",
        "level": "Level",
        "stride": "Preview stride",
        "variables": "Variable",
        "reduction": "Reduction",
        "invalid": "Valid-range masking",
        "flags": "Flag masking",
    }
)
_INTERNAL = re.compile(r"^Selection\.(\w+)(?::| must| is)")


def plain(text: str) -> str:
    """An error as a user reads it: ``Selection.bbox: ...`` becomes ``Box: ...``.

    Example:
        >>> plain("Selection.point: latitude 95.0 is outside [-90, 90] degrees")
        'Point: latitude 95.0 is outside [-90, 90] degrees'
        >>> plain("Selection.stride must be an integer >= 1, got 0")
        'Preview stride must be an integer >= 1, got 0'
    """
    match = _INTERNAL.match(text)
    if match is None or match.group(1) not in _FIELDS:
        return text
    field = _FIELDS[match.group(1)]
    rest = text[len("Selection.") + len(match.group(1)) :]
    return field + rest


def message(exc: BaseException) -> str:
    """What the alert says: the package's own errors in plain words; anything else is a bug."""
    text = str(exc).strip() or type(exc).__name__
    if isinstance(exc, VStoreError):
        return plain(text)
    LOG.error("unexpected error in the explorer", exc_info=exc)
    return (
        f"Unexpected error: {type(exc).__name__}: {text}. This is a bug in vstore_explorer; "
        "please report it with the steps that led here."
    )


class MessagesPart(ChangesPart):
    """The alert, the status line and the progress of a load."""

    alert = param.String(default="", doc="Message shown to the user (errors, warnings)")
    alert_level: str = selector(default="danger", objects=["danger", "warning", "info"])
    status = param.String(default="", doc="One line about the last action")
    busy = param.Boolean(default=False)
    progress = param.Integer(default=0, bounds=(0, 100))

    def _fail(self, exc: BaseException | str, level: str = "danger") -> None:
        self.param.update(
            alert=exc if isinstance(exc, str) else message(exc), alert_level=level, busy=False
        )

    def report(self, exc: BaseException | str, level: str = "danger") -> None:
        """Show an error (or a warning/info with ``level``) to the user as the alert."""
        self._fail(exc, level)

    def _clear(self) -> None:
        if self.alert:
            self.alert = ""

    def _progress(self, fraction: float) -> None:
        self.progress = int(round(100 * min(max(fraction, 0.0), 1.0)))
