"""Who holds what, when: control timelines (an estimate, and labelled as one).

A **control timeline** says, for every place named in the events, who held it over which
interval and on what evidence. :mod:`mapper.areas` spreads those control points over the
settled land around them and measures the result in km²; its public names are re-exported
here so ``territory`` stays the one module a notebook imports.

control_timeline(events, *, start, end, backfill_days, stale_days, regions)
                                             -> one row per place and interval (``control.csv``)
snapshot_dates(events, *, every, start, end) -> the dates to map (weekly by default)
undated_events(events)                       -> the events no timeline can place
load_regions(gazetteer=None)                 -> governorate and country polygons by place id
held_areas, compare_areas, calibrate_reach, read_reference, write_areas  (see mapper.areas)

The rules, in short (``docs/territory.md`` has the long form):

1. **Placing dates.** A day date is that day, a week date the stated day (±3 days), a month
   or year date the **middle of its period** (``2017-10`` -> 2017-10-16); ``date_note`` says so.
   A coarse event describing the same change as a finer one in its period merges into it.
2. **Contradictions** (two holders at one time) are settled, in this order, by: body text over
   a headline or caption (event ``flags``), a specific actor over a generic one ("Turkish-backed
   rebels" over "Syrian rebels"), more sources over fewer, finer date precision, confidence,
   then event id. Every such choice is written into the interval's ``basis``
   (``kept A over B (reason)``) and listed in ``attrs["conflicts"]``.
3. **Applying events, per place, in time order**: ``captured`` gives the place to the gainer
   (``unknown`` with no gainer), ``held`` asserts the gainer, ``withdrew`` leaves the taker
   unknown, ``entered`` makes it contested (holder = the defender), ``besieged`` names the side
   inside.
4. **Bounded inference.** The side an event says held the place before it (the loser; for
   ``held`` the gainer) fills the time before the event only back to the previous event of the
   place and at most ``backfill_days`` (:data:`BACKFILL_DAYS`). Between two reports that agree
   on the holder (the later one says that side held it until then) the holder is confirmed
   throughout. After the last report that confirms a holder, the hold lasts ``stale_days``
   (:data:`STALE_DAYS`) and then becomes ``stale``: drawn faded, counted apart in ``areas.csv``.
   Before any report covers a place it is ``unreported`` and is no control point at all.
5. **Region-level claims**: a row whose ``flags`` hold ``region`` (or whose ``place_id`` is a
   governorate ``ne:<ISO 3166-2>`` or a country ``mapper:country-<cc>``) says that on its date
   every control point held by its ``loser`` inside the region passes to its ``gainer`` (or, with
   no gainer, stops being held). It changes those places, with the claim in their ``basis``,
   and never becomes a control point itself. Places it leaves out (flags ``except:<place_id>``,
   from "... all of the province except P") keep the state their own reports give.

States in ``control.csv``: ``held``, ``contested`` (holder = defender), ``stale`` (holder = the
last confirmed one), ``unknown`` (a report says the place changed hands but not to whom: a
control point without holder) and ``unreported`` (no report covers the period).
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mapper.areas import (
    DEFAULT_CELL_KM,
    DEFAULT_RADIUS_KM,
    STUDY_COUNTRIES,
    AreaStore,
    calibrate_reach,
    compare_areas,
    held_areas,
    load_countries,
    read_reference,
    settlements_from_geonames,
    spool_held_areas,
    write_areas,
)
from mapper.errors import DateWarning, InputError, MapperWarning, SkippedInputWarning
from mapper.schema import (
    CONTROL_COLUMNS,
    EVENT_TYPES,
    PRECISION_RANK,
    WGS84,
)

__all__ = [
    "BACKFILL_DAYS",
    "CONTROL_STATES",
    "DEFAULT_CELL_KM",
    "DEFAULT_RADIUS_KM",
    "GENERIC_ACTORS",
    "STALE_DAYS",
    "STUDY_COUNTRIES",
    "AreaStore",
    "ControlConflictWarning",
    "basis_events",
    "calibrate_reach",
    "compare_areas",
    "control_timeline",
    "held_areas",
    "is_region_row",
    "load_countries",
    "load_regions",
    "read_reference",
    "settlements_from_geonames",
    "snapshot_dates",
    "spool_held_areas",
    "undated_events",
    "write_areas",
]

#: how far (days) a claim may reach back before its own date to fill an unreported period:
#: "the army took X from IS" says IS held X before, for at most this long
BACKFILL_DAYS = 365
#: how long (days) a holder stays ``held`` after the last report that confirms it; after that
#: the point is ``stale`` (last known holder, drawn faded, not counted as held)
STALE_DAYS = 365
#: every state of ``control.csv``
CONTROL_STATES = ("held", "contested", "stale", "unknown", "unreported")
#: generic actor -> the actors it may stand for; a claim naming a specific one wins
GENERIC_ACTORS: dict[str, frozenset[str]] = {
    "Syrian rebels": frozenset({"Turkish-backed rebels"}),
    "Kurdish forces": frozenset({"SDF"}),
    "other": frozenset({"Syrian government", "Iraqi government", "SDF", "Kurdish forces",
                        "Turkish-backed rebels", "Syrian rebels"}),
}


#: order of events of one place on one day: a capture ends the fight an entry starts; a
#: region-level claim comes last (it acts on the state the place's own reports leave)
_STAGE = {"besieged": 0, "entered": 1, "withdrew": 2, "captured": 3, "held": 4, "region": 5}
_SETS_HOLDER = ("captured", "held", "withdrew")
_REGION_TYPES = ("captured", "withdrew")
_REQUIRED_EVENT_COLUMNS = (
    "event_id", "place_id", "lat", "lon", "event_type", "gainer", "loser", "date",
    "date_precision",
)
_DAY = pd.Timedelta(days=1)


class ControlConflictWarning(MapperWarning):
    """Two events give one place two holders at one time; the message says which won and why."""


# ---------------------------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------------------------


def _blank(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    text = str(value).strip()
    return text or None


def _flags(value) -> frozenset[str]:
    text = _blank(value)
    return frozenset(f.strip() for f in text.split(";") if f.strip()) if text else frozenset()


def basis_events(basis) -> list[str]:
    """The event ids of a ``basis`` cell (its decision notes, which contain spaces, left out)."""
    text = _blank(basis)
    if not text:
        return []
    return [b for b in text.split(";") if b and " " not in b]


def is_region_row(place_id, flags) -> bool:
    """Is this event a region-level claim (flag ``region``, or a governorate/country id)?"""
    pid = _blank(place_id) or ""
    return "region" in _flags(flags) or pid.startswith(("ne:", "mapper:country-"))


def _period(date: pd.Timestamp, precision: str) -> tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp, str]:
    """(placed date, period start, period end exclusive, note) of a dated event."""
    date = date.normalize()
    if precision == "day":
        return date, date, date + _DAY, ""
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
    if "flags" not in ev.columns:
        ev["flags"] = ""
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
    region = np.array([is_region_row(p, f) for p, f in zip(ev["place_id"], ev["flags"])], dtype=bool)
    bad_xy = ev["event_id"][(ev["lat"].isna() | ev["lon"].isna()) & ~region].tolist()
    if bad_xy:
        problems.append(f"events {bad_xy[:5]} have no lat/lon; geocode them or drop them")
    out = ev["event_id"][(ev["lat"].abs() > 90) | (ev["lon"].abs() > 180)].tolist()
    if out:
        problems.append(f"events {out[:5]} have lat/lon out of range; check the (lat, lon) order")
    ev["n_sources"] = pd.to_numeric(ev["n_sources"], errors="coerce").fillna(1).astype(int)
    ev["confidence"] = pd.to_numeric(ev["confidence"], errors="coerce").fillna(0.0)
    if problems:
        raise InputError(f"{name}: " + "; ".join(problems) + ".")
    ev["_region"] = region
    return ev


def _undated_mask(ev: pd.DataFrame) -> pd.Series:
    return ev["date"].isna() | (ev["date_precision"].astype(str) == "unknown")


def undated_events(events: pd.DataFrame) -> pd.DataFrame:
    """The events whose date is unknown (``NaT`` or precision ``unknown``), in input order.

    No timeline can place them; the index page lists them as undated evidence and
    ``run.json`` names them, so they are never dropped silently.
    """
    if events is None or len(events) == 0 or "date" not in events.columns:
        return pd.DataFrame(columns=list(events.columns) if events is not None else [])
    dates = pd.to_datetime(events["date"], errors="coerce")
    prec = events["date_precision"].astype(str) if "date_precision" in events else "day"
    return events[(dates.isna() | (prec == "unknown")).to_numpy()].copy()


# ---------------------------------------------------------------------------------------------
# one change of one place, and the rules that settle contradictions
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
    headline: bool = False
    basis: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    region: str | None = None  # for kind "region": the region's id and name


def _outcome(c: _Change) -> str | None:
    return None if c.kind == "withdrew" else c.gainer


def _prior(c: _Change) -> str | None:
    """The side the event says held the place just before it."""
    if c.kind == "held":
        return c.gainer
    if c.kind == "region":
        return None
    return c.loser


def _generic_of(general: str | None, specific: str | None) -> bool:
    return general is not None and specific is not None and specific in GENERIC_ACTORS.get(general, ())


def _same_or_generic(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a == b or _generic_of(a, b) or _generic_of(b, a)


def _specific(a: str | None, b: str | None) -> str | None:
    """Of two compatible actor names, the more specific one."""
    if a is None:
        return b
    if b is None or a == b:
        return a
    return b if _generic_of(a, b) else a


def _prefer(a: _Change, b: _Change) -> tuple[_Change, _Change, str]:
    """(winner, loser, reason) of two contradicting changes.

    Body text over headline or caption; a specific actor over a generic one; more sources;
    finer precision; higher confidence; then event id, so the result never depends on row order.
    """
    if a.headline != b.headline:
        return (b, a, "body over headline") if a.headline else (a, b, "body over headline")
    oa, ob = _outcome(a), _outcome(b)
    if _generic_of(oa, ob) or (oa is None and ob is not None and a.kind == b.kind == "captured"):
        return b, a, "specific actor over generic"
    if _generic_of(ob, oa) or (ob is None and oa is not None and a.kind == b.kind == "captured"):
        return a, b, "specific actor over generic"
    if a.n_sources != b.n_sources:
        return (a, b, "more sources") if a.n_sources > b.n_sources else (b, a, "more sources")
    pa, pb = PRECISION_RANK[a.precision], PRECISION_RANK[b.precision]
    if pa != pb:
        return (a, b, "finer date") if pa < pb else (b, a, "finer date")
    if a.confidence != b.confidence:
        return (a, b, "confidence") if a.confidence > b.confidence else (b, a, "confidence")
    return (a, b, "event id") if a.event_id <= b.event_id else (b, a, "event id")


def _cmp(a: _Change, b: _Change) -> int:
    if a is b:
        return 0
    return -1 if _prefer(a, b)[0] is a else 1


def _agree(a: _Change, b: _Change) -> bool:
    """Could ``a`` and ``b`` report one change? Same sides (or one generic for the other)
    where both name one, and the side one names as taker is not the other's loser."""
    ga, gb = _outcome(a), _outcome(b)
    if not (_same_or_generic(ga, gb) and _same_or_generic(a.loser, b.loser)):
        return False
    taker, loser = _specific(ga, gb), _specific(a.loser, b.loser)
    return taker is None or taker != loser


def _merge_into(target: _Change, other: _Change) -> None:
    if target.kind == "withdrew" and other.kind != "withdrew" and other.gainer:
        target.kind = other.kind  # "X withdrew" and "A took X" the same day: A took it
    for g_attr in ("gainer", "loser"):
        mine, theirs = getattr(target, g_attr), getattr(other, g_attr)
        best = _specific(mine, theirs)
        if mine is not None and theirs is not None and mine != theirs:
            keep = target if best == mine else other
            drop = other if keep is target else target
            target.basis.append(f"kept {keep.event_id} over {drop.event_id} "
                                f"({g_attr} {best!r} over generic {theirs if best == mine else mine!r})")
        setattr(target, g_attr, best)
    target.basis.extend(b for b in other.basis if b not in target.basis)
    target.n_sources = max(target.n_sources, other.n_sources)
    target.confidence = max(target.confidence, other.confidence)
    target.headline = target.headline and other.headline


def _conflict(place_id, t, winner: _Change, loser: _Change, reason: str) -> dict:
    winner.basis.append(f"kept {winner.event_id} over {loser.event_id} ({reason})")
    return {
        "place_id": place_id, "date": t, "kept": winner.event_id,
        "kept_holder": _outcome(winner), "dropped": loser.event_id,
        "dropped_holder": _outcome(loser), "resolved_by": reason,
    }


def _change_from_row(row) -> _Change:
    t, lo, hi, note = _period(row.date, row.date_precision)
    flags = _flags(row.flags)
    return _Change(
        t=t, lo=lo, hi=hi, kind=row.event_type, gainer=_blank(row.gainer),
        loser=_blank(row.loser), precision=row.date_precision, n_sources=int(row.n_sources),
        confidence=float(row.confidence), event_id=str(row.event_id),
        headline=bool(flags & {"headline", "caption"}),
        basis=[str(row.event_id)], notes=[note] if note else [],
    )


def _consolidate(changes: list[_Change], conflicts: list[dict], place_id: str) -> list[_Change]:
    """Merge coarse events into finer ones describing the same change; resolve conflicts."""
    changes = sorted(changes, key=lambda c: (c.t, _STAGE[c.kind], c.event_id))
    # 1. a coarse event whose period holds a finer event of the same kind and compatible
    #    actors is the same change, seen from further away: merge it into the finer one.
    #    The same kind with other actors inside its period is a contradiction.
    alive = list(changes)
    for coarse in sorted(changes, key=lambda c: (-PRECISION_RANK[c.precision], c.event_id)):
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
            target = min(same, key=lambda f: (PRECISION_RANK[f.precision], -f.n_sources,
                                              abs(f.t - coarse.t), f.event_id))
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
            lo = max(after) + _DAY if after else coarse.lo
            hi = min(before) - _DAY if before else coarse.hi - _DAY
            if len(before) + len(after) == len(finer) and lo <= hi:
                t = min(max(coarse.t, lo), hi)
                if t != coarse.t:
                    coarse.notes.append(f"moved to {t:%Y-%m-%d} to stay in order with the "
                                        "finer events of its period")
                    coarse.t = t
            else:
                best = sorted(finer + [coarse], key=functools.cmp_to_key(_cmp))[0]
                if best is coarse:
                    for f in finer:
                        conflicts.append(_conflict(place_id, f.t, coarse, f, _prefer(coarse, f)[2]))
                        alive.remove(f)
                else:
                    conflicts.append(_conflict(place_id, coarse.t, best, coarse,
                                               _prefer(best, coarse)[2]))
                    alive.remove(coarse)
    # 2. one place, one placed day: merge agreeing events, resolve disagreeing holders
    out: list[_Change] = []
    by_day: dict[tuple, list[_Change]] = {}
    for c in alive:
        by_day.setdefault((c.t, _STAGE[c.kind] if c.kind not in _SETS_HOLDER else 9), []).append(c)
    for (_, stage), group in sorted(by_day.items(), key=lambda kv: kv[0]):
        group = sorted(group, key=functools.cmp_to_key(_cmp))
        if stage != 9:  # entered / besieged on one day: merge agreeing, keep best otherwise
            merged: list[_Change] = []
            for c in group:
                for m in merged:
                    if _same_or_generic(m.gainer, c.gainer) and _same_or_generic(m.loser, c.loser):
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
                conflicts.append(_conflict(place_id, winner.t, winner, c, _prefer(winner, c)[2]))
        out.append(winner)
    out.sort(key=lambda c: (c.t, _STAGE[c.kind], c.event_id))
    return out


# ---------------------------------------------------------------------------------------------
# one place's timeline
# ---------------------------------------------------------------------------------------------


@dataclass
class _Episode:
    """A stretch of one state of one place, before staleness is applied."""

    holder: str | None
    state: str  # held | contested | unknown | unreported
    since: pd.Timestamp
    basis: list[str]
    confidence: float
    notes: list[str]
    confirmed: pd.Timestamp | None  # the last time a report confirms the holder

    def add_basis(self, ids: Iterable[str]) -> None:
        self.basis.extend(b for b in ids if b not in self.basis)


def _timeline(changes: list[_Change], start: pd.Timestamp, *, backfill: pd.Timedelta | None) -> list[_Episode]:
    """Apply a place's changes in order; return its episodes, oldest first."""
    eps = [_Episode(None, "unreported", start, [], float("nan"), ["no report covers this period"], None)]
    for c in changes:
        cur = eps[-1]
        t = max(c.t, start)
        if c.kind == "region":
            if cur.holder is None or cur.holder != c.loser or cur.state not in ("held", "contested"):
                continue  # the claim is about the loser's points; this one is not (now) its
            holder = c.gainer
            new = _Episode(holder, "held" if holder else "unknown", t, list(c.basis), c.confidence,
                           list(c.notes), t if holder else None)
            _push(eps, new)
            continue
        prior = _prior(c)
        if prior is not None:
            if cur.holder == prior and cur.state in ("held", "contested"):
                cur.confirmed = t  # the report says the holder held it up to now
                cur.add_basis(c.basis)
            elif cur.holder is None and c.t > start:
                # back-fill: the side the event says held the place, since the previous event
                # of the place and for at most `backfill`
                lo = cur.since if backfill is None else max(cur.since, c.t - backfill)
                reach = "the previous report of this place" if lo == cur.since else \
                    f"{backfill.days} days before it (the back-fill window)"
                fill = _Episode(prior, "held", lo, list(c.basis), c.confidence,
                                [f"held by {prior} before event {c.event_id} (inferred back to "
                                 f"{reach})"], t)
                if lo <= cur.since:
                    if cur.state == "unknown":  # the withdrawal that opened the gap stays named
                        fill.basis = cur.basis + [b for b in fill.basis if b not in cur.basis]
                        fill.notes = cur.notes + fill.notes
                    eps[-1] = fill
                else:
                    eps.append(fill)
                cur = eps[-1]
            elif cur.holder is not None and cur.holder != prior:
                cur.notes.append(f"event {c.event_id} says {prior} held it before {c.t:%Y-%m-%d}: "
                                 "the change from " + f"{cur.holder} to {prior} is not reported")
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
                cur.add_basis(c.basis)
                continue
            holder, state = c.loser, "held"
        note = list(c.notes)
        if c.kind == "captured" and not c.gainer:
            note.append("captured by an unnamed side: holder unknown")
        if c.kind == "withdrew":
            note.append(f"{c.loser or 'the holder'} withdrew; the taker is unknown")
        confirmed = t if holder is not None else None
        _push(eps, _Episode(holder, state, t, list(c.basis), c.confidence, note, confirmed))
    return eps


def _push(eps: list[_Episode], new: _Episode) -> None:
    cur = eps[-1]
    if new.since <= cur.since:
        eps[-1] = new  # same day (or before the study start): the later stage wins
    elif (new.holder, new.state) == (cur.holder, cur.state) and new.state not in ("unknown", "unreported"):
        cur.add_basis(new.basis)  # a re-assertion: confirmed up to now
        cur.confidence = max(cur.confidence, new.confidence) if not math.isnan(cur.confidence) else new.confidence
        cur.confirmed = new.since
    else:
        eps.append(new)


def _intervals(eps: list[_Episode], stale: pd.Timedelta | None, end: pd.Timestamp | None) -> list[dict]:
    """Episodes -> intervals, each hold cut to ``stale`` after its last confirmation."""
    rows = []
    for i, e in enumerate(eps):
        valid_to = eps[i + 1].since if i + 1 < len(eps) else pd.NaT
        if end is not None:
            if e.since >= end:
                continue
            valid_to = end if pd.isna(valid_to) else min(valid_to, end)
        row = {"holder": e.holder if e.state not in ("unknown", "unreported") else None,
               "state": e.state, "valid_from": e.since, "valid_to": valid_to,
               "basis": ";".join(e.basis), "confidence": e.confidence, "date_note": "; ".join(e.notes)}
        stale_from = None
        if stale is not None and e.state in ("held", "contested") and e.confirmed is not None:
            stale_from = max(e.confirmed, e.since) + stale
            if not pd.isna(valid_to) and stale_from >= valid_to:
                stale_from = None
        if stale_from is None:
            rows.append(row)
            continue
        rows.append({**row, "valid_to": stale_from})
        rows.append({**row, "state": "stale", "valid_from": stale_from,
                     "date_note": f"stale: no report confirms {e.holder} after "
                                  f"{max(e.confirmed, e.since):%Y-%m-%d} (more than {stale.days} days)"})
    return rows


# ---------------------------------------------------------------------------------------------
# regions
# ---------------------------------------------------------------------------------------------


def load_regions(gazetteer=None):
    """Governorate and country polygons keyed by the place ids region-level claims use.

    ``place_id`` is ``ne:<ISO 3166-2>`` for a governorate (``ne:IQ-NI``) and
    ``mapper:country-<iso a2, lower case>`` for a country; columns ``place_id, name,
    feature_code, geometry`` (WGS84). From ``gazetteer.admin1``/``gazetteer.countries`` when a
    gazetteer is given, else the packaged ``data/gazetteer`` layers.
    """
    import geopandas as gpd

    if gazetteer is not None:
        admin1, countries = gazetteer.admin1, gazetteer.countries
    else:
        from mapper import resources

        admin1 = gpd.read_file(resources.gazetteer_file("admin1.geojson"))
        countries = gpd.read_file(resources.gazetteer_file("countries.geojson"))
    parts = []
    if admin1 is not None and len(admin1):
        a = admin1.to_crs(WGS84)
        parts.append(gpd.GeoDataFrame({"place_id": "ne:" + a["iso_3166_2"].astype(str),
                                       "name": a["name"].astype(str), "feature_code": "ADM1"},
                                      geometry=a.geometry.values, crs=WGS84))
    if countries is not None and len(countries):
        c = countries.to_crs(WGS84)
        code = next(k for k in ("iso_a2", "ISO_A2", "ISO_A2_EH") if k in c.columns)
        parts.append(gpd.GeoDataFrame({"place_id": "mapper:country-" + c[code].astype(str).str.lower(),
                                       "name": c["name"].astype(str) if "name" in c else c[code],
                                       "feature_code": "PCLI"},
                                      geometry=c.geometry.values, crs=WGS84))
    return pd.concat(parts, ignore_index=True) if parts else gpd.GeoDataFrame(
        {"place_id": [], "name": [], "feature_code": []}, geometry=[], crs=WGS84)


def _region_changes(rows: pd.DataFrame, places: pd.DataFrame, regions, ignored: list[str]) -> dict[str, list[_Change]]:
    """Each region-level claim as one conditional change per place inside its polygon."""
    import shapely

    out: dict[str, list[_Change]] = {}
    if rows.empty:
        return out
    if regions is None:
        regions = load_regions()
    if "place_id" not in getattr(regions, "columns", ()) or "geometry" not in regions.columns:
        raise InputError("regions: expected a GeoDataFrame with place_id and polygon geometry "
                         "(see territory.load_regions).")
    reg = regions.to_crs(WGS84) if regions.crs is not None else regions
    by_id = dict(zip(reg["place_id"].astype(str), reg.geometry.values))
    names = dict(zip(reg["place_id"].astype(str), reg["name"] if "name" in reg else reg["place_id"]))
    pts = shapely.points(places["lon"].to_numpy(), places["lat"].to_numpy())
    unknown, wrong = [], []
    for row in rows.itertuples(index=False):
        pid = str(row.place_id)
        if row.event_type not in _REGION_TYPES:
            wrong.append(str(row.event_id))
            continue
        poly = by_id.get(pid)
        if poly is None:
            unknown.append(f"{row.event_id} ({pid})")
            continue
        loser = _blank(row.loser)
        if loser is None:
            wrong.append(str(row.event_id))
            continue
        shapely.prepare(poly)
        inside = shapely.contains(poly, pts) | shapely.touches(poly, pts)
        t, lo, hi, note = _period(row.date, row.date_precision)
        gainer = _blank(row.gainer) if row.event_type == "captured" else None
        left_out = {f[len("except:"):] for f in _flags(getattr(row, "flags", None)) if f.startswith("except:")}
        for place_id in places["place_id"][inside]:
            if place_id in left_out:
                continue  # "... all of the province except P": P stays as its own reports leave it
            out.setdefault(place_id, []).append(_Change(
                t=t, lo=lo, hi=hi, kind="region", gainer=gainer, loser=loser,
                precision=row.date_precision, n_sources=int(row.n_sources),
                confidence=float(row.confidence), event_id=str(row.event_id),
                basis=[str(row.event_id)], region=pid,
                notes=[n for n in (note, f"region-level claim {row.event_id}: every point {loser} "
                       f"held in {names.get(pid, pid)} ({pid}) passed to "
                       f"{gainer or 'an unnamed side'}") if n],
            ))
    if unknown:
        warnings.warn(f"events: region-level claim(s) {unknown[:10]} name no known governorate or "
                      "country polygon; left out. Use a place id of the gazetteer's admin1 "
                      "(ne:<ISO 3166-2>) or country (mapper:country-<cc>) layer.",
                      SkippedInputWarning, stacklevel=3)
    if wrong:
        warnings.warn(f"events: region-level claim(s) {wrong[:10]} are neither 'captured' nor "
                      "'withdrew' with a loser; left out (a region claim moves the loser's points).",
                      SkippedInputWarning, stacklevel=3)
    ignored.extend(r.split(" ")[0] for r in unknown)
    ignored.extend(wrong)
    return out


# ---------------------------------------------------------------------------------------------
# the control timeline
# ---------------------------------------------------------------------------------------------


def control_timeline(
    events: pd.DataFrame,
    *,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    backfill_days: int | None = BACKFILL_DAYS,
    stale_days: int | None = STALE_DAYS,
    regions=None,
) -> pd.DataFrame:
    """Who held each place, over which interval, and on what evidence.

    Parameters
    ----------
    events : DataFrame
        Events with the columns of :data:`mapper.schema.EVENT_COLUMNS` (at least
        ``event_id, place_id, lat, lon, event_type, gainer, loser, date, date_precision``;
        ``n_sources`` and ``confidence`` default to 1, ``flags`` to none). Events whose date is
        unknown (``NaT`` or precision ``unknown``) are left out and reported.
    start, end : date-like, optional
        The study window. ``start`` defaults to the start of the earliest event's period;
        ``end`` to open-ended (the last interval's ``valid_to`` is ``NaT``). Events before
        ``start`` still set the state at ``start``; intervals are clipped to the window.
    backfill_days : int or None
        How far an event's prior side fills an unreported period before it (at most back to
        the previous event of the place). Default :data:`BACKFILL_DAYS`; ``None``: back to the
        previous event or the study start, however long ago.
    stale_days : int or None
        How long a holder stays ``held`` after the last report that confirms it before the
        point turns ``stale``. Default :data:`STALE_DAYS`; ``None``: never stale.
    regions : GeoDataFrame, optional
        Polygons of the regions that region-level claims name (``place_id`` + geometry);
        default :func:`load_regions` (read only when there is such a claim).

    Returns
    -------
    DataFrame
        :data:`mapper.schema.CONTROL_COLUMNS`, one row per place and interval
        ``[valid_from, valid_to)``; the intervals of a place tile the window. ``state`` is one
        of :data:`CONTROL_STATES`; ``holder`` is empty for ``unknown`` and ``unreported``, the
        defender for ``contested`` and the last confirmed holder for ``stale``. ``basis`` is the
        ``;``-joined ids of the events behind the interval, then any ``kept A over B (reason)``
        decision (:func:`basis_events` reads the ids back); ``date_note`` says how coarse dates
        were placed and what was inferred. ``attrs``: ``ignored`` (ids left out),
        ``undated`` (the undated event ids), ``conflicts`` (contradictions resolved; also warned
        as :class:`ControlConflictWarning`), ``regions`` (region-level claims applied),
        ``backfill_days``, ``stale_days``, ``start``, ``end``.

    Examples
    --------
    >>> ev = pd.DataFrame({"event_id": ["e1"], "place_id": ["geonames:172955"],
    ...     "lat": [35.95], "lon": [39.01], "event_type": ["captured"], "gainer": ["SDF"],
    ...     "loser": ["IS"], "date": [pd.Timestamp("2017-10-17")], "date_precision": ["day"]})
    >>> control_timeline(ev, start="2017-01-01")[["holder", "state", "valid_from"]].to_string(index=False)
    'holder state valid_from\\n    IS  held 2017-01-01\\n   SDF  held 2017-10-17\\n   SDF stale 2018-10-17'
    """
    for name, value in (("backfill_days", backfill_days), ("stale_days", stale_days)):
        if value is not None and not (isinstance(value, (int, np.integer)) and value >= 0):
            raise InputError(f"control_timeline: {name}={value!r} must be a whole number of days "
                             ">= 0, or None for no limit.")
    ev = _validate_events(events)
    undated_mask = _undated_mask(ev)
    undated = sorted(ev.loc[undated_mask, "event_id"].tolist())
    if undated:
        warnings.warn(
            f"events: {len(undated)} event(s) with an unknown date left out of the control "
            f"timeline: {undated[:10]}{' ...' if len(undated) > 10 else ''}. Give them a date "
            "(an analyst override) to use them; the index page lists them as undated evidence.",
            DateWarning, stacklevel=2,
        )
    ev = ev.loc[~undated_mask]
    g, lz = ev["gainer"].map(_blank), ev["loser"].map(_blank)
    same_sides = g.notna() & (g == lz)
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
    region_rows = ev[ev["_region"]]
    ev = ev[~ev["_region"]]
    changes_by_place: dict[str, list[_Change]] = {}
    first: dict[str, tuple] = {}
    for row in ev.sort_values(["place_id", "event_id"]).itertuples(index=False):
        pid = str(row.place_id)
        changes_by_place.setdefault(pid, []).append(_change_from_row(row))
        first.setdefault(pid, (row.place if _blank(row.place) else pid, float(row.lat), float(row.lon)))
    if start_ts is None and (changes_by_place or len(region_rows)):
        los = [c.lo for cs in changes_by_place.values() for c in cs]
        los += [_period(d, p)[1] for d, p in zip(region_rows["date"], region_rows["date_precision"])]
        start_ts = min(los)
    conflicts: list[dict] = []
    ignored: list[str] = []
    consolidated = {pid: _consolidate(cs, conflicts, pid) for pid, cs in changes_by_place.items()}
    places = pd.DataFrame([(pid, lat, lon) for pid, (_, lat, lon) in first.items()],
                          columns=["place_id", "lat", "lon"])
    region_changes = _region_changes(region_rows.sort_values("event_id"), places, regions, ignored)
    backfill = pd.Timedelta(days=int(backfill_days)) if backfill_days is not None else None
    stale = pd.Timedelta(days=int(stale_days)) if stale_days is not None else None
    rows = []
    applied: set[str] = set()
    for pid in sorted(consolidated):
        changes = sorted(consolidated[pid] + region_changes.get(pid, []),
                         key=lambda c: (c.t, _STAGE[c.kind], c.event_id))
        eps = _timeline(changes, start_ts, backfill=backfill)
        applied |= {b for e in eps for b in e.basis if b in set(region_rows["event_id"])}
        place, lat, lon = first[pid]
        for r in _intervals(eps, stale, end_ts):
            rows.append({"place_id": pid, "place": place, "lat": lat, "lon": lon, **r})
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
            f"events: {len(conflicts)} contradiction(s) resolved (body over headline, specific "
            "over generic actor, more sources, finer date, confidence): "
            + "; ".join(lines[:10]) + (" ..." if len(lines) > 10 else ""),
            ControlConflictWarning, stacklevel=2,
        )
    out.attrs["ignored"] = undated + skipped + ignored
    out.attrs["undated"] = undated
    out.attrs["conflicts"] = conflicts
    out.attrs["regions"] = sorted(applied)
    out.attrs["backfill_days"] = None if backfill_days is None else int(backfill_days)
    out.attrs["stale_days"] = None if stale_days is None else int(stale_days)
    out.attrs["start"] = start_ts
    out.attrs["end"] = end_ts
    return out


# ---------------------------------------------------------------------------------------------
# snapshot dates
# ---------------------------------------------------------------------------------------------


def snapshot_dates(
    events: pd.DataFrame,
    *,
    every: str | Iterable = "week",
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
) -> pd.DatetimeIndex:
    """The dates to map.

    Parameters
    ----------
    events : DataFrame
        The event table (its placed dates give ``every="event"`` and the default window).
    every : {"week", "month", "event"} or iterable of dates
        ``"week"`` (default): every 7 days from ``start``, with one more step when the last
        event falls after the last whole week, so the last event is always shown;
        ``"month"``: the first of every month from ``start``'s month, likewise;
        ``"event"``: every distinct placed event date (see :func:`control_timeline`);
        or an explicit list of dates.
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
        dated = ev[~_undated_mask(ev)]
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
                if end_ts is None and (not len(dates) or dates[-1] < hi):
                    dates = dates.append(pd.DatetimeIndex([(dates[-1] if len(dates) else lo)
                                                           + pd.Timedelta(days=7)]))
            else:
                dates = pd.date_range(lo.replace(day=1), hi, freq="MS")
                if end_ts is None and (not len(dates) or dates[-1] < hi):
                    dates = dates.append(pd.DatetimeIndex([hi.replace(day=1) + pd.offsets.MonthBegin(1)]))
        else:
            raise InputError(f"snapshot_dates: every={every!r} is not one of 'event', 'week', "
                             "'month'; or pass a list of dates.")
    if start_ts is not None:
        dates = dates[dates >= start_ts]
    if end_ts is not None:
        dates = dates[dates <= end_ts]
    return pd.DatetimeIndex(sorted(set(dates)), name="date")


def _events_start(events: pd.DataFrame) -> pd.Timestamp:
    ev = _validate_events(events)
    dated = ev[~_undated_mask(ev)]
    if dated.empty:
        raise InputError("events: no dated event; calibration needs dated events.")
    return min(_period(d, p)[1] for d, p in zip(dated["date"], dated["date_precision"]))
