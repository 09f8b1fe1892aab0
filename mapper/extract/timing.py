"""Timing: the date of each claim, at the precision the text supports.

date_claims(state, claims)

In order, a claim takes:

1. a date expression in its own clause ("retook P on Friday", "seized P in May 2015");
2. an offset from the clause it hangs on ("a day after IS seized P", "hours after
   recapturing P", "10 months later");
3. the date of the clause it continues, or of a date phrase standing alone ("On Sunday, the
   forces marched into P"), or of the reporting verb ("..., the military said Monday");
4. the date of the story so far: "earlier in the day" and a narrative in the past take the
   last date stated; a headline takes the lead's date; the present perfect and the present
   take the publication date.

A claim in a relative or subordinate clause with no date of its own ("P, which fell to IS",
"since P was lost") is background: it never takes the article's date (``unknown``).
Without a publication date relative expressions stay unresolved.
"""

from __future__ import annotations

import datetime as dt
import re

from mapper.dates import DateMention

from .clauses import HAVE_AUX, REPORT_VERBS, after_since
from .discourse import lead_date
from .state import ArticleState, Claim

__all__ = ["date_claims"]

_UNITS = {"hour": 0, "hours": 0, "day": 1, "days": 1, "week": 7, "weeks": 7, "month": 30, "months": 30,
          "year": 365, "years": 365}
_UNIT_PRECISION = {0: "day", 1: "day", 7: "week", 30: "month", 365: "year"}
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
            "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "several": None, "few": None,
            "some": None}
_SAME_DAY = re.compile(r"\b(?:earlier|later)\s+(?:in\s+the\s+day|on\s+the\s+same\s+day|that\s+day)|\bthe\s+same\s+day\b|"
                       r"\bhours\s+(?:earlier|later)\b", re.IGNORECASE)
_PRESENT = frozenset({"is", "are", "remains", "remain", "controls", "control", "holds", "hold", "now", "still"})


def date_claims(st: ArticleState, claims: list[Claim]) -> None:
    """Set ``date``, ``precision`` and a ``date_*`` flag on every claim."""
    lead = lead_date(st)
    pub = st.article.published if st.article is not None else None
    for c in sorted(claims, key=lambda c: (c.k, c.trigger)):
        _date_one(st, c, lead)
        if pub is not None and c.date is not None and c.date > pub:
            # a report never dates a change after its own publication
            c.date, c.precision = None, "unknown"
            c.flags.add("date_after_publication")
        if c.date is not None and c.precision in ("day", "week") and not any(f.startswith("date_from_") and f != "date_from_clause" for f in c.flags):
            st.last_date = (c.date, c.precision, c.k)
    for c in claims:
        src = c.same_date_as
        if src is not None:  # "IS lost all of Anbar on Monday except P": P is still held on Monday
            c.date, c.precision = src.date, src.precision
            c.flags = {f for f in c.flags if not f.startswith("date_")} | {f for f in src.flags if f.startswith("date_")}


def _usable(m: DateMention) -> bool:
    return m.kind not in ("earlier",) or True


def _nearest(cands: list[tuple[DateMention, int, int]], q: int) -> tuple[DateMention, int, int] | None:
    if not cands:
        return None
    return min(cands, key=lambda d: (min(abs(d[1] - q), abs(d[2] - q)), d[1] < q))


def _date_one(st: ArticleState, c: Claim, lead: tuple[dt.date | None, str]) -> None:
    k = c.k
    dates = st.dates(k)
    chunks = st.chunks(k)
    chunk = c.chunk
    lows = st.tk.lows
    if c.event == "held" and "since" not in c.flags:
        # a state is as of its own date ("held it on Sunday") or of the article; "since <date>"
        # is when it began, not when it was stated
        own = [d for d in dates if c.chunk is not None and c.chunk.i <= d[1] < c.chunk.j and d[0].date is not None
               and not after_since(st.tk.lows, d[1])]
        best = _nearest(own, c.trigger)
        if best is not None:
            _set(c, best[0], "")
        else:
            _publication(st, c)
        return
    if "since" in c.flags:
        for m, i, _j in dates:
            if after_since(st.tk.lows, i) and m.date is not None and c.chunk is not None \
                    and c.chunk.i <= i < c.chunk.j:
                _set(c, m, "")
                return
    if c.date_at >= 0:
        own_item = [d for d in dates if d[1] == c.date_at]
        if own_item and own_item[0][0].date is not None:
            _set(c, own_item[0][0], "")
            return
    if chunk is not None and lows[chunk.head] == "when" and chunk.i > 0:
        # "since August 2014, when it took the town": the clause is dated by the date it follows
        q = chunk.i - 1
        while q > 0 and lows[q] in (",", "—", "–"):
            q -= 1
        before = [d for d in dates if d[1] <= q < d[2] and d[0].date is not None]
        if before:
            _set(c, before[0][0], "")
            return
    # "since 2014" dates when a state began, never a change read in the same clause
    dates = [d for d in dates if not after_since(lows, d[1])]
    # 1. the claim's own clause
    if chunk is not None:
        own = [d for d in dates if chunk.i <= d[1] < chunk.j]
        later = _later_offset(st, chunk, c)
        if later is not None:
            return
        inner = _inner_offset(st, chunk, c)
        if inner is not None:
            main = _main_date(st, k, chunk, dates, lead)
            if main[0] is not None:
                days, prec, sign = inner
                c.date = _shift_within(main, sign * days, prec)
                c.precision = prec if _prec_rank(prec) >= _prec_rank(main[1]) else main[1]
                c.flags.add("date_offset")
                return
        if not own:
            own = _trailing_date(st, chunks, chunk, dates)
        best = _nearest(_own_verb_dates(lows, own, c.trigger), c.trigger)
        if best is not None:
            _set(c, best[0], "")
            if c.date is None and c.precision == "unknown" and best[0].kind != "earlier":
                return
            if c.date is not None:
                return
        # 2. an offset from the clause this one hangs on: "a day after IS seized P"
        if chunk.kind in ("sub", "part") and lows[chunk.head] in ("after", "before"):
            off = _offset_before(st, chunk)
            if off is not None and chunk.head >= 3 and lows[chunk.head - 3] in ("than", "over", "about", "nearly", "almost"):
                if off[0] >= 30 or lows[chunk.head - 3] == "than" and lows[chunk.head - 4:chunk.head - 3] != ["less"]:
                    # "more than two years after", "nearly a year after": long before, dated no closer
                    c.flags.add("background")
                    c.date, c.precision = None, "unknown"
                    return
                off = (off[0], "week")  # "less than two weeks after", "about a week after": that week
            main = _main_date(st, k, chunk, dates, lead)
            if off is not None and main[0] is not None:
                days, prec = off
                sign = -1 if lows[chunk.head] == "after" else 1
                c.date = _shift_within(main, sign * days, prec)
                c.precision = prec if _prec_rank(prec) >= _prec_rank(main[1]) else main[1]
                c.flags.add("date_offset")
                return
            if lows[chunk.head] == "after" and main[0] is not None and off is None:
                # "after seizing P": before the main event, at a coarser precision
                c.date, c.precision = main[0], "week" if main[1] == "day" else main[1]
                c.flags.add("date_before_main")
                return
        background = (chunk.kind == "rel" or chunk.kind == "sub" and lows[chunk.head] in ("since", "before", "until")) \
            and c.event != "held"
        if background and c.event == "besieged" and chunk.kind == "rel" \
                and any(lows[q] in _PRESENT for q in range(chunk.head, c.trigger)):
            # "P, which is (still) cut off": a siege that holds now, as of the report
            _publication(st, c)
            return
        if background and c.event != "held":
            c.flags.add("background")
            c.date, c.precision = None, "unknown"
            return
    if c.event == "held" and "since" not in c.flags:
        _publication(st, c)
        return
    if chunk is not None and _from_dated_sub(st, chunks, chunk, dates, c):
        return
    # 3. the clause it continues, a date phrase standing alone, or the reporting verb
    if chunk is not None:
        around = [d for d in dates if _kind_at(chunks, d[1]) in ("main", "pp", "part") and not (chunk.i <= d[1] < chunk.j)]
        best = _nearest(around, c.trigger)
        if best is not None and best[0].date is not None:
            _set(c, best[0], "date_from_clause")
            return
        rep = _report_date(st, k, dates)
        if rep is not None:
            _set(c, rep, "date_from_report")
            return
        if best is not None and best[0].date is None:
            c.date, c.precision = None, "unknown"
            return
    # 4. the story so far
    a, b = st.sentence_text(k)
    sent = st.text[a:b]
    if _SAME_DAY.search(sent) and st.last_date is not None:
        c.date, c.precision = st.last_date[0], st.last_date[1]
        c.flags.add("date_from_context")
        return
    if "headline" in c.flags:
        if lead[0] is not None:
            c.date, c.precision = lead
            c.flags.add("date_from_lead")
            return
        _publication(st, c)
        return
    v = c.verb if c.verb >= 0 else c.trigger
    lo = max(st.layout.sentences[k].body_start, v - 4)
    # (the words of an actor are no verbs: "The IS captured" has no present "is")
    verb_window = [lows[q] for q in range(lo, v + 1) if not (st.tk.words[q] == "IS" or q in st.actor_at)]
    if c.event == "held" or any(w in HAVE_AUX for w in verb_window[-4:]) and "had" not in verb_window[-4:] \
            or any(w in _PRESENT for w in verb_window):
        said = _quote_said_on(st, c)
        if said is not None:
            _set(c, said, "date_of_the_quote")  # '"P is cleared," a commander said late Wednesday'
            return
        _publication(st, c)
        return
    ctx = _context_date(st, k)
    if ctx is not None and _reported(st, k, c) and st.anchor is not None and abs((st.anchor - ctx[0]).days) > 31:
        ctx = None  # reported speech is about the time of the report, not an old date before it
    if ctx is None and lead[0] is not None and k > (st.layout.lead or 0):
        c.date, c.precision = lead
        c.flags.add("date_from_lead")
        return
    if ctx is not None:
        c.date, c.precision = ctx
        c.flags.add("date_from_context")
        return
    if lead[0] is not None:
        c.date, c.precision = lead
        c.flags.add("date_from_lead")
        return
    _publication(st, c)


def _from_dated_sub(st: ArticleState, chunks, chunk, dates, c: Claim) -> bool:
    """"A comes two days after B freed P on Sunday": A is dated from B's own date, shifted by the
    offset written before "after" (or "before")."""
    idx = chunks.index(chunk) if chunk in chunks else -1
    if idx < 0 or idx + 1 >= len(chunks):
        return False
    sub = chunks[idx + 1]
    lows = st.tk.lows
    if sub.kind != "sub" or lows[sub.head] not in ("after", "before"):
        return False
    off = _offset_before(st, sub)
    if off is None:
        return False
    own = [d for d in dates if sub.i <= d[1] < sub.j] or _trailing_date(st, chunks, sub, dates)
    own = [d for d in own if d[0].date is not None]
    if not own:
        return False
    m = own[0][0]
    days, prec = off
    sign = 1 if lows[sub.head] == "after" else -1
    c.date = _shift(m.date, sign * days)
    c.precision = prec if _prec_rank(prec) >= _prec_rank(m.precision) else m.precision
    c.flags.add("date_offset")
    return True


def _own_verb_dates(lows, own, trigger: int):
    """Of a clause's dates, those of the claim's own verb: a date before it that another verb
    coordinated with "and" governs ("crossed the river in early June and encircled P on June
    10") is left out when one follows the claim's verb."""
    after = [d for d in own if d[1] > trigger]
    if not after:
        return own
    return [d for d in own if d[1] > trigger or not any(lows[q] in ("and", "then", "but") for q in range(d[2], trigger))]


def _trailing_date(st: ArticleState, chunks, chunk, dates):
    """A date phrase standing alone right after the claim's clause, past an aside of place
    ("freed the town of P, about 20 km to the south-east, on Sunday"): the clause's own date."""
    idx = chunks.index(chunk) if chunk in chunks else -1
    if idx < 0:
        return []
    from .roles import _distance_aside

    for nxt in chunks[idx + 1:idx + 4]:
        if nxt.kind == "appos" or _distance_aside(st, nxt):
            continue
        if nxt.kind == "pp":
            got = [d for d in dates if nxt.i <= d[1] < nxt.j]
            lows = st.tk.lows
            words = [q for q in range(nxt.head, nxt.j) if lows[q] not in (".", ",", ";")]
            if got and all(any(d[1] <= q < d[2] for d in got) or lows[q] in ("on", "in", "late", "early", "at")
                           for q in words):
                return got
        break
    return []


def _context_date(st: ArticleState, k: int) -> tuple[dt.date, str] | None:
    """The last date stated in the body in the two sentences before sentence ``k``."""
    for back in range(k - 1, max(-1, k - 3), -1):
        s = st.layout.sentences[back]
        if s.part != "body":
            continue
        chunks = st.chunks(back)
        lows = st.tk.lows
        # (not a date of the past perfect, "IS had seized P in May 2015": background, not the story's time)
        ds = [m for m, i, _j in st.dates(back) if m.date is not None and m.kind != "earlier"
              and _kind_at(chunks, i) != "rel" and not _pluperfect_before(lows, chunks, i)]
        if ds:
            return ds[-1].date, ds[-1].precision
    if st.last_date is not None and k - st.last_date[2] <= 2:
        return st.last_date[0], st.last_date[1]
    return None


def _pluperfect_before(lows, chunks, i: int) -> bool:
    """Whether the clause of the date at ``i`` is in the past perfect ("had seized ... in May")."""
    for ch in chunks:
        if ch.i <= i < ch.j:
            return any(lows[q] == "had" and q + 1 < ch.j and (lows[q + 1].endswith(("ed", "en")) or lows[q + 1]
                                                              in ("taken", "seized", "won", "overrun", "held", "lost",
                                                                  "fallen", "been"))
                       for q in range(ch.i, i))
    return False


def _publication(st: ArticleState, c: Claim) -> None:
    pub = st.article.published if st.article is not None else None
    if pub is not None:
        c.date, c.precision = pub, "day"
        c.flags.add("date_from_publication")
    else:
        c.date, c.precision = None, "unknown"


def _set(c: Claim, m: DateMention, flag: str) -> None:
    c.date, c.precision = m.date, m.precision
    if flag:
        c.flags.add(flag)


def _kind_at(chunks, q: int) -> str:
    for ch in chunks:
        if ch.i <= q < ch.j:
            return ch.kind
    return ""


_QUOTE_CLOSE = frozenset({'"', "”"})
_SAID = frozenset({"said", "says", "told", "tells", "announced", "added", "stated", "declared"})


def _quote_said_on(st: ArticleState, c: Claim) -> DateMention | None:
    """The day a quotation holding the claim was said, when its attribution after the closing
    mark dates it: '"As of this evening, P is ours," the commander told us late Wednesday'."""
    words, lows = st.tk.words, st.tk.lows
    n = st.tk.n
    q = c.trigger
    close = next((r for r in range(q + 1, min(n, q + 80)) if words[r] in _QUOTE_CLOSE), None)
    if close is None or not any(words[r] in ('"', "“") for r in range(max(0, q - 80), q)):
        return None
    k2 = st.sent_of[min(n - 1, close + 1)]
    end = min(n, close + 16)
    if not any(lows[r] in _SAID for r in range(close + 1, end)):
        return None
    for m, i, _j in st.dates(k2):
        if close < i < end and m.date is not None and m.precision == "day":
            return m
    return None


def _report_date(st: ArticleState, k: int, dates) -> DateMention | None:
    """The date of the sentence's reporting verb: "..., the military said Monday"."""
    lows = st.tk.lows
    chunks = st.chunks(k)
    for m, i, _j in dates:
        if m.date is None:
            continue
        if _kind_at(chunks, i) == "report":
            return m
        q = i - 1
        while q >= 0 and lows[q] in ("on", "late", "early", "this", "last"):
            q -= 1
        if q >= 0 and lows[q] in ("said", "says", "say", "told", "tells", "announced", "reported", "stated", "added"):
            return m
    return None


def _reported(st: ArticleState, k: int, c: Claim) -> bool:
    """The claim is reported speech: "X said (that) ...", "..., X said", "according to X"."""
    chunks = st.chunks(k)
    if any(ch.kind == "report" for ch in chunks):
        return True
    lows = st.tk.lows
    s = st.layout.sentences[k]
    return any(lows[q] in REPORT_VERBS for q in range(s.body_start, min(s.j, c.trigger)))


def _main_date(st: ArticleState, k: int, chunk, dates, lead) -> tuple[dt.date | None, str]:
    """The date of the clause a subordinate clause hangs on."""
    chunks = st.chunks(k)
    outside = [d for d in dates if not (chunk.i <= d[1] < chunk.j) and _kind_at(chunks, d[1]) in ("main", "pp", "part", "report")]
    best = _nearest(outside, chunk.i)
    if best is not None and best[0].date is not None:
        return best[0].date, best[0].precision
    if st.last_date is not None and k - st.last_date[2] <= 2:
        return st.last_date[0], st.last_date[1]
    if lead[0] is not None:
        return lead
    pub = st.article.published if st.article is not None else None
    return (pub, "day") if pub else (None, "unknown")


def _offset_before(st: ArticleState, chunk) -> tuple[int, str] | None:
    """The offset written before "after"/"before": "a day", "two weeks", "hours"."""
    lows = st.tk.lows
    q = chunk.head - 1
    unit = lows[q] if q >= 0 else ""
    if unit not in _UNITS:
        return None
    days = _UNITS[unit]
    num = lows[q - 1] if q >= 1 else ""
    if days == 0:
        return 0, "day"
    n = _NUMBERS.get(num) if not num.isdigit() else int(num)
    if n is None:
        return (days, "week") if days <= 7 else (days, _UNIT_PRECISION[days])
    return n * days, _UNIT_PRECISION[days]


def _inner_offset(st: ArticleState, chunk, c: Claim) -> tuple[int, str, int] | None:
    """"a day after the fall of P" inside one chunk: the claim is the embedded event."""
    lows = st.tk.lows
    for q in range(chunk.head, min(c.trigger, chunk.j)):
        if lows[q] in ("after", "before") and q >= 1 and lows[q - 1] in _UNITS and q > chunk.head:
            unit = _UNITS[lows[q - 1]]
            num = lows[q - 2] if q >= 2 else ""
            n = int(num) if num.isdigit() else _NUMBERS.get(num)
            if q >= 3 and lows[q - 3] in ("than", "over", "about", "nearly", "almost"):
                return None
            if unit == 0:
                return 0, "day", -1
            if not n:
                return None
            return n * unit, _UNIT_PRECISION[unit], (-1 if lows[q] == "after" else 1)
    return None


def _later_offset(st: ArticleState, chunk, c: Claim) -> bool | None:
    """ "... 10 months later": a date counted from the sentence's earlier date."""
    lows = st.tk.lows
    for q in range(chunk.head, chunk.j):
        if lows[q] == "later" and q >= 2 and lows[q - 1] in _UNITS:
            num = lows[q - 2]
            n = int(num) if num.isdigit() else _NUMBERS.get(num)
            days = _UNITS[lows[q - 1]]
            if not n or days == 0:
                return None
            earlier = [d for d in st.dates(c.k) if d[2] <= chunk.i and d[0].date is not None]
            if not earlier:
                return None
            base = earlier[-1][0]
            if days == 30:
                total = base.date.year * 12 + base.date.month - 1 + n
                c.date = dt.date(total // 12, total % 12 + 1, 1)
                c.precision = "month"
            elif days == 365:
                c.date = dt.date(base.date.year + n, 1, 1)
                c.precision = "year"
            else:
                c.date = base.date + dt.timedelta(days=n * days)
                c.precision = _UNIT_PRECISION[days] if base.precision == "day" else base.precision
            c.flags.add("date_offset")
            return True
    return None


def _shift(d: dt.date, days: int) -> dt.date:
    """``d`` moved by ``days``; a multiple of 30 days is counted in calendar months."""
    if days and days % 30 == 0 and abs(days) < 3650:
        months = days // 30
        total = d.year * 12 + d.month - 1 + months
        return dt.date(total // 12, total % 12 + 1, min(d.day, 28))
    return d + dt.timedelta(days=days)


def _shift_within(main: tuple[dt.date, str], days: int, prec: str) -> dt.date:
    """``main`` shifted by ``days``, unless the offset is finer than the date it counts from:
    "days after ... last June" stays in June (the month is all the text says)."""
    if _prec_rank(prec) < _prec_rank(main[1]):
        return main[0]
    return _shift(main[0], days)


def _prec_rank(p: str) -> int:
    return {"day": 0, "week": 1, "month": 2, "year": 3}.get(p, 4)
