"""Every real granule set in ``../shared/fixtures/granules`` builds a correct virtual store (Icechunk
and Kerchunk, through every parser that applies) or is refused with a clear message.

Correct means: every variable of every group reads back through the store equal to a direct
netCDF4-python read of the granule, both raw (the stored integers, no CF decoding: the bytes and
codecs are right) and CF-decoded (``_FillValue``/``scale_factor``/``add_offset`` are right).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import netCDF4
import numpy as np
import pytest
import xarray as xr

from vstore_explorer.build.icechunk_store import build_icechunk
from vstore_explorer.build.kerchunk_refs import build_kerchunk
from vstore_explorer.stores.open import connect, list_groups

pytestmark = pytest.mark.filterwarnings("ignore::xarray.SerializationWarning")

G = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "granules"


@dataclass(frozen=True)
class Case:
    """One granule set and how a user builds it."""

    name: str
    files: tuple[str, ...]
    options: dict[str, Any] = field(default_factory=dict)
    parsers: tuple[str, ...] = ("auto",)

    def paths(self, root: Path) -> list[Path]:
        out = []
        for pattern in self.files:
            out += sorted(root.glob(pattern))
        assert out, self.files
        return out


CASES = [
    Case("gldas root grid", ("gldas_noah025_3h/*.nc4",), {}, ("auto", "hdf")),
    Case("gamssa root grid", ("gamssa_ghrsst_l4/*.nc",), {}, ("auto", "hdf")),
    Case(
        "sentinel-6 nested groups",
        ("sentinel6_l2_groups/*.nc",),
        {"group": ["data_01", "data_01/ku"]},
        ("auto", "hdf"),
    ),
    Case(
        "gpm swath groups, time from the file name",
        ("gpm_1c_ssmi_swath_groups/*.HDF5",),
        {"group": ["S1", "S2"], "time_from": r"filename:(\d{8})-S(\d{6})"},
        ("auto", "hdf"),
    ),
    Case(
        "gpm swath along-track",
        ("gpm_1c_ssmi_swath_groups/*.HDF5",),
        {"group": "S1", "dim": "nscan1"},
        ("hdf",),
    ),
    Case(
        "smap projected group, one step",
        ("smap_l4_projected_groups/*.h5",),
        {"group": "Analysis_Data", "time_from": "coord:/time"},
        ("auto", "hdf"),
    ),
    Case(
        "atl16 nested group, time from an attribute",
        ("atl16_nested_groups/*.nc4",),
        {"group": "group1/group2", "time_from": "attr:time_coverage_start"},
        ("auto", "hdf"),
    ),
    Case(
        "ascat netCDF-3 swath",
        ("ascat_l2_netcdf3/*.nc",),
        {"dim": "NUMROWS"},
        ("auto", "netcdf3"),
    ),
    Case(
        "dmr++ gzipped 3-D",
        ("dmrpp_pairs/chunked_gzipped_threeD.h5",),
        {"dim": "phony_dim_0"},
        ("auto", "dmrpp", "hdf"),
    ),
    Case(
        "dmr++ shuffle+deflate",
        ("dmrpp_pairs/deflate_twice/cmprss_big_1.h5",),
        {"dim": "phony_dim_0"},
        ("auto", "dmrpp", "hdf"),
    ),
]
PARAMS = [
    pytest.param(case, parser, id=f"{case.name} [{parser}]")
    for case in CASES
    for parser in case.parsers
]


def _nc_variable(nc: netCDF4.Dataset, group: str, name: str) -> netCDF4.Variable:
    """``name`` as seen from ``group``: its own variable, else an ancestor's (netCDF-4 scoping)."""
    grp = nc[group] if group not in ("", "/") else nc
    while name not in grp.variables:
        assert grp.parent is not None, f"{name} not found from {group}"
        grp = grp.parent
    return grp.variables[name]


def _direct(nc_var: netCDF4.Variable, *, decode: bool) -> np.ndarray:
    """The variable as netCDF4-python reads its bytes; CF-decoded by xarray's own CF coder when
    ``decode`` (the same decoding the store's reader applies, on independently read bytes)."""
    nc_var.set_auto_maskandscale(False)
    nc_var.set_auto_chartostring(False)
    raw = np.asarray(nc_var[...])
    if not decode:
        return raw
    attrs = {k: nc_var.getncattr(k) for k in nc_var.ncattrs()}
    var = xr.Variable(tuple(f"d{i}" for i in range(raw.ndim)), raw, attrs)
    return np.asarray(xr.decode_cf(xr.Dataset({"v": var}))["v"].values)


def _assert_group_matches(
    ds_raw: xr.Dataset, ds: xr.Dataset, path: Path, group: str, dim: str, added: bool
):
    """Every variable of one granule's store group equals the direct netCDF4 reads (but the
    ``time`` that ``--time-from`` added, which is not in the file)."""
    checked = 0
    with netCDF4.Dataset(path) as nc:
        for name in ds.variables:
            if added and name == dim:
                continue
            try:
                nc_var = _nc_variable(nc, group, str(name))
            except AssertionError:
                assert name == dim, f"{name} is in the store but not in the granule"
                continue
            for store, decode in ((ds_raw, False), (ds, True)):
                got = np.asarray(store[name].values)
                want = _direct(nc_var, decode=decode)
                if got.ndim == want.ndim + 1 and got.shape[0] == 1:  # the added time dimension
                    got = got[0]
                assert got.shape == want.shape, (name, got.shape, want.shape)
                if got.dtype.kind == "M" and want.dtype.kind != "M":
                    continue  # bounds take their units from their coordinate: raw compare covers it
                if want.dtype.kind in "SUO" or got.dtype.kind in "SUO":
                    np.testing.assert_array_equal(got.astype(str), want.astype(str), err_msg=name)
                else:
                    np.testing.assert_array_equal(got, want, err_msg=str(name))
            checked += 1
    assert checked >= 1
    return checked


def _open_raw(handle: Any, tmp_refs: Path | None) -> xr.Dataset:
    """The same store group opened without CF decoding."""
    if handle.link.kind == "icechunk":
        import icechunk

        repo = icechunk.Repository.open(
            icechunk.local_filesystem_storage(str(Path(handle.link.url.removeprefix("file://")))),
            authorize_virtual_chunk_access=icechunk.containers_credentials(
                dict.fromkeys(handle.containers, icechunk.credentials.LocalFileSystemAccess)
            ),
        )
        store = repo.readonly_session("main").store
        return xr.open_zarr(
            store, group=handle.group, consolidated=False, decode_cf=False, zarr_format=3
        )
    return xr.open_dataset(
        "reference://",
        engine="zarr",
        group=handle.group,
        decode_cf=False,
        mask_and_scale=False,
        backend_kwargs={
            "consolidated": False,
            "storage_options": {"fo": str(tmp_refs), "remote_protocol": "file"},
        },
    )


@pytest.mark.parametrize(("case", "parser"), PARAMS)
@pytest.mark.parametrize("kind", ["icechunk", "kerchunk"])
def test_every_layout_builds_and_reads_back_as_the_granule(
    case, parser, kind, fixtures_dir, tmp_path
):
    paths = case.paths(fixtures_dir / "granules")
    options = dict(case.options, parser=parser)
    if kind == "icechunk":
        out = tmp_path / "store.icechunk"
        report = build_icechunk(paths, out, **options)
    else:
        out = tmp_path / "refs.json"
        report = build_kerchunk(paths, out, **options)
    assert report.added == tuple(p.as_uri() for p in paths)
    assert report.verified and report.verified >= 1
    if parser == "auto":
        parser = next((p for p in ("dmrpp", "netcdf3") if p in case.parsers), "hdf")
    assert report.parsers == {parser: len(paths)}
    groups = options.get("group") or [""]
    groups = [groups] if isinstance(groups, str) else groups
    assert list_groups(out) == sorted(groups, key=lambda g: (g != "", g))
    dim = options.get("dim", "time")
    for group in groups:
        handle = connect(out, group=group or None)
        raw = _open_raw(handle, out if kind == "kerchunk" else None)
        offset = 0
        for path in paths:
            n = handle.dataset.sizes.get(dim, 1) // len(paths)  # equal-sized granules here
            window = {dim: slice(offset, offset + n)}
            one = handle.dataset.isel(window) if dim in handle.dataset.dims else handle.dataset
            one_raw = raw.isel(window) if dim in raw.dims else raw
            added = "time_from" in options
            _assert_group_matches(one_raw, one, path, group or "/", dim, added)
            offset += n
        # the exported code opens the same group
        assert (f"group={group!r}" in handle.open_code()) == bool(group)


def test_kerchunk_and_icechunk_give_identical_values_on_every_layout(fixtures_dir, tmp_path):
    for i, case in enumerate(CASES):
        paths = case.paths(fixtures_dir / "granules")
        build_icechunk(paths, tmp_path / f"{i}.icechunk", **case.options)
        build_kerchunk(paths, tmp_path / f"{i}.json", **case.options)
        groups = case.options.get("group") or [None]
        for group in [groups] if isinstance(groups, str) else groups:
            ice = connect(tmp_path / f"{i}.icechunk", group=group).dataset
            ker = connect(tmp_path / f"{i}.json", group=group).dataset
            assert sorted(ice.variables) == sorted(ker.variables), case.name
            for name in ice.variables:
                xr.testing.assert_equal(
                    ice[name].reset_coords(drop=True), ker[name].reset_coords(drop=True)
                )


def test_kerchunk_invents_no_fill_value(tmp_path):
    # no _FillValue: HDF5's default fill (0) must not mask valid zeros (2,124 calm winds in RSS)
    path = tmp_path / "calm.nc"
    with netCDF4.Dataset(path, "w") as nc:
        nc.createDimension("time", 1)
        nc.createDimension("x", 6)
        t = nc.createVariable("time", "f8", ("time",))
        t.units = "days since 2020-01-01"
        t[:] = [0]
        w = nc.createVariable("wind", "f4", ("time", "x"), zlib=True, fill_value=False)
        w[:] = [[0.0, 0.0, 1.5, 0.0, 3.0, 0.0]]
        p = nc.createVariable("packed", "i2", ("time", "x"), zlib=True, fill_value=False)
        p.scale_factor = 0.5
        p[:] = [[0.0, 0.5, 1.0, 0.0, 2.0, 2.5]]
    build_kerchunk([path], tmp_path / "calm.json")
    build_icechunk([path], tmp_path / "calm.icechunk")
    for store in ("calm.json", "calm.icechunk"):
        ds = connect(tmp_path / store).dataset
        np.testing.assert_array_equal(ds["wind"].values, [[0.0, 0.0, 1.5, 0.0, 3.0, 0.0]])
        np.testing.assert_array_equal(ds["packed"].values, [[0.0, 0.5, 1.0, 0.0, 2.0, 2.5]])


def _deflate_twice(path: Path) -> np.ndarray:
    """A granule whose variable goes shuffle -> deflate -> deflate (as some GHRSST L3U files)."""
    data = (np.arange(100 * 80, dtype="f4").reshape(1, 100, 80) % 97) - 3.5
    with h5py.File(path, "w") as f:
        space = h5py.h5s.create_simple(data.shape)
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_chunk((1, 50, 40))
        dcpl.set_shuffle()
        dcpl.set_deflate(4)
        dcpl.set_deflate(6)
        dsid = h5py.h5d.create(f.id, b"sst", h5py.h5t.IEEE_F32LE, space, dcpl)
        dsid.write(h5py.h5s.ALL, h5py.h5s.ALL, data)
    return data


def _write_dmrpp(granule: Path, name: str, compression: str, href: str = "placeholder") -> Path:
    """A DMR++ sidecar for one chunked float32 variable of ``granule`` (offsets from h5py)."""
    with h5py.File(granule) as f:
        ds = f[name]
        chunks = []
        for i in range(ds.id.get_num_chunks()):
            info = ds.id.get_chunk_info(i)
            pos = ",".join(str(p) for p in info.chunk_offset)
            chunks.append(
                f'<dmrpp:chunk offset="{info.byte_offset}" nBytes="{info.size}" '
                f'chunkPositionInArray="[{pos}]"/>'
            )
        dims = "".join(f'<Dim size="{n}"/>' for n in ds.shape)
        chunk_sizes = " ".join(map(str, ds.chunks))
    sidecar = granule.with_name(granule.name + ".dmrpp")
    sidecar.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Dataset xmlns="http://xml.opendap.org/ns/DAP/4.0#" '
        'xmlns:dmrpp="http://xml.opendap.org/dap/dmrpp/1.0.0#" dapVersion="4.0" dmrVersion="1.0" '
        f'name="{granule.name}" dmrpp:href="{href}">'
        f'<Float32 name="{name}">{dims}'
        f'<dmrpp:chunks compressionType="{compression}" fillValue="0" byteOrder="LE">'
        f"<dmrpp:chunkDimensionSizes>{chunk_sizes}</dmrpp:chunkDimensionSizes>"
        + "".join(chunks)
        + "</dmrpp:chunks></Float32></Dataset>"
    )
    return sidecar


def test_a_pipeline_the_hdf_parser_misreads_is_refused_and_the_dmrpp_builds(tmp_path):
    from vstore_explorer.build.verify import VerificationError

    granule = tmp_path / "l3u" / "20240101-L3U_GHRSST.nc"
    granule.parent.mkdir()
    data = _deflate_twice(granule)
    store = tmp_path / "l3u.icechunk"
    with pytest.raises(VerificationError) as err:
        build_icechunk([granule], store, parser="hdf", dim="phony_dim_0")
    text = str(err.value)
    assert granule.as_uri() in text and "variable sst" in text
    assert "shuffle(4) -> deflate(4) -> deflate(6)" in text and "--parser dmrpp" in text
    assert not store.exists()  # nothing committed, nothing left behind
    with pytest.raises(VerificationError):
        build_kerchunk([granule], tmp_path / "l3u.json", parser="hdf", dim="phony_dim_0")
    assert not (tmp_path / "l3u.json").exists()

    # its DMR++ sidecar describes the pipeline; auto uses it; its href is a placeholder
    _write_dmrpp(granule, "sst", "shuffle deflate deflate", href="${href}")
    report = build_icechunk([granule], store, dim="phony_dim_0")
    assert report.parsers == {"dmrpp": 1} and report.added == (granule.as_uri(),)
    np.testing.assert_array_equal(connect(store).dataset["sst"].values, data)


def test_a_dmrpp_that_disagrees_with_its_granule_is_refused_naming_both(tmp_path):
    from vstore_explorer.build.verify import VerificationError

    granule = tmp_path / "g.h5"
    _deflate_twice(granule)
    sidecar = _write_dmrpp(granule, "sst", "shuffle deflate")  # one deflate too few
    with pytest.raises(VerificationError) as err:
        build_icechunk([granule], tmp_path / "s.icechunk", dim="phony_dim_0")
    text = str(err.value)
    assert sidecar.as_uri() in text and granule.as_uri() in text and "disagree" in text
    assert not (tmp_path / "s.icechunk").exists()


def test_dmrpp_chunk_references_point_at_the_granule_given_not_the_href(fixtures_dir, tmp_path):
    src = fixtures_dir / "granules" / "dmrpp_pairs"
    folder = tmp_path / "moved"
    folder.mkdir()
    granule = Path(shutil.copy(src / "chunked_gzipped_threeD.h5", folder))
    shutil.copy(src / "chunked_gzipped_threeD.h5.dmrpp", folder)
    store = tmp_path / "s.icechunk"
    build_icechunk([granule], store, dim="phony_dim_0", parser="dmrpp")
    import icechunk

    repo = icechunk.Repository.open(
        icechunk.local_filesystem_storage(str(store)),
        authorize_virtual_chunk_access=icechunk.containers_credentials(
            {folder.as_uri() + "/": icechunk.credentials.LocalFileSystemAccess}
        ),
    )
    assert set(repo.readonly_session("main").all_virtual_chunk_locations()) == {granule.as_uri()}
    with h5py.File(granule) as f:
        np.testing.assert_array_equal(
            connect(store).dataset["d_8_gzipped_chunks"].values, f["d_8_gzipped_chunks"][...]
        )
