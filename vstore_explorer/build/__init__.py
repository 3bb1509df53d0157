"""Build and update virtual stores from granules, and write the CMR metadata that links them.

``umm`` writes UMM-C 1.18.6 collection records (with ``GET DATA`` / ``VIRTUAL COLLECTION`` links to
the stores) and UMM-G 1.6.7 granule records, as plain dicts; it does no I/O.
"""
