"""Kerchunk references (JSON or Parquet) from granules, written with VirtualiZarr / kerchunk.

Example:
    >>> build_kerchunk(["/data/a.nc", "/data/b.nc"], "/stores/sst.json")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from vstore_explorer.build.icechunk_store import StoreUpdate
from vstore_explorer.build.virtualize import (
    Source,
    check_consistent,
    concat_granules,
    sort_and_check_times,
    virtualize_granules,
)
from vstore_explorer.stores.access import LOCAL, Access
from vstore_explorer.stores.urls import to_url

KerchunkFormat = Literal["json", "parquet"]


def _normalized_refs(refs: dict[str, Any]) -> dict[str, Any]:
    """VirtualiZarr writes a 0-d array's chunk as ``name/``; Zarr v2 (and kerchunk's Parquet
    writer, which sorts keys) expect ``name/0``."""
    inner = refs["refs"]
    fixed = {(k + "0" if k.endswith("/") else k): v for k, v in inner.items()}
    return {**refs, "refs": fixed}


def build_kerchunk(
    sources: Iterable[Source],
    output: str | os.PathLike[str],
    *,
    format: KerchunkFormat | None = None,
    access: Access = LOCAL,
    dim: str = "time",
    loadable_variables: Sequence[str] | None = None,
    overwrite: bool = False,
    workers: int = 4,
    record_size: int = 100_000,
) -> StoreUpdate:
    """Write Kerchunk references for ``sources`` concatenated along ``dim``.

    ``format`` defaults from the suffix (``.json`` or ``.parq``/``.parquet``). The output is written
    to a temporary sibling and moved into place, so a failed build leaves any previous file intact.

    Example:
        >>> update = build_kerchunk(["/data/a.nc", "/data/b.nc"], "/stores/sst.parq")  # doctest: +SKIP
        >>> update.branch  # Kerchunk references have no versions  # doctest: +SKIP
        ''
    """
    from kerchunk.df import refs_to_dataframe

    started = time.perf_counter()
    out = Path(output).expanduser().resolve()
    fmt = format or (
        "json"
        if out.suffix == ".json"
        else "parquet"
        if out.suffix in (".parq", ".parquet")
        else None
    )
    if fmt not in ("json", "parquet"):
        raise ValueError(
            f"cannot tell the Kerchunk format of {out.name!r}: name it *.json or *.parq, or pass format="
        )
    if out.exists() and not overwrite:
        raise FileExistsError(f"{out} exists; pass overwrite=True (--overwrite) to replace it")
    granules = virtualize_granules(
        sources, access=access, loadable_variables=loadable_variables, workers=workers
    )
    check_consistent(granules, dim)
    ordered = sort_and_check_times(granules, dim)
    vds = concat_granules(ordered, dim)
    if fmt == "parquet":
        # fsspec's Parquet references cannot hold 0-d arrays (e.g. a ``crs`` grid mapping): their
        # chunk has no record file. Keep them in JSON references only.
        scalars = [n for n, v in vds.data_vars.items() if v.ndim == 0]
        vds = vds.drop_vars(scalars)
    refs = _normalized_refs(vds.vz.to_kerchunk(format="dict"))

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        staged = tmp / out.name
        if fmt == "json":
            staged.write_text(json.dumps(refs))
        else:
            refs_to_dataframe(refs, str(staged), record_size=record_size)
        if out.is_dir():
            shutil.rmtree(out)
        elif out.exists():
            out.unlink()
        os.replace(staged, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return StoreUpdate(
        store=to_url(out),
        branch="",
        snapshot_id="",
        previous_snapshot_id=None,
        added=tuple(g.url for g in ordered),
        seconds=time.perf_counter() - started,
    )
