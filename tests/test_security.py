"""Hostile text through a real ``mapper build`` (issue 8, "Security").

The articles carry script tags, ``"><img onerror>`` breakouts, ``javascript:`` and ``data:``
URLs and template syntax (``{{ 7*7 }}``, ``{% %}``) in their titles, URLs, ids, file names,
in the sentence that names a real place, and so in every evidence string. The pages the build
writes are opened in headless Chromium (served from 127.0.0.1; ``--self-contained`` so nothing
comes from the internet), every popup is opened, and no script may have run, no console error
appear, no template be evaluated and no link point anywhere but http(s) or the site itself.
The CSV outputs must neutralise cells a spreadsheet would run as formulas.
"""

from __future__ import annotations

import csv
import html
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from browser_util import chromium, chromium_missing, serve, severe_logs

REPO = Path(__file__).resolve().parents[1]

SCRIPT = "<script>window.__pwned=1</script>"
IMG = '"><img src=x onerror=window.__pwned=1>'
TPL = "{{ 7*7 }} {% if 1 %}X{% endif %}"
JS_URL = "javascript:window.__pwned=1"

_RECORDS = [
    {"id": IMG + "id1", "published": "2017-11-19", "title": SCRIPT + " " + TPL, "url": JS_URL,
     "text": f"{SCRIPT} {IMG} Iraqi troops recaptured the town of Rawa from Islamic State fighters "
             f"on 17 November 2017 {TPL}."},
    {"id": '=HYPERLINK("http://127.0.0.1/x","y")', "published": "2017-10-15", "title": "=cmd|' /C calc'!A0",
     "url": " JaVaScRiPt:window.__pwned=1",
     "text": "Syrian government forces captured Mayadin from the Islamic State on 14 October 2017."},
    {"id": "@sum(1)", "published": "2017-11-05", "title": "+plus -minus", "url": "https://example.org/a?b=1&c=<2>",
     "text": "-Iraqi forces captured Al Qaim from the Islamic State on 3 November 2017."},
]
_FILES = {
    IMG + ".txt": f"Town taken\n\nKurdish forces captured Hajin from the Islamic State on 14 December 2017, {SCRIPT} said.\n",
    "{{ 7*7 }}.txt": "Another town\n\nIraqi troops captured Anah from the Islamic State on 20 November 2017.\n",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("hostile")
    arts = d / "articles"
    arts.mkdir()
    (arts / "feed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in _RECORDS), encoding="utf-8")
    for name, text in _FILES.items():
        (arts / name).write_text(text, encoding="utf-8")
    with (d / "metadata.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "published", "title", "url"])
        w.writerow([IMG + ".txt", "2017-12-15", SCRIPT, "javascript:alert(1)"])
        w.writerow(["{{ 7*7 }}.txt", "2017-11-21", "{{ 7*7 }}", "data:text/html,<script>window.__pwned=1</script>"])
    out = d / "out"
    p = subprocess.run([sys.executable, "-m", "mapper.cli", "build", str(arts), "--metadata", str(d / "metadata.csv"),
                        "--out", str(out), "--every", "month", "--self-contained", "--quiet"],
                       capture_output=True, text=True, timeout=300, cwd=REPO)
    assert p.returncode == 0, p.stderr
    return out


def test_hostile_text_reached_the_outputs(site):
    """The test is only worth something if the hostile strings made it into the tables."""
    events = (site / "events.csv").read_text(encoding="utf-8")
    for s in (SCRIPT, "onerror=window.__pwned=1", "{{ 7*7 }}", "{% if 1 %}"):
        assert s in events
    run = json.loads((site / "run.json").read_text(encoding="utf-8"))
    assert run["counts"]["events"] >= 4


# ------------------------------------------------------------------------------ CSV


def _cells(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as fh:
        return [c for row in csv.reader(fh) for c in row]


@pytest.mark.parametrize("name", ["events.csv", "reports.csv", "places.csv", "control.csv", "areas.csv"])
def test_csv_cells_never_start_a_formula(site, name):
    cells = _cells(site / name)
    assert cells, name
    bad = [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r") or (c[:1] == "-" and not _number(c))]
    assert not bad, f"{name}: cells a spreadsheet would run: {bad[:5]}"


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_formula_cells_are_prefixed_not_lost(site):
    events = _cells(site / "events.csv") + _cells(site / "reports.csv")
    assert any(c.startswith("'=HYPERLINK(") for c in events)
    assert any(c.startswith("'@sum(1)") for c in events)
    assert any(c.startswith("'-Iraqi forces") for c in events)
    assert any(c == "'=cmd|' /C calc'!A0" for c in _cells(site / "reports.csv"))


# ------------------------------------------------------------------------------ browser

_WHY = chromium_missing()

_OPEN_POPUPS = """
var texts = [];
Object.keys(window).forEach(function (k) {
  var m; try { m = window[k]; } catch (e) { return; }
  if (!(window.L && m instanceof L.Map)) return;
  m.eachLayer(function (layer) {
    if (layer.getPopup && layer.getPopup()) {
      try { layer.openPopup(); } catch (e) {}
      var c = layer.getPopup().getContent();
      texts.push(typeof c === 'string' ? c : (c && c.outerHTML) || '');
    }
    if (layer.getTooltip && layer.getTooltip()) {
      var t = layer.getTooltip().getContent();
      texts.push(typeof t === 'string' ? t : (t && t.outerHTML) || '');
    }
  });
});
return texts;
"""


@pytest.mark.browser
@pytest.mark.skipif(_WHY is not None, reason=_WHY or "")
def test_pages_run_no_hostile_script(site):
    snapshot = sorted((site / "snapshots").glob("*.html"))[-1].relative_to(site).as_posix()
    pages = {"index.html": "true", "timeline.html": "window.L !== undefined", snapshot: "window.L !== undefined"}
    with serve(site) as base, chromium() as driver:
        for page, ready in pages.items():
            driver.get_log("browser")
            driver.get(base + page)
            deadline = time.time() + 30
            while not driver.execute_script(f"return document.readyState === 'complete' && ({ready});"):
                assert time.time() < deadline, f"{page} did not load"
                time.sleep(0.1)
            time.sleep(0.5)
            popups = driver.execute_script(_OPEN_POPUPS) if ready != "true" else []
            time.sleep(0.3)
            body = driver.execute_script("return document.body.innerText") + "\n".join(popups)
            assert driver.execute_script("return window.__pwned") is None, f"{page}: injected script ran"
            injected = driver.execute_script(
                "return Array.from(document.querySelectorAll('img')).filter("
                "function (i) { return i.getAttribute('src') === 'x'; }).length")
            assert injected == 0, f"{page}: an <img> was injected"
            assert severe_logs(driver) == [], f"{page}: console errors"
            # nothing but the local server (and data: URLs) was asked for: no network unless asked
            urls = driver.execute_script(
                "return performance.getEntriesByType('resource').map(function (e) { return e.name; })")
            assert all(u.startswith(base) or u.startswith("data:") for u in urls), urls
            # links: only http(s) or the site's own pages
            hrefs = driver.execute_script(
                "return Array.from(document.querySelectorAll('a[href]')).map(function (a) { return a.href; })")
            for href in hrefs:
                assert href.startswith(("http://", "https://")), f"{page}: link to {href!r}"
            for popup in popups:  # popup HTML: hostile markup only ever as escaped text
                low = popup.lower()
                assert "<script" not in low and "<img" not in low, popup[:300]
                assert 'href="javascript' not in low and "href='javascript" not in low, popup[:300]
                assert 'href="data:' not in low and "href=' javascript" not in low, popup[:300]
            # templates are shown as written, never evaluated ("{{ 7*7 }} {% if 1 %}X..." -> "49 X")
            assert "49 X" not in body and "49 {%" not in body, f"{page}: a template was evaluated"
            if page == "index.html":
                assert SCRIPT in body, f"{page}: the hostile title is not shown as text"
                assert "{{ 7*7 }}" in body, f"{page}: the template text is not shown as written"
            if ready != "true":
                assert popups, f"{page}: no popup found to open"
                shown = "\n".join(popups)
                assert "__pwned" in html.unescape(shown), f"{page}: the hostile text is not in any popup"
                assert "{{ 7*7 }}" in shown or "{{ 7*7 }}" in html.unescape(shown), f"{page}: template text lost"
