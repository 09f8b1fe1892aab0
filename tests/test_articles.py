"""Reading articles: formats, dates, encodings and bad inputs."""

from __future__ import annotations

import codecs
import datetime as dt
import inspect
import json
from pathlib import Path

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


# ------------------------------------------------------------------ issue 16: every record in its own guard


def test_poison_json_lines_are_skipped_or_repaired_one_by_one(tmp_path):
    """Deep nesting, a 5,000-digit number and lone surrogates never end the file."""
    good = {"id": "good", "text": BODY, "published": "2017-11-04"}
    lines = [
        json.dumps(good),
        '{"id": "deep", "text": ' + "[" * 100_000 + "]" * 100_000 + "}",
        '{"id": "big", "text": "' + BODY.strip() + '", "n": ' + "9" * 5000 + "}",
        '{"id": "surrogate", "title": "\\ud83d title", "text": "Troops took \\ud83d the town of Manbij."}',
        '{"id": "object", "text": {"nested": "text"}}',
        json.dumps({"id": "after", "text": BODY}),
    ]
    f = tmp_path / "feed.jsonl"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    arts, skipped = _split(list(read_articles(f)))
    assert [a.id for a in arts] == ["good", "big", "surrogate", "after"]
    why = {s.input: s for s in skipped}
    assert "nested too deeply" in why["feed.jsonl, line 2"].reason and not why["feed.jsonl, line 2"].repaired
    assert "5,000 digits kept as text" in why["feed.jsonl, line 3"].reason and why["feed.jsonl, line 3"].repaired
    assert "lone surrogate" in why["feed.jsonl, line 4"].reason
    assert "JSON object, not a string" in why["feed.jsonl, line 5"].reason
    surrogate = arts[2]
    for text in (surrogate.text, surrogate.title):
        text.encode("utf-8")  # writable: the lone surrogate became U+FFFD
        assert "\ufffd" in text


def test_nul_and_control_bytes_are_removed_on_the_way_in(tmp_path):
    from mapper.articles import clean_text

    f = tmp_path / "feed.jsonl"
    f.write_text(json.dumps({"id": "n\u0000ul", "title": "a\u0000b", "text": "Troops\u0000 took Manbij.\u001b[31m"}) + "\n",
                 encoding="utf-8")
    (art,) = [a for a in read_articles(f) if isinstance(a, Article)]
    for value in (art.id, art.title, art.text):
        assert "\x00" not in value and "\x1b" not in value
    assert art.text == "Troops took Manbij.[31m" and art.id == "nul"
    assert clean_text("tab\tand\nlines\r\n") == ("tab\tand\nlines\r\n", "")


@pytest.mark.parametrize("value", ["9999-12-31", "1066-10-14", "2262-04-12"])
def test_dates_outside_the_supported_range_are_refused_with_the_fix(value):
    with pytest.raises(InputError, match="outside the supported range 1900-2199"):
        parse_published(value, where="feed.jsonl, line 1")


def test_record_with_an_out_of_range_date_is_kept_without_it(tmp_path):
    f = tmp_path / "feed.jsonl"
    f.write_text(json.dumps({"id": "far", "published": "9999-12-31", "text": BODY}) + "\n", encoding="utf-8")
    arts, skipped = _split(list(read_articles(f)))
    assert arts[0].published is None
    assert skipped[0].repaired and "supported range" in skipped[0].reason


def test_duplicate_ids_are_noted(tmp_path):
    from mapper.articles import note_duplicates

    f = tmp_path / "feed.jsonl"
    f.write_text("".join(json.dumps({"id": "same", "text": BODY}) + "\n" for _ in range(3)), encoding="utf-8")
    plain = list(read_articles(f))
    assert all(isinstance(i, Article) for i in plain)  # the reader alone reads them all
    items = list(note_duplicates(read_articles(f)))
    notes = [i for i in items if isinstance(i, Skipped)]
    assert len(notes) == 2 and all(n.repaired and "duplicate id 'same'" in n.reason for n in notes)
    assert sum(isinstance(i, Article) for i in items) == 3


def test_metadata_file_name_with_a_newline_keeps_its_date(tmp_path):
    name = "two\nlines.txt"
    (tmp_path / name).write_text(BODY, encoding="utf-8")
    meta = tmp_path / "meta.csv"
    meta.write_text('file,published\n"two\nlines.txt",2017-11-03\n', encoding="utf-8")
    got, problems = read_metadata(meta)
    assert problems == [] and got[name]["published"] == "2017-11-03"
    (art,) = [a for a in read_articles(tmp_path / name, metadata=meta) if isinstance(a, Article)]
    assert art.published == dt.date(2017, 11, 3) and art.date_source == "metadata"


def test_csv_row_with_an_unterminated_quote_does_not_swallow_the_rows_after_it(tmp_path):
    f = tmp_path / "corpus.csv"
    f.write_text(
        "id,text,published\n"
        f"c1,{BODY.strip()},2017-11-04\n"
        'c2,"Troops entered the town of Rawa and never closed this quote,2017-11-05\n'
        f"c3,{BODY.strip()},2017-11-06\n"
        f'c4,"{BODY.strip()}",2017-11-07\n',
        encoding="utf-8")
    arts, skipped = _split(list(read_articles(f)))
    assert [a.id for a in arts] == ["c1", "c3", "c4"]
    assert [a.published for a in arts] == [dt.date(2017, 11, 4), dt.date(2017, 11, 6), dt.date(2017, 11, 7)]
    assert len(skipped) == 1 and skipped[0].input == "corpus.csv, line 3" and "malformed CSV" in skipped[0].reason


def test_csv_text_fields_keep_their_line_breaks(tmp_path):
    f = tmp_path / "corpus.csv"
    f.write_text('id,text\nc1,"First paragraph.\n\nSecond paragraph \u2028 with a separator."\n', encoding="utf-8")
    (art,) = [a for a in read_articles(f) if isinstance(a, Article)]
    assert art.text == "First paragraph.\n\nSecond paragraph \u2028 with a separator."


# ------------------------------------------------------------------ inputs as given


def test_symlink_out_of_an_input_folder_is_not_followed(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("Private notes, not an article.\n", encoding="utf-8")
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "ok.txt").write_text(BODY, encoding="utf-8")
    (folder / "passwd.txt").symlink_to(outside / "secret.txt")
    (folder / "inside.txt").symlink_to(folder / "ok.txt")  # a link inside the folder is fine
    arts, skipped = _split(list(read_articles(folder)))
    assert sorted(a.id for a in arts) == ["inside.txt", "ok.txt"]
    (s,) = skipped
    assert s.input.endswith("passwd.txt") and "symbolic link" in s.reason and "--follow-links" in s.fix
    arts, skipped = _split(list(read_articles(folder, follow_links=True)))
    assert sorted(a.id for a in arts) == ["inside.txt", "ok.txt", "passwd.txt"] and skipped == []


@pytest.mark.timeout(60)
def test_fifo_and_other_non_regular_files_are_refused_without_opening_them(tmp_path):
    import os

    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    folder = tmp_path / "articles"
    folder.mkdir()
    os.mkfifo(folder / "feed.jsonl")
    (folder / "ok.txt").write_text(BODY, encoding="utf-8")
    arts, skipped = _split(list(read_articles([fifo, folder])))
    assert [a.id for a in arts] == ["ok.txt"]
    assert all("named pipe" in s.reason and "not a regular file" in s.reason for s in skipped)
    assert {s.input.rsplit("/", 1)[-1] for s in skipped} == {"pipe.txt", "feed.jsonl"}


def test_subfolders_are_noted_not_silently_listed(tmp_path):
    from mapper.articles import ReadLog

    (tmp_path / "ok.txt").write_text(BODY, encoding="utf-8")
    (tmp_path / "2017").mkdir()
    (tmp_path / "2017" / "deep.txt").write_text(BODY, encoding="utf-8")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "old-output").mkdir()
    (tmp_path / "old-output" / ".mapper-output").write_text('{"run_id": "x"}', encoding="utf-8")
    log = ReadLog()
    arts, skipped = _split(list(read_articles(tmp_path, log=log)))
    assert [a.id for a in arts] == ["ok.txt"]
    (note,) = skipped
    assert note.input.endswith("2017") and note.repaired and "not read" in note.reason
    assert [f.path for f in log.files] == [str(tmp_path / "ok.txt")]


def test_read_log_records_each_file_with_its_encoding(tmp_path):
    from mapper.articles import ReadLog

    (tmp_path / "a.txt").write_bytes("Caf\u00e9 \u2013 troops entered Manbij.\n".encode("cp1252"))
    (tmp_path / "b.jsonl").write_text(json.dumps({"id": "r", "text": BODY}) + "\n", encoding="utf-8")
    meta = tmp_path / "m.csv"
    meta.write_text("file,published\na.txt,2017-11-03\n", encoding="utf-8-sig")
    log = ReadLog()
    list(read_articles(tmp_path, metadata=meta, log=log))
    got = {Path(f.path).name: (f.role, f.encoding, f.articles) for f in log.files}
    assert got == {"m.csv": ("metadata", "utf-8-sig", 0), "a.txt": ("articles", "cp1252", 1),
                   "b.jsonl": ("articles", "utf-8", 1)}
    assert all(len(f.sha256) == 64 and f.bytes > 0 for f in log.files)
