"""Corroborated control-change events: the table every later stage reads.

corroborate(reports, *, day_window=3)     -> DataFrame[EVENT_COLUMNS]
read_overrides(path)                      -> Overrides: the valid rows, and every bad row with why
apply_overrides(events, path, *, errors)  -> DataFrame[EVENT_COLUMNS], analyst overrides applied
to_csv / read_csv                         CSV, dates ``YYYY-MM-DD`` with their precision, formula
                                          cells neutralised on the way out and restored on the way in
to_geojson / read_geojson                 RFC 7946 FeatureCollection of dated points (lon, lat)
to_gpkg / read_gpkg                       GeoPackage layer (EPSG:4326)

Corroboration groups reports of the same place whose claims agree: the same event type,
no disagreement on who took the place or who lost it, and dates compatible within the
coarser of the two precisions (a few days for two day dates). Each group becomes one event
with its sources, their citations and the best-supported date (the finest precision, and
within it the date most reports give). Claims that disagree (another taker on nearby dates,
or the same change dated far apart) stay separate events and are flagged ``conflict``.

Every IO pair round-trips without loss: dates, precisions, flags and citations included.
Frames work with ``date`` as a ``datetime64`` column (``NaT`` when unknown).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import math
import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mapper.errors import InputError
from mapper.names import fold
from mapper.outputs import atomic_write, csv_text
from mapper.outputs import read_csv as _read_text_csv
from mapper.schema import (
    ACTORS,
    EVENT_COLUMNS,
    EVENT_TYPES,
    PRECISION_RANK,
    PRECISIONS,
    REPORT_COLUMNS,
    WGS84,
)

__all__ = [
    "Overrides",
    "apply_overrides",
    "corroborate",
    "corroborate_parts",
    "empty_events",
    "read_csv",
    "read_geojson",
    "read_gpkg",
    "read_overrides",
    "to_csv",
    "to_geojson",
    "write_geojson",
    "to_gpkg",
]

#: how far apart two dates of each precision may be and still name the same change (days)
_TOLERANCE = {"day": 3, "week": 7, "month": 31, "year": 366, "unknown": None}
_FLOAT_COLUMNS = ("lat", "lon", "confidence")
_INT_COLUMNS = ("n_sources", "start", "end")
_DATE_COLUMNS = ("date", "published")


# ------------------------------------------------------------------------------ schema


def _normalise(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The canonical dtypes: datetime64 dates, float coordinates, str text ("" not NaN)."""
    out = df.copy()
    for c in columns:
        if c not in out.columns:
            out[c] = pd.NA
    out = out[columns]
    for c in columns:
        if c in _DATE_COLUMNS:
            out[c] = pd.to_datetime(out[c].replace("", None), errors="coerce").astype("datetime64[ns]")
        elif c in _FLOAT_COLUMNS:
            out[c] = pd.to_numeric(out[c], errors="coerce").astype("float64")
        elif c in _INT_COLUMNS:
            out[c] = pd.to_numeric(out[c], errors="coerce").fillna(0).astype("int64")
        else:
            out[c] = out[c].astype(object).where(out[c].notna(), "").astype(str).astype("str")
    return out.reset_index(drop=True)


def empty_events() -> pd.DataFrame:
    """An event table with no rows and the canonical dtypes."""
    return _normalise(pd.DataFrame(columns=EVENT_COLUMNS), EVENT_COLUMNS)


def _columns_of(df: pd.DataFrame) -> list[str]:
    if "event_id" in df.columns:
        return EVENT_COLUMNS
    if "article" in df.columns:
        return REPORT_COLUMNS
    return list(df.columns)


# ------------------------------------------------------------------------------ corroborate


def _compatible(a: dict, b: dict, *, day_window: int) -> bool:
    if a["event_type"] != b["event_type"]:
        return False
    for side in ("gainer", "loser"):
        if a[side] and b[side] and a[side] != b[side]:
            return False
    return _dates_close(a, b, day_window=day_window)


def _dates_close(a: dict, b: dict, *, day_window: int) -> bool:
    if pd.isna(a["date"]) or pd.isna(b["date"]):
        return True
    pa, pb = a["date_precision"], b["date_precision"]
    coarse = max(pa, pb, key=lambda p: PRECISION_RANK.get(p, 4))
    if coarse == "unknown":
        return True
    if coarse == "month":
        # the same calendar month (a day date inside the month agrees with it)
        return (a["date"].year, a["date"].month) == (b["date"].year, b["date"].month)
    if coarse == "year":
        return a["date"].year == b["date"].year
    limit = day_window if coarse == "day" else _TOLERANCE[coarse]
    return abs((a["date"] - b["date"]).days) <= limit


def _event_id(place_id: str, event_type: str, date, gainer: str, n: int) -> str:
    d = "" if pd.isna(date) else pd.Timestamp(date).date().isoformat()
    key = f"{place_id}|{event_type}|{d}|{gainer}|{n}"
    return "ev-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]


def _best_date(group: list[dict]) -> tuple[pd.Timestamp, str]:
    dated = [r for r in group if not pd.isna(r["date"]) and r["date_precision"] in PRECISIONS[:-1]]
    if not dated:
        return pd.NaT, "unknown"
    finest = min(PRECISION_RANK[r["date_precision"]] for r in dated)
    cands = [r for r in dated if PRECISION_RANK[r["date_precision"]] == finest]
    votes = Counter(pd.Timestamp(r["date"]) for r in cands)
    best = max(votes.items(), key=lambda kv: (kv[1], sum(r["confidence"] for r in cands if pd.Timestamp(r["date"]) == kv[0]), -kv[0].value))
    return best[0], PRECISIONS[finest]


def corroborate(reports: pd.DataFrame, *, day_window: int = 3) -> pd.DataFrame:
    """Group reports into corroborated events.

    Parameters
    ----------
    reports
        A report table (:data:`mapper.schema.REPORT_COLUMNS`), e.g. from
        :func:`mapper.extract.extract_corpus`. Not modified.
    day_window
        Two day-precision dates this many days apart or closer may name the same change.

    Returns
    -------
    DataFrame
        :data:`mapper.schema.EVENT_COLUMNS`; ``sources`` are the ';'-joined article ids,
        ``citations`` a JSON list (article, title, url, published, evidence,
        name_as_written) with one entry per report. Events that contradict another event
        of the same place (a different taker on compatible dates, or the same change dated
        far apart) carry a ``conflict:<event_id>`` flag.
    """
    if reports is None or len(reports) == 0:
        return empty_events()
    missing = {"place_id", "event_type", "date", "date_precision"} - set(reports.columns)
    if missing:
        raise InputError(f"reports: missing column(s) {', '.join(sorted(missing))}. Pass the table from extract_corpus().")
    events, _ = _events_of(_place_batches(reports), day_window=day_window, n0=0)
    return _events_frame(events)


def corroborate_parts(parts: Callable[[], Iterable[pd.DataFrame]], *, workdir: str | os.PathLike,
                      day_window: int = 3, batch_rows: int = 200_000) -> pd.DataFrame:
    """:func:`corroborate` of a report table read part by part, out of core.

    ``parts()`` gives the table's parts (a :class:`mapper.spool.RowSpool`'s ``parts``); it is
    called twice. The first pass counts the reports of each place; the second writes each
    part's rows to buckets of whole places under ``workdir``, ranges of places in sorted order
    of about ``batch_rows`` reports each; each bucket is then corroborated alone. Memory holds
    one bucket's reports and the events, never the whole report table, and the events are the
    same, with the same ids, as :func:`corroborate` of the whole table.
    """
    from mapper.spool import RowSpool

    counts: Counter = Counter()
    columns: list[str] | None = None
    for part in parts():
        columns = columns or list(part.columns)
        pid = part["place_id"].astype(object).where(part["place_id"].notna(), "").astype(str) if len(part) else []
        counts.update(p for p in pid if p)
    if not counts:
        return empty_events()
    missing = {"place_id", "event_type", "date", "date_precision"} - set(columns or ())
    if missing:
        raise InputError(f"reports: missing column(s) {', '.join(sorted(missing))}. Pass the table from extract_corpus().")
    bucket_of: dict[str, int] = {}
    b = size = 0
    for pid in sorted(counts):
        if size >= batch_rows:
            b, size = b + 1, 0
        bucket_of[pid] = b
        size += counts[pid]
    spools = [RowSpool(Path(workdir) / f"bucket-{i:04d}", lambda rows: pd.DataFrame(rows, columns=columns))
              for i in range(b + 1)]
    for part in parts():
        if not len(part):
            continue
        pid = part["place_id"].astype(object).where(part["place_id"].notna(), "").astype(str)
        which = pid.map(bucket_of)
        for i, sub in part[which.notna()].groupby(which[which.notna()].astype(int), sort=True):
            spools[int(i)].add_frame(sub)
    frames: list[pd.DataFrame] = []
    n = 0
    for spool in spools:
        got, n = _events_of(_place_batches(spool.frame()), day_window=day_window, n0=n)
        frames.append(_bucket_frame(got))  # a bucket's dicts at a time, not the corpus'
        del got
    return _events_frame_of(frames)


def _events_of(batches, *, day_window: int, n0: int) -> tuple[list[dict], int]:
    """Events of batches of whole places, numbered from ``n0``, conflicts flagged."""
    events: list[dict] = []
    n = n0
    # a batch of places at a time (reports of different places never group), so only a batch's
    # reports are copied and made Python dicts at once (a 100,000-article corpus has some
    # 600,000 reports); places in sorted order keep the ids of a global pass
    for rows in batches:
        for g in _group_reports(rows, day_window=day_window):
            events.append(_event_of(g, n))
            n += 1
    # conflicts: the same place claimed by different takers on compatible dates, or the same
    # change reported on dates too far apart to be one event (pairs within one place only)
    by_place: dict[str, list[dict]] = {}
    for e in events:
        by_place.setdefault(e["place_id"], []).append(e)
    for same_place in by_place.values():
        for a, b in _candidate_pairs(same_place):
            _mark_conflict(a, b, day_window=day_window)
    for e in events:
        e["flags"] = ";".join(e["flags"])
    return events, n


def _events_frame(events: list[dict]) -> pd.DataFrame:
    out = pd.DataFrame(events, columns=EVENT_COLUMNS)
    out = out.sort_values(["date", "place", "event_type"], na_position="last", kind="stable")
    return _normalise(out, EVENT_COLUMNS)


def _bucket_frame(events: list[dict]) -> pd.DataFrame:
    """The events of one bucket as a normalised table (its text in Arrow strings, so the
    bucket's Python objects can all go), with the NA marks :func:`_events_frame_of` sorts by."""
    raw = pd.DataFrame(events, columns=EVENT_COLUMNS)
    na = {c: raw[c].isna().to_numpy() for c in ("place", "event_type")}
    out = _normalise(raw, EVENT_COLUMNS)
    out["_na_place"], out["_na_type"] = na["place"], na["event_type"]
    return out


def _events_frame_of(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """:func:`_events_frame` of the buckets' tables: the same rows in the same order (a missing
    place or type sorts last, as the raw values do)."""
    out = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    out = out.sort_values(["date", "_na_place", "place", "_na_type", "event_type"], na_position="last",
                          kind="stable")
    return out.drop(columns=["_na_place", "_na_type"]).reset_index(drop=True)


_BATCH_ROWS = 20_000


def _place_batches(reports: pd.DataFrame):
    """The reports with a place, normalised, as lists of dicts of whole places (places in
    sorted order; within a place, strongest and finest-dated first), about
    :data:`_BATCH_ROWS` rows per list."""
    pids = reports["place_id"].astype(object).where(reports["place_id"].notna(), "").astype(str).to_numpy()
    order = np.argsort(pids, kind="stable")
    order = order[pids[order] != ""]
    if not len(order):
        return
    cuts = np.flatnonzero(pids[order][1:] != pids[order][:-1]) + 1
    batch: list[np.ndarray] = []
    size = 0
    for chunk in np.split(order, cuts):
        batch.append(chunk)
        size += len(chunk)
        if size >= _BATCH_ROWS:
            yield _sorted_rows(reports, batch)
            batch, size = [], 0
    if batch:
        yield _sorted_rows(reports, batch)


def _sorted_rows(reports: pd.DataFrame, chunks: list[np.ndarray]) -> list[dict]:
    rows = _normalise(reports.iloc[np.concatenate(chunks)], REPORT_COLUMNS).to_dict("records")
    # strongest, finest-dated claims first so each group is seeded by its best report
    rows.sort(key=lambda r: (r["place_id"], r["event_type"], PRECISION_RANK.get(r["date_precision"], 4),
                             -r["confidence"], r["article"]))
    return rows


def _group_reports(rows: list[dict], *, day_window: int) -> list[list[dict]]:
    """Reports (sorted, strongest first) in groups: each joins the first group of its place and
    type whose every member it is compatible with. A group keeps its members' named sides and
    its distinct dates, so the test costs the number of distinct dates, not the group's size
    (a corpus of 100,000 articles repeats one change in thousands of reports)."""
    groups: list[list[dict]] = []
    by_key: dict[tuple[str, str], list[_Group]] = {}
    for r in rows:
        for grp in by_key.setdefault((r["place_id"], r["event_type"]), []):
            if grp.accepts(r, day_window=day_window):
                grp.add(r)
                break
        else:
            grp = _Group(r)
            by_key[(r["place_id"], r["event_type"])].append(grp)
            groups.append(grp.members)
    return groups


def _event_of(g: list[dict], n: int) -> dict:
    """The event of one group of reports (``n``: its rank, part of the id)."""
    date, precision = _best_date(g)
    best = max(g, key=lambda r: (r["confidence"], bool(r["gainer"]), bool(r["loser"])))
    gainer = Counter(r["gainer"] for r in g if r["gainer"]).most_common(1)
    loser = Counter(r["loser"] for r in g if r["loser"]).most_common(1)
    sources = list(dict.fromkeys(r["article"] for r in g))
    conf = 1.0
    for r in g:
        conf *= 1.0 - min(0.95, float(r["confidence"]))
    citations = [
        {
            "article": r["article"], "title": r["title"], "url": r["url"],
            "published": "" if pd.isna(r["published"]) else pd.Timestamp(r["published"]).date().isoformat(),
            "evidence": r["evidence"], "name_as_written": r["name_as_written"],
        }
        for r in g
    ]
    report_flags = [{f for f in (r["flags"] or "").split(";") if f} for r in g]
    # a date flag ("date_from_publication") holds for the event only if every report has it
    date_flags = set.intersection(*[{f for f in fl if f.startswith("date_")} for fl in report_flags])
    flags = sorted({f for fl in report_flags for f in fl if not f.startswith("date_")} | date_flags)
    return {
        "event_id": _event_id(best["place_id"], best["event_type"], date, gainer[0][0] if gainer else "", n),
        "place_id": best["place_id"], "place": best["place"], "country": best["country"],
        "name_as_written": Counter(r["name_as_written"] for r in g).most_common(1)[0][0],
        "lat": best["lat"], "lon": best["lon"], "event_type": best["event_type"],
        "gainer": gainer[0][0] if gainer else "", "loser": loser[0][0] if loser else "",
        "date": date, "date_precision": precision, "confidence": round(1.0 - conf, 3),
        "evidence": best["evidence"], "sources": ";".join(sources), "n_sources": len(sources),
        "citations": json.dumps(citations, ensure_ascii=False), "flags": flags,
    }


class _Group:
    """Reports of one change: its members, their named sides and their distinct dates."""

    __slots__ = ("members", "gainers", "losers", "dates")

    def __init__(self, first: dict):
        self.members: list[dict] = []
        self.gainers: set[str] = set()
        self.losers: set[str] = set()
        self.dates: dict[tuple, dict] = {}
        self.add(first)

    def add(self, r: dict) -> None:
        self.members.append(r)
        if r["gainer"]:
            self.gainers.add(r["gainer"])
        if r["loser"]:
            self.losers.add(r["loser"])
        key = (None if pd.isna(r["date"]) else pd.Timestamp(r["date"]), r["date_precision"])
        self.dates.setdefault(key, r)

    def accepts(self, r: dict, *, day_window: int) -> bool:
        """Whether ``r`` is compatible with every member (same rule as pairwise)."""
        if r["gainer"] and self.gainers - {r["gainer"]}:
            return False
        if r["loser"] and self.losers - {r["loser"]}:
            return False
        return all(_dates_close(x, r, day_window=day_window) for x in self.dates.values())


#: no two dates further apart than this are "close" at any precision (a year date spans 365 days)
_CLOSE_BOUND_DAYS = 400


def _candidate_pairs(events: list[dict]):
    """Pairs of one place's events that may conflict, in the order the events were made.

    Dated events are compared with those up to :data:`_CLOSE_BOUND_DAYS` away (no date
    further apart is close at any precision) and, for the same change reported far apart,
    with the next event of the same type and taker; undated events with every other. Linear
    in the events of the place for a corpus that spreads them over time, instead of
    quadratic.
    """
    order = {id(e): i for i, e in enumerate(events)}
    dated = sorted((e for e in events if not pd.isna(e["date"])), key=lambda e: (pd.Timestamp(e["date"]), order[id(e)]))
    undated = [e for e in events if pd.isna(e["date"])]
    seen: set[tuple[int, int]] = set()

    def pair(a, b):
        key = (min(order[id(a)], order[id(b)]), max(order[id(a)], order[id(b)]))
        if key not in seen:
            seen.add(key)
            first, second = (a, b) if order[id(a)] < order[id(b)] else (b, a)
            yield first, second

    days = [pd.Timestamp(e["date"]).value // 86_400_000_000_000 for e in dated]
    for i, a in enumerate(dated):
        j = i + 1
        while j < len(dated) and days[j] - days[i] <= _CLOSE_BOUND_DAYS:
            yield from pair(a, dated[j])
            j += 1
    last: dict[tuple[str, str], dict] = {}
    for e in dated:
        k = (e["event_type"], e["gainer"])
        if k in last:
            yield from pair(last[k], e)
        last[k] = e
    for i, a in enumerate(undated):
        for b in dated + undated[i + 1:]:
            yield from pair(a, b)


def _mark_conflict(a: dict, b: dict, *, day_window: int) -> None:
    """Flag two events of one place that contradict each other."""
    close = _dates_close(a, b, day_window=day_window)
    takers_differ = a["gainer"] and b["gainer"] and a["gainer"] != b["gainer"]
    same_change_apart = a["event_type"] == b["event_type"] and a["gainer"] == b["gainer"] and not close
    taking = a["event_type"] in ("captured", "held") and b["event_type"] in ("captured", "held")
    if (close and takers_differ and taking) or same_change_apart:
        a["flags"].append(f"conflict:{b['event_id']}")
        b["flags"].append(f"conflict:{a['event_id']}")


# ------------------------------------------------------------------------------ overrides

_OVERRIDE_ACTIONS = ("add", "drop", "correct")
_OVERRIDE_FIX = "Fix the row and run again; the other rows were applied"


@dataclass
class Overrides:
    """An overrides file read and checked: its valid rows, and each bad row with the reason.

    ``rows`` are ``(line, row)`` pairs (row: lower-case column -> stripped text);
    ``problems`` are ``(line, message)`` pairs, line 0 for the file as a whole.
    """

    path: Path
    rows: list[tuple[int, dict]] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)
    encoding: str = "utf-8"
    sha256: str = ""
    size: int = 0

    def messages(self) -> list[str]:
        """One line per problem: ``<file>, line N: why``."""
        return [f"{self.path.name}{f', line {n}' if n else ''}: {msg}" for n, msg in self.problems]


def _number(row: dict, col: str, *, lo: float, hi: float) -> str | None:
    """Why the optional number ``row[col]`` is unusable, or None when it is fine or blank."""
    text = row.get(col, "")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return f"{col} {text!r} is not a number (write a decimal with a point, e.g. 36.34)"
    if not math.isfinite(value):
        return f"{col} {text!r} is not a finite number"
    if not lo <= value <= hi:
        return f"{col} {text} is outside {lo:g}..{hi:g}"
    return None


def _check_override(row: dict) -> str | None:
    """Why an override row cannot be applied (before any gazetteer lookup), or None."""
    action = row.get("action", "").lower()
    if action not in _OVERRIDE_ACTIONS:
        return f"action {row.get('action')!r} is not one of add, drop, correct"
    if not row.get("place_id") and not row.get("place"):
        return "no place_id or place: say which place the override is about"
    try:
        _parse_override_date(row.get("date", ""), row.get("date_precision") or None)
        if row.get("new_date"):
            _parse_override_date(row["new_date"], row.get("date_precision") or None)
    except ValueError as exc:
        return str(exc)
    if row.get("date_precision") and row["date_precision"] not in PRECISIONS:
        return f"date_precision {row['date_precision']!r} is not one of {', '.join(PRECISIONS)}"
    if row.get("event_type") and row["event_type"] not in EVENT_TYPES:
        return f"event_type {row['event_type']!r} is not one of {', '.join(EVENT_TYPES)}"
    for side in ("gainer", "loser"):
        if row.get(side) and row[side] not in ACTORS:
            return f"{side} {row[side][:60]!r} is not one of {', '.join(ACTORS)}"
    for col, lo, hi in (("lat", -90.0, 90.0), ("lon", -180.0, 180.0), ("confidence", 0.0, 1.0)):
        why = _number(row, col, lo=lo, hi=hi)
        if why:
            return why
    if action == "add" and not row.get("event_type"):
        return "an added event needs an event_type"
    return None


def read_overrides(path: str | os.PathLike) -> Overrides:
    """Read an overrides CSV and check every row up front.

    The file may be UTF-8 (with or without BOM), UTF-16 with BOM or cp1252/latin-1; every bad
    row is collected with its reason (the osmnx style: fix the file once, not once per run).

    Raises
    ------
    InputError
        The file is missing or unreadable, or its header lacks ``action`` and a place column.
    """
    from mapper.textio import clean_text, csv_records, decode_bytes

    path = Path(path)
    if not path.is_file():
        raise InputError(f"overrides {path}: no such file. Give a CSV with columns action,place_id,place,date,...")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"overrides {path}: cannot be read ({exc.strerror or exc}). Check its permissions.") from exc
    text, encoding = decode_bytes(data)
    text = clean_text(text)[0]
    out = Overrides(path, encoding=encoding, sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    records = csv_records(io.StringIO(text, newline=""), ",")
    header = next(records, None)
    fields = [f.strip().lower() for f in (header[1] if header else [])]
    if "action" not in fields or not ({"place_id", "place"} & set(fields)):
        raise InputError(
            f"overrides {path}: the header needs 'action' and 'place_id' or 'place' "
            f"(found: {', '.join(fields)[:200] or 'none'})."
        )
    for line, cells, error in records:
        if error:
            out.problems.append((line, error))
            continue
        if not any(c.strip() for c in cells):
            continue
        row = {k: (v or "").strip() for k, v in zip(fields, cells) if k}
        why = _check_override(row)
        if why:
            out.problems.append((line, why))
        else:
            out.rows.append((line, row))
    return out


def _parse_override_date(text: str, precision: str | None) -> tuple[pd.Timestamp, str]:
    if not text:
        return pd.NaT, "unknown"
    parts = text.split("-")
    try:
        if len(parts) == 1:
            day = dt.date(int(parts[0]), 1, 1)
            precision = precision or "year"
        elif len(parts) == 2:
            day = dt.date(int(parts[0]), int(parts[1]), 1)
            precision = precision or "month"
        else:
            day = dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
            precision = precision or "day"
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"date '{text[:40]}' is not YYYY, YYYY-MM or YYYY-MM-DD") from exc
    from mapper.articles import SUPPORTED_DATES

    if not SUPPORTED_DATES[0] <= day <= SUPPORTED_DATES[1]:
        raise ValueError(f"date '{text}' is outside the supported range "
                         f"{SUPPORTED_DATES[0].year}-{SUPPORTED_DATES[1].year}")
    return pd.Timestamp(day), precision


def apply_overrides(events: pd.DataFrame, path: str | os.PathLike | Overrides, *, gazetteer=None,
                    errors: str = "raise") -> pd.DataFrame:
    """Apply an analyst's overrides; they always win, and each is recorded.

    The CSV has one row per override: ``action`` (``add``, ``drop`` or ``correct``), the
    place (``place_id``, or ``place`` matched by name against ``place`` and
    ``name_as_written``), ``date`` (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; for ``drop``
    and ``correct`` it selects the events whose date falls within it, blank = every event
    of the place) and, for ``add`` and ``correct``, any of ``event_type, gainer, loser,
    date_precision, lat, lon, confidence, note``. A ``correct`` row changes only the
    fields it fills (``new_date`` moves the date).

    Parameters
    ----------
    path
        The CSV, or the :class:`Overrides` that :func:`read_overrides` made of it.
    errors : {'raise', 'skip'}
        ``raise``: any bad row raises (all of them named). ``skip``: the good rows are applied
        and the bad ones listed in ``attrs["override_problems"]`` (``{"line", "problem"}``).

    Returns
    -------
    DataFrame
        A new event table; overridden events carry an ``override:<action>:<file>:<line>``
        flag and ``DataFrame.attrs["overrides"]`` lists every override and how many events
        it touched.

    Raises
    ------
    InputError
        With ``errors='raise'``: every malformed row (unknown action, bad date, unknown event
        type or actor, a bad number, an ``add`` without coordinates that the gazetteer cannot
        place), reported together.
    """
    if errors not in ("raise", "skip"):
        raise InputError(f"errors={errors!r}: use 'raise' or 'skip'")
    table = path if isinstance(path, Overrides) else read_overrides(path)
    path = table.path
    out = _normalise(events, EVENT_COLUMNS).to_dict("records")
    problems: list[tuple[int, str]] = list(table.problems)
    log: list[dict] = []
    for line, row in table.rows:
        action = row["action"].lower()
        date, precision = _parse_override_date(row.get("date", ""), row.get("date_precision") or None)
        new_date = _parse_override_date(row["new_date"], row.get("date_precision") or None) if row.get("new_date") else None
        tag = f"override:{action}:{path.name}:{line}"
        if action == "add":
            lat, lon, place_id, place, country = row.get("lat"), row.get("lon"), row.get("place_id", ""), row.get("place", ""), row.get("country", "")
            if (not lat or not lon) and gazetteer is not None:
                hit = gazetteer.get(place_id) if place_id else gazetteer.resolve(place)
                if hit is not None:
                    lat, lon, place_id = hit.lat, hit.lon, place_id or hit.place_id
                    place, country = place or hit.name, country or hit.country
            try:
                lat_f, lon_f = float(lat), float(lon)
            except (TypeError, ValueError):
                problems.append((line, "an added event needs lat and lon (or a place the gazetteer knows)"))
                continue
            out.append({
                "event_id": _event_id(place_id or place, row["event_type"], date, row.get("gainer", ""), line),
                "place_id": place_id or f"override:{fold(place)}", "place": place or place_id,
                "country": country, "name_as_written": place or place_id, "lat": lat_f, "lon": lon_f,
                "event_type": row["event_type"], "gainer": row.get("gainer", ""), "loser": row.get("loser", ""),
                "date": date, "date_precision": precision if not pd.isna(date) else "unknown",
                "confidence": float(row.get("confidence") or 1.0), "evidence": row.get("note", ""),
                "sources": f"override:{path.name}:{line}", "n_sources": 0,
                "citations": json.dumps([{"article": f"override:{path.name}:{line}", "title": "", "url": "", "published": "", "evidence": row.get("note", ""), "name_as_written": place}]),
                "flags": tag,
            })
            log.append({"line": line, "action": action, "place": place or place_id, "date": row.get("date", ""), "events": 1})
            continue
        matched = [e for e in out if _override_matches(e, row, date, precision)]
        if action == "drop":
            out = [e for e in out if not any(e is m for m in matched)]
        else:
            for e in matched:
                for col in ("event_type", "gainer", "loser", "place", "country", "evidence"):
                    if row.get(col):
                        e[col] = row[col]
                if row.get("note"):
                    e["evidence"] = row["note"]
                for col in ("lat", "lon", "confidence"):
                    if row.get(col):
                        e[col] = float(row[col])
                if new_date is not None:
                    e["date"], e["date_precision"] = new_date
                elif row.get("date_precision"):
                    e["date_precision"] = row["date_precision"]
                e["flags"] = ";".join(f for f in [e["flags"], tag] if f)
        log.append({"line": line, "action": action, "place": row.get("place_id") or row.get("place"), "date": row.get("date", ""), "events": len(matched)})
    problems.sort()
    if problems and errors == "raise":
        listed = "; ".join(f"{path.name}, line {n}: {msg}" for n, msg in problems)
        raise InputError(f"overrides {path}: {listed}. Fix these rows and run again.")
    result = _normalise(pd.DataFrame(out, columns=EVENT_COLUMNS), EVENT_COLUMNS) if out else empty_events()
    result.attrs["overrides"] = log
    result.attrs["override_problems"] = [{"line": n, "problem": msg} for n, msg in problems]
    return result


def _override_matches(e: dict, row: dict, date, precision: str) -> bool:
    if row.get("place_id"):
        if e["place_id"] != row["place_id"]:
            return False
    elif fold(row.get("place", "")) not in (fold(e["place"]), fold(e["name_as_written"])):
        return False
    if row.get("event_type") and row.get("action") == "drop" and e["event_type"] != row["event_type"]:
        return False
    if pd.isna(date):
        return True
    if pd.isna(e["date"]):
        return False
    d = pd.Timestamp(e["date"])
    if precision == "year":
        return d.year == date.year
    if precision == "month":
        return (d.year, d.month) == (date.year, date.month)
    if precision == "week":
        return abs((d - date).days) <= 7
    return d.normalize() == date.normalize()


# ------------------------------------------------------------------------------ IO


def _atomic_write(path: Path, write) -> None:
    atomic_write(path, write, create_parent=False)


def _date_text(v) -> str:
    return "" if pd.isna(v) else pd.Timestamp(v).date().isoformat()


def _for_text(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for c in _DATE_COLUMNS:
        if c in out.columns:
            out[c] = out[c].map(_date_text).astype(object)
    return out


def to_csv(df: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write an event (or report) table as CSV; dates ``YYYY-MM-DD``, empty when unknown.

    Text cells a spreadsheet would run as a formula get a leading apostrophe
    (:func:`mapper.outputs.spreadsheet_safe`); :func:`read_csv` takes it off again.
    """
    cols = _columns_of(df)
    text = csv_text(_for_text(_normalise(df, cols)))
    _atomic_write(Path(path), lambda tmp: Path(tmp).write_bytes(text.encode("utf-8")))
    return Path(path)


def read_csv(path: str | os.PathLike) -> pd.DataFrame:
    """Read a table written by :func:`to_csv` (or ``mapper build``) back with its dtypes."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file.")
    try:
        df = _read_text_csv(path)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a CSV table mapper can read ({exc}). Give events.csv or reports.csv "
                         "from `mapper build`.") from exc
    return _normalise(df, _columns_of(df))


def _feature_collection(df: pd.DataFrame) -> dict:
    cols = _columns_of(df)
    norm = _normalise(df, cols)
    bad = norm[norm["lat"].isna() | norm["lon"].isna()]
    if len(bad):
        raise InputError(f"{len(bad)} row(s) have no coordinates (first: {bad.iloc[0].get('place', '')!r}); drop them or add lat/lon.")
    feats = []
    for rec in _for_text(norm).to_dict("records"):
        lon, lat = float(rec.pop("lon")), float(rec.pop("lat"))
        props = {k: (None if isinstance(v, float) and pd.isna(v) else v) for k, v in rec.items()}
        props["lat"], props["lon"] = lat, lon
        feats.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": props})
    return {"type": "FeatureCollection", "features": feats}


def to_geojson(df: pd.DataFrame, path: str | os.PathLike | None = None) -> dict:
    """A GeoJSON FeatureCollection (RFC 7946: WGS84, ``[lon, lat]``) of dated points.

    Each feature carries every column as a property (dates as ``YYYY-MM-DD`` strings next
    to their ``date_precision``). Written to ``path`` when given; always returned.
    """
    fc = _feature_collection(df)
    if path is not None:
        text = json.dumps(fc, ensure_ascii=False, indent=1)
        _atomic_write(Path(path), lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    return fc


def write_geojson(df: pd.DataFrame, path: str | os.PathLike, *, rows: int = 10_000) -> Path:
    """:func:`to_geojson` written to ``path`` (atomically) ``rows`` events at a time: the same
    text, without the whole collection in memory (242,000 events are about a gigabyte of
    feature dicts)."""
    lat = pd.to_numeric(df["lat"], errors="coerce") if "lat" in df.columns else None
    lon = pd.to_numeric(df["lon"], errors="coerce") if "lon" in df.columns else None
    if lat is None or lon is None or bool((lat.isna() | lon.isna()).any()):
        _feature_collection(df)  # raises the error naming the rows without coordinates
    head = '{\n "type": "FeatureCollection",\n "features": ['

    def write(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(head)
            n = 0
            for start in range(0, len(df), rows):
                for feat in _feature_collection(df.iloc[start:start + rows])["features"]:
                    text = json.dumps(feat, ensure_ascii=False, indent=1)
                    # two levels in: JSON strings hold no raw newline, so lines are safe to indent
                    fh.write(("," if n else "") + "\n" + "\n".join("  " + line for line in text.split("\n")))
                    n += 1
            fh.write("\n ]\n}" if n else "]\n}")

    _atomic_write(Path(path), write)
    return Path(path)


def read_geojson(source: str | os.PathLike | dict) -> pd.DataFrame:
    """Read a FeatureCollection written by :func:`to_geojson` (a path or the dict)."""
    if isinstance(source, dict):
        fc = source
    else:
        p = Path(source)
        try:
            fc = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(f"{p}: not a readable GeoJSON file ({exc}).") from exc
    if fc.get("type") != "FeatureCollection":
        raise InputError("GeoJSON: expected a FeatureCollection.")
    rows = []
    for f in fc.get("features", []):
        props = dict(f.get("properties") or {})
        lon, lat = f["geometry"]["coordinates"][:2]
        props["lon"], props["lat"] = lon, lat
        rows.append(props)
    df = pd.DataFrame(rows)
    return _normalise(df, _columns_of(df)) if len(df) else empty_events()


def to_gpkg(df: pd.DataFrame, path: str | os.PathLike, *, layer: str = "events") -> Path:
    """Write a GeoPackage layer of points (EPSG:4326); dates stored as ISO text."""
    import geopandas as gpd

    cols = _columns_of(df)
    norm = _for_text(_normalise(df, cols))
    gdf = gpd.GeoDataFrame(norm, geometry=gpd.points_from_xy(norm["lon"], norm["lat"]), crs=WGS84)
    path = Path(path)

    def write(tmp):
        gdf.to_file(tmp, layer=layer, driver="GPKG", engine="pyogrio")

    _atomic_write(path, write)
    return path


def read_gpkg(path: str | os.PathLike, *, layer: str = "events") -> pd.DataFrame:
    """Read a layer written by :func:`to_gpkg` back with its dtypes."""
    import geopandas as gpd

    gdf = gpd.read_file(path, layer=layer, engine="pyogrio")
    df = pd.DataFrame(gdf.drop(columns="geometry"))
    for c in df.columns:
        if df[c].dtype == object or str(df[c].dtype).startswith(("str", "string")):
            df[c] = df[c].fillna("")
    return _normalise(df, _columns_of(df))
