"""The benchmark harness at its CI size, so it never rots: no timing assertions, only structure.

``python -m benchmarks.run --sizes tiny`` builds a 6-granule SST demo collection, measures every
case on every path in fresh processes and writes JSON + markdown. The checks: every path gave a
time, a byte count and a peak memory for every case; bytes read cover the chunks ``cost_of``
says are needed; all paths computed the same numbers; the files and the printed report agree.
The pure summaries (targets met/missed) are checked on made-up rows.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks import report
from benchmarks.cases import CASE_NAMES, CASE_TITLES, make_cases
from benchmarks.paths import PATH_NAMES, PATH_TITLES
from tests.plugins.paths import PROJECT_ROOT

READING = [c for c in CASE_NAMES if c != "open"]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One run of the CLI at size ``tiny`` (the browser part is left to tests/ui)."""
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
    assert data["collections"]["tiny"]["granules"] == 6
    assert data["machine"]["cpus"] >= 1 and data["machine"]["ram_gb"] > 0
    assert data["machine"]["packages"]["xarray"] and data["machine"]["python"].startswith("3.")
    assert len(data["samples"]) == len(CASE_NAMES) * len(PATH_NAMES)  # one repeat
    assert all("error" not in s for s in data["samples"])
    for heading in ("## Targets (issue 7)", "## Reading 6 granules", "## UI and start-up"):
        assert heading in text
    lines = text.splitlines()
    for case in CASE_NAMES:  # one table row per case and path, with a number in each time cell
        for path in PATH_NAMES:
            start = f"| {CASE_TITLES[case]} | {PATH_TITLES[path]} | "
            [row] = [line for line in lines if line.startswith(start)]
            cells = row.removeprefix(start).split(" | ")
            assert float(cells[0].split()[0]) > 0 and float(cells[1]) > 0, row


@pytest.mark.slow
def test_every_path_gave_times_bytes_memory_and_the_same_result(tiny_run: dict[str, Any]) -> None:
    data = json.loads(next(tiny_run["out"].glob("*.json")).read_text())
    rows = data["summary"]
    assert {(r["case"], r["path"]) for r in rows} == {
        (c, p) for c in CASE_NAMES for p in PATH_NAMES
    }
    needed = data["needed"]["tiny"]
    assert needed["map"]["chunks"] == 1 and needed["point"]["chunks"] == 6
    assert needed["area_mean"]["chunks"] == 6 and needed["box"]["chunks"] == 6
    for r in rows:
        assert r["n"] == 1 and r["errors"] == [], r
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
    explorer = {r["case"]: r for r in rows if r["path"] == "explorer"}
    assert explorer["point"]["result"]["shape"] == [6]
    assert explorer["map"]["result"]["shape"] == [1, 720, 1440]


@pytest.mark.slow
def test_ui_import_and_targets_are_reported(tiny_run: dict[str, Any]) -> None:
    data = json.loads(next(tiny_run["out"].glob("*.json")).read_text())
    update = data["ui"]["map_update"]
    assert len(update["samples_s"]) == 3 and update["all_updated"] is True
    assert update["median_s"] > 0 and update["granules"] == 6
    assert data["ui"]["import"]["panel_imported"] is False
    assert "serve" not in data["ui"]  # skipped
    targets = {t["target"]: t for t in data["targets"]}
    assert len(targets) == 6
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


def test_stats_and_growth() -> None:
    assert report.stats([3.0, None, 1.0, 2.0]) == {"median": 2.0, "min": 1.0, "max": 3.0, "n": 3}
    assert report.stats([None]) is None
    rows = [
        {**_row("open", "explorer", 0.1), "size": "365", "granules": 365},
        {**_row("open", "explorer", 0.2), "size": "3650", "granules": 3650},
    ]
    [g] = report.growth(rows)
    assert g["seconds"] == {"365": 0.1, "3650": 0.2} and g["ratio"] == pytest.approx(2.0)


def test_cases_clip_to_the_record() -> None:
    times = [f"2023-01-0{d}T12:00:00" for d in range(1, 7)]
    cases = {c.name: c for c in make_cases(times)}
    assert cases["map"].time == ("2023-01-04", "2023-01-04")
    assert cases["box"].time == ("2023-01-01", "2023-01-06")  # 3 months, clipped to 6 days
    assert cases["area_mean"].reduction == "area_mean" and cases["area_mean"].bbox is not None
    with pytest.raises(ValueError, match="unknown case"):
        make_cases(times, ["nope"])
