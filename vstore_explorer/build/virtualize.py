"""Granules -> virtual xarray datasets, one per group, with VirtualiZarr's HDF, DMR++ or netCDF-3
parser.

Each granule is parsed once (:mod:`.parsers` picks the parser), every group asked for becomes a
self-contained dataset (:mod:`.layout`), and granules without a ``time`` dimension get one from
``time_from`` (:mod:`.timing`). Parsing runs on threads, processes, a dask cluster or any
``concurrent.futures.Executor`` (:mod:`.executors`).

Example:
    >>> from vstore_explorer.build.virtualize import virtualize_granules
    >>> granules = virtualize_granules(["/data/a.nc4", "/data/b.nc4"])  # doctest: +SKIP
    >>> combined = concat_granules(granules, dim="time")  # doctest: +SKIP
    >>> combined["/"]  # the root group's dataset  # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr

from vstore_explorer.build.coordinates import manifest_coordinates
from vstore_explorer.build.errors import GranuleError, GranuleMismatchError
from vstore_explorer.build.executors import DaskClient, Parallel, run_all
from vstore_explorer.build.layout import GroupTree, normalize_group
from vstore_explorer.build.parsers import (
    ParsePlan,
    ParserChoice,
    ParserKind,
    check_choice,
    plan_parse,
)
from vstore_explorer.build.timing import TimeFrom, add_time_dimension, first_time
from vstore_explorer.errors import InvalidInputError
from vstore_explorer.stores.access import LOCAL, Access
from vstore_explorer.stores.urls import scheme_of, to_url

Source = str | os.PathLike[str] | Any


@dataclass(frozen=True)
class Layout:
    """How granules are read: parser, groups, the dimension they join along, where time comes from.

    Example:
        >>> Layout(groups=("Grid",), time_from="attr:time_coverage_start").groups
        ('/Grid',)
    """

    parser: ParserChoice = "auto"
    groups: tuple[str, ...] = ()
    dim: str = "time"
    time_from: TimeFrom | None = None
    loadable_variables: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        check_choice(self.parser)
        if not self.dim or not isinstance(self.dim, str):
            raise InvalidInputError("dim must name the dimension granules are concatenated along")
        object.__setattr__(self, "groups", tuple(normalize_group(g) for g in self.groups))
        if len(set(self.groups)) != len(self.groups):
            raise InvalidInputError(f"a group is given twice: {', '.join(self.groups)}")
        if self.time_from is not None and not isinstance(self.time_from, TimeFrom):
            object.__setattr__(self, "time_from", TimeFrom.parse(self.time_from))
        if self.loadable_variables is not None:
            object.__setattr__(self, "loadable_variables", tuple(self.loadable_variables))


@dataclass(frozen=True)
class VirtualGranule:
    """One granule's virtual datasets (one per group) and how they were read.

    Attributes:
        url: the granule's URL (chunk references point here).
        groups: the virtual dataset of each group, by absolute path (``/`` is the root group).
        sources: for each group, each variable's absolute path in the granule.
        parser: the parser used (``hdf``, ``dmrpp`` or ``netcdf3``).
        sidecar: the DMR++ sidecar's URL when it was used.
        order: the value that orders this granule along the concatenation dimension.
    """

    url: str
    groups: Mapping[str, xr.Dataset]
    sources: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    parser: ParserKind = "hdf"
    sidecar: str | None = None
    order: Any = None

    @property
    def dataset(self) -> xr.Dataset:
        """The dataset of a granule read with one group (the root by default)."""
        if len(self.groups) != 1:
            raise InvalidInputError(f"{self.url} was read with groups {', '.join(self.groups)}")
        return next(iter(self.groups.values()))

    def first(self, dim: str) -> Any:
        """The value ordering this granule along ``dim`` (see :attr:`order`)."""
        if self.order is None:
            raise GranuleError(
                self.url,
                f"has no {dim!r} coordinate to order or append along: give each granule a time "
                "with --time-from coord:NAME | attr:NAME | filename:REGEX",
            )
        return self.order

    def read_by(self) -> str:
        """How the granule was parsed, for messages."""
        return ParsePlan(self.url, self.parser, self.sidecar).describe()


def granule_urls(sources: Iterable[Source]) -> list[str]:
    """URLs of granules given as paths, URLs, catalog ``Granule`` records or earthaccess results.

    For records with several links, ``s3://`` links are preferred (direct access), then https.
    """
    urls: list[str] = []
    for source in sources:
        if isinstance(source, VirtualGranule):
            urls.append(source.url)
            continue
        if isinstance(source, str | os.PathLike):
            urls.append(to_url(source))
            continue
        links: list[str] = []
        if callable(getattr(source, "data_links", None)):  # earthaccess DataGranule
            links = list(source.data_links(access="direct")) or list(source.data_links())
        else:  # vstore_explorer.catalog Granule (s3_links / https_links)
            links = list(getattr(source, "s3_links", ()) or getattr(source, "https_links", ()))
        if not links:
            raise InvalidInputError(f"granule record {source!r} has no data link to virtualize")
        urls.append(to_url(links[0]))
    if not urls:
        raise InvalidInputError("no granules given: pass paths, URLs or granule records")
    duplicates = sorted({u for u in urls if urls.count(u) > 1})
    if duplicates:
        raise InvalidInputError(f"granules given more than once: {', '.join(duplicates[:5])}")
    return urls


def registry_for(urls: Sequence[str], access: Access = LOCAL) -> Any:
    """An obspec ``ObjectStoreRegistry`` that can read every URL in ``urls``."""
    from obspec_utils.registry import ObjectStoreRegistry

    stores: dict[str, Any] = {}
    for url in urls:
        scheme = scheme_of(url)
        root = "file://" if scheme == "file" else "/".join(url.split("/", 3)[:3])
        if root not in stores:
            stores[root] = access.obstore_store(url)
    return ObjectStoreRegistry(stores)


def parse_tree(plan: ParsePlan, registry: Any) -> GroupTree:
    """Every group of the granule, parsed as the plan says."""
    if plan.kind == "dmrpp":
        return _dmrpp_tree(plan, registry)
    if plan.kind == "netcdf3":
        from virtualizarr.parsers import NetCDF3Parser

        return GroupTree.from_manifest_group(NetCDF3Parser()(plan.url, registry)._group)
    from virtualizarr.parsers import HDFParser

    return GroupTree.from_manifest_group(HDFParser()(plan.url, registry)._group)


def _dmrpp_tree(plan: ParsePlan, registry: Any) -> GroupTree:
    """The DMR++ document parsed group by group; chunk references point at ``plan.url`` (the
    granule the user named), whatever the document's own ``dmrpp:href`` says."""
    import warnings
    from xml.etree import ElementTree as ET

    from virtualizarr.parsers.dmrpp import DMRParser

    assert plan.sidecar_bytes is not None
    try:
        root = ET.fromstring(plan.sidecar_bytes)
    except ET.ParseError as exc:
        raise GranuleError(
            plan.url, f"its DMR++ sidecar {plan.sidecar} is not XML ({exc})"
        ) from None
    namespace = "{" + DMRParser._NS["dap"] + "}"
    paths = ["/"]

    def walk(element: Any, prefix: str) -> None:
        for child in element.findall(f"{namespace}Group"):
            path = f"{prefix.rstrip('/')}/{child.attrib.get('name', '')}"
            paths.append(path)
            walk(child, path)

    walk(root, "/")
    store, _ = registry.resolve(plan.url)
    groups = {}
    for path in paths:
        parser = DMRParser(root=ET.fromstring(plan.sidecar_bytes), data_filepath=plan.url)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "no groups; ignoring group"
            try:
                groups[path] = parser.parse_dataset(object_store=store, group=path)._group
            except ValueError:
                if path == "/":  # a document with only groups has no root dataset element
                    from virtualizarr.manifests import ManifestGroup

                    groups[path] = ManifestGroup(arrays={}, attributes={})
                    continue
                raise
    return GroupTree.from_groups(groups)


def _choose_groups(url: str, tree: GroupTree, layout: Layout) -> tuple[str, ...]:
    if layout.groups:
        return layout.groups
    with_data = tree.data_groups()
    if "/" in with_data:
        return ("/",)
    if not with_data:
        raise GranuleError(url, "has no variables with data in any group")
    raise GranuleError(
        url,
        "has no variables in its root group; its groups with data are "
        + ", ".join(with_data[:12])
        + (" ..." if len(with_data) > 12 else "")
        + ": pass --group PATH (repeatable), or group= in the API",
    )


def _read_variable(view_store: Any, name: str, dim: str) -> xr.DataArray:
    ds = xr.open_zarr(view_store, consolidated=False, zarr_format=3, chunks=None)
    var = ds[name]
    return var.isel({dim: 0}) if dim in var.dims else var


def _cf_time_along(ds: xr.Dataset, dim: str) -> str | None:
    """A virtual CF time variable that spans ``dim`` (a swath's per-scan ``time``)."""
    for name, var in ds.variables.items():
        units = str(var.attrs.get("units", var.encoding.get("units", "")))
        if dim in var.dims and " since " in units and var.dims != (dim,):
            return str(name)
    return None


def _granule_time(
    url: str, tree: GroupTree, group: str, layout: Layout, registry: Any
) -> np.datetime64 | None:
    spec = layout.time_from
    if spec is None:
        return None
    try:
        if spec.source == "filename":
            return spec.from_filename(url)
        if spec.source == "attr":
            return spec.from_attribute(tree.attribute(group, spec.value))
        path = tree.find(group, spec.value)
        if path is None:
            raise InvalidInputError(f"has no variable {spec.value!r} (--time-from {spec})")
        parent, _, name = path.rpartition("/")
        view = tree.view(parent or "/")
        return first_time(_read_variable(view.store(registry), name, layout.dim), path)
    except ValueError as exc:
        raise GranuleError(url, str(exc)) from None


def _order_value(
    granule_url: str, ds: xr.Dataset, layout: Layout, when: Any, view_store: Any
) -> Any:
    dim = layout.dim
    if dim in ds.indexes:
        return ds[dim].values[0]
    if when is not None:
        return when
    name = _cf_time_along(ds, dim)
    if name is not None:
        try:
            return first_time(_read_variable(view_store, name, dim), name)
        except ValueError:
            return None
    return None


def virtualize_one(
    url: str, layout: Layout = Layout(), access: Access = LOCAL, registry: Any = None
) -> VirtualGranule:
    """Parse one granule into a :class:`VirtualGranule` (picklable: runs in worker processes).

    Example:
        >>> g = virtualize_one("file:///d/SMAP.h5", Layout(groups=("Analysis_Data",),
        ...                    time_from="coord:/time"))  # doctest: +SKIP
        >>> g.groups["/Analysis_Data"].sizes  # doctest: +SKIP
        Frozen({'time': 1, 'y': 108, 'x': 33})
    """
    registry = registry or registry_for([url], access)
    plan = plan_parse(url, layout.parser, registry)
    try:
        tree = parse_tree(plan, registry)
    except GranuleError:
        raise
    except Exception as exc:  # h5py/obstore/XML raise many types; name the granule, keep the cause
        what = {"hdf": "NetCDF4/HDF5", "netcdf3": "netCDF-3", "dmrpp": "DMR++"}[plan.kind]
        raise GranuleError(
            plan.url,
            f"cannot be virtualized as {what} ({type(exc).__name__}: {exc})"
            + (f"; sidecar {plan.sidecar}" if plan.sidecar else ""),
        ) from exc
    groups: dict[str, xr.Dataset] = {}
    sources: dict[str, dict[str, str]] = {}
    order: Any = None
    for group in _choose_groups(plan.url, tree, layout):
        try:
            view = tree.view(group)
        except (LookupError, ValueError) as exc:
            raise GranuleError(plan.url, str(exc.args[0]) if exc.args else str(exc)) from None
        store = view.store(registry)
        try:
            if layout.loadable_variables == ():  # all virtual: nothing is read from the granule
                ds = view.manifest_group.to_virtual_dataset()
            else:
                loadable = (
                    list(layout.loadable_variables)
                    if layout.loadable_variables is not None
                    else manifest_coordinates(view.manifest_group)  # coordinates and bounds
                )
                ds = store.to_virtual_dataset(loadable_variables=loadable)
        except Exception as exc:
            raise GranuleError(
                plan.url, f"group {group} cannot be opened ({type(exc).__name__}: {exc})"
            ) from exc
        when = _granule_time(plan.url, tree, group, layout, registry)
        if when is not None and layout.dim not in ds.dims:
            try:
                ds = add_time_dimension(ds, when, layout.dim)
            except ValueError as exc:
                raise GranuleError(plan.url, f"group {group} {exc}") from None
        if layout.dim not in ds.dims:
            raise GranuleMismatchError(
                plan.url,
                f"group {group} has no {layout.dim!r} dimension to concatenate along (its "
                f"dimensions: {', '.join(map(str, ds.dims)) or 'none'}): choose one with --dim, or "
                "give each granule a time with --time-from coord:NAME | attr:NAME | filename:REGEX",
            )
        if not any(layout.dim in v.dims for v in ds.data_vars.values()):
            raise GranuleMismatchError(
                plan.url, f"group {group} has no data variable along {layout.dim!r}"
            )
        if order is None:
            order = _order_value(plan.url, ds, layout, when, store)
        groups[group] = ds
        sources[group] = dict(view.sources)
    return VirtualGranule(plan.url, groups, sources, plan.kind, plan.sidecar, order)


def virtualize_granules(
    sources: Iterable[Source],
    *,
    access: Access = LOCAL,
    layout: Layout | None = None,
    loadable_variables: Sequence[str] | None = None,
    parallel: Parallel = None,
    executor: Executor | DaskClient | None = None,
    workers: int = 4,
) -> list[VirtualGranule]:
    """Virtualize each granule (see :func:`virtualize_one`), in the order given.

    Already-virtualized :class:`VirtualGranule` inputs are reused as they are, so one
    virtualization can feed several stores. Dimension coordinates and their bounds are loaded
    (:mod:`.coordinates`: the stores keep them natively, in one chunk each), which also copes
    with real files whose coordinate chunks are oversized (GHRSST GAMSSA's ``time``).
    ``parallel`` picks threads (default, ``workers`` of them), processes, dask, or an
    ``Executor`` / ``distributed.Client`` (see :mod:`.executors`).
    """
    layout = layout or Layout()
    if loadable_variables is not None:
        layout = Layout(
            layout.parser, layout.groups, layout.dim, layout.time_from, tuple(loadable_variables)
        )
    sources = list(sources)
    urls = granule_urls(sources)
    done = {s.url: s for s in sources if isinstance(s, VirtualGranule)}
    todo = [u for u in urls if u not in done]
    if todo:
        _import_parsers()
        results = run_all(
            virtualize_one,
            todo,
            layout=layout,
            access=access,
            registry=registry_for(todo, access),
            parallel=executor if executor is not None else parallel,
            workers=workers,
        )
        done.update(zip(todo, results, strict=True))
    by_url = {g.url: g for g in done.values()}
    return [by_url.get(u) or done[u] for u in urls]


def _import_parsers() -> None:
    """Import every parser module here, once, before worker threads do: threads importing
    ``virtualizarr.parsers`` and ``virtualizarr.parsers.dmrpp`` at the same moment can hit
    Python's import deadlock detection (``_DeadlockError``) on a first build."""
    import virtualizarr.parsers
    import virtualizarr.parsers.dmrpp  # noqa: F401


def sort_and_check_times(granules: Sequence[VirtualGranule], dim: str) -> list[VirtualGranule]:
    """Granules ordered along ``dim``; two granules with the same first coordinate are refused."""
    if len(granules) <= 1:
        return list(granules)
    ordered = sorted(granules, key=lambda g: g.first(dim))
    for a, b in zip(ordered, ordered[1:], strict=False):
        if a.first(dim) == b.first(dim):
            raise GranuleMismatchError(b.url, f"has the same {dim} ({a.first(dim)}) as {a.url}")
    return ordered


def concat_granules(granules: Sequence[VirtualGranule], dim: str = "time") -> dict[str, xr.Dataset]:
    """Each group's virtual dataset: the granules concatenated along ``dim`` (first granule's
    attributes). Keys are the groups' absolute paths (``/`` for the root)."""
    if not granules:
        raise InvalidInputError("no granules to concatenate")
    out: dict[str, xr.Dataset] = {}
    for group in granules[0].groups:
        datasets = [g.groups[group] for g in granules]
        if len(datasets) == 1:
            out[group] = datasets[0]
            continue
        out[group] = xr.concat(
            datasets,
            dim=dim,
            coords="minimal",
            compat="override",
            data_vars="minimal",
            combine_attrs="override",
            join="exact",
        )
    return out
