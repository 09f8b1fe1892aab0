"""Folium maps of held territory: one per snapshot date, one with a time slider, and the index.

snapshot_map(areas, events, date, *, actor="IS", ...)   -> folium.Map of one date
timeline_map(areas, events, *, actor="IS", ...)         -> folium.Map with a date slider
index_page(areas, events, *, snapshots, ...)            -> the start page (HTML text)
save_map(m, path, *, assets="cdn", assets_dir=None)     write a map atomically
render_map(m, *, assets="cdn", page=None, assets_dir=None) -> the page text
load_basemap(kind, *, path=None)                        a packaged basemap layer
decode_polygon(rings)                                   a payload polygon back to shapely
write_html(text, path)                                  write any page atomically
event_popup_html(event), escape_html(value), safe_url(url)
                                                        the escaping every page relies on

How a page is built. Folium supplies the Leaflet map (no tiles, a scale bar); everything the
mapper draws travels as one JSON payload in a ``<script type="application/json">`` element and
is drawn by the small script ``assets.MAP_JS``: the vector basemap (countries, governorates,
lakes, rivers; always on, so a map means something offline), optional web tiles (an overlay,
off by default: nothing reaches the network unless the user ticks it), held areas per actor,
events, legend, title, caption, layer control and, with several dates, the slider.

The timeline stores each distinct polygon once. Geometries are simplified (topology-preserving,
``tolerance`` degrees) and snapped to a ``10**-COORD_DECIMALS`` degree grid, then deduplicated
by their normalised WKB: a frame (date) is a list of ids into the pieces (geometry, actor,
state). Its size grows with the number of changes, not with dates x polygons.

Safety. Strings from articles (titles, names as written, evidence, URLs) are HTML-escaped and
their braces turned into entities before they reach a page, and the JSON payload escapes
``< > & { }`` as JSON unicode escapes (``\\u003c`` ...): branca renders a macro's output through jinja a second time, so
template syntax in a report (``{{ 7*7 }}``) must never reach a template. Only ``http(s)`` URLs
become links.
"""

from __future__ import annotations

import base64
import html as _html
import io
import json
import math
import os
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from jinja2 import Template

import mapper
from mapper import assets as _assets
from mapper.colors import actor_color
from mapper.errors import InputError, SkippedInputWarning
from mapper.outputs import atomic_write
from mapper.schema import ACTORS, WGS84
from mapper.territory import DEFAULT_RADIUS_KM

__all__ = [
    "BASEMAP_TOLERANCE",
    "COORD_DECIMALS",
    "DATA_RE",
    "DEFAULT_ACTOR",
    "DEFAULT_TOLERANCE",
    "GAZETTEER_DIR",
    "decode_polygon",
    "escape_html",
    "event_popup_html",
    "index_page",
    "load_basemap",
    "render_map",
    "safe_url",
    "save_map",
    "snapshot_map",
    "timeline_map",
    "write_html",
]

#: simplification tolerance of held-area polygons, degrees (~0.5 km at 36N)
DEFAULT_TOLERANCE = 0.005
#: simplification tolerance of the basemap layers, degrees (~1 km)
BASEMAP_TOLERANCE = 0.01
#: decimals kept in map coordinates (3 = a 0.001 degree grid, ~110 m)
COORD_DECIMALS = 3
DEFAULT_ACTOR = "IS"
#: packaged basemap files: ``<kind>.geojson``
GAZETTEER_DIR = Path(mapper.__file__).resolve().parents[1] / "data" / "gazetteer"
BASEMAP_KINDS = ("countries", "admin1", "lakes", "rivers")

_TILES = {
    "name": "Web tiles (OpenStreetMap, online)",
    "url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    "attribution": "&copy; OpenStreetMap contributors",
}
_BASE_STYLES = {
    "countries": {"color": "#8c8c8c", "weight": 1, "fillColor": "#f4f1ea", "fillOpacity": 1},
    "admin1": {"color": "#a0a0a0", "weight": 0.6, "dashArray": "3 3", "fill": False},
    "lakes": {"color": "#7fb2d6", "weight": 0.5, "fillColor": "#b7d4ea", "fillOpacity": 1},
    "rivers": {"color": "#5a9bd0", "weight": 1.2, "fill": False},
}
_BASE_NAMES = {
    "countries": "Countries",
    "admin1": "Governorates",
    "lakes": "Lakes",
    "rivers": "Rivers",
}

# ----------------------------------------------------------------------------- escaping


def escape_html(value: Any) -> str:
    """HTML-escape ``value`` for text or a quoted attribute, braces included.

    ``None`` and NaN give ``""``. Braces become ``&#123;``/``&#125;`` so that no template
    engine that later sees the text can read ``{{ }}`` or ``{% %}`` in it; browsers show them
    unchanged.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return ""
    text = _html.escape(str(value), quote=True)
    return text.replace("{", "&#123;").replace("}", "&#125;")


def safe_url(url: Any) -> str | None:
    """Return ``url`` stripped when it is an absolute ``http(s)`` address, else ``None``.

    ``javascript:``, ``data:``, relative and malformed addresses give ``None``: they are
    shown as text, never as links.
    """
    if not isinstance(url, str):
        return None
    url = url.strip()
    if not url or any(ord(c) < 0x20 or c in ' "<>\\`' for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def _json_for_html(obj: Any) -> str:
    """JSON safe inside a ``<script>`` element and through any number of jinja renderings.

    ``< > &`` become ``\\u003c \\u003e \\u0026`` (no ``</script>``), and a ``{`` that
    would open ``{{``, ``{%`` or ``{#`` becomes ``\\u007b``. Structural JSON braces are always
    followed by ``"`` or ``}``, so such a ``{`` is always inside a string, where the escape
    is valid JSON.
    """
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return _JINJA_OPEN.sub("\\\\u007b", text)


_JINJA_OPEN = re.compile(r"\{(?=[{%#])")
#: the JSON payload element of a rendered map page (for tests and tools)
DATA_RE = re.compile(
    r'<script type="application/json" class="mapper-data"[^>]*>(.*?)</script>', re.S
)


# ----------------------------------------------------------------------------- popups


def _fmt_date(value: Any) -> str:
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return "unknown"
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        return str(value)
    return "unknown" if pd.isna(ts) else ts.strftime("%Y-%m-%d")


def _citations(event: Mapping[str, Any]) -> list[dict[str, Any]]:
    raw = event.get("citations")
    cites: list[dict[str, Any]] = []
    if isinstance(raw, str) and raw.strip():
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = []
        if isinstance(parsed, list):
            cites = [c for c in parsed if isinstance(c, dict)]
    elif isinstance(raw, list):
        cites = [c for c in raw if isinstance(c, dict)]
    if not cites:
        sources = event.get("sources")
        ids = [s for s in str(sources).split(";") if s] if isinstance(sources, str) else []
        cites = [{"article": a, "evidence": event.get("evidence")} for a in ids] or [
            {"evidence": event.get("evidence")}
        ]
    return cites


def _link(url: Any, text: Any) -> str:
    href = safe_url(url)
    label = escape_html(text)
    if href is None:
        return label
    return f'<a href="{escape_html(href)}" target="_blank" rel="noopener noreferrer">{label}</a>'


def event_popup_html(event: Mapping[str, Any]) -> str:
    """The popup of one event (a row of ``schema.EVENT_COLUMNS``), every string escaped.

    Shows place, country, what happened (gainer/loser), date and its precision, confidence,
    and per source its evidence sentence, the name as written and a link to the article
    (``http(s)`` addresses only; others are shown as text).
    """
    place = escape_html(event.get("place"))
    country = escape_html(event.get("country"))
    kind = escape_html(event.get("event_type"))
    gainer = escape_html(event.get("gainer")) or "?"
    loser = escape_html(event.get("loser"))
    date = escape_html(_fmt_date(event.get("date")))
    precision = escape_html(event.get("date_precision") or "unknown")
    conf = event.get("confidence")
    conf_txt = (
        f"{float(conf):.2f}" if isinstance(conf, (int, float)) and not math.isnan(conf) else "?"
    )
    what = f"{kind} by {gainer}" + (f" from {loser}" if loser else "")
    parts = [
        '<div class="mapper-popup">',
        f"<b>{place}</b>" + (f" ({country})" if country else ""),
        f"<br>{what}",
        f"<br>Date: {date} (precision: {precision})",
        f"<br>Confidence: {conf_txt}",
        "<ol>",
    ]
    for c in _citations(event):
        title = c.get("title") or c.get("article") or "article"
        bits = []
        if c.get("evidence"):
            bits.append(f"<q>{escape_html(c.get('evidence'))}</q>")
        src = _link(c.get("url"), title)
        published = c.get("published")
        if published:
            src += f" ({escape_html(_fmt_date(published))})"
        bits.append(src)
        if c.get("name_as_written"):
            bits.append(f"written: {escape_html(c.get('name_as_written'))}")
        parts.append("<li>" + " &mdash; ".join(bits) + "</li>")
    parts.append("</ol></div>")
    return "".join(parts)


# ----------------------------------------------------------------------------- geometry


def _round(obj: Any, nd: int) -> Any:
    if isinstance(obj, float):
        r = round(obj, nd)
        return 0.0 if r == 0 else r
    if isinstance(obj, (list, tuple)):
        return [_round(o, nd) for o in obj]
    return obj


def _web_geometries(geoms: Iterable[Any], tolerance: float) -> list[Any]:
    """Simplify (topology-preserving), snap to the coordinate grid and normalise.

    Works on copies (via WKB); identical inputs (an actor's unchanged area on many dates)
    are simplified once.
    """
    wkbs = shapely.to_wkb(list(geoms)) if geoms is not None else []
    done: dict[bytes, Any] = {}
    out = []
    grid = 10.0**-COORD_DECIMALS
    for wkb in wkbs:
        if wkb is None:
            out.append(None)
            continue
        if wkb not in done:
            g = shapely.from_wkb(wkb)
            if g is None or g.is_empty:
                done[wkb] = None
            else:
                if tolerance > 0:
                    g = g.simplify(tolerance, preserve_topology=True)
                g = shapely.set_precision(g, grid)
                done[wkb] = None if g.is_empty else shapely.normalize(g)
        out.append(done[wkb])
    return out


def _geojson(g: Any) -> dict[str, Any]:
    return _round(json.loads(shapely.to_geojson(g)), COORD_DECIMALS)


def _polygon_parts(g: Any) -> list[Any]:
    """The polygons of a (multi)polygon or collection, lines and points dropped."""
    return [p for p in shapely.get_parts(g) if p.geom_type == "Polygon" and not p.is_empty]


def _encode_polygon(poly: Any) -> list[list[int]]:
    """A polygon as rings of delta-encoded integers on the coordinate grid.

    Each ring is ``[x0, y0, dx1, dy1, ...]`` in units of ``10**-COORD_DECIMALS`` degrees
    (x = lon); about a third of the size of decimal GeoJSON. ``MAP_JS`` decodes it.
    """
    scale = 10**COORD_DECIMALS
    out = []
    for ring in (poly.exterior, *poly.interiors):
        xy = np.rint(np.asarray(ring.coords)[:, :2] * scale).astype(np.int64)
        out.append(np.vstack([xy[:1], np.diff(xy, axis=0)]).ravel().tolist())
    return out


def decode_polygon(rings: Sequence[Sequence[int]]) -> Any:
    """Inverse of the payload's polygon encoding (for tests and tools): a shapely Polygon."""
    scale = 10**COORD_DECIMALS
    coords = [
        np.cumsum(np.asarray(r, dtype=np.int64).reshape(-1, 2), axis=0) / scale for r in rings
    ]
    return shapely.Polygon(coords[0], coords[1:])


def load_basemap(kind: str, *, path: str | os.PathLike | None = None) -> gpd.GeoDataFrame | None:
    """Read a packaged basemap layer (``countries``, ``admin1``, ``lakes`` or ``rivers``).

    Returns a new GeoDataFrame in WGS84, or ``None`` (with a :class:`SkippedInputWarning`)
    when the file is absent.
    """
    if kind not in BASEMAP_KINDS:
        raise InputError(f"basemap layer {kind!r} is not one of {BASEMAP_KINDS}.")
    p = Path(path) if path is not None else GAZETTEER_DIR / f"{kind}.geojson"
    if not p.is_file():
        warnings.warn(
            f"{p}: basemap layer '{kind}' not found; the map is drawn without it. "
            "Pass it as a GeoDataFrame or restore the packaged data/gazetteer files.",
            SkippedInputWarning,
            stacklevel=2,
        )
        return None
    return _read_basemap(str(p), p.stat().st_mtime_ns).copy()


@lru_cache(maxsize=8)
def _read_basemap(path: str, _mtime: int) -> gpd.GeoDataFrame:
    gdf = gpd.read_file(path)
    return gdf.to_crs(WGS84) if gdf.crs is not None else gdf.set_crs(WGS84)


@lru_cache(maxsize=16)
def _basemap_fc_cached(path: str, mtime: int, tolerance: float) -> str:
    return json.dumps(_basemap_fc(_read_basemap(path, mtime), tolerance))


def _basemap_fc(gdf: gpd.GeoDataFrame, tolerance: float) -> dict[str, Any]:
    if gdf.crs is not None and gdf.crs != WGS84:
        gdf = gdf.to_crs(WGS84)
    feats = [
        {"type": "Feature", "properties": {}, "geometry": _geojson(g)}
        for g in _web_geometries(gdf.geometry, tolerance)
        if g is not None
    ]
    return {"type": "FeatureCollection", "features": feats}


def _basemap_layers(layers: Mapping[str, gpd.GeoDataFrame | None]) -> list[dict[str, Any]]:
    out = []
    for kind in BASEMAP_KINDS:
        gdf = layers.get(kind)
        if gdf is None:
            p = GAZETTEER_DIR / f"{kind}.geojson"
            if not p.is_file():
                if kind == "countries":
                    load_basemap(kind)  # warns
                continue
            fc = json.loads(_basemap_fc_cached(str(p), p.stat().st_mtime_ns, BASEMAP_TOLERANCE))
        else:
            fc = _basemap_fc(gdf, BASEMAP_TOLERANCE)
        out.append({"name": _BASE_NAMES[kind], "style": _BASE_STYLES[kind], "data": fc})
    return out


# ----------------------------------------------------------------------------- payload


def _day(value: Any) -> str | None:
    """``YYYY-MM-DD`` of a date-like value; ``None`` when missing or not a date."""
    try:
        ts = pd.Timestamp(value) if value is not None else pd.NaT
    except (TypeError, ValueError):
        return None
    return None if pd.isna(ts) else ts.strftime("%Y-%m-%d")


def _areas_frame(areas: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    cols = ["date", "actor", "state", "geometry", "area_km2", "n_places", "n_events", "day"]
    if areas is None or len(areas) == 0:
        return gpd.GeoDataFrame(
            {c: pd.Series([], dtype=object) for c in cols}, geometry="geometry", crs=WGS84
        )
    missing = [c for c in ("date", "actor", "state", "geometry") if c not in areas.columns]
    if missing:
        raise InputError(
            f"areas: missing column(s) {missing}; expected schema.AREA_COLUMNS "
            "(as returned by territory.held_areas)."
        )
    a = areas.copy()
    if a.crs is not None and a.crs != WGS84:
        a = a.to_crs(WGS84)
    a["day"] = [_day(d) for d in a["date"]]
    for col in ("area_km2", "n_places", "n_events"):
        if col not in a.columns:
            a[col] = float("nan")
    return a[a["day"].notna()]


def _events_frame(events: pd.DataFrame | None) -> pd.DataFrame:
    if events is None or len(events) == 0:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in ("day", "lat", "lon")})
    missing = [c for c in ("lat", "lon", "date") if c not in events.columns]
    if missing:
        raise InputError(
            f"events: missing column(s) {missing}; expected schema.EVENT_COLUMNS "
            "(as returned by events.corroborate)."
        )
    e = events.copy()
    e["day"] = [_day(d) for d in e["date"]]
    e["lat"] = pd.to_numeric(e["lat"], errors="coerce")
    e["lon"] = pd.to_numeric(e["lon"], errors="coerce")
    ok = e["day"].notna() & e["lat"].between(-90, 90) & e["lon"].between(-180, 180)
    return e[ok].sort_values(["day"], kind="stable")


def _actor_order(names: Iterable[str]) -> list[str]:
    names = set(names)
    known = [a for a in ACTORS if a in names]
    return known + sorted(names - set(known))


def _sources_of(row: Mapping[str, Any]) -> set[str]:
    s = row.get("sources")
    if isinstance(s, str) and s:
        return {x for x in s.split(";") if x}
    return set()


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _fmt_km2(x: float) -> str:
    return f"{x:,.0f} km\u00b2"


def _payload(
    areas: gpd.GeoDataFrame | None,
    events: pd.DataFrame | None,
    days: Sequence[str],
    *,
    start: int,
    actor: str,
    previous: str | None,
    radius_km: float,
    tolerance: float,
    basemap: Mapping[str, gpd.GeoDataFrame | None],
    web_tiles: bool,
    interval_ms: int,
) -> dict[str, Any]:
    a = _areas_frame(areas)
    a = a[a["day"].isin(set(days))]
    ev = _events_frame(events)
    ev = ev[ev["day"] <= max(days)]  # later events belong to later maps
    gainers = [g.strip() if isinstance(g, str) else "" for g in ev.get("gainer", [None] * len(ev))]
    actors = _actor_order([x for x in list(a["actor"].astype(str)) + gainers if x])
    area_actors = _actor_order(a["actor"].astype(str))
    groups = [escape_html(x) for x in area_actors] + ["Reported events"]
    group_of = {x: i for i, x in enumerate(area_actors)}

    # unique geometries, then unique pieces (geometry, actor, state, numbers)
    web = _web_geometries(a.geometry, tolerance)
    geom_ids: dict[bytes, int] = {}
    geoms: list[list[list[int]]] = []
    piece_ids: dict[tuple, int] = {}
    pieces: list[dict[str, Any]] = []
    hatch_ids: dict[str, str] = {}
    styles: list[dict[str, Any]] = []
    style_ids: dict[tuple[str, bool], int] = {}
    frames: dict[str, list[int]] = {d: [] for d in days}
    held: dict[str, float] = dict.fromkeys(days, 0.0)
    for (_, row), g in zip(a.iterrows(), web):
        parts = _polygon_parts(g) if g is not None else []
        if not parts:
            continue
        ids = []
        for part in parts:  # each distinct polygon once, even inside changing multipolygons
            wkb = shapely.to_wkb(part)
            gi = geom_ids.get(wkb)
            if gi is None:
                gi = geom_ids[wkb] = len(geoms)
                geoms.append(_encode_polygon(part))
            ids.append(gi)
        gi = tuple(ids)
        who, state = str(row["actor"]), str(row["state"])
        km2 = float(row["area_km2"]) if pd.notna(row["area_km2"]) else float("nan")
        npl = int(row["n_places"]) if pd.notna(row["n_places"]) else None
        nev = int(row["n_events"]) if pd.notna(row["n_events"]) else None
        key = (gi, who, state, None if math.isnan(km2) else round(km2, 1), npl, nev)
        pi = piece_ids.get(key)
        if pi is None:
            pi = piece_ids[key] = len(pieces)
            contested = state != "held"
            color = actor_color(who)
            if contested and color not in hatch_ids:
                hatch_ids[color] = f"hatch{len(hatch_ids)}"
            label = f"<b>{escape_html(who)}</b> &mdash; {escape_html(state)}"
            if not math.isnan(km2):
                label += f"<br>{escape_html(_fmt_km2(km2))}"
            if npl is not None:
                label += f"<br>{npl} places, {nev if nev is not None else '?'} events"
            skey = (who, contested)
            if skey not in style_ids:
                style_ids[skey] = len(styles)
                styles.append(
                    {
                        "color": color,
                        "weight": 1.5 if contested else 1.2,
                        "opacity": 0.9,
                        "fillColor": color,
                        "fillOpacity": 0.7 if contested else 0.45,
                        "dashArray": "5 4" if contested else None,
                        "className": f"mapper-area mapper-{'contested' if contested else 'held'}",
                    }
                )
            pieces.append(
                {
                    "g": gi,
                    "group": group_of[who],
                    "label": label,
                    "hatch": hatch_ids[color] if contested else None,
                    "s": style_ids[skey],
                }
            )
        frames[row["day"]].append(pi)
        if who == actor and state == "held" and not math.isnan(km2):
            held[row["day"]] += km2

    # per-frame title and caption
    all_held = _held_by_day(areas, actor)
    titles, captions = [], []
    # events are sorted by day: walk them once, growing the sets of places and sources
    ev_days = ev["day"].tolist()
    ev_places = ev["place_id"].tolist() if "place_id" in ev else list(range(len(ev)))
    ev_sources = [_sources_of({"sources": x}) for x in ev.get("sources", [None] * len(ev))]
    seen_places: set = set()
    seen_sources: set[str] = set()
    j = 0
    for k, d in enumerate(days):
        prev = previous if k == 0 else days[k - 1]
        now = held[d]
        title = f"{d} \u2014 {actor} held area: {_fmt_km2(now)}"
        if prev is not None:
            before = all_held.get(prev, 0.0)
            title += f" ({now - before:+,.0f} km\u00b2 since {prev})"
        else:
            title += " (first snapshot)"
        titles.append(title)
        while j < len(ev_days) and ev_days[j] <= d:
            seen_places.add(ev_places[j])
            seen_sources |= ev_sources[j]
            j += 1
        captions.append(
            f"Areas are estimates, not surveyed front lines: derived from "
            f"{_n(len(seen_places), 'reported control point')} ({_n(j, 'event')}) from "
            f"{_n(len(seen_sources), 'source')} up to {d}; each "
            f"point speaks for settlements within {radius_km:g} km. Hatched areas are "
            f"contested. Polygons simplified to {tolerance:g}\u00b0. State at the end of {d}."
        )

    ev_items = []
    for _, r in ev.iterrows():
        row = r.to_dict()
        gainer = row.get("gainer")
        ev_items.append(
            {
                "d": row["day"],
                "lat": round(float(row["lat"]), 5),
                "lon": round(float(row["lon"]), 5),
                "color": actor_color(gainer.strip())
                if isinstance(gainer, str) and gainer.strip()
                else "#999999",
                "popup": event_popup_html(row),
                "tip": escape_html(
                    f"{row.get('place') or row.get('name_as_written') or '?'}: "
                    f"{row.get('event_type') or '?'} by {gainer or '?'} ({row['day']})"
                ),
            }
        )

    legend = [
        {"label": f"{x} held", "color": actor_color(x), "contested": False} for x in area_actors
    ]
    if (a["state"].astype(str) != "held").any():
        legend.append(
            {"label": "contested (hatched, dashed outline)", "color": "#777777", "contested": True}
        )
    for x in actors:
        if x not in area_actors and x in gainers:
            legend.append(
                {
                    "label": f"event gained by {x}",
                    "color": actor_color(x),
                    "contested": False,
                    "marker": True,
                }
            )
    if "" in gainers:
        legend.append(
            {
                "label": "event, no gainer named",
                "color": "#999999",
                "contested": False,
                "marker": True,
            }
        )
    if len(ev):
        legend.append(
            {
                "label": "event (newest: large, white ring)",
                "color": "#777777",
                "contested": False,
                "marker": True,
            }
        )

    return {
        "dates": list(days),
        "start": start,
        "frames": [frames[d] for d in days],
        "geoms": geoms,
        "scale": 10**COORD_DECIMALS,
        "pieces": pieces,
        "styles": styles,
        "groups": groups,
        "event_group": len(groups) - 1,
        "events": ev_items,
        "titles": titles,
        "captions": captions,
        "hatches": [{"id": v, "color": k} for k, v in hatch_ids.items()],
        "legend_title": "Held areas (estimated)",
        "legend": legend,
        "basemap": _basemap_layers(basemap),
        "tiles": dict(_TILES) if web_tiles else None,
        "bounds": _bounds(a, ev, basemap),
        "interval_ms": int(interval_ms),
    }


def _held_by_day(areas: gpd.GeoDataFrame | None, actor: str) -> dict[str, float]:
    if areas is None or len(areas) == 0 or "area_km2" not in areas.columns:
        return {}
    df = pd.DataFrame(
        {
            "day": [_day(d) for d in areas["date"]],
            "actor": areas["actor"].astype(str).to_numpy(),
            "state": areas["state"].astype(str).to_numpy(),
            "km2": pd.to_numeric(areas["area_km2"], errors="coerce").to_numpy(),
        }
    )
    df = df[(df["actor"] == actor) & (df["state"] == "held")]
    return {k: float(v) for k, v in df.groupby("day")["km2"].sum().items()}


def _bounds(a: gpd.GeoDataFrame, ev: pd.DataFrame, basemap: Mapping[str, Any]) -> list | None:
    boxes = []
    if len(a):
        boxes.append(tuple(a.total_bounds))
    if len(ev):
        boxes.append((ev["lon"].min(), ev["lat"].min(), ev["lon"].max(), ev["lat"].max()))
    if not boxes:
        admin1 = basemap.get("admin1")
        if admin1 is not None and len(admin1):
            boxes.append(tuple(admin1.total_bounds))
        else:
            boxes.append((35.5, 29.0, 48.6, 37.4))  # Syria and Iraq
    x0 = min(b[0] for b in boxes)
    y0 = min(b[1] for b in boxes)
    x1 = max(b[2] for b in boxes)
    y1 = max(b[3] for b in boxes)
    pad = max(0.3, 0.08 * max(x1 - x0, y1 - y0))
    return [[round(y0 - pad, 3), round(x0 - pad, 3)], [round(y1 + pad, 3), round(x1 + pad, 3)]]


# ----------------------------------------------------------------------------- folium


class _MapperLayer(MacroElement):
    """Everything the mapper draws on a folium map, from one JSON payload (see MAP_JS)."""

    _template = Template(
        '{% macro header(this, kwargs) %}<link rel="icon" href="data:,"><style>'
        + _assets.MAP_CSS
        + "</style>{% endmacro %}\n"
        "{% macro html(this, kwargs) %}"
        '<script type="application/json" class="mapper-data" id="{{ this.get_name() }}_data">'
        "{{ this.payload }}</script>{% endmacro %}\n"
        "{% macro script(this, kwargs) %}"
        + _assets.MAP_JS
        + "mapperRender({{ this._parent.get_name() }}, '{{ this.get_name() }}_data');"
        "{% endmacro %}"
    )

    def __init__(self, payload: dict[str, Any]):
        super().__init__()
        self._name = "MapperLayer"
        self.payload = _json_for_html(payload)


def _new_map() -> folium.Map:
    m = folium.Map(
        location=[34.5, 41.0], zoom_start=6, tiles=None, control_scale=True, prefer_canvas=False
    )
    # only Leaflet: the mapper uses no jQuery, Bootstrap or icon fonts
    m.default_js = [("leaflet", _assets.LEAFLET_JS)]
    m.default_css = [("leaflet_css", _assets.LEAFLET_CSS)]
    return m


def _check_actor(actor: str) -> None:
    if not isinstance(actor, str) or not actor:
        raise InputError(f"actor={actor!r}: name an actor, e.g. one of {ACTORS}.")


def snapshot_map(
    areas: gpd.GeoDataFrame | None,
    events: pd.DataFrame | None,
    date: Any,
    *,
    actor: str = DEFAULT_ACTOR,
    previous_date: Any = None,
    radius_km: float = DEFAULT_RADIUS_KM,
    countries: gpd.GeoDataFrame | None = None,
    admin1: gpd.GeoDataFrame | None = None,
    rivers: gpd.GeoDataFrame | None = None,
    lakes: gpd.GeoDataFrame | None = None,
    web_tiles: bool = True,
    tolerance: float = DEFAULT_TOLERANCE,
) -> folium.Map:
    """The map of one snapshot date: held areas, events up to that date, legend and title.

    Parameters
    ----------
    areas : GeoDataFrame
        ``schema.AREA_COLUMNS``; rows of other dates are ignored except for the change in
        the title.
    events : DataFrame
        ``schema.EVENT_COLUMNS``; events dated up to ``date`` are drawn (the newest
        highlighted), later ones left out. Events without a date or coordinates are left out.
    date : date-like
        The snapshot date; the map shows the state at the end of that day.
    actor : str
        Whose held area (km²) and change the title gives.
    previous_date : date-like, optional
        The snapshot to compare with; default the latest date of ``areas`` before ``date``.
    radius_km : float
        The territory model's reach, named in the caption.
    countries, admin1, rivers, lakes : GeoDataFrame, optional
        Basemap layers; default the packaged ``data/gazetteer/<kind>.geojson``.
    web_tiles : bool
        Offer OpenStreetMap tiles as an overlay (off until the user ticks it).
    tolerance : float
        Simplification tolerance of the area polygons, degrees.

    Returns
    -------
    folium.Map
        Save it with :func:`save_map`.
    """
    _check_actor(actor)
    day = _day(date)
    if day is None:
        raise InputError(f"snapshot date {date!r} is not a date; pass e.g. '2017-10-17'.")
    if previous_date is not None:
        prev = _day(previous_date)
    else:
        earlier = sorted(
            {
                d
                for d in (
                    _day(x) for x in (areas["date"] if areas is not None and len(areas) else [])
                )
                if d and d < day
            }
        )
        prev = earlier[-1] if earlier else None
    payload = _payload(
        areas,
        events,
        [day],
        start=0,
        actor=actor,
        previous=prev,
        radius_km=radius_km,
        tolerance=tolerance,
        web_tiles=web_tiles,
        interval_ms=800,
        basemap={"countries": countries, "admin1": admin1, "rivers": rivers, "lakes": lakes},
    )
    m = _new_map()
    _MapperLayer(payload).add_to(m)
    return m


def timeline_map(
    areas: gpd.GeoDataFrame | None,
    events: pd.DataFrame | None,
    *,
    dates: Iterable[Any] | None = None,
    actor: str = DEFAULT_ACTOR,
    radius_km: float = DEFAULT_RADIUS_KM,
    countries: gpd.GeoDataFrame | None = None,
    admin1: gpd.GeoDataFrame | None = None,
    rivers: gpd.GeoDataFrame | None = None,
    lakes: gpd.GeoDataFrame | None = None,
    web_tiles: bool = True,
    tolerance: float = DEFAULT_TOLERANCE,
    interval_ms: int = 800,
    start: str = "last",
) -> folium.Map:
    """One map with a date slider (play/pause) over every snapshot date.

    Each position shows the held areas of that date and the events dated up to it (the
    state at the end of the shown day). Each distinct polygon is stored once.

    Parameters
    ----------
    areas, events, actor, radius_km, countries, admin1, rivers, lakes, web_tiles, tolerance
        As in :func:`snapshot_map`.
    dates : iterable of date-like, optional
        Slider positions; default every date of ``areas`` (or of ``events`` when ``areas``
        is empty).
    interval_ms : int
        Time per step when playing.
    start : {"last", "first"}
        The date shown when the page opens.

    Returns
    -------
    folium.Map
    """
    _check_actor(actor)
    if start not in ("last", "first"):
        raise InputError(f"start={start!r}: use 'last' or 'first'.")
    if dates is not None:
        days = sorted({d for d in (_day(x) for x in dates) if d})
    else:
        src = (
            areas["date"]
            if areas is not None and len(areas)
            else (events["date"] if events is not None and len(events) else [])
        )
        days = sorted({d for d in (_day(x) for x in src) if d})
    if not days:
        raise InputError("timeline_map: no dates in areas or events; nothing to show.")
    payload = _payload(
        areas,
        events,
        days,
        start=len(days) - 1 if start == "last" else 0,
        actor=actor,
        previous=None,
        radius_km=radius_km,
        tolerance=tolerance,
        web_tiles=web_tiles,
        interval_ms=interval_ms,
        basemap={"countries": countries, "admin1": admin1, "rivers": rivers, "lakes": lakes},
    )
    m = _new_map()
    _MapperLayer(payload).add_to(m)
    return m


# ----------------------------------------------------------------------------- writing


def write_html(text: str, path: str | os.PathLike) -> Path:
    """Write ``text`` to ``path`` atomically (temporary file in the same folder, then rename).

    Raises
    ------
    OutputError
        The folder cannot be created or written.
    """
    return atomic_write(Path(path), lambda tmp: tmp.write_text(text, encoding="utf-8", newline="\n"))


def _stable_ids(root: Any) -> None:
    """Give every element a deterministic id, so two runs write identical files."""
    counter = 0

    def walk(el: Any) -> None:
        nonlocal counter
        el._id = f"{counter:08x}"
        counter += 1
        for child in list(getattr(el, "_children", {}).values()):
            walk(child)

    walk(root)


def render_map(
    m: folium.Map,
    *,
    assets: _assets.AssetMode = "cdn",
    page: str | os.PathLike | None = None,
    assets_dir: str | os.PathLike | None = None,
) -> str:
    """Render ``m`` to the text of a page, its Leaflet linked, inlined or copied (see save_map)."""
    root = m.get_root()
    _stable_ids(root)
    text = root.render()
    return _assets.embed_assets(text, mode=assets, page=page, assets_dir=assets_dir)


def save_map(
    m: folium.Map,
    path: str | os.PathLike,
    *,
    assets: _assets.AssetMode = "cdn",
    assets_dir: str | os.PathLike | None = None,
) -> Path:
    """Write a map atomically.

    Parameters
    ----------
    m : folium.Map
        From :func:`snapshot_map` or :func:`timeline_map` (any folium map works).
    path : path-like
        The HTML file.
    assets : {"cdn", "inline", "local"}
        ``"cdn"``: Leaflet from jsDelivr (small files, needs the internet);
        ``"inline"``: Leaflet inside the file (self-contained, ~+150 kB per file);
        ``"local"``: Leaflet copied once into ``assets_dir`` and linked relatively
        (self-contained folder). Inline and local copies come from ``folium-offline``.
    assets_dir : path-like, optional
        For ``"local"``; default ``<folder of path>/assets``.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    return write_html(render_map(m, assets=assets, page=path, assets_dir=assets_dir), path)


# ----------------------------------------------------------------------------- index


def _href(target: Any) -> str | None:
    """A link target: an http(s) URL or a relative path without a scheme."""
    if not isinstance(target, (str, os.PathLike)):
        return None
    t = os.fspath(target).strip()
    if not t:
        return None
    if safe_url(t):
        return t
    parts = urlsplit(t)
    if parts.scheme or parts.netloc or any(ord(c) < 0x20 for c in t):
        return None
    return t


def _summary_html(summary: Mapping[str, Any] | None) -> str:
    if not summary:
        return "<p>No run summary.</p>"
    rows = []
    for k, v in summary.items():
        if isinstance(v, (dict, list, tuple)):
            val = (
                "<pre>"
                + escape_html(json.dumps(v, indent=1, ensure_ascii=False, default=str))
                + "</pre>"
            )
        else:
            val = escape_html(v)
        rows.append(f'<tr><th scope="row">{escape_html(k)}</th><td>{val}</td></tr>')
    return '<table class="mapper-summary">' + "".join(rows) + "</table>"


def _events_table(events: pd.DataFrame | None) -> str:
    head = [
        "date",
        "precision",
        "place",
        "country",
        "event",
        "gainer",
        "loser",
        "confidence",
        "sources",
        "evidence",
    ]
    out = ['<table class="mapper-sortable mapper-events"><thead><tr>']
    out += [f'<th scope="col" title="click to sort">{h}</th>' for h in head]
    out.append("</tr></thead><tbody>")
    if events is not None:
        ev = events.copy()
        ev["_day"] = [_day(d) or "" for d in ev["date"]] if "date" in ev else ""
        for _, r in ev.sort_values("_day", kind="stable").iterrows():
            row = r.to_dict()
            conf = row.get("confidence")
            conf_ok = isinstance(conf, (int, float)) and not math.isnan(conf)
            links = []
            for c in _citations(row):
                label = c.get("title") or c.get("article")
                if label or c.get("url"):
                    links.append(_link(c.get("url"), label or c.get("url")))
            cells = [
                (row["_day"] or "unknown", None),
                (row.get("date_precision"), None),
                (row.get("place"), None),
                (row.get("country"), None),
                (row.get("event_type"), None),
                (row.get("gainer"), None),
                (row.get("loser"), None),
                (f"{float(conf):.2f}" if conf_ok else "", f"{float(conf):.4f}" if conf_ok else "0"),
            ]
            tds = []
            for text, sort in cells:
                attr = f' data-sort="{escape_html(sort)}"' if sort is not None else ""
                tds.append(f"<td{attr}>{escape_html(text)}</td>")
            n = row.get("n_sources")
            nsort = (
                str(int(n))
                if isinstance(n, (int, float)) and not math.isnan(n)
                else str(len(links))
            )
            tds.append(f'<td data-sort="{nsort}">' + "<br>".join(links) + "</td>")
            tds.append(f"<td>{escape_html(row.get('evidence'))}</td>")
            out.append("<tr>" + "".join(tds) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def index_page(
    areas: gpd.GeoDataFrame | None,
    events: pd.DataFrame | None,
    *,
    snapshots: Mapping[str, str] | Sequence[tuple[str, str]] = (),
    timeline: str | None = "timeline.html",
    summary: Mapping[str, Any] | None = None,
    reference: pd.DataFrame | None = None,
    title: str = "Territorial control: held areas over time",
    chart_png: bytes | None = None,
) -> str:
    """The start page: area chart, links to the snapshots and the timeline, events, run summary.

    Parameters
    ----------
    areas : GeoDataFrame
        ``schema.AREA_COLUMNS``, for the area-over-time chart (made with
        :func:`mapper.figures.area_chart` unless ``chart_png`` is given).
    events : DataFrame
        ``schema.EVENT_COLUMNS``, listed in a sortable table with their sources.
    snapshots : mapping or sequence of (label, href)
        Links to the snapshot pages, e.g. ``{"2017-10-17": "snapshots/2017-10-17.html"}``.
    timeline : str or None
        Link to the time-slider map.
    summary : mapping, optional
        The run summary (``run.json`` content), shown as a table.
    reference : DataFrame, optional
        Published area figures (``date, area_km2, source``) drawn as points on the chart.
    title : str
        Page heading.
    chart_png : bytes, optional
        A ready chart image instead of drawing one.

    Returns
    -------
    str
        The page; write it with :func:`write_html`.
    """
    if chart_png is None and areas is not None and len(areas):
        from mapper import figures

        fig = figures.area_chart(areas, reference=reference)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
        chart_png = buf.getvalue()
    chart = (
        '<img class="mapper-chart" alt="held area per actor over time" src="data:image/png;base64,'
        + base64.b64encode(chart_png).decode("ascii")
        + '">'
        if chart_png
        else "<p>No areas to chart.</p>"
    )
    items = snapshots.items() if isinstance(snapshots, Mapping) else snapshots
    links = []
    for label, target in items:
        href = _href(target)
        links.append(
            f'<li><a href="{escape_html(href)}">{escape_html(label)}</a></li>'
            if href
            else f"<li>{escape_html(label)}</li>"
        )
    tl = _href(timeline) if timeline else None
    n_ev = 0 if events is None else len(events)
    body = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<link rel="icon" href="data:,">',
        f"<title>{escape_html(title)}</title>",
        "<style>body{font:14px/1.45 system-ui,sans-serif;margin:1.5em auto;max-width:1200px;"
        "padding:0 1em;color:#222}table{border-collapse:collapse;width:100%}"
        "th,td{border-bottom:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}"
        "td{overflow-wrap:anywhere}th{white-space:nowrap}"
        "table.mapper-sortable th{cursor:pointer;background:#f3f3f3;position:sticky;top:0}"
        "th[aria-sort=ascending]::after{content:' \\25B2'}"
        "th[aria-sort=descending]::after{content:' \\25BC'}"
        ".mapper-chart{max-width:100%}ul.mapper-snapshots{columns:4}"
        ".mapper-summary th{width:14em}</style></head><body>",
        f"<h1>{escape_html(title)}</h1>",
        "<p>Held areas are estimates derived from reported control points, not surveyed "
        "front lines. Every event links to the articles it rests on.</p>",
        "<h2>Maps</h2><ul>",
        f'<li><a class="mapper-timeline" href="{escape_html(tl)}">Time-slider map</a></li>'
        if tl
        else "",
        "</ul>",
        "<h2>Held area over time</h2>",
        chart,
        f"<h2>Snapshots ({len(links)})</h2>",
        '<ul class="mapper-snapshots">' + "".join(links) + "</ul>",
        f"<h2>Events ({n_ev})</h2>",
        "<p>Click a column heading to sort.</p>",
        _events_table(events),
        "<h2>Run summary</h2>",
        _summary_html(summary),
        "<script>" + _assets.TABLE_JS + "</script>",
        "</body></html>",
    ]
    return "\n".join(b for b in body if b)
