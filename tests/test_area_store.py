"""The held areas of a build on disk (``AreaStore``): the same rows as ``held_areas``, the same
tables and maps, and memory that does not grow with the number of snapshot dates."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from mapper import areas as A
from mapper import maps, render
from mapper import territory as T
from mapper.pipeline import _gpkg_stamp
from mapper.schema import AREA_COLUMNS, WGS84

COUNTRY = gpd.GeoDataFrame({"iso_a2": ["SY"]}, geometry=[box(38, 34, 42, 37)], crs=WGS84)


def settlement_grid(step: float = 0.1) -> gpd.GeoDataFrame:
    lon, lat = np.meshgrid(np.arange(38.05, 42, step), np.arange(34.05, 37, step))
    return gpd.GeoDataFrame(
        {"place_id": [f"s:{i}" for i in range(lon.size)], "name": "s", "country": "XX", "population": 0},
        geometry=gpd.points_from_xy(lon.ravel(), lat.ravel()), crs=WGS84,
    )


def moving_front(n_places: int = 12, weeks: int = 30, seed: int = 3) -> pd.DataFrame:
    """Events of places on a line changing hands between IS and the SDF, some weeks apart,
    with a few contested days: areas that change on some dates and not on others."""
    rng = np.random.default_rng(seed)
    rows = []
    start = pd.Timestamp("2016-01-04")
    for i in range(n_places):
        lon, lat = 38.3 + 3.4 * i / max(1, n_places - 1), 35.0 + 1.5 * rng.random()
        holder = "IS"
        rows.append({"event_id": f"e{i}-0", "place_id": f"p:{i}", "place": f"P{i}", "lat": lat, "lon": lon,
                     "event_type": "held", "gainer": holder, "loser": None, "date": start,
                     "date_precision": "day", "confidence": 0.8, "n_sources": 1, "flags": ""})
        for k in range(1, 4):
            day = start + pd.Timedelta(days=int(rng.integers(7, 7 * weeks)))
            new = "SDF" if holder == "IS" else "IS"
            kind = "entered" if rng.random() < 0.2 else "captured"
            rows.append({"event_id": f"e{i}-{k}", "place_id": f"p:{i}", "place": f"P{i}", "lat": lat,
                         "lon": lon, "event_type": kind, "gainer": new, "loser": holder, "date": day,
                         "date_precision": "day", "confidence": 0.8, "n_sources": 1, "flags": ""})
            if kind == "captured":
                holder = new
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def case():
    events = moving_front()
    control = T.control_timeline(events)
    dates = T.snapshot_dates(events, every="week")
    kw = {"radius_km": 40, "countries": COUNTRY}
    grid = settlement_grid()
    areas = T.held_areas(control, grid, dates, **kw)
    with T.spool_held_areas(control, grid, dates, **kw) as store:
        yield events, control, dates, areas, store


def test_the_store_holds_the_rows_of_held_areas(case):
    _, _, dates, areas, store = case
    assert len(areas) > 2 * len(dates) / 3 and len(store) == len(areas)
    back = store.to_geodataframe()
    assert list(back.columns) == AREA_COLUMNS and back.crs == WGS84
    assert back.attrs == areas.attrs and store.table.attrs == areas.attrs
    pd.testing.assert_frame_equal(pd.DataFrame(back.drop(columns="geometry")),
                                  pd.DataFrame(areas.drop(columns="geometry")))
    assert list(shapely.to_wkb(back.geometry.values)) == list(shapely.to_wkb(areas.geometry.values))
    table = store.table
    assert list(table.columns) == A.AREA_TABLE_COLUMNS
    # an area unchanged from one date to the next is stored once
    assert store.n_polygons == len(set(table["geom"])) < len(table)
    assert np.allclose(store.total_bounds, areas.total_bounds)
    for key, geom in zip(table["geom"][:5], areas.geometry[:5]):
        assert store.geometry(key).equals_exact(geom, 0)


def test_a_store_is_written_part_by_part_with_the_same_rows(case, tmp_path, monkeypatch):
    _, _, dates, areas, store = case
    with _gpkg_stamp(dates[-1]):
        T.write_areas(areas, tmp_path / "frame.gpkg", tmp_path / "frame.csv")
        T.write_areas(store, tmp_path / "store.gpkg", tmp_path / "store.csv")
    # one part (this small table): the same bytes as from the GeoDataFrame
    for name in ("gpkg", "csv"):
        assert (tmp_path / f"frame.{name}").read_bytes() == (tmp_path / f"store.{name}").read_bytes()
    # many parts: appended in order, the same rows
    chunks = A.AreaStore.chunks
    monkeypatch.setattr(A.AreaStore, "chunks", lambda self, max_bytes=20_000: chunks(self, max_bytes))
    assert len(list(store.chunks())) > 3
    T.write_areas(store, tmp_path / "parts.gpkg", None)
    a, b = gpd.read_file(tmp_path / "frame.gpkg"), gpd.read_file(tmp_path / "parts.gpkg")
    pd.testing.assert_frame_equal(pd.DataFrame(a.drop(columns="geometry")),
                                  pd.DataFrame(b.drop(columns="geometry")))
    assert list(a.geometry.to_wkb()) == list(b.geometry.to_wkb())
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["frame.gpkg", "frame.csv", "store.gpkg", "store.csv", "parts.gpkg"])


def test_maps_drawn_from_the_store_are_the_same(case):
    events, control, dates, areas, store = case
    a = maps.map_data(areas, events, control, dates=dates)
    b = maps.map_data(store, events, control, dates=dates)
    for name in ("dates", "frames", "stats", "signature", "polygons", "events", "legend", "bounds",
                 "meta", "piece_keys", "groups"):
        assert getattr(a, name) == getattr(b, name), name
    assert len(b.polygons["geoms"]) > 0


def _digests(folder) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_site_from_the_store_is_the_same_bytes(case, tmp_path):
    events, control, dates, areas, store = case
    kw = {"control": control, "gif": True, "summary": {"events": len(events)}}
    render.write_site(tmp_path / "frame", areas, events, dates, **kw)
    render.write_site(tmp_path / "store", store, events, dates, **kw)
    a, b = _digests(tmp_path / "frame"), _digests(tmp_path / "store")
    assert len(a) > 10 and a == b


_MEMORY_PROBE = textwrap.dedent("""
    import gc, json, sys, tempfile
    import geopandas as gpd, numpy as np, pandas as pd
    from shapely.geometry import box
    from mapper import areas as A
    from mapper import territory as T
    from mapper.schema import WGS84

    # the caches of merged cells and owners are bounded by bytes (96 + 64 + 32 MB by default); small here, so
    # that what is left is what grows with the dates
    A._UNION_CACHE_BYTES = A._PIECE_CACHE_BYTES = A._OWNER_CACHE_BYTES = 2 << 20

    way, n_dates = sys.argv[1], int(sys.argv[2])
    country = gpd.GeoDataFrame({"iso_a2": ["SY"]}, geometry=[box(38, 34, 42, 37)], crs=WGS84)
    lon, lat = np.meshgrid(np.arange(38.01, 42, 0.02), np.arange(34.01, 37, 0.02))
    grid = gpd.GeoDataFrame({"place_id": [f"s:{i}" for i in range(lon.size)]},
                            geometry=gpd.points_from_xy(lon.ravel(), lat.ravel()), crs=WGS84)
    # forty places that never move; every day a few change hands, so every date draws areas of
    # its own while the settlements and control points (the date-independent part) stay the same
    rng = np.random.default_rng(7)
    xy = [(38.3 + 0.5 * (i % 8), 34.4 + 0.5 * (i // 8)) for i in range(40)]
    holder = ["IS"] * len(xy)
    start = pd.Timestamp("2016-01-01")
    rows = []
    for k in range(n_dates):
        for i in (range(len(xy)) if k == 0 else rng.choice(len(xy), 4, replace=False)):
            new = holder[i] if k == 0 else ("SDF" if holder[i] == "IS" else "IS")
            rows.append({"event_id": f"e{k}-{i}", "place_id": f"p:{i}", "place": f"P{i}",
                         "lat": xy[i][1], "lon": xy[i][0], "event_type": "captured",
                         "gainer": new, "loser": holder[i], "date": start + pd.Timedelta(days=k),
                         "date_precision": "day", "confidence": 0.8, "n_sources": 1, "flags": ""})
            holder[i] = new
    events = pd.DataFrame(rows)
    control = T.control_timeline(events, stale_days=None, backfill_days=None)
    dates = pd.date_range(start, periods=n_dates, freq="D")
    kw = {"radius_km": 60, "cell_km": 5, "countries": country}
    T.held_areas(control, grid, dates[:2], **kw)  # warm: imports, caches of the libraries
    gc.collect()

    def status(field):
        with open("/proc/self/status") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith(field + ":"))

    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")  # reset the peak (VmHWM) to the present
    before = status("VmRSS")
    with tempfile.TemporaryDirectory() as tmp:
        if way == "spool":
            got = T.spool_held_areas(control, grid, dates, workdir=tmp, **kw)
            nbytes = got.nbytes
        else:
            got = T.held_areas(control, grid, dates, **kw)
            nbytes = int(sum(len(w) for w in got.geometry.to_wkb()))
        peak = status("VmHWM")
        print(json.dumps({"rows": len(got), "grew_kb": peak - before, "wkb_kb": nbytes // 1024}))
""")


def _grew(way: str, n_dates: int) -> dict:
    out = subprocess.run([sys.executable, "-c", _MEMORY_PROBE, way, str(n_dates)], capture_output=True,
                         text=True, check=True, timeout=600)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_memory_of_the_territory_step_does_not_grow_with_the_dates():
    """Ten times the snapshot dates, each with areas of its own: ``held_areas`` holds ten times
    the polygons, while the spooled areas peak at what a tenth of the dates takes."""
    small, large = _grew("spool", 40), _grew("spool", 400)
    frame = _grew("frame", 400)
    assert large["rows"] > 8 * small["rows"] > 0
    assert large["wkb_kb"] > 8 * small["wkb_kb"] and large["wkb_kb"] > 20_000
    # held in memory, the polygons show (the reference the spooled run is compared with)
    assert frame["grew_kb"] > large["wkb_kb"] / 2
    # spooled: ten times the dates and polygons, not twice the memory
    assert large["grew_kb"] < 2 * max(small["grew_kb"], 4_000)
    assert large["grew_kb"] < frame["grew_kb"] / 2


def test_a_store_written_element_by_element_is_the_same_text(case, tmp_path):
    events, control, dates, _, store = case
    hostile = events.assign(place=[f"{{{{ 7*7 }}}} <script>{i}</script>\u2028" for i in range(len(events))])
    data = maps.map_data(store, hostile, control, dates=dates)
    assert isinstance(data.events["events"][0][3], maps.SpooledText)  # popups stay on disk
    for name, obj in maps.site_stores(data).items():
        whole = f"(window.mapperData = window.mapperData || ({{}})).{name} = {maps.json_for_html(obj)};\n"
        streamed = maps.write_js_store(tmp_path / f"{name}.js", name, obj, stream_min=1)
        assert streamed.read_text(encoding="utf-8") == whole
    assert "{{" not in (tmp_path / "events.js").read_text() and "<script>" not in whole


def test_event_tables_written_a_part_at_a_time_are_the_same_bytes(case, tmp_path):
    from mapper import events as ev
    from mapper.outputs import write_csv
    from mapper.pipeline import _row_parts, _write_csv_parts

    events, control = case[0], case[1]
    odd = events.assign(place=[f"P{i} \u2028 \x85 line\nbreak \"q\" =1+1" for i in range(len(events))])
    for name, table in (("events", odd), ("control", control), ("empty", odd.iloc[:0])):
        write_csv(table, tmp_path / f"{name}-whole.csv")
        _write_csv_parts(_row_parts(table, 5), tmp_path / f"{name}-parts.csv")
        assert (tmp_path / f"{name}-whole.csv").read_bytes() == (tmp_path / f"{name}-parts.csv").read_bytes()
    for name, table in (("events", odd), ("empty", odd.iloc[:0])):
        ev.to_geojson(table, tmp_path / f"{name}-whole.geojson")
        ev.write_geojson(table, tmp_path / f"{name}-parts.geojson", rows=4)
        assert (tmp_path / f"{name}-whole.geojson").read_bytes() == (tmp_path / f"{name}-parts.geojson").read_bytes()
    with pytest.raises(ValueError, match="no coordinates"):
        ev.write_geojson(odd.assign(lat=np.nan), tmp_path / "bad.geojson")
    assert not (tmp_path / "bad.geojson").exists()
