"""Helpers of the map and figure tests: a synthetic corpus, a local web server, headless Chromium.

synthetic_events(n, *, seed=0, hostile=False)   -> DataFrame[schema.EVENT_COLUMNS]
synthetic_areas(events, *, dates=None)          -> GeoDataFrame[schema.AREA_COLUMNS]
shared_basemap()                                -> dict of basemap GeoDataFrames or None
serve(folder)                                   context manager: http://127.0.0.1:<port>/
chromium()                                      context manager: a selenium driver
demo_screenshots(site, dest)                    the demo's 2015, 2016 and 2017 snapshots as PNGs
gold_demo_site(dest)                            the map site of the demo's hand-checked events
HOSTILE                                         strings that must never run or render as markup

    python tests/browser_util.py screenshots SITE [DEST] [PREFIX]   (DEST default: docs/)
    python tests/browser_util.py gold-site DEST
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point
from shapely.ops import unary_union

from mapper.schema import AREA_COLUMNS, EQUAL_AREA, EVENT_COLUMNS, WGS84

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MAPPER_SHARED", REPO.parent / "shared"))
ARTIFACTS = Path(__file__).resolve().parent / "_artifacts"
CHROMIUM = os.environ.get("MAPPER_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("MAPPER_CHROMEDRIVER", "/usr/bin/chromedriver")

#: hostile text fed through titles, names as written, evidence and URLs
HOSTILE = {
    "script": "<script>window.__pwned=1</script>",
    "img": '"><img src=x onerror=window.__pwned=1>',
    "template": "{{ 7*7 }} {% if 1 %}TPL{% endif %} {# c #}",
    "js_url": "javascript:window.__pwned=1",
    "js_url_spaced": " JaVaScRiPt:window.__pwned=1",
    "data_url": "data:text/html,<script>window.__pwned=1</script>",
}

#: (name, country, lat, lon) along the middle Euphrates and around Mosul
PLACES = [
    ("Deir ez-Zor", "SY", 35.336, 40.141),
    ("Mayadin", "SY", 35.020, 40.452),
    ("Al Quriyah", "SY", 34.930, 40.540),
    ("Al Asharah", "SY", 34.923, 40.566),
    ("Hajin", "SY", 34.694, 40.831),
    ("Abu Kamal", "SY", 34.452, 40.918),
    ("Al Qaim", "IQ", 34.369, 41.094),
    ("Rawa", "IQ", 34.470, 41.913),
    ("Anah", "IQ", 34.372, 41.987),
    ("Raqqa", "SY", 35.950, 39.009),
    ("Tal Afar", "IQ", 36.374, 42.449),
    ("Mosul", "IQ", 36.340, 43.130),
]


def _citation(i: int, *, hostile: bool, evidence: str, name: str) -> dict:
    if hostile:
        return {
            "article": f"a{i}",
            "title": HOSTILE["script"] + " " + HOSTILE["template"],
            "url": HOSTILE["js_url"] if i % 2 else HOSTILE["js_url_spaced"],
            "published": "2017-10-20",
            "evidence": evidence,
            "name_as_written": HOSTILE["img"] + name,
        }
    return {
        "article": f"a{i}",
        "title": f"Dispatch {i}",
        "url": f"https://example.org/news/{i}?a=1&b=2",
        "published": "2017-10-20",
        "evidence": evidence,
        "name_as_written": name,
    }


def synthetic_events(
    n: int = 12,
    *,
    seed: int = 0,
    hostile: bool = False,
    start: str = "2017-10-01",
    days: int = 60,
) -> pd.DataFrame:
    """``n`` events: IS losing the places of ``PLACES`` (then random ones) over ``days`` days.

    With ``hostile``, one event carries ``HOSTILE`` strings in its title, name as written,
    evidence and URL (and a ``data:`` URL), the others stay plain.
    """
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp(start)
    rows = []
    for i in range(n):
        if i < len(PLACES):
            name, country, lat, lon = PLACES[i]
            day = t0 + pd.Timedelta(days=int(i * days / max(n, 1)))
        else:
            name = f"Village {i}"
            country = "SY" if rng.random() < 0.6 else "IQ"
            lat = float(rng.uniform(33.5, 36.8))
            lon = float(rng.uniform(38.5, 43.5))
            day = t0 + pd.Timedelta(days=int(rng.integers(0, days)))
        gainer = (
            "Iraqi government" if country == "IQ" else ("Syrian government" if i % 3 else "SDF")
        )
        kind = "entered" if i % 5 == 4 else "captured"
        evidence = f"Forces {kind} {name} on the day."
        hostile_row = hostile and i == 1
        cites = [_citation(i, hostile=hostile_row, evidence=evidence, name=name)]
        if hostile_row:
            evidence = HOSTILE["script"] + HOSTILE["img"] + HOSTILE["template"]
            cites[0]["evidence"] = evidence
            cites.append(
                {
                    **_citation(i + 1000, hostile=False, evidence=evidence, name=name),
                    "url": HOSTILE["data_url"],
                    "title": HOSTILE["img"],
                }
            )
        rows.append(
            {
                "event_id": f"e{i:04d}",
                "place_id": f"mapper:{name.lower().replace(' ', '-')}",
                "place": HOSTILE["img"] + name if hostile_row else name,
                "country": country,
                "name_as_written": cites[0]["name_as_written"],
                "lat": lat,
                "lon": lon,
                "event_type": kind,
                "gainer": gainer,
                "loser": "IS",
                "date": day,
                "date_precision": "day" if i % 4 else "week",
                "confidence": round(0.5 + 0.5 * (i % 5) / 4, 2),
                "evidence": evidence,
                "sources": ";".join(c["article"] for c in cites),
                "n_sources": len(cites),
                "citations": json.dumps(cites),
                "flags": "",
            }
        )
    df = pd.DataFrame(rows, columns=EVENT_COLUMNS)
    df["date"] = pd.to_datetime(df["date"])
    return df


def synthetic_areas(
    events: pd.DataFrame,
    *,
    dates: list | None = None,
    radius_km: float = 25.0,
    is_start: bool = True,
) -> gpd.GeoDataFrame:
    """Held areas per date: a ``radius_km`` disc per place, held by its last gainer.

    Before its first event every place is IS-held (``is_start``); ``entered`` makes it
    contested by the gainer. Unchanged actors keep identical geometries between dates.
    """
    ev = events.sort_values("date", kind="stable")
    places = ev.drop_duplicates("place_id")[["place_id", "lat", "lon"]]
    pts = gpd.GeoSeries(
        [Point(lon, lat) for lat, lon in zip(places["lat"], places["lon"])], crs=WGS84
    ).to_crs(EQUAL_AREA)
    discs = dict(zip(places["place_id"], pts.buffer(radius_km * 1000, 32)))
    if dates is None:
        dates = sorted(ev["date"].dt.normalize().unique())
    rows = []
    for d in dates:
        d = pd.Timestamp(d)
        state = {pid: ("IS", "held") for pid in discs} if is_start else {}
        for _, r in ev[ev["date"] <= d].iterrows():
            state[r["place_id"]] = (
                r["gainer"],
                "contested" if r["event_type"] == "entered" else "held",
            )
        groups: dict[tuple, list] = {}
        for pid, key in state.items():
            groups.setdefault(key, []).append(pid)
        taken = None
        # held first, then contested minus held, so areas never overlap
        for (actor, st), pids in sorted(groups.items(), key=lambda kv: (kv[0][1] != "held", kv[0])):
            geom = unary_union([discs[p] for p in sorted(pids)])
            if taken is not None:
                geom = geom.difference(taken)
            taken = geom if taken is None else taken.union(geom)
            if geom.is_empty:
                continue
            rows.append(
                {
                    "date": d,
                    "actor": actor,
                    "state": st,
                    "geometry": geom,
                    "area_km2": geom.area / 1e6,
                    "n_places": len(pids),
                    "n_events": int(((ev["date"] <= d) & ev["place_id"].isin(pids)).sum()),
                }
            )
    gdf = gpd.GeoDataFrame(rows, columns=AREA_COLUMNS, geometry="geometry", crs=EQUAL_AREA)
    return gdf.to_crs(WGS84)


@functools.lru_cache(maxsize=1)
def _shared_basemap() -> dict | None:
    d = SHARED / "data"
    files = {
        "countries": d / "ne_10m_admin0_region.geojson",
        "admin1": d / "ne_10m_admin1_SY_IQ.geojson",
        "rivers": d / "ne_10m_rivers_region.geojson",
        "lakes": d / "ne_10m_lakes_region.geojson",
    }
    if not all(p.is_file() for p in files.values()):
        return None
    return {k: gpd.read_file(p) for k, p in files.items()}


def shared_basemap() -> dict | None:
    """The basemap layers from ``../shared/data`` (copies), or ``None`` when absent."""
    b = _shared_basemap()
    return None if b is None else {k: v.copy() for k, v in b.items()}


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        pass


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on 127.0.0.1 (a free port) for the duration; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here, or ``None``."""
    for p in (CHROMIUM, CHROMEDRIVER):
        if not (Path(p).is_file() and os.access(p, os.X_OK)):
            return (
                f"{p} not found: install Debian chromium and chromium-driver "
                "(apt-get install -y chromium chromium-driver) to run the browser tests"
            )
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium not installed (pip install selenium)"
    return None


@contextlib.contextmanager
def chromium(width: int = 1280, height: int = 900) -> Iterator:
    """A headless Chromium driven by selenium, with a fresh profile; console logs kept."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="mapper-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
    ):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    try:
        driver.set_page_load_timeout(60)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def severe_logs(driver) -> list[dict]:
    """Console entries of level SEVERE since the last call."""
    return [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


#: the demo snapshots docs/ shows: the corridor of 2015, the shrinking area of 2016, the pocket
#: of late 2017 (the page standing for each date)
DEMO_SHOTS = {"demo_2015.png": "2015-07-15", "demo_2016.png": "2016-07-15", "demo_2017.png": "2017-12-15"}


def demo_screenshots(site: Path, dest: Path, *, width: int = 1280, height: int = 860,
                     prefix: str = "demo") -> list[Path]:
    """Screenshots of the snapshot pages of ``site`` that stand for the dates of ``DEMO_SHOTS``.

    Serves ``site`` on 127.0.0.1, opens each page in headless Chromium, checks that it loaded
    without console errors and writes the PNG into ``dest``.
    """
    import time

    pages = sorted(p.stem for p in (site / "snapshots").glob("*.html"))
    if not pages:
        raise FileNotFoundError(f"{site}/snapshots: no snapshot pages; build the demo first")
    dest.mkdir(parents=True, exist_ok=True)
    out = []
    with serve(site) as base, chromium(width, height) as driver:
        for name, day in DEMO_SHOTS.items():
            page = max((p for p in pages if p <= day), default=pages[0])
            driver.get_log("browser")
            driver.get(f"{base}snapshots/{page}.html")
            for _ in range(200):
                if driver.execute_script("return document.readyState === 'complete' && "
                                         "document.querySelectorAll('.mapper-label').length > 0"):
                    break
                time.sleep(0.1)
            time.sleep(0.8)
            errors = severe_logs(driver)
            if errors:
                raise AssertionError(f"{page}: console errors {errors}")
            path = dest / name.replace("demo", prefix, 1)
            driver.save_screenshot(str(path))
            out.append(path)
    return out


def gold_demo_site(dest: Path) -> Path:
    """The map site (``render.write_site``) of ``data/examples/expected_events.csv``: the demo
    as a right extraction would give it, for comparison with ``mapper demo``."""
    import warnings

    from test_territory_demo import demo_gold_events

    from mapper import render
    from mapper import territory as T
    from mapper.errors import MapperWarning
    from mapper.gazetteer import Gazetteer

    gaz = Gazetteer.load()
    events = demo_gold_events(gaz)
    for col in ("country", "name_as_written", "evidence", "sources", "citations"):
        events[col] = ""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MapperWarning)
        control = T.control_timeline(events)
        dates = T.snapshot_dates(events)
        areas = T.held_areas(control, gaz, dates)
        render.write_site(dest, areas, events, dates, gazetteer=gaz, control=control,
                          reference=T.read_reference(), gif=False)
    return dest


if __name__ == "__main__":  # pragma: no cover - a maintainer's tool
    import sys

    if len(sys.argv) >= 3 and sys.argv[1] == "gold-site":
        print(gold_demo_site(Path(sys.argv[2])))
    elif len(sys.argv) >= 3 and sys.argv[1] == "screenshots":
        target = Path(sys.argv[3]) if len(sys.argv) > 3 else REPO / "docs"
        prefix = sys.argv[4] if len(sys.argv) > 4 else "demo"
        for p in demo_screenshots(Path(sys.argv[2]), target, prefix=prefix):
            print(p)
    else:
        raise SystemExit("usage: python tests/browser_util.py screenshots SITE [DEST] [PREFIX]\n"
                         "       python tests/browser_util.py gold-site DEST")
