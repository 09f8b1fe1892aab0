"""The trigger grammar, loaded from data: ``grammar.yaml`` plus a user's ``--grammar FILE``.

Grammar.default()                 the packaged grammar
Grammar.load(*paths)              the packaged grammar extended by user files
grammar.triggers_at(word)         -> tuple[TriggerForm, ...] for a lowercase word

A trigger entry names a verb and/or a noun, the frame that maps its grammatical slots to
roles (place, gainer, loser), and optional particles, required and forbidden next words.
Verbs are inflected here (``capture`` -> ``captures``, ``captured``, ``capturing``), so the
data lists lemmas only; irregular forms are given with ``past`` and ``pp``.

Every problem of a grammar file is collected and reported together (:class:`GrammarError`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from mapper.errors import InputError

__all__ = ["Grammar", "GrammarError", "TriggerForm", "Frame"]

EVENTS = ("captured", "entered", "held", "withdrew", "besieged")
ROLES = ("place", "gainer", "loser")
VOICES = ("active", "intransitive", "passive", "noun")
SLOTS = ("subject", "object", "object_actor", "by", "from", "to", "of", "out of", "out", "into", "in", "inside", "over",
         "under", "on", "around", "poss")
_ENTRY_KEYS = {"verb", "noun", "frame", "past", "pp", "ing", "s", "particle", "needs", "not_before",
               "event", "weight"}
_LIST_SECTIONS = ("catenatives", "place_heads", "region_heads", "stronghold_nouns")
_NESTED_SECTIONS = ("control", "symbolic", "adjectives", "partial", "modality", "reference")


class GrammarError(InputError):
    """A grammar file is malformed; the message lists every problem found."""


@dataclass(frozen=True)
class Frame:
    """Which slot carries which role, per voice."""

    name: str
    event: str
    slots: Mapping[str, Mapping[str, str]]  # voice -> slot -> role

    def role(self, voice: str, slot: str) -> str | None:
        return self.slots.get(voice, {}).get(slot)

    def has(self, voice: str) -> bool:
        return voice in self.slots


@dataclass(frozen=True)
class TriggerForm:
    """One surface form of a trigger: ``word`` (+ ``particle``) in a grammatical ``form``.

    ``form`` is ``base``, ``s`` (third person), ``past``, ``pp`` (past participle),
    ``past_pp`` (the two are the same word), ``base_pp`` (base and participle alike: "overrun"),
    ``ing`` or ``noun``.
    """

    word: str
    lemma: str
    frame: Frame
    form: str
    particle: tuple[str, ...] = ()
    needs: frozenset[str] = frozenset()
    not_before: tuple[tuple[str, ...], ...] = ()
    event: str = ""
    weight: float = 1.0

    @property
    def event_type(self) -> str:
        return self.event or self.frame.event

    @property
    def is_noun(self) -> bool:
        return self.form == "noun"

    @property
    def participle(self) -> bool:
        return self.form in ("pp", "past_pp", "base_pp")


def _consonant(ch: str) -> bool:
    return ch.isalpha() and ch not in "aeiou"


def inflect(verb: str, *, past: str | None = None, pp: str | None = None, ing: str | None = None,
            s: str | None = None) -> dict[str, str]:
    """The forms of a regular English verb, with irregular ones given.

    >>> inflect("capture")["past"], inflect("seize")["ing"], inflect("besiege")["s"]
    ('captured', 'seizing', 'besieges')
    """
    v = verb
    if s is None:
        if v.endswith(("s", "sh", "ch", "x", "z")):
            s = v + "es"
        elif v.endswith("y") and len(v) > 1 and _consonant(v[-2]):
            s = v[:-1] + "ies"
        else:
            s = v + "s"
    if past is None:
        if v.endswith("e"):
            past = v + "d"
        elif v.endswith("y") and len(v) > 1 and _consonant(v[-2]):
            past = v[:-1] + "ied"
        else:
            past = v + "ed"
    if pp is None:
        pp = past
    if ing is None:
        if v.endswith("ie"):
            ing = v[:-2] + "ying"
        elif v.endswith(("ee", "ye", "oe")):
            ing = v + "ing"
        elif v.endswith("e") and len(v) > 2:
            ing = v[:-1] + "ing"
        else:
            ing = v + "ing"
    return {"base": v, "s": s, "past": past, "pp": pp, "ing": ing}


def _words(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


class Grammar:
    """The compiled trigger grammar.

    Use :meth:`default` or :meth:`load`; the attributes are plain sets and dicts that the
    extractor reads on its hot path.
    """

    def __init__(self, documents: Iterable[tuple[str, Mapping]]):
        frames: dict[str, Frame] = {}
        entries: list[tuple[str, dict]] = []
        lists: dict[str, set[str]] = {k: set() for k in _LIST_SECTIONS}
        nested: dict[str, dict[str, set[str]]] = {k: {} for k in _NESTED_SECTIONS}
        problems: list[str] = []
        for where, doc in documents:
            if not isinstance(doc, Mapping):
                problems.append(f"{where}: expected a mapping at the top level, got {type(doc).__name__}")
                continue
            unknown = set(doc) - {"version", "frames", "triggers", *_LIST_SECTIONS, *_NESTED_SECTIONS}
            for key in sorted(unknown):
                problems.append(f"{where}: unknown section {key!r}")
            for name, spec in (doc.get("frames") or {}).items():
                frame, errs = _frame(str(name), spec, f"{where}: frame {name!r}")
                problems += errs
                if frame is not None:
                    frames[frame.name] = frame
            for i, entry in enumerate(doc.get("triggers") or [], start=1):
                entries.append((f"{where}: trigger {i}", entry))
            for key in _LIST_SECTIONS:
                lists[key].update(w.lower() for w in _words(doc.get(key)))
            for key in _NESTED_SECTIONS:
                sec = doc.get(key) or {}
                if not isinstance(sec, Mapping):
                    problems.append(f"{where}: section {key!r} must map names to word lists")
                    continue
                for sub, words in sec.items():
                    nested[key].setdefault(str(sub), set()).update(w.lower() for w in _words(words))
        self.frames = frames
        table: dict[str, list[TriggerForm]] = {}
        for where, entry in entries:
            forms, errs = _trigger_forms(entry, frames, where)
            problems += errs
            for f in forms:
                table.setdefault(f.word, []).append(f)
        if problems:
            raise GrammarError(
                "grammar: " + "; ".join(problems)
                + ". Fix these entries (see mapper/extract/grammar.yaml for the format) and run again."
            )
        # longer particles first, so "take over" is tried before "take"
        self._table = {w: tuple(sorted(v, key=lambda f: -len(f.particle))) for w, v in table.items()}
        self.catenatives = frozenset(lists["catenatives"])
        self.place_heads = frozenset(lists["place_heads"])
        self.region_heads = frozenset(lists["region_heads"])
        self.stronghold_nouns = frozenset(lists["stronghold_nouns"])
        c, sy, adj, part, mod, ref = (nested[k] for k in _NESTED_SECTIONS)
        self.control_nouns = frozenset(c.get("nouns", ()))
        self.control_gain = _verb_forms(c.get("gain", ()))
        self.control_keep = _verb_forms(c.get("keep", ()))
        self.control_lose = _verb_forms(c.get("lose", ()))
        self.control_pass = _verb_forms(c.get("pass", ()))
        self.control_whole = frozenset(c.get("whole", ()))
        self.control_partial = frozenset(c.get("partial", ()))
        self.flag_verbs = _verb_forms(sy.get("flag_verbs", ()))
        self.flag_preps = frozenset(sy.get("flag_preps", ()))
        self.victory_verbs = _verb_forms(sy.get("victory_verbs", ()))
        self.adj_held = frozenset(adj.get("held", ()))
        self.adj_besieged = frozenset(adj.get("besieged", ()))
        self.adj_captured = frozenset(adj.get("captured", ()))
        self.partial_before = frozenset(part.get("before", ()))
        self.partial_hedges = frozenset(part.get("hedges", ()))
        self.partial_whole = frozenset(part.get("whole", ()))
        self.sites = frozenset(part.get("sites", ()))
        self.final_words = frozenset(part.get("final", ()))
        self.continuing = tuple(sorted(part.get("continuing", ())))
        self.modals = frozenset(mod.get("modals", ()))
        self.negations = frozenset(mod.get("negations", ()))
        self.goal_nouns = frozenset(mod.get("goal_nouns", ()))
        self.denial = frozenset(mod.get("denial", ()))
        self.conditional = frozenset(mod.get("conditional", ()))
        self.threat = frozenset(mod.get("threat", ()))
        self.mandative = frozenset(mod.get("mandative", ()))
        self.directions = frozenset(ref.get("directions", ()))
        self.relations = frozenset(ref.get("relations", ()))
        #: every word that can start a trigger or a control/symbolic construction: a sentence
        #: without one of them is never read further
        self.cue_words = frozenset(self._table) | self.control_nouns | {"flag", "flags", "victory"} \
            | {"operations", "operation", "battle", "offensive", "campaign", "fighting", "combat", "siege", "blockade",
               "encirclement", "besieged", "encircled", "surrounded", "free"} \
            | self.adj_held | self.adj_besieged | self.adj_captured | self.stronghold_nouns | {"hands"}

    # -- construction --------------------------------------------------------------------

    @classmethod
    def default(cls) -> Grammar:
        """The packaged grammar (``mapper/extract/grammar.yaml``)."""
        global _DEFAULT
        if _DEFAULT is None:
            _DEFAULT = cls([("grammar.yaml", _packaged())])
        return _DEFAULT

    @classmethod
    def load(cls, *paths: str | Path) -> Grammar:
        """The packaged grammar extended by user grammar files (same YAML format).

        Raises
        ------
        GrammarError
            A file is missing, unreadable or malformed; every problem is listed.
        """
        import yaml

        docs: list[tuple[str, Mapping]] = [("grammar.yaml", _packaged())]
        problems = []
        for p in paths:
            path = Path(p)
            try:
                docs.append((str(path), yaml.safe_load(path.read_text(encoding="utf-8")) or {}))
            except FileNotFoundError:
                problems.append(f"{path}: no such file")
            except (OSError, UnicodeDecodeError) as exc:
                problems.append(f"{path}: unreadable ({exc})")
            except yaml.YAMLError as exc:
                problems.append(f"{path}: not valid YAML ({str(exc).splitlines()[0]})")
        if problems:
            raise GrammarError("grammar: " + "; ".join(problems) + ". Give a YAML file in the format of grammar.yaml.")
        return cls(docs)

    # -- lookups -------------------------------------------------------------------------

    def triggers_at(self, word: str) -> tuple[TriggerForm, ...]:
        """Trigger forms whose first word is ``word`` (lowercase); ``()`` when none."""
        return self._table.get(word, ())

    def __contains__(self, word: str) -> bool:
        return word in self._table

    def __len__(self) -> int:
        return sum(len(v) for v in self._table.values())

    def __repr__(self) -> str:
        return f"Grammar({len(self.frames)} frames, {len(self)} trigger forms)"


_DEFAULT: Grammar | None = None


def _packaged() -> Mapping:
    import yaml

    text = resources.files("mapper.extract").joinpath("grammar.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _verb_forms(lemmas: Iterable[str]) -> frozenset[str]:
    """Every inflected form of each lemma (multi-word lemmas inflect their first word)."""
    out = set()
    irregular = {"take": ("took", "taken"), "retake": ("retook", "retaken"), "win": ("won", "won"),
                 "seize": (None, None), "get": ("got", "gotten"), "have": ("had", "had"),
                 "keep": ("kept", "kept"), "lose": ("lost", "lost"), "come": ("came", "come"),
                 "fall": ("fell", "fallen"), "go": ("went", "gone"), "hold": ("held", "held"),
                 "give": ("gave", "given"), "fly": ("flew", "flown"), "slip": ("slipped", "slipped"),
                 "plant": (None, None), "win back": ("won", "won")}
    for lemma in lemmas:
        first, *rest = lemma.split()
        past, pp = irregular.get(first, (None, None))
        extra = {"ing": "getting"} if first == "get" else {}
        if first == "slip":
            extra = {"ing": "slipping"}
        forms = inflect(first, past=past, pp=pp, **extra)
        for f in forms.values():
            out.add(" ".join([f, *rest]))
    if "has" not in out and "have" in out:
        out.add("has")
    return frozenset(out)


def _frame(name: str, spec, where: str) -> tuple[Frame | None, list[str]]:
    problems = []
    if not isinstance(spec, Mapping):
        return None, [f"{where}: expected a mapping"]
    event = spec.get("event")
    if event not in EVENTS:
        problems.append(f"{where}: event {event!r} is not one of {', '.join(EVENTS)}")
    slots: dict[str, dict[str, str]] = {}
    for voice, mapping in spec.items():
        if voice == "event":
            continue
        if voice not in VOICES:
            problems.append(f"{where}: unknown voice {voice!r} (use {', '.join(VOICES)})")
            continue
        if not isinstance(mapping, Mapping):
            problems.append(f"{where}: {voice} must map slots to roles")
            continue
        for slot, role in mapping.items():
            if slot not in SLOTS:
                problems.append(f"{where}: {voice} slot {slot!r} is not one of {', '.join(SLOTS)}")
            if role not in ROLES:
                problems.append(f"{where}: {voice} role {role!r} is not one of {', '.join(ROLES)}")
        slots[voice] = {str(k): str(v) for k, v in mapping.items()}
    if problems:
        return None, problems
    return Frame(name, event, slots), []


def _trigger_forms(entry, frames: Mapping[str, Frame], where: str) -> tuple[list[TriggerForm], list[str]]:
    if not isinstance(entry, Mapping):
        return [], [f"{where}: expected a mapping such as {{verb: capture, frame: take}}"]
    problems = [f"{where}: unknown key {k!r}" for k in sorted(set(entry) - _ENTRY_KEYS)]
    frame = frames.get(entry.get("frame"))
    if frame is None:
        problems.append(f"{where}: frame {entry.get('frame')!r} is not defined (known: {', '.join(sorted(frames))})")
    if not entry.get("verb") and not entry.get("noun"):
        problems.append(f"{where}: give a verb or a noun")
    event = entry.get("event") or ""
    if event and event not in EVENTS:
        problems.append(f"{where}: event {event!r} is not one of {', '.join(EVENTS)}")
    try:
        weight = float(entry.get("weight", 1.0))
        if not 0 < weight <= 1:
            raise ValueError
    except (TypeError, ValueError):
        problems.append(f"{where}: weight {entry.get('weight')!r} must be a number in (0, 1]")
        weight = 1.0
    if problems:
        return [], problems
    particle = tuple(str(entry.get("particle") or "").lower().split())
    needs = frozenset(w.lower() for w in _words(entry.get("needs")))
    not_before = tuple(tuple(w.lower().split()) for w in _words(entry.get("not_before")))
    common = dict(frame=frame, particle=particle, needs=needs, not_before=not_before, event=event, weight=weight)
    out: list[TriggerForm] = []
    verb = str(entry.get("verb") or "").lower().strip()
    if verb:
        forms = inflect(verb, past=entry.get("past"), pp=entry.get("pp"), ing=entry.get("ing"), s=entry.get("s"))
        seen: dict[str, str] = {}
        for form in ("base", "s", "past", "pp", "ing"):
            w = forms[form].lower()
            if w in seen:
                if {seen[w], form} == {"past", "pp"} or (seen[w] == "base" and form == "pp" and w == forms["past"]):
                    seen[w] = "past_pp"  # "captured"; "cut" (base, past and participle alike)
                elif seen[w] == "base" and form == "pp":
                    seen[w] = "base_pp"  # "overrun" (base and participle alike, "overran" the past)
                continue
            seen[w] = form
        for w, form in seen.items():
            out.append(TriggerForm(word=w, lemma=verb, form=form, **common))
    noun = str(entry.get("noun") or "").lower().strip()
    if noun:
        if particle and noun.endswith("".join(particle)):
            # "takeover", "pullout": the noun has its particle inside it, and none follows it
            common = dict(common, particle=())
        out.append(TriggerForm(word=noun, lemma=noun, form="noun", **common))
    return out, []
