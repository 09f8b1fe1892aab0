"""Who is fighting: the actor lexicon.

ActorLexicon.default()         the built-in lexicon (labels from :data:`mapper.schema.ACTORS`)
ActorLexicon.from_file(path)   the default extended by a user CSV (``pattern,actor``) or YAML
lexicon.find(sentence, ...)    -> list[ActorMention], in text order, no overlaps

Some phrases name an actor only in context: "the army" or "government forces" are the
Syrian or the Iraqi government depending on the country of the place fought over; "the
militants" or "the jihadists" are IS when the article is about IS; the YPG is ``Kurdish
forces`` before the SDF was founded (October 2015) and ``SDF`` after. Such mentions carry a
``role`` (``government``, ``generic``) that :meth:`ActorMention.resolve` settles.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from mapper.errors import InputError
from mapper.schema import ACTORS

__all__ = ["ActorLexicon", "ActorMention", "EUPHRATES_SHIELD", "SDF_FOUNDED", "government_of"]

#: the Syrian Democratic Forces were announced on 10 October 2015
SDF_FOUNDED = dt.date(2015, 10, 10)
#: Turkey's first ground operation with Syrian rebels (Euphrates Shield): before it no rebels were "Turkish-backed"
EUPHRATES_SHIELD = dt.date(2016, 8, 24)

#: provisional labels settled by context
GOVERNMENT = "government"
GENERIC = "generic"
YPG = "ypg"


def government_of(country: str | None) -> str | None:
    """The government label for an ISO country code (``SY``/``IQ``), else ``None``."""
    return {"SY": "Syrian government", "IQ": "Iraqi government"}.get((country or "").upper())


@dataclass(frozen=True)
class ActorMention:
    """An actor named in a sentence.

    ``actor`` is a label of :data:`mapper.schema.ACTORS`, or a provisional label (``government``,
    ``generic``, ``ypg``) that :meth:`resolve` settles from context.
    """

    start: int
    end: int
    text: str
    actor: str

    def resolve(
        self, *, country: str | None = None, when: dt.date | None = None,
        subject: str | None = None,
    ) -> str | None:
        """The canonical label given the place's country, the date and the article's subject.

        Returns ``None`` when the context does not settle it.
        """
        if self.actor == GOVERNMENT:
            return government_of(country)
        if self.actor == GENERIC:
            return subject
        if self.actor == YPG:
            if when is None:
                return "Kurdish forces"
            return "SDF" if when >= SDF_FOUNDED else "Kurdish forces"
        return self.actor


# (pattern, label); patterns are regular expressions matched case-insensitively on word
# boundaries unless they start with "(?-i)"; longer matches win.
_DEFAULT: list[tuple[str, str]] = [
    # IS
    (r"(?-i:IS|ISIS|ISIL|IS group)", "IS"),
    (r"(?:so-called |the )?Islamic State(?: of Iraq and (?:the Levant|Syria|al-Sham))?(?: \((?:IS|ISIS|ISIL)\))?(?: group| militants| fighters| jihadists| extremists| organi[sz]ation)?", "IS"),
    (r"(?:the )?Islamic State group", "IS"),
    (r"Daesh|Daish|Da'esh", "IS"),
    (r"(?:the )?jihadists?(?: group| militants| fighters)?", GENERIC),
    (r"(?:the )?(?:extremists?|militants?|insurgents?|terrorists?)(?: group)?", GENERIC),
    (r"anti-government (?:militants|insurgents|fighters|gunmen)", GENERIC),
    (r"(?:the )?(?:extremist|militant|terrorist) group", GENERIC),
    # Syrian government
    (r"(?:the )?Syrian (?:army|troops|forces|military|government(?: forces| troops)?|regime(?: forces)?|soldiers|armed forces|state)", "Syrian government"),
    (r"(?:the )?Syrian Arab Army|SAA", "Syrian government"),
    (r"(?:Syrian )?pro-(?:government|regime|Assad) (?:forces|troops|militias?|fighters)", "Syrian government"),
    (r"(?:Syrian )?regime (?:forces|troops|soldiers)|(?:the )?Assad regime|(?:the )?regime", "Syrian government"),
    (r"Russian-backed (?:troops|forces|army|assault|offensive)", "Syrian government"),
    (r"(?:the )?Tiger Forces|Hezbollah|Hizbullah|Hizbollah", "Syrian government"),
    (r"Damascus", "__never__"),
    (r"(?:the )?(?:US-led |U\.S\.-led |international )?coalition(?: forces| warplanes| aircraft| air ?strikes)?", "__never__"),
    (r"(?:the )?Turkish (?:Armed Forces|army|troops|forces|military|soldiers|tanks)(?: \(TAF\))?", "Turkish-backed rebels"),  # a city, not an actor: keeps "Damascus" out of other patterns
    # Iraqi government
    (r"(?:the )?Iraqi (?:army|troops|forces|military|government(?: forces| troops)?|security forces|soldiers|joint (?:forces|troops)|army forces|counter-?terrorism (?:service|forces)|federal police|police|special forces|armed forces)", "Iraqi government"),
    (r"(?:the )?Joint Operations Command|(?:the )?Popular Mobili[sz]ation(?: Forces| Units)?|PMF|PMU|Hashd(?: al-Shaabi)?|Hashed(?: al-Shaabi)?|Counter-?Terrorism Service|CTS", "Iraqi government"),
    (r"Shiite militias?|Shia militias?|Sunni (?:paramilitary )?tribal fighters", "Iraqi government"),
    (r"(?:President )?(?:Bashar )?(?:al-)?Assad['’]s (?:army|forces|troops|regime|government)|(?:the )?Assad government|(?:President )?Bashar (?:al-)?Assad", "Syrian government"),
    (r"(?:Iraqi |Iraq['’]s )?Prime Minister Haider (?:al-)?Abadi|(?:Haider )?al-Abadi|Abadi", "Iraqi government"),
    # generic state forces: the country of the place settles them
    (r"(?:the )?(?:Syrian |Iraqi |Iraq['’]s |Syria['’]s )?(?:prime minister|defen[cs]e ministry|ministry of defen[cs]e|interior ministry|(?:army|military|general|armed forces) (?:high )?command|high command|general command(?: of (?:the )?armed forces)?|joint command)", GOVERNMENT),
    (r"(?:the )?(?:army|troops|soldiers|military|government forces|government troops|security forces|armed forces|state forces|the government)|government(?= (?:control|hands))", GOVERNMENT),
    # SDF
    (r"(?:the )?(?:US-backed |U\.S\.-backed )?Syrian Democratic Forces(?: \(SDF\))?|(?:the )?(?:US-backed |U\.S\.-backed )?SDF", "SDF"),
    (r"(?:the )?(?:US-backed |U\.S\.-backed )?Kurdish-Arab (?:alliance|coalition|forces)", "SDF"),
    (r"(?:the )?(?:US-backed|U\.S\.-backed) (?:forces|fighters|alliance|militia)", "SDF"),
    # Kurdish forces
    (r"(?:the )?YPG|(?:the )?People's Protection Units(?: \(YPG\))?|(?:the )?Kurdish People's Protection Units", YPG),
    (r"(?:the )?(?:Kurdish |Iraqi Kurdish )?peshmerga(?: forces| fighters)?", "Kurdish forces"),
    (r"(?:the )?(?:Syrian |Iraqi )?Kurd(?:ish)? (?:forces|fighters|militias?|defenders|troops|units)|(?:the )?Kurds", "Kurdish forces"),
    # rebels
    (r"(?:Turkish|Turkey)-backed (?:rebels|opposition(?: fighters| forces)?|Syrian rebels|Syrian opposition(?: fighters| forces)?|fighters|forces|FSA|(?:the )?Free Syrian Army(?: \(FSA\))?(?: forces| fighters| rebels)?)", "Turkish-backed rebels"),
    (r"(?:Syrian )?(?:rebels|opposition fighters|opposition forces)(?: backed by Turkey| backed by Turkish (?:forces|troops|armed forces))", "Turkish-backed rebels"),
    (r"(?:the )?Euphrates Shield(?: forces)?", "Turkish-backed rebels"),
    (r"(?:the )?Free Syrian Army(?: \(FSA\))?(?: forces| fighters| rebels)?|(?:the )?FSA(?: forces| fighters)?", "Syrian rebels"),
    (r"(?:Syrian )?(?:rebels|rebel fighters|rebel forces|opposition fighters|opposition forces|(?:the )?Syrian opposition)", "Syrian rebels"),
]

_TURKISH_BACKING = re.compile(
    r"^[^.;]{0,80}?\b(?:backed by|supported by|with the support of)\s+(?:the\s+)?Turk(?:ey|ish)", re.IGNORECASE
)


class ActorLexicon:
    """Phrases that name an actor, with their canonical labels."""

    #: rows of a user file that were left out, one message each (see :meth:`from_file`)
    problems: list[str] = []

    def __init__(self, entries: Iterable[tuple[str, str]]):
        self.entries = list(entries)
        for pattern, label in self.entries:
            if label not in ACTORS and label not in (GOVERNMENT, GENERIC, YPG, "__never__"):
                raise InputError(
                    f"actor lexicon: label {label!r} for pattern {pattern!r} is not one of "
                    f"{', '.join(ACTORS)}. Use one of those labels."
                )
        self._compile()

    def _compile(self) -> None:
        self._compiled = [
            (re.compile(r"(?<![\w-])(?:" + pattern + r")(?![\w-])", re.IGNORECASE), label)
            for pattern, label in self.entries
        ]
        # one pass finds where some actor phrase starts; each pattern is then tried there
        self._any = re.compile(
            r"(?<![\w-])(?:" + "|".join(f"(?:{p})" for p, _ in self.entries) + r")(?![\w-])", re.IGNORECASE
        )

    @classmethod
    def default(cls) -> ActorLexicon:
        """The built-in lexicon."""
        return cls(_DEFAULT)

    @classmethod
    def from_file(cls, path: str | Path, *, extend: bool = True, errors: str = "raise") -> ActorLexicon:
        """The default lexicon extended (or replaced) by a user file.

        Parameters
        ----------
        path
            CSV with columns ``pattern,actor`` (a phrase, matched case-insensitively as
            whole words; write a regular expression by prefixing ``re:``), or YAML mapping
            each actor label to a list of phrases. UTF-8, UTF-16 with BOM or cp1252/latin-1.
        extend
            Keep the built-in entries (user entries take precedence).
        errors : {'raise', 'skip'}
            ``raise``: any bad row raises, all of them named. ``skip``: the good rows are used
            and the bad ones listed in the lexicon's ``problems``.

        Raises
        ------
        InputError
            The file is missing or unreadable (always), or (with ``errors='raise'``) a row
            names an unknown label, has no pattern, or has a regular expression that is
            invalid or could take exponential time (nested quantifiers, a repeated
            alternation, a backreference); every bad row is listed together.
        """
        if errors not in ("raise", "skip"):
            raise InputError(f"errors={errors!r}: use 'raise' or 'skip'")
        path = Path(path)
        entries, problems = read_actor_file(path)
        if problems and errors == "raise":
            raise InputError(f"actor lexicon {path}: " + "; ".join(problems) + ". Fix these rows and run again.")
        lexicon = cls(entries + (_DEFAULT if extend else []))
        lexicon.problems = problems
        return lexicon

    def find(self, sentence: str) -> list[ActorMention]:
        """Actor mentions in ``sentence``, in text order, leftmost-longest, no overlaps.

        At equal length, entries listed first (user entries) win.
        """
        out = []
        pos = 0
        n = len(sentence)
        while pos < n:
            m = self._any.search(sentence, pos)
            if m is None:
                break
            s = m.start()
            best_end, best_label = m.end(), None
            for rx, label in self._compiled:
                mm = rx.match(sentence, s)
                if mm and (best_label is None and mm.end() >= best_end or mm.end() > best_end):
                    best_end, best_label = mm.end(), label
            if best_label is None:  # pragma: no cover - the alternation matched one of them
                pos = m.end()
                continue
            e = best_end
            pos = e
            if best_label == "__never__":
                continue
            label = best_label
            if label == "Syrian rebels" and _TURKISH_BACKING.match(sentence[e:]):
                label = "Turkish-backed rebels"
            out.append(ActorMention(s, e, sentence[s:e], label))
        return out

    def with_entries(self, entries: Iterable[tuple[str, str]]) -> ActorLexicon:
        """A new lexicon with ``entries`` placed before the current ones."""
        return ActorLexicon(list(entries) + self.entries)

    def __len__(self) -> int:
        return len(self.entries)


def resolve_all(mentions: Iterable[ActorMention], **context) -> list[ActorMention]:
    """Mentions with their provisional labels settled (unsettled ones dropped)."""
    out = []
    for m in mentions:
        label = m.resolve(**context)
        if label:
            out.append(replace(m, actor=label))
    return out


# ---------------------------------------------------------------------------------------------
# user files: read, checked row by row, patterns compiled only when they are safe
# ---------------------------------------------------------------------------------------------

#: longest user regular expression accepted
MAX_USER_PATTERN = 300


def read_actor_file(path: str | Path) -> tuple[list[tuple[str, str]], list[str]]:
    """The (pattern, label) entries of a user actor file, and one message per bad row.

    Raises
    ------
    InputError
        The file is missing, unreadable, not valid YAML, or a CSV without ``pattern,actor``.
    """
    import io

    from mapper.textio import clean_text, csv_records, decode_bytes

    path = Path(path)
    if not path.is_file():
        raise InputError(f"actor lexicon {path}: no such file. Give a CSV (pattern,actor) or YAML file.")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"actor lexicon {path}: cannot be read ({exc.strerror or exc}). Check its permissions.") from exc
    text = clean_text(decode_bytes(data)[0])[0]
    rows: list[tuple[object, object, str]] = []  # (phrase, label, where)
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InputError(f"actor lexicon {path}: not valid YAML ({str(exc)[:300]}). Write 'label: [phrase, ...]'.") from exc
        if not isinstance(doc, dict):
            raise InputError(f"actor lexicon {path}: expected a mapping 'label: [phrase, ...]', got {type(doc).__name__}.")
        for label, phrases in doc.items():
            if isinstance(phrases, str) or not isinstance(phrases, list):
                phrases = [phrases]
            for ph in phrases:
                rows.append((ph, label, f"key {str(label)[:60]!r}"))
    else:
        records = csv_records(io.StringIO(text, newline=""), ",")
        header = next(records, None)
        fields = [f.strip().lower() for f in (header[1] if header else [])]
        missing = {"pattern", "actor"} - set(fields)
        if missing:
            raise InputError(
                f"actor lexicon {path}: missing column(s) {', '.join(sorted(missing))}. "
                "The header must be 'pattern,actor'."
            )
        for lineno, cells, error in records:
            if error:
                rows.append((None, None, f"line {lineno}: {error}"))
                continue
            if not any(c.strip() for c in cells):
                continue
            row = dict(zip(fields, cells))
            rows.append(((row.get("pattern") or "").strip(), (row.get("actor") or "").strip(), f"line {lineno}"))
    entries: list[tuple[str, str]] = []
    problems: list[str] = []
    for phrase, label, where in rows:
        if phrase is None and label is None:
            problems.append(where)
            continue
        if not isinstance(phrase, str) or not isinstance(label, str):
            problems.append(f"{where}: phrases and labels must be text, not {type(phrase).__name__}")
            continue
        if not phrase.strip():
            problems.append(f"{where}: empty pattern (write the phrase, or delete the row)")
            continue
        if label not in ACTORS:
            problems.append(f"{where}: actor {label[:60]!r} is not one of {', '.join(ACTORS)}")
            continue
        if phrase.startswith("re:"):
            pattern = phrase[3:]
            why = unsafe_pattern(pattern)
            if why:
                problems.append(f"{where}: pattern {phrase[:80]!r} {why}")
                continue
        else:
            pattern = re.escape(phrase.strip()).replace(r"\ ", r"\s+")
        entries.append((pattern, label))
    return entries, problems


def unsafe_pattern(pattern: str) -> str | None:
    """Why a user's regular expression is refused, or None when it is safe to run.

    Python's ``re`` backtracks, so some patterns take exponential time on short input
    (``(?:a+)+b`` on thirty ``a``: about a minute). Refused: invalid patterns, patterns over
    :data:`MAX_USER_PATTERN` characters, a quantifier applied to something that holds another
    quantifier, a quantified alternation whose branches can start alike, and backreferences.
    What is left matches in time polynomial in the sentence, and linear for the phrase-like
    patterns a lexicon holds.
    """
    if len(pattern) > MAX_USER_PATTERN:
        return f"is longer than {MAX_USER_PATTERN} characters; split it into several rows"
    try:
        from re import _parser as sre_parse  # the parser behind re.compile
    except ImportError:  # pragma: no cover - Python < 3.11
        import sre_parse
    try:
        tree = sre_parse.parse(pattern, re.IGNORECASE)
        re.compile(pattern, re.IGNORECASE)
    except (re.error, RecursionError, OverflowError) as exc:
        return f"is not a valid regular expression ({exc})"
    problem = _risk(tree, sre_parse, repeated=False)
    if problem:
        return f"could take exponential time ({problem}); write it without that, or as plain phrases"
    return None


def _risk(tree, sre, *, repeated: bool) -> str | None:
    c = sre  # the parser module's opcode constants
    for op, av in tree:
        name = str(op)
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            lo, hi, sub = av
            many = hi is c.MAXREPEAT or hi > 1
            if many and repeated:
                return "a quantifier inside a quantified group"
            if many and _has_overlapping_branch(sub, sre):
                return "a quantified alternation whose branches can match the same text"
            why = _risk(sub, sre, repeated=repeated or many)
            if why:
                return why
        elif name == "SUBPATTERN":
            why = _risk(av[-1], sre, repeated=repeated)
            if why:
                return why
        elif name == "ATOMIC_GROUP":
            why = _risk(av, sre, repeated=repeated)
            if why:
                return why
        elif name == "BRANCH":
            for branch in av[1]:
                why = _risk(branch, sre, repeated=repeated)
                if why:
                    return why
        elif name in ("ASSERT", "ASSERT_NOT"):
            why = _risk(av[1], sre, repeated=repeated)
            if why:
                return why
        elif name in ("GROUPREF", "GROUPREF_EXISTS"):
            return "a backreference"
    return None


def _has_overlapping_branch(tree, sre) -> bool:
    """An alternation anywhere in a repeated group whose branches may start alike (or be empty)."""
    for op, av in tree:
        name = str(op)
        if name == "BRANCH":
            firsts = []
            for branch in av[1]:
                first = _first_literal(branch)
                if first is None or first in firsts:
                    return True
                firsts.append(first)
            if any(_has_overlapping_branch(b, sre) for b in av[1]):
                return True
        else:
            inner = _group_body(name, av)
            if inner is not None and _has_overlapping_branch(inner, sre):
                return True
    return False


def _group_body(name: str, av):
    """The sub-pattern of a group, atomic group or lookaround node (None for other nodes)."""
    if name == "SUBPATTERN":
        return av[-1]
    if name == "ATOMIC_GROUP":
        return av
    if name in ("ASSERT", "ASSERT_NOT"):
        return av[1]
    return None


def _first_literal(tree) -> str | None:
    """The first character a branch must start with (lower case), when it is a plain literal."""
    for op, av in tree:
        name = str(op)
        if name == "LITERAL":
            return chr(av).lower()
        if name == "SUBPATTERN":
            return _first_literal(av[-1])
        return None
    return None
