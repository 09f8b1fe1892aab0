"""Maps in layers: escaping of fragments, the payload and the shared stores, the site's files.

The browser layer is ``test_browser.py``.
"""

from __future__ import annotations

import hashlib
import json
import re
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from browser_util import HOSTILE, shared_basemap, synthetic_areas, synthetic_events
from shapely.geometry import Point, box

from mapper import assets, basemap, maps, render
from mapper.colors import ACTOR_COLORS, UNKNOWN_COLOR, actor_color
from mapper.errors import InputError, OutputError, SkippedInputWarning
from mapper.schema import ACTORS, EQUAL_AREA, WGS84

DATA_RE = maps.DATA_RE


def payload_of(html: str) -> dict:
    found = DATA_RE.findall(html)
    assert len(found) == 1, "one payload per map"
    return json.loads(found[0])


def render_text(m) -> str:
    return maps.render_map(m)


@pytest.fixture(scope="module")
def base() -> dict:
    """A tiny basemap (two boxes, one line) so most tests do not depend on ../shared."""
    countries = gpd.GeoDataFrame(
        {"name": ["Syria", "Iraq"]},
        geometry=[
            box(35.7, 32.3, 42.4, 37.3),
            box(38.8, 29.1, 48.6, 37.4).difference(box(35.7, 32.3, 42.4, 37.3)),
        ],
        crs=WGS84,
    )
    rivers = gpd.GeoDataFrame(
        {"name": ["Euphrates"]},
        geometry=[shapely.LineString([(38.0, 36.0), (40.1, 35.3), (41.1, 34.4), (43.0, 33.4)])],
        crs=WGS84,
    )
    lakes = gpd.GeoDataFrame(
        {"name": ["Assad"]}, geometry=[Point(38.4, 35.95).buffer(0.1)], crs=WGS84
    )
    return {"countries": countries, "admin1": countries.copy(), "rivers": rivers, "lakes": lakes}


@pytest.fixture(scope="module")
def corpus():
    events = synthetic_events(12, hostile=True)
    areas = synthetic_areas(events)
    areas.attrs.update(radius_km=25.0, cell_km=15.0, stale_days=365)
    return events, areas


# ----------------------------------------------------------------------------- palette


def test_every_actor_has_one_distinct_colour():
    assert set(ACTOR_COLORS) == set(ACTORS)
    assert len(set(ACTOR_COLORS.values())) == len(ACTORS)
    assert UNKNOWN_COLOR not in ACTOR_COLORS.values()
    assert actor_color("IS") == ACTOR_COLORS["IS"]
    assert actor_color("nobody we know") == UNKNOWN_COLOR


def test_maps_use_the_palette(corpus, base):
    events, areas = corpus
    p = payload_of(render_text(maps.timeline_map(areas, events, **base)))
    polys, evs = p["store"]["polygons"], p["store"]["events"]
    for piece in polys["pieces"]:
        actor = p["groups"][piece["a"]]["name"].removesuffix(" areas")
        assert polys["styles"][piece["s"]]["color"] == ACTOR_COLORS[actor]
    assert evs["colors"] == [actor_color(a) for a in evs["actors"]]


# ----------------------------------------------------------------------------- escaping


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://example.org/a?b=1&c=2", True),
        ("http://example.org", True),
        ("  HTTPS://Example.org/x  ", True),
        ("javascript:alert(1)", False),
        (" JaVaScRiPt:alert(1)", False),
        ("java\tscript:alert(1)", False),
        ("data:text/html,<script>x</script>", False),
        ("//example.org/x", False),
        ("/relative/path", False),
        ('https://example.org/"onmouseover=x', False),
        ("https:///nohost", False),
        (None, False),
        (float("nan"), False),
    ],
)
def test_safe_url(url, ok):
    assert (maps.safe_url(url) is not None) is ok


def test_escape_html():
    assert (
        maps.escape_html('<b a="1">\'&{{x}}')
        == "&lt;b a=&quot;1&quot;&gt;&#x27;&amp;&#123;&#123;x&#125;&#125;"
    )
    assert maps.escape_html(None) == ""
    assert maps.escape_html(float("nan")) == ""
    assert maps.escape_html(pd.NaT) == ""


def test_popup_escapes_hostile_text_and_links_only_http():
    events = synthetic_events(3, hostile=True)
    hostile = maps.event_popup_html(events.iloc[1].to_dict())
    for raw in ("<script", "<img", "onerror=window.__pwned=1>", "{{", "{%", 'href="javascript',
                'href=" javascript', 'href="data:'):
        assert raw not in hostile, raw
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in hostile
    assert "&#123;&#123; 7*7 &#125;&#125;" in hostile
    assert "<a " not in hostile  # neither javascript: nor data: URLs became links
    plain = maps.event_popup_html(events.iloc[0].to_dict())
    assert ('<a href="https://example.org/news/0?a=1&amp;b=2" target="_blank" '
            'rel="noopener noreferrer">') in plain
    assert "Deir ez-Zor" in plain and "precision: week" in plain and "Confidence: 0.50" in plain
    assert "<q>Forces captured Deir ez-Zor on the day.</q>" in plain


def test_popup_falls_back_to_sources_without_citations():
    e = synthetic_events(1).iloc[0].to_dict()
    e["citations"] = "not json"
    e["sources"] = "a1;a2"
    html = maps.event_popup_html(e)
    assert html.count("<li>") == 2 and "a1" in html and "a2" in html


def test_own_scripts_contain_no_template_syntax():
    # branca renders macro output through jinja a second time
    for text in (assets.MAP_JS, assets.MAP_CSS, assets.TABLE_JS):
        for opener in ("{{", "{%", "{#"):
            assert opener not in text


def test_payload_json_survives_jinja_and_script_context():
    obj = {"a": HOSTILE["template"] + HOSTILE["script"] + "\\{{ x }}\u2028", "b": [{}, {"c": {}}]}
    text = maps.json_for_html(obj)
    assert json.loads(text) == obj
    for bad in ("{{", "{%", "{#", "</script", "<", "\u2028"):
        assert bad not in text
    from jinja2 import Template

    assert Template(text).render() == text


def test_rendered_pages_carry_no_live_hostile_markup(corpus, base):
    events, areas = corpus
    for m in (maps.snapshot_map(areas, events, "2017-11-25", **base),
              maps.timeline_map(areas, events, **base)):
        html = render_text(m)
        assert "window.__pwned" in html  # the text is there, as data
        for raw in ("<script>window.__pwned", "<img", 'href="javascript', "7*7 }}"):
            assert raw not in html
        p = payload_of(html)
        popups = " ".join(e[3] for e in p["store"]["events"]["events"])
        # template syntax reached the page unevaluated, as text
        assert "&#123;&#123; 7*7 &#125;&#125; &#123;% if 1 %&#125;TPL&#123;% endif %&#125;" in popups
        assert all(HOSTILE["img"] not in g["name"] for g in p["groups"])


# ----------------------------------------------------------------------------- the data


def test_snapshot_payload(corpus, base):
    events, areas = corpus
    day = "2017-10-26"
    p = payload_of(render_text(maps.snapshot_map(areas, events, day, **base)))
    store = p["store"]
    rows = areas[areas["date"] == pd.Timestamp(day)]
    assert p["dates"] == [day] and p["start"] == 0
    (frame,) = p["frames"]
    assert len(frame["p"]) == len(rows)
    shown = {p["groups"][store["polygons"]["pieces"][i]["a"]]["name"].removesuffix(" areas")
             for i in frame["p"]}
    assert shown == set(rows["actor"])
    # title: IS area and its change since the previous snapshot date
    is_now = rows[(rows["actor"] == "IS") & (rows["state"] == "held")]["area_km2"].sum()
    prev_day = max(d for d in areas["date"] if d < pd.Timestamp(day))
    prev = areas[(areas["date"] == prev_day) & (areas["actor"] == "IS")]["area_km2"].sum()
    assert f"{is_now:,.0f} km\u00b2" in frame["t"]
    assert f"{is_now - prev:+,.0f} km\u00b2 since {prev_day:%Y-%m-%d}" in frame["t"]
    assert frame["prev"] == f"{prev_day:%Y-%m-%d}"
    # caption: counts what is drawn (control points on that day), the reach from areas.attrs
    evs = store["events"]
    drawn = sum(any(lo <= day and (hi == "" or day < hi) for lo, hi, _, _ in iv) for iv in evs["intervals"])
    assert drawn > 0 and f"{drawn} control points drawn" in frame["c"]
    upto = events[events["date"] <= day]
    n_src = len({s for ss in upto["sources"] for s in ss.split(";")})
    assert f"from {len(upto)} events in {n_src} sources up to {day}" in frame["c"]
    assert "within 25 km" in frame["c"] and "up to 15 km" in frame["c"]
    # Mosul is north of Baghdad: no (lat, lon) swap
    mosul = next(pl for pl in evs["places"] if pl[0] == "Mosul")
    assert (mosul[1], mosul[2]) == (36.34, 43.13)
    # web tiles offered but not shown; basemap always drawn; every source credited
    assert p["tiles"]["url"].startswith("https://")
    assert [b["name"] for b in store["basemap"]["layers"]] == ["Countries", "Governorates", "Lakes", "Rivers"]
    for source in ("GeoNames", "CC BY 4.0", "Who&#39;s On First", "Natural Earth"):
        assert source in store["basemap"]["attribution"]
    # contested areas are hatched
    polys = store["polygons"]
    contested = [x for x in polys["pieces"] if "mapper-contested" in polys["styles"][x["s"]]["className"]]
    assert contested and all(x["hatch"] for x in contested)


def test_the_reach_is_read_from_the_areas(corpus, base):
    events, areas = corpus
    plain = areas.copy()
    plain.attrs = {}
    p = payload_of(render_text(maps.snapshot_map(plain, events, "2017-10-26", **base)))
    assert "Settlements within" not in p["frames"][0]["c"]
    p = payload_of(render_text(maps.snapshot_map(plain, events, "2017-10-26", radius_km=40, **base)))
    assert "within 40 km" in p["frames"][0]["c"]  # only when the areas carry none


def test_snapshot_title_for_another_actor_and_first_date(corpus, base):
    events, areas = corpus
    first = areas["date"].min()
    p = payload_of(render_text(maps.snapshot_map(areas, events, first, actor="SDF", **base, web_tiles=False)))
    assert "SDF held area" in p["frames"][0]["t"] and "(first snapshot)" in p["frames"][0]["t"]
    assert p["tiles"] is None


def test_timeline_payload_dedup_and_marks(corpus, base):
    events, areas = corpus
    p = payload_of(render_text(maps.timeline_map(areas, events, **base)))
    polys = p["store"]["polygons"]
    days = sorted({f"{d:%Y-%m-%d}" for d in areas["date"]})
    assert p["dates"] == days and p["start"] == len(days) - 1
    assert [len(f["p"]) for f in p["frames"]] == [int((areas["date"] == d).sum()) for d in days]
    assert len(p["store"]["events"]["events"]) == len(events)
    web = maps._web_geometries(areas.geometry, maps.DEFAULT_TOLERANCE)
    parts = {shapely.to_wkb(q) for g in web for q in maps._polygon_parts(g)}
    n_parts = sum(len(maps._polygon_parts(g)) for g in web)
    assert len(polys["geoms"]) == len(parts) < n_parts / 3  # unchanged polygons are stored once
    last = areas[areas["date"] == areas["date"].max()].reset_index(drop=True)
    web_last = maps._web_geometries(last.geometry, maps.DEFAULT_TOLERANCE)
    for i, g in zip(p["frames"][-1]["p"], web_last):
        decoded = shapely.MultiPolygon([maps.decode_polygon(polys["geoms"][k]) for k in polys["pieces"][i]["g"]])
        assert decoded.symmetric_difference(g).area < 1e-9
    # every event date is marked on the slider, at the first step that shows it
    marked = [d for _, label in p["marks"] for d in label.removeprefix("events on ").split(", ")]
    assert sorted(marked) == sorted({f"{d:%Y-%m-%d}" for d in events["date"]})
    for pos, label in p["marks"]:
        first_day = label.removeprefix("events on ").split(", ")[0]
        assert p["dates"][pos] >= first_day and (pos == 0 or p["dates"][pos - 1] < first_day)


def test_weekly_steps_say_so():
    dates = pd.date_range("2017-01-01", periods=5, freq="7D").strftime("%Y-%m-%d").tolist()
    assert maps._step_note(dates).startswith("one step = 1 week")
    assert maps._step_note(["2017-01-01", "2017-01-03", "2017-02-01"]).startswith("one step per snapshot date")


def _static_areas(n_dates: int, n_changes: int) -> gpd.GeoDataFrame:
    """Two actors over ``n_dates`` dates; IS's polygon changes ``n_changes`` times."""
    center = gpd.GeoSeries([Point(40.5, 35.0)], crs=WGS84).to_crs(EQUAL_AREA).iloc[0]
    rows = []
    for k in range(n_dates):
        stage = (k * (n_changes + 1)) // n_dates
        is_poly = center.buffer(150_000 - 10_000 * stage, 256)
        sdf = center.buffer(300_000, 256).difference(center.buffer(160_000, 256))
        day = pd.Timestamp("2017-01-01") + pd.Timedelta(days=7 * k)
        for actor, g in (("IS", is_poly), ("SDF", sdf)):
            rows.append({"date": day, "actor": actor, "state": "held", "geometry": g,
                         "area_km2": g.area / 1e6, "n_places": 3, "n_events": 1})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=EQUAL_AREA).to_crs(WGS84)


def test_timeline_size_grows_with_changes_not_dates(base):
    small = render_text(maps.timeline_map(_static_areas(5, 2), None, **base))
    large = render_text(maps.timeline_map(_static_areas(60, 2), None, **base))
    p_small, p_large = payload_of(small), payload_of(large)
    geoms = p_large["store"]["polygons"]["geoms"]
    assert len(p_small["store"]["polygons"]["geoms"]) == len(geoms) == 4  # SDF once, IS three times
    per_date = (len(large) - len(small)) / 55
    assert per_date < 600 < len(json.dumps(geoms[0]))  # a date costs ids, a title and a caption
    more = payload_of(render_text(maps.timeline_map(_static_areas(60, 10), None, **base)))
    assert len(more["store"]["polygons"]["geoms"]) == 12


def test_polygon_encoding_round_trips():
    donut = Point(40.1234, 35.5).buffer(0.5, 64).difference(Point(40.2, 35.5).buffer(0.1, 64))
    g = maps._web_geometries([donut], 0.005)[0]
    enc = maps._encode_polygon(g)
    assert len(enc) == 2 and all(isinstance(v, int) for r in enc for v in r)
    assert max(abs(v) for r in enc for v in r[2:]) < 100  # small deltas, short text
    back = maps.decode_polygon(enc)
    assert back.equals_exact(g, 1e-9)
    compact = {"separators": (",", ":")}
    assert len(json.dumps(enc, **compact)) < 0.6 * len(json.dumps(maps._geojson(g)["coordinates"], **compact))


def test_simplification_and_rounding():
    circle = Point(40.0, 35.0).buffer(0.5, 1024)
    coarse = maps._web_geometries([circle], 0.005)[0]
    exact = maps._web_geometries([circle], 0.0)[0]
    assert len(coarse.exterior.coords) < len(exact.exterior.coords) < len(circle.exterior.coords)
    assert coarse.is_valid
    assert abs(coarse.area - circle.area) / circle.area < 0.01
    gj = maps._geojson(coarse)
    decimals = {len(str(x).split(".")[1]) for pt in gj["coordinates"][0] for x in pt if "." in str(x)}
    assert max(decimals) <= maps.COORD_DECIMALS
    ring = Point(40, 35).buffer(0.3, 64).difference(Point(40, 35).buffer(0.29, 64))
    assert maps._web_geometries([ring], 0.005)[0].is_valid


def test_inputs_are_not_changed(corpus, base):
    events, areas = corpus
    e0, a0 = events.copy(deep=True), areas.copy(deep=True)
    b0 = {k: (v.copy(deep=True) if v is not None else None) for k, v in base.items()}
    maps.snapshot_map(areas, events, "2017-11-01", **base)
    maps.timeline_map(areas, events, **base)
    maps.index_page(areas, events, snapshots={"x": "snapshots/x.html"})
    pd.testing.assert_frame_equal(events, e0)
    pd.testing.assert_frame_equal(pd.DataFrame(areas.drop(columns="geometry")),
                                  pd.DataFrame(a0.drop(columns="geometry")))
    assert areas.geometry.geom_equals_exact(a0.geometry, 0).all() and areas.attrs == a0.attrs
    for k, v in base.items():
        assert v.geometry.geom_equals_exact(b0[k].geometry, 0).all()


def test_bad_inputs_name_the_problem(corpus, base):
    events, areas = corpus
    with pytest.raises(InputError, match="areas: missing column"):
        maps.snapshot_map(areas.drop(columns="actor"), events, "2017-11-01", **base)
    with pytest.raises(InputError, match="events: missing column"):
        maps.timeline_map(areas, events.drop(columns="lat"), **base)
    with pytest.raises(InputError, match="not a date"):
        maps.snapshot_map(areas, events, "not a date", **base)
    with pytest.raises(InputError, match="no dates"):
        maps.timeline_map(None, None, **base)
    with pytest.raises(InputError, match="start="):
        maps.timeline_map(areas, events, start="middle", **base)


def test_empty_and_partial_inputs_still_make_a_map(base):
    p = payload_of(render_text(maps.snapshot_map(None, None, "2017-10-01", **base)))
    assert p["frames"][0]["p"] == [] and p["store"]["events"]["events"] == []
    assert "0 km\u00b2" in p["frames"][0]["t"]
    events = synthetic_events(4)
    events.loc[0, "date"] = pd.NaT
    events.loc[1, "lat"] = float("nan")
    events.loc[2, "gainer"] = ""  # e.g. "withdrew": no taker named
    p = payload_of(render_text(maps.timeline_map(None, events, **base)))
    evs = p["store"]["events"]["events"]
    assert len(evs) == 2 and len(p["dates"]) == 2  # undated and unplaced events are not drawn
    assert -1 in [e[2] for e in evs]  # an event with no gainer is drawn in grey


def test_default_basemap_is_the_packaged_files(tmp_path, monkeypatch, corpus):
    events, areas = corpus
    monkeypatch.setattr(basemap, "GAZETTEER_DIR", tmp_path)
    with pytest.warns(SkippedInputWarning, match="countries"):
        p = payload_of(render_text(maps.snapshot_map(areas, events, "2017-11-01")))
    assert p["store"]["basemap"]["layers"] == []
    shared = shared_basemap()
    if shared is None:
        pytest.skip("../shared/data basemap files not found")
    for kind, gdf in shared.items():
        gdf.to_file(tmp_path / f"{kind}.geojson", driver="GeoJSON")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = payload_of(render_text(maps.snapshot_map(areas, events, "2017-11-01")))
    layers = p["store"]["basemap"]["layers"]
    assert [b["name"] for b in layers] == ["Countries", "Governorates", "Lakes", "Rivers"]
    assert len(layers[1]["data"]["features"]) == len(shared["admin1"])


# ----------------------------------------------------------------------------- labels


def test_label_candidates_put_reported_places_and_big_towns_first(gazetteer):
    places = pd.DataFrame({"place_id": ["geonames:170794", "x:hajin"], "place": ["Deir ez-Zor", "Hajin"],
                           "lat": [35.336, 34.694], "lon": [40.141, 40.831]})
    labels = basemap.label_candidates(gazetteer.settlements(), places)
    names = labels["name"].tolist()
    assert names[0] == "Baghdad"  # the capital, then the big towns and the reported places
    assert labels["score"].is_monotonic_decreasing
    dz = labels.set_index("name").loc["Deir ez-Zor"]
    assert dz["score"] > labels.set_index("name").loc["Raqqa", "score"]  # reported, same size class
    assert "Hajin" in names  # a reported village is a candidate
    assert not any(n.startswith("Al Mawşil al Jadīdah") for n in names)  # a quarter (PPLX)
    assert names.count("Deir ez-Zor") == 1


# ----------------------------------------------------------------------------- files


def test_save_map_asset_modes(tmp_path, corpus, base):
    events, areas = corpus
    m = maps.snapshot_map(areas, events, "2017-11-01", **base)
    page = maps.save_map(m, tmp_path / "snapshots" / "2017-11-01.html", assets_dir=tmp_path / "assets")
    local = page.read_text()  # offline by default: Leaflet copied beside the pages
    assert '<script src="../assets/leaflet-1.9.3.js"></script>' in local
    assert '<link rel="stylesheet" href="../assets/leaflet-1.9.3.css"/>' in local
    assert (tmp_path / "assets" / "leaflet-1.9.3.js").read_text().lstrip().startswith("/* @preserve\n * Leaflet 1.9.3")
    assert not re.search(r'(src|href)="https?://', local.split("mapper-data")[0])
    cdn = maps.save_map(m, tmp_path / "cdn.html", assets="cdn").read_text()
    assert f'<script src="{assets.LEAFLET_JS}"></script>' in cdn
    assert "jquery" not in cdn.lower() and "bootstrap" not in cdn.lower()
    inline = maps.save_map(m, tmp_path / "inline.html", assets="inline").read_text()
    assert not re.search(r'<script[^>]+src=|<link[^>]+href="http', inline)
    assert "Leaflet 1.9.3" in inline and ".leaflet-pane" in inline
    assert len(inline) > len(cdn) + 150_000 > len(local) + 150_000
    with pytest.raises(InputError, match="assets="):
        maps.save_map(m, tmp_path / "x.html", assets="zip")


def test_output_is_deterministic(tmp_path, corpus, base):
    events, areas = corpus
    a = maps.save_map(maps.timeline_map(areas, events, **base), tmp_path / "a.html").read_bytes()
    b = maps.save_map(maps.timeline_map(areas, events, **base), tmp_path / "b.html").read_bytes()
    assert a == b


def test_writes_are_atomic_and_errors_name_the_path(tmp_path):
    target = tmp_path / "out" / "page.html"
    maps.write_html("one", target)
    maps.write_html("two", target)
    assert target.read_text() == "two"
    assert sorted(p.name for p in target.parent.iterdir()) == ["page.html"]
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match=re.escape(str(blocker / "page.html"))):
        maps.write_html("x", blocker / "page.html")


# ----------------------------------------------------------------------------- the site


def _site(tmp_path: Path, events, areas, dates, **kw) -> render.Site:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkippedInputWarning)
        return render.write_site(tmp_path, areas, events, dates, gif=kw.pop("gif", False), **kw)


@pytest.fixture(scope="module")
def weekly():
    events = synthetic_events(12, hostile=True, days=60)
    dates = pd.date_range("2017-10-01", "2017-12-03", freq="7D")
    areas = synthetic_areas(events, dates=list(dates))
    areas.attrs.update(radius_km=50.0, cell_km=15.0, stale_days=365)
    return events, areas, dates


def test_site_pages_share_one_store_and_stay_small(tmp_path, weekly):
    events, areas, dates = weekly
    site = _site(tmp_path, events, areas, dates)
    for name in ("basemap", "polygons", "events"):
        text = (tmp_path / "data" / f"{name}.js").read_text()
        assert text.startswith(f"(window.mapperData = window.mapperData || ({{}})).{name} = ")
        assert "<script" not in text and "{{" not in text
    assert (tmp_path / "assets" / "mapper.js").read_text() == assets.MAP_JS.lstrip("\n")
    assert (tmp_path / "assets" / "leaflet-1.9.3.js").is_file()  # offline by default
    snap = (tmp_path / site.pages[0]["html"]).read_text()
    for src in ("../data/basemap.js", "../data/polygons.js", "../data/events.js", "../assets/mapper.js",
                "../assets/leaflet-1.9.3.js"):
        assert f'<script src="{src}"></script>' in snap
    assert '<link rel="stylesheet" href="../assets/mapper.css"/>' in snap
    assert not re.search(r'(src|href)="https?://', snap)
    payload = payload_of(snap)
    assert "store" not in payload and len(snap) < 20_000
    tl = (tmp_path / "timeline.html").read_text()
    assert '<script src="data/events.js"></script>' in tl and len(payload_of(tl)["frames"]) == len(dates)
    assert "window.__pwned" in (tmp_path / "data" / "events.js").read_text()  # as escaped data
    assert "<title>Held areas on " in snap


def test_a_page_costs_what_it_draws_not_the_corpus(tmp_path, weekly):
    events, areas, dates = weekly
    _site(tmp_path / "a", events, areas, dates)
    # 400 more events, so late that not even their back-fill reaches the snapshots: the shared
    # store grows, the pages stay as they were (only the site-wide view box may widen)
    extra = synthetic_events(400, seed=3, start="2020-03-01", days=300)
    extra["event_id"] = "x" + extra["event_id"]
    _site(tmp_path / "b", pd.concat([events, extra], ignore_index=True), areas, dates)
    grown = (tmp_path / "b" / "data" / "events.js").stat().st_size
    assert grown > 10 * (tmp_path / "a" / "data" / "events.js").stat().st_size
    pages = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a" / "snapshots").glob("*.html"))
    assert pages
    for rel in pages:
        a, b = (tmp_path / "a" / rel).read_text(), (tmp_path / "b" / rel).read_text()
        assert abs(len(a) - len(b)) < 40
        assert payload_of(a)["frames"] == payload_of(b)["frames"]


def test_unchanged_dates_point_to_one_page(tmp_path, weekly):
    events, areas, dates = weekly
    more = pd.DatetimeIndex(sorted(set(dates) | {pd.Timestamp("2017-12-04"), pd.Timestamp("2017-12-05")}))
    extra = areas[areas["date"] == dates[-1]].copy()
    both = pd.concat([areas] + [extra.assign(date=d) for d in more[-2:]], ignore_index=True)
    both = gpd.GeoDataFrame(both, geometry="geometry", crs=WGS84)
    both.attrs.update(areas.attrs)
    site = _site(tmp_path, events, both, more)
    assert len(site.snapshot_files) == len(more)
    assert site.snapshot_files[-1] == site.snapshot_files[-2] == site.snapshot_files[-3]
    last = site.pages[-1]
    assert last["dates"][-2:] == ["2017-12-04", "2017-12-05"] and last["until"] == "2017-12-05"
    assert len(list((tmp_path / "snapshots").glob("*.html"))) == len(site.pages)
    assert len(list((tmp_path / "snapshots").glob("*.png"))) == len(site.pages)
    assert "unchanged until 2017-12-05" in payload_of((tmp_path / last["html"]).read_text())["frames"][0]["c"]


def _digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_jobs_give_the_same_bytes(tmp_path, weekly):
    events, areas, dates = weekly
    _site(tmp_path / "one", events, areas, dates, jobs=1, gif=True)
    _site(tmp_path / "two", events, areas, dates, jobs=2, gif=True)
    one, two = _digest(tmp_path / "one"), _digest(tmp_path / "two")
    assert one == two and "snapshots.gif" in one


def test_index_without_any_dated_event_says_why(tmp_path):
    events = synthetic_events(3)
    events["date"] = pd.NaT
    events["date_precision"] = "unknown"
    skipped = [{"input": "bad.txt", "reason": "empty file", "fix": "remove it"}]
    site = _site(tmp_path, events, None, [], skipped=skipped)
    assert site.no_map_reason and "None of the 3 events has a date" in site.no_map_reason
    assert [u["event_id"] for u in site.undated] == events["event_id"].tolist()
    html = (tmp_path / "index.html").read_text()
    assert "No map was drawn." in html and "None of the 3 events has a date" in html
    assert 'class="mapper-undated"' in html and html.count("Deir ez-Zor") >= 1
    assert "bad.txt" in html and "empty file" in html
    assert not (tmp_path / "timeline.html").exists()
    empty = _site(tmp_path / "empty", None, None, [])
    assert "No control-change event was found" in (tmp_path / "empty" / "index.html").read_text()
    assert empty.undated == []


def test_index_page(corpus):
    events, areas = corpus
    undated = events.copy()
    undated.loc[2, "date"] = pd.NaT
    html = maps.index_page(
        areas,
        undated,
        snapshots=[{"label": "2017-10-01", "href": "snapshots/2017-10-01.html", "until": "2017-10-15",
                    "km2": 12345.6, "change": -100.0},
                   ("evil", "javascript:alert(1)"), ("<b>x</b>", "snapshots/x.html")],
        summary={"articles_read": 12, "events": 40, "radius_km": 50.0,
                 "skipped": [{"input": HOSTILE["script"]}]},
        reference=pd.DataFrame({"date": ["2017-10-15"], "area_km2": [9000], "source": ["X"]}),
    )
    assert '<a href="snapshots/2017-10-01.html">2017-10-01</a> &ndash; 2017-10-15' in html
    assert ">12,346<" in html and ">-100<" in html
    assert "<td>evil</td>" in html  # shown, not linked
    assert 'href="javascript' not in html
    assert '<a href="snapshots/x.html">&lt;b&gt;x&lt;/b&gt;</a>' in html
    assert '<a class="mapper-timeline" href="timeline.html">' in html
    assert 'src="data:image/png;base64,' in html
    table = re.search(r'<table class="mapper-sortable mapper-events">.*?</table>', html, re.S).group(0)
    assert table.count("<tr>") == len(events) + 1
    assert table.count('href="https://example.org/news/') == len(events) - 1
    for raw in ("<script>window", "<img src=x", "{{", "{%"):
        assert raw not in html
    assert html.count("<img") == 1  # the chart
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html  # summary and table, as text
    # a readable summary, how to read the maps, known limits, undated evidence
    assert '<th scope="row">Articles read</th><td>12</td>' in html
    assert '<th scope="row">Reach of a control point (km)</th><td>50</td>' in html
    assert "actor_area_first_km2" not in html
    assert 'id="how-to-read"' in html and 'id="limits"' in html
    assert 'Undated evidence (1)' in html and 'class="mapper-undated"' in html
