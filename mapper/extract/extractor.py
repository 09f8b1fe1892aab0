"""The Extractor: one object that reads an article into reports and place mentions.

Extractor(gazetteer, *, grammar=None, actors=None, keep_uncertain=False, min_confidence=0.0)
extractor.read(article)      -> Reading (reports and places from one pass)
extractor.reports(article)   -> list[dict] with REPORT_COLUMNS
extractor.places(article)    -> list[dict] with PLACE_COLUMNS_OUT

Every command and engine (``build`` local, process pool and Dask, ``mapper extract``,
``mapper places``) maps this one object over articles, so they give the same reports.

Stages of one reading: normalise -> tokens and layout (text) -> one scan for places,
actors, triggers and date cues (mentions) -> place resolution with the article as context ->
claims per sentence (roles, with clauses) -> dates (timing) -> actors settled and sides
inferred (discourse) -> one claim per change (merge) -> rows.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from types import SimpleNamespace

from mapper.articles import Article

from . import discourse, roles, timing
from .lexicon import Grammar
from .mentions import (
    _GENERIC_HEADS,
    _PLACE_SLOT_BEFORE,
    ActorTable,
    PlaceM,
    default_actor_entries,
    scan,
)
from .state import ArticleState, Claim, Ref
from .text import Layout, normalise, tokenize

__all__ = ["Extractor", "Reading", "PLACE_COLUMNS_OUT"]

PLACE_COLUMNS_OUT = ["article", "name_as_written", "place_id", "place", "country", "lat", "lon", "start", "end"]

_SETTLEMENT_CODES_FEATURE = frozenset({"AIRB", "AIRP", "AIRF", "DAM", "BDG", "OILF", "GASF", "OILR", "CSTL", "PS",
                                       "BCN", "MIL", "PRN", "HSP", "UNIV", "MSQE", "RUIN", "HLL", "MT", "PASS",
                                       "RDJCT", "CMP", "STDM", "INSM", "PO", "ADMF", "BLDG"})
_FEATURE_WORDS = {"hospital": "hospital", "airport": "airport", "airbase": "air base", "dam": "dam",
                  "citadel": "citadel", "refinery": "refinery", "prison": "prison", "stadium": "stadium",
                  "university": "university", "bridge": "bridge", "oilfield": "oilfield", "mosque": "mosque",
                  "castle": "castle", "building": "building", "headquarters": "headquarters", "station": "station",
                  "silos": "silos", "plant": "plant"}
#: words between a town's name and a feature word ("Mosul's international airport", "the Mosul
#: state television building", "the Omar oil field", "the Ghazlani military base")
_FEATURE_MODIFIERS = frozenset({"international", "main", "old", "new", "military", "general", "national", "central",
                                "civil", "grand", "great", "ancient", "air", "oil", "gas", "state", "television", "tv",
                                "power", "water", "grain", "army", "police", "radio"})
#: a generic word that is a feature only after a modifier: "oil field", "military base"
_FEATURE_AFTER_MODIFIER = {"field": "oilfield", "base": "base"}


@dataclass
class Reading:
    """What one pass over an article gives: report rows and place rows."""

    reports: list[dict] = field(default_factory=list)
    places: list[dict] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)


class Extractor:
    """Reads articles into control-change reports and place mentions.

    Parameters
    ----------
    gazetteer : Gazetteer, optional
        Default the packaged one (:meth:`mapper.gazetteer.Gazetteer.load`).
    grammar : Grammar, optional
        The trigger grammar; default the packaged ``grammar.yaml``. Extend it with
        ``Grammar.load(user_file)`` (``--grammar FILE``).
    actors : ActorLexicon or iterable of (phrase, label), optional
        Extra actor phrases, tried before the packaged ones (``--actors FILE``).
    keep_uncertain : bool
        Keep claims under a goal, modal, negation or denial with confidence 0.15 and an
        ``uncertain:<cue>`` flag instead of dropping them.
    min_confidence : float
        Drop reports below this confidence.
    """

    def __init__(self, gazetteer=None, *, grammar: Grammar | None = None, actors=None,
                 keep_uncertain: bool = False, min_confidence: float = 0.0):
        if gazetteer is None:
            from mapper.gazetteer import Gazetteer

            gazetteer = Gazetteer.load()
        self.gazetteer = gazetteer
        self.grammar = grammar or Grammar.default()
        self.actor_table = _actor_table(actors)
        self.keep_uncertain = keep_uncertain
        self.min_confidence = float(min_confidence)

    def __getstate__(self):  # process pools and Dask pickle the extractor with its gazetteer
        return self.__dict__

    # -- the pass ------------------------------------------------------------------------

    def read(self, article: Article) -> Reading:
        """Reports and place mentions of one article, from one pass."""
        st = self._state(article)
        claims: list[Claim] = []
        for k in range(len(st.layout.sentences)):
            got = roles.read_sentence(st, k)
            claims.extend(got)
            st.claimed.update(c.place.i for c in got if c.event != "held")
        timing.date_claims(st, claims)
        discourse.settle_actors(st, claims)
        discourse.infer_sides(st, claims)
        for c in claims:
            src = c.same_date_as
            if src is not None and not c.gainer_label and src.loser_label:
                # "... retook all of the province except P": P is still the loser's
                c.gainer = Ref(label=src.loser_label)
                if "loser_inferred" in src.flags:
                    c.flags.add("gainer_inferred")
            if src is not None and src.region and c.place.place is not None:
                src.flags.add(f"except:{c.place.place.place_id}")  # the region claim leaves P out
        claims = discourse.merge(claims)
        _date_declared_by_the_end(st, claims)
        reading = Reading()
        reading.reports = self._report_rows(st, claims)
        reading.places = _place_rows(st)
        reading.unresolved = sorted({p.text for p in st.scan.places if p.known and p.place is None})
        return reading

    def reports(self, article: Article) -> list[dict]:
        return self.read(article).reports

    def places(self, article: Article) -> list[dict]:
        return self.read(article).places

    # -- stages --------------------------------------------------------------------------

    def _state(self, article: Article) -> ArticleState:
        text = normalise(article.text or "")
        tk = tokenize(text)
        layout = Layout.of(tk, article.title or "")
        sc = scan(tk, layout, gazetteer=self.gazetteer, grammar=self.grammar, actors=self.actor_table)
        _drop_people(tk, sc, type(self.gazetteer)._GIVEN_NAMES)
        _resolve_places(self.gazetteer, sc, tk, dateline={q for a, b in layout.dateline_spans for q in range(a, b)})
        anchor = article.published
        st = ArticleState(article=article, text=text, tokens=tk, layout=layout, scan=sc, grammar=self.grammar,
                          gazetteer=self.gazetteer, anchor=anchor, year_hint=None)
        st.keep_uncertain = self.keep_uncertain
        st.last_date = None
        st.salient_place = lambda k, q: discourse.salient_place(st, k, q)
        st.region_of_salient = lambda k, q: discourse.region_of_salient(st, k, q)
        st.hint = lambda p, ref: _hint(st, p, ref)
        _article_sides(st)
        _place_unknowns(st)
        return st

    def _report_rows(self, st: ArticleState, claims: list[Claim]) -> list[dict]:
        art = st.article
        rows = []
        for c in claims:
            p = c.place
            pl = p.place
            if pl is None:
                continue
            if c.event == "withdrew":
                c.gainer = None
            if not c.gainer_label and not c.loser_label:
                continue
            if c.event in ("captured", "entered", "besieged", "held") and not c.gainer_label \
                    and (c.event != "captured" or not c.loser_label):
                continue
            conf = c.confidence
            if any(f.startswith("uncertain:") for f in c.flags):
                c.flags.add("uncertain")
            for f, d in (() if "uncertain" in c.flags else (("gainer_inferred", 0.1), ("loser_inferred", 0.05), ("coref", 0.1), ("headline", 0.05),
                         ("noun", 0.05), ("date_from_publication", 0.05), ("date_from_lead", 0.03))):
                if f in c.flags:
                    conf -= d
            conf = round(max(0.05, min(0.99, conf)), 3)
            if conf < self.min_confidence:
                continue
            s = st.layout.sentences[c.k]
            a, b = st.tk.starts[s.body_start], st.tk.ends[s.j - 1]
            rows.append({
                "article": art.id, "place_id": pl.place_id, "place": pl.name, "country": pl.country,
                "name_as_written": p.text, "lat": float(pl.lat), "lon": float(pl.lon),
                "event_type": c.event, "gainer": c.gainer_label or "", "loser": c.loser_label or "",
                "date": c.date, "date_precision": c.precision if c.date is not None else "unknown",
                "confidence": conf, "evidence": st.text[a:b], "span": f"{a}:{b}",
                "published": art.published, "title": art.title or "", "url": art.url or "",
                "flags": ";".join(sorted(c.flags)),
            })
        return rows


# ------------------------------------------------------------------------------ helpers


_FIGHT_NOUNS = frozenset({"fighting", "battle", "clashes", "combat", "resistance", "operations", "operation",
                          "offensive", "assault", "siege"})
_ENDED = frozenset({"ended", "ends", "end", "concluded", "finished", "stopped", "ceased", "over"})


def _date_declared_by_the_end(st: ArticleState, claims: list[Claim]) -> None:
    """"Fighting in the city ended on Tuesday" ... "announced the liberation of P on Friday":
    a capture known from a declaration (a noun or "declared P liberated") happened when the
    fighting in P ended, when the article says so up to ten days before."""
    declared = [c for c in claims if c.event == "captured" and c.date is not None and c.place.place is not None
                and ("noun" in c.flags or c.construction == "symbolic:declared")]
    if not declared:
        return
    lows = st.tk.lows
    for k, s in enumerate(st.layout.sentences):
        if s.part != "body":
            continue
        for q in range(s.body_start, s.j):
            if lows[q] not in _ENDED:
                continue
            lo = max(s.body_start, q - 8)
            if not any(lows[r] in _FIGHT_NOUNS for r in range(lo, q)):
                continue
            place = next((st.place_at[r] for r in range(lo, q) if r in st.place_at), None)
            if place is None:
                head = next((r for r in range(lo, q) if lows[r] in ("city", "town", "village")), None)
                place = st.salient_place(k, head) if head is not None else None
            if place is None or place.place is None:
                continue
            chunk = st.chunk_of(k, q)
            end = next((m for m, i, _j in st.dates(k) if m.date is not None and chunk is not None
                        and chunk.i <= i < chunk.j), None)
            if end is None:
                continue
            for c in declared:
                if c.place.place.place_id == place.place.place_id and 0 < (c.date - end.date).days <= 10:
                    c.date, c.precision = end.date, end.precision
                    c.flags.add("date_of_the_end")


def _actor_table(actors) -> ActorTable:
    """The packaged actor phrases, with a user's phrases (and ``re:`` patterns) before them."""
    if actors is None:
        return ActorTable.default()
    phrases, patterns = _user_actor_entries(actors)
    table = ActorTable(phrases + default_actor_entries())
    table.patterns = patterns
    return table


def _user_actor_entries(actors) -> tuple[list[tuple[str, str]], list]:
    """``(phrase, label)`` pairs and compiled ``(regex, label)`` pairs of a user lexicon.

    Accepts an :class:`~mapper.actors.ActorLexicon` (its user entries come first), or
    ``(phrase, label)`` pairs. Plain phrases join the token trie; ``re:`` patterns are
    matched on the text (they were checked for runaway backtracking when the file was read).
    """
    import re

    from mapper.actors import ActorLexicon

    if isinstance(actors, ActorLexicon):
        user = getattr(actors, "user_entries", None)
        if user is None:
            n_default = len(ActorLexicon.default().entries)
            user = actors.entries[: max(0, len(actors.entries) - n_default)]
        pairs = list(user)
    else:
        pairs = list(actors)
    phrases: list[tuple[str, str]] = []
    patterns = []
    for pattern, label in pairs:
        text = getattr(pattern, "pattern", pattern)
        literal = re.sub(r"\\s\+", " ", text)
        literal = re.sub(r"\\(.)", r"\1", literal)
        if re.escape(literal).replace(r"\ ", r"\s+") == text or not re.search(r"[\\()\[\]{}|?*+^$.]", text):
            phrases.append((literal.replace("(", "<").replace(")", ">"), label))
        else:
            patterns.append((re.compile(r"(?<![\w-])(?:" + text + r")(?![\w-])", re.IGNORECASE), label))
    return phrases, patterns


def _resolve_places(gaz, sc, tk, dateline: set[int] | frozenset = frozenset()) -> None:
    """Resolve the known names, with the article as context.

    Two passes: names with one clear reading first; then the others, with the places the
    first pass placed as context points. A country written beside a name ("the Iraqi town
    of P", "P in northern Syria") limits it to that country; two different names of one text
    are taken for two places (a name never takes the place another name already holds).
    """
    from mapper.gazetteer import ResolutionContext

    ctx = ResolutionContext()
    ctx.countries.update(sc.demonym_countries)
    col = gaz._col
    for p in sc.places:
        if not p.known:
            continue
        ctx.names.add(p.key)
        rows = gaz._index.get(p.key, {})
        for r in rows:
            code = col["feature_code"][r]
            if code == "PCLI":
                ctx.countries.add(col["country"][r])
            elif code == "ADM1":
                ctx.admin1.add(col["name"][r])
        if len(rows) == 1:
            (r,) = rows
            if gaz._notable[r] and col["feature_code"][r] not in ("PCLI", "ADM1", "ADMD") \
                    and col["country"][r] in _WAR_COUNTRIES:  # (a dateline in New Delhi is no context)
                ctx.points.append((float(col["lat"][r]), float(col["lon"][r])))
    hints = {p.i: _country_hint(tk, sc, p) for p in sc.places if p.known}
    # a country's own name is the country ("backed by Russia"), unless written as a village's
    countries: dict[str, object] = {}
    for p in sc.places:
        if not p.known or (p.i >= 2 and tk.lows[p.i - 1] == "of" and tk.lows[p.i - 2] in ("village", "town", "villages")):
            continue
        for r, w in gaz._index.get(p.key, {}).items():
            if col["feature_code"][r] in ("PCLI", "PCL") and w >= 1.0:
                countries[p.i] = gaz._place(r, 1.0)
    cache: dict[tuple, object] = {}
    pending = []
    for p in sc.places:
        if not p.known:
            continue
        rows = gaz._index.get(p.key, {})
        key = (p.text, hints[p.i])
        if p.i in countries:
            _set_place(p, countries[p.i])
            continue
        if (len(rows) == 1 and gaz._notable[next(iter(rows))]) or key in cache:
            if key not in cache:
                cache[key] = gaz.resolve_fast(p.text, context=ctx, country=hints[p.i], fuzzy=False)[0] or (
                    gaz.resolve_fast(p.text, context=ctx, fuzzy=False)[0] if hints[p.i] else None)
            _set_place(p, cache[key])
        else:
            pending.append(p)
    seen_points = set(ctx.points)
    for p in sc.places:
        if p.place is not None and p.kind in ("settlement", "feature") and len(seen_points) < 40 \
                and p.place.country in _WAR_COUNTRIES:
            pt = (float(p.place.lat), float(p.place.lon))
            if pt not in seen_points:  # distinct points, at most 40: resolution stays linear
                seen_points.add(pt)
                ctx.points.append(pt)
    held = {p.place.place_id: p.key for p in sc.places if p.place is not None}
    weak: set[tuple] = set()
    for p in pending:
        key = (p.text, hints[p.i])
        if key not in cache:
            place, ranked = gaz.resolve_fast(p.text, context=ctx, country=hints[p.i], fuzzy=False)
            if place is not None and held.get(place.place_id, p.key) != p.key and _alternate_only(gaz, p.key, place):
                # another name of this text already holds that place, and this name is only one of its
                # many alternate names: take the next reading
                lat, lon = col["lat"], col["lon"]
                alt = [(r, sc) for r, sc, _w in ranked if col["place_id"][r] not in held and
                       (not ctx.points or min(_km(lat[r], lon[r], a, b) for a, b in ctx.points) < 100)]
                place = gaz._place(alt[0][0], alt[0][1]) if alt and alt[0][1] >= 0.2 else None
            if place is None and hints[p.i]:
                place = gaz.resolve_fast(p.text, context=ctx, fuzzy=False)[0]
            if place is None and len(ctx.countries) == 1:
                place = _only_in_country(gaz, ranked, next(iter(ctx.countries)), held)
                weak.add(key)  # (a reading by country alone lifts no other reading)
            cache[key] = place
        _set_place(p, cache[key])
        if p.place is not None and key not in weak:
            held.setdefault(p.place.place_id, p.key)
            if p.kind in ("settlement", "feature") and p.place.feature_code != "PPLC" and len(seen_points) < 40 \
                    and p.place.country in _WAR_COUNTRIES:
                # a place read here lifts the readings near it for the names after it (but rules
                # none out); a capital is often its government's name ("in Damascus control")
                pt = (float(p.place.lat), float(p.place.lon))
                if pt not in seen_points:
                    seen_points.add(pt)
                    ctx.near.append(pt)
    for p in sc.places:
        if p.j < tk.n and tk.lows[p.j] in _DISTRICT_NOUNS:
            if tk.lows[p.j].endswith("s") and p.place is not None and p.kind == "settlement" \
                    and (p.place.population >= 50000 or p.place.feature_code in ("PPLC", "PPLA")):
                continue  # "Ramadi neighbourhoods": the city's own neighbourhoods, not a part named Ramadi
            if tk.lows[p.j] == "district" and roles._seat_of_district(p):
                continue  # "Dibis district": the district the town is the seat of, not a part named Dibis
            p.subplace = True
            if p.kind == "settlement":
                p.kind = "feature"  # "the Jolan district": a part of a town, whatever else bears the name
    # far from everything else the text names, while a place spelled alike lies near: the near one
    # (a dateline names where the reporter is, not where the fighting is)
    placed = [p for p in sc.places if p.place is not None and p.kind in ("settlement", "feature") and p.i not in dateline]
    for p in pending:
        if p.place is None or p.kind not in ("settlement", "feature") or len(placed) < 2 \
                or p.place.population >= 10000 or p.place.feature_code in ("PPLC", "PPLA", "PPLA2") \
                or len(gaz._index.get(p.key, ())) < 2:
            continue  # a name with one gazetteer reading keeps it
        others = [(q.place.lat, q.place.lon) for q in placed if q.key != p.key]
        if others and min(_km(p.place.lat, p.place.lon, a, b) for a, b in others) > 150:
            near = _nearby_match(gaz, p, [q for q in placed if q.key != p.key], None)
            if near is not None:
                _set_place(p, near)
    # one name, one place in one text: the reading with a written country wins, else the first
    by_key: dict[str, object] = {}
    for p in sc.places:
        if p.known and p.place is not None and (hints.get(p.i) or p.key not in by_key):
            by_key[p.key] = p.place
    for p in sc.places:
        if p.known and p.key in by_key and p.place is not by_key[p.key]:
            _set_place(p, by_key[p.key])


def _person_spans(tk, given: frozenset) -> tuple[list[tuple[int, int]], set[str]]:
    """People named in the text: a title or a given name before capitalised words ("President
    Bashar al-Assad", "envoy Nickolay Mladenov", "Haider al-Abadi"). Returns the token spans of
    the names (after the title) and the folded words of the names, so that a surname written
    alone later ("Abadi said") is known for a person's too."""
    from mapper.extract.mentions import _CONNECT, _TITLES, _capital
    from mapper.names import fold

    words, lows, n = tk.words, tk.lows, tk.n
    spans: list[tuple[int, int]] = []
    names: set[str] = set()

    def spaced(r: int) -> bool:  # token r follows r - 1 on the same line
        gap = tk.text[tk.ends[r - 1]:tk.starts[r]]
        return gap in (" ", "") or (gap.strip() == "" and "\n" not in gap)

    def name_run(q: int) -> int:
        r = q
        while r < n and r - q < 6 and spaced(r):
            word = _capital(words[r]) and words[r][:1].isalpha() and lows[r] not in _TITLES
            article = lows[r] in _CONNECT and r + 1 < n and (words[r + 1] == "-" or _capital(words[r + 1]))
            hyphen = words[r] == "-" and r > q and r + 1 < n and _capital(words[r + 1]) and tk.glued(r) \
                and tk.glued(r + 1)
            if not (word or article or hyphen):
                break
            r += 1
        return r

    starters = _TITLES | given | _ROLE_NOUNS | {"abu", "umm"}
    # only the words that can open a person's name are looked at
    cands = [q for q, w in enumerate(lows) if w in starters or (w.endswith(".") and w.rstrip(".") in starters)]
    upto = 0
    for q in cands:
        if q < upto or q >= n - 1:
            continue
        low = lows[q].rstrip(".")
        start = None
        if low in _TITLES and q + 1 < n and _capital(words[q + 1]) and spaced(q + 1):
            start = q + 1  # "President Bashar al-Assad", "envoy Nickolay Mladenov"
        elif _capital(words[q]) and low in given and q + 1 < n and (_capital(words[q + 1]) or lows[q + 1] in _CONNECT):
            start = q  # "Haider al-Abadi"
        elif low in ("abu", "umm") and q + 2 < n and _capital(words[q + 1]) and (lows[q + 1] in given
                                                                                 or lows[q + 1] in _KUNYA_NAMES):
            start = q  # "Abu Bakr al-Baghdadi" (a kunya; "Abu Kamal" the town is no given name)
        elif low in _TITLES or low in _ROLE_NOUNS:
            # "the top envoy in Iraq, Nickolay Mladenov, said": a name set off by commas after a role
            c = next((t for t in range(q + 1, min(n, q + 6)) if lows[t] == ","), None)
            if c is not None and c + 1 < n and _capital(words[c + 1]):
                e = name_run(c + 1)
                if e - (c + 1) >= 2 and e < n and lows[e] in (",", "said", "told", "says"):
                    start = c + 1
                    q = c
        if start is not None:
            end = name_run(start)
            # a given name alone after a title is a person ("Commander Ali"); a run of two or more
            # capitalised words after a given name is a full name; not a place named after a
            # person ("Ali Rasheed village", "the village of Sheikh Hamid")
            placed = end < n and lows[end] in _PLACE_NOUNS or q >= 2 and lows[q - 1] == "of" \
                and lows[q - 2] in _PLACE_NOUNS
            if end > start and (start == q + 1 or end - start >= 2) and not placed:
                spans.append((start, end))
                for t in range(start, end):
                    if _capital(words[t]) and len(lows[t]) > 2:
                        names.add(fold(words[t]))
                upto = end
    return spans, names


#: given names that follow "Abu" in a person's kunya and not in a place name ("Abu Bakr")
_KUNYA_NAMES = frozenset({"bakr", "musab", "mohammed", "muhammad", "mohammad", "omar", "umar", "ali", "hassan",
                          "hussein", "abdullah", "ibrahim", "yusuf", "khalid", "khaled", "hamza", "anas", "osama",
                          "usama", "ayman", "jihad", "hafs", "qatada", "sayyaf", "waleed", "walid", "mahdi",
                          "muhannad", "luqman", "suleiman", "ahmed", "ahmad", "mahmoud", "talha", "zubair", "obaida",
                          "ubaydah", "ubaida", "maria", "bilal"})
#: people's roles that a name set off by commas may follow ("a local official, A B, said")
_ROLE_NOUNS = frozenset({"official", "officials", "activist", "resident", "journalist", "analyst", "witness",
                         "researcher", "expert", "deputy", "head", "member", "representative", "fighter"})
#: nouns that make a name before or after them a place ("Ali Rasheed village", "the town of P")
_PLACE_NOUNS = _PLACE_SLOT_BEFORE | {"farms", "subdistrict"}


def _drop_people(tk, sc, given: frozenset) -> None:
    """Places the scan found inside a person's name, or a person's surname written alone
    later in the text ("Abadi said"), are not places."""
    from mapper.names import fold

    spans, names = _person_spans(tk, given)
    if not spans:
        return
    inside = set()
    for a, b in spans:
        inside.update(range(a, b))

    def person(p: PlaceM) -> bool:
        if any(t in inside for t in range(p.i, p.j)):
            # (not a town named right after a verb or a place word: "the troops entered Suleiman Bek",
            # "the town of Suleiman Bek"; "according to X", "a statement from X" are no such cue)
            return not (p.cue and p.i > 0 and tk.lows[p.i - 1] not in ("of", "to", "from", "at", "by", "in")
                        or p.i > 1 and tk.lows[p.i - 1] == "of" and tk.lows[p.i - 2] in ("town", "village", "city"))
        return p.j - p.i <= 3 and fold(p.text) in names and not p.cue

    gone = [p for p in sc.places if person(p)]
    if not gone:
        return
    ids = {id(p) for p in gone}
    sc.places = [p for p in sc.places if id(p) not in ids]
    sc.place_at = {k: v for k, v in sc.place_at.items() if id(v) not in ids}
    sc.place_end = {k: v for k, v in sc.place_end.items() if id(v) not in ids}


def _alternate_only(gaz, key: str, place) -> bool:
    """The name reaches the place only as a secondary alternate (not its name or a curated alias)."""
    rows = gaz._index.get(key, {})
    for r, w in rows.items():
        if gaz._col["place_id"][r] == place.place_id:
            return w < 1.0
    return True


_DISTRICT_NOUNS = frozenset({"district", "districts", "neighbourhood", "neighborhood", "neighbourhoods",
                             "neighborhoods", "quarter", "quarters"})


def _set_place(p: PlaceM, place) -> None:
    p.place = place
    if place is None:
        p.kind = "unknown"
        return
    code = place.feature_code
    if code in ("PCLI", "PCL", "PCLD", "PCLS", "PCLIX"):
        p.kind = "country"
    elif code in ("ADM1", "ADMD", "ADM2") and place.feature_class == "A":
        p.kind = "admin1"
    elif place.feature_class == "P":
        p.kind = "settlement"
    else:
        p.kind = "feature"


_DEMONYM_CC = {"iraqi": "IQ", "iraq": "IQ", "syrian": "SY", "syria": "SY"}


#: the countries whose places are context for one another (the gazetteer's own)
_WAR_COUNTRIES = frozenset({"SY", "IQ"})


def _only_in_country(gaz, ranked, country: str, held: dict):
    """Of the namesakes a name was left ambiguous between, the only one in the one country the
    article names ("Nimrud" in a report about Iraq: the Iraqi village, not the Syrian one)."""
    col = gaz._col
    if not ranked or any(col["feature_class"][r] == "A" for r, _sc, _w in ranked):
        return None  # a governorate's name too ("Muthana"): left to the region readings
    top = ranked[0][1]
    ours = [(r, sc) for r, sc, _w in ranked
            if col["country"][r] == country and sc >= 0.3 and top - sc < 0.1 and col["place_id"][r] not in held]
    if len(ours) != 1:
        return None
    return gaz._place(ours[0][0], ours[0][1])


def _country_hint(tk, sc, p: PlaceM) -> str | None:
    """The country written beside a name: "the Iraqi town of P", "Syria's P", "P in Iraq", "P and Q
    in Iraq"."""
    lows = tk.lows
    end = p.j
    for _ in range(12):  # "Sinjar and Mosul in Iraq": a country after a list is every member's
        r = end
        while r < tk.n and lows[r] in (",", "and", "or"):
            r += 1
        nxt = sc.place_at.get(r) if r > end else None
        if nxt is None:
            break
        end = nxt.j
    if end + 1 < tk.n and lows[end] == "in":
        r = end + 1
        while r < tk.n and lows[r] in ("the", "northern", "southern", "eastern", "western", "central", "north", "south",
                                       "east", "west", "northeastern", "northwestern", "southeastern", "southwestern"):
            r += 1
        if r < tk.n and lows[r] in ("iraq", "syria"):
            return _DEMONYM_CC[lows[r]]
    # back over the noun phrase only: a country named before "and" or "in" belongs to another name
    q = p.i - 1
    while q >= max(0, p.i - 6) and lows[q] not in ("and", "in", ",", "of", "from", "to", "at", "near", "or"):
        if lows[q] in _DEMONYM_CC and q not in sc.actor_at and not any(r in sc.actor_at for r in range(q, p.i)):
            return _DEMONYM_CC[lows[q]]
        q -= 1
    if q >= 1 and lows[q] == "of" and lows[q - 1] in ("town", "city", "village", "border", "capital"):
        r = q - 2
        while r >= max(0, q - 5) and lows[r] not in ("and", "in", ",", "of", "to", "at", "near", "or"):
            if lows[r] in _DEMONYM_CC and r not in sc.actor_at:
                return _DEMONYM_CC[lows[r]]
            r -= 1
    return None


def _hint(st: ArticleState, p: PlaceM, ref) -> None:
    if p.place is None:
        return
    label = ref.actor.label if ref.actor is not None else ref.label
    if label:
        st.holder_hints[p.place.place_id] = label


def _article_sides(st: ArticleState) -> None:
    """The article's sides: counts of canonical actors, its main insurgent, Turkish backing."""
    countries = Counter(p.place.country for p in st.scan.places if p.place is not None and p.eligible)
    main_country = countries.most_common(1)[0][0] if countries else None
    st.main_country = main_country
    st.main_insurgent = "IS"
    labels = {a.label for a in st.scan.actors}
    title = (st.article.title or "").lower() if st.article is not None else ""
    st.turkish_backed = "Turkish-backed rebels" in labels or "turk" in title and "rebel" in title
    dummy = SimpleNamespace(place=SimpleNamespace(place=SimpleNamespace(country=main_country)),
                            date=st.anchor, trigger=0, gainer_label="", loser_label="")
    counts: Counter = Counter()
    partners: set[frozenset] = set()
    sides = [a for a in st.scan.actors if a.label not in ("never", "anaphor")]
    for idx, a in enumerate(sides):
        lab = discourse._settle(st, a.label, dummy, at=a.i)
        if not lab:
            continue
        counts[lab] += 1
        if discourse.named_as_partner(st, a):
            # whose partner: the side named before it in its sentence, else the one after it
            k = st.sent_of[a.i]
            near = [b for b in sides[:idx][::-1] + sides[idx + 1:] if st.sent_of[b.i] == k
                    and not discourse.named_as_partner(st, b)]
            other = discourse._settle(st, near[0].label, dummy, at=near[0].i) if near else ""
            if other and other != lab:
                partners.add(frozenset({lab, other}))
    st.side_counts = counts
    st.partner_pairs = frozenset(partners)
    terror_ypg = [a for a in st.scan.actors if a.label == "ypg" and "terror" in a.text.lower()]
    if main_country == "SY" and "IS" not in labels and terror_ypg:
        # an article that calls the YPG terrorists ("PYD/PKK terrorists") and never names IS: its
        # "terrorists" and "militants" are the YPG's side
        st.main_insurgent = discourse._settle(st, "ypg", dummy, at=terror_ypg[0].i) or "SDF"
        counts = Counter({(st.main_insurgent if lab == "IS" else lab): n for lab, n in counts.items()})
        st.side_counts = counts
    elif main_country == "SY" and "IS" not in labels and ("Syrian rebels" in counts or "Turkish-backed rebels" in counts) \
            and not _generic_beside_rebels(st):
        # an article about rebels that never names IS: its "militants" and "terrorists" are the rebels
        st.main_insurgent = "Turkish-backed rebels" if "Turkish-backed rebels" in counts else "Syrian rebels"
        counts = Counter({(st.main_insurgent if lab == "IS" else lab): n for lab, n in counts.items()})
        st.side_counts = counts


def _generic_beside_rebels(st: ArticleState) -> bool:
    """A sentence names both the rebels and "the jihadists" (or "militants") as two sides: the
    jihadists are someone else ("P, a village dear to the jihadists, was seized by Turkish-backed
    rebels")."""
    rebels = {st.sent_of[a.i] for a in st.scan.actors if a.label in ("rebels", "Syrian rebels", "Turkish-backed rebels")}
    return any(a.label == "generic" and st.sent_of[a.i] in rebels for a in st.scan.actors)


def _place_unknowns(st: ArticleState) -> None:
    """Names the gazetteer lacks as written: a spelling variant, a nearby gazetteer place
    spelled close, a prominent place one typo away; else an approximate point at the place
    the text ties them to (a resolved member of the same list, the town a district belongs
    to, the nearest place of the sentence)."""
    gaz = st.gaz
    resolved = [p for p in st.scan.places if p.place is not None and p.eligible]
    held = {p.place.place_id for p in st.scan.places if p.place is not None}
    named_regions = frozenset(p.place.admin1 for p in st.scan.places if p.place is not None and p.kind == "admin1")
    regions_of: dict[int, set[str]] = {}  # the governorates each sentence names
    lows = st.tk.lows
    for q in st.scan.places:
        if q.place is None or not q.place.admin1:
            continue
        # "Nineveh province", or a town's name after "the province of" (its governorate)
        if q.kind == "admin1" or (q.i >= 2 and lows[q.i - 1] == "of"
                                  and lows[q.i - 2] in ("province", "governorate", "provinces")):
            regions_of.setdefault(st.sent_of[q.i], set()).add(q.place.admin1)
    _bracket_aliases(st)
    _far_loose_readings(st, held)
    _buildings_not_villages(st)
    _sentence_governorate(st, regions_of)
    _stated_offsets(st)
    _respellings(st)
    for p in st.scan.places:
        if p.place is not None or not p.text.strip():
            continue
        lows = st.tk.lows
        sub = p.j < st.tk.n and lows[p.j] in ("district", "districts", "neighbourhood", "neighborhood",
                                              "neighbourhoods", "neighborhoods", "quarter", "complex", "hill", "camp")
        if not sub:
            focus = _written_with(st, p)
            near = _variant_match(gaz, p, resolved, held, regions=named_regions, focus=focus,
                                  regions_here=regions_of.get(st.sent_of[p.i], frozenset()),
                                  within=None if _list_members(st, p) else focus)
            if near is not None:
                _set_place(p, near)
                if p.kind not in ("settlement", "feature"):
                    p.place, p.kind = None, "unknown"
                else:
                    held.add(near.place_id)
                    resolved.append(p)
                continue
    _respellings(st)
    _stated_location(st)
    _stated_direction(st)
    _list_coherence(st)
    _list_namesakes(st)
    _mark_subplaces(st)
    resolved = [p for p in st.scan.places if p.place is not None and p.eligible]
    town = _main_town(st)
    for p in st.scan.places:
        if p.subplace:
            if town is not None:
                p.approx = town  # a district is placed at its town, not at a namesake elsewhere
            continue
        if p.place is None and p.text.strip() and p.approx is None:
            anchor = _anchor_for(st, p, resolved)
            if anchor is not None:
                p.approx = anchor
    _area_of_approximations(st)
    _same_name_same_place(st)


def _bracket_aliases(st: ArticleState) -> None:
    """A name the gazetteer lacks, written with another name of the same town in brackets
    ("Cinderes (Jandairis)", "Jandairis (Cinderes)"), is that town."""
    words = st.tk.words
    at, end = st.scan.place_at, st.scan.place_end
    for p in st.scan.places:
        if p.place is not None or not p.text.strip():
            continue
        other = None
        if p.j < st.tk.n and words[p.j] == "(":
            other = at.get(p.j + 1)  # "Cinderes (Jandairis)"
        elif p.i > 0 and words[p.i - 1] == "(" and p.j < st.tk.n and words[p.j] == ")":
            other = end.get(p.i - 1)  # "Jandairis (Cinderes)"
        else:
            q = _known_as(st, p.j)
            if q is not None:
                other = at.get(q)  # "Til Kocer, known in Arabic as al-Yarubiyah"
        if other is not None and other.place is not None and other.kind == "settlement":
            _set_place(p, other.place)


def _known_as(st: ArticleState, q: int) -> int | None:
    """The token after "(, also) known (in Arabic / locally / to the Kurds) as" at ``q``, or None."""
    lows = st.tk.lows
    n = st.tk.n
    if q < n and lows[q] == ",":
        q += 1
    if q < n and lows[q] == "also":
        q += 1
    if not (q < n and lows[q] == "known"):
        return None
    q += 1
    if q + 1 < n and lows[q] in ("in", "to") and lows[q + 1] != "as":
        q += 2 if lows[q + 1] != "the" else 3
    elif q < n and lows[q] in ("locally", "officially"):
        q += 1
    return q + 1 if q < n and lows[q] == "as" else None


#: How far from every place of its own sentence (or list) an obscure village read only through an
#: alternate name may lie before it is taken for a namesake.
LOOSE_READING_KM = 100.0


#: How much nearer the places a name is written with a close spelling of a place's own name
#: must lie to replace a reading through an alternate name.
CLOSER_KM = 25.0


def _far_loose_readings(st: ArticleState, held: set[str]) -> None:
    """A name that reaches an obscure village only through one of its alternate names ("Qaryat
    al X" for "X") is a namesake when that village lies more than :data:`LOOSE_READING_KM`
    from every town its sentence (or its list) names: the name is left unknown, to be placed
    at the places it is written with, and that village is not offered again for it. When a
    place whose own name is spelled close to the name lies :data:`CLOSER_KM` nearer those
    towns, it is the place meant."""
    gaz = st.gaz
    for p in st.scan.places:
        pl = p.place
        if pl is None or not p.known or p.in_actor or p.kind != "settlement" or pl.population >= 10000 \
                or pl.feature_code in ("PPLC", "PPLA", "PPLA2") or not _alternate_only(gaz, p.key, pl):
            continue
        focus = _written_with(st, p)
        if not focus:
            continue
        away = min(_km(pl.lat, pl.lon, a, b) for a, b in focus)
        if away > LOOSE_READING_KM and _backed_elsewhere(st, p, pl):
            continue  # another mention of the name is written near it, or in its governorate
        if away > LOOSE_READING_KM:
            for m in _same_reading(st, p):
                m.place, m.kind = None, "unknown"
            held.add(pl.place_id)
        elif away > CLOSER_KM:
            # a place whose own name is spelled close to it lies much nearer the places the text
            # writes it with ("Saaiydiyah" beside Jalawla: As Sa'diyah of Diyala, not the village
            # near Baghdad that has it as an alternate name)
            placed = [q for q in st.scan.places if q.place is not None and q.eligible and q is not p]
            near = _nearby_match(gaz, p, placed, held | {pl.place_id}, focus=focus)
            if near is not None and min(_km(near.lat, near.lon, a, b) for a, b in focus) + CLOSER_KM <= away:
                for m in _same_reading(st, p):
                    _set_place(m, near)
                held.add(near.place_id)


def _backed_elsewhere(st: ArticleState, p: PlaceM, pl) -> bool:
    """Whether another mention of the same reading is written with places near it (within
    :data:`LOOSE_READING_KM`) or in a sentence naming its governorate ("the town of P in
    Salahuddin province"): one far town in one sentence ("... and seized Mosul in June") then
    does not make the name a namesake elsewhere."""
    for m in _same_reading(st, p):
        if m is p:
            continue
        focus = _written_with(st, m)
        if focus and min(_km(pl.lat, pl.lon, a, b) for a, b in focus) <= LOOSE_READING_KM:
            return True
    if pl.admin1:
        for m in _same_reading(st, p):
            k = st.sent_of[m.i]
            if any(q.kind == "admin1" and q.place is not None and q.place.admin1 == pl.admin1
                   for q in st.places_in(k)):
                return True
    return False


_BUILDING_NOUNS = frozenset({"mosque", "hospital", "church", "school", "university", "stadium", "museum", "palace",
                             "hotel", "prison", "shrine", "cathedral", "monastery", "bakery", "factory", "refinery"})


def _buildings_not_villages(st: ArticleState) -> None:
    """A name before a building's noun ("the al-Nuri mosque", "Ibn Sina hospital") names the
    building, in the town the text is about: not a village that happens to bear the name. The
    name is left unknown, to be placed at the town the text ties it to."""
    lows, n = st.tk.lows, st.tk.n
    for p in st.scan.places:
        pl = p.place
        if pl is None or p.kind != "settlement" or p.j >= n or lows[p.j] not in _BUILDING_NOUNS \
                or pl.population >= 10000 or pl.feature_code in ("PPLC", "PPLA", "PPLA2"):
            continue
        p.place, p.kind = None, "unknown"


def _sentence_governorate(st: ArticleState, regions_of: dict[int, set[str]]) -> None:
    """A village read in one governorate while its sentence names another ("P, a village of the
    province of Q") is the namesake in the governorate named, when exactly one bears the name
    there."""
    gaz = st.gaz
    col = gaz._col
    for p in st.scan.places:
        pl = p.place
        here = regions_of.get(st.sent_of[p.i])
        if not here or pl is None or not p.known or p.in_actor or p.kind != "settlement" or pl.admin1 in here \
                or pl.population >= 10000 or pl.feature_code in ("PPLC", "PPLA", "PPLA2"):
            continue
        inside = [r for r in gaz._index.get(p.key, {}) if col["admin1"][r] in here and col["feature_class"][r] == "P"]
        if len(inside) == 1:
            place = gaz._place(inside[0], 0.8)
            for m in _same_reading(st, p):
                _set_place(m, place)


_BEARINGS = {"north": 0.0, "northeast": 45.0, "east": 90.0, "southeast": 135.0, "south": 180.0,
             "southwest": 225.0, "west": 270.0, "northwest": 315.0}
_UNITS_KM = {"km": 1.0, "kms": 1.0, "kilometers": 1.0, "kilometres": 1.0, "kilometer": 1.0, "kilometre": 1.0,
             "miles": 1.609344, "mile": 1.609344, "mi": 1.609344}
#: words that may stand between a place and the distance that locates it ("P, located some 20 km ...")
_OFFSET_FILLERS = frozenset({",", "located", "situated", "lying", "which", "is", "lies", "sits", "about", "some",
                             "around", "nearly", "roughly", "approximately", "almost", "just", "only", "a", "an",
                             "town", "village", "city", "area", "hamlet", "district", "the", "small", "key",
                             "strategic", "border"})


def _offset_point(lat: float, lon: float, km: float, bearing: float) -> tuple[float, float]:
    """The point ``km`` from (lat, lon) along ``bearing`` degrees (spherical earth)."""
    r = km / 6371.0
    b = math.radians(bearing)
    p1, l1 = math.radians(lat), math.radians(lon)
    p2 = math.asin(math.sin(p1) * math.cos(r) + math.cos(p1) * math.sin(r) * math.cos(b))
    l2 = l1 + math.atan2(math.sin(b) * math.sin(r) * math.cos(p1), math.cos(r) - math.sin(p1) * math.sin(p2))
    return math.degrees(p2), (math.degrees(l2) + 540.0) % 360.0 - 180.0


def _read_offset(lows: list[str], q: int, n: int):
    """At token ``q``, "20 km (12 miles) [to the] north[-]west of": (km, bearing, index of the token
    after "of"), else None."""
    try:
        num = float(lows[q].replace(",", ""))
    except ValueError:
        return None
    r = q + 1
    if r >= n or lows[r] not in _UNITS_KM:
        return None
    km = num * _UNITS_KM[lows[r]]
    r += 1
    if r < n and lows[r] == "(":  # "(12 miles)"
        close = next((t for t in range(r, min(n, r + 6)) if lows[t] == ")"), None)
        if close is None:
            return None
        r = close + 1
    if r + 1 < n and lows[r] == "to" and lows[r + 1] == "the":
        r += 2
    if r >= n:
        return None
    word = lows[r]
    if r + 2 < n and lows[r + 1] == "-" and lows[r + 2] in ("east", "west"):
        word, r = word + lows[r + 2], r + 2  # "north-west"
    if word not in _BEARINGS or r + 1 >= n or lows[r + 1] != "of":
        return None
    return km, _BEARINGS[word], r + 2


def _stated_offsets(st: ArticleState) -> None:
    """A place the text locates by distance and direction from another ("P, some 20 km south of
    Q"): of P's namesakes, the one near that point; a reading far from it (more than 25 km, or
    60 % of the distance) gives way to a namesake near it, else, for a village, to an
    approximate point there; a name the gazetteer lacks is placed there. Q is only the
    reference point, never the place of an event (see the roles' relations)."""
    import dataclasses

    gaz = st.gaz
    col = gaz._col
    lows, n = st.tk.lows, st.tk.n
    by_end = st.scan.place_end
    for q in [q for q in range(1, n - 4) if lows[q][:1].isdigit()]:
        got = _read_offset(lows, q, n)
        if got is None:
            continue
        km, bearing, t = got
        while t < n and lows[t] in ("the", "city", "town", "village", "of", "capital"):
            t += 1
        ref = st.scan.place_at.get(t)
        if ref is None or ref.place is None or ref.kind not in ("settlement", "feature") or ref.in_actor:
            continue
        # the place located: the nearest name before the distance, across a few filler words
        b = q
        while b > 0 and lows[b - 1] in _OFFSET_FILLERS and q - b < 6:
            b -= 1
        p = by_end.get(b)
        if p is None or p is ref or p.in_actor or p.kind in ("admin1", "country") or st.sent_of[p.i] != st.sent_of[q]:
            continue
        lat, lon = _offset_point(float(ref.place.lat), float(ref.place.lon), km, bearing)
        slack = max(25.0, 0.6 * km)
        pl = p.place
        if pl is not None and _km(pl.lat, pl.lon, lat, lon) <= slack:
            continue  # read where the text puts it
        rows = [r for r in gaz._index.get(p.key, {}) if col["feature_class"][r] in ("P", "S", "L", "T")] \
            if p.key else []
        fits = sorted((_km(col["lat"][r], col["lon"][r], lat, lon), r) for r in rows)
        fits = [f for f in fits if f[0] <= slack]
        targets = _same_reading(st, p) if pl is not None else [p]
        if fits:
            place = gaz._place(fits[0][1], 0.8)
            for m in targets:
                _set_place(m, place)
        elif pl is None or (pl.population < 100_000 and pl.feature_code not in ("PPLC", "PPLA", "PPLA2")):
            label = f"{km:g} km {next(w for w, b in _BEARINGS.items() if b == bearing)} of {ref.place.name}"
            at = dataclasses.replace(ref.place, lat=lat, lon=lon, name=label)
            for m in targets:
                m.place, m.kind, m.approx = None, "unknown", at


def _list_namesakes(st: ArticleState) -> None:
    """Of namesakes that a name reaches equally well (same name, same standing), a member of an
    enumeration of three or more placed villages takes the one nearest the middle of the list
    (its median point), when it is at least 3 km nearer than its reading and no other name of
    the text holds it. Each list is looked at once: linear in the mentions."""
    gaz = st.gaz
    col = gaz._col
    lat, lon = col["lat"], col["lon"]
    if not st.scan.places:
        return
    _list_members(st, st.scan.places[0])  # builds the article's lists once
    held = {q.place.place_id for q in st.scan.places if q.place is not None}
    seen: set[int] = set()
    for group in st._lists.values():
        if id(group) in seen:
            continue
        seen.add(id(group))
        placed = [q for q in group if q.place is not None and q.kind == "settlement" and not q.in_actor]
        if len(placed) < 3:
            continue
        mid_lat = sorted(q.place.lat for q in placed)[len(placed) // 2]
        mid_lon = sorted(q.place.lon for q in placed)[len(placed) // 2]
        for p in placed:
            pl = p.place
            rows = gaz._index.get(p.key, {}) if p.known else {}
            if len(rows) < 2:
                continue
            mine = next((w for r, w in rows.items() if col["place_id"][r] == pl.place_id), None)
            if mine is None:
                continue
            here = _km(pl.lat, pl.lon, mid_lat, mid_lon)
            best = min(((_km(lat[r], lon[r], mid_lat, mid_lon), r) for r, w in rows.items()
                        if w >= mine and col["feature_class"][r] == "P" and col["place_id"][r] not in held),
                       default=None)
            if best is not None and best[0] + 3.0 <= here:
                place = gaz._place(best[1], pl.score)
                held.add(place.place_id)
                for m in _same_reading(st, p):
                    _set_place(m, place)


def _respellings(st: ArticleState) -> None:
    """An unknown name spelled within a letter or two of a place the article names is that
    place ("Jurf al-Shakar" beside "Jurf al-Sakhar", "Rufha" beside "Rufba")."""
    from rapidfuzz import fuzz, process

    from mapper.names import fold

    placed: dict[str, PlaceM] = {}
    for q in st.scan.places:
        if q.place is not None and q.kind in ("settlement", "feature") and not q.in_actor:
            placed.setdefault(fold(q.text), q)
    keys = [k for k in placed if len(k) >= 5]
    if not keys:
        return
    for p in st.scan.places:
        if p.place is not None or p.subplace or p.in_actor or not p.text.strip():
            continue
        key = fold(p.text)
        if len(key) < 5:
            continue
        got = process.extractOne(key, keys, scorer=fuzz.ratio, score_cutoff=80)
        if got is not None and got[0][0] == key[0]:
            _set_place(p, placed[got[0]].place)


#: generic heads that name a facility rather than a village ("the X border crossing")
_FACILITY_HEADS = frozenset({"border", "crossing", "dam", "airport", "base", "regiment", "complex"})

#: A city this large is itself where a name tied to it lies (a quarter of it, or at its edge).
CITY_POPULATION = 100_000


def _area_of_approximations(st: ArticleState, radius_km: float = 40.0) -> None:
    """An unknown village is somewhere in the area its article is about: its approximate
    point is the middle of the article's settlements within ``radius_km`` of the place it is
    tied to (when there are two or more), not that one place. A name tied to a city of
    :data:`CITY_POPULATION` or more stays at the city: a quarter of it, or its edge."""
    import dataclasses

    pts: list[tuple[float, float]] = []
    seen: set[tuple[float, float]] = set()
    for q in st.scan.places:
        if q.place is not None and q.kind == "settlement" and not q.in_actor and q.eligible:
            pt = (float(q.place.lat), float(q.place.lon))
            if pt not in seen and len(pts) < 200:
                seen.add(pt)
                pts.append(pt)
    done: dict[tuple, object] = {}
    lows, n = st.tk.lows, st.tk.n
    for p in st.scan.places:
        a = p.approx
        if p.place is not None or p.subplace or a is None or a.feature_class != "P":
            continue
        if p.j < n and lows[p.j] in _FACILITY_HEADS:
            continue  # "the X border crossing", "the X dam": at the town the text ties it to
        key = (a.place_id, a.lat, a.lon)
        if key not in done:
            near = [pt for pt in pts if _km(pt[0], pt[1], a.lat, a.lon) <= radius_km]
            if len(near) >= 2 and a.population < CITY_POPULATION:
                lat = sum(x for x, _ in near) / len(near)
                lon = sum(y for _, y in near) / len(near)
                # "the area of 8 km northwest of Q" for a stated point: distances in reports are rough
                label = f"the area of {a.name}" if a.name[:1].isdigit() else f"the {a.name} area"
                done[key] = dataclasses.replace(a, lat=lat, lon=lon, name=label)
            else:
                done[key] = a
        p.approx = done[key]


def _same_name_same_place(st: ArticleState) -> None:
    """A name the text writes again, where the scanner took it for an unknown word, is the
    place (or the approximate point) its first placed mention has."""
    from mapper.names import fold

    first: dict[str, PlaceM] = {}
    for p in st.scan.places:
        if p.subplace or p.in_actor or not p.text.strip():
            continue
        key = fold(p.text)
        have = first.get(key)
        if p.place is not None and p.kind in ("settlement", "feature") and (have is None or have.place is None) or p.place is None and p.approx is not None and have is None:
            first[key] = p
    for p in st.scan.places:
        if p.place is not None or p.subplace or p.in_actor or not p.text.strip():
            continue
        src = first.get(fold(p.text))
        if src is None or src is p:
            continue
        if src.place is not None:
            _set_place(p, src.place)
        else:
            p.approx = src.approx


_TIE_NOUNS = frozenset({"town", "village", "city", "area", "district", "subdistrict", "region", "countryside",
                        "neighbourhood", "neighborhood", "hamlet"})
_TIE_SKIP = frozenset({"the", "northern", "southern", "eastern", "western", "north", "south", "east", "west",
                       "northeast", "northwest", "southeast", "southwest", "northeastern", "northwestern",
                       "southeastern", "southwestern", "central", "rural", "of", "outskirts", "countryside"})


_BEARINGS = {"north": 0, "northeast": 45, "east": 90, "southeast": 135, "south": 180, "southwest": 225, "west": 270,
             "northwest": 315}


def _bearing(lat1, lon1, lat2, lon2) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    x = math.sin(dl) * math.cos(p2)
    y = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return (math.degrees(math.atan2(x, y)) + 360) % 360


def _off_direction(origin, want: float, lat, lon) -> float:
    """Degrees between the bearing from ``origin`` to (lat, lon) and ``want``; 999 beyond 150 km."""
    km = _km(origin.lat, origin.lon, lat, lon)
    return abs((_bearing(origin.lat, origin.lon, lat, lon) - want + 180) % 360 - 180) if 2 <= km <= 150 else 999.0


def _stated_direction(st: ArticleState) -> None:
    """A town the text places by a direction from another ("P, north-east of Q", "P, 30 km
    south of Q"): of the namesakes of P, the one that lies that way from Q (within 150 km) is meant
    when the reading taken does not."""
    gaz = st.gaz
    lows = st.tk.lows
    n = st.tk.n
    col = gaz._col
    for p in st.scan.places:
        pl = p.place
        if pl is None or p.kind != "settlement" or p.in_actor or not p.key or len(gaz._index.get(p.key, ())) < 2:
            continue
        r = p.j
        if r < n and lows[r] in _TIE_NOUNS:
            r += 1
        if r < n and lows[r] == ",":
            r += 1
        while r < n and (lows[r] in ("about", "some", "around", "roughly", "nearly", "just") or lows[r][:1].isdigit()
                         or lows[r] in ("km", "kilometres", "kilometers", "miles", "mi", "kms")):
            r += 1
        d1 = lows[r] if r < n else ""
        if r + 2 < n and lows[r + 1] == "-" and lows[r + 2] in ("east", "west"):
            d1, r = d1 + lows[r + 2], r + 2  # "north-east"
        if d1 not in _BEARINGS or r + 2 >= n or lows[r + 1] != "of":
            continue
        q = st.scan.place_at.get(r + 2)
        if q is None or q.place is None or q.kind != "settlement" or q is p:
            continue
        want = _BEARINGS[d1]
        qp = q.place

        if _off_direction(qp, want, pl.lat, pl.lon) <= 67.5:
            continue
        rows = sorted((_off_direction(qp, want, col["lat"][r2], col["lon"][r2]), r2) for r2 in gaz._index[p.key]
                      if col["feature_class"][r2] == "P")
        rows = [x for x in rows if x[0] <= 67.5]
        if not rows or len(rows) > 1 and rows[1][0] - rows[0][0] < 10:
            continue  # none that way, or two about as well
        place = gaz._place(rows[0][1], 0.75)
        for m in _same_reading(st, p):
            _set_place(m, place)


def _stated_location(st: ArticleState) -> None:
    """A village the text locates ("P town in the Q region", "P, near Q", "the village of P
    outside Q") lies there: a reading more than 60 km from the settlement Q (or outside the
    governorate or country Q) is a namesake elsewhere. It takes a place spelled alike near Q,
    else an approximate point at Q."""
    gaz = st.gaz
    lows = st.tk.lows
    n = st.tk.n
    held = {q.place.place_id for q in st.scan.places if q.place is not None}
    for p in st.scan.places:
        pl = p.place
        if pl is None or p.kind not in ("settlement", "feature") or p.in_actor or pl.population >= 10000 \
                or pl.feature_code in ("PPLC", "PPLA", "PPLA2"):
            continue
        r = p.j
        if r < n and lows[r] in _TIE_NOUNS:
            r += 1
        if r < n and lows[r] == ",":
            r += 1
        if not (r < n and lows[r] in ("in", "near", "outside")):
            continue
        r += 1
        stop = min(n, r + 4)
        while r < stop and lows[r] in _TIE_SKIP:
            r += 1
        q = st.scan.place_at.get(r)
        if q is None or q.place is None or q is p or st.sent_of[q.i] != st.sent_of[p.i]:
            continue
        qp = q.place
        if q.kind == "settlement" and _names_its_region(lows, q.j):
            # "P city in Homs eastern countryside": Q's governorate, not the town of Q
            wrong = pl.country != qp.country or (bool(pl.admin1) and bool(qp.admin1) and pl.admin1 != qp.admin1
                                                  and _km(pl.lat, pl.lon, qp.lat, qp.lon) > 100)
            if not wrong:
                continue
        if q.kind == "settlement":
            wrong = _km(pl.lat, pl.lon, qp.lat, qp.lon) > 60
        elif q.kind == "admin1":
            wrong = pl.country != qp.country or (bool(pl.admin1) and bool(qp.admin1) and pl.admin1 != qp.admin1
                                                  and _km(pl.lat, pl.lon, qp.lat, qp.lon) > 100)
        elif q.kind == "country":
            wrong = pl.country != qp.country
        else:
            continue
        if not wrong:
            continue
        if q.kind == "country":
            p.place, p.kind = None, "unknown"
            continue
        near = _nearby_match(gaz, p, [q], held)
        for m in _same_reading(st, p):  # every mention of the name read that way
            if near is not None:
                _set_place(m, near)
            else:
                m.approx = qp
                m.place, m.kind = None, "unknown"
        if near is not None:
            held.add(near.place_id)


def _same_reading(st: ArticleState, p: PlaceM) -> list[PlaceM]:
    """``p`` and the other mentions of its name that have its place (a correction of one
    reading of a name corrects them all)."""
    from mapper.names import fold

    groups = st.__dict__.get("_by_text")
    if groups is None:
        groups = {}
        for q in st.scan.places:
            groups.setdefault(fold(q.text), []).append(q)
        st.__dict__["_by_text"] = groups
    pid = p.place.place_id if p.place is not None else None
    return [q for q in groups.get(fold(p.text), [p]) if q is p or (pid is not None and q.place is not None
                                                                   and q.place.place_id == pid)]


_KURDISH = str.maketrans({"ş": "sh", "Ş": "Sh", "ç": "ch", "Ç": "Ch", "x": "kh", "X": "Kh", "c": "j", "C": "J",
                          "ê": "e", "Ê": "E", "î": "i", "Î": "I", "û": "u", "Û": "U", "ğ": "g"})


def _variants(text: str) -> list[str]:
    """Other ways of writing a name: Kurdish letters, the feminine ending, "ch" for "j"."""
    out = []
    if any(ch in text for ch in "şçêîûxğŞÇÊÎÛ"):
        out.append(text.translate(_KURDISH))
    low = text
    for a, b in (("iyeh", "iyah"), ("ieh", "iyah"), ("eh", "ah"), ("ia", "iyah"), ("iya", "iyah"), ("ah", "a"),
                 ("e", "a")):
        if low.endswith(a):
            out.append(low[: -len(a)] + b)
            break
    if "ch" in low.lower():
        out.append(low.replace("ch", "j").replace("Ch", "J"))
    if re.search(r"g(?!h)", low, re.I):
        # Iraqi speech says the qaf as "g": Garma for Karmah, Gayyara for Qayyarah, Shargat for Shirqat
        out.append(re.sub(r"G(?!h)", "Q", re.sub(r"g(?!h)", "q", low)))
    return out


#: How far from the places a name is written with (its list, else its sentence) one of several
#: namesakes may lie to be taken for the place meant.
WRITTEN_WITH_KM = 60.0


_REGION_AFTER = frozenset({"countryside", "province", "governorate", "region", "desert", "badia"})
_SIDE_WORDS = frozenset({"eastern", "western", "northern", "southern", "east", "west", "north", "south",
                         "northeastern", "northwestern", "southeastern", "southwestern"})


def _names_its_region(lows, j: int) -> bool:
    """Whether the town name ending at ``j`` names its governorate ("Homs eastern countryside",
    "Raqqa province")."""
    after = lows[j:j + 2]
    return bool(after) and (after[0] in _REGION_AFTER
                            or after[0] in _SIDE_WORDS and len(after) > 1 and after[1] in _REGION_AFTER)


def _written_with(st: ArticleState, p: PlaceM) -> list[tuple[float, float]]:
    """The points of the places the text writes ``p`` with: the placed members of its
    enumeration, else the placed towns and villages of its sentence (not a place inside an
    actor's name)."""
    lows = st.tk.lows

    def point_of(q: PlaceM):
        if q is p or q.place is None or q.in_actor or q.kind not in ("settlement", "feature"):
            return None
        if _names_its_region(lows, q.j):
            return None  # "in Homs eastern countryside", "the Raqqa province": the governorate, not the town
        return (float(q.place.lat), float(q.place.lon))

    # within 40 tokens either side, so that one endless list or sentence stays linear
    _list_members(st, p)  # builds the article's lists once
    group = st._lists.get(p.i)
    at = st.scan.place_at
    lo, hi = p.i - 40, p.j + 40
    pts = [pt for t in range(max(0, lo), min(st.tk.n, hi)) if t in at and group is not None
           and st._lists.get(t) is group for pt in (point_of(at[t]),) if pt is not None]
    if not pts:
        s = st.layout.sentences[st.sent_of[p.i]]  # the places of its sentence, after a dateline
        pts = [pt for t in range(max(s.body_start, lo), min(s.j, hi)) if t in at
               for pt in (point_of(at[t]),) if pt is not None]
    return pts


def _variant_match(gaz, p: PlaceM, resolved: list[PlaceM], held: set[str], *, regions: frozenset = frozenset(),
                   focus: list[tuple[float, float]] | None = None, regions_here=frozenset(),
                   within: list[tuple[float, float]] | None = None):
    """A gazetteer place for a name the gazetteer lacks as written: the name written another
    way (:func:`_variants`), a place spelled close nearby (:func:`_nearby_match`), a prominent
    place one typo away (:func:`_typo_match`). Of several namesakes of a variant, the only one
    within :data:`WRITTEN_WITH_KM` of the places the text writes the name with (``focus``, see
    :func:`_written_with`), or the only one in a governorate its sentence names
    (``regions_here``: "the town of P in the province of Q"), is the place meant."""
    from mapper.names import fold

    points = [(q.place.lat, q.place.lon) for q in resolved if q.place is not None]
    lat, lon = gaz._col["lat"], gaz._col["lon"]
    for v in _variants(p.text):
        rows = gaz._index.get(fold(v))
        if rows:
            cands = [r for r in rows if gaz._col["place_id"][r] not in held]
            inside = [r for r in cands if gaz._col["admin1"][r] in regions_here] if regions_here else []
            if len(inside) == 1:  # the one namesake in the governorate the sentence names
                return gaz._place(inside[0], 0.8)
            if points:
                # near the article's places: half of its mentions within 150 km
                pc = Counter(points)
                cands = [r for r in cands
                         if 2 * sum(n for (a, b), n in pc.items() if _km(lat[r], lon[r], a, b) < 150)
                         >= len(points)]
            if len(cands) > 1 and focus:
                near = [r for r in cands if min(_km(lat[r], lon[r], a, b) for a, b in focus) <= WRITTEN_WITH_KM]
                cands = near if len(near) == 1 else (near or cands)
            if len(cands) > 1 and points and max(_km(lat[a], lon[a], lat[b], lon[b]) for a in cands for b in cands) <= 25:
                # one town filed several times (the town, its subdistrict): the most prominent entry
                cands = [max(cands, key=lambda r: (bool(gaz._notable[r]), gaz._col["population"][r]))]
            if len(cands) == 1:
                return gaz._place(cands[0], 0.8)
    near = _nearby_match(gaz, p, resolved, held, focus=focus, within=within)
    if near is not None:
        return near
    typo = _typo_match(gaz, p, held, regions=regions)
    if typo is not None:
        return typo
    return _skeleton_match(gaz, p, points, held)


def _skeleton_match(gaz, p: PlaceM, points: list[tuple[float, float]], held: set[str]):
    """A settlement whose name has the same consonant skeleton ("Jindires" for Jindayris), as
    ``mapper geocode`` reads it: the one such place within 100 km of the article's places (any
    one, of a single place, when the article has none placed)."""
    if len(p.key or "") < 5 or " " in p.text.strip():
        return None
    rows = {}
    for r, match, how in gaz._candidates(p.text, fuzzy=False):  # (the skeleton index only: no full scan)
        if how == "skeleton" and match >= 0.8 and gaz._col["feature_class"][r] == "P" \
                and gaz._col["place_id"][r] not in held:
            rows.setdefault(gaz._col["place_id"][r], r)
    lat, lon = gaz._col["lat"], gaz._col["lon"]
    if points:
        rows = {k: r for k, r in rows.items() if min(_km(lat[r], lon[r], a, b) for a, b in points) <= 100}
    if len(rows) != 1:
        return None
    return gaz._place(next(iter(rows.values())), 0.7)


def _typo_match(gaz, p: PlaceM, held: set[str], *, regions: frozenset = frozenset()):
    """A prominent place one slip of the keyboard away ("Damacus" for Damascus); for a short
    name ("Rufba"), one letter off a town of a governorate the article names."""
    from rapidfuzz import fuzz, process

    from mapper.names import fold

    key = p.key or fold(p.text)
    if len(key) < 5 or " " in p.text.strip() or "-" in p.text:
        return None
    keys = _prominent_keys(gaz)
    if len(key) == 5:
        if not regions:
            return None
        for k2, r in keys.items():
            if len(k2) == 5 and k2[0] == key[0] and sum(a != b for a, b in zip(k2, key)) == 1 \
                    and gaz._col["admin1"][r] in regions and gaz._col["place_id"][r] not in held:
                return gaz._place(r, 0.8)
        return None
    got = process.extractOne(key, gaz._mapper_prominent_list, scorer=fuzz.ratio, score_cutoff=88)
    if got is None:
        return None
    r = keys.get(got[0])
    if r is None or gaz._col["place_id"][r] in held or abs(len(got[0]) - len(key)) > 1 or got[0][0] != key[0]:
        return None
    return gaz._place(r, got[1] / 100)


def _prominent_keys(gaz) -> dict[str, int]:
    got = getattr(gaz, "_mapper_prominent", None)
    if got is None:
        got = {}
        pop = gaz._col["population"]
        for key, rows in gaz._index.items():
            for r in rows:
                if pop[r] >= 20000 and gaz._col["feature_class"][r] == "P":
                    got.setdefault(key, r)
        gaz._mapper_prominent = got
        gaz._mapper_prominent_list = sorted(got)
    return got


def _nearby_match(gaz, p: PlaceM, resolved: list[PlaceM], held: set[str] | None = None, *,
                  focus: list[tuple[float, float]] | None = None,
                  within: list[tuple[float, float]] | None = None):
    """A gazetteer place within 60 km of the article's places whose name is spelled close
    (rapidfuzz ratio >= 84, or >= 76 with the same consonant skeleton). Names are compared
    only with names of the same initial (any vowel for a vowel) in the cells around. Of two
    readings spelled as close, the one nearer the places the text writes the name with
    (``focus``, see :func:`_written_with`; else the article's places) wins. With ``within``
    (the towns of a name's own sentence, when it is in no list), a reading more than
    :data:`LOOSE_READING_KM` from all of them is a namesake elsewhere."""
    from rapidfuzz import fuzz, process

    from mapper.names import fold, skeleton

    key = p.key or fold(p.text)
    # each point once (a place named five times is one point: the nearest distance is the same)
    points = list(dict.fromkeys((q.place.lat, q.place.lon) for q in resolved if q.place is not None))
    if len(key) < 4 or not points:
        return None
    keys = [key]
    kurdish = any(ch in p.text for ch in "şçêîûxğŞÇÊÎÛ")
    if kurdish:  # a Kurdish spelling: compare its Arabic-style letters too
        alt = fold(p.text.translate(_KURDISH))
        if alt and alt != key:
            keys.append(alt)
    pid, lat, lon = gaz._col["place_id"], gaz._col["lat"], gaz._col["lon"]
    near_to = focus or points
    head = _generic_head(p.text)
    best, best_score, best_km, best_same = None, 0.0, math.inf, False
    for k in keys:
        choices, owners = _keys_near(gaz, points, "aeiou" if k[0] in "aeiou" else k[0])
        if not choices:
            continue
        sk = skeleton(k)
        for kk, score, idx in process.extract(k, choices, scorer=fuzz.ratio, score_cutoff=76, limit=8):
            r = owners[idx]
            if head and kk.startswith(head):
                # "Bab X" and "Bab Y" share only the word for a gate: compare what follows it
                score = fuzz.ratio(k[len(head):], kk[len(head):])
                if score < 76:
                    continue
            if held and pid[r] in held:
                continue
            same = skeleton(kk) == sk
            if same:
                score += 8
            if score < best_score:
                continue  # cannot win: no distance needed
            d = min(_km(lat[r], lon[r], a, b) for a, b in points)
            if d > 60:
                continue
            km = d if near_to is points else min(_km(lat[r], lon[r], a, b) for a, b in near_to)
            if within and min(_km(lat[r], lon[r], a, b) for a, b in within) > LOOSE_READING_KM:
                continue  # far from every town of the name's own sentence
            if score > best_score or km < best_km:
                best, best_score, best_km, best_same = r, score, km, same
    # (Kurdish spelling writes short vowels its own way, "Silûk" for Suluk: the consonants decide)
    if best is None or best_score < (84 if len(key) > 6 or kurdish and best_same else 90):
        return None
    return gaz._place(best, min(best_score, 100) / 100)


def _generic_head(text: str) -> str:
    """The folded generic first word of a name written with one ("Bab al-Salama": "bab"; the
    words are the scanner's ``_GENERIC_HEADS``), or ""."""
    from mapper.names import fold

    first = text.strip().split(" ")[0].split("-")[0].lower()
    if first not in _GENERIC_HEADS or " " not in text.strip():
        return ""
    return fold(first)


def _keys_near(gaz, points: list[tuple[float, float]], initials: str) -> tuple[list[str], list[int]]:
    """The name keys (and rows) of places in the half-degree cells around the points whose
    keys start with one of ``initials``."""
    cells = getattr(gaz, "_mapper_cells2", None)  # (2: with the joined vowel buckets)
    if cells is None:
        cells = {}
        lat, lon, fc = gaz._col["lat"], gaz._col["lon"], gaz._col["feature_class"]
        for key, rows in gaz._index.items():
            for r in rows:
                if fc[r] in ("P", "S", "L", "T") and key:
                    cell = cells.setdefault((int(math.floor(lat[r] * 2)), int(math.floor(lon[r] * 2))), {})
                    bucket = cell.setdefault(key[0], ([], []))
                    bucket[0].append(key)
                    bucket[1].append(r)
        for cell in cells.values():  # the five vowel buckets joined in order, for a vowel's initials
            vowels = [cell[v] for v in "aeiou" if v in cell]
            if vowels:
                cell["aeiou"] = ([k for b in vowels for k in b[0]], [r for b in vowels for r in b[1]])
        gaz._mapper_cells2 = cells
    wanted = set()
    for la, lo in points:
        ci, cj = int(math.floor(la * 2)), int(math.floor(lo * 2))
        wanted.update([(ci + di, cj + dj) for di, dj in _AROUND])
    choices: list[str] = []
    owners: list[int] = []
    for c in sorted(wanted):
        cell = cells.get(c)
        if not cell:
            continue
        for letter in ((initials,) if len(initials) == 1 or initials == "aeiou" else initials):
            got = cell.get(letter)
            if got:
                choices += got[0]
                owners += got[1]
    return choices, owners


_AROUND = [(di, dj) for di in (-1, 0, 1) for dj in (-1, 0, 1)]


def _keys_by_row(gaz) -> dict[int, list[str]]:
    got = getattr(gaz, "_mapper_keys_by_row", None)
    if got is None:
        got = {}
        for key, rows in gaz._index.items():
            for r in rows:
                got.setdefault(r, []).append(key)
        gaz._mapper_keys_by_row = got
    return got


def _km(lat1, lon1, lat2, lon2) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def _list_coherence(st: ArticleState) -> None:
    """Members of one enumeration lie near each other and near the places the article is
    about. Each placed member is supported by the other members within 100 km and by the
    places of the neighbouring sentences within 150 km; a member more than 100 km from the
    best-supported one, with less support (or, when no member agrees with anything, one more than 150 km from
    every other place of the article) is a namesake far away: it takes a gazetteer place
    spelled alike near the others, else it is placed approximately at the nearest member.
    A town of 10,000 people keeps its reading unless a village word heads the list."""
    gaz = st.gaz
    lows = st.tk.lows
    towns = [q for q in st.scan.places if q.place is not None and q.kind == "settlement" and not q.in_actor]
    by_sentence: dict[int, list[PlaceM]] = {}
    for q in towns:
        by_sentence.setdefault(st.sent_of[q.i], []).append(q)
    all_counts = Counter(q.place.place_id for q in towns)
    all_points = {q.place.place_id: (q.place.lat, q.place.lon) for q in towns}
    held_all = Counter(q.place.place_id for q in st.scan.places if q.place is not None)

    def weight_near(lat: float, lon: float, counts: Counter, points: dict, radius: float) -> int:
        # distinct places with their numbers of mentions: linear in the mentions
        return sum(n for pid, n in counts.items() if _km(lat, lon, *points[pid]) <= radius)

    seen: set[int] = set()
    for p in st.scan.places:
        if p.i in seen or p.kind not in ("settlement", "feature", "unknown"):
            continue
        members = [p] + [q for q in _list_members(st, p) if q.kind in ("settlement", "feature", "unknown")]
        seen.update(q.i for q in members)
        if len(members) < 2:
            continue
        ids = {id(q) for q in members}
        k = st.sent_of[p.i]
        outside = [q for kk in (k - 1, k, k + 1) for q in by_sentence.get(kk, ())
                   if id(q) not in ids and q.place is not None]
        placed = [q for q in members if q.place is not None and q.kind in ("settlement", "feature")]
        if not placed:
            continue
        ref_counts = Counter(q.place.place_id for q in outside)
        ref_points = {q.place.place_id: (q.place.lat, q.place.lon) for q in outside}
        mem_counts = Counter(q.place.place_id for q in placed)
        mem_points = {q.place.place_id: (q.place.lat, q.place.lon) for q in placed}

        def support(q: PlaceM, mem_counts=mem_counts, mem_points=mem_points, ref_counts=ref_counts,
                    ref_points=ref_points) -> int:
            la, lo = q.place.lat, q.place.lon
            return (weight_near(la, lo, mem_counts, mem_points, 100) - 1
                    + weight_near(la, lo, ref_counts, ref_points, 150))

        first_of: dict[str, PlaceM] = {}
        for q in placed:
            first_of.setdefault(q.place.place_id, q)
        scores = {pid: support(q) for pid, q in first_of.items()}
        best = max(scores.values())
        core = next(q for q in placed if scores[q.place.place_id] == best)
        if weight_near(core.place.lat, core.place.lon, ref_counts, ref_points, 150) > 0:
            far = [q for q in placed if _km(q.place.lat, q.place.lon, core.place.lat, core.place.lon) > 100
                   and scores[q.place.place_id] < best]
        else:
            # nothing around the list backs its best member: the article's other mentions vote;
            # a member that a third of them lie near (150 km) stands, the others are namesakes
            counts = all_counts - mem_counts
            total = sum(counts.values())
            if not total:
                continue
            far_ids = {pid for pid in mem_counts
                       if 3 * weight_near(*mem_points[pid], counts, all_points, 150) < total}
            far = [q for q in placed if q.place.place_id in far_ids]
            outside = [q for q in towns if id(q) not in ids and q.place is not None and q.place.place_id in counts
                       and all(_km(q.place.lat, q.place.lon, *mem_points[f]) > 150 for f in far_ids)] if far else []
            placed = []  # members unconfirmed: only the article's other places anchor the far ones
        if not far:
            continue
        first = min(q.i for q in members)
        last = max(q.j for q in members)
        villages = any(lows[t] in _VILLAGE_WORDS for t in range(max(0, first - 6), first)) or \
            any(lows[t] in _VILLAGE_WORDS for t in range(last, min(st.tk.n, last + 2)))
        far_ids = {q.place.place_id for q in far}
        held = {pid for pid, n in held_all.items() if pid not in far_ids
                or n > sum(1 for q in far if q.place.place_id == pid)}
        anchors = [q for q in (outside + [m for m in placed if m not in far]) if q.place is not None]
        for q in far:
            if q.place is None:
                continue  # corrected with another mention of its name
            if ((q.place.population >= 10000 or q.place.feature_code in ("PPLC", "PPLA", "PPLA2")) and not villages) \
                    or not anchors:
                continue  # a town of note keeps its reading
            live = [m for m in anchors if m.place is not None]  # some may have been corrected meanwhile
            if not live:
                continue
            near = _nearby_match(gaz, q, live, held)
            approx = min(live, key=lambda m: abs(m.i - q.i)).place
            for m in _same_reading(st, q):
                if near is not None:
                    _set_place(m, near)
                else:
                    m.approx = approx
                    m.place, m.kind = None, "unknown"


_VILLAGE_WORDS = frozenset({"villages", "hamlets", "farms", "village", "hamlet"})


def _mark_subplaces(st: ArticleState) -> None:
    """Names that a district word follows or introduces: "A, B and C districts", "the three
    neighbourhoods still in government hands — A, B and C"."""
    lows = st.tk.lows
    st._town = _main_town(st)
    for p in st.scan.places:
        if p.subplace:
            for q in _list_members(st, p):
                if q.kind in ("unknown", "feature") or not q.known or _far_from_town(st, q):
                    q.subplace = True
    for s in st.layout.sentences:
        for q in range(s.i, s.j):
            if lows[q] in ("neighbourhoods", "neighborhoods", "districts", "quarters") and q + 8 < s.j:
                for r in range(q + 1, min(s.j, q + 8)):
                    if lows[r] in ("—", "–", ":", "including", "namely", "are"):
                        first = st.scan.place_at.get(r + 1)
                        if first is not None:
                            for m in [first] + _list_members(st, first):
                                if not m.known or m.kind in ("unknown", "feature"):
                                    m.subplace = True
                        break


def _far_from_town(st: ArticleState, q: PlaceM) -> bool:
    """A list member read as a place more than 30 km from the article's main town: in a list
    of districts, a namesake elsewhere."""
    town = st._town
    return (q.place is not None and town is not None and q.place.place_id != town.place_id
            and q.place.population < 100000 and _km(q.place.lat, q.place.lon, town.lat, town.lon) > 30)


def _main_town(st: ArticleState):
    """The settlement the article names most often (the town its districts belong to)."""
    counts = Counter(p.place.place_id for p in st.scan.places if p.place is not None and p.kind == "settlement"
                     and not p.subplace and not p.in_actor)
    if not counts:
        return None
    pid = counts.most_common(1)[0][0]
    return next(p.place for p in st.scan.places if p.place is not None and p.place.place_id == pid)


def _anchor_for(st: ArticleState, p: PlaceM, resolved: list[PlaceM]) -> object | None:
    """The resolved place the text ties an unknown name to: a resolved member of the same
    list, the town a district belongs to ("the X district of P", "X ... in P"), the nearest
    place of its sentence, else the most named of the two sentences before."""
    k = st.sent_of[p.i]
    lows = st.tk.lows
    # members of one enumeration lie near each other
    members = _list_members(st, p)
    good = [q for q in members if q.place is not None and q.eligible]
    if good:
        return min(good, key=lambda q: abs(q.i - p.i)).place
    placed_near = [q for q in members if q.approx is not None]
    if placed_near:
        return min(placed_near, key=lambda q: abs(q.i - p.i)).approx
    by_sent, counts, backed = _anchor_index(st, resolved)
    same = [q for q in by_sent.get(k, ()) if backed(q.place)]
    if same:
        after = [q for q in same if q.i > p.i and all(lows[t] not in (".", ";") for t in range(p.j, q.i))
                 and any(lows[t] in ("in", "of", "near", "north", "south", "east", "west", "outside")
                         for t in range(p.j, q.i))]
        if after:
            return after[0].place
        return min(same, key=lambda q: abs(q.i - p.i)).place
    for back in range(k - 1, max(-1, k - 3), -1):
        before = [q for q in by_sent.get(back, ()) if backed(q.place)]
        if before:
            return max(before, key=lambda q: (counts[q.place.place_id], q.i)).place
    if st.layout.sentences[k].part == "headline":
        # a headline sums up the lead: the place the lead is about
        for ahead in range(k + 1, min(len(st.layout.sentences), k + 3)):
            after = [q for q in by_sent.get(ahead, ()) if backed(q.place)]
            if after:
                return max(after, key=lambda q: (counts[q.place.place_id], -q.i)).place
    return None


def _anchor_index(st: ArticleState, resolved: list[PlaceM]):
    """Per article, once: resolved places by sentence, mention counts, and whether a place
    lies where the article is (half of its mentions within 150 km: not "Damascus" in "in
    Damascus control" for a village of Deir ez-Zor)."""
    got = st.__dict__.get("_anchor_index")
    if got is not None:
        return got
    by_sent: dict[int, list[PlaceM]] = {}
    for q in resolved:
        if q.kind in ("settlement", "feature") and not q.subplace:
            by_sent.setdefault(st.sent_of[q.i], []).append(q)
    counts = Counter(q.place.place_id for q in resolved)
    points = {q.place.place_id: (q.place.lat, q.place.lon) for q in resolved}
    total = sum(counts.values())
    memo: dict[str, bool] = {}

    def backed(place) -> bool:
        pid = place.place_id
        if pid not in memo:
            near = sum(n for other, n in counts.items() if _km(place.lat, place.lon, *points[other]) <= 150)
            memo[pid] = 2 * near >= total
        return memo[pid]

    got = (by_sent, counts, backed)
    st.__dict__["_anchor_index"] = got
    return got


def _list_members(st: ArticleState, p: PlaceM) -> list[PlaceM]:
    """The other places of the enumeration ``p`` is in ("A, B, C and D"); the lists are
    found once per article, so this stays linear."""
    groups = getattr(st, "_lists", None)
    if groups is None:
        groups = {}
        for q in st.scan.places:
            if q.i in groups:
                continue
            members = [q] + _walk_list(st, q)
            for m in members:
                groups[m.i] = members
        st._lists = groups
    return [m for m in groups.get(p.i, [p]) if m is not p]


def _walk_list(st: ArticleState, p: PlaceM) -> list[PlaceM]:
    lows = st.tk.lows
    by_start = st.scan.place_at
    out = []
    q = p
    while True:  # forwards
        r = q.j
        while r < st.tk.n and lows[r] in (",", "and", "or", "the") and r - q.j < 3:
            r += 1
        nxt = by_start.get(r)
        if nxt is None or r == q.j:
            break
        out.append(nxt)
        q = nxt
    q = p
    while True:  # backwards
        r = q.i - 1
        while r >= 0 and lows[r] in (",", "and", "or", "the") and q.i - r < 3:
            r -= 1
        prv = st.scan.place_end.get(r + 1)
        if prv is None or r == q.i - 1:
            break
        out.append(prv)
        q = prv
    return out


def _place_rows(st: ArticleState) -> list[dict]:
    art = st.article
    rows = []
    lows = st.tk.lows
    n = st.tk.n
    for p in st.scan.places:
        pl = p.place
        if p.in_actor and (pl is None or pl.feature_class == "P" and pl.population < 100_000
                           and pl.feature_code not in ("PPLC", "PPLA")):
            # a word of an actor's or a person's name ("the Observatory for Human Rights", "President
            # Bashar al-Assad"), not a village; a country or a city in one ("rebels backed by Turkey",
            # "the Deir ez-Zor Military Council") is still named as a place
            continue
        if p.subplace and p.approx is not None:
            a = p.approx
            rows.append(_prow(art.id, p.text, f"near:{a.place_id}", f"{p.text} (a part of {a.name}; placed at it)",
                              a.country, a.lat, a.lon, p.start, p.end))
            continue
        if pl is not None:
            rows.append(_prow(art.id, p.text, pl.place_id, pl.name, pl.country, pl.lat, pl.lon, p.start, p.end))
            if p.kind in ("feature", "settlement") and p.j + 1 < n and lows[p.j] in ("dam", "border", "complex") \
                    and lows[p.j + 1] in ("complex", "crossing", "post", "gate"):
                e = st.tk.ends[p.j + 1]
                rows.append(_prow(art.id, st.text[p.start:e], pl.place_id, f"{pl.name} ({lows[p.j]} {lows[p.j + 1]})",
                                  pl.country, pl.lat, pl.lon, p.start, e))
            elif p.kind in ("feature", "settlement") and p.j < n and lows[p.j] in ("complex", "crossing"):
                e = st.tk.ends[p.j]
                rows.append(_prow(art.id, st.text[p.start:e], pl.place_id, f"{pl.name} ({lows[p.j]})",
                                  pl.country, pl.lat, pl.lon, p.start, e))
            if p.kind == "settlement" and p.i >= 3 and lows[p.i - 1] == "of" and lows[p.i - 2] == "city" \
                    and lows[p.i - 3] == "old":
                s0 = st.tk.starts[p.i - 3]
                rows.append(_prow(art.id, st.text[s0:p.end], pl.place_id, f"{pl.name} (old city)", pl.country,
                                  pl.lat, pl.lon, s0, p.end))
            if p.kind == "admin1" and p.j - p.i > 1 and lows[p.j - 1] in ("province", "governorate", "region",
                                                                          "countryside", "canton"):
                # "Nineveh province": the governorate is named "Nineveh" too
                e = st.tk.ends[p.j - 2]
                rows.append(_prow(art.id, st.text[p.start:e], pl.place_id, pl.name, pl.country, pl.lat, pl.lon,
                                  p.start, e))
            if p.eligible and p.kind == "settlement":
                # a feature named by its town ("Hajin hospital", "Mosul's airport"): at the town
                q = p.j
                if q < n and lows[q] in ("'s", "’s"):
                    q += 1
                while q < n and q - p.j < 3 and lows[q] in _FEATURE_MODIFIERS:
                    q += 1
                after_modifier = q > p.j and lows[q - 1] in _FEATURE_MODIFIERS
                if q < n and (lows[q] in _FEATURE_WORDS or (after_modifier and lows[q] in _FEATURE_AFTER_MODIFIER)):
                    feature = _FEATURE_WORDS.get(lows[q]) or ("air base" if lows[q - 1] == "air" and lows[q] == "base"
                                                              else _FEATURE_AFTER_MODIFIER[lows[q]])
                    end = st.tk.ends[q]
                    rows.append(_prow(art.id, st.text[p.start:end], pl.place_id,
                                      f"{pl.name} ({feature}, placed at the town)", pl.country, pl.lat, pl.lon,
                                      p.start, end))
        elif p.approx is not None:
            a = p.approx
            rows.append(_prow(art.id, p.text, f"near:{a.place_id}", f"{p.text} (not in the gazetteer; placed at {a.name})",
                              a.country, a.lat, a.lon, p.start, p.end))
            head = p.j + 1 if p.j + 1 < n and lows[p.j] == "border" and lows[p.j + 1] in ("crossing", "post", "gate",
                                                                                           "point") else p.j
            while head < n and head - p.j < 2 and lows[head] in _FEATURE_MODIFIERS and head + 1 < n \
                    and lows[head + 1] in ("base", "airport", "field", "oilfield", "complex", "camp"):
                head += 1  # "the Ghazlani military base", "the Omar oil field"
            if head < n and lows[head] in ("complex", "crossing", "dam", "camp", "airport", "base", "regiment",
                                           "post", "gate", "point", "field", "oilfield"):
                # a feature's name includes its generic head: "the Ramboosi complex", "the X border crossing"
                e = st.tk.ends[head]
                rows.append(_prow(art.id, st.text[p.start:e], f"near:{a.place_id}",
                                  f"{st.text[p.start:e]} (not in the gazetteer; placed at {a.name})",
                                  a.country, a.lat, a.lon, p.start, e))
        else:
            rows.append(_prow(art.id, p.text, "", "", "", float("nan"), float("nan"), p.start, p.end))
    rows += _generic_sites(st)
    return rows


_SITE_NOUNS = frozenset({"citadel", "bazaar", "castle", "fortress", "souk", "souq", "museum", "stadium"})


def _generic_sites(st: ArticleState) -> list[dict]:
    """Sites named only by a common noun ("the ancient citadel", "the central bazaar"),
    placed at the town the sentence is about."""
    lows = st.tk.lows
    out = []
    for k, s in enumerate(st.layout.sentences):
        if s.part not in ("body", "headline"):
            continue
        for q in range(s.body_start + 1, s.j):
            if lows[q] not in _SITE_NOUNS or lows[q - 1] in _SITE_NOUNS:
                continue
            a = q - 1 if lows[q - 1] not in ("the", "its", "a") and lows[q - 1].isalpha() else q
            if a < q and lows[a - 1] not in ("the", "its"):
                continue
            same = [p for p in st.scan.places if s.body_start <= p.i < s.j and p.kind == "settlement"
                    and p.place is not None and not p.in_actor]
            town = min(same, key=lambda p: abs(p.i - q)) if same else st.salient_place(k, q)
            if town is None or town.place is None:
                continue
            pl = town.place
            s0, e0 = st.tk.starts[a], st.tk.ends[q]
            out.append(_prow(st.article.id, st.text[s0:e0], f"near:{pl.place_id}",
                             f"{st.text[s0:e0]} (in {pl.name}; placed at it)", pl.country, pl.lat, pl.lon, s0, e0))
    return out


def _prow(article, name, pid, place, country, lat, lon, start, end) -> dict:
    return {"article": article, "name_as_written": name, "place_id": pid, "place": place, "country": country,
            "lat": float(lat), "lon": float(lon), "start": int(start), "end": int(end)}


def _today() -> dt.date:
    return dt.date.today()
