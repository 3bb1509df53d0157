"""``vstore-explorer search`` on a local catalog folder and on the loopback CMR server."""

from __future__ import annotations

import json
import socket
import sys
import types
from pathlib import Path

import pytest

from tests.plugins.cmr_server import LoopbackCMR
from vstore_explorer.cli import main

MUR_ID = "C1996881146-POCLOUD"


def test_search_local_folder_prints_a_table(
    fixtures_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["search", "sea surface temperature", "--catalog", str(fixtures_dir / "umm")])
    out = capsys.readouterr().out
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == [
        "TITLE",
        "SHORT",
        "NAME",
        "VERSION",
        "PROVIDER",
        "TIME",
        "RANGE",
        "STORES",
    ]
    mur = next(line for line in lines if "MUR-JPL-L4-GLOB-v4.1" in line)
    assert "GHRSST Level 4 MUR Global Foundation Sea Su…" in mur  # title truncated
    assert "4.1" in mur and "POCLOUD" in mur and "2002-05-31 → present" in mur
    assert mur.rstrip().endswith("kerchunk-json, kerchunk-parquet")
    gamssa = next(line for line in lines if "GAMSSA_28km-ABOM-L4-GLOB-v01" in line)
    assert gamssa.rstrip().endswith("2008-07-23 → present  -")
    assert lines[-1] == f"3 shown of 3 hits ({fixtures_dir / 'umm'})"  # MUR, GAMSSA, AIRX3STD


def test_search_local_filters_and_json(
    fixtures_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "search",
            "--catalog",
            str(fixtures_dir),
            "--has-virtual-store",
            "--bbox=-10,-10,10,10",
            "--temporal",
            "2010-01-01,2010-12-31",
            "--provider",
            "POCLOUD",
            "--cloud-hosted",
            "--json",
        ]
    )
    payload = json.loads(capsys.readouterr().out)
    assert code == 0
    assert payload["hits"] == 1 and payload["hits_exact"] is True
    (mur,) = payload["collections"]
    assert mur["concept_id"] == MUR_ID and "umm" not in mur
    assert [s["kind"] for s in mur["stores"]] == ["kerchunk-json", "kerchunk-parquet"]
    assert mur["stores"][0]["requires_earthdata"] is True


def test_limit_and_no_match(fixtures_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["search", "--catalog", str(fixtures_dir), "--provider", "POCLOUD", "--limit", "2"])
        == 0
    )
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 + 2 + 1 and out[-1].startswith("2 shown of 21 hits")
    assert main(["search", "nothing-like-this", "--catalog", str(fixtures_dir)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "no collection matched",
        f"0 shown of 0 hits ({fixtures_dir})",
    ]


def test_unknown_store_kinds_are_flagged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record = {
        "ShortName": "ODD",
        "Version": "1",
        "EntryTitle": "Odd store",
        "RelatedUrls": [
            {
                "URL": "https://example.org/odd.nc4",
                "Type": "GET DATA",
                "Subtype": "VIRTUAL COLLECTION",
            }
        ],
    }
    (tmp_path / "odd.json").write_text(json.dumps(record))
    assert main(["search", "--catalog", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "unknown×1" in out
    assert "note: ODD has virtual store link(s) of unknown kind: https://example.org/odd.nc4" in out


def test_search_loopback_cmr(cmr_server: LoopbackCMR, capsys: pytest.CaptureFixture[str]) -> None:
    base = cmr_server.url()
    code = main(["search", "sea surface temperature", "--cmr", base, "--has-virtual-store"])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert len(out) == 3 and "MUR-JPL-L4-GLOB-v4.1" in out[1]
    assert out[2] == (
        f"1 shown of 5 hits before the virtual-store filter "
        f"({base}collections.umm_json?keyword=sea%20surface%20temperature)"
    )
    requests = cmr_server.requests_for(base)
    assert requests[0].params == {"keyword": ("sea surface temperature",), "page_size": ("500",)}


def test_search_loopback_cmr_json(
    cmr_server: LoopbackCMR, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["search", "--cmr", cmr_server.url(), "--provider", "POCLOUD", "--limit", "3", "--json"]
    )
    payload = json.loads(capsys.readouterr().out)
    assert code == 0 and payload["hits"] == 21 and len(payload["collections"]) == 3


def test_bad_input_is_one_line_error(
    fixtures_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["search", "--catalog", str(fixtures_dir), "--bbox", "1,2,3"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("vstore-explorer search: error: bbox '1,2,3' must have exactly 4 numbers")
    assert (
        main(["search", "--catalog", str(fixtures_dir), "--temporal", "2021-01-01,2020-01-01"]) == 2
    )
    assert "after its end" in capsys.readouterr().err
    assert main(["search", "--catalog", str(fixtures_dir), "--limit", "0"]) == 2
    assert "limit must be a positive integer" in capsys.readouterr().err


def test_unreachable_cmr_suggests_catalog(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    argv = [
        "search",
        "sst",
        "--cmr",
        f"http://127.0.0.1:{port}",
        "--timeout",
        "2",
        "--retries",
        "0",
    ]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"could not reach CMR at http://127.0.0.1:{port}/search/" in err
    assert "--catalog PATH" in err


def test_cmr_and_catalog_are_exclusive(
    fixtures_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main(["search", "--cmr", "ops", "--catalog", str(fixtures_dir)])
    assert "not allowed with argument" in capsys.readouterr().err


def test_default_is_the_demo_catalog(
    tmp_path: Path,
    fixtures_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    demo = types.ModuleType("vstore_explorer.demo.archive")
    demo.default_catalog_path = lambda: fixtures_dir / "umm" / "records"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "vstore_explorer.demo.archive", demo)
    assert main(["search", "--has-virtual-store"]) == 0
    assert "MUR-JPL-L4-GLOB-v4.1" in capsys.readouterr().out


def test_without_demo_asks_for_cmr_or_catalog(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "vstore_explorer.demo.archive", None)  # import fails
    assert main(["search", "sst"]) == 2
    err = capsys.readouterr().err
    assert "embedded demo catalog is not available" in err
    assert "--cmr ops|uat|URL or --catalog PATH" in err
