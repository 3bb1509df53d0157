"""Bad input, fuzzed with hypothesis: Selection dicts and query strings, the app's URL query, CLI
arguments. Only clean ``ValueError``s (or an alert, or exit code 2 with one error line) — never a
traceback, never another exception type.
"""

from __future__ import annotations

import html
import io
from contextlib import redirect_stderr, redirect_stdout
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vstore_explorer.app.query import ViewQuery
from vstore_explorer.app.ui_text import safe_text as _text
from vstore_explorer.cli import main
from vstore_explorer.selection import Selection

SST = "DEMO_25km-VSTOREDEMO-L4-GLOB-v01"
KEYS = ["variables", "time", "bbox", "point", "level", "reduction", "stride"]
QUERY_KEYS = ["var", "time", "bbox", "point", "level", "reduction", "stride"]
APP_KEYS = ["collection", "store", "version", "view", "t"]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=10,
)
# pieces that look like real values, so fuzzing reaches deep validation, not only the first check
near_values = st.sampled_from(
    [
        "sst", "2024-01-01", "2024-13-01", "2024-02-30T25:00", "1e400", "-inf", "nan", "0",
        "-10,30,20,50", "10,20", "181,0,10,10", "0,-91", "1,2,3,4,5", "area_mean", "bogus",
        "%00", "%ZZ", "\x00", "é", "\ud800", "<script>", "a=b", "/", ",", "2024/2023", "65",
        "-1", "1.5", "", " ", "tag:v1", "branch:", "snapshot:x", "timeseries", SST,
    ]
)  # fmt: skip
query_text = st.lists(
    st.tuples(
        st.sampled_from(QUERY_KEYS + APP_KEYS + ["x", ""]) | st.text(max_size=6),
        near_values | st.text(max_size=12),
    ),
    max_size=6,
).map(lambda pairs: "&".join(f"{k}={v}" for k, v in pairs))
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(
    st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=5), json_values | near_values)
    | json_values
)
def test_selection_from_dict_accepts_or_raises_value_error(data: Any) -> None:
    try:
        sel = Selection.from_dict(data)
    except ValueError as exc:
        assert str(exc).strip()
        return
    assert Selection.from_dict(sel.to_dict()) == sel  # what is accepted round-trips
    assert Selection.from_query(sel.to_query()) == sel


@FUZZ
@given(query_text | st.text(max_size=40) | st.binary(max_size=10) | st.none() | st.integers())
def test_selection_from_query_accepts_or_raises_value_error(query: Any) -> None:
    try:
        sel = Selection.from_query(query)
    except ValueError as exc:
        assert str(exc).strip()
        return
    assert Selection.from_query(sel.to_query()) == sel


@FUZZ
@given(query_text | st.text(max_size=40))
def test_view_query_accepts_or_raises_value_error(query: str) -> None:
    try:
        view = ViewQuery.from_query(query)
    except ValueError as exc:
        assert str(exc).strip()
        return
    assert ViewQuery.from_query(view.to_query()) == view


@pytest.fixture(scope="module")
def sst_app(demo_records: str) -> Any:
    from panel.io.location import Location

    from vstore_explorer.app.explorer import explore

    return explore(demo_records, collection=SST, location=Location(), warm=False)


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(query_text)
def test_app_url_query_gives_an_alert_never_an_exception(sst_app: Any, query: str) -> None:
    state = sst_app.state
    state.alert = ""
    ok = state.apply_query(f"collection={SST}&" + query)  # must not raise
    if not ok and "view" not in query and "collection=" not in query:
        assert state.alert  # a refusal is always explained
    if state.alert:
        assert "Traceback" not in state.alert and 'File "' not in state.alert
        assert sst_app.status_view.alert.object == _text(state.alert)  # shown, HTML-escaped
        assert sst_app.status_view.alert.visible


def test_app_shows_an_alert_pane_for_a_bad_url(sst_app: Any) -> None:
    state = sst_app.state
    assert state.apply_query(f"collection={SST}&bbox=1,2,3") is False
    assert "bbox" in state.alert
    alert = sst_app.status_view.alert
    assert alert.visible and alert.alert_type == "danger"
    assert html.unescape(alert.object) == state.alert


def _run_cli(argv: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse refuses malformed arguments with exit code 2
            code = exc.code if isinstance(exc.code, int) else 1
    return code, err.getvalue()


def _assert_clean(code: int, err: str) -> None:
    assert "Traceback" not in err
    if code:
        assert code == 2, err
        errors = [line for line in err.splitlines() if ": error: " in line]
        assert len(errors) == 1, err
        assert err.rstrip().splitlines()[-1] == errors[0]  # the error is the last line


cli_text = near_values | st.text(max_size=15).filter(lambda t: "\x00" not in t)


@pytest.mark.slow
@settings(max_examples=120, deadline=None)
@given(
    option=st.sampled_from(["--bbox", "--temporal", "--limit", "--timeout", "--retries"]),
    value=cli_text | st.integers(-(10**6), 10**6).map(str),
)
def test_search_cli_fuzzed_options_exit_cleanly(demo_records: str, option: str, value: str) -> None:
    code, err = _run_cli(["search", "--catalog", demo_records, f"{option}={value}"])
    _assert_clean(code, err)


@settings(max_examples=60, deadline=None)
@given(
    value=cli_text.filter(lambda t: not (t.strip().isdigit() and 1 <= int(t) <= 3650))
    | st.integers().filter(lambda n: not 1 <= n <= 3650).map(str)
)
def test_demo_cli_fuzzed_days_exit_cleanly(tmp_path_factory: Any, value: str) -> None:
    cache = tmp_path_factory.mktemp("cache")
    code, err = _run_cli(["demo", "build", "--cache", str(cache), f"--days={value}"])
    assert code == 2
    _assert_clean(code, err)
    assert not any(cache.iterdir())  # nothing was built


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--bbox=1,2,3"], "bbox"),
        (["--bbox=0,-91,10,10"], "91"),
        (["--temporal=2024-13-01,"], "2024-13-01"),
        (["--limit=-5"], "limit"),
        (["--limit=abc"], "invalid int value"),
    ],
)
def test_search_cli_bad_values_name_the_option(
    demo_records: str, argv: list[str], expected: str
) -> None:
    code, err = _run_cli(["search", "--catalog", demo_records, *argv])
    _assert_clean(code, err)
    assert code == 2 and expected in err.strip().splitlines()[-1]
