"""The site in a real browser: headless Chromium (Debian chromium + chromium-driver) via selenium.

The site is written by ``render.write_site`` to a temporary folder with Leaflet copied beside
the pages (the default) and served from 127.0.0.1; nothing may ask for anything else. One test
opens the pages from ``file://``. Screenshots go to ``tests/_artifacts/``; the demo's 2015,
2016 and 2017 snapshots are the ones ``docs/`` shows (``python tests/browser_util.py
screenshots`` writes them there).
"""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path

import pandas as pd
import pytest
from browser_util import (
    ARTIFACTS,
    HOSTILE,
    chromium,
    chromium_missing,
    demo_screenshots,
    serve,
    severe_logs,
    synthetic_areas,
    synthetic_events,
)

from mapper import maps, render
from mapper.errors import MapperWarning

pytestmark = pytest.mark.browser

_WHY = chromium_missing()
if _WHY:
    pytest.skip(_WHY, allow_module_level=True)


@pytest.fixture(scope="module")
def site(tmp_path_factory, gazetteer):
    """A weekly site on the hostile corpus: snapshots, the timeline and the index."""
    out = tmp_path_factory.mktemp("site")
    events = synthetic_events(12, hostile=True, days=60)
    dates = pd.date_range("2017-10-01", "2017-12-03", freq="7D")
    areas = synthetic_areas(events, dates=list(dates))
    areas.attrs.update(radius_km=50.0, cell_km=15.0, stale_days=365)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MapperWarning)
        s = render.write_site(out, areas, events, dates, gazetteer=gazetteer, gif=False,
                              summary={"articles_read": 12, "note": HOSTILE["img"] + HOSTILE["template"]})
    return {"dir": out, "events": events, "areas": areas, "site": s,
            "days": [f"{d:%Y-%m-%d}" for d in dates]}


@pytest.fixture(scope="module")
def browser():
    with chromium() as driver:
        yield driver


@pytest.fixture(scope="module")
def base(site):
    with serve(site["dir"]) as url:
        yield url


def _open(driver, url: str, *, wait_for: str = "!!document.querySelector('.mapper-title')") -> None:
    driver.get_log("browser")  # drop entries of the previous page
    driver.get(url)
    deadline = time.time() + 20
    while time.time() < deadline:
        if driver.execute_script(f"return document.readyState === 'complete' && ({wait_for});"):
            time.sleep(0.4)  # Leaflet draws on the next animation frame
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


_LABEL_BOXES = """
  var root = document.querySelector('.leaflet-container').getBoundingClientRect();
  var rect = function (el) { var r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  return [Array.prototype.map.call(document.querySelectorAll('.mapper-label'), rect),
          Array.prototype.map.call(document.querySelectorAll('.leaflet-control, .mapper-title'), rect),
          [root.left, root.top, root.right, root.bottom],
          Array.prototype.map.call(document.querySelectorAll('.mapper-label'), function (el) { return el.textContent; })];
"""


def _overlap(a, b) -> bool:
    return a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5


def _check_labels(driver) -> list[str]:
    labels, controls, root, names = driver.execute_script(_LABEL_BOXES)
    assert len(labels) >= 5, names
    for i, a in enumerate(labels):
        assert a[2] > a[0] and a[3] > a[1]  # drawn, with a size
        assert root[0] <= a[0] and a[2] <= root[2] and root[1] <= a[1] and a[3] <= root[3]
        for b in labels[i + 1:]:
            assert not _overlap(a, b), (names, a, b)
        for c in controls:
            assert not _overlap(a, c)
    return names


def test_snapshot_page(site, base, browser):
    events, areas, s = site["events"], site["areas"], site["site"]
    for j in (1, len(s.pages) - 1):
        page = s.pages[j]
        day = page["date"]
        _open(browser, f"{base}{page['html']}")
        _assert_clean(browser, base)
        rows = areas[areas["date"] == pd.Timestamp(day)]
        assert _count(browser, "path.mapper-area") == len(rows)
        assert _count(browser, "path.mapper-contested") == int((rows["state"] == "contested").sum())
        data = browser.execute_script("return window.mapperData.events")
        drawn = sum(any(lo <= day and (hi == "" or day < hi) for lo, hi, _, _ in iv) for iv in data["intervals"])
        assert _count(browser, "path.mapper-point") == drawn > 0
        step = events[(events["date"] <= day) & (events["date"] > s.pages[j - 1]["date"])]
        assert _count(browser, "path.mapper-event-new") == len(step)
        title = browser.execute_script("return document.querySelector('.mapper-title').textContent")
        assert title.startswith(f"{day} \u2014 IS held area:")
        caption = browser.execute_script("return document.querySelector('.mapper-caption').textContent")
        assert f"{drawn} control points drawn" in caption
        assert _count(browser, ".mapper-legend i") >= 5
        assert _count(browser, ".leaflet-control-scale-line") == 2
        assert _count(browser, ".leaflet-control-layers-overlays input") >= 8
        assert _count(browser, ".leaflet-tile") == 0  # web tiles are off by default
        credits = browser.execute_script("return document.querySelector('.leaflet-control-attribution').textContent")
        for source in ("GeoNames", "CC BY 4.0", "Who's On First", "Natural Earth"):
            assert source in credits
        names = _check_labels(browser)
        assert "Deir ez-Zor" in names
        _shot(browser, f"snapshot_{day}.png")


def test_labels_follow_the_zoom(site, base, browser):
    _open(browser, f"{base}{site['site'].pages[-1]['html']}")
    before = _check_labels(browser)
    browser.execute_script("var m = Object.values(window).find(function (v) { return v && v.mapper; });"
                           "m.setView([35.0, 40.6], 9, {animate: false});")
    time.sleep(0.6)
    after = _check_labels(browser)
    assert "Mayadin" in after and set(after) != set(before)
    _assert_clean(browser, base)


def test_hostile_popup_shows_text_and_runs_nothing(site, base, browser):
    _open(browser, f"{base}{site['site'].pages[-1]['html']}")
    texts = browser.execute_script("""
        var out = [];
        document.querySelectorAll('path.mapper-point, path.mapper-event').forEach(function (p) {
          p.dispatchEvent(new MouseEvent('click', {bubbles: true}));
          var all = document.querySelectorAll('.leaflet-popup-content');
          var c = all[all.length - 1];  // the one just opened; the previous may still fade
          if (c) { out.push([c.innerText, c.querySelectorAll('img,script').length,
                             Array.prototype.map.call(c.querySelectorAll('a'), function (a) {
                               return a.getAttribute('href'); })]); }
        });
        return out;""")
    assert len(texts) >= len(site["events"].drop_duplicates("place_id"))
    hostile = [t for t in texts if "__pwned" in t[0]]
    assert hostile, "the hostile event's popup opened"
    text, n_tags, hrefs = hostile[0]
    assert HOSTILE["script"] in text and "{{ 7*7 }}" in text and "TPL{% endif %}" in text
    assert n_tags == 0 and hrefs == []  # javascript: and data: URLs are not links
    all_hrefs = [h for t in texts for h in t[2]]
    assert all_hrefs and all(h.startswith("https://example.org/") for h in all_hrefs)
    _shot(browser, "snapshot_popup_hostile.png")
    _assert_clean(browser, base)


def test_timeline_slider_moves_weekly(site, base, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    areas, days = site["areas"], site["days"]
    _open(browser, f"{base}timeline.html")
    _assert_clean(browser, base)

    def state():
        return browser.execute_script("""
            return [document.querySelector('.mapper-date').textContent,
                    document.querySelectorAll('path.mapper-area').length,
                    Array.prototype.map.call(document.querySelectorAll('path.mapper-area'),
                      function (p) { return p.getAttribute('d').length; }).join(','),
                    document.querySelector('.mapper-title').textContent];""")

    # the browser decodes the polygons as Python does
    from shapely.geometry import shape

    polys = browser.execute_script("return window.mapperData.polygons")
    for k in (0, len(polys["geoms"]) - 1):
        decoded = browser.execute_script("return window.mapperDecode(window.mapperData.polygons, [arguments[0]]);", k)
        assert shape(decoded).geoms[0].equals_exact(maps.decode_polygon(polys["geoms"][k]), 1e-9)
    # event dates are marked on the track
    page = json.loads(browser.execute_script("return document.querySelector('script.mapper-data').textContent"))
    assert _count(browser, ".mapper-mark") == len(page["marks"]) > 3
    assert "1 week" in browser.execute_script("return document.querySelector('.mapper-step').textContent")

    last = state()
    assert last[0] == days[-1] and last[1] == int((areas["date"] == days[-1]).sum())
    _shot(browser, "timeline_last.png")
    slider = browser.find_element(By.CSS_SELECTOR, "input.mapper-range")
    slider.send_keys(Keys.HOME)  # real key presses on the range input
    time.sleep(0.3)
    first = state()
    assert first[0] == days[0] and first[1] == int((areas["date"] == days[0]).sum())
    assert first[2] != last[2] and first[3] != last[3] and first[3].startswith(days[0])
    seen = [first[0]]
    for _ in range(3):
        slider.send_keys(Keys.ARROW_RIGHT)
        time.sleep(0.25)
        seen.append(state()[0])
    steps = pd.to_datetime(pd.Series(seen)).diff().dropna().dt.days.tolist()
    assert steps == [7, 7, 7]  # one step, one week
    _check_labels(browser)
    _shot(browser, "timeline_first.png")
    # play, then pause
    browser.find_element(By.CSS_SELECTOR, "button.mapper-play").click()
    assert browser.find_element(By.CSS_SELECTOR, "button.mapper-play").text == "Pause"
    deadline = time.time() + 10
    while state()[0] == seen[-1] and time.time() < deadline:
        time.sleep(0.2)
    browser.find_element(By.CSS_SELECTOR, "button.mapper-play").click()
    paused = state()
    assert paused[0] > seen[-1]
    assert browser.find_element(By.CSS_SELECTOR, "button.mapper-play").text == "Play"
    time.sleep(1.0)
    assert state()[0] == paused[0]
    _assert_clean(browser, base)


def test_pages_open_from_file_urls(site, browser):
    for page in ("timeline.html", site["site"].pages[0]["html"]):
        _open(browser, (site["dir"] / page).as_uri())
        assert severe_logs(browser) == []
        assert _count(browser, "path.mapper-area") > 0
        assert _count(browser, ".mapper-label") > 0


def test_index_page_in_browser(site, base, browser):
    from selenium.webdriver.common.by import By

    _open(browser, f"{base}index.html", wait_for="true")
    _assert_clean(browser, base)
    assert _count(browser, "img.mapper-chart") == 1
    assert browser.execute_script("return document.querySelector('img.mapper-chart').naturalWidth") > 500
    assert _count(browser, "table.mapper-snapshots tbody a") == len(site["site"].pages)
    assert _count(browser, "table.mapper-events tbody tr") == len(site["events"])

    def first_cell(col):
        return browser.execute_script(
            f"return document.querySelector('table.mapper-events tbody tr').cells[{col}].textContent")

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
    assert browser.find_element(By.ID, "how-to-read").is_displayed()
    _shot(browser, "index.png")
    # the links lead to pages that load
    link = browser.find_element(By.CSS_SELECTOR, "table.mapper-snapshots tbody a")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", link)
    link.click()
    time.sleep(0.8)
    assert browser.current_url.endswith(site["site"].pages[0]["html"])
    _assert_clean(browser, base)


@pytest.mark.slow
def test_demo_snapshots_2015_2016_2017(tmp_path_factory):
    """The demo build's snapshots of mid-2015, mid-2016 and late 2017, as the README shows them."""
    from mapper.pipeline import build, demo_inputs

    arts, meta = demo_inputs()
    out = tmp_path_factory.mktemp("demo") / "out"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MapperWarning)
        build(arts, out, metadata=meta, gif=False)
    shots = demo_screenshots(out, ARTIFACTS)
    assert [p.name for p in shots] == ["demo_2015.png", "demo_2016.png", "demo_2017.png"]
    for p in shots:
        assert p.stat().st_size > 50_000
