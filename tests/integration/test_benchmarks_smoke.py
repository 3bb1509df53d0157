"""The benchmark harness at its CI size, so it never rots: no timing assertions, only structure.

``python -m benchmarks.run --sizes tiny`` builds a 6-granule SST demo collection in both granule
layouts (one chunk per field as GAMSSA; 1×240×480 chunks), measures every case on every path in
fresh processes and writes JSON + markdown. The checks: every path gave a time, a byte count and a
peak memory for every case in each layout; bytes read cover the chunks ``cost_of`` says are
needed; all paths, and both layouts, computed the same numbers; the files and the printed report
agree; the series measure (2 distinct points and boxes) plotted what ``vx.load`` returns. The pure
summaries (targets met/missed, skipped cells) are checked on made-up rows.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks import report, ui
from benchmarks.cases import CASE_NAMES, CASE_TITLES, make_cases
from benchmarks.demo_data import LAYOUT_NAMES, LAYOUTS, collection_key, layout_of
from benchmarks.paths import PATH_NAMES, PATH_TITLES, mfdataset_peak_gb
from benchmarks.run import mfdataset_plan
from tests.plugins.paths import PROJECT_ROOT

READING = [c for c in CASE_NAMES if c != "open"]
SECTIONS = {
    "gamssa": "## Reading 6 granules — gamssa layout (1×720×1440 chunks)",
    "chunked": "## Reading 6 granules — chunked layout (1×240×480 chunks)",
}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One run of the CLI at size ``tiny``, both layouts (the browser part is left to tests/ui)."""
    root = tmp_path_factory.mktemp("bench")
    out = root / "results"
    command = [
        sys.executable,
        "-m",
        "benchmarks.run",
        "--sizes",
        "tiny",
        "--repeats",
        "1",
        "--cache",
        str(root / "cache"),
        "--out",
        str(out),
        "--skip",
        "browser",
        "--ui-changes",
        "3",
        "--series-repeats",
        "2",
    ]
    done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    return {"out": out, "stdout": done.stdout, "stderr": done.stderr}


@pytest.mark.slow
def test_the_run_writes_json_markdown_and_latest(tiny_run: dict[str, Any]) -> None:
    out: Path = tiny_run["out"]
    [json_file] = out.glob("*.json")
    md_file = json_file.with_suffix(".md")
    text = md_file.read_text()
    assert (out / "latest.md").read_text() == text
    assert text.strip() in tiny_run["stdout"]
    data = json.loads(json_file.read_text())
    assert data["command"].startswith("python -m benchmarks.run --sizes tiny")
    assert data["layouts"] == list(LAYOUT_NAMES)
    gamssa, chunked = (data["collections"][collection_key("tiny", n)] for n in LAYOUT_NAMES)
    assert gamssa["granules"] == chunked["granules"] == 6
    assert gamssa["chunks"] == [1, 720, 1440] and chunked["chunks"] == [1, 240, 480]
    assert Path(gamssa["root"]).name == "sst-tiny"  # the cache folder of earlier runs
    assert Path(chunked["root"]).name == "sst-tiny-chunked-240x480"
    assert data["machine"]["cpus"] >= 1 and data["machine"]["ram_gb"] > 0
    assert data["machine"]["packages"]["xarray"] and data["machine"]["python"].startswith("3.")
    # one repeat: every case on every path in each layout
    assert len(data["samples"]) == len(CASE_NAMES) * len(PATH_NAMES) * len(LAYOUT_NAMES)
    assert all("error" not in s and "skipped" not in s for s in data["samples"])
    mfdataset = [s for s in data["samples"] if s["path"] == "mfdataset"]
    assert {s["netcdf_cache"] for s in mfdataset} == {"default"}  # 6 files fit anywhere
    for heading in ("## Targets (issue 7)", *SECTIONS.values(), "## UI and start-up"):
        assert heading in text
    for layout, heading in SECTIONS.items():
        section = text.split(heading, 1)[1].split("\n## ", 1)[0].splitlines()
        for case in CASE_NAMES:  # one row per case and path, with a number in each time cell
            for path in PATH_NAMES:
                start = f"| {CASE_TITLES[case]} | {PATH_TITLES[path]} | "
                [row] = [line for line in section if line.startswith(start)]
                cells = row.removeprefix(start).split(" | ")
                assert float(cells[0].split()[0]) > 0 and float(cells[1]) > 0, (layout, row)
    assert "**Point series at 6 granules, by layout**" in text


@pytest.mark.slow
def test_every_path_gave_times_bytes_memory_and_the_same_result(tiny_run: dict[str, Any]) -> None:
    data = json.loads(next(tiny_run["out"].glob("*.json")).read_text())
    rows = data["summary"]
    assert {(r["layout"], r["case"], r["path"]) for r in rows} == {
        (n, c, p) for n in LAYOUT_NAMES for c in CASE_NAMES for p in PATH_NAMES
    }
    gamssa = data["needed"][collection_key("tiny", "gamssa")]
    assert gamssa["map"]["chunks"] == 1 and gamssa["point"]["chunks"] == 6
    assert gamssa["area_mean"]["chunks"] == 6 and gamssa["box"]["chunks"] == 6
    chunked = data["needed"][collection_key("tiny", "chunked")]
    assert chunked["map"]["chunks"] == 9  # 3 x 3 chunks per field
    # the point, the box and the Nino 3.4 band each lie in one 240x480 chunk per day
    assert chunked["point"]["chunks"] == chunked["box"]["chunks"] == 6
    assert chunked["area_mean"]["chunks"] == 6
    # a point series reads a ninth of the GAMSSA layout's bytes or less
    assert chunked["point"]["stored_bytes"] * 9 < gamssa["point"]["stored_bytes"]
    for r in rows:
        needed = data["needed"][collection_key("tiny", r["layout"])]
        assert r["n"] == 1 and r["errors"] == [] and r["skipped"] is None, r
        assert r["total_s"]["median"] > 0 and r["open_s"]["median"] > 0
        assert r["peak_rss_mb"] > 0 and r["cpu_s"]["median"] > 0
        if r["case"] == "open":
            assert r["open_rchar"] > 0 and r["rchar"] is None
            continue
        assert r["read_s"]["median"] > 0
        assert r["needed_bytes"] == needed[r["case"]]["stored_bytes"] > 0
        # every needed byte was read (give or take the store's metadata), none skipped
        assert r["rchar"] >= 0.99 * r["needed_bytes"], r
        assert r["bytes_ratio"] == pytest.approx(r["rchar"] / r["needed_bytes"])
        assert r["agrees"] is True, r
    explorer = {(r["layout"], r["case"]): r for r in rows if r["path"] == "explorer"}
    assert explorer["gamssa", "point"]["result"]["shape"] == [6]
    assert explorer["gamssa", "map"]["result"]["shape"] == [1, 720, 1440]
    for case in READING:  # the same values, whatever the chunks
        assert explorer["chunked", case]["result"] == explorer["gamssa", case]["result"], case


@pytest.mark.slow
def test_ui_import_and_targets_are_reported(tiny_run: dict[str, Any]) -> None:
    data = json.loads(next(tiny_run["out"].glob("*.json")).read_text())
    update = data["ui"]["map_update"]
    assert len(update["samples_s"]) == 3 and update["all_updated"] is True
    assert update["median_s"] > 0 and update["granules"] == 6
    assert data["ui"]["import"]["panel_imported"] is False
    assert "serve" not in data["ui"]  # skipped
    series = data["ui"]["series"]
    assert series["granules"] == 6 and series["handle"] == "same" and series["repeats"] == 2
    for kind in ("point", "area_mean"):
        got = series[kind]
        assert len(got["ui_samples_s"]) == len(got["load_samples_s"]) == 2, kind
        assert got["orders"] == ["load,ui", "ui,load"]  # alternating
        assert len({tuple(t) for t in got["targets"]}) == 2  # distinct points / boxes
        # the Bokeh source held vx.load's values of the same Selection after every change
        assert got["all_match"] is True and got["problems"] == [], got["problems"]
        assert got["values"] == 6 and got["ratio"] > 0 and got["load_median_s"] > 0
    text = next(tiny_run["out"].glob("*.md")).read_text()
    assert "| point time series in the UI: change → Bokeh source holds it (2 distinct" in text
    assert "| area-mean series in the UI: change → Bokeh source holds it (2 distinct" in text
    targets = {t["target"]: t for t in data["targets"]}
    assert len(targets) == 6 + len(LAYOUT_NAMES)  # the point-series target once per layout
    [shown] = [t for name, t in targets.items() if name.startswith("series in the UI")]
    assert shown["value"] == max(series[k]["ratio"] for k in ("point", "area_mean"))
    points = [t for t in data["targets"] if t["target"].startswith("point series")]
    assert [t["layout"] for t in points] == list(LAYOUT_NAMES)
    assert all(t["value"] > 0 and "at 6 granules" in t["measured"] for t in points)
    for t in targets.values():
        assert t["met"] in (True, False, None)
    served = next(t for name, t in targets.items() if "Chromium" in name)
    assert served["met"] is None and served["value"] is None
    measured = [t for t in targets.values() if "Chromium" not in t["target"]]
    assert all(t["value"] is not None and t["met"] is not None for t in measured)


# ------------------------------------------------------------------------------ pure parts


def _row(case: str, path: str, seconds: float, rchar: float | None = None) -> dict[str, Any]:
    return {
        "size": "365",
        "granules": 365,
        "case": case,
        "path": path,
        "total_s": {"median": seconds, "min": seconds, "max": seconds, "n": 1},
        "rchar": rchar,
        "bytes_ratio": None if rchar is None else rchar / 100.0,
    }


def test_targets_are_met_or_missed_from_the_medians() -> None:
    rows = [
        _row("open", "explorer", 0.10),
        _row("open", "icechunk", 0.095),
        _row("open", "mfdataset", 4.0),
        _row("point", "explorer", 0.60, rchar=104.0),
        _row("point", "icechunk", 0.50, rchar=104.0),
    ]
    ui = {"map_update": {"median_s": 0.12}, "serve": {"skipped": "no chromium"}}
    got = {t["target"].split(" ")[0]: t for t in report.targets(rows, ui)}
    assert got["bytes"]["met"] is True and got["bytes"]["value"] == pytest.approx(1.04)
    assert got["explorer"]["met"] is False and got["explorer"]["value"] == pytest.approx(0.2)
    assert got["open"]["met"] is True and got["open"]["value"] == pytest.approx(40.0)
    assert got["point"]["met"] is False and got["point"]["value"] == pytest.approx(0.6)
    assert got["map"]["met"] is True
    assert (
        got["vstore-explorer"]["met"] is None
        and "no chromium" in got["vstore-explorer"]["measured"]
    )
    assert got["series"]["met"] is None and got["series"]["measured"] == "not run"


def _series(ui_s: float, load_s: float, match: bool = True) -> dict[str, Any]:
    return {
        "ui_samples_s": [ui_s] * 7,
        "load_samples_s": [load_s] * 7,
        "ui_median_s": ui_s,
        "ui_min_s": ui_s,
        "ui_max_s": ui_s,
        "load_median_s": load_s,
        "load_min_s": load_s,
        "load_max_s": load_s,
        "ui_cpu_median_s": ui_s,
        "load_cpu_median_s": load_s,
        "ratio": ui_s / load_s,
        "paired_ratio_median": ui_s / load_s,
        "all_match": match,
        "problems": [] if match else ["(1, 2): the plotted values differ from vx.load"],
    }


def test_the_series_target_is_the_worse_kind_within_1_2x() -> None:
    def target(ui_results: dict[str, Any]) -> dict[str, Any]:
        [got] = [t for t in report.targets([], ui_results) if t["target"].startswith("series")]
        return got

    fine = {"point": _series(1.1, 1.0), "area_mean": _series(2.3, 2.0), "granules": 365}
    got = target({"series": fine})
    assert got["met"] is True and got["value"] == pytest.approx(1.15)
    assert got["measured"] == (
        "point: 1.10× (1100 ms / 1000 ms); area mean: 1.15× (2300 ms / 2000 ms) at 365 granules"
    )
    slow = target({"series": fine | {"area_mean": _series(2.6, 2.0)}})
    assert slow["met"] is False and slow["value"] == pytest.approx(1.3)
    differs = target({"series": fine | {"point": _series(1.0, 1.0, match=False)}})
    assert differs["met"] is False and "VALUES DIFFER" in differs["measured"]
    failed = target({"series": {"error": "exit code 1: RuntimeError: boom"}})
    assert failed["met"] is None and failed["measured"] == "exit code 1: RuntimeError: boom"
    lines = report._ui_lines({"series": fine})
    assert len(lines) == 2 and "**1.10×** (target ≤ 1.2×" in lines[0]
    assert lines[1].startswith("| area-mean series in the UI") and "7 distinct boxes" in lines[1]
    assert report._ui_lines({"series": {"error": "boom"}}) == [
        "| series in the UI vs vx.load | — | — | boom |"
    ]


def test_series_targets_are_distinct_and_never_the_warm_up() -> None:
    for kind, warm in (("point", ui.SERIES_WARM_POINT), ("area_mean", ui.SERIES_WARM_BOX)):
        targets = ui.series_targets(kind, 25)  # more than the list: shifted by 1° per round
        assert len(set(targets)) == 25 and warm not in targets
        assert all(len(t) == (2 if kind == "point" else 4) for t in targets)
        assert targets[:7] == ui.series_targets(kind, 7)  # a prefix: the same set on both sides


def test_stats_and_growth() -> None:
    assert report.stats([3.0, None, 1.0, 2.0]) == {"median": 2.0, "min": 1.0, "max": 3.0, "n": 3}
    assert report.stats([None]) is None
    rows = [
        {**_row("open", "explorer", 0.1), "size": "365", "granules": 365},
        {**_row("open", "explorer", 0.2), "size": "3650", "granules": 3650},
    ]
    [g] = report.growth(rows)
    assert g["seconds"] == {"365": 0.1, "3650": 0.2} and g["ratio"] == pytest.approx(2.0)


def test_targets_and_tables_per_layout_with_a_skipped_cell() -> None:
    rows = [
        _row("open", "explorer", 0.05),
        _row("open", "mfdataset", 5.0),
        _row("point", "explorer", 1.4, rchar=100.0),
        {**_row("open", "explorer", 0.06), "layout": "chunked"},
        {**_row("open", "mfdataset", 6.0), "layout": "chunked"},
        {**_row("point", "explorer", 0.3, rchar=100.0), "layout": "chunked"},
    ]
    got = report.targets(rows, {})
    points = {t["layout"]: t for t in got if t["target"].startswith("point series")}
    assert points["gamssa"]["met"] is False and points["chunked"]["met"] is True
    assert "1×240×480 chunks" in points["chunked"]["target"]
    [opening] = [t for t in got if t["target"].startswith("open")]
    assert opening["met"] is True and opening["value"] == pytest.approx(100.0)
    assert (
        "gamssa: 100.0× at 365" in opening["measured"] and "chunked: 100.0×" in opening["measured"]
    )
    [g] = [g for g in report.growth(rows) if g["layout"] == "chunked" and g["case"] == "point"]
    assert g["seconds"] == {"365": 0.3}

    reason = "skipped: would need ~6 GB of RAM, 4 GB available"
    samples = [
        {
            "size": "3650",
            "layout": "gamssa",
            "case": "point",
            "path": "mfdataset",
            "skipped": reason,
        }
    ]
    [row] = report.summarize(samples, {})
    assert row["skipped"] == reason and row["n"] == 0 and row["total_s"] is None
    assert report._table_line(row).endswith(f"| {reason} |")


def test_open_mfdataset_keeps_the_default_cache_where_it_fits() -> None:
    gamssa = 1 * 720 * 1440 * 2  # bytes of one inflated int16 field
    # measured peaks: 2.94 GB at 365 with the default cache, 4.55 GB at 3650 with it off
    assert 2.9 < mfdataset_peak_gb(365, gamssa, "default") < 3.5
    assert 4.6 < mfdataset_peak_gb(3650, gamssa, "off") < 7.0
    assert mfdataset_plan(365, gamssa, available_gb=22.0)["netcdf_cache"] == "default"
    at_3650 = mfdataset_plan(3650, gamssa, available_gb=22.0)
    assert at_3650["netcdf_cache"] == "off" and at_3650["skipped"] is None
    assert at_3650["peak_gb_default"] > 22
    tight = mfdataset_plan(3650, gamssa, available_gb=4.0)
    assert tight["netcdf_cache"] is None
    assert tight["skipped"] == "skipped: would need ~6 GB of RAM, 4 GB available"
    assert mfdataset_plan(3650, gamssa, available_gb=None)["netcdf_cache"] == "default"


def test_the_chunked_layout_changes_only_the_chunks() -> None:
    from vstore_explorer.demo.products import get_product

    original = get_product("sst")
    variant = LAYOUTS["chunked"].product()
    assert LAYOUTS["gamssa"].product() is original
    assert variant.short_name == original.short_name
    for mine, theirs in zip(variant.variables, original.variables, strict=True):
        assert theirs.chunks == (1, 720, 1440) and mine.chunks == (1, 240, 480)
        assert mine.attrs == theirs.attrs and mine.dtype == theirs.dtype
    assert variant.coords == original.coords  # the oversized time chunk is kept
    with pytest.raises(ValueError, match="unknown layout 'mur'"):
        layout_of("mur")


def test_a_variant_must_replace_a_chosen_product(tmp_path: Path) -> None:
    from vstore_explorer.demo.archive import build_demo

    variant = LAYOUTS["chunked"].product()
    with pytest.raises(ValueError, match="replaces no chosen product; chosen: AIRS3STD_DEMO"):
        build_demo(tmp_path, "tiny", products=("AIRS3STD_DEMO",), variants=(variant,))
    assert not list(tmp_path.rglob("*.nc"))  # nothing was written


def test_cases_clip_to_the_record() -> None:
    times = [f"2023-01-0{d}T12:00:00" for d in range(1, 7)]
    cases = {c.name: c for c in make_cases(times)}
    assert cases["map"].time == ("2023-01-04", "2023-01-04")
    assert cases["box"].time == ("2023-01-01", "2023-01-06")  # 3 months, clipped to 6 days
    assert cases["area_mean"].reduction == "area_mean" and cases["area_mean"].bbox is not None
    with pytest.raises(ValueError, match="unknown case"):
        make_cases(times, ["nope"])


@pytest.mark.slow
def test_the_cache_is_reused_only_with_split_manifests(
    tiny_run: dict[str, Any], tmp_path: Path
) -> None:
    """A second run reuses the cached collection, whose manifests are split; a store from before
    manifest splitting (Icechunk's default config: every reference in one manifest, which a
    one-day map reads whole) does not count as complete, so the harness rebuilds it."""
    import dataclasses

    import icechunk

    from benchmarks.demo_data import manifests_split, prepare

    prepared = prepare(tiny_run["out"].parent / "cache", "tiny", "gamssa")
    assert prepared.reused and manifests_split(prepared.sources)
    old = tmp_path / "old.icechunk"
    icechunk.Repository.create(icechunk.local_filesystem_storage(str(old)))
    assert not manifests_split(dataclasses.replace(prepared.sources, icechunk=str(old)))
