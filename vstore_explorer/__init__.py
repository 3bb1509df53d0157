"""vstore_explorer: search NASA collections, open their virtual stores, subset, plot, export code.

The public API (imported lazily, so ``import vstore_explorer`` stays fast and never imports Panel):

- :func:`search` / :func:`granules`: collections and granules from CMR or a local catalog
- :func:`open_store` / :func:`connect` / :func:`list_versions`: open Icechunk, Kerchunk, Zarr stores
- :class:`Selection`, :func:`subset`, :func:`cost_of`, :func:`load`: subset lazily, know the cost
- :func:`to_code`: the same selection as a runnable script
- :func:`to_harmony` / :func:`to_geotiff`: a NASA Harmony request script; a map as a GeoTIFF (COG)
- :func:`build_icechunk`, :func:`append_icechunk`, :func:`build_kerchunk`: make and update stores
- :func:`build_from_cmr` / :func:`update_store`: a store from a CMR granule search, kept fresh
- :func:`ensure_demo` / :func:`demo_link`: the embedded offline demo archive
- :func:`explore`: the Panel explorer app

Example:
    >>> import vstore_explorer as vx
    >>> sel = vx.Selection(variables=("analysed_sst",), time=("2024-01-01", "2024-01-31"))
    >>> sel.to_dict()["time"]
    ['2024-01-01', '2024-01-31']
"""

from __future__ import annotations

import importlib
from types import MappingProxyType
from typing import Any

__version__ = "0.1.0"

_EXPORTS = MappingProxyType(
    {
        "search": "vstore_explorer.catalog",
        "granules": "vstore_explorer.catalog",
        "StoreLink": "vstore_explorer.catalog.links",
        "open_store": "vstore_explorer.stores.open",
        "connect": "vstore_explorer.stores.open",
        "list_versions": "vstore_explorer.stores.open",
        "Access": "vstore_explorer.stores.access",
        "S3Credentials": "vstore_explorer.stores.access",
        "Selection": "vstore_explorer.selection",
        "apply": "vstore_explorer.ops",
        "plan": "vstore_explorer.ops",
        "subset": "vstore_explorer.compute",
        "cost_of": "vstore_explorer.compute",
        "load": "vstore_explorer.compute",
        "to_code": "vstore_explorer.compute",
        "to_harmony": "vstore_explorer.harmony",
        "to_geotiff": "vstore_explorer.geotiff",
        "Limits": "vstore_explorer.cost",
        "CostLimitError": "vstore_explorer.cost",
        "build_icechunk": "vstore_explorer.build.icechunk_store",
        "append_icechunk": "vstore_explorer.build.icechunk_store",
        "build_kerchunk": "vstore_explorer.build.kerchunk_refs",
        "build_from_cmr": "vstore_explorer.build.from_cmr",
        "update_store": "vstore_explorer.build.cmr_update",
        "ensure_demo": "vstore_explorer.demo.archive",
        "demo_link": "vstore_explorer.demo.archive",
        "explore": "vstore_explorer.app",
    }
)

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'vstore_explorer' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
