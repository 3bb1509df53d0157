"""One group of a parsed granule as a self-contained dataset: named dimensions, inherited coordinates.

Real archives rarely keep everything in the root group. NetCDF-4 lets a variable in ``/data_01/ku``
use the ``time`` dimension of ``/data_01`` and name ``/data_01/latitude`` in its ``coordinates``;
pure HDF5 products (GPM, SMAP) have datasets without dimension scales, which VirtualiZarr names
``phony_dim_<axis>`` and so gives clashing sizes. :class:`GroupTree` holds every group of one
parsed granule, and :meth:`GroupTree.view` returns one group as a flat Zarr group that xarray can
open on its own:

- a dimension that refers to an ancestor's dimension scale gets the scale's own name, and the
  scale comes along as a coordinate (the netCDF-4 scoping rule, as ``xr.open_datatree`` shows it);
- names in ``coordinates`` and ``grid_mapping`` attributes (relative or absolute paths) are
  resolved in the group, then its ancestors, brought along and rewritten to plain names;
- unlabelled axes are named from a GPM-style ``DimensionNames`` attribute when there is one, else
  as netCDF-C does within a group: one ``phony_dim_N`` per distinct length (more when a variable
  repeats a length), shared by every variable of the group.

Pure: it rearranges parsed metadata and chunk manifests, and reads nothing.

Example:
    >>> tree = GroupTree.from_manifest_group(manifest_store._group)  # doctest: +SKIP
    >>> tree.data_groups()  # doctest: +SKIP
    ['/S1', '/S2']
    >>> view = tree.view("/S1")  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from vstore_explorer.build.errors import GranuleError
from vstore_explorer.errors import InvalidInputError

PHONY = re.compile(r"^phony_dim_\d+$")
COORD_ATTRS = ("coordinates", "grid_mapping", "bounds")


def normalize_group(group: str | None) -> str:
    """``'/a/b'`` for ``'a/b'``, ``'/a/b/'`` or ``'/a/b'``; ``'/'`` for the root (None, '', '/').

    Example:
        >>> normalize_group("Grid/"), normalize_group(None), normalize_group("/data_01/ku")
        ('/Grid', '/', '/data_01/ku')
    """
    text = (group or "").strip().strip("/")
    if any(part in ("", ".", "..") for part in text.split("/")) and text:
        raise InvalidInputError(f"invalid group path {group!r}: give it as /a/b")
    return "/" + text


def store_group(group: str) -> str | None:
    """The Zarr group path a granule group is written to (None for the root).

    Example:
        >>> store_group("/"), store_group("/data_01/ku")
        (None, 'data_01/ku')
    """
    group = normalize_group(group)
    return None if group == "/" else group.lstrip("/")


def _join(group: str, name: str) -> str:
    return f"{group.rstrip('/')}/{name}"


def _ancestors(group: str) -> list[str]:
    """``group`` then each parent up to the root: ``/a/b`` -> ``['/a/b', '/a', '/']``."""
    out = [group]
    while group != "/":
        group = group.rsplit("/", 1)[0] or "/"
        out.append(group)
    return out


def _tokens(attr: str, value: Any) -> list[str]:
    """Variable names an attribute refers to (``grid_mapping`` may be ``crs: x y``)."""
    if not isinstance(value, str):
        return []
    if attr == "grid_mapping" and ":" in value:
        return [t.rstrip(":") for t in value.split() if t.endswith(":")]
    return value.split()


@dataclass(frozen=True)
class GroupView:
    """One group made self-contained: a flat ``ManifestGroup`` and where each variable came from.

    Attributes:
        group: the group's absolute path in the granule (``/`` for the root).
        manifest_group: the arrays (own and inherited) with named dimensions, and the group's
            attributes.
        sources: for each variable, its absolute path in the granule (``/data_01/latitude``).
    """

    group: str
    manifest_group: Any
    sources: dict[str, str] = field(default_factory=dict)

    def store(self, registry: Any) -> Any:
        """A VirtualiZarr ``ManifestStore`` over this view."""
        from virtualizarr.manifests import ManifestStore

        return ManifestStore(group=self.manifest_group, registry=registry)


@dataclass(frozen=True)
class GroupTree:
    """Every group of one parsed granule: arrays and attributes by absolute group path.

    Example:
        >>> tree = GroupTree({"/": {}, "/Grid": {"precip": array}},  # doctest: +SKIP
        ...                  {"/": {"title": "IMERG"}, "/Grid": {}})
        >>> tree.data_groups()  # doctest: +SKIP
        ['/Grid']
    """

    arrays: Mapping[str, Mapping[str, Any]]
    attributes: Mapping[str, Mapping[str, Any]]

    @classmethod
    def from_manifest_group(cls, root: Any) -> GroupTree:
        """Flatten VirtualiZarr's nested ``ManifestGroup`` (as HDFParser returns it)."""
        arrays: dict[str, dict[str, Any]] = {}
        attributes: dict[str, dict[str, Any]] = {}

        def walk(path: str, group: Any) -> None:
            arrays[path] = dict(group.arrays)
            attributes[path] = dict(group.metadata.attributes)
            for name, sub in group.groups.items():
                walk(_join(path, name), sub)

        walk("/", root)
        return cls(arrays, attributes)

    @classmethod
    def from_groups(cls, groups: Mapping[str, Any]) -> GroupTree:
        """From flat ``ManifestGroup`` s by path (as DMR++ parses them, one group at a time)."""
        return cls(
            {normalize_group(p): dict(g.arrays) for p, g in groups.items()},
            {normalize_group(p): dict(g.metadata.attributes) for p, g in groups.items()},
        )

    def groups(self) -> list[str]:
        """Every group path, root first."""
        return sorted(self.arrays, key=lambda p: (p != "/", p))

    def data_groups(self) -> list[str]:
        """Groups holding a variable of more than one value that is not a dimension scale.

        Example:
            >>> GroupTree({"/": {"x": _Arr((3,), ("x",))}, "/S1": {"Tc": _Arr((10, 10))}},
            ...           {}).data_groups()
            ['/S1']
        """
        return [
            p
            for p in self.groups()
            if any(_size(a) > 1 and not _is_own_scale(n, a) for n, a in self.arrays[p].items())
        ]

    def attribute(self, group: str, name: str) -> Any:
        """An attribute of ``group``, else of its nearest ancestor that has it (None if none)."""
        for path in _ancestors(normalize_group(group)):
            value = self.attributes.get(path, {}).get(name)
            if value is not None:
                return value
        return None

    def find(self, group: str, name: str) -> str | None:
        """The absolute path of variable ``name`` (relative or absolute) seen from ``group``."""
        if name.startswith("/"):
            parent, _, base = name.rpartition("/")
            parent = parent or "/"
            return name if base in self.arrays.get(parent, {}) else None
        if "/" in name:  # relative with groups: from the root, as VirtualiZarr writes dims
            return self.find(group, "/" + name)
        for path in _ancestors(normalize_group(group)):
            if name in self.arrays.get(path, {}):
                return _join(path, name)
        return None

    def array(self, path: str) -> Any:
        parent, _, name = path.rpartition("/")
        return self.arrays[parent or "/"][name]

    def view(self, group: str | None) -> GroupView:
        """``group`` as a self-contained flat group (see the module docstring).

        Raises a :class:`GranuleError`-ready ``ValueError`` when the group does not exist or holds
        no arrays, or when one dimension name would get two lengths.
        """
        from virtualizarr.manifests import ManifestGroup

        group = normalize_group(group)
        if group not in self.arrays:
            raise LookupError(
                f"has no group {group}; its groups with data are: "
                + (", ".join(self.data_groups()) or "none")
            )
        own_dims = _named_dims(self, group)
        out: dict[str, Any] = {}
        sources: dict[str, str] = {}
        for name, arr in self.arrays[group].items():
            out[name] = _with(arr, dims=own_dims[name])
            sources[name] = _join(group, name)
        # coordinates of dimensions that live in an ancestor (netCDF-4 dimension scoping)
        wanted: list[tuple[str, str]] = []  # (name in the view, absolute source path)
        for name, arr in self.arrays[group].items():
            raw = arr.metadata.dimension_names or ()
            for raw_dim, dim in zip(raw, own_dims[name], strict=True):
                if dim in out:
                    continue
                path = "/" + raw_dim.lstrip("/") if "/" in str(raw_dim) else self.find(group, dim)
                if path and path != _join(group, dim) and _is_scale(self, path, dim):
                    wanted.append((dim, path))
        # variables named by coordinates / grid_mapping / bounds attributes
        rewritten: dict[str, dict[str, Any]] = {}
        for name, arr in self.arrays[group].items():
            attrs = dict(arr.metadata.attributes)
            for attr in COORD_ATTRS:
                tokens = _tokens(attr, attrs.get(attr))
                if not tokens:
                    continue
                kept: list[str] = []
                for token in tokens:
                    path = self.find(group, token)
                    if path is None:
                        continue
                    base = path.rsplit("/", 1)[1]
                    kept.append(base)
                    if base not in out and path != _join(group, base):
                        wanted.append((base, path))
                if attr == "grid_mapping" and ":" in str(attrs[attr]):
                    continue  # keep the extended form as written
                if kept != tokens:
                    attrs[attr] = " ".join(kept) if kept else None
                    if attrs[attr] is None:
                        del attrs[attr]
                    rewritten[name] = attrs
        for name, attrs in rewritten.items():
            out[name] = _with(out[name], attrs=attrs)
        for base, path in wanted:
            if base in out:
                continue
            parent = path.rsplit("/", 1)[0] or "/"
            dims = _named_dims(self, parent)[path.rsplit("/", 1)[1]]
            out[base] = _with(self.array(path), dims=dims)
            sources[base] = path
        _check_dims(group, out)
        attrs = dict(self.attributes.get(group, {}))
        return GroupView(group, ManifestGroup(arrays=out, attributes=attrs), sources)


def _size(arr: Any) -> int:
    size = 1
    for n in arr.metadata.shape:
        size *= int(n)
    return size


def _is_own_scale(name: str, arr: Any) -> bool:
    dims = tuple(str(d).rsplit("/", 1)[-1] for d in (arr.metadata.dimension_names or ()))
    return dims == (name,)


@dataclass(frozen=True)
class _Arr:  # a stand-in with just a shape, for doctests
    shape: tuple[int, ...]
    dimension_names: tuple[str, ...] = ()

    @property
    def metadata(self) -> Any:
        return self


def _is_scale(tree: GroupTree, path: str, dim: str) -> bool:
    arr = tree.array(path)
    return len(arr.metadata.shape) == 1


def _with(arr: Any, *, dims: tuple[str, ...] | None = None, attrs: dict | None = None) -> Any:
    from virtualizarr.manifests import ManifestArray

    changes: dict[str, Any] = {}
    if dims is not None and tuple(dims) != tuple(arr.metadata.dimension_names or ()):
        changes["dimension_names"] = tuple(dims)
    if attrs is not None:
        changes["attributes"] = attrs
    if not changes:
        return arr
    return ManifestArray(
        metadata=dataclasses.replace(arr.metadata, **changes), chunkmanifest=arr.manifest
    )


def _named_dims(tree: GroupTree, group: str) -> dict[str, tuple[str, ...]]:
    """Each array's dimension names in ``group``: scale paths reduced to the scale's name and
    unlabelled (phony) axes named from ``DimensionNames`` or as netCDF-C does."""
    arrays = tree.arrays[group]
    named: dict[str, tuple[str, ...]] = {}
    sizes: dict[str, int] = {}
    phony_arrays: list[str] = []
    for name in sorted(arrays):
        arr = arrays[name]
        raw = tuple(str(d) for d in (arr.metadata.dimension_names or ()))
        shape = tuple(int(n) for n in arr.metadata.shape)
        dims = tuple(d.rsplit("/", 1)[-1] for d in raw)
        if any(PHONY.match(d) for d in dims):
            declared = _declared_dims(arr, len(shape))
            if declared and all(
                sizes.setdefault(d, n) == n for d, n in zip(declared, shape, strict=True)
            ):
                dims = declared
            else:
                phony_arrays.append(name)
                named[name] = dims
                continue
        for d, n in zip(dims, shape, strict=True):
            sizes.setdefault(d, n)
        named[name] = dims
    # netCDF-C: per group, as many phony dims of a length as the most axes of that length in one
    # variable; a variable's k-th axis of that length uses the k-th of them
    pool: dict[int, list[str]] = {}
    counter = 0
    for name in phony_arrays:
        shape = tuple(int(n) for n in arrays[name].metadata.shape)
        seen: Counter[int] = Counter()
        renamed: list[str] = []
        for d, n in zip(named[name], shape, strict=True):
            if not PHONY.match(d):
                renamed.append(d)
                continue
            k = seen[n]
            seen[n] += 1
            choices = pool.setdefault(n, [])
            while len(choices) <= k:
                while f"phony_dim_{counter}" in sizes:
                    counter += 1
                choices.append(f"phony_dim_{counter}")
                sizes[f"phony_dim_{counter}"] = n
                counter += 1
            renamed.append(choices[k])
        named[name] = tuple(renamed)
    return named


def _declared_dims(arr: Any, ndim: int) -> tuple[str, ...] | None:
    """Dimension names a GPM/TRMM-style ``DimensionNames`` attribute declares ("nscan,npixel")."""
    value = arr.metadata.attributes.get("DimensionNames")
    if not isinstance(value, str):
        return None
    names = tuple(n.strip() for n in value.split(",") if n.strip())
    if len(names) != ndim or len(set(names)) != ndim:
        return None
    return names


def _check_dims(group: str, arrays: Mapping[str, Any]) -> None:
    sizes: dict[str, tuple[int, str]] = {}
    for name, arr in arrays.items():
        dims = arr.metadata.dimension_names or ()
        for d, n in zip(dims, arr.metadata.shape, strict=True):
            if d in sizes and sizes[d][0] != int(n):
                other = sizes[d][1]
                raise InvalidInputError(
                    f"group {group}: dimension {d!r} has length {int(n)} on {name!r} but "
                    f"{sizes[d][0]} on {other!r}; the file's dimension metadata is inconsistent"
                )
            sizes.setdefault(d, (int(n), name))


def view_error(url: str, exc: Exception) -> GranuleError:
    """The :class:`GranuleError` for a failed :meth:`GroupTree.view` of granule ``url``."""
    text = str(exc.args[0]) if exc.args else str(exc)
    return GranuleError(url, text)
