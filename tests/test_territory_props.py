"""Properties of the territory model over random event tables (hypothesis)."""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from mapper import territory as T
from mapper.schema import EQUAL_AREA, EVENT_TYPES, WGS84

pytestmark = [
    pytest.mark.filterwarnings("ignore::mapper.territory.ControlConflictWarning"),
]

COUNTRY = gpd.GeoDataFrame({"iso_a2": ["SY"]}, geometry=[box(38, 34, 42, 37)], crs=WGS84)
COUNTRY_KM2 = float(COUNTRY.to_crs(EQUAL_AREA).area.sum()) / 1e6
PLACES = {  # distinct points inside the country
    "p0": (38.6, 34.6), "p1": (39.4, 35.2), "p2": (40.1, 35.9),
    "p3": (40.8, 36.4), "p4": (41.5, 34.9), "p5": (39.0, 36.6),
}
ACTORS = ("IS", "SDF", "Syrian government")
DATES = pd.to_datetime(["2017-02-01", "2017-05-01", "2017-08-01", "2017-11-01"])
_lon, _lat = np.meshgrid(np.arange(38.1, 42, 0.3), np.arange(34.1, 37, 0.3))
SETTLEMENTS = gpd.GeoDataFrame(
    {"place_id": [f"s{i}" for i in range(_lon.size)]},
    geometry=gpd.points_from_xy(_lon.ravel(), _lat.ravel()), crs=WGS84,
)
RADIUS_KM = 60
SETTINGS = settings(max_examples=15, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def event_rows(draw, n_min=1, n_max=8):
    n = draw(st.integers(n_min, n_max))
    rows = []
    for i in range(n):
        place = draw(st.sampled_from(sorted(PLACES)))
        kind = draw(st.sampled_from(EVENT_TYPES))
        gainer = draw(st.sampled_from((None, *ACTORS)))
        loser = draw(st.sampled_from((None, *[a for a in ACTORS if a != gainer])))
        precision = draw(st.sampled_from(("day", "day", "week", "month")))
        day = draw(st.integers(0, 364))
        date = pd.Timestamp("2017-01-01") + pd.Timedelta(days=day)
        if precision == "month":
            date = date.replace(day=1)
        lon, lat = PLACES[place]
        rows.append({
            "event_id": f"e{i:02d}", "place_id": place, "place": place, "lat": lat, "lon": lon,
            "event_type": kind, "gainer": gainer, "loser": loser, "date": date,
            "date_precision": precision, "confidence": draw(st.sampled_from((0.5, 0.8))),
            "n_sources": draw(st.integers(1, 3)),
        })
    return pd.DataFrame(rows)


def areas_of(events: pd.DataFrame) -> gpd.GeoDataFrame:
    control = T.control_timeline(events, start="2017-01-01")
    return T.held_areas(control, SETTLEMENTS, DATES, radius_km=RADIUS_KM, countries=COUNTRY)


def held_km2(areas: gpd.GeoDataFrame, actor: str) -> pd.Series:
    sel = areas[(areas["actor"] == actor) & (areas["state"] == "held")]
    return sel.groupby("date")["area_km2"].sum().reindex(DATES, fill_value=0.0)


@SETTINGS
@given(event_rows())
def test_areas_never_overlap_and_never_exceed_the_country(events):
    areas = areas_of(events).to_crs(EQUAL_AREA)
    for _, day in areas.groupby("date"):
        geoms = day.geometry.to_numpy()
        for a, b in itertools.combinations(range(len(geoms)), 2):
            assert shapely.area(shapely.intersection(geoms[a], geoms[b])) < 1e4  # < 0.01 km²
        assert day["area_km2"].sum() <= COUNTRY_KM2 * (1 + 1e-9)


@SETTINGS
@given(event_rows(), st.sampled_from(ACTORS), st.sampled_from(sorted(PLACES)),
       st.integers(0, 364), st.sampled_from((None, *ACTORS)))
def test_a_capture_by_a_never_shrinks_its_later_area(events, actor, place, day, loser):
    if loser == actor:
        loser = None
    lon, lat = PLACES[place]
    date = pd.Timestamp("2017-01-01") + pd.Timedelta(days=day)
    extra = pd.DataFrame([{
        "event_id": "zz", "place_id": place, "place": place, "lat": lat, "lon": lon,
        "event_type": "captured", "gainer": actor, "loser": loser, "date": date,
        "date_precision": "day", "confidence": 0.8, "n_sources": 1,
    }])
    before = held_km2(areas_of(events), actor)
    after = held_km2(areas_of(pd.concat([events, extra], ignore_index=True)), actor)
    later = np.array([d >= date for d in DATES])
    assert (after[later] >= before[later] - 0.01).all(), (before, after)


@SETTINGS
@given(event_rows(n_min=2), st.randoms(use_true_random=False))
def test_output_does_not_depend_on_event_order(events, rnd):
    order = list(range(len(events)))
    rnd.shuffle(order)
    shuffled = events.iloc[order].reset_index(drop=True)
    c1 = T.control_timeline(events, start="2017-01-01")
    c2 = T.control_timeline(shuffled, start="2017-01-01")
    pd.testing.assert_frame_equal(c1, c2)
    a1, a2 = areas_of(events), areas_of(shuffled)
    pd.testing.assert_frame_equal(a1.drop(columns="geometry"), a2.drop(columns="geometry"))
    assert shapely.equals_exact(a1.geometry.values, a2.geometry.values, tolerance=1e-9).all()
