"""Icechunk repositories as the builders use them: opened with grants for their own containers,
with each change's layout recorded in its commit so appends read granules the same way.

Example:
    >>> layout_from_metadata({"vstore_explorer": {"layout": {"groups": ["/S1"], "dim": "nscan1"}}})
    Layout(parser='auto', groups=('/S1',), dim='nscan1', time_from=None, loadable_variables=None)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from vstore_explorer.build.layout import store_group
from vstore_explorer.build.virtualize import Layout
from vstore_explorer.stores.access import Access
from vstore_explorer.stores.urls import to_url

METADATA_KEY = "vstore_explorer"


def open_repo(store_url: str, access: Access) -> tuple[Any, dict[str, Any]]:
    """The repository at ``store_url`` opened with write access to its own containers."""
    import icechunk

    storage = access.icechunk_storage(store_url)
    if not icechunk.Repository.exists(storage):
        raise FileNotFoundError(
            f"no Icechunk repository at {store_url}; create it with `vstore-explorer build`"
        )
    config = icechunk.Repository.fetch_config(storage)
    containers = dict(config.virtual_chunk_containers or {}) if config else {}
    repo = icechunk.Repository.open(
        storage, authorize_virtual_chunk_access=grants(access, containers)
    )
    return repo, containers


def grants(access: Access, prefixes: Sequence[str] | Mapping[str, Any]) -> Any:
    """Icechunk credentials for each container prefix, granted one by one."""
    import icechunk

    return icechunk.containers_credentials(
        {prefix: access.icechunk_container_credential(prefix) for prefix in prefixes}
    )


def container_prefix_url(prefix: str) -> str:
    """A container prefix from a path or URL, ending in ``/``.

    Example:
        >>> container_prefix_url("s3://bucket/granules")
        's3://bucket/granules/'
    """
    url = to_url(prefix)
    return url if url.endswith("/") else url + "/"


def layout_metadata(
    layout: Layout, granules: int, extra: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Commit metadata recording how the granules were read (for later appends and updates);
    ``extra`` entries (e.g. ``{"cmr": ...}``, the CMR search a store was built from) are added
    beside the layout."""
    return {
        METADATA_KEY: {
            **(extra or {}),
            "layout": {
                "parser": layout.parser,
                "groups": list(layout.groups),
                "dim": layout.dim,
                "time_from": str(layout.time_from) if layout.time_from else None,
                "loadable_variables": list(layout.loadable_variables)
                if layout.loadable_variables is not None
                else None,
            },
            "granules": granules,
        }
    }


def layout_from_metadata(metadata: Mapping[str, Any] | None) -> Layout | None:
    """The :class:`Layout` a commit recorded, or None for commits made before layouts were."""
    info = (metadata or {}).get(METADATA_KEY)
    if not isinstance(info, Mapping) or not isinstance(info.get("layout"), Mapping):
        return None
    raw = info["layout"]
    loadable = raw.get("loadable_variables")
    return Layout(
        parser=raw.get("parser") or "auto",
        groups=tuple(raw.get("groups") or ()),
        dim=raw.get("dim") or "time",
        time_from=raw.get("time_from"),
        loadable_variables=tuple(loadable) if loadable is not None else None,
    )


def recorded_layout(repo: Any, branch: str) -> Layout | None:
    """The layout recorded by the newest commit of ``branch`` that has one."""
    for info in repo.ancestry(branch=branch):
        layout = layout_from_metadata(getattr(info, "metadata", None))
        if layout is not None:
            return layout
    return None


def store_groups(layout: Layout) -> list[str | None]:
    """The Zarr group paths a layout writes (``[None]``: the root group)."""
    return [store_group(g) for g in layout.groups] or [None]
