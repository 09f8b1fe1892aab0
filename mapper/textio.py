"""Bytes and text on the way in: decoding, repair, and CSV records that survive broken quoting.

decode_bytes(data)          -> (text, encoding): UTF-8, UTF-8-SIG, UTF-16 (BOM), cp1252
clean_text(text)            -> (text, what was repaired): lone surrogates, NUL and control bytes
display(value)              a path, id or message as printable text
looks_binary(data)          bytes that are not text
csv_records(lines, delim)   -> (first line, cells, error) per record; a malformed record is an
                            error for its first line and reading goes on from the next line

Every reader of user files (articles, metadata, overrides, actor lexicons) goes through these,
so a file is decoded, repaired and split into rows the same way wherever it is read.
"""

from __future__ import annotations

import codecs
import collections
import csv
import os
import re
from collections.abc import Iterable, Iterator

__all__ = ["MAX_FIELD", "clean_text", "csv_records", "decode_bytes", "display", "looks_binary"]

#: longest CSV field read (a field this long swallowed the rows after an unclosed quote)
MAX_FIELD = 4_000_000


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
        ``encoding`` names the codec that worked; ``+replace`` is appended when bytes it could
        not decode were replaced (a byte-order mark followed by invalid text, or bytes that
        even cp1252 leaves undefined).
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec), codec
            except UnicodeDecodeError:  # the mark says what the text is; a bad unit is replaced
                return data.decode(codec, errors="replace"), f"{codec}+replace"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252+replace"


_SURROGATE = re.compile("[\ud800-\udfff]")
#: C0 controls other than tab, newline and carriage return, and DEL
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(text: str) -> tuple[str, str]:
    """``text`` safe to process and write: lone surrogates and control bytes repaired.

    A lone surrogate (``\\ud83d`` from a JSON escape, or a file name that is not UTF-8) cannot
    be written as UTF-8 and becomes U+FFFD; NUL and the other C0 control characters (tab and
    line ends excepted) are dropped.

    Returns
    -------
    (text, repaired)
        ``repaired`` says what was changed (empty when nothing was).
    """
    if not isinstance(text, str):
        text = str(text)
    done = []
    if _SURROGATE.search(text):
        n = len(_SURROGATE.findall(text))
        text = _SURROGATE.sub("\ufffd", text)
        done.append(f"{n} lone surrogate(s) replaced with U+FFFD")
    if _CONTROL.search(text):
        nul = text.count("\x00")
        n = len(_CONTROL.findall(text))
        text = _CONTROL.sub("", text)
        done.append(f"{n} control character(s) removed" + (f" ({nul} NUL)" if nul else ""))
    return text, "; ".join(done)


def display(value: object) -> str:
    """A path or id as printable text (file names that are not UTF-8 keep a U+FFFD)."""
    return clean_text(os.fspath(value) if isinstance(value, os.PathLike) else str(value))[0]


def looks_binary(data: bytes) -> bool:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    head = data[:4096]
    if b"\x00" in head:
        return True
    control = sum(1 for b in head if b < 9 or 13 < b < 32)
    return control > max(8, len(head) // 20)


class _Lines:
    """Numbered lines for ``csv.reader``, rewindable to just after a malformed record's first line."""

    def __init__(self, source: Iterable[str]):
        self._source = iter(source)
        self._queue: collections.deque[tuple[int, str]] = collections.deque()
        self._n = 0
        self.pending: list[tuple[int, str]] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self._queue:
            item = self._queue.popleft()
        else:
            line = next(self._source)
            self._n += 1
            item = (self._n, line)
        self.pending.append(item)
        return item[1]

    def take(self) -> int:
        """The first line number of the record just read (and forget its lines)."""
        first = self.pending[0][0] if self.pending else self._n + 1
        self.pending = []
        return first

    def rewind(self) -> int:
        """Put back every line of a malformed record but its first; returns that first line."""
        if not self.pending:
            return self._n + 1
        first, rest = self.pending[0][0], self.pending[1:]
        self._queue.extendleft(reversed(rest))
        self.pending = []
        return first


def csv_records(source: Iterable[str], delimiter: str = ",", *, max_field: int = MAX_FIELD,
                ) -> Iterator[tuple[int, list[str], str | None]]:
    """(first line number, cells, error) of each CSV record, the header first.

    A record with broken quoting (a quote never closed swallows every row after it in a
    lenient reader) comes out as an error for its first line, and reading goes on from the
    next line, so the rows after it are kept.
    """
    lines = _Lines(source)
    previous = csv.field_size_limit()
    csv.field_size_limit(max_field)
    try:
        while True:
            reader = csv.reader(lines, delimiter=delimiter, strict=True)
            try:
                for row in reader:
                    yield lines.take(), row, None
                return
            except csv.Error as exc:
                first = lines.rewind()
                yield first, [], f"malformed CSV from this line on ({exc})"
    finally:
        csv.field_size_limit(previous)
