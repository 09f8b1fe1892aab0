"""Web assets of the HTML outputs: Leaflet from a registry package, and the mapper's own JS.

LEAFLET_JS, LEAFLET_CSS        the CDN addresses folium links by default (Leaflet 1.9.3)
asset_text(url)                the file behind one of those addresses, from ``folium-offline``
embed_assets(html, *, mode, page=None, assets_dir=None)
                               rewrite a page's ``<script src>``/``<link href>`` to a CDN
                               (``"cdn"``), to inline copies (``"inline"``) or to copies
                               written next to the page (``"local"``)
MAP_JS, MAP_CSS, TABLE_JS      the mapper's own small scripts (time slider, legend, popups;
                               sortable table), written for this project

Why ``folium-offline``: it is a PyPI package (a dependency of the mapper) that ships
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
    "MAPPER_CSS_NAME",
    "MAPPER_JS_NAME",
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
#: the mapper's own script and style sheet, written beside the pages of a site
MAPPER_JS_NAME = "mapper.js"
MAPPER_CSS_NAME = "mapper.css"
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
            "maps that open offline need folium-offline, a dependency of the mapper: "
            "pip install folium-offline (or reinstall the mapper), or build with --cdn"
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
    from mapper.outputs import atomic_write_text

    atomic_write_text(path, text)


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


#: styles of the mapper's controls (title, caption, legend, slider, labels, popups)
MAP_CSS = """
.mapper-title { position: absolute; top: 10px; left: 50%; transform: translateX(-50%);
  z-index: 1000; background: rgba(255,255,255,0.92); padding: 6px 12px; border-radius: 4px;
  font: 600 15px/1.3 system-ui, sans-serif; box-shadow: 0 1px 4px rgba(0,0,0,0.3);
  max-width: 60%; text-align: center; pointer-events: none; }
.mapper-caption { background: rgba(255,255,255,0.92); padding: 4px 8px; max-width: 440px;
  font: 12px/1.35 system-ui, sans-serif; border-radius: 4px; }
.mapper-legend { background: rgba(255,255,255,0.92); padding: 6px 10px; border-radius: 4px;
  font: 12px/1.5 system-ui, sans-serif; box-shadow: 0 1px 4px rgba(0,0,0,0.3); }
.mapper-legend i { display: inline-block; width: 14px; height: 14px; margin-right: 6px;
  vertical-align: -2px; border: 1px solid #333; }
.mapper-legend i.contested { border-style: dashed; }
.mapper-legend i.stale { opacity: 0.35; border-style: dotted; }
.mapper-legend i.marker { border-radius: 50%; width: 10px; height: 10px; margin: 0 8px 0 2px; }
.mapper-legend i.ring { border-radius: 50%; background: transparent !important; border: 2px solid #222; }
.leaflet-control-layers { font: 12px/1.3 system-ui, sans-serif; }
.leaflet-control-layers label { margin: 0; }
.leaflet-container { background: #cfe3ef; }
.mapper-slider { background: rgba(255,255,255,0.95); padding: 6px 10px 4px 10px; border-radius: 4px;
  font: 13px/1.4 system-ui, sans-serif; box-shadow: 0 1px 4px rgba(0,0,0,0.3); }
.mapper-slider .mapper-row { display: flex; align-items: center; }
.mapper-slider .mapper-track { position: relative; width: 360px; }
.mapper-slider input[type=range] { width: 360px; margin: 0; display: block; }
.mapper-slider .mapper-marks { position: relative; height: 7px; margin: 0 8px; }
.mapper-slider .mapper-mark { position: absolute; top: 0; width: 2px; height: 7px;
  margin-left: -1px; background: #c0392b; }
.mapper-slider button { min-width: 58px; margin-right: 8px; }
.mapper-slider .mapper-date { display: inline-block; min-width: 92px; margin-left: 8px;
  font-weight: 600; }
.mapper-slider .mapper-step { color: #555; font-size: 11px; }
.mapper-label { position: absolute; white-space: nowrap; pointer-events: none;
  font: 600 12px/14px system-ui, sans-serif; color: #1d1d1d;
  text-shadow: -1px -1px 0 #fff, 1px -1px 0 #fff, -1px 1px 0 #fff, 1px 1px 0 #fff, 0 0 3px #fff; }
.mapper-label.mapper-label-town { font-weight: 400; color: #444; font-size: 11px; }
.mapper-popup { max-width: 360px; max-height: 320px; overflow-y: auto;
  font: 12px/1.4 system-ui, sans-serif; }
.mapper-popup ol { padding-left: 18px; margin: 4px 0 0 0; }
.mapper-popup q { font-style: italic; }
.mapper-popup hr { border: 0; border-top: 1px solid #ddd; margin: 6px 0; }
.mapper-error { position: absolute; top: 60px; left: 50%; transform: translateX(-50%); z-index: 1001;
  background: #fff3cd; border: 1px solid #c9a227; padding: 8px 12px;
  font: 13px/1.4 system-ui, sans-serif; }
"""

#: The map behaviour. ``mapperRender(map, dataId)`` reads the page's JSON payload (element
#: ``dataId``) and the data it shares with the other pages: ``page.store`` when the page is
#: self-contained, otherwise ``window.mapperData`` filled by ``data/basemap.js``,
#: ``data/polygons.js`` and ``data/events.js``. It draws the basemap, held areas, control points
#: (state on the shown day), the events of the step, town labels without collisions (most
#: important first, recomputed on every zoom), legend, title, caption, credits and, with more
#: than one date, a slider with the event dates marked on its track. Popup and tooltip strings
#: arrive HTML-escaped from Python; every other string is set with ``textContent``.
#: The text may be rendered through jinja by branca, so it must never contain a brace pair.
MAP_JS = r"""
window.mapperDecode = window.mapperDecode || function (polys, ids) {
  // polygons arrive as rings of delta-encoded integers: [x0, y0, dx1, dy1, ...] / scale
  return ({ type: 'MultiPolygon', coordinates: ids.map(function (i) {
    return polys.geoms[i].map(function (r) {
      var out = [], x = 0, y = 0;
      for (var k = 0; k < r.length; k += 2) {
        x += r[k];
        y += r[k + 1];
        out.push([x / polys.scale, y / polys.scale]);
      }
      return out;
    });
  }) });
};
window.mapperRender = window.mapperRender || function (map, dataId) {
  var page = JSON.parse(document.getElementById(dataId).textContent);
  var store = page.store || window.mapperData || ({});
  var missing = ['basemap', 'polygons', 'events'].filter(function (k) { return !store[k]; });
  if (missing.length) {
    var err = L.DomUtil.create('div', 'mapper-error', map.getContainer());
    err.textContent = 'This map cannot find its data (' + missing.join(', ') + '): keep the ' +
      'page inside its output folder, beside data/ and assets/.';
    throw new Error('mapper: data missing: ' + missing.join(', '));
  }
  var polys = store.polygons, evs = store.events, base = store.basemap;
  var STATES = ['held', 'contested', 'stale', 'unknown'];
  // names (places, actors, labels) arrive as plain text: escaped here wherever HTML is built
  function esc(text) {
    var d = document.createElement('div');
    d.textContent = text;
    return d.innerHTML;
  }
  map.attributionControl.addAttribution(base.attribution);
  var panes = [['mapperBase', 300], ['mapperAreas', 420], ['mapperPoints', 630],
               ['mapperLabels', 640], ['mapperEvents', 650]];
  panes.forEach(function (p) { map.createPane(p[0]).style.zIndex = p[1]; });
  map.getPane('mapperLabels').style.pointerEvents = 'none';
  var control = L.control.layers(null, null, ({ collapsed: true })).addTo(map);
  if (page.tiles) {
    var tiles = L.tileLayer(page.tiles.url, ({ attribution: page.tiles.attribution, maxZoom: 18 }));
    control.addOverlay(tiles, page.tiles.name);
  }
  base.layers.forEach(function (b) {
    var layer = L.geoJSON(b.data, ({ pane: 'mapperBase', interactive: false,
      style: function () { return b.style; } }));
    layer.addTo(map);
    control.addOverlay(layer, b.name);
  });
  var areaGroups = page.groups.map(function (g) {
    var group = L.layerGroup().addTo(map);
    control.addOverlay(group, g.name);
    return group;
  });
  var pointGroup = L.layerGroup().addTo(map);
  control.addOverlay(pointGroup, 'Control points');
  var eventGroup = L.layerGroup().addTo(map);
  control.addOverlay(eventGroup, 'Events of this step');
  var labelGroup = L.layerGroup().addTo(map);
  control.addOverlay(labelGroup, 'Town labels');
  var svgNS = 'http://www.w3.org/2000/svg';
  var defs = document.createElementNS(svgNS, 'svg');
  defs.setAttribute('width', '0');
  defs.setAttribute('height', '0');
  defs.setAttribute('aria-hidden', 'true');
  defs.style.position = 'absolute';
  var defsInner = document.createElementNS(svgNS, 'defs');
  defs.appendChild(defsInner);
  polys.hatches.forEach(function (h) {
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
      var p = polys.pieces[i];
      var style = L.Util.extend(({}), polys.styles[p.s]);
      if (p.hatch) { style.fillColor = 'url(#' + dataId + '_' + p.hatch + ')'; }
      var layer = L.geoJSON(window.mapperDecode(polys, p.g), ({ pane: 'mapperAreas',
        style: function () { return style; } }));
      layer.bindTooltip(p.label, ({ sticky: true }));
      cache[i] = layer;
    }
    return cache[i];
  }
  var byPlace = ({});
  evs.events.forEach(function (e, k) {
    (byPlace[e[1]] = byPlace[e[1]] || []).push(k);
  });
  function stateAt(i, day) {
    var iv = evs.intervals[i];
    for (var k = 0; k < iv.length; k++) {
      if (iv[k][0] <= day && (iv[k][1] === '' || day < iv[k][1])) { return iv[k]; }
    }
    return null;
  }
  function pointPopup(i, st, day) {
    var place = evs.places[i];
    var who = st[2] >= 0 ? evs.actors[st[2]] : 'holder unknown';
    var div = document.createElement('div');
    div.className = 'mapper-popup';
    var head = document.createElement('b');
    head.textContent = place[0];
    div.appendChild(head);
    div.appendChild(document.createElement('br'));
    div.appendChild(document.createTextNode(who + ': ' + STATES[st[3]] + ' since ' + st[0] +
      (st[3] === 2 ? ' (no report for a long time: last known holder)' : '')));
    var ks = (byPlace[i] || []).filter(function (k) { return evs.events[k][0] <= day; });
    ks.reverse().forEach(function (k) {
      div.appendChild(document.createElement('hr'));
      var box = document.createElement('div');
      box.innerHTML = evs.events[k][3];  // escaped in Python (maps.event_popup_html)
      div.appendChild(box);
    });
    return div;
  }
  function colorOf(actorIdx) { return actorIdx >= 0 ? evs.colors[actorIdx] : '#8a8a8a'; }
  var measure = document.createElement('canvas').getContext('2d');
  var widths = ({});
  function textWidth(text, town) {
    var key = (town ? 't' : 'p') + text;
    if (widths[key] === undefined) {
      measure.font = (town ? '400 11px' : '600 12px') + ' system-ui, sans-serif';
      widths[key] = Math.ceil(measure.measureText(text).width) + 2;
    }
    return widths[key];
  }
  var active = ({});
  function placeLabels() {
    labelGroup.clearLayers();
    if (!map.hasLayer(labelGroup)) { return; }
    var size = map.getSize();
    // labels keep off the controls drawn over the map (legend, slider, caption, title)
    var origin = map.getContainer().getBoundingClientRect();
    var boxes = Array.prototype.map.call(
      map.getContainer().querySelectorAll('.leaflet-control, .mapper-title'), function (el) {
        var r = el.getBoundingClientRect();
        return [r.left - origin.left, r.top - origin.top, r.right - origin.left, r.bottom - origin.top];
      });
    var cands = base.labels.map(function (l) {
      var on = l[4] >= 0 && active[l[4]];
      if (l[4] >= 0 && !on && l[3] < 5.6) { return null; }  // a small place nobody reports now
      return [l, on ? l[3] + 10 : (l[4] >= 0 ? l[3] - 1 : l[3]), on];
    }).filter(function (c) { return c; });
    cands.sort(function (a, b) { return b[1] - a[1] || (a[0][0] < b[0][0] ? -1 : 1); });
    var placed = 0;
    cands.forEach(function (c) {
      if (placed >= 60) { return; }
      var l = c[0];
      var pt = map.latLngToContainerPoint([l[1], l[2]]);
      if (pt.x < 0 || pt.y < 0 || pt.x > size.x || pt.y > size.y) { return; }
      var w = textWidth(l[0], !c[2]), h = 14;
      var spots = [[7, -h / 2], [-7 - w, -h / 2], [-w / 2, -h - 6], [-w / 2, 6]];
      for (var s = 0; s < spots.length; s++) {
        var x0 = pt.x + spots[s][0], y0 = pt.y + spots[s][1];
        var box = [x0 - 2, y0 - 1, x0 + w + 2, y0 + h + 1];
        if (box[0] < 0 || box[1] < 0 || box[2] > size.x || box[3] > size.y) { continue; }
        var clash = boxes.some(function (o) {
          return box[0] < o[2] && o[0] < box[2] && box[1] < o[3] && o[1] < box[3];
        });
        if (clash) { continue; }
        boxes.push(box);
        var at = map.containerPointToLatLng([x0, y0]);
        var icon = L.divIcon(({ className: 'mapper-label' + (c[2] ? '' : ' mapper-label-town'),
          html: '', iconSize: null, iconAnchor: [0, 0] }));
        var m = L.marker(at, ({ icon: icon, pane: 'mapperLabels', interactive: false,
          keyboard: false }));
        labelGroup.addLayer(m);
        m.getElement().textContent = l[0];
        placed++;
        return;
      }
    });
  }
  map.on('zoomend moveend resize overlayadd', placeLabels);
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
    head.textContent = page.legend_title;
    page.legend.forEach(function (item) {
      var row = L.DomUtil.create('div', '', div);
      var sw = L.DomUtil.create('i', item.kind || '', row);
      sw.style.background = item.kind === 'contested'
        ? 'repeating-linear-gradient(45deg, ' + item.color + ' 0 3px, transparent 3px 6px)'
        : item.color;
      if (item.kind === 'ring') { sw.style.borderColor = item.color; }
      row.appendChild(document.createTextNode(item.label));
    });
    return div;
  };
  legend.addTo(map);
  var current = -1;
  function show(k) {
    current = k;
    var frame = page.frames[k];
    var day = page.dates[k];
    areaGroups.forEach(function (g) { g.clearLayers(); });
    frame.p.forEach(function (i) { areaGroups[polys.pieces[i].a].addLayer(pieceLayer(i)); });
    pointGroup.clearLayers();
    eventGroup.clearLayers();
    active = ({});
    evs.places.forEach(function (place, i) {
      var st = stateAt(i, day);
      if (!st) { return; }
      active[i] = true;
      var stale = st[3] === 2;
      var m = L.circleMarker([place[1], place[2]], ({ pane: 'mapperPoints', radius: 5,
        color: st[3] === 1 ? '#000000' : '#ffffff', weight: st[3] === 1 ? 2 : 1.5,
        dashArray: st[3] === 1 ? '2 2' : null, fillColor: colorOf(st[2]),
        fillOpacity: stale ? 0.3 : 0.95, opacity: stale ? 0.5 : 1,
        className: 'mapper-point mapper-point-' + STATES[st[3]] }));
      m.bindTooltip(esc(place[0] + ': ' + (st[2] >= 0 ? evs.actors[st[2]] : 'holder unknown') + ', ' +
        STATES[st[3]]));
      m.bindPopup(pointPopup(i, st, day), ({ maxWidth: 380 }));
      pointGroup.addLayer(m);
    });
    evs.events.forEach(function (e) {
      if (e[0] > day || (frame.prev && e[0] <= frame.prev)) { return; }
      var place = evs.places[e[1]];
      var m = L.circleMarker([place[1], place[2]], ({ pane: 'mapperEvents', radius: 10,
        color: e[2] >= 0 ? evs.colors[e[2]] : '#555555', weight: 2.5, fill: false,
        className: 'mapper-event mapper-event-new' }));
      m.bindTooltip(e[4]);
      m.bindPopup(e[3], ({ maxWidth: 380 }));
      eventGroup.addLayer(m);
    });
    title.textContent = frame.t;
    caption.textContent = frame.c;
    if (slider) {
      slider.value = k;
      dateLabel.textContent = day;
    }
    map.getContainer().setAttribute('data-mapper-date', day);
    placeLabels();
  }
  var slider = null, dateLabel = null, button = null, timer = null;
  if (page.dates.length > 1) {
    var ctl = L.control(({ position: 'bottomleft' }));
    ctl.onAdd = function () {
      var div = L.DomUtil.create('div', 'mapper-slider');
      var row = L.DomUtil.create('div', 'mapper-row', div);
      button = L.DomUtil.create('button', 'mapper-play', row);
      button.type = 'button';
      button.textContent = 'Play';
      var track = L.DomUtil.create('div', 'mapper-track', row);
      slider = L.DomUtil.create('input', 'mapper-range', track);
      slider.type = 'range';
      slider.min = 0;
      slider.max = page.dates.length - 1;
      slider.step = 1;
      slider.setAttribute('aria-label', 'date');
      var marks = L.DomUtil.create('div', 'mapper-marks', track);
      page.marks.forEach(function (mk) {
        var t = L.DomUtil.create('span', 'mapper-mark', marks);
        t.style.left = (100 * mk[0] / (page.dates.length - 1)) + '%';
        t.title = mk[1];
      });
      dateLabel = L.DomUtil.create('span', 'mapper-date', row);
      var step = L.DomUtil.create('div', 'mapper-step', div);
      step.textContent = page.step_note;
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
    if (current >= page.dates.length - 1) { show(0); }
    button.textContent = 'Pause';
    timer = setInterval(function () {
      if (current >= page.dates.length - 1) { stop(); return; }
      show(current + 1);
    }, page.interval_ms);
  }
  if (page.bounds) { map.fitBounds(page.bounds, ({ padding: [10, 10] })); }
  show(page.start);
  map.mapper = ({ show: show, play: play, stop: stop, page: page, store: store,
    labels: function () { return labelGroup.getLayers().length; } });
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
