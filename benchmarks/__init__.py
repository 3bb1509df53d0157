"""Benchmarks: the explorer against raw Icechunk, Kerchunk and ``xr.open_mfdataset``, side by side.

Run ``python -m benchmarks.run --sizes 365 3650 --repeats 5`` (see ``benchmarks/README.md``).
"""
