"""Roles: who took what from whom, one small strategy per kind of construction.

read_sentence(state, k) -> list[Claim]

Strategies (each reads the sentence's chunks and mentions, and returns claims):

- ``verbal``: a trigger of the grammar in active, passive, intransitive or noun form; its
  frame maps the subject, the object and the prepositional phrases to place, gainer, loser
  ("IS lost Raqqa to the SDF", "Mosul was retaken by Iraqi forces", "the fall of P to X");
- ``control``: "took (full) control of P", "is in control of P", "P came under the control of
  X", "P remains in the hands of X", "no longer under X control";
- ``symbolic``: "raised their flag over P", "declared victory over X in P";
- ``adjective``: "the ISIS-besieged city of P" (and "IS-held P" kept as a hint for later);
- ``stronghold``: "P, the group's last stronghold", "the de facto capital of X, P".

A place object may be a list ("the villages of A, B and C"), a share ("most of P", "the
government compound in P": the claim becomes ``entered``), a region ("the whole of Nineveh
province": a region-level claim) or a pointer to the salient place ("the town", "it").
Claims under a goal, a modal, a condition, a negation or a denial are not made.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from .clauses import (
    ADVERBS,
    DATE_QUALIFIERS,
    HAVE_AUX,
    PASSIVE_AUX,
    PREPOSITIONS,
    REPORT_VERBS,
    SUBORDINATORS,
    Chunk,
    after_since,
)
from .mentions import SEAT_OF, ActorM, PlaceM, TrigM
from .state import ArticleState, Claim, Ref

__all__ = ["read_sentence", "NP"]

_PRONOUNS_SUBJ = frozenset({"it", "they", "he", "she", "we"})
_PRONOUNS_OBJ = frozenset({"it", "them"})
_DETS = frozenset({"the", "a", "an", "its", "their", "his", "her", "this", "that", "these", "those"})
_SLOT_WORDS = frozenset({"by", "from", "to", "of", "into", "in", "inside", "over", "under", "on", "around", "out"})
#: prepositions that end an object noun phrase (the place after them is not the object)
_NP_BLOCK = frozenset({"in", "near", "at", "to", "from", "by", "with", "on", "toward", "towards", "into",
                       "outside", "around", "across", "along", "through", "during", "after", "before", "since",
                       "until", "against", "for", "under", "over", "via", "within", "without", "beyond",
                       "behind", "past", "amid", "between", "that", "which", "who", "where", "when", "while",
                       "as", "because", "but", "if", "said", "says", "told", "according", "than", "like",
                       "out", "inside", "off", "upon", "west", "east", "north", "south", "northwest",
                       "northeast", "southwest", "southeast", "north-west", "north-east", "south-west",
                       "south-east", "following", "despite", "is", "are", "was", "were", "has",
                       "have", "had", "will", "would", "could", "may", "might", "can", "should", "must",
                       "be", "been", "being", "do", "does", "did", "so", "then", "there", "here", "whose", "whom"})
#: sites that stand outside a town: taking "the Mosul dam" is not taking Mosul
_OUTER_SITES = frozenset({"airport", "airbase", "base", "dam", "bridge", "refinery", "checkpoint", "checkpoints",
                          "silos", "field", "oilfield", "oilfields", "fields", "crossing", "highway", "road", "roads",
                          "camp", "plant", "factory", "border", "gate", "hills", "hill", "mountain", "mountains",
                          "desert", "countryside", "outskirts", "province", "governorate", "region", "junction",
                          "prison", "barracks", "regiment"})
#: reference relations (grammar.yaml) that name a part of the town rather than the land around it
_PART_RELATIONS = frozenset({"outskirts", "edge", "outside", "suburbs", "banks", "bank", "side", "gate", "province",
                             "governorate", "region"})
#: nouns whose "of" + gerund is not (yet) a fact: "on the verge of taking P"
_NOT_YET_NOUNS = frozenset({"verge", "brink", "cusp", "point", "threshold", "prospect", "possibility", "aim", "goal",
                            "purpose", "intention", "hope", "hopes", "risk", "danger", "idea", "plan", "plans",
                            "capable", "incapable", "chance", "chances", "prospects", "task", "job", "business"})
_POSSESSIVE = frozenset({"'s", "’s", "'", "’"})
_ADJ_ACTOR = {"rebel": "rebels", "rebels": "rebels", "opposition": "rebels", "militant": "generic",
              "militants": "generic", "jihadist": "generic", "terrorist": "generic", "insurgent": "generic",
              "government": "government", "regime": "Syrian government", "kurdish": "kurdish", "kurd": "kurdish",
              "army": "government", "extremist": "generic"}
#: verbs whose base form is also the noun ("the capture of P", "a retreat from P")
_NOUN_TOO = frozenset({"capture", "recapture", "retreat", "advance", "control", "hold", "siege", "fall",
                       "surrender", "defeat"})
_ING_OK = frozenset({"remaining", "surrounding", "neighbouring", "neighboring", "adjoining", "including",
                     "following", "besieging", "leading", "ruling", "fighting", "building", "buildings",
                     "outlying", "sprawling", "adjacent", "bordering", "overlooking"})
_PART_ADJ = frozenset({"eastern", "western", "northern", "southern", "east", "west", "north", "south",
                       "northeastern", "northwestern", "southeastern", "southwestern", "central", "old"})
_HYPOTHETICAL_ADJ = frozenset({"potential", "possible", "planned", "expected", "imminent", "looming", "future",
                               "eventual", "threatened", "anticipated", "likely", "feared", "prospective",
                               "attempted", "failed", "alleged", "rumoured", "rumored", "claimed", "would-be"})
_SHARE_WORDS = frozenset({"most", "much", "part", "parts", "half", "portion", "portions", "section", "sections",
                          "some", "several", "many", "third", "thirds", "fifth", "fifths", "percent", "%", "bulk",
                          "edge", "edges", "outskirts"})
_SUBPLACE_NOUNS = frozenset({"neighbourhood", "neighbourhoods", "neighborhood", "neighborhoods", "district",
                             "districts", "quarter", "quarters", "suburb", "suburbs", "complex", "camp"})
_REGION_WHOLE = frozenset({"whole", "entire", "all", "entirety", "last", "remaining"})
_TERRITORY = frozenset({"territory", "territories", "caliphate", "land", "lands", "ground"})


@dataclass
class NP:
    """A noun phrase found in a slot."""

    start: int
    end: int
    places: list[PlaceM] = field(default_factory=list)
    actor: ActorM | None = None
    pronoun: int = -1
    coref: int = -1  # token of "the town", "the city"
    partial: bool = False
    whole: bool = False
    hedge: bool = False
    final: bool = False
    site: str = ""  # "inner" | "outer"
    territory: bool = False  # "the last of its territory"
    regions: list[PlaceM] = field(default_factory=list)
    holder: ActorM | None = None  # "the last district held by IS in P": the loser
    dates: dict = field(default_factory=dict)  # id(place) -> token where a date of its own starts
    partial_word: bool = False  # a share word was written ("most of", "half")
    most: bool = False  # the share is most of it ("most of", "nearly all", "90 percent")
    item_partial: set = field(default_factory=set)  # id(place) of list items written as a share
    subplace: bool = False  # "the A and B neighbourhoods": the names are parts of a town


# ------------------------------------------------------------------------------ entry


def read_sentence(st: ArticleState, k: int) -> list[Claim]:
    """Every claim of sentence ``k``."""
    s = st.layout.sentences[k]
    if s.part not in ("body", "headline") or not st.scan.cue_sentence[k]:
        return []
    out: list[Claim] = []
    for t in st.scan.triggers:
        if s.body_start <= t.i < s.j:
            got = _verbal(st, k, t)
            out += got
            st.claimed.update(c.place.i for c in got if c.event != "held")  # "pushed IS from P ... the town": P
    # each strategy below reads only around its own words: one without them in the sentence
    # finds nothing and is not run
    g = st.grammar
    words = set(st.tk.lows[s.body_start:s.j])
    if "hands" in words or not words.isdisjoint(g.control_nouns):
        out += _control(st, k)
    if not words.isdisjoint(_SYMBOLIC_WORDS):
        out += _symbolic(st, k)
    if not (words.isdisjoint(g.adj_held) and words.isdisjoint(g.adj_besieged)):
        out += _adjective(st, k)
    taken = {c.place.i for c in out if c.event in ("captured", "entered")}
    if not words.isdisjoint(g.stronghold_nouns):
        out += [c for c in _stronghold(st, k) if c.place.i not in taken]
    held = {c.place.i for c in out}
    if not words.isdisjoint(_LEAVE_WORDS):
        out += [c for c in _left_as_last(st, k) if c.place.i not in held]
    if not any("handover" in c.flags for c in out) and not words.isdisjoint(_HANDOVER_HEADS):
        out += [c for c in _left_to(st, k) if c.place.i not in taken]
    out += _exceptions(st, k, out)
    out = _before_the_change(out)
    _entered_after_withdrawal(st, k, out)
    _continuing(st, k, out)
    if s.part == "headline":
        for c in out:
            c.flags.add("headline")
    return out


#: the words the loops of _left_as_last and _left_to start from (_symbolic's: _SYMBOLIC_WORDS)
_LEAVE_WORDS = frozenset({"leaving", "leaves", "left", "leave"})
_HANDOVER_HEADS = frozenset({"leaving", "handing", "ceding", "abandoning", "surrendering"})


# ------------------------------------------------------------------------------ helpers


def _prev_word(st: ArticleState, q: int, lo: int) -> int:
    """Index of the nearest token before ``q`` (down to ``lo``) that is not an adverb."""
    lows = st.tk.lows
    q -= 1
    while q >= lo and (lows[q] in ADVERBS or lows[q] in ("-", "'", "\"", "“", "”") or q in st.date_tokens(st.sent_of[q])
                       and lows[q] not in ("to",)):
        q -= 1
    return q


#: verbs and nouns of praise: "congratulated the troops on the liberation of P" states a fact
_PRAISE = frozenset({"congratulate", "congratulated", "congratulates", "congratulating", "congratulations",
                     "praise", "praised", "praises", "praising", "commend", "commended", "hail", "hailed",
                     "thank", "thanked", "thanks", "compliment", "complimented"})


def blocked(st: ArticleState, k: int, q: int, chunk: Chunk | None) -> str:
    """Why the claim governed by the word at ``q`` is not a fact ("" when it is)."""
    g = st.grammar
    lows = st.tk.lows
    lo = chunk.head if chunk is not None else st.layout.sentences[k].body_start
    if chunk is not None and lows[chunk.head] in g.conditional:
        return "conditional"
    p = _prev_word(st, q, lo)
    while p >= lo and lows[p] in ("be", "been", "have", "get", "being"):
        p = _prev_word(st, p, lo)
    if p >= lo and lows[p] == "to":
        pp = _prev_word(st, p, lo)
        # "the first city to fall", "the last major town to be retaken" (the ordinal with the noun
        # right before "to"; not "the first phase of the operations to liberate P")
        superlative = any(w in ("first", "last", "latest", "second", "third", "only", "final")
                          for w in lows[max(lo, p - 3):p]) and "of" not in lows[max(lo, p - 3):p]
        if (pp < lo or lows[pp] not in g.catenatives) and not superlative:
            return "goal"
    if p >= lo and lows[p] in ("at", "for", "toward", "towards") and lows[q].endswith("ing"):
        return "goal"
    if p - 1 >= lo and lows[p] == "of" and lows[p - 1] in _NOT_YET_NOUNS and lows[q].endswith("ing"):
        return "goal"  # "on the verge of taking P", "with the aim of retaking P"
    if q in st.trig_at and (st.trig_at[q].form.is_noun or lows[q] in _NOUN_TOO) and p >= lo and lows[p] in _HYPOTHETICAL_ADJ:
        return "hypothetical"
    if p >= lo and lows[p] in ("the", "its", "their") and q in st.trig_at and st.trig_at[q].form.is_noun:
        pp = p - 1
        if pp >= lo and lows[pp] in ("for", "toward", "towards", "to", "on", "against") \
                and not (lows[pp] == "on" and any(w in _PRAISE for w in lows[max(lo, pp - 5):pp])):
            return "goal"  # "the offensive for the liberation of P" (not "congratulated them on the ...")
        if pp >= lo and lows[pp] in g.goal_nouns:
            return "goal"
    for r in range(lo, q - 1):
        if lows[r] in g.threat and r + 1 < q and lows[r + 1] == "to":
            return "goal"  # "SDF is trying to advance ... after securing the city"
    # an infinitive of purpose earlier in the clause governs what follows it:
    # "fought to recapture the town held by IS", "launched an operation to retake P"
    for r in range(lo, q - 1):
        if lows[r] == "to" and (r + 1 in st.trig_at or lows[r + 1] in ADVERBS and r + 2 in st.trig_at):
            before = _prev_word(st, r, lo)
            if before < lo or lows[before] not in g.catenatives:
                return "goal"
    # a modal, a negation or a denial governing the verb (a few words back)
    r = q - 1
    steps = 0
    while r >= lo and steps < 5:
        w = lows[r]
        if (r + 1) in st.actor_end and r + 1 < q:
            break  # past the subject: a modal before it governs nothing here ("In May 2015 IS fighters overran P")
        if w in g.modals and not (w == "may" and r in st.date_tokens(k)):
            return "modal"
        if w in g.negations and not (w == "no" and r + 1 < len(lows) and lows[r + 1] == "longer"):
            return "negated"
        if w in g.denial:
            return "denied"
        if w in (",", ";") or r in st.actor_end or r in st.place_end:
            break
        r -= 1
        steps += 1
    for r in range(lo, q):
        if lows[r] in g.denial and lows[r] not in ("claim", "claims"):
            return "denied"
        if lows[r] in ("if", "unless", "whether"):
            return "conditional"
        if lows[r] in g.mandative and lows[r + 1] in ("that", "for") and r + 1 < q:
            return "demanded"  # "Ankara repeated its demand that the YPG withdraw from P"
    # a complement clause of a denial: "officials denied (reports) that the militants had entered P"
    s0 = st.layout.sentences[k].body_start
    if lo > s0 and (lows[lo] == "that" or lows[lo - 1] == "that"):
        head_words = lows[max(s0, lo - 6):lo]
        if any(w in g.denial and w not in ("claim", "claims", "false") for w in head_words):
            return "denied"
        if lows[lo - 1] == "that" and lo >= 2 and lows[lo - 2] in g.mandative or \
                lows[lo] == "that" and lows[lo - 1] in g.mandative:
            return "demanded"
    if chunk is not None and chunk.kind in ("sub", "part") and lows[chunk.head] in ("after", "before", "by", "while"):
        chunks = st.chunks(k)
        idx = chunks.index(chunk)
        for c in reversed(chunks[:idx]):
            if c.kind in ("main", "pp"):
                for r in range(c.head, c.j - 1):
                    if lows[r] in g.threat and lows[r + 1] == "to":
                        return "goal"
            if c.kind == "report":
                break
    return ""


def _voice(st: ArticleState, t: TrigM, chunk: Chunk | None) -> str | None:
    f = t.form
    frame = f.frame
    lows = st.tk.lows
    if f.is_noun:
        return "noun" if frame.has("noun") else None
    if t.i > 0 and lows[t.i - 1] == "-" and st.tk.glued(t.i):
        return None  # "IS-held": an adjective, read by the adjective strategy
    if chunk is not None and chunk.kind == "rpart" and t.i == chunk.head and frame.has("passive"):
        return "passive"  # "P, overrun by IS in 2014, ...": a reduced passive
    lo = chunk.head if chunk else 0
    p = _prev_word(st, t.i, lo)
    prev = lows[p] if p >= lo else ""
    g = st.grammar
    prev2 = f"{lows[p - 1]} {prev}" if p - 1 >= lo else ""  # "handed over control": a two-word verb
    if f.lemma in ("control", "hold") and not (f.participle and prev in HAVE_AUX) and (prev in g.control_gain or prev in g.control_keep or prev in g.control_lose
                                           or prev2 in g.control_lose or prev2 in g.control_gain
                                           or prev in g.control_pass or prev in ("in", "under", "of", "'s", "’s")
                                           or ((p + 1) in st.actor_end and st.actor_end[p + 1].i > 0
                                               and lows[st.actor_end[p + 1].i - 1] in ("under", "in", "to", "into"))):
        return None  # "under IS control": the noun
    if f.form == "base" and f.lemma in _NOUN_TOO and p - 1 >= lo and lows[p - 1] in _DETS and prev.isalpha() \
            and not prev.endswith("s") and (p + 1) not in st.actor_end and (p + 1) not in st.place_end:
        return "noun" if frame.has("noun") else None  # "a heavy defeat", "the swift capture"
    # "the militants' capture": a plural's bare apostrophe (skipped by _prev_word as a quote mark)
    plural_poss = t.i >= 2 and lows[t.i - 1] in ("'", "’") and lows[t.i - 2].endswith("s") and st.tk.glued(t.i - 1)
    if f.form in ("base", "s") and (prev in _DETS or prev in ("'s", "’s") or plural_poss
                                    or prev in st.grammar.control_whole
                                    or prev in st.grammar.control_partial or prev in ("nearly", "total", "near",
                                                                                      "military", "partial")):
        return "noun" if f.lemma in _NOUN_TOO and frame.has("noun") else None
    if (p + 1) in st.actor_end or (p >= 0 and st.tk.words[p] == "IS"):
        prev = ""  # "IS seized the town": the group, not the verb "is"
    if f.participle:
        if prev in PASSIVE_AUX:
            return "passive" if frame.has("passive") else ("intransitive" if frame.has("intransitive") else None)
        if prev in HAVE_AUX:
            return "active"
        nxt = lows[t.j:t.j + 3]
        if "by" in nxt and (prev in (",", "") or p in st.place_end or (p + 1) in st.place_end
                          or prev in st.grammar.place_heads or f.form == "pp"
                          or lows[t.i - 1] in ("still", "once", "long", "formerly", "previously")):
            return "passive" if frame.has("passive") else None
        if (p + 1) in st.place_end and st.place_end[p + 1].i <= max(lo, st.layout.sentences[st.sent_of[t.i]].body_start) \
                and frame.has("passive") and not any(lows[q] in HAVE_AUX for q in range(lo, t.i)):
            return "passive"  # "Raqqa liberated from ISIS": a headline's passive without its auxiliary
        if prev in _DETS or (f.form == "pp" and prev not in HAVE_AUX):
            return None  # "the liberated city": an adjective
    if f.form == "ing" and prev in _DETS:
        return None  # "the fighting"
    if f.lemma == "leave" and f.form == "ing" and (prev in (",", "") or p < lo or (chunk is not None and t.i == chunk.head)):
        return None  # ", leaving P the last town under its control": a result, not a withdrawal
    return "active"


def _is_reference(st: ArticleState, p: PlaceM) -> bool:
    """A place named as a reference point: "north of P", "near P", "outside P", "from P",
    "200 km west of the Syrian capital of Damascus", "the outskirts of P"."""
    lows = st.tk.lows
    g = st.grammar
    q = p.i - 1
    hops = 0
    # walk back over the noun phrase that ends in the name ("the Iraqi capital of")
    while q >= 0 and hops < 6 and (lows[q] in _DETS or lows[q] in g.place_heads or lows[q] == "of"
                                   or (lows[q] == "," and q >= 1 and lows[q - 1] in g.place_heads)
                                   or lows[q] in ("iraqi", "syrian", "turkish", "northern", "southern", "eastern",
                                                  "western", "central", "nearby", "key", "strategic", "main",
                                                  "largest", "second", "border", "desert", "provincial", "capital",
                                                  "mostly", "kurdish", "christian", "ancient", "historic", "city")):
        if lows[q] == "of" and q >= 1 and (lows[q - 1] in g.directions or lows[q - 1] in g.relations):
            return lows[q - 1] not in ("province", "governorate", "region", "side") or lows[q - 1] in g.directions
        q -= 1
        hops += 1
    if q >= 0 and lows[q] == "of" and q - 1 >= 0 and lows[q - 1] in g.directions:
        return True
    if q >= 0 and lows[q] in ("near", "outside", "nearby", "beyond", "past", "around", "from", "between", "via",
                              "across", "linking", "connecting", "joining", "link", "links", "connects", "joins"):
        return True  # ("the highway linking Baghdad with Jordan": the road's ends are reference points)
    return q >= 1 and lows[q] == "to" and lows[q - 1] in ("close", "next", "adjacent", "road", "way", "route",
                                                          "proximity")


def _eligible_place(st: ArticleState, p: PlaceM) -> bool:
    return p.i not in st.dateline_tokens and (p.eligible or p.kind == "unknown")


# ------------------------------------------------------------------------------ noun phrases


def scan_np(st: ArticleState, q: int, limit: int, *, allow_in: bool = False) -> NP | None:
    """The noun phrase starting at token ``q`` (before ``limit``): places, actor or pointer."""
    g = st.grammar
    lows = st.tk.lows
    n = st.tk.n
    np = NP(q, q)
    steps = 0
    last_noun = ""
    dts = st.date_tokens(st.sent_of[q]) if q < n else set()
    while q < limit and steps < 16:
        low = lows[q]
        if q in dts and steps > 0 and q not in st.place_at:
            return None  # "in April": a date, not the phrase
        if low in ("'s", "’s") and q + 1 < limit and (lows[q + 1] in ("hometown", "birthplace") or (
                lows[q + 1] == "home" and q + 2 < limit and lows[q + 2] in ("town", "city", "village"))):
            # "Saddam Hussein's home town": the town the article is about
            r = q + 1 if lows[q + 1] != "home" else q + 2
            np.coref = r
            np.end = r + 1
            return np
        if low in ("city", "town") and q + 1 < limit and lows[q + 1] in ("centre", "center"):
            # "the city centre (of P)": a part of the town
            np.site = np.site or "inner"
            np.partial = True
            if q + 2 < limit and lows[q + 2] in ("of", "in"):
                q += 3
                steps += 3
                continue
            np.coref = q
            np.end = q + 2
            return np
        p = st.place_at.get(q)
        if p is not None:
            after = lows[p.j] if p.j < n else ""
            if p.kind in ("country", "admin1"):
                # "Iraq's second city", "Salahudin province's capital": a modifier, go on
                r = p.j
                if after in g.region_heads and r + 1 < n:
                    r += 1
                    after = lows[r]
                if after in ("'s", "’s", "'", "’"):
                    q = r + 1
                    steps += 1
                    continue
                if np.whole or last_noun in _REGION_WHOLE or after in ("province", "governorate") and np.whole:
                    np.regions.append(p)
                    np.end = p.j
                    _list_more(st, np, p.j, limit)
                    return np
                if p.i in st.dateline_tokens or (p.kind == "country" and after in g.place_heads):
                    q = p.j
                    steps += 1
                    continue
                r = _appositive_place(st, p.j, limit) if last_noun in g.stronghold_nouns else None
                if r is not None:
                    q = r  # "the last IS bastion in Iraq, the town of Rawa": the region is the frame
                    steps += 1
                    continue
                np.places.append(p)
                np.end = p.j
                return np
            if q > 0 and lows[q - 1] in _PART_ADJ and p.kind == "settlement":
                np.partial = True  # "eastern Mosul", "west Raqqa": a part of the town
                np.partial_word = True
            if after in ("'s", "’s") and p.kind == "settlement":
                tail = lows[p.j + 1:p.j + 6]  # "Mosul's al-Nuri mosque": a site's own name may come first
                if any(w in g.partial_before or w in g.sites for w in tail) and "," not in tail[:tail.index(next(
                        w for w in tail if w in g.partial_before or w in g.sites))]:
                    np.places.append(p)  # "Aleppo's eastern districts", "Mosul's old city"
                    np.partial = True
                    np.site = "inner"
                    np.end = p.j + 1 + next(i for i, w in enumerate(tail) if w in g.partial_before or w in g.sites) + 1
                    return np
            if after in g.relations and after not in _PART_RELATIONS and after not in (
                    "border", "borders", "frontier", "gates", "road", "roads", "highway", "direction"):
                np.site = "outer"  # "the Hama countryside" (but "the Husaybah border post" is at P)
            elif after in _SITE_MODIFIERS and _site_after(st, p.j, g) is not None:
                np.site = "inner"  # "the Mosul state television building": a building of the town
                np.partial = True
            elif after == "district" and _seat_of_district(p):
                pass  # "Dibis district": the district the town is the seat of, the town with its land
            elif after in g.sites and after not in ("area", "areas", "parts", "part"):
                # "Hajin hospital", "the Raqqa neighbourhood of X": a site of the town
                np.site = "outer" if after in _OUTER_SITES else "inner"
                if np.site == "inner":
                    np.partial = True
            np.places.append(p)
            np.end = p.j
            q1 = _skip_locator(st, p.j, limit)
            got = _item_date(st, q1, limit)
            if got >= 0:
                np.dates[id(p)] = got
            _list_more(st, np, p.j, limit)
            if np.end < n and lows[np.end] in _SUBPLACE_NOUNS and not (lows[np.end] == "district" and _seat_of_district(p)):
                np.subplace = True
                np.partial = True
                np.site = "inner"
                np.end += 1
            if np.whole and np.end + 1 < n and lows[np.end] in ("except", "apart", "save", "bar"):
                e = np.end + (2 if lows[np.end] == "apart" else 1)
                if e < n and e not in st.place_at:
                    np.partial = True  # "all of Mosul except a few hundred metres of the Old City": not yet all
                    np.whole = False
            return np
        a = st.actor_at.get(q)
        if a is not None:
            if a.label == "never" or _actor_modifier(st, a, last_noun):
                head = lows[a.i - 2] if last_noun == "of" and a.i >= 2 else last_noun
                q = a.j
                if q + 1 < n and lows[q] == "-" and st.tk.glued(q):
                    q += 2  # "Islamic State-held", "ISIS-besieged"
                steps += 1
                last_noun = head  # "the enclave of IS guerrillas in P": the enclave is still the head
                continue
            np.actor = a
            np.end = a.j
            return np
        if low in _PRONOUNS_OBJ and steps == 0:
            np.pronoun = q
            np.end = q + 1
            return np
        if low in g.place_heads and not low.endswith("s") and low not in ("area", "region", "base", "pocket",
                                                                          "enclave", "complex", "camp", "quarter",
                                                                          "locality", "capital", "hub") and q > 0 and (lows[q - 1] in ("the", "this", "that") or _adjective_head(lows, q) or (last_noun in g.partial_whole and lows[q - 1] not in ("every", "each", "any", "all"))) \
                and (q + 1 >= limit or lows[q + 1] not in ("of", "'s", "’s")) and (q + 1 not in st.place_at):
            np.coref = q
            np.end = q + 1
            return np
        r = _district_of(lows, q - 1) if low in ("district", "sub-district", "subdistrict", "sub") else 0
        if r and q - 1 + r < limit and (q - 1 + r) in st.place_at and st.place_at[q - 1 + r].kind == "settlement":
            steps += r - 1  # "the (sub-)district of al-Karma": the district named after the town is the town
            q += r - 1
            continue
        if low in _TERRITORY:
            np.territory = True
            np.end = q + 1
            r = q + 1
            if r < limit and lows[r] in ("in", "at", "around") and (np.final or np.whole):
                # "its last scrap of territory in the village of Baghouz": the last of it is that place
                r2 = r + 1
                while r2 < min(limit, r + 7) and r2 not in st.place_at and (
                        lows[r2] in _DETS or lows[r2] in g.place_heads or lows[r2] == "of"
                        or lows[r2] in ("eastern", "western", "northern", "southern", "small", "tiny", "remote")):
                    r2 += 1
                if r2 in st.place_at and st.place_at[r2].kind == "settlement":
                    np.territory = False
                    steps += r2 - q
                    q = r2
                    continue
            if last_noun in _REGION_WHOLE or np.whole or np.final:
                return np
        if low in _SHARE_WORDS:
            np.partial_word = True
        if low in g.partial_before and (low not in ("district", "districts", "neighbourhood", "neighbourhoods",
                                                   "neighborhood", "neighborhoods", "quarter", "quarters", "area",
                                                   "side") or (q + 1 < n and lows[q + 1] in ("of", "in"))):
            if not (np.whole and low in ("rest", "remainder", "parts", "part", "areas", "neighbourhoods",
                                         "neighborhoods", "districts", "quarters", "sections")):
                np.partial = True  # ("all parts of the town", "all the districts of P": the whole)
        elif low in g.partial_whole:
            np.whole = True
        if low in g.partial_hedges:
            np.hedge = True
        if low in g.final_words:
            np.final = True
        if low in ("percent", "%", "per") and q > 0 and lows[q - 1][:1].isdigit() and lows[q - 1] != "100":
            np.partial = True
            with contextlib.suppress(ValueError):
                np.most = np.most or float(lows[q - 1]) >= 75
        if low in ("most", "bulk") or (low in g.partial_whole and np.hedge):
            np.most = True  # "most of P", "nearly all of P"
        if np.final and low in ("held", "controlled", "occupied", "run") and q + 1 < limit and lows[q + 1] == "by":
            # "the last remaining district held by IS in P": skip the relative, note the holder
            r = q + 2
            while r < limit and r - q < 10 and lows[r] not in ("in", "inside", "of"):
                a2 = st.actor_at.get(r)
                if a2 is not None and np.holder is None:
                    np.holder = a2
                    r = a2.j
                    continue
                r += 1
            if r < limit and lows[r] in ("in", "inside", "of"):
                np.site = np.site or "inner"
                np.partial = True
                q = r + 1
                steps += 2
                continue
            return None
        if low in ("overlooking", "facing", "bordering", "dominating") and steps > 0:
            np.site = "outer"  # "a hill overlooking the town of P": the hill, not P
            q += 1
            steps += 1
            continue
        if low in g.relations and low not in _PART_RELATIONS and q + 1 < limit and lows[q + 1] == "of":
            np.site = "outer"  # "villages in the eastern countryside of P": P is the reference
            q += 2
            steps += 2
            last_noun = low
            continue
        if low in ("number", "handful", "series", "couple", "dozens", "scores", "host", "string") \
                and q + 1 < limit and lows[q + 1] == "of":
            q += 2  # "a number of neighbourhoods in P", "a handful of villages near P"
            steps += 2
            continue
        if low in ("pocket", "pockets", "enclave") and q + 2 < limit and lows[q + 1] in ("around", "surrounding") \
                and (q + 2) in st.place_at and st.place_at[q + 2].kind == "settlement":
            q += 2  # "still holds a pocket around Hajin": the town and its surroundings
            steps += 2
            np.partial = np.partial_word = False
            continue
        if low in ("pocket", "pockets") and q + 2 < limit and lows[q + 1] == "of":
            r = q + 2  # "the last pockets of (IS) resistance in P"
            a2 = st.actor_at.get(r)
            if a2 is not None and a2.j < limit:
                r = a2.j
            if lows[r] in ("resistance", "fighters", "militants", "holdouts") or (a2 is not None and r > q + 2
                                                                                 and lows[r] in ("in", "inside")):
                np.partial = True
                last_noun = "pockets"
                steps += r - q
                q = r + 1 if lows[r] not in ("in", "inside") else r
                continue
        if low in g.sites and q + 1 < limit and (lows[q + 1] in ("in", "of", "inside") or (
                lows[q + 1] == "at" and q + 2 in st.place_at)):
            np.site = "outer" if low in _OUTER_SITES else "inner"
            if np.site == "inner" and low not in ("villages",) and not (
                    np.whole and low in ("parts", "part", "areas", "districts", "neighbourhoods", "neighborhoods",
                                         "quarters", "sections")):
                np.partial = True  # "all parts of the town" is the town
            q += 2
            steps += 2
            last_noun = low
            continue
        if low == "," and q + 1 < limit and lows[q + 1] in ("including", "namely"):
            q += 2
            continue
        if low == "," and (last_noun in g.place_heads or last_noun in g.stronghold_nouns):
            r = _appositive_place(st, q, limit)
            if r is not None:
                q = r  # "another critical city, Manbij", "their last bastion, the town of Rawa"
                continue
        if low in ("in", "inside") and (last_noun in g.stronghold_nouns or last_noun in ("enclave", "pocket", "pockets", "positions")):
            np.site = np.site or "inner"
            np.partial = True
            if last_noun in g.stronghold_nouns and not last_noun.endswith("s") and not np.partial_word:
                np.final = True  # "overran the group's main redoubt in the town of P": P itself
            q += 1
            steps += 1
            continue
        if low.endswith("ing") and len(low) > 5 and low not in _ING_OK and steps > 0:
            return None  # "local militias protecting the town": a clause, not the phrase
        if low in ("including", "namely") and steps > 0:
            q += 1
            continue
        if low in _NP_BLOCK and not (allow_in and low == "in"):
            if low in g.directions and q + 1 < n and lows[q + 1] in ("of", "-"):
                return None
            if low not in g.directions:
                return None
        if low in (",", ";", ".", ":", "—", "–", "(", ")", "\"", "“", "”") and low != ",":
            return None
        if low == ",":
            return None
        if q in st.trig_at and steps > 0 and lows[q - 1] in ("and", "or"):
            return None
        if low == "and" and steps > 0 and q + 1 < limit and (q + 1) in st.trig_at:
            return None
        last_noun = low
        q += 1
        steps += 1
    return None


#: words between a town's name and a site noun ("the Mosul state television building")
_SITE_MODIFIERS = frozenset({"state", "television", "tv", "radio", "provincial", "government", "municipal", "power",
                             "water", "grain", "central", "main", "old", "military", "police", "general", "national"})


def _site_after(st: ArticleState, q: int, g) -> str | None:
    """The site noun a few modifiers after token ``q`` ("state television building"), or None."""
    lows = st.tk.lows
    r = q
    while r < min(st.tk.n, q + 3) and lows[r] in _SITE_MODIFIERS:
        r += 1
    if r > q and r < st.tk.n and lows[r] in g.sites and lows[r] not in ("area", "areas", "parts", "part") \
            and lows[r] not in _OUTER_SITES:
        return lows[r]
    return None


def _district_of(lows, q: int) -> int:
    """The length of "the district of", "the sub-district of" starting at token ``q`` (0 when
    the words there are not that)."""
    for words in (("the", "district", "of"), ("the", "sub", "-", "district", "of"), ("the", "subdistrict", "of"),
                  ("the", "sub-district", "of")):
        if tuple(lows[q:q + len(words)]) == words:
            return len(words)
    return 0


def _appositive_place(st: ArticleState, q: int, limit: int) -> int | None:
    """The place an appositive after the comma at ``q`` names: ", Manbij", ", the town of Rawa"."""
    lows = st.tk.lows
    if q >= limit or lows[q] != ",":
        return None
    if q + 1 < limit and q + 1 in st.place_at:
        return q + 1
    if q + 4 < limit and lows[q + 1] in ("the", "a") and lows[q + 2] in st.grammar.place_heads \
            and lows[q + 3] == "of" and q + 4 in st.place_at:
        return q + 4
    return None


_NOUN_AFTER_ACTOR = frozenset({"compound", "headquarters", "building", "buildings", "offices", "office", "positions",
                               "position", "base", "bases", "stronghold", "strongholds", "redoubt", "bastion",
                               "enclave", "pocket", "pockets", "remnants", "holdouts", "territory", "encampment",
                               "camp", "camps", "lines", "line", "checkpoint", "checkpoints",
                               "fighters", "militants", "defences", "defenses", "hideouts",
                               "complex", "facility", "barracks", "capital", "hub", "held", "controlled", "-",
                               "guerrillas", "scrap", "sliver", "patch", "piece", "lands", "land", "holdings"})


def _actor_modifier(st: ArticleState, a: ActorM, last_noun: str) -> bool:
    """An actor inside a place phrase: "the government compound", "IS main redoubt",
    "the enclave of IS guerrillas in P", "Islamic State-held al-Mayadin"."""
    lows = st.tk.lows
    n = st.tk.n
    b = a.j  # the word after the actor, past a possessive: "the jihadists' encampment", "the group's redoubt"
    if b + 1 < n and lows[b] in _POSSESSIVE and (lows[b] not in ("'", "’") or lows[b - 1].endswith("s")
                                                 and lows[b - 1] not in ("is", "isis")):
        b += 1
    nxt = lows[b] if b < n else ""
    if nxt in _NOUN_AFTER_ACTOR and not (nxt == "fighters" or nxt == "militants"):
        return True
    nxt2 = lows[b + 1] if b + 1 < n else ""
    if nxt in ("main", "last", "key", "biggest", "largest", "final", "major", "remaining", "de") and (
            nxt2 in st.grammar.stronghold_nouns or nxt2 in _NOUN_AFTER_ACTOR or nxt2 == "facto"):
        return True
    return last_noun == "of" and a.i >= 2 and (lows[a.i - 2] in st.grammar.place_heads
                                               or lows[a.i - 2] in st.grammar.sites
                                               or lows[a.i - 2] in st.grammar.stronghold_nouns)


def _skip_locator(st: ArticleState, q: int, limit: int) -> int:
    """Past "in northern Syria", "in Homs province" after a name (``q`` when none)."""
    lows = st.tk.lows
    if q >= limit or lows[q] not in ("in", "of"):
        return q
    r = q + 1
    while r < limit and lows[r] in ("the", "northern", "southern", "eastern", "western", "central", "north", "south",
                                    "east", "west", "northeastern", "northwestern", "southeastern", "southwestern"):
        r += 1
    p = st.place_at.get(r)
    if p is not None and p.kind in ("country", "admin1"):
        r = p.j
        if r < limit and lows[r] in ("province", "governorate", "region"):
            r += 1
        return r
    return q


_PLACE_ADJECTIVES = frozenset({"handful", "number", "string", "chain", "series", "cluster", "couple", "pair",
                               "dozens", "several", "few", "smaller", "larger", "including", "such", "remaining",
                               "provincial", "regional", "historic", "ancient", "holy", "oil", "industrial",
                               "frontier", "riverside", "mainly", "predominantly", "mostly", "mixed", "nearby",
                               "small", "big", "sprawling", "northwestern", "northeastern", "southwestern",
                               "southeastern", "christian", "yazidi", "kurdish", "arab", "sunni", "shiite", "turkmen",
                               "euphrates", "tigris", "river", "desert", "mountain", "agricultural", "farming"})
_ASIDE_START = frozenset({"on", "near", "outside", "north", "south", "east", "west", "northeast", "northwest",
                          "southeast", "southwest", "north-east", "north-west", "south-east", "south-west"})
_DISTANCE_HEDGES = frozenset({"about", "some", "roughly", "nearly", "around", "approximately", "just", "only",
                              "barely", "almost", "less", "more", "over", "under"})
_UNITS = frozenset({"km", "kilometres", "kilometers", "kilometre", "kilometer", "miles", "mile"})
_ASIDE_STOP = frozenset({",", "and", "or", ";", ".", "as", "along", "together", "while", "but", "which", "where"})


def _skip_aside(st: ArticleState, q: int, limit: int) -> int:
    """Past a locator after a list item ("on the Turkish border", "north-east of Aleppo",
    "near the Syrian border", "30 km south of P") when the list goes on after it; ``q``
    when there is none or the list does not continue."""
    lows = st.tk.lows
    r = q
    if r + 1 < limit and lows[r] in _DISTANCE_HEDGES and lows[r + 1][:1].isdigit():
        r += 1  # "about 60 km west of P", "only 50 km to the east"
    if r < limit and lows[r][:1].isdigit() and r + 1 < limit and lows[r + 1] in _UNITS:
        r += 2
        if r + 1 < limit and lows[r] == "(" and lows[r + 1][:1].isdigit():
            r += 2  # "100 km (60 miles)"
            while r < limit and lows[r] != ")":
                r += 1
            r += 1
        if r + 2 < limit and lows[r] == "to" and lows[r + 1] == "the" and lows[r + 2] in _ASIDE_START:
            r += 2  # "30 km to the north"
    if r < limit and lows[r] == "in":
        # "Rutba in western Anbar and ...": a governorate or a country locating the item
        e = _skip_locator(st, r, limit)
        return e if r < e < limit and lows[e] in (",", "and", "or", "as", "along", "together") else q
    if r < limit and lows[r] == "," and r + 1 < limit and lows[r + 1] in ("the", "a", "an", "once", "its", "their"):
        # "Mosul, the biggest city in the north, along with Tikrit": an appositive between two items
        e = r + 1
        while e < min(limit, r + 12) and lows[e] not in (",", ".", ";") and e not in st.trig_at \
                and e not in st.actor_at and (e not in st.place_at or st.place_at[e].kind in ("admin1", "country")):
            e += 1
        if e < limit and lows[e] == "," and e + 1 < limit and (
                lows[e + 1] == "and" or lows[e + 1:e + 4] == ["as", "well", "as"]
                or lows[e + 1] in ("along", "together") and lows[e + 2:e + 3] == ["with"]):
            return e
        return q
    if r >= limit or lows[r] not in _ASIDE_START:
        return q
    r += 1
    stop = min(limit, r + 8)
    while r < stop and lows[r] not in _ASIDE_STOP:
        if r in st.actor_at or r in st.trig_at:
            return q
        r += 1
    if r < limit and lows[r] in (",", "and", "or", "as", "along", "together"):
        return r
    return q


class _Padded:
    """A token list read past its end as empty words."""

    __slots__ = ("_w",)

    def __init__(self, words: list[str]):
        self._w = words

    def __getitem__(self, i):
        if isinstance(i, slice):
            return self._w[i]
        return self._w[i] if 0 <= i < len(self._w) else ""


def _list_more(st: ArticleState, np: NP, q: int, limit: int) -> None:
    """Extend a place phrase over a list: "A, B and C", "A as well as the town of B"."""
    g = st.grammar
    n = st.tk.n
    # past the end of the text every word is "" (a list can end the article)
    lows = _Padded(st.tk.lows)
    target = np.regions if np.regions else np.places
    while q < limit:
        r = q
        k = st.sent_of[q] if q < n else st.sent_of[n - 1]
        dts = st.date_tokens(k)
        if r < limit and (r in dts or (lows[r] in ("in", "on", "last", "this") and r + 1 in dts)):
            # "A in July, then the town of B in October": each item keeps its date
            first = r if r in dts else r + 1
            if target:
                np.dates[id(target[-1])] = first
            while r < limit and (r in dts or lows[r] in ("in", "on")):
                r += 1
            q = r
        if r < limit and r not in st.place_at:
            r = _skip_aside(st, r, limit)  # "Jarabulus on the Turkish border, and ..."
        if r >= min(limit, n):
            return
        if lows[r] in (",", "and", "&", "or"):
            r += 1
            if r < limit and lows[r] in ("and", "or"):
                r += 1
            if r + 1 < limit and lows[r] in ("along", "together") and lows[r + 1] == "with":
                r += 2  # ", along with Tikrit"
            if r < limit and lows[r] in ("then", "later", "subsequently", "finally", "also") and r + 1 not in st.trig_at:
                r += 1  # "A last month and then B this month"
            if lows[r] == "as" and lows[r + 1:r + 3] == ["well", "as"]:
                r += 3  # ", as well as P"
            r2 = _skip_aside(st, r, limit) if r < limit and r not in st.place_at else r
            if r2 > r:  # "Hit, 50 km west of Ramadi, and Rutba"
                r = r2 + 1
                if r < limit and lows[r] in ("and", "or"):
                    r += 1
                if lows[r] == "as" and lows[r + 1:r + 3] == ["well", "as"]:
                    r += 3  # "Fallujah, only 50 km to the east, as well as Hit"
                elif lows[r] in ("along", "together") and lows[r + 1] == "with":
                    r += 2
        elif lows[r] == "as" and lows[r + 1:r + 3] == ["well", "as"]:
            r += 3
        elif lows[r] in ("along", "together") and r + 1 < n and lows[r + 1] == "with":
            r += 2
        else:
            return
        hops = 0
        whole = False
        item_start = r  # the words of this item, after any aside between the items
        while r < limit and hops < 8 and r not in st.place_at and (lows[r] in _DETS or lows[r] in g.place_heads
                                                                 or (st.tk.words[r][:1].isupper() and r not in st.actor_at
                                                                     and lows[r] not in ("and", "or"))
                                                                 or lows[r] in g.partial_before or lows[r] in ("large", "small")
                                                                 or lows[r] in g.partial_whole or lows[r] == "of"
                                                                 or lows[r] in g.stronghold_nouns
                                                                 or lows[r] in ("nearby", "neighbouring", "neighboring",
                                                                                "adjacent", "desert", "border", "other",
                                                                                "de", "facto", "former", "one-time",
                                                                                "main", "key", "strategic", "major",
                                                                                "largest", "last", "second", "third",
                                                                                "nearby", "northern", "southern",
                                                                                "eastern", "western", "central")
                                                                 or lows[r] in _PLACE_ADJECTIVES
                                                                 or (lows[r] in ("sub", "-") and "district" in lows[r:r + 3])
                                                                 or (lows[r] in ("around", "surrounding")
                                                                     and lows[r - 1] in ("area", "areas", "countryside"))
                                                                 or (lows[r] in ("down", "up") and r + 1 < limit
                                                                     and lows[r + 1] == "to")
                                                                 or (lows[r] == "to" and lows[r - 1] in ("down", "up"))):
            whole = whole or lows[r] in g.partial_whole
            r += 1
            hops += 1
        p = st.place_at.get(r)
        if p is None:
            return
        if p.kind in ("country", "admin1"):
            if whole or lows[r - 1] in _REGION_WHOLE:
                np.regions.append(p)
                np.end = p.j
                q = p.j
                continue
            return
        district_of = _district_of(lows, item_start) == r - item_start
        if not district_of and any(lows[t] in g.partial_before and lows[t] not in ("area", "areas")
                                   for t in range(item_start, r)):
            np.item_partial.add(id(p))  # "and large parts of Ramadi"
        target.append(p)
        np.end = p.j
        q = p.j
        q2 = _skip_locator(st, q, limit)
        if q2 > q and q2 < limit and (q2 in st.date_tokens(st.sent_of[q2]) or lows[q2] in ("in", "on", "last", "this")):
            q = q2  # "Raqqa in northern Syria last month"
        got = _item_date(st, q, limit)
        if got >= 0:
            np.dates[id(p)] = got


def _item_date(st: ArticleState, q: int, limit: int) -> int:
    """The token where a date of one item of a list starts, right at ``q`` or after "in", "on",
    "last", "this" and qualifiers ("Ramadi in early 2016", "B on the 5th"); -1 when none."""
    if q >= limit:
        return -1
    lows = st.tk.lows
    dates = st.date_tokens(st.sent_of[q])
    if q in dates:
        return q
    if lows[q] not in ("in", "on", "last", "this"):
        return -1
    r = q + 1
    while r < limit and r - q <= 4:
        if r in dates:
            return r
        if lows[r] not in DATE_QUALIFIERS:
            break
        r += 1
    return -1


def _right_args(st: ArticleState, k: int, start: int, chunk: Chunk | None, *, first_slot: str | None) -> dict[str, NP]:
    """Noun phrases right of a trigger: the object (``first_slot``) and prepositional slots."""
    lows = st.tk.lows
    n = st.tk.n
    limit = _right_limit(st, k, chunk)
    out: dict[str, NP] = {}
    q = start
    if first_slot is not None:
        np = scan_np(st, q, limit)
        if np is not None:
            out[first_slot] = np
            q = np.end
    steps = 0
    while q < limit and steps < 24:
        low = lows[q]
        slot = None
        if low == "out" and q + 1 < n and lows[q + 1] == "of":
            slot, q2 = "out of", q + 2
        elif low in _SLOT_WORDS and low != "out":
            slot, q2 = low, q + 1
        if slot is not None and q2 < limit and q2 in st.date_tokens(k):
            q = q2  # "the recapture in April of Hit": a date, not a slot
            while q < limit and q in st.date_tokens(k):
                q += 1
            steps += 1
            continue
        if slot is not None and slot not in out:
            np = scan_np(st, q2, limit, allow_in=slot == "of")
            if np is not None:
                out[slot] = np
                q = max(np.end, q2)
                steps += 1
                continue
        if low in ("which", "who", "that", "when", "while", "after", "before", "as", "because", "but"):
            break
        if q in st.trig_at and q > start and lows[q - 1] not in ("and",) and lows[q] not in ("control", "hold"):
            break
        q += 1
        steps += 1
    return out


def _right_limit(st: ArticleState, k: int, chunk: Chunk | None) -> int:
    """End of a trigger's reach: its chunk, plus a list or an appositive and the phrase after."""
    s = st.layout.sentences[k]
    if chunk is None:
        return s.j
    chunks = st.chunks(k)
    idx = chunks.index(chunk)
    end = chunk.j
    lows = st.tk.lows
    # a list across commas ("A, B, C and D"), an appositive then "from X" ("seized Jarablus, a
    # frontier town, from IS"), and "including A, B" all continue the phrase
    as_well = False
    for nxt in chunks[idx + 1:idx + 12]:
        head = lows[nxt.head] if nxt.head < nxt.j else ""
        if nxt.head in st.place_at or head in ("including", "namely") or \
                (head in ("and", "or") and nxt.head + 1 in st.place_at):
            end = nxt.j
            continue
        if nxt.kind == "appos" or _distance_aside(st, nxt):
            end = nxt.j  # "Fallujah, about 60 km west of Baghdad, and Rutba"
            continue
        if head == "as" and lows[nxt.head + 1:nxt.head + 2] == ["well"] and nxt.j - nxt.head <= 2:
            end = nxt.j  # "..., as well as Mosul": the list goes on
            as_well = True
            continue
        if (head == "as" and lows[nxt.head + 1:nxt.head + 3] == ["well", "as"]
                or head in ("along", "together") and lows[nxt.head + 1:nxt.head + 2] == ["with"]) \
                and any(q in st.place_at for q in range(nxt.head, nxt.j)) \
                and not any(nxt.head <= t.i < nxt.j for t in st.scan.triggers):
            end = nxt.j  # "..., as well as Hit and Rutba", "..., along with Tikrit"
            continue
        if as_well and head == "as" and nxt.head + 1 in st.place_at:
            end = nxt.j
            as_well = False
            continue
        if lows[nxt.i] in ("and", "or") and (head in st.grammar.partial_before or head in st.grammar.partial_whole
                                             or head in ("large", "small", "much", "most")) \
                and any(q in st.place_at for q in range(nxt.head, nxt.j)) \
                and not any(nxt.head <= t.i < nxt.j for t in st.scan.triggers):
            end = nxt.j  # "A, B, and large parts of P": the last item is a share
            continue
        if head in ("from", "to", "by") and nxt.kind == "pp":
            end = nxt.j
        break
    return end


def _distance_aside(st: ArticleState, c: Chunk) -> bool:
    """A chunk that only locates the place before it: "about 60 km west of Baghdad", "some 20
    miles north of P", "north of P"."""
    lows = st.tk.lows
    q = c.head
    if q < c.j and lows[q] in _DISTANCE_HEDGES:
        q += 1
    if q < c.j and lows[q][:1].isdigit():
        q += 1
        while q < c.j and (lows[q] in _UNITS or lows[q] in ("(", ")", "-") or lows[q][:1].isdigit()):
            q += 1
    dirs = st.grammar.directions
    if q + 2 < c.j and lows[q] == "to" and lows[q + 1] == "the" and lows[q + 2] in dirs:
        e = q + 3
        if lows[e:e + 1] == ["-"] and lows[e + 1:e + 2] and lows[e + 1] in dirs:
            e += 2  # "to the south - east" (a hyphenated direction)
        return lows[e:e + 1] in ([], [","], ["."], ["of"])  # "about 30 km to the north"
    if q < c.j and lows[q] in dirs and lows[q + 1:q + 2] == ["-"] and lows[q + 2:q + 3] and lows[q + 2] in dirs:
        q += 2
    return q < c.j and lows[q] in dirs and lows[q + 1:q + 2] == ["of"] \
        and not any(t in st.trig_at for t in range(c.head, c.j))


# ------------------------------------------------------------------------------ subjects


def _actor_ok(st: ArticleState, a: ActorM, lo: int) -> bool:
    """An actor that can be a subject: a side, not after a preposition ("backed by X")."""
    if a.label == "never":
        return False
    lows = st.tk.lows
    q = a.i - 1
    while q >= lo and lows[q] in ("the", "a", "an", "its", "their", "and", "both", "(", "\"", "“"):
        if lows[q] == "and":
            # "X and Y took P": Y is part of the subject, unless X was behind a preposition
            q -= 1
            b = st.actor_end.get(q + 1)
            if b is not None:
                return _actor_ok(st, b, lo)
            break
        q -= 1
    if q >= lo + 1 and lows[q] in ("backed", "supported", "led", "allied") and lows[q - 1] == "-" and st.tk.glued(q):
        return True  # "Russian-backed government forces": a modifier of the subject, no preposition
    if q >= lo and (lows[q] in PREPOSITIONS or lows[q] in ("backed", "supported", "aided", "assisted", "allied",
                                                             "alongside", "helped", "joined")):
        # "after Iraqi forces pushed them out": the clause word, not a preposition
        return q == lo and lows[q] in SUBORDINATORS
    return True


def subject_actor(st: ArticleState, k: int, t: int, chunk: Chunk | None) -> Ref | None:
    """The actor subject of the verb at ``t``: in its chunk, else the clause it continues."""
    lows = st.tk.lows
    s = st.layout.sentences[k]
    lo = chunk.head if chunk else s.body_start
    q = t - 1
    while q >= lo:
        a = st.actor_end.get(q + 1)
        if a is not None and a.i >= lo:
            nxt = lows[a.j] if a.j < t else ""
            if nxt in _NOUN_AFTER_ACTOR and nxt not in ("fighters", "militants", "guerrillas", "held", "controlled", "-"):
                q = a.i - 1  # "overran army positions in P and seized the city": a modifier, not the subject
                continue
            if _actor_ok(st, a, lo):
                while a.i - 2 >= lo and lows[a.i - 1] in ("and", ",") and st.actor_end.get(a.i - 1) is not None \
                        and st.actor_end[a.i - 1].label != "never":
                    a = st.actor_end[a.i - 1]  # "X and Y took P": X heads the subject
                return _owner(st, a)
            q = a.i - 1
            continue
        w = lows[q]
        if w in _PRONOUNS_SUBJ:
            return Ref(pronoun=q)
        if w in ("its", "their") and (q == lo or lows[q - 1] in ("that", ",", "and")):
            return Ref(pronoun=q)  # "the army said that its assault had recaptured P"
        if w in ("that",) and q > lo:
            break
        if w in REPORT_VERBS and q < t - 1:
            break
        q -= 1
    if chunk is None:
        return None
    if chunk.kind == "rel" and lows[chunk.head] in ("which", "who", "that"):
        # "leaving the area to the Islamic State, which overran Hit": the actor before "which"
        q = chunk.i - 1
        while q >= s.body_start and lows[q] in (",", "(", "—", "–"):
            q -= 1
        a = st.actor_end.get(q + 1)
        if a is not None and a.label != "never":
            return _owner(st, a)
        return None
    # the clause this chunk continues: a main chunk before it (or, for a participle or a
    # subordinate clause opening the sentence, the main clause after it)
    chunks = st.chunks(k)
    idx = chunks.index(chunk)
    if chunk.kind == "main" and lows[chunk.head] in PASSIVE_AUX | HAVE_AUX | {"will", "would", "had"}:
        # "the PMF, a coalition of militias, were securing P": the subject is the noun
        # phrase the appositives hang on
        chain = []
        for c in reversed(chunks[:idx]):
            if c.kind in ("appos", "main", "part", "rpart"):
                chain.append(c)
                continue
            break
        for c in reversed(chain):
            r = _clause_subject(st, c)
            if r is not None:
                return r
    if chunk.kind in ("main", "part", "rpart", "sub", "pp"):
        for c in reversed(chunks[:idx]):
            if c.kind in ("main",):
                r = _clause_subject(st, c)
                if r is not None:
                    return r
                if chunk.kind == "main":
                    continue
            if c.kind in ("report",):
                if lows[chunk.head] in PASSIVE_AUX | HAVE_AUX or lows[chunk.i] in ("and",) or \
                        (chunk.head > chunk.i and lows[chunk.head - 1] == "and"):
                    continue  # "IS took Mosul, CNN said, and has now seized P"
                break
        if chunk.kind in ("part", "rpart", "sub", "pp"):
            for c in chunks[idx + 1:]:
                if c.kind == "main":
                    return _clause_subject(st, c)
    return None


def _owner(st: ArticleState, a: ActorM) -> Ref:
    """"fighters from the group" -> the group; "its fighters" -> what "its" stands for."""
    lows = st.tk.lows
    if a.label == "anaphor":
        if a.j + 1 < st.tk.n and lows[a.j] in ("from", "of"):
            b = st.actor_at.get(a.j) or st.actor_at.get(a.j + 1)
            if b is not None and b.label != "never":
                return Ref(actor=b)
        if a.i > 0 and lows[a.i - 1] in ("its", "their"):
            return Ref(pronoun=a.i - 1)
    return Ref(actor=a)


def _clause_subject(st: ArticleState, c: Chunk) -> Ref | None:
    """The first actor (or subject pronoun) of a chunk that is not after a preposition."""
    lows = st.tk.lows
    q = c.head
    while q < c.j:
        a = st.actor_at.get(q)
        if a is not None:
            if _actor_ok(st, a, c.head):
                return _owner(st, a)
            q = a.j
            continue
        if lows[q] in _PRONOUNS_SUBJ:
            return Ref(pronoun=q)
        if q in st.trig_at and not st.trig_at[q].form.is_noun:
            return None  # a verb before any actor: no subject ("The withdrawal means X ..." goes on)
        q += 1
    return None


def subject_place(st: ArticleState, k: int, t: int, chunk: Chunk | None) -> NP | None:
    """The place subject of a passive or intransitive verb at ``t``."""
    lows = st.tk.lows
    s = st.layout.sentences[k]
    lo = chunk.head if chunk else s.body_start
    if chunk is not None and chunk.kind == "rel":
        return _antecedent(st, k, chunk)
    if chunk is not None and (chunk.kind == "appos" or chunk.kind == "main" and chunk.head == chunk.i and chunk.i > 0
            and lows[chunk.i - 1] == ",") and lows[chunk.head] in ("the", "a", "an", "one") and any(
            lows[q] in st.grammar.place_heads or lows[q] in st.grammar.stronghold_nouns for q in range(chunk.head, t)) \
            and not any(q in st.place_at and st.place_at[q].kind == "settlement" for q in range(chunk.head, t)):
        # "P, the last town in the north still held by X": the appositive's town is P (even when
        # P itself is named as a reference point: "displacement from P, the last town held by X")
        q = chunk.i - 1
        chunks_ = st.chunks(k)
        at = chunks_.index(chunk)
        while at > 0 and _distance_aside(st, chunks_[at - 1]):
            at -= 1  # "P, about 170 km to the south-east, the last town held by X"
            q = chunks_[at].i - 1
        while q > s.body_start and lows[q] in (",", "(", "—", "–"):
            q -= 1
        p = st.place_end.get(q + 1)
        if p is not None and p.kind == "settlement" and p.i not in st.dateline_tokens:
            return NP(p.i, p.j, places=[p])
        return _antecedent(st, k, chunk)
    np = _place_left(st, t, lo)
    if np is not None:
        return np
    if chunk is None:
        return None
    chunks = st.chunks(k)
    idx = chunks.index(chunk)
    # "Ramadi, which had fallen in May, was liberated": skip the relative clause
    only_aux = all(lows[q] in PASSIVE_AUX or lows[q] in HAVE_AUX or lows[q] in ADVERBS or lows[q] in ("and",)
                   for q in range(chunk.head, t))
    if only_aux:
        later = None
        for c in reversed(chunks[:idx]):
            if c.kind in ("rel", "appos", "pp", "part", "rpart"):
                later = c
                continue
            np = _place_left(st, c.j, c.head)
            if np is None and later is not None and later.kind == "appos" and c.j >= 1 \
                    and st.tk.lows[c.j - 1] == ",":
                # "The last IS bastion in the area, the town of Rawa, was captured": the appositive names it
                r = _appositive_place(st, c.j - 1, later.j)
                if r is not None:
                    p = st.place_at[r]
                    np = NP(p.i, p.j, places=[p])
            return np
        return _subject_before_aside(st, k, t, chunk)
    return None


def _place_left(st: ArticleState, t: int, lo: int) -> NP | None:
    """The nearest place (or "the town", "it") left of ``t``, with a list before it."""
    lows = st.tk.lows
    g = st.grammar
    q = t - 1
    while q >= lo:
        p = st.place_end.get(q + 1)
        if p is not None and p.i >= lo:
            if p.kind in ("country", "admin1"):
                before = lows[max(lo, p.i - 3):p.i]
                if any(w in _REGION_WHOLE for w in before):
                    np = NP(p.i, p.j, regions=[p])
                    _list_left(st, np, _np_start(st, p.i, lo), lo)
                    return np
                q = p.i - 1
                continue
            if _is_reference(st, p) or p.i in st.dateline_tokens:
                q = p.i - 1
                continue
            if p.j < st.tk.n and (lows[p.j] in _OUTER_SITES and lows[p.j] not in ("province", "governorate", "region")
                                  or lows[p.j] == "-" and st.tk.glued(p.j) and (p.j + 1) in st.place_at):
                q = p.i - 1  # "the Baaj-Shingal road was controlled": the road, not the town
                continue
            np = NP(p.i, p.j, places=[p])
            _prefix_flags(st, np, _np_start(st, p.i, lo, deep=True), p.i)
            _list_left(st, np, _np_start(st, p.i, lo), lo)
            return np
        w = lows[q]
        if w in g.place_heads and not w.endswith("s") and w not in ("area", "region", "base", "pocket", "enclave",
                                                                   "complex", "camp", "quarter", "locality",
                                                                   "capital", "hub") and q > 0 \
                and (lows[q - 1] in ("the", "this") or _adjective_head(lows, q) and q - 2 >= lo) \
                and (q + 1 >= st.tk.n or lows[q + 1] != "of"):
            a = q - 1 if lows[q - 1] in ("the", "this") else q - 2  # "the Iraqi city": the town talked about
            np = NP(a, q + 1, coref=q)
            _prefix_flags(st, np, _np_start(st, a, lo, deep=True), a)
            return np
        if w == "it" and q + 1 < st.tk.n and lows[q + 1] in PASSIVE_AUX | HAVE_AUX:
            return NP(q, q + 1, coref=q)
        q -= 1
    return None


def _subject_before_aside(st: ArticleState, k: int, t: int, chunk: Chunk | None) -> NP | None:
    """The place subject of a verb at ``t`` whose clause opens after a distance aside: "the town
    of P, 20 km to the south-east, was retaken by X"."""
    if chunk is None:
        return None
    lows = st.tk.lows
    if any(lows[q] not in PASSIVE_AUX and lows[q] not in HAVE_AUX and lows[q] not in ADVERBS and lows[q] != ","
           for q in range(chunk.i, t)):
        return None
    chunks = st.chunks(k)
    at = chunks.index(chunk)
    j = at - 1
    while j >= 0 and (_distance_aside(st, chunks[j]) or _locating_aside(st, chunks[j])):
        j -= 1
    if not 0 <= j < at - 1:
        return None
    return _place_left(st, chunks[j].j, chunks[j].i)


def _locating_aside(st: ArticleState, c: Chunk) -> bool:
    """A prepositional aside set off by commas that only locates the place before it: ", on the
    main road from Erbil,", ", near the border,"."""
    lows = st.tk.lows
    return c.kind in ("pp", "appos") and c.head < c.j and lows[c.head] in ("on", "near", "along", "close") \
        and c.i >= 1 and lows[c.i - 1] == "," and lows[c.j - 1] == ","


#: adjectives of nearness inside a noun phrase: "A and the neighbouring village of B"
_NEIGHBOURING = frozenset({"neighbouring", "neighboring", "nearby", "adjacent", "adjoining", "small",
                           "strategic", "key"})


#: adjectives between "the" and a head that points back to the town talked about ("the Iraqi city")
_COREF_ADJECTIVES = frozenset({"iraqi", "syrian", "kurdish", "ancient", "historic", "strategic", "northern", "southern",
                               "eastern", "western", "central", "besieged", "embattled", "devastated", "key", "border",
                               "desert", "riverside", "provincial", "small", "predominantly", "mainly", "christian",
                               "yazidi", "turkmen", "sunni", "shiite", "oil", "frontier", "same"})


def _adjective_head(lows: list[str], q: int) -> bool:
    """Whether the head noun at ``q`` follows "the" and one adjective of :data:`_COREF_ADJECTIVES`."""
    return q >= 2 and lows[q - 1] in _COREF_ADJECTIVES and lows[q - 2] in ("the", "this", "that")


def _np_start(st: ArticleState, q: int, lo: int, *, deep: bool = False) -> int:
    """Start of the noun phrase that ends in the name at ``q``: "the entire Nineveh province";
    with ``deep``, also over "a large housing complex in the encircled town of"."""
    lows = st.tk.lows
    g = st.grammar
    hops = 0
    while q - 1 >= lo and hops < 12:
        w = lows[q - 1]
        ok = w in _DETS or w in g.partial_whole or w in g.place_heads or w in ("of", "northern", "southern", "eastern",
                                                                               "western", "central") \
            or w in _NEIGHBOURING
        if deep and not ok:
            ok = (w in g.sites or w in g.partial_before or w in g.partial_hedges or w in ("in", "inside", "key",
                  "residential", "besieged", "main", "government", "strategic", "southern", "half", "old", "new")
                  or w[:1].isdigit() or w in ("percent", "%")) and (q - 1) not in st.actor_end and (q - 1) not in st.place_end
        if not ok:
            break
        q -= 1
        hops += 1
    return q


#: the parts of a town that, all of them, are the town
_ALL_PARTS = frozenset({"neighbourhoods", "neighborhoods", "districts", "quarters", "parts", "areas", "sectors"})


def _prefix_flags(st: ArticleState, np: NP, a: int, b: int) -> None:
    """Shares and sites written before a place: "most of", "a key complex in", "half of"."""
    lows = st.tk.lows
    g = st.grammar
    words = lows[a:b]
    whole = any(w in g.partial_whole for w in words)
    for i, w in enumerate(words):
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if w in g.sites and nxt in ("in", "of", "inside") and w not in ("villages", "area", "areas"):
            if w in _ALL_PARTS and any(x in ("all", "every", "entire") for x in words[max(0, i - 2):i]):
                continue  # "all the neighbourhoods of P": the whole town
            np.site = "outer" if w in _OUTER_SITES else "inner"
            if np.site == "inner":
                np.partial = True
        elif w in g.partial_before and w not in ("area", "areas", "side") and not whole or w in ("percent", "%") and i > 0 and words[i - 1][:1].isdigit() and words[i - 1] != "100":
            np.partial = True
    if any(w in g.partial_hedges for w in words) and whole:
        np.partial = True


def _list_left(st: ArticleState, np: NP, q: int, lo: int) -> None:
    """Extend a place subject leftwards over "A, B and C"."""
    lows = st.tk.lows
    g = st.grammar
    while q - 1 >= lo and lows[q - 1] in (",", "and"):
        r = q - 1
        if lows[r] == "and" and r - 1 >= lo and lows[r - 1] == ",":
            r -= 1
        r -= 1
        while r >= lo and (lows[r] in _DETS or lows[r] in g.place_heads or lows[r] == "of") and r not in st.place_end:
            r -= 1
        p = st.place_end.get(r + 1)
        if p is None or p.i < lo:
            return
        if p.kind in ("country", "admin1"):
            return
        np.places.insert(0, p)
        np.start = p.i
        q = p.i


def _antecedent(st: ArticleState, k: int, chunk: Chunk) -> NP | None:
    """The place a relative clause or an appositive is about: the last place before its chunk
    (over a prepositional phrase between them: "P, on the border, the last town ...")."""
    s = st.layout.sentences[k]
    lo = s.body_start
    if chunk.kind == "rel" and st.tk.lows[chunk.head] in ("which", "that"):
        got = _comma_antecedent(st, k, chunk.head)  # "close to the town of P, which is in X's hands"
        if got is not None:
            return got
    chunks = st.chunks(k)
    idx = chunks.index(chunk)
    for c in reversed(chunks[:idx]):
        np = _place_left(st, c.j, c.i)
        if np is not None and not (c.kind == "pp" and c.head in st.place_at and st.place_at[c.head].kind != "settlement") \
                and (c.kind != "pp" or np.places):
            return np
        if c.kind not in ("pp", "appos"):
            break
    q = chunk.i - 1
    while q >= lo and st.tk.lows[q] in (",", "(", "—", "–"):
        q -= 1
    got = _place_left(st, q + 1, max(lo, q - 12))
    if got is None and q >= lo and st.tk.lows[q] in st.grammar.place_heads and not st.tk.lows[q].endswith("s"):
        target = st.salient_place(k, q)  # "the recapture of the leader's home town, which fell in June"
        if target is not None:
            got = NP(q, q + 1, places=[target])
    return got


# ------------------------------------------------------------------------------ claims


def _make(st: ArticleState, k: int, np: NP, event: str, q: int, chunk: Chunk | None, *, gainer: Ref | None,
          loser: Ref | None, confidence: float, construction: str, flags: set[str] | None = None) -> list[Claim]:
    """Claims for each place of ``np`` (regions as region-level claims)."""
    out: list[Claim] = []
    fl = set(flags or ())
    ev = event
    if np.final and np.partial and ev in ("captured", "held") and not np.subplace and not np.partial_word:
        # "the last remaining district of P": its capture completes the capture of P
        np.partial = False
        np.site = ""
        fl.add("final")
        if loser is None and np.holder is not None:
            loser = Ref(actor=np.holder)
    if np.subplace:
        town = _containing_town(st, k, np)
        if town is None:
            return []
        np = NP(np.start, np.end, places=[town], partial=True, site="inner")
    if np.partial or (np.hedge and np.whole):
        if ev == "captured":
            ev = "entered"
        elif ev == "held":
            if not np.most:
                # a share of a town held: the town is fought over. "X still holds parts of P": X
                # defends what is left; "X holds large parts of P": X has got in
                lo = chunk.i if chunk is not None else st.layout.sentences[k].body_start
                if any(w in _DEFENDING for w in st.tk.lows[lo:q]):
                    if gainer is None:
                        return []
                    gainer, loser = None, gainer
                ev = "entered"
                fl.add("held_share")
            else:
                np.partial = False  # "controls most of P", "90 percent of P": still its holder
        fl.add("partial")
        if not np.site and not np.subplace:
            fl.add("share")
    if np.site == "outer":
        return []
    if np.site == "inner":
        fl.add("site")
    places = list(np.places)
    if np.coref >= 0 or np.pronoun >= 0 and not places:
        fl.add("coref")
        if np.pronoun >= 0 and st.tk.lows[np.pronoun] == "them":
            places = _last_list(st, k, np.pronoun)  # "after recapturing them": the towns just listed
        if not places:
            target = st.salient_place(k, np.coref if np.coref >= 0 else np.pronoun)
            if target is None:
                return []
            places = [target]
    # a list's items share the date written after the last of them ("Rawa and Ana on Sunday")
    carried = -1
    for p in reversed(places):
        if id(p) in np.dates:
            carried = np.dates[id(p)]
        elif carried >= 0:
            np.dates[id(p)] = carried
    for p in places:
        if not _eligible_place(st, p):
            continue
        if id(p) in np.item_partial and not (np.partial or np.hedge):
            item_gainer, item_loser, item_fl = gainer, loser, fl | {"partial", "share"}
            if ev == "held":
                # "X holds A, B and large parts of P": X fights inside P ("still holds": X defends it)
                lo = chunk.i if chunk is not None else st.layout.sentences[k].body_start
                if any(w in _DEFENDING for w in st.tk.lows[lo:q]):
                    if gainer is None:
                        continue
                    item_gainer, item_loser = None, gainer
                item_fl = item_fl | {"held_share"}
            item_ev = "entered" if ev in ("captured", "held") else ev
            out.append(Claim(place=p, event=item_ev, k=k, trigger=q, chunk=chunk, gainer=item_gainer, loser=item_loser,
                             confidence=confidence, flags=item_fl, construction=construction,
                             date_at=np.dates.get(id(p), -1) if len(places) > 1 else -1))
            continue
        out.append(Claim(place=p, event=ev, k=k, trigger=q, chunk=chunk, gainer=gainer, loser=loser,
                         confidence=confidence, flags=set(fl), construction=construction,
                         date_at=np.dates.get(id(p), -1) if len(places) > 1 else -1))
    for p in np.regions:
        if ev in ("captured", "withdrew"):
            out.append(Claim(place=p, event=ev, k=k, trigger=q, chunk=chunk, gainer=gainer, loser=loser,
                             confidence=confidence * 0.9, flags=fl | {"region"}, region=True, construction=construction))
    if np.territory and (np.final or np.whole) and ev in ("captured",) and not places and not np.regions:
        region = st.region_of_salient(k, q)
        if region is not None:
            out.append(Claim(place=region, event=ev, k=k, trigger=q, chunk=chunk, gainer=gainer, loser=loser,
                             confidence=confidence * 0.8, flags=fl | {"region"}, region=True, construction=construction))
    return out


_DEFENDING = frozenset({"still", "remain", "remains", "remained", "continue", "continues", "continued", "only",
                        "last", "clinging", "cling", "clings"})


def _containing_town(st: ArticleState, k: int, np: NP) -> PlaceM | None:
    """The town a named neighbourhood belongs to: "... in P" after it, else the salient town."""
    lows = st.tk.lows
    q = np.end
    if q < st.tk.n and lows[q] in ("in", "of", "inside") and q + 1 < st.tk.n:
        r = q + 1
        while r < st.tk.n and r - q < 5 and r not in st.place_at and (lows[r] in _DETS | st.grammar.place_heads | {"of"}
                                                                      or lows[r] in _PART_ADJ):  # "of eastern Mosul"
            r += 1
        p = st.place_at.get(r)
        if p is not None and p.kind == "settlement":
            return p
    names = {id(p) for p in np.places}
    p = st.salient_place(k, np.start)
    if p is not None and id(p) not in names and p.kind == "settlement":
        return p
    return None


def _last_list(st: ArticleState, k: int, q: int) -> list[PlaceM]:
    """The places of the last enumeration before token ``q`` in sentence ``k``."""
    s = st.layout.sentences[k]
    before = [p for p in st.scan.places if s.body_start <= p.i < q and p.eligible]
    if not before:
        return []
    last = before[-1]
    group = [last]
    r = last.i - 1
    lows = st.tk.lows
    while r >= s.body_start and lows[r] in (",", "and") and st.place_end.get(r) is not None:
        prev = st.place_end[r]
        if not prev.eligible:
            break
        group.insert(0, prev)
        r = prev.i - 1
    return group if len(group) > 1 else []


def _actor_ref(np: NP | None) -> Ref | None:
    if np is None:
        return None
    if np.actor is not None:
        return Ref(actor=np.actor)
    if np.pronoun >= 0:
        return Ref(pronoun=np.pronoun, obj=True)  # right of its verb: an object
    return None


def _verbal(st: ArticleState, k: int, t: TrigM) -> list[Claim]:
    f = t.form
    frame = f.frame
    chunk = st.chunk_of(k, t.i)
    voice = _voice(st, t, chunk)
    if voice is None:
        return []
    if f.lemma == "leave" and voice == "active" and _resultative(st, k, t):
        return []  # "the battle left much of the city flattened": a result, not a withdrawal
    if frame.name == "confine" and t.j < st.tk.n and st.tk.lows[t.j] != "to":
        return []  # "confined IS to P": the object is the holder; only "X (is) confined to P" is read
    why = blocked(st, k, t.i, chunk)
    if why and not getattr(st, "keep_uncertain", False):
        return []
    lows = st.tk.lows
    slots = frame.slots.get(voice, {})
    args: dict[str, NP] = {}
    if voice == "active":
        obj_role = slots.get("object")
        start = t.j
        while start < st.tk.n and lows[start] in ('"', "”", "“", "'", "’"):
            start += 1  # 'had "completely liberated" the town of P': the quote closes before the object
        if t.particle_at >= 0:  # "drove IS out of P": the object before the particle
            np = scan_np(st, t.j, t.particle_at + 1)
            if np is not None:
                args["object"] = np
            args.update({k2: v for k2, v in _right_args(st, k, t.particle_at, chunk, first_slot=None).items()})
        else:
            args = _right_args(st, k, start, chunk, first_slot="object" if obj_role else None)
        obj = args.get("object")
        if obj_role == "place" and (obj is None or (not obj.places and not obj.regions and obj.actor is None)):
            inc = _included_places(st, k, obj.end if obj is not None else t.j)
            if inc is not None:  # "holds a small enclave that includes the villages of A, B and C"
                args["object"] = obj = inc
        if obj is None and obj_role == "place":
            gap = _gap_object(st, k, t, chunk)
            if gap is not None:
                args["object"] = obj = gap
        if (obj is None or (obj_role == "place" and not (obj.places or obj.regions or obj.coref >= 0 or obj.pronoun >= 0
                                                         or obj.territory))) and frame.has("intransitive"):
            voice = "intransitive"
            slots = frame.slots["intransitive"]
            if "object" in args and args["object"].actor is None:
                args.pop("object")
            more = _right_args(st, k, t.j, chunk, first_slot=None)
            for key, v in more.items():
                args.setdefault(key, v)
    elif voice == "noun":
        q0 = t.j
        args = _right_args(st, k, q0, chunk, first_slot=None)
        # "Raqqa's fall", "the group's loss of P": a possessive before the noun
        r = t.i - 1
        while r >= 0 and lows[r] in ("recent", "full", "complete", "final", "eventual", "total", "swift", "rapid"):
            r -= 1
        if r >= 1 and (lows[r] in ("'s", "’s") or (lows[r] in ("'", "’") and lows[r - 1].endswith("s")
                                                    and st.tk.glued(r))):
            # (a plural's bare apostrophe too: "the militants' capture of P")
            p = st.place_end.get(r)
            a = st.actor_end.get(r)
            if p is not None:
                args["poss"] = NP(p.i, p.j, places=[p])
            elif a is not None:
                args["poss"] = NP(a.i, a.j, actor=a)
            elif r >= 2 and lows[r - 1] in ("city", "town", "village") and lows[r - 2] in ("the", "this"):
                args["poss"] = NP(r - 2, r, coref=r - 1)  # "the city's liberation": the town talked about
        elif r >= 0 and lows[r] in ("its", "their"):
            args["poss"] = NP(r, r + 1, pronoun=r)
    else:  # passive, intransitive
        args = _right_args(st, k, t.j, chunk, first_slot=None)
    if f.particle and f.particle[-1] == "out" and t.j < st.tk.n and lows[t.j] == "of" and "of" in args:
        args["out of"] = args.pop("of")  # "was driven out of Manbij"
    place_np: NP | None = None
    gainer = loser = None
    for slot, role in slots.items():
        if slot == "subject":
            continue
        if slot == "object_actor":
            obj = args.get("object")
            if obj is not None and obj.actor is not None:
                ref = _actor_ref(obj)
                if role == "loser" and loser is None:
                    loser = ref
                elif role == "gainer" and gainer is None:
                    gainer = ref
            continue
        np = args.get(slot)
        if np is None:
            continue
        if role == "place":
            if place_np is None and (np.places or np.regions or np.coref >= 0 or np.territory
                                     or (np.pronoun >= 0 and np.actor is None)):
                place_np = np
            elif slot == "poss" and np.actor is not None and gainer is None and frame.name in ("take", "besiege"):
                gainer = _actor_ref(np)  # "the Islamic State's siege of P": the besieger
        elif role == "gainer" and gainer is None:
            gainer = _actor_ref(np)
        elif role == "loser" and loser is None:
            loser = _actor_ref(np)
    if place_np is None and voice == "active" and slots.get("object") == "place":
        place_np = _gap_object(st, k, t, chunk)
    if place_np is None and voice in ("active", "passive", "noun"):
        place_np = _enumerated(st, k, t.j)
    subj_role = slots.get("subject")
    if subj_role == "place" and place_np is None:
        place_np = subject_place(st, k, t.i, chunk)
    elif subj_role in ("gainer", "loser"):
        ref = subject_actor(st, k, t.i, chunk)
        if ref is not None:
            if subj_role == "gainer" and gainer is None:
                gainer = ref
            elif subj_role == "loser" and loser is None:
                loser = ref
    if place_np is None:
        return []
    breaker = _siege_breaker(st, k, t.i) if voice == "noun" and frame.name == "besiege" else None
    if breaker is not None:
        # "X broke the siege of P": X relieves the side inside (read as an entry by the symbolic
        # strategy); the siege itself ends that day, so it is no claim of a siege then
        return []
    if voice == "noun" and gainer is None and loser is None:
        if frame.name == "defeat" and any(w.startswith("suffer") for w in lows[max(0, t.i - 4):t.i]):
            loser = subject_actor(st, k, t.i, chunk)  # "the army suffered a defeat in P": the army lost
        else:
            gainer = _noun_agent(st, k, t, chunk, frame.name)
    if voice == "passive" and gainer is None and frame.name == "take":
        gainer = _declarer(st, k, chunk)
    of_at = t.j
    while of_at < st.tk.n and lows[of_at].endswith("ly") and lows[of_at] in ADVERBS:
        of_at += 1
    if frame.name == "take" and voice != "noun" and of_at < st.tk.n and lows[of_at] == "of" and loser is None \
            and (args.get("of") is None or args["of"].actor is None):
        return []  # "the areas cleared of mines", "freed of debris"
    event = f.event_type
    if frame.name == "hold" and voice == "passive" and _no_longer(st, t.i):
        event = "captured"
        loser, gainer = gainer, None
    if f.lemma == "occupy" and voice == "active" and lows[t.i] == "occupied" and chunk is not None \
            and lows[_prev_word(st, t.i, chunk.head)] not in HAVE_AUX | PASSIVE_AUX \
            and any(chunk.i <= d[1] < chunk.j and not after_since(lows, d[1]) for d in st.dates(k)):
        event = "captured"  # "occupied Afrin on Sunday": the day it was taken, not a state
    since = _since_clause(st, k, t.i, chunk) if frame.name == "hold" and not _no_longer(st, t.i) else None
    flags_since = since is not None
    conf = 0.85 * f.weight
    flags = {"noun"} if voice == "noun" else set()
    if f.lemma == "flee" and any(w in _NOT_FIGHTERS or w[:1].isdigit()
                                 for w in lows[max(st.layout.sentences[k].body_start, t.i - 8):t.i]):
        return []  # "thousands of residents fled P", "commanders and their families fled P": no front moved
    if voice == "intransitive" and frame.name == "withdraw" and not args.get("from") and not args.get("out of"):
        return _handover(st, k, t, chunk, loser)
    if f.form == "ing":
        flags.add("gerund")
    if why:
        flags.add(f"uncertain:{why}")
        conf = 0.15
    out = _make(st, k, place_np, event, t.i, chunk, gainer=gainer, loser=loser, confidence=conf,
                construction=f"{frame.name}:{voice}", flags=flags)
    if frame.name == "withdraw" and out and not why and chunk is not None:
        chunks = st.chunks(k)
        taker = _taker_after(st, k, chunks[chunks.index(chunk) + 1:chunks.index(chunk) + 4], loser) \
            or _taker_coordinated(st, k, place_np.end, chunk, loser)
        if taker is not None:  # "A pulled out of P, and B have since taken over": B took P
            for c in out:
                c.event, c.gainer = "captured", Ref(actor=taker)
                c.flags.add("handover")
                c.confidence *= 0.8
    if frame.name in ("hold", "entrench") and event == "held" and (_past_perfect(st, k, t.i, chunk)
                                                                   or _held_for_a_while(st, k, t, chunk)):
        out = []  # "the group had held P since 2014", "IS held P for three years": a state that ended
    if flags_since and not why:
        # "has been held by the jihadists since June 2014": held now, and taken then
        taken = _make(st, k, place_np, "captured", t.i, chunk, gainer=gainer,
                      loser=Ref(actor=since[1]) if since[1] is not None else None, confidence=conf * 0.9,
                      construction=f"{frame.name}:since", flags=flags | {"since"})
        for c in taken:
            if since[0] >= 0:
                c.date_at = since[0]
        out += taken
    return out


_SPANS = frozenset({"year", "years", "month", "months", "week", "weeks", "day", "days", "decade", "decades"})


def _held_for_a_while(st: ArticleState, k: int, t: TrigM, chunk: Chunk | None) -> bool:
    """A state in the simple past bounded by a span: "they held the centre of P for more than a
    year", "IS ruled P for three years" (told as history, not as the state of the report's day)."""
    lows = st.tk.lows
    v = _prev_word(st, t.i, st.layout.sentences[k].body_start)
    if not lows[t.i].endswith(("ed", "held")) or lows[v] in HAVE_AUX | PASSIVE_AUX and st.actor_end.get(v + 1) is None:
        return False  # ("has held", "was held"; but "IS held")
    end = chunk.j if chunk is not None else st.layout.sentences[k].j
    for q in range(t.j, min(end, t.j + 14)):
        if lows[q] == "for" and any(w in _SPANS for w in lows[q + 1:min(end, q + 6)]):
            return True
    return False


def _past_perfect(st: ArticleState, k: int, q: int, chunk: Chunk | None) -> bool:
    """A verb at ``q`` in the past perfect ("had held", "had been controlled") outside reported
    speech ("said IS had held ..." keeps a present perfect backshifted)."""
    lows = st.tk.lows
    lo = chunk.head if chunk is not None else st.layout.sentences[k].body_start
    p = _prev_word(st, q, lo)
    if p >= lo and lows[p] == "been":
        p = _prev_word(st, p, lo)
    if p < lo or lows[p] != "had":
        return False
    return not any(w in REPORT_VERBS for w in lows[st.layout.sentences[k].body_start:p])


def _since_clause(st: ArticleState, k: int, q: int, chunk: Chunk | None) -> tuple[int, ActorM | None] | None:
    """When a state began: "since June 2014" after the verb, in its clause, or a clause
    "since driving X out in January" / "since seizing it from X in 2014" after it.
    ``(token where the date starts or -1, the side driven out or None)``."""
    lows = st.tk.lows
    end = chunk.j if chunk is not None else st.layout.sentences[k].j
    dts = st.date_tokens(k)
    if any(after_since(lows, d, q) for d in dts if q < d < end):  # "since (early) 2014"
        return -1, None
    if chunk is None:
        return None
    chunks = st.chunks(k)
    if chunk not in chunks:
        return None
    idx = chunks.index(chunk)
    for c in chunks[idx + 1:idx + 2]:
        if c.kind != "sub" or lows[c.head] != "since" or c.head + 1 >= c.j or not lows[c.head + 1].endswith("ing"):
            return None
        start = next((i for m, i, _j in st.dates(k) if c.i <= i < c.j and m.date is not None), None)
        if start is None:
            return None
        trig = next((tr for tr in st.scan.triggers if c.head < tr.i < c.j and tr.form.frame.name in ("expel", "take")),
                    None)
        loser = None
        if trig is not None:
            loser = next((st.actor_at[x] for x in range(trig.j, c.j) if x in st.actor_at
                          and st.actor_at[x].label not in ("never", "anaphor")), None)
        return start, loser
    return None


_LET_IN = frozenset({"allowing", "letting", "enabling", "paving", "leaving"})
_MOVE_IN = frozenset({"move", "enter", "take", "seize", "deploy", "roll", "advance", "control", "occupy", "march",
                      "sweep", "go"})


def _handover(st: ArticleState, k: int, t: TrigM, chunk: Chunk | None, loser: Ref | None) -> list[Claim]:
    """A withdrawal that lets a named side in: "X left P, allowing Y to move in" -> Y took P."""
    if chunk is None:
        return []
    lows = st.tk.lows
    chunks = st.chunks(k)
    idx = chunks.index(chunk)
    taker = _taker_after(st, k, chunks[idx + 1:idx + 4], loser)
    if taker is not None:
        place = st.salient_place(k, t.i)
        if place is not None:
            return [Claim(place=place, event="captured", k=k, trigger=t.i, chunk=chunk, gainer=Ref(actor=taker),
                          loser=loser, confidence=0.65, flags={"coref", "handover"}, construction="withdraw:handover")]
    for c in chunks[idx + 1:idx + 2]:
        if lows[c.head] not in _LET_IN:
            return []
        q = c.head + 1
        a = st.actor_at.get(q) or st.actor_at.get(q + 1)
        if a is None or a.label == "never":
            return []
        r = a.j
        if r + 1 < c.j and lows[r] == "to" and lows[r + 1] in _MOVE_IN:
            place = st.salient_place(k, t.i)
            if place is None:
                return []
            return [Claim(place=place, event="captured", k=k, trigger=t.i, chunk=chunk, gainer=Ref(actor=a),
                          loser=loser, confidence=0.7, flags={"coref", "handover"}, construction="withdraw:handover")]
    return []


def _taker_after(st: ArticleState, k: int, chunks: list[Chunk], loser: Ref | None) -> ActorM | None:
    """"A pulled out of P, and B (have since) moved in / took over": the side that takes
    over in the next main clause, when that clause names no other place of its own."""
    lows = st.tk.lows
    for c in chunks:
        if lows[c.head] in ("leaving", "handing", "ceding", "abandoning", "surrendering", "returning"):
            # ", leaving the town to the SDF", ", handing the city back to Baghdad": the side it goes to
            for q in range(c.head + 1, min(c.j, c.head + 10)):
                if lows[q] == "hands" and q + 1 < c.j and lows[q + 1] == "of" and (q + 2) in st.actor_at:
                    a = st.actor_at[q + 2]  # ", leaving it in the hands of IS"
                    if a.label not in ("never", "anaphor"):
                        return a
                if lows[q] == "to" and (q + 1) in st.actor_at:
                    a = st.actor_at[q + 1]
                    if a.label not in ("never", "anaphor"):
                        return a
                p = st.place_at.get(q + 1) if lows[q] == "to" else None
                if p is not None and p.j - p.i == 1 and lows[p.i] in SEAT_OF:
                    return ActorM(p.i, p.j, p.start, p.end, p.text, SEAT_OF[lows[p.i]])
            return None
        if lows[c.head] in ("allowing", "letting", "enabling", "paving"):
            # ", allowing pro-regime forces to enter the town": the side let in takes it
            a = next((st.actor_at[q] for q in range(c.head + 1, min(c.j, c.head + 4)) if q in st.actor_at), None)
            if a is not None and a.label not in ("never", "anaphor") and any(
                    a.j <= t.i < c.j and t.form.frame.name in ("take", "enter") and not t.form.is_noun
                    for t in st.scan.triggers):
                return a
            return None
        if c.kind in ("appos", "pp", "rel", "part", "rpart") or (c.kind == "sub" and lows[c.head] in ("as", "while")):
            continue  # "as Iraqi forces advanced": a circumstance, read past it
        if c.kind != "main" or lows[c.i] not in ("and", "but", ",", "then", "before", "after", "as"):
            return None
        a = next((st.actor_at[q] for q in range(c.head, min(c.j, c.head + 3)) if q in st.actor_at), None)
        if a is None or a.label in ("never", "anaphor") or (loser is not None and loser.actor is not None
                                                             and loser.actor.label == a.label):
            return None
        if any(c.i <= p.i < c.j and p.place is not None and p.kind == "settlement" for p in st.scan.places):
            return None
        for t in st.scan.triggers:
            if a.j <= t.i < c.j and t.form.frame.name in ("take", "enter") and not t.form.is_noun:
                return a
        if any(lows[q] in _MOVING and lows[q + 1] in ("in", "into") for q in range(a.j, min(c.j - 1, a.j + 3))):
            return a  # "... and government troops moved in (behind them)"
        return None
    return None


_MOVING = frozenset({"moved", "move", "moves", "moving", "rolled", "marched", "swept", "poured", "came"})


def _taker_coordinated(st: ArticleState, k: int, q: int, chunk: Chunk, loser: Ref | None) -> ActorM | None:
    """"A pulled out of P and B moved in": the side named after "and" right after the place,
    with a verb of moving in or taking, in the same clause."""
    lows = st.tk.lows
    end = chunk.j
    if q < 0 or q + 1 >= end or lows[q] != "and":
        return None
    a = st.actor_at.get(q + 1)
    if a is None or a.label in ("never", "anaphor") or (loser is not None and loser.actor is not None
                                                         and loser.actor.label == a.label):
        return None
    r = a.j
    while r < end and (lows[r] in ADVERBS or lows[r] in HAVE_AUX):
        r += 1
    if r + 1 < end and lows[r] in _MOVING and lows[r + 1] in ("in", "into"):
        return a
    t = st.trig_at.get(r)
    if t is not None and t.form.frame.name in ("take", "enter") and not t.form.is_noun:
        return a
    return None


#: people whose flight moves no front line
_NOT_FIGHTERS = frozenset({"residents", "civilians", "people", "families", "family", "refugees", "syrians", "iraqis",
                           "kurds", "yazidis", "christians", "arabs", "villagers", "inhabitants", "thousands",
                           "hundreds", "dozens", "commanders", "commander", "leaders", "leader", "officials",
                           "children", "women", "men", "population", "displaced", "mainly", "mostly"})


def _before_the_change(claims: list[Claim]) -> list[Claim]:
    """A state the sentence gives a place it reports taken ("seized P, the last town under IS
    control") is the state before the change, which the capture already implies: the state is
    dropped, so that it never outlives the capture on the same date (linear in the claims)."""
    def label(ref: Ref | None) -> str:
        if ref is None:
            return ""
        return ref.actor.label if ref.actor is not None else ref.label

    gains: dict[int, set[str]] = {}
    for c in claims:
        # (a capture told as background, "P, which fell to the group in 2014", is long before the state)
        # (nor is the start of the state itself: "has ruled P since driving X out")
        if c.event == "captured" and c.place.place is not None and getattr(c.chunk, "kind", "") != "rel" \
                and "since" not in c.flags:
            gains.setdefault(id(c.place.place), set()).add(label(c.gainer))
    if not gains:
        return claims
    # (a holder not yet known, "the last town under their control", is the side that lost it)
    return [c for c in claims
            if not (c.event == "held" and c.place.place is not None and id(c.place.place) in gains
                    and "except" not in c.flags
                    and (not label(c.gainer) or label(c.gainer) not in gains[id(c.place.place)]))]


def _exceptions(st: ArticleState, k: int, claims: list[Claim]) -> list[Claim]:
    """Towns a region-level loss leaves out: "IS was driven from all the towns it held in Anbar
    except Qaim, Rawa and Anah" (or "apart from", "with the exception of", "other than") are
    still held by the side that lost the rest, on the same date."""
    lost = [c for c in claims if c.region and c.event == "captured"]
    if not lost:
        return []
    lows = st.tk.lows
    s = st.layout.sentences[k]
    out: list[Claim] = []
    for c in lost:
        q = c.trigger + 1
        while q < min(s.j, c.trigger + 40):  # "... except P" follows the claim closely
            w = lows[q]
            start = None
            if w in ("except", "excepting") or (w in ("save", "but") and q + 1 < s.j and lows[q + 1] == "for"):
                start = q + 1 + (lows[q + 1] == "for" if q + 1 < s.j else 0)
            elif q + 1 < s.j and (w, lows[q + 1]) in (("apart", "from"), ("other", "than"), ("exception", "of")):
                start = q + 2
            if start is not None:
                np = scan_np(st, start, s.j)
                if np is not None and np.places:
                    held = NP(np.start, np.end, places=[p for p in np.places if p.kind in ("settlement", "feature")])
                    if held.places:
                        got = _make(st, k, held, "held", c.trigger, st.chunk_of(k, c.trigger), gainer=c.loser,
                                    loser=None, confidence=0.7, construction="region:except", flags={"except"})
                        for e in got:
                            e.same_date_as = c
                        out += got
                break
            q += 1
    return out


def _noun_agent(st: ArticleState, k: int, t: TrigM, chunk: Chunk | None, frame: str) -> Ref | None:
    """Who did what a noun names: the subject of "announced the liberation of P"; for "the
    fall of P" beside another claim of the sentence, that claim's agent."""
    lows = st.tk.lows
    lo = chunk.head if chunk is not None else st.layout.sentences[k].body_start
    for q in range(t.i - 1, max(lo, t.i - 6) - 1, -1):
        if lows[q] in _DECLARED or lows[q] in ("celebrated", "celebrate", "hailed", "confirmed", "marked",
                                               "completed", "complete", "completing"):
            return subject_actor(st, k, q, chunk)
    s = st.layout.sentences[k]
    a = st.actor_end.get(t.i)
    if frame == "take" and a is not None and a.label not in ("never", "anaphor") \
            and (lows[a.i] in ("the", "a", "an") or a.i - 1 >= lo and lows[a.i - 1] in ("the", "a", "an")):
        return Ref(actor=a)  # "the IS takeover of Mosul", "the Kurdish recapture of Sinjar"
    if frame == "take" and chunk is not None and chunk.kind in ("pp", "sub") and chunk.i == s.body_start \
            and lows[chunk.head] in ("with", "after", "following", "upon", "since"):
        # "With the capture of P on Sunday, the rebels ...": the main clause's subject did it
        return subject_actor(st, k, t.i, chunk)
    if frame in ("take", "fall", "lose"):
        for other in st.scan.triggers:
            if s.body_start <= other.i < s.j and other.i < t.i and not other.form.is_noun \
                    and other.form.frame.name in ("take",):
                och = st.chunk_of(k, other.i)
                return subject_actor(st, k, other.i, och)
    return None


_PLURAL_PLACES = frozenset({"villages", "towns", "areas", "districts", "neighbourhoods", "neighborhoods", "cities",
                            "localities", "hamlets", "settlements", "quarters", "suburbs"})


def _enumerated(st: ArticleState, k: int, q: int) -> NP | None:
    """A plural place noun right after the verb whose members the sentence (or the next)
    enumerates: "took a string of villages ..., including A, B and C"; "... and the villages
    are A, B and C"; "named the villages as A and B"."""
    lows = st.tk.lows
    s = st.layout.sentences[k]
    r = q
    while r < s.j and r - q < 7 and lows[r] not in _PLURAL_PLACES:
        if lows[r] in (".", ";") or r in st.place_at:
            return None
        r += 1
    if r >= s.j or lows[r] not in _PLURAL_PLACES:
        return None
    head = lows[r]
    for kk in (k, k + 1):
        if kk >= len(st.layout.sentences):
            break
        sk = st.layout.sentences[kk]
        start = r + 1 if kk == k else sk.body_start
        for u in range(start, sk.j - 1):
            intro = lows[u] in ("including", "namely") or (lows[u] in ("are", "were", "as", ":") and lows[u - 1] in (head, "them"))
            if intro:
                v = u + 1
                while v < sk.j and lows[v] in ("the", "a", "an", "villages", "towns", "of"):
                    v += 1
                p = st.place_at.get(v)
                if p is not None:
                    np = NP(v, p.j, places=[p])
                    _list_more(st, np, p.j, sk.j)
                    return np
    return None


def _declarer(st: ArticleState, k: int, chunk: Chunk | None) -> Ref | None:
    """Who declared what a passive reports: "X declared that the town had been liberated"."""
    if chunk is None:
        return None
    lows = st.tk.lows
    q = chunk.head - 1 if lows[chunk.head] != "that" else chunk.head - 1
    if lows[chunk.head] == "that":
        q = chunk.head - 1
    elif chunk.i > 0 and lows[chunk.i - 1] == "that":
        q = chunk.i - 2
    else:
        return None
    if q >= 0 and (lows[q] in _DECLARED or lows[q] in ("said", "says", "announced", "confirmed", "stated")):
        return subject_actor(st, k, q, st.chunk_of(k, q))
    return None


def _gap_object(st: ArticleState, k: int, t: TrigM, chunk: Chunk | None) -> NP | None:
    """The object of a relative clause is its antecedent: "P, which IS seized", "the town
    that the army retook", "the biggest of the ones they abandoned" (the subject of "was the
    biggest")."""
    if chunk is None:
        return None
    lows = st.tk.lows
    nxt = lows[t.j] if t.j < st.tk.n else ""
    if nxt and (t.j in st.place_at or t.j in st.actor_at or nxt in _DETS):
        return None  # the verb has an object of its own
    zero = _zero_relative(st, k, t, chunk)
    if zero is not None:
        return zero
    q = t.i - 1
    while q >= chunk.i and q >= t.i - 6:
        w = lows[q]
        if w in ("which", "that") or (w in ("those", "ones") and q - 1 >= 0 and lows[q - 1] in ("of", "the")):
            break
        q -= 1
    else:
        return None
    if q < chunk.i - 1:
        return None
    if lows[q] in ("which", "that"):
        return _comma_antecedent(st, k, q) or _place_left(st, q, max(st.layout.sentences[k].body_start, q - 10))
    # "X was the biggest of the ones they abandoned, together with nearby Y": X and the list after it
    np = _place_left(st, q, st.layout.sentences[k].body_start)
    if np is None:
        return None
    more = NP(t.j, t.j)
    q = t.j
    if q + 2 < st.tk.n and lows[q] == "," and lows[q + 1] in ("along", "together") and lows[q + 2] == "with":
        q += 1  # "..., together with nearby Y, and the river town of Z"
    _list_more(st, more, q, st.layout.sentences[k].j)
    np.places += more.places
    return np


def _zero_relative(st: ArticleState, k: int, t: TrigM, chunk: Chunk) -> NP | None:
    """"P, the provincial capital it has ruled since ...": a relative clause with no
    "which", after an appositive head noun; its object is the place before the comma."""
    lows = st.tk.lows
    q = chunk.head
    if lows[q] not in ("the", "a", "an"):
        # inside a clause: "P is now the last town X holds" (the determiner found from the verb back)
        r = t.i - 1
        while r > chunk.i and (lows[r] in HAVE_AUX or lows[r] in ADVERBS):
            r -= 1
        subj = st.actor_end.get(r + 1)
        h = (subj.i if subj is not None else (r if lows[r] in _PRONOUNS_SUBJ else -1)) - 1
        if h <= chunk.i or lows[h] not in st.grammar.place_heads:
            return None
        q = h - 1
        while q > chunk.i and h - q <= 4 and lows[q] not in ("the", "a", "an"):
            q -= 1
    if q < 2 or lows[q] not in ("the", "a", "an"):
        return None
    cop = q - 1
    while cop > 0 and lows[cop] in ("now", "still", "already", "effectively", "probably"):
        cop -= 1
    copular = lows[cop] in _COPULAS  # "P is now the last town X holds"
    if lows[q - 1] != "," and not copular:
        return None
    r = q + 1
    while r < t.i and r - q <= 4 and lows[r] not in st.grammar.place_heads:
        r += 1
    if r >= t.i or lows[r] not in st.grammar.place_heads:
        return None
    r += 1
    subj = st.actor_at.get(r)
    r = subj.j if subj is not None else (r + 1 if r < t.i and lows[r] in _PRONOUNS_SUBJ else -1)
    if r < 0:
        return None
    while r < t.i and (lows[r] in HAVE_AUX or lows[r] in ADVERBS):
        r += 1
    if r != t.i:
        return None
    if copular:
        return subject_place(st, k, cop, st.chunk_of(k, cop))
    return _comma_antecedent(st, k, q) or _place_left(st, q - 1, max(st.layout.sentences[k].body_start, q - 8))


def _comma_antecedent(st: ArticleState, k: int, q: int) -> NP | None:
    """The town right before the comma that opens a relative clause or an appositive at ``q``
    ("from the direction of P, which IS has held since ...", "south of P, a town the group
    has held since ..."): the clause is about P even where P was named as a reference point."""
    if q < 2 or st.tk.lows[q - 1] != ",":
        return None
    p = st.place_end.get(q - 1)
    if p is None or p.kind != "settlement" or p.i in st.dateline_tokens:
        return None
    lo = st.layout.sentences[k].body_start
    aside = st.chunk_of(k, p.i)
    if aside is not None and aside.i > lo and _distance_aside(st, aside):
        # "towards P, about 65 km north-east of Q, which is still held by X": P, before the aside
        r = aside.i - 1
        while r > lo and st.tk.lows[r] in (",", "(", "—", "–"):
            r -= 1
        p = st.place_end.get(r + 1)
        if p is None or p.kind != "settlement":
            return None
    np = NP(p.i, p.j, places=[p])
    _list_left(st, np, _np_start(st, p.i, lo), lo)  # "including A and B, which troops retook"
    return np


def _no_longer(st: ArticleState, q: int) -> bool:
    lows = st.tk.lows
    window = lows[max(0, q - 4):q]
    return "no" in window and "longer" in window


def _control(st: ArticleState, k: int) -> list[Claim]:
    """Constructions with a control noun: take / be in / come under / lose control of P."""
    g = st.grammar
    lows = st.tk.lows
    s = st.layout.sentences[k]
    out: list[Claim] = []
    for c in range(s.body_start, s.j):
        w = lows[c]
        if w not in g.control_nouns and w != "hands":
            continue
        if w in ("hold", "sway") and c > 0 and lows[c - 1] not in ("its", "their", "the", "firm", "full", "tight"):
            continue
        chunk = st.chunk_of(k, c)
        passed = _control_passed(st, k, c, chunk)
        if passed is not None:
            out += passed  # "control of P passed to X"
            continue
        # qualifiers between the verb and the noun
        q = c - 1
        whole = partial = False
        while q >= s.body_start and lows[q] in (g.control_whole | g.control_partial | {"the", "its", "their", "a",
                                                                                       "near", "nearly", "almost",
                                                                                       "virtually", "back", "total",
                                                                                       "military", "security", '"',
                                                                                       "“", "”"}):
            if lows[q] in g.control_whole:
                whole = True
            if lows[q] in g.control_partial or lows[q] in ("nearly", "almost", "near", "virtually", "partial"):
                partial = True
            q -= 1
        verb = lows[q] if q >= s.body_start else ""
        verb2 = f"{lows[q - 1]} {verb}" if q - 1 >= s.body_start else ""
        after = lows[c + 1] if c + 1 < s.j else ""
        if after in ('"', "”") and c + 2 < s.j:
            after = lows[c + 2]  # 'is "in full control" of P': the quote marks are the outlet's
        holder_before = st.actor_end.get(q + 1)
        if (holder_before is not None or verb in _ADJ_ACTOR or verb in _POSSESSIVE) and w != "hands":
            r = holder_before.i - 1 if holder_before is not None else q - 1
            if verb in _POSSESSIVE:  # "under the group's control", "under the jihadists' rule"
                a2 = st.actor_end.get(q)
                r = a2.i - 1 if a2 is not None else q - 2
            while r >= s.body_start and lows[r] in ("the", "full", "complete", "total", "firm"):
                r -= 1
            if r >= s.body_start and lows[r] in ("under", "to", "into", "in"):
                out += _under_control(st, k, c, chunk, holder_after=False)
                continue
        if w == "hands":
            # "in the hands of X", "in X hands", "fell into the hands of X"
            # (the holder may come between: "in the militants' hands", "in the Islamic State's hands")
            if verb in ("in", "into") or lows[max(0, c - 5):c].count("in") or lows[max(0, c - 5):c].count("into"):
                out += _under_control(st, k, c, chunk, holder_after=after == "of")
            continue
        if verb in ("in",) and after in ("of", "over"):
            # "X is in (full) control of P"
            why = blocked(st, k, q, chunk)
            if why:
                continue
            np = scan_np(st, c + 2, _right_limit(st, k, chunk))
            subj = subject_actor(st, k, q, chunk)
            if np is None or subj is None:
                continue
            out += _make(st, k, _qualified(np, whole, partial), "held", c, chunk, gainer=subj, loser=None,
                         confidence=0.75, construction="control:in")
            continue
        if verb in ("under", "to", "into") or (verb == "of" and q - 1 >= 0 and lows[q - 1] == "under"):
            out += _under_control(st, k, c, chunk, holder_after=after == "of")
            continue
        if after not in ("of", "over", "on", "in"):
            # "the town where IS has control": not read
            continue
        kind = None
        if verb in g.control_gain or verb2 in g.control_gain:
            kind = "gain"
        elif verb in g.control_keep:
            kind = "keep"
        elif verb in g.control_lose or verb2 in g.control_lose:
            kind = "lose"
        if kind is None:
            continue
        why = blocked(st, k, q, chunk)
        if why:
            continue
        args = _right_args(st, k, c + 2, chunk, first_slot="object")
        np = args.get("object") or _enumerated(st, k, c + 1)
        if np is None:
            continue
        subj = subject_actor(st, k, q, chunk)
        before = len(out)
        if kind == "gain":
            loser = _actor_ref(args.get("from"))
            out += _make(st, k, _qualified(np, whole, partial), "captured", c, chunk, gainer=subj, loser=loser,
                         confidence=0.85, construction="control:gain")
        elif kind == "keep":
            out += _make(st, k, _qualified(np, whole, partial), "held", c, chunk, gainer=subj, loser=None,
                         confidence=0.7, construction="control:keep")
        else:
            gainer = _actor_ref(args.get("to"))
            out += _make(st, k, _qualified(np, whole, partial), "captured", c, chunk, gainer=gainer, loser=subj,
                         confidence=0.85, construction="control:lose")
        for cl in out[before:]:
            cl.verb = q
    return out


def _qualified(np: NP, whole: bool, partial: bool) -> NP:
    if partial and not np.partial:
        np.partial = True
    if whole and not partial:
        np.whole = True
    return np


def _under_control(st: ArticleState, k: int, c: int, chunk: Chunk | None, *, holder_after: bool) -> list[Claim]:
    """"P is under the control of X", "P came under X control", "P fell into the hands of X"."""
    g = st.grammar
    lows = st.tk.lows
    s = st.layout.sentences[k]
    # the holder: "of X" after the noun, else an actor or adjective just before it
    holder: Ref | None = None
    if holder_after:
        np = scan_np(st, c + 2, _right_limit(st, k, chunk))
        if np is not None:
            holder = _actor_ref(np)
    else:
        q = c - 1
        while q >= s.body_start and lows[q] in ("full", "complete", "total", "firm", "the"):
            q -= 1
        a = st.actor_end.get(q + 1)
        if q >= s.body_start and lows[q] in ("its", "their", "our"):
            holder = Ref(pronoun=q)  # ("in our hands", said in a quote: the speaker's side)
        elif a is not None:
            holder = Ref(actor=a)
        elif lows[q] in _ADJ_ACTOR:
            holder = Ref(raw=_ADJ_ACTOR[lows[q]])
        elif lows[q] in _POSSESSIVE:
            a = st.actor_end.get(q)
            if a is not None:
                holder = Ref(actor=a)
        elif q >= s.body_start and st.place_end.get(q + 1) is not None and st.place_end[q + 1].kind in ("settlement",) \
                and st.place_end[q + 1].text.lower() in SEAT_OF:
            holder = Ref(raw="government")
    if holder is None:
        return []
    # the verb before "under"/"to": come, fall, return (a change) or be, remain (a state)
    q = c - 1
    while q >= s.body_start and lows[q] not in ("under", "to", "into", "in"):
        q -= 1
    v = _prev_word(st, q, s.body_start)
    verb = lows[v] if v >= s.body_start else ""
    if blocked(st, k, v if v >= s.body_start else q, chunk):
        return []
    # "P is back under government control", "back in the hands of X": it was retaken
    change = verb in g.control_pass or "back" in lows[max(s.body_start, v):q]
    event = "captured" if change else "held"
    if v >= s.body_start and v not in st.place_end and lows[v] not in PASSIVE_AUX | HAVE_AUX | {"still", "now", "firmly",
                                                                                              "remain", "remains",
                                                                                              "remained", "which",
                                                                                              "that", "back"} \
            and lows[v] not in g.control_pass and not lows[v].endswith("ly") \
            and not (chunk is not None and (lows[chunk.head] in _DETS or lows[chunk.head] == "as")
                     and any(lows[r] in g.place_heads and not lows[r].endswith("s") for r in range(chunk.head, q))) \
            and not (chunk is not None and chunk.kind == "rel" and (lows[v] in g.place_heads or lows[v] in (
                "places", "towns", "areas", "pockets", "strongholds", "bastions", "cities"))):
        return []  # "left only a handful of villages in X's hands": a noun, not a place, is the subject
    np = _place_left(st, v + 1 if v >= s.body_start else q, chunk.head if chunk else s.body_start)
    if np is None and chunk is not None and (chunk.kind in ("rel", "appos") or lows[chunk.head] in _DETS
                                             or lows[chunk.head] == "as"):
        np = _antecedent(st, k, chunk)
    if np is None and chunk is not None and chunk.kind == "main" and v >= chunk.head:
        np = subject_place(st, k, v, chunk)  # "P, Iraq's second city, remains in X's hands"
    if np is None:
        return []
    if _no_longer(st, q):
        return _make(st, k, np, "captured", c, chunk, gainer=None, loser=holder, confidence=0.8,
                     construction="control:no_longer")
    # "which had been under peshmerga control (since 2014)": background, not the state now; the
    # "since" still dates when it began
    background = not change and "had" in lows[max(s.body_start, v - 3):v + 1]
    out = [] if background else _make(st, k, np, event, c, chunk, gainer=holder, loser=None,
                                      confidence=0.75 if change else 0.65,
                                      construction="control:under" if not change else "control:came_under")
    since = _since_clause(st, k, c, chunk) if not change else None
    if since is not None:
        taken = _make(st, k, np, "captured", c, chunk, gainer=holder,
                      loser=Ref(actor=since[1]) if since[1] is not None else None, confidence=0.6,
                      construction="control:since", flags={"since"})
        for cl in taken:
            if since[0] >= 0:
                cl.date_at = since[0]
        out += taken
    return out


_PASSED = frozenset({"passed", "went", "fell", "reverted", "returned", "shifted", "switched", "changed", "transferred"})


def _control_passed(st: ArticleState, k: int, c: int, chunk: Chunk | None) -> list[Claim] | None:
    """"Control of P passed (back) to X", "control of P was handed to X": X took P. ``None``
    when the control noun at ``c`` is not the subject of such a verb."""
    lows = st.tk.lows
    s = st.layout.sentences[k]
    if c + 1 >= s.j or lows[c + 1] != "of":
        return None
    if c > s.body_start and lows[c - 1] not in (",", "the", "full", "military", "effective", "administrative"):
        return None  # "took control of P": the verb before it reads it
    np = scan_np(st, c + 2, s.j)
    if np is None or not np.places:
        return None
    q = np.end
    while q < s.j and (lows[q] in ADVERBS or q in st.date_tokens(k) or lows[q] in ("was", "is", "has", "had", "been")):
        q += 1
    if q >= s.j or not (lows[q] in _PASSED or lows[q] in ("handed", "given")):
        return None
    q += 1
    if q < s.j and lows[q] in ("back", "over"):
        q += 1
    if q >= s.j or lows[q] not in ("to", "into"):
        return None
    a = st.actor_at.get(q + 1) or st.actor_at.get(q + 2)
    if a is None or a.label == "never":
        return None
    return _make(st, k, np, "captured", c, chunk, gainer=Ref(actor=a), loser=None, confidence=0.7,
                 construction="control:passed")


def _seat_of_district(p: PlaceM) -> bool:
    """A town that is the seat of a district (GeoNames PPLA2/PPLA3): "P district" is the district."""
    return p.place is not None and p.kind == "settlement" and p.place.feature_code in ("PPLA2", "PPLA3")


def _left_encircled(st: ArticleState, k: int, c: int) -> list[Claim]:
    """"..., leaving A, B and C encircled", "left P besieged": a siege by the clause's subject."""
    lows = st.tk.lows
    s = st.layout.sentences[k]
    p = st.place_end[c]
    np = NP(p.i, p.j, places=[p])
    _list_left(st, np, _np_start(st, p.i, s.body_start), s.body_start)
    v = np.start - 1
    while v >= s.body_start and lows[v] in ("the", "towns", "villages", "town", "village", "of", "cities", "city"):
        v -= 1
    if v < s.body_start or lows[v] not in ("leaving", "left", "leave", "leaves"):
        return []
    chunk = st.chunk_of(k, v)
    if blocked(st, k, v, chunk):
        return []
    gainer = subject_actor(st, k, v, chunk)
    if gainer is None and chunk is not None and chunk.i > s.body_start:
        gainer = subject_actor(st, k, chunk.i - 1, st.chunk_of(k, chunk.i - 1))  # "X closed the ring, leaving ..."
    return _make(st, k, np, "besieged", c, chunk, gainer=gainer, loser=None, confidence=0.65,
                 construction="adjective:left_besieged")


def _flag_owner(st: ArticleState, c: int) -> Ref | None:
    """Whose flag the flag at ``c`` is: "the IS flag" (an actor), "the Iraqi flag", "the national
    flag" (the state's)."""
    lows = st.tk.lows
    a = st.actor_end.get(c)
    if a is not None:
        return Ref(actor=a)
    if c >= 1 and lows[c - 1] in ("national", "iraqi", "syrian", "government", "state"):
        return Ref(raw="government")
    p = st.place_at.get(c + 2) if c + 2 < st.tk.n and lows[c + 1] == "of" else None
    if p is not None and p.kind == "country":
        return Ref(raw="government")  # "the flag of Iraq"
    return None


def _symbolic(st: ArticleState, k: int) -> list[Claim]:
    """"raised their flag over P" and "declared victory (over X) in P"."""
    g = st.grammar
    lows = st.tk.lows
    s = st.layout.sentences[k]
    out: list[Claim] = []
    for c in range(s.body_start, s.j):
        w = lows[c]
        if w in ("flag", "flags"):
            v = None
            for q in range(c - 1, max(s.body_start, c - 6) - 1, -1):
                if lows[q] in g.flag_verbs:
                    v = q
                    break
            passive = False
            if v is None:
                # "the national flag was hoisted over P": the verb after the flag, in the passive
                q = c + 1
                owner_place = st.place_at.get(q + 1) if q + 1 < s.j and lows[q] == "of" else None
                if owner_place is not None and owner_place.kind == "country":
                    q = owner_place.j  # "the national flag of Syria was hoisted"
                while q < s.j and q - c <= 6 and (lows[q] in PASSIVE_AUX or lows[q] in HAVE_AUX or lows[q] in ADVERBS):
                    q += 1
                if q < s.j and q > c + 1 and lows[q - 1] not in ("of",) and lows[q] in g.flag_verbs \
                        and lows[q].endswith(("ed", "own")):
                    v, passive = q, True
            if v is None:
                continue
            q = (v if passive else c) + 1
            while q < s.j and q - c < (8 if passive else 4) and lows[q] not in g.flag_preps:
                q += 1
            if q >= s.j or lows[q] not in g.flag_preps:
                continue
            chunk = st.chunk_of(k, v)
            if blocked(st, k, v, chunk):
                continue
            np = scan_np(st, q + 1, _right_limit(st, k, chunk), allow_in=True)
            if (np is None or not (np.places or np.coref >= 0)) and q + 2 < s.j and lows[q + 1] == "its" \
                    and lows[q + 2] in st.grammar.sites:
                np = NP(q + 1, q + 3, coref=q + 1)  # "raised the flag over its hospital": the town's
            if np is None:
                continue
            if np.site == "inner" and not np.partial_word:
                np.partial, np.site = False, ""  # "over a building in the town of P": the flag claims the town
            subj = _flag_owner(st, c) if passive else subject_actor(st, k, v, chunk)
            out += _make(st, k, np, "captured", v, chunk, gainer=subj, loser=None, confidence=0.75,
                         construction="symbolic:flag")
        elif w in ("siege", "blockade", "encirclement") and c + 1 < s.j and lows[c + 1] in ("of", "on", "around"):
            # "broke the Islamic State's siege of P": the relieving side reaches the town
            v = _siege_breaker(st, k, c)
            if v is None:
                continue
            chunk = st.chunk_of(k, v)
            if blocked(st, k, v, chunk):
                continue
            np = scan_np(st, c + 2, _right_limit(st, k, chunk))
            if np is None or not np.places:
                continue
            besieger = None
            for q in range(v + 1, c):
                a = st.actor_at.get(q)
                if a is not None and a.label != "never":
                    besieger = Ref(actor=a)
            subj = subject_actor(st, k, v, chunk)
            out += _make(st, k, np, "entered", v, chunk, gainer=subj, loser=besieger, confidence=0.7,
                         construction="symbolic:siege_broken")
        elif w in ("free", "cleared", "rid", "purged") and c + 2 < s.j and lows[c + 1] in ("of", "from") \
                and (c + 2) in st.actor_at:
            out += _free_of(st, k, c)
        elif w in ("besieged", "encircled", "surrounded") and c - 1 >= s.body_start and lows[c - 1] == "the":
            out += _relieved(st, k, c)
        elif w in g.adj_besieged and c in st.place_end:
            out += _left_encircled(st, k, c)
        elif w in _DECLARED and c + 1 < s.j:
            out += _declared(st, k, c)
        elif w in _ENDED and c > s.body_start:
            out += _operations_ended(st, k, c)
        elif w == "victory":
            v = None
            for q in range(c - 1, max(s.body_start, c - 6) - 1, -1):
                if lows[q] in g.victory_verbs:
                    v = q
                    break
            if v is None:
                continue
            chunk = st.chunk_of(k, v)
            if blocked(st, k, v, chunk):
                continue
            args = _right_args(st, k, c + 1, chunk, first_slot=None)
            np = args.get("in") or args.get("over") if (args.get("in") or (args.get("over") and args["over"].places)) else None
            if np is None or not (np.places or np.coref >= 0):
                continue
            loser = _actor_ref(args.get("over")) or _actor_ref(args.get("against"))
            subj = subject_actor(st, k, v, chunk)
            out += _make(st, k, np, "captured", v, chunk, gainer=subj, loser=loser, confidence=0.8,
                         construction="symbolic:victory")
    return out


_ENDED = frozenset({"over", "ended", "end", "concluded", "finished", "complete", "completed"})
_OPERATIONS = frozenset({"operations", "operation", "battle", "offensive", "campaign", "fighting", "combat"})


def _operations_ended(st: ArticleState, k: int, c: int) -> list[Claim]:
    """The battle for a town is over, so its attacker holds it: "military operations in P are
    over", "the battle for P has ended", "declared the end of operations in P". The gainer is
    who says or declares it."""
    lows = st.tk.lows
    s = st.layout.sentences[k]
    ops = None
    if lows[c] == "end":  # "(declared|announced|marked) the end of (the) (military) operations in P"
        q = c + 1
        if q < s.j and lows[q] == "of":
            q += 1
            while q < s.j and lows[q] in ("the", "all", "military", "combat", "major", "ground"):
                q += 1
            if q < s.j and lows[q] in _OPERATIONS:
                ops = q
        v = c - 2 if c - 2 >= s.body_start and lows[c - 1] == "the" else c - 1
        if ops is None or v < s.body_start or lows[v] not in _DECLARED | {"marked", "marks", "announce", "declare"}:
            return []
    else:  # "operations in P (were|have) over|ended"
        q = c - 1
        while q > s.body_start and lows[q] in ("now", "finally", "officially", "effectively", "all", "largely"):
            q -= 1
        if lows[q] not in ("was", "were", "is", "are", "had", "has", "have", "been", "now"):
            return []
        if lows[q] in ("been",):
            q -= 1
        v = c
        r = q - 1
        # back over the place phrase to the noun of operations
        while r > s.body_start and r > q - 10 and lows[r] not in _OPERATIONS and lows[r] not in (".", ";", ","):
            r -= 1
        if lows[r] not in _OPERATIONS:
            return []
        ops = r
    q = ops + 1
    if q < s.j and lows[q] not in ("in", "for", "to", "inside"):
        return []
    if q < s.j and lows[q] == "to" and q + 1 < s.j and lows[q + 1] in ("liberate", "retake", "recapture", "free",
                                                                      "capture", "take"):
        q += 1
    np = scan_np(st, q + 1, min(s.j, q + 8))
    if np is None or not np.places or (lows[c] != "end" and np.places[0].j > c):
        return []
    chunk = st.chunk_of(k, v)
    if blocked(st, k, v, chunk):
        return []
    # who says it: the subject of the declaring verb, else the speaker of a report verb before it
    speaker = None
    if lows[c] == "end":
        speaker = subject_actor(st, k, v, chunk)
    else:
        for r in range(ops - 1, max(s.body_start, ops - 40) - 1, -1):
            if lows[r] in REPORT_VERBS:
                speaker = subject_actor(st, k, r, st.chunk_of(k, r))
                break
    return _make(st, k, np, "captured", v, chunk, gainer=speaker, loser=None, confidence=0.7,
                 construction="symbolic:operations_ended")


def _siege_breaker(st: ArticleState, k: int, c: int) -> int | None:
    """The verb that breaks the siege named by the noun at ``c``: "broke the siege of P", "lifted
    the nearly three-year Islamic State siege of P" (up to ten words back, within the clause)."""
    lows = st.tk.lows
    for q in range(c - 1, max(st.layout.sentences[k].body_start, c - 10) - 1, -1):
        w = lows[q]
        if w in _BREAK_SIEGE:
            return q
        if w in (",", ";", ":", "and", "but", "which", "that", "who"):
            return None
    return None


_BREAK_SIEGE = frozenset({"broke", "break", "breaks", "breaking", "broken", "lifted", "lift", "lifts", "lifting",
                          "breached", "breach", "smashed", "punched",
                          "ended", "end", "ends", "ending", "relieved", "relieve", "relieving"})
_DECLARED = frozenset({"declared", "declare", "declares", "declaring", "announced", "pronounced", "proclaimed"})
#: the words the loop of _symbolic starts from
_SYMBOLIC_WORDS = frozenset({"flag", "flags", "siege", "blockade", "encirclement", "victory", "free", "cleared", "rid",
                             "purged", "besieged", "encircled", "surrounded"}) | _DECLARED | _ENDED
_FREED = frozenset({"liberated", "freed", "recaptured", "captured", "retaken", "cleared", "secured", "free",
                    "fully", "completely", "totally"})


def _free_of(st: ArticleState, k: int, c: int) -> list[Claim]:
    """A town stated free of a side: "P is now completely free of IS", "the city was declared
    free of Daesh": that side lost it (the gainer is inferred from the article)."""
    lows = st.tk.lows
    s = st.layout.sentences[k]
    a = st.actor_at[c + 2]
    if a.label in ("never", "anaphor"):
        return []
    q = c - 1
    while q > s.body_start and lows[q] in ("now", "completely", "fully", "totally", "entirely", "finally", "all",
                                           "officially", "declared", "been", "largely"):
        q -= 1
    if lows[q] not in ("is", "are", "was", "were", "been", "be", "now", "declared"):
        return []
    r = q - 1
    np = None
    p = st.place_end.get(r + 1)
    if p is not None:
        np = NP(p.i, p.j, places=[p])
    elif r >= s.body_start + 1 and lows[r] in st.grammar.place_heads and lows[r - 1] in ("the", "this"):
        np = NP(r - 1, r + 1, coref=r)
    chunk = st.chunk_of(k, q)
    if np is None and lows[r] == ",":
        np = _subject_before_aside(st, k, q, chunk)  # "the town of P, 20 km to the south, was cleared of X"
    if np is None:
        return []
    if blocked(st, k, q, chunk):
        return []
    return _make(st, k, np, "captured", c, chunk, gainer=_declarer(st, k, chunk), loser=Ref(actor=a),
                 confidence=0.7, construction="symbolic:free_of")


_REACH = frozenset({"reached", "reach", "reaching", "reaches", "joined", "relieved", "relieve", "relieving"})


def _relieved(st: ArticleState, k: int, c: int) -> list[Claim]:
    """Relief of a siege: "broke through to the besieged P", "reached the besieged P", "linked up
    with the besieged garrison of P": the garrison held out, and the side that arrives holds P
    with it (``held``); the besieger never held P."""
    lows = st.tk.lows
    s = st.layout.sentences[k]
    v = None
    q = c - 2  # before "the"
    if q >= s.body_start and lows[q] in ("to", "with") and q - 1 >= s.body_start:
        q -= 1  # "broke through to", "linked up with"
        if lows[q] in ("through", "up") and q - 1 >= s.body_start:
            q -= 1
        if lows[q] in _BREAK_SIEGE | {"linked", "link", "linking", "broke", "punched", "fought", "pushed"}:
            v = q
    elif q >= s.body_start and lows[q] in _REACH:
        v = q
    if v is None:
        return []
    np = scan_np(st, c + 1, min(s.j, c + 10), allow_in=True)
    if np is None or not np.places:
        return []
    chunk = st.chunk_of(k, v)
    if blocked(st, k, v, chunk):
        return []
    subj = subject_actor(st, k, v, chunk)
    if subj is None:
        return []
    return _make(st, k, np, "held", v, chunk, gainer=subj, loser=None, confidence=0.7,
                 construction="symbolic:siege_relieved")


def _declared(st: ArticleState, k: int, c: int) -> list[Claim]:
    """"declared P liberated", "declares Raqa liberated", "declared it liberated"."""
    lows = st.tk.lows
    s = st.layout.sentences[k]
    q = c + 1
    np = None
    p = st.place_at.get(q)
    if p is not None:
        np = NP(p.i, p.j, places=[p])
        q = p.j
    elif lows[q] in ("it", "the") and q + 1 < s.j:
        if lows[q] == "it":
            np = NP(q, q + 1, coref=q)
            q += 1
        elif lows[q + 1] in st.grammar.place_heads and (q + 2 >= s.j or lows[q + 2] != "of"):
            np = NP(q, q + 2, coref=q + 1)
            q += 2
        else:
            got = scan_np(st, q, min(s.j, q + 8))  # "declared the city of P (fully) liberated"
            if got is not None and got.places and not got.partial:
                np, q = got, got.end
    if np is None:
        return []
    words = lows[q:q + 3]
    if not words or words[0] not in _FREED or (words[0] in ("fully", "completely", "totally") and
                                               (len(words) < 2 or words[1] not in _FREED)):
        return []
    chunk = st.chunk_of(k, c)
    if blocked(st, k, c, chunk):
        return []
    subj = subject_actor(st, k, c, chunk)
    freed = q + 1 if words[0] in ("fully", "completely", "totally") else q
    out = _make(st, k, np, "captured", freed, chunk, gainer=subj, loser=None, confidence=0.8,
                construction="symbolic:declared")
    for cl in out:
        cl.verb = c  # (the trigger is the word that frees it: "declared P liberated" is a liberation)
    return out


def _adjective(st: ArticleState, k: int) -> list[Claim]:
    """"the ISIS-besieged city of P" (a claim); "IS-held P" (a hint about the holder)."""
    g = st.grammar
    lows = st.tk.lows
    tk = st.tk
    s = st.layout.sentences[k]
    out: list[Claim] = []
    for c in range(s.body_start + 2, s.j):
        w = lows[c]
        if w not in g.adj_held and w not in g.adj_besieged:
            continue
        if lows[c - 1] != "-" or not tk.glued(c) or not tk.glued(c - 1):
            continue
        a = st.actor_end.get(c - 1)
        ref = Ref(actor=a) if a is not None else (Ref(raw=_ADJ_ACTOR[lows[c - 2]]) if lows[c - 2] in _ADJ_ACTOR else None)
        if ref is None:
            continue
        np = scan_np(st, c + 1, min(s.j, c + 9))
        if (np is None or not np.places) and w in g.adj_held:
            out += _held_predicate(st, k, a.i if a is not None else c - 2, c, ref)  # "P is still IS-held"
            continue
        if np is None or not np.places:
            continue
        if w in g.adj_besieged:
            chunk = st.chunk_of(k, c)
            out += _make(st, k, np, "besieged", c, chunk, gainer=ref, loser=None, confidence=0.6,
                         construction="adjective:besieged", flags={"adjective"})
        else:
            for p in np.places:
                st.hint(p, ref)
    return out


_COPULAS = frozenset({"is", "are", "was", "were", "remains", "remain", "remained", "stays", "stayed"})


def _held_predicate(st: ArticleState, k: int, start: int, c: int, ref: Ref) -> list[Claim]:
    """"P is still IS-held", "the town remains rebel-controlled": a state, its subject the place."""
    lows = st.tk.lows
    s = st.layout.sentences[k]
    r = start - 1
    while r >= s.body_start and lows[r] in ("still", "now", "largely", "firmly", "fully", "completely", "mostly"):
        r -= 1
    if r < s.body_start or lows[r] not in _COPULAS or (c + 1 < s.j and lows[c + 1] not in (",", ".", ";", "and", "but",
                                                                                            "since", "for", "until")):
        return []
    chunk = st.chunk_of(k, r)
    if blocked(st, k, r, chunk):
        return []
    np = subject_place(st, k, r, chunk)
    if np is None or not (np.places or np.coref >= 0):
        return []
    return _make(st, k, np, "held", c, chunk, gainer=ref, loser=None, confidence=0.65,
                 construction="adjective:held_predicate")


def _stronghold(st: ArticleState, k: int) -> list[Claim]:
    """"P, the group's last stronghold", "X's stronghold of P", "P, a stronghold of X"."""
    g = st.grammar
    lows = st.tk.lows
    s = st.layout.sentences[k]
    out: list[Claim] = []
    for c in range(s.body_start, s.j):
        if lows[c] not in g.stronghold_nouns or lows[c] == "citadel":
            continue
        lo = max(s.body_start, c - 7)
        window = lows[lo:c]
        if any(t in st.trig_at and st.trig_at[t].form.frame.name in ("take", "lose", "fall", "expel", "enter", "besiege")
               for t in range(max(s.body_start, c - 4), c)):
            continue  # "after losing its stronghold of P": the object of a claim, not a statement
        if "," in window[:-1]:
            # an appositive ("advanced towards P, the last stronghold of IS"): only its own words count
            window = window[len(window) - 1 - window[::-1].index(","):]
        if any(w in ("former", "once", "was", "were", "had", "old", "previous", "ex", "been", "would", "could",
                     "bid", "push", "toward", "towards", "against", "for", "launch", "attack", "assault") for w in window):
            continue
        # the holder: "X's", "its", "of X", an actor just before, or an adjective ("IS stronghold")
        holder: Ref | None = None
        for q in range(c - 1, lo - 1, -1):
            a = st.actor_end.get(q + 1)
            if a is not None and a.label != "never":
                holder = Ref(actor=a)
                break
            if lows[q] in ("its", "their"):
                holder = Ref(pronoun=q)
                break
            if lows[q] in ("'s", "’s") and st.actor_end.get(q) is not None:
                holder = Ref(actor=st.actor_end[q])
                break
            if lows[q] in (",", "which", "is", "as", "of") and q < c - 1 and lows[q] not in ("of",):
                break
        place_np = None
        if c + 1 < s.j and lows[c + 1] in ("of", "in") and c + 2 < s.j:
            np = scan_np(st, c + 2, min(s.j, c + 8))
            if np is not None and np.actor is not None and holder is None and lows[c + 1] == "of":
                holder = Ref(actor=np.actor)
            elif np is not None and np.places and lows[c + 1] == "of":
                place_np = np
        if place_np is None:
            # an appositive: "P, the X stronghold" / "P, X's de facto capital"
            q = lo
            for r in range(c - 1, lo - 1, -1):
                if lows[r] == ",":
                    q = r
                    break
            else:
                q = -1
            if q >= s.body_start:
                p = st.place_end.get(q)
                if p is None and q - 1 >= s.body_start and lows[q - 1] in ("city", "town", "village"):
                    p = st.place_end.get(q - 1)  # "P city, the last stronghold of X"
                if p is not None and p.eligible:
                    place_np = NP(p.i, p.j, places=[p])
            if place_np is None and c + 2 < s.j and lows[c + 1] in (",", "–", "—", "-"):
                p = st.place_at.get(c + 2)
                if p is not None and p.eligible:
                    place_np = NP(p.i, p.j, places=[p])
            if place_np is None:
                place_np = _copula_subject(st, k, c, lo)  # "P (, to the east,) remains an IS enclave"
        if place_np is None or holder is None:
            continue
        chunk = st.chunk_of(k, c)
        out += _make(st, k, place_np, "held", c, chunk, gainer=holder, loser=None, confidence=0.55,
                     construction="stronghold", flags={"stronghold"})
    return out


_RESULT_WORDS = frozenset({"flattened", "destroyed", "devastated", "damaged", "razed", "ruined", "wrecked",
                           "empty", "deserted", "dead", "homeless", "without", "in", "under", "littered",
                           "strewn", "scarred", "uninhabitable", "open", "exposed", "vulnerable", "isolated",
                           "cut", "surrounded", "encircled", "reeling", "struggling", "shattered"})


def _resultative(st: ArticleState, k: int, t: TrigM) -> bool:
    """"left P in ruins", "left much of the city flattened": ``leave`` + object + a state."""
    lows = st.tk.lows
    s = st.layout.sentences[k]
    np = scan_np(st, t.j, s.j)
    q = np.end if np is not None else t.j
    if np is None:
        while q < s.j and q - t.j < 6 and lows[q] not in _RESULT_WORDS and lows[q] not in (",", ".", "and"):
            q += 1
    if q >= s.j:
        return False
    if lows[q] == "in":
        return q + 1 < s.j and lows[q + 1] in ("ruins", "rubble", "tatters", "flames", "shambles", "place")
    if lows[q] == "under":
        return False  # "left P under X control": a handover, read elsewhere
    return lows[q] in _RESULT_WORDS


_INCLUDES = frozenset({"includes", "include", "included", "including", "comprises", "comprising", "contains",
                       "containing", "spans", "spanning", "covers", "covering"})


def _included_places(st: ArticleState, k: int, q: int) -> NP | None:
    """The places an area phrase is said to include, after it: "a pocket east of the river
    that includes the villages of A, B and C", "a strip of land including A and B"."""
    lows = st.tk.lows
    s = st.layout.sentences[k]
    stop = min(s.j, q + 14)
    r = q
    while r < stop and lows[r] not in _INCLUDES:
        if r in st.trig_at or r in st.actor_at or lows[r] in (".", ";"):
            return None
        r += 1
    if r >= stop:
        return None
    np = scan_np(st, r + 1, s.j)
    if np is None or not np.places:
        return None
    return np


_LAST_WORDS = frozenset({"last", "only", "final", "sole"})


def _left_to(st: ArticleState, k: int) -> list[Claim]:
    """"A withdrew from the south, leaving (the town of) P to B": B took P from A. Read when the
    sentence's withdrawal names no town of its own (else the handover of that claim reads it)."""
    lows = st.tk.lows
    s = st.layout.sentences[k]
    out: list[Claim] = []
    chunks = st.chunks(k)
    for idx, c in enumerate(chunks):
        if idx == 0 or lows[c.head] not in _HANDOVER_HEADS:
            continue
        before = [t for t in st.scan.triggers if chunks[0].i <= t.i < c.i and t.form.frame.name in ("withdraw", "lose")
                  and not t.form.is_noun]
        if not before:
            continue
        np = scan_np(st, c.head + 1, c.j)
        if np is None or not np.places or np.partial:
            continue
        q = np.end
        if q < c.j and lows[q] == "back":
            q += 1
        if q + 1 >= c.j or lows[q] != "to":
            continue
        r = q + 1
        while r < c.j and lows[r] in ("the", "advancing", "approaching", "oncoming", "incoming"):
            r += 1
        a = st.actor_at.get(r) or st.actor_at.get(q + 1)
        if a is None or a.label in ("never", "anaphor"):
            continue
        loser = subject_actor(st, k, before[0].i, st.chunk_of(k, before[0].i))
        out += _make(st, k, np, "captured", c.head, c, gainer=Ref(actor=a), loser=loser, confidence=0.65,
                     construction="withdraw:left_to", flags={"handover"})
    del s
    return out


def _left_as_last(st: ArticleState, k: int) -> list[Claim]:
    """", leaving P (, aside,) as the last city under its control": P is still held by the side
    the sentence is about (its possessive, else the last side named before)."""
    lows = st.tk.lows
    s = st.layout.sentences[k]
    out: list[Claim] = []
    for q in range(s.body_start, s.j):
        if lows[q] not in _LEAVE_WORDS:
            continue
        p = st.place_at.get(q + 1)
        if p is None or not p.eligible:
            continue
        r = p.j
        if r < s.j and lows[r] == ",":  # an aside: ", just over the frontier,"
            r2 = r + 1
            while r2 < s.j and lows[r2] != "," and r2 - r < 10:
                r2 += 1
            r = r2 + 1 if r2 < s.j and lows[r2] == "," else r
        if r < s.j and lows[r] == "as":
            r += 1
        window = lows[r:min(s.j, r + 4)]
        if not any(w in _LAST_WORDS for w in window):
            continue
        tail = lows[r:min(s.j, r + 12)]
        if not any(w in st.grammar.place_heads or w in st.grammar.stronghold_nouns for w in tail):
            continue
        holder: Ref | None = None
        for t in range(r, min(s.j, r + 12)):
            if lows[t] in ("its", "their"):
                holder = Ref(pronoun=t)
                break
            a = st.actor_at.get(t)
            if a is not None and a.label != "never":
                holder = Ref(actor=a)
                break
        if holder is None:
            prev = [a for a in st.scan.actors if s.body_start <= a.i < q and a.label not in ("never",)]
            if prev:
                holder = Ref(actor=prev[-1])
        if holder is None:
            continue
        chunk = st.chunk_of(k, q)
        out += _make(st, k, NP(p.i, p.j, places=[p]), "held", q, chunk, gainer=holder, loser=None,
                     confidence=0.6, construction="left_as_last", flags={"last"})
    return out


_COPULAS = frozenset({"is", "remains", "remained", "becomes", "became", "stays"})


def _copula_subject(st: ArticleState, k: int, c: int, lo: int) -> NP | None:
    """The place before a copula that a stronghold noun at ``c`` describes: "P is the
    group's last bastion", "P, to the east, remains an IS enclave"."""
    lows = st.tk.lows
    s = st.layout.sentences[k]
    words = st.tk.words
    r = c - 1
    while r >= lo and not (lows[r] in _COPULAS and words[r] == lows[r]):  # "is", not the group "IS"
        r -= 1
    if r < lo:
        return None
    q = r
    if q - 1 >= s.body_start and lows[q - 1] == ",":
        q2 = q - 2
        while q2 >= s.body_start and lows[q2] != "," and q - q2 < 9:
            q2 -= 1
        if q2 < s.body_start or lows[q2] != ",":
            return None
        q = q2
    p = st.place_end.get(q)
    if p is None or not p.eligible:
        return None
    return NP(p.i, p.j, places=[p])


#: words just before a cue of fighting that goes on which close it: "the last pockets of resistance",
#: "after battles continued for seventy days" (the fighting before the capture)
_NOT_OPEN = frozenset({"last", "final", "remaining", "after", "following"})


_LEAVING_LEMMAS = frozenset({"flee", "fled", "flees", "fleeing"})


def _entered_after_withdrawal(st: ArticleState, k: int, claims: list[Claim]) -> None:
    """"Troops entered P after the militants withdrew": an entry the other side left open is a
    capture (the withdrawal has no place of its own, or the same one)."""
    entries = [c for c in claims if c.event == "entered" and c.construction.startswith("enter:")
               and not c.flags & {"partial", "share", "site"}]
    if not entries:
        return
    lows = st.tk.lows
    s = st.layout.sentences[k]
    for t in st.scan.triggers:
        if not s.body_start <= t.i < s.j or not (t.form.frame.name == "withdraw" or lows[t.i] in _LEAVING_LEMMAS):
            continue
        chunk = st.chunk_of(k, t.i)
        if chunk is None or chunk.kind != "sub" or lows[chunk.head] not in ("after", "once", "when", "as"):
            continue
        others = [c for c in claims if c.trigger == t.i]
        for c in entries:
            if c.trigger < chunk.i and all(o.place.key == c.place.key for o in others):
                c.event = "captured"
                c.flags.add("unopposed")


def _continuing(st: ArticleState, k: int, claims: list[Claim]) -> None:
    """"..., but fighting continued inside the city": the claim stays open (``entered``)."""
    if not claims:
        return
    a, b = st.sentence_text(k)
    low = st.text[a:b].lower()
    def open_cue(cue: str) -> bool:  # "the last pockets of resistance" were cleared: nothing stays open
        at = low.find(cue)
        while at >= 0:
            before = set(low[:at].split()[-3:])
            after = low[at + len(cue):].split()[:1]
            if not before & _NOT_OPEN and not (cue.startswith("remain") and (before & _NOT_FIGHTERS or after and after[0] in (
                    "hands", "control", "government"))):
                return True  # (but "remain in the hands of X" is a state, no fighting)
            at = low.find(cue, at + 1)
        return False

    if any(open_cue(cue) for cue in st.grammar.continuing):
        for c in claims:
            if c.event in ("captured", "held") and not c.region:
                c.event = "entered"
                c.flags.add("continuing")
