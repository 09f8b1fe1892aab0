"""README figures from the code, not typed in by hand.

    python docs/readme_figures.py            rewrite the marked figures in README.md
    python docs/readme_figures.py --check    exit 1 and list the figures that are out of date
    python docs/readme_figures.py --screenshot   also rebuild docs/screenshot.png from the demo

A figure in README.md sits between markers, ``<!-- fig:NAME -->33,304<!-- /fig -->`` (the
markers do not show on the rendered page); :func:`figures` computes every NAME:

places          places in the packaged gazetteer (what ``mapper gazetteer info`` prints)
settlements     populated places the territory model draws areas from
demo_articles   dispatches in the demo corpus
demo_span       first and last month of the demo's publication dates

The screenshot is a snapshot map of the demo corpus built ``--self-contained`` and opened in
headless Chromium from a local server (no internet), at the demo's largest IS-held area.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
SCREENSHOT = REPO / "docs" / "screenshot.png"
_MARK = re.compile(r"<!-- fig:(?P<name>[a-z_]+) -->(?P<value>.*?)<!-- /fig -->")


def figures(gazetteer=None) -> dict[str, str]:
    """Every README figure, as the text the README shows."""
    from mapper import resources
    from mapper.gazetteer import Gazetteer

    gaz = gazetteer if gazetteer is not None else Gazetteer.load()
    articles, metadata = resources.demo_inputs()
    with metadata.open(encoding="utf-8", newline="") as fh:
        days = sorted(dt.date.fromisoformat(r["published"]) for r in csv.DictReader(fh) if r.get("published"))
    return {
        "places": f"{gaz.info()['places']:,}",
        "settlements": f"{len(gaz.settlements()):,}",
        "demo_articles": str(len(articles)),
        "demo_span": f"{days[0]:%B %Y} – {days[-1]:%B %Y}",
    }


def differences(text: str, values: dict[str, str]) -> list[str]:
    """The marked figures of ``text`` that differ from ``values`` (and unknown marker names)."""
    out = []
    for m in _MARK.finditer(text):
        name, shown = m["name"], m["value"]
        if name not in values:
            out.append(f"{name}: no such figure (known: {', '.join(sorted(values))})")
        elif shown != values[name]:
            out.append(f"{name}: README says {shown!r}, the code gives {values[name]!r}")
    return out


def rewrite(text: str, values: dict[str, str]) -> str:
    return _MARK.sub(lambda m: f"<!-- fig:{m['name']} -->{values.get(m['name'], m['value'])}<!-- /fig -->", text)


# ---------------------------------------------------------------------------- screenshot


def screenshot(path: Path = SCREENSHOT) -> Path:
    """Build the demo self-contained and photograph its snapshot at the largest IS-held area
    (the browser and the local server are the browser tests' own, ``tests/browser_util.py``)."""
    import warnings

    sys.path.insert(0, str(REPO / "tests"))
    from browser_util import chromium, chromium_missing, serve

    from mapper.pipeline import build, demo_inputs

    missing = chromium_missing()
    if missing:
        raise SystemExit(f"--screenshot: {missing}")
    work = Path(tempfile.mkdtemp(prefix="mapper-readme-"))
    try:
        arts, meta = demo_inputs()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = build(arts, work / "demo", metadata=meta, every="month", self_contained=True)
        held = result.areas[(result.areas["actor"] == "IS") & (result.areas["state"] == "held")]
        peak = held.groupby("date")["area_km2"].sum().idxmax()
        page = f"snapshots/{peak.date().isoformat()}.html"
        with chromium(width=1200, height=800) as driver, serve(work / "demo") as base:
            driver.get(base + page)
            deadline = time.time() + 30
            while not driver.execute_script("return document.readyState === 'complete' && window.L !== undefined"):
                if time.time() > deadline:
                    raise RuntimeError(f"{page} did not load")
                time.sleep(0.2)
            time.sleep(1.5)  # tiles are off; let Leaflet draw the vector layers
            driver.save_screenshot(str(path))
        print(f"{path}: {page} of the demo ({peak.date()})")
        return path
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="list out-of-date figures, change nothing")
    parser.add_argument("--screenshot", action="store_true", help="also rebuild docs/screenshot.png")
    args = parser.parse_args(argv)
    text = README.read_text(encoding="utf-8")
    values = figures()
    diff = differences(text, values)
    if args.check:
        print("\n".join(diff) or "README figures are up to date")
        return 1 if diff else 0
    if diff:
        README.write_text(rewrite(text, values), encoding="utf-8")
        print("\n".join(diff))
    if args.screenshot:
        screenshot()
    return 0


if __name__ == "__main__":
    sys.exit(main())
