"""Bad inputs through ``mapper build`` and ``mapper.pipeline.build`` (issue 8, "Bad input").

One corpus holds every bad input of the issue beside good articles: an empty file, a binary
file, a 100 MB text file, cp1252 and UTF-16 (BOM) text, JSON Lines with one broken line, a
metadata CSV with unparseable dates, an unknown column and a row naming a missing file,
articles dated in the future, an overrides CSV naming an unknown place, an actor lexicon
naming an unknown actor and a GeoNames dump with bad rows. The same corpus goes through the
command (a subprocess) and the Python API; each bad input must come out with a message that
names it and the fix, the good articles must still give their events, ``run.json`` must list
every problem and the exit code must be 1 (done, with skipped inputs).

Inputs that make a run impossible (an output folder that cannot be written, an unknown
``--actor``, a missing ``--metadata`` file) end with exit code 2 and a clear message, before
any work, and leave nothing behind.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest

from mapper.errors import InputError, MapperWarning, OutputError
from mapper.pipeline import build

REPO = Path(__file__).resolve().parents[1]

# (geonameid, name, lat, lon, country): the places the good articles name
_PLACES = [
    (92004, "Rawa", 34.48331, 41.91603, "IQ"),
    (173480, "Mayadin", 35.02089, 40.45346, "SY"),
    (9990001, "Hajin", 34.694, 40.831, "SY"),
    (9990002, "Anah", 34.372, 41.987, "IQ"),
    (9990003, "Al Qaim", 34.369, 41.094, "IQ"),
]


def _geonames_row(gid, name, lat, lon, cc) -> str:
    cols = [str(gid), name, name, name, f"{lat}", f"{lon}", "P", "PPL", cc, "", "", "", "", "",
            "20000", "", "200", "Asia/Damascus", "2020-01-01"]
    assert len(cols) == 19
    return "\t".join(cols)


# Text written for these tests; every sentence is our own.
_GOOD = """Army retakes border town

Iraqi troops recaptured the town of Rawa from Islamic State fighters on Friday, an army spokesman said.
"""
_CP1252 = """Offensive on the Euphrates \u2013 day three

Syrian government forces captured Mayadin from the Islamic State on 14 October 2017, the caf\u00e9 owners said \u201cthe shelling has stopped\u201d.
"""
_UTF16 = """Last pocket shrinks

The SDF captured Hajin from the Islamic State on 14 December 2018, a coalition statement said.
"""
_FILLER = ("The market in the old quarter reopened and the bakers lit their ovens before dawn. "
           "Water trucks queued at the bridge while engineers checked the cables. ")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict:
    d = tmp_path_factory.mktemp("bad-inputs")
    arts = d / "articles"
    arts.mkdir()
    (arts / "good.txt").write_text(_GOOD, encoding="utf-8")
    (arts / "cp1252.txt").write_bytes(_CP1252.encode("cp1252"))
    (arts / "utf16.txt").write_bytes(_UTF16.encode("utf-16"))  # with its BOM
    (arts / "empty.txt").write_bytes(b"")
    (arts / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 40)
    (arts / "future.txt").write_text("Town changes hands\n\nIraqi troops captured Anah from the Islamic "
                                     "State on Monday, officials said.\n", encoding="utf-8")
    big = arts / "huge.txt"
    block = (_FILLER * 200).encode("utf-8")
    with big.open("wb") as fh:
        for _ in range(100 * 2**20 // len(block) + 1):
            fh.write(block)
    assert big.stat().st_size >= 100 * 2**20
    jsonl = arts / "feed.jsonl"
    jsonl.write_text(
        json.dumps({"id": "feed-1", "published": "2017-11-05", "title": "Border crossing",
                    "text": "Iraqi forces captured Al Qaim from the Islamic State on 3 November 2017."}) + "\n"
        + '{"id": "feed-2", "text": "this line is cut off\n'
        + json.dumps({"id": "feed-3", "published": "2099-01-01", "title": "From the future",
                      "text": "Iraqi forces captured Rawa from the Islamic State on 1 January 2099."}) + "\n",
        encoding="utf-8")
    meta = d / "metadata.csv"
    meta.write_text(
        "file,published,editor\n"
        "good.txt,2017-11-19,ann\n"
        "cp1252.txt,not a date,bob\n"
        "utf16.txt,2018-12-15,cy\n"
        "future.txt,2099-05-01,dee\n"
        "missing.txt,2017-10-01,eve\n",
        encoding="utf-8")
    overrides = d / "overrides.csv"
    overrides.write_text("action,place,date,note\ndrop,Atlantis,2017-10,no such place\n", encoding="utf-8")
    overrides_add = d / "overrides_add.csv"
    overrides_add.write_text("action,place,date,event_type,gainer,loser\n"
                             "add,Atlantis,2017-10-02,captured,SDF,IS\n", encoding="utf-8")
    actors = d / "actors.csv"
    actors.write_text("pattern,actor\nblue helmets,Martians\n", encoding="utf-8")
    geonames = d / "geonames.txt"
    rows = [_geonames_row(*p) for p in _PLACES]
    rows.insert(1, "170001\tBroken row\twith only\tfive columns\t35.0")
    rows.insert(3, _geonames_row(170002, "Nowhere", "north", "east", "SY"))
    rows.insert(4, _geonames_row(170003, "Offmap", 123.0, 40.0, "SY"))
    geonames.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return {"dir": d, "articles": arts, "metadata": meta, "overrides": overrides,
            "overrides_add": overrides_add, "actors": actors, "geonames": geonames}


#: (input name as it appears in messages, words the reason must contain)
_EXPECTED = [
    ("empty.txt", "empty"),
    ("binary.txt", "binary"),
    ("huge.txt", "too large"),
    ("feed.jsonl, line 2", "not valid json"),
    ("metadata.csv", "editor"),                # unknown column
    ("metadata.csv", "missing.txt"),           # a row naming no input file
    ("metadata.csv", "not a date"),            # unparseable date
    ("future.txt", "future"),
    ("feed-3", "future"),
    ("actors.csv", "martians"),
    ("geonames.txt, line 2", "columns"),
    ("geonames.txt, line 4", "coordinates"),
    ("geonames.txt, line 5", "coordinates"),
]


def _check_records(records: list[dict], *, overrides_line: str, overrides_word: str) -> None:
    """Every bad input is recorded with a reason and a fix."""
    for name, word in _EXPECTED + [(overrides_line, overrides_word)]:
        hits = [r for r in records if name in r["input"] + " " + r["reason"]
                and word in (r["input"] + " " + r["reason"]).lower()]
        assert hits, f"nothing recorded for {name} ({word!r}): {json.dumps(records, indent=1)}"
        for r in hits:
            assert r["fix"].strip(), f"no fix given for {r}"
    decoded = " ".join(r["input"] for r in records)
    for good in ("good.txt", "cp1252.txt", "utf16.txt"):
        assert good + ":" not in decoded and not any(r["input"].endswith(good) and not r["repaired"]
                                                     for r in records), f"{good} was skipped"


def _check_events(events_csv: Path) -> None:
    """The good articles (every encoding, the good JSON Lines records) still gave their events."""
    import pandas as pd

    ev = pd.read_csv(events_csv, keep_default_na=False)
    got = set(ev["place"])
    for place in ("Rawa", "Mayadin", "Hajin", "Al Qaim"):
        assert place in got, f"{place} missing from events: {sorted(got)}"
    dates = pd.to_datetime(ev["date"].replace("", None))
    assert (dates.dropna() <= pd.Timestamp.now()).all(), "an event dated in the future was kept"


def _common_args(c: dict, overrides: Path) -> list[str]:
    return ["--metadata", str(c["metadata"]), "--overrides", str(overrides), "--actors", str(c["actors"]),
            "--geonames", str(c["geonames"]), "--every", "month", "--quiet"]


def _cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mapper.cli", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO)


def test_bad_inputs_through_the_command(corpus, tmp_path):
    out = tmp_path / "out"
    p = _cli("build", str(corpus["articles"]), "--out", str(out), *_common_args(corpus, corpus["overrides"]))
    assert p.returncode == 1, p.stderr
    assert "Traceback" not in p.stderr, p.stderr
    for name, word in _EXPECTED:
        lines = [ln for ln in p.stderr.splitlines() if name in ln and word in ln.lower()]
        assert lines, f"stderr says nothing about {name} ({word}):\n{p.stderr}"
    assert "Atlantis" in p.stderr and "overrides.csv, line 2" in p.stderr
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    _check_records(run["skipped"], overrides_line="overrides.csv, line 2", overrides_word="atlantis")
    assert run["counts"]["articles_skipped"] >= 5
    _check_events(out / "events.csv")
    assert not list(tmp_path.glob(".out.*")), "staging or work folders left behind"


def test_bad_inputs_through_the_api(corpus, tmp_path):
    out = tmp_path / "out"
    result = build([corpus["articles"]], out, metadata=corpus["metadata"], overrides=corpus["overrides_add"],
                   actors=corpus["actors"], geonames=corpus["geonames"], every="month")
    assert result.exit_code == 1
    records = [{"input": s.input, "reason": s.reason, "fix": s.fix, "repaired": s.repaired} for s in result.skipped]
    # an 'add' of a place nobody knows, without coordinates: the file is not applied, and says why
    _check_records(records, overrides_line="overrides_add.csv, line 2", overrides_word="lat and lon")
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["skipped"] == records
    _check_events(out / "events.csv")
    assert not list(tmp_path.glob(".out.*"))


def _unwritable(tmp_path: Path) -> Path:
    """A folder nobody can create, root included: its parent is a regular file."""
    afile = tmp_path / "afile"
    afile.write_text("not a folder\n")
    return afile / "out"


@pytest.mark.parametrize("case", ["unwritable", "actor", "metadata"])
def test_unrecoverable_inputs_end_with_exit_2(corpus, tmp_path, case):
    out = tmp_path / "out"
    extra: list[str] = []
    if case == "unwritable":
        out = _unwritable(tmp_path)
    elif case == "actor":
        extra = ["--actor", "Martians"]
    else:
        extra = ["--metadata", str(tmp_path / "nope.csv")]
    good = corpus["articles"] / "good.txt"
    p = _cli("build", str(good), "--out", str(out), "--quiet", *extra, timeout=120)
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert "Traceback" not in p.stderr
    msg = p.stderr
    expect = {"unwritable": [str(out.parent), "--out"], "actor": ["Martians", "IS"],
              "metadata": ["nope.csv", "file,published"]}[case]
    for word in expect:
        assert word in msg, msg
    assert not out.exists()
    assert not [x for x in tmp_path.iterdir() if x.name.startswith(".out")]

    kwargs = {"unwritable": {}, "actor": {"actor": "Martians"}, "metadata": {"metadata": tmp_path / "nope.csv"}}[case]
    error = OutputError if case == "unwritable" else InputError
    with pytest.raises(error) as info:
        build([good], out, **kwargs)
    for word in expect:
        assert word in str(info.value)


# ------------------------------------------------------------------------------ issue 16
# Each case of the adversarial pass: the input that ended the run now ends one record, with the
# reason and the fix on stderr and in run.json, and the run goes on.

_POISON_GOOD = {"id": "good", "published": "2017-11-05", "title": "Border crossing",
                "text": "Iraqi forces captured Al Qaim from the Islamic State on 3 November 2017."}


def _poison_jsonl(path: Path) -> Path:
    lines = [
        json.dumps(_POISON_GOOD),
        '{"id": "deep", "text": ' + "[" * 100_000 + "]" * 100_000 + "}",
        '{"id": "bignum", "published": "2017-11-06", "text": "A quiet day in the market.", "n": ' + "7" * 4400 + "}",
        '{"id": "surrogate", "published": "2017-11-02", "title": "\\ud83d", '
        '"text": "Iraqi forces captured Rawa \\ud83d from the Islamic State on 1 November 2017."}',
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_poison_json_lines_build_with_exit_1_and_the_good_event(tmp_path):
    """Done when (issue 16): one good record and the poison records build with exit 1; the good
    record's event is in events.csv and run.json lists each poison record with its reason."""
    feed = _poison_jsonl(tmp_path / "feed.jsonl")
    out = tmp_path / "out"
    p = _cli("build", str(feed), "--out", str(out), "--quiet", timeout=300)
    assert p.returncode == 1, p.stderr
    assert "Traceback" not in p.stderr
    events = pd.read_csv(out / "events.csv", keep_default_na=False)
    assert "Al Qaim" in set(events["place"])
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    why = {r["input"]: r for r in run["skipped"]}
    assert "nested too deeply" in why["feed.jsonl, line 2"]["reason"]
    assert "digits kept as text" in why["feed.jsonl, line 3"]["reason"]
    assert "lone surrogate" in why["feed.jsonl, line 4"]["reason"]
    assert all(r["fix"] for r in run["skipped"])
    for line in ("feed.jsonl, line 2", "feed.jsonl, line 3", "feed.jsonl, line 4"):
        assert line in p.stderr
    # the surrogate record was read and written as UTF-8: its event is there too
    assert "Rawa" in set(events["place"])


def _main(*argv: str) -> subprocess.CompletedProcess:
    """A command in this process: exit code, stdout and stderr (what `_cli` gives, faster)."""
    import contextlib

    from mapper.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), warnings.catch_warnings():
        warnings.simplefilter("ignore", MapperWarning)
        code = main(list(argv))
    return subprocess.CompletedProcess(argv, code, out.getvalue(), err.getvalue())


def test_extract_and_places_survive_the_poison_records(tmp_path):
    feed = _poison_jsonl(tmp_path / "feed.jsonl")
    for command in ("extract", "places"):
        p = _main(command, str(feed))
        assert p.returncode == 1, (command, p.stderr)
        assert "Traceback" not in p.stderr and "nested too deeply" in p.stderr
        assert "Al Qaim" in p.stdout


def test_extract_with_a_date_outside_the_supported_range(tmp_path):
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps({"id": "far", "published": "9999-12-31",
                                "text": "Iraqi forces captured Rawa from the Islamic State on 1 November 2017."}) + "\n",
                    encoding="utf-8")
    p = _main("extract", str(feed))
    assert p.returncode == 0, p.stderr  # repaired, not skipped: the date is dropped, the report kept
    assert "supported range" in p.stderr
    assert "Rawa" in p.stdout


def test_extract_of_a_missing_file_is_a_usage_error(tmp_path):
    p = _cli("extract", str(tmp_path / "nonexistent.txt"), timeout=120)  # a process: exit code, no traceback
    assert p.returncode == 2 and "no such input" in p.stderr and "Traceback" not in p.stderr
    p = _main("places", str(tmp_path / "nonexistent.txt"))
    assert p.returncode == 2 and "no such input" in p.stderr


# -- the user's own files: checked up front, bad rows reported once, the run goes on


def _one_article(tmp_path: Path) -> tuple[Path, Path]:
    arts = tmp_path / "articles"
    arts.mkdir()
    (arts / "a.txt").write_text("Army retakes border town\n\nIraqi troops recaptured the town of Rawa from Islamic "
                                "State fighters on 17 November 2017, an army spokesman said.\n", encoding="utf-8")
    (arts / "b.txt").write_text("Advance along the river\n\nSyrian government forces captured Mayadin from the "
                                "Islamic State on 14 October 2017, state media reported.\n", encoding="utf-8")
    return arts, tmp_path / "out"


def test_bad_override_rows_are_reported_and_the_good_ones_applied(tmp_path):
    arts, out = _one_article(tmp_path)
    overrides = tmp_path / "overrides.csv"
    rows = [
        "action,place,date,event_type,gainer,loser,lat,lon,confidence,note",
        "correct,Rawa,2017-11,,,,,,abc,confidence is not a number",
        "add,Hajin,2017-12-14,captured,SDF,IS,abc,40.83,,lat is not a number",
        "add,Hajin,2017-12-14,captured,SDF,IS,nan,40.83,,lat is nan",
        "add,Hajin,2017-12-14,captured,SDF,IS,34.69,inf,,lon is infinite",
        'add,Hajin,2017-12-14,captured,SDF,IS,"95,400",40.83,,a thousands separator',
        "add,Hajin,2017-12-14,captured,$\\frac{1}{0}$,IS,34.69,40.83,,mathtext in the gainer",
        "add,Anah,2017-11-20,captured,Iraqi government,IS,34.372,41.987,0.9,Caf\u00e9 owners saw the flag change",
    ]
    overrides.write_bytes(("\n".join(rows) + "\n").encode("latin-1"))  # not UTF-8
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MapperWarning)
        result = build([arts], out, overrides=overrides, every="month")
    assert result.exit_code == 1
    bad = {r.input.rsplit(", ", 1)[-1]: r for r in result.skipped if "overrides.csv, line" in r.input}
    assert sorted(bad) == [f"line {n}" for n in range(2, 8)], sorted(bad)
    assert "confidence 'abc' is not a number" in bad["line 2"].reason
    assert "lat 'abc' is not a number" in bad["line 3"].reason
    assert "'nan' is not a finite number" in bad["line 4"].reason
    assert "'inf' is not a finite number" in bad["line 5"].reason
    assert "'95,400' is not a number" in bad["line 6"].reason
    assert "gainer" in bad["line 7"].reason and "not one of" in bad["line 7"].reason
    assert all(r.fix for r in bad.values())
    anah = result.events[result.events["place"] == "Anah"]
    assert len(anah) == 1 and anah.iloc[0]["evidence"] == "Caf\u00e9 owners saw the flag change"
    assert (out / "area_chart.png").is_file() and (out / "index.html").is_file()
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    (entry,) = [f for f in run["inputs"] if f["role"] == "overrides"]
    assert entry["encoding"] == "cp1252"


@pytest.mark.timeout(120)
def test_bad_actor_rows_and_dangerous_patterns_are_left_out(tmp_path):
    arts, out = _one_article(tmp_path)
    (arts / "c.txt").write_text("Slow sentence\n\n" + "a" * 30 + " troops held the town.\n", encoding="utf-8")
    actors = tmp_path / "actors.csv"
    actors.write_bytes((
        "pattern,actor\n"
        "re:(?:a+)+b,IS\n"                # exponential backtracking on 'aaaa...'
        "re:[unclosed,IS\n"               # not a regular expression
        "the black banners,Martians\n"    # unknown actor
        "re:(x|x)*y,IS\n"                 # a repeated alternation of the same text
        "les forces d'\u00e9lite,Iraqi government\n"  # a good row, in a latin-1 file
    ).encode("latin-1"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MapperWarning)
        result = build([arts], out, actors=actors, every="month")
    assert result.exit_code == 1
    bad = {r.input.rsplit(", ", 1)[-1]: r.reason for r in result.skipped if "actors.csv, line" in r.input}
    assert "exponential" in bad["line 2"] and "quantifier" in bad["line 2"]
    assert "not a valid regular expression" in bad["line 3"]
    assert "Martians" in bad["line 4"]
    assert "exponential" in bad["line 5"]
    assert "line 6" not in bad
    assert {"Rawa", "Mayadin"} <= set(result.events["place"])


# -- inputs as given, and run.json saying exactly what was read


def test_run_json_lists_exactly_the_files_read(tmp_path):
    arts = tmp_path / "articles"
    arts.mkdir()
    (arts / "a.txt").write_bytes(_CP1252.encode("cp1252"))
    (arts / "b.txt").write_bytes(_UTF16.encode("utf-16"))
    (arts / "notes").mkdir()
    (arts / "notes" / "draft.txt").write_text(_GOOD, encoding="utf-8")   # a subfolder: not read
    (tmp_path / "secret.txt").write_text("Private notes about Rawa.\n", encoding="utf-8")
    (arts / "passwd.txt").symlink_to(tmp_path / "secret.txt")               # out of the folder
    out = arts / "out"                                                       # the output inside the input
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MapperWarning)
        for _ in range(2):  # the second run sees the first one's output (and its staging) inside
            result = build([arts], out)
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    read = {Path(f["path"]).name: f["encoding"] for f in run["inputs"] if f["role"] == "articles"}
    assert read == {"a.txt": "cp1252", "b.txt": "utf-16"}
    reasons = {Path(r["input"]).name: r["reason"] for r in run["skipped"]}
    assert "symbolic link" in reasons["passwd.txt"] and "notes" in reasons
    assert "out" not in reasons, "the run's own output folder was taken for an input"
    assert {"Mayadin", "Hajin"} <= set(result.events["place"])


def test_follow_links_reads_what_the_links_point_to(tmp_path):
    arts = tmp_path / "articles"
    arts.mkdir()
    (tmp_path / "elsewhere.txt").write_text(_GOOD, encoding="utf-8")
    (arts / "linked.txt").symlink_to(tmp_path / "elsewhere.txt")
    meta = tmp_path / "meta.csv"
    meta.write_text("file,published\nlinked.txt,2017-11-19\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MapperWarning)
        result = build([arts], tmp_path / "out", metadata=meta, follow_links=True)
    assert result.exit_code == 0 and "Rawa" in set(result.events["place"])


@pytest.mark.timeout(120)
def test_a_fifo_given_as_input_is_refused_not_waited_on(tmp_path):
    import os

    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    good = tmp_path / "good.txt"
    good.write_text(_GOOD, encoding="utf-8")
    p = _main("build", str(fifo), str(good), "--out", str(tmp_path / "out"), "--quiet")
    assert p.returncode == 1 and "named pipe" in p.stderr


def test_no_nul_byte_or_raw_formula_reaches_a_csv(tmp_path, capsys):
    from mapper.cli import main

    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps({"id": '=HYPERLINK("http://127.0.0.1/x","y")', "published": "2017-11-05",
                                "title": "@sum(1)", "text": "Iraqi forces captured Al Qaim\u0000 from the Islamic "
                                "State on 3 November 2017."}) + "\n", encoding="utf-8")
    outputs = {}
    for command, extra in (("extract", []), ("extract", ["-o", str(tmp_path / "r.csv")]), ("places", []),
                           ("places", ["-o", str(tmp_path / "p.csv")])):
        assert main([command, str(feed), *extra]) == 0
        text = (tmp_path / extra[1]).read_text(encoding="utf-8") if extra else capsys.readouterr().out
        outputs[f"{command} {'-o' if extra else 'stdout'}"] = text
    for name, text in outputs.items():
        cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
        assert "\x00" not in text, name
        assert not [c for c in cells if c[:1] in ("=", "@", "+")], f"{name}: raw formula cells"
        assert any(c.startswith("'=HYPERLINK(") for c in cells), name


def test_a_full_disk_is_exit_3_with_one_line(tmp_path, monkeypatch, capsys):
    from mapper import outputs
    from mapper.cli import main

    good = tmp_path / "good.txt"
    good.write_text(_GOOD, encoding="utf-8")

    def full(path, write, **kw):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(outputs, "atomic_write", full)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MapperWarning)
        code = main(["build", str(good), "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 3, err
    assert len(err) == 1 and "No space left on device" in err[0] and "stage" in err[0]
    assert not (tmp_path / "out").exists()
