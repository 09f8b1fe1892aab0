"""Property tests with hypothesis (issue 8, "Fuzzing"): readers, name folding, dates, extraction.

Arbitrary bytes and Unicode text must never raise out of the readers, the name folding, the
date resolution or the extraction, and extraction output must always satisfy the report
schema of :mod:`mapper.schema`. Texts are drawn both from all of Unicode and from fragments
of war reporting (place names, actors, verbs, dates) glued with arbitrary text, so the rules
that fire on real reports are exercised too.
"""

from __future__ import annotations

import datetime as dt
import math
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from mapper import dates, names, schema
from mapper.articles import Article, Skipped, decode_bytes, read_articles

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_FRAGMENTS = [
    "Iraqi troops", "Syrian government forces", "the SDF", "Kurdish fighters", "Islamic State", "IS", "ISIS",
    "Daesh", "rebels", "captured", "recaptured", "retook", "seized", "entered", "withdrew from", "besieged",
    "lost", "was liberated", "fell to", "from", "to", "the town of", "most of", "did not", "could", "plan to",
    "Rawa", "Raqqa", "Mosul", "Deir ez-Zor", "Dayr az Zawr", "al-Mayadin", "Hajin", "Abu Kamal", "Al Qaim",
    "Tal Afar", "Kobani", "Manbij", "Palmyra", "Tikrit", "Ramadi", "Fallujah", "Syria", "Iraq", "Anbar",
    "on Friday", "yesterday", "last week", "in October", "on 14 October 2017", "3/11/17", "2017-11-03",
    "on 31 February 2018", "in 1999", "in 2099", "early December", "this year", ".", ",", ";", "\n\n", "—",
    "\u200f", "دير الزور", "الرقة", "\u0301", "ʿ", "'", '"', "(", ")", "  ",
]

_ACTORS = ["Iraqi troops", "Syrian government forces", "The SDF", "Kurdish fighters", "Islamic State militants"]
_VERBS = ["captured", "recaptured", "retook", "entered", "withdrew from", "besieged", "did not capture", "lost"]
_PLACES = ["Rawa", "Raqqa", "Mosul", "Deir ez-Zor", "al-Mayadin", "Hajin", "Abu Kamal", "Tal Afar", "Manbij"]
_WHEN = ["on Friday", "yesterday", "last week", "in October", "on 14 October 2017", "in 2099", "on 31 June 2017", ""]
claims = st.lists(
    st.tuples(st.sampled_from(_ACTORS), st.sampled_from(_VERBS), st.sampled_from(_PLACES),
              st.sampled_from(["from the Islamic State", "from IS", "to the SDF", ""]), st.sampled_from(_WHEN),
              st.text(max_size=6)).map(lambda t: " ".join(t) + "."),
    min_size=1, max_size=6).map(" ".join)

texts = st.one_of(
    st.text(max_size=300),
    claims,
    st.lists(st.one_of(st.sampled_from(_FRAGMENTS), st.text(max_size=8)), max_size=40).map(" ".join),
)
anchors = st.one_of(st.none(), st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 12, 31)))


# ------------------------------------------------------------------------------ readers


@FAST
@given(st.binary(max_size=2000))
def test_decode_bytes_never_raises(data):
    text, encoding = decode_bytes(data)
    assert isinstance(text, str) and isinstance(encoding, str)


@FAST
@given(st.binary(max_size=1500), st.sampled_from([".txt", ".jsonl", ".csv"]))
def test_read_articles_on_arbitrary_bytes(data, suffix):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"input{suffix}"
        path.write_bytes(data)
        items = list(read_articles([path]))
    for item in items:
        assert isinstance(item, (Article, Skipped))
        if isinstance(item, Article):
            assert isinstance(item.text, str) and item.text.strip()
            assert item.published is None or isinstance(item.published, dt.date)
        else:
            assert item.reason and item.fix


@FAST
@given(st.lists(st.dictionaries(st.sampled_from(["id", "text", "published", "title", "url", "date", "x"]),
                                st.one_of(st.text(max_size=60), st.integers(), st.none(), st.floats(),
                                          st.lists(st.integers(), max_size=2))), max_size=5))
def test_read_articles_on_arbitrary_json_records(records):
    import json

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "feed.jsonl"
        path.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
        items = list(read_articles([path]))
    for item in items:
        assert isinstance(item, (Article, Skipped))


# ------------------------------------------------------------------------------ names
# (fold's idempotence and alphabet are in test_names.py)


@FAST
@given(st.text(max_size=80))
def test_name_helpers_never_raise(s):
    assert isinstance(names.tokens(s), tuple)
    assert isinstance(names.display_key(s), str)
    key = names.fold(s)
    sk = names.skeleton(key)
    assert isinstance(sk, str) and len(sk) <= len(key)


# ------------------------------------------------------------------------------ dates


@FAST
@given(texts, anchors)
def test_resolve_date_never_raises_and_never_passes_the_anchor(expr, anchor):
    day, precision = dates.resolve_date(expr, anchor)
    assert precision in schema.PRECISIONS
    assert (day is None) == (precision == "unknown") or day is None
    if day is not None:
        assert isinstance(day, dt.date)
        assert isinstance(dates.format_date(day, precision), str)


@FAST
@given(texts, anchors)
def test_find_dates_spans_are_inside_the_sentence(sentence, anchor):
    for m in dates.find_dates(sentence, anchor):
        assert 0 <= m.start <= m.end <= len(sentence)
        assert m.precision in schema.PRECISIONS


@FAST
@given(texts)
def test_parse_header_date_never_raises(text):
    d = dates.parse_header_date(text)
    assert d is None or isinstance(d, dt.date)


# ------------------------------------------------------------------------------ extraction


@pytest.fixture(scope="module")
def gaz():
    from mapper.gazetteer import Gazetteer

    return Gazetteer.load()


def _check_reports(df: pd.DataFrame, published: dt.date | None) -> None:
    assert list(df.columns) == schema.REPORT_COLUMNS
    for _, r in df.iterrows():
        assert isinstance(r["place_id"], str) and r["place_id"]
        assert -90 <= float(r["lat"]) <= 90 and -180 <= float(r["lon"]) <= 180
        assert not math.isnan(float(r["lat"]))
        assert r["event_type"] in schema.EVENT_TYPES
        assert r["date_precision"] in schema.PRECISIONS
        assert 0.0 <= float(r["confidence"]) <= 1.0
        assert isinstance(r["evidence"], str) and isinstance(r["span"], str)
        start, end = (int(x) for x in r["span"].split(":"))
        assert 0 <= start <= end
        if pd.isna(r["date"]):
            assert r["date_precision"] == "unknown"


EXTRACT = settings(max_examples=150, deadline=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def _extract(gaz, text: str, published):
    from mapper.extract import extract_reports

    if not text.strip():
        text = "."
    art = Article(id="fuzz", text=text, published=published, title="t", url="https://example.org/")
    return extract_reports(art, gaz)


@EXTRACT
@given(text=texts, published=anchors)
def test_extraction_never_raises_and_keeps_the_schema(gaz, text, published):
    df = _extract(gaz, text, published)
    _check_reports(df, published)
    event("reports" if len(df) else "no report")


def test_extraction_never_dates_a_report_after_its_publication_example(gaz):
    df = _extract(gaz, "Iraqi troops captured Rawa from the Islamic State on 14 October 2017.", dt.date(2017, 10, 20))
    assert len(df) == 1 and df["date"].iloc[0] == pd.Timestamp("2017-10-14")


@settings(EXTRACT, max_examples=60)
@given(text=claims, published=anchors.filter(lambda d: d is not None))
def test_extraction_never_dates_a_report_after_its_publication(gaz, text, published):
    df = _extract(gaz, text, published)
    dated = df["date"].dropna()
    assert (dated.dt.date <= published).all(), (list(dated), published, text)


# ------------------------------------------------------------------------------ whole records (issue 16)
# Any record that can be written in an input format gives an article (with its reports) or a
# recorded skip, never a traceback; and what the run records about it can be written out.

_any_char = st.characters(blacklist_categories=())  # every code point, lone surrogates included
_texts = st.one_of(st.text(_any_char, max_size=40), claims, st.sampled_from(["", " ", "\x00", "\ud83d", "=1+1"]))
_scalars = st.one_of(_texts, st.integers(), st.integers(min_value=10**1200, max_value=10**1300), st.floats(),
                     st.booleans(), st.none(), st.sampled_from(["2017-11-03", "9999-12-31", "0001-01-01", "03/11/17"]))
_values = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                        st.dictionaries(st.text(max_size=4), inner, max_size=3)),
                       max_leaves=6)
_records = st.lists(st.dictionaries(st.sampled_from(["id", "text", "published", "date", "title", "url", "source", "x"]),
                                    _values, max_size=6), min_size=1, max_size=5)
WHOLE = settings(max_examples=60, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                        HealthCheck.data_too_large])


def _through_the_run(paths, gaz, *, metadata=None) -> list:
    """What a build does with each record up to the tables, in this process; returns the items."""
    from mapper.articles import note_duplicates
    from mapper.extract import reports_frame
    from mapper.outputs import write_csv
    from mapper.pipeline import _screen
    from mapper.runreport import RunReport
    from mapper.workers import extract_one, load_lexicon

    report = RunReport(started=dt.datetime.now(dt.UTC))
    items = list(_screen(note_duplicates(read_articles(paths, metadata=metadata, log=report.files)),
                         today=dt.date.today(), report=report))
    lex = load_lexicon(None)
    frames = []
    for item in items:
        assert isinstance(item, (Article, Skipped))
        if isinstance(item, Skipped):
            assert item.reason and item.fix
            report.skip(item)
            continue
        rows, places, failed = extract_one(item, gaz, lex)
        if failed is not None:
            report.skip(failed)
            continue
        reports = reports_frame(rows)
        _check_reports(reports, item.published)
        frames.append(reports)
    with tempfile.TemporaryDirectory() as out:  # the tables and run.json can be written
        if frames:
            write_csv(pd.concat(frames, ignore_index=True), Path(out) / "reports.csv")
        report.write(Path(out) / "run.json")
    return items


@WHOLE
@given(records=_records, blank=st.booleans())
def test_any_json_lines_record_gives_an_article_or_a_recorded_skip(gaz, records, blank):
    import json

    lines = [json.dumps(r, ensure_ascii=True) for r in records]
    if blank:
        lines.insert(1, "   ")
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "feed.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        items = _through_the_run([path], gaz)
    read = sum(isinstance(i, Article) for i in items)
    skipped = {i.input for i in items if isinstance(i, Skipped) and not i.repaired}
    assert read + len(skipped) == len(records)  # every record accounted for, once


@WHOLE
@given(rows=st.lists(st.lists(_texts, min_size=0, max_size=6), min_size=1, max_size=5),
       header=st.sampled_from([["id", "text", "published"], ["text"], ["id", "text", "published", "title", "url"],
                               ["title", "body"]]),
       encoding=st.sampled_from(["utf-8", "utf-16", "cp1252"]))
def test_any_csv_row_gives_an_article_or_a_recorded_skip(gaz, rows, header, encoding):
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    data = buf.getvalue().encode(encoding, errors="surrogatepass" if encoding.startswith("utf") else "replace")
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "corpus.csv"
        path.write_bytes(data)
        items = _through_the_run([path], gaz)
    assert items  # at least a record of why nothing was read
    if "text" in header:  # every row with a cell is an article or a skip naming its line, once
        filled = sum(1 for r in rows if any(c.strip() for c in r))
        read = sum(isinstance(i, Article) for i in items)
        lines = {i.input for i in items if isinstance(i, Skipped) and not i.repaired and ", line " in i.input}
        assert read + len(lines) == filled, (read, lines, filled)


@WHOLE
@given(rows=st.lists(st.tuples(st.sampled_from(["a.txt", "b.txt", "two\nlines.txt", "c,d.txt", 'q"uote.txt', "", "x.txt"]),
                               _texts, _texts), max_size=6),
       extra=st.lists(st.text(max_size=6), max_size=2))
def test_any_metadata_row_is_used_or_recorded(gaz, rows, extra):
    import csv

    with tempfile.TemporaryDirectory() as d:
        folder = Path(d) / "articles"
        folder.mkdir()
        for name in ("a.txt", "b.txt", "two\nlines.txt", "c,d.txt", 'q"uote.txt'):
            (folder / name).write_text("Iraqi troops captured Rawa from the Islamic State on Friday.\n", encoding="utf-8")
        meta = Path(d) / "metadata.csv"
        with meta.open("w", newline="", encoding="utf-8", errors="surrogatepass") as fh:
            w = csv.writer(fh)
            w.writerow(["file", "published", "title", *extra])
            w.writerows(rows)
        items = _through_the_run([folder], gaz, metadata=meta)
    assert sum(isinstance(i, Article) for i in items) == 5  # bad metadata never costs an article
