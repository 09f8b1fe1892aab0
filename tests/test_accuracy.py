"""Extraction and toponym accuracy on the reference corpora (``../shared/seeds`` and ``dev``).

Matching rules (issue 4): a report matches a gold row when the file and the place id agree
(or, for gold places the gazetteer lacks, the folded names), the event types agree, gainer
and loser agree where the gold names them, and the dates agree at the gold's precision
(exact day; a week within 7 days; the same month; the same year; any date when the gold
date is unknown). Recall counts ``required=yes`` rows; precision counts every report
against all gold rows. Toponyms: every gold string is found in its file and placed within
its ``tolerance_km``.

Run with ``-s`` to see the figures: ``pytest tests/test_accuracy.py -s``.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pandas as pd
import pytest

from mapper.articles import iter_articles
from mapper.extract import extract_corpus, find_places
from mapper.names import fold


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


def _matches(report, gold: dict) -> bool:
    if report["article"] != gold["file"]:
        return False
    if gold["geonameid"]:
        if report["place_id"] != f"geonames:{gold['geonameid']}":
            return False
    elif fold(report["name_as_written"]) != fold(gold["place_as_written"]):
        return False
    if report["event_type"] != gold["event_type"]:
        return False
    for side in ("gainer", "loser"):
        if gold[side] and report[side] != gold[side]:
            return False
    return _same_date(report, gold)


def score_events(reports: pd.DataFrame, gold: list[dict]) -> dict:
    """Recall over required rows, precision over all reports, F1, and the misses."""
    required = [g for g in gold if g["required"] == "yes"]
    rows = reports.to_dict("records")
    found = [g for g in required if any(_matches(r, g) for r in rows)]
    correct = [r for r in rows if any(_matches(r, g) for g in gold)]
    recall = len(found) / len(required) if required else 1.0
    precision = len(correct) / len(rows) if rows else 1.0
    f1 = 2 * recall * precision / (recall + precision) if recall + precision else 0.0
    return {
        "recall": recall, "precision": precision, "f1": f1,
        "n_required": len(required), "n_found": len(found), "n_reports": len(rows),
        "n_correct": len(correct),
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
    paths = sorted(articles_dir.glob("*.txt"))
    reports = extract_corpus(iter_articles(paths, metadata=metadata), gazetteer)
    frames = [find_places(a, gazetteer) for a in iter_articles(paths, metadata=metadata)]
    places = pd.concat(frames, ignore_index=True)
    return reports, places


def _print(name: str, ev: dict, top: dict) -> None:
    print(
        f"\n[{name}] events: recall {ev['recall']:.1%} ({ev['n_found']}/{ev['n_required']} required), "
        f"precision {ev['precision']:.1%} ({ev['n_correct']}/{ev['n_reports']} reports), F1 {ev['f1']:.3f}; "
        f"toponyms found and placed {top['accuracy']:.1%} ({top['n_ok']}/{top['n']})"
    )
    for g in ev["missed"]:
        print(f"  missed: {g['file']} {g['place_as_written']} {g['event_type']} {g['loser']}->{g['gainer']} {g['event_date']}")
    for r in ev["wrong"]:
        d = "" if pd.isna(r["date"]) else pd.Timestamp(r["date"]).date().isoformat()
        print(f"  unmatched report: {r['article']} {r['name_as_written']} {r['event_type']} {r['loser']}->{r['gainer']} {d} {r['date_precision']} | {r['evidence'][:150]}")
    for g in top["missed"]:
        print(f"  toponym missed: {g['file']} {g['as_written']}")


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
    ev = score_events(reports, _read_gold(dev_dir / "gold_events.csv"))
    top = score_toponyms(places, _read_gold(dev_dir / "gold_toponyms.csv"))
    _print("dev", ev, top)
    return ev, top


def test_seeds_events(seeds_result):
    # targets 100 % / 90 %; reached 100 % / 100 % (32 reports)
    ev, _ = seeds_result
    assert ev["recall"] == 1.0
    assert ev["precision"] >= 0.95


def test_seeds_toponyms(seeds_result):
    _, top = seeds_result
    assert top["accuracy"] == 1.0


def test_dev_events(dev_result):
    # targets 85 % / 85 %; reached recall 91 % (31/34), precision 88 % (38/43): guard that,
    # less one gold row or one stray report
    ev, _ = dev_result
    assert ev["recall"] >= 0.88
    assert ev["precision"] >= 0.86


def test_dev_toponyms(dev_result):
    # issue 4 targets 95 %; reached 96 % (121/126). Names the gazetteer lacks are placed
    # approximately at the place the text ties them to ("the neighbourhood of N",
    # "N and M neighbourhoods"). The misses: two misspellings of Rutba in one report, a
    # village resolved to an Iraqi namesake, a lowercase "ancient citadel" and a quarter
    # named only as an entrance.
    _, top = dev_result
    assert top["accuracy"] >= 0.95
