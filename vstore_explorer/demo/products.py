"""The demo products: what each synthetic collection looks like, modelled on a real NASA one.

Each ``DemoProduct`` fixes the grid, variables, encodings (dtype, packing, fill, chunks, zlib level),
attributes, time axis and file naming of one collection; ``fields`` makes its values and
``granules`` writes its files. Products are immutable and picklable (worker processes get them).

Example:
    >>> p = get_product("sst")
    >>> p.filename(p.times(1)[0])
    '20230101120000-VSTOREDEMO-L4_GHRSST-SSTfnd-DEMO_25km-GLOB-v02.0-fv01.0.nc'
"""

from __future__ import annotations

import types
from collections.abc import Mapping

from vstore_explorer.demo.product_airs import _airs
from vstore_explorer.demo.product_ghrsst import _ghrsst
from vstore_explorer.demo.product_gldas import _gldas
from vstore_explorer.demo.product_types import (
    PROVIDER,
    Attrs,
    DemoProduct,
    DemoVariable,
    Grid,
    Platform,
    ScienceKeyword,
)
from vstore_explorer.errors import InvalidInputError

__all__ = [
    "PRODUCTS",
    "PROVIDER",
    "Attrs",
    "DemoProduct",
    "DemoVariable",
    "Grid",
    "Platform",
    "ScienceKeyword",
    "get_product",
]


PRODUCTS: Mapping[str, DemoProduct] = types.MappingProxyType(
    {p.short_name: p for p in (_ghrsst(), _gldas(), _airs())}
)
"""The demo products by short name (read-only)."""


def get_product(name: str) -> DemoProduct:
    """The demo product with this short name (or alias: "sst", "gldas", "airs").

    Example:
        >>> get_product("gldas").short_name
        'GLDAS_NOAH025_3H_DEMO'
    """
    if name in PRODUCTS:
        return PRODUCTS[name]
    for product in PRODUCTS.values():
        if product.alias == name.strip().lower():
            return product
    valid = ", ".join(f"{p.short_name} ({p.alias})" for p in PRODUCTS.values())
    raise InvalidInputError(f"unknown demo product {name!r}; valid names: {valid}")
