"""MkDocs hook: screenshots of the explorer that are not generated yet become a note.

The browser tests write ``docs/images/explorer-*.png``. Until they have run, a page that shows one
says how to make it, instead of a broken image (which ``mkdocs build --strict`` would refuse).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

SCREENSHOT = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?P<src>(?:\.\./)*images/explorer-[\w.-]+\.png)\)")
NOTE = (
    '!!! note "Screenshot not generated yet: {alt}"\n'
    "    `{src}` is written by the browser tests "
    "(`pytest -m browser tests/ui`); build the docs again after they have run.\n"
)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Replace screenshot images whose file is missing by a note saying how to make them."""
    folder = Path(config["docs_dir"]) / Path(page.file.src_path).parent

    def replace(match: re.Match[str]) -> str:
        if (folder / match["src"]).resolve().is_file():
            return match[0]
        return "\n" + NOTE.format(alt=match["alt"] or "explorer", src=match["src"]) + "\n"

    return SCREENSHOT.sub(replace, markdown)
