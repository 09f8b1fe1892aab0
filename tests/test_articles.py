"""Reading articles: formats, dates, encodings and bad inputs."""

from __future__ import annotations

import codecs
import datetime as dt
import inspect
import json

import pytest

from mapper.articles import (
    Article,
    Skipped,
    decode_bytes,
    iter_articles,
    parse_published,
    read_articles,
    read_metadata,
)
from mapper.errors import InputError, SkippedInputWarning

BODY = "Government troops entered the town of Manbij on Friday after days of shelling.\n"


def _split(items):
    arts = [i for i in items if isinstance(i, Article)]
    skipped = [i for i in items if isinstance(i, Skipped)]
    return arts, skipped


def test_folder_with_metadata(tmp_path):
    (tmp_path / "a.txt").write_text("Headline one\n\n" + BODY, encoding="utf-8")
    (tmp_path / "b.txt").write_text("Saturday, 4 November 2017\n\nHeadline two\n\n" + BODY, encoding="utf-8")
    (tmp_path / "c.txt").write_text(BODY, encoding="utf-8")
    meta = tmp_path / "meta.csv"
    meta.write_text("file,published,title\na.txt,2017-11-03,Given title\nb.txt,,\n", encoding="utf-8")
    arts, skipped = _split(list(read_articles(tmp_path, metadata=meta)))
    assert skipped == []
    by_id = {a.id: a for a in arts}
    assert set(by_id) == {"a.txt", "b.txt", "c.txt"}
    assert by_id["a.txt"].published == dt.date(2017, 11, 3) and by_id["a.txt"].date_source == "metadata"
    assert by_id["a.txt"].title == "Given title"
    # no date in the metadata: the header's date, and the headline under it
    assert by_id["b.txt"].published == dt.date(2017, 11, 4) and by_id["b.txt"].date_source == "header"
    assert by_id["b.txt"].title == "Headline two"
    # nothing gives a date: read anyway, never guessed
    assert by_id["c.txt"].published is None and by_id["c.txt"].date_source == "none"


def test_reader_streams(tmp_path):
    for i in range(3):
        (tmp_path / f"{i}.txt").write_text(BODY, encoding="utf-8")
    gen = read_articles(sorted(tmp_path.glob("*.txt")))
    assert inspect.isgenerator(gen)
    first = next(gen)
    # later files are read only when asked for: deleting one now is seen by the reader
    (tmp_path / "2.txt").unlink()
    rest = list(gen)
    assert first.id == "0.txt"
    assert [type(r).__name__ for r in rest] == ["Article", "Skipped"]
    assert "no such file" in rest[1].reason


@pytest.mark.parametrize(
    ("encoded", "encoding"),
    [
        (BODY.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + BODY.encode("utf-8"), "utf-8-sig"),
        (codecs.BOM_UTF16_LE + BODY.encode("utf-16-le"), "utf-16"),
        (codecs.BOM_UTF16_BE + BODY.encode("utf-16-be"), "utf-16"),
        ("Troops took Deir ez-Zor \u2019s centre \u2013 caf\u00e9 closed.\n".encode("cp1252"), "cp1252"),
    ],
)
def test_encodings_are_detected_and_recorded(tmp_path, encoded, encoding):
    f = tmp_path / "x.txt"
    f.write_bytes(encoded)
    (art,) = list(read_articles(f))
    assert art.encoding == encoding
    assert "\ufeff" not in art.text
    assert art.text.startswith(("Government", "Troops"))


def test_decode_bytes_never_fails():
    text, enc = decode_bytes(b"abc \x81 def")  # 0x81 is undefined even in cp1252
    assert enc == "cp1252+replace" and text.startswith("abc")


def test_empty_and_binary_files_are_skipped_with_reason(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"   \n")
    (tmp_path / "blob.txt").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "ok.txt").write_text(BODY, encoding="utf-8")
    with pytest.warns(SkippedInputWarning):
        arts, skipped = _split(list(read_articles(tmp_path, warn=True)))
    assert [a.id for a in arts] == ["ok.txt"]
    reasons = {s.input.rsplit("/", 1)[-1]: s for s in skipped}
    assert "empty" in reasons["empty.txt"].reason
    assert "binary" in reasons["blob.txt"].reason
    assert reasons["blob.txt"].fix  # says what to do
    assert "empty.txt" in str(reasons["empty.txt"])


def test_bad_metadata_rows_are_repaired_and_recorded(tmp_path):
    (tmp_path / "a.txt").write_text("Nov. 3, 2017\n\n" + BODY, encoding="utf-8")
    meta = tmp_path / "meta.csv"
    meta.write_text("file,published\na.txt,03/11/17\n,2017-01-01\na.txt,2017-01-02\n", encoding="utf-8")
    got, problems = read_metadata(meta)
    assert got["a.txt"]["published"] == ""  # the ambiguous date was dropped ...
    text = " ".join(str(p) for p in problems)
    assert "line 2" in text and "ambiguous" in text and "YYYY-MM-DD" in text
    assert "line 3" in text and "no file name" in text
    assert "line 4" in text and "duplicate" in text
    arts, skipped = _split(list(read_articles(tmp_path / "a.txt", metadata=meta)))
    # ... and the article's own header gives the date instead
    assert arts[0].published == dt.date(2017, 11, 3) and arts[0].date_source == "header"
    assert len(skipped) == 3


def test_metadata_without_file_column(tmp_path):
    meta = tmp_path / "meta.csv"
    meta.write_text("name,date\na.txt,2017-01-01\n", encoding="utf-8")
    with pytest.raises(InputError, match="'file' column"):
        read_metadata(meta)


def test_jsonl_records_use_their_id(tmp_path):
    f = tmp_path / "corpus.jsonl"
    lines = [
        json.dumps({"id": "r1", "text": BODY, "published": "2017-11-04", "title": "T1", "url": "http://x/1"}),
        "{not json",
        json.dumps({"id": "r2", "text": ""}),
        json.dumps(["a", "list"]),
        json.dumps({"text": "Saturday, 4 November 2017\n\n" + BODY}),
        json.dumps({"id": "r3", "text": BODY, "published": "11/04/17"}),
    ]
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    arts, skipped = _split(list(read_articles(f)))
    assert [a.id for a in arts] == ["r1", "corpus:5", "r3"]
    assert arts[0].published == dt.date(2017, 11, 4) and arts[0].url == "http://x/1" and arts[0].title == "T1"
    assert arts[1].published == dt.date(2017, 11, 4) and arts[1].date_source == "header"
    # an ambiguous date is dropped, the record kept, and the repair recorded
    assert arts[2].published is None
    assert len(skipped) == 4
    assert skipped[-1].repaired and "line 6" in skipped[-1].input and "ambiguous" in skipped[-1].reason
    assert any("line 2" in s.input and "JSON" in s.reason for s in skipped)


def test_csv_corpus(tmp_path):
    f = tmp_path / "corpus.csv"
    f.write_text('id,text,published,title,url\nc1,"' + BODY.strip() + '",2017-11-04,T,u\nc2,,2017-11-04,T,u\n', encoding="utf-8")
    arts, skipped = _split(list(read_articles(f)))
    assert [a.id for a in arts] == ["c1"]
    assert arts[0].published == dt.date(2017, 11, 4)
    assert "no text" in skipped[0].reason


def test_iter_articles_collects_skipped(tmp_path):
    (tmp_path / "e.txt").write_bytes(b"")
    (tmp_path / "ok.txt").write_text(BODY, encoding="utf-8")
    skipped: list = []
    arts = list(iter_articles(tmp_path, skipped=skipped))
    assert [a.id for a in arts] == ["ok.txt"] and len(skipped) == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2017-11-03", dt.date(2017, 11, 3)), ("", None), (None, None), ("2017-11-03T10:00:00Z", dt.date(2017, 11, 3)),
     ("4 November 2017", dt.date(2017, 11, 4))],
)
def test_parse_published(value, expected):
    assert parse_published(value) == expected


@pytest.mark.parametrize("value", ["03/11/17", "soon", "2017-02-30"])
def test_parse_published_rejects(value):
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        parse_published(value, where="meta.csv, line 2")
