"""From article text to control-change reports: a rule engine over the grammar of reporting.

find_places(article, gazetteer)                        -> DataFrame, one row per place mention
extract_reports(article, gazetteer, *, lexicon=None)   -> DataFrame[REPORT_COLUMNS]
extract_corpus(articles, gazetteer, ...)               -> DataFrame[REPORT_COLUMNS]
iter_reports(articles, gazetteer, ...)                 -> Iterator[dict], streaming
split_sentences(text)                                  -> list[(start, end)]

How a claim is read
-------------------
Each sentence that names a place able to change hands is scanned for *triggers*: verb
groups that state a change of control, with their voice and the role their grammatical
subject plays:

- active, subject takes: "recaptured", "retook", "seized", "overran", "liberated",
  "took (full) control of", "wrested control of", "declared victory over X in", "raised
  their flag over"; the place is the object, the taker the subject, the loser a "from X";
- active, subject enters (contested): "entered", "stormed", "pushed into", "invaded",
  "made advances in"; an object such as "most of", "parts of", "areas of", "almost all of",
  "the hospital in P", "P's eastern districts" makes any capture ``entered`` (partial);
- active, subject expels: "drove / pushed / ousted / expelled X out of / from P"; passive
  "X was driven out of P by Y";
- loser side: "lost P (to Y)", "losing P"; "P fell to Y"; withdrawal: "withdrew from P",
  "pulled out of P", "left P", "those they left" (no taker);
- passive, place is the subject: "P was recaptured by Y", "P had been cleared of X",
  "P returned to government control", "P, which IS seized in 2014" (relative object);
- sieges: "encircled / besieged P", "P is besieged";
- holding: "now control(s) P", "P has been held by Y", "P, the last town under its
  control", "leaving P as the last city ...", "its last stronghold of P".

The object of an active trigger is the first place whose words reach the verb without a
clause break or a locative preposition ("captured a crossing *near* P" is not a capture of
P; "the countryside of P", "the P airport" are not P), then the places coordinated with
it ("P and the town of Q"); "the town" points back to the one place of the sentence
before. The subject is the first actor of the clause; "it"/"they" go back to the speaker
("the army says it has ...") or the previous sentence. Claims naming no side are dropped.
Hypotheticals, goals, denials and negations before the verb in its clause ("aims to
retake", "could fall", "denied losing", "have not entered", "the offensive to") drop the
claim, or keep it with confidence 0.15 and an ``uncertain:<cue>`` flag when
``keep_uncertain=True``. Dates come from the clause (the expression after the place, else
the nearest; "one day after" shifts it, "weeks later" borrows an earlier date at a coarser
precision), else the article's lead date for past-tense claims (flag ``date_from_lead``),
else the publication date (flag ``date_from_publication``); an undated article leaves
relative dates unknown. A change stated twice in an article is one report.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import pandas as pd

from mapper.actors import GENERIC, GOVERNMENT, ActorLexicon, ActorMention, government_of
from mapper.articles import Article, Skipped
from mapper.dates import DateMention, find_dates
from mapper.errors import UnresolvedPlaceWarning
from mapper.schema import PRECISION_RANK, REPORT_COLUMNS

__all__ = [
    "PLACE_COLUMNS_OUT",
    "extract_corpus",
    "extract_reports",
    "find_places",
    "iter_reports",
    "split_sentences",
]

PLACE_COLUMNS_OUT = ["article", "name_as_written", "place_id", "place", "country", "lat", "lon", "start", "end"]

# ------------------------------------------------------------------------------ sentences

_ABBREV = {
    "mr", "mrs", "ms", "dr", "gen", "lt", "col", "maj", "capt", "sgt", "st", "jan", "feb", "mar",
    "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "no", "jr", "sr", "u.s", "u.n",
    "u.k", "e.g", "i.e", "vs", "approx", "brig", "adm", "gov", "sen", "rep", "prof", "corp", "inc",
    "co", "ltd", "mt", "ft", "km",
}
_SENT_END = re.compile(r"[.!?]+[\"”’')\]]*\s+(?=[\"“‘'(\[]?[A-Z0-9])|\n\s*\n|\n(?=\s*\S)")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` of ``text`` (line breaks always end a sentence).

    Abbreviations ("Nov.", "Gen.", "U.S.") and initials do not end a sentence.
    """
    spans = []
    start = 0
    for m in _SENT_END.finditer(text):
        cut = m.start()
        seg = text[start:cut + 1]
        if "\n" not in m.group(0):
            word = re.search(r"([\w.]+)[.!?]*$", text[max(start, cut - 12):cut + 1])
            w = (word.group(1) if word else "").rstrip(".").lower()
            if w in _ABBREV or (len(w) == 1 and w.isalpha()):
                continue
        end = m.end()
        if seg.strip():
            s = start + (len(text[start:end]) - len(text[start:end].lstrip()))
            e = start + len(text[start:end].rstrip())
            spans.append((s, e))
        start = end
    if text[start:].strip():
        s = start + (len(text[start:]) - len(text[start:].lstrip()))
        spans.append((s, len(text.rstrip())))
    return spans


# ------------------------------------------------------------------------------ triggers

_ADV = r"(?:(?:now|fully|completely|totally|largely|partially|partly|finally|already|recently|reportedly|successfully|effectively|quickly|swiftly|also|officially|just|since|eventually|then|later|again|still|apparently|virtually|almost|nearly|formally|entirely)\s+)*"
_AUX_PASS = rf"(?:was|were|is|are|has\s+been|have\s+been|had\s+been|being|been|be|got|get|gets)\s+{_ADV}"
_CAP_PART = r"(?:re-?)?captured|re-?taken|taken|seized|overrun|liberated|freed|cleared|secured|reclaimed|conquered|recovered|wrested|won\s+back|taken\s+back|taken\s+over|lost|abandoned|evacuated|stormed|overtaken"
_CONTROL = r"(?:(?:full|complete|total|effective|partial|overall|firm)\s+)?control\s+(?:of|over)"

# (kind, event_type, base confidence, regex)
_TRIGGERS: list[tuple[str, str, float, str]] = [
    # passives first: "was recaptured by"
    ("passive", "captured", 0.85, rf"\b{_AUX_PASS}(?:{_CAP_PART})\b"),
    ("passive", "besieged", 0.8, rf"\b{_AUX_PASS}(?:besieged|encircled|surrounded|cut\s+off|under\s+siege)\b"),
    ("passive", "held", 0.7, rf"\b(?:has|have|had)\s+been\s+{_ADV}(?:held|controlled|occupied|ruled)\s+by\b"),
    ("passive", "held", 0.7, rf"\b(?:is|are|was|were|remains?|remained)\s+{_ADV}(?:(?:still|firmly)\s+)?(?:held|controlled)\s+by\b"),
    ("reduced_passive", "captured", 0.75, rf"\b(?:{_CAP_PART})\s+by\b"),
    ("passive", "captured", 0.75, r"\b(?:came|come|comes|coming|fell|fallen|returned|returns|back)\s+(?:under|to)\s+(?:the\s+)?(?:full\s+|complete\s+|total\s+)?(?:control\s+of\b|(?=[\w\s'’-]{2,40}?\bcontrol\b))"),
    ("passive", "captured", 0.8, r"\b(?:fell|falls|fallen|falling|fall)\s+(?:back\s+)?(?:to|into\s+the\s+hands\s+of)\b"),
    ("passive", "captured", 0.8, rf"\b(?:has|have|had)\s+been\s+{_ADV}(?:cleared|purged|emptied)\s+of\b"),
    # "P is under the control of X", "P remains in the hands of X" (not "X is in control of P")
    ("held_passive", "held", 0.7, r"\b(?:is|are|was|were|remains?|remained|still)\s+(?:now\s+|still\s+)?(?:under\s+(?:the\s+)?|in\s+the\s+)(?:full\s+|complete\s+|total\s+|firm\s+)?(?:control|hands)\s+of\b"),
    # held: last stronghold / last town under its control
    ("held_last", "held", 0.75, r"\b(?:the\s+|its\s+|their\s+|as\s+the\s+)?(?:last|final|only\s+remaining)\s+(?:[\w-]+\s+){0,2}?(?:town|city|cities|towns|stronghold|bastion|enclave|urban\s+cent(?:re|er))s?(?:\s+of\s+note)?\s+(?:still\s+)?(?:under|in)\s+(?:its|their|the\s+group['’]s|the\s+jihadists['’]|the\s+militants['’]|IS|ISIS|ISIL|Daesh)\s+(?:full\s+|complete\s+|total\s+)?(?:control|grip|hands)\b"),
    ("held_leaving", "held", 0.7, r"\bleaving\b(?=[^.;]{0,120}?\b(?:as\s+)?the\s+(?:last|final|only)\s+(?:[\w-]+\s+){0,2}?(?:town|city|stronghold|bastion|enclave)s?\b)"),
    ("held_of", "held", 0.6, r"(?:\b(?:its|their)|['’]s?)\s+(?:last|final|remaining)\s+(?:major\s+|urban\s+|main\s+|remaining\s+|significant\s+|big\s+)*(?:stronghold|bastion|redoubt)\s+of\b"),
    # nominal: "the recapture of P", "the fall of P" (a determiner or possessive before it)
    ("nominal", "captured", 0.6, r"\b(?:re-?capture|capture|liberation|fall|seizure|retaking|takeover|recovery)\s+of\b"),
    # victory
    ("victory", "captured", 0.8, r"\b(?:declar|announc|proclaim|claim|hail)(?:ed|es|e|ing)\s+(?:[\w,]+\s+){0,3}?(?:(?:the|a|its|their|final|full|total|complete|official)\s+)*[\"“]?(?:victory|liberation)[\"”]?(?:\s+(?:over|against|on)\b)?"),
    ("victory", "captured", 0.75, r"\b(?:rais|hoist|plant)(?:ed|es|e|ing)\s+(?:(?:their|its|the|a)\s+)?(?:black\s+|national\s+|Syrian\s+|Iraqi\s+)?flags?\s+(?:over|in|above|on)\b"),
    # entering / contested
    ("active", "entered", 0.8, r"\b(?:enter(?:ed|s|ing)?|storm(?:ed|s|ing)?|invad(?:e|ed|es|ing)|penetrat(?:e|ed|es|ing)|infiltrat(?:e|ed|es|ing)|(?:push|punch|smash|fight|force|sweep|mov|advanc|break|roll|mak)(?:ed|es|e|ing|s)?\s+(?:their|its|the)?\s*(?:way\s+)?(?:into|inside)|broke\s+into|fought\s+(?:their|its)\s+way\s+into|swept\s+into|rolled\s+into|(?:scor|mak)(?:ed|es|e|ing)\s+(?:a\s+|an\s+)?(?:big\s+|major\s+|significant\s+|new\s+)?(?:advance|advances|gains|progress)\s+in|advanc(?:ed|es|e|ing)\s+(?:deep\s+)?(?:in|inside)|(?:seiz|captur|tak)(?:ed|es|e|ing)\s+(?:partial|part)\s+control\s+of|partially\s+(?:seiz|captur|tak|retak|recaptur|liberat|control)(?:ed|es|e|ing|en)?)\b"),
    # passive expel: "IS was driven out of P by X"
    ("expel_passive", "captured", 0.85, rf"\b{_AUX_PASS}(?:driven|pushed|forced|chased|kicked|flushed|expelled|ousted|evicted|dislodged|routed|cleared|purged)\s+(?:out\s+)?(?:of|from)\b"),
    # expel: drove IS out of P
    ("expel", "captured", 0.85, r"\b(?:dr(?:ove|ive|ives|iving|iven)|push(?:ed|es|ing)?|oust(?:ed|s|ing)?|expel(?:led|s|ling)?|chas(?:ed|es|ing)|kick(?:ed|s|ing)?|flush(?:ed|es|ing)?|clear(?:ed|s|ing)?|evict(?:ed|s|ing)?|dislodg(?:e|ed|es|ing)|rout(?:ed|s|ing)?|forc(?:ed|es|ing)|purg(?:ed|es|ing)|defeat(?:ed|s|ing)?|beat)\b"),
    # loser side
    ("lose", "captured", 0.85, rf"\b(?:los(?:e|es|t|ing)|ced(?:e|ed|es|ing)|surrender(?:ed|s|ing)?|gave\s+up|giv(?:e|es|ing)\s+up)(?:\s+{_CONTROL})?\b"),
    ("withdraw_rel", "withdrew", 0.6, r"\b(?:those|the\s+ones|which|that)\s+(?:they|it|the\s+group|the\s+militants|the\s+jihadists)\s+(?:had\s+|have\s+|has\s+)?(?:left|abandoned|vacated|withdrew\s+from|pulled\s+out\s+of)\b"),
    ("withdraw", "withdrew", 0.75, r"\b(?:withdr(?:ew|awn|aws)|withdraw(?=\s+(?:from|its|their))|pull(?:ed|s)?\s+(?:out|back)|retreat(?:ed|s)?|fled|evacuated|abandon(?:ed|s)?|left|vacated)\b"),
    # siege
    ("active", "besieged", 0.8, r"\b(?:encircl(?:e|ed|es|ing)|surround(?:ed|s|ing)?|besieg(?:e|ed|es|ing)|(?:laid|lay|lays|laying)\s+siege\s+to|(?:imposed|impose|tightened)\s+(?:a\s+)?siege\s+(?:on|around))\b"),
    # holding, present tense
    ("active", "held", 0.7, r"\b(?:(?:now|fully|completely|still|firmly|effectively|totally)\s+)+(?:control(?:s)?|hold(?:s)?)\b|\b(?:is|are|remains?|remained)\s+(?:now\s+|still\s+|firmly\s+)?in\s+(?:full\s+|complete\s+|total\s+)?control\s+of\b"),
    # taking
    ("active", "captured", 0.85, r"\b(?:(?:re-?)?captur(?:e|es|ed|ing)|re-?t(?:ook|ake|akes|aken|aking)|seiz(?:e|es|ed|ing)|overr(?:an|un|uns|unning)|liberat(?:e|es|ed|ing)|fre(?:e|es|ed|eing)|reclaim(?:ed|s|ing)?|recover(?:ed|s|ing)?|conquer(?:ed|s|ing)?|overt(?:ook|ake|akes|aken)|secur(?:e|ed|es|ing)|(?:won|win|wins|winning)\s+back|t(?:ook|ake|akes|aken|aking)(?:\s+(?:back|over))?|(?:t(?:ook|ake|akes|aken|aking)|seiz(?:e|es|ed|ing)|(?:re)?gain(?:ed|s|ing)?|wrest(?:ed|s|ing)?|assum(?:e|ed|es|ing)|establish(?:ed|es|ing)?|restor(?:e|ed|es|ing)|impos(?:e|ed|es|ing)|regain(?:ed|s|ing)?|(?:re)?assert(?:ed|s|ing)?|wins?|won|extend(?:ed|s|ing)?)\s+(?:(?:full|complete|total|effective|partial|overall|firm|back)\s+)?control\s+(?:of|over)|wrest(?:ed|s|ing)?|clear(?:ed|s|ing)?|purg(?:ed|es|ing))\b"),
]
# literal stems: a trigger pattern can only match a text that contains one of its stems, a
# cheap test that spares most regex scans (kept beside the patterns, in the same order)
_STEMS = [
    "captur taken seized overrun liberated freed cleared secured reclaimed conquered recovered wrested won lost abandoned evacuated stormed overtaken",
    "besieged encircled surrounded cut siege",
    "held controlled occupied ruled",
    "held controlled",
    "captur taken seized overrun liberated freed cleared secured reclaimed conquered recovered wrested won lost abandoned evacuated stormed overtaken",
    "under returned returns back",
    "fell fall",
    "cleared purged emptied",
    "control hands",
    "last final remaining",
    "leaving",
    "last final remaining",
    "capture liberation fall seizure retaking takeover recovery",
    "victory liberation",
    "flag",
    "enter storm invad penetrat infiltrat into inside advanc gains progress control partially",
    "driven pushed forced chased kicked flushed expelled ousted evicted dislodged routed cleared purged",
    "drov driv push oust expel chas kick flush clear evict dislodg rout forc purg defeat beat",
    "los ced surrender gave giv",
    "left abandoned vacated withdrew pulled",
    "withdr pull retreat fled evacuated abandon left vacated",
    "encircl surround besieg siege",
    "control hold",
    "captur took tak seiz overr liberat fre reclaim recover conquer overt secur won win control wrest clear purg",
]
assert len(_STEMS) == len(_TRIGGERS)
_TRIGGER_RX = [
    (kind, etype, conf, re.compile(rx, re.IGNORECASE), tuple(st.split()))
    for (kind, etype, conf, rx), st in zip(_TRIGGERS, _STEMS)
]

# words that end an object noun phrase: a locative or other preposition, a subordinator
_BLOCK = re.compile(
    r"\b(?:in|inside|near|nearby\s+to|from|to|at|on|toward|towards|outside|around|between|across|along|through|into|by|with|for|against|after|before|while|as|since|during|when|where|which|who|whom|whose|that|than|past|beyond|within|without|under|over|behind|beneath|west|east|north|south|said|says|say|told|tells|according|if|but|because|although|though|until|via|amid|despite)\b"
    r"|[;:()\[\]\u2014\u2013]|\s-\s",
    re.IGNORECASE,
)
_DIRECTIONAL_OF = re.compile(r"\b(?:west|east|north|south|northwest|northeast|southwest|southeast|outskirts|edge|edges|gates|countryside|vicinity|environs|surroundings|approaches|road|roads|highway|province|governorate|region)\s+of\s*$", re.IGNORECASE)
_PARTIAL = re.compile(
    r"\b(?:(?!100\b)\d{1,2}(?:\.\d+)?\s*(?:percent|per\s+cent|%)|two[- ]thirds|three[- ]quarters|a\s+third|a\s+quarter|most|much|parts?|half|portions?|sections?|areas|some|several|many|neighbou?rhoods|districts|quarters|pockets?|swathes?|chunks?|segments?|positions|points|blocks|streets|sectors|(?:nearly|almost|virtually|practically)\s+(?:all|the\s+whole|the\s+entire|entirely|completely|fully))\b",
    re.IGNORECASE,
)
_WHOLE = re.compile(r"\b(?:all|entire|entirety|whole|full|complete|total|rest|remainder|every)\b", re.IGNORECASE)
_FEATURE_IN = re.compile(
    r"\b(?:compound|districts?|neighbou?rhoods?|quarters?|areas?|parts?|positions?|points?|buildings?|headquarters|hospital|checkpoints?|sections?|streets?|blocks?|sectors?|villages?|outposts?|bases?|hills?|university|campus|airport|palace|square|mosque|ministry|bridge|refinery)\b[^;:()]{0,40}?\b(?:in|inside|within)\s+(?:the\s+)?(?:[\w'’-]+\s+){0,3}$",
    re.IGNORECASE,
)
_HYPOTHETICAL = re.compile(
    r"\b(?:aim(?:s|ed|ing)?\s+(?:to|at)|seek(?:s|ing)?\s+to|sought\s+to|attempt(?:s|ed|ing)?\s+to|attempts?\s+to|bid\s+to|try(?:ing)?\s+to|tri(?:ed|es)\s+to|plan(?:s|ned|ning)?\s+to|prepar(?:e|es|ed|ing)\s+(?:to|for)|vow(?:s|ed|ing)?\s+to|pledg(?:e|es|ed)\s+to|threaten(?:s|ed|ing)?\s+to|hop(?:e|es|ed|ing)\s+to|expect(?:s|ed)?\s+to|intend(?:s|ed)?\s+to|want(?:s|ed)?\s+to|(?:push|drive|battle|fight|offensive|campaign|operation|bid|effort|efforts|mission|race|plans?|goal|aim|ready|poised|about|set|order|orders|ordered|able|ability|capable)\s+to|could|would|might|may|will|won['’]t|shall|should|must|cannot|can['’]t|can|if|unless|whether|not|never|no\s+longer|fail(?:s|ed|ing)?\s+to|den(?:y|ied|ies|ying)|reject(?:s|ed|ing)?|dismiss(?:es|ed|ing)?|refut(?:e|ed|es|ing)|false(?:ly)?|rumou?rs?|future|upcoming|planned|expected|imminent|looming|eventual|potential|possible|prospect|threat|risk|danger|fears?|fear(?:ed|s)|warn(?:s|ed|ing)?|ahead\s+of|in\s+order\s+to|so\s+as\s+to|towards?\s+(?:the\s+)?|for\s+the)\b",
    re.IGNORECASE,
)
_CLAUSE_BREAK = re.compile(
    r";|:\s|\s[\u2014\u2013-]\s|\bwhile\b|\bwhereas\b|\bbut\b|,\s*as\b|\bas\s+(?=(?:the\s+)?[A-Z])|\bwhen\b|,\s*which\b|,\s*who\b|\bsaid\b|\bsays\b|\btold\b|\baccording\s+to\b|\band\s+(?=(?:the\s+)?[A-Z][\w-]+\s+(?:forces|troops|army|fighters)\b)|,\s*(?:after|before|because|once|until|since)\s+(?=(?:the|its|their|a|an)\s|[A-Z])",
    re.IGNORECASE,
)
_NOT_PLACES = re.compile(
    r"^(?:January|February|March|April|May|June|July|August|September|October|November|December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|An?|The|Is|It|He|She|They|We|As|At|In|On|Of|To|Al|El)$",
    re.IGNORECASE,
)
#: "P neighbourhood", "P airport", "P dam": the object is a feature named after P (a
#: neighbourhood's own name, or a site outside the town), not the town itself
_FEATURE_AFTER = re.compile(
    r"^['’]?s?(?:\s+and\s+(?:the\s+)?[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)?(?=\s+\w+s\b))?\s+(?:(?:main|central|general|national|old|new|international|military)\s+)?(?:refinery|oil\s?field|gas\s?field|field|hills?|bridge|neighbou?rhoods?|districts?|quarters?|airport|air\s?base|airfield|dam|road|highway|checkpoint|roundabout|camp|silos?|factory|plant|crossroads|junction|base)\b",
    re.IGNORECASE,
)
#: "the P hospital", "P's museum": a site inside the town; taking it means fighting inside
_FEATURE_INSIDE = re.compile(
    r"^['’]?s?\s+(?:(?:main|central|general|national|old|new|military|grand|great|ancient|provincial)\s+)*(?:hospital|school|university|mosque|hotel|prison|palace|stadium|square|market|museum|bank|building|council|compound|headquarters|government\s+(?:compound|building|complex)|police\s+(?:station|headquarters)|citadel)\b",
    re.IGNORECASE,
)
_FEATURE_NAME = re.compile(
    r"^(?:['’]s)?(?:\s+(?:international|main|old|new|military|general|national|central|civil|grand|great|ancient))*\s+(?P<feature>hospital|airport|air\s?base|airfield|citadel|castle|university|refinery|prison|stadium|dam|bridge|old\s+city)\b",
    re.IGNORECASE,
)
#: "Aleppo's eastern districts", "Mosul's western half": part of the place
_PARTIAL_AFTER = re.compile(
    r"^['’]s?\s+(?:[\w-]+\s+){0,2}?(?:districts|neighbou?rhoods|parts|areas|quarters|outskirts|half|side|suburbs|sections|sectors|old\s+city|city\s+cent(?:re|er))\b",
    re.IGNORECASE,
)
_N_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}
_PRESENT = re.compile(r"\b(?:has|have|is|are|now)\b", re.IGNORECASE)
_PRONOUN_ANY = re.compile(r"(?<!\bof )(?<!\bto )(?<!\bfrom )(?<!\bwith )(?<!\bby )(?<!\bon )(?<!\bagainst )(?<!\bat )\b(?:it|they|he|she|the\s+group|the\s+organi[sz]ation)\s+(?!of\b|and\b|to\b)[a-z]", re.IGNORECASE)
_REPORTING = re.compile(r"\b(?:said|says|say|told|tells|announced|announces|claimed|claims|stated|states|reported|reports|confirmed|confirms|declared|added)\b[\s,]*(?:that\s+)?$", re.IGNORECASE)

#: feature codes never reported as a place changing hands (countries, governorates, regions)
_AREA_CODES = {"PCLI", "PCL", "ADM1", "ADMD", "ADM2", "RGN", "CONT", "PCLD", "PCLS", "PCLIX"}


# ------------------------------------------------------------------------------ data


@dataclass
class _Place:
    start: int
    end: int
    text: str
    place: object | None  # gazetteer Place
    eligible: bool  # may change hands (a settlement or feature, not a country/governorate)


@dataclass
class _Trigger:
    start: int
    end: int
    kind: str
    event_type: str
    conf: float
    text: str


@dataclass
class _Claim:
    place: _Place
    event_type: str
    gainer: str | None
    loser: str | None
    date: dt.date | None
    precision: str
    confidence: float
    sentence: tuple[int, int]
    flags: list[str] = field(default_factory=list)
    headline: bool = False
    date_explicit: bool = False


# ------------------------------------------------------------------------------ helpers


def _mask(text: str, spans: Iterable[tuple[int, int]], offset: int) -> str:
    """``text`` with the given (absolute) spans blanked out."""
    chars = list(text)
    for s, e in spans:
        for i in range(max(0, s - offset), min(len(chars), e - offset)):
            chars[i] = " "
    return "".join(chars)


#: resolution memo. A name's resolution depends only on the gazetteer and on the set of
#: names the article mentions (that is all ``context_from_text`` reads), so articles
#: naming the same places share it. Bounded; cleared with :func:`clear_caches`.
_CACHE_SIZE = 20_000
_CONTEXTS: dict[tuple[int, frozenset], object] = {}
_RESOLVED: dict[tuple[int, str, frozenset], object] = {}
CACHE_STATS = Counter()


def clear_caches() -> None:
    """Forget memoised gazetteer contexts and resolutions (e.g. after editing aliases)."""
    _CONTEXTS.clear()
    _RESOLVED.clear()
    CACHE_STATS.clear()


def _context_for(gazetteer, names: frozenset, exclude: str | None = None):
    key = (id(gazetteer), names, exclude)
    hit = _CONTEXTS.get(key)
    if hit is None:
        CACHE_STATS["context_miss"] += 1
        if len(_CONTEXTS) >= _CACHE_SIZE:
            _CONTEXTS.clear()
        # every name after a cue word, so the context sees each of them as the text did
        hit = gazetteer.context_from_text(" ".join(f"in {n}." for n in sorted(names)), exclude=exclude)
        _CONTEXTS[key] = hit
    else:
        CACHE_STATS["context_hit"] += 1
    return hit


def _resolve_cached(gazetteer, name: str, names: frozenset, context):
    key = (id(gazetteer), name, names)
    if key in _RESOLVED:
        CACHE_STATS["resolve_hit"] += 1
        return _RESOLVED[key]
    CACHE_STATS["resolve_miss"] += 1
    if len(_RESOLVED) >= _CACHE_SIZE:
        _RESOLVED.clear()
    place = gazetteer.resolve(name, context=context)
    if place is None and context is not None:
        # ambiguous with the name's own candidates in the context: judge it, as the
        # gazetteer does for a whole text, by the other names only
        place = gazetteer.resolve(name, context=_context_for(gazetteer, names, exclude=name))
    _RESOLVED[key] = place
    return place


class _Context:
    """Everything known about one article while reading it."""

    def __init__(self, article: Article, gazetteer, lexicon: ActorLexicon):
        self.article = article
        self.gaz = gazetteer
        self.lexicon = lexicon
        text = article.text
        self.text = text
        self.sentences = split_sentences(text)
        self.actors = lexicon.find(text)
        actor_spans = _Spans((a.start, a.end) for a in self.actors)
        mentions = _mentions(text, gazetteer, actor_spans)
        # the names as the text gives them (not the bare "Anbar" split from "Anbar province")
        self.names = frozenset(
            m.text for i, m in enumerate(mentions) if not (i and mentions[i - 1].start == m.start)
        )
        self.gcontext = _context_for(gazetteer, self.names) if mentions else None
        #: every place mention (for ``find_places``)
        self.all_places: list[_Place] = []
        for m in mentions:
            place = self.resolve(m.text)
            code = getattr(place, "feature_code", "") or ""
            self.all_places.append(_Place(m.start, m.end, m.text, place, place is not None and code not in _AREA_CODES))
        # names inside an actor's name ("Turkey-backed", "Islamic State of Iraq") are not
        # places fought over
        self.places = [p for p in self.all_places if not actor_spans.overlaps(p.start, p.end)]
        # only sentences that name a place that can change hands (or point back to one with
        # "the town") can state a claim; dates and triggers are read in those and in the lead.
        # Triggers are searched with place and actor names blanked, so "Hit" or "Free" in a
        # name never reads as a verb.
        eligible = _Spans((p.start, p.end) for p in self.places if p.eligible)
        blank = _Spans([(p.start, p.end) for p in self.places] + [(a.start, a.end) for a in self.actors])
        prose = [sp for sp in self.sentences if not self._is_headline(sp)]
        lead = prose[0] if prose else None
        self.dates: list[DateMention] = []
        self.triggers: list[_Trigger] = []
        for s, e in self.sentences:
            if not (eligible.any_within(s, e) or (s, e) == lead or _ANAPHOR.search(text, s, e)):
                continue
            seg = text[s:e]
            self.dates.extend(
                DateMention(d.start + s, d.end + s, d.text, d.date, d.precision, d.kind)
                for d in find_dates(seg, article.published)
            )
            self.triggers.extend(_find_triggers(seg, s, _mask(seg, blank.within(s, e), s)))
        labels = Counter(a.actor for a in self.actors if a.actor not in (GENERIC, GOVERNMENT))
        self.subject = "IS" if labels.get("IS") else (labels.most_common(1)[0][0] if labels else None)
        self.lead_date = self._lead_date()

    def resolve(self, name: str):
        return _resolve_cached(self.gaz, name, self.names, self.gcontext)

    def _lead_date(self) -> tuple[dt.date | None, str]:
        """The day the article's lead sentence dates its news to ("on Friday")."""
        pub = self.article.published
        body = [s for s in self.sentences if not self._is_headline(s)][:1]
        for s, e in body:
            for d in self.dates:
                if (s <= d.start < e and d.date is not None and d.precision == "day"
                        and (pub is None or dt.timedelta(0) <= pub - d.date <= dt.timedelta(days=7))):
                    return d.date, "day"
        return None, "unknown"

    def _is_headline(self, span: tuple[int, int]) -> bool:
        """A headline, caption or other line that is not a prose sentence."""
        s, e = span
        line = self.text[s:e].rstrip()
        return not line.endswith((".", "!", "?", "\"", "”", "'", "’")) and len(line) < 200

    def main_opponent(self, country: str | None) -> str | None:
        """The actor other than IS the article names most, when it fits the country."""
        counts = Counter()
        for a in self.actors:
            label = a.resolve(country=country, when=self.article.published)
            if label and label != "IS" and label != "other" and _fits_country(label, country):
                counts[label] += 1
        return counts.most_common(1)[0][0] if counts else None

    def pronoun_referent(self, before: int, *, country: str | None, when, singular: bool = True) -> str | None:
        """What "it" / "they" refers to: the article's subject when the sentence or the one
        before names it (news about a group calls it "it"), else the first actor of the
        previous prose sentence, else the article's subject."""
        prev = [sp for sp in self.sentences if sp[1] <= before and not self._is_headline(sp)]
        here = [sp for sp in self.sentences if sp[0] <= before < sp[1]]
        spans = (prev[-2:] + here) if prev else here
        labels = []
        for ps, pe in spans:
            for a in self.actors:
                if ps <= a.start < pe:
                    label = self.actor_label(a, country=country, when=when)
                    if label:
                        labels.append(label)
        if singular and self.subject in labels:
            return self.subject
        return labels[0] if labels else self.subject

    def actor_label(self, mention: ActorMention, *, country: str | None, when: dt.date | None) -> str | None:
        subject = self.subject if self.subject == "IS" else None
        return mention.resolve(country=country, when=when, subject=subject)


_POSSESSIVE = re.compile(r"(?<=\w)['’]s\b")
_EXTRA_CUES = frozenset(
    ["in", "of", "near", "from", "to", "at", "into", "outside", "around", "toward", "towards", "town", "city", "village", "villages", "towns", "cities", "province", "governorate", "district", "border", "capital", "stronghold", "areas", "area", "countryside", "nearby", "neighbouring", "neighboring", "including", "both", "and", "or", "desert", "border-town", "retake", "retook", "recaptured", "captured", "seized", "took", "liberated", "liberate", "liberating", "entered", "besieged", "held", "lost", "control", "freed", "free", "over", "across", "between"]
)
_PREV_WORD = re.compile(r"([\w'’-]+)([\s,]*)$")
_NEXT_WORD = re.compile(r"([\s]*)([\w'’-]+)")
_PUNCT = re.compile(r"[.;:!?\n,]")
_WORDS = re.compile(r"[A-Za-z][\w'’-]*")
_ADMIN_SUFFIX = re.compile(r"\s+(?:province|governorate|countryside|district|region)$", re.IGNORECASE)


class _Spans:
    """Character spans sorted by start, for fast overlap and containment queries."""

    def __init__(self, spans):
        self.spans = sorted(spans)
        self.starts = [s for s, _ in self.spans]
        self.max_len = max((e - s for s, e in self.spans), default=0)

    def overlaps(self, s: int, e: int) -> bool:
        i = bisect.bisect_left(self.starts, s - self.max_len)
        for a, b in self.spans[i:]:
            if a >= e:
                break
            if a < e and s < b:
                return True
        return False

    def within(self, s: int, e: int) -> list[tuple[int, int]]:
        i = bisect.bisect_left(self.starts, s)
        out = []
        for a, b in self.spans[i:]:
            if a >= e:
                break
            out.append((a, b))
        return out

    def any_within(self, s: int, e: int) -> bool:
        i = bisect.bisect_left(self.starts, s)
        return i < len(self.starts) and self.starts[i] < e


#: a nominal trigger as the object of the winner's announcement ("X announced the capture of P")
_CLAIMED_NOMINAL = re.compile(
    r"\b(?:announc|declar|celebrat|hail|claim|confirm|proclaim|mark|complet)(?:e|ed|es|ing)\s+"
    r"(?:(?:formally|officially|on\s+\w+|today|yesterday)\s+)?(?:the|its|their)\s+(?:full\s+|complete\s+|total\s+)?$",
    re.IGNORECASE,
)
_ANAPHOR = re.compile(r"\bthe\s+(?:town|city|village|towns)\b", re.IGNORECASE)


def _mentions(text: str, gazetteer, actor_spans: _Spans) -> list:
    """Gazetteer mentions, with three repairs over ``find_mentions``.

    - possessives ("Turkey's embassy") are read as the bare name;
    - an obscure single-word place the strict finder skips is kept when the word before it
      marks a place ("nearby P", "villages of P", "and P" after another place) or when it
      opens a dateline ("QAYYARAH, Iraq");
    - "Anbar province" also yields "Anbar".
    """
    from mapper.gazetteer import Mention

    clean = _POSSESSIVE.sub("  ", text)
    # one pass of the finder (it is the costliest step): the loose reading, then the strict
    # finder's own test (a notable place, or an obscure one after a cue word, not inside a
    # longer proper name) applied here, plus the extra cues above
    try:
        loose = gazetteer.find_mentions(clean, strict=False)
    except TypeError:  # a gazetteer without the option
        loose = gazetteer.find_mentions(clean)
    found = []
    title_lines: dict[int, bool] = {}
    for m in loose:
        prev = _PREV_WORD.search(clean, max(0, m.start - 30), m.start)
        prev_word = prev.group(1).lower() if prev else ""
        joined = prev is not None and prev.group(2) != "" and not _PUNCT.search(prev.group(2))
        nxt = _NEXT_WORD.match(clean, m.end, m.end + 30)
        inside_name = (
            (joined and prev.group(1)[0].isupper() and not getattr(m, "cue", False))
            or (nxt is not None and "\n" not in nxt.group(1) and nxt.group(1) != "" and nxt.group(2)[0].isupper())
        )
        notable = getattr(m, "notable", True)
        strict_ok = (notable or getattr(m, "cue", False)) and not (inside_name and not notable)
        if len(m.key) <= 2 and " " not in m.text:
            strict_ok = False
        line_start = m.start == 0 or clean[m.start - 1] == "\n"
        dateline = line_start and re.match(r"^[\s]*[,:(]|^\s+-", clean[m.end:m.end + 3]) and m.text.isupper()
        ls = clean.rfind("\n", 0, m.start) + 1
        if ls not in title_lines:
            le = clean.find("\n", m.end)
            words = _WORDS.findall(clean, ls, le if le >= 0 else len(clean))
            title_lines[ls] = len(words) >= 4 and sum(w[0].isupper() for w in words) / len(words) > 0.8
        title_case = title_lines[ls]
        cued = prev_word in _EXTRA_CUES or (prev_word == "the" and " " in m.text.strip() and not inside_name)
        if strict_ok or (cued and not title_case and len(m.key) > 2) or dateline:
            found.append(m)
    out = []
    for m in sorted(found, key=lambda m: m.start):
        if clean[m.start:m.end] != text[m.start:m.end]:  # a possessive blanked inside the span
            m = Mention(m.start, m.end, text[m.start:m.end], m.key, getattr(m, "notable", False), getattr(m, "cue", False))
        # "known as Ayn al-Arab": an English word read as an Arabic article
        lead = re.match(r"^(?:as|at|an|in|on)\s+(?=[A-Z‘ʿ'])", m.text)
        if lead:
            rest = m.text[lead.end():]
            m = Mention(m.start + lead.end(), m.end, rest, rest.lower(), getattr(m, "notable", False), getattr(m, "cue", False))
        # "‘Ayn al-Arab": keep the opening ʿayn mark the finder leaves out
        if m.start > 0 and text[m.start - 1] in "‘ʿ" and (m.start < 2 or not text[m.start - 2].isalnum()):
            m = Mention(m.start - 1, m.end, text[m.start - 1:m.end], m.key, getattr(m, "notable", False), getattr(m, "cue", False))
        if _NOT_PLACES.match(m.text) or not m.text[:1].isalpha() and m.text[:1] not in "‘'ʿ":
            continue
        if any(b - a <= 5 for a, b in actor_spans.within(m.start - 5, m.end) if a < m.end and m.start < b):
            continue  # "an IS", "ISIS": an acronym, not a place
        out.append(m)
        core = _ADMIN_SUFFIX.search(m.text)
        if core:
            name = m.text[:core.start()]
            out.append(Mention(m.start, m.start + len(name), name, name.lower(), getattr(m, "notable", False), getattr(m, "cue", False)))
    return out


# ------------------------------------------------------------------------------ per sentence


def _find_triggers(sentence: str, offset: int, masked: str) -> list[_Trigger]:
    """Triggers in text order; where two overlap, the pattern listed first (passives before
    actives) wins."""
    found: list[_Trigger] = []
    lower = masked.lower()
    for kind, etype, conf, rx, stems in _TRIGGER_RX:
        if not any(st in lower for st in stems):
            continue
        for m in rx.finditer(masked):
            s, e = m.start() + offset, m.end() + offset
            if any(s < t.end and t.start < e for t in found):
                continue
            if kind == "nominal" and not _DETERMINER_BEFORE.search(masked, max(0, m.start() - 12), m.start()):
                continue  # "capture of" is a noun only after a determiner or possessive
            if kind == "active" and _ADJ_BEFORE.search(masked, max(0, m.start() - 10), m.start()) and m.group(0).lower().endswith(("ed", "en")):
                continue  # "the liberated city of P": an adjective, not a claim
            found.append(_Trigger(s, e, kind, etype, conf, sentence[m.start():m.end()]))
    found.sort(key=lambda t: t.start)
    return found


_DETERMINER_BEFORE = re.compile(r"(?:\b(?:the|its|their|swift|rapid|recent|a)|['’]s)\s+$", re.IGNORECASE)
_ADJ_BEFORE = re.compile(r"\b(?:the|a|an|newly|recently)\s+$", re.IGNORECASE)


def _gap_ok(gap: str, *, allow_in: bool = False) -> bool:
    if len(gap) > 80:
        return False
    if "," in gap:
        return False
    g = gap
    if _DIRECTIONAL_OF.search(g):
        return False
    if allow_in:
        g = re.sub(r"\b(?:in|inside|of|from|out\s+of|over|against)\b", " ", g, flags=re.IGNORECASE)
    return not _BLOCK.search(g)


def _day_of(value) -> dt.date:
    return value.date() if hasattr(value, "date") and callable(value.date) else value


def _between(ctx, name: str, start: int, end: int) -> list:
    """Items of ``ctx.<name>`` starting in ``[start, end)``, by bisection (long articles stay
    linear, not quadratic)."""
    items = getattr(ctx, name)
    cache = ctx.__dict__.setdefault("_sorted", {})
    key = (name, len(items), id(items))
    if key not in cache:
        ordered = sorted(items, key=lambda x: x.start)
        cache[key] = (ordered, [x.start for x in ordered])
    ordered, starts = cache[key]
    return ordered[bisect.bisect_left(starts, start):bisect.bisect_left(starts, end)]


class _Sentence:
    """One sentence with its places, actors, dates and triggers, and the grammar helpers
    (objects, subjects, clause bounds, dates) the claim rules use."""

    def __init__(self, ctx: _Context, span: tuple[int, int]):
        self.ctx = ctx
        self.start, self.end = span
        self.text = ctx.text[self.start:self.end]
        self.places = _between(ctx, "places", self.start, self.end)
        self.actors = _between(ctx, "actors", self.start, self.end)
        self.dates = _between(ctx, "dates", self.start, self.end)
        self.triggers = [t for t in _between(ctx, "triggers", self.start, self.end) if t.end <= self.end]

    # -- spans ----------------------------------------------------------------------------
    def gap_text(self, a: int, b: int) -> str:
        """Text between absolute offsets with dates, actors and non-eligible places blanked."""
        spans = [(d.start, d.end) for d in self.dates] + [(x.start, x.end) for x in self.actors]
        spans += [(p.start, p.end) for p in self.places if not p.eligible]
        return _mask(self.ctx.text[a:b], spans, a)

    def clause_start(self, pos: int) -> int:
        """Start of the clause that contains ``pos``."""
        best = self.start
        for m in _CLAUSE_BREAK.finditer(self.text[: pos - self.start]):
            best = self.start + m.end()
        return best

    def clause_end(self, pos: int) -> int:
        m = _CLAUSE_BREAK.search(self.text[pos - self.start:])
        return pos + m.start() if m else self.end

    def next_trigger_start(self, t: _Trigger) -> int:
        for u in self.triggers:
            if u.start >= t.end:
                return u.start
        return self.end

    # -- objects --------------------------------------------------------------------------
    def objects_after(self, t: _Trigger, *, allow_in: bool = False) -> list[tuple[_Place, str]]:
        """Places governed by a trigger as its object, each with the gap before it."""
        limit = min(self.next_trigger_start(t), self.end)
        out: list[tuple[_Place, str]] = []
        cursor = t.end
        for p in self.places:
            if p.start < t.end or p.start >= limit:
                continue
            if not p.eligible:
                continue
            gap = self.gap_text(cursor, p.start)
            if not out:
                partial_in = bool(_FEATURE_IN.search(gap))
                if _gap_ok(gap, allow_in=allow_in) or (partial_in and _gap_ok(re.sub(r"\b(?:in|inside|within)\b", " ", gap, flags=re.IGNORECASE))):
                    out.append((p, gap))
                    cursor = p.end
                    continue
                if re.search(r"[,;:]|\b(?:and|or)\b", gap):
                    break
                continue
            # coordination: "P and the town of Q", "P, Q and R"
            m = re.match(r"^\s*(?:,\s*(?:and\s+|as\s+well\s+as\s+|along\s+with\s+)?|and\s+|as\s+well\s+as\s+|along\s+with\s+|&\s+)(.*)$", gap, re.DOTALL | re.IGNORECASE)
            if m and _gap_ok(m.group(1)):
                out.append((p, m.group(1)))
                cursor = p.end
                continue
            break
        return out

    def subject_places_before(self, t: _Trigger, *, max_gap: int = 45, appositive: bool = False) -> list[_Place]:
        """The place(s) a passive trigger is about: the noun phrase just before it."""
        before = [p for p in self.places if p.end <= t.start and p.eligible]
        if not before:
            return []
        last = before[-1]
        gap = self.gap_text(last.end, t.start)
        ok = len(gap) <= (90 if appositive else max_gap) and not re.search(r"[;:]", gap)
        if not appositive:
            core = re.sub(r"^\s*,?\s*(?:which|that|who)\b", " ", gap, flags=re.IGNORECASE)
            core = re.sub(r"^\s*(?:town|city|village|area|district|province|region|camp|neighbou?rhood|itself|alone)\b", " ", core, flags=re.IGNORECASE)
            ok = ok and not re.search(r"\b(?:in|near|from|to|at|on|of|toward|towards|outside|around|between|by|with|for|against|after|before|while|as|since|said|says|and\s+\w+ed)\b", core, re.IGNORECASE) and core.count(",") <= 1
            # a comma-separated appositive ("P, the capital of X, was ...") is allowed once
            if not ok and gap.count(",") == 2 and not re.search(r"[;:]", gap):
                ok = bool(re.match(r"^\s*,[^,]{0,60},\s*$", gap))
        else:
            ok = ok and not re.search(r"[.;:]", gap)
        if not ok:
            return []
        out = [last]
        # coordinated subjects: "P, Q and R were ..."
        for p in reversed(before[:-1]):
            g = self.gap_text(p.end, out[-1].start)
            if re.match(r"^\s*(?:,\s*(?:and\s+)?|and\s+|&\s+)(?:the\s+)?(?:(?:town|city|village|towns|cities|villages)\s+of\s+)?$", g, re.IGNORECASE):
                out.append(p)
            else:
                break
        return list(reversed(out))

    # -- actors ---------------------------------------------------------------------------
    def _actor_ok_as_subject(self, a: ActorMention) -> bool:
        before = self.ctx.text[max(self.start, a.start - 30):a.start]
        return not re.search(r"\b(?:from|against|by|of|backed\s+by|supported\s+by|with|on|to|over|at|fighting|targeting|and|in|near|than)\s+(?:(?:the|both|a|an|some|local|several)\s+)*$", before, re.IGNORECASE) and not re.match(r"^[\s'’]*(?:s\b|-held|-controlled|-run)", self.ctx.text[a.end:a.end + 12])

    def subject(self, t: _Trigger) -> ActorMention | str | None:
        """The grammatical subject of a trigger: the first actor of its clause.

        A pronoun subject ("it lost", "they had entered") is returned as the string
        ``"pronoun"``; the caller resolves it against the previous sentence.
        """
        cs = self.clause_start(t.start)
        # an actor opening the clause is its subject even after "and" ("... and Iraqi troops drove")
        cands = [a for a in self.actors if cs <= a.start and a.end <= t.start
                 and (self._actor_ok_as_subject(a) or re.match(r"^\s*(?:the\s+)?$", self.ctx.text[cs:a.start]))]
        if cands:
            return cands[0]
        head = self.ctx.text[cs:t.start]
        if _PRONOUN_ANY.search(head):
            # "the army says it has retaken P": the pronoun is the speaker
            if _REPORTING.search(self.ctx.text[self.start:cs + len(head) - len(head.lstrip()) + 1]) or _REPORTING.search(self.ctx.text[self.start:cs]):
                speakers = [a for a in self.actors if a.end <= cs and self._actor_ok_as_subject(a)]
                if speakers:
                    return speakers[0]
            return "pronoun"
        cands = [a for a in self.actors if a.end <= t.start and self._actor_ok_as_subject(a)]
        if cands:
            return cands[0]
        if _PRONOUN_ANY.search(self.ctx.text[self.start:t.start]):
            return "pronoun"
        return None

    def actor_after(self, pos: int, preps: str, *, limit: int | None = None) -> ActorMention | None:
        """The first actor after ``pos`` introduced by one of the prepositions ``preps``."""
        limit = limit or self.end
        for a in self.actors:
            if a.start < pos or a.start >= limit:
                continue
            before = self.ctx.text[max(pos, a.start - 40):a.start]
            if re.search(rf"\b(?:{preps})\s+(?:the\s+)?(?:[\w-]+\s+){{0,3}}$", before, re.IGNORECASE):
                return a
        return None

    def other_actor(self, exclude: set[str], *, country: str | None, when) -> str | None:
        """Another actor named in the sentence that can fight over a place in ``country``."""
        for a in self.actors:
            label = self.ctx.actor_label(a, country=country, when=when)
            if label and label not in exclude and _fits_country(label, country):
                return label
        return None

    # -- dates ----------------------------------------------------------------------------
    def date_for(self, t: _Trigger, p: _Place, next_object: int | None, *, held: bool = False) -> tuple[DateMention | None, int]:
        """The date mention for a claim and the day shift ("one day after")."""
        passive = t.kind in ("passive", "reduced_passive", "held_passive")
        cs = self.clause_start(t.start if passive else min(t.start, p.start))
        ce = self.clause_end(max(t.end, p.end))
        nxt = next_object if next_object is not None else ce
        usable = [d for d in self.dates if d.date is not None or d.precision == "unknown"]
        if held:
            usable = [d for d in usable if not re.search(r"\b(?:since|from)\s*$", self.ctx.text[max(self.start, d.start - 8):d.start], re.IGNORECASE) and not d.text.lower().startswith("since")]
        after = [d for d in usable if max(p.end, t.end) <= d.start < nxt]
        if t.kind == "nominal":
            after = [d for d in after if d.start - p.end <= 30]
            usable = [d for d in usable if d.end <= t.start]
        if after:
            return after[0], 0
        within = [d for d in usable if cs <= d.start < ce and (t.kind != "nominal" or d.end <= t.start)]
        if within:
            best = min(within, key=lambda d: abs(d.start - t.start))
            shift = 0
            gap = self.ctx.text[best.end:t.start] if best.end <= t.start else ""
            m = re.search(r"\b(a|an|one|two|three|four|five|six|seven|\d+)\s+(day|days|week|weeks)\s+(after|before)\s+(?:\w+\s+)?$", gap, re.IGNORECASE)
            if m:
                n = _N_WORDS.get(m.group(1).lower()) or int(m.group(1))
                n *= 7 if m.group(2).lower().startswith("week") else 1
                shift = -n if m.group(3).lower() == "after" else n
            return best, shift
        # "... but IS seized P weeks later": the other event's date, less precisely
        later = re.search(r"\b(days?|weeks?|months?|years?)\s+(?:later|afterwards|after\s+that)\b", self.ctx.text[cs:ce], re.IGNORECASE)
        if later:
            before = [d for d in usable if d.end <= cs and d.date is not None]
            if before:
                ref = before[-1]
                unit = later.group(1).lower().rstrip("s")
                coarse = {"day": "week", "week": "month", "month": "year", "year": "year"}[unit]
                coarse = max(coarse, ref.precision, key=lambda p: PRECISION_RANK[p])
                d = ref.date
                d = d.replace(day=1) if coarse == "month" else d.replace(month=1, day=1) if coarse == "year" else d
                return DateMention(ref.start, ref.end, ref.text, d, coarse, "relative"), 0
        return None, 0


# ------------------------------------------------------------------------------ claims


def _fits_country(label: str, country: str | None) -> bool:
    if label == "Syrian government" or label in ("SDF", "Turkish-backed rebels", "Syrian rebels"):
        return country in (None, "", "SY")
    if label == "Iraqi government":
        return country in (None, "", "IQ")
    return True


def _relative_object(sent: _Sentence, t: _Trigger) -> list[tuple[_Place, str]]:
    """"P, which IS seized in 2014, ...": the relative pronoun is the object."""
    before = [p for p in sent.places if p.end <= t.start and p.eligible]
    if not before:
        return []
    p = before[-1]
    between = sent.ctx.text[p.end:t.start]
    m = re.match(r"^\s*,?\s*(?:which|that|whom)\s+(.*?)\s*(?:had\s+|has\s+|have\s+)?$", between, re.IGNORECASE | re.DOTALL)
    if not m or len(between) > 80:
        return []
    # the relative clause's subject must be an actor and nothing else
    subj = [a for a in sent.actors if p.end <= a.start and a.end <= t.start]
    if not subj:
        return []
    rest = sent.ctx.text[subj[-1].end:t.start]
    if not re.match(r"^\s*(?:(?:had|has|have|first|initially|originally|briefly|also)\s+)*$", rest, re.IGNORECASE):
        return []
    return [(p, "")]


_DISTRICT_OBJECT = re.compile(
    r"\s+(?:the\s+|a\s+|several\s+|two\s+|three\s+|some\s+)?(?:[\w'’-]+\s+){0,3}?(?:district|neighbou?rhood|quarter|suburb)s?\b",
    re.IGNORECASE,
)


def _is_dateline(sent: _Sentence, p: _Place) -> bool:
    """"BEIRUT (AP) --", "MOSUL, Iraq -": where the story was filed, not what it is about."""
    if p.start - sent.start > 2:
        return False
    return p.text.isupper() or bool(re.match(r"\s*(?:,[^,.]{1,30})?\s*(?:\(|--|\u2014|\u2013|-\s)", sent.ctx.text[p.end:p.end + 40]))


def _district_of_town(sent: _Sentence, t: _Trigger) -> list[tuple[_Place, str]]:
    """"attacked the town of P ... and captured the X district": fighting inside P.

    Only when the sentence names exactly one town before the verb; the gap marks it
    partial, so the claim is ``entered``.
    """
    if not _DISTRICT_OBJECT.match(sent.ctx.text, t.end, min(sent.end, t.end + 60)):
        return []
    towns = [
        p for p in sent.places
        if p.end <= t.start and p.eligible and not _is_dateline(sent, p)
    ]
    if len({p.place.place_id for p in towns}) != 1:
        return []
    return [(towns[-1], "districts")]


def _anaphoric_object(sent: _Sentence, t: _Trigger) -> list[tuple[_Place, str]]:
    """"entered the town on Monday": the town is the last place named before."""
    after = sent.ctx.text[t.end:min(sent.end, t.end + 40)]
    if not re.match(r"^\s+the\s+(?:town|city|village|towns|city\s+centre|city\s+center)\b(?!\s+of\b)", after, re.IGNORECASE):
        return []
    ctx = sent.ctx
    prev = [sp for sp in ctx.sentences if sp[1] <= sent.start and not ctx._is_headline(sp)]
    if not prev or any(p.eligible for p in sent.places if p.end <= t.start):
        return []
    ps, pe = prev[-1]
    named = [p for p in ctx.places if ps <= p.start < pe and p.eligible]
    if len({p.place.place_id for p in named}) != 1:
        return []
    return [(named[-1], "")]



def _is_hypothetical(sent: _Sentence, t: _Trigger) -> str | None:
    cs = sent.clause_start(t.start)
    window = sent.ctx.text[max(cs, t.start - 60):t.start]
    window = re.sub(r"\b(?:was|were)\s+able\s+to\b|\bmanaged\s+to\b|\bsucceeded\s+in\b", " ", window, flags=re.IGNORECASE)
    m = _HYPOTHETICAL.search(window)
    if m:
        word = m.group(0).lower()
        # "for the" and "towards the" only mark a goal before a nominal trigger
        if word.startswith(("for the", "toward")) and t.kind != "nominal":
            return None
        return word
    # a gerund heading its clause is a noun: "Taking P would give them the border"
    if t.kind == "active" and t.text.lower().endswith("ing") and not window.strip(" ,\"“"):
        return "gerund"
    # "the road to P", "the battle for P": a generic mention, no claim; so are infinitives
    if re.search(r"\bto\s+(?:\w+ly\s+|also\s+|then\s+|fully\s+|finally\s+)?$", window, re.IGNORECASE) and t.kind in ("active", "expel", "victory", "lose"):
        return "to-infinitive"
    if t.kind == "nominal" and re.search(r"\b(?:battle|fight|offensive|push|campaign|operation|assault|drive|march|road|way|plans?|preparations?)\s+(?:for|towards?|on|to)\s+(?:the\s+)?$", window, re.IGNORECASE):
        return "goal"
    return None


def _sentence_claims(sent: _Sentence, *, keep_uncertain: bool) -> list[_Claim]:
    ctx = sent.ctx
    art = ctx.article
    claims: list[_Claim] = []
    headline = ctx._is_headline((sent.start, sent.end))

    for t in sent.triggers:
        etype = t.event_type
        flags: list[str] = []
        conf = t.conf
        hypo = _is_hypothetical(sent, t)
        if hypo:
            if not keep_uncertain:
                continue
            flags.append(f"uncertain:{hypo}")
            conf = 0.15

        # the places this trigger is about, each with the gap text before it
        targets: list[tuple[_Place, str]] = []
        if t.kind in ("active", "lose", "withdraw", "nominal", "expel_passive"):
            targets = sent.objects_after(t)
            if not targets and etype == "besieged":
                targets = [(p, g) for p, g in sent.objects_after(t, allow_in=True) if any(t.end <= a.start < p.start for a in sent.actors)]
            if not targets and t.kind == "active":
                targets = _relative_object(sent, t) or _anaphoric_object(sent, t)
                if not targets and etype == "captured":
                    targets = _district_of_town(sent, t)
            if t.kind == "withdraw":
                targets = [(p, g) for p, g in sent.objects_after(t, allow_in=False)] or [
                    (p, g) for p, g in sent.objects_after(t, allow_in=True)
                    if re.search(r"\b(?:from|out\s+of)\b", g, re.IGNORECASE) and not re.search(r"\bin\b", g, re.IGNORECASE)
                ]
        elif t.kind in ("expel", "victory"):
            targets = [
                (p, g) for p, g in sent.objects_after(t, allow_in=True)
                if t.kind == "victory" or re.search(r"\b(?:from|out\s+of|of|in)\b", g, re.IGNORECASE)
            ]
            if t.kind == "expel":
                # "drove IS out of P": an actor object must come before the place
                targets = [(p, g) for p, g in targets if any(t.end <= a.start < p.start for a in sent.actors)]
        elif t.kind in ("passive", "reduced_passive", "held_passive"):
            targets = [(p, "") for p in sent.subject_places_before(t)]
        elif t.kind == "held_last":
            targets = [(p, "") for p in sent.subject_places_before(t, appositive=True)]
            if not targets:
                targets = sent.objects_after(t, allow_in=True)
        elif t.kind == "held_of":
            targets = sent.objects_after(t)[:1]
        elif t.kind == "held_leaving":
            # "..., leaving P (, on the border,) as the last town under its control"
            targets = sent.objects_after(t)[:1]
        elif t.kind == "withdraw_rel":
            # "the largest of those they left, along with P and Q": every eligible place
            targets = [(p, "") for p in sent.places if p.eligible]
        if not targets:
            continue

        targets = [(p, g) for p, g in targets if not _FEATURE_AFTER.match(ctx.text[p.end:p.end + 40])]
        base_flags = flags
        for idx, (p, gap) in enumerate(targets):
            flags = list(base_flags)
            loser_default = None
            country = getattr(p.place, "country", None)
            this_type = etype
            partial = ((_PARTIAL.search(gap) and not _WHOLE.search(_PARTIAL.sub(" ", gap))) or _FEATURE_IN.search(gap)
                       or _PARTIAL_AFTER.match(ctx.text[p.end:p.end + 40]) or _FEATURE_INSIDE.match(ctx.text[p.end:p.end + 50]))
            if etype == "captured" and t.kind in ("active", "lose", "expel", "expel_passive", "nominal", "victory") and partial:
                this_type = "entered"
            # date first (YPG/SDF and generic actors depend on it)
            next_obj = targets[idx + 1][0].start if idx + 1 < len(targets) else None
            dm, shift = sent.date_for(t, p, next_obj, held=(this_type == "held"))
            date, precision, explicit = None, "unknown", False
            if dm is not None and dm.date is not None:
                date, precision, explicit = dm.date + dt.timedelta(days=shift), dm.precision, True
            elif dm is not None:
                flags.append("date_unresolved")
            if date is None and dm is None:
                if this_type == "held" and art.published is not None:
                    date, precision = art.published, "day"
                elif ctx.lead_date[0] is not None and not _PRESENT.search(ctx.text[max(sent.start, t.start - 25):t.end]):
                    date, precision = ctx.lead_date
                    flags.append("date_from_lead")
                elif art.published is not None:
                    date, precision = art.published, "day"
                    flags.append("date_from_publication")
            when = date or art.published

            def label(a: ActorMention | None, _country=country, _when=when) -> str | None:
                return ctx.actor_label(a, country=_country, when=_when) if a else None

            subj = sent.subject(t)
            if subj == "pronoun":
                singular = not re.search(r"\bthey\b", ctx.text[sent.clause_start(t.start):t.start], re.IGNORECASE)
                subj_label = ctx.pronoun_referent(sent.start, country=country, when=when, singular=singular)
            else:
                subj_label = label(subj)
            if t.kind in ("active", "expel", "victory", "nominal"):
                gainer = subj_label
                if t.kind == "nominal":
                    if re.match(r"fall", t.text, re.IGNORECASE):
                        # "the fall of P to X"
                        gainer = label(sent.actor_after(p.end, "to|into the hands of", limit=sent.clause_end(p.end)))
                    else:
                        # "the recapture of P by X", "the army's recapture of P"
                        gainer = label(sent.actor_after(t.end, "by", limit=sent.clause_end(p.end)))
                        if gainer is None:
                            poss = [a for a in sent.actors if a.end <= t.start and re.match(r"^['’]s?\s+(?:[\w-]+\s+)?$", ctx.text[a.end:t.start])]
                            gainer = label(poss[-1]) if poss else None
                        if gainer is None and _CLAIMED_NOMINAL.search(ctx.text, max(sent.start, t.start - 60), t.start):
                            # "X announced / celebrated the liberation of P": X took it
                            gainer = subj_label
                if t.kind in ("expel", "victory"):
                    obj = [a for a in sent.actors if t.end <= a.start < p.start]
                    loser = label(obj[0]) if obj else None
                else:
                    loser = label(sent.actor_after(p.end, "from|against", limit=sent.clause_end(p.end)))
                if this_type == "held":
                    loser = None
            elif t.kind == "expel_passive":
                # "IS was driven out of P by X": the subject lost it, the agent took it
                loser = subj_label
                gainer = label(sent.actor_after(p.end, "by", limit=sent.clause_end(p.end) + 1))
            elif t.kind == "lose":
                loser = subj_label or ctx.subject
                gainer = label(sent.actor_after(p.end, "to|by|against"))
            elif t.kind in ("withdraw", "withdraw_rel"):
                loser = subj_label or (ctx.subject if t.kind == "withdraw_rel" else None)
                gainer = None
                if not loser:
                    continue  # "residents fled P" is no withdrawal of a fighting force
            elif t.kind in ("passive", "reduced_passive", "held_passive"):
                if re.match(r"(?:fell|falls|fallen|falling|fall)\b", t.text, re.IGNORECASE) and "under" not in t.text.lower():
                    gainer = label(sent.actor_after(t.start, "to|hands of", limit=sent.clause_end(t.end) + 1))
                elif re.search(r"\b(?:under|returned|returns|back)\b", t.text, re.IGNORECASE):
                    # "came under X control", "came under the control of X"
                    after = [a for a in sent.actors if t.start <= a.start < t.end + 60]
                    gainer = label(after[0]) if after else None
                elif re.search(r"\bof$", t.text.strip(), re.IGNORECASE) and t.kind == "passive":
                    # "had been cleared of militants": the actor after "of" is the loser
                    gainer = None
                    loser_default = label(sent.actor_after(t.start, "of", limit=t.end + 50))
                else:
                    agent = sent.actor_after(t.start, "by|hands of|control of", limit=sent.clause_end(t.end) + 1)
                    gainer = label(agent)
                    if gainer is None and this_type == "besieged":
                        # "P is besieged" with no agent: the side the sentence is about
                        gainer = subj_label if isinstance(subj_label, str) else None
                loser = loser_default or label(sent.actor_after(t.end, "from", limit=sent.clause_end(t.end) + 1))
                if this_type == "held":
                    loser = None
                if re.search(r"\blost\b|\babandoned\b|\bevacuated\b", t.text, re.IGNORECASE):
                    # "P was lost to X" / "P was abandoned": the subject is the loser
                    loser = subj_label
                    gainer = label(sent.actor_after(t.end, "to|by"))
                    this_type = "withdrew" if gainer is None and re.search(r"abandon|evacuat", t.text, re.IGNORECASE) else this_type
            elif t.kind in ("held_last", "held_of", "held_leaving"):
                poss = re.search(r"\b(its|their)\b", t.text, re.IGNORECASE)
                named = [a for a in sent.actors if t.start <= a.start <= t.end + 2]
                gainer = label(named[0]) if named else (ctx.subject if poss or "'" in t.text or "’" in t.text else None)
                if gainer is None:
                    gainer = ctx.subject
                loser = None
            else:  # pragma: no cover - every kind is handled above
                continue

            # a besieging/entering/capturing subject that is really the loser ("IS lost
            # control") was handled by its trigger kind; fill the other side where the
            # article makes it plain
            if this_type in ("captured", "entered", "besieged") and gainer and not loser:
                if gainer != "IS" and ctx.subject == "IS":
                    loser = "IS"
                    flags.append("loser_inferred")
                elif gainer == "IS":
                    other = sent.other_actor({"IS"}, country=country, when=when)
                    loser = other or ctx.main_opponent(country) or government_of(country)
                    if loser:
                        flags.append("loser_inferred")
            if gainer and loser and gainer == loser:
                loser = None
            if p.place is None:
                continue
            # a claim that names no side at all ("aid convoys entered P") is no report of
            # control; a siege or a holding needs the side that holds or encircles
            if not gainer and not loser:
                continue
            if this_type in ("besieged", "held") and not gainer:
                continue
            if this_type == "held" and partial:
                continue  # "still controls parts of P": contested, not held

            c = conf
            if not gainer and this_type != "withdrew":
                c -= 0.15
            if not explicit:
                c -= 0.1
            if headline:
                c -= 0.2
                flags_h = flags + ["headline"]
            else:
                flags_h = list(flags)
            if this_type == "entered" and etype == "captured":
                flags_h.append("partial_control")
            if gap == "districts" and t.kind == "active" and p.end <= t.start:
                flags_h.append("district_of_town")
            claims.append(_Claim(
                place=p, event_type=this_type, gainer=gainer, loser=loser, date=date,
                precision=precision, confidence=round(max(0.05, min(1.0, c)), 2),
                sentence=(sent.start, sent.end), flags=sorted(set(flags_h)), headline=headline,
                date_explicit=explicit,
            ))
    # a district capture read as entering its town adds nothing when the sentence already
    # says what the same side did there ("now control P, after capturing the X district")
    district = [c for c in claims if "district_of_town" in c.flags]
    others = [c for c in claims if "district_of_town" not in c.flags]
    for c in district:
        if not any(o.place.place.place_id == c.place.place.place_id and o.gainer == c.gainer for o in others):
            others.append(c)
    return sorted(others, key=lambda c: c.place.start)


# ------------------------------------------------------------------------------ merge


def _compatible_dates(a: _Claim, b: _Claim) -> bool:
    if a.date is None or b.date is None:
        return True
    tol = {"day": 3, "week": 7, "month": 31, "year": 366, "unknown": 10_000}
    limit = max(tol[a.precision], tol[b.precision])
    if not a.date_explicit or not b.date_explicit:
        return True  # a date inferred from the publication is no evidence of a second event
    return abs((a.date - b.date).days) <= limit


def _merge(claims: list[_Claim]) -> list[_Claim]:
    """One claim per place and change: a change stated twice in an article is one report."""
    rank = {"day": 0, "week": 1, "month": 2, "year": 3, "unknown": 4}
    ordered = sorted(claims, key=lambda c: (c.headline, -c.date_explicit, rank[c.precision], -c.confidence, c.sentence[0]))
    kept: list[_Claim] = []
    for c in ordered:
        pid = c.place.place.place_id
        dup = None
        for k in kept:
            if k.place.place.place_id != pid or not _compatible_dates(k, c):
                continue
            same_sides = (not k.gainer or not c.gainer or k.gainer == c.gainer) and (not k.loser or not c.loser or k.loser == c.loser)
            if k.event_type == c.event_type and same_sides:
                dup = k
                break
            if c.headline and same_sides:
                dup = k  # a headline restating (or overstating) what the body says
                break
        if dup is None:
            kept.append(c)
            continue
        dup.gainer = dup.gainer or c.gainer
        dup.loser = dup.loser or c.loser
        if dup.date is None and c.date is not None:
            dup.date, dup.precision = c.date, c.precision
        dup.confidence = round(min(1.0, max(dup.confidence, c.confidence) + 0.05), 2)
    # "entered P ... and took full control": a capture on the same day supersedes the entry
    captured = {(c.place.place.place_id, c.gainer, c.date) for c in kept if c.event_type == "captured" and c.date_explicit}
    kept = [
        c for c in kept
        if not (c.event_type == "entered" and c.date_explicit and c.precision == "day"
                and (c.place.place.place_id, c.gainer, c.date) in captured)
    ]
    return sorted(kept, key=lambda c: c.sentence[0])


# ------------------------------------------------------------------------------ public


def _empty_reports() -> pd.DataFrame:
    df = pd.DataFrame({c: pd.Series(dtype="object") for c in REPORT_COLUMNS})
    df["lat"] = df["lat"].astype("float64")
    df["lon"] = df["lon"].astype("float64")
    df["confidence"] = df["confidence"].astype("float64")
    df["date"] = pd.Series(dtype="datetime64[ns]")
    df["published"] = pd.Series(dtype="datetime64[ns]")
    return df


def _frame(rows: list[dict]) -> pd.DataFrame:
    if not rows:
        return _empty_reports()
    df = pd.DataFrame(rows, columns=REPORT_COLUMNS)
    df["date"] = pd.to_datetime(df["date"]).astype("datetime64[ns]")
    df["published"] = pd.to_datetime(df["published"]).astype("datetime64[ns]")
    df["lat"] = df["lat"].astype("float64")
    df["lon"] = df["lon"].astype("float64")
    df["confidence"] = df["confidence"].astype("float64")
    return df


def extract_reports(
    article: Article, gazetteer, *, lexicon: ActorLexicon | None = None,
    keep_uncertain: bool = False, min_confidence: float = 0.0,
) -> pd.DataFrame:
    """Control-change reports stated in one article.

    Parameters
    ----------
    article
        The article (its ``published`` date anchors relative dates).
    gazetteer
        A :class:`mapper.gazetteer.Gazetteer`.
    lexicon
        Actor lexicon; the default when ``None``.
    keep_uncertain
        Keep hypothetical, goal and denied claims with confidence 0.15 and an
        ``uncertain:<cue>`` flag instead of dropping them.
    min_confidence
        Drop reports below this confidence.

    Returns
    -------
    DataFrame
        Columns :data:`mapper.schema.REPORT_COLUMNS`, one row per place and claim.
        Names the gazetteer cannot resolve give no report (and a
        :class:`~mapper.errors.UnresolvedPlaceWarning` when they were the object of a
        claim); they never blank the article's other results.
    """
    return _frame(_report_rows(article, gazetteer, lexicon=lexicon, keep_uncertain=keep_uncertain, min_confidence=min_confidence))


def _report_rows(article: Article, gazetteer, *, lexicon, keep_uncertain: bool, min_confidence: float) -> list[dict]:
    lexicon = lexicon or _default_lexicon()
    ctx = _Context(article, gazetteer, lexicon)
    claims: list[_Claim] = []
    unresolved: set[str] = set()
    starts = [t.start for t in ctx.triggers]
    for span in ctx.sentences:
        i = bisect.bisect_left(starts, span[0])
        if i >= len(starts) or starts[i] >= span[1]:
            continue
        sent = _Sentence(ctx, span)
        if not sent.triggers:
            continue
        for p in sent.places:
            if p.place is None:
                unresolved.add(p.text)
        claims.extend(_sentence_claims(sent, keep_uncertain=keep_uncertain))
    claims = _merge(claims)
    rows = []
    for c in claims:
        if c.confidence < min_confidence:
            continue
        pl = c.place.place
        s, e = c.sentence
        if c.date is not None and article.published is not None and _day_of(c.date) > article.published:
            # a report cannot describe a change after its own publication: a typo, a plan or
            # a misread date; keep the claim, drop the date
            c.date, c.precision = None, "unknown"
            c.flags.append("date_after_publication")
        rows.append({
            "article": article.id, "place_id": pl.place_id, "place": pl.name, "country": pl.country,
            "name_as_written": c.place.text, "lat": float(pl.lat), "lon": float(pl.lon),
            "event_type": c.event_type, "gainer": c.gainer or "", "loser": c.loser or "",
            "date": c.date, "date_precision": c.precision if c.date is not None else "unknown",
            "confidence": c.confidence, "evidence": " ".join(article.text[s:e].split()),
            "span": f"{s}:{e}", "published": article.published, "title": article.title,
            "url": article.url, "flags": ";".join(c.flags),
        })
    return rows


_LEXICON: ActorLexicon | None = None


def _default_lexicon() -> ActorLexicon:
    global _LEXICON
    if _LEXICON is None:
        _LEXICON = ActorLexicon.default()
    return _LEXICON


def find_places(article: Article, gazetteer) -> pd.DataFrame:
    """Every place mention in an article, resolved with the article as context.

    Returns
    -------
    DataFrame
        Columns ``article, name_as_written, place_id, place, country, lat, lon, start,
        end``. Unresolved names have an empty ``place_id`` and NaN coordinates.
    """
    ctx = _Context(article, gazetteer, _default_lexicon())
    rows = []
    text = article.text
    for p in ctx.all_places:
        pl = p.place
        rows.append({
            "article": article.id, "name_as_written": p.text,
            "place_id": pl.place_id if pl else "", "place": pl.name if pl else "",
            "country": pl.country if pl else "", "lat": float(pl.lat) if pl else float("nan"),
            "lon": float(pl.lon) if pl else float("nan"), "start": p.start, "end": p.end,
        })
        if pl is None or not p.eligible:
            continue
        # a feature named by its town ("Hajin hospital", "Mosul's airport", "the Old City of
        # Mosul") is listed too, placed at the town: the gazetteer has no point of its own
        after = _FEATURE_NAME.match(text[p.end:p.end + 60])
        w0 = max(0, p.start - 30)
        before = re.search(r"\b(Old\s+City)\s+of\s+$", text[w0:p.start])
        if after:
            s0, e0, feature = p.start, p.end + after.end(), after.group("feature")
        elif before:
            s0, e0, feature = w0 + before.start(1), p.end, before.group(1)
        else:
            continue
        rows.append({
            "article": article.id, "name_as_written": text[s0:e0],
            "place_id": pl.place_id, "place": f"{pl.name} ({feature.lower()}, placed at the town)",
            "country": pl.country, "lat": float(pl.lat), "lon": float(pl.lon), "start": s0, "end": e0,
        })
    anchored = _anchored_names(ctx, article)
    spans = {(r["start"], r["end"]) for r in anchored}
    rows = [r for r in rows if r["place_id"] or (r["start"], r["end"]) not in spans] + anchored
    df = pd.DataFrame(rows, columns=PLACE_COLUMNS_OUT)
    df = df.sort_values(["start", "end"], kind="stable").reset_index(drop=True)
    df["lat"] = df["lat"].astype("float64")
    df["lon"] = df["lon"].astype("float64")
    df["start"] = df["start"].astype("int64")
    df["end"] = df["end"].astype("int64")
    return df


# a proper name: capitalised words, with Arabic articles inside ("Shuqaq al-Sakaniya")
_PROPER_NAME = r"(?:(?:al|el|ad|ar|as|az|ash|at|an)-)?[A-Z][\w’'‘]+(?:[- ](?:(?:al|el|ad|ar|as|az|ash|at|an)-)?[A-Z][\w’'‘]+){0,2}"
_SLOT_NOUN = r"(?:villages?|towns?|neighbou?rhoods?|districts?|quarters?|suburbs?|hills?|areas?)"
#: "the village of N", "villages of N and N", "the neighbourhood of N"
_SLOT_OF = re.compile(rf"\b{_SLOT_NOUN}\s+of\s+(?P<names>{_PROPER_NAME}(?:(?:\s*,\s*|\s+and\s+){_PROPER_NAME})*)")
#: "the N district", "N and N neighbourhoods", "N area"
_SLOT_AFTER = re.compile(rf"(?P<names>{_PROPER_NAME}(?:(?:\s*,\s*|\s+and\s+){_PROPER_NAME})*)\s+{_SLOT_NOUN}\b")
_NAME_SPLIT = re.compile(_PROPER_NAME)
#: towns, cities and named features (not villages, whose own resolution may be a namesake)
_ANCHOR_CODES = {"PPLC", "PPLA", "PPLA2", "PPLA3", "PPLA4", "AIRB", "AIRP", "DAM", "BCN", "OILF", "GASF", "OILR", "CSTL"}
_NOT_ANCHORABLE = re.compile(r"^(?:The|A|An|This|That|Those|These|Some|Several|Two|Three|Many|Other|Most|All|Both)$")


def _anchored_names(ctx: _Context, article: Article) -> list[dict]:
    """Names the gazetteer lacks, placed approximately at the place the text ties them to.

    A capitalised name in a place slot ("the neighbourhood of N", "the villages of N and M",
    "the N district", "N area") that is neither a gazetteer place nor an actor is listed with
    the coordinates of the nearest resolved place in the same sentence (else in the two
    sentences before). Its ``place_id`` is ``near:<anchor id>`` and ``place`` says so: an
    approximation, never presented as the name's own location. Such names never become
    events (``extract_reports`` only reports gazetteer places).
    """
    text = ctx.text
    gaz_stop = getattr(type(ctx.gaz), "_STOP", frozenset())
    known = [(p.start, p.end) for p in ctx.all_places if p.place is not None] + [(a.start, a.end) for a in ctx.actors]
    # anchors: resolved places that can hold ground and are prominent enough to be trusted
    resolved = [p for p in ctx.all_places if p.place is not None and p.eligible
                and getattr(p.place, "feature_code", "") in _ANCHOR_CODES]
    if not resolved:
        return []
    counts: dict[str, int] = {}
    for p in resolved:
        counts[p.place.place_id] = counts.get(p.place.place_id, 0) + 1
    rows: list[dict] = []
    seen: set[tuple[int, int]] = set()
    for s, e in ctx.sentences:
        names: list[tuple[int, int]] = []
        for rx in (_SLOT_OF, _SLOT_AFTER):
            for m in rx.finditer(text, s, e):
                for nm in _NAME_SPLIT.finditer(text, m.start("names"), m.end("names")):
                    names.append((nm.start(), nm.end()))
        for a, b in names:
            if (a, b) in seen or _NOT_ANCHORABLE.match(text[a:b]):
                continue
            if any(w.lower() in gaz_stop for w in re.findall(r"[\w’']+", text[a:b])):
                continue  # "the Syrian town of", "the Islamic State stronghold": not a name
            if any(a < kb and ka < b for ka, kb in known):
                continue
            anchor = _nearest_anchor(ctx, resolved, counts, a, s, e)
            if anchor is None:
                continue
            seen.add((a, b))
            pl = anchor.place
            rows.append({
                "article": article.id, "name_as_written": text[a:b], "place_id": f"near:{pl.place_id}",
                "place": f"{text[a:b]} (not in the gazetteer; placed at {pl.name})",
                "country": pl.country, "lat": float(pl.lat), "lon": float(pl.lon), "start": a, "end": b,
            })
    return rows


def _nearest_anchor(ctx: _Context, resolved: list[_Place], counts: dict[str, int], pos: int, s: int, e: int) -> _Place | None:
    """The nearest anchor in the sentence, else the article's most-named place among the
    anchors of the two sentences before."""
    same = [p for p in resolved if s <= p.start < e]
    if same:
        return min(same, key=lambda p: abs(p.start - pos))
    idx = next((i for i, sp in enumerate(ctx.sentences) if sp[0] == s), None)
    if idx is None or idx == 0:
        return None
    ps = ctx.sentences[max(0, idx - 2)][0]
    before = [p for p in resolved if ps <= p.start < s]
    if not before:
        return None
    return max(before, key=lambda p: (counts[p.place.place_id], p.start))


def extract_corpus(
    articles: Iterable[Article | Skipped], gazetteer, *, lexicon: ActorLexicon | None = None,
    keep_uncertain: bool = False, min_confidence: float = 0.0,
    skipped: list[Skipped] | None = None, warn_unresolved: bool = False,
) -> pd.DataFrame:
    """Reports from a stream of articles (from :func:`mapper.articles.read_articles`).

    ``Skipped`` items are collected into ``skipped`` (when given) and otherwise ignored;
    an article that fails is recorded there too, never the end of the run.
    """
    rows: list[dict] = []
    for item in articles:
        if isinstance(item, Skipped):
            if skipped is not None:
                skipped.append(item)
            continue
        try:
            rows.extend(_report_rows(item, gazetteer, lexicon=lexicon, keep_uncertain=keep_uncertain, min_confidence=min_confidence))
        except Exception as exc:  # one bad article never ends a run
            if skipped is not None:
                skipped.append(Skipped(item.id, f"extraction failed ({type(exc).__name__}: {exc})", "Report this article to the maintainers."))
            continue
        if warn_unresolved:
            for name in _unresolved_names(item, gazetteer):
                warnings.warn(f"{item.id}: '{name}' has no gazetteer match", UnresolvedPlaceWarning, stacklevel=2)
    return _frame(rows)


def iter_reports(
    articles: Iterable[Article | Skipped], gazetteer, *, lexicon: ActorLexicon | None = None,
    keep_uncertain: bool = False, min_confidence: float = 0.0,
    skipped: list[Skipped] | None = None,
) -> Iterator[dict]:
    """Report rows (dicts with :data:`REPORT_COLUMNS`) one article at a time.

    The streaming form of :func:`extract_corpus`: nothing is accumulated, so a corpus of
    any size runs in flat memory when the rows are written out as they come.
    """
    for item in articles:
        if isinstance(item, Skipped):
            if skipped is not None:
                skipped.append(item)
            continue
        try:
            rows = _report_rows(item, gazetteer, lexicon=lexicon, keep_uncertain=keep_uncertain, min_confidence=min_confidence)
        except Exception as exc:  # one bad article never ends a run
            if skipped is not None:
                skipped.append(Skipped(item.id, f"extraction failed ({type(exc).__name__}: {exc})", "Report this article to the maintainers."))
            continue
        yield from rows


def _unresolved_names(article: Article, gazetteer) -> list[str]:
    ctx = _Context(article, gazetteer, _default_lexicon())
    return sorted({p.text for p in ctx.places if p.place is None})
