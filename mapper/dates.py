"""Temporal expressions in news reports, resolved against the publication date.

resolve_date(expression, anchor)  -> (date | None, precision)
find_dates(sentence, anchor)      -> list[DateMention], in text order
parse_header_date(text)           -> date | None: a dateline or header stamp
format_date(date, precision)      -> the canonical text form ("2017-11-03", "2017-11", "2017")

Precisions follow :data:`mapper.schema.PRECISIONS`. A month date is the first day of the
month, a year date 1 January, a week date a day inside the week meant. Relative expressions
("on Friday", "yesterday", "last week", "in October") resolve to the latest matching date on
or before the anchor, so a past-tense report never lands after its publication; without an
anchor they stay unresolved (``(None, "unknown")``) and are never guessed.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

__all__ = [
    "DateMention",
    "find_dates",
    "format_date",
    "parse_header_date",
    "resolve_date",
]

_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}
_WEEKDAYS = {
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5,
    "sunday": 6,
}
_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}

_MONTH_FULL = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
)
_MONTH_ABBR = r"(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?"
_MONTH = rf"(?:{_MONTH_FULL}|{_MONTH_ABBR})"
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_YEAR = r"(?:19[89]\d|20[0-4]\d)"
_NUM = r"(?:\d{1,2}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"

# order matters: longer, more specific expressions first
_PATTERNS: list[tuple[str, str]] = [
    ("week_of", rf"\bweek of (?P<y>{_YEAR})-(?P<m>\d{{1,2}})-(?P<d>\d{{1,2}})\b"),
    ("iso", rf"\b(?P<y>{_YEAR})-(?P<m>\d{{1,2}})-(?P<d>\d{{1,2}})\b"),
    ("iso_month", rf"\b(?P<y>{_YEAR})-(?P<m>0[1-9]|1[0-2])\b(?!-)"),
    ("dmy", rf"\b(?:{_WEEKDAY},?\s+)?(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>{_MONTH})(?:,?\s+(?P<y>{_YEAR}))?\b"),
    ("mdy", rf"\b(?:{_WEEKDAY},?\s+)?(?P<mon>{_MONTH})\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b(?!:)(?:,?\s+(?P<y>{_YEAR})\b)?"),
    ("month_year", rf"\b(?P<mon>{_MONTH_FULL}|{_MONTH_ABBR})(?:\s+of)?,?\s+(?P<y>{_YEAR})\b"),
    # "in May last year", "October this year"
    ("month_rel_year", rf"\b(?P<mon>{_MONTH_FULL})\s+(?P<rel>last|this|the\s+previous)\s+year\b"),
    # "22/01/2016" when the day is unambiguous (over 12); month-first otherwise is not guessed
    ("numeric", rf"\b(?P<a>\d{{1,2}})/(?P<b>\d{{1,2}})/(?P<y>{_YEAR})\b"),
    ("weekend", r"\b(?:(?:over|during|at|on)\s+the\s+weekend|(?:last|this|past)\s+weekend)\b"),
    # "on the 17th": a day of this month (of the last one when it is still to come); never
    # "the 9th Armoured Division" or "the 17th century"
    ("ordinal_day", r"\b(?:on|by|since|until)\s+the\s+(?P<d>[12]?\d|3[01])(?:st|nd|rd|th)\b(?!\s+(?:[A-Za-z]))"),
    ("rel_month", rf"\b(?P<rel>this|last|past|earlier this|early|late|mid|in|since|during|until|by|from|of|through)(?:\s+|-)(?P<mon>{_MONTH_FULL})\b"),
    ("weekday", rf"\b(?P<rel>last\s+|this\s+|on\s+|late\s+on\s+|early\s+on\s+|late\s+|early\s+)?(?P<wd>{_WEEKDAY})\b"),
    # "a year ago today" is that very day; "two years ago this month" that month
    ("ago", rf"\b(?P<n>{_NUM}|\d{{2,3}})\s+(?P<unit>hours?|days?|weeks?|months?|years?)\s+ago\b"
            rf"(?:,?\s+(?P<exact>today|this\s+week|this\s+month)\b)?"),
    ("today", r"\b(?:today|tonight|this morning|this afternoon|this evening|earlier today)\b"),
    # "in recent days", "over the past few days": the week before the report
    ("recent", r"\b(?:in|over|during)\s+(?:recent|the\s+(?:past|last)(?:\s+few)?)\s+days\b"),
    ("yesterday", r"\b(?:the day before yesterday|yesterday|last night)\b"),
    ("last_unit", r"\b(?P<rel>last|past|this|earlier this|later this|earlier in the|previous)\s+(?P<unit>week|month|year|summer|winter|spring|autumn|fall)\b"),
    # "had earlier captured", "earlier claimed": some time before the report (week precision)
    ("earlier", r"\b(?:had\s+)?earlier\b(?!\s+(?:this|today|in|on|that|than|the|last|today|on))"),
    ("year", rf"\b(?P<y>{_YEAR})\b"),
]
_COMPILED = [(kind, re.compile(p, re.IGNORECASE)) for kind, p in _PATTERNS]
# month and weekday names must be capitalised in running text (``may`` is a verb)
_NEEDS_CAPITAL = {"rel_month", "weekday", "month_year", "dmy", "mdy", "month_rel_year"}


@dataclass(frozen=True)
class DateMention:
    """A temporal expression found in a sentence, resolved against the anchor."""

    start: int
    end: int
    text: str
    date: dt.date | None
    precision: str
    kind: str


def _latest_month(month: int, anchor: dt.date, *, strictly_before: bool = False) -> dt.date:
    year = anchor.year
    if month > anchor.month or (strictly_before and month == anchor.month):
        year -= 1
    return dt.date(year, month, 1)


def _latest_day(month: int, day: int, anchor: dt.date) -> dt.date | None:
    for year in (anchor.year, anchor.year - 1):
        try:
            d = dt.date(year, month, day)
        except ValueError:
            continue
        if d <= anchor:
            return d
    return None


def _month_start_shift(anchor: dt.date, months: int) -> dt.date:
    total = anchor.year * 12 + anchor.month - 1 - months
    return dt.date(total // 12, total % 12 + 1, 1)


def _resolve_match(kind: str, m: re.Match, anchor: dt.date | None) -> tuple[dt.date | None, str]:
    g = m.groupdict()
    if kind in ("iso", "week_of"):
        try:
            d = dt.date(int(g["y"]), int(g["m"]), int(g["d"]))
        except ValueError:
            return None, "unknown"
        return d, "week" if kind == "week_of" else "day"
    if kind == "iso_month":
        return dt.date(int(g["y"]), int(g["m"]), 1), "month"
    if kind in ("dmy", "mdy"):
        month = _MONTHS[g["mon"].rstrip(".").lower()]
        day = int(g["d"])
        if g.get("y"):
            try:
                return dt.date(int(g["y"]), month, day), "day"
            except ValueError:
                return None, "unknown"
        if anchor is None:
            return None, "unknown"
        d = _latest_day(month, day, anchor)
        return (d, "day") if d else (None, "unknown")
    if kind == "month_year":
        return dt.date(int(g["y"]), _MONTHS[g["mon"].rstrip(".").lower()], 1), "month"
    if kind == "numeric":
        a, b, y = int(g["a"]), int(g["b"]), int(g["y"])
        if a > 12 and 1 <= b <= 12:
            day, month = a, b
        elif b > 12 and 1 <= a <= 12:
            day, month = b, a
        else:
            return None, "unknown"  # 03/11/2017: ambiguous, never guessed
        try:
            return dt.date(y, month, day), "day"
        except ValueError:
            return None, "unknown"
    if kind == "month_rel_year":
        if anchor is None:
            return None, "unknown"
        shift = 0 if g["rel"].lower() == "this" else 1
        return dt.date(anchor.year - shift, _MONTHS[g["mon"].lower()], 1), "month"
    if kind == "rel_month":
        if anchor is None:
            return None, "unknown"
        month = _MONTHS[g["mon"].lower()]
        rel = re.sub(r"\s+", " ", g["rel"].lower())
        return _latest_month(month, anchor, strictly_before=rel in ("last", "past")), "month"
    if kind == "weekday":
        if anchor is None:
            return None, "unknown"
        wd = _WEEKDAYS[g["wd"].lower()]
        back = (anchor.weekday() - wd) % 7
        rel = (g.get("rel") or "").strip().lower()
        if rel == "last" and back == 0:
            back = 7
        return anchor - dt.timedelta(days=back), "day"
    if anchor is None:
        if kind == "year":
            return dt.date(int(g["y"]), 1, 1), "year"
        return None, "unknown"
    if kind == "today":
        return anchor, "day"
    if kind == "recent":
        return anchor, "week"
    if kind == "weekend":
        back = (anchor.weekday() - 5) % 7  # the latest Saturday on or before the anchor
        return anchor - dt.timedelta(days=back), "week"
    if kind == "earlier":
        return anchor, "week"
    if kind == "yesterday":
        text = m.group(0).lower()
        return anchor - dt.timedelta(days=2 if "before" in text else 1), "day"
    if kind == "ago":
        n = _NUMBERS.get(g["n"].lower()) or int(g["n"])
        unit = g["unit"].lower().rstrip("s")
        exact = (g.get("exact") or "").lower()
        if unit == "hour":
            return anchor - dt.timedelta(days=n // 24), "day"  # "48 hours ago": two days before
        if exact and unit in ("year", "month"):
            months = 12 * n if unit == "year" else n
            total = anchor.year * 12 + anchor.month - 1 - months
            year, month = total // 12, total % 12 + 1
            if exact == "today":
                day = min(anchor.day, calendar.monthrange(year, month)[1])
                return dt.date(year, month, day), "day"
            if exact == "this month":
                return dt.date(year, month, 1), "month"
            return dt.date(year, month, min(anchor.day, calendar.monthrange(year, month)[1])), "week"
        if unit == "day":
            return anchor - dt.timedelta(days=n), "day"
        if unit == "week":
            return anchor - dt.timedelta(days=7 * n), "week"
        if unit == "month":
            return _month_start_shift(anchor, n), "month"
        return dt.date(anchor.year - n, 1, 1), "year"
    if kind == "last_unit":
        rel = re.sub(r"\s+", " ", g["rel"].lower())
        unit = g["unit"].lower()
        past = rel in ("last", "past", "previous")
        if unit == "week":
            return anchor - dt.timedelta(days=7 if past else 0), "week"
        if unit == "month":
            return _month_start_shift(anchor, 1 if past else 0), "month"
        if unit == "year" or unit in ("summer", "winter", "spring", "autumn", "fall"):
            # a season is coarser than a month: say only the year it most likely falls in
            year = anchor.year - 1 if past else anchor.year
            return dt.date(year, 1, 1), "year"
        return None, "unknown"
    if kind == "ordinal_day":
        if anchor is None:
            return None, "unknown"
        day = int(g["d"])
        back = 0 if day <= anchor.day else 1
        for shift in (back, back + 1):  # the 31st of a 30-day month: the month before that
            first = _month_start_shift(anchor, shift)
            try:
                return first.replace(day=day), "day"
            except ValueError:
                continue
        return None, "unknown"
    if kind == "year":
        return dt.date(int(g["y"]), 1, 1), "year"
    return None, "unknown"  # pragma: no cover - every kind is handled above


_MONTH_STEMS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_KIND_STEMS = {
    "today": ("today", "tonight", "this "),
    "yesterday": ("yesterday", "last night"),
    "ago": ("ago",),
    "recent": ("days",),
    "last_unit": ("last", "past", "this", "earlier", "later", "previous"),
    "weekday": ("day",),
    "earlier": ("earlier",),
    "weekend": ("weekend",),
    "month_rel_year": ("year",),
    "numeric": ("/",),
    "ordinal_day": ("st", "nd", "rd", "th"),
}
_DIGIT = re.compile(r"\d")
_NEEDS_YEAR = frozenset({"week_of", "iso", "iso_month", "month_year", "numeric", "year"})
_NEEDS_DIGIT = frozenset({"dmy", "mdy", "ordinal_day"})
_NEEDS_DASH = frozenset({"week_of", "iso", "iso_month"})
_NEEDS_FULL_MONTH = frozenset({"rel_month", "month_rel_year"})
_MONTH_NAMES = tuple(m for m in _MONTHS if len(m) > 4 or m in ("march", "april", "may", "june", "july"))
_WEEKDAY_NAMES = tuple(_WEEKDAYS)
#: the stems of the kinds that need neither a digit nor a month: without any of them, a digit
#: or a month stem, a text has no date expression
_WORD_STEMS = tuple(dict.fromkeys(st for k in ("weekend", "weekday", "today", "yesterday", "ago", "recent", "last_unit",
                                                "earlier")
                                  for st in _KIND_STEMS[k]))
#: necessary conditions of the slowest patterns, as quick searches (a match contains one)
_MON3 = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
_GATES = {
    "ordinal_day": re.compile(r"\d(?:st|nd|rd|th)\b", re.IGNORECASE),
    "mdy": re.compile(rf"{_MON3}[a-z]*\.?\s+\d", re.IGNORECASE),
    "dmy": re.compile(rf"\d(?:st|nd|rd|th)?\s+(?:of\s+)?{_MON3}", re.IGNORECASE),
}


_DIGIT_BIT, _MONTH_BIT, _YEAR_BIT, _DASH_BIT, _FULL_MONTH_BIT, _WEEKDAY_BIT = 1, 2, 4, 8, 16, 32


def _needs(kind: str) -> int:
    """What a kind's pattern needs in the text before it is worth running (as bits)."""
    bits = 0
    if kind in ("iso", "week_of", "iso_month", "year", "numeric") or kind in _NEEDS_DIGIT:
        bits |= _DIGIT_BIT
    if kind in ("dmy", "mdy", "month_year", "rel_month", "month_rel_year"):
        bits |= _MONTH_BIT
    if kind in _NEEDS_YEAR:
        bits |= _YEAR_BIT
    if kind in _NEEDS_DASH:
        bits |= _DASH_BIT
    if kind in _NEEDS_FULL_MONTH:
        bits |= _FULL_MONTH_BIT
    if kind == "weekday":
        bits |= _WEEKDAY_BIT
    return bits


#: the patterns in order, each with its needs, its stems and its gate
_PLAN = [(kind, rx, _needs(kind), _KIND_STEMS.get(kind), _GATES.get(kind)) for kind, rx in _COMPILED]


def _scan(text: str) -> list[tuple[str, re.Match]]:
    taken: list[tuple[int, int]] = []
    found: list[tuple[str, re.Match]] = []
    lower = text.lower()
    has_digit = _DIGIT.search(text) is not None
    has_month = any(m in lower for m in _MONTH_STEMS)
    if not has_digit and not has_month and not any(st in lower for st in _WORD_STEMS):
        return found
    # exact screens: a kind whose pattern needs a year ("19"/"20"), a digit or a dash is not run
    # without one; where IGNORECASE is plain lowercasing, month and weekday names are looked
    # for whole
    has_year = has_digit and ("19" in text or "20" in text)
    has_dash = "-" in text
    # (IGNORECASE matches only these four non-ASCII characters to ASCII letters)
    plain = text.isascii() or not any(c in text for c in ("\u0130", "\u0131", "\u017f", "\u212a"))
    full_month = has_month and (not plain or any(m in lower for m in _MONTH_NAMES))
    weekday = not plain or any(w in lower for w in _WEEKDAY_NAMES)
    missing = ((not has_digit and _DIGIT_BIT) | (not has_month and _MONTH_BIT) | (not has_year and _YEAR_BIT)
               | (not has_dash and _DASH_BIT) | (not full_month and _FULL_MONTH_BIT) | (not weekday and _WEEKDAY_BIT))
    for kind, rx, needs, stems, gate in _PLAN:
        # cheap tests first: most sentences have no date at all
        if needs & missing:
            continue
        if stems and not any(st in lower for st in stems):
            continue
        if gate is not None and gate.search(text) is None:
            continue
        for m in rx.finditer(text):
            s, e = m.span()
            if any(s < te and ts < e for ts, te in taken):
                continue
            if kind in _NEEDS_CAPITAL:
                name = m.group("mon") if "mon" in rx.groupindex else m.group("wd")
                if name and not name[0].isupper():
                    continue
                if kind == "rel_month" and name.lower() == "may" and (m.group("rel") or "").lower() not in ("in", "since", "last", "this", "early", "late", "mid", "mid-", "during", "until", "by"):
                    continue
            if kind == "mdy" and m.group("mon").lower() == "may" and not m.group("y"):
                # "may 3 soldiers" is not a date; require the capital (checked above)
                pass
            if kind == "year":
                # a year inside a number (e.g. "12,2014") or a count ("2014 people") is no date
                before = text[max(0, s - 1):s]
                after = text[e:e + 8]
                if before in (",", ".", "$") or re.match(r"\s+(?:people|civilians|fighters|troops|km|kilometres|dollars)\b", after):
                    continue
            taken.append((s, e))
            found.append((kind, m))
    found.sort(key=lambda km: km[1].start())
    return found


def find_dates(sentence: str, anchor: dt.date | None) -> list[DateMention]:
    """Every temporal expression in ``sentence``, resolved against ``anchor``.

    Parameters
    ----------
    sentence
        Text to scan (a sentence or a clause).
    anchor
        The publication date; ``None`` leaves relative expressions unresolved.

    Returns
    -------
    list of DateMention
        In text order; unresolvable expressions carry ``date=None`` and precision
        ``unknown``.
    """
    out = []
    for kind, m in _scan(sentence):
        d, p = _resolve_match(kind, m, anchor)
        out.append(DateMention(m.start(), m.end(), m.group(0), d, p, kind))
    return out


def resolve_date(expression: str, anchor: dt.date | None = None) -> tuple[dt.date | None, str]:
    """Resolve one temporal expression against an anchor date.

    Parameters
    ----------
    expression
        "on Friday", "yesterday", "last week", "in October", "Nov. 3", "3 November 2017",
        "2017-11-03", "2017-11", "in 2014", ...
    anchor
        The publication date, or ``None`` when unknown.

    Returns
    -------
    (date or None, precision)
        ``precision`` is one of ``day|week|month|year|unknown``; ``(None, "unknown")`` when
        nothing in the expression can be resolved.

    Examples
    --------
    >>> resolve_date("on Friday", dt.date(2017, 11, 4))
    (datetime.date(2017, 11, 3), 'day')
    >>> resolve_date("in October", dt.date(2017, 11, 4))
    (datetime.date(2017, 10, 1), 'month')
    """
    found = _scan(expression)
    if not found:
        return None, "unknown"
    # the expression with the finest resolvable precision wins ("Friday, 3 November 2017")
    best: tuple[dt.date | None, str] = (None, "unknown")
    rank = {"day": 0, "week": 1, "month": 2, "year": 3, "unknown": 4}
    for kind, m in found:
        d, p = _resolve_match(kind, m, anchor)
        if d is not None and rank[p] < rank[best[1]]:
            best = (d, p)
    return best


def format_date(date: dt.date | None, precision: str) -> str:
    """The canonical text of a dated value; :func:`resolve_date` reads it back unchanged.

    ``day`` -> ``2017-11-03``, ``week`` -> ``week of 2017-11-03``, ``month`` -> ``2017-11``,
    ``year`` -> ``2017``, unknown -> ``""``.
    """
    if date is None or precision == "unknown":
        return ""
    if precision == "day":
        return date.isoformat()
    if precision == "week":
        return f"week of {date.isoformat()}"
    if precision == "month":
        return f"{date.year:04d}-{date.month:02d}"
    if precision == "year":
        return f"{date.year:04d}"
    raise ValueError(f"unknown date precision {precision!r}: use one of day, week, month, year, unknown")


_HEADER_NUMERIC = re.compile(r"\b(?P<m>\d{1,2})\.(?P<d>\d{1,2})\.(?P<y>\d{2}|\d{4})\b")


def parse_header_date(text: str, *, lines: int = 6) -> dt.date | None:
    """The publication date stated in an article's own header or dateline.

    Looks at the first ``lines`` non-empty lines for a full date ("Saturday, 4 November
    2017", "Nov. 3, 2017", "2017-11-03") or a numeric stamp ("10.12.17", read
    month.day.year as US outlets print it). Returns ``None`` when no full date is there:
    a date is never guessed.
    """
    seen = 0
    for line in text.splitlines():
        if not line.strip():
            continue
        seen += 1
        if seen > lines:
            break
        stripped = line.strip()
        for kind, m in _scan(stripped):
            if kind in ("iso",) or (kind in ("dmy", "mdy") and m.group("y")):
                # a header stamp ("Saturday, 4 November 2017", "Published 2017-11-03 10:30")
                # or a dateline ("BEIRUT, Nov. 3, 2017 (Reuters) -"); a date inside a long
                # line (a photo caption, a sentence) dates something else
                rest = len(stripped) - (m.end() - m.start())
                dateline = m.start() <= 40 and re.match(r"\s*(?:\(\w+\)\s*)?[-–—:|]", stripped[m.end():])
                if rest > 40 and not dateline:
                    continue
                d, p = _resolve_match(kind, m, None)
                if d is not None and p == "day":
                    return d
        m = _HEADER_NUMERIC.search(line)
        if m and len(line.strip()) < 60:
            y = int(m.group("y"))
            y = y + 2000 if y < 100 else y
            try:
                return dt.date(y, int(m.group("m")), int(m.group("d")))
            except ValueError:
                continue
    return None
