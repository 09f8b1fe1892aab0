"""`mapper build` end to end: every output's schema, the seeds' acceptance, the demo's shape,
the stages and their config, and a result for a run with no dated event.

The seeds are built once per session in this process (``seeds_build``), the demo once by the
installed wheel (``demo_run``, see conftest.py); only the exit-code tests start a process.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from mapper.errors import InputError, MapperWarning, OutputError
from mapper.schema import (
    ACTORS,
    AREA_COLUMNS,
    CONTROL_COLUMNS,
    EVENT_TYPES,
    PRECISIONS,
    REPORT_COLUMNS,
)

OUTPUTS = ["index.html", "timeline.html", "events.geojson", "events.csv", "reports.csv", "places.csv",
           "control.csv", "areas.csv", "territory.gpkg", "run.json", "area_chart.png", ".mapper-output"]
REPO = Path(__file__).resolve().parents[1]


def test_build_on_seeds_writes_every_output(seeds_build):
    out = seeds_build.out_dir
    for name in OUTPUTS:
        assert (out / name).is_file(), f"{name} missing"
    snaps = sorted((out / "snapshots").glob("*.html"))
    assert snaps and len(snaps) == len(list((out / "snapshots").glob("*.png")))
    assert seeds_build.exit_code == 0
    # nothing is left beside the output folder
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".out.")]


def test_output_schemas(seeds_build):
    out = seeds_build.out_dir
    reports = pd.read_csv(out / "reports.csv", keep_default_na=False)
    assert list(reports.columns[: len(REPORT_COLUMNS)]) == REPORT_COLUMNS
    events = pd.read_csv(out / "events.csv", keep_default_na=False)
    for col in ["event_id", "place_id", "event_type", "gainer", "loser", "date", "date_precision",
                "sources", "n_sources", "evidence", "lat", "lon"]:
        assert col in events.columns
    assert set(events["event_type"]) <= set(EVENT_TYPES)
    assert set(events["date_precision"]) <= set(PRECISIONS)
    assert set(events["gainer"]) - {""} <= set(ACTORS)
    assert events["lat"].between(-90, 90).all() and events["lon"].between(-180, 180).all()
    assert (events["n_sources"] >= 1).all()
    control = pd.read_csv(out / "control.csv", keep_default_na=False)
    assert list(control.columns[: len(CONTROL_COLUMNS)]) == CONTROL_COLUMNS
    areas = pd.read_csv(out / "areas.csv")
    assert list(areas.columns) == [c for c in AREA_COLUMNS if c != "geometry"]
    gpkg = gpd.read_file(out / "territory.gpkg")
    assert gpkg.crs.to_epsg() == 4326 and len(gpkg) == len(areas)
    fc = json.loads((out / "events.geojson").read_text())
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == len(events)
    lon, lat = fc["features"][0]["geometry"]["coordinates"]
    assert 30 < lon < 50 and 30 < lat < 40  # RFC 7946 order: lon, lat
    run = json.loads((out / "run.json").read_text())
    for key in ("run_id", "versions", "arguments", "inputs", "counts", "skipped", "unresolved", "timings_s",
                "exit_code", "no_map"):
        assert key in run
    assert all(len(f["sha256"]) == 64 for f in run["inputs"])
    assert run["counts"]["articles_read"] == 5
    assert list(run["timings_s"]) == ["gazetteer", "extract", "events", "territory", "tables", "maps"]


def test_run_json_lists_exactly_the_files_read_with_their_encoding(seeds_build, seeds_dir):
    run = json.loads((seeds_build.out_dir / "run.json").read_text())
    by_role: dict[str, list[str]] = {}
    for f in run["inputs"]:
        by_role.setdefault(f["role"], []).append(f["path"])
        assert f["encoding"], f
    assert sorted(by_role["articles"]) == sorted(str(p) for p in seeds_dir.glob("*.txt"))
    assert by_role["metadata"] == [str(seeds_dir / "metadata.csv")]


def test_seed_territory_acceptance(seeds_build):
    """Issue 5 acceptance on extracted events: weekly snapshots Oct-Nov 2017."""
    ctl = seeds_build.control

    def holder(pid, day):
        day = pd.Timestamp(day)
        rows = ctl[(ctl["place_id"] == pid) & (pd.to_datetime(ctl["valid_from"]) <= day)
                   & ((ctl["valid_to"].isna()) | (pd.to_datetime(ctl["valid_to"]) > day))]
        return set(zip(rows["holder"], rows["state"]))

    assert ("IS", "held") in holder("geonames:172955", "2017-10-16")
    assert ("SDF", "held") in holder("geonames:172955", "2017-10-18")
    assert ("Syrian government", "held") in holder("geonames:170794", "2017-11-04")
    assert ("Iraqi government", "held") in holder("geonames:92138", "2017-11-04")
    res = seeds_build
    is_area = (res.areas[(res.areas["actor"] == "IS") & (res.areas["state"] == "held")]
               .groupby("date")["area_km2"].sum())
    print("\nIS held km² per weekly snapshot (extracted seed events):")
    for d, a in is_area.items():
        print(f"  {pd.Timestamp(d).date()}  {a:>10,.0f}")
    assert is_area.is_monotonic_decreasing
    assert is_area.iloc[-1] < is_area.iloc[0]


def test_demo_is_area_rises_then_shrinks(demo_run):
    """Issue 7: on the demo corpus the IS area rises in 2014-2015 and shrinks 2015 -> 2019."""
    proc, out = demo_run
    assert proc.returncode == 0, proc.stderr[-2000:]
    areas = pd.read_csv(out / "areas.csv")
    held = areas[(areas["actor"] == "IS") & (areas["state"] == "held")]
    series = held.groupby("date")["area_km2"].sum()
    series.index = pd.to_datetime(series.index)
    early = series[series.index < "2014-07-01"].iloc[0]
    peak = series[(series.index >= "2014-07-01") & (series.index < "2016-01-01")].max()
    late2017 = series[(series.index >= "2017-10-01") & (series.index < "2018-01-01")].mean()
    last = series.iloc[-1]
    print(f"\ndemo IS area: first {early:,.0f}, 2014-15 peak {peak:,.0f}, late 2017 {late2017:,.0f}, last {last:,.0f} km²")
    assert peak > early
    assert late2017 < peak
    assert last < 0.5 * peak


# ------------------------------------------------------------------------------ config and stages


def test_build_config_is_shared_with_the_cli():
    """Every option of BuildConfig is a flag of `mapper build` (and `mapper demo`), same name."""
    from mapper.cli import make_parser
    from mapper.pipeline import BuildConfig

    parser = make_parser()
    options = {f.name for f in dataclasses.fields(BuildConfig)} - {"inputs", "out_dir", "progress", "argv"}
    for command in (["build", "x.txt"], ["demo"]):
        args = parser.parse_args(command)
        missing = {o for o in options if not hasattr(args, o)} - ({"metadata"} if command == ["demo"] else set())
        assert not missing, f"mapper {command[0]} lacks flags for {sorted(missing)}"
    args = parser.parse_args(["build", "a.txt", "b.jsonl", "--out", "o", "--every", "week", "--radius-km", "25",
                              "--force", "--follow-links", "--jobs", "2", "--since", "2017-01-01"])
    cfg = BuildConfig.from_args(args, inputs=args.paths, metadata=args.metadata, out_dir=args.out)
    assert cfg.inputs == (Path("a.txt"), Path("b.jsonl")) and cfg.out_dir == Path("o")
    assert (cfg.every, cfg.radius_km, cfg.force, cfg.follow_links, cfg.jobs, cfg.since) == \
        ("week", 25.0, True, True, 2, "2017-01-01")


def test_check_refuses_bad_options_before_any_work(tmp_path):
    from mapper.pipeline import BuildConfig, check

    art = tmp_path / "a.txt"
    art.write_text("Iraqi troops captured Rawa.\n", encoding="utf-8")
    ok = BuildConfig.create([art], tmp_path / "out")
    plan = check(ok)
    assert plan.inputs == [art] and plan.radius_km > 0
    for bad, word in [({"every": "day"}, "--every"), ({"jobs": 0}, "--jobs"), ({"actor": "Martians"}, "--actor"),
                      ({"radius_km": -5.0}, "--radius-km"), ({"radius_km": float("nan")}, "--radius-km"),
                      ({"since": "2018-01-01", "until": "2017-01-01"}, "swap"), ({"since": "last week"}, "--since"),
                      ({"metadata": tmp_path / "none.csv"}, "--metadata"), ({"engine": "spark"}, "--engine")]:
        with pytest.raises(InputError, match=word):
            check(dataclasses.replace(ok, **bad))
    with pytest.raises(InputError, match="no such input"):
        check(dataclasses.replace(ok, inputs=(tmp_path / "nope.txt",)))
    with pytest.raises(OutputError, match="contains the input"):
        check(dataclasses.replace(ok, out_dir=tmp_path))
    assert not (tmp_path / "out").exists()


def test_stages_run_one_by_one(tmp_path, gazetteer):
    """The stage functions are usable on their own, in the order run() calls them."""
    from mapper import pipeline
    from mapper.runreport import RunReport
    from mapper.workers import load_lexicon

    art = tmp_path / "arts" / "a.txt"
    art.parent.mkdir()
    art.write_text("Iraqi troops captured Rawa from the Islamic State on 3 November 2017.\n", encoding="utf-8")
    plan = pipeline.check(pipeline.BuildConfig.create([art.parent], tmp_path / "out"))
    report = RunReport(started=plan.started)
    lookups = pipeline.Lookups(gazetteer, load_lexicon(None), None, None, None)
    extraction = pipeline.extract_articles(plan, lookups, report)
    assert extraction.n_read == 1 and len(extraction.reports) == 1
    events = pipeline.make_events(plan, extraction, lookups, report)
    assert list(events["place"]) == ["Rawa"]
    terr = pipeline.model_territory(plan, events, lookups)
    assert list(terr.dates) == [pd.Timestamp("2017-11-03")]
    assert set(terr.areas[terr.areas["state"] == "held"]["actor"]) == {"Iraqi government"}
    (tmp_path / "tables").mkdir()
    pipeline.write_tables(tmp_path / "tables", extraction, events, terr)
    assert {p.name for p in (tmp_path / "tables").iterdir()} == {
        "reports.csv", "places.csv", "events.csv", "events.geojson", "control.csv", "territory.gpkg", "areas.csv"}
    report.write(tmp_path / "run.json")
    run = json.loads((tmp_path / "run.json").read_text())
    assert run["inputs"][0]["path"] == str(art) and run["inputs"][0]["encoding"] == "utf-8"


def test_cli_prints_the_summary_and_where_to_click(tmp_path, capsys):
    from mapper.cli import main

    art = tmp_path / "a.txt"
    art.write_text("Iraqi troops captured Rawa from the Islamic State on 3 November 2017.\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MapperWarning)
        assert main(["build", str(art), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "articles read 1, skipped 0" in out and "open " in out and "index.html" in out


# ------------------------------------------------------------------------------ always a result


_UNDATED = "Town changes hands\n\nIraqi troops captured Rawa from the Islamic State, officials said.\n"


def _no_map_build(tmp_path: Path, files: dict[str, str | bytes], *extra: str, process: bool = False):
    """(exit code, stderr, output folder) of `mapper build` on ``files``, in a process or in this one."""
    arts = tmp_path / "arts"
    arts.mkdir()
    for name, body in files.items():
        (arts / name).write_bytes(body if isinstance(body, bytes) else body.encode("utf-8"))
    out = tmp_path / "out"
    argv = ["build", str(arts), "--out", str(out), "--quiet", *extra]
    if process:
        p = subprocess.run([sys.executable, "-m", "mapper.cli", *argv], capture_output=True, text=True, timeout=300,
                           cwd=tmp_path)
        return p.returncode, p.stderr, out
    import contextlib
    import io

    from mapper.cli import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), warnings.catch_warnings():
        warnings.simplefilter("ignore", MapperWarning)
        code = main(argv)
    return code, err.getvalue(), out


@pytest.mark.parametrize("case", ["undated", "all skipped", "since after the last event"])
def test_no_dated_event_still_writes_the_tables_run_json_and_index_page(tmp_path, case):
    """Issue 16: no dated event ends with exit 1 (not 2), run.json, the tables and an index page
    that says why there is no map, listing the skipped inputs and the undated evidence."""
    if case == "undated":  # through a process: the exit code and no traceback
        code, err, out = _no_map_build(tmp_path, {"a.txt": _UNDATED}, process=True)
    elif case == "all skipped":
        code, err, out = _no_map_build(tmp_path, {"empty.txt": b"", "blob.txt": bytes(range(256)) * 8})
    else:
        code, err, out = _no_map_build(tmp_path, {"a.txt": "Iraqi troops captured Rawa from the Islamic State on 3 "
                                                            "November 2017.\n"}, "--since", "2018-01-01")
    assert code == 1, err
    assert "Traceback" not in err
    assert "no map:" in err
def test_a_run_that_fails_midway_exits_3_and_keeps_the_previous_outputs(tmp_path, monkeypatch):
    """A failure after the work started (here: the disk fills while the tables are written) is a
    RunError naming the stage; the previous complete outputs stay in place."""
    from mapper import outputs, pipeline
    from mapper.errors import RunError

    art = tmp_path / "a.txt"
    art.write_text("Iraqi troops captured Rawa from the Islamic State on 3 November 2017.\n", encoding="utf-8")
    out = tmp_path / "out"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MapperWarning)
        pipeline.build([art], out)
    before = sorted(p.name for p in out.iterdir())
    real = outputs.atomic_write  # every table goes through it (events.csv a part at a time)

    def full_disk(path, write, **kw):
        if Path(path).name == "events.csv":
            raise OSError(28, "No space left on device", str(path))
        return real(path, write, **kw)

    monkeypatch.setattr(outputs, "atomic_write", full_disk)
    with pytest.raises(RunError, match="'tables' stage.*No space left on device") as info, warnings.catch_warnings():
        warnings.simplefilter("ignore", MapperWarning)
        pipeline.build([art], out)
    assert str(out) in str(info.value)
    assert sorted(p.name for p in out.iterdir()) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]
