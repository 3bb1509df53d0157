"""Selection: validation, dict and query-string round trips, robustness to garbage."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.strategies import any_selections
from vstore_explorer.selection import Selection

HOSTILE = ('a"); import os; ("', "sst\n# x", "a&var=b", "x y+z%20", "é/ü,#?=")


def test_defaults_and_normalisation() -> None:
    sel = Selection(variables="sst", time=["2024-01-01", None], bbox=[-10, 30, 20, 50])
    assert sel.variables == ("sst",)
    assert sel.time == ("2024-01-01", None)
    assert sel.bbox == (-10.0, 30.0, 20.0, 50.0) and all(isinstance(v, float) for v in sel.bbox)
    assert (sel.point, sel.level, sel.reduction, sel.stride) == (None, None, "none", 1)
    assert Selection(time=(None, None)).time is None
    assert hash(sel) == hash(Selection.from_dict(sel.to_dict()))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"bbox": (0, -91, 10, 10)}, r"latitude -91.0 is outside \[-90, 90\]"),
        ({"bbox": (0, 10, 10, 10)}, "south .* must be less than north"),
        ({"bbox": (-181, 0, 10, 10)}, r"longitude -181.0 is outside \[-180, 360\]"),
        ({"bbox": (-180, 0, 300, 10)}, "span 480.0 degrees"),
        ({"bbox": (10, 0, 10, 10)}, "non-zero width"),
        ({"bbox": (180, 0, -180, 10)}, "span 0.0 degrees"),
        ({"bbox": (0, 0, 10)}, r"bbox must be \(west, south, east, north\)"),
        ({"bbox": (0, float("nan"), 10, 10)}, "finite"),
        ({"bbox": (0, True, 10, 10)}, "must hold numbers"),
        ({"point": (0, 95)}, "latitude 95.0"),
        ({"point": (0, 0), "bbox": (0, 0, 1, 1)}, "either point or bbox"),
        ({"point": (0, 0), "reduction": "area_mean"}, "needs an area"),
        ({"point": (0, 0), "reduction": "zonal_mean"}, "needs an area"),
        ({"time": ("2024-1-1", None)}, "ISO 8601"),
        ({"time": ("2024-13", None)}, "month 13 out of range"),
        ({"time": ("2024-02-01", "2024-01-31")}, "is after end"),
        ({"time": ("2024-02", "2024-01")}, "is after end"),
        ({"time": ("2024-01-01T00:00:00.5", None)}, "ISO 8601"),
        ({"time": "2024"}, "time must be"),
        ({"stride": 0}, "stride must be an integer >= 1"),
        ({"stride": True}, "stride"),
        ({"stride": 2.0}, "stride"),
        ({"reduction": "max"}, "reduction must be one of none, area_mean"),
        ({"variables": ("a", "a")}, "duplicate"),
        ({"variables": ("",)}, "non-empty"),
        ({"variables": ("\ud800",)}, "non-empty names"),
        ({"level": float("inf")}, "finite"),
    ],
)
def test_validation_errors(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Selection(**kwargs)


def test_valid_edge_cases() -> None:
    assert Selection(bbox=(170, -10, -170, 10)).bbox == (170.0, -10.0, -170.0, 10.0)
    assert Selection(bbox=(350, -10, 10, 10)).bbox is not None  # 0/360 seam
    assert Selection(bbox=(-180, -90, 180, 90)).bbox is not None  # whole globe
    assert Selection(time=("2024-01-15", "2024-01")).time == ("2024-01-15", "2024-01")
    assert Selection(time=("2001-02-30", None)).time is not None  # valid in 360_day calendars
    assert Selection(time=("2024-01-01 06:00", None)).time is not None
    assert Selection(point=(359.5, -90), reduction="time_mean").point == (359.5, -90.0)


def test_replace_validates() -> None:
    sel = Selection(variables=("sst",))
    assert sel.replace(stride=3).stride == 3 and sel.stride == 1
    with pytest.raises(ValueError, match="stride"):
        sel.replace(stride=0)


def test_dict_is_json_and_round_trips() -> None:
    sel = Selection(("a", "b"), ("2024-01", None), (170, -5, -170, 5), None, 2.5, "area_mean", 2)
    data = json.loads(json.dumps(sel.to_dict()))
    assert data == {
        "variables": ["a", "b"],
        "time": ["2024-01", None],
        "bbox": [170.0, -5.0, -170.0, 5.0],
        "point": None,
        "level": 2.5,
        "reduction": "area_mean",
        "stride": 2,
        "invalid": "mask",
        "flags": "mask",
    }
    assert Selection.from_dict(data) == sel
    assert Selection.from_dict({}) == Selection()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"bogus": 1}, "unknown keys"),
        ({"stride": "2"}, "stride"),
        ({"variables": [1]}, "non-empty names"),
        ({"variables": {"a": 1}}, "tuple of names"),
        ({"time": [1, 2]}, "ISO date strings"),
        ({"bbox": "0,0,1,1"}, "bbox must be"),
        ({"level": 10**400}, "too large"),
        ([("stride", 1)], "needs a dict"),
        (None, "needs a dict"),
    ],
)
def test_from_dict_errors(data: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Selection.from_dict(data)


def test_query_string_form() -> None:
    sel = Selection(
        variables=("analysed_sst",),
        time=("2024-01-01", "2024-02-01"),
        bbox=(-10, 30, 20, 50),
        reduction="area_mean",
    )
    query = (
        "var=analysed_sst&time=2024-01-01/2024-02-01&bbox=-10.0,30.0,20.0,50.0&reduction=area_mean"
    )
    assert sel.to_query() == query
    short = "?var=analysed_sst&time=2024-01-01/2024-02-01&bbox=-10,30,20,50&reduction=area_mean"
    assert Selection.from_query(short) == sel
    assert Selection().to_query() == "" and Selection.from_query("") == Selection()
    open_end = Selection(variables=("a", "b"), time=(None, "2024"), point=(1.5, -2), stride=3)
    assert open_end.to_query() == "var=a&var=b&time=/2024&point=1.5,-2.0&stride=3"
    assert Selection.from_query(open_end.to_query()) == open_end


@pytest.mark.parametrize("name", HOSTILE)
def test_query_and_dict_round_trip_hostile_names(name: str) -> None:
    sel = Selection(variables=(name, "other"), level=850)
    assert Selection.from_query(sel.to_query()) == sel
    assert Selection.from_dict(json.loads(json.dumps(sel.to_dict()))) == sel


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("colour=red", "unknown key 'colour'"),
        ("stride=2&stride=3", "repeated"),
        ("stride=-1", "stride"),
        ("stride=1.5", "stride"),
        ("bbox=1,2,3", "west,south,east,north"),
        ("bbox=1,2,3,nan", "west,south,east,north"),
        ("bbox=0,0,1e999,1", "finite"),
        ("point=1_000,2", "lon,lat"),
        ("time=2024-01-01", "START/END"),
        ("time=2024/2023", "is after end"),
        ("reduction=sum", "reduction must be one of"),
        ("level=", "a number"),
    ],
)
def test_from_query_errors(query: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Selection.from_query(query)


@settings(max_examples=300, deadline=None)
@given(any_selections())
def test_round_trips(sel: Selection) -> None:
    assert Selection.from_dict(json.loads(json.dumps(sel.to_dict()))) == sel
    assert Selection.from_query(sel.to_query()) == sel


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["none", "area_mean", "2024-01-01", "2024-02"]),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(), children),
    max_leaves=12,
)
_KEYS = st.sampled_from(
    ["variables", "time", "bbox", "point", "level", "reduction", "stride", "other"]
)


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(_KEYS, _JSON) | _JSON)
def test_from_dict_garbage_raises_only_value_error(data: Any) -> None:
    try:
        sel = Selection.from_dict(data)
    except ValueError:
        return
    assert Selection.from_dict(sel.to_dict()) == sel


_QUERY_PART = st.tuples(
    st.sampled_from(["var", "time", "bbox", "point", "level", "reduction", "stride", "x", ""]),
    st.text(max_size=15)
    | st.lists(st.floats(allow_nan=True) | st.integers(), max_size=5).map(
        lambda xs: ",".join(str(x) for x in xs)
    ),
).map(lambda kv: f"{kv[0]}={kv[1]}")


@settings(max_examples=500, deadline=None)
@given(st.text() | st.lists(_QUERY_PART, max_size=6).map("&".join) | st.binary())
def test_from_query_garbage_raises_only_value_error(query: Any) -> None:
    try:
        sel = Selection.from_query(query)
    except ValueError:
        return
    assert Selection.from_query(sel.to_query()) == sel
