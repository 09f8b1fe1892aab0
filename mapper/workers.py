"""Extraction over a stream of articles, in this process or a pool of processes.

load_gazetteer(geonames)      the gazetteer, loaded once per process while its files are unchanged
load_lexicon(actors)          the actor lexicon (a user file's bad rows left out)
load_grammar(path)            the packaged grammar, extended by a user grammar file
extract_one(article, gaz, lex) -> (report rows, place rows, Skipped | None): one pass of the
                              Extractor; never raises
iter_extracted(articles, ...) results one article at a time, in input order, for any number of
                              processes (extract_all: the same as a list)

One article's failure is one skipped record; a pool process that dies takes only the articles
of its chunk with it (recorded), never the run.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from mapper.articles import Article, Skipped

__all__ = ["extract_all", "extract_one", "iter_extracted", "load_gazetteer", "load_grammar", "load_lexicon"]

#: articles sent to a pool process at a time
CHUNK = 16


def load_gazetteer(geonames: str | None):
    """The gazetteer, loaded once per process while its files are unchanged (builds in one
    process, as in a notebook or the test suite, share it)."""
    from mapper.gazetteer import GAZ_DIR, PACKAGED

    files = [Path(geonames)] if geonames else [PACKAGED, GAZ_DIR / "aliases.csv", GAZ_DIR / "extra_places.csv"]
    stamp = tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) if f.is_file() else (str(f), 0, 0) for f in files)
    return _gazetteer_for(geonames, stamp)


@functools.lru_cache(maxsize=2)
def _gazetteer_for(geonames: str | None, _stamp: tuple):
    from mapper.gazetteer import Gazetteer

    return Gazetteer.from_geonames(geonames) if geonames else Gazetteer.load()


def load_lexicon(actors: str | None):
    """The default actor lexicon, extended by a user file (its bad rows left out, listed in
    ``.problems``)."""
    from mapper.actors import ActorLexicon

    return ActorLexicon.from_file(actors, errors="skip") if actors else ActorLexicon.default()


@functools.lru_cache(maxsize=4)
def load_grammar(path: str | None):
    """The packaged grammar, extended by a user grammar file (``None``: the packaged one)."""
    from mapper.extract import Grammar

    return Grammar.load(path) if path else Grammar.default()


_WORKER: dict = {}


def _init_worker(geonames: str | None, actors: str | None, grammar: str | None = None) -> None:
    warnings.simplefilter("ignore")
    _WORKER["gaz"] = load_gazetteer(geonames)
    _WORKER["lex"] = load_lexicon(actors)
    _WORKER["grammar"] = load_grammar(grammar)


def extract_one(article: Article, gaz, lex, grammar=None) -> tuple[list[dict], list[dict], Skipped | None]:
    """(report rows, place-mention rows, None) of one article from one pass of the
    :class:`~mapper.extract.Extractor`, or (``[]``, ``[]``, why it failed); never raises."""
    from mapper.extract import extractor_for

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reading = extractor_for(gaz, lex, grammar=grammar).read(article)
        return reading.reports, reading.places, None
    except Exception as exc:  # noqa: BLE001 - one bad article never ends the run
        return [], [], Skipped(
            input=article.path or article.id,
            reason=f"{article.id}: extraction failed ({type(exc).__name__}: {str(exc)[:200]})",
            fix="Report this article to the project with the text attached; the other articles were processed",
        )


def _extract_chunk(chunk: list[Article]):
    return [extract_one(a, _WORKER["gaz"], _WORKER["lex"], _WORKER.get("grammar")) for a in chunk]


def _chunks(items: Iterable[Article | Skipped], on_skipped: Callable[[Skipped], None], n: int) -> Iterator[list[Article]]:
    buf: list[Article] = []
    for item in items:
        if isinstance(item, Skipped):
            on_skipped(item)
            continue
        buf.append(item)
        if len(buf) >= n:
            yield buf
            buf = []
    if buf:
        yield buf


def _worker_died(chunk: list[Article], exc: BaseException) -> list[tuple[list, list, Skipped]]:
    return [([], [], Skipped(
        a.path or a.id, f"{a.id}: the extraction process died ({type(exc).__name__})",
        "Run again with --jobs 1 to see which article it was; the other articles were processed"))
        for a in chunk]


def iter_extracted(articles: Iterable[Article | Skipped], *, gaz, lex, jobs: int, geonames: str | None,
                   actors: str | None, on_skipped: Callable[[Skipped], None], on_article: Callable[[int], None],
                   grammar=None, grammar_path: str | None = None,
                   ) -> Iterator[tuple[Article, list[dict], list[dict], Skipped | None]]:
    """Extract every article of a stream; results one article at a time, in input order, for
    any ``jobs`` (a bounded window of chunks is in flight: memory does not grow with the
    corpus).

    ``Skipped`` items of the stream go to ``on_skipped``; ``on_article(n)`` is called as
    articles finish. With ``jobs > 1`` a pool of processes loads the gazetteer
    (``geonames``, or the packaged one), lexicon (``actors``) and grammar once each.
    """
    chunks = _chunks(articles, on_skipped, CHUNK)
    if jobs <= 1:
        for chunk in chunks:
            for a in chunk:
                r, p, s = extract_one(a, gaz, lex, grammar)
                yield a, r, p, s
                on_article(1)
        return

    def collect(chunk, fut):
        try:
            out = fut.result()
        except BrokenProcessPool as exc:
            out = _worker_died(chunk, exc)
        on_article(len(chunk))
        return [(a, r, p, s) for a, (r, p, s) in zip(chunk, out)]

    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker,
                             initargs=(geonames, actors, grammar_path)) as pool:
        pending = []
        for chunk in chunks:
            try:
                fut = pool.submit(_extract_chunk, chunk)
            except BrokenProcessPool as exc:
                yield from collect(chunk, _Failed(exc))
                continue
            pending.append((chunk, fut))
            while len(pending) > jobs * 4:  # bounded window: memory stays flat on big corpora
                yield from collect(*pending.pop(0))
        for chunk, fut in pending:
            yield from collect(chunk, fut)


def extract_all(articles: Iterable[Article | Skipped], **options) -> list[tuple[Article, list[dict], list[dict],
                                                                                Skipped | None]]:
    """:func:`iter_extracted` as a list (small corpora, tests)."""
    return list(iter_extracted(articles, **options))


class _Failed:
    """A future that failed before it started."""

    def __init__(self, exc: BaseException):
        self.exc = exc

    def result(self):
        raise self.exc
