"""The demo built one collection first (what ``serve --catalog demo`` does on a first run): the
collection the explorer opens is ready, the archive is not marked complete, and completing it
later reuses that collection instead of building it again."""

from __future__ import annotations

import json

from vstore_explorer.catalog import open_catalog
from vstore_explorer.demo.archive import MARKER, ensure_demo, load_demo
from vstore_explorer.demo.staged import BUILT_DIR, ensure_first_collection, first_collection

AIRS = "AIRS3STD_DEMO"


def test_first_collection_then_the_rest_reusing_it(tmp_path):
    root = tmp_path / "demo"
    records, rest = ensure_first_collection(root, "tiny", workers=1)
    assert first_collection() == AIRS and records == root / "records"
    assert set(rest) == {"DEMO_25km-VSTOREDEMO-L4-GLOB-v01", "GLDAS_NOAH025_3H_DEMO"}
    assert not (root / MARKER).exists() and load_demo(root) is None  # not complete yet
    found = open_catalog(path=records).search()
    assert [c.short_name for c in found] == [AIRS]  # what the explorer opens first
    repo = root / "stores" / f"{AIRS}.icechunk"
    before = sorted((p.name, p.stat().st_mtime_ns) for p in repo.rglob("*") if p.is_file())

    said: list[str] = []
    archive = ensure_demo(root, "tiny", workers=1, progress=said.append)
    assert [c.short_name for c in archive.collections][0] == "DEMO_25km-VSTOREDEMO-L4-GLOB-v01"
    assert len(archive.collections) == 3 and load_demo(root) == archive
    assert f"{AIRS}: built before, reused" in said
    after = sorted((p.name, p.stat().st_mtime_ns) for p in repo.rglob("*") if p.is_file())
    assert after == before  # the store was not written again
    assert ensure_first_collection(root, "tiny") == (records, ())  # complete: nothing to build


def test_a_collection_of_another_size_or_definition_is_built_again(tmp_path):
    root = tmp_path / "demo"
    ensure_first_collection(root, "tiny", workers=1)
    built = root / BUILT_DIR / f"{AIRS}.json"
    entry = json.loads(built.read_text())
    built.write_text(json.dumps(entry | {"product": "something else"}))
    said: list[str] = []
    ensure_demo(root, "tiny", workers=1, progress=said.append)
    assert f"{AIRS}: built before, reused" not in said
    assert json.loads(built.read_text())["product"] == entry["product"]
