"""Hostile text through a real ``mapper build`` (issue 8, "Security").

The articles carry script tags, ``"><img onerror>`` breakouts, ``javascript:`` and ``data:``
URLs and template syntax (``{{ 7*7 }}``, ``{% %}``) in their titles, URLs, ids, file names,
in the sentence that names a real place, and so in every evidence string. The pages the build
writes are opened in headless Chromium (served from 127.0.0.1; ``--self-contained`` so nothing
comes from the internet), every popup is opened, and no script may have run, no console error
appear, no template be evaluated and no link point anywhere but http(s) or the site itself.
The CSV outputs must neutralise cells a spreadsheet would run as formulas, and our own readers
must give the cells back exactly (issue 14: one writer and one reader per table). User regular
expressions that could backtrack for minutes are refused (issue 16).
"""

from __future__ import annotations

import csv
import html
import json
import time
from pathlib import Path

import pandas as pd
import pytest
from browser_util import chromium, chromium_missing, serve, severe_logs
from conftest import SCRIPT

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def site(hostile_build) -> Path:
    """The hostile corpus (conftest.py) built once per session, self-contained."""
    assert hostile_build.exit_code == 0, [str(s) for s in hostile_build.skipped]
    return hostile_build.out_dir


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


# ------------------------------------------------------------------------------ symmetric CSV


def test_our_readers_restore_every_neutralised_cell(site, hostile_build):
    """What write_csv protects, read_csv restores: events, reports and control read back equal the
    build's own tables, formula-looking cells included (issue 14)."""
    from mapper import events as ev
    from mapper.outputs import read_csv

    back = ev.read_csv(site / "events.csv")
    pd.testing.assert_frame_equal(back, ev._normalise(hostile_build.events, list(back.columns)))
    assert back["sources"].str.contains('=HYPERLINK("http://127.0.0.1/x","y")', regex=False).any()
    assert not back["sources"].str.startswith("'").any()
    reports = ev.read_csv(site / "reports.csv")
    pd.testing.assert_frame_equal(reports, ev._normalise(hostile_build.reports, list(reports.columns)))
    assert "=cmd|' /C calc'!A0" in set(reports["title"]) and "-Iraqi forces" in " ".join(reports["evidence"])
    control = read_csv(site / "control.csv")
    expected = hostile_build.control.astype(object).where(hostile_build.control.notna(), "")
    for col in ("place_id", "place", "holder", "state"):
        assert list(control[col]) == [str(v) for v in expected[col]], col


def test_acled_export_of_a_builds_events_csv_keeps_the_text(site, hostile_build, gazetteer, tmp_path):
    """`mapper export acled out/events.csv` gives the rows the in-memory events give: no stray
    apostrophe from the events.csv neutralisation reaches the ACLED file (issue 14)."""
    from mapper.acled import to_acled
    from mapper.cli import main
    from mapper.outputs import read_csv

    acled = tmp_path / "acled.csv"
    assert main(["export", "acled", str(site / "events.csv"), "--out", str(acled)]) == 0
    got = read_csv(acled)
    want = to_acled(hostile_build.events, gazetteer=gazetteer)
    assert len(got) == len(want) >= 4
    for col in ("event_id_cnty", "event_date", "location", "notes", "source"):
        if col in want.columns:
            assert list(got[col]) == [str(v) for v in want[col].astype(object).where(want[col].notna(), "")], col
    cells = _cells(acled)
    assert not [c for c in cells if c.startswith("''")], "a cell was neutralised twice"


def test_spreadsheet_safe_and_unneutralise_are_inverse():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from mapper.outputs import spreadsheet_safe, unneutralise

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.one_of(st.text(max_size=12), st.sampled_from(["=1+1", "'=x", "''@y", "'", "-", "+3", "\tx"])),
                    min_size=1, max_size=8))
    def check(cells):
        df = pd.DataFrame({"c": cells}, dtype=object)
        safe = spreadsheet_safe(df)
        assert not safe["c"].map(lambda v: v[:1] in ("=", "+", "-", "@", "\t", "\r")).any()
        pd.testing.assert_frame_equal(unneutralise(safe), df)

    check()


# ------------------------------------------------------------------------------ user patterns


@pytest.mark.timeout(60)
@pytest.mark.parametrize("pattern", ["(?:a+)+b", "(a*)*b", "(a|a)*b", "(a|ab)*c", "(\\w+\\s?)*$", "(a)\\1"])
def test_dangerous_user_patterns_are_refused(tmp_path, pattern):
    from mapper.actors import ActorLexicon
    from mapper.errors import InputError

    f = tmp_path / "actors.csv"
    f.write_text(f"pattern,actor\nre:{pattern},IS\nDaesh fighters,IS\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 2"):
        ActorLexicon.from_file(f)
    lex = ActorLexicon.from_file(f, errors="skip")
    assert len(lex.problems) == 1 and "line 2" in lex.problems[0]
    # the good row is used, and the lexicon answers at once on the input that would hang
    assert lex.find("Daesh fighters left " + "a" * 40 + ".")[0].actor == "IS"


@pytest.mark.parametrize("pattern", ["IS(?:IS|IL)?", "the (?:black|white) banners?", "Daesh\\s+fighters",
                                     "(?:foo|bar)+ brigade", "Liwa [A-Z][a-z]+"])
def test_ordinary_user_patterns_are_accepted(tmp_path, pattern):
    from mapper.actors import unsafe_pattern

    assert unsafe_pattern(pattern) is None
