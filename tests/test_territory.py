"""Territory model: control timelines, held-area polygons, calibration and writers."""

from __future__ import annotations

import math
import re
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import Point, box

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


def settlement_grid(step: float = 0.1) -> gpd.GeoDataFrame:
    lon, lat = np.meshgrid(np.arange(38.05, 42, step), np.arange(34.05, 37, step))
    n = lon.size
    return gpd.GeoDataFrame(
        {"place_id": [f"s:{i}" for i in range(n)], "name": "s", "country": "XX", "population": 0},
        geometry=gpd.points_from_xy(lon.ravel(), lat.ravel()), crs=WGS84,
    )


def ev(event_id, place_id, event_type, gainer, loser, date, precision="day", *, n_sources=1,
       confidence=0.8) -> dict:
    lon, lat = XY[place_id]
    return {
        "event_id": event_id, "place_id": place_id, "place": place_id, "lat": lat, "lon": lon,
        "event_type": event_type, "gainer": gainer, "loser": loser,
        "date": pd.Timestamp(date) if date else pd.NaT, "date_precision": precision,
        "confidence": confidence, "n_sources": n_sources,
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
# control timeline
# ---------------------------------------------------------------------------------------------


def test_capture_gives_place_to_gainer_and_loser_held_it_back_to_start():
    control = T.control_timeline(frame(ev("e1", "p:a", "captured", "SDF", "IS", "2017-10-17")),
                                 start="2017-01-01")
    assert list(control.columns) == CONTROL_COLUMNS
    assert intervals(control, "p:a") == [
        ("IS", "held", "2017-01-01", "2017-10-17"),
        ("SDF", "held", "2017-10-17", None),
    ]
    assert control["basis"].tolist() == ["e1", "e1"]
    assert "inferred" in control["date_note"].iloc[0]


def test_loser_back_fill_stops_at_the_previous_event():
    control = T.control_timeline(frame(
        ev("e1", "p:a", "captured", "IS", None, "2015-03-01"),
        ev("e2", "p:a", "captured", "SDF", "IS", "2017-10-17"),
    ), start="2015-01-01")
    assert intervals(control, "p:a") == [
        (None, "unknown", "2015-01-01", "2015-03-01"),
        ("IS", "held", "2015-03-01", "2017-10-17"),
        ("SDF", "held", "2017-10-17", None),
    ]


def test_entered_is_contested_until_a_capture_with_the_defender_as_holder():
    control = T.control_timeline(frame(
        ev("e1", "p:a", "entered", "Syrian government", "IS", "2017-11-08"),
        ev("e2", "p:a", "captured", "Syrian government", "IS", "2017-11-09"),
    ), start="2017-11-01")
    assert intervals(control, "p:a") == [
        ("IS", "held", "2017-11-01", "2017-11-08"),
        ("IS", "contested", "2017-11-08", "2017-11-09"),
        ("Syrian government", "held", "2017-11-09", None),
    ]


def test_entered_and_captured_on_one_day_is_a_capture():
    control = T.control_timeline(frame(
        ev("e2", "p:a", "captured", "Iraqi government", "IS", "2017-11-03"),
        ev("e1", "p:a", "entered", "Iraqi government", "IS", "2017-11-03"),
    ), start="2017-11-01")
    assert intervals(control, "p:a") == [
        ("IS", "held", "2017-11-01", "2017-11-03"),
        ("Iraqi government", "held", "2017-11-03", None),
    ]


def test_withdrew_leaves_the_taker_unknown_until_a_later_event_says():
    control = T.control_timeline(frame(
        ev("e1", "p:a", "withdrew", None, "IS", "2016-03-13"),
        ev("e2", "p:a", "held", "Iraqi government", None, "2016-05-01"),
    ), start="2016-01-01")
    assert intervals(control, "p:a") == [
        ("IS", "held", "2016-01-01", "2016-03-13"),
        ("Iraqi government", "held", "2016-03-13", None),
    ]
    assert "inferred" in control["date_note"].iloc[1]


def test_month_and_year_dates_are_placed_mid_period_and_say_so():
    control = T.control_timeline(frame(
        ev("e1", "p:a", "captured", "IS", None, "2014-01-01", "year"),
        ev("e2", "p:a", "captured", None, "IS", "2017-10-01", "month"),
    ))
    assert intervals(control, "p:a") == [
        (None, "unknown", "2014-01-01", "2014-07-02"),
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
    ), start="2017-01-01")
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
    ))
    assert intervals(control, "p:a") == [
        (None, "unknown", "2014-01-01", "2014-02-28"),
        ("IS", "held", "2014-02-28", "2014-03-01"),
        ("Syrian government", "held", "2014-03-01", None),
    ]


@pytest.mark.parametrize(
    ("a", "b", "winner", "reason"),
    [
        ({"precision": "day"}, {"precision": "week"}, "SDF", "precision"),
        ({"n_sources": 3}, {"n_sources": 1}, "SDF", "n_sources"),
        ({"confidence": 0.9}, {"confidence": 0.4}, "SDF", "confidence"),
        ({"confidence": 0.4}, {"confidence": 0.9}, "Syrian government", "confidence"),
    ],
)
def test_two_holders_at_one_time_resolved_and_reported(a, b, winner, reason):
    rows = frame(
        ev("x1", "p:a", "captured", "SDF", "IS", "2017-10-17", a.get("precision", "day"),
           n_sources=a.get("n_sources", 1), confidence=a.get("confidence", 0.8)),
        ev("x2", "p:a", "captured", "Syrian government", "IS", "2017-10-17",
           b.get("precision", "day"), n_sources=b.get("n_sources", 1),
           confidence=b.get("confidence", 0.8)),
    )
    with pytest.warns(T.ControlConflictWarning, match=reason):
        control = T.control_timeline(rows, start="2017-01-01")
    assert control["holder"].iloc[-1] == winner
    (conflict,) = control.attrs["conflicts"]
    assert conflict["resolved_by"] == reason
    assert conflict["kept_holder"] == winner
    assert issubclass(T.ControlConflictWarning, MapperWarning)


def test_a_capture_from_is_and_an_is_hold_on_one_day_contradict():
    rows = frame(
        ev("x1", "p:a", "captured", None, "IS", "2017-10-17", n_sources=2),
        ev("x2", "p:a", "held", "IS", None, "2017-10-17"),
    )
    with pytest.warns(T.ControlConflictWarning, match="n_sources"):
        control = T.control_timeline(rows, start="2017-01-01")
    assert intervals(control, "p:a") == [
        ("IS", "held", "2017-01-01", "2017-10-17"),
        (None, "unknown", "2017-10-17", None),
    ]


def test_undated_events_are_left_out_and_reported():
    rows = frame(
        ev("e1", "p:a", "captured", "SDF", "IS", "2017-10-17"),
        ev("e2", "p:a", "captured", "IS", "SDF", None, "unknown"),
    )
    with pytest.warns(DateWarning, match="e2"):
        control = T.control_timeline(rows, start="2017-01-01")
    assert control.attrs["ignored"] == ["e2"]
    assert "e2" not in ";".join(control["basis"])


def test_intervals_tile_the_window_and_events_before_it_set_the_start():
    rows = frame(
        ev("e1", "p:a", "captured", "IS", "Iraqi government", "2014-06-10"),
        ev("e2", "p:a", "captured", "Iraqi government", "IS", "2017-07-09"),
        ev("e3", "p:b", "held", "IS", None, "2017-11-04"),
    )
    control = T.control_timeline(rows, start="2016-01-01", end="2018-01-01")
    assert intervals(control, "p:a") == [
        ("IS", "held", "2016-01-01", "2017-07-09"),
        ("Iraqi government", "held", "2017-07-09", "2018-01-01"),
    ]
    assert intervals(control, "p:b") == [("IS", "held", "2016-01-01", "2018-01-01")]
    for _, sub in control.groupby("place_id"):
        assert (sub["valid_from"].iloc[1:].to_numpy() == sub["valid_to"].iloc[:-1].to_numpy()).all()


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


# ---------------------------------------------------------------------------------------------
# snapshot dates
# ---------------------------------------------------------------------------------------------


def test_snapshot_dates_every_event_week_month_and_list():
    rows = frame(
        ev("e1", "p:a", "captured", "SDF", "IS", "2017-10-17"),
        ev("e2", "p:b", "captured", None, "IS", "2017-07-01", "month"),
        ev("e3", "p:b", "captured", None, "IS", None, "unknown"),
    )
    assert [f"{d:%m-%d}" for d in T.snapshot_dates(rows)] == ["07-16", "10-17"]
    weeks = T.snapshot_dates(rows, every="week", start="2017-10-01", end="2017-11-12")
    assert [f"{d:%m-%d}" for d in weeks] == ["10-01", "10-08", "10-15", "10-22", "10-29",
                                             "11-05", "11-12"]
    months = T.snapshot_dates(rows, every="month")
    assert [f"{d:%m-%d}" for d in months] == ["07-01", "08-01", "09-01", "10-01"]
    assert list(T.snapshot_dates(rows, every=["2017-02-01", "2017-01-01", "2017-01-01"])) == [
        pd.Timestamp("2017-01-01"), pd.Timestamp("2017-02-01")]
    with pytest.raises(InputError, match="'fortnight'"):
        T.snapshot_dates(rows, every="fortnight")


# ---------------------------------------------------------------------------------------------
# held areas
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def grid() -> gpd.GeoDataFrame:
    return settlement_grid()


def two_sides(date="2017-01-01") -> pd.DataFrame:
    return T.control_timeline(frame(
        ev("e1", "p:a", "held", "IS", None, date),
        ev("e2", "p:b", "held", "SDF", None, date),
    ), start=date)


def test_frontline_falls_midway_between_two_actors(grid):
    areas = T.held_areas(two_sides(), grid, ["2017-01-02"], radius_km=200, countries=COUNTRY)
    assert list(areas.columns) == AREA_COLUMNS
    assert areas.crs == WGS84
    by = areas.set_index("actor")
    # the two cells meet on the meridian halfway between 39E and 40E
    east_of_is = by.loc["IS", "geometry"].bounds[2]
    west_of_sdf = by.loc["SDF", "geometry"].bounds[0]
    assert east_of_is == pytest.approx(39.5, abs=0.02)
    assert west_of_sdf == pytest.approx(39.5, abs=0.02)
    assert by.loc["IS", "n_places"] > 0 and by.loc["SDF", "n_events"] == 1


def test_reach_caps_a_cell_to_a_disc(grid):
    control = T.control_timeline(frame(ev("e1", "p:b", "held", "IS", None, "2017-01-01")))
    areas = T.held_areas(control, grid, ["2017-01-01"], radius_km=30, countries=COUNTRY)
    assert areas["area_km2"].iloc[0] == pytest.approx(math.pi * 30**2, rel=0.005)
    assert areas.attrs["radius_km"] == 30


def test_cells_are_clipped_to_the_countries(grid):
    control = T.control_timeline(frame(ev("e1", "p:edge", "held", "IS", None, "2017-01-01")))
    areas = T.held_areas(control, grid, ["2017-01-01"], radius_km=30, countries=COUNTRY)
    # the point sits ~5 km inside a corner: little more than a quarter of the disc is inside
    assert 0.25 < areas["area_km2"].iloc[0] / (math.pi * 30**2) < 0.5
    assert COUNTRY.geometry.iloc[0].buffer(1e-5).contains(areas.geometry.iloc[0])


def test_neighbouring_countries_are_left_out(grid):
    # a neighbour "YY" east of the study country: control at p:c does not spread into it
    both = pd.concat([COUNTRY.assign(iso_a2="SY"),
                      gpd.GeoDataFrame({"iso_a2": ["YY"]}, geometry=[box(42, 34, 44, 37)],
                                       crs=WGS84)], ignore_index=True)
    control = T.control_timeline(frame(ev("e1", "p:c", "held", "IS", None, "2017-01-01")))
    study = T.held_areas(control, grid, ["2017-01-01"], radius_km=120, countries=both)
    assert study.geometry.iloc[0].bounds[2] == pytest.approx(42.0, abs=1e-6)
    every = T.held_areas(control, grid, ["2017-01-01"], radius_km=120, countries=both,
                         country_codes=None)
    assert every["area_km2"].iloc[0] > study["area_km2"].iloc[0]
    with pytest.raises(InputError, match="country_codes"):
        T.held_areas(control, grid, ["2017-01-01"], countries=both, country_codes=["IQ"])


def test_far_from_settlements_nothing_is_held():
    few = settlement_grid().iloc[:1]  # one settlement at 38.05E 34.05N
    control = T.control_timeline(frame(ev("e1", "p:c", "held", "IS", None, "2017-01-01")))
    areas = T.held_areas(control, few, ["2017-01-01"], radius_km=30, countries=COUNTRY)
    # only the control point's own disc is settled land (it is a place too)
    assert areas["area_km2"].iloc[0] == pytest.approx(math.pi * 30**2, rel=0.005)
    assert areas["n_places"].iloc[0] == 0


def test_contested_cells_are_rows_of_their_own(grid):
    control = T.control_timeline(frame(
        ev("e1", "p:a", "held", "IS", None, "2017-01-01"),
        ev("e2", "p:b", "entered", "Syrian government", "IS", "2017-02-01"),
    ), start="2017-01-01")
    areas = T.held_areas(control, grid, ["2017-01-15", "2017-02-15"], radius_km=40,
                         countries=COUNTRY)
    got = sorted(zip(areas["date"].dt.strftime("%m-%d"), areas["actor"], areas["state"]))
    assert got == [("01-15", "IS", "held"), ("02-15", "IS", "contested"), ("02-15", "IS", "held")]


def test_unknown_cells_only_on_request(grid):
    control = T.control_timeline(frame(ev("e1", "p:a", "withdrew", None, "IS", "2017-02-01")),
                                 start="2017-01-01")
    assert T.held_areas(control, grid, ["2017-03-01"], radius_km=40, countries=COUNTRY).empty
    areas = T.held_areas(control, grid, ["2017-03-01"], radius_km=40, countries=COUNTRY,
                         include_unknown=True)
    assert areas[["actor", "state"]].values.tolist() == [["unknown", "unknown"]]


def test_places_at_one_location_take_the_latest_change(grid):
    rows = frame(
        ev("e1", "p:a", "held", "IS", None, "2017-01-01"),
        {**ev("e2", "p:a", "captured", "SDF", "IS", "2017-03-01"), "place_id": "p:a2"},
    )
    control = T.control_timeline(rows, start="2017-01-01")
    areas = T.held_areas(control, grid, ["2017-02-01", "2017-04-01"], radius_km=40,
                         countries=COUNTRY)
    assert areas[["actor"]].values.ravel().tolist() == ["IS", "SDF"]


def test_settled_land_is_the_union_of_capped_settlement_cells():
    # the shortcut held_areas takes: union of Voronoi cells capped at r == union of r-discs
    rng = np.random.default_rng(5)
    xy = rng.uniform(0, 200_000, size=(60, 2))
    pts = shapely.points(xy)
    r = 15_000
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(xy), ordered=True))
    capped = shapely.union_all(shapely.intersection(cells, shapely.buffer(pts, r)))
    discs = shapely.union_all(shapely.buffer(pts, r))
    # equal up to the polygonal approximation of the circles
    assert shapely.area(shapely.symmetric_difference(capped, discs)) < 1e-4 * discs.area


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
        "date": pd.to_datetime(["2016-07-01", "2016-07-01", "2016-10-01"]),
        "actor": ["IS", "SDF", "IS"], "state": ["held", "held", "held"],
        "area_km2": [34150.0, 1.0, 65500.0],
    })
    ref = pd.DataFrame({"date": ["2016-06-01", "2016-07-04", "2016-10-03"],
                        "area_km2": [1.0, 68300, 65500], "source": "x"})
    cmp = T.compare_areas(areas, ref)
    assert cmp["snapshot"].isna().tolist() == [True, False, False]
    assert cmp["ratio"].iloc[1:].tolist() == pytest.approx([0.5, 1.0])
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


# ---------------------------------------------------------------------------------------------
# the seeds (acceptance) and the calibration, on ../shared
# ---------------------------------------------------------------------------------------------


def dump_coordinates(dump: Path) -> pd.DataFrame:
    return pd.read_csv(dump, sep="\t", header=None, usecols=[0, 4, 5], quoting=3,
                       dtype={0: str}, names=["geonameid", "lat", "lon"]).set_index("geonameid")


def events_from_gold(folders: list[Path], dump: Path) -> pd.DataFrame:
    """Gold rows -> events: one event per place, type, actors and date; n_sources = articles.

    Stands in for the extractor (mapper.extract + mapper.events) until it exists. Places
    without a gazetteer id take the gold toponym's point.
    """
    xy = dump_coordinates(dump)
    parts = []
    for folder in folders:
        gold = pd.read_csv(folder / "gold_events.csv", dtype=str, keep_default_na=False)
        top = pd.read_csv(folder / "gold_toponyms.csv", dtype=str, keep_default_na=False)
        top = top.drop_duplicates(["file", "as_written"]).set_index(["file", "as_written"])
        lat, lon = [], []
        for f, written, gid in zip(gold["file"], gold["place_as_written"], gold["geonameid"]):
            if gid in xy.index:
                lat.append(xy.loc[gid, "lat"])
                lon.append(xy.loc[gid, "lon"])
            elif (f, written) in top.index:
                lat.append(float(top.loc[(f, written), "lat"]))
                lon.append(float(top.loc[(f, written), "lon"]))
            else:
                lat.append(np.nan)
                lon.append(np.nan)
        gold = gold.assign(lat=lat, lon=lon)
        parts.append(gold[gold["lat"].notna()])
    gold = pd.concat(parts, ignore_index=True)
    gold["place_id"] = [f"geonames:{i}" if i else "gold:" + re.sub(r"\W+", "-", p.lower())
                        for i, p in zip(gold["geonameid"], gold["place"])]
    keys = ["place_id", "event_type", "gainer", "loser", "event_date", "date_precision"]
    rows = []
    for i, (k, grp) in enumerate(gold.groupby(keys, sort=True)):
        date = pd.to_datetime(k[4], format="mixed") if k[4] else pd.NaT
        rows.append({
            "event_id": f"gold{i:03d}", "place_id": k[0], "place": grp["place"].iloc[0],
            "lat": grp["lat"].iloc[0], "lon": grp["lon"].iloc[0], "event_type": k[1],
            "gainer": k[2] or None, "loser": k[3] or None, "date": date,
            "date_precision": k[5], "confidence": 0.8, "n_sources": grp["file"].nunique(),
        })
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def settlements(geonames_dump) -> gpd.GeoDataFrame:
    try:
        from mapper.gazetteer import Gazetteer
    except ImportError:
        return T.settlements_from_geonames(geonames_dump)
    return Gazetteer.load().settlements()


@pytest.fixture(scope="module")
def seed_events(seeds_dir, geonames_dump) -> pd.DataFrame:
    return events_from_gold([seeds_dir], geonames_dump)


def holder_at(areas: gpd.GeoDataFrame, date: str, lon: float, lat: float) -> tuple | None:
    on = areas[(areas["date"] == pd.Timestamp(date)) & areas.contains(Point(lon, lat))]
    assert len(on) <= 1
    return None if on.empty else (on["actor"].iloc[0], on["state"].iloc[0])


def test_seeds_is_area_shrinks_week_by_week(seed_events, settlements):
    control = T.control_timeline(seed_events)
    dates = T.snapshot_dates(seed_events, every="week", start="2017-10-01", end="2017-11-12")
    assert len(dates) == 7
    areas = T.held_areas(control, settlements, dates)
    is_km2 = (areas[(areas["actor"] == "IS") & (areas["state"] == "held")]
              .groupby("date")["area_km2"].sum().reindex(dates, fill_value=0.0))
    print(f"\nIS held area on the seeds, reach {T.DEFAULT_RADIUS_KM:g} km:")
    for d, km2 in is_km2.items():
        print(f"  {d:%Y-%m-%d}  {km2:>9,.0f} km²")
    assert (np.diff(is_km2.to_numpy()) <= 1e-6).all(), "the IS area grew"
    assert is_km2.iloc[-1] < is_km2.iloc[0]
    assert (is_km2 > 0).all()

    # the cells of the three places change hands on the reported days
    places = {
        "geonames:170794": ("Syrian government", "2017-11-03"),  # Deir ez-Zor
        "geonames:172955": ("SDF", "2017-10-17"),  # Raqqa
        "geonames:92138": ("Iraqi government", "2017-11-03"),  # Al Qaim
    }
    for pid, (gainer, day) in places.items():
        sub = control[control["place_id"] == pid].reset_index(drop=True)
        i = sub.index[sub["valid_from"] == pd.Timestamp(day)]
        assert len(i) == 1, f"{pid}: no change on {day}"
        assert sub.loc[i[0], ["holder", "state"]].tolist() == [gainer, "held"]
        assert sub.loc[i[0] - 1, "holder"] == "IS"
        lon, lat = sub.loc[0, "lon"], sub.loc[0, "lat"]
        before = dates[dates < pd.Timestamp(day)][-1]
        after = dates[dates >= pd.Timestamp(day)][0]
        assert holder_at(areas, f"{before:%Y-%m-%d}", lon, lat)[0] == "IS"
        assert holder_at(areas, f"{after:%Y-%m-%d}", lon, lat) == (gainer, "held")
    # Deir ez-Zor was contested (entered in September) before it passed
    assert holder_at(areas, "2017-10-29", 40.14084, 35.33588) == ("IS", "contested")


def test_seed_areas_agree_with_geodesic_areas(seed_events, settlements):
    areas = T.held_areas(T.control_timeline(seed_events), settlements, ["2017-11-05"])
    assert len(areas) >= 3
    for geom, km2 in zip(areas.geometry, areas["area_km2"]):
        assert km2 == pytest.approx(geodesic_km2(geom), rel=0.005)


def test_default_reach_is_the_calibrated_one(seeds_dir, dev_dir, geonames_dump, settlements):
    events = events_from_gold([seeds_dir, dev_dir], geonames_dump)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DateWarning)
        table = T.calibrate_reach(events, T.read_reference(), (30, 40, 50), places=settlements)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print("\n", table.round(3).to_string(index=False))
    assert table.attrs["best_radius_km"] == T.DEFAULT_RADIUS_KM
    best = table.set_index("radius_km").loc[T.DEFAULT_RADIUS_KM]
    assert 0.8 < best["geo_mean_ratio"] < 1.25
    assert (table["ratio 2015-01-15"].diff().dropna() > 0).all()  # a longer reach, more area


def test_equal_area_crs_is_the_shared_one():
    assert T.held_areas.__kwdefaults__["area_crs"] == EQUAL_AREA
