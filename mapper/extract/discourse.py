"""Discourse: reading past one clause.

salient_place(state, k, q)      "the town", "the city", "it" -> the place the text is about
settle_actors(state, claims)    pronouns, "the forces", "the army", "militants" -> actors;
                                a side left unnamed is inferred from the article's other side
merge(claims)                   a change stated twice in one article is one claim

Salience: the nearest place before the pointer in its sentence, else the latest place of the
two sentences before, else the headline's. Actors: "it"/"they" after "X said" is X; otherwise
the subject of the last claim or clause; generic words ("the army", "militants") are settled
by the country of the place and by the article's main insurgent; a rebel group tied to Turkey
anywhere in the article is Turkish-backed throughout.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from mapper.actors import EUPHRATES_SHIELD, SDF_FOUNDED, government_of

from .clauses import REPORT_VERBS
from .mentions import PlaceM
from .state import ArticleState, Claim, Ref

__all__ = ["salient_place", "region_of_salient", "settle_actors", "merge", "infer_sides"]

_STATE_LABELS = frozenset({"Syrian government", "Iraqi government"})
_FREEING = frozenset({"liberate", "liberation", "free", "clear", "purge", "rid", "recapture", "retake", "retaking",
                      "regain", "reclaim", "recover", "recovery"})


def _freeing(st: ArticleState, c: Claim) -> bool:
    """A claim worded as a liberation or a return ("liberated", "retook", "was taken back",
    "won back"): the side that gains it is the one fighting the insurgent."""
    lows = st.tk.lows
    lemma = lows[c.trigger]
    if any(lemma.startswith(f[:5]) for f in _FREEING):
        return True
    t = st.trig_at.get(c.trigger)
    return t is not None and t.form.particle == ("back",)


_FEATURE_HEADS = {"airbase": ("AIRB", "AIRF", "AIRP"), "base": ("AIRB", "AIRF", "MILB"), "airport": ("AIRP", "AIRF"),
                  "dam": ("DAM",), "refinery": ("OILR",), "crossing": ("BCN", "PSTB"), "field": ("OILF", "GASF")}


def salient_place(st: ArticleState, k: int, q: int) -> PlaceM | None:
    """The place "the town", "the city" or "it" at token ``q`` of sentence ``k`` points to.

    A head noun narrows the choice ("the airbase" is a place named as an air base, "the
    village" one named as a village); places that claims were about come first; reference
    points ("40 km north of P") never.
    """
    head = st.tk.lows[q] if 0 <= q < st.tk.n else ""
    feature = _FEATURE_HEADS.get(head)
    s = st.layout.sentences[k]

    def fits(p: PlaceM) -> bool:
        if feature:
            return p.place is not None and p.place.feature_code in feature
        if head in ("town", "city", "village", "hamlet", "settlement"):
            return p.kind == "settlement"
        return True

    def pick(cands: list[PlaceM], *, last: bool) -> PlaceM | None:
        cands = [p for p in cands if fits(p)]
        if not cands:
            return None
        if head:
            named = [p for p in cands if st.head_of.get(p.i) == head]
            if named:
                return named[-1]
        claimed = [p for p in cands if p.i in st.claimed]
        pool = claimed or [p for p in cands if p.kind == "settlement"] or cands
        return pool[-1] if last else pool[0]

    here = [p for p in st.scan.places if s.body_start <= p.i < q and _anchorable(st, p) and fits(p)]
    before: list[PlaceM] = []
    for back in range(k - 1, max(-1, k - 4), -1):
        sb = st.layout.sentences[back]
        if sb.part in ("body", "headline"):
            before = [p for p in st.scan.places if sb.body_start <= p.i < sb.j and _anchorable(st, p) and fits(p)] + before
    if head:
        headed = _headed_ids(st, head)
        for pool in (here, before):
            named = [p for p in pool if st.head_of.get(p.i) == head
                     or (p.place is not None and p.place.place_id in headed)]
            if named:
                return named[-1]  # "the village" is the place last named as a village (this sentence first)
    for pool in (here, before):
        claimed = [p for p in pool if p.i in st.claimed]
        if claimed:
            return claimed[-1]
    best = pick(here, last=True) or pick(before, last=True)
    if best is not None:
        return best
    for h in st.layout.headline_indices():
        sh = st.layout.sentences[h]
        best = pick([p for p in st.scan.places if sh.i <= p.i < sh.j and _anchorable(st, p)], last=False)
        if best is not None:
            return best
    return None


def _headed_ids(st: ArticleState, head: str) -> set[str]:
    """Ids of the places the article names with a head noun ("the town of P"): another
    mention of P without it is still "the town"."""
    cache = st.__dict__.setdefault("_headed_cache", {})
    got = cache.get(head)
    if got is None:
        got = {q.place.place_id for q in st.scan.places if q.place is not None and st.head_of.get(q.i) == head}
        cache[head] = got
    return got


def _anchorable(st: ArticleState, p: PlaceM) -> bool:
    from .roles import _is_reference

    return p.eligible and not p.in_actor and p.i not in st.dateline_tokens and (
        p.i in st.claimed or not _is_reference(st, p))


def region_of_salient(st: ArticleState, k: int, q: int) -> PlaceM | None:
    """The country of the place the text is about, as a region-level place."""
    p = salient_place(st, k, q)
    if p is None:  # the sentence's own places after the pointer, else the article's country
        s = st.layout.sentences[k]
        after = [x for x in st.scan.places if s.body_start <= x.i < s.j and x.eligible]
        p = after[0] if after else None
    cc = p.place.country if p is not None and p.place is not None else getattr(st, "main_country", None)
    if cc is None:
        return None
    place = st.gaz.get(f"mapper:country-{cc.lower()}")
    if place is None:
        return None
    return PlaceM(q, q + 1, st.tk.starts[q], st.tk.ends[q], place.name, "", True, place=place, kind="country")


def _label_of(st: ArticleState, ref: Ref | None, claim: Claim, *, role: str) -> str:
    if ref is None:
        return ""
    if ref.raw:
        return _settle(st, ref.raw, claim)
    if ref.label and ref.actor is None and ref.pronoun < 0:
        return _settle(st, ref.label, claim)
    if ref.actor is not None:
        return _settle(st, ref.actor.label, claim, at=ref.actor.i)
    if ref.pronoun >= 0:
        return _pronoun(st, ref.pronoun, claim, role=role, ref_obj=ref)
    return ""


def _country_of(claim: Claim) -> str | None:
    p = claim.place.place
    return getattr(p, "country", None) if p is not None else None


def _settle(st: ArticleState, label: str, claim: Claim, *, at: int = -1) -> str:
    """A canonical actor for a (maybe provisional) label, given the claim's place and date."""
    country = _country_of(claim)
    when = claim.date or st.anchor  # a background change happened before the article: its names bound it
    if label == "government":
        return government_of(country) or ""
    if label == "generic":
        return st.main_insurgent
    if label == "anaphor":
        q = at if at >= 0 else claim.trigger
        if at >= 0 and st.tk.lows[at] == "our" or at >= 1 and st.tk.lows[at - 1] == "our":
            # "our forces", "our fighters": the side the text speaks for, never the insurgent it
            # reports on (the side it names most other than that one)
            own = [a for a, _n in st.side_counts.most_common() if a != st.main_insurgent]
            if own:
                return own[0]
        word = st.tk.lows[q + 1] if at >= 0 and q + 1 < st.tk.n else ""
        prefer = word in ("group", "organisation", "organization")
        if prefer and st.main_insurgent in st.side_counts:
            return st.main_insurgent  # "the group": the insurgent the article is about
        if word in ("alliance", "militia", "militias"):
            # "the alliance": the side last named as one ("the SDF, a Kurdish-Arab alliance")
            named = _last_named_as(st, q, ("alliance", "coalition") if word == "alliance" else ("militia",),
                                   claim)
            if named:
                return named
        return _previous_subject(st, q, claim, prefer_nonstate=prefer) or _last_actor(st, q, claim,
                                                                                      prefer_nonstate=prefer) or ""
    if label == "ypg" or label == "kurdish":
        if country == "SY" and (when is None or when >= SDF_FOUNDED) and (label == "ypg" or when is not None):
            return "SDF"
        return "Kurdish forces"
    if label == "us_backed":
        if country == "SY":
            return "SDF" if when is None or when >= SDF_FOUNDED else "Kurdish forces"
        if country == "IQ":
            return "Iraqi government"
        return "other"
    if label == "national_army":
        if country == "SY" and (when is None or when >= dt.date(2018, 1, 1)):
            return "Turkish-backed rebels"
        return government_of(country) or ""
    if label == "tribal":
        return "Iraqi government" if country == "IQ" else ("Syrian rebels" if country == "SY" else "")
    if label == "rebels":
        # Turkey's ground operation with the rebels began on 24 August 2016 (Euphrates Shield);
        # its rebels fought in the north of Aleppo province and along the Turkish border, not at
        # Hama, Idlib or Daraa
        before_shield = when is not None and when < EUPHRATES_SHIELD
        place = claim.place.place if claim is not None and claim.place is not None else None
        lat = getattr(place, "lat", None)
        far_south = lat is not None and float(lat) < 36.2
        return "Turkish-backed rebels" if st.turkish_backed and not before_shield and not far_south \
            else "Syrian rebels"
    if label == "never":
        return ""
    return label


def _last_named_as(st: ArticleState, before: int, heads: tuple[str, ...], claim: Claim) -> str:
    """The side of the last actor phrase before token ``before`` whose words include one of
    ``heads`` ("a US-backed Kurdish-Arab alliance"), or that an appositive names so ("the SDF,
    an alliance of ..."); not the anaphor itself, not the air coalition."""
    lows = st.tk.lows
    for a in reversed([a for a in st.scan.actors if a.j <= before]):
        if a.label in ("anaphor", "never", "coalition"):
            continue
        words = set(lows[a.i:a.j])
        after = lows[a.j:a.j + 6] if a.j < st.tk.n and lows[a.j] == "," else []
        if words & set(heads) or set(after) & set(heads):
            got = _settle(st, a.label, claim, at=a.i)
            if got:
                return got
    return ""


def _last_actor(st: ArticleState, before: int, claim: Claim, *, exclude: str = "", prefer_nonstate: bool = False) -> str:
    """The last side named before token ``before`` (this sentence, then the ones before)."""
    best = ""
    for a in st.scan.actors:
        if a.i >= before:
            break
        if a.label in ("never", "anaphor"):
            continue
        lab = _settle(st, a.label, claim, at=a.i)
        if not lab or lab == exclude:
            continue
        if prefer_nonstate and lab in _STATE_LABELS:
            continue
        best = lab
    return best


def _pronoun(st: ArticleState, q: int, claim: Claim, *, role: str, ref_obj=None) -> str:
    """The side an "it", "they", "them", "its" stands for."""
    lows = st.tk.lows
    k = st.sent_of[q]
    s = st.layout.sentences[k]
    # "X said it had taken", "X say they have captured": the speaker
    r = q - 1
    if r >= s.body_start and lows[r] == "that":
        r -= 1
    if r >= s.body_start and lows[r] in REPORT_VERBS:
        r -= 1
        while r >= s.body_start:
            a = st.actor_end.get(r + 1)
            if a is not None and a.label not in ("never",):
                lab = _settle(st, a.label, claim, at=a.i)
                if lab:
                    return lab
            if lows[r] in (",", ".", ";") and r < q - 4:
                break
            r -= 1
    w = lows[q]
    if w in ("our", "we", "us"):
        # a first person in a quote is its speaker: '"P is in our hands," a peshmerga officer said'
        speaker = _quote_speaker(st, q, claim)
        if speaker:
            return speaker
    if w in ("its", "their"):
        # a possessive ("under its control") stands for the side last named
        return _last_actor(st, q, claim) or _previous_subject(st, q, claim)
    if w == "them" or getattr(ref_obj, "obj", False):
        # an object pronoun: the side last named that is not this clause's subject
        other = claim.gainer_label if role == "loser" else claim.loser_label
        return _last_actor(st, q, claim, exclude=other)
    # a subject pronoun: the subject of the last clause with one; in a relative clause of a
    # sentence with no subject side before it but one named ("The fall of P leaves the militants
    # in charge of Q, which they have held since ..."), that one
    if q >= 1 and lows[q - 1] in ("which", "that", "where") and not any(t < q for t, _lab in st.sentence_subjects(k)):
        here = [a for a in st.scan.actors if s.body_start <= a.i < q and a.label not in ("never", "anaphor")]
        if here:
            lab = _settle(st, here[-1].label, claim, at=here[-1].i)
            if lab:
                return lab
    return _previous_subject(st, q, claim) or _last_actor(st, q, claim)


_QUOTES_OPEN = frozenset({'"', "“"})
_QUOTES_CLOSE = frozenset({'"', "”"})


def _quote_speaker(st: ArticleState, q: int, claim: Claim) -> str:
    """The side of whoever says the quotation around token ``q``: the actor of the attribution
    after it (', a peshmerga officer told reporters') or before it ('the commander said: "...')."""
    words = st.tk.words
    n = st.tk.n
    k = st.sent_of[q]
    s = st.layout.sentences[k]
    lo = max(0, s.i - 60)
    opened = next((r for r in range(q - 1, lo - 1, -1) if words[r] in _QUOTES_OPEN or words[r] in _QUOTES_CLOSE),
                  None)
    if opened is None:
        return ""
    close = next((r for r in range(q + 1, min(n, q + 80)) if words[r] in _QUOTES_CLOSE or words[r] in _QUOTES_OPEN),
                 None)
    spans = []
    if close is not None:
        spans.append(range(close + 1, min(n, close + 10)))  # '..." a peshmerga officer said'
    spans.append(range(max(0, opened - 10), opened))  # 'the commander said: "...'
    for span in spans:
        for r in span:
            a = st.actor_at.get(r)
            if a is not None and a.label not in ("never", "anaphor"):
                lab = _settle(st, a.label, claim, at=a.i)
                if lab:
                    return lab
    return ""


def _previous_subject(st: ArticleState, q: int, claim: Claim, *, prefer_nonstate: bool = False,
                      exclude: str = "") -> str:
    """The subject of the nearest clause before token ``q`` (this sentence and two before)."""
    k = st.sent_of[q]
    for kk in range(k, max(-1, k - 3), -1):
        subs = [(t, lab) for (t, lab) in st.sentence_subjects(kk) if t < q]
        for _t, lab in reversed(subs):
            got = _settle(st, lab, claim, at=_t)
            if got and got != exclude and not (prefer_nonstate and got in _STATE_LABELS):
                return got
    return ""


def settle_actors(st: ArticleState, claims: list[Claim]) -> None:
    """Give every claim canonical gainer and loser labels (blank when unknown)."""
    for c in claims:
        if c.gainer is not None and not c.gainer.label:
            c.gainer.label = _label_of(st, c.gainer, c, role="gainer")
        if c.loser is not None and not c.loser.label:
            c.loser.label = _label_of(st, c.loser, c, role="loser")
        if c.gainer is not None and c.loser is not None and c.gainer.label == c.loser.label:
            # "IS lost the base to the alliance": an anaphor is not the other side of its own claim
            for ref, other in ((c.gainer, c.loser), (c.loser, c.gainer)):
                if ref.actor is not None and ref.actor.label == "anaphor":
                    q = ref.actor.i
                    ref.label = (_previous_subject(st, q, c, exclude=other.label)
                                 or _last_actor(st, q, c, exclude=other.label))
                    break
            if c.gainer.label == c.loser.label:
                c.loser = None
        if c.gainer is not None and c.gainer.label:
            st.subjects.setdefault(c.k, []).append((c.trigger, c.gainer.label))


def infer_sides(st: ArticleState, claims: list[Claim]) -> None:
    """Fill a side the sentence leaves unnamed from the article (flagged ``*_inferred``).

    The loser of a capture is the holder an adjective named ("IS-held P"), else the side
    the article sets against the gainer; a gainer left unnamed is the article's other side.
    A withdrawal keeps its gainer blank.
    """
    counts = st.side_counts
    partners = getattr(st, "partner_pairs", frozenset())  # pairs of sides the text names as partners
    # partners against IS that this article sets against each other ("pushed the peshmerga out")
    opposed = frozenset(frozenset({c.gainer_label, c.loser_label}) for c in claims
                        if c.gainer_label and c.loser_label and c.gainer_label != c.loser_label)
    for c in claims:
        g = c.gainer_label
        lo = c.loser_label
        if c.event == "held":
            continue
        old = c.date is not None and st.anchor is not None and (st.anchor - c.date).days > 120
        freeing = _freeing(st, c)
        if g and not lo and c.event in ("captured", "entered", "besieged"):
            hint = st.holder_hints.get(getattr(c.place.place, "place_id", ""), "")
            cand = _settle(st, hint, c) if hint else ""
            if not cand or cand == g:
                cand = _sentence_other(st, c, g)
            if (not cand or cand == g) and freeing and g != "IS" and "IS" in counts:
                cand = "IS"
            if (not cand or cand == g) and not old:
                cand = _opponent(counts, g, when=c.date, country=_country_of(c), opposed=opposed, partners=partners)
                near = _nearby_sides(st, c)
                if cand and cand not in near:
                    # the article's main other side is not named anywhere near the claim (two
                    # sentences either way): the other side named there is meant
                    cand = _opponent(near, g, when=c.date, country=_country_of(c), opposed=opposed,
                                     partners=partners, fallback=False) or cand
            if (not cand or cand == g) and g == "IS" and c.event in ("captured", "entered", "besieged"):
                # IS took it (or fought into it, or laid siege to it) from the state, unless told
                # otherwise (in background as well: the towns it overran in 2014 and 2015 were the state's)
                cand = government_of(_country_of(c)) or ""
            if cand and cand != g:
                c.loser = Ref(label=cand, inferred=True)
                c.flags.add("loser_inferred")
        elif lo and not g and c.event in ("captured", "entered", "besieged"):
            cand = _sentence_other(st, c, lo) or ("" if old else _opponent(counts, lo, when=c.date, country=_country_of(c), opposed=opposed, partners=partners))
            if cand:
                c.gainer = Ref(label=cand, inferred=True)
                c.flags.add("gainer_inferred")
        elif not g and not lo and c.event in ("besieged", "entered"):
            prev = [o for o in claims if o.k == c.k and o.trigger < c.trigger and o.gainer_label]
            subj = prev[-1].gainer_label if prev else ""
            holder = bool(prev) and prev[-1].event == "held"
            if not subj:
                subs = st.sentence_subjects(c.k)
                subj = _settle(st, subs[0][1], c, at=subs[0][0]) if subs else ""
                holder = bool(subs) and any(w in _HOLD_WORDS for w in st.tk.lows[subs[0][0]:c.trigger])
            if subj:
                opp = _opponent(counts, subj, when=c.date, country=_country_of(c), opposed=opposed, partners=partners)
                if c.event == "besieged" and c.construction.endswith(":passive") and holder:
                    # "A still controls P, which is cut off": the holder is inside
                    subj, opp = opp, subj
                if subj:
                    c.gainer = Ref(label=subj, inferred=True)
                    c.flags.add("gainer_inferred")
                if opp:
                    c.loser = Ref(label=opp, inferred=True)
                    c.flags.add("loser_inferred")
        elif not g and not lo and c.event in ("captured", "entered") and counts:
            top = [a for a, _ in counts.most_common()]
            if _freeing(st, c) and ("IS" in counts or not _ANTI_IS.isdisjoint(counts)):
                gainer = next((a for a in top if a != "IS" and fits_country(a, _country_of(c))), "")
                if gainer:
                    c.gainer = Ref(label=gainer, inferred=True)
                    c.loser = Ref(label="IS", inferred=True)
                    c.flags.update({"gainer_inferred", "loser_inferred"})
            elif "noun" not in c.flags and getattr(st.chunk_of(c.k, c.trigger), "kind", "") == "main":
                attacker = _recent_attacker(st, claims, c)
                if attacker:
                    # "Iraqi troops pushed into Anbar. Rawa fell on Friday.": it fell to the side on the attack
                    c.gainer = Ref(label=attacker, inferred=True)
                    c.flags.add("gainer_inferred")
                    opp = _opponent(counts, attacker, when=c.date, country=_country_of(c), opposed=opposed,
                                    partners=partners)
                    if not opp and attacker == "IS":
                        opp = government_of(_country_of(c)) or ""
                    if opp:
                        c.loser = Ref(label=opp, inferred=True)
                        c.flags.add("loser_inferred")


#: verbs of an attack: their subject is the side on the offensive
_ATTACKING = frozenset({"advanced", "advance", "advancing", "advances", "pushed", "pushing", "push", "stormed",
                        "storming", "attacked", "attacking", "assaulted", "launched", "launching", "launch",
                        "offensive", "closed", "closing", "converged", "moved", "marched", "swept", "sweeping",
                        "pressed", "pressing", "battled", "battling", "fought", "fighting", "besieged"})


def _recent_attacker(st: ArticleState, claims: list[Claim], c: Claim) -> str:
    """The side on the attack just before a capture that names no side: the gainer of a capture,
    entry or siege earlier in the same or the previous sentence, else the subject of a clause
    there with a verb of attack ("advanced", "stormed", "launched an offensive"). "" when the
    text names none, or names two sides on the attack."""
    found: list[str] = []
    for o in claims:
        if o is c or o.k < c.k - 1 or o.k > c.k or (o.k == c.k and o.trigger > c.trigger):
            continue
        if o.event in ("captured", "entered", "besieged") and o.gainer_label:
            found.append(o.gainer_label)
    if not found:
        lows = st.tk.lows
        for k in (c.k - 1, c.k):
            if k < 0:
                continue
            for q, label in st.sentence_subjects(k):
                if k == c.k and q > c.trigger:
                    continue
                a = st.actor_at.get(q)
                end = a.j if a is not None else q + 1
                if label and label not in ("never", "anaphor") and any(
                        w in _ATTACKING for w in lows[end:min(end + 4, st.tk.n)]):
                    found.append(_settle(st, label, c, at=q))
    found = [f for f in found if f and fits_country(f, _country_of(c))]
    return found[-1] if found and len(set(found)) == 1 else ""


_SYRIA_ONLY = frozenset({"Syrian government", "SDF", "Turkish-backed rebels", "Syrian rebels"})


_HOLD_WORDS = frozenset({"control", "controls", "controlled", "hold", "holds", "held", "defend", "defends",
                         "defended", "occupy", "occupies"})


def fits_country(label: str, country: str | None) -> bool:
    """Whether a side can hold ground in a country (the Iraqi state does not in Syria)."""
    if not country or not label:
        return True
    if label == "Iraqi government":
        return country == "IQ"
    if label in _SYRIA_ONLY:
        return country == "SY"
    return True


#: sides that fought IS together: one is never taken for the other's unnamed opponent
_PARTNERS = frozenset({frozenset({"Iraqi government", "Kurdish forces"}), frozenset({"SDF", "Kurdish forces"}),
                       frozenset({"Syrian rebels", "Turkish-backed rebels"})})


def _in_passing(st: ArticleState, a) -> bool:
    """An actor named only as the owner of a thing that does not fight: "on the regime's maps",
    "the group's propaganda"."""
    lows = st.tk.lows
    return a.j + 1 < st.tk.n and lows[a.j] in ("'s", "’s") and lows[a.j + 1] not in _FIGHTING_NOUNS


_FIGHTING_NOUNS = frozenset({"forces", "troops", "fighters", "army", "units", "militants", "soldiers", "militia",
                             "militias", "men", "control", "hands", "grip", "hold", "offensive", "advance", "attack",
                             "assault", "capture", "fighters'", "positions", "lines", "siege", "last", "stronghold",
                             "strongholds", "capital", "bastion", "defences", "defenses", "rule"})


def _nearby_sides(st: ArticleState, c: Claim) -> Counter:
    """Counts of the sides named in the two sentences either side of the claim's (settled for it)."""
    got: Counter = Counter()
    for a in st.scan.actors:
        if abs(st.sent_of[a.i] - c.k) <= 2 and a.label not in ("never", "anaphor") and not _in_passing(st, a):
            lab = _settle(st, a.label, c, at=a.i)
            if lab:
                got[lab] += 1
    return got


def _opponent(counts: Counter, side: str, *, when: dt.date | None = None, country: str | None = None,
              opposed: frozenset = frozenset(), partners: frozenset = frozenset(), fallback: bool = True) -> str:
    """The side the article most often names other than ``side`` (one that existed then,
    fights in the place's country and is not its partner against IS); when the article names
    none, IS for a side that fought it."""
    for a, _ in counts.most_common():
        if a != side and a and not (a == "SDF" and when is not None and when < SDF_FOUNDED) \
                and fits_country(a, country) and (frozenset({a, side}) not in _PARTNERS
                                                  or frozenset({a, side}) in opposed) \
                and (frozenset({a, side}) not in partners or frozenset({a, side}) in opposed):
            return a
    if fallback and side and side != "IS" and side in _ANTI_IS:
        return "IS"
    return ""


_ANTI_IS = frozenset({"Iraqi government", "Kurdish forces", "SDF", "Syrian government"})


_OPPOSING = frozenset({"from", "against", "with", "versus", "vs", "by", "fought", "fighting", "battling", "routing",
                       "ousting", "expelling", "driving", "pushing", "evicting", "repelling", "defeating"})
_PARTNER_AFTER = frozenset({"allies", "ally", "partners", "partner", "comrades"})
_PARTNER_PAIRS = frozenset({("backed", "by"), ("supported", "by"), ("aided", "by"), ("assisted", "by"),
                            ("helped", "by"), ("joined", "by"), ("allied", "with"), ("allied", "to"),
                            ("together", "with"), ("cooperation", "with"), ("coordination", "with"),
                            ("support", "of"), ("backing", "of"), ("allies", "of")})
_LOSING = frozenset({"surrendered", "surrender", "fled", "withdrew", "retreated", "collapsed", "abandoned",
                     "lost", "left", "pulled", "were", "was"})


def named_as_partner(st: ArticleState, a) -> bool:
    """Whether the text names actor ``a`` as someone's partner: "with X allies", "backed by X",
    "in cooperation with X", "alongside X"."""
    lows = st.tk.lows
    s = st.layout.sentences[st.sent_of[a.i]]
    if (lows[a.j] if a.j < s.j else "") in _PARTNER_AFTER:
        return True
    q = a.i - 1
    while q > s.body_start and lows[q] in ("the", "its", "their", "his", "a", "an"):
        q -= 1
    if q < s.body_start:
        return False
    if lows[q] == "alongside":
        return True
    if q - 1 >= s.body_start and (lows[q - 1], lows[q]) in _PARTNER_PAIRS and not (
            q - 2 >= s.body_start and lows[q - 2] == "-"):  # "backed by X", not "Western-backed X"
        return True
    # "supported by Burkan al-Firat battalions of X": the partner phrase before a unit's own name
    # or a noun of X's units (no comma, verb or other preposition between)
    r = q
    while r - 1 >= max(s.body_start, q - 7) and lows[r] not in _NP_STOPS and r not in st.trig_at:
        if (lows[r - 1], lows[r]) in _PARTNER_PAIRS:
            return not (r - 2 >= s.body_start and lows[r - 2] == "-")
        r -= 1
    return False


#: words that end the noun phrase a partner phrase may govern
_NP_STOPS = frozenset({",", ";", ":", "against", "from", "to", "on", "in", "at", "and", "with", "as", "after",
                       "near", "into", "toward", "towards", "while"})


def _sentence_other(st: ArticleState, c: Claim, side: str) -> str:
    """The other side the claim's sentence names as the opposing one: after "from",
    "against", "clashes with", "driving out", or as the subject of a surrender or a flight
    ("after 200 soldiers surrendered"). Allies named beside the subject are not it."""
    s = st.layout.sentences[c.k]
    lows = st.tk.lows
    own = c.gainer.actor if c.gainer is not None and c.gainer.actor is not None else (
        c.loser.actor if c.loser is not None and c.loser.actor is not None else None)
    fallback = ""
    for a in st.scan.actors:
        if not (s.body_start <= a.i < s.j) or a.label in ("never", "anaphor"):
            continue
        before = [lows[q] for q in range(max(s.body_start, a.i - 3), a.i)]
        if named_as_partner(st, a):
            continue  # "advancing with FSA allies", "backed by X", "in cooperation with X": a partner
        allied = own is not None and (abs(a.i - own.j) <= 3 or abs(own.i - a.j) <= 3) and (
            "and" in lows[min(a.j, own.j):max(a.i, own.i)] or a.i >= own.i)
        if not fallback and not allied and not _in_passing(st, a) and own is not None and a is not own:
            lab = _settle(st, a.label, c, at=a.i)
            if lab and lab != side and fits_country(lab, _country_of(c)) and \
                    not (lab == "SDF" and c.date is not None and c.date < SDF_FOUNDED):
                fallback = lab
        after = lows[a.j] if a.j < s.j else ""
        opposing = any(w in _OPPOSING for w in before) or after in _LOSING or (
            a.j + 1 < s.j and lows[a.j] in ("had", "have", "has") and lows[a.j + 1] in _LOSING)
        if not opposing:
            continue
        lab = _settle(st, a.label, c, at=a.i)
        if lab and lab != side and not (lab == "SDF" and c.date is not None and c.date < SDF_FOUNDED) \
                and fits_country(lab, _country_of(c)):
            return lab
    return fallback


def merge(claims: list[Claim]) -> list[Claim]:
    """One claim per change: same place and type, compatible sides and dates.

    The kept claim takes the finest date, fills blank sides from the others, prefers the body
    over the headline, and drops the ``site`` entries and withdrawals that a capture of the
    same place by the same sides already states.
    """
    body_places = {_pkey(c) for c in claims if "headline" not in c.flags}
    claims = [c for c in claims if "headline" not in c.flags or _pkey(c) not in body_places]
    _refine_dates(claims)
    out: list[Claim] = []
    by_place: dict[tuple, list[Claim]] = {}  # (event, place) -> kept claims: merging stays linear
    for c in sorted(claims, key=_rank):
        bucket = by_place.setdefault((c.event, _pkey(c)), [])
        twin = next((o for o in bucket[-_WINDOW:] if _same(o, c)), None)
        if twin is None:
            out.append(c)
            bucket.append(c)
            continue
        if not twin.gainer_label and c.gainer_label:
            twin.gainer = c.gainer
        if not twin.loser_label and c.loser_label:
            twin.loser = c.loser
        twin.confidence = min(0.99, max(twin.confidence, c.confidence) + 0.05)
    # a restatement dated only from the story joins the dated claim it restates
    dated: dict[tuple, list[Claim]] = {}
    for c in out:
        if not _borrowed(c):
            dated.setdefault((c.event, _pkey(c)), []).append(c)
    rest = []
    for c in out:
        if _borrowed(c) and c.date is not None:
            twin = next((o for o in dated.get((c.event, _pkey(c)), ())[-_WINDOW:] if o is not c and o.region == c.region
                         and _same_place(o, c) and _sides_ok(o, c) and o.gainer_label and c.gainer_label
                         and (o.date is None or abs((o.date - c.date).days) <= 62)), None)
            if twin is not None:
                if not twin.loser_label and c.loser_label:
                    twin.loser = c.loser
                continue
        rest.append(c)
    out = rest
    captures: dict[str, list[Claim]] = {}
    for o in out:
        if o.event == "captured":
            captures.setdefault(_pkey(o), []).append(o)
    keep: list[Claim] = []
    for c in out:
        caps = captures.get(_pkey(c), ())[-_WINDOW:]
        if c.event == "entered" and "share" not in c.flags and any(
            _same_place(o, c) and o.gainer_label == c.gainer_label and o.gainer_label
            and _dates_ok(o, c) and o.date is not None and c.date is not None for o in caps
        ):
            continue  # "advanced inside P" on the day it "recaptured P"
        if c.event == "entered" and "site" in c.flags and any(
            o.place.key == c.place.key and _sides_ok(o, c) and _dates_ok(o, c) for o in caps
        ):
            continue
        if c.event == "withdrew" and any(
            _same_place(o, c) and o.loser_label == c.loser_label and _dates_ok(o, c)
            and not (o.precision == c.precision == "day" and o.date != c.date) for o in caps
        ):
            continue  # (a withdrawal on the day before the capture is a step of its own)
        if c.event == "withdrew" and not c.gainer_label and c.date is not None:
            # "the last holdouts surrendered on Tuesday" ... "announced the liberation on
            # Friday": the declared capture happened when the fighting ended
            declared = [o for o in caps if _same_place(o, c) and o.date is not None
                        and ("noun" in o.flags or o.construction == "symbolic:declared")
                        and 0 < (o.date - c.date).days <= 10
                        and (not c.loser_label or c.loser_label == o.loser_label)]
            if declared:
                for o in declared:
                    o.date, o.precision = c.date, c.precision
                    o.flags.add("date_of_the_end")
                continue
        if c.event == "held" and any(
            _same_place(o, c) and o.gainer_label == c.gainer_label and o is not c
            and (o.date == c.date or o.date is None or c.date is None) for o in caps
        ):
            continue
        keep.append(c)
    return keep


#: how many kept claims about one place a new one is compared with: the twins of a claim are
#: among the last few about its place, and the merge stays linear on lists of hundreds
_WINDOW = 32


def _borrowed(c: Claim) -> bool:
    return any(f in c.flags for f in ("date_from_lead", "date_from_publication", "date_from_context", "background"))


def _pkey(c: Claim) -> str:
    p = c.place.place
    return p.place_id if p is not None else c.place.key


def _refine_dates(claims: list[Claim]) -> None:
    """A claim dated only from the story takes the explicit date of a claim on the same place
    by the same side nearby ("captured the airbase" ... "fully controlling it on Sunday")."""
    by_place: dict[str, list[Claim]] = {}
    by_sentence: dict[tuple, list[Claim]] = {}
    for c in claims:
        by_place.setdefault(_pkey(c), []).append(c)
        by_sentence.setdefault((_pkey(c), c.k), []).append(c)
    for c in claims:
        if not any(f in c.flags for f in ("date_from_lead", "date_from_publication", "date_from_context")):
            continue
        near = [o for o in by_place[_pkey(c)] if abs(o.k - c.k) <= 2] if len(by_place[_pkey(c)]) <= _WINDOW \
            else [o for kk in range(c.k - 2, c.k + 3) for o in by_sentence.get((_pkey(c), kk), ())]
        for o in near:
            if o is c or _borrowed(o) or o.date is None or c.date is None:
                continue
            if _pkey(o) != _pkey(c) or o.gainer_label != c.gainer_label or abs(o.k - c.k) > 2:
                continue
            if o.event not in (c.event, "held", "captured") or o.precision != "day":
                continue
            if abs((o.date - c.date).days) <= 7:
                c.date, c.precision = o.date, o.precision
                c.flags.add("date_from_restatement")
                break


def _rank(c: Claim) -> tuple:
    """Better claims first: body before headline, explicit dates before borrowed ones."""
    from mapper.schema import PRECISION_RANK

    borrowed = _borrowed(c)
    # a date of the claim's own clause before one from the clause next to it or the reporting verb
    near = any(f in c.flags for f in ("date_from_clause", "date_from_report"))
    return ("headline" in c.flags, "noun" in c.flags, borrowed, PRECISION_RANK.get(c.precision, 9), near,
            -c.confidence, c.k)


def _same_place(a: Claim, b: Claim) -> bool:
    """Same place: same id, and (when both were named) the same name; two names the
    gazetteer files under one id ("Annah" and its "Rayhanna area") stay apart."""
    pa, pb = a.place.place, b.place.place
    if pa is not None and pb is not None:
        if pa.place_id != pb.place_id:
            return False
        return not a.place.key or not b.place.key or a.place.key == b.place.key or a.region
    return a.place.key == b.place.key


def _sides_ok(a: Claim, b: Claim) -> bool:
    return (not a.gainer_label or not b.gainer_label or a.gainer_label == b.gainer_label) and \
        (not a.loser_label or not b.loser_label or a.loser_label == b.loser_label)


def _dates_ok(a: Claim, b: Claim) -> bool:
    if a.date is None or b.date is None:
        return True
    coarse = max(a.precision, b.precision, key=_prec_rank)
    if coarse == "year":
        return a.date.year == b.date.year
    if coarse == "month":
        return (a.date.year, a.date.month) == (b.date.year, b.date.month) or abs((a.date - b.date).days) <= 31
    if coarse == "week":
        return abs((a.date - b.date).days) <= 8
    return abs((a.date - b.date).days) <= 1


def _prec_rank(p: str) -> int:
    return {"day": 0, "week": 1, "month": 2, "year": 3}.get(p, 4)


def _same(a: Claim, b: Claim) -> bool:
    return a.event == b.event and a.region == b.region and _same_place(a, b) and _sides_ok(a, b) and _dates_ok(a, b)


def lead_date(st: ArticleState) -> tuple[dt.date | None, str]:
    """The date of the article's lead: its first dated body sentence among the first three."""
    seen = 0
    for k, s in enumerate(st.layout.sentences):
        if s.part != "body":
            continue
        seen += 1
        if seen > 3:
            break
        for m, _i, _j in st.dates(k):
            if m.date is not None and m.precision in ("day", "week"):
                return m.date, m.precision
    return None, "unknown"
