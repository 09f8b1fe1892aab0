"""Who holds what, when: the territory model (an estimate, and labelled as one).

A **control timeline** says, for every place named in the events, who held it over which
interval; **held areas** spread those control points over the settled land around them and
measure the result in km².

control_timeline(events, *, start, end)      -> one row per place and interval (``control.csv``)
snapshot_dates(events, *, every, start, end) -> the dates to map
held_areas(control, places, dates, *, radius_km, countries)
                                             -> one polygon per date, actor and state, with km²
calibrate_reach(events, reference, candidates, *, places, countries)
                                             -> the reach that best matches published areas
compare_areas(areas, reference)              -> estimated beside published km², ratio per date
write_areas(areas, gpkg_path, csv_path)      -> ``territory.gpkg`` (one layer) and ``areas.csv``

The model, in short (``docs/territory.md`` has the long form and the calibration):

1. Each event is placed in time: a day date on that day, a week date on the stated day
   (its period is that day ±3 days), a month or year date at the **middle of its period**
   (``2017-10`` -> 2017-10-16, ``2014`` -> 2014-07-02); the row's ``date_note`` says so.
   A coarse event describing the same change as a finer one inside its period is merged into
   the finer one (it adds to the basis, not a second change).
2. Per place, events are applied in time order: ``captured`` gives the place to the gainer
   (``unknown`` if no gainer is named), ``held`` asserts the gainer, ``withdrew`` leaves the
   taker unknown, ``entered`` makes it contested (the holder stays the defender), and
   ``besieged`` changes nothing but names the holder. Whenever the state before an event is
   unknown, the event's loser (for ``held``, its gainer) fills it back to the previous event
   or the study start. Two holders at one time are resolved by precision, then n_sources,
   then confidence, then event id, and reported.
3. On a date t every place is a control point with the state of its interval. The frontline
   between two control points falls midway (a Voronoi partition of the control points), each
   cell is capped at the reach ``radius_km`` around its point, then clipped to the settled
   land (the union of the gazetteer's settlement cells, each capped at the same reach) and to
   the country polygons. An actor's area is the union of its cells; contested cells are rows
   of their own (``state="contested"``, actor = the defender).
4. Areas are computed in :data:`mapper.schema.EQUAL_AREA` (Lambert azimuthal equal-area
   centred on 36N 40E); geometries are stored in WGS84.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from mapper.errors import (
    DateWarning,
    DegreeAreaWarning,
    InputError,
    MapperWarning,
    SkippedInputWarning,
)
from mapper.outputs import atomic_write
from mapper.schema import (
    AREA_COLUMNS,
    CONTROL_COLUMNS,
    EQUAL_AREA,
    EVENT_TYPES,
    PRECISION_RANK,
    WGS84,
)

__all__ = [
    "DEFAULT_RADIUS_KM",
    "ControlConflictWarning",
    "calibrate_reach",
    "compare_areas",
    "control_timeline",
    "held_areas",
    "load_countries",
    "read_reference",
    "settlements_from_geonames",
    "snapshot_dates",
    "write_areas",
]

#: default reach of a control point in km, calibrated against the IHS Conflict Monitor figures
#: for the IS-held area (see ``docs/territory.md``)
DEFAULT_RADIUS_KM = 40.0
#: the study countries the held areas are clipped to when the packaged countries are used
STUDY_COUNTRIES = ("SY", "IQ")
#: vertex spacing (m) along polygon edges before they are stored in WGS84, so the stored
#: polygon keeps the shape (and the area) of the equal-area one
_SEGMENT_M = 2_000.0
_BUFFER_QUAD_SEGS = 16

_REPO = Path(__file__).resolve().parents[1]
_PACKAGED_COUNTRIES = _REPO / "data" / "gazetteer" / "countries.geojson"
_PACKAGED_REFERENCE = _REPO / "data" / "reference" / "is_area_ihs.csv"
_SHARED = Path(os.environ.get("MAPPER_SHARED", _REPO.parent / "shared"))
_SHARED_COUNTRIES = _SHARED / "data" / "ne_10m_admin0_region.geojson"

#: order of events of one place on one day: a capture ends the fight an entry starts
_STAGE = {"besieged": 0, "entered": 1, "withdrew": 2, "captured": 3, "held": 4}
_SETS_HOLDER = ("captured", "held", "withdrew")
_REQUIRED_EVENT_COLUMNS = (
    "event_id", "place_id", "lat", "lon", "event_type", "gainer", "loser", "date",
    "date_precision",
)
_REQUIRED_CONTROL_COLUMNS = ("place_id", "lat", "lon", "holder", "state", "valid_from", "valid_to")


class ControlConflictWarning(MapperWarning):
    """Two events give one place two holders at one time; the message says which won and why."""


# ---------------------------------------------------------------------------------------------
# control timeline
# ---------------------------------------------------------------------------------------------


@dataclass
class _Change:
    """One (possibly merged) event of one place, placed in time."""

    t: pd.Timestamp
    lo: pd.Timestamp
    hi: pd.Timestamp
    kind: str
    gainer: str | None
    loser: str | None
    precision: str
    n_sources: int
    confidence: float
    event_id: str
    basis: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def rank_key(self) -> tuple:
        """Smaller wins: finer precision, more sources, higher confidence, then event id."""
        return (PRECISION_RANK[self.precision], -self.n_sources, -self.confidence, self.event_id)


def _blank(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    text = str(value).strip()
    return text or None


def _period(date: pd.Timestamp, precision: str) -> tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp, str]:
    """(placed date, period start, period end exclusive, note) of a dated event."""
    date = date.normalize()
    if precision == "day":
        return date, date, date + pd.Timedelta(days=1), ""
    if precision == "week":
        lo, hi = date - pd.Timedelta(days=3), date + pd.Timedelta(days=4)
        return date, lo, hi, f"week precision: placed on the stated day {date:%Y-%m-%d} (±3 days)"
    if precision == "month":
        lo = date.replace(day=1)
        hi = lo + pd.offsets.MonthBegin(1)
        t = lo + pd.Timedelta(days=(hi - lo).days // 2)
        return t, lo, hi, f"month precision ({lo:%Y-%m}): placed mid-month on {t:%Y-%m-%d}"
    if precision == "year":
        lo = pd.Timestamp(year=date.year, month=1, day=1)
        hi = pd.Timestamp(year=date.year + 1, month=1, day=1)
        t = lo + pd.Timedelta(days=(hi - lo).days // 2)
        return t, lo, hi, f"year precision ({lo:%Y}): placed mid-year on {t:%Y-%m-%d}"
    raise InputError(f"date_precision {precision!r} has no period")  # pragma: no cover


def _validate_events(events: pd.DataFrame, name: str = "events") -> pd.DataFrame:
    if not isinstance(events, pd.DataFrame):
        raise InputError(
            f"{name}: expected a pandas DataFrame with columns {list(_REQUIRED_EVENT_COLUMNS)}, "
            f"got {type(events).__name__}. Build it with mapper.events or pandas.DataFrame(...)."
        )
    missing = [c for c in _REQUIRED_EVENT_COLUMNS if c not in events.columns]
    if missing:
        raise InputError(
            f"{name}: missing column(s) {missing}. An event table needs "
            f"{list(_REQUIRED_EVENT_COLUMNS)} (see mapper.schema.EVENT_COLUMNS)."
        )
    ev = events.copy()
    problems: list[str] = []
    if "n_sources" not in ev.columns:
        ev["n_sources"] = 1
    if "confidence" not in ev.columns:
        ev["confidence"] = 1.0
    if "place" not in ev.columns:
        ev["place"] = ev["place_id"]
    ev["event_id"] = ev["event_id"].astype(str)
    dup = ev["event_id"][ev["event_id"].duplicated()].unique().tolist()
    if dup:
        problems.append(f"event_id values repeat: {dup[:5]}; give every event its own id")
    bad_type = sorted(set(ev["event_type"].astype(str)) - set(EVENT_TYPES))
    if bad_type:
        problems.append(f"event_type {bad_type} unknown; use one of {list(EVENT_TYPES)}")
    bad_prec = sorted(set(ev["date_precision"].astype(str)) - set(PRECISION_RANK))
    if bad_prec:
        problems.append(
            f"date_precision {bad_prec} unknown; use one of {list(PRECISION_RANK)}"
        )
    try:
        ev["date"] = pd.to_datetime(ev["date"])
    except (ValueError, TypeError) as e:
        problems.append(f"column 'date' does not parse as dates ({e}); write YYYY-MM-DD")
    for col in ("lat", "lon"):
        ev[col] = pd.to_numeric(ev[col], errors="coerce")
    bad_xy = ev["event_id"][ev["lat"].isna() | ev["lon"].isna()].tolist()
    if bad_xy:
        problems.append(f"events {bad_xy[:5]} have no lat/lon; geocode them or drop them")
    out = ev["event_id"][(ev["lat"].abs() > 90) | (ev["lon"].abs() > 180)].tolist()
    if out:
        problems.append(f"events {out[:5]} have lat/lon out of range; check the (lat, lon) order")
    ev["n_sources"] = pd.to_numeric(ev["n_sources"], errors="coerce").fillna(1).astype(int)
    ev["confidence"] = pd.to_numeric(ev["confidence"], errors="coerce").fillna(0.0)
    if problems:
        raise InputError(f"{name}: " + "; ".join(problems) + ".")
    return ev


def _change_from_row(row) -> _Change:
    t, lo, hi, note = _period(row.date, row.date_precision)
    return _Change(
        t=t, lo=lo, hi=hi, kind=row.event_type, gainer=_blank(row.gainer),
        loser=_blank(row.loser), precision=row.date_precision, n_sources=int(row.n_sources),
        confidence=float(row.confidence), event_id=str(row.event_id),
        basis=[str(row.event_id)], notes=[note] if note else [],
    )


def _compatible(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a == b


def _agree(a: _Change, b: _Change) -> bool:
    """Could ``a`` and ``b`` report one change? Same sides where both name one, and the side
    one names as taker is not the side the other names as loser."""
    ga, gb = _outcome(a), _outcome(b)
    if not (_compatible(ga, gb) and _compatible(a.loser, b.loser)):
        return False
    taker, loser = ga or gb, a.loser or b.loser
    return taker is None or taker != loser


def _merge_into(target: _Change, other: _Change) -> None:
    if target.kind == "withdrew" and other.kind != "withdrew" and other.gainer:
        target.kind = other.kind  # "X withdrew" and "A took X" the same day: A took it
    target.basis.extend(other.basis)
    target.n_sources = max(target.n_sources, other.n_sources)
    target.confidence = max(target.confidence, other.confidence)
    target.gainer = target.gainer or other.gainer
    target.loser = target.loser or other.loser


def _consolidate(changes: list[_Change], conflicts: list[dict], place_id: str) -> list[_Change]:
    """Merge coarse events into finer ones describing the same change; resolve conflicts."""
    changes = sorted(changes, key=lambda c: (c.t, _STAGE[c.kind], c.rank_key()))
    # 1. a coarse event whose period holds a finer event of the same kind and compatible
    #    actors is the same change, seen from further away: merge it into the finer one.
    #    The same kind with other actors inside its period is a contradiction it loses.
    alive = list(changes)
    for coarse in sorted(changes, key=lambda c: -PRECISION_RANK[c.precision]):
        if PRECISION_RANK[coarse.precision] == 0 or coarse not in alive:
            continue
        finer = [
            f for f in alive
            if f is not coarse and f.kind == coarse.kind
            and PRECISION_RANK[f.precision] < PRECISION_RANK[coarse.precision]
            and coarse.lo <= f.t < coarse.hi
        ]
        if not finer:
            continue
        same = [f for f in finer if _agree(f, coarse)]
        if same:
            target = min(same, key=lambda f: (f.rank_key()[:3], abs(f.t - coarse.t), f.event_id))
            _merge_into(target, coarse)
            target.notes.append(
                f"{coarse.precision}-precision event {coarse.event_id} merged into this "
                f"{target.precision}-precision one"
            )
            alive.remove(coarse)
        elif coarse.kind in _SETS_HOLDER:
            # "A took X in 2014" and "B took X from A on 2014-11-01" both hold if A's came
            # first: move the coarse event inside its period to the side the actors allow
            before = [f.t for f in finer if coarse.gainer and f.loser == coarse.gainer]
            after = [f.t for f in finer if coarse.loser and f.gainer == coarse.loser]
            lo = max(after) + pd.Timedelta(days=1) if after else coarse.lo
            hi = min(before) - pd.Timedelta(days=1) if before else coarse.hi - pd.Timedelta(days=1)
            if len(before) + len(after) == len(finer) and lo <= hi:
                t = min(max(coarse.t, lo), hi)
                if t != coarse.t:
                    coarse.notes.append(f"moved to {t:%Y-%m-%d} to stay in order with the "
                                        "finer events of its period")
                    coarse.t = t
            else:
                winner = min(finer, key=lambda f: f.rank_key())
                conflicts.append(_conflict(place_id, coarse.t, winner, coarse, "precision"))
                alive.remove(coarse)
    # 2. one place, one placed day: merge agreeing events, resolve disagreeing holders
    out: list[_Change] = []
    by_day: dict[tuple, list[_Change]] = {}
    for c in alive:
        by_day.setdefault((c.t, _STAGE[c.kind] if c.kind not in _SETS_HOLDER else 9), []).append(c)
    for (_, stage), group in sorted(by_day.items(), key=lambda kv: kv[0]):
        group = sorted(group, key=lambda c: c.rank_key())
        if stage != 9:  # entered / besieged on one day: merge agreeing, keep best otherwise
            merged: list[_Change] = []
            for c in group:
                for m in merged:
                    if _compatible(m.gainer, c.gainer) and _compatible(m.loser, c.loser):
                        _merge_into(m, c)
                        break
                else:
                    merged.append(c)
            out.extend(merged)
            continue
        winner = group[0]
        for c in group[1:]:
            if _agree(c, winner):
                _merge_into(winner, c)
            else:
                conflicts.append(_conflict(place_id, winner.t, winner, c, _reason(winner, c)))
        out.append(winner)
    out.sort(key=lambda c: (c.t, _STAGE[c.kind], c.rank_key()))
    return out


def _outcome(c: _Change) -> str | None:
    return None if c.kind == "withdrew" else c.gainer


def _reason(winner: _Change, loser: _Change) -> str:
    a, b = winner.rank_key(), loser.rank_key()
    for label, x, y in zip(("precision", "n_sources", "confidence", "event_id"), a, b):
        if x != y:
            return label
    return "event_id"  # pragma: no cover


def _conflict(place_id, t, winner: _Change, loser: _Change, reason: str) -> dict:
    return {
        "place_id": place_id, "date": t, "kept": winner.event_id,
        "kept_holder": _outcome(winner), "dropped": loser.event_id,
        "dropped_holder": _outcome(loser), "resolved_by": reason,
    }


@dataclass
class _State:
    holder: str | None
    state: str
    since: pd.Timestamp
    basis: list[str]
    confidence: float
    notes: list[str]


def _timeline(changes: list[_Change], start: pd.Timestamp) -> list[_State]:
    """Apply a place's consolidated changes in order; return its states, oldest first."""
    states = [_State(None, "unknown", start, [], float("nan"), ["no report before this date"])]
    for c in changes:
        cur = states[-1]
        # the state before this event is unknown: the side the event says held it fills it
        fill = c.gainer if c.kind == "held" else c.loser
        if cur.holder is None and fill is not None and c.t > start:
            cur.holder, cur.state = fill, "held"
            cur.basis = list(c.basis)
            cur.confidence = c.confidence
            cur.notes = [f"held by {fill} before event {c.event_id} (inferred back to the "
                         "previous event or the study start)"]
        if c.kind == "captured":
            holder, state = c.gainer, ("held" if c.gainer else "unknown")
        elif c.kind == "held":
            holder, state = c.gainer, "held"
        elif c.kind == "withdrew":
            holder, state = None, "unknown"
        elif c.kind == "entered":
            holder = cur.holder if cur.holder is not None else c.loser
            if holder is not None and holder == c.gainer and cur.state == "held":
                continue  # the holder "entering" its own place changes nothing
            state = "contested"
        else:  # besieged: control does not change; it names the side inside
            if cur.holder is not None or c.loser is None:
                cur.basis = cur.basis + [b for b in c.basis if b not in cur.basis]
                continue
            holder, state = c.loser, "held"
        note = list(c.notes)
        if c.kind == "captured" and not c.gainer:
            note.append("captured by an unnamed side: holder unknown")
        if c.kind == "withdrew":
            note.append(f"{c.loser or 'the holder'} withdrew; the taker is unknown")
        t = max(c.t, start)
        new = _State(holder, state, t, list(c.basis), c.confidence, note)
        if t <= cur.since:
            states[-1] = new  # same day (or before the study start): the later stage wins
        elif (holder, state) == (cur.holder, cur.state) and state != "unknown":
            cur.basis = cur.basis + [b for b in c.basis if b not in cur.basis]
            cur.confidence = max(cur.confidence, c.confidence)
        else:
            states.append(new)
    merged = [states[0]]
    for s in states[1:]:
        last = merged[-1]
        if (s.holder, s.state) == (last.holder, last.state) and s.state != "unknown":
            last.basis = last.basis + [b for b in s.basis if b not in last.basis]
        else:
            merged.append(s)
    return merged


def control_timeline(
    events: pd.DataFrame,
    *,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Who held each place, over which interval.

    Parameters
    ----------
    events : DataFrame
        Events with the columns of :data:`mapper.schema.EVENT_COLUMNS` (at least
        ``event_id, place_id, lat, lon, event_type, gainer, loser, date, date_precision``;
        ``n_sources`` and ``confidence`` default to 1). Events whose date is unknown (``NaT``
        or precision ``unknown``) are left out and reported.
    start, end : date-like, optional
        The study window. ``start`` defaults to the start of the earliest event's period;
        ``end`` to open-ended (the last interval's ``valid_to`` is ``NaT``). Events before
        ``start`` still set the state at ``start``; intervals are clipped to the window.

    Returns
    -------
    DataFrame
        :data:`mapper.schema.CONTROL_COLUMNS`, one row per place and interval
        ``[valid_from, valid_to)``; intervals of a place tile the window. ``holder`` is empty
        when ``state == "unknown"``; for ``contested`` it is the defender. ``basis`` is the
        ``;``-joined ids of the events behind the interval, ``date_note`` says how coarse dates
        were placed and what was inferred. ``attrs["ignored"]`` lists undated event ids and
        ``attrs["conflicts"]`` the contradictions resolved (also warned as
        :class:`DateWarning` and :class:`ControlConflictWarning`).

    Examples
    --------
    >>> ev = pd.DataFrame({"event_id": ["e1"], "place_id": ["geonames:172955"],
    ...     "lat": [35.95], "lon": [39.01], "event_type": ["captured"], "gainer": ["SDF"],
    ...     "loser": ["IS"], "date": [pd.Timestamp("2017-10-17")], "date_precision": ["day"]})
    >>> control_timeline(ev, start="2017-01-01")[["holder", "valid_from"]].to_string(index=False)
    'holder valid_from\\n    IS 2017-01-01\\n   SDF 2017-10-17'
    """
    ev = _validate_events(events)
    undated_mask = ev["date"].isna() | (ev["date_precision"] == "unknown")
    ignored = sorted(ev.loc[undated_mask, "event_id"].tolist())
    if ignored:
        warnings.warn(
            f"events: {len(ignored)} event(s) with an unknown date left out of the control "
            f"timeline: {ignored[:10]}{' ...' if len(ignored) > 10 else ''}. Give them a date "
            "(an analyst override) to use them.",
            DateWarning, stacklevel=2,
        )
    ev = ev.loc[~undated_mask]
    same_sides = ev["gainer"].map(_blank).notna() & (ev["gainer"].map(_blank) == ev["loser"].map(_blank))
    skipped = sorted(ev.loc[same_sides, "event_id"].tolist())
    if skipped:
        warnings.warn(
            f"events: {skipped[:10]} name the same actor as gainer and loser; left out. "
            "Correct the actors with an analyst override.",
            SkippedInputWarning, stacklevel=2,
        )
    ev = ev.loc[~same_sides]
    start_ts = pd.Timestamp(start).normalize() if start is not None else None
    end_ts = pd.Timestamp(end).normalize() if end is not None else None
    if start_ts is not None and end_ts is not None and end_ts <= start_ts:
        raise InputError(f"control_timeline: end {end_ts:%Y-%m-%d} is not after start "
                         f"{start_ts:%Y-%m-%d}; swap them or widen the window.")
    changes_by_place: dict[str, list[_Change]] = {}
    first: dict[str, tuple] = {}
    for row in ev.sort_values(["place_id", "event_id"]).itertuples(index=False):
        pid = str(row.place_id)
        changes_by_place.setdefault(pid, []).append(_change_from_row(row))
        first.setdefault(pid, (row.place if _blank(row.place) else pid, float(row.lat), float(row.lon)))
    if start_ts is None and changes_by_place:
        start_ts = min(c.lo for cs in changes_by_place.values() for c in cs)
    conflicts: list[dict] = []
    rows = []
    for pid in sorted(changes_by_place):
        changes = _consolidate(changes_by_place[pid], conflicts, pid)
        states = _timeline(changes, start_ts)
        place, lat, lon = first[pid]
        for i, s in enumerate(states):
            valid_to = states[i + 1].since if i + 1 < len(states) else pd.NaT
            if end_ts is not None:
                if s.since >= end_ts:
                    continue
                valid_to = end_ts if pd.isna(valid_to) else min(valid_to, end_ts)
            if s.state == "unknown":
                s.holder = None
            rows.append({
                "place_id": pid, "place": place, "lat": lat, "lon": lon,
                "holder": s.holder, "state": s.state, "valid_from": s.since,
                "valid_to": valid_to, "basis": ";".join(s.basis),
                "confidence": s.confidence, "date_note": "; ".join(s.notes),
            })
    out = pd.DataFrame(rows, columns=CONTROL_COLUMNS)
    out["valid_from"] = pd.to_datetime(out["valid_from"])
    out["valid_to"] = pd.to_datetime(out["valid_to"])
    out["holder"] = out["holder"].astype(object)
    out[["lat", "lon"]] = out[["lat", "lon"]].astype(float)
    out["confidence"] = out["confidence"].astype(float)
    if conflicts:
        lines = [f"{c['place_id']} {c['date']:%Y-%m-%d}: kept {c['kept']} ({c['kept_holder']}) "
                 f"over {c['dropped']} ({c['dropped_holder']}) by {c['resolved_by']}"
                 for c in conflicts]
        warnings.warn(
            f"events: {len(conflicts)} contradiction(s) resolved (precision, then n_sources, "
            "then confidence): " + "; ".join(lines[:10]) + (" ..." if len(lines) > 10 else ""),
            ControlConflictWarning, stacklevel=2,
        )
    out.attrs["ignored"] = ignored + skipped
    out.attrs["conflicts"] = conflicts
    out.attrs["start"] = start_ts
    out.attrs["end"] = end_ts
    return out


# ---------------------------------------------------------------------------------------------
# snapshot dates
# ---------------------------------------------------------------------------------------------


def snapshot_dates(
    events: pd.DataFrame,
    *,
    every: str | Iterable = "event",
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
) -> pd.DatetimeIndex:
    """The dates to map.

    Parameters
    ----------
    events : DataFrame
        The event table (its placed dates give ``every="event"`` and the default window).
    every : {"event", "week", "month"} or iterable of dates
        ``"event"``: every distinct placed event date (see :func:`control_timeline`);
        ``"week"``: every 7 days from ``start``; ``"month"``: the first of every month from
        ``start``'s month; or an explicit list of dates.
    start, end : date-like, optional
        Window, inclusive; defaults to the first and last placed event dates.

    Returns
    -------
    DatetimeIndex
        Sorted, unique, normalised dates named ``date``.
    """
    start_ts = pd.Timestamp(start).normalize() if start is not None else None
    end_ts = pd.Timestamp(end).normalize() if end is not None else None
    if not isinstance(every, str):
        try:
            dates = pd.DatetimeIndex(pd.to_datetime(list(every))).normalize()
        except (ValueError, TypeError) as e:
            raise InputError(f"snapshot_dates: every={every!r} is neither 'event', 'week', "
                             f"'month' nor a list of dates ({e}).") from e
    else:
        ev = _validate_events(events)
        dated = ev[ev["date"].notna() & (ev["date_precision"] != "unknown")]
        placed = pd.DatetimeIndex(
            [_period(d, p)[0] for d, p in zip(dated["date"], dated["date_precision"])]
        )
        lo = start_ts if start_ts is not None else (placed.min() if len(placed) else None)
        hi = end_ts if end_ts is not None else (placed.max() if len(placed) else None)
        if every == "event":
            dates = placed
        elif every in ("week", "month"):
            if lo is None or hi is None:
                return pd.DatetimeIndex([], name="date")
            if every == "week":
                dates = pd.date_range(lo, hi, freq="7D")
            else:
                dates = pd.date_range(lo.replace(day=1), hi, freq="MS")
        else:
            raise InputError(f"snapshot_dates: every={every!r} is not one of 'event', 'week', "
                             "'month'; or pass a list of dates.")
    if start_ts is not None:
        dates = dates[dates >= start_ts]
    if end_ts is not None:
        dates = dates[dates <= end_ts]
    return pd.DatetimeIndex(sorted(set(dates)), name="date")


# ---------------------------------------------------------------------------------------------
# layers: settlements and countries
# ---------------------------------------------------------------------------------------------


def settlements_from_geonames(path: str | os.PathLike) -> gpd.GeoDataFrame:
    """Populated places (feature class ``P``) of a 19-column GeoNames-format dump.

    A stand-in for ``mapper.gazetteer.Gazetteer.settlements()`` with the same columns
    (``place_id, name, country, population, geometry``), for benchmarks and for users with
    their own ``SY.txt``/``IQ.txt``.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: GeoNames-format dump not found. Pass the path to a "
                         "19-column, tab-separated dump such as GeoNames' SY.txt.")
    df = pd.read_csv(
        path, sep="\t", header=None, usecols=[0, 1, 4, 5, 6, 8, 14], quoting=3,
        names=["geonameid", "name", "lat", "lon", "feature_class", "country", "population"],
        dtype={0: str, 1: str, 6: str, 8: str}, keep_default_na=False, na_values={14: [""]},
    )
    df = df[df["feature_class"] == "P"]
    return gpd.GeoDataFrame(
        {
            "place_id": "geonames:" + df["geonameid"],
            "name": df["name"].to_numpy(),
            "country": df["country"].to_numpy(),
            "population": pd.to_numeric(df["population"], errors="coerce").fillna(0).astype("int64").to_numpy(),
        },
        geometry=gpd.points_from_xy(df["lon"], df["lat"]),
        crs=WGS84,
    ).reset_index(drop=True)


def load_countries(path: str | os.PathLike | None = None) -> gpd.GeoDataFrame:
    """Country polygons (WGS84): ``path``, else the packaged ``data/gazetteer/countries.geojson``
    (or, until it is built, ``../shared/data/ne_10m_admin0_region.geojson``), limited to
    :data:`STUDY_COUNTRIES`."""
    candidates = [Path(path)] if path is not None else [_PACKAGED_COUNTRIES, _SHARED_COUNTRIES]
    for p in candidates:
        if p.is_file():
            gdf = gpd.read_file(p)
            break
    else:
        raise InputError(f"country polygons not found at {[str(p) for p in candidates]}; pass "
                         "countries= (a GeoDataFrame of polygons) or build the gazetteer data.")
    code = next((c for c in ("iso_a2", "ISO_A2", "ISO_A2_EH") if c in gdf.columns), None)
    if path is None and code is not None:
        gdf = gdf[gdf[code].isin(STUDY_COUNTRIES)]
    return gdf.to_crs(WGS84).reset_index(drop=True)


def _default_settlements() -> gpd.GeoDataFrame:
    try:
        from mapper.gazetteer import Gazetteer
    except ImportError:
        dump = _SHARED / "data" / "wof_geonames_format_SY_IQ.tsv"
        if dump.is_file():
            return settlements_from_geonames(dump)
        raise InputError("held areas need a settlement layer: pass places= (a GeoDataFrame of "
                         "populated places) or install the packaged gazetteer.") from None
    return Gazetteer.load().settlements()


def _to_equal_area(gdf: gpd.GeoDataFrame, name: str, crs: str = EQUAL_AREA) -> gpd.GeoDataFrame:
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputError(f"{name}: expected a GeoDataFrame, got {type(gdf).__name__}.")
    if gdf.crs is None:
        raise InputError(f"{name}: has no CRS. Set it, e.g. {name}.set_crs('EPSG:4326') for "
                         "longitude/latitude.")
    return gdf.to_crs(crs)


# ---------------------------------------------------------------------------------------------
# held areas
# ---------------------------------------------------------------------------------------------


def _validate_control(control: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(control, pd.DataFrame):
        raise InputError(f"control: expected the DataFrame of control_timeline(), got "
                         f"{type(control).__name__}.")
    missing = [c for c in _REQUIRED_CONTROL_COLUMNS if c not in control.columns]
    if missing:
        raise InputError(f"control: missing column(s) {missing}; pass the output of "
                         "control_timeline(events).")
    ctl = control.copy()
    ctl["valid_from"] = pd.to_datetime(ctl["valid_from"])
    ctl["valid_to"] = pd.to_datetime(ctl["valid_to"])
    if "basis" not in ctl.columns:
        ctl["basis"] = ""
    bad = sorted(set(ctl["state"]) - {"held", "contested", "unknown"})
    if bad:
        raise InputError(f"control: state {bad} unknown; use held, contested or unknown.")
    return ctl


class _Geometry:
    """Date-independent layers of one held_areas call: the settled land and the point cells."""

    def __init__(self, settle_xy: np.ndarray, point_xy: np.ndarray, land, radius_m: float):
        self.radius_m = radius_m
        self.point_xy = point_xy
        shapely.prepare(land)
        inside = shapely.contains_xy(land, settle_xy[:, 0], settle_xy[:, 1]) if len(settle_xy) else np.zeros(0, bool)
        self.settle_xy = settle_xy[inside]
        discs = shapely.buffer(shapely.points(np.vstack([settle_xy, point_xy])), radius_m,
                               quad_segs=_BUFFER_QUAD_SEGS)
        # the union of settlement Voronoi cells, each capped at radius r around its settlement,
        # is exactly the union of the r-discs (a point within r of any settlement is within r of
        # its nearest one): the settled land, built without the 33k-cell tessellation
        self.mask = shapely.intersection(shapely.union_all(discs), land)
        shapely.prepare(self.mask)
        self.extent = shapely.box(*shapely.buffer(self.mask, radius_m).bounds)
        self._cells: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}

    def cells(self, idx: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Capped, clipped Voronoi cells of the control points ``idx`` and settlements per cell."""
        if idx in self._cells:
            return self._cells[idx]
        xy = self.point_xy[list(idx)]
        pts = shapely.points(xy)
        if len(idx) == 1:
            cells = np.array([self.extent])
        else:
            vor = shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=self.extent, ordered=True)
            cells = np.asarray(shapely.get_parts(vor))
        discs = shapely.buffer(pts, self.radius_m, quad_segs=_BUFFER_QUAD_SEGS)
        pieces = shapely.intersection(shapely.intersection(cells, discs), self.mask)
        counts = np.zeros(len(idx), dtype=np.int64)
        if len(self.settle_xy):
            tree = shapely.STRtree(pts)
            near = tree.query_nearest(shapely.points(self.settle_xy), max_distance=self.radius_m,
                                      all_matches=False)
            counts = np.bincount(near[1], minlength=len(idx))
        if len(self._cells) > 64:
            self._cells.clear()
        self._cells[idx] = (pieces, counts)
        return pieces, counts


def _active_points(ctl: pd.DataFrame, t: pd.Timestamp, coord_key: np.ndarray) -> pd.DataFrame:
    on = (ctl["valid_from"] <= t) & (ctl["valid_to"].isna() | (ctl["valid_to"] > t))
    act = ctl.loc[on].copy()
    act["coord"] = coord_key[act["_pt"].to_numpy()]
    # places at one location: the most recent change there speaks for it
    act = act.sort_values(["coord", "valid_from", "place_id"], ascending=[True, False, True])
    return act.drop_duplicates("coord", keep="first")


def held_areas(
    control: pd.DataFrame,
    places: gpd.GeoDataFrame | None,
    dates: Iterable,
    *,
    radius_km: float | None = None,
    countries: gpd.GeoDataFrame | None = None,
    country_codes: Sequence[str] | None = STUDY_COUNTRIES,
    include_unknown: bool = False,
    area_crs: str = EQUAL_AREA,
) -> gpd.GeoDataFrame:
    """Held areas per date, actor and state, as polygons with areas in km².

    Parameters
    ----------
    control : DataFrame
        Output of :func:`control_timeline`.
    places : GeoDataFrame, Gazetteer or None
        The settlement layer (points, any CRS), e.g. ``Gazetteer.load().settlements()``, or a
        ``Gazetteer`` (its settlements, and its countries unless ``countries`` is given);
        ``None`` loads the packaged gazetteer. It marks the settled land control can spread over and gives
        ``n_places``.
    dates : iterable of date-like
        Snapshot dates (see :func:`snapshot_dates`); the state on date t is the interval with
        ``valid_from <= t < valid_to``.
    radius_km : float, optional
        Reach of a control point; default :data:`DEFAULT_RADIUS_KM` (calibrated).
    countries : GeoDataFrame, optional
        Polygons to clip to; default :func:`load_countries` (Syria and Iraq).
    country_codes : sequence of str or None
        ISO 3166-1 alpha-2 codes of the countries to keep when ``countries`` has an
        ``iso_a2`` (or ``ISO_A2``) column: control does not spread across the border into
        neighbours. ``None`` keeps every polygon.
    include_unknown : bool
        Also return the cells of control points whose holder is unknown (actor ``unknown``).
    area_crs : str
        Equal-area CRS for areas and distances; a geographic CRS is refused with a
        :class:`DegreeAreaWarning` and :data:`~mapper.schema.EQUAL_AREA` is used.

    Returns
    -------
    GeoDataFrame
        :data:`mapper.schema.AREA_COLUMNS` in WGS84, one row per date, actor and state
        (``held`` or ``contested``; contested rows carry the defender as actor). ``n_places``
        counts settlements, ``n_events`` distinct events behind the cells. ``attrs`` holds
        ``radius_km`` and ``area_crs``. Rows do not overlap on a date.
    """
    radius = DEFAULT_RADIUS_KM if radius_km is None else radius_km
    if not (isinstance(radius, (int, float)) and math.isfinite(radius) and radius > 0):
        raise InputError(f"held_areas: radius_km={radius_km!r} must be a positive number of km "
                         f"(default {DEFAULT_RADIUS_KM}).")
    if CRS.from_user_input(area_crs).is_geographic:
        warnings.warn(f"held_areas: area_crs={area_crs!r} is geographic (degrees); areas and "
                      f"distances are computed in {EQUAL_AREA!r} instead.", DegreeAreaWarning,
                      stacklevel=2)
        area_crs = EQUAL_AREA
    ctl = _validate_control(control)
    dates_idx = pd.DatetimeIndex(pd.to_datetime(list(dates))).normalize().unique().sort_values()
    if places is None:
        places = _default_settlements()
    elif not isinstance(places, gpd.GeoDataFrame) and callable(getattr(places, "settlements", None)):
        if countries is None and isinstance(getattr(places, "countries", None), gpd.GeoDataFrame):
            countries = places.countries
        places = places.settlements()  # a Gazetteer
    settle = _to_equal_area(places, "places", area_crs)
    settle = settle[settle.geometry.notna() & ~settle.geometry.is_empty]
    settle_xy = shapely.get_coordinates(shapely.centroid(settle.geometry.values))
    if countries is None:
        countries = load_countries()
    code = next((c for c in ("iso_a2", "ISO_A2", "ISO_A2_EH") if c in getattr(countries, "columns", ())), None)
    if country_codes is not None and code is not None:
        kept = countries[countries[code].isin(list(country_codes))]
        if kept.empty:
            raise InputError(f"countries: none of {list(country_codes)} in column {code!r} "
                             f"(found {sorted(map(str, countries[code].unique()))[:10]}); pass "
                             "country_codes= with codes it has, or None to keep every polygon.")
        countries = kept
    if isinstance(countries, gpd.GeoDataFrame) and countries.crs is not None \
            and countries.crs.is_geographic:
        # straight lon/lat borders (the desert borders of Syria and Iraq) stay where they are
        countries = countries.set_geometry(shapely.segmentize(countries.geometry.values, 0.02))
    land = shapely.union_all(_to_equal_area(countries, "countries", area_crs).geometry.values)

    ctl = ctl.reset_index(drop=True)
    pts = ctl.drop_duplicates("place_id")[["place_id", "lat", "lon"]].reset_index(drop=True)
    pts_xy = gpd.GeoSeries(gpd.points_from_xy(pts["lon"], pts["lat"]), crs=WGS84).to_crs(area_crs)
    point_xy = np.column_stack([pts_xy.x.to_numpy(), pts_xy.y.to_numpy()])
    ctl["_pt"] = ctl["place_id"].map(pd.Series(np.arange(len(pts)), index=pts["place_id"]))
    # one key per location (1 m grid), so coincident places share one Voronoi site
    coord_key = np.unique(np.round(point_xy), axis=0, return_inverse=True)[1].ravel()
    site_xy = np.zeros((coord_key.max() + 1 if len(coord_key) else 0, 2))
    site_xy[coord_key] = point_xy
    geo = _Geometry(settle_xy, site_xy, land, radius * 1000.0)

    records = []
    for t in dates_idx if len(ctl) else []:
        act = _active_points(ctl, t, coord_key)
        if act.empty:
            continue
        idx = tuple(act["coord"].tolist())
        order = np.argsort(idx)
        idx_sorted = tuple(np.asarray(idx)[order].tolist())
        pieces, counts = geo.cells(idx_sorted)
        act = act.iloc[order].reset_index(drop=True)
        act["actor"] = act["holder"].map(_blank).fillna("unknown")
        act["_piece"] = np.arange(len(act))
        if not include_unknown:
            act = act[act["state"] != "unknown"]
        for (actor, state), grp in act.groupby(["actor", "state"], sort=True):
            geom = shapely.union_all(pieces[grp["_piece"].to_numpy()])
            if geom.is_empty:
                continue
            basis = {b for s in grp["basis"].fillna("") for b in str(s).split(";") if b}
            records.append({
                "date": t, "actor": actor, "state": state, "geometry": geom,
                "area_km2": shapely.area(geom) / 1e6,
                "n_places": int(counts[grp["_piece"].to_numpy()].sum()),
                "n_events": len(basis),
            })
    out = gpd.GeoDataFrame(
        pd.DataFrame(records, columns=AREA_COLUMNS), geometry="geometry", crs=area_crs
    )
    if len(out):
        out["geometry"] = shapely.segmentize(out.geometry.values, _SEGMENT_M)
    out = out.to_crs(WGS84)
    out["date"] = pd.to_datetime(out["date"])
    out["area_km2"] = out["area_km2"].astype(float)
    out["n_places"] = out["n_places"].astype("int64")
    out["n_events"] = out["n_events"].astype("int64")
    out.attrs["radius_km"] = float(radius)
    out.attrs["area_crs"] = area_crs
    return out


# ---------------------------------------------------------------------------------------------
# published figures, comparison and calibration
# ---------------------------------------------------------------------------------------------


def read_reference(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """Published areas (``date, area_km2, source``); default the packaged IHS figures for IS."""
    path = Path(path) if path is not None else _PACKAGED_REFERENCE
    if not path.is_file():
        raise InputError(f"{path}: reference figures not found; pass a CSV with columns "
                         "date,area_km2,source.")
    ref = pd.read_csv(path)
    return _validate_reference(ref, str(path))


def _validate_reference(reference: pd.DataFrame, name: str = "reference") -> pd.DataFrame:
    if not isinstance(reference, pd.DataFrame):
        raise InputError(f"{name}: expected a DataFrame or CSV with date,area_km2,source.")
    missing = [c for c in ("date", "area_km2") if c not in reference.columns]
    if missing:
        raise InputError(f"{name}: missing column(s) {missing}; the published figures need "
                         "date (YYYY-MM-DD), area_km2 and source.")
    ref = reference.copy()
    ref["date"] = pd.to_datetime(ref["date"], errors="coerce")
    ref["area_km2"] = pd.to_numeric(ref["area_km2"], errors="coerce")
    bad = ref.index[ref["date"].isna() | ~(ref["area_km2"] > 0)].tolist()
    if bad:
        raise InputError(f"{name}: rows {bad} have no valid date or a non-positive area_km2; "
                         "write dates as YYYY-MM-DD and areas in km².")
    if "source" not in ref.columns:
        ref["source"] = ""
    return ref.sort_values("date").reset_index(drop=True)


def compare_areas(
    areas: gpd.GeoDataFrame | pd.DataFrame,
    reference: pd.DataFrame | str | os.PathLike | None = None,
    *,
    actor: str = "IS",
    state: str = "held",
) -> pd.DataFrame:
    """Estimated areas beside published ones.

    Parameters
    ----------
    areas : (Geo)DataFrame
        Output of :func:`held_areas` (or ``areas.csv``).
    reference : DataFrame, path or None
        Published figures ``date, area_km2, source``; default :func:`read_reference`.
    actor, state : str
        The rows of ``areas`` to compare.

    Returns
    -------
    DataFrame
        ``date, published_km2, source, snapshot, estimated_km2, ratio`` per reference date,
        where ``snapshot`` is the latest snapshot on or before it (``NaT`` and NaN if none)
        and ``ratio = estimated / published``. An actor absent from a snapshot holds 0 km².
    """
    ref = reference if isinstance(reference, pd.DataFrame) else read_reference(reference)
    ref = _validate_reference(ref)
    missing = [c for c in ("date", "actor", "state", "area_km2") if c not in areas.columns]
    if missing:
        raise InputError(f"areas: missing column(s) {missing}; pass the output of held_areas().")
    snaps = pd.DatetimeIndex(pd.to_datetime(areas["date"]).unique()).sort_values()
    sel = areas[(areas["actor"] == actor) & (areas["state"] == state)]
    est = sel.assign(date=pd.to_datetime(sel["date"])).groupby("date")["area_km2"].sum()
    rows = []
    for r in ref.itertuples(index=False):
        prior = snaps[snaps <= r.date]
        snap = prior[-1] if len(prior) else pd.NaT
        value = float(est.get(snap, 0.0)) if len(prior) else float("nan")
        rows.append({"date": r.date, "published_km2": float(r.area_km2), "source": r.source,
                     "snapshot": snap, "estimated_km2": value,
                     "ratio": value / float(r.area_km2)})
    return pd.DataFrame(rows, columns=["date", "published_km2", "source", "snapshot",
                                       "estimated_km2", "ratio"])


def calibrate_reach(
    events: pd.DataFrame,
    reference: pd.DataFrame | str | os.PathLike | None = None,
    candidates: Sequence[float] = (25, 35, 50, 75, 100, 125, 150),
    *,
    places: gpd.GeoDataFrame | None = None,
    countries: gpd.GeoDataFrame | None = None,
    actor: str = "IS",
) -> pd.DataFrame:
    """Pick the reach whose estimated areas best match published figures.

    For every candidate reach the events' held area of ``actor`` is computed on each reference
    date and compared with the published figure; the score is the root mean square of
    ``ln(estimated / published)`` (a factor-of-2 miss either way costs the same).

    Parameters
    ----------
    events : DataFrame
        Event table (see :func:`control_timeline`).
    reference : DataFrame, path or None
        Published figures ``date, area_km2, source``; default the packaged IHS figures.
    candidates : sequence of float
        Reaches to try, km.
    places, countries : GeoDataFrame, optional
        As in :func:`held_areas`.
    actor : str
        Whose area the figures measure.

    Returns
    -------
    DataFrame
        One row per candidate: ``radius_km, rms_log_error, geo_mean_ratio, n_dates`` and a
        ``ratio <date>`` column per reference date, sorted by reach; ``best`` marks the
        smallest error and ``attrs["best_radius_km"]`` holds it.
    """
    ref = reference if isinstance(reference, pd.DataFrame) else read_reference(reference)
    ref = _validate_reference(ref)
    cands = sorted({float(c) for c in candidates})
    if not cands or any(not (c > 0) for c in cands):
        raise InputError(f"calibrate_reach: candidates={list(candidates)!r} must be positive km.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DateWarning)
        control = control_timeline(events, start=min(ref["date"].min(), _events_start(events)))
    if places is None:
        places = _default_settlements()
    if countries is None:
        countries = load_countries()
    rows = []
    for c in cands:
        areas = held_areas(control, places, ref["date"], radius_km=c, countries=countries)
        cmp = compare_areas(areas, ref, actor=actor)
        logs = np.log(cmp["ratio"].clip(lower=1e-9))
        row = {"radius_km": c, "rms_log_error": float(np.sqrt(np.mean(logs**2))),
               "geo_mean_ratio": float(np.exp(np.mean(logs))), "n_dates": len(cmp)}
        for d, ratio in zip(cmp["date"], cmp["ratio"]):
            row[f"ratio {d:%Y-%m-%d}"] = float(ratio)
        rows.append(row)
    table = pd.DataFrame(rows)
    best = table.loc[table["rms_log_error"].idxmin(), "radius_km"]
    table["best"] = table["radius_km"] == best
    table.attrs["best_radius_km"] = float(best)
    return table


def _events_start(events: pd.DataFrame) -> pd.Timestamp:
    ev = _validate_events(events)
    dated = ev[ev["date"].notna() & (ev["date_precision"] != "unknown")]
    if dated.empty:
        raise InputError("events: no dated event; calibration needs dated events.")
    return min(_period(d, p)[1] for d, p in zip(dated["date"], dated["date_precision"]))


# ---------------------------------------------------------------------------------------------
# writers
# ---------------------------------------------------------------------------------------------


def write_areas(
    areas: gpd.GeoDataFrame,
    gpkg_path: str | os.PathLike | None,
    csv_path: str | os.PathLike | None,
    *,
    layer: str = "territory",
) -> None:
    """Write held areas to a GeoPackage (one layer, WGS84) and a CSV without geometry.

    Each file is written to a temporary name in its folder and moved into place, so a reader
    never sees half a file. Either path may be ``None`` to skip that file.
    """
    if not isinstance(areas, gpd.GeoDataFrame):
        raise InputError("areas: expected the GeoDataFrame of held_areas().")
    out = areas[AREA_COLUMNS].to_crs(WGS84)
    if gpkg_path is not None:
        gpkg = out.copy()
        gpkg["date"] = gpkg["date"].dt.strftime("%Y-%m-%d")
        atomic_write(Path(gpkg_path), lambda p: gpkg.to_file(p, layer=layer, driver="GPKG"))
    if csv_path is not None:
        table = pd.DataFrame(out.drop(columns="geometry"))
        table["date"] = table["date"].dt.strftime("%Y-%m-%d")
        atomic_write(Path(csv_path), lambda p: table.to_csv(p, index=False, float_format="%.1f"))
