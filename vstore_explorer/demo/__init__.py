"""The embedded demo archive: synthetic but realistic granules of three NASA-like products.

``products`` describes the collections (grid, variables, encodings, file names), ``fields`` makes
their deterministic, physically plausible values, ``landmask`` rasterizes Natural Earth land, and
``granules`` writes one NetCDF4 file per time step.
"""
