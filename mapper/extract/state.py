"""What the stages of one article's reading share: tokens, layout, mentions, caches.

ArticleState(article, text, tokens, layout, scan, ...)  built by the Extractor
Claim                                                    one claim read from a sentence
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from mapper.dates import DateMention, find_dates

from .clauses import Chunk, chunk_sentence
from .lexicon import Grammar
from .mentions import ActorM, PlaceM, Scan, TrigM
from .text import Layout, Tokens

__all__ = ["ArticleState", "Claim", "Ref"]


@dataclass(slots=True)
class Ref:
    """A reference to an actor: a mention, a pronoun at a token, or an inferred label."""

    actor: ActorM | None = None
    pronoun: int = -1  # token index of "it", "they", "them"
    label: str = ""  # a canonical label, once settled
    inferred: bool = False
    obj: bool = False  # the pronoun is an object ("pushed them out"), not a subject
    raw: str = ""  # a provisional label written as an adjective ("rebel-held", "under Kurdish control")


@dataclass
class Claim:
    """One control-change claim read from a sentence, before dates and actors are settled."""

    place: PlaceM
    event: str
    k: int  # sentence index
    trigger: int  # token index of the trigger (or of the construction's key word)
    chunk: Chunk | None
    gainer: Ref | None = None
    loser: Ref | None = None
    confidence: float = 0.8
    flags: set[str] = field(default_factory=set)
    date: dt.date | None = None
    precision: str = "unknown"
    offset: tuple[str, int] | None = None  # ("before"|"after", days) relative to the main clause
    region: bool = False
    construction: str = ""
    verb: int = -1  # token index of the verb when the trigger is a noun ("took control")
    date_at: int = -1  # token where a date of this item of a list starts ("B in October")
    same_date_as: Claim | None = None  # a claim stated with another takes its date ("... except P")

    @property
    def gainer_label(self) -> str:
        return self.gainer.label if self.gainer else ""

    @property
    def loser_label(self) -> str:
        return self.loser.label if self.loser else ""


class ArticleState:
    """One article being read: the layout, the mentions and per-sentence caches."""

    def __init__(self, *, article, text: str, tokens: Tokens, layout: Layout, scan: Scan, grammar: Grammar,
                 gazetteer, anchor: dt.date | None, year_hint: int | None):
        self.article = article
        self.text = text
        self.tk = tokens
        self.layout = layout
        self.scan = scan
        self.grammar = grammar
        self.gaz = gazetteer
        self.anchor = anchor
        self.year_hint = year_hint
        n = tokens.n
        self.sent_of = [0] * n
        for k, s in enumerate(layout.sentences):
            if s.j > s.i:
                self.sent_of[s.i:s.j] = [k] * (s.j - s.i)
        self.place_at = scan.place_at
        self.place_end = scan.place_end
        self.actor_at = scan.actor_at
        self.actor_end = scan.actor_end
        self.trig_at: dict[int, TrigM] = {t.i: t for t in scan.triggers}
        self.dateline_tokens: set[int] = set()
        for a, b in layout.dateline_spans:
            self.dateline_tokens.update(range(a, b))
        self._chunks: dict[int, list[Chunk]] = {}
        self._dates: dict[int, list[tuple[DateMention, int, int]]] = {}
        self._date_tokens: dict[int, set[int]] = {}
        #: place_id -> holder label named by an adjective ("IS-held P")
        self.holder_hints: dict[str, str] = {}
        #: the subject actor of each sentence's first finite claim or clause, for "it" / "they"
        self.subjects: dict[int, list[tuple[int, str]]] = {}
        self.claims: list[Claim] = []
        #: token index of a place -> the head noun it was named with ("the village of P")
        self.head_of: dict[int, str] = {}
        lows = tokens.lows
        heads = grammar.place_heads
        for p in scan.places:
            if p.i >= 2 and lows[p.i - 1] == "of" and lows[p.i - 2] in heads:
                self.head_of[p.i] = lows[p.i - 2]
            elif p.j < n and lows[p.j] in heads:
                self.head_of[p.i] = lows[p.j]
            elif p.i >= 1 and lows[p.i - 1] in heads:
                self.head_of[p.i] = lows[p.i - 1]
            elif p.j + 2 < n and lows[p.j] == "," and lows[p.j + 1] in ("a", "an", "the"):
                # an appositive: "Qayyarah, a northern town ..."
                for r in range(p.j + 2, min(n, p.j + 6)):
                    if lows[r] in heads:
                        self.head_of[p.i] = lows[r]
                        break
                    if lows[r] in (",", ".", "of", "in", "on", "near"):
                        break
        #: token indices of places that earlier sentences made claims about
        self.claimed: set[int] = set()
        self._subjects: dict[int, list[tuple[int, str]]] = {}

    # -- per sentence ---------------------------------------------------------------------

    def sentence_text(self, k: int) -> tuple[int, int]:
        s = self.layout.sentences[k]
        return self.tk.starts[s.i], self.tk.ends[s.j - 1]

    def dates(self, k: int) -> list[tuple[DateMention, int, int]]:
        """Date expressions of sentence ``k`` with their token ranges (parsed on demand)."""
        got = self._dates.get(k)
        if got is not None:
            return got
        out: list[tuple[DateMention, int, int]] = []
        toks: set[int] = set()
        if self.scan.date_cue[k]:
            s = self.layout.sentences[k]
            a, b = self.tk.starts[s.i], self.tk.ends[s.j - 1]
            for m in find_dates(self.text[a:b], self.anchor):
                if m.kind == "year" and m.date and not (2000 <= m.date.year <= 2030):
                    continue
                i = self.tk.index_at(a + m.start)
                j = self.tk.index_at(a + m.end - 1) + 1
                out.append((m, i, j))
                toks.update(range(i, j))
        self._dates[k] = out
        self._date_tokens[k] = toks
        return out

    def date_tokens(self, k: int) -> set[int]:
        self.dates(k)
        return self._date_tokens[k]

    def chunks(self, k: int) -> list[Chunk]:
        got = self._chunks.get(k)
        if got is None:
            s = self.layout.sentences[k]
            noun_at = self.__dict__.get("_noun_at")
            if noun_at is None:  # once per article: the triggers read as nouns ("the capture of")
                lows = self.tk.lows
                noun_at = {i for i, t in self.trig_at.items()
                           if t.form.is_noun or (i > 0 and lows[i - 1] in ("the", "a", "an", "its", "their"))}
                self.__dict__["_noun_at"] = noun_at
                self.__dict__["_trig_set"] = set(self.trig_at)
            got = chunk_sentence(self.tk, s.body_start, s.j, trigger_at=self.__dict__["_trig_set"],
                                 date_tokens=self.date_tokens(k), noun_at=noun_at)
            self._chunks[k] = got
        return got

    def chunk_of(self, k: int, t: int) -> Chunk | None:
        for c in self.chunks(k):
            if c.i <= t < c.j:
                return c
        return None

    def sentence_subjects(self, k: int) -> list[tuple[int, str]]:
        """``(token, label)`` of the subjects of sentence ``k``'s clauses (labels unsettled)."""
        got = self._subjects.get(k)
        if got is None:
            from .roles import _clause_subject

            got = []
            s = self.layout.sentences[k]
            if s.part in ("body", "headline"):
                for c in self.chunks(k):
                    if c.kind not in ("main", "appos"):
                        continue
                    r = _clause_subject(self, c)
                    if r is not None and r.actor is not None:
                        got.append((r.actor.i, r.actor.label))
            self._subjects[k] = got
        return got

    def places_in(self, k: int) -> list[PlaceM]:
        s = self.layout.sentences[k]
        return [p for p in self.scan.places if s.i <= p.i < s.j]

    def actors_in(self, k: int) -> list[ActorM]:
        s = self.layout.sentences[k]
        return [a for a in self.scan.actors if s.i <= a.i < s.j]
