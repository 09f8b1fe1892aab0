"""Web assets of the HTML outputs: Leaflet from a registry package, and the mapper's own JS.

LEAFLET_JS, LEAFLET_CSS        the CDN addresses folium links by default (Leaflet 1.9.3)
asset_text(url)                the file behind one of those addresses, from ``folium-offline``
embed_assets(html, *, mode, page=None, assets_dir=None)
                               rewrite a page's ``<script src>``/``<link href>`` to a CDN
                               (``"cdn"``), to inline copies (``"inline"``) or to copies
                               written next to the page (``"local"``)
MAP_JS, MAP_CSS, TABLE_JS      the mapper's own small scripts (time slider, legend, popups;
                               sortable table), written for this project

Why ``folium-offline``: it is a PyPI package (``pip install 'mapper[offline]'``) that ships
folium's web resources as Python strings, keyed by the same CDN address folium writes, so the
Leaflet we inline is byte for byte the version folium targets, and nothing is copied into this
repository by hand. Only Leaflet itself is needed: the maps use no jQuery, Bootstrap or icon
fonts, and the time slider is the few lines of ``MAP_JS``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

from mapper.errors import InputError

__all__ = [
    "LEAFLET_CSS",
    "LEAFLET_JS",
    "MAP_CSS",
    "MAP_JS",
    "TABLE_JS",
    "AssetMode",
    "asset_text",
    "embed_assets",
]

LEAFLET_JS = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"
LEAFLET_CSS = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css"

AssetMode = Literal["cdn", "inline", "local"]
ASSET_MODES = ("cdn", "inline", "local")

_SCRIPT_RE = re.compile(r'<script src="(https?://[^"]+)"></script>')
_LINK_RE = re.compile(r'<link rel="stylesheet" href="(https?://[^"]+)"\s*/?>')


def asset_text(url: str) -> str:
    """Return the text of the web resource folium links at ``url``, from ``folium-offline``.

    Raises
    ------
    ImportError
        ``folium-offline`` is not installed (the message gives the install line).
    InputError
        ``folium-offline`` does not carry ``url``.
    """
    try:
        from offlinefolium import elements, features
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError(
            "self-contained maps need folium-offline: pip install 'territorial-control-mapper[offline]'"
        ) from e
    for module in (elements, features):
        text = getattr(module, "_res", {}).get(url)
        if text is not None:
            return text
    raise InputError(
        f"folium-offline {getattr(elements, '__version__', '')} has no copy of {url}; "
        "install a folium-offline release matching folium, or write maps with assets='cdn'."
    )


def _asset_name(url: str) -> str:
    """``.../leaflet@1.9.3/dist/leaflet.js`` -> ``leaflet-1.9.3.js`` (version kept in the name)."""
    m = re.search(r"/([A-Za-z0-9_.-]+)@([0-9][A-Za-z0-9.]*)/.*?([A-Za-z0-9_.-]+)$", url)
    if m:
        stem, ext = os.path.splitext(m.group(3))
        return f"{stem}-{m.group(2)}{ext}"
    return re.sub(r"[^A-Za-z0-9_.-]", "_", url.rsplit("/", 1)[-1])


def _write_if_changed(path: Path, text: str) -> None:
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def embed_assets(
    html: str,
    *,
    mode: AssetMode = "cdn",
    page: str | os.PathLike | None = None,
    assets_dir: str | os.PathLike | None = None,
) -> str:
    """Point a rendered page's external scripts and style sheets at a CDN, inline or local copies.

    Parameters
    ----------
    html : str
        The rendered page.
    mode : {"cdn", "inline", "local"}
        ``"cdn"`` leaves the links (the page needs the internet); ``"inline"`` replaces each
        by the file's text (one self-contained file); ``"local"`` writes the files once into
        ``assets_dir`` and links them relatively (self-contained folder, shared by pages).
    page : path-like, optional
        Where the page will be written; needed for ``"local"``.
    assets_dir : path-like, optional
        Folder of the copied files for ``"local"``; default ``<page folder>/assets``.

    Returns
    -------
    str
        The rewritten page.
    """
    if mode not in ASSET_MODES:
        raise InputError(f"assets={mode!r} is not one of {ASSET_MODES}; pick one of them.")
    if mode == "cdn":
        return html
    if mode == "local":
        if page is None:
            raise InputError("assets='local' needs the page path (page=...) to link the copies.")
        page = Path(page)
        folder = Path(assets_dir) if assets_dir is not None else page.parent / "assets"

    def replace(match: re.Match, kind: str) -> str:
        url = match.group(1)
        text = asset_text(url)
        if mode == "inline":
            if kind == "js":
                # a literal closing tag inside the script would end it early
                return "<script>" + text.replace("</script", "<\\/script") + "</script>"
            return "<style>" + text + "</style>"
        target = folder / _asset_name(url)
        _write_if_changed(target, text)
        href = Path(os.path.relpath(target, page.parent)).as_posix()
        if kind == "js":
            return f'<script src="{href}"></script>'
        return f'<link rel="stylesheet" href="{href}"/>'

    # a function replacement: the asset text is never read as a regex template
    html = _SCRIPT_RE.sub(lambda m: replace(m, "js"), html)
    return _LINK_RE.sub(lambda m: replace(m, "css"), html)


#: styles of the mapper's controls (title, caption, legend, slider, popups)
MAP_CSS = """
.mapper-title { position: absolute; top: 10px; left: 50%; transform: translateX(-50%);
  z-index: 1000; background: rgba(255,255,255,0.92); padding: 6px 12px; border-radius: 4px;
  font: 600 15px/1.3 system-ui, sans-serif; box-shadow: 0 1px 4px rgba(0,0,0,0.3);
  max-width: 60%; text-align: center; pointer-events: none; }
.mapper-caption { background: rgba(255,255,255,0.9); padding: 4px 8px; max-width: 420px;
  font: 12px/1.35 system-ui, sans-serif; border-radius: 4px; }
.mapper-legend { background: rgba(255,255,255,0.92); padding: 6px 10px; border-radius: 4px;
  font: 12px/1.5 system-ui, sans-serif; box-shadow: 0 1px 4px rgba(0,0,0,0.3); }
.mapper-legend i { display: inline-block; width: 14px; height: 14px; margin-right: 6px;
  vertical-align: -2px; border: 1px solid #333; }
.mapper-legend i.contested { border-style: dashed; }
.leaflet-control-layers { font: 12px/1.3 system-ui, sans-serif; }
.leaflet-control-layers label { margin: 0; }
.leaflet-container { background: #cfe3ef; }
.mapper-slider { background: rgba(255,255,255,0.95); padding: 6px 10px; border-radius: 4px;
  font: 13px/1.4 system-ui, sans-serif; box-shadow: 0 1px 4px rgba(0,0,0,0.3); }
.mapper-slider input[type=range] { width: 320px; vertical-align: middle; }
.mapper-slider button { min-width: 58px; margin-right: 6px; }
.mapper-slider .mapper-date { display: inline-block; min-width: 92px; margin-left: 8px;
  font-weight: 600; }
.mapper-popup { max-width: 360px; font: 12px/1.4 system-ui, sans-serif; }
.mapper-popup ol { padding-left: 18px; margin: 4px 0 0 0; }
.mapper-popup q { font-style: italic; }
"""

#: The map behaviour. ``mapperRender(map, dataId)`` reads the JSON payload in the element
#: ``dataId`` and draws the basemap, areas, events, legend, title, caption and (with more
#: than one date) a slider with play/pause. Popup and tooltip strings arrive HTML-escaped
#: from Python; every other string is set with ``textContent``.
#: The text is rendered through jinja by branca, so it must never contain a brace pair.
MAP_JS = r"""
window.mapperDecode = window.mapperDecode || function (data, ids) {
  // polygons arrive as rings of delta-encoded integers: [x0, y0, dx1, dy1, ...] / data.scale
  return ({ type: 'MultiPolygon', coordinates: ids.map(function (i) {
    return data.geoms[i].map(function (r) {
      var out = [], x = 0, y = 0;
      for (var k = 0; k < r.length; k += 2) {
        x += r[k];
        y += r[k + 1];
        out.push([x / data.scale, y / data.scale]);
      }
      return out;
    });
  }) });
};
window.mapperRender = window.mapperRender || function (map, dataId) {
  var data = JSON.parse(document.getElementById(dataId).textContent);
  var areaPane = map.createPane('mapperAreas');
  areaPane.style.zIndex = 420;
  var basePane = map.createPane('mapperBase');
  basePane.style.zIndex = 300;
  var eventPane = map.createPane('mapperEvents');
  eventPane.style.zIndex = 640;
  var control = L.control.layers(null, null, ({ collapsed: false })).addTo(map);
  if (data.tiles) {
    var tiles = L.tileLayer(data.tiles.url, ({ attribution: data.tiles.attribution, maxZoom: 18 }));
    control.addOverlay(tiles, data.tiles.name);
  }
  data.basemap.forEach(function (b) {
    var layer = L.geoJSON(b.data, ({ pane: 'mapperBase', interactive: false,
      style: function () { return b.style; } }));
    layer.addTo(map);
    control.addOverlay(layer, b.name);
  });
  var groups = data.groups.map(function (g) {
    var group = L.layerGroup().addTo(map);
    control.addOverlay(group, g);
    return group;
  });
  var svgNS = 'http://www.w3.org/2000/svg';
  var defs = document.createElementNS(svgNS, 'svg');
  defs.setAttribute('width', '0');
  defs.setAttribute('height', '0');
  defs.setAttribute('aria-hidden', 'true');
  defs.style.position = 'absolute';
  var defsInner = document.createElementNS(svgNS, 'defs');
  defs.appendChild(defsInner);
  data.hatches.forEach(function (h) {
    var pat = document.createElementNS(svgNS, 'pattern');
    pat.setAttribute('id', dataId + '_' + h.id);
    pat.setAttribute('patternUnits', 'userSpaceOnUse');
    pat.setAttribute('width', '8');
    pat.setAttribute('height', '8');
    pat.setAttribute('patternTransform', 'rotate(45)');
    var bg = document.createElementNS(svgNS, 'rect');
    bg.setAttribute('width', '8');
    bg.setAttribute('height', '8');
    bg.setAttribute('fill', h.color);
    bg.setAttribute('fill-opacity', '0.15');
    var line = document.createElementNS(svgNS, 'rect');
    line.setAttribute('width', '3');
    line.setAttribute('height', '8');
    line.setAttribute('fill', h.color);
    pat.appendChild(bg);
    pat.appendChild(line);
    defsInner.appendChild(pat);
  });
  map.getContainer().appendChild(defs);
  var cache = ({});
  function pieceLayer(i) {
    if (!cache[i]) {
      var p = data.pieces[i];
      var style = L.Util.extend(({}), data.styles[p.s]);
      if (p.hatch) { style.fillColor = 'url(#' + dataId + '_' + p.hatch + ')'; }
      var layer = L.geoJSON(window.mapperDecode(data, p.g), ({ pane: 'mapperAreas', style: function () {
        return style; } }));
      layer.bindTooltip(p.label, ({ sticky: true }));
      cache[i] = layer;
    }
    return cache[i];
  }
  var title = L.DomUtil.create('div', 'mapper-title', map.getContainer());
  var captionCtl = L.control(({ position: 'bottomright' }));
  var caption;
  captionCtl.onAdd = function () {
    caption = L.DomUtil.create('div', 'mapper-caption');
    return caption;
  };
  captionCtl.addTo(map);
  var legend = L.control(({ position: 'bottomleft' }));
  legend.onAdd = function () {
    var div = L.DomUtil.create('div', 'mapper-legend');
    var head = L.DomUtil.create('b', '', div);
    head.textContent = data.legend_title;
    data.legend.forEach(function (item) {
      var row = L.DomUtil.create('div', '', div);
      var sw = L.DomUtil.create('i', item.contested ? 'contested' : '', row);
      sw.style.background = item.contested
        ? 'repeating-linear-gradient(45deg, ' + item.color + ' 0 3px, transparent 3px 6px)'
        : item.color;
      if (item.marker) { sw.style.borderRadius = '50%'; }
      row.appendChild(document.createTextNode(item.label));
    });
    return div;
  };
  legend.addTo(map);
  var eventsGroup = groups[data.event_group];
  var current = -1;
  function show(k) {
    current = k;
    var frame = data.frames[k];
    groups.forEach(function (g, j) { if (j !== data.event_group) { g.clearLayers(); } });
    frame.forEach(function (i) { groups[data.pieces[i].group].addLayer(pieceLayer(i)); });
    eventsGroup.clearLayers();
    var day = data.dates[k];
    var newest = '';
    data.events.forEach(function (e) { if (e.d <= day && e.d > newest) { newest = e.d; } });
    data.events.forEach(function (e) {
      if (e.d > day) { return; }
      var isNew = e.d === newest;
      var m = L.circleMarker([e.lat, e.lon], ({ pane: 'mapperEvents', radius: isNew ? 8 : 5,
        color: isNew ? '#ffffff' : '#222222', weight: isNew ? 3 : 1, fillColor: e.color,
        fillOpacity: 0.95, className: isNew ? 'mapper-event mapper-event-newest' : 'mapper-event' }));
      m.bindPopup(e.popup, ({ maxWidth: 380 }));
      m.bindTooltip(e.tip);
      eventsGroup.addLayer(m);
    });
    title.textContent = data.titles[k];
    caption.textContent = data.captions[k];
    if (slider) {
      slider.value = k;
      dateLabel.textContent = day;
    }
    map.getContainer().setAttribute('data-mapper-date', day);
  }
  var slider = null, dateLabel = null, button = null, timer = null;
  if (data.dates.length > 1) {
    var ctl = L.control(({ position: 'bottomleft' }));
    ctl.onAdd = function () {
      var div = L.DomUtil.create('div', 'mapper-slider');
      button = L.DomUtil.create('button', 'mapper-play', div);
      button.type = 'button';
      button.textContent = 'Play';
      slider = L.DomUtil.create('input', 'mapper-range', div);
      slider.type = 'range';
      slider.min = 0;
      slider.max = data.dates.length - 1;
      slider.step = 1;
      slider.setAttribute('aria-label', 'date');
      dateLabel = L.DomUtil.create('span', 'mapper-date', div);
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      L.DomEvent.on(slider, 'input change', function () { stop(); show(parseInt(slider.value, 10)); });
      L.DomEvent.on(button, 'click', function () { if (timer) { stop(); } else { play(); } });
      return div;
    };
    ctl.addTo(map);
  }
  function stop() {
    if (timer) { clearInterval(timer); timer = null; }
    if (button) { button.textContent = 'Play'; }
  }
  function play() {
    if (current >= data.dates.length - 1) { show(0); }
    button.textContent = 'Pause';
    timer = setInterval(function () {
      if (current >= data.dates.length - 1) { stop(); return; }
      show(current + 1);
    }, data.interval_ms);
  }
  show(data.start);
  if (data.bounds) { map.fitBounds(data.bounds, ({ padding: [20, 20] })); }
  map.mapper = ({ show: show, play: play, stop: stop, data: data });
};
"""

#: click a header of ``table.mapper-sortable`` to sort by it (numbers by ``data-sort``)
TABLE_JS = r"""
document.querySelectorAll('table.mapper-sortable').forEach(function (table) {
  table.querySelectorAll('th').forEach(function (th, col) {
    th.addEventListener('click', function () {
      var body = table.tBodies[0];
      var asc = th.getAttribute('aria-sort') !== 'ascending';
      table.querySelectorAll('th').forEach(function (h) { h.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col].getAttribute('data-sort') || a.cells[col].textContent;
        var y = b.cells[col].getAttribute('data-sort') || b.cells[col].textContent;
        var nx = parseFloat(x), ny = parseFloat(y);
        var c = (!isNaN(nx) && !isNaN(ny) && String(nx) === x && String(ny) === y)
          ? nx - ny : x.localeCompare(y);
        return asc ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
"""
