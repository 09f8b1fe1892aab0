"""Region-level claims: "the whole of <province> was liberated", "IS lost its last territory in <country>".

The contract with the extractor: a normal event row whose ``place_id`` is a governorate
(``ne:<ISO 3166-2>``, feature code ADM1) or a country (``mapper:country-<cc>``, PCLI), with
``region`` among its ``flags``; ``event_type`` ``captured`` (the gainer may be blank) or
``withdrew``; ``loser`` is the side that loses. On its date every control point held by the
loser inside the region passes to the gainer (or, without one, stops being held), with the
claim in the point's ``basis``; the region row is never a control point itself.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from mapper import territory as T
from mapper.errors import SkippedInputWarning
from mapper.schema import WGS84

#: two synthetic governorates side by side and a country around both
REGIONS = gpd.GeoDataFrame(
    {"place_id": ["ne:XX-AA", "ne:XX-BB", "mapper:country-xx"],
     "name": ["Alpha", "Beta", "Xland"], "feature_code": ["ADM1", "ADM1", "PCLI"]},
    geometry=[box(38, 34, 40, 37), box(40, 34, 42, 37), box(38, 34, 42, 37)], crs=WGS84,
)
XY = {"p:a1": (38.5, 35.5), "p:a2": (39.5, 36.0), "p:a3": (39.0, 34.5), "p:b1": (41.0, 35.5)}
COUNTRY = gpd.GeoDataFrame({"iso_a2": ["SY"]}, geometry=[box(38, 34, 42, 37)], crs=WGS84)


def ev(event_id, place_id, event_type, gainer, loser, date, *, flags="", lat=None, lon=None) -> dict:
    lon0, lat0 = XY.get(place_id, (float("nan"), float("nan")))
    return {"event_id": event_id, "place_id": place_id, "place": place_id,
            "lat": lat0 if lat is None else lat, "lon": lon0 if lon is None else lon,
            "event_type": event_type, "gainer": gainer, "loser": loser,
            "date": pd.Timestamp(date), "date_precision": "day", "confidence": 0.8,
            "n_sources": 1, "flags": flags}


def holder(control: pd.DataFrame, place_id: str, day: str) -> tuple:
    t = pd.Timestamp(day)
    row = control[(control["place_id"] == place_id) & (control["valid_from"] <= t)
                  & (control["valid_to"].isna() | (control["valid_to"] > t))]
    assert len(row) == 1
    r = row.iloc[0]
    return (r["holder"] if isinstance(r["holder"], str) else None, r["state"])


def base_events() -> list[dict]:
    return [
        ev("e1", "p:a1", "held", "IS", None, "2017-01-01"),
        ev("e2", "p:a2", "held", "SDF", None, "2017-01-01"),
        ev("e3", "p:a3", "held", "IS", None, "2015-06-01"),  # stale by 2017
        ev("e4", "p:b1", "held", "IS", None, "2017-01-01"),
    ]


def test_a_province_claim_moves_every_point_of_the_loser_inside_it():
    rows = pd.DataFrame(base_events() + [
        ev("r1", "ne:XX-AA", "captured", "Iraqi government", "IS", "2017-08-31",
           flags="region;loser_inferred", lat=35.5, lon=39.0),
    ])
    control = T.control_timeline(rows, start="2015-01-01", end="2018-06-01", regions=REGIONS)
    assert holder(control, "p:a1", "2017-08-30") == ("IS", "held")
    assert holder(control, "p:a1", "2017-09-01") == ("Iraqi government", "held")
    assert holder(control, "p:a3", "2017-08-30") == ("IS", "stale")  # the last known holder
    assert holder(control, "p:a3", "2017-09-01") == ("Iraqi government", "held")
    assert holder(control, "p:a2", "2017-09-01") == ("SDF", "held")  # not the loser's
    assert holder(control, "p:b1", "2017-09-01") == ("IS", "held")  # outside the region
    changed = control[(control["place_id"] == "p:a1") & (control["valid_from"] == pd.Timestamp("2017-08-31"))]
    assert T.basis_events(changed["basis"].iloc[0]) == ["r1"]
    assert "region-level claim r1" in changed["date_note"].iloc[0] and "Alpha" in changed["date_note"].iloc[0]
    assert "ne:XX-AA" not in set(control["place_id"])  # never a control point
    assert control.attrs["regions"] == ["r1"]


def test_a_claim_without_gainer_only_ends_the_loser_s_hold():
    rows = pd.DataFrame(base_events() + [
        ev("r1", "mapper:country-xx", "withdrew", None, "IS", "2018-03-01", flags="region"),
    ])
    control = T.control_timeline(rows, start="2015-01-01", end="2018-06-01", regions=REGIONS)
    for pid in ("p:a1", "p:a3", "p:b1"):
        assert holder(control, pid, "2018-03-02") == (None, "unknown")
    assert holder(control, "p:a2", "2018-03-02")[0] == "SDF"
    settlements = gpd.GeoDataFrame(geometry=[Point(x, y) for x, y in XY.values()], crs=WGS84)
    areas = T.held_areas(control, settlements, ["2018-02-01", "2018-04-01"], countries=COUNTRY)
    after = areas[areas["date"] == pd.Timestamp("2018-04-01")]
    assert "IS" not in set(after["actor"])  # "the group lost the last of its territory"
    assert "IS" in set(areas[areas["date"] == pd.Timestamp("2018-02-01")]["actor"])


def test_a_region_is_known_by_its_id_even_without_the_flag():
    rows = pd.DataFrame(base_events() + [
        ev("r1", "ne:XX-BB", "captured", "SDF", "IS", "2017-05-01", lat=35.0, lon=41.0),
    ])
    control = T.control_timeline(rows, start="2015-01-01", regions=REGIONS)
    assert holder(control, "p:b1", "2017-05-02") == ("SDF", "held")
    assert "ne:XX-BB" not in set(control["place_id"])


def test_a_claim_only_acts_on_its_date_and_later_reports_still_count():
    rows = pd.DataFrame(base_events() + [
        ev("r1", "ne:XX-AA", "captured", "Iraqi government", "IS", "2017-08-31", flags="region"),
        ev("e5", "p:a1", "captured", "IS", "Iraqi government", "2017-12-01"),
    ])
    control = T.control_timeline(rows, start="2015-01-01", regions=REGIONS)
    assert holder(control, "p:a1", "2017-07-01") == ("IS", "held")
    assert holder(control, "p:a1", "2017-10-01") == ("Iraqi government", "held")
    assert holder(control, "p:a1", "2017-12-02") == ("IS", "held")


def test_bad_region_rows_are_left_out_with_a_warning():
    rows = pd.DataFrame(base_events() + [
        ev("r1", "ne:XX-ZZ", "captured", "SDF", "IS", "2017-05-01", flags="region"),
        ev("r2", "ne:XX-AA", "held", "IS", None, "2017-05-01", flags="region"),
    ])
    with pytest.warns(SkippedInputWarning) as rec:
        control = T.control_timeline(rows, start="2015-01-01", regions=REGIONS)
    messages = " ".join(str(w.message) for w in rec)
    assert "r1 (ne:XX-ZZ)" in messages and "no known governorate" in messages
    assert "['r2']" in messages and "neither 'captured' nor 'withdrew'" in messages
    assert {"r1", "r2"} <= set(control.attrs["ignored"])
    assert holder(control, "p:a1", "2017-05-02") == ("IS", "held")


def test_packaged_governorates_and_countries_name_the_regions():
    regions = T.load_regions()
    ids = set(regions["place_id"])
    assert {"ne:IQ-NI", "ne:IQ-AN", "ne:SY-RA", "mapper:country-sy", "mapper:country-iq"} <= ids
    nineveh = regions.set_index("place_id").loc["ne:IQ-NI", "geometry"]
    assert nineveh.contains(Point(43.13, 36.34)) and nineveh.contains(Point(42.45, 36.37))  # Mosul, Tal Afar
    # "Tal Afar and the whole of Nineveh province had been liberated" (2017-08-31)
    pts = {"geonames:99072": (43.13, 36.34), "geonames:7281803": (42.45, 36.37),
           "geonames:98182": (41.9, 34.47)}  # Mosul, Tal Afar, Rawa (Anbar)
    rows = [{"event_id": f"h{i}", "place_id": pid, "place": pid, "lat": lat, "lon": lon,
             "event_type": "held", "gainer": "IS", "loser": None, "date": pd.Timestamp("2017-06-01"),
             "date_precision": "day", "flags": ""} for i, (pid, (lon, lat)) in enumerate(pts.items())]
    rows.append({"event_id": "r1", "place_id": "ne:IQ-NI", "place": "Ninawa", "lat": 36.2, "lon": 42.5,
                 "event_type": "captured", "gainer": "Iraqi government", "loser": "IS",
                 "date": pd.Timestamp("2017-08-31"), "date_precision": "day", "flags": "region"})
    control = T.control_timeline(pd.DataFrame(rows), start="2017-01-01")
    assert holder(control, "geonames:99072", "2017-09-01")[0] == "Iraqi government"
    assert holder(control, "geonames:7281803", "2017-09-01")[0] == "Iraqi government"
    assert holder(control, "geonames:98182", "2017-09-01")[0] == "IS"


def test_places_a_region_claim_leaves_out_keep_their_own_state():
    # "IS lost all of Alpha except a1" (the extractor writes the exception as a held report and
    # an except: flag on the region claim)
    rows = pd.DataFrame(base_events() + [
        ev("r1", "ne:XX-AA", "captured", "Iraqi government", "IS", "2017-08-31",
           flags="except:p:a1;region", lat=35.5, lon=39.0),
        ev("h1", "p:a1", "held", "IS", None, "2017-08-31", flags="except"),
    ])
    control = T.control_timeline(rows, start="2015-01-01", end="2018-06-01", regions=REGIONS)
    assert holder(control, "p:a1", "2017-09-01") == ("IS", "held")
    assert holder(control, "p:a3", "2017-09-01") == ("Iraqi government", "held")
