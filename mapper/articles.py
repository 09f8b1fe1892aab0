"""News articles in, one at a time.

Article                         id, text, published date, title, url, source, path, encoding,
                                date_source
Skipped                         an input that was skipped or repaired, why, and the fix
read_articles(paths, *, metadata=None)  -> Iterator[Article | Skipped], streaming
read_metadata(path)             -> (dict file -> row, list[Skipped])
decode_bytes(data)              -> (text, encoding): UTF-8, UTF-8-SIG, UTF-16 (BOM), cp1252

Inputs are a folder of ``.txt`` files, single ``.txt`` files, JSON Lines (``.jsonl``/
``.ndjson``) and CSV (``.csv``) with the fields ``id, text, published, title, url``. A
metadata CSV (``file,published[,title,url]``) supplies dates for ``.txt`` files; when it has
none, the date is read from the article's own header or dateline; when nothing gives a date
the article is still read, with ``published=None``.

The reader is a generator: one article is in memory at a time (a JSON Lines or CSV file is
read row by row), so memory does not grow with the corpus. Bad inputs never end a run: they
come out as :class:`Skipped` records (and a :class:`~mapper.errors.SkippedInputWarning`
when ``warn=True``).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import json
import re
import sys
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from mapper.dates import parse_header_date
from mapper.errors import InputError, SkippedInputWarning

__all__ = [
    "Article",
    "Skipped",
    "decode_bytes",
    "iter_articles",
    "parse_published",
    "read_articles",
    "read_metadata",
]

#: longest article read (bytes of a file, characters of a record's text): a news report is a
#: few kilobytes; anything over a megabyte is a dump of many articles or not an article at all,
#: and would hold the extraction for minutes. Such inputs are skipped with a reason.
MAX_ARTICLE_BYTES = 1_000_000

TEXT_SUFFIXES = {".txt", ".text"}
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
CSV_SUFFIXES = {".csv", ".tsv"}


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
        return f"{self.input}: {verb}: {self.reason}. {self.fix}"


_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode article bytes, trying UTF-8, UTF-8-SIG, UTF-16 (with BOM), then cp1252.

    Returns
    -------
    (text, encoding)
        ``encoding`` names the codec that worked; ``cp1252+replace`` when even cp1252 had
        undefined bytes and they were replaced.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec), codec
            except UnicodeDecodeError:
                break
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252+replace"


def _looks_binary(data: bytes) -> bool:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    head = data[:4096]
    if b"\x00" in head:
        return True
    control = sum(1 for b in head if b < 9 or 13 < b < 32)
    return control > max(8, len(head) // 20)


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%Y%m%d")


def parse_published(value: object, *, where: str = "published") -> dt.date | None:
    """Parse a publication date given as ``YYYY-MM-DD`` (or an ISO timestamp).

    Blank values give ``None``. Unambiguous written forms ("4 November 2017") are
    accepted too.

    Raises
    ------
    InputError
        The value is not a date, or is ambiguous (``03/11/17``); the message says how to
        write it.
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if not text or text.lower() in ("nan", "nat", "none", "null"):
        return None
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ][0-9:.+\-Z]*)?$", text)
    if m:
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError as exc:
            raise InputError(f"{where}: '{text}' is not a real date ({exc}). Write it as YYYY-MM-DD.") from exc
    if re.match(r"^\d{1,2}[/.]\d{1,2}[/.]\d{2,4}$", text):
        raise InputError(
            f"{where}: published date '{text}' is ambiguous (day/month or month/day). Write it as "
            "YYYY-MM-DD, or leave it blank to take the date from the article's header."
        )
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise InputError(
        f"{where}: published date '{text}' is not a date. Write it as YYYY-MM-DD, or leave it "
        "blank to take the date from the article's header."
    )


def read_metadata(path: str | Path) -> tuple[dict[str, dict[str, str]], list[Skipped]]:
    """Read a metadata CSV (``file,published`` and optionally ``title,url``).

    Rows are keyed by file name (the base name of ``file``). Malformed rows are not fatal:
    a bad date is dropped (the article's header is used instead) and recorded.

    Raises
    ------
    InputError
        The file is missing or has no ``file`` column.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"metadata {path}: no such file. Give a CSV with columns file,published.")
    text, _enc = decode_bytes(path.read_bytes())
    reader = csv.DictReader(text.splitlines())
    fields = [f.strip().lower() for f in (reader.fieldnames or [])]
    if "file" not in fields:
        raise InputError(
            f"metadata {path}: no 'file' column (found: {', '.join(fields) or 'none'}). "
            "The header must start 'file,published'."
        )
    reader.fieldnames = fields
    out: dict[str, dict[str, str]] = {}
    problems: list[Skipped] = []
    for lineno, row in enumerate(reader, start=2):
        where = f"{path.name}, line {lineno}"
        if None in row:  # more cells than columns
            problems.append(Skipped(where, f"{len(row[None])} extra cell(s) ignored", "Quote cells that contain commas.", repaired=True))
            row.pop(None)
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


def _expand(paths: Iterable[str | Path]) -> Iterator[Path]:
    if isinstance(paths, (str, Path)):
        paths = [paths]
    for p in paths:
        p = Path(p)
        if p.is_dir():
            for child in sorted(p.iterdir()):
                # a folder holds articles as text or JSON Lines; its CSVs are usually metadata
                # or annotations, so CSV corpora are given by name
                if child.is_file() and child.suffix.lower() in TEXT_SUFFIXES | JSONL_SUFFIXES:
                    yield child
        else:
            yield p


def _too_large(size: int) -> str:
    return f"too large for one article ({size:,} bytes; the limit is {MAX_ARTICLE_BYTES:,})"


_SPLIT_FIX = "Split it into one file per article (or one JSON Lines record per article)."


def _from_text_file(path: Path, meta: dict[str, dict[str, str]]) -> Article | Skipped:
    try:
        size = path.stat().st_size
        if size > MAX_ARTICLE_BYTES:
            return Skipped(str(path), _too_large(size), _SPLIT_FIX)
        data = path.read_bytes()
    except OSError as exc:
        return Skipped(str(path), f"cannot be read ({exc.strerror or exc})", "Check the path and its permissions.")
    if not data.strip():
        return Skipped(str(path), "empty file", "Remove it or fill it with the article text.")
    if _looks_binary(data):
        return Skipped(str(path), "binary content, not text", "Give the article as plain text (UTF-8).")
    text, encoding = decode_bytes(data)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        return Skipped(str(path), "no text (only whitespace or control characters)",
                       "Remove it or fill it with the article text.")
    notes = []
    if encoding not in ("utf-8",):
        notes.append(f"decoded as {encoding}")
    row = meta.get(path.name, {})
    published = None
    date_source = "none"
    try:
        published = parse_published(row.get("published"), where=f"metadata for {path.name}")
    except InputError:  # already recorded by read_metadata
        published = None
    if published is not None:
        date_source = "metadata"
    else:
        published = parse_header_date(text)
        date_source = "header" if published else "none"
    title = row.get("title") or _first_line_title(text)
    return Article(
        id=path.name, text=text, published=published, title=title, url=row.get("url", ""),
        source=row.get("source", "") or row.get("outlet", ""), path=str(path), encoding=encoding,
        date_source=date_source, notes=tuple(notes),
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


def _record(rec: dict, where: str, fallback_id: str) -> Article | Skipped:
    rec = {str(k).strip().lower(): v for k, v in rec.items() if k is not None}
    text = rec.get("text")
    if text is None or (isinstance(text, float)) or not str(text).strip():
        return Skipped(where, "record has no text", "Give each record a non-empty 'text' field.")
    text = str(text).replace("\r\n", "\n")
    if len(text) > MAX_ARTICLE_BYTES:
        return Skipped(where, _too_large(len(text.encode("utf-8", "replace"))), _SPLIT_FIX)
    rid = str(rec.get("id") or "").strip() or fallback_id
    notes = []
    if not str(rec.get("id") or "").strip():
        notes.append(f"no 'id' field: named {rid}")
    try:
        published = parse_published(rec.get("published") or rec.get("date"), where=where)
        date_source = "record" if published else "none"
    except InputError as exc:
        notes.append(f"repaired: {exc}")
        published, date_source = None, "none"
    if published is None:
        published = parse_header_date(text)
        date_source = "header" if published else date_source
    return Article(
        id=rid, text=text, published=published, title=str(rec.get("title") or ""),
        url=str(rec.get("url") or ""), source=str(rec.get("source") or ""), path=where.split(",")[0],
        encoding="utf-8", date_source=date_source, notes=tuple(notes),
    )


def _with_repairs(item: Article | Skipped, where: str) -> Iterator[Article | Skipped]:
    """The record, preceded by a repaired-input record for each problem fixed in it."""
    if isinstance(item, Article):
        for note in item.notes:
            if note.startswith("repaired: "):
                reason = note.removeprefix("repaired: ").removeprefix(f"{where}: ")
                yield Skipped(where, reason, "The date was ignored; the article's own header (if any) is used instead.", repaired=True)
    yield item


def _from_jsonl(path: Path) -> Iterator[Article | Skipped]:
    try:
        fh = path.open("rb")
    except OSError as exc:
        yield Skipped(str(path), f"cannot be read ({exc.strerror or exc})", "Check the path and its permissions.")
        return
    with fh:
        n = 0
        for lineno, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            n += 1
            where = f"{path.name}, line {lineno}"
            line, _enc = decode_bytes(raw if lineno > 1 else raw.removeprefix(codecs.BOM_UTF8))
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                yield Skipped(where, f"not valid JSON ({exc.msg} at column {exc.colno})", "Write one JSON object per line.")
                continue
            if not isinstance(rec, dict):
                yield Skipped(where, f"a JSON {type(rec).__name__}, not an object", "Write one JSON object per line with a 'text' field.")
                continue
            yield from _with_repairs(_record(rec, where, f"{path.stem}:{lineno}"), where)
        if n == 0:
            yield Skipped(str(path), "empty file", "Remove it or add one JSON object per line.")


def _from_csv(path: Path) -> Iterator[Article | Skipped]:
    data = path.read_bytes()[:65536]
    if not data.strip():
        yield Skipped(str(path), "empty file", "Remove it or add a header 'id,text,published,title,url' and rows.")
        return
    _text, encoding = decode_bytes(data)
    encoding = {"cp1252+replace": "cp1252"}.get(encoding, encoding)
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    with path.open(encoding=encoding, errors="replace", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t" if path.suffix.lower() == ".tsv" else ",")
        if "text" not in [f.strip().lower() for f in (reader.fieldnames or [])]:
            yield Skipped(str(path), f"no 'text' column (found: {', '.join(reader.fieldnames or [])})", "The header must name 'id,text,published,title,url'.")
            return
        for lineno, row in enumerate(reader, start=2):
            where = f"{path.name}, row {lineno}"
            yield from _with_repairs(_record(row, where, f"{path.stem}:{lineno}"), where)


def read_articles(
    paths: str | Path | Iterable[str | Path], *, metadata: str | Path | None = None,
    warn: bool = False,
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

    Yields
    ------
    Article or Skipped
        One at a time; the corpus is never held in memory.
    """
    meta: dict[str, dict[str, str]] = {}
    if metadata is not None:
        meta, problems = read_metadata(metadata)
        for p in problems:
            if warn:
                warnings.warn(str(p), SkippedInputWarning, stacklevel=2)
            yield p
    for path in _expand(paths):
        suffix = path.suffix.lower()
        if not path.exists():
            items: Iterable[Article | Skipped] = [Skipped(str(path), "no such file", "Check the path.")]
        elif suffix in JSONL_SUFFIXES:
            items = _from_jsonl(path)
        elif suffix in CSV_SUFFIXES and path.name != (Path(metadata).name if metadata else None):
            items = _from_csv(path)
        elif suffix in CSV_SUFFIXES:
            continue
        else:
            items = [_from_text_file(path, meta)]
        for item in items:
            if isinstance(item, Skipped) and warn:
                warnings.warn(str(item), SkippedInputWarning, stacklevel=2)
            yield item


def iter_articles(paths, *, metadata=None, skipped: list[Skipped] | None = None) -> Iterator[Article]:
    """Only the articles of :func:`read_articles`; skipped inputs go to ``skipped`` if given."""
    for item in read_articles(paths, metadata=metadata):
        if isinstance(item, Article):
            yield item
        elif skipped is not None:
            skipped.append(item)
