"""Rows spooled to disk in parts read back as the same table (issue 15: bounded memory)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from mapper.extract import places_frame, reports_frame
from mapper.spool import RowSpool


def _place(article: str, i: int) -> dict:
    return {"article": article, "name_as_written": f"P{i}", "place_id": "" if i % 3 else f"geonames:{i}",
            "place": "", "country": "SY", "lat": float("nan") if i % 3 else 35.0 + i / 100, "lon": 38.0,
            "start": 100 - i, "end": 105 - i}


def test_parts_concatenate_to_the_table_of_all_rows(tmp_path):
    rows = [_place(f"a{k}", i) for k in range(7) for i in range(9)]
    whole = places_frame(rows)
    spool = RowSpool(tmp_path / "s", places_frame, part_rows=5)
    for k in range(7):  # one article's rows at a time, as a build adds them
        spool.extend([r for r in rows if r["article"] == f"a{k}"])
    assert len(spool) == len(rows)
    assert len(list(spool.parts())) > 1
    pd.testing.assert_frame_equal(spool.frame(), whole)
    # articles keep the order they came in, each by position
    assert list(dict.fromkeys(whole["article"])) == [f"a{k}" for k in range(7)]
    assert whole[whole["article"] == "a0"]["start"].is_monotonic_increasing


def test_an_empty_spool_gives_the_empty_table_and_frames_join_after_rows(tmp_path):
    spool = RowSpool(tmp_path / "r", reports_frame)
    empty = spool.frame()
    assert list(empty.columns) == list(reports_frame([]).columns) and len(empty) == 0
    row = {"article": "x", "place_id": "geonames:1", "place": "P", "country": "IQ", "name_as_written": "P",
           "lat": 33.0, "lon": 44.0, "event_type": "captured", "gainer": "IS", "loser": "", "date": dt.date(2015, 1, 2),
           "date_precision": "day", "confidence": 0.8, "evidence": "e", "span": "0:1",
           "published": dt.date(2015, 1, 3), "title": "", "url": "", "flags": ""}
    spool.extend([row])
    spool.add_frame(reports_frame([dict(row, article="y")]))
    got = spool.frame()
    assert list(got["article"]) == ["x", "y"]
    assert got["date"].dtype == "datetime64[ns]"


def test_a_build_writes_the_same_places_whatever_the_part_size(tmp_path, monkeypatch):
    from mapper import pipeline, spool

    real = spool.RowSpool.__init__
    arts = tmp_path / "arts"
    arts.mkdir()
    (arts / "a.txt").write_text("Iraqi troops retook Hit and Rutba from IS on 3 May 2016. Shells fell on Ramadi.\n")
    (arts / "b.txt").write_text("The SDF captured Tabqa and the villages of Qartakh and Bzoulat on 10 May 2017.\n")
    texts = []
    for part_rows in (1, 1_000_000):
        def sized(self, folder, make_frame, *, part_rows=part_rows, **kw):
            real(self, folder, make_frame, part_rows=part_rows)

        monkeypatch.setattr(pipeline.RowSpool, "__init__", sized)
        res = pipeline.build([arts], tmp_path / f"out{part_rows}", gif=False)
        texts.append((res.out_dir / "places.csv").read_text(encoding="utf-8"))
        assert {"Hit", "Rutba", "Tabqa"} <= set(res.places["name_as_written"])
        assert res.places["lat"].dtype == "float64"
    assert texts[0] == texts[1]
