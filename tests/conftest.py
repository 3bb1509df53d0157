"""Shared test configuration.

Fixture plugins live in ``tests/plugins/`` (one module per concern) and are registered here.
"""

from __future__ import annotations

pytest_plugins = [
    "tests.plugins.paths",
    "tests.plugins.umm",
    "tests.plugins.cmr_server",
    "tests.plugins.granule_cmr",
    "tests.plugins.demo",
    "tests.plugins.ui",
    "tests.plugins.s3_server",
    "tests.plugins.http_server",
    "tests.plugins.browser",
]
