"""`mapper geocode` and `mapper gazetteer info` (in this process; one exit-code check through a
process), and the seed acceptance."""

from __future__ import annotations

import csv
import io
import json
import math
import subprocess
import sys


def run(*argv):
    """The command in this process (the gazetteer is loaded once): returncode, stdout, stderr."""
    import contextlib
    import types

    from mapper.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return types.SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())


def _km(lat1, lon1, lat2, lon2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def test_geocode_csv_columns_and_unresolved_warning():
    out = run("geocode", "Deir Ezzor", "Abu Kamal", "Qwxzvbn")
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert list(rows[0]) == ["query", "place_id", "place", "country", "lat", "lon", "feature", "score"]
    assert rows[0]["place_id"] == "geonames:170794"
    assert rows[1]["place_id"] == "geonames:174448"
    assert rows[2]["place_id"] == ""
    assert "Qwxzvbn" in out.stderr and "unresolved" in out.stderr


def test_geocode_json_and_country_filter():
    out = run("geocode", "Sinjar", "--country", "SY", "--format", "json")
    data = json.loads(out.stdout)
    assert data[0]["country"] in ("SY", "")


def test_geocode_empty_name_is_a_usage_error():
    out = subprocess.run([sys.executable, "-m", "mapper.cli", "geocode", " "], capture_output=True, text=True)
    assert out.returncode == 2 and "empty name" in out.stderr and "Traceback" not in out.stderr


def test_gazetteer_info_lists_sources_and_counts():
    out = run("gazetteer", "info")
    assert out.returncode == 0
    assert "places:" in out.stdout and "IQ" in out.stdout and "SOURCES.md" in out.stdout


def test_seed_toponyms_resolve_without_and_with_context(seeds_dir, gazetteer):
    """Acceptance: >= 95 % of the seeds' distinct names placed with no context, 100 % with."""
    rows = list(csv.DictReader((seeds_dir / "gold_toponyms.csv").read_text(encoding="utf-8").splitlines()))
    distinct = {}
    for r in rows:
        distinct.setdefault(r["as_written"], r)
    out = run("geocode", *distinct)
    got = {r["query"]: r for r in csv.DictReader(io.StringIO(out.stdout))}
    ok = sum(
        1 for name, g in distinct.items()
        if got[name]["lat"] and _km(float(got[name]["lat"]), float(got[name]["lon"]), float(g["lat"]), float(g["lon"])) <= float(g["tolerance_km"])
    )
    share = ok / len(distinct)
    print(f"\nseed toponyms, no context: {ok}/{len(distinct)} = {share:.1%}")
    assert share >= 0.95

    gaz = gazetteer
    ok_ctx = 0
    for r in rows:
        text = (seeds_dir / r["file"]).read_text(encoding="utf-8")
        p = gaz.resolve(r["as_written"], context=text)
        ok_ctx += p is not None and _km(p.lat, p.lon, float(r["lat"]), float(r["lon"])) <= float(r["tolerance_km"])
    print(f"seed toponyms, article as context: {ok_ctx}/{len(rows)} = {ok_ctx / len(rows):.1%}")
    assert ok_ctx == len(rows)


def test_dev_toponyms_with_context(dev_dir, gazetteer):
    rows = list(csv.DictReader((dev_dir / "gold_toponyms.csv").read_text(encoding="utf-8").splitlines()))
    gaz = gazetteer
    ok = 0
    misses = []
    for r in rows:
        text = (dev_dir / "articles" / r["file"]).read_text(encoding="utf-8")
        p = gaz.resolve(r["as_written"], context=text)
        good = p is not None and _km(p.lat, p.lon, float(r["lat"]), float(r["lon"])) <= float(r["tolerance_km"])
        ok += good
        if not good:
            misses.append(r["as_written"])
    print(f"\ndev toponyms, article as context: {ok}/{len(rows)} = {ok / len(rows):.1%}; missed {misses}")
    assert ok / len(rows) >= 0.9


def test_geocode_csv_echoes_queries_spreadsheet_safe():
    out = run("geocode", "=HYPERLINK(\"http://x\",\"y\")", "Raqqa")
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert rows[0]["query"] == "'=HYPERLINK(\"http://x\",\"y\")" and rows[1]["place_id"] == "geonames:172955"


def test_geocode_with_a_missing_dump_is_a_usage_error_in_one_line(tmp_path):
    out = run("geocode", "Raqqa", "--geonames", str(tmp_path / "nope.txt"))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "nope.txt" in out.stderr
