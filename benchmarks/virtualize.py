"""How long virtualizing takes per granule, HDF5 parsing against DMR++ sidecars, over HTTP.

``python -m benchmarks.virtualize [--size small] [--repeats 3]`` serves the demo's GLDAS-like
granules (each given a DMR++ sidecar written by :mod:`benchmarks.dmrpp`) from a byte-range HTTP
server on 127.0.0.1 that counts every request, and virtualizes them through ``http://`` URLs with
``--parser hdf`` and ``--parser dmrpp``, side by side in one run:

- *metadata only*: ``loadable_variables=[]`` (every variable virtual): what parsing costs; a
  DMR++ granule should need exactly one request (its sidecar);
- *as built*: the builders' default, which also loads the coordinates (time, lat, lon) from the
  granule.

It prints a table and writes ``benchmarks/results/virtualize-<timestamp>.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "results"
PRODUCT = "GLDAS_NOAH025_3H_DEMO"


def _granules(size: str, cache: Path | None, limit: int) -> list[Path]:
    import vstore_explorer as vx

    archive = vx.ensure_demo(root=cache, size=size) if cache else vx.ensure_demo(size=size)
    found = sorted((archive.root / "granules" / PRODUCT).glob("*.nc4"))[:limit]
    if not found:
        raise SystemExit(f"no {PRODUCT} granules in {archive.root}")
    return found


def _serve(granules: list[Path], root: Path) -> Any:
    from benchmarks.dmrpp import write_dmrpp
    from tests.plugins.http_server import CountingFileServer

    for path in granules:
        copy = Path(shutil.copy(path, root / path.name))
        write_dmrpp(copy)
    return CountingFileServer(root)


def measure(server: Any, names: list[str], parser: str, loadable: list[str] | None) -> dict:
    from vstore_explorer.build.virtualize import Layout, virtualize_granules

    urls = [server.url + n for n in names]
    server.reset()
    started = time.perf_counter()
    granules = virtualize_granules(
        urls, layout=Layout(parser=parser, loadable_variables=loadable), workers=1
    )
    seconds = time.perf_counter() - started
    log = server.requests
    assert {g.parser for g in granules} == {parser}
    return {
        "parser": parser,
        "mode": "metadata only" if loadable == [] else "as built",
        "granules": len(urls),
        "s_per_granule": seconds / len(urls),
        "requests_per_granule": len(log) / len(urls),
        "kB_per_granule": sum(r.body_bytes for r in log) / len(urls) / 1e3,
    }


def run(size: str, repeats: int, limit: int, cache: Path | None, out: Path) -> str:
    granules = _granules(size, cache, limit)
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="vx-virtualize-") as tmp:
        server = _serve(granules, Path(tmp))
        try:
            names = [g.name for g in granules]
            measure(server, names[:1], "hdf", [])  # warm-up: imports and first-call costs
            for loadable in ([], None):
                for parser in ("hdf", "dmrpp"):
                    runs = [measure(server, names, parser, loadable) for _ in range(repeats)]
                    best = dict(runs[0])
                    best["s_per_granule"] = statistics.median(r["s_per_granule"] for r in runs)
                    rows.append(best)
        finally:
            server.stop()
    lines = [
        f"# Virtualizing over HTTP: HDF5 against DMR++ ({len(granules)} {PRODUCT} granules, "
        f"median of {repeats})",
        "",
        "| mode | parser | ms per granule | requests per granule | kB per granule | vs hdf |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        hdf = next(r for r in rows if r["mode"] == row["mode"] and r["parser"] == "hdf")
        lines.append(
            f"| {row['mode']} | {row['parser']} | {row['s_per_granule'] * 1e3:.1f} | "
            f"{row['requests_per_granule']:.1f} | {row['kB_per_granule']:.1f} | "
            f"{row['s_per_granule'] / hdf['s_per_granule']:.2f}x |"
        )
    text = "\n".join(lines) + "\n"
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (out / f"virtualize-{stamp}.md").write_text(text)
    (out / f"virtualize-{stamp}.json").write_text(
        json.dumps({"size": size, "rows": rows}, indent=1)
    )
    return text


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.virtualize", description=__doc__)
    p.add_argument("--size", default="tiny", help="demo size whose granules are used (tiny)")
    p.add_argument("--granules", type=int, default=48, help="at most this many granules (48)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--cache", type=Path, help="demo cache folder")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = p.parse_args(argv)
    print(run(args.size, args.repeats, args.granules, args.cache, args.out), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
