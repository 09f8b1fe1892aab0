"""Extraction on a Dask cluster, the Dask way: bags of records, mapped by the Extractor.

extract_dask(paths_or_bag, ...)           -> dask DataFrame of reports (schema.REPORT_COLUMNS)
run_extraction(paths, *, engine, ...)     -> (reports DataFrame, skipped list[, places]); local or Dask
write_reports_parquet(ddf, path)          -> stream the reports to ``reports.parquet/``
read_reports_parquet(path)                -> the reports back as pandas
add_engine_arguments(parser)              -> ``--engine``, ``--scheduler``, ``--reports-parquet``,
                                             ``--blocksize``
report_dtypes() / place_dtypes()          -> the column dtypes of reports / place mentions
skipped_records(frame)                    -> Skipped records from a computed skipped frame

How a corpus becomes a bag
--------------------------
The inputs are listed in the order :func:`mapper.articles.read_articles` reads them, and each
kind of input becomes a bag of records (:class:`~mapper.articles.Article` or
:class:`~mapper.articles.Skipped`):

* a JSON Lines file: ``dask.bag.read_text(path, blocksize=...)``, one partition per block of
  about ``blocksize`` bytes ending at a line break. Each line becomes records with
  :func:`mapper.articles.json_line_items`, the function the local reader uses, so a bad line
  (invalid JSON, nested too deeply, not an object) is one Skipped record and never fails its
  partition. Line numbers (in messages, and in the ids ``corpus:17`` of records without an
  ``id``) come from the lines themselves: a block's line count is the length of the partition
  it read, and a running total over the file's blocks gives each block its first line number.
  Nothing is read twice and nothing is counted before the run.
* ``.txt`` files: ``dask.bag.from_sequence`` of (path, its metadata row), ``files_per_partition``
  files per partition, each read on a worker by the local reader's function.
* a CSV file: read by one task with the local CSV reader (a quoted field may span lines, so a
  CSV cannot be cut at byte offsets), then spread over ``size / blocksize`` partitions.

The bags are concatenated in input order and mapped partition by partition
(``map_partitions``) by one pass of the :class:`~mapper.extract.Extractor` per article, which
gives the partition's report rows, place rows and a log of its records. The local engine maps
the same partition function over chunks of the local reader's stream, so both engines give the
same rows in the same order and the same skipped records (repeated ids are noted by
:func:`mapper.articles.note_duplicates` over the joined logs, as the local reader does).

What runs where
---------------
The client lists the input files (one ``stat`` each), reads the (small) metadata CSV and builds
the graph; it sends paths, not text. Workers open their files and byte ranges themselves, so
every worker must see the input paths (a shared filesystem). The gazetteer is loaded once per
worker process from its file (a module-level cache keyed by the file, through
:func:`mapper.workers.load_gazetteer`); a gazetteer given as a loaded object is recognised by its
file when it is exactly what that file loads to, and is otherwise sent once per worker
(``Client.scatter``), never per task.

Failures
--------
:func:`run_extraction` gathers the partitions one by one, in order: a partition whose task
failed (a file removed mid-run, an unreadable byte range) comes back as one Skipped record
naming the input and block, and the other partitions are kept. A lazy frame from
:func:`extract_dask` raises such a failure when computed, as any Dask collection does.
"""

from __future__ import annotations

import functools
import math
import os
import threading
import uuid
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from mapper.articles import (
    CSV_SUFFIXES,
    JSONL_SUFFIXES,
    Article,
    Skipped,
    json_line_items,
    note_duplicates,
    read_articles,
    read_metadata,
)
from mapper.engine_args import ENGINES, add_engine_arguments  # noqa: F401 - part of this API
from mapper.errors import InputError
from mapper.schema import REPORT_COLUMNS
from mapper.textio import display

if TYPE_CHECKING:  # pragma: no cover
    import dask.bag as db
    import dask.dataframe as dd

__all__ = [
    "DASK_INSTALL_HINT",
    "ENGINES",
    "add_engine_arguments",
    "extract_dask",
    "read_reports_parquet",
    "place_dtypes",
    "report_dtypes",
    "run_extraction",
    "skipped_records",
    "skipped_summary",
    "write_reports_parquet",
]

DASK_INSTALL_HINT = "pip install 'territorial-control-mapper[dask]'"
DEFAULT_BLOCKSIZE = 2**20
DEFAULT_FILES_PER_PARTITION = 64
#: articles the local engine extracts per partition (as a Dask partition would be)
LOCAL_CHUNK = 256

_DATE_COLUMNS = ("date", "published")
_FLOAT_COLUMNS = ("lat", "lon", "confidence")


# ------------------------------------------------------------------------------ schema


def report_dtypes() -> dict[str, Any]:
    """Column -> dtype of a reports table, as :func:`mapper.extract.extract_corpus` makes it.

    Text columns take pandas' default string dtype (``str`` in pandas 3, ``object`` before),
    ``date`` and ``published`` are ``datetime64[ns]``, ``lat``, ``lon`` and ``confidence``
    ``float64``.
    """
    text = pd.Series(["x"]).dtype  # the default inference of this pandas version
    out: dict[str, Any] = {}
    for c in REPORT_COLUMNS:
        if c in _DATE_COLUMNS:
            out[c] = "datetime64[ns]"
        elif c in _FLOAT_COLUMNS:
            out[c] = "float64"
        else:
            out[c] = text
    return out


def _conform(df: pd.DataFrame) -> pd.DataFrame:
    """A reports frame with exactly REPORT_COLUMNS in order and :func:`report_dtypes`."""
    df = df.reindex(columns=REPORT_COLUMNS)
    dtypes = report_dtypes()
    for c in _DATE_COLUMNS:
        df[c] = pd.to_datetime(df[c]).astype("datetime64[ns]")
    return df.astype({c: t for c, t in dtypes.items() if c not in _DATE_COLUMNS}).reset_index(drop=True)


def _meta() -> pd.DataFrame:
    return _conform(pd.DataFrame(columns=REPORT_COLUMNS))


def place_dtypes() -> dict[str, Any]:
    """Column -> dtype of a place-mentions table (:func:`mapper.extract.find_places`)."""
    from mapper.extract import PLACE_COLUMNS_OUT

    text = pd.Series(["x"]).dtype
    kinds = {"lat": "float64", "lon": "float64", "start": "int64", "end": "int64"}
    return {c: kinds.get(c, text) for c in PLACE_COLUMNS_OUT}


def _conform_places(df: pd.DataFrame) -> pd.DataFrame:
    dtypes = place_dtypes()
    return df.reindex(columns=list(dtypes)).astype(dtypes).reset_index(drop=True)


def _places_meta() -> pd.DataFrame:
    return _conform_places(pd.DataFrame(columns=list(place_dtypes())))


def _places_of(rows: list[dict]) -> pd.DataFrame:
    """Place rows as a frame, articles in reading order (each article's rows by position, as
    :func:`mapper.extract.find_places` gives them), whatever the partitioning."""
    if not rows:
        return _places_meta()
    df = pd.DataFrame(rows, columns=list(place_dtypes()))
    for c in ("lat", "lon"):
        df[c] = df[c].astype("float64")
    return _conform_places(df)


SKIPPED_COLUMNS = ["input", "reason", "fix", "repaired"]


def _skipped_frame(items: Sequence[Skipped]) -> pd.DataFrame:
    text = pd.Series(["x"]).dtype
    return pd.DataFrame(
        {
            "input": pd.Series([s.input for s in items], dtype=text),
            "reason": pd.Series([s.reason for s in items], dtype=text),
            "fix": pd.Series([s.fix for s in items], dtype=text),
            "repaired": pd.Series([bool(s.repaired) for s in items], dtype=bool),
        }
    )


def skipped_records(frame: pd.DataFrame) -> list[Skipped]:
    """The skipped inputs of a computed skipped frame (from ``with_skipped=True``)."""
    return [Skipped(str(r.input), str(r.reason), str(r.fix), bool(r.repaired)) for r in frame.itertuples(index=False)]


# ------------------------------------------------------------------------------ lazy imports


def _require_dask():
    try:
        import dask
        import dask.bag  # noqa: F401
        import dask.dataframe  # noqa: F401
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError(f"the Dask engine needs dask[dataframe] and distributed: {DASK_INSTALL_HINT}") from exc
    return dask


def _require_distributed():
    try:
        import distributed
    except ImportError as exc:  # pragma: no cover
        raise ImportError(f"the Dask engine needs distributed: {DASK_INSTALL_HINT}") from exc
    return distributed


# ------------------------------------------------------------------------------ worker state

_LOCK = threading.Lock()
#: the gazetteer this process took up for each spec
_TAKEN: dict[tuple, Any] = {}
#: gazetteers taken up by this process (a worker's count stays at one per gazetteer file)
_LOADS = 0


def _gazetteer_spec(gazetteer) -> tuple[str, str | None] | None:
    """How a worker loads this gazetteer itself: ``("packaged", None)``, ``("geonames", path)``
    (a GeoNames dump, as ``--geonames``) or ``("places", path)`` (a ``places.tsv.gz``); ``None``
    for a loaded gazetteer that is not exactly what its file loads to (it is sent instead)."""
    if gazetteer is None:
        return ("packaged", None)
    if isinstance(gazetteer, (str, os.PathLike)):
        path = str(Path(gazetteer).expanduser().resolve())
        return ("places" if path.endswith(".tsv.gz") else "geonames", path)
    from mapper.gazetteer import PACKAGED, _cache_key

    source = getattr(gazetteer, "source", "")
    key = getattr(gazetteer, "_cache_key", None)
    if not source or key is None or key != _cache_key(Path(source), True):
        return None  # built in memory, changed, or loaded without the curated extras
    if Path(source).resolve() == PACKAGED.resolve():
        return ("packaged", None)
    return _gazetteer_spec(source)


@functools.lru_cache(maxsize=2)
def _places_file(path: str, _stamp: tuple):
    from mapper.gazetteer import Gazetteer

    return Gazetteer.load(path)


def _take_gazetteer(spec: tuple[str, str | None]):
    """The gazetteer for ``spec``, loaded at most once per process while its files are unchanged."""
    global _LOADS
    from mapper.workers import load_gazetteer

    kind, path = spec
    with _LOCK:
        if kind == "places":
            st = Path(path).stat()
            gaz = _places_file(path, (st.st_size, st.st_mtime_ns))
        else:
            gaz = load_gazetteer(path)
        if _TAKEN.get(spec) is not gaz:
            _TAKEN[spec] = gaz
            _LOADS += 1
        return gaz


def _lexicon_cached(spec):
    if spec is None or not isinstance(spec, (str, os.PathLike)):
        return spec  # None (the default lexicon) or an ActorLexicon
    return _lexicon_file(str(Path(spec).expanduser().resolve()))


@functools.lru_cache(maxsize=4)
def _lexicon_file(path: str):
    from mapper.actors import ActorLexicon

    return ActorLexicon.from_file(path)


# ------------------------------------------------------------------------------ one partition


@dataclass
class _Part:
    """What one partition gives: its report rows, place rows, and the log of its records
    (Skipped records and article stubs, in reading order)."""

    reports: pd.DataFrame
    places: pd.DataFrame
    log: list


def _stub(article: Article) -> Article:
    """An article's id and path only, for noting repeated ids across partitions."""
    return Article(id=article.id, text="", path=article.path)


def _extraction_failed(article: Article, exc: BaseException) -> Skipped:
    # the record mapper.workers.extract_one makes, so build's engines report a failure alike
    return Skipped(
        input=article.path or article.id,
        reason=f"{article.id}: extraction failed ({type(exc).__name__}: {str(exc)[:200]})",
        fix="Report this article to the project with the text attached; the other articles were processed",
    )


def _extract_partition(items: Iterable[Article | Skipped], *, gaz, lex, options: dict, places: bool) -> list[_Part]:
    """One pass of the :class:`~mapper.extract.Extractor` over each article of a partition;
    never raises (an article that fails is one Skipped record)."""
    from mapper.extract import extractor_for, reports_frame
    from mapper.workers import load_grammar

    gazetteer = _take_gazetteer(gaz) if isinstance(gaz, tuple) else gaz
    opts = dict(options)
    grammar = load_grammar(opts.pop("grammar", None))
    ex = extractor_for(gazetteer, _lexicon_cached(lex), grammar=grammar, **opts)
    log: list = []
    report_rows: list[dict] = []
    place_rows: list[dict] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for item in items:
            if isinstance(item, Skipped):
                log.append(item)
                continue
            log.append(_stub(item))
            try:
                reading = ex.read(item)
            except Exception as exc:  # noqa: BLE001 - one bad article never ends the run
                log.append(_extraction_failed(item, exc))
                continue
            report_rows.extend(reading.reports)
            if places:
                place_rows.extend(sorted(reading.places, key=lambda r: (r["start"], r["end"])))
    return [_Part(_conform(reports_frame(report_rows)), _places_of(place_rows), log)]


def _combine(parts: Iterable[_Part], problems: Sequence[Skipped]) -> tuple[pd.DataFrame, list[Skipped], pd.DataFrame]:
    """The reports, skipped records (repeated ids noted) and places of partitions in order."""
    reports, places, log = [], [], list(problems)
    for part in parts:
        if len(part.reports):
            reports.append(part.reports)
        if len(part.places):
            places.append(part.places)
        log.extend(part.log)
    skipped = [x for x in note_duplicates(log) if isinstance(x, Skipped)]
    out_reports = _conform(pd.concat(reports, ignore_index=True)) if reports else _meta()
    out_places = _conform_places(pd.concat(places, ignore_index=True)) if places else _places_meta()
    return out_reports, skipped, out_places


def _failed_part(label: str, exc: BaseException) -> _Part:
    return _Part(_meta(), _places_meta(), [Skipped(
        label,
        f"partition failed ({type(exc).__name__}: {str(exc)[:300]})",
        "Check that every worker can read this input at the same path (a shared filesystem); "
        "the other partitions were processed.",
    )])


# ------------------------------------------------------------------------------ records of each input


def _text_items(entries: Iterable) -> list[Article | Skipped]:
    """Records of ``.txt`` (and missing) inputs, each ``(path, metadata row)``, read as the
    local reader reads them; a Skipped entry (refused while listing) passes through."""
    from mapper.articles import _guarded, _items

    out: list[Article | Skipped] = []
    for entry in entries:
        if isinstance(entry, Skipped):
            out.append(entry)
            continue
        name, row = entry
        path = Path(name)
        out.extend(_guarded(_items(path, {path.name: row} if row is not None else {}, None, None), path))
    return out


def _csv_items(paths: Iterable[str]) -> list[Article | Skipped]:
    """Records of CSV files, read as the local reader reads them."""
    from mapper.articles import _from_csv, _guarded

    return [item for name in paths for item in _guarded(_from_csv(Path(name)), Path(name))]


def _line_counts(lines: Iterable[str]) -> list[tuple[int, int]]:
    """``[(lines, non-blank lines)]`` of one block (the blank test of the local reader)."""
    lines = list(lines)
    return [(len(lines), sum(1 for line in lines if line.strip(" \t\n\r\x0b\x0c")))]


def _first_start(last: bool) -> list[tuple[int, int, bool]]:
    return [(1, 0, last)]


def _next_start(prev: list[tuple[int, int, bool]], counts: list[tuple[int, int]], last: bool) -> list[tuple[int, int, bool]]:
    """The next block's ``(first line number, non-blank lines before it, last block?)``."""
    (first, nonblank, _), (n, nb) = prev[0], counts[0]
    return [(first + n, nonblank + nb, last)]


def _jsonl_items(lines: Iterable[str], start: list[tuple[int, int, bool]], *, name: str, stem: str,
                 shown: str) -> list[Article | Skipped]:
    """Records of one block of a JSON Lines file, exactly as the local reader reads them."""
    first, nonblank_before, last = start[0]
    out: list[Article | Skipped] = []
    nonblank = 0
    for lineno, line in enumerate(lines, start=first):
        raw = line.encode("utf-8", "surrogateescape")  # the bytes as read (undecodable ones kept)
        if not raw.strip():
            continue
        nonblank += 1
        out.extend(json_line_items(raw, name=name, stem=stem, lineno=lineno)[0])
    if last and nonblank_before + nonblank == 0:
        out.append(Skipped(shown, "empty file", "Remove it or add one JSON object per line."))
    return out


def _coerce_items(part: Iterable) -> list[Article | Skipped]:
    """Bag elements as records: Articles, Skipped records, or record dicts with a 'text' field."""
    from mapper.articles import _record

    out: list[Article | Skipped] = []
    for i, x in enumerate(part):
        if isinstance(x, (Article, Skipped)):
            out.append(x)
        elif isinstance(x, dict):
            out.append(_record(dict(x), f"bag record {i}", f"bag:{i}"))
        else:
            out.append(Skipped(f"bag record {i}", f"a {type(x).__name__}, not an article",
                               "Give Article objects or dicts with a 'text' field."))
    return out


# ------------------------------------------------------------------------------ the bag of a corpus


def _jsonl_bag(path: Path, blocksize: int) -> tuple[db.Bag, list[str]]:
    """Records of a JSON Lines file: ``read_text`` blocks, numbered by a running line count."""
    import dask
    import dask.bag as db

    lines = db.read_text([str(path)], blocksize=blocksize, encoding="utf-8", errors="surrogateescape",
                         linedelimiter="\n", compression=None)
    n = lines.npartitions
    # the counts share the read tasks with the records (no graph optimisation fuses them apart)
    counts = lines.map_partitions(_line_counts).to_delayed(optimize_graph=False)
    starts = [dask.delayed(_first_start, pure=True)(n == 1)]
    for i in range(1, n):
        starts.append(dask.delayed(_next_start, pure=True)(starts[-1], counts[i - 1], i == n - 1))
    items = lines.map_partitions(_jsonl_items, db.from_delayed(starts), name=display(path.name), stem=path.stem,
                                 shown=display(path))
    return items, [f"{display(path)}, block {i + 1} of {n}" for i in range(n)]


def _csv_bag(path: Path, blocksize: int) -> tuple[db.Bag, list[str]]:
    import dask.bag as db

    bag = db.from_sequence([str(path)], npartitions=1).map_partitions(_csv_items)
    k = max(1, math.ceil(path.stat().st_size / blocksize))
    if k == 1:
        return bag, [display(path)]
    return bag.repartition(npartitions=k), [f"{display(path)}, part {j + 1} of {k}" for j in range(k)]


def _corpus_bag(paths, *, metadata, blocksize: int, files_per_partition: int,
                follow_links: bool) -> tuple[db.Bag, list[str], list[Skipped]]:
    """The records of the inputs as one bag in reading order, a label per partition (for
    failure records), and the metadata CSV's problems."""
    import dask.bag as db

    from mapper.articles import _expand, _not_regular

    meta: dict[str, dict[str, str]] = {}
    problems: list[Skipped] = []
    if metadata is not None:
        meta, problems = read_metadata(metadata)
    meta_name = Path(metadata).name if metadata is not None else None
    bags: list[db.Bag] = []
    labels: list[str] = []
    batch: list = []

    def flush() -> None:
        if batch:
            bags.append(db.from_sequence(list(batch), partition_size=files_per_partition).map_partitions(_text_items))
            for i in range(0, len(batch), files_per_partition):
                labels.append(", ".join(display(e.input) if isinstance(e, Skipped) else display(e[0])
                                        for e in batch[i:i + files_per_partition]))
            batch.clear()

    for path in _expand(paths, follow_links=follow_links):
        if isinstance(path, Skipped):
            batch.append(path)
            continue
        exists = path.exists() or path.is_symlink()
        suffix = path.suffix.lower()
        if exists and suffix in JSONL_SUFFIXES | CSV_SUFFIXES:
            if suffix in CSV_SUFFIXES and path.name == meta_name:
                continue
            refused = _not_regular(path)
            if refused is not None:
                batch.append(refused)
                continue
            if suffix in JSONL_SUFFIXES and path.stat().st_size == 0:
                batch.append(Skipped(display(path), "empty file", "Remove it or add one JSON object per line."))
                continue
            flush()
            bag, labs = (_jsonl_bag if suffix in JSONL_SUFFIXES else _csv_bag)(path, blocksize)
            bags.append(bag)
            labels.extend(labs)
        else:  # a .txt file, or a missing input (recorded by the reader as the local one does)
            batch.append((str(path), meta.get(path.name)))
    flush()
    if not bags:
        return db.from_sequence([], npartitions=1), ["(no inputs)"], problems
    return (bags[0] if len(bags) == 1 else db.concat(bags)), labels, problems


def _parse_size(value: int | str) -> int:
    if isinstance(value, int):
        if value <= 0:
            raise InputError(f"blocksize {value}: must be a positive number of bytes, e.g. 1048576 or '1MiB'.")
        return value
    try:
        from dask.utils import parse_bytes

        n = int(parse_bytes(value))
    except (ValueError, TypeError) as exc:
        raise InputError(f"blocksize {value!r}: not a size. Write it as bytes or with a unit, e.g. '1MiB' or '512KB'.") from exc
    return _parse_size(n)


def _is_bag(obj) -> bool:
    try:
        import dask.bag as db
    except ImportError:  # pragma: no cover
        return False
    return isinstance(obj, db.Bag)


def _client_of(scheduler):
    """A distributed Client from ``scheduler`` (a Client, or None for the current one)."""
    if scheduler is None:
        try:
            from distributed import default_client

            return default_client()
        except (ImportError, ValueError):
            return None
    if isinstance(scheduler, (str, os.PathLike)):
        raise InputError(
            f"extract_dask(scheduler={str(scheduler)!r}): give a distributed.Client, e.g. "
            "`with Client(address) as c: extract_dask(paths, scheduler=c)`, or call "
            "run_extraction(paths, engine='dask', scheduler=address), which connects and disconnects for you."
        )
    if not hasattr(scheduler, "scatter"):
        raise InputError(f"extract_dask(scheduler={scheduler!r}): not a distributed.Client.")
    return scheduler


def _shared(obj, client, what: str):
    """An object every partition uses, sent once per worker (or held once in the graph)."""
    if obj is None or isinstance(obj, (tuple, str)):
        return obj  # a spec or a path: each worker loads it itself
    if client is not None:
        return client.scatter(obj, broadcast=True, hash=False)
    import dask

    return dask.delayed(obj, name=f"mapper-{what}-{uuid.uuid4().hex}")


def _partitions(paths_or_bag, *, client, gazetteer_path, gazetteer, metadata, lexicon, blocksize,
                files_per_partition, with_places, keep_uncertain, min_confidence, grammar,
                follow_links) -> tuple[db.Bag, list[str], list[Skipped]]:
    """The bag of partition results (one :class:`_Part` each), their labels and the metadata
    problems."""
    if gazetteer is not None and gazetteer_path is not None:
        raise InputError("extract_dask: give gazetteer (a loaded Gazetteer) or gazetteer_path, not both.")
    if files_per_partition < 1:
        raise InputError(f"files_per_partition {files_per_partition}: must be at least 1, e.g. 64.")
    size = _parse_size(blocksize)
    if _is_bag(paths_or_bag):
        items = paths_or_bag.map_partitions(_coerce_items)
        labels, problems = [f"bag partition {i}" for i in range(items.npartitions)], []
    else:
        items, labels, problems = _corpus_bag(paths_or_bag, metadata=metadata, blocksize=size,
                                              files_per_partition=files_per_partition, follow_links=follow_links)
    spec = _gazetteer_spec(gazetteer_path if gazetteer is None else gazetteer)
    gaz = spec if spec is not None else _shared(gazetteer, client, "gazetteer")
    lex = str(lexicon) if isinstance(lexicon, os.PathLike) else _shared(lexicon, client, "lexicon")
    options = {"keep_uncertain": bool(keep_uncertain), "min_confidence": float(min_confidence),
               "grammar": str(grammar) if grammar else None}
    parts = items.map_partitions(_extract_partition, gaz=gaz, lex=lex, options=options, places=bool(with_places))
    return parts, labels, problems


# ------------------------------------------------------------------------------ public API


def extract_dask(
    paths_or_bag,
    *,
    gazetteer_path: str | os.PathLike | None = None,
    gazetteer=None,
    metadata: str | os.PathLike | None = None,
    lexicon=None,
    scheduler=None,
    blocksize: int | str = DEFAULT_BLOCKSIZE,
    files_per_partition: int = DEFAULT_FILES_PER_PARTITION,
    with_skipped: bool = False,
    with_places: bool = False,
    keep_uncertain: bool = False,
    min_confidence: float = 0.0,
    grammar: str | None = None,
    follow_links: bool = False,
):
    """Reports of a corpus as a lazy Dask DataFrame, one partition per block or batch.

    Parameters
    ----------
    paths_or_bag
        Input paths as for :func:`mapper.articles.read_articles` (``.txt`` files, folders,
        ``.jsonl``, ``.csv``), or a ``dask.bag.Bag`` of :class:`~mapper.articles.Article`
        objects or record dicts (``id, text, published, title, url``).
    gazetteer_path
        A GeoNames-format dump (as ``--geonames``) or a ``places.tsv.gz`` written by
        ``python -m mapper.gazetteer build``; each worker loads it once. Default: the packaged
        gazetteer, also loaded once per worker.
    gazetteer
        A loaded :class:`~mapper.gazetteer.Gazetteer` instead of a path. When it is exactly
        what its file loads to (``Gazetteer.load()``, ``from_geonames(path)``) each worker loads
        that file once; otherwise it is sent once to each worker (``Client.scatter``). Give
        ``gazetteer_path`` or ``gazetteer``, not both.
    metadata
        Metadata CSV (``file,published[,title,url]``) for ``.txt`` inputs, read once here;
        each ``.txt`` file carries only its own row.
    lexicon
        An :class:`~mapper.actors.ActorLexicon` or the path of a lexicon file; default lexicon
        when ``None``.
    scheduler
        A ``distributed.Client`` (default: the current client, if any). Without a client the
        frame runs on Dask's local scheduler when computed.
    blocksize
        Bytes per JSON Lines partition (``1048576`` or ``"1MiB"``, about 250 news articles;
        ``dask.bag.read_text`` cuts the blocks at line breaks); a CSV file is spread over
        ``size / blocksize`` partitions.
    files_per_partition
        ``.txt`` files per partition.
    with_skipped
        Also return the skipped inputs as a second Dask DataFrame (one partition, columns
        ``input, reason, fix, repaired``); compute both together (``dask.compute(ddf,
        skipped)``) so the work is done once, and turn rows back into records with
        :func:`skipped_records`.
    with_places
        Also return every place mention (:func:`mapper.extract.find_places`, columns
        :func:`place_dtypes`) as a further Dask DataFrame, for ``places.csv`` and the
        unresolved-name count of ``run.json``.
    keep_uncertain, min_confidence
        As for :func:`mapper.extract.extract_reports` (``--keep-uncertain``,
        ``--min-confidence``).
    grammar
        A grammar file extending the packaged one (``--grammar``); each worker loads it once.
    follow_links
        As for :func:`mapper.articles.read_articles` (``--follow-links``).

    Returns
    -------
    dask.dataframe.DataFrame, or a tuple (reports, [skipped], [places]) with ``with_skipped``
    / ``with_places``
        Columns :data:`mapper.schema.REPORT_COLUMNS` with :func:`report_dtypes`, partitions in
        input order, so ``ddf.compute().reset_index(drop=True)`` equals the local path row
        for row (each partition's index starts at 0).

    Raises
    ------
    InputError
        Both ``gazetteer`` and ``gazetteer_path`` given, or a bad ``blocksize``.
    ImportError
        Dask is not installed; the message gives the install line.
    """
    dask = _require_dask()
    import dask.dataframe as dd

    client = _client_of(scheduler)
    parts, _labels, problems = _partitions(
        paths_or_bag, client=client, gazetteer_path=gazetteer_path, gazetteer=gazetteer, metadata=metadata,
        lexicon=lexicon, blocksize=blocksize, files_per_partition=files_per_partition, with_places=with_places,
        keep_uncertain=keep_uncertain, min_confidence=min_confidence, grammar=grammar, follow_links=follow_links)
    delayed = parts.to_delayed()
    out = [dd.from_delayed([dask.delayed(_reports_of, pure=True)(d) for d in delayed], meta=_meta(), verify_meta=False)]
    if with_skipped:
        logs = [dask.delayed(_log_of, pure=True)(d) for d in delayed]
        skipped = dask.delayed(_skipped_of, pure=True)(problems, logs)
        out.append(dd.from_delayed([skipped], meta=_skipped_frame([]), verify_meta=False))
    if with_places:
        out.append(dd.from_delayed([dask.delayed(_found_of, pure=True)(d) for d in delayed], meta=_places_meta(),
                                   verify_meta=False))
    return out[0] if len(out) == 1 else tuple(out)


def _reports_of(part: list[_Part]) -> pd.DataFrame:
    return part[0].reports


def _found_of(part: list[_Part]) -> pd.DataFrame:
    return part[0].places


def _log_of(part: list[_Part]) -> list:
    return part[0].log


def _skipped_of(problems: list[Skipped], logs: list[list]) -> pd.DataFrame:
    return _skipped_frame([x for x in note_duplicates(chain(problems, *logs)) if isinstance(x, Skipped)])


def write_reports_parquet(ddf: dd.DataFrame, path: str | os.PathLike, *, compute: bool = True):
    """Write a reports frame to a Parquet dataset (a folder, one file per partition).

    Each worker writes its own partitions, so the reports never pass through one process.
    An existing folder at ``path`` is replaced.

    Parameters
    ----------
    ddf
        A Dask (or pandas) DataFrame of reports.
    path
        The folder, conventionally ``reports.parquet``.
    compute
        ``False`` returns the delayed write, to compute together with other work.

    Raises
    ------
    OutputError
        ``path`` is an existing file, not a folder.
    """
    _require_dask()
    import dask.dataframe as dd

    from mapper.errors import OutputError

    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputError(f"{path}: exists and is a file. Give a folder path such as reports.parquet/ or remove the file.")
    if isinstance(ddf, pd.DataFrame):
        ddf = dd.from_pandas(_conform(ddf), npartitions=1)
    return ddf.to_parquet(str(path), write_index=False, overwrite=path.exists(), compute=compute)


def read_reports_parquet(path: str | os.PathLike) -> pd.DataFrame:
    """A reports Parquet dataset back as a pandas frame with :func:`report_dtypes`."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such Parquet dataset. Write it with write_reports_parquet or --reports-parquet.")
    return _conform(pd.read_parquet(path))


def run_extraction(
    paths,
    *,
    engine: str = "local",
    scheduler=None,
    metadata: str | os.PathLike | None = None,
    gazetteer=None,
    lexicon=None,
    reports_parquet: str | os.PathLike | None = None,
    blocksize: int | str = DEFAULT_BLOCKSIZE,
    n_workers: int | None = None,
    with_places: bool = False,
    keep_uncertain: bool = False,
    min_confidence: float = 0.0,
    grammar: str | None = None,
    follow_links: bool = False,
) -> tuple[pd.DataFrame, list[Skipped]] | tuple[pd.DataFrame, list[Skipped], pd.DataFrame]:
    """Extract the reports of a corpus, locally or on Dask; the CLI's ``--engine``.

    Parameters
    ----------
    paths
        Inputs as for :func:`mapper.articles.read_articles`.
    engine
        ``"local"`` (this process) or ``"dask"``.
    scheduler
        Dask only: a scheduler address (``tcp://10.0.0.5:8786``), a ``distributed.Client``, or
        ``None`` for a ``LocalCluster`` with one single-threaded worker process per core
        (``n_workers`` to choose), started and stopped here.
    metadata
        Metadata CSV for ``.txt`` inputs.
    gazetteer
        A loaded :class:`~mapper.gazetteer.Gazetteer`, a path (GeoNames dump or
        ``places.tsv.gz``), or ``None`` for the packaged one.
    lexicon
        An :class:`~mapper.actors.ActorLexicon`, a lexicon file, or ``None`` for the default.
    reports_parquet
        Also write the reports to this Parquet folder (one file, written beside and renamed in).
    blocksize
        Dask only: bytes per JSON Lines partition.
    n_workers
        Dask without ``scheduler``: worker processes of the local cluster (default: cores).
    with_places
        Also return every place mention (:func:`mapper.extract.find_places` of each article),
        for ``places.csv`` and the unresolved-name count.
    keep_uncertain, min_confidence
        As for :func:`mapper.extract.extract_reports` (``--keep-uncertain``,
        ``--min-confidence``), for both engines.
    grammar : path, optional
        A grammar file extending the packaged one (``--grammar``), for both engines.
    follow_links
        As for :func:`mapper.articles.read_articles` (``--follow-links``), for both engines.

    Returns
    -------
    (reports, skipped) or (reports, skipped, places) with ``with_places``
        Reports with :data:`mapper.schema.REPORT_COLUMNS` and :func:`report_dtypes`, the inputs
        skipped with their reasons (repeated article ids noted, as
        :func:`mapper.articles.note_duplicates` does), and the place mentions with
        :func:`place_dtypes`: the same rows and records, in the same order, for both engines.

    Raises
    ------
    InputError
        Unknown ``engine``, or ``scheduler`` given with ``engine="local"``.
    """
    if engine not in ENGINES:
        raise InputError(f"--engine {engine!r}: unknown engine. Use one of: {', '.join(ENGINES)}.")
    options = {"keep_uncertain": bool(keep_uncertain), "min_confidence": float(min_confidence),
               "grammar": str(grammar) if grammar else None}
    if engine == "local":
        if scheduler is not None:
            raise InputError("--scheduler applies to --engine dask only; add --engine dask or drop --scheduler.")
        reports, skipped, places = _run_local(paths, metadata=metadata, gazetteer=gazetteer, lexicon=lexicon,
                                              with_places=with_places, options=options, follow_links=follow_links)
    else:
        _require_dask()
        distributed = _require_distributed()
        kwargs: dict[str, Any] = {
            "metadata": metadata, "lexicon": lexicon, "blocksize": blocksize,
            "files_per_partition": DEFAULT_FILES_PER_PARTITION, "with_places": with_places,
            "keep_uncertain": keep_uncertain, "min_confidence": min_confidence, "grammar": options["grammar"],
            "follow_links": follow_links, "gazetteer_path": None, "gazetteer": None,
        }
        kwargs["gazetteer_path" if gazetteer is None or isinstance(gazetteer, (str, os.PathLike)) else "gazetteer"] = gazetteer
        if scheduler is not None and not isinstance(scheduler, (str, os.PathLike)):
            reports, skipped, places = _run_dask(paths, _client_of(scheduler), kwargs)
        elif scheduler is not None:
            with distributed.Client(str(scheduler), set_as_default=False) as client:
                reports, skipped, places = _run_dask(paths, client, kwargs)
        else:
            with (
                distributed.LocalCluster(
                    n_workers=n_workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                    host="127.0.0.1", dashboard_address="127.0.0.1:0",  # a free port: never clash
                ) as cluster,
                distributed.Client(cluster, set_as_default=False) as client,
            ):
                reports, skipped, places = _run_dask(paths, client, kwargs)
    if reports_parquet is not None:
        _write_parquet_local(reports, Path(reports_parquet))
    return (reports, skipped, places) if with_places else (reports, skipped)


def _run_dask(paths, client, kwargs: dict) -> tuple[pd.DataFrame, list[Skipped], pd.DataFrame]:
    """Every partition as a future, gathered in input order; a failed one is one record."""
    parts, labels, problems = _partitions(paths, client=client, **kwargs)
    futures = client.compute(parts.to_delayed())
    if len(labels) != len(futures):  # pragma: no cover - the planner labels every partition
        labels = [f"partition {i}" for i in range(len(futures))]

    def gathered() -> Iterator[_Part]:
        for i, label in enumerate(labels):
            fut, futures[i] = futures[i], None  # released once gathered: workers keep nothing
            try:
                yield from fut.result()
            except Exception as exc:  # noqa: BLE001 - a failed partition never ends the run
                yield _failed_part(label, exc)

    return _combine(gathered(), problems)


def _run_local(paths, *, metadata, gazetteer, lexicon, with_places: bool, options: dict,
               follow_links: bool) -> tuple[pd.DataFrame, list[Skipped], pd.DataFrame]:
    """The Dask engine's partition function over chunks of the local reader's stream."""
    if gazetteer is None or isinstance(gazetteer, (str, os.PathLike)):
        gazetteer = _take_gazetteer(_gazetteer_spec(gazetteer))

    def parts() -> Iterator[_Part]:
        chunk: list[Article | Skipped] = []
        for item in read_articles(paths, metadata=metadata, follow_links=follow_links):  # streamed
            chunk.append(item)
            if len(chunk) >= LOCAL_CHUNK:
                yield from _extract_partition(chunk, gaz=gazetteer, lex=lexicon, options=options, places=with_places)
                chunk = []
        yield from _extract_partition(chunk, gaz=gazetteer, lex=lexicon, options=options, places=with_places)

    return _combine(parts(), [])


def _write_parquet_local(reports: pd.DataFrame, path: Path) -> None:
    """One-file Parquet dataset, written beside and renamed in (atomic)."""
    import shutil
    import tempfile

    from mapper.errors import OutputError

    if path.exists() and not path.is_dir():
        raise OutputError(f"{path}: exists and is a file. Give a folder path such as reports.parquet/ or remove the file.")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        reports.to_parquet(tmp / "part.0.parquet", index=False)
        if path.exists():
            shutil.rmtree(path)
        os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def skipped_summary(skipped: Sequence[Skipped]) -> list[str]:
    """One line per skipped input, for logs and ``run.json``."""
    return [str(s) for s in skipped]
