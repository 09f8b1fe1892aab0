"""The map site of a run: shared data files, snapshot pages and PNGs, the timeline, the index.

write_site(out, areas, events, dates, *, actor, gazetteer, summary, reference, control,
           jobs, cdn, gif, skipped, progress) -> Site

What it writes into ``out``::

    index.html                start page: summary, how to read, chart, maps, events, limits
    timeline.html             one map, a slider stepping through every snapshot date
    snapshots/<date>.html     one page per distinct state of the map (and <date>.png)
    snapshots.gif             the distinct states, each shown as long as it lasted
    area_chart.png
    data/basemap.js  data/polygons.js  data/events.js
                              the data every page shares (loaded by script tags, so the
                              pages open from file://)
    assets/                   mapper.js, mapper.css and (unless ``cdn``) Leaflet

A snapshot date whose map draws exactly what the previous date's did (same areas, same control
points in the same states) gets no page of its own: it points to the earlier page, which says
until when it holds. Pages and PNGs are rendered in a process pool with ``jobs > 1``; every file
is the same byte for byte whatever ``jobs`` is. The GIF is written frame by frame, so memory
does not grow with the number of snapshots.
"""

from __future__ import annotations

import bisect
import contextlib
import os
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib.path import Path as MplPath

from mapper import assets as _assets
from mapper import figures, maps
from mapper.areas import AreaStore
from mapper.basemap import basemap_layers
from mapper.errors import InputError
from mapper.memory import release_memory
from mapper.outputs import atomic_write, atomic_write_text

__all__ = ["Site", "write_site"]

#: how long one snapshot date lasts in the GIF (ms), and the longest a frame is held
GIF_STEP_MS = 150
GIF_MAX_FRAME_MS = 2400
GIF_HOLD_LAST_MS = 3000


@dataclass
class Site:
    """What :func:`write_site` wrote.

    ``pages``: one dict per distinct snapshot page (``date``, ``until``, ``html``, ``png``,
    ``dates``: the snapshot dates it stands for); ``snapshot_files``: the page of every
    snapshot date, in date order; ``undated``: the undated events (for ``run.json``);
    ``timings``: seconds per part.
    """

    out: Path
    pages: list[dict] = field(default_factory=list)
    snapshot_files: list[str] = field(default_factory=list)
    undated: list[dict] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    no_map_reason: str | None = None


def _skipped_dicts(skipped: Sequence[Any]) -> list[dict]:
    out = []
    for s in skipped or ():
        if isinstance(s, Mapping):
            out.append(dict(s))
        else:
            out.append({"input": getattr(s, "input", str(s)), "reason": getattr(s, "reason", ""),
                        "fix": getattr(s, "fix", "")})
    return out


def _no_map_reason(events: pd.DataFrame | None, data: maps.MapData | None) -> str:
    n = 0 if events is None else len(events)
    if n == 0:
        return ("No control-change event was found in the inputs, so there is nothing to map. "
                "The skipped inputs below, and run.json, say what could not be read.")
    undated = len(data.undated) if data is not None else 0
    if undated == n:
        return (f"None of the {n} events has a date the reader could resolve, so no map can place "
                "them in time. They are listed below as undated evidence; give them a date with "
                "an analyst override to map them.")
    return ("No snapshot date falls inside the window of the events (check --since and --until), "
            "so no map was drawn.")


# ----------------------------------------------------------------------------- workers

_WORKER: dict[str, Any] = {}


def _init_worker(out: Path, data: maps.MapData, pages: list[dict], snap_text: str, extent, basemap,
                 labels, legend, gif: bool) -> None:
    """Everything a page needs, set once per process (inherited, not sent, where processes fork)."""
    _WORKER.update(out=out, data=data, pages=pages, snap_text=snap_text, gif=gif,
                   renderer=figures.SnapshotRenderer(extent, basemap=basemap, labels=labels, legend=legend))


def _render_page(j: int) -> tuple[bytes | None, tuple[int, int] | None]:
    """Write snapshot page ``j`` and its PNG; return its GIF frame (or None)."""
    w = _WORKER
    data, pages, out = w["data"], w["pages"], w["out"]
    p = pages[j]
    k = p["index"]
    payload = maps.page_payload(data, [k], start=0, previous=[p["previous"]], until=[p["until"]])
    frame = payload["frames"][0]
    maps.write_html(_fill(w["snap_text"], payload, f"Held areas on {p['date']}"), out / p["html"])
    rgba = w["renderer"].rgba(_frame_spec(data, k, p["previous"], frame["t"], frame["c"]))
    png = figures.png_bytes(rgba)
    # atomic, without an fsync per file: the build swaps the whole folder in when it is done
    atomic_write(out / p["png"], lambda tmp: tmp.write_bytes(png))
    if not w["gif"]:
        return None, None
    gif_ms = min(GIF_MAX_FRAME_MS, GIF_STEP_MS * len(p["dates"]))
    if j == len(pages) - 1:
        gif_ms = max(gif_ms, GIF_HOLD_LAST_MS)
    return figures.gif_frame(rgba, duration_ms=gif_ms)


# ----------------------------------------------------------------------------- the site


def write_site(
    out: str | os.PathLike,
    areas: gpd.GeoDataFrame | AreaStore | None,
    events: pd.DataFrame | None,
    dates: Sequence[Any] | pd.DatetimeIndex,
    *,
    actor: str = "IS",
    gazetteer: Any = None,
    summary: Mapping[str, Any] | None = None,
    reference: pd.DataFrame | None = None,
    control: pd.DataFrame | None = None,
    jobs: int = 1,
    cdn: bool = False,
    gif: bool = True,
    skipped: Sequence[Any] = (),
    progress: Callable[[int], None] | None = None,
) -> Site:
    """Write the maps, figures and index of a run into ``out`` (see the module docstring).

    Parameters
    ----------
    out : path
        The output folder (the build's staging folder); created if missing.
    areas : GeoDataFrame or AreaStore
        ``territory.held_areas`` output for ``dates`` (its ``attrs`` name the reach), or the
        ``AreaStore`` of ``territory.spool_held_areas`` (what ``mapper build`` passes): its
        polygons are read back from disk as the shared polygon store is made, and the chart
        and index use its light table.
    events : DataFrame
        The events of the run, undated ones included (listed as undated evidence).
    dates : sequence of date-like
        The snapshot dates (the slider's steps).
    actor : str
        The mapped actor (titles, captions, the chart's upper panel).
    gazetteer : Gazetteer, optional
        Its ``countries, admin1, rivers, lakes`` layers are the basemap and its settlements
        give the town labels; default the packaged layers and no town labels beyond the
        control points.
    summary : mapping, optional
        The run summary shown on the index page.
    reference : DataFrame, optional
        Published figures for the chart.
    control : DataFrame, optional
        ``territory.control_timeline`` output (default: computed from ``events``).
    jobs : int
        Processes rendering the snapshot pages and PNGs; the files are identical for any value.
    cdn : bool
        Link Leaflet from its CDN instead of copying it beside the pages (pages then need the
        internet).
    gif : bool
        Write ``snapshots.gif``.
    skipped : sequence
        Skipped inputs (``Skipped`` records or dicts ``input, reason, fix``) for the index page.
    progress : callable, optional
        Called with the number of snapshot dates whose page is finished.

    Returns
    -------
    Site
    """
    if not isinstance(jobs, int) or jobs < 1:
        raise InputError(f"jobs={jobs!r}: pass 1 or more processes.")
    t0 = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    site = Site(out=out)
    tick = progress or (lambda n: None)
    mode: _assets.AssetMode = "cdn" if cdn else "local"
    basemap = {k: getattr(gazetteer, k, None) for k in ("countries", "admin1", "rivers", "lakes")} \
        if gazetteer is not None else {}
    settlements = gazetteer.settlements() if gazetteer is not None and hasattr(gazetteer, "settlements") else None
    day_list = [maps.day(d) for d in (dates if dates is not None else [])]
    day_list = [d for d in day_list if d]

    data = None
    if (events is not None and len(events)) or (areas is not None and len(areas)):
        data = maps.map_data(areas, events, control, dates=day_list, actor=actor, basemap=basemap,
                             settlements=settlements)
        site.undated = data.undated
    else:
        site.undated = []
    timings = site.timings
    timings["data"] = round(time.perf_counter() - t0, 3)

    # the chart and the index need no polygons
    table = areas.table if isinstance(areas, AreaStore) else areas
    # chart first: the index page shows it whatever else happens
    chart = None
    if table is not None and len(table):
        fig = figures.area_chart(table, reference=reference, reference_actor=actor, actor=actor)
        figures.save_figure(fig, out / "area_chart.png")
        chart = "area_chart.png"
    skipped_rows = _skipped_dicts(skipped)
    if data is None or not data.dates:
        site.no_map_reason = _no_map_reason(events, data)
        page = maps.index_page(table, events, snapshots=(), timeline=None, summary=summary,
                               reference=reference, chart_href=chart, actor=actor,
                               skipped=skipped_rows, undated=site.undated,
                               no_map_reason=site.no_map_reason)
        maps.write_html(page, out / "index.html")
        timings["total"] = round(time.perf_counter() - t0, 3)
        return site

    # -- shared files ------------------------------------------------------------------------
    t = time.perf_counter()
    assets_dir = out / "assets"
    assets_dir.mkdir(exist_ok=True)
    atomic_write_text(assets_dir / _assets.MAPPER_JS_NAME, _assets.MAP_JS.lstrip("\n"))
    atomic_write_text(assets_dir / _assets.MAPPER_CSS_NAME, _assets.MAP_CSS.lstrip("\n"))
    for name, obj in maps.site_stores(data).items():
        maps.write_js_store(out / "data" / f"{name}.js", name, obj)
    timings["shared"] = round(time.perf_counter() - t, 3)

    # -- one page per distinct state -----------------------------------------------------------
    runs: list[list[int]] = []
    for k, sig in enumerate(data.signature):
        if runs and data.signature[runs[-1][0]] == sig:
            runs[-1].append(k)
        else:
            runs.append([k])
    pages = []
    for j, run in enumerate(runs):
        k0, k1 = run[0], run[-1]
        d0 = data.dates[k0]
        pages.append({"date": d0, "until": data.dates[k1], "dates": [data.dates[k] for k in run],
                      "index": k0, "previous": runs[j - 1][0] if j else None,
                      "html": f"snapshots/{d0}.html", "png": f"snapshots/{d0}.png"})
    page_of = {}
    for p in pages:
        for d in p["dates"]:
            page_of[d] = p["html"]
    site.pages = pages
    site.snapshot_files = [page_of[d] for d in data.dates]

    t = time.perf_counter()
    tl_payload = maps.page_payload(data, range(len(data.dates)), start=len(data.dates) - 1,
                                   step_note=maps._step_note(data.dates))
    tl_text = maps.page_template(depth=0, assets=mode, page=out / "timeline.html",
                                 assets_dir=assets_dir)
    maps.write_html(_fill(tl_text, tl_payload, "Held areas over time: timeline"), out / "timeline.html")
    snap_text = maps.page_template(depth=1, assets=mode,
                                   page=out / "snapshots" / "x.html", assets_dir=assets_dir)
    timings["timeline"] = round(time.perf_counter() - t, 3)

    # -- snapshot pages and PNGs, in a pool ------------------------------------------------------
    t = time.perf_counter()
    (out / "snapshots").mkdir(exist_ok=True)
    extent = data.meta["extent"]
    layers = basemap_layers(basemap)
    labels = data.labels
    order = maps._actor_order([who for who, _ in data.piece_keys])
    states = ("held", "contested", "stale", "unknown")
    legend = sorted(set(data.piece_keys), key=lambda k: (order.index(k[0]), states.index(k[1])))
    setup = (out, data, pages, snap_text, extent, layers, labels, legend, gif)
    release_memory()  # before the pool forks: its processes start with this one's pages
    stream = figures.GifStream(out / "snapshots.gif") if gif else contextlib.nullcontext()
    try:
        with stream as gif_out:
            if jobs == 1:
                _init_worker(*setup)
                results = map(_render_page, range(len(pages)))
                _collect(results, pages, gif_out, tick)
            else:
                chunk = max(1, len(pages) // (jobs * 8))
                with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker,
                                         initargs=setup) as pool:
                    _collect(pool.map(_render_page, range(len(pages)), chunksize=chunk), pages,
                             gif_out, tick)
    finally:
        _WORKER.clear()
        _PATHS.clear()
        _PATH_VERTICES[0] = 0
        figures.clear_caches()
    timings["snapshots"] = round(time.perf_counter() - t, 3)

    # -- index ---------------------------------------------------------------------------------
    t = time.perf_counter()
    items = []
    prev_km2 = None
    for p in pages:
        km2 = data.stats[p["index"]]["km2"].get((actor, "held"), 0.0)
        items.append({"label": p["date"], "until": p["until"], "href": p["html"], "km2": km2,
                      "change": None if prev_km2 is None else km2 - prev_km2})
        prev_km2 = km2
    page = maps.index_page(table, events, snapshots=items, timeline="timeline.html", summary=summary,
                           reference=reference, chart_href=chart, actor=actor, skipped=skipped_rows,
                           undated=site.undated)
    maps.write_html(page, out / "index.html")
    timings["index"] = round(time.perf_counter() - t, 3)
    timings["total"] = round(time.perf_counter() - t0, 3)
    return site


def _collect(results, pages: list[dict], gif_out, tick) -> None:
    """Append the pages' GIF frames in page order and report progress."""
    for j, (frame, size) in enumerate(results):
        if gif_out is not None and frame is not None:
            gif_out.add(frame, size)
        tick(len(pages[j]["dates"]))


def _fill(template: str, payload: dict, title: str) -> str:
    # the title first: the payload's strings come from articles and must stay as they are
    return (template.replace(maps.TITLE_SLOT, maps.escape_html(title))
            .replace(maps.PAYLOAD_SLOT, maps.json_for_html(payload)))


def _frame_spec(data: maps.MapData, k: int, previous: int | None, title: str, caption: str) -> figures.FrameSpec:
    """The PNG of frame ``k``: the page's polygons, points, events of the step and labels."""
    areas = [(*data.piece_keys[pi], _piece_path(data, pi)) for pi in data.frames[k]]
    d = data.dates[k]
    points, active = [], set()
    actors = data.events["actors"]
    places = data.events["places"]
    for i, iv in enumerate(data.events["intervals"]):
        for lo, hi, holder, code in iv:
            if lo <= d and (hi == "" or d < hi):
                points.append((places[i][2], places[i][1], actors[holder] if holder >= 0 else None,
                               maps.POINT_STATES[code]))
                active.add(data.place_ids[i])
                break
    # the events of the step: (previous frame, d]; events are stored in date order
    days = data.event_days
    lo = bisect.bisect_right(days, data.dates[previous]) if previous is not None else 0
    hi = bisect.bisect_right(days, d)
    evs = []
    for e in data.events["events"][lo:hi]:
        place = places[e[1]]
        evs.append((place[2], place[1], actors[e[2]] if e[2] >= 0 else None))
    return figures.FrameSpec(title=title, caption=caption, areas=areas, points=points, events=evs,
                             active=frozenset(active))


_PATHS: dict[tuple, Any] = {}
#: vertices the cached paths hold (about 17 bytes each), and the most they may hold
_PATH_VERTICES = [0]
_MAX_PATH_VERTICES = 3_000_000


def _piece_path(data: maps.MapData, pi: int):
    """The matplotlib path of a piece, straight from its delta-encoded rings (built once)."""
    key = (id(data), pi)
    hit = _PATHS.get(key)
    if hit is None:
        if len(_PATHS) > 50_000 or _PATH_VERTICES[0] > _MAX_PATH_VERTICES:
            _PATHS.clear()  # frames come in date order: the pieces of the next ones are made again
            _PATH_VERTICES[0] = 0
        scale = data.polygons["scale"]
        verts, codes = [], []
        for gi in data.polygons["pieces"][pi]["g"]:
            geom = data.polygons["geoms"][gi]
            for ring in geom.arrays() if isinstance(geom, maps.EncodedPolygon) else geom:
                xy = np.cumsum(np.asarray(ring, dtype=np.int64).reshape(-1, 2), axis=0) / scale
                if len(xy) < 3:
                    continue
                c = np.full(len(xy), MplPath.LINETO, dtype=np.uint8)
                c[0], c[-1] = MplPath.MOVETO, MplPath.CLOSEPOLY
                verts.append(xy)
                codes.append(c)
        hit = _PATHS[key] = MplPath(np.concatenate(verts), np.concatenate(codes)) if verts else None
        _PATH_VERTICES[0] += sum(len(v) for v in verts)
    return hit
