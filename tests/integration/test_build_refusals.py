"""Bad input to build/append names the granule, what is wrong and what to do, and loses nothing;
appends from another folder add a container; builds run on processes and on a dask cluster."""

from __future__ import annotations

import shutil
from pathlib import Path

import netCDF4
import numpy as np
import pytest

from vstore_explorer.build.errors import GranuleError, GranuleMismatchError
from vstore_explorer.build.icechunk_store import append_icechunk, build_icechunk
from vstore_explorer.build.kerchunk_refs import build_kerchunk
from vstore_explorer.cli import main
from vstore_explorer.stores.open import StoreOpenError, connect, list_versions

pytestmark = pytest.mark.filterwarnings("ignore::xarray.SerializationWarning")

VAR = "SoilMoi0_10cm_inst"


def _granules(fixtures_dir: Path, folder: str) -> Path:
    return fixtures_dir / "granules" / folder


def test_a_netcdf3_file_forced_through_the_hdf_parser_is_refused(fixtures_dir, tmp_path):
    ascat = next(_granules(fixtures_dir, "ascat_l2_netcdf3").glob("*.nc"))
    with pytest.raises(GranuleError) as err:
        build_icechunk([ascat], tmp_path / "a.icechunk", parser="hdf", dim="NUMROWS")
    assert ascat.as_uri() in str(err.value)
    assert "netCDF-3" in str(err.value) and "--parser netcdf3" in str(err.value)
    assert not (tmp_path / "a.icechunk").exists()


def test_an_hdf5_file_forced_through_the_netcdf3_parser_is_refused(gldas_files, tmp_path):
    with pytest.raises(GranuleError, match="not netCDF-3: use --parser hdf"):
        build_kerchunk(gldas_files[:1], tmp_path / "g.json", parser="netcdf3")


def test_a_dmrpp_whose_granule_cannot_be_found_names_its_href(fixtures_dir, tmp_path):
    sidecar = Path(
        shutil.copy(
            _granules(fixtures_dir, "dmrpp_pairs") / "chunked_gzipped_threeD.h5.dmrpp", tmp_path
        )
    )
    with pytest.raises(GranuleError) as err:
        build_icechunk([sidecar], tmp_path / "s.icechunk", dim="phony_dim_0")
    text = str(err.value)
    assert "data/dmrpp/chunked_gzipped_threeD.h5" in text  # the sidecar's own href
    assert "not found next to its DMR++ sidecar" in text and "pass the granule's own URL" in text


def test_parser_dmrpp_without_a_sidecar_is_refused(gldas_files, tmp_path):
    with pytest.raises(GranuleError, match="has no DMR\\+\\+ sidecar .*use --parser auto or hdf"):
        build_icechunk(gldas_files[:1], tmp_path / "g.icechunk", parser="dmrpp")


def test_a_grouped_product_without_group_says_which_groups_hold_data(fixtures_dir, tmp_path):
    s6 = next(_granules(fixtures_dir, "sentinel6_l2_groups").glob("*.nc"))
    with pytest.raises(GranuleError) as err:
        build_icechunk([s6], tmp_path / "s6.icechunk")
    assert "no variables in its root group" in str(err.value)
    assert "/data_01, /data_01/ku" in str(err.value) and "--group" in str(err.value)
    # and a swath dimension asked for without its group writes nothing (no empty success)
    with pytest.raises(GranuleError, match="--group"):
        build_icechunk([s6], tmp_path / "s6.icechunk", dim="time")
    assert not (tmp_path / "s6.icechunk").exists()


def test_a_group_that_does_not_exist_is_named_with_the_groups_that_do(fixtures_dir, tmp_path):
    gpm = next(_granules(fixtures_dir, "gpm_1c_ssmi_swath_groups").glob("*.HDF5"))
    with pytest.raises(GranuleError) as err:
        build_icechunk([gpm], tmp_path / "g.icechunk", group="S3", dim="nscan1")
    assert "has no group /S3" in str(err.value) and "/S1" in str(err.value)


def test_a_granule_with_no_time_dimension_asks_for_time_from(fixtures_dir, tmp_path):
    smap = next(_granules(fixtures_dir, "smap_l4_projected_groups").glob("*.h5"))
    with pytest.raises(GranuleMismatchError) as err:
        build_icechunk([smap], tmp_path / "s.icechunk", group="Analysis_Data")
    assert "no 'time' dimension" in str(err.value) and "--time-from" in str(err.value)
    with pytest.raises(GranuleError, match="has no variable 'nope'"):
        build_icechunk(
            [smap], tmp_path / "s.icechunk", group="Analysis_Data", time_from="coord:nope"
        )
    with pytest.raises(ValueError, match="use coord:NAME, attr:NAME or filename:REGEX"):
        build_icechunk([smap], tmp_path / "s.icechunk", time_from="when:now")


def _regrid(template: Path, out: Path, *, hours: int, chunks=None, scale=None) -> None:
    """A later copy of a GLDAS granule with other chunks or another scale_factor."""
    with netCDF4.Dataset(template) as src, netCDF4.Dataset(out, "w") as dst:
        for name, dim in src.dimensions.items():
            dst.createDimension(name, None if dim.isunlimited() else len(dim))
        for name, var in src.variables.items():
            kwargs = (
                {"zlib": True, "fill_value": var.getncattr("_FillValue")}
                if "_FillValue" in var.ncattrs()
                else {}
            )
            if var.ndim == 3 and chunks:
                kwargs["chunksizes"] = chunks
            elif var.chunking() != "contiguous":
                kwargs["chunksizes"] = var.chunking()
            new = dst.createVariable(name, var.dtype, var.dimensions, **kwargs)
            attrs = {k: var.getncattr(k) for k in var.ncattrs() if k != "_FillValue"}
            if scale is not None and name == VAR:
                attrs["scale_factor"] = scale
            new.setncatts(attrs)
            var.set_auto_maskandscale(False)
            new.set_auto_maskandscale(False)
            data = var[...]
            if name == "time":
                data = data + hours * 60
            new[...] = data


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"chunks": (1, 300, 720)}, f"{VAR}: chunks (300, 720) instead of (600, 1440)"),
        ({"scale": 2.0}, f"{VAR}: scale_factor 2.0 instead of 1.0"),
    ],
)
def test_granules_that_differ_in_chunks_or_encoding_are_refused(
    gldas_files, tmp_path, kwargs, expected
):
    bad = gldas_files[0].parent / "GLDAS_NOAH025_3H.A20160102.0000.021.nc4"
    _regrid(gldas_files[0], bad, hours=24, **kwargs)
    with pytest.raises(GranuleMismatchError) as err:
        build_icechunk([*gldas_files[:2], bad], tmp_path / "b.icechunk")
    assert bad.as_uri() in str(err.value) and expected in str(err.value)
    assert not (tmp_path / "b.icechunk").exists()
    store = tmp_path / "a.icechunk"
    built = build_icechunk(gldas_files[:2], store)
    with pytest.raises(GranuleMismatchError, match="instead of"):
        append_icechunk([bad], store)
    assert list_versions(store).branches["main"] == built.snapshot_id


def test_a_failed_overwrite_keeps_the_old_store(gldas_files, tmp_path):
    store = tmp_path / "o.icechunk"
    built = build_icechunk(gldas_files[:2], store)
    broken = gldas_files[3]
    broken.write_bytes(broken.read_bytes()[:1000])
    with pytest.raises(GranuleError):
        build_icechunk(gldas_files, store, overwrite=True)
    assert list_versions(store).branches["main"] == built.snapshot_id
    assert connect(store).dataset.sizes["time"] == 2
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_append_from_another_folder_adds_a_container(gldas_files, tmp_path, capsys):
    day1, day2 = tmp_path / "2016" / "001", tmp_path / "2016" / "001b"
    day1.mkdir(parents=True)
    day2.mkdir(parents=True)
    first = [Path(shutil.move(p, day1 / p.name)) for p in gldas_files[:2]]
    second = [Path(shutil.move(p, day2 / p.name)) for p in gldas_files[2:]]
    store = tmp_path / "g.icechunk"
    build_icechunk(first, store)
    refused = main(["append", *map(str, second), "--store", str(store), "--no-new-containers"])
    assert refused == 2
    assert "is not under any virtual chunk container" in capsys.readouterr().err
    assert main(["append", *map(str, second), "--store", str(store)]) == 0
    out = capsys.readouterr().out
    assert f"container added {day2.as_uri()}/" in out
    handle = connect(store)
    assert handle.containers == (day1.as_uri() + "/", day2.as_uri() + "/")
    for i, path in enumerate([*first, *second]):
        with netCDF4.Dataset(path) as nc:
            direct = nc[VAR][0].filled(np.nan)
        np.testing.assert_array_equal(handle.dataset[VAR].isel(time=i).values, direct)


def test_container_prefix_accepts_a_path(gldas_files, tmp_path):
    report = build_icechunk(
        gldas_files[:1], tmp_path / "p.icechunk", container_prefix=str(tmp_path)
    )
    assert report.containers == (tmp_path.as_uri() + "/",)


def test_append_reads_granules_as_the_build_recorded(fixtures_dir, tmp_path):
    # a grouped swath store: the append needs no --group/--time-from again
    source = next(_granules(fixtures_dir, "gpm_1c_ssmi_swath_groups").glob("*.HDF5"))
    gpm = Path(shutil.copy(source, tmp_path / source.name))
    later = tmp_path / gpm.name.replace("19911203-S180601", "19911203-S200000")
    shutil.copy(gpm, later)
    store = tmp_path / "gpm.icechunk"
    build_icechunk([gpm], store, group=["S1", "S2"], time_from=r"filename:(\d{8})-S(\d{6})")
    report = append_icechunk([later], store)
    assert report.added == (later.as_uri(),) and report.groups == ("/S1", "/S2")
    tc = connect(store, group="S1").dataset["Tc"]
    assert tc.sizes["time"] == 2
    np.testing.assert_array_equal(tc.values[0], tc.values[1])
    with pytest.raises(StoreOpenError, match="several groups: pass group= one of S1, S2"):
        connect(store)


def test_cli_build_with_groups_and_no_verify(fixtures_dir, tmp_path, capsys):
    s6 = next(_granules(fixtures_dir, "sentinel6_l2_groups").glob("*.nc"))
    args = ["build", str(s6), "--store", str(tmp_path / "s6.icechunk")]
    assert main([*args, "--group", "data_01", "--group", "data_01/ku"]) == 0
    out = capsys.readouterr().out
    assert "groups    /data_01, /data_01/ku" in out and "verified  " in out
    assert main([*args[:2], "--store", str(tmp_path / "other.icechunk")]) == 2
    assert "pass --group PATH" in capsys.readouterr().err
    assert (
        main(
            [*args[:2], "--kerchunk", str(tmp_path / "k.json"), "--group", "data_01", "--no-verify"]
        )
        == 0
    )
    assert "verified" not in capsys.readouterr().out


def test_build_on_processes_equals_build_on_threads(gldas_files, tmp_path):
    threads = build_icechunk(gldas_files, tmp_path / "t.icechunk")
    processes = build_icechunk(gldas_files, tmp_path / "p.icechunk", parallel="processes")
    assert processes.added == threads.added
    a, b = connect(tmp_path / "t.icechunk").dataset, connect(tmp_path / "p.icechunk").dataset
    np.testing.assert_array_equal(a[VAR].values, b[VAR].values)


@pytest.mark.slow
def test_build_on_a_local_dask_cluster_of_separate_processes(gldas_files, tmp_path):
    from distributed import Client, LocalCluster, get_task_stream

    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        with get_task_stream(client) as stream:
            report = build_icechunk(gldas_files, tmp_path / "d.icechunk", parallel=client)
        # the granules were parsed by the workers, in their own processes
        parsed = [t for t in stream.data if "virtualize_one" in str(t["key"])]
        assert len(parsed) == 4 and {t["worker"] for t in parsed} <= set(
            client.scheduler_info()["workers"]
        )
        assert (
            main(
                [
                    "build",
                    *map(str, gldas_files),
                    "--kerchunk",
                    str(tmp_path / "d.json"),
                    "--dask-scheduler",
                    cluster.scheduler_address,
                ]
            )
            == 0
        )
    assert report.added == tuple(p.as_uri() for p in gldas_files)
    ds = connect(tmp_path / "d.icechunk").dataset
    refs = connect(tmp_path / "d.json").dataset
    for i, path in enumerate(gldas_files):
        with netCDF4.Dataset(path) as nc:
            direct = nc[VAR][0].filled(np.nan)
        np.testing.assert_array_equal(ds[VAR].isel(time=i).values, direct)
        np.testing.assert_array_equal(refs[VAR].isel(time=i).values, direct)


@pytest.mark.slow
def test_build_on_a_cluster_whose_scheduler_and_workers_are_their_own_processes(
    gldas_files, tmp_path
):
    """``vstore-explorer build --dask-scheduler`` against a scheduler and a worker started as
    separate ``dask`` processes on 127.0.0.1, as on a real cluster."""
    import os
    import socket
    import subprocess
    import sys
    import time

    from distributed import Client

    with socket.socket() as probe:  # a free port on loopback
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen(
        [*dask, "--host", "127.0.0.1", "--port", str(port), "--dashboard-address", ":0"], **quiet
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nworkers", "1",
         "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard"],
        **quiet,
    )  # fmt: skip
    try:
        with Client(address, timeout=60) as client:
            client.wait_for_workers(1, timeout=60)
            # the worker is a process of its own (the nanny's child), not this one or the scheduler
            pids = set(client.run(os.getpid).values())
            assert pids and pids.isdisjoint({os.getpid(), scheduler.pid})
        started = time.perf_counter()
        argv = [
            "build",
            *map(str, gldas_files),
            "--store",
            str(tmp_path / "c.icechunk"),
            "--dask-scheduler",
            address,
        ]
        assert main(argv) == 0
        assert time.perf_counter() - started < 300
    finally:
        for proc in (worker, scheduler):
            proc.terminate()
            proc.wait(timeout=30)
    ds = connect(tmp_path / "c.icechunk").dataset
    for i, path in enumerate(gldas_files):
        with netCDF4.Dataset(path) as nc:
            np.testing.assert_array_equal(ds[VAR].isel(time=i).values, nc[VAR][0].filled(np.nan))
