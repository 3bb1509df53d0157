"""Parsing failed chunk reads into clear errors (``stores/read_errors.py``), from the exact texts
Icechunk and fsspec produce (recorded from real reads: icechunk 2.3.0, fsspec 2026.9.0)."""

from __future__ import annotations

import icechunk
import pytest

from vstore_explorer.stores.read_errors import GranuleReadError, explain, parse_failed_read

VAR = "SoilMoi0_10cm_inst"
LOCAL = "file:///data/gldas/GLDAS_NOAH025_3H.A20160101.0900.021.nc4"
S3 = "s3://granules/gldas/GLDAS_NOAH025_3H.A20160101.0900.021.nc4"


def changed_error(url: str, key: str = f"{VAR}/c/2/0/0") -> icechunk.StorageError:
    """Icechunk's error when the object behind a virtual chunk was modified after the build."""
    return icechunk.StorageError(
        f"the checksum of the object owning the virtual chunk has changed ({url})\n"
        "context:\n"
        "   0: icechunk::store::get\n"
        f'           with key="{key}" byte_range=From(0)\n'
        "             at icechunk/src/store.rs:183\n"
    )


@pytest.mark.parametrize("url", [LOCAL, S3])
def test_changed_granule_is_parsed_with_its_url(url):
    failed = parse_failed_read(changed_error(url))
    assert failed is not None
    assert failed.changed and not failed.missing and not failed.denied
    assert failed.location == url
    assert failed.variable == VAR and failed.chunk == (2, 0, 0)
    assert failed.cause.startswith("StorageError: the checksum of the object owning")


@pytest.mark.parametrize("url", [LOCAL, S3])
def test_changed_granule_error_names_url_variable_chunk_and_what_to_do(url):
    def locate(failed):  # the URL in the message wins over any lookup
        return ["file:///elsewhere/other.nc4"]

    err = explain(changed_error(url), locate=locate, store="file:///stores/gldas.icechunk")
    assert isinstance(err, GranuleReadError)
    assert (err.url, err.variable, err.chunk) == (url, VAR, (2, 0, 0))
    message = str(err)
    assert message.startswith(
        f"cannot read variable {VAR!r} chunk (2, 0, 0) of file:///stores/gldas.icechunk: "
        f"its granule {url} changed after it was added to the store "
        "(it was modified, replaced, truncated or corrupted since)"
    )
    assert "Restore the original file" in message
    assert "rebuild the store from the current granules" in message
    assert "elsewhere" not in message


def test_changed_message_in_a_chained_cause_is_found():
    try:
        try:
            raise icechunk.StorageError(
                f"the checksum of the object owning the virtual chunk has changed ({LOCAL})"
            )
        except icechunk.StorageError as inner:
            raise RuntimeError(f'failed to get with key="{VAR}/c/3/0/0"') from inner
    except RuntimeError as outer:
        err = explain(outer)
    assert isinstance(err, GranuleReadError)
    assert (err.url, err.variable, err.chunk) == (LOCAL, VAR, (3, 0, 0))
    assert "changed after it was added" in str(err)


def test_missing_granule_keeps_its_message():
    missing = icechunk.StorageError(
        "error fetching virtual reference: Object at location /data/gldas/g.nc4 not found: "
        "No such file or directory (os error 2)\n\n"
        "context:\n"
        "   0: icechunk::store::get\n"
        f'           with key="{VAR}/c/1/0/0" byte_range=From(0)\n'
        "             at icechunk/src/store.rs:183"
    )
    failed = parse_failed_read(missing)
    assert failed is not None and failed.missing and not failed.changed
    assert failed.location == "/data/gldas/g.nc4"
    err = explain(missing, locate=lambda f: ["file:///data/gldas/g.nc4"])
    assert isinstance(err, GranuleReadError) and err.url == "file:///data/gldas/g.nc4"
    assert "its granule file:///data/gldas/g.nc4 was not found" in str(err)
    assert "changed after" not in str(err)


def test_other_errors_are_left_alone():
    assert parse_failed_read(ValueError("checksum mismatch")) is None
    assert explain(icechunk.StorageError("the repository config could not be read")) is None
