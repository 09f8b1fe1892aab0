"""Maps in layers: escaping of fragments, the embedded payload (GeoJSON, dates, actors), files.

The browser layer is ``test_browser.py``.
"""

from __future__ import annotations

import json
import re
import warnings

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from browser_util import HOSTILE, shared_basemap, synthetic_areas, synthetic_events
from shapely.geometry import Point, box

from mapper import assets, maps
from mapper.colors import ACTOR_COLORS, UNKNOWN_COLOR, actor_color
from mapper.errors import InputError, OutputError, SkippedInputWarning
from mapper.schema import ACTORS, EQUAL_AREA, WGS84
from mapper.territory import DEFAULT_RADIUS_KM

DATA_RE = maps.DATA_RE


def payload_of(html: str) -> dict:
    found = DATA_RE.findall(html)
    assert len(found) == 1, "one payload per map"
    return json.loads(found[0])


def render(m) -> str:
    return maps.render_map(m)


@pytest.fixture(scope="module")
def basemap() -> dict:
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
    return events, synthetic_areas(events)


# ----------------------------------------------------------------------------- palette


def test_every_actor_has_one_distinct_colour():
    assert set(ACTOR_COLORS) == set(ACTORS)
    assert len(set(ACTOR_COLORS.values())) == len(ACTORS)
    assert UNKNOWN_COLOR not in ACTOR_COLORS.values()
    assert actor_color("IS") == ACTOR_COLORS["IS"]
    assert actor_color("nobody we know") == UNKNOWN_COLOR


def test_maps_use_the_palette(corpus, basemap):
    events, areas = corpus
    p = payload_of(render(maps.timeline_map(areas, events, **basemap)))
    for piece in p["pieces"]:
        actor = p["groups"][piece["group"]]
        assert p["styles"][piece["s"]]["color"] == ACTOR_COLORS[actor]
    for e in p["events"]:
        assert e["color"] in ACTOR_COLORS.values()


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
    for raw in (
        "<script",
        "<img",
        "onerror=window.__pwned=1>",
        "{{",
        "{%",
        'href="javascript',
        'href=" javascript',
        'href="data:',
    ):
        assert raw not in hostile, raw
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in hostile
    assert "&#123;&#123; 7*7 &#125;&#125;" in hostile
    assert "<a " not in hostile  # neither javascript: nor data: URLs became links
    plain = maps.event_popup_html(events.iloc[0].to_dict())
    assert (
        '<a href="https://example.org/news/0?a=1&amp;b=2" target="_blank" rel="noopener noreferrer">'
        in plain
    )
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
    obj = {"a": HOSTILE["template"] + HOSTILE["script"] + "\\{{ x }}", "b": [{}, {"c": {}}]}
    text = maps._json_for_html(obj)
    assert json.loads(text) == obj
    for bad in ("{{", "{%", "{#", "</script", "<"):
        assert bad not in text
    from jinja2 import Template

    assert Template(text).render() == text


def test_rendered_pages_carry_no_live_hostile_markup(corpus, basemap):
    events, areas = corpus
    for m in (
        maps.snapshot_map(areas, events, "2017-11-25", **basemap),
        maps.timeline_map(areas, events, **basemap),
    ):
        html = render(m)
        assert "window.__pwned" in html  # the text is there, as data
        for raw in ("<script>window.__pwned", "<img", 'href="javascript', "7*7 }}"):
            assert raw not in html
        p = payload_of(html)
        popups = " ".join(e["popup"] for e in p["events"])
        # template syntax reached the page unevaluated, as text
        assert (
            "&#123;&#123; 7*7 &#125;&#125; &#123;% if 1 %&#125;TPL&#123;% endif %&#125;" in popups
        )


# ----------------------------------------------------------------------------- payload


def test_snapshot_payload(corpus, basemap):
    events, areas = corpus
    day = "2017-10-26"
    p = payload_of(render(maps.snapshot_map(areas, events, day, **basemap)))
    rows = areas[areas["date"] == pd.Timestamp(day)]
    assert p["dates"] == [day]
    assert len(p["frames"]) == 1 and len(p["frames"][0]) == len(rows)
    shown = {p["groups"][p["pieces"][i]["group"]] for i in p["frames"][0]}
    assert shown == set(rows["actor"])
    assert len(p["events"]) == int((events["date"] <= day).sum())
    assert all(e["d"] <= day for e in p["events"])
    # Mosul is north of Baghdad: no (lat, lon) swap
    mosul = events[events["place"] == "Mosul"].iloc[0]
    assert 36 < mosul["lat"] < 37
    p_all = payload_of(render(maps.snapshot_map(areas, events, "2017-11-30", **basemap)))
    m = [e for e in p_all["events"] if "Mosul" in e["tip"]][0]
    assert (m["lat"], m["lon"]) == (36.34, 43.13)
    # title: IS area and its change since the previous snapshot date
    is_now = rows[(rows["actor"] == "IS") & (rows["state"] == "held")]["area_km2"].sum()
    prev_day = max(d for d in areas["date"] if d < pd.Timestamp(day))
    prev = areas[(areas["date"] == prev_day) & (areas["actor"] == "IS")]["area_km2"].sum()
    title = p["titles"][0]
    assert f"{is_now:,.0f} km\u00b2" in title
    assert f"{is_now - prev:+,.0f} km\u00b2 since {prev_day:%Y-%m-%d}" in title
    upto = events[events["date"] <= day]
    n_src = len({s for ss in upto["sources"] for s in ss.split(";")})
    assert f"from {upto['place_id'].nunique()} reported control points" in p["captions"][0]
    assert f"from {n_src} sources" in p["captions"][0]
    assert f"within {DEFAULT_RADIUS_KM:g} km" in p["captions"][0] and "0.005" in p["captions"][0]
    # web tiles offered but not shown; basemap always drawn
    assert p["tiles"]["url"].startswith("https://")
    assert [b["name"] for b in p["basemap"]] == ["Countries", "Governorates", "Lakes", "Rivers"]
    # contested areas are hatched
    contested = [x for x in p["pieces"] if "mapper-contested" in p["styles"][x["s"]]["className"]]
    assert contested and all(x["hatch"] for x in contested)


def test_snapshot_title_for_another_actor_and_first_date(corpus, basemap):
    events, areas = corpus
    first = areas["date"].min()
    p = payload_of(
        render(maps.snapshot_map(areas, events, first, actor="SDF", **basemap, web_tiles=False))
    )
    assert "SDF held area" in p["titles"][0] and "(first snapshot)" in p["titles"][0]
    assert p["tiles"] is None


def test_timeline_payload_and_dedup(corpus, basemap):
    events, areas = corpus
    p = payload_of(render(maps.timeline_map(areas, events, **basemap)))
    days = sorted({f"{d:%Y-%m-%d}" for d in areas["date"]})
    assert p["dates"] == days and p["start"] == len(days) - 1
    assert [len(f) for f in p["frames"]] == [int((areas["date"] == d).sum()) for d in days]
    assert len(p["events"]) == len(events)
    web = maps._web_geometries(areas.geometry, maps.DEFAULT_TOLERANCE)
    parts = {shapely.to_wkb(q) for g in web for q in maps._polygon_parts(g)}
    n_parts = sum(len(maps._polygon_parts(g)) for g in web)
    assert len(p["geoms"]) == len(parts) < n_parts / 3  # unchanged polygons are stored once
    # the pieces of a frame decode to the simplified area geometries
    last = areas[areas["date"] == areas["date"].max()].reset_index(drop=True)
    web_last = maps._web_geometries(last.geometry, maps.DEFAULT_TOLERANCE)
    for i, g in zip(p["frames"][-1], web_last):
        decoded = shapely.MultiPolygon(
            [maps.decode_polygon(p["geoms"][k]) for k in p["pieces"][i]["g"]]
        )
        assert decoded.symmetric_difference(g).area < 1e-9
    assert p["groups"][-1] == "Reported events"
    assert set(p["groups"][:-1]) == set(areas["actor"])


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
            rows.append(
                {
                    "date": day,
                    "actor": actor,
                    "state": "held",
                    "geometry": g,
                    "area_km2": g.area / 1e6,
                    "n_places": 3,
                    "n_events": 1,
                }
            )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=EQUAL_AREA).to_crs(WGS84)


def test_timeline_size_grows_with_changes_not_dates(basemap):
    small = render(maps.timeline_map(_static_areas(5, 2), None, **basemap))
    large = render(maps.timeline_map(_static_areas(60, 2), None, **basemap))
    p_small, p_large = payload_of(small), payload_of(large)
    assert len(p_small["geoms"]) == len(p_large["geoms"]) == 4  # SDF once, IS three times
    per_date = (len(large) - len(small)) / 55
    geom_bytes = len(json.dumps(p_large["geoms"][0]))
    assert per_date < 400 < geom_bytes  # a date costs ids, a title and a caption, no polygon
    more = payload_of(render(maps.timeline_map(_static_areas(60, 10), None, **basemap)))
    assert len(more["geoms"]) == 12


def test_polygon_encoding_round_trips():
    donut = Point(40.1234, 35.5).buffer(0.5, 64).difference(Point(40.2, 35.5).buffer(0.1, 64))
    g = maps._web_geometries([donut], 0.005)[0]
    enc = maps._encode_polygon(g)
    assert len(enc) == 2 and all(isinstance(v, int) for r in enc for v in r)
    assert max(abs(v) for r in enc for v in r[2:]) < 100  # small deltas, short text
    back = maps.decode_polygon(enc)
    assert back.equals_exact(g, 1e-9)
    compact = {"separators": (",", ":")}
    assert len(json.dumps(enc, **compact)) < 0.6 * len(
        json.dumps(maps._geojson(g)["coordinates"], **compact)
    )


def test_simplification_and_rounding():
    circle = Point(40.0, 35.0).buffer(0.5, 1024)
    coarse = maps._web_geometries([circle], 0.005)[0]
    exact = maps._web_geometries([circle], 0.0)[0]
    assert len(coarse.exterior.coords) < len(exact.exterior.coords) < len(circle.exterior.coords)
    assert coarse.is_valid
    assert abs(coarse.area - circle.area) / circle.area < 0.01
    gj = maps._geojson(coarse)
    decimals = {
        len(str(x).split(".")[1]) for pt in gj["coordinates"][0] for x in pt if "." in str(x)
    }
    assert max(decimals) <= maps.COORD_DECIMALS
    # topology kept: a thin ring does not collapse into an invalid shape
    ring = Point(40, 35).buffer(0.3, 64).difference(Point(40, 35).buffer(0.29, 64))
    assert maps._web_geometries([ring], 0.005)[0].is_valid


def test_inputs_are_not_changed(corpus, basemap):
    events, areas = corpus
    e0, a0 = events.copy(deep=True), areas.copy(deep=True)
    b0 = {k: (v.copy(deep=True) if v is not None else None) for k, v in basemap.items()}
    maps.snapshot_map(areas, events, "2017-11-01", **basemap)
    maps.timeline_map(areas, events, **basemap)
    maps.index_page(areas, events, snapshots={"x": "snapshots/x.html"})
    pd.testing.assert_frame_equal(events, e0)
    pd.testing.assert_frame_equal(
        pd.DataFrame(areas.drop(columns="geometry")), pd.DataFrame(a0.drop(columns="geometry"))
    )
    assert areas.geometry.geom_equals_exact(a0.geometry, 0).all()
    for k, v in basemap.items():
        if v is not None:
            assert v.geometry.geom_equals_exact(b0[k].geometry, 0).all()


def test_bad_inputs_name_the_problem(corpus, basemap):
    events, areas = corpus
    with pytest.raises(InputError, match="areas: missing column"):
        maps.snapshot_map(areas.drop(columns="actor"), events, "2017-11-01", **basemap)
    with pytest.raises(InputError, match="events: missing column"):
        maps.timeline_map(areas, events.drop(columns="lat"), **basemap)
    with pytest.raises(InputError, match="not a date"):
        maps.snapshot_map(areas, events, "not a date", **basemap)
    with pytest.raises(InputError, match="no dates"):
        maps.timeline_map(None, None, **basemap)
    with pytest.raises(InputError, match="start="):
        maps.timeline_map(areas, events, start="middle", **basemap)


def test_empty_and_partial_inputs_still_make_a_map(basemap):
    p = payload_of(render(maps.snapshot_map(None, None, "2017-10-01", **basemap)))
    assert p["frames"] == [[]] and p["events"] == [] and "0 km\u00b2" in p["titles"][0]
    events = synthetic_events(4)
    events.loc[0, "date"] = pd.NaT
    events.loc[1, "lat"] = float("nan")
    events.loc[2, "gainer"] = ""  # e.g. "withdrew": no taker named
    p = payload_of(render(maps.timeline_map(None, events, **basemap)))
    labels = [x["label"] for x in p["legend"]]
    assert "event, no gainer named" in labels and "event gained by " not in labels
    assert UNKNOWN_COLOR in [e["color"] for e in p["events"]]
    assert (
        len(p["events"]) == 2 and len(p["dates"]) == 3
    )  # a dated event without coordinates still marks a date


def test_default_basemap_is_the_packaged_files(tmp_path, monkeypatch, corpus):
    events, areas = corpus
    monkeypatch.setattr(maps, "GAZETTEER_DIR", tmp_path)
    with pytest.warns(SkippedInputWarning, match="countries"):
        p = payload_of(render(maps.snapshot_map(areas, events, "2017-11-01")))
    assert p["basemap"] == []
    shared = shared_basemap()
    if shared is None:
        pytest.skip("../shared/data basemap files not found")
    for kind, gdf in shared.items():
        gdf.to_file(tmp_path / f"{kind}.geojson", driver="GeoJSON")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = payload_of(render(maps.snapshot_map(areas, events, "2017-11-01")))
    assert [b["name"] for b in p["basemap"]] == ["Countries", "Governorates", "Lakes", "Rivers"]
    assert len(p["basemap"][1]["data"]["features"]) == len(shared["admin1"])


# ----------------------------------------------------------------------------- files


def test_save_map_asset_modes(tmp_path, corpus, basemap):
    events, areas = corpus
    m = maps.snapshot_map(areas, events, "2017-11-01", **basemap)
    cdn = maps.save_map(m, tmp_path / "cdn.html").read_text()
    assert f'<script src="{assets.LEAFLET_JS}"></script>' in cdn
    assert "jquery" not in cdn.lower() and "bootstrap" not in cdn.lower()
    inline = maps.save_map(m, tmp_path / "inline.html", assets="inline").read_text()
    assert not re.search(r'<script[^>]+src=|<link[^>]+href="http', inline)
    assert "Leaflet 1.9.3" in inline and ".leaflet-pane" in inline
    page = maps.save_map(
        m,
        tmp_path / "snapshots" / "2017-11-01.html",
        assets="local",
        assets_dir=tmp_path / "assets",
    )
    local = page.read_text()
    assert '<script src="../assets/leaflet-1.9.3.js"></script>' in local
    assert '<link rel="stylesheet" href="../assets/leaflet-1.9.3.css"/>' in local
    assert (
        (tmp_path / "assets" / "leaflet-1.9.3.js")
        .read_text()
        .lstrip()
        .startswith("/* @preserve\n * Leaflet 1.9.3")
    )
    assert len(inline) > len(cdn) + 150_000 > len(local) + 150_000
    with pytest.raises(InputError, match="assets="):
        maps.save_map(m, tmp_path / "x.html", assets="zip")


def test_output_is_deterministic(tmp_path, corpus, basemap):
    events, areas = corpus
    a = maps.save_map(maps.timeline_map(areas, events, **basemap), tmp_path / "a.html").read_bytes()
    b = maps.save_map(maps.timeline_map(areas, events, **basemap), tmp_path / "b.html").read_bytes()
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


# ----------------------------------------------------------------------------- index


def test_index_page(corpus):
    events, areas = corpus
    html = maps.index_page(
        areas,
        events,
        snapshots={
            "2017-10-01": "snapshots/2017-10-01.html",
            "evil": "javascript:alert(1)",
            "<b>x</b>": "snapshots/x.html",
        },
        summary={"articles": 12, "skipped": [{"input": HOSTILE["script"]}]},
        reference=pd.DataFrame({"date": ["2017-10-15"], "area_km2": [9000], "source": ["X"]}),
    )
    assert '<a href="snapshots/2017-10-01.html">2017-10-01</a>' in html
    assert "<li>evil</li>" in html  # shown, not linked
    assert 'href="javascript' not in html
    assert '<a href="snapshots/x.html">&lt;b&gt;x&lt;/b&gt;</a>' in html
    assert '<a class="mapper-timeline" href="timeline.html">' in html
    assert 'src="data:image/png;base64,' in html
    table = re.search(
        r'<table class="mapper-sortable mapper-events">.*?</table>', html, re.S
    ).group(0)
    assert table.count("<tr>") == len(events) + 1
    assert table.count('href="https://example.org/news/') == len(events) - 1
    for raw in ("<script>window", "<img src=x", "{{", "{%"):
        assert raw not in html
    assert html.count("<img") == 1  # the chart
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html  # summary and table, as text
    assert "<h2>Run summary</h2>" in html and "articles" in html
