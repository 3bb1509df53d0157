"""Datashader's numba kernels compiled once per machine, not once per process.

Datashader compiles its regridding kernels (``datashader.resampling`` and friends) with numba the
first time a process rasterizes a grid: ~1.5 s before the first large map of every new server,
~10 s for :func:`~vstore_explorer.app.live.warm_up`'s variants. Its kernels are plain module-level
``numba.jit`` functions without ``cache=True``; :func:`cache_datashader_kernels` turns numba's
on-disk cache on for them, so a later process loads the machine code instead of compiling it.
Numba keeps the cache beside the sources (``__pycache__``) or, where that is read-only, in the
user's cache directory, and invalidates it when the sources, numba or the CPU change. Kernels
datashader generates at run time (quadmesh's, a reduction's) are not cacheable and still compile.

Example:
    >>> cache_datashader_kernels() >= 0
    True
"""

from __future__ import annotations

import importlib
import sys
from functools import cache

KERNEL_MODULES = (
    "datashader.resampling",
    "datashader.utils",
    "datashader.transfer_functions._cpu_utils",
    "datashader.glyphs.quadmesh",
    "datashader.reductions",
)
"""The datashader modules whose module-level kernels the explorer's maps use."""


@cache
def cache_datashader_kernels() -> int:
    """Turn numba's disk cache on for datashader's module-level kernels (once per process, before
    their first use); returns how many. Nothing happens if datashader is missing."""
    try:
        from numba.core.registry import CPUDispatcher
    except ImportError:
        return 0
    for name in KERNEL_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            continue
    count = 0
    for name, module in list(sys.modules.items()):
        if not name.startswith("datashader") or module is None:
            continue
        for kernel in list(vars(module).values()):
            if isinstance(kernel, CPUDispatcher):
                try:
                    kernel.enable_caching()
                except Exception:  # noqa: BLE001, S112 - one that cannot be cached compiles as before
                    continue
                count += 1
    return count
