"""`mapper build` end to end: every output's schema, the seeds' acceptance, the demo's shape."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import geopandas as gpd
import pandas as pd
import pytest

from mapper.errors import MapperWarning
from mapper.schema import (
    ACTORS,
    AREA_COLUMNS,
    CONTROL_COLUMNS,
    EVENT_TYPES,
    PRECISIONS,
    REPORT_COLUMNS,
)

OUTPUTS = ["index.html", "timeline.html", "events.geojson", "events.csv", "reports.csv", "places.csv",
           "control.csv", "areas.csv", "territory.gpkg", "run.json", "area_chart.png"]


@pytest.fixture(scope="module")
def seed_build(seeds_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("seeds") / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "mapper.cli", "build", *sorted(map(str, seeds_dir.glob("*.txt"))),
         "--metadata", str(seeds_dir / "metadata.csv"), "--out", str(out)],
        capture_output=True, text=True, timeout=600,
    )
    return proc, out


def test_build_on_seeds_writes_every_output(seed_build):
    proc, out = seed_build
    assert proc.returncode == 0, proc.stderr
    for name in OUTPUTS:
        assert (out / name).is_file(), f"{name} missing"
    snaps = sorted((out / "snapshots").glob("*.html"))
    assert snaps and len(snaps) == len(list((out / "snapshots").glob("*.png")))
    assert "open " in proc.stdout and "index.html" in proc.stdout
    # nothing is left beside the output folder
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".out.")]


def test_output_schemas(seed_build):
    _, out = seed_build
    reports = pd.read_csv(out / "reports.csv", keep_default_na=False)
    assert list(reports.columns[: len(REPORT_COLUMNS)]) == REPORT_COLUMNS
    events = pd.read_csv(out / "events.csv", keep_default_na=False)
    for col in ["event_id", "place_id", "event_type", "gainer", "loser", "date", "date_precision",
                "sources", "n_sources", "evidence", "lat", "lon"]:
        assert col in events.columns
    assert set(events["event_type"]) <= set(EVENT_TYPES)
    assert set(events["date_precision"]) <= set(PRECISIONS)
    assert set(events["gainer"]) - {""} <= set(ACTORS)
    assert events["lat"].between(-90, 90).all() and events["lon"].between(-180, 180).all()
    assert (events["n_sources"] >= 1).all()
    control = pd.read_csv(out / "control.csv", keep_default_na=False)
    assert list(control.columns[: len(CONTROL_COLUMNS)]) == CONTROL_COLUMNS
    areas = pd.read_csv(out / "areas.csv")
    assert list(areas.columns) == [c for c in AREA_COLUMNS if c != "geometry"]
    gpkg = gpd.read_file(out / "territory.gpkg")
    assert gpkg.crs.to_epsg() == 4326 and len(gpkg) == len(areas)
    fc = json.loads((out / "events.geojson").read_text())
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == len(events)
    lon, lat = fc["features"][0]["geometry"]["coordinates"]
    assert 30 < lon < 50 and 30 < lat < 40  # RFC 7946 order: lon, lat
    run = json.loads((out / "run.json").read_text())
    for key in ("versions", "arguments", "inputs", "counts", "skipped", "unresolved", "timings_s"):
        assert key in run
    assert all(len(f["sha256"]) == 64 for f in run["inputs"])
    assert run["counts"]["articles_read"] == 5


def test_seed_territory_acceptance(seeds_dir, tmp_path):
    """Issue 5 acceptance on extracted events: weekly snapshots Oct-Nov 2017."""
    from mapper.pipeline import build

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MapperWarning)
        res = build(sorted(seeds_dir.glob("*.txt")), tmp_path / "out", metadata=seeds_dir / "metadata.csv",
                    since="2017-10-01", until="2017-11-12", every="week")
    ctl = res.control

    def holder(pid, day):
        day = pd.Timestamp(day)
        rows = ctl[(ctl["place_id"] == pid) & (pd.to_datetime(ctl["valid_from"]) <= day)
                   & ((ctl["valid_to"].isna()) | (pd.to_datetime(ctl["valid_to"]) > day))]
        return set(zip(rows["holder"], rows["state"]))

    assert ("IS", "held") in holder("geonames:172955", "2017-10-16")
    assert ("SDF", "held") in holder("geonames:172955", "2017-10-18")
    assert ("Syrian government", "held") in holder("geonames:170794", "2017-11-04")
    assert ("Iraqi government", "held") in holder("geonames:92138", "2017-11-04")
    is_area = (res.areas[(res.areas["actor"] == "IS") & (res.areas["state"] == "held")]
               .groupby("date")["area_km2"].sum())
    print("\nIS held km² per weekly snapshot (extracted seed events):")
    for d, a in is_area.items():
        print(f"  {pd.Timestamp(d).date()}  {a:>10,.0f}")
    assert is_area.is_monotonic_decreasing
    assert is_area.iloc[-1] < is_area.iloc[0]


def test_demo_is_area_rises_then_shrinks(tmp_path):
    """Issue 7: on the demo corpus the IS area rises in 2014-2015 and shrinks 2015 -> 2019."""
    from mapper.pipeline import build, demo_inputs

    arts, meta = demo_inputs()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MapperWarning)
        res = build(arts, tmp_path / "demo", metadata=meta, every="month")
    held = res.areas[(res.areas["actor"] == "IS") & (res.areas["state"] == "held")]
    series = held.groupby("date")["area_km2"].sum()
    series.index = pd.to_datetime(series.index)
    early = series[series.index < "2014-07-01"].iloc[0]
    peak = series[(series.index >= "2014-07-01") & (series.index < "2016-01-01")].max()
    late2017 = series[(series.index >= "2017-10-01") & (series.index < "2018-01-01")].mean()
    last = series.iloc[-1]
    print(f"\ndemo IS area: first {early:,.0f}, 2014-15 peak {peak:,.0f}, late 2017 {late2017:,.0f}, last {last:,.0f} km²")
    assert peak > early
    assert late2017 < peak
    assert last < 0.5 * peak
    assert res.exit_code == 0
