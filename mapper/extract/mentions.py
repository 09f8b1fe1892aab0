"""Mentions: one scan of an article's tokens finds places, actors, triggers and date cues.

scan(tokens, layout, gazetteer=..., grammar=..., actors=...)  -> Scan

Places are gazetteer names (longest match, spans that start at a capitalised word or an
Arabic article before one) and, in place slots ("the villages of A, B and C", "the N
district"), capitalised names the gazetteer lacks. Actors come from a token trie built from
``actors.yaml`` and the user's ``--actors`` phrases. Triggers come from the grammar's word
table. A sentence with a date cue (a month, a weekday, a number, "yesterday") is marked so
that date expressions are parsed only where a claim needs them.
"""

from __future__ import annotations

import functools
import itertools
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources

from mapper.names import fold

from .lexicon import Grammar, TriggerForm
from .text import Layout, Tokens, tokenize

__all__ = ["PlaceM", "ActorM", "TrigM", "Scan", "ActorTable", "scan"]


@dataclass(slots=True)
class PlaceM:
    """A place named in the text: tokens ``[i, j)``, characters ``[start, end)``."""

    i: int
    j: int
    start: int
    end: int
    text: str
    key: str
    known: bool  # a gazetteer name (else a name the text puts in a place slot)
    notable: bool = False
    cue: bool = False
    place: object | None = None  # gazetteer Place once resolved
    kind: str = ""  # settlement | feature | admin1 | country | unknown
    approx: object | None = None  # for an unknown name: the Place it is placed at
    in_actor: bool = False  # named inside an actor phrase ("rebels backed by Turkey")
    subplace: bool = False  # a part of a town ("the Jolan district", "the Sinaa and Mashlab neighbourhoods")

    @property
    def eligible(self) -> bool:
        """A place that can change hands (a settlement or a feature, not a region)."""
        return self.place is not None and self.kind in ("settlement", "feature")


@dataclass(slots=True)
class ActorM:
    """An actor phrase: tokens ``[i, j)``; ``label`` canonical or provisional."""

    i: int
    j: int
    start: int
    end: int
    text: str
    label: str


@dataclass(slots=True)
class TrigM:
    """A trigger word (and its particle): tokens ``[i, j)``; ``p`` is the particle's start
    when the particle follows the object ("drove IS out of P")."""

    i: int
    j: int
    form: TriggerForm
    particle_at: int = -1


@dataclass
class Scan:
    """Everything the single scan found in one article."""

    places: list[PlaceM] = field(default_factory=list)
    actors: list[ActorM] = field(default_factory=list)
    triggers: list[TrigM] = field(default_factory=list)
    date_cue: list[bool] = field(default_factory=list)  # per sentence
    cue_sentence: list[bool] = field(default_factory=list)  # per sentence: has a trigger word
    place_at: dict[int, PlaceM] = field(default_factory=dict)  # token index of the start -> place
    actor_at: dict[int, ActorM] = field(default_factory=dict)
    actor_end: dict[int, ActorM] = field(default_factory=dict)  # token index after the end -> actor
    place_end: dict[int, PlaceM] = field(default_factory=dict)
    demonym_countries: set[str] = field(default_factory=set)


# ------------------------------------------------------------------------------ actors

_GROUP = re.compile(r"\(([^()]*)\)")


def _expand(pattern: str) -> list[str]:
    """Every phrase a pattern such as "(the|) Syrian (army|troops)" stands for."""
    parts: list[list[str]] = []
    pos = 0
    for m in _GROUP.finditer(pattern):
        if m.start() > pos:
            parts.append([pattern[pos:m.start()]])
        parts.append(m.group(1).split("|"))
        pos = m.end()
    parts.append([pattern[pos:]])
    out = []
    for combo in itertools.product(*parts):
        phrase = " ".join("".join(combo).split())
        if phrase:
            out.append(phrase)
    return out


@functools.lru_cache(maxsize=4096)
def _pattern_tokens(word: str) -> tuple[str, ...]:
    return tuple(tokenize(word).words)


class ActorTable:
    """A token trie of actor phrases: the longest phrase starting at a token wins.

    Parameters
    ----------
    entries
        ``(phrase, label)`` pairs; earlier entries win at equal length (user entries first).
    """

    def __init__(self, entries: Iterable[tuple[str, str]]):
        self._trie: dict = {}
        #: user regular expressions ``(compiled, label)``, matched on the text before the trie
        self.patterns: list = []
        for phrase, label in entries:
            for variant in _expand(phrase):
                self._add(variant, label)

    def _add(self, phrase: str, label: str) -> None:
        exact: list[str | None] = []
        keys: list[str] = []
        for raw in phrase.replace("<", " ( ").replace(">", " ) ").split():
            case = raw.startswith("=")
            word = raw[1:] if case else raw
            # the article tokeniser's own split, so that "People's" is "People" + "'s" as in a text
            for t in _pattern_tokens(word):
                keys.append(t.lower())
                exact.append(t if case else None)
        node = self._trie
        for k in keys:
            node = node.setdefault(k, {})
        node.setdefault(None, []).append((tuple(exact), label))

    def openers(self) -> frozenset:
        """The words that can open an actor phrase or a place name (trie roots and Arabic articles)."""
        got = self.__dict__.get("_openers")
        if got is None or got[0] != len(self._trie):
            got = self._openers = (len(self._trie), frozenset(self._trie) | _CONNECT)
        return got[1]

    @classmethod
    def default(cls) -> ActorTable:
        global _DEFAULT_ACTORS
        if _DEFAULT_ACTORS is None:
            _DEFAULT_ACTORS = cls(default_actor_entries())
        return _DEFAULT_ACTORS

    def match(self, words: list[str], lows: list[str], i: int) -> tuple[int, str] | None:
        """``(end, label)`` of the longest phrase starting at token ``i``, or ``None``."""
        node = self._trie.get(lows[i])
        if node is None:
            return None
        best = None
        j = i + 1
        n = len(lows)
        while True:
            ends = node.get(None)
            if ends:
                for exact, label in ends:
                    # (a phrase with no exact-case word matches whatever the case)
                    if exact.count(None) == len(exact) or all(e is None or e == w for e, w in zip(exact, words[i:j])):
                        best = (j, label)
                        break
            if j >= n:
                break
            node = node.get(lows[j])
            if node is None:
                break
            j += 1
        return best


_DEMONYMS = frozenset({"iraqi", "syrian", "kurdish", "turkish", "american", "us", "u.s.", "russian", "iranian",
                       "british", "french", "arab", "shiite", "shia", "sunni", "yazidi", "assyrian", "christian"})


def _coordinated_demonyms(tk: Tokens, sc: Scan, actors: ActorTable) -> None:
    """"Iraqi and Kurdish forces": two sides sharing a head noun. The phrase is one subject;
    the side named first leads it (its label is that of "Iraqi forces")."""
    words, lows = tk.words, tk.lows
    for idx, a in enumerate(sc.actors):
        if a.i < 2 or lows[a.i - 1] != "and" or lows[a.i - 2] not in _DEMONYMS or lows[a.i] not in _DEMONYMS:
            continue
        if (a.i - 2) in sc.actor_at or any(q in sc.actor_end for q in (a.i - 1, a.i)):
            continue
        ws = [words[a.i - 2]] + words[a.i + 1:a.j]
        ls = [lows[a.i - 2]] + lows[a.i + 1:a.j]
        got = actors.match(ws, ls, 0)
        if got is None or got[0] != len(ls):
            continue
        new = ActorM(a.i - 2, a.j, tk.starts[a.i - 2], a.end, tk.text[tk.starts[a.i - 2]:a.end], got[1])
        sc.actors[idx] = new
        del sc.actor_at[a.i]
        sc.actor_at[new.i] = new
        sc.actor_end[a.j] = new


#: heads of a force named by its allegiance: "forces loyal to X", "militiamen allied with X"
_FORCE_HEADS = frozenset({"forces", "troops", "fighters", "militiamen", "militias", "militia", "units", "soldiers",
                          "gunmen", "groups", "factions", "brigades", "men", "tribesmen", "paramilitaries",
                          "volunteers", "battalions", "rebels", "insurgents", "militants", "loyalists"})
#: heads of a part of a force: "units of the Syrian Arab Army", "elements of the army"
_UNIT_HEADS = frozenset({"units", "unit", "elements", "troops", "soldiers", "fighters", "members", "forces",
                         "battalions", "brigades", "brigade", "division", "divisions", "detachments", "commandos",
                         "squads", "contingents", "formations"})
_ALLEGIANCE = frozenset({"loyal", "allied", "aligned", "affiliated", "linked", "answering", "belonging", "attached"})
#: capitals that stand for their state: "troops loyal to Damascus", "handed back to Baghdad"
SEAT_OF = {"damascus": "Syrian government", "baghdad": "Iraqi government"}


def _allegiance(tk: Tokens, sc: Scan) -> None:
    """"Forces loyal to President X", "militiamen allied with the regime": a force named by
    whom it answers to is that side. The phrase becomes one actor with the side's label."""
    lows = tk.lows
    targets = list(sc.actors) + [p for p in sc.places if p.j - p.i == 1 and lows[p.i] in SEAT_OF]
    for a in targets:
        label = getattr(a, "label", None) or SEAT_OF[lows[a.i]]
        if label == "never":
            continue
        q = a.i - 1
        if q >= 1 and lows[q] == "of" and lows[q - 1] in _UNIT_HEADS:
            h = q - 1  # "units of the Syrian Arab Army": the army
            head = sc.actor_end.get(h + 1)
            i = head.i if head is not None and head.label in ("anaphor", "generic", "government") else h
            _replace_actor(tk, sc, a, head, i, label)
            continue
        if q < 2 or lows[q] not in ("to", "with"):
            continue
        q -= 1
        if lows[q] in ("closely", "fiercely", "still", "nominally", "loosely"):
            q -= 1
        if q < 1 or lows[q] not in _ALLEGIANCE:
            continue
        h = q - 1
        if lows[h] not in _FORCE_HEADS:
            continue
        head = sc.actor_end.get(h + 1)
        i = head.i if head is not None and head.label in ("anaphor", "generic", "government") else h
        if any(b is not head and b.i < a.i and b.j > i for b in sc.actors if b is not a):
            continue  # a named side already covers the head ("Kurdish fighters loyal to ...")
        _replace_actor(tk, sc, a, head, i, label)


_LED = frozenset({"led", "dominated", "spearheaded", "headed", "commanded", "run"})


#: heads of a body that speaks or commands for a side: "the General Command of the SDF"
_COMMAND_HEADS = frozenset({"command", "ministry", "office", "council", "centre", "center", "headquarters",
                            "spokesman", "spokesperson", "leadership"})


def _command_of(tk: Tokens, sc: Scan) -> None:
    """"the General Command of the Syrian Democratic Forces", "the media office of the YPG": a
    command named by its kind belongs to the side named after its "of", not to a state."""
    lows = tk.lows
    for idx, a in enumerate(sc.actors):
        if a.label not in ("government", "anaphor") or lows[a.j - 1] not in _COMMAND_HEADS:
            continue
        if a.j + 1 >= tk.n or lows[a.j] != "of":
            continue
        b = sc.actor_at.get(a.j + 1)
        if b is None or b.label in ("never", "anaphor", "generic", "government"):
            continue
        sc.actors[idx] = new = ActorM(a.i, a.j, a.start, a.end, a.text, b.label)
        sc.actor_at[a.i] = new
        sc.actor_end[a.j] = new


#: a state's own name and the side its troops are counted with (Turkey's army fights with the
#: rebels it backs; Russia's with the Syrian state)
_STATE_TROOPS = {"turkey": "Turkish-backed rebels", "ankara": "Turkish-backed rebels", "iraq": "Iraqi government",
                 "baghdad": "Iraqi government", "syria": "Syrian government", "damascus": "Syrian government",
                 "russia": "Syrian government", "moscow": "Syrian government"}
_TROOP_NOUNS = frozenset({"troops", "forces", "army", "military", "soldiers", "tanks", "units"})


def _state_troops(tk: Tokens, sc: Scan) -> None:
    """"Turkey says its troops ...", "Baghdad sent its army": troops a state's name owns."""
    lows = tk.lows
    for i in range(2, tk.n - 1):
        if lows[i] != "its" or lows[i + 1] not in _TROOP_NOUNS or i in sc.actor_at:
            continue
        owner = next((lows[q] for q in range(i - 1, max(-1, i - 4), -1) if lows[q] in _STATE_TROOPS), None)
        if owner is None:
            continue
        old = sc.actor_at.get(i + 1)
        if old is not None:
            if old.j != i + 2 or old.label not in ("government", "anaphor"):
                continue
            sc.actors.remove(old)  # "troops": the state's, named by "its"
            del sc.actor_at[i + 1]
            del sc.actor_end[i + 2]
        a = ActorM(i, i + 2, tk.starts[i], tk.ends[i + 1], tk.text[tk.starts[i]:tk.ends[i + 1]], _STATE_TROOPS[owner])
        sc.actors.append(a)
        sc.actor_at[i] = a
        sc.actor_end[i + 2] = a
    sc.actors.sort(key=lambda a: a.i)


def _led_by(tk: Tokens, sc: Scan) -> None:
    """"The alliance, which is led by the Kurdish YPG, ...": a group named only by its kind
    takes the side of whoever the text says leads it."""
    lows = tk.lows
    for idx, a in enumerate(sc.actors):
        if a.label not in ("anaphor", "generic"):
            continue
        q = a.j
        if q < tk.n and lows[q] == ",":
            q += 1
        if q < tk.n and lows[q] in ("which", "who", "that"):
            q += 1
            if q < tk.n and lows[q] in ("is", "are", "was", "were", "has", "have", "had", "been"):
                q += 1
            if q < tk.n and lows[q] in ("been",):
                q += 1
        if q + 1 >= tk.n or lows[q] not in _LED or lows[q + 1] != "by":
            continue
        b = sc.actor_at.get(q + 2)
        if b is None or b.label in ("never", "anaphor", "generic"):
            continue
        sc.actors[idx] = new = ActorM(a.i, a.j, a.start, a.end, a.text, b.label)
        sc.actor_at[a.i] = new
        sc.actor_end[a.j] = new


def _replace_actor(tk: Tokens, sc: Scan, a, head: ActorM | None, i: int, label: str) -> None:
    """One actor from token ``i`` to the end of ``a`` (a side or a seat), replacing ``head`` and ``a``."""
    new = ActorM(i, a.j, tk.starts[i], tk.ends[a.j - 1], tk.text[tk.starts[i]:tk.ends[a.j - 1]], label)
    for old in (head, a):
        if isinstance(old, ActorM) and old in sc.actors:
            sc.actors.remove(old)
            sc.actor_at.pop(old.i, None)
            sc.actor_end.pop(old.j, None)
    sc.actors.append(new)
    sc.actors.sort(key=lambda m: m.i)
    sc.actor_at[new.i] = new
    sc.actor_end[new.j] = new


_DEFAULT_ACTORS: ActorTable | None = None


def default_actor_entries() -> list[tuple[str, str]]:
    """``(pattern, label)`` pairs of the packaged ``actors.yaml``."""
    import yaml

    doc = yaml.safe_load(resources.files("mapper.extract").joinpath("actors.yaml").read_text(encoding="utf-8"))
    return [(str(p), str(label)) for label, phrases in doc.items() for p in phrases]


# ------------------------------------------------------------------------------ places

_CONNECT = frozenset({"al", "el", "ad", "ar", "as", "az", "ash", "at", "an", "ez", "es", "ed", "er", "en", "et",
                      "abu", "bin", "ibn", "bani", "um", "umm", "ul", "il", "de", "di"})
_ENGLISH_CONNECT = frozenset({"as", "at", "an", "en", "ed", "er", "et", "um", "bin", "de", "di", "il"})
_SUFFIX_WORDS = frozenset({"province", "governorate", "dam", "airbase", "base", "airport", "airfield", "crossing", "military",
                           "refinery", "district", "camp", "field", "oilfield", "basin", "air", "countryside",
                           "region", "canton"})
_MARK_CHARS = ("‘", "ʿ", "'", "’", "`")
_MARKS = frozenset(_MARK_CHARS)
#: the spellings of a name's generic first word, tried when the name as written is not in the gazetteer
_HEAD_SPELLINGS = {
    "tel": ("tall", "tal", "tell"), "tal": ("tall", "tel", "tell"), "tall": ("tal", "tel", "tell"),
    "tell": ("tall", "tal", "tel"), "deir": ("dayr", "dair", "der"), "dayr": ("deir", "dair"),
    "dair": ("deir", "dayr"), "ain": ("ayn", "ein", "ayin"), "ayn": ("ain", "ein"), "ein": ("ain", "ayn"),
    "jabal": ("jebel", "jabel", "jbel"), "jebel": ("jabal", "jabel"), "kafr": ("kfar", "kufr"),
    "kfar": ("kafr",), "khirbet": ("khirbat", "khirbit"), "khirbat": ("khirbet",), "qasr": ("kasr",),
    "bir": ("beer", "bi'r"), "umm": ("um", "om"), "um": ("umm",), "abu": ("abou",), "abou": ("abu",),
}
#: generic heads that are never a place on their own ("Tall" of "Tall Bia", "Deir" of "Deir Hafer")
_GENERIC_HEADS = frozenset({"tall", "tell", "tel", "tal", "jabal", "jebel", "wadi", "ain", "ayn", "deir", "dayr",
                            "qasr", "kafr", "umm", "um", "ras", "bir", "khirbat", "khirbet", "sheikh", "shaykh",
                            "abu", "bab", "birkat", "tulul", "mazraat", "qaryat", "arab", "beit", "bayt", "hay",
                            "hayy", "nahr", "jisr", "suq", "souq", "al"})
#: natural features: "Yarmouk Basin" is not the town of Yarmouk
_NATURAL = frozenset({"basin", "valley", "river", "mountain", "mountains", "desert", "plain", "plains", "lake",
                      "canal", "gulf", "heights", "plateau", "range", "mount", "hills", "sea"})
_OUTLET_WORDS = frozenset({"news", "today", "times", "post", "agency", "network", "channel", "radio", "daily",
                           "tribune", "herald", "journal", "press", "online", "media", "satellite", "tv",
                           "television", "24", "magazine", "gazette", "observer", "telegraph", "monitor",
                           "weekly", "point", "world", "review", "insider", "report", "chronicle", "star"})
#: nouns that make the name before "'s" a person's: "X's home town", "X's birthplace"
_PERSONAL = frozenset({"home", "hometown", "birthplace", "native", "family", "son", "sons", "daughter", "wife",
                       "widow", "brother", "father", "mother", "clan", "tribe", "loyalists", "regime", "party",
                       "government", "administration", "death", "execution", "speech", "successor"})
_TITLES = frozenset({"president", "minister", "mayor", "gen", "general", "commander", "spokesman", "spokeswoman",
                     "colonel", "col", "brigadier", "lieutenant", "lt", "dr", "mr", "mrs", "ms", "imam", "governor",
                     "emir", "king", "prince", "secretary", "envoy", "ambassador", "chief", "leader", "sgt", "maj",
                     "capt", "major", "captain", "ayatollah", "cleric", "senator", "premier"})
_PLACE_SLOT_BEFORE = frozenset({"village", "villages", "town", "towns", "city", "cities", "district", "districts",
                                "neighbourhood", "neighbourhoods", "neighborhood", "neighborhoods", "area", "areas",
                                "suburb", "suburbs", "hill", "hills", "region", "quarter", "quarters", "locality",
                                "camp", "complex", "settlement", "hamlet", "hamlets"})
_PLACE_SLOT_AFTER = frozenset({"village", "villages", "district", "districts", "neighbourhood", "neighbourhoods",
                               "neighborhood", "neighborhoods", "area", "hill", "complex", "camp", "quarter",
                               "suburb", "town", "region", "base", "crossing", "regiment"})
#: auxiliaries and adverbs between a place subject and its verb ("P has finally been retaken")
_SUBJECT_AUX = frozenset({"was", "were", "is", "are", "has", "have", "had", "been", "being", "finally", "fully",
                          "completely", "also", "then", "now", "quickly", "later", "eventually", "once", "largely"})
#: the second word of a border facility's generic head: "the X border crossing"
_BORDER_HEADS = frozenset({"crossing", "post", "gate", "point"})
#: months and days, written capitalised, are never names of places ("BEIRUT, Nov 10 (AFP)")
_CALENDAR = frozenset({"jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
                       "january", "february", "march", "april", "june", "july", "august", "september", "october",
                       "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                       "sunday", "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun"})
_NOT_NAMES = frozenset({"the", "a", "an", "this", "that", "those", "these", "some", "several", "two", "three", "four",
                        "five", "many", "other", "most", "all", "both", "first", "second", "eastern", "western",
                        "northern", "southern", "central", "upper", "lower", "old", "new", "in", "on", "at", "and",
                        "but", "with", "after", "before", "its", "their", "his", "her"})
_AREA_CODES = frozenset({"PCLI", "PCL", "PCLD", "PCLS", "PCLIX", "CONT", "RGN", "TERR", "ZN"})
_ADMIN_CODES = frozenset({"ADM1", "ADMD", "ADM2"})
_DEMONYM_COUNTRY = {"syrian": "SY", "syrians": "SY", "syria's": "SY", "iraqi": "IQ", "iraqis": "IQ", "turkish": "TR",
                    "jordanian": "JO", "lebanese": "LB", "iranian": "IR", "saudi": "SA"}
_DATE_CUES = frozenset({
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "yesterday", "today",
    "tonight", "ago", "week", "weekend", "month", "year", "earlier", "later", "last", "night", "morning",
    "evening", "afternoon", "day", "summer", "winter", "spring", "autumn", "fall", "months", "weeks", "days",
    "years", "hours", "dawn",
})


_CAPITAL_MARKS = "‘ʿ'’"


def _capital(word: str) -> bool:
    c = word[:1]
    return c.isupper() or (c in _CAPITAL_MARKS and word[1:2].isupper())


def _place_kind(gaz, rows: Mapping[int, float]) -> str:
    codes = {gaz._col["feature_code"][r] for r in rows}
    classes = {gaz._col["feature_class"][r] for r in rows}
    if codes and codes <= _AREA_CODES:
        return "country"
    if codes and codes <= (_ADMIN_CODES | _AREA_CODES):
        return "admin1"
    if "P" in classes:
        return "settlement"
    return "feature"


def _kind_of(gaz, key: str) -> str:
    """:func:`_place_kind` of the rows of a name key, worked out once per key and gazetteer."""
    memo = gaz.__dict__.get("_mapper_kind_of")
    if memo is None:
        memo = gaz.__dict__["_mapper_kind_of"] = {}
    got = memo.get(key)
    if got is None:
        got = memo[key] = _place_kind(gaz, gaz._index[key])
    return got


def scan(tk: Tokens, layout: Layout, *, gazetteer, grammar: Grammar, actors: ActorTable) -> Scan:
    """Find every place, actor, trigger and date cue of an article in one pass."""
    words, lows, starts, ends, text = tk.words, tk.lows, tk.starts, tk.ends, tk.text
    sc = Scan()
    index = gazetteer._index
    notable_arr = gazetteer._notable
    strong_arr = gazetteer._strong
    stop = type(gazetteer)._STOP
    given = type(gazetteer)._GIVEN_NAMES
    cues = type(gazetteer)._CUES
    table = grammar._table
    cue_words = grammar.cue_words
    sentences = layout.sentences
    # per sentence, with set operations in C: a trigger word? a date cue?
    cue_sentence = [not cue_words.isdisjoint(lows[s.i:s.j]) for s in sentences]
    digit_at = [i for i, w in enumerate(words) if w[:1].isdigit()]  # tokens opening with a digit
    date_cue = [not _DATE_CUES.isdisjoint(lows[s.i:s.j]) or bisect_left(digit_at, s.i) < bisect_left(digit_at, s.j)
                for s in sentences]
    sc.demonym_countries.update(_DEMONYM_COUNTRY[w] for w in _DEMONYM_COUNTRY.keys() & set(lows))
    for i in [i for i, w in enumerate(lows) if w in table]:
        hit = _trigger_at(tk, i, table[lows[i]])
        if hit is not None:
            sc.triggers.append(hit)
    trigger_ends = {t.j for t in sc.triggers if not t.form.is_noun}
    # where a name is the subject a verb acts on: "P was overrun", "P has been retaken", "P fell"
    place_subject_at = {t.i: t.form.participle for t in sc.triggers
                        if not t.form.is_noun and (t.form.participle or t.form.frame.name == "fall")}
    regex_hits: dict[int, tuple[int, str]] = {}
    for rx, label in actors.patterns:  # user patterns: their spans, snapped to tokens
        for m in rx.finditer(text):
            a, b = tk.index_at(m.start()), tk.index_at(m.end() - 1) + 1
            if a < b and (a not in regex_hits or regex_hits[a][0] < b):
                regex_hits[a] = (b, label)
    root = actors._trie
    # only tokens that can open an actor phrase or a place name are tried
    openers = actors.openers()
    cands = [i for i, (w, low) in enumerate(zip(words, lows)) if w[0].isupper() or low in openers or w[0] in _MARKS]
    if regex_hits:
        cands = sorted(set(cands) | regex_hits.keys())
    bounds_i = [s.i for s in sentences]
    second: list[tuple] = []
    taken_upto = -1  # tokens before this index are inside a place or an actor already
    for i in cands:
        if i < taken_upto:
            continue
        w = words[i]
        low = lows[i]
        am = regex_hits.get(i) or (actors.match(words, lows, i) if low in root else None)
        if am is not None:
            j, label = am
            a = ActorM(i, j, starts[i], ends[j - 1], text[starts[i]:ends[j - 1]], label)
            sc.actors.append(a)
            sc.actor_at[i] = a
            sc.actor_end[j] = a
        pm = _place_at(tk, i, index, stop) if (_capital(w) or low in _CONNECT) else None
        if pm is not None:
            j, key = pm
            rows = index[key]
            notable = strong = False
            for r in rows:  # (a few rows: plain indexing beats a numpy gather)
                if notable_arr[r]:
                    notable = True
                if strong_arr[r]:
                    strong = True
            if j - i == 1 and low.lstrip("‘ʿ") in given:
                notable = strong = False
            prev = lows[i - 1] if i > 0 else ""
            cue = prev in cues or i in trigger_ends  # "liberated al-Rai": the object of a trigger
            if not cue and place_subject_at:
                q = j
                while q < j + 4 and q < tk.n and lows[q] in _SUBJECT_AUX:
                    q += 1
                cue = q in place_subject_at and (place_subject_at[q] == (q > j))
            k = bisect_right(bounds_i, i) - 1
            keep = _keep_place(tk, i, j, notable=notable, strong=strong, cue=cue, sent_start=sentences[k].i)
            if not keep and am is None and _keep_place(tk, i, j, notable=notable, strong=strong, cue=True,
                                                       sent_start=sentences[k].i):
                second.append((i, j, key, notable, rows))  # no cue here: a place if named so elsewhere
            if am is not None and am[0] > j:
                keep = False  # "Ankara-backed rebels": the place names the actor
                taken_upto = am[0]
            if keep and (am is None or am[0] <= j or strong):
                s0 = starts[i]
                if i > 0 and words[i - 1] in _MARK_CHARS and ends[i - 1] == s0 and (i < 2 or ends[i - 2] < starts[i - 1]):
                    s0 = starts[i - 1]
                p = PlaceM(i, j, s0, ends[j - 1], text[s0:ends[j - 1]], key, True, notable, cue)
                p.kind = _kind_of(gazetteer, key)
                sc.places.append(p)
                sc.place_at[i] = p
                sc.place_end[j] = p
                taken_upto = j
                if am is not None and am[0] <= j:
                    # "Damascus" the place, not an actor phrase inside it
                    sc.actors.pop()
                    del sc.actor_at[i]
                    del sc.actor_end[am[0]]
        elif am is not None:
            taken_upto = am[0]
    # a name the text writes again without a cue ("Jalawla had been taken ..."): a place when
    # another mention of it is one
    kept = {p.key for p in sc.places}
    used = set()
    for p in sc.places:
        used.update(range(p.i, p.j))
    for a in sc.actors:
        used.update(range(a.i, a.j))
    added = False
    for i, j, key, notable, _rows in second:
        # named elsewhere as a place, or coordinated with a place here ("Laylan and Daquq")
        coordinated = (j < tk.n and lows[j] in ("and", ",", "or") and (j + 1) in sc.place_at) or (
            i >= 1 and lows[i - 1] in ("and", ",", "or") and (i - 1) in sc.place_end
            and sc.place_end[i - 1].kind == "settlement")
        if (key in kept or coordinated) and not any(q in used for q in range(i, j)):
            p = PlaceM(i, j, starts[i], ends[j - 1], text[starts[i]:ends[j - 1]], key, True, notable, False)
            p.kind = _kind_of(gazetteer, key)
            sc.places.append(p)
            sc.place_at[i] = p
            sc.place_end[j] = p
            used.update(range(i, j))
            added = True
    if added:
        sc.places.sort(key=lambda p: p.i)
    _coordinated_demonyms(tk, sc, actors)
    _allegiance(tk, sc)
    _led_by(tk, sc)
    _command_of(tk, sc)
    if "its" in tk.lows:
        _state_troops(tk, sc)
    # places named inside an actor phrase ("rebels backed by Turkey"): listed, never claimed
    for a in list(sc.actors):
        # (from its first word too: "Iraq's army" names Iraq)
        for i in range(a.i + (0 if a.j - a.i > 1 and lows[a.i + 1] in ("'s", "’s") else 1), a.j):
            if words[i][:1].isupper() and i not in sc.place_at:
                pm = _place_at(tk, i, index, stop)
                if pm is not None and pm[0] <= a.j:
                    p = PlaceM(i, pm[0], starts[i], ends[pm[0] - 1], text[starts[i]:ends[pm[0] - 1]], pm[1], True, True,
                               False)
                    p.kind = _kind_of(gazetteer, pm[1])
                    p.in_actor = True
                    sc.places.append(p)
    sc.places.sort(key=lambda p: p.i)
    sc.date_cue = date_cue
    sc.cue_sentence = cue_sentence
    if sc.triggers:
        # a trigger word inside an actor or a place name is a noun there ("Iraqi forces")
        inside = set()
        for a in sc.actors:
            inside.update(range(a.i, a.j))
        for p in sc.places:
            inside.update(range(p.i, p.j))
        sc.triggers = [t for t in sc.triggers if t.i not in inside]
    _unknown_names(tk, layout, sc, stop)
    # a name before "'s home town", "'s birthplace" is a person's, whichever way it was found
    drop = [p for p in sc.places if p.j + 1 < tk.n and lows[p.j] in ("'s", "’s") and lows[p.j + 1] in _PERSONAL]
    for p in drop:
        sc.places.remove(p)
        sc.place_at.pop(p.i, None)
        sc.place_end.pop(p.j, None)
    return sc


#: adverbs of degree between a verb and its particle
_DEGREE = frozenset({"deeper", "further", "farther", "deep", "far", "closer", "back", "swiftly", "quickly"})


#: a side's own men, the object of a withdrawal ("pulled its troops out of P")
_OWN_MEN = frozenset({"fighters", "forces", "troops", "units", "men", "soldiers", "militants", "personnel",
                      "garrison", "members"})


def _trigger_at(tk: Tokens, i: int, forms: tuple[TriggerForm, ...]) -> TrigM | None:
    lows = tk.lows
    n = tk.n
    for f in forms:
        j = i + 1
        late = -1
        if f.particle:
            m = len(f.particle)
            if tuple(lows[j:j + m]) == f.particle:
                j += m
            elif lows[j:j + 1] and lows[j] in _DEGREE and tuple(lows[j + 1:j + 1 + m]) == f.particle:
                j += 1 + m  # "pushed deeper into P", "moved further into P"
            elif f.frame.name == "withdraw" and lows[j:j + 1] and lows[j] in ("its", "their", "his", "the", "all"):
                # "pulled their last fighters out of P": the side's own men between verb and particle
                q = j + 1
                while q < min(n, j + 5) and lows[q] not in _OWN_MEN:
                    q += 1
                if q < n and lows[q] in _OWN_MEN and tuple(lows[q + 1:q + 1 + m]) == f.particle:
                    j = q + 1 + m
                else:
                    continue
            elif f.frame.name == "expel" and f.particle[0] in ("out",):
                # "drove the militants out of P": the particle after the object
                for q in range(j, min(n, j + 8)):
                    if lows[q] in (".", ";", ",") and q > j:
                        break
                    if tuple(lows[q:q + m]) == f.particle:
                        late = q
                        break
                if late < 0:
                    continue
            else:
                continue
        if f.not_before:
            nxt = lows[j:j + 3]
            if any(tuple(nxt[:len(nb)]) == nb for nb in f.not_before):
                continue
        if f.needs:
            window = lows[j:j + 12]
            if not any(w in f.needs for w in window):
                continue
        return TrigM(i, j, f, late)
    return None


def _place_at(tk: Tokens, i: int, index: Mapping[str, object], stop: frozenset) -> tuple[int, str] | None:
    """``(end, key)`` of the longest gazetteer name starting at token ``i``."""
    words, lows, starts, ends, text = tk.words, tk.lows, tk.starts, tk.ends, tk.text
    n = tk.n
    w = words[i]
    low = lows[i]
    if not _capital(w):
        # an Arabic article opens a name only before a capital (al-Qaim, ar-Raqqa)
        if i + 1 >= n:
            return None
        hyphen = words[i + 1] == "-" and tk.glued(i + 1)
        nxt = i + 2 if hyphen else i + 1
        if nxt >= n or not _capital(words[nxt]) or (low in _ENGLISH_CONNECT and not hyphen):
            return None
    best = None
    j = i
    last_word = i
    while j < n and j - i < 8:
        wj = words[j]
        if j > i:
            gap = text[ends[j - 1]:starts[j]]
            if wj in ("-", "‐", "‑") and not gap and j + 1 < n and (tk.glued(j + 1) or lows[j - 1] in _CONNECT):
                j += 1
                continue
            if wj in _MARK_CHARS and not gap and j + 1 < n and tk.glued(j + 1) and _capital(words[j + 1]):
                j += 1  # "Ras Al-‘Ayn"
                continue
            after_hyphen = words[j - 1] in ("-", "‐", "‑") or words[j - 1] in _MARK_CHARS
            if gap not in (" ", "") or (gap == "" and not after_hyphen):
                break
            if gap == " " and after_hyphen and lows[j - 2] not in _CONNECT:
                break
            lj = lows[j]
            if not (_capital(wj) or lj in _CONNECT or lj in _SUFFIX_WORDS or (after_hyphen and wj.isalpha())):
                break
        j += 1
        last_word = j
        if j - i == 1 and (low in stop or low in _GENERIC_HEADS):
            continue
        if lows[j - 1] in _CONNECT:
            continue
        key = fold(text[starts[i]:ends[j - 1]])
        # a two-letter key only with the Arabic article before it ("al-Rai"): alone it is noise
        if (len(key) >= 3 or (len(key) == 2 and j - i >= 3 and low in _CONNECT)) and key in index:
            best = (j, key)
        elif j - i >= 2 and low in _HEAD_SPELLINGS:
            # the generic first word spelled another way: "Tel Tamr" for Tall Tamr, "Dayr Hafir"
            head = fold(low)
            for other in _HEAD_SPELLINGS[low]:
                alt = fold(other) + key[len(head):] if key.startswith(head) else ""
                if alt and alt in index:
                    best = (j, alt)
                    break
    del last_word
    if best is not None and best[0] < n and lows[best[0]] in _NATURAL and _capital(words[best[0]]):
        return None  # "the Yarmouk Basin": a natural feature, not the place named Yarmouk
    return best


#: news outlets whose names read like places ("Al-Jazeera" is also a village)
_OUTLETS = frozenset(fold(n) for n in (
    "Al Jazeera", "Al Arabiya", "Al Hadath", "Al Masdar", "Al Sumaria", "Al Forat", "Al Manar", "Al Mayadeen TV",
    "Asharq Al-Awsat", "Al Akhbar", "Al Ahram", "Al Quds", "Al Hayat", "Rudaw", "Kurdistan 24", "Anadolu",
    "SANA",  # the Syrian Arab News Agency (also spelled like a village, and like Yemen's capital)
))


def _keep_place(tk: Tokens, i: int, j: int, *, notable: bool, strong: bool, cue: bool, sent_start: int) -> bool:
    """Whether a gazetteer match is a place here, not a person, an outlet or a common word."""
    words, lows = tk.words, tk.lows
    if fold(tk.text[tk.starts[i]:tk.ends[j - 1]]) in _OUTLETS:
        return False
    n = tk.n
    prev = lows[i - 1] if i > sent_start else ""  # the word before, in this sentence
    if prev.rstrip(".") in _TITLES:
        return False  # "President Bashar", "Gen. Hamid"
    if j - i == 1 and lows[i].rstrip(".") in _CALENDAR:
        return False  # "BEIRUT, Nov 10": a month, not the village of that name
    if i - 3 >= sent_start and words[i - 1] == "-" and lows[i - 2] in _CONNECT and _capital(words[i - 3]) \
            and tk.glued(i - 1) and tk.glued(i):
        return False  # the tail of a longer name: "Salama" in "Bab al-Salama"
    if not notable and j + 1 < n and words[j] == "-" and tk.glued(j) and tk.glued(j + 1) \
            and words[j + 1][:1].islower() and lows[j + 1] not in _CONNECT:
        return False  # a compound word: "Mine-clearing teams" (a known town stays: "Anbar-based")
    if j + 1 < tk.n and lows[j] in ("'s", "’s") and lows[j + 1] in _PERSONAL:
        return False  # "Saddam Hussein's home town": a person's
    # an outlet named after a place: "Baghdad Today", "Pakistan Point News"
    if j < n and lows[j] in _OUTLET_WORDS and _capital(words[j]) and not tk.text[tk.ends[j - 1]:tk.starts[j]].strip():
        return False
    before_cap = i > sent_start and _capital(words[i - 1]) and words[i - 1].isalpha() \
        and not tk.text[tk.ends[i - 1]:tk.starts[i]].strip() and prev not in _OPENING_ADJECTIVES
    after_cap = j < n and _capital(words[j]) and words[j].isalpha() and not tk.text[tk.ends[j - 1]:tk.starts[j]].strip() \
        and lows[j] not in _CALENDAR  # ("took Bartella Thursday morning": a day, not more of a name)
    inside_name = before_cap or after_cap
    if inside_name and not strong:
        return False
    if notable or cue:
        return True
    if i == sent_start and j < n and words[j] in (",", "(", "-", "–", "—"):
        return True  # a dateline: "QAYYARAH, Iraq (AP) -"
    # a list or an appositive that makes it a place: "nearby Y", "Y, a village"
    if prev in ("nearby", "neighbouring", "neighboring", "adjacent", "and", ",") or lows[i - 2:i] == ["as", "well"]:
        return True
    nxt = lows[j:j + 4]
    if nxt[:1] in ([","], ["and"]) and any(w in _PLACE_SLOT_BEFORE for w in nxt):
        return True
    if nxt[:1] == ["border"] and nxt[1:2] and nxt[1] in _BORDER_HEADS:
        return True  # a facility named with its generic head: "the X border crossing"
    return bool(nxt) and nxt[0] in _PLACE_SLOT_AFTER


#: capitalised words that open a sentence before a name without being part of it ("Nearby Mahin")
_OPENING_ADJECTIVES = frozenset({"the", "nearby", "neighbouring", "neighboring", "adjacent", "including", "outlying",
                                 "besieged", "embattled", "liberated"})
#: words that may follow a place named as a verb's object ("seized al-Ayadiya on Thursday")
_AFTER_OBJECT = frozenset({",", ".", ";", ":", "on", "in", "from", "after", "and", "near", "north", "south", "east",
                           "west", "northeast", "northwest", "southeast", "southwest", "early", "late", "last",
                           "this", "yesterday", "today", "(", "-", "–", "—", "outside", "overnight"})
#: nationality and group words that start capitalised but name no place
_DEMONYM_WORDS = frozenset({"iraqi", "syrian", "kurdish", "turkish", "american", "russian", "iranian", "arab", "shiite",
                            "sunni", "yazidi", "christian", "christians", "yazidis", "kurds", "arabs", "turkmen",
                            "assyrian", "islamic", "jihadist", "western", "us", "u.s.", "coalition"})


def _title_cased(words: list[str], i: int, j: int) -> bool:
    """A headline written in title case (most words of four letters or more capitalised)."""
    long = [w for w in words[i:j] if len(w) > 3 and w.isalpha()]
    return len(long) >= 3 and sum(w[0].isupper() for w in long) >= 0.8 * len(long)
#: the words that open a place slot in :func:`_unknown_names` (each branch there starts with one)
_SLOT_CUES = frozenset({"of", "including", "namely", "are", "as", ":", "—", "–", "were", ",", "and",
                        "border"}) | _PLACE_SLOT_AFTER


def _unknown_names(tk: Tokens, layout: Layout, sc: Scan, stop: frozenset) -> None:
    """Capitalised names in place slots that the gazetteer lacks: "the villages of A and B",
    "the N district", "including A, B and C" after a plural place noun."""
    words, lows, starts, ends, text = tk.words, tk.lows, tk.starts, tk.ends, tk.text
    n = tk.n
    covered = set()
    for p in sc.places:
        covered.update(range(p.i, p.j))
    for a in sc.actors:
        covered.update(range(a.i, a.j))
    found: list[PlaceM] = []

    def name_at(q: int, *, listed: bool = False) -> int:
        """End of a capitalised name starting at ``q`` (``q`` when none)."""
        if q >= n or q in covered:
            return q
        r = q
        while r < n and r - q < 5 and r not in covered:
            w = words[r]
            if r > q:
                gap = text[ends[r - 1]:starts[r]]
                if gap not in (" ", ""):
                    break
            if w in ("-", "'", "’", "‘") and r > q and r + 1 < n and tk.glued(r) and tk.glued(r + 1):
                r += 1
                continue
            if w == "-" and r > q and r + 1 < n and tk.glued(r) and lows[r - 1] in _CONNECT and _capital(words[r + 1]):
                r += 1  # "Al- Baghaliyeh": an article, a hyphen and a space
                continue
            lw = lows[r]
            if _capital(w) and w[:1].isalpha() and (lw not in _NOT_NAMES or (listed and r + 1 < n and _capital(words[r + 1])
                                                                          and lows[r + 1] not in stop)) and (
                    lw not in stop or (listed and r + 1 < n and _capital(words[r + 1]) and lows[r + 1] not in stop
                                       and not text[ends[r]:starts[r + 1]].strip())):
                r += 1
                continue
            if lw in _CONNECT and r + 1 < n and (_capital(words[r + 1]) or words[r + 1] == "-"):
                r += 1
                continue
            break
        while r > q and lows[r - 1] in _CONNECT:
            r -= 1
        if r > q and words[r - 1] == "-" and r < n and tk.glued(r) and not _capital(words[r]):
            return q  # "Arabic-language": a compound adjective, not a name
        return r

    def add(q: int, r: int) -> None:
        if r <= q or (r - q == 1 and lows[q].rstrip(".") in _CALENDAR):
            return
        s, e = starts[q], ends[r - 1]
        found.append(PlaceM(q, r, s, e, text[s:e], fold(text[s:e]), False, kind="unknown"))
        covered.update(range(q, r))

    def run_list(q: int) -> None:
        """A list of names from token ``q``: "A, B, C and D"."""
        while q < n:
            while q < n and lows[q] in ("the", "first", "second", "and"):
                q += 1
            r = name_at(q, listed=True)
            if r == q:
                if q in sc.place_at:
                    r = sc.place_at[q].j
                else:
                    return
            else:
                add(q, r)
            if r < n and lows[r] in (",", "and"):
                q = r + 1
                if q < n and lows[q] == "and":
                    q += 1
                continue
            return

    # only the words that open one of the slots below are looked at
    cue_at = [q for q, w in enumerate(lows) if w in _SLOT_CUES]
    for s in layout.sentences:
        here = cue_at[bisect_left(cue_at, s.i):bisect_left(cue_at, s.j)]
        if not here or _title_cased(words, s.i, s.j):
            continue  # "Iraq Forces Retake Key Town": capitals there are no sign of a name
        for q in here:
            low = lows[q]
            if low == "of" and q > s.i and lows[q - 1] in _PLACE_SLOT_BEFORE:
                run_list(q + 1)
            elif low in ("including", "namely") and q > s.i:
                back = lows[max(s.i, q - 10):q]
                if any(b in _PLACE_SLOT_BEFORE for b in back):
                    run_list(q + 1)
            elif low in ("are", "as", ":", "—", "–", "were") and q > s.i and (
                    lows[q - 1] in _PLACE_SLOT_BEFORE or any(b in _PLACE_SLOT_BEFORE for b in lows[max(s.i, q - 6):q])
                    and low in (":", "—", "–")):
                run_list(q + 1)
            elif low in ("of", "liberation", "capture") and q + 1 < s.j and lows[q] == "of" and q > s.i \
                    and lows[q - 1] in ("liberation", "capture", "recapture", "control", "fall"):
                run_list(q + 1)  # "the liberation of A, B and C"
            elif low == "," and q + 2 < s.j and lows[q + 1] in ("a", "an", "the") and q - 1 not in covered \
                    and (lows[q + 2] in _PLACE_SLOT_BEFORE or q + 3 < s.j and lows[q + 3] in _PLACE_SLOT_BEFORE) \
                    and _capital(words[q - 1]):
                # "Arab Ezza, a village near ..."
                p = q - 1
                while p > s.i and p - 1 not in covered and (_capital(words[p - 1]) or lows[p - 1] in _CONNECT
                                                            or words[p - 1] in ("-", "‘")) and lows[p - 1] not in _NOT_NAMES:
                    p -= 1
                if p > s.i and lows[p] not in _NOT_NAMES:
                    add(p, q)
            elif low in ("and", ",") and q > s.i and q - 1 in covered and q + 1 < s.j and q + 1 not in covered \
                    and _capital(words[q + 1]) and any(pl.j == q for pl in sc.places if pl.known):
                # "north of Raqqa and Y": a name coordinated with a place
                r = name_at(q + 1)
                if r > q + 1 and (r >= s.j or lows[r] in (".", ",", "and", "in", "on", "near", "from")):
                    add(q + 1, r)
            elif (low in _PLACE_SLOT_AFTER or low == "border" and q + 1 < s.j and lows[q + 1] in _BORDER_HEADS) \
                    and q > s.i and _capital(words[q - 1]) and (q - 1 not in covered or q in sc.place_end):
                # "the Mashhour district", "Kocho village", "the A and B districts"
                r = q
                if q in sc.place_end:  # a gazetteer name before the noun: the list may go on before it
                    p = sc.place_end[q].i
                    known = True
                else:
                    known = False
                    p = q - 1
                    while p > s.i and p - 1 not in covered and (_capital(words[p - 1]) or lows[p - 1] in _CONNECT
                                                                or words[p - 1] == "-") \
                            and lows[p - 1] not in stop and lows[p - 1] not in _NOT_NAMES:
                        p -= 1
                if known or (lows[p] not in stop and lows[p] not in _NOT_NAMES and p > s.i):
                    if not known:
                        add(p, r)
                    # the names before it in the same list: "A, B and C districts"
                    q2 = p - 1
                    while q2 > s.i and lows[q2] in (",", "and"):
                        e2 = q2
                        b2 = e2 - 1
                        while b2 > s.i and b2 - 1 not in covered and (_capital(words[b2 - 1]) or lows[b2 - 1] in _CONNECT
                                                                      or words[b2 - 1] == "-") \
                                and lows[b2 - 1] not in _NOT_NAMES and lows[b2 - 1] not in stop:
                            b2 -= 1
                        if b2 in covered or not _capital(words[b2]) or lows[b2] in stop or b2 >= e2:
                            break
                        add(b2, e2)
                        q2 = b2 - 1
                        if q2 > s.i and lows[q2] == "and" and lows[q2 - 1] == ",":
                            q2 -= 1
    # a name and its other name in brackets: "Cinderes (Jandairis)", "Tal Abyad (Gire Spi)"
    for q in [q for q, w in enumerate(words) if w == "(" and 0 < q < n - 2]:
        known_in = sc.place_at.get(q + 1)
        known_before = sc.place_end.get(q)
        if known_in is not None and known_in.j < n and words[known_in.j] == ")" and known_before is None \
                and q - 1 not in covered and _capital(words[q - 1]) and lows[q - 1] not in stop:
            p = q - 1
            while p > 0 and p - 1 not in covered and (_capital(words[p - 1]) or lows[p - 1] in _CONNECT) \
                    and lows[p - 1] not in stop and lows[p - 1] not in _NOT_NAMES and q - p < 4 \
                    and not text[ends[p - 1]:starts[p]].strip():
                p -= 1
            if lows[p] not in _NOT_NAMES and lows[p] not in _DEMONYM_WORDS:
                add(p, q)
        elif known_before is not None and known_in is None and q + 1 not in covered and _capital(words[q + 1]):
            r = name_at(q + 1)
            if r > q + 1 and r < n and words[r] == ")" and not any(lows[x] in _DEMONYM_WORDS for x in range(q + 1, r)):
                add(q + 1, r)
    # the object of a trigger verb, when a boundary follows it: "troops seized al-Ayadiya on Thursday"
    for t in sc.triggers:
        q = t.j
        if t.form.is_noun or q >= n or q in covered or not (_capital(words[q]) or lows[q] in _CONNECT):
            continue
        if lows[q] in stop or lows[q] in _NOT_NAMES or lows[q] in _DEMONYM_WORDS:
            continue
        r = name_at(q)
        if r > q and (r >= n or lows[r] in _AFTER_OBJECT) and not any(lows[x] in _DEMONYM_WORDS for x in range(q, r)):
            add(q, r)
    # a dateline opens with a place: "Damacus, July 6 (IANS) -" names one even when misspelt
    for a, _b in layout.dateline_spans:
        if a < n and a not in covered and _capital(words[a]) and lows[a] not in stop:
            r = name_at(a)
            if r > a and r < n and lows[r] == ",":
                add(a, r)
    # a name found once in a place slot is a place wherever the text writes it again, and a
    # name spelled within a letter or two of a place the text names is that place misspelt
    # ("Jurf al-Shakar" beside "Jurf al-Sakhar")
    keys = {p.key for p in found if len(p.key) >= 4}
    named = {fold(p.text): p.text for p in list(sc.places) + found if len(fold(p.text)) >= 5}
    if named:
        from rapidfuzz import fuzz, process

        names = list(named)
        body = [False] * n
        for sent in layout.sentences:
            if sent.part == "body":
                body[sent.body_start:sent.j] = [True] * (sent.j - sent.body_start)
        # the tokens that can open a name (what "covered" holds changes as names are added)
        opens = [q for q, (w, low) in enumerate(zip(words, lows)) if body[q] and w.isalpha()
                 and (w[0].isupper() or w[0] in _CAPITAL_MARKS and w[1:2].isupper())  # _capital(w)
                 and low not in stop and low not in _NOT_NAMES]
        resume = 0
        for q in opens:
            if q < resume or q in covered:
                continue
            r = name_at(q)
            if r > q:
                key = fold(text[starts[q]:ends[r - 1]])
                got = process.extractOne(key, names, scorer=fuzz.ratio, score_cutoff=80) if len(key) >= 5 else None
                if got is not None and got[0][0] == key[0] and key not in named:
                    add(q, r)
                    resume = r
    if keys:
        resume = 0
        for q in [q for q, (w, low) in enumerate(zip(words, lows))
                  if w[0].isupper() or w[0] in _CAPITAL_MARKS and w[1:2].isupper() or low in _CONNECT]:
            if q < resume or q in covered:
                continue
            r = name_at(q)
            if r > q and fold(text[starts[q]:ends[r - 1]]) in keys:
                add(q, r)
                resume = r
    for p in found:
        sc.places.append(p)
        sc.place_at[p.i] = p
        sc.place_end[p.j] = p
    sc.places.sort(key=lambda p: p.i)
