"""Clauses: a sentence cut into chunks at commas and clause words, each with a type.

chunk_sentence(tk, i, j, ...)  -> list[Chunk]

A chunk is the stretch between two commas or clause words. Its type says how it hangs on
the rest of the sentence:

- ``main``: a clause with its own subject, or the continuation of one;
- ``rel``: a relative clause ("which IS seized in 2014"), about the noun before it;
- ``sub``: a subordinate clause ("after the army entered P", "when", "while", "since");
- ``part``: a free participle ("driving out the militants", "backed by Turkey");
- ``rpart``: a reduced passive after a comma, about the noun before it ("P, seized by IS in 2014,");
- ``report``: the reporting clause of a claim ("the Observatory said", "according to X");
- ``pp``: a prepositional phrase on its own ("On Sunday", "in northern Syria");
- ``appos``: an appositive noun phrase ("a town near the border").

The roles module reads subjects in the trigger's chunk first, then in the chunks it hangs on.
"""

from __future__ import annotations

from dataclasses import dataclass

from .text import Tokens

__all__ = ["Chunk", "chunk_sentence", "SUBORDINATORS", "RELATIVES", "REPORT_VERBS", "ADVERBS",
           "PREPOSITIONS", "PASSIVE_AUX", "HAVE_AUX"]

SUBORDINATORS = frozenset({"after", "before", "while", "whereas", "when", "because", "although", "though",
                           "but", "until", "unless", "since", "as", "following", "amid", "despite", "once",
                           "however", "whilst", "if", "whether", "so", "allowing", "leaving", "forcing",
                           "prompting", "sparking"})
RELATIVES = frozenset({"which", "who", "whom", "whose", "where"})
REPORT_VERBS = frozenset({"said", "says", "say", "told", "tells", "added", "stated", "states", "announced",
                          "announces", "reported", "reports", "confirmed", "confirms", "according", "claimed",
                          "claims", "noted", "explained", "declared", "quoted", "cited", "insisted", "warned"})
ADVERBS = frozenset({"now", "fully", "completely", "totally", "largely", "partially", "partly", "finally",
                     "already", "recently", "reportedly", "successfully", "effectively", "quickly", "swiftly",
                     "also", "officially", "just", "since", "eventually", "then", "later", "again", "still",
                     "apparently", "virtually", "almost", "nearly", "formally", "entirely", "initially",
                     "firmly", "allegedly", "briefly", "temporarily", "mostly", "all", "back",
                     "soon", "subsequently", "previously", "once", "first", "earlier",
                     "newly", "jointly", "quietly", "rapidly", "easily", "practically", "not", "never",
                     "themselves", "itself", "both", "each", "yet", "even", "only", "ultimately", "overnight",
                     "otherwise", "increasingly", "gradually", "steadily", "suddenly", "nominally", "technically", "essentially", "mainly"})
PREPOSITIONS = frozenset({"by", "with", "from", "against", "of", "to", "for", "alongside", "including", "between",
                          "among", "than", "versus", "vs", "on", "at", "in", "into", "under", "over", "near",
                          "toward", "towards", "via", "like", "unlike", "besides", "plus", "inside", "outside",
                          "around", "across", "behind", "through", "within", "without", "beyond", "upon",
                          "about", "after", "before", "during", "amid", "despite"})
PASSIVE_AUX = frozenset({"is", "are", "was", "were", "be", "been", "being", "get", "got", "gets", "gotten",
                         "getting", "become", "became", "remain", "remains", "remained"})
HAVE_AUX = frozenset({"has", "have", "had", "having", "'ve", "’ve", "'d", "’d"})
_HARD = frozenset({";", "—", "–", "--", "―", ":", "|"})
_PARTICIPLES_ED = frozenset({"backed", "supported", "located", "situated", "known", "made", "led", "aided",
                             "helped", "based", "armed", "funded", "considered", "home", "famed", "renowned",
                             "seen", "described", "dubbed", "called", "named", "formed", "established",
                             "launched", "assisted", "reinforced", "flanked", "accompanied"})
_NOT_PART_ING = frozenset({"during", "including", "according", "something", "nothing", "anything", "everything",
                           "morning", "evening", "spring", "string", "building", "buildings", "fighting", "king",
                           "following", "regarding", "concerning", "ring", "bring", "thing", "things", "wing",
                           "ceiling", "clothing", "shooting", "bombing", "bombings", "shelling", "uprising",
                           "meeting", "offering", "funding", "training", "ruling", "setting", "beginning"})
_DETS = frozenset({"the", "a", "an", "its", "their", "his", "her", "this", "that", "these", "those", "some",
                   "several", "many", "one", "two", "three", "four", "five", "another", "other", "most",
                   "all", "each", "every", "both"})
_DIRECTIONS = frozenset({"north", "south", "east", "west", "northeast", "northwest", "southeast", "southwest",
                         "north-east", "north-west", "south-east", "south-west"})
_CONJ = frozenset({"and", "or", "but", "then", "yet"})


@dataclass(slots=True)
class Chunk:
    """Tokens ``[i, j)`` of a sentence; ``head`` is the first token after a leading conjunction."""

    i: int
    j: int
    kind: str
    head: int


#: every word that one of the branches of :func:`chunk_sentence` starts with
_CUT_WORDS = _HARD | SUBORDINATORS | RELATIVES | REPORT_VERBS | {"-", ",", "that"}


def _is_ing(w: str) -> bool:
    return len(w) > 5 and w.endswith("ing") and w not in _NOT_PART_ING


def chunk_sentence(tk: Tokens, i: int, j: int, *, trigger_at: set[int], date_tokens: set[int],
                   noun_at: frozenset[int] | set[int] = frozenset()) -> list[Chunk]:
    """Chunks of the sentence ``[i, j)``.

    ``trigger_at`` holds the token indices of trigger words (a chunk with one is a clause,
    not a phrase); ``date_tokens`` the tokens inside date expressions.
    """
    lows = tk.lows
    cuts: list[int] = [i]
    # only words that can cut a sentence are looked at
    for q in [q for q in range(i, j) if lows[q] in _CUT_WORDS]:
        w = lows[q]
        if w in _HARD or (w == "-" and not tk.glued(q) and q + 1 < j and not tk.glued(q + 1)) or w == ",":
            cuts.append(q + 1)
        elif q > i and (w in SUBORDINATORS or w in RELATIVES) and lows[q - 1] != ",":
            if _opens_clause(tk, q, j, date_tokens):
                cuts.append(q)
        elif w == "that" and q > i and lows[q - 1] in REPORT_VERBS:
            cuts.append(q)
        elif w in REPORT_VERBS and q > i and w not in ("claims", "claimed", "reports", "states", "declared", "announced") \
                and q + 1 < j and lows[q + 1] in ("that", "it", "they", "he", "she", "its", "the", "on", "a"):
            cuts.append(q + 1)
    cuts.append(j)
    chunks: list[Chunk] = []
    for a, b in zip(cuts, cuts[1:]):
        if b <= a:
            continue
        c = _classify(tk, a, b, trigger_at, date_tokens, noun_at)
        if c.kind == "appos" and not chunks:
            c.kind = "main"  # a sentence opens with its subject, not with an appositive
        chunks.append(c)
    return chunks


def _date_after(lows: list[str], q: int, j: int, date_tokens: set[int]) -> int:
    """The date token a preposition at ``q`` governs ("since early 2014"), or -1."""
    d = q + 1
    while d < min(j, q + 5) and d not in date_tokens and lows[d] in DATE_QUALIFIERS:
        d += 1
    return d if d in date_tokens else -1


def _opens_clause(tk: Tokens, q: int, j: int, date_tokens: set[int]) -> bool:
    """Whether a clause word at ``q`` (without a comma before it) opens a clause."""
    lows = tk.lows
    w = lows[q]
    nxt = lows[q + 1] if q + 1 < j else ""
    if w == "as":
        return nxt not in ("well", "part", "of", "a", "an", "much", "many", "far", "long", "soon", "such", "the",
                           "to", "if", "recently", "yet") and lows[q - 1] not in ("such", "known", "same", "as")
    if w == "since":
        if lows[q - 1] in ("has", "have", "had", "having", "ever", "long"):
            return False  # "has since withdrawn": an adverb
        return _date_after(lows, q, j, date_tokens) < 0 and nxt not in ("then", "2014", "2015", "2016", "2017",
                                                                          "2018", "2019")
    if w in ("after", "before", "following", "amid", "despite", "until"):
        return _date_after(lows, q, j, date_tokens) < 0
    if w in ("so", "once", "however"):
        return False
    if w in ("leaving", "allowing", "forcing", "prompting", "sparking"):
        return True
    return True


_LOCATORS = frozenset({"north", "south", "east", "west", "northeast", "northwest", "southeast", "southwest",
                       "north-east", "north-west", "south-east", "south-west", "near", "close", "some", "about",
                       "roughly", "nearly", "just", "located", "situated", "upstream", "downstream"})


_AUX = PASSIVE_AUX | HAVE_AUX


def _classify(tk: Tokens, a: int, b: int, trigger_at: set[int], date_tokens: set[int],
              noun_at: frozenset[int] | set[int] = frozenset()) -> Chunk:
    lows, words = tk.lows, tk.words
    head = a
    while head < b and lows[head] in (",", ";", ":", "—", "–", "-", "(", ")", "\"", "“", "”", "'"):
        head += 1
    while head < b and lows[head] in _CONJ:
        head += 1
    if head >= b:
        return Chunk(a, b, "pp", b - 1)  # only punctuation: its head is its last token (never past the text)
    w = lows[head]
    has_trigger = not trigger_at.isdisjoint(range(head, b))
    if w in RELATIVES or (w == "that" and head > a and lows[a - 1:a] != [","] and False):
        kind = "rel"
    elif w in ("once", "formerly", "previously") and not has_trigger and a > 0 and lows[a - 1] == "," \
            and head + 1 < b and (lows[head + 1] in _DETS or words[head + 1][:1].isupper()) \
            and _AUX.isdisjoint(lows[head:b]):
        kind = "appos"  # "Qaraqosh, once Iraq's largest Christian town, remains ..."
    elif w in SUBORDINATORS:
        kind = "sub"
    elif w == "that":
        kind = "main"
    elif _is_ing(w) or w in _PARTICIPLES_ED:
        kind = "part"
    elif a > 0 and lows[a - 1] == "," and head in trigger_at and (w.endswith(("ed", "en")) or w in ("overrun", "won"))\
            and not {"by", "from"}.isdisjoint(lows[head + 1:min(b, head + 4)]):
        kind = "rpart"  # "Baiji, seized by IS in 2014, was retaken", "P, liberated from IS in 2017, ..."
    elif not has_trigger and not REPORT_VERBS.isdisjoint(lows[head:b]):
        kind = "report"
    elif w in PREPOSITIONS and (not has_trigger or all(t in noun_at for t in range(head, b) if t in trigger_at)) \
            or all(t in date_tokens or lows[t] in (".", "on", "late", "early") for t in range(head, b)):
        # "With the capture of P on Sunday, ...": a phrase, its noun's doer the main clause's subject
        kind = "pp"
    elif not has_trigger and (w in _DETS or w[:1].isdigit() or w in _LOCATORS
                              or (a > 0 and lows[a - 1] == "," and head + 1 < b and lows[head + 1] in ("'s", "’s")
                                  and words[head][:1].isupper())) \
            and _AUX.isdisjoint(lows[head:b]):
        kind = "appos"  # "the province's second city", "south-west of Kirkuk", "40 km north of P"
    else:
        kind = "main"
    del words
    return Chunk(a, b, kind, head)


#: words between "since" and its date: "since early 2014", "since the start of 2015"
DATE_QUALIFIERS = frozenset({"early", "late", "mid", "-", "the", "start", "beginning", "end", "middle", "of",
                             "summer", "winter", "spring", "autumn", "first", "second", "half"})


def after_since(lows: list[str], i: int, lo: int = 0) -> bool:
    """Whether the date starting at token ``i`` is the date of a "since" ("since early 2014")."""
    if lows[i] == "since" and i + 1 < len(lows) and lows[i + 1] != "then":
        return True  # the date phrase took its "since" in ("since October")
    r = i - 1
    while r >= max(lo, i - 5) and lows[r] in DATE_QUALIFIERS:
        r -= 1
    return r >= lo and lows[r] == "since"
