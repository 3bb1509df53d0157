"""Deterministic, physically plausible fields for the demo products (pure numpy).

Every value is a smooth function of position and time built from a product seed, so the same
(product, time) always gives bit-identical arrays, consecutive time steps are continuous (storms
and eddies move), and any time step can be made on its own (in any worker process).

Building blocks, all vectorized and separable so a 0.25-degree field costs a few milliseconds:

- random waves: sums of seeded plane waves, evaluated as one (lat x 2K) @ (2K x lon) product;
- beads: sums of separable Gaussians (mountain ranges, deserts, storms) as another product;
- fronts: ``tanh`` steps across meandering lines, evaluated in their own window only.

The generators live in ``fields_ocean`` (GHRSST), ``fields_land`` (GLDAS) and
``fields_atmosphere`` (AIRS), the shared maths in ``field_maths``; all are re-exported here.

Example:
    >>> from vstore_explorer.demo.products import get_product
    >>> p = get_product("airs")
    >>> ctx = make_context(p, land=np.zeros(p.grid.shape, bool))
    >>> sorted(generate(ctx, p.times(1)[0]))
    ['air_temperature', 'relative_humidity', 'surface_air_temperature']
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from datetime import datetime
from types import MappingProxyType

import numpy as np

from vstore_explorer.demo.field_maths import (
    DESERTS,
    EPOCH,
    F32,
    MOUNTAINS,
    YEAR_DAYS,
    FieldContext,
    Fields,
    _utc,
    aridity,
    beads,
    bitround,
    cos_zenith,
    days_since_epoch,
    elevation,
    exact_matmul,
    local_hour,
    polyline_beads,
    random_waves,
    solar_declination,
    year_phase,
)
from vstore_explorer.demo.fields_atmosphere import airs, swath_gaps
from vstore_explorer.demo.fields_land import (
    Storms,
    gldas,
    saturation_specific_humidity,
    storm_populations,
)
from vstore_explorer.demo.fields_ocean import FREEZING_SST, FRONTS, SST_ANOMALIES, sea_ice_edge, sst
from vstore_explorer.demo.products import DemoProduct
from vstore_explorer.errors import InvalidInputError

__all__ = [
    "DESERTS",
    "EPOCH",
    "F32",
    "FREEZING_SST",
    "FRONTS",
    "GENERATORS",
    "MOUNTAINS",
    "SST_ANOMALIES",
    "YEAR_DAYS",
    "FieldContext",
    "Fields",
    "Storms",
    "airs",
    "aridity",
    "beads",
    "bitround",
    "cos_zenith",
    "days_since_epoch",
    "elevation",
    "exact_matmul",
    "fields_for",
    "generate",
    "gldas",
    "local_hour",
    "make_context",
    "polyline_beads",
    "product_seed",
    "random_waves",
    "saturation_specific_humidity",
    "sea_ice_edge",
    "solar_declination",
    "sst",
    "storm_populations",
    "swath_gaps",
    "year_phase",
]


# --------------------------------------------------------------------------- context and API


def product_seed(product: DemoProduct) -> int:
    """A stable seed from the product's short name (``hash()`` is salted per process)."""
    return zlib.crc32(product.short_name.encode())


def make_context(
    product: DemoProduct,
    land: np.ndarray,
    lat: np.ndarray | None = None,
    lon: np.ndarray | None = None,
) -> FieldContext:
    """The static part of ``product``'s fields on its grid (or on ``lat``/``lon`` if given)."""
    lat = np.asarray(product.grid.lat() if lat is None else lat, dtype=np.float64)
    lon = np.asarray(product.grid.lon() if lon is None else lon, dtype=np.float64)
    land = np.asarray(land, dtype=bool)
    if land.shape != (lat.size, lon.size):
        raise InvalidInputError(
            f"land mask shape {land.shape} does not match grid {(lat.size, lon.size)}"
        )
    return FieldContext(product=product, lat=lat, lon=lon, land=land, seed=product_seed(product))


def generate(ctx: FieldContext, time: datetime) -> Fields:
    """The product's variables at ``time``: float32 physical values (NaN = fill), 2-D (lat, lon)
    or 3-D (level, lat, lon); GHRSST's ``mask`` is int8 flags."""
    try:
        make = GENERATORS[ctx.product.kind]
    except KeyError:
        raise InvalidInputError(
            f"no field generator for product kind {ctx.product.kind!r}"
        ) from None
    return make(ctx, _utc(time))


def fields_for(product: DemoProduct, time: datetime, land: np.ndarray) -> Fields:
    """One-off convenience: ``generate(make_context(product, land), time)``."""
    return generate(make_context(product, land), time)


GENERATORS: Mapping[str, Callable[[FieldContext, datetime], Fields]] = MappingProxyType(
    {"ghrsst": sst, "gldas": gldas, "airs": airs}
)
"""Field generator per product kind."""
