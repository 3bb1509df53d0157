"""Open virtual stores: Icechunk (branch/tag/snapshot), Kerchunk JSON/Parquet, Zarr; credentials."""
