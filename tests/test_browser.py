"""The pages in a real browser: headless Chromium (Debian chromium + chromium-driver) via selenium.

The site is written to a temporary folder and served from 127.0.0.1; Leaflet comes from
folium-offline (inlined in the timeline, copied next to the snapshots), so nothing needs the
internet. Screenshots go to ``tests/_artifacts/``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import pytest
from browser_util import (
    ARTIFACTS,
    HOSTILE,
    chromium,
    chromium_missing,
    serve,
    severe_logs,
    shared_basemap,
    synthetic_areas,
    synthetic_events,
)

from mapper import maps

pytestmark = pytest.mark.browser

_WHY = chromium_missing()
if _WHY:
    pytest.skip(_WHY, allow_module_level=True)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A small site on the hostile corpus: two snapshots, the timeline and the index."""
    out = tmp_path_factory.mktemp("site")
    events = synthetic_events(12, hostile=True)
    areas = synthetic_areas(events)
    basemap = shared_basemap() or {}
    days = ["2017-10-26", "2017-11-25"]
    links = {}
    for d in days:
        m = maps.snapshot_map(areas, events, d, **basemap)
        maps.save_map(m, out / "snapshots" / f"{d}.html", assets="local", assets_dir=out / "assets")
        links[d] = f"snapshots/{d}.html"
    maps.save_map(
        maps.timeline_map(areas, events, **basemap), out / "timeline.html", assets="inline"
    )
    maps.write_html(
        maps.index_page(
            areas,
            events,
            snapshots=links,
            summary={"articles": 12, "note": HOSTILE["img"] + HOSTILE["template"]},
        ),
        out / "index.html",
    )
    return {"dir": out, "events": events, "areas": areas, "days": days}


@pytest.fixture(scope="module")
def browser():
    with chromium() as driver:
        yield driver


@pytest.fixture(scope="module")
def base(site):
    with serve(site["dir"]) as url:
        yield url


def _open(driver, url: str, *, wait_for: str = "window.L !== undefined") -> None:
    driver.get_log("browser")  # drop entries of the previous page
    driver.get(url)
    deadline = time.time() + 20
    while time.time() < deadline:
        if driver.execute_script(f"return document.readyState === 'complete' && ({wait_for});"):
            return
        time.sleep(0.1)
    raise AssertionError(f"{url} did not finish loading")


def _count(driver, selector: str) -> int:
    return driver.execute_script(f"return document.querySelectorAll({json.dumps(selector)}).length")


def _assert_clean(driver, base: str) -> None:
    assert driver.execute_script("return window.__pwned") is None, "injected script ran"
    assert severe_logs(driver) == []
    # nothing but the local server (and data: URLs) was asked for: web tiles stay off
    urls = driver.execute_script(
        "return performance.getEntriesByType('resource').map(function (e) { return e.name; })"
    )
    assert all(u.startswith(base) or u.startswith("data:") for u in urls), urls


def _shot(driver, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    assert path.stat().st_size > 10_000
    return path


def _map_ready(driver) -> None:
    time.sleep(0.3)  # Leaflet draws on the next animation frame


def test_snapshot_page(site, base, browser):
    events, areas = site["events"], site["areas"]
    for day in site["days"]:
        _open(browser, f"{base}snapshots/{day}.html")
        _map_ready(browser)
        _assert_clean(browser, base)
        rows = areas[areas["date"] == pd.Timestamp(day)]
        assert _count(browser, "path.mapper-area") == len(rows)
        assert _count(browser, "path.mapper-contested") == int((rows["state"] != "held").sum())
        upto = events[events["date"] <= day]
        assert _count(browser, "path.mapper-event") == len(upto)
        newest = int((upto["date"] == upto["date"].max()).sum())
        assert _count(browser, "path.mapper-event-newest") == newest
        title = browser.execute_script("return document.querySelector('.mapper-title').textContent")
        assert title.startswith(f"{day} \u2014 IS held area:")
        caption = browser.execute_script(
            "return document.querySelector('.mapper-caption').textContent"
        )
        assert "reported control points" in caption
        assert _count(browser, ".mapper-legend i") >= 3
        assert _count(browser, ".leaflet-control-scale-line") == 2
        assert _count(browser, ".leaflet-control-layers-overlays input") >= 4
        assert _count(browser, ".leaflet-tile") == 0  # web tiles are off by default
        _shot(browser, f"snapshot_{day}.png")


def test_hostile_popup_shows_text_and_runs_nothing(site, base, browser):
    _open(browser, f"{base}snapshots/2017-11-25.html")
    _map_ready(browser)
    texts = browser.execute_script("""
        var out = [];
        document.querySelectorAll('path.mapper-event').forEach(function (p) {
          p.dispatchEvent(new MouseEvent('click', {bubbles: true}));
          var all = document.querySelectorAll('.leaflet-popup-content');
          var c = all[all.length - 1];  // the one just opened; the previous may still fade
          if (c) { out.push([c.innerText, c.querySelectorAll('img,script').length,
                             Array.prototype.map.call(c.querySelectorAll('a'), function (a) {
                               return a.getAttribute('href'); })]); }
        });
        return out;""")
    assert len(texts) == len(site["events"])
    hostile = [t for t in texts if "__pwned" in t[0]]
    assert hostile, "the hostile event's popup opened"
    text, n_tags, hrefs = hostile[0]
    assert HOSTILE["script"] in text and "{{ 7*7 }}" in text and "TPL{% endif %}" in text
    assert n_tags == 0 and hrefs == []  # javascript: and data: URLs are not links
    # reopen the hostile popup for the screenshot
    k = texts.index(hostile[0])
    browser.execute_script(
        "document.querySelectorAll('path.mapper-event')[arguments[0]]"
        ".dispatchEvent(new MouseEvent('click', {bubbles: true}));",
        k,
    )
    time.sleep(0.6)
    all_hrefs = [h for t in texts for h in t[2]]
    assert all_hrefs and all(h.startswith("https://example.org/") for h in all_hrefs)
    _shot(browser, "snapshot_popup_hostile.png")
    _assert_clean(browser, base)


def test_timeline_slider_changes_polygons(site, base, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    areas = site["areas"]
    days = sorted({f"{d:%Y-%m-%d}" for d in areas["date"]})
    _open(browser, f"{base}timeline.html")
    _map_ready(browser)
    _assert_clean(browser, base)

    def state():
        return browser.execute_script("""
            return [document.querySelector('.mapper-date').textContent,
                    document.querySelectorAll('path.mapper-area').length,
                    document.querySelectorAll('path.mapper-event').length,
                    Array.prototype.map.call(document.querySelectorAll('path.mapper-area'),
                      function (p) { return p.getAttribute('d').length; }).join(','),
                    document.querySelector('.mapper-title').textContent];""")

    def expect(day):
        rows = areas[areas["date"] == pd.Timestamp(day)]
        n_ev = int((site["events"]["date"] <= day).sum())
        return len(rows), n_ev

    # the browser decodes the polygons as Python does
    from shapely.geometry import shape

    data = json.loads(
        browser.execute_script("return document.querySelector('script.mapper-data').textContent")
    )
    for k in (0, len(data["geoms"]) - 1):
        decoded = browser.execute_script(
            "var d = JSON.parse(document.querySelector('script.mapper-data').textContent);"
            "return window.mapperDecode(d, [arguments[0]]);",
            k,
        )
        assert shape(decoded).geoms[0].equals_exact(maps.decode_polygon(data["geoms"][k]), 1e-9)

    last = state()
    assert last[0] == days[-1] and (last[1], last[2]) == expect(days[-1])
    _shot(browser, "timeline_last.png")
    slider = browser.find_element(By.CSS_SELECTOR, "input.mapper-range")
    slider.send_keys(Keys.HOME)  # a real key press on the range input
    _map_ready(browser)
    first = state()
    assert first[0] == days[0] and (first[1], first[2]) == expect(days[0])
    assert first[3] != last[3] and first[4] != last[4]
    assert first[4].startswith(days[0])
    _shot(browser, "timeline_first.png")
    slider.send_keys(Keys.ARROW_RIGHT)
    _map_ready(browser)
    second = state()
    assert second[0] == days[1] and (second[1], second[2]) == expect(days[1])
    # play, then pause
    browser.find_element(By.CSS_SELECTOR, "button.mapper-play").click()
    assert browser.find_element(By.CSS_SELECTOR, "button.mapper-play").text == "Pause"
    deadline = time.time() + 10
    while state()[0] == days[1] and time.time() < deadline:
        time.sleep(0.2)
    browser.find_element(By.CSS_SELECTOR, "button.mapper-play").click()
    paused = state()
    assert paused[0] > days[1]
    assert browser.find_element(By.CSS_SELECTOR, "button.mapper-play").text == "Play"
    time.sleep(1.2)
    assert state()[0] == paused[0]
    _assert_clean(browser, base)


def test_index_page_in_browser(site, base, browser):
    from selenium.webdriver.common.by import By

    _open(browser, f"{base}index.html", wait_for="true")
    _assert_clean(browser, base)
    assert _count(browser, "img.mapper-chart") == 1
    assert (
        browser.execute_script("return document.querySelector('img.mapper-chart').naturalWidth")
        > 500
    )
    assert _count(browser, "ul.mapper-snapshots a") == len(site["days"])
    rows = _count(browser, "table.mapper-events tbody tr")
    assert rows == len(site["events"])

    def first_cell(col):
        return browser.execute_script(
            f"return document.querySelector('table.mapper-events tbody tr').cells[{col}].textContent"
        )

    headers = browser.find_elements(By.CSS_SELECTOR, "table.mapper-events th")
    headers[0].click()
    asc = first_cell(0)
    headers[0].click()
    desc = first_cell(0)
    assert asc < desc
    assert asc == f"{site['events']['date'].min():%Y-%m-%d}"
    headers[7].click()  # confidence, numeric
    assert float(first_cell(7)) == site["events"]["confidence"].min()
    assert "{{ 7*7 }}" in browser.find_element(By.CSS_SELECTOR, "table.mapper-summary").text
    _shot(browser, "index.png")
    # the links lead to pages that load
    browser.find_element(By.CSS_SELECTOR, "ul.mapper-snapshots a").click()
    _map_ready(browser)
    assert browser.current_url.endswith(f"snapshots/{site['days'][0]}.html")
    _assert_clean(browser, base)
