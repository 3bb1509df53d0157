"""Icechunk stores under concurrent writers and killed writers (real processes, real granules).

* Two processes append different granules to the same store at once. Each waits, after reading the
  branch tip and virtualizing, until the other has too, so both commits race from the same parent:
  one commits, the other meets ``icechunk.ConflictError`` and re-plans on the new tip (or refuses a
  granule that would no longer extend the record). No granule is lost or duplicated. They also meet
  just before committing, so the commits start within milliseconds: on local storage only the
  commit lock keeps one of them from silently replacing the other.
* An append killed with SIGKILL (just before its commit, or at a random moment) leaves the branch on
  the last committed snapshot, with the same values; the next append works.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import netCDF4
import numpy as np
import pytest

from vstore_explorer.build.commit_lock import commit_lock
from vstore_explorer.build.icechunk_store import append_icechunk, build_icechunk
from vstore_explorer.stores.open import connect

pytestmark = pytest.mark.filterwarnings(
    "ignore::xarray.SerializationWarning", "ignore::UserWarning"
)

VAR = "SoilMoi0_10cm_inst"
ROOT = Path(__file__).resolve().parents[2]

# a child writer: append one granule; optionally meet a peer before committing, or die there
CHILD = textwrap.dedent(
    """
    import json, os, signal, sys, time
    from pathlib import Path
    import icechunk
    import vstore_explorer.build.icechunk_append as ics

    store, granule, mode, meet = sys.argv[1], sys.argv[2], sys.argv[3], Path(sys.argv[4])
    real_virtualize, real_commit = ics.virtualize_granules, icechunk.Session.commit
    calls = {"n": 0, "locks": 0}

    def meet_peer(step):  # wait until the other writer has reached the same step
        (meet / f"{step}-{os.getpid()}").touch()
        deadline = time.monotonic() + 60
        while len(list(meet.glob(f"{step}-*"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.005)

    def virtualize(*args, **kwargs):  # runs after the writable session read the tip
        out = real_virtualize(*args, **kwargs)
        calls["n"] += 1
        if mode == "race" and calls["n"] == 1:  # first attempt: wait for the peer, both on one tip
            meet_peer("ready")
        return out

    def commit(self, *args, **kwargs):
        if mode == "kill":
            print("committing", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
        return real_commit(self, *args, **kwargs)

    real_lock = ics.commit_lock

    def lock(*args, **kwargs):
        print("locking", flush=True)
        calls["locks"] += 1
        if mode == "race" and calls["locks"] == 1:  # both commit within milliseconds of each other
            meet_peer("commit")
        return real_lock(*args, **kwargs)

    ics.virtualize_granules = virtualize
    icechunk.Session.commit = commit
    ics.commit_lock = lock
    print("started", flush=True)
    try:
        report = ics.append_icechunk([granule], store, workers=1)
        print(json.dumps({"ok": True, "added": list(report.added), "attempts": calls["n"]}))
    except Exception as exc:  # reported, as the CLI would
        print(json.dumps({"ok": False, "type": type(exc).__name__, "error": str(exc)}))
    """
)


def _child(store: Path, granule: Path, mode: str, meet: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(store), str(granule), mode, str(meet)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _result(proc: subprocess.Popen[str]) -> dict:
    out, err = proc.communicate(timeout=120)
    assert "Traceback" not in err, err
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture()
def granules(gldas_files: list[Path]) -> list[Path]:
    return gldas_files


def _state(store: Path) -> tuple[str, list[str], np.ndarray, list[str]]:
    """Snapshot id, time values, the variable's values and the granule URLs of the branch tip."""
    import icechunk

    handle = connect(store)
    times = [str(t) for t in handle.dataset["time"].values]
    values = handle.dataset[VAR].values
    repo = icechunk.Repository.open(icechunk.local_filesystem_storage(str(store)))
    urls = sorted(set(repo.readonly_session("main").all_virtual_chunk_locations()))
    return handle.snapshot_id, times, values, urls


def _direct(path: Path) -> np.ndarray:
    with netCDF4.Dataset(path) as nc:
        return nc[VAR][0].filled(np.nan)


@pytest.mark.slow
def test_two_writers_at_once_lose_and_duplicate_nothing(granules, tmp_path):
    store = tmp_path / "race.icechunk"
    base = build_icechunk(granules[:2], store)
    meet = tmp_path / "meet"
    meet.mkdir()
    procs = [_child(store, granules[2], "race", meet), _child(store, granules[3], "race", meet)]
    results = [_result(p) for p in procs]
    assert len(list(meet.glob("ready-*"))) == 2  # both really planned on the same tip

    snapshot, times, values, urls = _state(store)
    assert snapshot != base.snapshot_id
    assert len(times) == len(set(times))  # no duplicated time step
    added = [u for r in results if r["ok"] for u in r["added"]]
    assert sorted(urls) == sorted({*[g.as_uri() for g in granules[:2]], *added})  # nothing lost
    assert len(times) == 2 + len(added)
    assert times == sorted(times)
    # whoever lost the race re-planned (2 virtualizations) or refused its granule clearly
    losers = [r for r in results if not r["ok"] or r["attempts"] > 1]
    assert len(losers) == 1, results
    (loser,) = losers
    if not loser["ok"]:
        assert loser["type"] == "GranuleMismatchError" and "not after" in loser["error"]
        assert granules[2].name in loser["error"]
    for i, url in enumerate(sorted(urls)):  # every step holds the values of its granule
        np.testing.assert_array_equal(values[i], _direct(Path(url.removeprefix("file://"))))


@pytest.mark.slow
def test_an_append_commits_only_under_the_local_commit_lock(granules, tmp_path):
    # Icechunk's local storage has no atomic branch update (icechunk#804): without the lock two
    # racing commits can both "succeed" and one append is lost, as the race test above once saw
    store = tmp_path / "locked.icechunk"
    base = build_icechunk(granules[:2], store)
    with commit_lock(str(store)):
        proc = _child(store, granules[2], "plain", tmp_path)
        assert proc.stdout is not None
        assert [proc.stdout.readline().strip() for _ in range(2)] == ["started", "locking"]
        time.sleep(1.5)
        assert proc.poll() is None  # planned, written, and waiting for the lock to commit
        assert _state(store)[0] == base.snapshot_id
    result = _result(proc)
    assert result["ok"] and result["added"] == [granules[2].as_uri()]
    assert len(_state(store)[1]) == 3


@pytest.mark.slow
def test_append_killed_before_commit_leaves_the_snapshot_intact(granules, tmp_path):
    store = tmp_path / "killed.icechunk"
    build_icechunk(granules[:2], store)
    before = _state(store)
    proc = _child(store, granules[2], "kill", tmp_path)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL and "committing" in out  # died at the commit
    after = _state(store)
    assert after[0] == before[0] and after[1] == before[1] and after[3] == before[3]
    np.testing.assert_array_equal(after[2], before[2])
    # the store is not wedged: the same append now succeeds
    report = append_icechunk([granules[2]], store, workers=1)
    assert report.previous_snapshot_id == before[0]
    assert _state(store)[1] == [*before[1], _state(store)[1][-1]]
    np.testing.assert_array_equal(connect(store).dataset[VAR].values[2], _direct(granules[2]))


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.3, 1.0, 2.0])
def test_append_killed_at_a_random_moment_leaves_a_committed_snapshot(granules, tmp_path, delay):
    store = tmp_path / "random.icechunk"
    build_icechunk(granules[:2], store)
    before = _state(store)
    proc = _child(store, granules[2], "plain", tmp_path)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "started"
    time.sleep(delay)
    os.kill(proc.pid, signal.SIGKILL)
    out, _ = proc.communicate(timeout=60)
    after = _state(store)
    if '"ok": true' in out:  # finished before the kill: the new snapshot is complete
        assert after[1][:2] == before[1] and len(after[1]) == 3 and len(after[3]) == 3
    else:  # killed mid-way: exactly the last committed snapshot
        assert after[0] == before[0] and after[1] == before[1] and after[3] == before[3]
        np.testing.assert_array_equal(after[2], before[2])
    append_icechunk([granules[3]], store, workers=1)  # still writable
    assert len(_state(store)[1]) == len(after[1]) + 1
