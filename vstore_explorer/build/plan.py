"""Plan a change to a virtual store: virtualize, check uniformity, order, concatenate.

Everything here happens before anything is written, so a refusal leaves every store as it was.

Example:
    >>> plan = plan_granules(["/d/a.nc", "/d/b.nc"], Layout())  # doctest: +SKIP
    >>> plan.datasets["/"].sizes["time"]  # doctest: +SKIP
    2
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import xarray as xr

from vstore_explorer.build.errors import BuildError
from vstore_explorer.build.executors import Parallel
from vstore_explorer.build.uniformity import Signature, check_consistent
from vstore_explorer.build.virtualize import (
    Layout,
    Source,
    VirtualGranule,
    concat_granules,
    sort_and_check_times,
    virtualize_granules,
)
from vstore_explorer.stores.access import LOCAL, Access


@dataclass(frozen=True)
class GranulePlan:
    """Granules ready to write: in order along ``layout.dim``, and concatenated per group."""

    layout: Layout
    granules: list[VirtualGranule]
    datasets: dict[str, xr.Dataset]

    @property
    def parsers(self) -> dict[str, int]:
        return dict(Counter(g.parser for g in self.granules))

    @property
    def groups(self) -> tuple[str, ...]:
        return tuple(g for g in self.datasets if g != "/")


def plan_granules(
    sources: Iterable[Source],
    layout: Layout,
    *,
    access: Access = LOCAL,
    parallel: Parallel = None,
    workers: int = 4,
    reference: Mapping[str, Signature] | None = None,
) -> GranulePlan:
    """Virtualize ``sources`` and check they can form (or extend) one store."""
    granules = virtualize_granules(
        sources, access=access, layout=layout, parallel=parallel, workers=workers
    )
    check_consistent(granules, layout.dim, reference)
    ordered = sort_and_check_times(granules, layout.dim)
    datasets = concat_granules(ordered, layout.dim)
    for group, ds in datasets.items():
        if not ds.data_vars:
            where = "the root group" if group == "/" else f"group {group}"
            raise BuildError(f"{where} of the granules holds no variables: nothing to write")
    return GranulePlan(layout, ordered, datasets)


def layout_of(
    parser: str = "auto",
    group: str | Iterable[str] | None = None,
    dim: str = "time",
    time_from: Any = None,
    loadable_variables: Iterable[str] | None = None,
) -> Layout:
    """A :class:`Layout` from the builders' keyword arguments (``group`` may be one or several).

    Example:
        >>> layout_of(group="Grid").groups, layout_of(group=["S1", "S2"]).groups
        (('/Grid',), ('/S1', '/S2'))
    """
    groups: tuple[str, ...]
    if group is None:
        groups = ()
    elif isinstance(group, str):
        groups = (group,)
    else:
        groups = tuple(group)
    return Layout(
        parser=parser,  # type: ignore[arg-type]
        groups=groups,
        dim=dim,
        time_from=time_from,
        loadable_variables=tuple(loadable_variables) if loadable_variables is not None else None,
    )
