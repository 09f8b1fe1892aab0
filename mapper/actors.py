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

import csv
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from mapper.errors import InputError
from mapper.schema import ACTORS

__all__ = ["ActorLexicon", "ActorMention", "SDF_FOUNDED", "government_of"]

#: the Syrian Democratic Forces were announced on 10 October 2015
SDF_FOUNDED = dt.date(2015, 10, 10)

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
    def from_file(cls, path: str | Path, *, extend: bool = True) -> ActorLexicon:
        """The default lexicon extended (or replaced) by a user file.

        Parameters
        ----------
        path
            CSV with columns ``pattern,actor`` (a phrase, matched case-insensitively as
            whole words; write a regular expression by prefixing ``re:``), or YAML mapping
            each actor label to a list of phrases.
        extend
            Keep the built-in entries (user entries take precedence).

        Raises
        ------
        InputError
            The file is unreadable, or a row names an unknown label; every bad row is
            listed together.
        """
        path = Path(path)
        if not path.is_file():
            raise InputError(f"actor lexicon {path}: no such file. Give a CSV (pattern,actor) or YAML file.")
        rows: list[tuple[str, str, str]] = []  # (phrase, label, where)
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8"))
            except yaml.YAMLError as exc:
                raise InputError(f"actor lexicon {path}: not valid YAML ({exc}). Write 'label: [phrase, ...]'.") from exc
            if not isinstance(data, dict):
                raise InputError(f"actor lexicon {path}: expected a mapping 'label: [phrase, ...]', got {type(data).__name__}.")
            for label, phrases in data.items():
                if isinstance(phrases, str):
                    phrases = [phrases]
                for ph in phrases or []:
                    rows.append((str(ph), str(label), f"key {label!r}"))
        else:
            with path.open(encoding="utf-8-sig", newline="") as fh:
                reader = csv.DictReader(fh)
                missing = {"pattern", "actor"} - set(reader.fieldnames or [])
                if missing:
                    raise InputError(
                        f"actor lexicon {path}: missing column(s) {', '.join(sorted(missing))}. "
                        "The header must be 'pattern,actor'."
                    )
                for lineno, row in enumerate(reader, start=2):
                    rows.append(((row.get("pattern") or "").strip(), (row.get("actor") or "").strip(), f"line {lineno}"))
        problems = []
        entries = []
        for phrase, label, where in rows:
            if not phrase:
                problems.append(f"{where}: empty pattern (write the phrase, or delete the row)")
                continue
            if label not in ACTORS:
                problems.append(f"{where}: actor {label!r} is not one of {', '.join(ACTORS)}")
                continue
            pattern = phrase[3:] if phrase.startswith("re:") else re.escape(phrase).replace(r"\ ", r"\s+")
            try:
                re.compile(pattern)
            except re.error as exc:
                problems.append(f"{where}: pattern {phrase!r} is not a valid regular expression ({exc})")
                continue
            entries.append((pattern, label))
        if problems:
            raise InputError(f"actor lexicon {path}: " + "; ".join(problems) + ". Fix these rows and run again.")
        return cls(entries + (_DEFAULT if extend else []))

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
