"""A canary S3 credential used through a whole session (moto S3 on 127.0.0.1: open, cost, load,
code, the app with its URL, rendered models and NetCDF download, errors from a wrong endpoint,
DEBUG logs, reprs) never appears in anything a user or a log can see.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from vstore_explorer.catalog.records import Collection
from vstore_explorer.compute import cost_of, load, to_code
from vstore_explorer.selection import Selection
from vstore_explorer.stores.access import Access, S3Credentials
from vstore_explorer.stores.open import connect, list_versions

pytestmark = pytest.mark.filterwarnings("ignore::xarray.SerializationWarning")

KEY_ID = "AKIACANARY1234567890"
SECRET = "canary-secret-7f3a9c1e5b2d4068"
TOKEN = "canary-token-0b1c2d3e4f"
CANARY = S3Credentials(KEY_ID, SECRET, session_token=TOKEN)
VAR = "SoilMoi0_10cm_inst"
SEL = Selection(
    variables=(VAR,), time=("2016-01-01T03:00", "2016-01-01T06:00"), bbox=(-10, 30, 20, 50)
)


def assert_clean(*things: Any) -> None:
    """None of ``things`` (text, bytes, or objects through repr/str) holds a canary part."""
    for thing in things:
        text = [str(thing).encode(), repr(thing).encode()]
        blobs = [thing] if isinstance(thing, bytes) else text
        for blob in blobs:
            for secret in (KEY_ID, SECRET, TOKEN, SECRET[7:20]):
                assert secret.encode() not in blob, f"{secret!r} leaked in {blob[:200]!r}"


@pytest.fixture()
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)  # every logger, botocore/urllib3/fsspec/panel included
    return caplog


def test_canary_never_leaks_from_the_library(
    s3_server, s3_gldas, debug_logs, capfd, monkeypatch, serve_files, tmp_path
):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    access = s3_server.access(credentials=CANARY)
    handle = connect(s3_gldas.link, credentials=access)
    cost = cost_of(handle, SEL)
    data = load(handle, SEL)
    assert data.sizes["time"] == 2 and cost.chunks > 0  # the session really ran
    code = to_code(handle, SEL)
    assert "AWS_ACCESS_KEY_ID" in code or "os.environ" in code  # keys come from the environment
    versions = list_versions(s3_gldas.link, credentials=access)
    leaks: list[Any] = [handle, access, CANARY, cost, data, code, versions, s3_gldas.link]
    leaks += [handle.open_code(), data.attrs, handle.dataset.attrs, handle.dataset]
    leaks += [Access(credentials=KEY_ID)]  # type: ignore[arg-type]  # even a misuse hides it

    errors: list[BaseException] = []
    not_s3 = serve_files(tmp_path).url.rstrip("/")  # a web server that is not S3: 404s
    wrong = Access(endpoint_url=not_s3, region="us-east-1", credentials=CANARY)
    for attempt in (
        lambda: connect(s3_gldas.link, credentials=wrong),  # the wrong endpoint
        lambda: connect(s3_server.link("s3://stores/nothing.icechunk"), credentials=access),
        lambda: load(handle, Selection(variables=("nope",))),
        lambda: connect(s3_gldas.link, credentials=KEY_ID),  # a bare string is refused
    ):
        with pytest.raises(Exception) as info:  # noqa: PT011 - any error; its text is checked
            attempt()
        errors.append(info.value)
        chain: BaseException | None = info.value
        while chain is not None:  # the causes too: what a traceback would print
            leaks += [chain, chain.args]
            chain = chain.__cause__ or chain.__context__
    out, err = capfd.readouterr()
    assert_clean(*leaks, out, err, debug_logs.text, *[r.getMessage() for r in debug_logs.records])
    assert len(errors) == 4


def test_canary_never_leaks_from_the_app(
    s3_server, s3_gldas, debug_logs, capfd, render, serve_files, tmp_path
):
    from panel.io.location import Location

    from vstore_explorer.app.explorer import Explorer
    from vstore_explorer.app.state import ExplorerState

    access = s3_server.access(credentials=CANARY)
    state = ExplorerState(None, credentials=access, source_is_local=False)
    app = Explorer(state, location=Location(), coastlines=False)
    collection = Collection(short_name="GLDAS_CANARY", stores=(s3_gldas.link,))
    assert state.select_collection(collection), state.alert
    state.param.update(time_start=state.times[0], time_end=state.times[1])
    state.set_box(-10, 30, 20, 50)
    assert state.map_result is not None and state.code and state.query
    netcdf = state.netcdf_bytes()
    assert netcdf and netcdf[:4] == b"\x89HDF"
    from bokeh.document import Document

    doc = Document()
    doc.add_root(render(app))
    doc_json = json.dumps(doc.to_json(), default=str)
    assert "GLDAS_CANARY" in doc_json or VAR in doc_json  # the rendered app is really there
    state.version = "tag:nope"  # an error inside the app
    not_s3 = serve_files(tmp_path).url.rstrip("/")  # the wrong endpoint: a plain web server
    bad = ExplorerState(None, credentials=Access(endpoint_url=not_s3, credentials=CANARY))
    bad.select_collection(collection)
    assert bad.alert  # the failure is shown...
    out, err = capfd.readouterr()
    assert_clean(  # ...and nothing shows the canary
        state.code, state.query, state.alert, state.status, state.cost_text, netcdf, doc_json,
        bad.alert, repr(state), app.location.search, out, err, debug_logs.text,
        *[r.getMessage() for r in debug_logs.records], state.param.values(),
    )  # fmt: skip
