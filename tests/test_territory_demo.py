"""The territory model on real corpora: the demo (gold and built), the seeds, the calibration.

Figures printed (run with ``-s``):

- ``test_demo_gold_tracks_ihs``: the IS area on the demo's gold events against IHS, per date;
- ``test_demo_build_acceptance``: the issue-13 acceptance figure: the built demo's
  ``areas.csv`` against ``data/reference/is_area_ihs.csv`` on every published date, and the last
  snapshot against the peak (``docs/territory.md`` quotes both);
- ``test_default_reach_is_the_calibrated_one``: the calibration table.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from mapper import territory as T
from mapper.errors import MapperWarning

REPO = Path(__file__).resolve().parents[1]
GOLD_DEMO = REPO / "data" / "examples" / "expected_events.csv"
IS_STATES = ("held", "contested")


# ---------------------------------------------------------------------------------------------
# gold events: what a right extractor gives, standing in for it
# ---------------------------------------------------------------------------------------------


def _grouped(gold: pd.DataFrame) -> pd.DataFrame:
    """One event per place, type, actors and date; ``n_sources`` = articles."""
    keys = ["place_id", "event_type", "gainer", "loser", "event_date", "date_precision"]
    rows = []
    for i, (k, grp) in enumerate(gold.groupby(keys, sort=True)):
        date = pd.Timestamp(k[4] + ("-01" if k[5] == "month" else "")) if k[4] else pd.NaT
        rows.append({
            "event_id": f"gold{i:03d}", "place_id": k[0], "place": grp["place"].iloc[0],
            "lat": float(grp["lat"].iloc[0]), "lon": float(grp["lon"].iloc[0]),
            "event_type": k[1], "gainer": k[2] or None, "loser": k[3] or None, "date": date,
            "date_precision": k[5], "confidence": 0.8, "n_sources": grp["file"].nunique(),
            "flags": "",
        })
    return pd.DataFrame(rows)


def demo_gold_events(gazetteer) -> pd.DataFrame:
    """``data/examples/expected_events.csv`` as events, places resolved with the gazetteer."""
    gold = pd.read_csv(GOLD_DEMO, dtype=str, keep_default_na=False)
    ids, lat, lon = [], [], []
    for place, written, cc in zip(gold["place"], gold["place_as_written"], gold["country"]):
        p = gazetteer.resolve(place, country=cc) or gazetteer.resolve(written, country=cc)
        ids.append(p.place_id if p else "")
        lat.append(p.lat if p else np.nan)
        lon.append(p.lon if p else np.nan)
    gold = gold.assign(place_id=ids, lat=lat, lon=lon)
    return _grouped(gold[gold["place_id"] != ""])


def events_from_gold(folders: list[Path], dump: Path) -> pd.DataFrame:
    """``../shared`` gold rows as events; places without a GeoNames id take the toponym's point."""
    xy = pd.read_csv(dump, sep="\t", header=None, usecols=[0, 4, 5], quoting=3,
                     dtype={0: str}, names=["geonameid", "lat", "lon"]).set_index("geonameid")
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
    gold["event_date"] = [d[:7] if p == "month" and len(d) > 7 else d
                          for d, p in zip(gold["event_date"], gold["date_precision"])]
    return _grouped(gold)


def is_series(areas: pd.DataFrame, dates) -> pd.Series:
    sel = areas[(areas["actor"] == "IS") & areas["state"].isin(IS_STATES)]
    return sel.groupby(pd.to_datetime(sel["date"]))["area_km2"].sum().reindex(
        pd.DatetimeIndex(dates), fill_value=0.0)


def print_comparison(title: str, cmp: pd.DataFrame, series: pd.Series) -> None:
    print(f"\n{title}")
    for r in cmp.itertuples(index=False):
        print(f"  {r.date:%Y-%m-%d}  IHS {r.published_km2:>9,.0f}  estimate {r.estimated_km2:>9,.0f} "
              f"km²  ratio {r.ratio:5.2f}")
    peak = series.max()
    print(f"  peak {peak:,.0f} km² on {series.idxmax():%Y-%m-%d}; last snapshot {series.index[-1]:%Y-%m-%d}: "
          f"{series.iloc[-1]:,.0f} km² ({series.iloc[-1] / peak:.1%} of the peak)")


def single_claim_overreach(control: pd.DataFrame, events: pd.DataFrame) -> list[str]:
    """Held intervals that last longer after their newest report than the stale window."""
    placed = {str(e): T._period(pd.Timestamp(d), p)[0]
              for e, d, p in zip(events["event_id"], events["date"], events["date_precision"])
              if pd.notna(d) and p != "unknown"}
    end = control["valid_to"].max()
    bad = []
    for r in control[control["state"] == "held"].itertuples(index=False):
        newest = max((placed[b] for b in T.basis_events(r.basis) if b in placed), default=None)
        if newest is None:
            continue
        to = r.valid_to if pd.notna(r.valid_to) else end
        if pd.notna(to) and (to - max(newest, r.valid_from)).days > T.STALE_DAYS:
            bad.append(f"{r.place_id} {r.holder} {r.valid_from:%Y-%m-%d}..{to:%Y-%m-%d}")
    return bad


# ---------------------------------------------------------------------------------------------
# the demo's gold events: the model, with extraction taken as right
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_gold(gazetteer):
    events = demo_gold_events(gazetteer)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MapperWarning)
        control = T.control_timeline(events)
    ref = T.read_reference()
    dates = T.snapshot_dates(events)
    areas = T.held_areas(control, gazetteer, dates.union(pd.DatetimeIndex(ref["date"])))
    return events, control, areas, dates


def test_demo_gold_tracks_ihs(demo_gold):
    """The model on the demo's gold events: IS within ±30 % of IHS on every date (±25 % on five of
    the six; December 2015 is the exception, see docs/territory.md)."""
    events, control, areas, dates = demo_gold
    ref = T.read_reference()
    cmp = T.compare_areas(areas, ref)
    print_comparison("IS area on the demo's gold events against IHS:", cmp, is_series(areas, dates))
    logs = np.log(cmp["ratio"])
    assert (logs.abs() <= np.log(1.30)).all(), cmp
    assert int((logs.abs() <= np.log(1.25)).sum()) >= 5
    assert np.sqrt((logs**2).mean()) < 0.2


def test_demo_gold_ends_with_almost_nothing_held(demo_gold):
    events, control, areas, dates = demo_gold
    series = is_series(areas, dates)
    assert dates[-1] >= pd.Timestamp("2019-03-23")  # the last event (Baghuz) is shown
    assert series.iloc[-1] < 0.02 * series.max()
    # the corridor: in mid-2015 one IS area runs from Raqqa down the Euphrates into Anbar
    def on(day):
        return dates[dates <= pd.Timestamp(day)][-1]

    mid2015 = areas[(areas["date"] == on("2015-07-15")) & (areas["actor"] == "IS")
                    & (areas["state"] == "held")].geometry.iloc[0]
    corridor = [(39.01, 35.95), (40.45, 35.02), (40.92, 34.45), (41.91, 34.47), (41.98, 34.37)]
    parts = [g for g in getattr(mid2015, "geoms", [mid2015]) if g.contains(Point(*corridor[1]))]
    assert len(parts) == 1 and all(parts[0].contains(Point(*p)) for p in corridor[1:])
    late = areas[(areas["date"] == on("2017-12-20")) & (areas["actor"] == "IS")
                 & (areas["state"] == "held")]
    assert late["area_km2"].sum() < 0.1 * series.max()  # the late-2017 pocket


def test_no_place_keeps_a_holder_longer_than_the_windows_allow(demo_gold):
    events, control, areas, dates = demo_gold
    assert single_claim_overreach(control, events) == []


# ---------------------------------------------------------------------------------------------
# the built demo: the acceptance
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_build(tmp_path_factory):
    from mapper.pipeline import build, demo_inputs

    arts, meta = demo_inputs()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MapperWarning)
        return build(arts, tmp_path_factory.mktemp("demo") / "out", metadata=meta, gif=False)


def test_demo_build_keeps_no_holder_from_one_claim_for_ever(demo_build):
    assert single_claim_overreach(demo_build.control, demo_build.events) == []
    # Kirkuk, Tal Afar, Hawija, Fallujah: no place keeps its last holder to the end unconfirmed
    last = demo_build.control.groupby("place_id").tail(1)
    assert not ((last["state"] == "held") & (last["valid_from"] < pd.Timestamp("2018-01-01"))).any()


def test_demo_build_acceptance(demo_build):
    """Issue 13: the built demo's IS area (``areas.csv``) within ±25 % of IHS on every published
    date, and the last snapshot (March 2019) under 2 % of the peak."""
    out = demo_build.out_dir
    areas = pd.read_csv(out / "areas.csv", parse_dates=["date"])
    dates = pd.DatetimeIndex(sorted(areas["date"].unique()))
    series = is_series(areas, dates)
    cmp = T.compare_areas(areas, T.read_reference())
    print_comparison("Issue-13 acceptance: the built demo's areas.csv against IHS:", cmp, series)
    ev = demo_build.events
    baghuz = ev[ev["place"].astype(str).str.contains("Baghuz") & (ev["event_type"] == "captured")]
    if baghuz.empty:
        pytest.xfail("the demo's events come from the extractor being rebuilt (issue 14): today it "
                     "misses the fall of Baghuz, Tal Afar and Fallujah; this test holds the "
                     "acceptance once it does not")
    assert series.iloc[-1] < 0.02 * series.max()
    assert (np.abs(np.log(cmp["ratio"])) <= np.log(1.25)).all(), cmp
    # the run's summary (printed by `mapper build`) gives the area on the last snapshot itself,
    # not that of the last date the actor still had some
    assert demo_build.summary["actor_area_last_km2"] == pytest.approx(float(series.iloc[-1]), abs=0.1)


# ---------------------------------------------------------------------------------------------
# the seeds (../shared) and the calibration
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_events(seeds_dir, geonames_dump) -> pd.DataFrame:
    return events_from_gold([seeds_dir], geonames_dump)


def holder_at(areas, date: str, lon: float, lat: float) -> tuple | None:
    on = areas[(areas["date"] == pd.Timestamp(date)) & areas.contains(Point(lon, lat))]
    assert len(on) <= 1
    return None if on.empty else (on["actor"].iloc[0], on["state"].iloc[0])


def test_seeds_is_area_shrinks_week_by_week(seed_events, gazetteer):
    control = T.control_timeline(seed_events)
    dates = T.snapshot_dates(seed_events, every="week", start="2017-10-01", end="2017-11-12")
    assert len(dates) == 7
    areas = T.held_areas(control, gazetteer, dates)
    is_km2 = is_series(areas[areas["state"] == "held"], dates)
    print(f"\nIS held area on the seeds, reach {T.DEFAULT_RADIUS_KM:g} km:")
    for d, km2 in is_km2.items():
        print(f"  {d:%Y-%m-%d}  {km2:>9,.0f} km²")
    assert (np.diff(is_km2.to_numpy()) <= 1e-6).all(), "the IS area grew"
    assert is_km2.iloc[-1] < is_km2.iloc[0]
    assert (is_km2 > 0).all()
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


def test_default_reach_is_the_calibrated_one(seeds_dir, dev_dir, geonames_dump, gazetteer):
    """The calibration table (docs/territory.md) on both gold corpora, at 40/50/60 km."""
    corpora = {"dev + seeds gold": events_from_gold([seeds_dir, dev_dir], geonames_dump),
               "demo gold": demo_gold_events(gazetteer)}
    for name, events in corpora.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MapperWarning)
            table = T.calibrate_reach(events, T.read_reference(), (40, 50, 60), places=gazetteer)
        with pd.option_context("display.width", 200, "display.max_columns", 20):
            print(f"\n{name}\n", table.round(3).to_string(index=False))
        assert table.attrs["best_radius_km"] == T.DEFAULT_RADIUS_KM, name
        best = table.set_index("radius_km").loc[T.DEFAULT_RADIUS_KM]
        assert best["rms_log_error"] < 0.2 and 0.85 < best["geo_mean_ratio"] < 1.15, name
        assert (table["ratio 2015-01-15"].diff().dropna() > 0).all()  # a longer reach, more area
