"""Write a DMR++ sidecar for a NetCDF4/HDF5 file, as OPeNDAP's ``build_dmrpp`` does (a subset:
dimensions, variables, attributes and chunk positions of numeric datasets).

NASA DAACs publish these sidecars beside their granules; the benchmark and tests make them for
the demo's own granules, which have none. ``dmrpp:href`` is a placeholder, as on real sidecars.

Example:
    >>> write_dmrpp("/data/g.nc4")  # doctest: +SKIP
    PosixPath('/data/g.nc4.dmrpp')
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import h5py
import numpy as np

DAP_TYPES = {
    "int8": "Int8",
    "uint8": "UInt8",
    "int16": "Int16",
    "uint16": "UInt16",
    "int32": "Int32",
    "uint32": "UInt32",
    "int64": "Int64",
    "uint64": "UInt64",
    "float32": "Float32",
    "float64": "Float64",
}
FILTERS = {1: "deflate", 2: "shuffle"}


def _attribute(name: str, value: object) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        return (
            f'<Attribute name={quoteattr(name)} type="String"><Value>{escape(value)}</Value>'
            "</Attribute>"
        )
    array = np.atleast_1d(np.asarray(value))
    kind = DAP_TYPES.get(str(array.dtype.newbyteorder("=")))
    if kind is None:
        return ""
    values = "".join(f"<Value>{v!r}</Value>" for v in array.tolist())
    return f'<Attribute name={quoteattr(name)} type="{kind}">{values}</Attribute>'


def _chunks(ds: h5py.Dataset) -> str:
    plist = ds.id.get_create_plist()
    steps, level = [], None
    for i in range(plist.get_nfilters()):
        code, _flags, values, _name = plist.get_filter(i)
        if code not in FILTERS:
            raise ValueError(f"{ds.name}: HDF5 filter {code} has no DMR++ name here")
        steps.append(FILTERS[code])
        if code == 1 and values:
            level = values[0]
    fill = ds.fillvalue
    attrs = f' fillValue="{fill.item() if hasattr(fill, "item") else fill}" byteOrder="LE"'
    if steps:
        attrs = (
            f' compressionType="{" ".join(steps)}"'
            + (f' deflateLevel="{level}"' if level is not None else "")
            + attrs
        )
    body = []
    if ds.chunks is None:
        offset = ds.id.get_offset()
        if offset is not None:
            body.append(f'<dmrpp:chunk offset="{offset}" nBytes="{ds.id.get_storage_size()}"/>')
    else:
        body.append(
            f"<dmrpp:chunkDimensionSizes>{' '.join(map(str, ds.chunks))}</dmrpp:chunkDimensionSizes>"
        )
        for i in range(ds.id.get_num_chunks()):
            info = ds.id.get_chunk_info(i)
            pos = ",".join(map(str, info.chunk_offset))
            body.append(
                f'<dmrpp:chunk offset="{info.byte_offset}" nBytes="{info.size}" '
                f'chunkPositionInArray="[{pos}]"/>'
            )
    return f"<dmrpp:chunks{attrs}>{''.join(body)}</dmrpp:chunks>"


def write_dmrpp(path: str | Path) -> Path:
    """Write ``<path>.dmrpp`` describing the root group's numeric datasets of ``path``."""
    path = Path(path)
    parts = []
    with h5py.File(path, "r") as f:
        dims: dict[str, int] = {}
        variables = []
        for name, ds in f.items():
            if not isinstance(ds, h5py.Dataset):
                continue
            kind = DAP_TYPES.get(str(ds.dtype.newbyteorder("=")))
            is_scale = ds.attrs.get("CLASS") == b"DIMENSION_SCALE"
            if is_scale:
                dims[name] = ds.shape[0]
                if b"not a netCDF variable" in bytes(ds.attrs.get("NAME", b"")):
                    continue  # a netCDF dimension without a variable
            if kind is None:
                continue
            dim_names = []
            for axis in range(ds.ndim):
                scales = ds.dims[axis]
                if is_scale:  # a coordinate variable is its own dimension
                    dim_names.append(ds.name)
                else:
                    dim_names.append(scales[0].name if len(scales) else None)
            tags = "".join(
                f'<Dim name="{d}"/>' if d else f'<Dim size="{n}"/>'
                for d, n in zip(dim_names, ds.shape, strict=True)
            )
            attrs = "".join(
                _attribute(k, v)
                for k, v in ds.attrs.items()
                if k
                not in (
                    "DIMENSION_LIST",
                    "REFERENCE_LIST",
                    "CLASS",
                    "NAME",
                    "_Netcdf4Dimid",
                    "_Netcdf4Coordinates",
                )
            )
            variables.append(f"<{kind} name={quoteattr(name)}>{tags}{attrs}{_chunks(ds)}</{kind}>")
        parts += [f'<Dimension name="{n}" size="{s}"/>' for n, s in dims.items()]
        parts += variables
        parts += [_attribute(k, v) for k, v in f.attrs.items() if k not in ("_NCProperties",)]
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Dataset xmlns="http://xml.opendap.org/ns/DAP/4.0#" '
        'xmlns:dmrpp="http://xml.opendap.org/dap/dmrpp/1.0.0#" dapVersion="4.0" dmrVersion="1.0" '
        f'name={quoteattr(path.name)} dmrpp:href="OPeNDAP_DMRpp_DATA_ACCESS_URL">'
        + "".join(parts)
        + "</Dataset>\n"
    )
    out = path.with_name(path.name + ".dmrpp")
    out.write_text(text)
    return out
