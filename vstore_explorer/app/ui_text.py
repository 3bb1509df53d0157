"""Small helpers the explorer's views share: stable CSS classes and untrusted text made safe."""

from __future__ import annotations

import html
import unicodedata
from typing import Any


def css(name: str) -> list[str]:
    return [f"vx-{name}"]


def safe_text(value: Any) -> str:
    """Untrusted text (catalog metadata, error messages) made safe for a Markdown pane: HTML
    escaped (Markdown panes render raw HTML) and control characters dropped.

    Example:
        >>> safe_text("<img src=x onerror=alert(1)> & co")
        '&lt;img src=x onerror=alert(1)&gt; &amp; co'
    """
    text = "".join(ch for ch in str(value) if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return html.escape(text, quote=False)
