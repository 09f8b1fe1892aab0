"""ACLED export and import: the mapping, the round trip, and forgiving reads of real files."""

from __future__ import annotations

import json
import warnings

import pandas as pd
import pytest

from mapper.acled import (
    ACLED_COLUMNS,
    acled_actor,
    from_acled,
    mapper_actor,
    read_acled,
    to_acled,
    write_acled,
)
from mapper.cli import main
from mapper.errors import InputError
from mapper.events import corroborate, empty_events, read_csv, to_csv
from mapper.schema import EVENT_COLUMNS

KEPT = ["place_id", "place", "country", "date", "date_precision", "gainer", "loser", "event_type"]


def _event(gaz, name, **kw) -> dict:
    p = gaz.resolve(name)
    assert p is not None, name
    row = {
        "event_id": f"ev-{name.lower()}", "place_id": p.place_id, "place": p.name, "country": p.country,
        "name_as_written": name, "lat": p.lat, "lon": p.lon, "event_type": "captured", "gainer": "IS",
        "loser": "Iraqi government", "date": pd.Timestamp("2014-06-10"), "date_precision": "day",
        "confidence": 0.85, "evidence": f"Militants seized {name}.", "sources": "a1.txt", "n_sources": 1,
        "citations": json.dumps([{"article": "a1.txt", "url": "https://www.reuters.com/x", "title": "t"}]),
        "flags": "",
    }
    row.update(kw)
    return row


@pytest.fixture(scope="module")
def events(gazetteer) -> pd.DataFrame:
    rows = [
        _event(gazetteer, "Mosul"),
        _event(gazetteer, "Raqqa", gainer="SDF", loser="IS", date=pd.Timestamp("2017-10-17"), country="SY"),
        _event(gazetteer, "Tikrit", gainer="Iraqi government", loser="IS", date=pd.Timestamp("2015-03-01"), date_precision="month"),
        _event(gazetteer, "Kobani", event_type="entered", gainer="IS", loser="Kurdish forces", date=pd.Timestamp("2014-10-06"), date_precision="week"),
        _event(gazetteer, "Palmyra", event_type="withdrew", gainer="", loser="IS", date=pd.Timestamp("2016-01-01"), date_precision="year"),
        _event(gazetteer, "Deir ez-Zor", event_type="besieged", gainer="IS", loser="Syrian government", date=pd.Timestamp("2015-01-01"), date_precision="year"),
        _event(gazetteer, "Albu Kamal", event_type="held", gainer="IS", loser="", date=pd.Timestamp("2017-11-04")),
        _event(gazetteer, "Ramadi", date=pd.NaT, date_precision="unknown"),
    ]
    df = pd.DataFrame(rows, columns=EVENT_COLUMNS)
    return df.astype(empty_events().dtypes.to_dict())


def test_export_mapping(events, gazetteer):
    before = events.copy()
    rows = to_acled(events, gazetteer=gazetteer)
    pd.testing.assert_frame_equal(events, before)  # the input is untouched
    assert list(rows.columns) == ACLED_COLUMNS
    assert len(rows) == len(events) - 1  # the undated event cannot be an ACLED row
    r = rows.set_index("event_id_cnty")
    mosul, raqqa, tikrit = r.loc["ev-mosul"], r.loc["ev-raqqa"], r.loc["ev-tikrit"]
    assert (mosul.event_type, mosul.sub_event_type) == ("Battles", "Non-state actor overtakes territory")
    assert (tikrit.event_type, tikrit.sub_event_type) == ("Battles", "Government regains territory")
    assert mosul.actor1 == "Islamic State (Iraq)" and mosul.actor2 == "Military Forces of Iraq (2006-2014)"
    assert raqqa.actor1 == "QSD: Syrian Democratic Forces" and raqqa.actor2 == "Islamic State (Syria)"
    assert (mosul.event_date, mosul.year, mosul.time_precision) == ("2014-06-10", 2014, 1)
    assert tikrit.time_precision == 3
    assert (mosul.country, mosul.iso, raqqa.country, raqqa.iso) == ("Iraq", 368, "Syria", 760)
    assert (mosul.admin1, raqqa.admin1) == ("Ninawa", "Ar Raqqah")
    assert mosul.admin2 and raqqa.admin2
    assert mosul.latitude > tikrit.latitude  # Mosul lies north of Tikrit: no lat/lon swap
    assert mosul.geo_precision == 1 and mosul.source == "reuters.com"
    assert mosul.location == "Mosul" and "took control of Mosul (Ninawa, Iraq)" in mosul.notes
    assert 'Evidence: "Militants seized Mosul."' in mosul.notes
    by_type = dict(zip(rows["tags"].str.extract(r"event_type=(\w+)")[0], rows["sub_event_type"]))
    assert by_type["withdrew"] == "Non-violent transfer of territory"
    assert by_type["entered"] == by_type["besieged"] == "Armed clash"
    assert by_type["held"] == "Other"
    assert rows.loc[rows["sub_event_type"] == "Non-violent transfer of territory", "actor1"].eq("").all()


def test_round_trip_keeps_place_date_precision_actors_and_type(events, gazetteer, tmp_path):
    path = tmp_path / "acled.csv"
    write_acled(to_acled(events, gazetteer=gazetteer), path)
    back, problems = from_acled(path, gazetteer=gazetteer)
    assert problems == []
    dated = events[events["date"].notna()].reset_index(drop=True)
    pd.testing.assert_frame_equal(back[KEPT], dated[KEPT])
    assert back[["lat", "lon"]].round(5).equals(dated[["lat", "lon"]].round(5))
    assert back["sources"].str.startswith("acled:").all() and back["flags"].eq("source:acled").all()
    assert back.dtypes.to_dict() == empty_events().dtypes.to_dict()


def test_rows_without_mapper_tags_read_as_acled_data(events, gazetteer):
    rows = to_acled(events, gazetteer=gazetteer).assign(tags="")
    back, problems = from_acled(rows, gazetteer=gazetteer)
    # entered, besieged and held have no ACLED sub-event type: without the tag they are clashes
    assert any("left out (Armed clash: 2, Other: 1)" in p for p in problems)
    src = events.assign(event_id="acled:" + events["event_id"]).set_index("event_id")
    b = back.set_index("event_id")
    assert sorted(b.index) == ["acled:ev-mosul", "acled:ev-palmyra", "acled:ev-raqqa", "acled:ev-tikrit"]
    for eid in b.index:
        for col in ("place_id", "place", "date", "gainer", "loser", "event_type"):
            assert b.at[eid, col] == src.at[eid, col], (eid, col)
    assert b.at["acled:ev-tikrit", "date_precision"] == "month"
    assert b.at["acled:ev-palmyra", "date_precision"] == "month"  # a year has no ACLED code: read back as month


ACLED_FILE = """\
EVENT_ID_CNTY,EVENT_DATE,YEAR,TIME_PRECISION,EVENT_TYPE,SUB_EVENT_TYPE,ACTOR1,ACTOR2,COUNTRY,ADMIN1,LOCATION,LATITUDE,LONGITUDE,GEO_PRECISION,SOURCE,NOTES,FATALITIES,MY_COLUMN
SYR1,17 October 2017,2017,1,Battles,Non-state actor overtakes territory,QSD: Syrian Democratic Forces,Islamic State (Syria),Syria,Ar-Raqqa,Ar-Raqqa,35.9528,39.0079,1,SOHR,QSD took Raqqa city from IS.,0,x
IRQ2,10-07-2017,2017,2,Battles,Government regains territory,Military Forces of Iraq (2014-2018),Islamic State (Iraq),Iraq,Ninewa,Mosul,36.335,43.1189,1,Reuters,Iraqi forces retook Mosul.,0,x
IRQ3,2017-07-11,2017,1,Battles,Armed clash,Military Forces of Iraq (2014-2018),Islamic State (Iraq),Iraq,Ninewa,Mosul,36.335,43.1189,1,Reuters,Clashes.,3,x
SYR4,2017-08-01,2017,1,Battles,Non-state actor overtakes territory,Jaysh al-Izza,Military Forces of Syria (2000-),Syria,Hama,Nowhereville,35.3,36.7,2,Local,A group took a village.,0,x
SYR5,2017-08-02,2017,1,Battles,Non-state actor overtakes territory,Islamic State (Syria),,Syria,Homs,Palmyra,n/a,38.27,1,x,bad coordinates,0,x
SYR6,last Tuesday,2017,1,Battles,Government regains territory,Military Forces of Syria (2000-),,Syria,Homs,Palmyra,34.56,38.27,1,x,bad date,0,x
SYR7,2017-09-03,2017,3,Strategic developments,Non-violent transfer of territory,,Islamic State (Syria),Syria,Deir ez Zor,Deir ez-Zor,35.336,40.14,1,x,IS withdrew.,0,x
"""


def test_import_real_acled_file_reports_problems_and_keeps_good_rows(gazetteer, tmp_path):
    path = tmp_path / "acled_export.csv"
    path.write_text(ACLED_FILE, encoding="utf-8")
    ev, problems = from_acled(path, gazetteer=gazetteer)
    text = "\n".join(problems)
    assert "unknown column(s) ignored: my_column" in text
    assert "row 6 (SYR5): latitude/longitude 'n/a'" in text
    assert "row 7 (SYR6): event_date 'last Tuesday' is not a date" in text
    assert "(Armed clash: 1)" in text
    assert "actor 'Jaysh al-Izza' (1 row(s)) has no mapper equivalent" in text
    assert "1 location(s) not in the gazetteer" in text
    e = ev.set_index("sources")
    assert list(e.index) == ["acled:SYR1", "acled:IRQ2", "acled:SYR4", "acled:SYR7"]
    raqqa, mosul = e.loc["acled:SYR1"], e.loc["acled:IRQ2"]
    assert raqqa.place_id == gazetteer.resolve("Raqqa").place_id
    assert (raqqa.event_type, raqqa.gainer, raqqa.loser, raqqa.country) == ("captured", "SDF", "IS", "SY")
    assert (raqqa.date, raqqa.date_precision) == (pd.Timestamp("2017-10-17"), "day")
    assert mosul.place_id == gazetteer.resolve("Mosul").place_id
    assert (mosul.gainer, mosul.date, mosul.date_precision) == ("Iraqi government", pd.Timestamp("2017-07-10"), "week")
    assert e.loc["acled:SYR4", "gainer"] == "other" and e.loc["acled:SYR4", "place_id"].startswith("acled:nowhereville@")
    withdrew = e.loc["acled:SYR7"]
    assert (withdrew.event_type, withdrew.gainer, withdrew.loser) == ("withdrew", "", "IS")
    assert (withdrew.date, withdrew.date_precision) == (pd.Timestamp("2017-09-01"), "month")
    assert raqqa.evidence == "QSD took Raqqa city from IS." and raqqa.confidence == 0.9


def test_import_without_required_columns_names_them(tmp_path):
    path = tmp_path / "not_acled.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="missing ACLED column.*event_date.*Export the full ACLED table"):
        from_acled(path)
    with pytest.raises(InputError, match="no such ACLED file"):
        read_acled(tmp_path / "absent.csv")


def test_export_needs_event_columns():
    with pytest.raises(InputError, match="lack column.*event_type"):
        to_acled(pd.DataFrame({"place": ["Mosul"]}))


def test_actor_names_map_both_ways():
    for actor, country in [("IS", "SY"), ("IS", "IQ"), ("Syrian government", "SY"), ("Iraqi government", "IQ"),
                           ("SDF", "SY"), ("Kurdish forces", "IQ"), ("Kurdish forces", "SY"),
                           ("Turkish-backed rebels", "SY"), ("Syrian rebels", "SY"), ("other", "SY")]:
        assert mapper_actor(acled_actor(actor, country=country)) == actor
    assert mapper_actor("Hashd al-Shaabi") == "Iraqi government"
    assert mapper_actor("Some Militia") is None and mapper_actor("") == ""


def test_cli_export_then_import(events, tmp_path, capsys):
    ev_path, acled_path, back_path = tmp_path / "events.csv", tmp_path / "acled.csv", tmp_path / "back.csv"
    to_csv(events, ev_path)
    assert main(["export", "acled", str(ev_path), "--out", str(acled_path)]) == 0
    err = capsys.readouterr().err
    assert "7 row(s) written" in err and "1 event(s) without a date left out" in err
    assert main(["import", "acled", str(acled_path), "--out", str(back_path)]) == 0
    back = read_csv(back_path)
    dated = events[events["date"].notna()].reset_index(drop=True)
    pd.testing.assert_frame_equal(back[KEPT], dated[KEPT])
    assert main(["import", "acled", str(tmp_path / "missing.csv"), "--out", str(back_path)]) == 2
    assert "no such ACLED file" in capsys.readouterr().err


def test_round_trip_on_events_from_the_shared_corpus(seeds_dir, dev_dir, gazetteer, tmp_path):
    from mapper.distributed import run_extraction

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reports, _ = run_extraction([seeds_dir, dev_dir / "articles"], engine="local",
                                    metadata=dev_dir / "metadata.csv", gazetteer=gazetteer)
    events = corroborate(reports)
    path = tmp_path / "acled.csv"
    write_acled(to_acled(events, gazetteer=gazetteer), path)
    back, problems = from_acled(path, gazetteer=gazetteer)
    assert problems == []
    dated = events[events["date"].notna() & (events["date_precision"] != "unknown")].reset_index(drop=True)
    assert len(dated) > 20
    pd.testing.assert_frame_equal(back[KEPT], dated[KEPT])
