"""From article text to control-change reports and place mentions.

Extractor(gazetteer, *, grammar=None, actors=None)      the one reader every path uses
extract_reports(article, gazetteer, *, lexicon=None)   -> DataFrame[REPORT_COLUMNS]
extract_corpus(articles, gazetteer, ...)               -> DataFrame[REPORT_COLUMNS]
iter_reports(articles, gazetteer, ...)                 -> Iterator[dict], streaming
find_places(article, gazetteer)                        -> DataFrame, one row per place mention
split_sentences(text)                                  -> list[(start, end)]
Grammar.default() / Grammar.load(path)                 the trigger grammar, kept as data

The stages live in their own modules: ``text`` (segmentation), ``mentions`` (one scan for
places, actors, triggers and date cues), ``lexicon`` + ``grammar.yaml`` (the grammar),
``clauses`` and ``roles`` (one strategy per construction), ``discourse`` (coreference, actors,
merging), ``timing`` (dates). ``docs/extraction.md`` explains the design.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator

import pandas as pd

from mapper.articles import Article, Skipped
from mapper.errors import UnresolvedPlaceWarning
from mapper.schema import REPORT_COLUMNS

from .extractor import PLACE_COLUMNS_OUT, Extractor, Reading
from .lexicon import Grammar, GrammarError
from .text import split_sentences

__all__ = [
    "PLACE_COLUMNS_OUT",
    "Extractor",
    "Grammar",
    "GrammarError",
    "Reading",
    "clear_caches",
    "empty_reports",
    "extract_corpus",
    "extract_reports",
    "find_places",
    "iter_reports",
    "reports_frame",
    "places_frame",
    "split_sentences",
]

#: settings -> (extractor, lexicon, grammar): the entry keeps its lexicon and grammar alive, so
#: their ids in the key cannot be reused by other objects while it is cached
_EXTRACTORS: dict[tuple, tuple[Extractor, object, object]] = {}


def extractor_for(gazetteer, lexicon=None, *, grammar: Grammar | None = None, keep_uncertain: bool = False,
                  min_confidence: float = 0.0) -> Extractor:
    """A cached :class:`Extractor` for these settings (the actor table is built once)."""
    key = (id(gazetteer), id(lexicon), id(grammar), keep_uncertain, min_confidence)
    got = _EXTRACTORS.get(key)
    if got is None or got[0].gazetteer is not gazetteer or got[1] is not lexicon or got[2] is not grammar:
        if len(_EXTRACTORS) > 16:
            _EXTRACTORS.clear()
        ex = Extractor(gazetteer, grammar=grammar, actors=_user_actors(lexicon), keep_uncertain=keep_uncertain,
                       min_confidence=min_confidence)
        got = _EXTRACTORS[key] = (ex, lexicon, grammar)
    return got[0]


def _user_actors(lexicon):
    """The user's phrases of an :class:`~mapper.actors.ActorLexicon` (``None`` for the default)."""
    if lexicon is None:
        return None
    phrases = getattr(lexicon, "phrases", None)
    if phrases is not None:
        return list(phrases) or None
    return lexicon


def clear_caches() -> None:
    """Forget cached extractors (after changing a gazetteer in place)."""
    _EXTRACTORS.clear()


def empty_reports() -> pd.DataFrame:
    """An empty reports table with the right columns and dtypes."""
    return reports_frame([])


def reports_frame(rows: list[dict]) -> pd.DataFrame:
    """Report rows as a DataFrame with :data:`mapper.schema.REPORT_COLUMNS` and dtypes."""
    df = pd.DataFrame(rows, columns=REPORT_COLUMNS)
    df["date"] = pd.to_datetime(df["date"], errors="coerce").astype("datetime64[ns]")
    df["published"] = pd.to_datetime(df["published"], errors="coerce").astype("datetime64[ns]")
    for c in ("lat", "lon", "confidence"):
        df[c] = df[c].astype("float64")
    for c in ("article", "place_id", "place", "country", "name_as_written", "event_type", "gainer", "loser",
              "date_precision", "evidence", "span", "title", "url", "flags"):
        df[c] = df[c].fillna("").astype(str)
    return df


def places_frame(rows: list[dict]) -> pd.DataFrame:
    """Place rows as a DataFrame with :data:`PLACE_COLUMNS_OUT`: articles in the order they
    come, each article's mentions by position (so tables made in parts concatenate to the
    same table)."""
    df = pd.DataFrame(rows, columns=PLACE_COLUMNS_OUT)
    if len(df):
        order = pd.Series(pd.factorize(df["article"])[0], index=df.index)
        df = (df.assign(_order=order).sort_values(["_order", "start", "end"], kind="stable")
              .drop(columns="_order").reset_index(drop=True))
    df["lat"] = df["lat"].astype("float64")
    df["lon"] = df["lon"].astype("float64")
    df["start"] = df["start"].astype("int64")
    df["end"] = df["end"].astype("int64")
    return df


def extract_reports(article: Article, gazetteer, *, lexicon=None, keep_uncertain: bool = False,
                    min_confidence: float = 0.0, grammar: Grammar | None = None) -> pd.DataFrame:
    """Control-change reports of one article (:data:`mapper.schema.REPORT_COLUMNS`)."""
    ex = extractor_for(gazetteer, lexicon, grammar=grammar, keep_uncertain=keep_uncertain,
                       min_confidence=min_confidence)
    return reports_frame(ex.reports(article))


def find_places(article: Article, gazetteer, *, grammar: Grammar | None = None) -> pd.DataFrame:
    """Every place mention of one article with its resolution (:data:`PLACE_COLUMNS_OUT`).

    Names the gazetteer lacks but the text ties to a place ("the villages of A and B near
    P") are placed at that place with a ``near:<place id>`` id; unresolved names have an
    empty ``place_id`` and NaN coordinates.
    """
    return places_frame(extractor_for(gazetteer, grammar=grammar).places(article))


def iter_reports(articles: Iterable[Article | Skipped], gazetteer, *, lexicon=None, keep_uncertain: bool = False,
                 min_confidence: float = 0.0, skipped: list[Skipped] | None = None,
                 grammar: Grammar | None = None) -> Iterator[dict]:
    """Report rows one article at a time (flat memory when written out as they come).

    ``Skipped`` items go to ``skipped``; an article whose reading fails is recorded there
    too, never the end of the run.
    """
    ex = extractor_for(gazetteer, lexicon, grammar=grammar, keep_uncertain=keep_uncertain,
                       min_confidence=min_confidence)
    for item in articles:
        if isinstance(item, Skipped):
            if skipped is not None:
                skipped.append(item)
            continue
        try:
            rows = ex.reports(item)
        except Exception as exc:  # one bad article never ends a run
            if skipped is not None:
                skipped.append(Skipped(item.id, f"extraction failed ({type(exc).__name__}: {exc})",
                                       "Report this article to the maintainers."))
            continue
        yield from rows


def extract_corpus(articles: Iterable[Article | Skipped], gazetteer, *, lexicon=None, keep_uncertain: bool = False,
                   min_confidence: float = 0.0, skipped: list[Skipped] | None = None,
                   warn_unresolved: bool = False, grammar: Grammar | None = None) -> pd.DataFrame:
    """Reports of a stream of articles (from :func:`mapper.articles.read_articles`)."""
    ex = extractor_for(gazetteer, lexicon, grammar=grammar, keep_uncertain=keep_uncertain,
                       min_confidence=min_confidence)
    rows: list[dict] = []
    for item in articles:
        if isinstance(item, Skipped):
            if skipped is not None:
                skipped.append(item)
            continue
        try:
            reading = ex.read(item)
        except Exception as exc:  # one bad article never ends a run
            if skipped is not None:
                skipped.append(Skipped(item.id, f"extraction failed ({type(exc).__name__}: {exc})",
                                       "Report this article to the maintainers."))
            continue
        rows.extend(reading.reports)
        if warn_unresolved:
            for name in reading.unresolved:
                warnings.warn(f"{item.id}: '{name}' has no gazetteer match", UnresolvedPlaceWarning, stacklevel=2)
    return reports_frame(rows)
