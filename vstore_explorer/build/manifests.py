"""How a virtual store's Icechunk manifests are split, so a reader loads only the references it needs.

Example:
    >>> REFS_PER_MANIFEST, MIN_STEPS_PER_MANIFEST, INLINE_BYTES
    (1000, 366, 65535)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import xarray as xr

REFS_PER_MANIFEST = 1_000
"""About how many chunk references of an array one manifest holds (split along the append dim)."""

MIN_STEPS_PER_MANIFEST = 366
"""At least this many steps of the append dim per manifest (a year of daily granules): a point
series over a decade reads ten manifests besides its 3,650 chunks. Over S3 or HTTPS a request
costs its latency, a reference ~14 bytes, so a one-day map of a 9-chunk field reads one 46 kB
manifest rather than one of 14 kB, and a decade's series 10 manifests rather than 33."""

INLINE_BYTES = 65_535
"""Native chunks up to this size are kept inside their manifest (Icechunk's
``inline_chunk_threshold_bytes``; its largest value, the default is 512). The builders' native
chunks are the coordinates, one chunk each (:mod:`.coordinates`): inline, opening a store reads
one manifest per coordinate and no chunk object, whatever the number of granules (a daily
``time`` fits up to 8,191 steps). xarray reads ``time`` three times at open; a chunk object
would be fetched each time."""


def manifest_config(
    vds: xr.Dataset | Iterable[xr.Dataset],
    dim: str,
    refs: int | None = None,
    min_steps: int | None = None,
) -> Any:
    """Icechunk manifests split along ``dim`` so each holds about ``refs`` chunk references
    (default :data:`REFS_PER_MANIFEST`), and at least ``min_steps`` steps of ``dim`` (default
    :data:`MIN_STEPS_PER_MANIFEST`).

    A reader loads a whole manifest at its first chunk of the array: with one manifest for a
    decade of daily granules, a one-day map would read the references of every day. Split, it
    reads those of about ``refs // chunks per step`` steps, and a point series one manifest per
    ``min_steps`` steps. The split is saved in the repository's config, so appends keep it.
    ``vds`` may be several datasets (one per group of the store).

    Example:
        >>> config = manifest_config(vds, "time")  # 9 chunks per daily field  # doctest: +SKIP
        >>> list(config.splitting.to_dict().values())  # doctest: +SKIP
        [{ManifestSplitDimCondition.dimension_name("time"): 366}]
    """
    import icechunk

    datasets = [vds] if isinstance(vds, xr.Dataset) else list(vds)
    per_step = 1
    for var in (v for ds in datasets for v in ds.data_vars.values()):
        manifest = getattr(var.data, "manifest", None)  # a virtual (ManifestArray) variable
        if manifest is None or dim not in var.dims:
            continue
        grid = manifest.shape_chunk_grid  # chunks along each dimension
        per_step = max(
            per_step, math.prod(n for d, n in zip(var.dims, grid, strict=True) if d != dim)
        )
    floor = MIN_STEPS_PER_MANIFEST if min_steps is None else min_steps
    steps = max(1, floor, (refs or REFS_PER_MANIFEST) // per_step)
    splitting = icechunk.ManifestSplittingConfig.from_dict(
        {
            icechunk.ManifestSplitCondition.AnyArray(): {
                icechunk.ManifestSplitDimCondition.DimensionName(dim): steps
            }
        }
    )
    return icechunk.ManifestConfig(splitting=splitting)
