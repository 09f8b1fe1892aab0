"""News articles in, one at a time.

Article                         id, text, published date, title, url, source, path, encoding,
                                date_source
Skipped                         an input that was skipped or repaired, why, and the fix
read_articles(paths, *, metadata=None, follow_links=False, log=None)
                                -> Iterator[Article | Skipped], streaming
read_metadata(path)             -> (dict file -> row, list[Skipped])
json_line_items(raw, ...)       -> the records one JSON Lines line gives (shared with Dask)
note_duplicates(items)          the items, with a note before each repeated article id
ReadLog                         the files a reader read, with size, hash and encoding (run.json)
decode_bytes, clean_text        (from :mod:`mapper.textio`) decoding and repair of the text

Inputs are a folder of ``.txt`` files, single ``.txt`` files, JSON Lines (``.jsonl``/
``.ndjson``) and CSV (``.csv``) with the fields ``id, text, published, title, url``. A
metadata CSV (``file,published[,title,url]``) supplies dates for ``.txt`` files; when it has
none, the date is read from the article's own header or dateline; when nothing gives a date
the article is still read, with ``published=None``.

The reader is a generator: one article is in memory at a time (a JSON Lines or CSV file is
read row by row), so memory does not grow with the corpus. Bad inputs never end a run: every
file and every record is read inside its own guard, and whatever goes wrong comes out as a
:class:`Skipped` record (and a :class:`~mapper.errors.SkippedInputWarning` when ``warn=True``).

Inputs are read as given: a symbolic link inside an input folder that points outside it is
not followed (unless ``follow_links=True``), and anything that is not a regular file (a FIFO,
a device, a socket) is refused before it is opened. Text is normalised on the way in: lone
surrogates become U+FFFD and NUL and other control bytes are dropped (recorded as repairs);
publication dates outside :data:`SUPPORTED_DATES` are dropped; :func:`note_duplicates` notes a
record whose id was seen before.
"""

from __future__ import annotations

import codecs
import collections
import datetime as dt
import hashlib
import io
import json
import os
import re
import stat
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from mapper.dates import parse_header_date
from mapper.errors import InputError, SkippedInputWarning
from mapper.textio import clean_text, csv_records, decode_bytes, display, looks_binary

__all__ = [
    "Article",
    "InputFile",
    "ReadLog",
    "SUPPORTED_DATES",
    "Skipped",
    "clean_text",
    "decode_bytes",
    "iter_articles",
    "json_line_items",
    "note_duplicates",
    "parse_published",
    "read_articles",
    "read_metadata",
]

#: longest article read (bytes of a file, characters of a record's text): a news report is a
#: few kilobytes; anything over a megabyte is a dump of many articles or not an article at all,
#: and would hold the extraction for minutes. Such inputs are skipped with a reason.
MAX_ARTICLE_BYTES = 1_000_000

#: publication dates a run accepts. Tables hold dates as pandas timestamps (1677-2262), and
#: reports are dated relative to publication ("last year", "next month"), so a margin is kept.
SUPPORTED_DATES = (dt.date(1900, 1, 1), dt.date(2199, 12, 31))

#: name of the marker file in a folder mapper wrote (see :mod:`mapper.outputs`); such a folder
#: inside an input folder is an earlier run's output, not articles
OUTPUT_MARKER = ".mapper-output"

TEXT_SUFFIXES = {".txt", ".text"}
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
CSV_SUFFIXES = {".csv", ".tsv"}

#: a JSON Lines line or CSV field this long is not one article (see MAX_ARTICLE_BYTES)
_MAX_RECORD_BYTES = 4 * MAX_ARTICLE_BYTES
#: longest integer literal read from JSON as a number (Python refuses > 4300 digits)
_MAX_INT_DIGITS = 1000


@dataclass(frozen=True)
class Article:
    """One news report.

    ``id`` is the file name for ``.txt`` input and the record's ``id`` for JSON Lines and
    CSV input. ``date_source`` says where ``published`` came from: ``metadata``, ``record``,
    ``header`` (the text's own dateline) or ``none``.
    """

    id: str
    text: str
    published: dt.date | None = None
    title: str = ""
    url: str = ""
    source: str = ""
    path: str = ""
    encoding: str = "utf-8"
    date_source: str = "none"
    notes: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Skipped:
    """An input (file, row) skipped or repaired: ``reason`` says why, ``fix`` what to do."""

    input: str
    reason: str
    fix: str
    repaired: bool = False

    def __str__(self) -> str:
        verb = "repaired" if self.repaired else "skipped"
        stop = "" if self.reason.endswith((".", "!", "?")) else "."
        return f"{self.input}: {verb}: {self.reason}{stop} {self.fix}"


@dataclass
class InputFile:
    """One file a reader read: where, what for, its size, hash and the encoding used."""

    path: str
    role: str = "articles"
    bytes: int = 0
    sha256: str = ""
    encoding: str = ""
    articles: int = 0

    def as_record(self) -> dict:
        return {"path": self.path, "role": self.role, "bytes": self.bytes, "sha256": self.sha256,
                "encoding": self.encoding, "articles": self.articles}


class ReadLog:
    """The files read, in the order they were read (what ``run.json`` lists as its inputs)."""

    def __init__(self) -> None:
        self.files: list[InputFile] = []

    def add(self, path: str | os.PathLike, data: bytes, *, role: str, encoding: str, articles: int = 0) -> InputFile:
        """Record a file read whole from ``data``."""
        entry = InputFile(display(path), role, len(data), hashlib.sha256(data).hexdigest(), encoding, articles)
        self.files.append(entry)
        return entry

    def records(self) -> list[dict]:
        return [f.as_record() for f in self.files]

    def __len__(self) -> int:
        return len(self.files)


# ------------------------------------------------------------------------------ dates


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%Y%m%d")


def _in_range(day: dt.date, where: str, text: str) -> dt.date:
    lo, hi = SUPPORTED_DATES
    if not lo <= day <= hi:
        raise InputError(f"{where}: published date '{text}' is outside the supported range "
                         f"{lo.year}-{hi.year}. Correct it (YYYY-MM-DD), or leave it blank to take "
                         "the date from the article's header.")
    return day


def parse_published(value: object, *, where: str = "published") -> dt.date | None:
    """Parse a publication date given as ``YYYY-MM-DD`` (or an ISO timestamp).

    Blank values give ``None``. Unambiguous written forms ("4 November 2017") are
    accepted too.

    Raises
    ------
    InputError
        The value is not a date, is ambiguous (``03/11/17``) or lies outside
        :data:`SUPPORTED_DATES`; the message says how to write it.
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return _in_range(value.date(), where, str(value))
    if isinstance(value, dt.date):
        return _in_range(value, where, str(value))
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise InputError(f"{where}: published date is a {type(value).__name__}, not a date. "
                         "Write it as a string YYYY-MM-DD.")
    text = clean_text(str(value))[0].strip()
    if not text or text.lower() in ("nan", "nat", "none", "null"):
        return None
    shown = text if len(text) <= 40 else text[:40] + "…"
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ][0-9:.+\-Z]*)?$", text)
    if m:
        try:
            day = dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError as exc:
            raise InputError(f"{where}: '{shown}' is not a real date ({exc}). Write it as YYYY-MM-DD.") from exc
        return _in_range(day, where, shown)
    if re.match(r"^\d{1,2}[/.]\d{1,2}[/.]\d{2,4}$", text):
        raise InputError(
            f"{where}: published date '{shown}' is ambiguous (day/month or month/day). Write it as "
            "YYYY-MM-DD, or leave it blank to take the date from the article's header."
        )
    if len(text) <= 40:
        for fmt in _DATE_FORMATS:
            try:
                return _in_range(dt.datetime.strptime(text, fmt).date(), where, shown)
            except ValueError:
                continue
    raise InputError(
        f"{where}: published date '{shown}' is not a date. Write it as YYYY-MM-DD, or leave it "
        "blank to take the date from the article's header."
    )


def _header_date(text: str) -> dt.date | None:
    """The text's own dateline, when it lies in the supported range."""
    try:
        day = parse_header_date(text)
    except (ValueError, OverflowError):
        return None
    lo, hi = SUPPORTED_DATES
    return day if day is not None and lo <= day <= hi else None


# ------------------------------------------------------------------------------ metadata


def read_metadata(path: str | Path, *, log: ReadLog | None = None) -> tuple[dict[str, dict[str, str]], list[Skipped]]:
    """Read a metadata CSV (``file,published`` and optionally ``title,url``).

    Rows are keyed by file name (the base name of ``file``; quoted names may hold commas and
    line breaks). Malformed rows are not fatal: a bad date is dropped (the article's header is
    used instead) and recorded.

    Raises
    ------
    InputError
        The file is missing, unreadable or has no ``file`` column.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"metadata {path}: no such file. Give a CSV with columns file,published.")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"metadata {path}: cannot be read ({exc.strerror or exc}). Check its permissions.") from exc
    text, enc = decode_bytes(data)
    if log is not None:
        log.add(path, data, role="metadata", encoding=enc)
    text = clean_text(text)[0]
    rows = csv_records(io.StringIO(text, newline=""), ",")
    header_rec = next(rows, None)
    fields = [f.strip().lower() for f in (header_rec[1] if header_rec and header_rec[1] else [])]
    if "file" not in fields:
        raise InputError(
            f"metadata {path}: no 'file' column (found: {', '.join(fields) or 'none'}). "
            "The header must start 'file,published'."
        )
    out: dict[str, dict[str, str]] = {}
    problems: list[Skipped] = []
    for lineno, cells, error in rows:
        where = f"{path.name}, line {lineno}"
        if error:
            problems.append(Skipped(where, f"row skipped: {error}", "Close the quote or remove the stray quote mark; the rows after it were read."))
            continue
        if not any(c.strip() for c in cells):
            continue
        row = dict(zip(fields, cells))
        if len(cells) > len(fields):  # more cells than columns
            problems.append(Skipped(where, f"{len(cells) - len(fields)} extra cell(s) ignored", "Quote cells that contain commas.", repaired=True))
        name = (row.get("file") or "").strip()
        if not name:
            problems.append(Skipped(where, "row has no file name", "Fill in the 'file' column or delete the row."))
            continue
        clean = {k: (v or "").strip() for k, v in row.items() if k}
        try:
            parse_published(clean.get("published"), where=where)
        except InputError as exc:
            problems.append(Skipped(where, str(exc).removeprefix(f"{where}: "), "The date was ignored; the article's own header is used instead.", repaired=True))
            clean["published"] = ""
        key = Path(name).name
        if key in out:
            problems.append(Skipped(where, f"duplicate row for {key}", "The first row was kept; delete the duplicate.", repaired=True))
            continue
        out[key] = clean
    return out, problems


# ------------------------------------------------------------------------------ inputs


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISDIR, "a folder")):
        if test(mode):
            return name
    return "not a regular file"


def _not_regular(path: Path) -> Skipped | None:
    """A record refusing ``path`` when it is not a regular file (checked before opening it)."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        return Skipped(display(path), f"cannot be read ({exc.strerror or exc})", "Check the path and its permissions.")
    if stat.S_ISREG(mode):
        return None
    return Skipped(display(path), f"{_kind(mode)}, not a regular file; not read",
                   "Give articles as regular files (copy the stream into a file first).")


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
    except ValueError:
        return False
    return True


def _expand(paths: Iterable[str | Path], *, follow_links: bool = False,
            metadata: Path | None = None) -> Iterator[Path | Skipped]:
    """Input files in reading order; what cannot be read as given comes out as Skipped."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    for p in paths:
        p = Path(p)
        if not p.is_dir():
            yield p
            continue
        real = p.resolve()
        try:
            children = sorted(p.iterdir())
        except OSError as exc:
            yield Skipped(display(p), f"folder cannot be listed ({exc.strerror or exc})", "Check its permissions.")
            continue
        for child in children:
            suffix = child.suffix.lower()
            if child.is_symlink() and not follow_links:
                target = child.resolve()
                if not _inside(target, real):
                    if suffix in TEXT_SUFFIXES | JSONL_SUFFIXES or target.is_file():
                        yield Skipped(display(child), f"a symbolic link to {display(target)}, outside the input "
                                      "folder; not followed",
                                      "Pass --follow-links to read what links point to, or copy the file into the folder.")
                    continue
            try:
                mode = child.stat().st_mode
            except OSError:
                if child.is_symlink():
                    yield Skipped(display(child), "a broken symbolic link; not read", "Remove the link or restore its target.")
                continue
            if stat.S_ISDIR(mode):
                if not child.name.startswith(".") and not (child / OUTPUT_MARKER).exists():
                    yield Skipped(display(child), "a folder inside an input folder; not read (folders are read "
                                  "one level deep)", "Pass the folder as an input of its own to read it.", repaired=True)
                continue
            # a folder holds articles as text or JSON Lines; its CSVs are usually metadata
            # or annotations, so CSV corpora are given by name
            if suffix not in TEXT_SUFFIXES | JSONL_SUFFIXES:
                continue
            if not stat.S_ISREG(mode):
                yield Skipped(display(child), f"{_kind(mode)}, not a regular file; not read",
                              "Give articles as regular files.")
                continue
            yield child


def _too_large(size: int) -> str:
    return f"too large for one article ({size:,} bytes; the limit is {MAX_ARTICLE_BYTES:,})"


_SPLIT_FIX = "Split it into one file per article (or one JSON Lines record per article)."


def _from_text_file(path: Path, meta: dict[str, dict[str, str]], *, log: ReadLog | None = None) -> Article | Skipped:
    """One ``.txt`` file as an Article (or why not)."""
    refused = _not_regular(path)
    if refused is not None:
        return refused
    name = display(path.name)
    try:
        size = path.stat().st_size
        if size > MAX_ARTICLE_BYTES:
            return Skipped(display(path), _too_large(size), _SPLIT_FIX)
        data = path.read_bytes()
    except OSError as exc:
        return Skipped(display(path), f"cannot be read ({exc.strerror or exc})", "Check the path and its permissions.")
    if not data.strip():
        if log is not None:
            log.add(path, data, role="articles", encoding="")
        return Skipped(display(path), "empty file", "Remove it or fill it with the article text.")
    if looks_binary(data):
        if log is not None:
            log.add(path, data, role="articles", encoding="")
        return Skipped(display(path), "binary content, not text", "Give the article as plain text (UTF-8).")
    text, encoding = decode_bytes(data)
    if log is not None:
        log.add(path, data, role="articles", encoding=encoding, articles=1)
    text, repaired = clean_text(text.replace("\r\n", "\n").replace("\r", "\n"))
    if not text.strip():
        return Skipped(display(path), "no text (only whitespace or control characters)",
                       "Remove it or fill it with the article text.")
    notes = []
    if encoding not in ("utf-8",):
        notes.append(f"decoded as {encoding}")
    if repaired:
        notes.append(f"repaired: text: {repaired}")
    row = meta.get(path.name, {})
    published = None
    date_source = "none"
    try:
        published = parse_published(row.get("published"), where=f"metadata for {name}")
    except InputError:  # already recorded by read_metadata
        published = None
    if published is not None:
        date_source = "metadata"
    else:
        published = _header_date(text)
        date_source = "header" if published else "none"
    title = clean_text(row.get("title") or "")[0] or _first_line_title(text)
    return Article(
        id=name, text=text, published=published, title=title, url=clean_text(row.get("url", ""))[0],
        source=clean_text(row.get("source", "") or row.get("outlet", ""))[0], path=display(path),
        encoding=encoding, date_source=date_source, notes=tuple(notes),
    )


def _first_line_title(text: str) -> str:
    for line in text.splitlines():
        line = line.strip()
        if line:
            if parse_header_date(line, lines=1):
                continue  # a date stamp above the headline
            if len(line) <= 160 and not line.endswith((".", "!", "?", ":")):
                return line
            return ""
    return ""


def _field(rec: dict, name: str) -> str:
    """A record's text field as a clean string ('' when absent or not text)."""
    v = rec.get(name)
    if v is None or isinstance(v, (dict, list, bool)) or (isinstance(v, float) and v != v):
        return ""
    return clean_text(str(v))[0].strip()


def _record(rec: dict, where: str, fallback_id: str, *, encoding: str = "utf-8") -> Article | Skipped:
    """One JSON Lines or CSV record as an Article (or why not)."""
    rec = {clean_text(str(k))[0].strip().lower(): v for k, v in rec.items() if k is not None}
    text = rec.get("text")
    if isinstance(text, (dict, list)):
        return Skipped(where, f"'text' is a JSON {'object' if isinstance(text, dict) else 'array'}, not a string",
                       "Give each record its article as a string in 'text'.")
    if text is None or isinstance(text, (float, bool)) or not str(text).strip():
        return Skipped(where, "record has no text", "Give each record a non-empty 'text' field.")
    text = str(text)
    if len(text) > MAX_ARTICLE_BYTES:
        return Skipped(where, _too_large(len(text.encode("utf-8", "replace"))), _SPLIT_FIX)
    text, repaired = clean_text(text.replace("\r\n", "\n"))
    if not text.strip():
        return Skipped(where, "record has no text (only control characters)", "Give each record a non-empty 'text' field.")
    rid = _field(rec, "id") or fallback_id
    notes = []
    if not _field(rec, "id"):
        notes.append(f"no 'id' field: named {rid}")
    if repaired:
        notes.append(f"repaired: text: {repaired}")
    raw_date = rec.get("published") or rec.get("date")
    try:
        published = parse_published(raw_date, where=where)
        date_source = "record" if published else "none"
    except InputError as exc:
        notes.append(f"repaired: {exc}")
        published, date_source = None, "none"
    if published is None:
        published = _header_date(text)
        date_source = "header" if published else date_source
    return Article(
        id=rid, text=text, published=published, title=_field(rec, "title"),
        url=_field(rec, "url"), source=_field(rec, "source"), path=where.split(",")[0],
        encoding=encoding, date_source=date_source, notes=tuple(notes),
    )


def _with_repairs(item: Article | Skipped, where: str) -> Iterator[Article | Skipped]:
    """The record, preceded by a repaired-input record for each problem fixed in it."""
    if isinstance(item, Article):
        for note in item.notes:
            if note.startswith("repaired: text: "):
                yield Skipped(where, f"text repaired: {note.removeprefix('repaired: text: ')}",
                              "Check the source's encoding; the repaired text was read", repaired=True)
            elif note.startswith("repaired: "):
                reason = note.removeprefix("repaired: ").removeprefix(f"{where}: ")
                yield Skipped(where, reason, "The date was ignored; the article's own header (if any) is used instead.", repaired=True)
    yield item


def parse_json_line(raw: bytes, *, where: str, first: bool = False) -> tuple[dict | None, Skipped | None, str, str]:
    """One JSON Lines line as a dict, or the reason it cannot be one; never raises.

    A number too long for Python's int conversion (over 4,300 digits raises ``ValueError``)
    is kept as its text, and said so in ``repaired``.

    Returns
    -------
    (record, problem, encoding, repaired)
        Exactly one of ``record`` and ``problem`` is set; ``repaired`` says what was changed.
    """
    if len(raw) > _MAX_RECORD_BYTES:
        return None, Skipped(where, _too_large(len(raw)), _SPLIT_FIX), "", ""
    line, enc = decode_bytes(raw.removeprefix(codecs.BOM_UTF8) if first else raw)
    long_numbers: list[int] = []

    def number(digits: str) -> int | str:
        if len(digits) <= _MAX_INT_DIGITS:
            return int(digits)
        long_numbers.append(len(digits))
        return digits

    try:
        rec = json.loads(line, parse_int=number)
    except json.JSONDecodeError as exc:
        return None, Skipped(where, f"not valid JSON ({exc.msg} at column {exc.colno})", "Write one JSON object per line."), enc, ""
    except RecursionError:
        return None, Skipped(where, "JSON nested too deeply to read", "Write one flat JSON object per line "
                             "(id, text, published, title, url)."), enc, ""
    except Exception as exc:  # noqa: BLE001 - whatever the parser trips on, the line is skipped
        return None, Skipped(where, f"JSON that cannot be read ({type(exc).__name__}: {display(exc)[:200]})",
                             "Write one JSON object per line with plain strings."), enc, ""
    if not isinstance(rec, dict):
        return None, Skipped(where, f"a JSON {type(rec).__name__}, not an object", "Write one JSON object per line with a 'text' field."), enc, ""
    repaired = (f"{len(long_numbers)} number(s) of up to {max(long_numbers):,} digits kept as text"
                if long_numbers else "")
    return rec, None, enc, repaired


def json_line_items(raw: bytes, *, name: str, stem: str, lineno: int) -> tuple[list[Article | Skipped], str]:
    """What one non-blank JSON Lines line gives, exactly as :func:`read_articles` reads it.

    The line is ``line lineno`` of the file ``name`` (``stem`` names records without an
    ``id``: ``stem:lineno``); a byte order mark is dropped from line 1. Never raises: a line
    that cannot be read (bad JSON, nested too deeply, not an object) is one Skipped record.
    The Dask engine calls this for the lines of each block, so both engines read a line alike.

    Returns
    -------
    (items, encoding)
        The records in reading order (repair notes before the Article, or the Skipped), and
        the encoding the line was decoded with (``""`` when it was not decoded).
    """
    where = f"{name}, line {lineno}"
    out: list[Article | Skipped] = []
    enc = ""
    try:
        rec, problem, enc, repaired = parse_json_line(raw, where=where, first=lineno == 1)
        if problem is not None:
            return [problem], enc
        if repaired:
            out.append(Skipped(where, f"record repaired: {repaired}", "Write numbers of a sane size; the "
                               "record was read", repaired=True))
        item = _record(rec, where, f"{stem}:{lineno}", encoding=enc)
    except Exception as exc:  # noqa: BLE001 - one record never ends the file
        return [*out, _failed(where, exc)], enc
    out.extend(_with_repairs(item, where))
    return out, enc


def _from_jsonl(path: Path, *, log: ReadLog | None = None) -> Iterator[Article | Skipped]:
    refused = _not_regular(path)
    if refused is not None:
        yield refused
        return
    try:
        fh = path.open("rb")
    except OSError as exc:
        yield Skipped(display(path), f"cannot be read ({exc.strerror or exc})", "Check the path and its permissions.")
        return
    digest, size, encodings, n_articles = hashlib.sha256(), 0, collections.Counter(), 0
    name = display(path.name)
    try:
        with fh:
            n = 0
            for lineno, raw in enumerate(fh, start=1):
                digest.update(raw)
                size += len(raw)
                if not raw.strip():
                    continue
                n += 1
                items, enc = json_line_items(raw, name=name, stem=path.stem, lineno=lineno)
                if enc:
                    encodings[enc] += 1
                n_articles += sum(isinstance(item, Article) for item in items)
                yield from items
            if n == 0:
                yield Skipped(display(path), "empty file", "Remove it or add one JSON object per line.")
    except OSError as exc:
        yield Skipped(display(path), f"reading stopped ({exc.strerror or exc})", "Check the file; the records before the problem were read.")
    finally:
        if log is not None:
            log.files.append(InputFile(display(path), "articles", size, digest.hexdigest(),
                                       ", ".join(e for e, _ in encodings.most_common()) or "utf-8", n_articles))


class _HashingText:
    """Lines of a text file, hashing the bytes read (for the run's input list)."""

    def __init__(self, fh, encoding: str):
        self._fh, self._encoding = fh, encoding
        self.digest, self.size = hashlib.sha256(), 0

    def __iter__(self) -> Iterator[str]:
        # lines end at "\n" only: the csv module ends a record at the end of each string it is
        # given, so splitting at U+2028 or a form feed (as str.splitlines does) would cut rows
        decoder = codecs.getincrementaldecoder(self._encoding)(errors="replace")
        buf = ""
        while chunk := self._fh.read(1 << 16):
            self.digest.update(chunk)
            self.size += len(chunk)
            parts = (buf + decoder.decode(chunk)).split("\n")
            buf = parts.pop()
            for part in parts:
                yield part + "\n"
        buf += decoder.decode(b"", final=True)
        if buf:
            yield buf


def _from_csv(path: Path, *, log: ReadLog | None = None) -> Iterator[Article | Skipped]:
    refused = _not_regular(path)
    if refused is not None:
        yield refused
        return
    name = display(path.name)
    try:
        with path.open("rb") as fh:
            head = fh.read(65536)
    except OSError as exc:
        yield Skipped(display(path), f"cannot be read ({exc.strerror or exc})", "Check the path and its permissions.")
        return
    if not head.strip():
        if log is not None:
            log.add(path, head, role="articles", encoding="")
        yield Skipped(display(path), "empty file", "Remove it or add a header 'id,text,published,title,url' and rows.")
        return
    _text, encoding = decode_bytes(head)
    encoding = encoding.removesuffix("+replace")
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    n_articles = 0
    src: _HashingText | None = None
    try:
        with path.open("rb") as fh:
            src = _HashingText(fh, encoding)
            records = csv_records(src, delimiter)
            header = next(records, None)
            fields = [clean_text(f)[0].strip().lower() for f in (header[1] if header else [])]
            if "text" not in fields:
                yield Skipped(display(path), f"no 'text' column (found: {', '.join(fields)[:200]})",
                              "The header must name 'id,text,published,title,url'.")
                return
            n_rows = 0
            for lineno, cells, error in records:
                where = f"{name}, line {lineno}"
                if error:
                    n_rows += 1
                    yield Skipped(where, f"row skipped: {error}", "Close the quote or remove the stray quote mark; "
                                  "the rows after it were read.")
                    continue
                if not any(c.strip() for c in cells):
                    continue
                n_rows += 1
                try:
                    item = _record(dict(zip(fields, cells)), where, f"{path.stem}:{lineno}", encoding=encoding)
                except Exception as exc:  # noqa: BLE001 - one row never ends the file
                    yield _failed(where, exc)
                    continue
                n_articles += isinstance(item, Article)
                yield from _with_repairs(item, where)
            if n_rows == 0:
                yield Skipped(display(path), "no rows after the header", "Add one row per article under the header.")
    except OSError as exc:
        yield Skipped(display(path), f"reading stopped ({exc.strerror or exc})", "Check the file; the rows before the problem were read.")
    finally:
        if log is not None and src is not None:
            log.files.append(InputFile(display(path), "articles", src.size, src.digest.hexdigest(), encoding, n_articles))


def _failed(where: str, exc: BaseException) -> Skipped:
    return Skipped(where, f"could not be read ({type(exc).__name__}: {display(exc)[:200]})",
                   "Check this record; the other records were read. If it looks fine, report it to the project.")


def read_articles(
    paths: str | Path | Iterable[str | Path], *, metadata: str | Path | None = None,
    warn: bool = False, follow_links: bool = False, log: ReadLog | None = None,
) -> Iterator[Article | Skipped]:
    """Stream articles from files, folders, JSON Lines and CSV inputs.

    Parameters
    ----------
    paths
        One path or several: ``.txt`` files, folders of them, ``.jsonl`` or ``.csv`` files.
    metadata
        Optional CSV ``file,published[,title,url]`` giving dates for ``.txt`` files.
    warn
        Also emit a :class:`~mapper.errors.SkippedInputWarning` for each skipped input.
    follow_links
        Read what symbolic links inside an input folder point to even when it lies outside
        the folder (by default such links are refused and recorded).
    log
        A :class:`ReadLog` that receives every file read, with its size, hash and encoding.

    Yields
    ------
    Article or Skipped
        One at a time; the corpus is never held in memory. (Wrap the stream in
        :func:`note_duplicates` to have repeated ids noted.)
    """
    meta: dict[str, dict[str, str]] = {}
    if metadata is not None:
        meta, problems = read_metadata(metadata, log=log)
        for p in problems:
            if warn:
                warnings.warn(str(p), SkippedInputWarning, stacklevel=2)
            yield p
    meta_name = Path(metadata).name if metadata else None
    for path in _expand(paths, follow_links=follow_links):
        if isinstance(path, Skipped):
            items: Iterable[Article | Skipped] = [path]
        else:
            items = _items(path, meta, meta_name, log)
        for item in _guarded(items, path):
            if isinstance(item, Skipped) and warn:
                warnings.warn(str(item), SkippedInputWarning, stacklevel=2)
            yield item


def _items(path: Path, meta, meta_name, log) -> Iterable[Article | Skipped]:
    suffix = path.suffix.lower()
    if not path.exists() and not path.is_symlink():
        return [Skipped(display(path), "no such file", "Check the path.")]
    if suffix in JSONL_SUFFIXES:
        return _from_jsonl(path, log=log)
    if suffix in CSV_SUFFIXES:
        return [] if path.name == meta_name else _from_csv(path, log=log)
    return [_from_text_file(path, meta, log=log)]


def _guarded(items: Iterable[Article | Skipped], path) -> Iterator[Article | Skipped]:
    """The items of one input; an unexpected failure ends that input with a record, not the run."""
    it = iter(items)
    while True:
        try:
            item = next(it)
        except StopIteration:
            return
        except Exception as exc:  # noqa: BLE001 - one input never ends the run
            yield _failed(display(path), exc)
            return
        yield item


def note_duplicates(items: Iterable[Article | Skipped]) -> Iterator[Article | Skipped]:
    """The items of :func:`read_articles`, with a note before each article whose id was seen
    before (both are kept; corroboration would count them as one source)."""
    seen: dict[str, str] = {}
    for item in items:
        if isinstance(item, Article):
            where = item.path or item.id
            if item.id in seen:
                yield Skipped(f"{where}: {item.id}", f"duplicate id {item.id!r}: an earlier article (in "
                              f"{seen[item.id]}) has the same id; both were read, and events count them as one source",
                              "Give every article its own id", repaired=True)
            else:
                seen[item.id] = where
        yield item


def iter_articles(paths, *, metadata=None, skipped: list[Skipped] | None = None, follow_links: bool = False,
                  log: ReadLog | None = None) -> Iterator[Article]:
    """Only the articles of :func:`read_articles` (repeated ids noted); skipped inputs go to
    ``skipped`` if given."""
    for item in note_duplicates(read_articles(paths, metadata=metadata, follow_links=follow_links, log=log)):
        if isinstance(item, Article):
            yield item
        elif skipped is not None:
            skipped.append(item)
