"""Extraction and toponym accuracy on the reference corpora (``../shared/seeds`` and ``dev``),
and on this project's own written reports (``tests/data/written``, scored without ``../shared``).

Matching rules (issue 4): a report matches a gold row when the file and the place id agree
(or, for gold places the gazetteer lacks, the folded names), the event types agree, gainer
and loser agree where the gold names them, and the dates agree at the gold's precision
(exact day; a week within 7 days; the same month; the same year; any date when the gold
date is unknown). Recall counts ``required=yes`` rows; precision counts every report
against all gold rows. Toponyms: every gold string is found in its file and placed within
its ``tolerance_km``.

Region-level reports (flag ``region``: "the whole of Nineveh province was liberated") are
counted apart: the gold annotates places, not governorates or countries, so they are neither
right nor wrong against it. The demo corpus (``data/examples``) is scored against its own
``expected_events.csv`` with the same rules, a place matching by its name as written or its
gazetteer name. Day-date exactness is measured on the gold rows of day precision whose
place, type and sides a report matches, whatever its date.

Run with ``-s`` to see the figures: ``pytest tests/test_accuracy.py -s``.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pandas as pd
import pytest

from mapper.articles import iter_articles
from mapper.extract import Extractor, places_frame, reports_frame
from mapper.names import fold

REPO = Path(__file__).resolve().parents[1]


def _read_gold(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _same_date(report, gold: dict) -> bool:
    prec = gold["date_precision"]
    if prec == "unknown" or not gold["event_date"]:
        return True
    if pd.isna(report["date"]):
        return False
    d = pd.Timestamp(report["date"]).date()
    text = gold["event_date"]
    if prec == "day":
        return d.isoformat() == text
    if prec == "week":
        g = pd.Timestamp(text).date()
        return abs((d - g).days) <= 7
    if prec == "month":
        return d.isoformat()[:7] == text[:7]
    if prec == "year":
        return d.isoformat()[:4] == text[:4]
    return False


def _same_place(report, gold: dict) -> bool:
    if gold.get("geonameid"):
        return report["place_id"] == f"geonames:{gold['geonameid']}"
    names = {fold(report["name_as_written"]), fold(report.get("place", "") or "")}
    return fold(gold["place_as_written"]) in names or ("place" in gold and "geonameid" not in gold
                                                       and fold(gold["place"]) in names)


def _matches(report, gold: dict, *, dates: bool = True) -> bool:
    if report["article"] != gold["file"] or not _same_place(report, gold):
        return False
    if report["event_type"] != gold["event_type"]:
        return False
    for side in ("gainer", "loser"):
        if gold[side] and report[side] != gold[side]:
            return False
    return _same_date(report, gold) if dates else True


def score_events(reports: pd.DataFrame, gold: list[dict], *, required_only: bool = True) -> dict:
    """Recall over required rows, precision over all place-level reports, F1, the misses,
    and day-date exactness. Region-level reports are counted apart (``n_region``)."""
    required = [g for g in gold if g.get("required", "yes") == "yes"] if required_only else list(gold)
    rows = reports.to_dict("records")
    region = [r for r in rows if "region" in (r.get("flags") or "").split(";")]
    rows = [r for r in rows if r not in region]
    found = [g for g in required if any(_matches(r, g) for r in rows)]
    correct = [r for r in rows if any(_matches(r, g) for g in gold)]
    recall = len(found) / len(required) if required else 1.0
    precision = len(correct) / len(rows) if rows else 1.0
    f1 = 2 * recall * precision / (recall + precision) if recall + precision else 0.0
    day = [g for g in gold if g["date_precision"] == "day" and any(_matches(r, g, dates=False) for r in rows)]
    exact = [g for g in day if any(_matches(r, g) for r in rows)]
    return {
        "recall": recall, "precision": precision, "f1": f1,
        "n_required": len(required), "n_found": len(found), "n_reports": len(rows),
        "n_correct": len(correct), "n_region": len(region),
        "day_exact": len(exact) / len(day) if day else 1.0, "n_day": len(day), "n_day_exact": len(exact),
        "missed": [g for g in required if g not in found],
        "wrong": [r for r in rows if r not in correct],
    }


def _km(lat1, lon1, lat2, lon2) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def score_toponyms(places: pd.DataFrame, gold: list[dict]) -> dict:
    """Share of gold toponyms found in their file (same string) and placed within tolerance."""
    ok, missed = 0, []
    by_file = {k: v for k, v in places.groupby("article")} if len(places) else {}
    for g in gold:
        df = by_file.get(g["file"])
        hit = False
        if df is not None:
            same = df[df["name_as_written"] == g["as_written"]]
            for _, r in same.iterrows():
                if r["place_id"] and _km(float(g["lat"]), float(g["lon"]), r["lat"], r["lon"]) <= float(g["tolerance_km"]):
                    hit = True
                    break
        ok += hit
        if not hit:
            missed.append(g)
    return {"accuracy": ok / len(gold) if gold else 1.0, "n": len(gold), "n_ok": ok, "missed": missed}


def run_corpus(articles_dir: Path, metadata: Path, gazetteer) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reports and place mentions of a corpus, from one pass of the Extractor per article."""
    paths = sorted(articles_dir.glob("*.txt"))
    ex = Extractor(gazetteer)
    reports, places = [], []
    for article in iter_articles(paths, metadata=metadata):
        reading = ex.read(article)
        reports += reading.reports
        places += reading.places
    return reports_frame(reports), places_frame(places)


def _print(name: str, ev: dict, top: dict | None) -> None:
    line = (f"\n[{name}] events: recall {ev['recall']:.1%} ({ev['n_found']}/{ev['n_required']} required), "
            f"precision {ev['precision']:.1%} ({ev['n_correct']}/{ev['n_reports']} reports), F1 {ev['f1']:.3f}; "
            f"day dates exact {ev['day_exact']:.1%} ({ev['n_day_exact']}/{ev['n_day']}); "
            f"region-level reports {ev['n_region']}")
    if top is not None:
        line += f"; toponyms found and placed {top['accuracy']:.1%} ({top['n_ok']}/{top['n']})"
    print(line)
    for g in ev["missed"]:
        print(f"  missed: {g['file']} {g['place_as_written']} {g['event_type']} {g['loser']}->{g['gainer']} {g['event_date']}")
    for r in ev["wrong"]:
        d = "" if pd.isna(r["date"]) else pd.Timestamp(r["date"]).date().isoformat()
        print(f"  unmatched report: {r['article']} {r['name_as_written']} {r['event_type']} {r['loser']}->{r['gainer']} {d} {r['date_precision']} | {r['evidence'][:150]}")
    for g in (top or {}).get("missed", []):
        print(f"  toponym missed: {g['file']} {g['as_written']}")


def _half(df: pd.DataFrame, gold: list[dict], lo: int, hi: int, key: str = "article"):
    def num(name: str) -> int:
        return int(name[3:5]) if name.startswith("dev") else 0
    return df[[lo <= num(a) <= hi for a in df[key]]], [g for g in gold if lo <= num(g["file"]) <= hi]


@pytest.fixture(scope="module")
def seeds_result(seeds_dir, gazetteer):
    reports, places = run_corpus(seeds_dir, seeds_dir / "metadata.csv", gazetteer)
    ev = score_events(reports, _read_gold(seeds_dir / "gold_events.csv"))
    top = score_toponyms(places, _read_gold(seeds_dir / "gold_toponyms.csv"))
    _print("seeds", ev, top)
    return ev, top


@pytest.fixture(scope="module")
def dev_result(dev_dir, gazetteer):
    reports, places = run_corpus(dev_dir / "articles", dev_dir / "metadata.csv", gazetteer)
    gold = _read_gold(dev_dir / "gold_events.csv")
    gtop = _read_gold(dev_dir / "gold_toponyms.csv")
    ev = score_events(reports, gold)
    top = score_toponyms(places, gtop)
    _print("dev", ev, top)
    halves = {}
    for lo, hi in ((1, 23), (24, 55)):
        rep, g = _half(reports, gold, lo, hi)
        pl, gt = _half(places, gtop, lo, hi)
        halves[(lo, hi)] = (score_events(rep, g), score_toponyms(pl, gt))
        e, t = halves[(lo, hi)]
        print(f"[dev{lo:02d}-dev{hi:02d}] recall {e['recall']:.1%} ({e['n_found']}/{e['n_required']}), "
              f"precision {e['precision']:.1%} ({e['n_correct']}/{e['n_reports']}), "
              f"toponyms {t['accuracy']:.1%} ({t['n_ok']}/{t['n']})")
    return ev, top, halves


@pytest.fixture(scope="module")
def demo_result(gazetteer):
    d = REPO / "data" / "examples"
    reports, _places = run_corpus(d / "articles", d / "metadata.csv", gazetteer)
    gold = _read_gold(d / "expected_events.csv")
    changes = [g for g in gold if g["event_type"] in ("captured", "entered", "withdrew")]
    ev = score_events(reports, changes, required_only=False)
    _print("demo (capture, entry and withdrawal rows)", ev, None)
    return ev, reports


WRITTEN = {name: REPO / "tests" / "data" / name for name in ("written", "written2", "written3", "written4",
                                                                 "written5", "written6", "written7",
                                                                 "written8")}
#: (articles, events, toponyms) of each written set
WRITTEN_SIZES = {"written": (24, 135, 241), "written2": (20, 93, 196), "written3": (15, 60, 110),
                 "written4": (15, 59, 118), "written5": (18, 102, 171),
                 "written6": (18, 50, 167), "written7": (15, 40, 104),
                 "written8": (12, 39, 103)}
#: bars a little below what is reached now (first reads, before any rule saw the texts, in each
#: set's README: 59.7 / 56.2 / 90.0 %, 66.7 / 67.1 / 86.2 %, 68.8 / 61.7 / 91.8 %, 53.1 / 47.5 /
#: 87.3 %, 66.7 / 57.4 / 91.8 %, 71.4 / 64.5 / 83.2 %, 33.3 / 65.2 / 84.6 % and 90.0 / 86.2 / 89.3 %)
WRITTEN_BARS = {"written": (0.78, 0.68, 0.90), "written2": (0.88, 0.70, 0.85), "written3": (0.80, 0.65, 0.88),
                "written4": (0.65, 0.55, 0.85), "written5": (0.90, 0.78, 0.88),
                "written6": (0.80, 0.66, 0.82), "written7": (0.55, 0.66, 0.82),
                "written8": (0.90, 0.80, 0.85)}


@pytest.fixture(scope="module", params=sorted(WRITTEN))
def written_result(request, gazetteer):
    d = WRITTEN[request.param]
    reports, places = run_corpus(d / "articles", d / "metadata.csv", gazetteer)
    ev = score_events(reports, _read_gold(d / "gold_events.csv"))
    top = score_toponyms(places, _read_gold(d / "gold_toponyms.csv"))
    _print(f"{request.param} (this project's own reports, tests/data/{request.param})", ev, top)
    return request.param, ev, top


def test_written_corpus_events(written_result):
    name, ev, _ = written_result
    recall, precision, _top = WRITTEN_BARS[name]
    # measured (fitted): 83.6 %, 95.8 %, 87.5 %, 71.9 %, 100 %, 90.5 %, 61.1 %, 100 % recall
    assert ev["recall"] >= recall
    assert ev["precision"] >= precision  # 74.5 %, 75.9 %, 72.0 %, 61.4 %, 85.7 %, 75.0 %, 74.1 %, 87.5 %


def test_written_corpus_toponyms(written_result):
    name, _, top = written_result
    assert top["accuracy"] >= WRITTEN_BARS[name][2]  # measured 92.5, 89.8, 92.7, 88.1, 93.0, 88.0, 85.6, 89.3 %


@pytest.mark.parametrize("name", sorted(WRITTEN))
def test_written_corpus_gold_quotes_its_articles(name):
    d = WRITTEN[name]
    texts = {p.name: p.read_text(encoding="utf-8") for p in (d / "articles").glob("*.txt")}
    events = _read_gold(d / "gold_events.csv")
    toponyms = _read_gold(d / "gold_toponyms.csv")
    assert (len(texts), len(events), len(toponyms)) == WRITTEN_SIZES[name]
    for g in events:
        assert g["evidence"] in texts[g["file"]], g
        assert g["place_as_written"] in g["evidence"], g
    for g in toponyms:
        assert g["as_written"] in texts[g["file"]], g


def test_seeds_events(seeds_result):
    ev, _ = seeds_result
    assert ev["recall"] >= 1.0  # the bar of issue 12
    assert ev["precision"] >= 0.90


def test_seeds_toponyms(seeds_result):
    _, top = seeds_result
    assert top["accuracy"] >= 1.0


def test_dev_events(dev_result):
    # bars of issue 12: 85 % / 85 % on the whole set, 80 % / 80 % on each half. The figures
    # reached are printed (-s) and guarded here a little below them, so that a regression shows
    ev, _, halves = dev_result
    assert ev["recall"] >= 0.90  # bar 85 %; measured 97.8 %
    assert ev["precision"] >= 0.85  # bar 85 %; measured 93.0 %
    for (lo, _hi), (e, _t) in halves.items():
        assert e["recall"] >= 0.85, (lo, e["recall"])  # bar 80 %
        assert e["precision"] >= 0.85, (lo, e["precision"])  # bar 80 %


def test_dev_day_dates(dev_result):
    ev, _, _ = dev_result
    assert ev["day_exact"] >= 0.90


def test_dev_toponyms(dev_result):
    _, top, _ = dev_result
    assert top["accuracy"] >= 0.95  # the bar of issue 12; measured 95.3 % (389/408)


def test_demo_expected_events(demo_result):
    ev, reports = demo_result
    assert ev["recall"] >= 0.90  # the bar of issue 12; measured 94 %
    # the turning points the maps must show
    must = [("057", "Baghuz", "captured"), ("044", "Tal Afar", "captured"), ("027", "Fallujah", "captured"),
            ("043", "Mosul", "captured"), ("048", "Raqqa", "captured")]
    rows = reports.to_dict("records")
    for prefix, place, etype in must:
        hits = [r for r in rows if r["article"].startswith(prefix) and fold(place) in
                {fold(r["place"]), fold(r["name_as_written"])} and (etype is None or r["event_type"] == etype)]
        assert hits, f"{prefix} {place} {etype} not read"
