"""Consistency of the bundled demo corpus in ``data/examples/``.

The corpus is written for the project; these checks keep its metadata, its gold events and
its text in step, and make sure none of it repeats third-party text from ``../shared``.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from datetime import date
from pathlib import Path

import pytest

from mapper.schema import ACTORS as SCHEMA_ACTORS

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "data" / "examples"
ARTICLES = EXAMPLES / "articles"
METADATA = EXAMPLES / "metadata.csv"
EXPECTED = EXAMPLES / "expected_events.csv"

EVENT_TYPES = {"captured", "entered", "held", "withdrew", "besieged"}
ACTORS = {"", *SCHEMA_ACTORS}
PRECISIONS = {"day", "week", "month", "year"}
WINDOW = 60


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _article_files() -> list[Path]:
    return sorted(ARTICLES.glob("*.txt"))


def _text(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def _valid_iso_day(value: str) -> bool:
    try:
        return date.fromisoformat(value).isoformat() == value
    except ValueError:
        return False


def _valid_event_date(value: str, precision: str) -> bool:
    if precision in ("day", "week"):
        return _valid_iso_day(value)
    if precision == "month":
        if not re.fullmatch(r"\d{4}-\d{2}", value):
            return False
        return 1 <= int(value[5:]) <= 12
    if precision == "year":
        return re.fullmatch(r"\d{4}", value) is not None
    return False


_TRANSLATE = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u00a0": " ",
    }
)


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_TRANSLATE).lower()
    return re.sub(r"\s+", " ", text).strip()


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


# --- metadata and files -------------------------------------------------------------


def test_corpus_exists_and_is_big_enough():
    assert ARTICLES.is_dir(), f"missing {ARTICLES}"
    assert len(_article_files()) >= 40
    assert METADATA.is_file() and EXPECTED.is_file()


def test_metadata_columns():
    with METADATA.open(encoding="utf-8", newline="") as f:
        header = next(csv.reader(f))
    assert header == ["file", "published", "title", "url"]


def test_every_metadata_row_has_a_file_and_vice_versa():
    rows = _read_csv(METADATA)
    listed = [r["file"] for r in rows]
    assert len(listed) == len(set(listed)), "duplicate file in metadata.csv"
    on_disk = {p.name for p in _article_files()}
    assert set(listed) - on_disk == set(), "metadata rows without a file"
    assert on_disk - set(listed) == set(), "article files without a metadata row"


@pytest.mark.parametrize("path", _article_files(), ids=lambda p: p.name)
def test_article_is_utf8_and_not_empty(path):
    text = _text(path)  # raises UnicodeDecodeError if not UTF-8
    assert text.strip(), f"{path.name} is empty"


def test_published_dates_are_iso_or_blank():
    rows = _read_csv(METADATA)
    bad = [(r["file"], r["published"]) for r in rows if r["published"] and not _valid_iso_day(r["published"])]
    assert not bad, bad
    blanks = [r["file"] for r in rows if not r["published"]]
    # undated rows must carry their date in the text's first line
    for name in blanks:
        first = _text(ARTICLES / name).splitlines()[0]
        assert re.search(r"\b(19|20)\d{2}\b", first), f"{name}: blank date and no dated header"


def test_urls_are_blank_or_fictional():
    for r in _read_csv(METADATA):
        assert r["url"] == "" or r["url"].startswith("https://example.org/"), r


# --- expected events ---------------------------------------------------------------


def test_expected_events_columns():
    with EXPECTED.open(encoding="utf-8", newline="") as f:
        header = next(csv.reader(f))
    assert header == [
        "file",
        "place_as_written",
        "place",
        "country",
        "event_type",
        "loser",
        "gainer",
        "event_date",
        "date_precision",
    ]


def test_expected_events_name_a_file_and_a_place_in_it():
    files = {p.name: _text(p) for p in _article_files()}
    rows = _read_csv(EXPECTED)
    assert rows
    for r in rows:
        assert r["file"] in files, f"unknown file {r['file']}"
        assert r["place_as_written"] in files[r["file"]], (r["file"], r["place_as_written"])


def test_expected_events_vocabulary_and_dates():
    published = {r["file"]: r["published"] for r in _read_csv(METADATA)}
    for r in _read_csv(EXPECTED):
        assert r["event_type"] in EVENT_TYPES, r
        assert r["loser"] in ACTORS and r["gainer"] in ACTORS, r
        assert r["country"] in ("SY", "IQ"), r
        assert r["date_precision"] in PRECISIONS, r
        assert _valid_event_date(r["event_date"], r["date_precision"]), r
        pub = published[r["file"]]
        if pub and r["date_precision"] in ("day", "week"):
            assert r["event_date"] <= pub, f"event after publication: {r}"


def test_corpus_has_dispatches_without_control_change():
    with_events = {r["file"] for r in _read_csv(EXPECTED)}
    without = [p.name for p in _article_files() if p.name not in with_events]
    assert len(without) >= 4, without


# --- no third-party text -------------------------------------------------------------


def _third_party_articles(seeds_dir: Path, dev_dir: Path) -> list[Path]:
    paths = sorted(seeds_dir.glob("*.txt")) + sorted((dev_dir / "articles").glob("*.txt"))
    return [p for p in paths if p.name.lower() != "readme.txt"]


def test_no_third_party_sentence_is_reused(seeds_dir, dev_dir):
    demo_windows: set[str] = set()
    for p in _article_files():
        t = _normalise(_text(p))
        demo_windows.update(t[i : i + WINDOW] for i in range(len(t) - WINDOW + 1))

    sources = _third_party_articles(seeds_dir, dev_dir)
    assert sources, "no seed or dev articles found"
    hits = []
    for src in sources:
        for sentence in _sentences(src.read_text(encoding="utf-8", errors="replace")):
            s = _normalise(sentence)
            for i in range(len(s) - WINDOW + 1):
                if s[i : i + WINDOW] in demo_windows:
                    hits.append((src.name, s[i : i + WINDOW]))
                    break
    assert not hits, f"demo corpus repeats third-party text: {hits[:5]}"
