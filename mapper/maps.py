"""Folium maps of held territory: the data pages share, snapshot and slider maps, the index.

map_data(areas, events, control=None, *, actor="IS", ...)  -> MapData: everything drawn, once
page_payload(data, indices, *, slider, ...)                 -> one page's own part (frames)
site_stores(data)                                          -> the shared stores (basemap,
                                                              polygons, events) as JSON-able dicts
snapshot_map(areas, events, date, *, actor="IS", ...)       -> folium.Map of one date
timeline_map(areas, events, *, actor="IS", ...)             -> folium.Map with a date slider
page_template(*, depth, assets, title)                      -> a site page with a payload slot
index_page(areas, events, *, snapshots, ...)                -> the start page (HTML text)
save_map(m, path, *, assets="local"), render_map(m, ...), write_html(text, path)
decode_polygon(rings), event_popup_html(event), escape_html(value), safe_url(url)

How a page is built. Folium supplies the Leaflet map (no tiles, a scale bar, the credits);
everything the mapper draws is drawn by the script ``assets.MAP_JS`` from a JSON payload in a
``<script type="application/json">`` element. The payload holds the page's own part (its dates,
frames, titles, captions, legend) and, in a page that stands alone (``snapshot_map``,
``timeline_map``), the store too: basemap and town labels, every distinct polygon, the control
points with their intervals, and the events with their popups. In the site that
``mapper.render.write_site`` writes, the store is written once (``data/basemap.js``,
``data/polygons.js``, ``data/events.js``) and every page loads it with script tags, so a page
costs what it draws, not what the corpus holds, and it opens from ``file://``.

Polygons are stored once. Area geometries are simplified (topology-preserving, ``tolerance``
degrees), snapped to a ``10**-COORD_DECIMALS`` degree grid and deduplicated by their normalised
WKB; a frame (date) is a list of ids into the pieces (polygons, actor, state).

Safety. Strings from articles (titles, names as written, evidence, URLs) are HTML-escaped and
their braces turned into entities before they reach a page, and the JSON payload escapes
``< > & { }`` as JSON unicode escapes (``\\u003c`` ...): branca renders a macro's output through
jinja a second time, so template syntax in a report (``{{ 7*7 }}``) must never reach a template.
Only ``http(s)`` URLs become links.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import html as _html
import io
import json
import math
import os
import re
import secrets
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
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

from mapper import assets as _assets
from mapper.areas import AreaStore
from mapper.basemap import (
    ATTRIBUTION_HTML,
    BASEMAP_KINDS,
    BASEMAP_TOLERANCE,
    GAZETTEER_DIR,
    basemap_layers,
    day,
    label_candidates,
    load_basemap,
    map_extent,
)
from mapper.colors import actor_color
from mapper.errors import InputError, MapperWarning
from mapper.outputs import atomic_write
from mapper.schema import ACTORS, WGS84

__all__ = [
    "BASEMAP_TOLERANCE",
    "COORD_DECIMALS",
    "DATA_RE",
    "DEFAULT_ACTOR",
    "DEFAULT_TOLERANCE",
    "GAZETTEER_DIR",
    "MapData",
    "decode_polygon",
    "escape_html",
    "event_popup_html",
    "index_page",
    "load_basemap",
    "map_data",
    "page_payload",
    "page_template",
    "render_map",
    "safe_url",
    "save_map",
    "site_stores",
    "write_js_store",
    "snapshot_map",
    "timeline_map",
    "write_html",
]

#: simplification tolerance of held-area polygons, degrees (~0.5 km at 36N)
DEFAULT_TOLERANCE = 0.005
#: decimals kept in map coordinates (3 = a 0.001 degree grid, ~110 m)
COORD_DECIMALS = 3
DEFAULT_ACTOR = "IS"
#: state codes of control points in the payload
POINT_STATES = ("held", "contested", "stale", "unknown")

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
_BASE_NAMES = {"countries": "Countries", "admin1": "Governorates", "lakes": "Lakes", "rivers": "Rivers"}
_PAYLOAD_SLOT = "__MAPPER_PAYLOAD__"
_TITLE_SLOT = "__MAPPER_TITLE__"

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


def json_for_html(obj: Any) -> str:
    """JSON safe inside a ``<script>`` element and through any number of jinja renderings.

    ``< > &`` become ``\\u003c \\u003e \\u0026`` (no ``</script>``), U+2028/2029 are escaped
    (valid JavaScript everywhere), and a ``{`` that would open ``{{``, ``{%`` or ``{#`` becomes
    ``\\u007b``. Structural JSON braces are always followed by ``"`` or ``}``, so such a ``{`` is
    always inside a string, where the escape is valid JSON.
    """
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False,
                      default=_json_default)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return _JINJA_OPEN.sub("\\\\u007b", text)


def _json_default(obj: Any) -> Any:
    if isinstance(obj, SpooledText):
        return str(obj)
    if isinstance(obj, EncodedPolygon):
        return obj.tolist()
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


class TextSpool:
    """Strings kept on disk, in an anonymous temporary file, each read back when asked for.

    The popups of a large event table (hundreds of megabytes of HTML) stay out of memory: the
    map data holds a :class:`SpooledText` per popup, which JSON writers read back one at a
    time. The file is read with ``pread``, so forked processes can share it; it goes when the
    spool is collected.
    """

    def __init__(self) -> None:
        import tempfile
        import weakref

        self._file = tempfile.TemporaryFile(prefix="mapper-text-")  # noqa: SIM115 - closed on collection
        weakref.finalize(self, self._file.close)
        self._size = 0

    def add(self, text: str) -> SpooledText:
        data = text.encode("utf-8")
        self._file.write(data)
        ref = SpooledText(self, self._size, len(data))
        self._size += len(data)
        return ref

    def read(self, offset: int, size: int) -> str:
        self._file.flush()
        return os.pread(self._file.fileno(), size, offset).decode("utf-8")


class SpooledText:
    """A string of a :class:`TextSpool`: ``str(x)`` reads it back; compares as that string;
    :func:`json_for_html` writes it as a JSON string."""

    __slots__ = ("_spool", "_offset", "_size")

    def __init__(self, spool: TextSpool, offset: int, size: int):
        self._spool, self._offset, self._size = spool, offset, size

    def __str__(self) -> str:
        return self._spool.read(self._offset, self._size)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (SpooledText, str)):
            return str(self) == str(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(str(self))

    def __repr__(self) -> str:
        return f"SpooledText({str(self)!r})"


def write_js_store(path: str | os.PathLike, name: str, obj: Mapping[str, Any], *, stream_min: int = 1000) -> Path:
    """Write a shared store as ``data/<name>.js`` (``window.mapperData.<name> = {...};``),
    atomically, a list element at a time.

    The text is the same as ``json_for_html(obj)`` written whole, but a top-level list of
    ``stream_min`` or more elements is encoded element by element (the events store of a
    large corpus is hundreds of megabytes of JSON; whole, with the escaping passes, several
    times that).
    """
    streamed = [k for k, v in obj.items() if isinstance(v, list) and len(v) >= stream_min]
    token = secrets.token_hex(12)  # a mark no text of the store can hold
    marks = {k: f"@@mapper-stream-{i}-{token}@@" for i, k in enumerate(streamed)}
    head = json_for_html({k: ([marks[k]] if k in marks else v) for k, v in obj.items()})

    def write(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(f"(window.mapperData = window.mapperData || ({{}})).{name} = ")
            rest = head
            for k in streamed:
                before, rest = rest.split(json_for_html([marks[k]]), 1)
                fh.write(before)
                fh.write("[")
                for i, item in enumerate(obj[k]):
                    if i:
                        fh.write(",")
                    fh.write(json_for_html(item))
                fh.write("]")
            fh.write(rest)
            fh.write(";\n")

    return atomic_write(Path(path), write)


_json_for_html = json_for_html  # the name the tests and tools used before
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

    Identical inputs (an actor's unchanged area on many dates) are simplified once.
    """
    geoms = list(geoms) if geoms is not None else []
    out: list[Any] = [None] * len(geoms)
    done: dict[int, Any] = {}
    keyed: dict[bytes, Any] = {}
    grid = 10.0**-COORD_DECIMALS
    for i, g in enumerate(geoms):
        if g is None:
            continue
        if id(g) in done:
            out[i] = done[id(g)]
            continue
        wkb = shapely.to_wkb(g)
        if wkb not in keyed:
            if g.is_empty:
                keyed[wkb] = None
            else:
                # Douglas-Peucker (ten times the speed of the topology-preserving variant on
                # unions of thousands of cells), then each vertex rounded to the grid; the few
                # polygons that leaves self-touching are snapped again with noding, which
                # repairs them
                h = shapely.simplify(g, tolerance, preserve_topology=False) if tolerance > 0 else g
                h = shapely.remove_repeated_points(shapely.set_precision(h, grid, mode="pointwise"))
                if not h.is_valid:
                    h = shapely.set_precision(h, grid)
                if h.is_empty:
                    h = shapely.set_precision(g.simplify(tolerance, preserve_topology=True), grid)
                keyed[wkb] = None if h.is_empty else shapely.normalize(h)
        out[i] = done[id(g)] = keyed[wkb]
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


class EncodedPolygon(Sequence):
    """The rings of one encoded polygon (see :func:`_encode_polygon`), packed as 32-bit
    integers: 4 bytes a number where lists of Python ints take 8 to 36. Reads as the list of
    rings (lists of ints); :func:`json_for_html` writes it as that list."""

    __slots__ = ("_data", "_ends")

    def __init__(self, rings: Sequence[np.ndarray]):
        self._data = np.concatenate(rings).astype(np.int32).tobytes() if len(rings) else b""
        self._ends = np.cumsum([len(r) for r in rings], dtype=np.int64).astype(np.int32).tobytes()

    def arrays(self) -> list[np.ndarray]:
        """The rings as int32 arrays."""
        ends = np.frombuffer(self._ends, dtype=np.int32)
        return np.split(np.frombuffer(self._data, dtype=np.int32), ends[:-1]) if len(ends) else []

    def tolist(self) -> list[list[int]]:
        return [a.tolist() for a in self.arrays()]

    def __getitem__(self, i):
        return self.tolist()[i]

    def __len__(self) -> int:
        return len(self._ends) // 4

    def __eq__(self, other: object) -> bool:
        if isinstance(other, EncodedPolygon):
            return self._data == other._data and self._ends == other._ends
        if isinstance(other, list):
            return self.tolist() == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self._data, self._ends))

    def __repr__(self) -> str:
        return f"EncodedPolygon({self.tolist()!r})"


def _encode_packed(poly: Any) -> EncodedPolygon:
    """:func:`_encode_polygon`, packed (what the map data keeps)."""
    scale = 10**COORD_DECIMALS
    rings = []
    for ring in (poly.exterior, *poly.interiors):
        xy = np.rint(np.asarray(ring.coords)[:, :2] * scale).astype(np.int64)
        rings.append(np.vstack([xy[:1], np.diff(xy, axis=0)]).ravel())
    return EncodedPolygon(rings)


def decode_polygon(rings: Sequence[Sequence[int]]) -> Any:
    """Inverse of the payload's polygon encoding (for tests and tools): a shapely Polygon."""
    scale = 10**COORD_DECIMALS
    coords = [
        np.cumsum(np.asarray(r, dtype=np.int64).reshape(-1, 2), axis=0) / scale for r in rings
    ]
    return shapely.Polygon(coords[0], coords[1:])


def _basemap_fc(gdf: gpd.GeoDataFrame) -> dict[str, Any]:
    feats = [
        {"type": "Feature", "properties": {}, "geometry": _geojson(shapely.set_precision(g, 10.0**-COORD_DECIMALS))}
        for g in gdf.geometry.values
        if g is not None and not g.is_empty
    ]
    return {"type": "FeatureCollection", "features": feats}


# ----------------------------------------------------------------------------- the data


def _n(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count:,} {noun if count == 1 else (plural or noun + 's')}"


def _fmt_km2(x: float) -> str:
    return f"{x:,.0f} km\u00b2"


def _actor_order(names: Iterable[str]) -> list[str]:
    names = {n for n in names if n}
    known = [a for a in ACTORS if a in names]
    return known + sorted(names - set(known))


def _check_actor(actor: str) -> None:
    if not isinstance(actor, str) or not actor:
        raise InputError(f"actor={actor!r}: name an actor, e.g. one of {ACTORS}.")


@dataclass
class MapData:
    """Everything the pages of one run draw, each thing stored once.

    ``dates`` are the frames (``YYYY-MM-DD``); ``frames[k]`` lists the piece ids drawn on
    ``dates[k]``; ``stats[k]`` holds its numbers (km² per actor and state, control points per
    state, events and sources up to the date); ``signature[k]`` (a digest) is equal for two dates whose
    maps draw the same thing. ``polygons``, ``events`` and ``basemap`` are the three shared
    stores (see :func:`site_stores`).
    """

    dates: list[str]
    frames: list[list[int]]
    stats: list[dict]
    signature: list[bytes]
    polygons: dict
    events: dict
    basemap: dict
    groups: list[dict]
    legend: list[dict]
    bounds: list | None
    meta: dict = field(default_factory=dict)
    undated: list[dict] = field(default_factory=list)
    piece_keys: list[tuple[str, str]] = field(default_factory=list)
    place_ids: list[str] = field(default_factory=list)
    labels: pd.DataFrame | None = None
    event_days: list[str] = field(default_factory=list)


def _days(values) -> list[str | None]:
    """``YYYY-MM-DD`` of each value (``None`` where missing or not a date), vectorised."""
    ts = pd.to_datetime(pd.Series(list(values), dtype=object), errors="coerce", format="mixed")
    text = ts.dt.strftime("%Y-%m-%d")
    return [t if isinstance(t, str) else None for t in text]


def _areas_frame(areas: gpd.GeoDataFrame | AreaStore | None) -> pd.DataFrame:
    cols = ["date", "actor", "state", "geometry", "area_km2", "n_places", "n_events", "day"]
    if isinstance(areas, AreaStore):  # the light table: polygons stay on disk (column geom)
        a = areas.table
        a.attrs = {}
        a["day"] = _days(a["date"])
        return a[a["day"].notna()]
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
    a.attrs = {}
    if a.crs is not None and a.crs != WGS84:
        a = a.to_crs(WGS84)
    a["day"] = _days(a["date"])
    for col in ("area_km2", "n_places", "n_events"):
        if col not in a.columns:
            a[col] = float("nan")
    return a[a["day"].notna()]


def _events_frame(events: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(dated point events sorted by day, undated events) of an event table."""
    if events is None or len(events) == 0:
        empty = pd.DataFrame({c: pd.Series([], dtype=object) for c in ("day", "lat", "lon", "place_id")})
        return empty, empty.copy()
    missing = [c for c in ("lat", "lon", "date") if c not in events.columns]
    if missing:
        raise InputError(
            f"events: missing column(s) {missing}; expected schema.EVENT_COLUMNS "
            "(as returned by events.corroborate)."
        )
    from mapper.territory import is_region_row

    e = events.copy()
    e.attrs = {}
    e["day"] = _days(e["date"])
    prec = e["date_precision"].astype(str) if "date_precision" in e else pd.Series("day", index=e.index)
    undated = e["day"].isna() | (prec == "unknown")
    e["lat"] = pd.to_numeric(e["lat"], errors="coerce")
    e["lon"] = pd.to_numeric(e["lon"], errors="coerce")
    if "place_id" not in e:
        e["place_id"] = [f"{la:.5f},{lo:.5f}" for la, lo in zip(e["lat"], e["lon"])]
    region = pd.Series([is_region_row(p, f) for p, f in zip(e["place_id"], e.get("flags", [None] * len(e)))],
                       index=e.index, dtype=bool)
    ok = ~undated & ~region & e["lat"].between(-90, 90) & e["lon"].between(-180, 180)
    return e[ok].sort_values(["day"], kind="stable"), e[undated]


def _control_for(events: pd.DataFrame) -> pd.DataFrame:
    from mapper import territory

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MapperWarning)
        return territory.control_timeline(events)


def map_data(
    areas: gpd.GeoDataFrame | AreaStore | None,
    events: pd.DataFrame | None,
    control: pd.DataFrame | None = None,
    *,
    dates: Iterable[Any] | None = None,
    actor: str = DEFAULT_ACTOR,
    tolerance: float = DEFAULT_TOLERANCE,
    basemap: Mapping[str, gpd.GeoDataFrame | None] | None = None,
    settlements: gpd.GeoDataFrame | None = None,
    web_tiles: bool = True,
    radius_km: float | None = None,
) -> MapData:
    """Everything the maps of a run draw, each thing stored once.

    Parameters
    ----------
    areas : GeoDataFrame or AreaStore
        ``schema.AREA_COLUMNS`` (from ``territory.held_areas``), or the
        :class:`~mapper.areas.AreaStore` of ``territory.spool_held_areas``, whose polygons are
        read from disk one distinct polygon at a time (the same data, in bounded memory);
        ``attrs`` give the reach (``radius_km``), the cell size and the stale window named in
        the captions.
    events : DataFrame
        ``schema.EVENT_COLUMNS``. Dated point events are drawn (at their place, in the step
        they fall in) and listed in the popups of their control point; region-level claims
        and undated events are not drawn (undated ones are returned in ``undated``).
    control : DataFrame, optional
        ``territory.control_timeline`` output: the control points and their states. Default:
        computed from ``events``.
    dates : iterable of date-like, optional
        The frames; default every date of ``areas`` (of the events when there are no areas).
    actor : str
        Whose held area titles and captions give.
    tolerance : float
        Simplification tolerance of the area polygons, degrees.
    basemap : mapping, optional
        ``countries``, ``admin1``, ``rivers``, ``lakes`` GeoDataFrames; default the packaged ones.
    settlements : GeoDataFrame, optional
        Gazetteer settlements, for town labels (control points are always labelled).
    web_tiles : bool
        Offer OpenStreetMap tiles as an overlay (off until the user ticks it).
    radius_km : float, optional
        Only when ``areas`` carries no ``attrs["radius_km"]``.
    """
    _check_actor(actor)
    a = _areas_frame(areas)
    ev, undated_ev = _events_frame(events)
    attrs = dict(getattr(areas, "attrs", {}) or {})
    if dates is not None:
        days = sorted({d for d in (day(x) for x in dates) if d})
    else:
        src = a["day"] if len(a) else ev["day"]
        days = sorted({d for d in src if d})
    a = a[a["day"].isin(set(days))]
    if control is None:
        control = _control_for(ev.drop(columns=["day"])) if len(ev) else None

    # -- control points: places and their intervals ------------------------------------------
    actors = _actor_order(list(a["actor"].astype(str)) + ([h for h in control["holder"] if isinstance(h, str)]
                                                          if control is not None else [])
                          + [g.strip() for g in ev.get("gainer", []) if isinstance(g, str) and g.strip()])
    actor_idx = {x: i for i, x in enumerate(actors)}
    places: list[list] = []
    place_idx: dict[str, int] = {}
    intervals: list[list] = []
    if control is not None and len(control):
        ctl = control.copy()
        ctl.attrs = {}
        for pid, grp in ctl.groupby("place_id", sort=True):
            first = grp.iloc[0]
            name = first["place"] if isinstance(first["place"], str) and first["place"] else pid
            place_idx[pid] = len(places)
            places.append([str(name), round(float(first["lat"]), 5), round(float(first["lon"]), 5)])
            iv = []
            for r in grp.sort_values("valid_from").itertuples(index=False):
                if r.state == "unreported" or r.state not in POINT_STATES:
                    continue
                iv.append([day(r.valid_from), day(r.valid_to) or "",
                           actor_idx.get(r.holder, -1) if isinstance(r.holder, str) else -1,
                           POINT_STATES.index(r.state)])
            intervals.append(iv)
    ev_items = []
    popups = TextSpool()  # the popups' HTML stays on disk until a store is written
    for row in _records(ev):
        pid = str(row.get("place_id"))
        if pid not in place_idx:
            place_idx[pid] = len(places)
            places.append([str(row.get("place") or row.get("name_as_written") or pid),
                           round(float(row["lat"]), 5), round(float(row["lon"]), 5)])
            intervals.append([])
        gainer = row.get("gainer")
        g = gainer.strip() if isinstance(gainer, str) else ""
        ev_items.append([
            row["day"], place_idx[pid], actor_idx.get(g, -1) if g else -1,
            popups.add(event_popup_html(row)),
            escape_html(f"{row.get('place') or row.get('name_as_written') or '?'}: "
                        f"{row.get('event_type') or '?'} by {g or '?'} ({row['day']})"),
        ])

    # -- polygons, stored once ----------------------------------------------------------------
    area_actors = _actor_order(a["actor"].astype(str))
    group_of = {x: i for i, x in enumerate(area_actors)}
    if isinstance(areas, AreaStore):
        # one distinct polygon at a time, read back from the store: nothing holds them all
        row_keys = a["geom"].tolist()

        def web_of(key: Any) -> Any:
            return _web_geometries([areas.geometry(key)], tolerance)[0]
    else:
        web = _web_geometries(a.geometry, tolerance)
        row_keys = [None if g is None else id(g) for g in web]
        web_by_id = {id(g): g for g in web if g is not None}
        web_of = web_by_id.__getitem__
    geom_ids: dict[bytes, int] = {}
    geoms: list[list[list[int]]] = []
    piece_ids: dict[tuple, int] = {}
    pieces: list[dict[str, Any]] = []
    piece_keys: list[tuple[str, str]] = []
    hatch_ids: dict[str, str] = {}
    styles: list[dict[str, Any]] = []
    style_ids: dict[tuple[str, str], int] = {}
    frames: dict[str, list[int]] = {d: [] for d in days}
    km2: dict[str, dict[tuple[str, str], float]] = {d: {} for d in days}
    cols = {c: a[c].tolist() for c in ("actor", "state", "area_km2", "n_places", "n_events", "day")}
    part_ids: dict[Any, tuple[int, ...]] = {}
    for r, g_key in enumerate(row_keys):
        who, state, row_day = str(cols["actor"][r]), str(cols["state"][r]), cols["day"][r]
        val = float(cols["area_km2"][r]) if pd.notna(cols["area_km2"][r]) else float("nan")
        if not math.isnan(val):
            km2[row_day][(who, state)] = km2[row_day].get((who, state), 0.0) + val
        if g_key is None:
            continue
        ids = part_ids.get(g_key)
        if ids is None:  # each distinct polygon once, even inside changing multipolygons
            g = web_of(g_key)
            parts = _polygon_parts(g) if g is not None else []
            ids = []
            for part, wkb in zip(parts, shapely.to_wkb(np.array(parts, dtype=object)) if parts else []):
                digest = hashlib.blake2b(wkb, digest_size=16).digest()  # not the WKB: it can be large
                gi = geom_ids.get(digest)
                if gi is None:
                    gi = geom_ids[digest] = len(geoms)
                    geoms.append(_encode_packed(part))
                ids.append(gi)
            ids = part_ids[g_key] = tuple(ids)
        if not ids:
            continue
        npl = int(cols["n_places"][r]) if pd.notna(cols["n_places"][r]) else None
        nev = int(cols["n_events"][r]) if pd.notna(cols["n_events"][r]) else None
        key = (ids, who, state, None if math.isnan(val) else round(val, 1), npl, nev)
        pi = piece_ids.get(key)
        if pi is None:
            pi = piece_ids[key] = len(pieces)
            color = actor_color(who)
            if state == "contested" and color not in hatch_ids:
                hatch_ids[color] = f"hatch{len(hatch_ids)}"
            label = f"<b>{escape_html(who)}</b> &mdash; {escape_html(state)}"
            if state == "stale":
                label += " (last known holder; no report for a long time)"
            if not math.isnan(val):
                label += f"<br>{escape_html(_fmt_km2(val))}"
            if npl is not None:
                label += f"<br>{npl:,} settlements, {nev if nev is not None else '?'} events"
            skey = (who, state)
            if skey not in style_ids:
                style_ids[skey] = len(styles)
                styles.append(_area_style(color, state))
            piece_keys.append((who, state))
            pieces.append({"g": list(ids), "a": group_of[who], "label": label,
                           "hatch": hatch_ids[color] if state == "contested" else None,
                           "s": style_ids[skey]})
        frames[row_day].append(pi)

    # -- per-date numbers and signatures -------------------------------------------------------
    ev_days = ev["day"].tolist()
    ev_sources = [frozenset(s for s in str(x).split(";") if s) if isinstance(x, str) else frozenset()
                  for x in ev.get("sources", [None] * len(ev))]
    stats, signature = [], []
    iv_starts = [[x[0] for x in iv] for iv in intervals]
    seen_sources: set[str] = set()
    j = 0
    for d in days:
        while j < len(ev_days) and ev_days[j] <= d:
            seen_sources |= ev_sources[j]
            j += 1
        counts = dict.fromkeys(POINT_STATES, 0)
        pts = []
        for i, (starts, iv) in enumerate(zip(iv_starts, intervals)):
            k = bisect.bisect_right(starts, d) - 1  # intervals of a place are disjoint, in order
            if k >= 0 and (iv[k][1] == "" or d < iv[k][1]):
                counts[POINT_STATES[iv[k][3]]] += 1
                pts.append((i, k))
        stats.append({"km2": km2[d], "points": counts, "n_points": sum(counts.values()),
                      "events": j, "sources": len(seen_sources)})
        signature.append(_signature(frames[d], pts))

    # -- shared stores --------------------------------------------------------------------------
    layers = basemap_layers(basemap)
    base_layers = [{"name": _BASE_NAMES[k], "style": _BASE_STYLES[k], "data": _basemap_fc(layers[k])}
                   for k in BASEMAP_KINDS if k in layers]
    ctl_places = pd.DataFrame([(pid, places[i][0], places[i][1], places[i][2])
                               for pid, i in place_idx.items()],
                              columns=["place_id", "place", "lat", "lon"])
    labels = label_candidates(settlements, ctl_places)
    labels["control"] = labels["place_id"].isin(set(place_idx))
    label_rows = [[str(n), round(la, 4), round(lo, 4), round(sc, 3), place_idx.get(p, -1)]
                  for n, la, lo, sc, p in labels[["name", "lat", "lon", "score", "place_id"]].itertuples(index=False)]
    groups = [{"name": escape_html(f"{x} areas")} for x in area_actors]  # layer control: HTML
    legend = _legend(a, area_actors, actors, ev_items, intervals)
    bounds_box = map_extent(areas if areas is not None and len(a) else None,
                            ctl_places if len(ctl_places) else None)
    meta = {
        "actor": actor,
        "radius_km": attrs.get("radius_km", radius_km),
        "cell_km": attrs.get("cell_km"),
        "stale_days": attrs.get("stale_days", control.attrs.get("stale_days") if control is not None else None),
        "tolerance": tolerance,
        "tiles": dict(_TILES) if web_tiles else None,
        "extent": bounds_box,
    }
    undated = [
        {k: (None if (isinstance(v, float) and math.isnan(v)) else v)
         for k, v in r.items() if k in ("event_id", "place", "event_type", "gainer", "loser", "sources", "evidence")}
        for r in undated_ev.to_dict("records")
    ]
    return MapData(
        dates=list(days),
        frames=[frames[d] for d in days],
        stats=stats,
        signature=signature,
        polygons={"scale": 10**COORD_DECIMALS, "geoms": geoms, "pieces": pieces, "styles": styles,
                  "hatches": [{"id": v, "color": k} for k, v in hatch_ids.items()]},
        events={"actors": list(actors), "colors": [actor_color(x) for x in actors],
                "places": places, "intervals": intervals, "events": ev_items},
        basemap={"layers": base_layers, "labels": label_rows, "attribution": ATTRIBUTION_HTML},
        groups=groups,
        legend=legend,
        bounds=[[bounds_box[1], bounds_box[0]], [bounds_box[3], bounds_box[2]]],
        meta=meta,
        undated=undated,
        piece_keys=piece_keys,
        place_ids=list(place_idx),
        labels=labels,
        event_days=[e[0] for e in ev_items],
    )


def _records(frame: pd.DataFrame, size: int = 4096) -> Iterator[dict[str, Any]]:
    """``frame.to_dict("records")``, made a part at a time (a dict per row of a whole event
    table would hold several times the table)."""
    for start in range(0, len(frame), size):
        yield from frame.iloc[start:start + size].to_dict("records")


def _signature(frame: Sequence[int], points: Sequence[tuple[int, int]]) -> bytes:
    """A digest of what a date draws: its pieces and its control points with their intervals
    (equal digests, equal maps; 16 bytes instead of a tuple per control point and date)."""
    h = hashlib.blake2b(digest_size=16)
    pieces = np.sort(np.asarray(frame, dtype=np.int64))
    h.update(len(pieces).to_bytes(8, "little"))
    h.update(pieces.tobytes())
    h.update(np.asarray(points, dtype=np.int64).reshape(-1, 2).tobytes())
    return h.digest()


def _area_style(color: str, state: str) -> dict[str, Any]:
    contested, stale = state == "contested", state == "stale"
    return {
        "color": color,
        "weight": 1.5 if contested else (0.8 if stale else 1.2),
        "opacity": 0.5 if stale else 0.9,
        "fillColor": color,
        "fillOpacity": 0.7 if contested else (0.12 if stale else 0.45),
        "dashArray": "5 4" if contested else ("2 3" if stale else None),
        "className": f"mapper-area mapper-{state}",
    }


def _legend(a, area_actors, actors, ev_items, intervals) -> list[dict]:
    """One row per actor (its colour), then one per way of drawing (the same for every actor)."""
    holders = {h for iv in intervals for (_, _, h, _) in iv if h >= 0}
    shown = _actor_order(list(area_actors) + [actors[i] for i in holders])
    legend = [{"label": x, "color": actor_color(x), "kind": ""} for x in shown]
    states = set(a["state"].astype(str))
    legend.append({"label": "solid: held", "color": "#8a8a8a", "kind": ""})
    if "contested" in states:
        legend.append({"label": "hatched: contested (defender's colour)", "color": "#777777",
                       "kind": "contested"})
    if "stale" in states:
        legend.append({"label": "faded: stale, last known holder not re-confirmed",
                       "color": "#777777", "kind": "stale"})
    if any(iv for iv in intervals):
        legend.append({"label": "dot: control point (colour: holder)", "color": "#555555", "kind": "marker"})
    if ev_items:
        legend.append({"label": "ring: event in this step", "color": "#333333", "kind": "ring"})
    return legend


def site_stores(data: MapData) -> dict[str, dict]:
    """The three stores the pages of a site share: ``basemap``, ``polygons``, ``events``."""
    return {"basemap": data.basemap, "polygons": data.polygons, "events": data.events}


def _title(data: MapData, k: int, prev: int | None) -> str:
    d, actor = data.dates[k], data.meta["actor"]
    now = data.stats[k]["km2"].get((actor, "held"), 0.0)
    title = f"{d} \u2014 {actor} held area: {_fmt_km2(now)}"
    if prev is not None:
        before = data.stats[prev]["km2"].get((actor, "held"), 0.0)
        title += f" ({now - before:+,.0f} km\u00b2 since {data.dates[prev]})"
    else:
        title += " (first snapshot)"
    return title


def _caption(data: MapData, k: int, until: str | None = None) -> str:
    st, meta = data.stats[k], data.meta
    d, actor = data.dates[k], meta["actor"]
    pts = st["points"]
    parts = [f"{pts[s]:,} {s}" for s in POINT_STATES if pts[s]]
    text = (f"Estimated, not surveyed: {_n(st['n_points'], 'control point')} drawn"
            + (f" ({', '.join(parts)})" if parts else "")
            + f", from {_n(st['events'], 'event')}"
            + (f" in {_n(st['sources'], 'source')}" if st["sources"] else "") + f" up to {d}.")
    if meta.get("radius_km"):
        text += (f" Settlements within {meta['radius_km']:g} km of a point take its state; each "
                 "settlement's cell" + (f" (up to {meta['cell_km']:g} km)" if meta.get("cell_km") else "")
                 + " is drawn.")
    extra = [f"{_fmt_km2(v)} {s}" for (who, s), v in sorted(st["km2"].items()) if who == actor and s != "held" and v > 0]
    if extra:
        text += f" {actor} also: {', '.join(extra)} (not counted as held)."
    if pts.get("stale"):
        days = meta.get("stale_days")
        text += (" Faded: stale points and areas, whose last report is over "
                 + (f"{days} days" if days else "the stale window") + " old.")
    if any(s == "contested" for (_, s) in st["km2"]) or pts.get("contested"):
        text += " Hatched: contested."
    text += f" State at the end of {d}"
    text += f"; unchanged until {until}." if until and until != d else "."
    return text


def page_payload(
    data: MapData,
    indices: Sequence[int],
    *,
    start: int | None = None,
    interval_ms: int = 700,
    previous: Sequence[int | None] | None = None,
    until: Sequence[str | None] | None = None,
    inline: bool = False,
    step_note: str = "",
) -> dict[str, Any]:
    """The part of a page that is its own: its dates, frames (piece ids, title, caption), the
    slider marks, the legend and the view; with ``inline`` the shared stores too.

    ``previous[j]`` is the frame the j-th one is compared with in its title (and whose date
    bounds its "events in this step"); ``until[j]`` the last date it stands for.
    """
    indices = list(indices)
    previous = list(previous) if previous is not None else [None] + indices[:-1]
    until = list(until) if until is not None else [None] * len(indices)
    frames = []
    for j, k in enumerate(indices):
        p = previous[j]
        frames.append({"p": data.frames[k], "t": _title(data, k, p), "c": _caption(data, k, until[j]),
                       "prev": data.dates[p] if p is not None else None})
    dates = [data.dates[k] for k in indices]
    # the event dates, marked on the slider at the step that first shows them
    marks: dict[int, list[str]] = {}
    if len(dates) > 1:  # a page of one date has no slider
        ev_days = sorted(set(data.event_days))
        j = 0
        for pos, d in enumerate(dates):
            while j < len(ev_days) and ev_days[j] <= d:
                marks.setdefault(pos, []).append(ev_days[j])
                j += 1
    payload = {
        "dates": dates,
        "frames": frames,
        "start": (len(indices) - 1 if start is None else start),
        "interval_ms": int(interval_ms),
        "marks": [[pos, "events on " + ", ".join(ds[:6]) + (" ..." if len(ds) > 6 else "")]
                  for pos, ds in sorted(marks.items())],
        "groups": data.groups,
        "legend_title": "Held areas (estimated)",
        "legend": data.legend,
        "bounds": data.bounds,
        "tiles": data.meta.get("tiles"),
        "step_note": step_note,
    }
    if inline:
        payload["store"] = site_stores(data)
    return payload


# ----------------------------------------------------------------------------- folium


class _MapperLayer(MacroElement):
    """Everything the mapper draws on a folium map, from one JSON payload (see MAP_JS).

    ``scripts`` are extra script addresses loaded in the head (the shared data files and
    ``mapper.js`` of a site); without them the script is inlined.
    """

    _template = Template(
        '{% macro header(this, kwargs) %}<link rel="icon" href="data:,">'
        "{% if this.page_title %}<title>{{ this.page_title }}</title>{% endif %}"
        "{% for href in this.styles %}<link rel=\"stylesheet\" href=\"{{ href }}\"/>{% endfor %}"
        "{% if not this.styles %}<style>" + _assets.MAP_CSS + "</style>{% endif %}"
        "{% for src in this.scripts %}<script src=\"{{ src }}\"></script>{% endfor %}"
        "{% endmacro %}\n"
        "{% macro html(this, kwargs) %}"
        '<script type="application/json" class="mapper-data" id="{{ this.get_name() }}_data">'
        "{{ this.payload }}</script>{% endmacro %}\n"
        "{% macro script(this, kwargs) %}"
        "{% if not this.scripts %}" + _assets.MAP_JS + "{% endif %}"
        "mapperRender({{ this._parent.get_name() }}, '{{ this.get_name() }}_data');"
        "{% endmacro %}"
    )

    def __init__(self, payload: str, *, scripts: Sequence[str] = (), styles: Sequence[str] = (),
                 page_title: str = ""):
        super().__init__()
        self._name = "MapperLayer"
        self.payload = payload
        self.scripts = list(scripts)
        self.styles = list(styles)
        self.page_title = page_title


def _new_map() -> folium.Map:
    m = folium.Map(
        location=[34.5, 41.0], zoom_start=6, tiles=None, control_scale=True, prefer_canvas=False
    )
    # only Leaflet: the mapper uses no jQuery, Bootstrap or icon fonts
    m.default_js = [("leaflet", _assets.LEAFLET_JS)]
    m.default_css = [("leaflet_css", _assets.LEAFLET_CSS)]
    return m


def _standalone(payload: dict[str, Any]) -> folium.Map:
    m = _new_map()
    _MapperLayer(json_for_html(payload)).add_to(m)
    return m


def snapshot_map(
    areas: gpd.GeoDataFrame | None,
    events: pd.DataFrame | None,
    date: Any,
    *,
    control: pd.DataFrame | None = None,
    actor: str = DEFAULT_ACTOR,
    previous_date: Any = None,
    countries: gpd.GeoDataFrame | None = None,
    admin1: gpd.GeoDataFrame | None = None,
    rivers: gpd.GeoDataFrame | None = None,
    lakes: gpd.GeoDataFrame | None = None,
    settlements: gpd.GeoDataFrame | None = None,
    web_tiles: bool = True,
    tolerance: float = DEFAULT_TOLERANCE,
    radius_km: float | None = None,
) -> folium.Map:
    """The map of one snapshot date, standing alone (its data inside the page).

    Parameters
    ----------
    areas : GeoDataFrame
        ``schema.AREA_COLUMNS``; rows of other dates are ignored except for the change in
        the title. The reach named in the caption is ``areas.attrs["radius_km"]``.
    events : DataFrame
        ``schema.EVENT_COLUMNS``: the control points' event history (popups) and the events
        of the step before ``date`` (rings).
    date : date-like
        The snapshot date; the map shows the state at the end of that day.
    control : DataFrame, optional
        ``territory.control_timeline`` output (default: computed from ``events``).
    actor : str
        Whose held area (km²) and change the title gives.
    previous_date : date-like, optional
        The snapshot to compare with; default the latest date of ``areas`` before ``date``.
    countries, admin1, rivers, lakes : GeoDataFrame, optional
        Basemap layers; default the packaged ``data/gazetteer/<kind>.geojson``.
    settlements : GeoDataFrame, optional
        Gazetteer settlements for town labels (control points are labelled anyway).
    web_tiles : bool
        Offer OpenStreetMap tiles as an overlay (off until the user ticks it).
    tolerance : float
        Simplification tolerance of the area polygons, degrees.
    radius_km : float, optional
        Only for areas without ``attrs["radius_km"]``.

    Returns
    -------
    folium.Map
        Save it with :func:`save_map`.
    """
    _check_actor(actor)
    d = day(date)
    if d is None:
        raise InputError(f"snapshot date {date!r} is not a date; pass e.g. '2017-10-17'.")
    area_days = sorted({x for x in (day(v) for v in (areas["date"] if areas is not None and len(areas) else [])) if x})
    prev = day(previous_date) if previous_date is not None else next((x for x in reversed(area_days) if x < d), None)
    wanted = [x for x in (prev, d) if x]
    data = map_data(areas, events, control, dates=wanted, actor=actor, tolerance=tolerance,
                    basemap={"countries": countries, "admin1": admin1, "rivers": rivers, "lakes": lakes},
                    settlements=settlements, web_tiles=web_tiles, radius_km=radius_km)
    k = data.dates.index(d)
    p = data.dates.index(prev) if prev in data.dates else None
    payload = page_payload(data, [k], start=0, previous=[p], inline=True)
    return _standalone(payload)


def timeline_map(
    areas: gpd.GeoDataFrame | None,
    events: pd.DataFrame | None,
    *,
    control: pd.DataFrame | None = None,
    dates: Iterable[Any] | None = None,
    actor: str = DEFAULT_ACTOR,
    countries: gpd.GeoDataFrame | None = None,
    admin1: gpd.GeoDataFrame | None = None,
    rivers: gpd.GeoDataFrame | None = None,
    lakes: gpd.GeoDataFrame | None = None,
    settlements: gpd.GeoDataFrame | None = None,
    web_tiles: bool = True,
    tolerance: float = DEFAULT_TOLERANCE,
    interval_ms: int = 700,
    start: str = "last",
    radius_km: float | None = None,
) -> folium.Map:
    """One map with a date slider (play/pause) over every snapshot date, standing alone.

    Each position shows the held areas, the control points and the events of the step on
    that date. Each distinct polygon is stored once. The slider's steps are the dates of
    ``areas`` (weekly in a default build); the dates of events are marked on its track.

    Parameters
    ----------
    areas, events, control, actor, countries, admin1, rivers, lakes, settlements, web_tiles,
    tolerance, radius_km
        As in :func:`snapshot_map`.
    dates : iterable of date-like, optional
        Slider positions; default every date of ``areas`` (of ``events`` without areas).
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
    data = map_data(areas, events, control, dates=dates, actor=actor, tolerance=tolerance,
                    basemap={"countries": countries, "admin1": admin1, "rivers": rivers, "lakes": lakes},
                    settlements=settlements, web_tiles=web_tiles, radius_km=radius_km)
    if not data.dates:
        raise InputError("timeline_map: no dates in areas or events; nothing to show.")
    n = len(data.dates)
    payload = page_payload(data, range(n), start=n - 1 if start == "last" else 0,
                           interval_ms=interval_ms, inline=True, step_note=_step_note(data.dates))
    return _standalone(payload)


def _step_note(dates: Sequence[str]) -> str:
    if len(dates) < 2:
        return ""
    gaps = np.diff(pd.to_datetime(pd.Series(list(dates))).to_numpy()).astype("timedelta64[D]").astype(int)
    if len(set(gaps.tolist())) == 1:
        g = int(gaps[0])
        return f"one step = {'1 week' if g == 7 else f'{g} days'}; red marks: event dates"
    return "one step per snapshot date; red marks: event dates"


def page_template(*, depth: int, assets: _assets.AssetMode = "local",
                  assets_dir: str | os.PathLike | None = None, page: str | os.PathLike | None = None) -> str:
    """A site page (folium skeleton, Leaflet, ``mapper.js`` and the shared data files linked)
    with a slot for its payload: ``text.replace(PAYLOAD_SLOT, json_for_html(payload))``.

    ``depth`` is how many folders the page sits below the site root (0 for ``timeline.html``,
    1 for ``snapshots/<date>.html``); ``assets`` ``"local"`` copies Leaflet into
    ``<root>/assets`` (the page opens offline), ``"cdn"`` links it from jsDelivr.
    """
    up = "../" * depth
    m = _new_map()
    scripts = [f"{up}data/basemap.js", f"{up}data/polygons.js", f"{up}data/events.js",
               f"{up}assets/{_assets.MAPPER_JS_NAME}"]
    _MapperLayer(_PAYLOAD_SLOT, scripts=scripts, styles=[f"{up}assets/{_assets.MAPPER_CSS_NAME}"],
                 page_title=_TITLE_SLOT).add_to(m)
    return render_map(m, assets=assets, page=page, assets_dir=assets_dir)


PAYLOAD_SLOT = _PAYLOAD_SLOT
TITLE_SLOT = _TITLE_SLOT


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
    assets: _assets.AssetMode = "local",
    page: str | os.PathLike | None = None,
    assets_dir: str | os.PathLike | None = None,
) -> str:
    """Render ``m`` to the text of a page, its Leaflet copied, inlined or linked (see save_map).

    ``"local"`` needs ``page`` (where the page will live); without it the page links the CDN.
    """
    root = m.get_root()
    _stable_ids(root)
    text = root.render()
    if assets == "local" and page is None:
        assets = "cdn"
    return _assets.embed_assets(text, mode=assets, page=page, assets_dir=assets_dir)


def save_map(
    m: folium.Map,
    path: str | os.PathLike,
    *,
    assets: _assets.AssetMode = "local",
    assets_dir: str | os.PathLike | None = None,
) -> Path:
    """Write a map atomically.

    Parameters
    ----------
    m : folium.Map
        From :func:`snapshot_map` or :func:`timeline_map` (any folium map works).
    path : path-like
        The HTML file.
    assets : {"local", "inline", "cdn"}
        ``"local"`` (default): Leaflet copied once into ``assets_dir`` and linked relatively,
        so the folder opens with no internet; ``"inline"``: Leaflet inside the file (one
        self-contained file, ~+170 kB); ``"cdn"``: Leaflet from jsDelivr (needs the internet).
        The copies come from the ``folium-offline`` package.
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


#: the run summary's keys, in reading order, with their labels (others follow as they are)
_SUMMARY_LABELS = {
    "articles_read": "Articles read",
    "articles_skipped": "Inputs skipped",
    "inputs_repaired": "Inputs repaired",
    "reports": "Control-change reports",
    "events": "Events (corroborated)",
    "sources": "Articles with a report",
    "unresolved_names": "Place names left unresolved",
    "undated_articles": "Articles without a date",
    "snapshots": "Snapshot dates",
    "first_date": "First snapshot",
    "last_date": "Last snapshot",
    "actor": "Mapped actor",
    "actor_area_first_km2": "Mapped actor's held area, first snapshot (km²)",
    "actor_area_last_km2": "Mapped actor's held area, last snapshot (km²)",
    "radius_km": "Reach of a control point (km)",
}


def _fmt_value(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:,.1f}" if not v.is_integer() else f"{v:,.0f}"
    return str(v)


def _summary_html(summary: Mapping[str, Any] | None) -> str:
    if not summary:
        return "<p>No run summary.</p>"
    rows = []
    keys = [k for k in _SUMMARY_LABELS if k in summary] + [k for k in summary if k not in _SUMMARY_LABELS]
    for k in keys:
        v = summary[k]
        label = _SUMMARY_LABELS.get(k, str(k).replace("_", " ").capitalize())
        if isinstance(v, (list, tuple)):
            if not v:
                continue
            val = "<br>".join(escape_html(x if not isinstance(x, (dict, list)) else json.dumps(x, ensure_ascii=False, default=str))
                              for x in list(v)[:12]) + (f"<br>&hellip; {len(v) - 12} more" if len(v) > 12 else "")
        elif isinstance(v, dict):
            val = "<br>".join(f"{escape_html(a)}: {escape_html(_fmt_value(b))}" for a, b in v.items())
        else:
            val = escape_html(_fmt_value(v))
        rows.append(f'<tr><th scope="row">{escape_html(label)}</th><td>{val}</td></tr>')
    return '<table class="mapper-summary">' + "".join(rows) + "</table>"


def _events_table(events: pd.DataFrame | None) -> str:
    head = ["date", "precision", "place", "country", "event", "gainer", "loser", "confidence",
            "sources", "evidence"]
    out = ['<table class="mapper-sortable mapper-events"><thead><tr>']
    out += [f'<th scope="col" title="click to sort">{h}</th>' for h in head]
    out.append("</tr></thead><tbody>")
    if events is not None and len(events):
        from mapper.territory import is_region_row

        ev = events.copy()
        ev.attrs = {}
        ev["_day"] = [day(d) or "" for d in ev["date"]] if "date" in ev else ""
        for row in _records(ev.sort_values("_day", kind="stable")):
            conf = row.get("confidence")
            conf_ok = isinstance(conf, (int, float)) and not math.isnan(conf)
            links = []
            for c in _citations(row):
                label = c.get("title") or c.get("article")
                if label or c.get("url"):
                    links.append(_link(c.get("url"), label or c.get("url")))
            kind = row.get("event_type")
            if is_region_row(row.get("place_id"), row.get("flags")):
                kind = f"{kind} (whole region)"
            cells = [
                (row["_day"] or "undated", None),
                (row.get("date_precision"), None),
                (row.get("place"), None),
                (row.get("country"), None),
                (kind, None),
                (row.get("gainer"), None),
                (row.get("loser"), None),
                (f"{float(conf):.2f}" if conf_ok else "", f"{float(conf):.4f}" if conf_ok else "0"),
            ]
            tds = []
            for text, sort in cells:
                attr = f' data-sort="{escape_html(sort)}"' if sort is not None else ""
                tds.append(f"<td{attr}>{escape_html(text)}</td>")
            n = row.get("n_sources")
            nsort = str(int(n)) if isinstance(n, (int, float)) and not math.isnan(n) else str(len(links))
            tds.append(f'<td data-sort="{nsort}">' + "<br>".join(links) + "</td>")
            tds.append(f"<td>{escape_html(row.get('evidence'))}</td>")
            out.append("<tr>" + "".join(tds) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _list_html(items: Sequence[Mapping[str, Any]], keys: Sequence[str], cls: str) -> str:
    rows = []
    for it in items:
        bits = [escape_html(it.get(k)) for k in keys if it.get(k) not in (None, "")]
        rows.append("<li>" + " &mdash; ".join(bits) + "</li>")
    return f'<ul class="{cls}">' + "".join(rows) + "</ul>"


_HOW_TO_READ = (
    "<h2 id=\"how-to-read\">How to read these maps</h2><ul>"
    "<li><b>Coloured areas</b> are estimates built from the places the articles report on "
    "(control points), not surveyed front lines. Every settlement within the reach of a point "
    "takes that point's state, and the land nearest each such settlement (its cell) is drawn; "
    "so places of one side close together merge into one area, and the line between two sides "
    "falls between their settlements.</li>"
    "<li><b>Hatched</b> areas are contested (fighting reported inside); they carry the "
    "defender's colour. <b>Faded</b> areas are stale: no report has re-confirmed their last "
    "known holder for a long time, so they are not counted as held.</li>"
    "<li><b>Dots</b> are the control points, coloured by holder; click one for the reports "
    "behind it. <b>Rings</b> mark the events of the step shown.</li>"
    "<li>The time slider moves in equal steps of real time; the red marks under it are the "
    "dates of events. Each snapshot page shows one state of the map and the dates it lasted.</li>"
    "<li>Town labels: the largest places and the reported ones first; a label that would "
    "overlap another is left out until you zoom in.</li></ul>"
)
_KNOWN_LIMITS = (
    "<h2 id=\"limits\">Known limits</h2><ul>"
    "<li>The maps know only what the articles report. A sparse corpus draws areas around the "
    "places it names and leaves the rest blank; a place that is never reported keeps no "
    "state.</li>"
    "<li>A claim reaches back a limited time before its own date and a holder goes stale when "
    "no report re-confirms it (the windows are named in the captions and in "
    "<code>docs/territory.md</code>); between two consistent reports the holder is assumed "
    "throughout.</li>"
    "<li>The reach was calibrated against published IHS figures for the IS-held area; other "
    "actors' areas are only what the corpus says about them, so the chart sets them apart.</li>"
    "<li>Dates known only to the month or year are placed mid-period; undated events are "
    "listed below and drawn nowhere.</li>"
    "<li>Place names are resolved offline; names the gazetteer cannot settle are left out and "
    "listed in <code>run.json</code>.</li></ul>"
)


def index_page(
    areas: gpd.GeoDataFrame | None,
    events: pd.DataFrame | None,
    *,
    snapshots: Mapping[str, str] | Sequence[tuple[str, str]] | Sequence[Mapping[str, Any]] = (),
    timeline: str | None = "timeline.html",
    summary: Mapping[str, Any] | None = None,
    reference: pd.DataFrame | None = None,
    title: str = "Territorial control: held areas over time",
    chart_png: bytes | None = None,
    chart_href: str | None = None,
    actor: str = DEFAULT_ACTOR,
    skipped: Sequence[Mapping[str, Any]] = (),
    undated: Sequence[Mapping[str, Any]] | None = None,
    no_map_reason: str | None = None,
) -> str:
    """The start page: summary, how to read the maps, area chart, links, events, limits.

    Parameters
    ----------
    areas : GeoDataFrame
        ``schema.AREA_COLUMNS``, for the area-over-time chart (made with
        :func:`mapper.figures.area_chart` unless ``chart_png`` or ``chart_href`` is given).
    events : DataFrame
        ``schema.EVENT_COLUMNS``, listed in a sortable table with their sources; the undated
        ones are also listed as undated evidence.
    snapshots : mapping, sequence of (label, href), or sequence of dicts
        Links to the snapshot pages. Dicts may carry ``label``, ``href``, ``until``,
        ``km2`` (the mapped actor's held area) and ``change``.
    timeline : str or None
        Link to the time-slider map.
    summary : mapping, optional
        The run summary (``run.json`` counts), shown as a readable table.
    reference : DataFrame, optional
        Published area figures (``date, area_km2, source``) drawn on the chart.
    title : str
        Page heading.
    chart_png : bytes, optional
        A ready chart image instead of drawing one; ``chart_href`` links a chart file instead.
    actor : str
        The mapped actor (set apart on the chart).
    skipped : sequence of dicts
        Inputs that were skipped (``input, reason, fix``), listed.
    undated : sequence of dicts, optional
        Undated evidence to list; default the undated rows of ``events``.
    no_map_reason : str, optional
        Why there is no map (e.g. no dated event); shown instead of the map links.

    Returns
    -------
    str
        The page; write it with :func:`write_html`.
    """
    if undated is None:
        _, und = _events_frame(events)
        undated = und.to_dict("records")
    has_areas = areas is not None and len(areas) > 0
    if chart_href is None and chart_png is None and has_areas:
        from mapper import figures

        fig = figures.area_chart(areas, reference=reference, reference_actor=actor, actor=actor)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
        chart_png = buf.getvalue()
    if chart_href is not None and _href(chart_href):
        chart = (f'<img class="mapper-chart" alt="held area per actor over time" '
                 f'src="{escape_html(_href(chart_href))}">')
    elif chart_png:
        chart = ('<img class="mapper-chart" alt="held area per actor over time" '
                 'src="data:image/png;base64,' + base64.b64encode(chart_png).decode("ascii") + '">')
    else:
        chart = "<p>No areas to chart.</p>"
    items: list[dict[str, Any]] = []
    raw = snapshots.items() if isinstance(snapshots, Mapping) else snapshots
    for it in raw:
        if isinstance(it, Mapping):
            items.append(dict(it))
        else:
            label, target = it
            items.append({"label": label, "href": target})
    rows = []
    for it in items:
        href = _href(it.get("href"))
        label = escape_html(it.get("label"))
        link = f'<a href="{escape_html(href)}">{label}</a>' if href else label
        until = it.get("until")
        span = f" &ndash; {escape_html(until)}" if until and until != it.get("label") else ""
        km2 = it.get("km2")
        change = it.get("change")
        rows.append(f"<tr><td>{link}{span}</td>"
                    f'<td data-sort="{escape_html(km2 if km2 is not None else "")}">'
                    f"{escape_html(f'{km2:,.0f}' if isinstance(km2, (int, float)) else '')}</td>"
                    f"<td>{escape_html(f'{change:+,.0f}' if isinstance(change, (int, float)) else '')}</td></tr>")
    tl = _href(timeline) if timeline else None
    n_ev = 0 if events is None else len(events)
    maps_html: list[str] = []
    if no_map_reason:
        maps_html.append(f'<p class="mapper-nomap"><b>No map was drawn.</b> {escape_html(no_map_reason)}</p>')
    else:
        if tl:
            maps_html.append(f'<p><a class="mapper-timeline" href="{escape_html(tl)}">Open the '
                             "time-slider map</a> (one map, a weekly slider).</p>")
        if rows:
            maps_html.append(
                f"<h3>Snapshots ({len(rows)} distinct maps)</h3>"
                f'<table class="mapper-sortable mapper-snapshots"><thead><tr>'
                f'<th scope="col">dates</th><th scope="col">{escape_html(actor)} held km²</th>'
                '<th scope="col">change</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>")
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
        ".mapper-chart{max-width:100%}table.mapper-snapshots{width:auto;min-width:40%}"
        ".mapper-summary{width:auto}.mapper-summary th{width:22em;font-weight:600}"
        ".mapper-nomap{background:#fff3cd;border:1px solid #c9a227;padding:8px 12px}"
        "nav a{margin-right:1em}</style></head><body>",
        f"<h1>{escape_html(title)}</h1>",
        "<p>Held areas are estimates derived from reported control points, not surveyed "
        "front lines. Every event links to the articles it rests on.</p>",
        '<nav><a href="#maps">Maps</a><a href="#how-to-read">How to read</a><a href="#chart">'
        'Area chart</a><a href="#events">Events</a><a href="#undated">Undated evidence</a>'
        '<a href="#limits">Known limits</a><a href="#summary">Run summary</a></nav>',
        '<h2 id="summary">Run summary</h2>',
        _summary_html(summary),
        '<h2 id="maps">Maps</h2>',
        *maps_html,
        _HOW_TO_READ,
        '<h2 id="chart">Held area over time</h2>',
        chart,
        f'<h2 id="events">Events ({n_ev})</h2>',
        "<p>Click a column heading to sort.</p>",
        _events_table(events),
        f'<h2 id="undated">Undated evidence ({len(undated)})</h2>',
        ("<p>These events have no date the reader could resolve, so no map shows them. Give "
         "them a date with an analyst override to use them.</p>"
         + _list_html(undated, ("place", "event_type", "gainer", "loser", "sources", "evidence"),
                      "mapper-undated")) if undated else "<p>None: every event has a date.</p>",
    ]
    if skipped:
        body += [f'<h2 id="skipped">Skipped inputs ({len(skipped)})</h2>',
                 _list_html(skipped, ("input", "reason", "fix"), "mapper-skipped")]
    body += [_KNOWN_LIMITS, "<script>" + _assets.TABLE_JS + "</script>", "</body></html>"]
    return "\n".join(b for b in body if b)
