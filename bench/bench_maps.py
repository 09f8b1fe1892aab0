"""Map sizes and render times on a synthetic corpus (issue 8, "Maps").

    python bench/bench_maps.py [--events 500] [--days 365] [--json out.json]

Builds ``--events`` synthetic events (tests/browser_util.py) spread over ``--days`` days, held
areas per event date (a 25 km disc per place, held by its last gainer), the packaged basemap
(data/gazetteer) and measures: the snapshot map of the last date and the timeline map, each
rendered with Leaflet from the CDN and inlined; the timeline's unique geometries against the
dates x polygons it would hold without deduplication; the time to build and render.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from browser_util import synthetic_areas, synthetic_events  # noqa: E402

from mapper import maps  # noqa: E402


def _timed(fn, *args, **kwargs):
    t = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t


def run(n_events: int = 500, days: int = 365, seed: int = 0) -> dict:
    """Measure; return one dict of results."""
    events = synthetic_events(n_events, seed=seed, days=days)
    areas, t_areas = _timed(synthetic_areas, events)
    dates = sorted(areas["date"].unique())
    last = dates[-1]
    # warm the basemap cache so the timings are the maps' own
    maps.snapshot_map(areas.iloc[:0], None, last)

    m, t_snap = _timed(maps.snapshot_map, areas, events, last)
    snap_cdn, t_snap_render = _timed(maps.render_map, m)
    snap_inline = maps.render_map(m, assets="inline")
    tl, t_tl = _timed(maps.timeline_map, areas, events)
    tl_cdn, t_tl_render = _timed(maps.render_map, tl)
    tl_inline = maps.render_map(tl, assets="inline")

    payload = json.loads(maps.DATA_RE.search(tl_cdn).group(1))
    compact = {"separators": (",", ":")}
    # what a per-date layer (TimestampedGeoJson-style) would store: every row's GeoJSON
    web = maps._web_geometries(areas.geometry, maps.DEFAULT_TOLERANCE)
    per_date = sum(len(json.dumps(maps._geojson(g), **compact)) for g in web if g is not None)
    n_parts = sum(len(maps._polygon_parts(g)) for g in web if g is not None)
    base_only = maps.render_map(maps.snapshot_map(None, None, last))
    return {
        "machine": f"{platform.node()} {platform.machine()} python {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "events": n_events,
        "dates": len(dates),
        "area_rows": len(areas),
        "polygons_over_all_dates": n_parts,
        "polygons_stored_once": len(payload["geoms"]),
        "polygon_bytes_stored": len(json.dumps(payload["geoms"], **compact)),
        "polygon_bytes_if_geojson_per_date": per_date,
        "basemap_page_bytes": len(base_only.encode()),
        "snapshot_bytes_cdn": len(snap_cdn.encode()),
        "snapshot_bytes_inline": len(snap_inline.encode()),
        "timeline_bytes_cdn": len(tl_cdn.encode()),
        "timeline_bytes_inline": len(tl_inline.encode()),
        "seconds_areas_synthetic": round(t_areas, 2),
        "seconds_snapshot_build": round(t_snap, 3),
        "seconds_snapshot_render": round(t_snap_render, 3),
        "seconds_timeline_build": round(t_tl, 3),
        "seconds_timeline_render": round(t_tl_render, 3),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=500)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args(argv)
    res = run(args.events, args.days)
    width = max(map(len, res))
    for k, v in res.items():
        if isinstance(v, int) and not isinstance(v, bool) and v >= 10_000:
            v = f"{v:,}"
        print(f"{k:<{width}}  {v}")
    if args.json:
        args.json.write_text(json.dumps(res, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
