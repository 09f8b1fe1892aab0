"""Territory model on synthetic events: control timelines, bounded inference, held areas, writers.

Region-level claims: ``test_territory_regions.py``; properties: ``test_territory_props.py``; the
demo, the seeds and the calibration: ``test_territory_demo.py``.
"""

from __future__ import annotations

import math
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import Point, box

from mapper import areas as A
from mapper import territory as T
from mapper.errors import DateWarning, DegreeAreaWarning, InputError, MapperWarning
from mapper.schema import AREA_COLUMNS, CONTROL_COLUMNS, EQUAL_AREA, WGS84

# ---------------------------------------------------------------------------------------------
# helpers: synthetic frames
# ---------------------------------------------------------------------------------------------

#: a synthetic country, 38-42E x 34-37N, and places inside it
COUNTRY = gpd.GeoDataFrame({"iso_a2": ["SY"]}, geometry=[box(38, 34, 42, 37)], crs=WGS84)
XY = {
    "p:a": (39.0, 35.5),
    "p:b": (40.0, 35.5),
    "p:c": (41.0, 35.5),
    "p:edge": (38.05, 36.9),
}
WIDE = {"backfill_days": None, "stale_days": None}  # the unbounded rules of old


def settlement_grid(step: float = 0.1) -> gpd.GeoDataFrame:
    lon, lat = np.meshgrid(np.arange(38.05, 42, step), np.arange(34.05, 37, step))
    n = lon.size
    return gpd.GeoDataFrame(
        {"place_id": [f"s:{i}" for i in range(n)], "name": "s", "country": "XX", "population": 0},
        geometry=gpd.points_from_xy(lon.ravel(), lat.ravel()), crs=WGS84,
    )


def ev(event_id, place_id, event_type, gainer, loser, date, precision="day", *, n_sources=1,
       confidence=0.8, flags="") -> dict:
    lon, lat = XY[place_id]
    return {
        "event_id": event_id, "place_id": place_id, "place": place_id, "lat": lat, "lon": lon,
        "event_type": event_type, "gainer": gainer, "loser": loser,
        "date": pd.Timestamp(date) if date else pd.NaT, "date_precision": precision,
        "confidence": confidence, "n_sources": n_sources, "flags": flags,
    }


def frame(*rows) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def intervals(control: pd.DataFrame, place_id: str) -> list[tuple]:
    sub = control[control["place_id"] == place_id]
    return [
        (h if isinstance(h, str) else None, s, f"{a:%Y-%m-%d}",
         None if pd.isna(b) else f"{b:%Y-%m-%d}")
        for h, s, a, b in zip(sub["holder"], sub["state"], sub["valid_from"], sub["valid_to"])
    ]


# ---------------------------------------------------------------------------------------------
# control timeline: the rules of a place's history
# ---------------------------------------------------------------------------------------------


def test_capture_gives_place_to_gainer_and_loser_held_it_before():
    control = T.control_timeline(frame(ev("e1", "p:a", "captured", "SDF", "IS", "2017-10-17")),
                                 start="2017-01-01", **WIDE)
    assert list(control.columns) == CONTROL_COLUMNS
    assert intervals(control, "p:a") == [
        ("IS", "held", "2017-01-01", "2017-10-17"),
        ("SDF", "held", "2017-10-17", None),
    ]
    assert control["basis"].tolist() == ["e1", "e1"]
    assert "inferred" in control["date_note"].iloc[0]


def test_a_claim_reaches_back_at_most_the_backfill_window():
    control = T.control_timeline(frame(ev("e1", "p:a", "captured", "SDF", "IS", "2017-10-17")),
                                 start="2014-01-01")
    assert T.BACKFILL_DAYS == 365
    assert intervals(control, "p:a")[:3] == [
        (None, "unreported", "2014-01-01", "2016-10-17"),
        ("IS", "held", "2016-10-17", "2017-10-17"),
        ("SDF", "held", "2017-10-17", "2018-10-17"),
    ]
    assert "back-fill window" in control["date_note"].iloc[1]


def test_loser_back_fill_stops_at_the_previous_event():
    control = T.control_timeline(frame(
        ev("e1", "p:a", "captured", "IS", None, "2015-03-01"),
        ev("e2", "p:a", "captured", "SDF", "IS", "2017-10-17"),
    ), start="2015-01-01", **WIDE)
    assert intervals(control, "p:a") == [
        (None, "unreported", "2015-01-01", "2015-03-01"),
        ("IS", "held", "2015-03-01", "2017-10-17"),
        ("SDF", "held", "2017-10-17", None),
    ]


def test_one_claim_decides_a_place_for_at_most_the_two_windows():
    # the misread "IS holds Kirkuk" of the issue: one report, nothing else about the place
    control = T.control_timeline(frame(ev("k1", "p:a", "held", "IS", None, "2017-10-05")),
                                 start="2014-01-01", end="2019-04-01")
    assert intervals(control, "p:a") == [
        (None, "unreported", "2014-01-01", "2016-10-05"),
        ("IS", "held", "2016-10-05", "2018-10-05"),
        ("IS", "stale", "2018-10-05", "2019-04-01"),
    ]
    held = control[control["state"] == "held"]
    days = (held["valid_to"] - held["valid_from"]).dt.days.sum()
    assert days <= T.BACKFILL_DAYS + T.STALE_DAYS
    assert "stale: no report confirms IS after 2017-10-05" in control["date_note"].iloc[2]


def test_two_reports_that_agree_confirm_the_holder_between_them():
    # "IS holds Mayadin" (2014) and "the army took Mayadin from IS" (2017): IS held it throughout
    control = T.control_timeline(frame(
        ev("h1", "p:a", "held", "IS", None, "2014-07-14"),
        ev("c1", "p:a", "captured", "Syrian government", "IS", "2017-10-14"),
    ), start="2014-07-01", end="2018-01-01")
    assert intervals(control, "p:a") == [
        (None, "unreported", "2014-07-01", "2014-07-01"),
        ("IS", "held", "2014-07-01", "2017-10-14"),
        ("Syrian government", "held", "2017-10-14", "2018-01-01"),
    ][1:]
    assert control["basis"].iloc[0].split(";") == ["h1", "c1"]


def test_a_holder_nobody_confirms_turns_stale_and_the_gap_is_noted():
    control = T.control_timeline(frame(
        ev("h1", "p:a", "held", "IS", None, "2015-01-01"),
        ev("c1", "p:a", "captured", "SDF", "Syrian government", "2017-06-01"),
    ), start="2015-01-01", end="2018-01-01")
    assert intervals(control, "p:a") == [
        ("IS", "held", "2015-01-01", "2016-01-01"),
        ("IS", "stale", "2016-01-01", "2017-06-01"),
        ("SDF", "held", "2017-06-01", "2018-01-01"),
    ]
    assert "not reported" in control["date_note"].iloc[0]


def test_a_re_assertion_keeps_a_hold_fresh():
    control = T.control_timeline(frame(
        ev("h1", "p:a", "held", "IS", None, "2015-01-01"),
        ev("h2", "p:a", "held", "IS", None, "2015-12-01"),
    ), start="2015-01-01", end="2017-06-01")
    assert intervals(control, "p:a") == [
        ("IS", "held", "2015-01-01", "2016-11-30"),
        ("IS", "stale", "2016-11-30", "2017-06-01"),
    ]


def test_entered_is_contested_until_a_capture_with_the_defender_as_holder():
    control = T.control_timeline(frame(
        ev("e1", "p:a", "entered", "Syrian government", "IS", "2017-11-08"),
        ev("e2", "p:a", "captured", "Syrian government", "IS", "2017-11-09"),
    ), start="2017-11-01", **WIDE)
    assert intervals(control, "p:a") == [
        ("IS", "held", "2017-11-01", "2017-11-08"),
        ("IS", "contested", "2017-11-08", "2017-11-09"),
        ("Syrian government", "held", "2017-11-09", None),
    ]


def test_a_fight_nobody_reports_the_end_of_goes_stale():
    # the Fallujah: entered in June 2016, its capture missed
    control = T.control_timeline(frame(
        ev("e1", "p:a", "entered", "Iraqi government", "IS", "2016-06-17"),
    ), start="2016-06-01", end="2019-03-01")
    states = [i[:2] for i in intervals(control, "p:a")]
    assert states == [("IS", "held"), ("IS", "contested"), ("IS", "stale")]
    assert intervals(control, "p:a")[2][2] == "2017-06-17"


def test_entered_and_captured_on_one_day_is_a_capture():
    control = T.control_timeline(frame(
        ev("e2", "p:a", "captured", "Iraqi government", "IS", "2017-11-03"),
        ev("e1", "p:a", "entered", "Iraqi government", "IS", "2017-11-03"),
    ), start="2017-11-01", **WIDE)
    assert intervals(control, "p:a") == [
        ("IS", "held", "2017-11-01", "2017-11-03"),
        ("Iraqi government", "held", "2017-11-03", None),
    ]


def test_withdrew_leaves_the_taker_unknown_until_a_later_event_says():
    control = T.control_timeline(frame(
        ev("e1", "p:a", "withdrew", None, "IS", "2016-03-13"),
        ev("e2", "p:a", "held", "Iraqi government", None, "2016-05-01"),
    ), start="2016-01-01", **WIDE)
    assert intervals(control, "p:a") == [
        ("IS", "held", "2016-01-01", "2016-03-13"),
        ("Iraqi government", "held", "2016-03-13", None),
    ]
    assert "inferred" in control["date_note"].iloc[1]
    assert control["basis"].iloc[1].split(";") == ["e1", "e2"]


def test_an_unknown_taker_is_a_control_point_without_holder():
    control = T.control_timeline(frame(ev("e1", "p:a", "withdrew", None, "IS", "2016-03-13")),
                                 start="2016-01-01", end="2016-06-01")
    assert intervals(control, "p:a") == [
        ("IS", "held", "2016-01-01", "2016-03-13"),
        (None, "unknown", "2016-03-13", "2016-06-01"),
    ]


def test_month_and_year_dates_are_placed_mid_period_and_say_so():
    control = T.control_timeline(frame(
        ev("e1", "p:a", "captured", "IS", None, "2014-01-01", "year"),
        ev("e2", "p:a", "captured", None, "IS", "2017-10-01", "month"),
    ), **WIDE)
    assert intervals(control, "p:a") == [
        (None, "unreported", "2014-01-01", "2014-07-02"),
        ("IS", "held", "2014-07-02", "2017-10-16"),
        (None, "unknown", "2017-10-16", None),
    ]
    notes = control["date_note"].tolist()
    assert "mid-year on 2014-07-02" in notes[1]
    assert "mid-month on 2017-10-16" in notes[2]


def test_coarse_report_of_the_same_change_merges_into_the_finer_one():
    control = T.control_timeline(frame(
        ev("m1", "p:a", "captured", None, "IS", "2017-10-01", "month", n_sources=3),
        ev("d1", "p:a", "captured", "SDF", "IS", "2017-10-17", "day"),
        ev("w1", "p:a", "captured", "SDF", None, "2017-10-19", "week"),
    ), start="2017-01-01", **WIDE)
    assert intervals(control, "p:a") == [
        ("IS", "held", "2017-01-01", "2017-10-17"),
        ("SDF", "held", "2017-10-17", None),
    ]
    assert set(control["basis"].iloc[1].split(";")) == {"m1", "d1", "w1"}
    assert "merged" in control["date_note"].iloc[1]


def test_coarse_capture_is_kept_in_order_with_a_finer_recapture():
    # "IS took it in 2014" and "the army took it back from IS on 2014-03-01": both can hold
    control = T.control_timeline(frame(
        ev("y1", "p:a", "captured", "IS", None, "2014-01-01", "year"),
        ev("d1", "p:a", "captured", "Syrian government", "IS", "2014-03-01"),
    ), **WIDE)
    assert intervals(control, "p:a") == [
        (None, "unreported", "2014-01-01", "2014-02-28"),
        ("IS", "held", "2014-02-28", "2014-03-01"),
        ("Syrian government", "held", "2014-03-01", None),
    ]


# ---------------------------------------------------------------------------------------------
# contradictions: body over headline, specific over generic, more sources, ...
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "winner", "reason"),
    [
        ({"flags": "headline"}, {"n_sources": 1}, "Syrian government", "body over headline"),
        ({"n_sources": 1}, {"flags": "caption;loser_inferred", "n_sources": 4}, "SDF",
         "body over headline"),
        ({"n_sources": 3}, {"n_sources": 1}, "SDF", "more sources"),
        ({"precision": "day"}, {"precision": "week"}, "SDF", "finer date"),
        ({"confidence": 0.9}, {"confidence": 0.4}, "SDF", "confidence"),
        ({"confidence": 0.4}, {"confidence": 0.9}, "Syrian government", "confidence"),
    ],
)
def test_two_holders_at_one_time_resolved_recorded_and_reported(a, b, winner, reason):
    rows = frame(
        ev("x1", "p:a", "captured", "SDF", "IS", "2017-10-17", a.get("precision", "day"),
           n_sources=a.get("n_sources", 1), confidence=a.get("confidence", 0.8),
           flags=a.get("flags", "")),
        ev("x2", "p:a", "captured", "Syrian government", "IS", "2017-10-17",
           b.get("precision", "day"), n_sources=b.get("n_sources", 1),
           confidence=b.get("confidence", 0.8), flags=b.get("flags", "")),
    )
    with pytest.warns(T.ControlConflictWarning, match=reason):
        control = T.control_timeline(rows, start="2017-01-01")
    last = control[control["valid_from"] == pd.Timestamp("2017-10-17")].iloc[0]
    assert last["holder"] == winner
    (conflict,) = control.attrs["conflicts"]
    assert conflict["resolved_by"] == reason
    assert conflict["kept_holder"] == winner
    kept, dropped = ("x1", "x2") if winner == "SDF" else ("x2", "x1")
    assert f"kept {kept} over {dropped} ({reason})" in last["basis"].split(";")
    assert T.basis_events(last["basis"]) == [kept]
    assert issubclass(T.ControlConflictWarning, MapperWarning)


def test_a_specific_actor_wins_over_the_generic_one_and_both_count():
    # the demo's Dabiq: "Syrian rebels took Dabiq" (headline) and "Turkish-backed rebels took it"
    control = T.control_timeline(frame(
        ev("g1", "p:a", "captured", "Syrian rebels", "IS", "2016-10-16", confidence=0.9),
        ev("s1", "p:a", "captured", "Turkish-backed rebels", "IS", "2016-10-16", confidence=0.7),
    ), start="2016-01-01", end="2017-01-01")
    row = control[control["valid_from"] == pd.Timestamp("2016-10-16")].iloc[0]
    assert row["holder"] == "Turkish-backed rebels"
    assert set(T.basis_events(row["basis"])) == {"g1", "s1"}
    assert any("over generic" in b for b in row["basis"].split(";"))
    assert control.attrs["conflicts"] == []  # one change, named twice


def test_specific_over_generic_when_they_truly_disagree():
    rows = frame(
        ev("g1", "p:a", "captured", "other", "IS", "2016-10-16", n_sources=3),
        ev("s1", "p:a", "captured", "Kurdish forces", "Syrian government", "2016-10-16"),
    )
    with pytest.warns(T.ControlConflictWarning, match="specific actor over generic"):
        control = T.control_timeline(rows, start="2016-01-01")
    assert control[control["valid_from"] == pd.Timestamp("2016-10-16")]["holder"].iloc[0] == "Kurdish forces"


def test_a_capture_from_is_and_an_is_hold_on_one_day_contradict():
    rows = frame(
        ev("x1", "p:a", "captured", None, "IS", "2017-10-17", n_sources=2),
        ev("x2", "p:a", "held", "IS", None, "2017-10-17"),
    )
    with pytest.warns(T.ControlConflictWarning, match="more sources"):
        control = T.control_timeline(rows, start="2017-01-01", **WIDE)
    assert intervals(control, "p:a") == [
        ("IS", "held", "2017-01-01", "2017-10-17"),
        (None, "unknown", "2017-10-17", None),
    ]


# ---------------------------------------------------------------------------------------------
# undated events, windows, validation
# ---------------------------------------------------------------------------------------------


def test_undated_events_are_left_out_listed_and_returned():
    rows = frame(
        ev("e1", "p:a", "captured", "SDF", "IS", "2017-10-17"),
        ev("e2", "p:a", "captured", "IS", "SDF", None, "unknown"),
        ev("e3", "p:b", "held", "IS", None, "2017-01-01", "unknown"),
    )
    with pytest.warns(DateWarning, match="e2"):
        control = T.control_timeline(rows, start="2017-01-01")
    assert control.attrs["undated"] == ["e2", "e3"]
    assert set(control.attrs["ignored"]) >= {"e2", "e3"}
    assert "e2" not in ";".join(control["basis"])
    assert T.undated_events(rows)["event_id"].tolist() == ["e2", "e3"]


def test_intervals_tile_the_window_and_events_before_it_set_the_start():
    rows = frame(
        ev("e1", "p:a", "captured", "IS", "Iraqi government", "2014-06-10"),
        ev("e2", "p:a", "captured", "Iraqi government", "IS", "2017-07-09"),
        ev("e3", "p:b", "held", "IS", None, "2017-11-04"),
    )
    control = T.control_timeline(rows, start="2016-01-01", end="2018-01-01", **WIDE)
    assert intervals(control, "p:a") == [
        ("IS", "held", "2016-01-01", "2017-07-09"),
        ("Iraqi government", "held", "2017-07-09", "2018-01-01"),
    ]
    assert intervals(control, "p:b") == [("IS", "held", "2016-01-01", "2018-01-01")]
    bounded = T.control_timeline(rows, start="2016-01-01", end="2018-01-01")
    for c in (control, bounded):
        for _, sub in c.groupby("place_id"):
            assert sub["valid_from"].iloc[0] == pd.Timestamp("2016-01-01")
            assert sub["valid_to"].iloc[-1] == pd.Timestamp("2018-01-01")
            assert (sub["valid_from"].iloc[1:].to_numpy() == sub["valid_to"].iloc[:-1].to_numpy()).all()
        assert set(c["state"]) <= set(T.CONTROL_STATES)


def test_control_timeline_leaves_its_input_alone_and_ignores_row_order():
    rows = frame(
        ev("e1", "p:a", "captured", "SDF", "IS", "2017-10-17"),
        ev("e2", "p:a", "entered", "SDF", "IS", "2017-06-06"),
        ev("e3", "p:b", "captured", "Syrian government", "IS", "2017-10-01", "month"),
    )
    before = rows.copy()
    a = T.control_timeline(rows)
    pd.testing.assert_frame_equal(rows, before)
    b = T.control_timeline(rows.iloc[::-1].reset_index(drop=True))
    pd.testing.assert_frame_equal(a, b)


def test_bad_events_raise_one_error_naming_every_problem():
    rows = frame(ev("e1", "p:a", "captured", "SDF", "IS", "2017-10-17"))
    with pytest.raises(InputError, match=r"missing column\(s\) \['gainer'\]"):
        T.control_timeline(rows.drop(columns="gainer"))
    bad = rows.assign(event_type="seized", date_precision="decade", lat=95.0)
    with pytest.raises(InputError) as err:
        T.control_timeline(bad)
    msg = str(err.value)
    assert "seized" in msg and "decade" in msg and "(lat, lon) order" in msg
    assert isinstance(err.value, ValueError)
    with pytest.raises(InputError, match="stale_days=-1"):
        T.control_timeline(rows, stale_days=-1)


# ---------------------------------------------------------------------------------------------
# snapshot dates
# ---------------------------------------------------------------------------------------------


def test_snapshot_dates_week_by_default_month_event_and_list():
    rows = frame(
        ev("e1", "p:a", "captured", "SDF", "IS", "2017-10-17"),
        ev("e2", "p:b", "captured", None, "IS", "2017-07-01", "month"),
        ev("e3", "p:b", "captured", None, "IS", None, "unknown"),
    )
    assert [f"{d:%m-%d}" for d in T.snapshot_dates(rows, every="event")] == ["07-16", "10-17"]
    weeks = T.snapshot_dates(rows)
    assert weeks[0] == pd.Timestamp("2017-07-16")
    assert (np.diff(weeks.to_numpy()) == np.timedelta64(7, "D")).all()
    assert weeks[-1] >= pd.Timestamp("2017-10-17") > weeks[-2]  # the last event is shown
    weeks = T.snapshot_dates(rows, every="week", start="2017-10-01", end="2017-11-12")
    assert [f"{d:%m-%d}" for d in weeks] == ["10-01", "10-08", "10-15", "10-22", "10-29",
                                             "11-05", "11-12"]
    months = T.snapshot_dates(rows, every="month")
    assert [f"{d:%m-%d}" for d in months] == ["07-01", "08-01", "09-01", "10-01", "11-01"]
    assert list(T.snapshot_dates(rows, every=["2017-02-01", "2017-01-01", "2017-01-01"])) == [
        pd.Timestamp("2017-01-01"), pd.Timestamp("2017-02-01")]
    with pytest.raises(InputError, match="'fortnight'"):
        T.snapshot_dates(rows, every="fortnight")


# ---------------------------------------------------------------------------------------------
# held areas: settlements take the nearest point's state; areas are their cells
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def grid() -> gpd.GeoDataFrame:
    return settlement_grid()


def two_sides(date="2017-01-01") -> pd.DataFrame:
    return T.control_timeline(frame(
        ev("e1", "p:a", "held", "IS", None, date),
        ev("e2", "p:b", "held", "SDF", None, date),
    ), start=date)


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    return Geod(ellps="WGS84").inv(a[0], a[1], b[0], b[1])[2] / 1000


def test_frontline_falls_between_the_settlements_midway(grid):
    areas = T.held_areas(two_sides(), grid, ["2017-01-02"], radius_km=200, countries=COUNTRY)
    assert list(areas.columns) == AREA_COLUMNS
    assert areas.crs == WGS84
    by = areas.set_index("actor")
    # the settlements at 39.45E go to IS (39E), those at 39.55E to the SDF (40E): the cells
    # meet on the meridian halfway
    assert by.loc["IS", "geometry"].bounds[2] == pytest.approx(39.5, abs=0.01)
    assert by.loc["SDF", "geometry"].bounds[0] == pytest.approx(39.5, abs=0.01)
    assert by.loc["IS", "n_places"] > 0 and by.loc["SDF", "n_events"] == 1
    assert areas.attrs["radius_km"] == 200 and areas.attrs["cell_km"] == A.DEFAULT_CELL_KM


def test_only_settlements_within_reach_take_a_point_s_state(grid):
    control = T.control_timeline(frame(ev("e1", "p:b", "held", "IS", None, "2017-01-01")))
    areas = T.held_areas(control, grid, ["2017-01-01"], radius_km=30, cell_km=5, countries=COUNTRY)
    (geom,) = areas.geometry
    pts = grid.geometry
    inside = pts[pts.within(geom)]
    dist = np.array([km(XY["p:b"], (p.x, p.y)) for p in inside])
    assert len(inside) == areas["n_places"].iloc[0] and (dist <= 30).all()
    near = [p for p in pts if km(XY["p:b"], (p.x, p.y)) <= 30]
    assert len(near) == len(inside)
    # the area is the settlements' cells: more than the settlements' disc, less than reach + cell
    assert math.pi * 25**2 < areas["area_km2"].iloc[0] < math.pi * 36**2


def test_a_corridor_between_two_points_of_one_holder_fills_in(grid):
    control = T.control_timeline(frame(
        ev("e1", "p:a", "held", "IS", None, "2017-01-01"),
        ev("e2", "p:b", "held", "IS", None, "2017-01-01"),
    ))
    mid = Point(39.5, 35.5)  # 45 km from both
    wide = T.held_areas(control, grid, ["2017-01-01"], radius_km=50, countries=COUNTRY)
    assert wide.geometry.iloc[0].geom_type == "Polygon" and wide.geometry.iloc[0].contains(mid)
    short = T.held_areas(control, grid, ["2017-01-01"], radius_km=35, cell_km=5, countries=COUNTRY)
    assert short.geometry.iloc[0].geom_type == "MultiPolygon"
    assert not short.geometry.iloc[0].contains(mid)


def test_a_lone_settlement_speaks_for_about_cell_km_around_it():
    lone = settlement_grid().iloc[:1]  # one settlement at 38.05E 34.05N
    control = T.control_timeline(frame(ev("e1", "p:c", "held", "IS", None, "2017-01-01")))
    far = T.held_areas(control, lone, ["2017-01-01"], radius_km=30, cell_km=10, countries=COUNTRY)
    # only the control point's own cell: it is a settlement too; the settlement is out of reach
    assert far["n_places"].iloc[0] == 0
    assert math.pi * 10**2 * 0.8 < far["area_km2"].iloc[0] < math.pi * 14**2


def test_cells_are_clipped_to_the_countries(grid):
    control = T.control_timeline(frame(ev("e1", "p:edge", "held", "IS", None, "2017-01-01")))
    areas = T.held_areas(control, grid, ["2017-01-01"], radius_km=30, countries=COUNTRY)
    assert COUNTRY.geometry.iloc[0].buffer(1e-5).contains(areas.geometry.iloc[0])
    assert areas["area_km2"].iloc[0] < 0.5 * math.pi * 45**2


def test_neighbouring_countries_are_left_out(grid):
    # a neighbour "YY" east of the study country: control at p:c does not spread into it
    both = pd.concat([COUNTRY.assign(iso_a2="SY"),
                      gpd.GeoDataFrame({"iso_a2": ["YY"]}, geometry=[box(42, 34, 44, 37)],
                                       crs=WGS84)], ignore_index=True)
    control = T.control_timeline(frame(ev("e1", "p:c", "held", "IS", None, "2017-01-01")))
    study = T.held_areas(control, grid, ["2017-01-01"], radius_km=120, countries=both)
    assert study.geometry.iloc[0].bounds[2] == pytest.approx(42.0, abs=1e-4)
    every = T.held_areas(control, grid, ["2017-01-01"], radius_km=120, countries=both,
                         country_codes=None)
    assert every["area_km2"].iloc[0] > study["area_km2"].iloc[0]
    with pytest.raises(InputError, match="country_codes"):
        T.held_areas(control, grid, ["2017-01-01"], countries=both, country_codes=["IQ"])


def test_contested_and_stale_cells_are_rows_of_their_own(grid):
    control = T.control_timeline(frame(
        ev("e1", "p:a", "held", "IS", None, "2017-01-01"),
        ev("e2", "p:b", "entered", "Syrian government", "IS", "2017-02-01"),
    ), start="2017-01-01")
    areas = T.held_areas(control, grid, ["2017-01-15", "2017-02-15", "2018-03-01"], radius_km=40,
                         countries=COUNTRY)
    got = sorted(zip(areas["date"].dt.strftime("%Y-%m-%d"), areas["actor"], areas["state"]))
    assert got == [("2017-01-15", "IS", "held"), ("2017-02-15", "IS", "contested"),
                   ("2017-02-15", "IS", "held"), ("2018-03-01", "IS", "stale")]
    cmp = T.compare_areas(areas, pd.DataFrame({"date": ["2017-02-15"], "area_km2": [1.0]}))
    both = areas[areas["date"] == pd.Timestamp("2017-02-15")]["area_km2"].sum()
    assert cmp["estimated_km2"].iloc[0] == pytest.approx(both)  # held + contested count


def test_unknown_cells_only_on_request(grid):
    control = T.control_timeline(frame(ev("e1", "p:a", "withdrew", None, "IS", "2017-02-01")),
                                 start="2017-01-01")
    assert T.held_areas(control, grid, ["2017-03-01"], radius_km=40, countries=COUNTRY).empty
    areas = T.held_areas(control, grid, ["2017-03-01"], radius_km=40, countries=COUNTRY,
                         include_unknown=True)
    assert areas[["actor", "state"]].values.tolist() == [["unknown", "unknown"]]


def test_an_unreported_place_is_no_control_point(grid):
    # p:b is first reported (and back-filled) only in 2018: in 2017 IS at p:a spreads past it
    control = T.control_timeline(frame(
        ev("e1", "p:a", "held", "IS", None, "2017-01-01"),
        ev("e2", "p:b", "captured", "SDF", "Syrian government", "2018-06-01"),
    ), start="2017-01-01", backfill_days=30)
    areas = T.held_areas(control, grid, ["2017-06-01", "2018-06-02"], radius_km=110, countries=COUNTRY)
    is_2017 = areas[(areas["date"] == pd.Timestamp("2017-06-01")) & (areas["actor"] == "IS")]
    assert is_2017.geometry.iloc[0].contains(Point(*XY["p:b"]))
    is_2018 = areas[(areas["date"] == pd.Timestamp("2018-06-02")) & (areas["actor"] == "IS")]
    assert not is_2018.geometry.iloc[0].contains(Point(*XY["p:b"]))


def test_places_at_one_location_take_the_latest_change(grid):
    rows = frame(
        ev("e1", "p:a", "held", "IS", None, "2017-01-01"),
        {**ev("e2", "p:a", "captured", "SDF", "IS", "2017-03-01"), "place_id": "p:a2"},
    )
    control = T.control_timeline(rows, start="2017-01-01")
    areas = T.held_areas(control, grid, ["2017-02-01", "2017-04-01"], radius_km=40,
                         countries=COUNTRY)
    assert areas[["actor"]].values.ravel().tolist() == ["IS", "SDF"]


def test_cells_merge_edge_by_edge_like_a_plain_union():
    rng = np.random.default_rng(5)
    lon = rng.uniform(38.2, 41.8, 400)
    lat = rng.uniform(34.2, 36.8, 400)
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=WGS84).to_crs(EQUAL_AREA)
    xy = shapely.get_coordinates(pts.geometry.values)
    land = COUNTRY.to_crs(EQUAL_AREA).geometry.iloc[0]
    cells = A._Cells(xy, xy[:3], land, 60_000, 15_000)
    pick = np.arange(0, cells.n_real, 2)
    merged, km2, n, _ = cells.union([pick[:50], pick[50:]])
    plain = shapely.union_all(cells.cells[pick])
    assert n == int(cells.is_settlement[pick].sum())
    assert shapely.is_valid(merged)
    assert km2 == pytest.approx(plain.area / 1e6, rel=1e-6)
    assert shapely.area(shapely.symmetric_difference(merged, plain)) < 1e-6 * plain.area


def test_no_events_give_empty_tables_with_the_schema(grid):
    control = T.control_timeline(pd.DataFrame(columns=T._REQUIRED_EVENT_COLUMNS))
    assert control.empty and list(control.columns) == CONTROL_COLUMNS
    areas = T.held_areas(control, grid, ["2017-01-01"], countries=COUNTRY)
    assert areas.empty and list(areas.columns) == AREA_COLUMNS and areas.crs == WGS84


def test_a_gazetteer_gives_its_settlements_and_countries(grid):
    class FakeGazetteer:
        countries = COUNTRY

        def settlements(self):
            return grid

    areas = T.held_areas(two_sides(), FakeGazetteer(), ["2017-01-02"], radius_km=40)
    ref = T.held_areas(two_sides(), grid, ["2017-01-02"], radius_km=40, countries=COUNTRY)
    np.testing.assert_allclose(areas["area_km2"], ref["area_km2"])


def test_held_areas_leaves_inputs_alone(grid):
    control = two_sides()
    c0, g0, k0 = control.copy(), grid.copy(), COUNTRY.copy()
    T.held_areas(control, grid, ["2017-01-02"], radius_km=40, countries=COUNTRY)
    pd.testing.assert_frame_equal(control, c0)
    pd.testing.assert_frame_equal(grid, g0)
    pd.testing.assert_frame_equal(COUNTRY, k0)


def test_held_areas_refuses_bad_inputs(grid):
    with pytest.raises(InputError, match="radius_km=-5"):
        T.held_areas(two_sides(), grid, ["2017-01-02"], radius_km=-5, countries=COUNTRY)
    with pytest.raises(InputError, match="cell_km=0"):
        T.held_areas(two_sides(), grid, ["2017-01-02"], cell_km=0, countries=COUNTRY)
    with pytest.raises(InputError, match="set_crs"):
        T.held_areas(two_sides(), grid.set_crs(None, allow_override=True), ["2017-01-02"],
                     countries=COUNTRY)
    with pytest.raises(InputError, match="control_timeline"):
        T.held_areas(two_sides().drop(columns="holder"), grid, ["2017-01-02"],
                     countries=COUNTRY)


def test_areas_in_degrees_are_refused_with_a_warning(grid):
    with pytest.warns(DegreeAreaWarning, match="geographic"):
        areas = T.held_areas(two_sides(), grid, ["2017-01-02"], radius_km=40,
                             countries=COUNTRY, area_crs=WGS84)
    ref = T.held_areas(two_sides(), grid, ["2017-01-02"], radius_km=40, countries=COUNTRY)
    np.testing.assert_allclose(areas["area_km2"], ref["area_km2"])
    assert areas["area_km2"].sum() > 1000  # km², not square degrees


def geodesic_km2(geom) -> float:
    return abs(Geod(ellps="WGS84").geometry_area_perimeter(geom)[0]) / 1e6


def test_area_agrees_with_the_geodesic_area(grid):
    areas = T.held_areas(two_sides(), grid, ["2017-01-02"], radius_km=120, countries=COUNTRY)
    for geom, km2 in zip(areas.geometry, areas["area_km2"]):
        assert km2 == pytest.approx(geodesic_km2(geom), rel=0.005)


# ---------------------------------------------------------------------------------------------
# published figures, comparison, writers
# ---------------------------------------------------------------------------------------------


def test_packaged_reference_holds_the_ihs_figures():
    ref = T.read_reference()
    assert ref["area_km2"].tolist() == [90800, 78000, 68300, 65500, 60400, 36200]
    assert ref["date"].dt.strftime("%Y-%m-%d").tolist()[2:] == [
        "2016-07-04", "2016-10-03", "2016-12-31", "2017-06-26"]
    assert ref["source"].str.contains("IHS Conflict Monitor").all()


def test_compare_areas_sets_estimates_beside_published_figures():
    areas = pd.DataFrame({
        "date": pd.to_datetime(["2016-07-01", "2016-07-01", "2016-10-01", "2016-10-01"]),
        "actor": ["IS", "SDF", "IS", "IS"], "state": ["held", "held", "held", "stale"],
        "area_km2": [34150.0, 1.0, 65500.0, 999.0],
    })
    ref = pd.DataFrame({"date": ["2016-06-01", "2016-07-04", "2016-10-03"],
                        "area_km2": [1.0, 68300, 65500], "source": "x"})
    cmp = T.compare_areas(areas, ref)
    assert cmp["snapshot"].isna().tolist() == [True, False, False]
    assert cmp["ratio"].iloc[1:].tolist() == pytest.approx([0.5, 1.0])  # stale not counted
    assert T.compare_areas(areas, ref, states=["held", "stale"])["ratio"].iloc[2] > 1.0
    with pytest.raises(InputError, match="area_km2"):
        T.compare_areas(areas, ref.assign(area_km2=-1))


def test_write_areas_round_trips_and_leaves_no_temporary_files(tmp_path, grid):
    areas = T.held_areas(two_sides(), grid, ["2017-01-02", "2017-01-09"], radius_km=40,
                         countries=COUNTRY)
    gpkg, csv = tmp_path / "out" / "territory.gpkg", tmp_path / "out" / "areas.csv"
    T.write_areas(areas, gpkg, csv)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["areas.csv", "territory.gpkg"]
    import pyogrio

    assert [name for name, _ in pyogrio.list_layers(gpkg)] == ["territory"]
    back = gpd.read_file(gpkg)
    assert back.crs == WGS84 and len(back) == len(areas)
    assert back["area_km2"].tolist() == pytest.approx(areas["area_km2"].tolist())
    assert shapely.equals_exact(back.geometry.values, areas.geometry.values, tolerance=1e-9).all()
    table = pd.read_csv(csv)
    assert list(table.columns) == [c for c in AREA_COLUMNS if c != "geometry"]
    assert table["date"].tolist() == ["2017-01-02", "2017-01-02", "2017-01-09", "2017-01-09"]


def test_write_areas_names_an_unwritable_path(tmp_path, grid):
    areas = T.held_areas(two_sides(), grid, ["2017-01-02"], radius_km=40, countries=COUNTRY)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OSError, match="writable"):
        T.write_areas(areas, None, blocker / "areas.csv")


def test_equal_area_crs_is_the_shared_one():
    assert T.held_areas.__kwdefaults__["area_crs"] == EQUAL_AREA


def test_warnings_of_the_model_are_mapper_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        T.control_timeline(frame(ev("e1", "p:a", "held", "IS", None, "2017-01-01")))
