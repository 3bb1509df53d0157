"""Errors raised while building or updating virtual stores; each names the granule or store at fault."""

from __future__ import annotations

from vstore_explorer.errors import VStoreError


class BuildError(VStoreError, RuntimeError):
    """A virtual store could not be built or updated; the store is left as it was."""


class GranuleError(BuildError, ValueError):
    """A granule could not be read or virtualized (missing, truncated, not NetCDF4/HDF5)."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"granule {url}: {reason}")


class GranuleMismatchError(GranuleError):
    """A granule's grid, chunking, variables or dtypes differ from the store's."""
