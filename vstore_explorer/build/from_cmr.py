"""Build an Icechunk virtual store of a CMR collection's granules (``build --collection``).

:func:`build_from_cmr` finds the collection (short name or concept id), lists its granules
matching ``temporal``/``bbox`` through the catalog's CMR client, takes each granule's data link
(its direct S3 link for a store on S3, else its HTTPS link; see :mod:`.cmr_search`) and hands
them to :func:`~vstore_explorer.build.icechunk_store.build_icechunk`: the same parallel
virtualization, checks, verification and single commit as any build. A granule with a DMR++
sidecar beside its data link (``<url>.dmrpp``, as DAACs publish it) is read from the sidecar.

The commit's metadata records the collection, the search and every granule (concept id,
GranuleUR, revision date): :func:`~vstore_explorer.build.cmr_update.update_store` reads it back to
keep the store fresh. :meth:`CMRChange.related_url` is the UMM-C ``RelatedUrls`` entry that links
the collection to the new store.

Example:
    >>> change = build_from_cmr("GAMSSA_28km-ABOM-L4-GLOB-v01", "s3://bucket/gamssa.icechunk",
    ...                         temporal="2024-10-01,2024-10-31", access=access)  # doctest: +SKIP
    >>> print(change.summary())  # doctest: +SKIP
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from vstore_explorer.build.cmr_record import CMRRecord, GranuleRef
from vstore_explorer.build.cmr_search import (
    CMRCatalog,
    cmr_catalog,
    data_link_kind,
    find_collection,
    granule_ref,
    now_iso,
    require_links,
    search_granules,
    search_record,
)
from vstore_explorer.build.errors import BuildError, GranuleError
from vstore_explorer.build.executors import Parallel
from vstore_explorer.build.plan import GranulePlan
from vstore_explorer.build.report import StoreUpdate
from vstore_explorer.build.umm.store_formats import store_related_url
from vstore_explorer.build.virtualize import VirtualGranule
from vstore_explorer.catalog.links import StoreLink
from vstore_explorer.stores.access import LOCAL, Access
from vstore_explorer.stores.urls import to_url

_EMPTY: Mapping[str, Any] = MappingProxyType({})
LISTED = 10
"""How many granules of each kind a summary names."""


@dataclass(frozen=True)
class CMRChange:
    """What ``build --collection`` or ``update`` found in CMR and did to the store.

    Attributes:
        kind: ``build`` or ``update``.
        added, replaced, removed: granules new in CMR, newer revisions of granules the store
            held, and granules CMR no longer lists (removed from the store only when
            ``removals_applied``).
        unchanged: granules of the store CMR lists at the same revision.
        update: the commit made (None: nothing was written, for a dry run or no change).
    """

    kind: str
    store: str
    cmr_url: str
    collection: Mapping[str, Any]
    search: Mapping[str, Any]
    added: tuple[GranuleRef, ...] = ()
    replaced: tuple[GranuleRef, ...] = ()
    removed: tuple[GranuleRef, ...] = ()
    removals_applied: bool = False
    unchanged: int = 0
    dry_run: bool = False
    update: StoreUpdate | None = None
    snapshot_id: str | None = field(default=None)
    """The branch's snapshot before the change."""

    @property
    def changed(self) -> bool:
        """Whether a commit was made."""
        return self.update is not None and self.update.changed

    def related_url(self, description: str = "") -> dict[str, Any]:
        """The UMM-C 1.18.6 ``RelatedUrls`` entry linking the collection to this store
        (``GET DATA`` / ``VIRTUAL COLLECTION``, ``GetData.Format`` ``Icechunk``)."""
        c = self.collection
        title = f"{c.get('short_name')} v{c.get('version')} ({c.get('concept_id')}) from CMR"
        link = StoreLink(
            url=to_url(self.store), kind="icechunk", branch="main", title=title,
            description=description,
        )  # fmt: skip
        return store_related_url(link, None)

    def summary(self) -> str:
        """A few readable lines for the CLI and logs."""
        c, s = self.collection, self.search
        lines = [
            f"collection {c.get('concept_id')} ({c.get('short_name')} v{c.get('version')}) "
            f"from CMR {self.cmr_url}",
            f"search     {describe_search(s)}",
        ]
        counts = f"{len(self.added)} added, {len(self.replaced)} replaced, "
        counts += f"{len(self.removed)} removed" + (
            "" if self.removals_applied or not self.removed else " (not applied)"
        )
        if self.kind == "update":
            counts += f", {self.unchanged} unchanged"
        lines.append(f"granules   {counts}")
        for sign, refs in (("+", self.added), ("~", self.replaced), ("-", self.removed)):
            lines += [f"  {sign} {r.label()}" for r in refs[:LISTED]]
            if len(refs) > LISTED:
                lines.append(f"  {sign} ... and {len(refs) - LISTED} more")
        if self.removed and not self.removals_applied:
            lines.append(
                "removals   not applied: the store keeps them; pass --apply-deletions "
                "(apply_deletions=True) to remove them"
            )
        if self.dry_run:
            lines.append(f"dry run    nothing written (branch stays on {self.snapshot_id})")
        elif self.update is None:
            lines.append(f"no change  no commit (branch stays on {self.snapshot_id})")
        else:
            lines.append(self.update.summary())
        return "\n".join(lines)


def describe_search(search: Mapping[str, Any]) -> str:
    """``temporal A → B, bbox W,S,E,N`` (or ``all granules``).

    Example:
        >>> describe_search({"temporal": ["2024-01-01T00:00:00+00:00", None], "bbox": None})
        'temporal 2024-01-01T00:00:00+00:00 → …'
        >>> describe_search({})
        'all granules'
    """
    parts = []
    if search.get("temporal"):
        start, end = search["temporal"]
        parts.append(f"temporal {start or '…'} → {end or '…'}")
    if search.get("bbox"):
        parts.append("bbox " + ",".join(f"{v:g}" for v in search["bbox"]))
    return ", ".join(parts) or "all granules"


def named(exc: GranuleError, refs: Mapping[str, GranuleRef], note: str = "") -> GranuleError:
    """``exc`` with the CMR granule it is about (and ``note``) added to its message."""
    ref = refs.get(exc.url)
    reason = exc.reason + (f" [CMR granule {ref.label()}]" if ref else "") + note
    try:
        return type(exc)(exc.url, reason)
    except TypeError:  # a subclass with another constructor: keep the base class
        return GranuleError(exc.url, reason)


def placed(
    granules: Sequence[VirtualGranule], refs: Mapping[str, GranuleRef], dim: str
) -> list[GranuleRef]:
    """The references of read granules, with their first time and length along ``dim``."""
    return [
        refs[g.url].placed(g.first(dim), {k: int(ds.sizes[dim]) for k, ds in g.groups.items()})
        for g in granules
    ]


def write_related_url(path: str | Path, entry: Mapping[str, Any]) -> Path:
    """Write a UMM ``RelatedUrls`` entry as JSON (``--umm-out FILE``)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(entry, indent=2) + "\n")
    return out


def build_from_cmr(
    collection: str,
    store_url: str,
    *,
    temporal: Any = None,
    bbox: Any = None,
    cmr: str | CMRCatalog = "ops",
    access: Access = LOCAL,
    umm_out: str | Path | None = None,
    message: str | None = None,
    tag: str | None = None,
    overwrite: bool = False,
    container_prefix: str | None = None,
    workers: int = 4,
    parallel: Parallel = None,
    verify: bool = True,
    check_changes: bool = True,
    parser: str = "auto",
    group: str | Sequence[str] | None = None,
    dim: str = "time",
    time_from: str | None = None,
    loadable_variables: Sequence[str] | None = None,
) -> CMRChange:
    """Build a new Icechunk store of ``collection``'s granules found in CMR, in one commit.

    Args:
        collection: a short name (one version must match) or a concept id (``C123-PROV``).
        temporal: ``"START,END"`` or a pair; ``bbox``: ``"W,S,E,N"`` or four numbers.
        cmr: ``ops``, ``uat``, a CMR URL, or a :class:`CMRCatalog` (timeouts, retries, paging).
        umm_out: also write the UMM-C ``RelatedUrls`` entry of the store to this JSON file.
        The other arguments are those of :func:`~.icechunk_store.build_icechunk`.

    Raises:
        CollectionNotFoundError: CMR has no such collection (or several by that short name).
        CMRSearchError: CMR failed (after retries); nothing was written.
        GranuleError: a granule could not be read; the error names its URL and CMR GranuleUR.
    """
    from vstore_explorer.build.icechunk_store import build_icechunk

    catalog, own = cmr_catalog(cmr)
    links = data_link_kind(store_url, access)
    search = search_record(temporal, bbox)
    try:
        found = find_collection(catalog, collection)
        assert found.concept_id is not None  # find_collection refuses records without one
        searched_at = now_iso()
        granules = search_granules(catalog, found.concept_id, search)
    finally:
        if own:
            catalog.close()
    if not granules:
        raise BuildError(
            f"CMR lists no granules of {found.concept_id} for {describe_search(search)}: "
            "nothing to build"
        )
    latest: dict[str, GranuleRef] = {}
    for ref in (granule_ref(g, links) for g in granules):
        if ref.granule_ur not in latest or ref.newer_than(latest[ref.granule_ur]):
            latest[ref.granule_ur] = ref
    refs = list(latest.values())
    require_links(refs, links)
    by_url = {r.url: r for r in refs}
    record = CMRRecord(
        cmr_url=catalog.base_url,
        collection=MappingProxyType(
            {
                "concept_id": found.concept_id,
                "short_name": found.short_name,
                "version": found.version,
            }
        ),
        search=MappingProxyType(search),
        links=links,
        searched_at=searched_at,
    )
    done: list[GranuleRef] = []

    def metadata(plan: GranulePlan) -> dict[str, Any]:
        done[:] = placed(plan.granules, by_url, plan.layout.dim)
        return record.metadata("build", granules=done)

    try:
        update = build_icechunk(
            [r.url for r in refs],
            store_url,
            access=access,
            container_prefix=container_prefix,
            dim=dim,
            message=message
            or f"build from CMR {found.concept_id}: {len(refs)} granule(s) along {dim}",
            tag=tag,
            overwrite=overwrite,
            loadable_variables=loadable_variables,
            workers=workers,
            check_changes=check_changes,
            parser=parser,
            group=group,
            time_from=time_from,
            parallel=parallel,
            verify=verify,
            metadata=metadata,
        )
    except GranuleError as exc:
        raise named(exc, by_url, "; nothing was written") from exc
    change = CMRChange(
        kind="build",
        store=update.store,
        cmr_url=record.cmr_url,
        collection=record.collection,
        search=record.search,
        added=tuple(done),
        update=update,
    )
    if umm_out is not None:
        write_related_url(umm_out, change.related_url())
    return change
