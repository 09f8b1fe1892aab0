"""Corroboration, overrides and lossless IO of the event table."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from mapper import events as ev
from mapper.errors import InputError
from mapper.schema import EVENT_COLUMNS, REPORT_COLUMNS

MOSUL = ("geonames:99072", "Mosul", "IQ", 36.335, 43.119)
BAGHDAD = ("geonames:98182", "Baghdad", "IQ", 33.341, 44.401)


def report(article, place=MOSUL, *, event_type="captured", gainer="Iraqi government", loser="IS",
           date="2017-07-09", precision="day", confidence=0.8, name=None, flags=""):
    pid, pname, country, lat, lon = place
    return {
        "article": article, "place_id": pid, "place": pname, "country": country,
        "name_as_written": name or pname, "lat": lat, "lon": lon, "event_type": event_type,
        "gainer": gainer, "loser": loser, "date": pd.Timestamp(date) if date else pd.NaT,
        "date_precision": precision if date else "unknown", "confidence": confidence,
        "evidence": f"evidence sentence of {article}", "span": "0:10",
        "published": pd.Timestamp("2017-07-10"), "title": f"title {article}", "url": f"http://example.org/{article}",
        "flags": flags,
    }


def frame(*rows):
    return pd.DataFrame(list(rows), columns=REPORT_COLUMNS)


def test_agreeing_reports_become_one_event():
    reports = frame(
        report("a"), report("b", date="2017-07-10"), report("c", date="2017-07", precision="month", gainer=""),
    )
    before = reports.copy()
    events = ev.corroborate(reports)
    pd.testing.assert_frame_equal(reports, before)  # input untouched
    assert list(events.columns) == EVENT_COLUMNS
    (e,) = events.to_dict("records")
    assert e["n_sources"] == 3 and e["sources"] == "a;b;c"
    assert e["date_precision"] == "day"  # the finest precision wins ...
    assert e["date"] in (pd.Timestamp("2017-07-09"), pd.Timestamp("2017-07-10"))
    assert e["gainer"] == "Iraqi government" and e["loser"] == "IS"
    assert e["confidence"] > 0.8  # corroboration raises confidence
    cites = json.loads(e["citations"])
    assert [c["article"] for c in cites] == ["a", "b", "c"]
    assert set(cites[0]) == {"article", "title", "url", "published", "evidence", "name_as_written"}
    assert cites[0]["published"] == "2017-07-10"


def test_best_supported_date_is_the_majority():
    events = ev.corroborate(frame(report("a", date="2017-07-08"), report("b", date="2017-07-09"), report("c", date="2017-07-09")))
    assert len(events) == 1 and events.iloc[0]["date"] == pd.Timestamp("2017-07-09")


def test_conflicting_takers_are_separate_and_flagged():
    events = ev.corroborate(frame(report("a"), report("b", gainer="SDF", date="2017-07-10")))
    assert len(events) == 2
    assert all("conflict:" in f for f in events["flags"])


def test_same_change_far_apart_is_flagged():
    events = ev.corroborate(frame(report("a"), report("b", date="2016-01-05")))
    assert len(events) == 2 and all("conflict:" in f for f in events["flags"])


def test_different_places_and_types_stay_apart():
    events = ev.corroborate(frame(report("a"), report("b", place=BAGHDAD, event_type="held", gainer="Iraqi government", loser="")))
    assert len(events) == 2 and events["flags"].tolist() == ["", ""]
    assert ev.corroborate(frame()).columns.tolist() == EVENT_COLUMNS


def test_month_report_joins_day_report_in_that_month_only():
    events = ev.corroborate(frame(report("a", date="2017-07-30"), report("b", date="2017-08", precision="month")))
    assert len(events) == 2


# ------------------------------------------------------------------ overrides


@pytest.fixture
def events():
    return ev.corroborate(frame(report("a"), report("b", place=BAGHDAD, event_type="held", loser="", date="2017-07-09")))


def test_overrides_add_drop_correct(tmp_path, events):
    f = tmp_path / "overrides.csv"
    f.write_text(
        "action,place_id,place,date,new_date,event_type,gainer,loser,date_precision,lat,lon,note\n"
        "drop,geonames:98182,,2017-07,,,,,,,,not a change of control\n"
        "correct,,Mosul,2017-07-09,2017-07-10,,,,,,,announced the day after\n"
        "add,,Tal Afar,2017-08-31,,captured,Iraqi government,IS,day,36.37,42.45,analyst addition\n",
        encoding="utf-8",
    )
    out = ev.apply_overrides(events, f)
    assert len(events) == 2  # input untouched
    assert set(out["place"]) == {"Mosul", "Tal Afar"}
    mosul = out[out["place"] == "Mosul"].iloc[0]
    assert mosul["date"] == pd.Timestamp("2017-07-10") and "override:correct:overrides.csv:3" in mosul["flags"]
    assert mosul["evidence"] == "announced the day after"
    added = out[out["place"] == "Tal Afar"].iloc[0]
    assert (added["event_type"], added["lon"], added["date_precision"]) == ("captured", 42.45, "day")
    assert [o["action"] for o in out.attrs["overrides"]] == ["drop", "correct", "add"]
    assert [o["events"] for o in out.attrs["overrides"]] == [1, 1, 1]


def test_override_add_placed_by_gazetteer(tmp_path, events, gazetteer):
    f = tmp_path / "o.csv"
    f.write_text("action,place,date,event_type,gainer\nadd,Raqqa,2017-10,captured,SDF\n", encoding="utf-8")
    out = ev.apply_overrides(events, f, gazetteer=gazetteer)
    raqqa = out[out["event_type"] == "captured"].iloc[-1]
    assert raqqa["lat"] == pytest.approx(35.95, abs=0.1) and raqqa["date_precision"] == "month"


def test_bad_overrides_reported_together(tmp_path, events):
    f = tmp_path / "o.csv"
    f.write_text(
        "action,place,date,event_type\nrename,Mosul,,\ndrop,Mosul,July 2017,\nadd,Nowhere,2017,captured\nadd,Mosul,2017,conquered\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as err:
        ev.apply_overrides(events, f)
    msg = str(err.value)
    for line in ("line 2", "line 3", "line 4", "line 5"):
        assert line in msg
    with pytest.raises(InputError, match="action"):
        (tmp_path / "h.csv").write_text("place,date\nMosul,2017\n", encoding="utf-8")
        ev.apply_overrides(events, tmp_path / "h.csv")


# ------------------------------------------------------------------ IO round trips


@pytest.fixture
def mixed_events():
    return ev.corroborate(frame(
        report("a"),
        report("b", place=BAGHDAD, event_type="held", loser="", date="2014-06", precision="month", name="Baghdad’s centre"),
        report("c", place=BAGHDAD, event_type="captured", gainer="IS", loser="", date=None, flags="headline"),
        report("d", place=MOSUL, event_type="entered", date="2016", precision="year"),
    ))


@pytest.mark.parametrize(("writer", "reader", "suffix"), [
    (ev.to_csv, ev.read_csv, "csv"), (ev.to_geojson, ev.read_geojson, "geojson"), (ev.to_gpkg, ev.read_gpkg, "gpkg"),
])
def test_round_trips_lose_nothing(tmp_path, mixed_events, writer, reader, suffix):
    path = tmp_path / f"events.{suffix}"
    writer(mixed_events, path)
    back = reader(path)
    pd.testing.assert_frame_equal(back, mixed_events)
    assert set(back["date_precision"]) == {"day", "month", "year", "unknown"}
    assert back["date"].isna().sum() == 1


@pytest.mark.parametrize(("writer", "reader", "suffix"), [
    (ev.to_csv, ev.read_csv, "csv"), (ev.to_geojson, ev.read_geojson, "geojson"), (ev.to_gpkg, ev.read_gpkg, "gpkg"),
])
def test_report_round_trips(tmp_path, writer, reader, suffix):
    reports = frame(report("a"), report("b", date=None))
    writer(reports, tmp_path / f"r.{suffix}")
    pd.testing.assert_frame_equal(reader(tmp_path / f"r.{suffix}"), ev._normalise(reports, REPORT_COLUMNS))


def test_geojson_is_rfc7946_lon_lat(mixed_events):
    fc = ev.to_geojson(mixed_events)
    assert fc["type"] == "FeatureCollection" and "crs" not in fc
    coords = {f["properties"]["place"]: f["geometry"]["coordinates"] for f in fc["features"]}
    # Mosul is north of Baghdad: a (lat, lon) swap would fail this
    assert coords["Mosul"][1] > coords["Baghdad"][1]
    assert coords["Mosul"] == [43.119, 36.335]
    month = [f for f in fc["features"] if f["properties"]["date_precision"] == "month"][0]
    assert month["properties"]["date"] == "2014-06-01"


def test_csv_dates_are_iso_and_blank_when_unknown(tmp_path, mixed_events):
    ev.to_csv(mixed_events, tmp_path / "e.csv")
    text = (tmp_path / "e.csv").read_text(encoding="utf-8")
    assert "2017-07-09" in text and "NaT" not in text and "nan" not in text


def test_writing_into_a_missing_folder_says_so(tmp_path, mixed_events):
    from mapper.errors import OutputError

    with pytest.raises(OutputError, match="does not exist"):
        ev.to_csv(mixed_events, tmp_path / "nope" / "e.csv")


def test_formula_cells_round_trip_exactly(tmp_path, mixed_events):
    """What to_csv neutralises, read_csv restores (issue 14): the file is spreadsheet-safe and
    the frame read back is the frame written."""
    hostile = mixed_events.copy()
    hostile.loc[0, "evidence"] = '=HYPERLINK("http://127.0.0.1/x","y")'
    hostile.loc[1, "sources"] = "@sum(1);-a"
    hostile.loc[2, "name_as_written"] = "'=already quoted"
    path = tmp_path / "events.csv"
    ev.to_csv(hostile, path)
    text = path.read_text(encoding="utf-8")
    assert "'=HYPERLINK(" in text and "'@sum(1)" in text and "''=already quoted" in text
    pd.testing.assert_frame_equal(ev.read_csv(path), hostile)
