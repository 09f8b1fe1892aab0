"""Extraction on a Dask cluster: the part of the pipeline that grows with the corpus.

extract_dask(paths_or_bag, ...)           -> dask DataFrame of reports (schema.REPORT_COLUMNS)
run_extraction(paths, *, engine, ...)     -> (reports DataFrame, skipped list); local or Dask
write_reports_parquet(ddf, path)          -> stream the reports to ``reports.parquet/``
read_reports_parquet(path)                -> the reports back as pandas
add_engine_arguments(parser)              -> ``--engine``, ``--scheduler``, ``--reports-parquet``,
                                             ``--blocksize``
report_dtypes() / place_dtypes()          -> the column dtypes of reports / place mentions
skipped_records(frame)                    -> Skipped records from a computed skipped frame

What runs where
---------------
The client (the machine running ``mapper``) only *plans*: it lists the input files, cuts JSON
Lines files into byte blocks (``blocksize``), groups ``.txt`` files into batches
(``files_per_partition``) and reads the (small) metadata CSV. Each partition is one task on a
worker: the worker opens its files or byte range itself (so every worker must see the input
paths: a shared filesystem), turns them into articles with the same readers as the local path,
and runs :func:`mapper.extract.extract_corpus` on them. No step holds the whole corpus: a worker
holds one partition, the client only the reports (a few rows per article).

The gazetteer is loaded once per worker process: either from a path (a module-level cache keyed
by path, filled on first use) or, when a loaded :class:`~mapper.gazetteer.Gazetteer` is passed,
shipped once to each worker with ``Client.scatter``, never per task or per article.

A partition that fails (a file removed mid-run, an unreadable byte range) does not end the run:
its failure comes back as a :class:`~mapper.articles.Skipped` record with the reason, beside the
inputs the readers themselves skipped (binary files, bad JSON lines).
"""

from __future__ import annotations

import argparse
import codecs
import io
import json
import os
import threading
import uuid
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from mapper.articles import (
    CSV_SUFFIXES,
    JSONL_SUFFIXES,
    TEXT_SUFFIXES,
    Article,
    Skipped,
    decode_bytes,
    read_articles,
    read_metadata,
)
from mapper.errors import InputError
from mapper.schema import REPORT_COLUMNS

if TYPE_CHECKING:  # pragma: no cover
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
ENGINES = ("local", "dask")
DEFAULT_BLOCKSIZE = 2**20
DEFAULT_FILES_PER_PARTITION = 64

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


# ------------------------------------------------------------------------------ lazy imports


def _require_dask():
    try:
        import dask
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

_CACHE: dict[tuple, Any] = {}
_CACHE_LOCK = threading.Lock()
#: gazetteer loads in this process (a worker's count stays at one per gazetteer)
_LOADS = 0


def _gazetteer_key(path: str | os.PathLike | None) -> tuple:
    if path is None:
        return ("packaged", None)
    return ("file", str(Path(path).expanduser().resolve()))


def _load_gazetteer_cached(key: tuple):
    """The gazetteer for ``key``, loaded at most once per process (thread-safe)."""
    global _LOADS
    with _CACHE_LOCK:
        if key not in _CACHE:
            from mapper.gazetteer import Gazetteer

            _LOADS += 1
            kind, path = key
            if kind == "packaged":
                _CACHE[key] = Gazetteer.load()
            elif str(path).endswith(".tsv.gz"):  # written by `python -m mapper.gazetteer build`
                _CACHE[key] = Gazetteer.load(path)
            else:  # a GeoNames-format dump, as `--geonames FILE`
                _CACHE[key] = Gazetteer.from_geonames(path)
        return _CACHE[key]


def _lexicon_cached(spec):
    if spec is None or not isinstance(spec, (str, os.PathLike)):
        return spec  # None (the default lexicon) or an ActorLexicon
    key = ("lexicon", str(Path(spec).expanduser().resolve()))
    with _CACHE_LOCK:
        if key not in _CACHE:
            from mapper.actors import ActorLexicon

            _CACHE[key] = ActorLexicon.from_file(spec)
        return _CACHE[key]


def _resolve_gazetteer(spec):
    """A loaded gazetteer from a cache key (tuple) or the object itself."""
    return _load_gazetteer_cached(spec) if isinstance(spec, tuple) else spec


# ------------------------------------------------------------------------------ planning


def _expand(paths: str | os.PathLike | Iterable[str | os.PathLike]) -> list[Path]:
    """Input files in the order :func:`mapper.articles.read_articles` reads them."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            out.extend(c for c in sorted(p.iterdir()) if c.is_file() and c.suffix.lower() in TEXT_SUFFIXES | JSONL_SUFFIXES)
        else:
            out.append(p)
    return out


def _plan(
    paths, *, metadata, blocksize: int, files_per_partition: int,
) -> tuple[list[tuple], list[Skipped], dict[str, dict[str, str]]]:
    """Partitions as ``(kind, args)`` tuples, the metadata problems, and the metadata rows."""
    meta: dict[str, dict[str, str]] = {}
    problems: list[Skipped] = []
    if metadata is not None:
        meta, problems = read_metadata(metadata)
    meta_name = Path(metadata).name if metadata is not None else None
    parts: list[tuple] = []
    batch: list[str] = []

    def flush():
        if batch:
            parts.append(("text", (list(batch), {Path(b).name: meta[Path(b).name] for b in batch if Path(b).name in meta})))
            batch.clear()

    for path in _expand(paths):
        suffix = path.suffix.lower()
        if not path.exists():
            flush()
            parts.append(("missing", (str(path),)))
        elif suffix in JSONL_SUFFIXES:
            flush()
            size = path.stat().st_size
            if size == 0:
                parts.append(("jsonl", (str(path), 0, 0, 0)))
                continue
            offsets = list(range(0, size, blocksize))
            for i, off in enumerate(offsets):
                parts.append(("jsonl", (str(path), i, off, blocksize)))
        elif suffix in CSV_SUFFIXES:
            if path.name == meta_name:
                continue
            flush()
            parts.append(("csv", (str(path),)))
        else:
            batch.append(str(path))
            if len(batch) >= files_per_partition:
                flush()
    flush()
    return parts, problems, meta


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


# ------------------------------------------------------------------------------ partition work


def _read_block(path: str, offset: int, length: int) -> bytes:
    from fsspec.utils import read_block

    with open(path, "rb") as fh:
        return read_block(fh, offset, length, delimiter=b"\n")


def _count_block(path: str, offset: int, length: int) -> tuple[int, int] | None:
    """(newlines, non-blank lines) of one JSON Lines block, for the line numbers of later
    blocks; ``None`` when the block cannot be read (its own partition records why)."""
    if length == 0:
        return 0, 0
    try:
        data = _read_block(path, offset, length)
    except OSError:
        return None
    nonblank = sum(1 for line in io.BytesIO(data) if line.strip())
    return data.count(b"\n"), nonblank


def _jsonl_articles(path: str, data: bytes, first_line: int) -> list[Article | Skipped]:
    """Articles of one block of a JSON Lines file, exactly as ``read_articles`` reads them."""
    from mapper.articles import _record  # the reader's record -> Article rule, shared on purpose

    p = Path(path)
    out: list[Article | Skipped] = []
    for lineno, raw in enumerate(io.BytesIO(data), start=first_line):
        if not raw.strip():
            continue
        where = f"{p.name}, line {lineno}"
        line, _enc = decode_bytes(raw if lineno > 1 else raw.removeprefix(codecs.BOM_UTF8))
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            out.append(Skipped(where, f"not valid JSON ({exc.msg} at column {exc.colno})", "Write one JSON object per line."))
            continue
        if not isinstance(rec, dict):
            out.append(Skipped(where, f"a JSON {type(rec).__name__}, not an object", "Write one JSON object per line with a 'text' field."))
            continue
        out.append(_record(rec, where, f"{p.stem}:{lineno}"))
    return out


def _text_articles(paths: list[str], meta: dict[str, dict[str, str]]) -> list[Article | Skipped]:
    from mapper.articles import _from_text_file  # one .txt file -> Article, shared on purpose

    out: list[Article | Skipped] = []
    for p in paths:
        try:
            out.append(_from_text_file(Path(p), meta))
        except Exception as exc:  # one file never sinks its batch
            out.append(_failure(p, exc))
    return out


def _failure(where: str, exc: BaseException) -> Skipped:
    return Skipped(
        where,
        f"partition failed ({type(exc).__name__}: {exc})",
        "Check that every worker can read this input at the same path (a shared filesystem); "
        "the other partitions were processed.",
    )


def _extract_items(
    items, gaz, lex, places: bool, options: Mapping[str, Any] | None = None,
) -> tuple[pd.DataFrame, list[Skipped], pd.DataFrame]:
    """One pass of the :class:`~mapper.extract.Extractor` over a partition's items."""
    from mapper.extract import extractor_for, places_frame, reports_frame
    from mapper.workers import load_grammar

    gazetteer = _resolve_gazetteer(gaz)
    opts = dict(options or {})
    grammar = load_grammar(opts.pop("grammar", None))
    ex = extractor_for(gazetteer, _lexicon_cached(lex), grammar=grammar, **opts)
    skipped: list[Skipped] = []
    report_rows: list[dict] = []
    place_rows: list[dict] = []
    for item in items:
        if isinstance(item, Skipped):
            skipped.append(item)
            continue
        try:
            reading = ex.read(item)
        except Exception as exc:  # noqa: BLE001 - one bad article never ends the run
            skipped.append(Skipped(item.id, f"extraction failed ({type(exc).__name__}: {exc})",
                                   "Report this article to the maintainers; the others were read"))
            continue
        report_rows.extend(reading.reports)
        if places:
            place_rows.extend(reading.places)
    found = _conform_places(places_frame(place_rows)) if place_rows else _places_meta()
    return _conform(reports_frame(report_rows)), skipped, found


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


def _run_partition(
    kind: str, args: tuple, gaz, lex, line_info=None, places: bool = False, options=None,
) -> tuple[pd.DataFrame, list[Skipped], pd.DataFrame]:
    """One partition: read its inputs, extract, never raise."""
    where = args[0] if kind != "text" else ", ".join(Path(p).name for p in args[0])
    try:
        if kind == "missing":
            return _meta(), [Skipped(args[0], "no such file", "Check the path.")], _places_meta()
        if kind == "csv":
            items = list(read_articles([args[0]]))
        elif kind == "text":
            items = _text_articles(*args)
        elif kind == "jsonl":
            path, index, offset, length = args
            where = f"{path}, bytes {offset}-{offset + length}" if length else path
            data = _read_block(path, offset, length) if length else b""
            if line_info is None:
                raise OSError("an earlier block of this file could not be read, so line numbers are unknown")
            prior_lines, prior_nonblank, own_nonblank, is_last = line_info
            items = _jsonl_articles(path, data, prior_lines + 1)
            if is_last and prior_nonblank + own_nonblank == 0:
                items.append(Skipped(path, "empty file", "Remove it or add one JSON object per line."))
        elif kind == "articles":
            items = [_coerce_item(x, i) for i, x in enumerate(args[0])]
        else:  # pragma: no cover - _plan makes only the kinds above
            raise ValueError(f"unknown partition kind {kind!r}")
        return _extract_items(items, gaz, lex, places, options)
    except Exception as exc:  # a failed partition is recorded, never the end of the run
        return _meta(), [_failure(where, exc)], _places_meta()


def _coerce_item(x, i: int) -> Article | Skipped:
    """A Bag element: an Article, a Skipped, or a record dict with a 'text' field."""
    if isinstance(x, (Article, Skipped)):
        return x
    if isinstance(x, Mapping):
        from mapper.articles import _record

        return _record(dict(x), f"bag record {i}", f"bag:{i}")
    return Skipped(f"bag record {i}", f"a {type(x).__name__}, not an article", "Give Article objects or dicts with a 'text' field.")


def _line_infos(parts: list[tuple], client) -> dict[int, tuple[int, int, int, bool] | None]:
    """Line numbering of every JSON Lines block: ``(lines before, non-blank lines before, own
    non-blank lines, last block?)`` by partition index; ``None`` after an unreadable block.

    The newline counts run as one quick parallel pass (on the cluster when there is a client)
    while planning, so each partition task gets plain numbers: no task depends on the blocks
    before it, and the graph stays linear in the number of blocks.
    """
    import dask

    blocks = [(i, args) for i, (kind, args) in enumerate(parts) if kind == "jsonl"]
    if not blocks:
        return {}
    tasks = [dask.delayed(_count_block, pure=True)(a[0], a[2], a[3]) for _, a in blocks]
    counts = client.gather(client.compute(tasks)) if client is not None else dask.compute(*tasks)
    last = {a[0]: i for i, a in blocks}
    out: dict[int, tuple[int, int, int, bool] | None] = {}
    before: dict[str, tuple[int, int] | None] = {}
    for (i, a), own in zip(blocks, counts):
        prior = before.get(a[0], (0, 0))
        out[i] = None if prior is None or own is None else (prior[0], prior[1], own[1], i == last[a[0]])
        before[a[0]] = None if prior is None or own is None else (prior[0] + own[0], prior[1] + own[1])
    return out


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
        A loaded :class:`~mapper.gazetteer.Gazetteer` instead of a path; it is sent once to
        each worker (``Client.scatter``). Give ``gazetteer_path`` or ``gazetteer``, not both.
    metadata
        Metadata CSV (``file,published[,title,url]``) for ``.txt`` inputs, read once here;
        each batch carries only its own rows.
    lexicon
        An :class:`~mapper.actors.ActorLexicon` or the path of a lexicon file; default lexicon
        when ``None``.
    scheduler
        A ``distributed.Client`` (default: the current client, if any). Without a client the
        frame runs on Dask's local scheduler when computed.
    blocksize
        Bytes per JSON Lines partition (``1048576`` or ``"1MiB"``, about 250 news
        articles); blocks end at line breaks. JSON Lines blocks are counted for line breaks
        once while planning (a quick parallel pass on the cluster), so line numbers and the
        ids of records without an ``id`` match the local reader's.
    files_per_partition
        ``.txt`` files per partition. A CSV input is one partition.
    with_skipped
        Also return the skipped inputs as a second Dask DataFrame (columns ``input, reason,
        fix, repaired``); compute both together (``dask.compute(ddf, skipped)``) so the work
        is done once, and turn rows back into records with :func:`skipped_records`.
    with_places
        Also return every place mention (:func:`mapper.extract.find_places`, columns
        :func:`place_dtypes`) as a further Dask DataFrame, for ``places.csv`` and the
        unresolved-name count of ``run.json``.
    keep_uncertain, min_confidence
        As for :func:`mapper.extract.extract_reports` (``--keep-uncertain``,
        ``--min-confidence``).

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

    if gazetteer is not None and gazetteer_path is not None:
        raise InputError("extract_dask: give gazetteer (a loaded Gazetteer) or gazetteer_path, not both.")
    if files_per_partition < 1:
        raise InputError(f"files_per_partition {files_per_partition}: must be at least 1, e.g. 64.")
    size = _parse_size(blocksize)
    client = _client_of(scheduler)

    gaz_arg: Any = _gazetteer_key(gazetteer_path) if gazetteer is None else gazetteer
    lex_arg: Any = str(lexicon) if isinstance(lexicon, (str, os.PathLike)) else lexicon
    if client is not None:
        if gazetteer is not None:
            gaz_arg = client.scatter(gazetteer, broadcast=True, hash=False)
        if lex_arg is not None and not isinstance(lex_arg, str):
            lex_arg = client.scatter(lex_arg, broadcast=True, hash=False)
    elif gazetteer is not None:
        gaz_arg = dask.delayed(gazetteer, name=f"mapper-gazetteer-{uuid.uuid4().hex}")

    options = {"keep_uncertain": bool(keep_uncertain), "min_confidence": float(min_confidence),
               "grammar": str(grammar) if grammar else None}
    run = dask.delayed(_run_partition, pure=False, nout=3)
    results = []
    problems: list[Skipped] = []
    if _is_bag(paths_or_bag):
        for part in paths_or_bag.to_delayed():
            results.append(run("articles", (part,), gaz_arg, lex_arg, None, with_places, options))
    else:
        parts, problems, _rows = _plan(paths_or_bag, metadata=metadata, blocksize=size, files_per_partition=files_per_partition)
        infos = _line_infos(parts, client)
        for i, (kind, args) in enumerate(parts):
            results.append(run(kind, args, gaz_arg, lex_arg, infos.get(i), with_places, options))
    if not results:
        results.append(run("articles", ([],), gaz_arg, lex_arg, None, with_places, options))
    frames = [r[0] for r in results]
    ddf = dd.from_delayed(frames, meta=_meta(), verify_meta=False)
    out = [ddf]
    if with_skipped:
        # a few partitions of skipped records (32 extraction partitions each): the workers
        # keep only these small frames until the end, not one per extraction partition
        groups = [[r[1] for r in results[i:i + 32]] for i in range(0, len(results), 32)]
        skipped_parts = [dask.delayed(_skipped_frame, pure=True)(problems, *g) for g in groups]
        out.append(dd.from_delayed(skipped_parts, meta=_skipped_frame([]), verify_meta=False))
    if with_places:
        out.append(dd.from_delayed([r[2] for r in results], meta=_places_meta(), verify_meta=False))
    return out[0] if len(out) == 1 else tuple(out)


SKIPPED_COLUMNS = ["input", "reason", "fix", "repaired"]


def _skipped_frame(*groups: Sequence[Skipped]) -> pd.DataFrame:
    items = [s for g in groups for s in g]
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
        Also write the reports to this Parquet folder (Dask: written by the workers).
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

    Returns
    -------
    (reports, skipped) or (reports, skipped, places) with ``with_places``
        Reports with :data:`mapper.schema.REPORT_COLUMNS` and :func:`report_dtypes` (the same
        rows, in the same order, for both engines), the inputs skipped with their reasons, and
        the place mentions with :func:`place_dtypes`.

    Raises
    ------
    InputError
        Unknown ``engine``, or ``scheduler`` given with ``engine="local"``.
    """
    if engine not in ENGINES:
        raise InputError(f"--engine {engine!r}: unknown engine. Use one of: {', '.join(ENGINES)}.")
    if engine == "local":
        if scheduler is not None:
            raise InputError("--scheduler applies to --engine dask only; add --engine dask or drop --scheduler.")
        return _run_local(paths, metadata=metadata, gazetteer=gazetteer, lexicon=lexicon,
                          reports_parquet=reports_parquet, with_places=with_places,
                          options={"keep_uncertain": bool(keep_uncertain), "min_confidence": float(min_confidence),
                                   "grammar": str(grammar) if grammar else None})

    _require_dask()
    distributed = _require_distributed()
    kwargs: dict[str, Any] = {"metadata": metadata, "lexicon": lexicon, "blocksize": blocksize,
                              "with_skipped": True, "with_places": with_places,
                              "keep_uncertain": keep_uncertain, "min_confidence": min_confidence,
                              "grammar": str(grammar) if grammar else None}
    if gazetteer is None or isinstance(gazetteer, (str, os.PathLike)):
        kwargs["gazetteer_path"] = gazetteer
    else:
        kwargs["gazetteer"] = gazetteer

    if scheduler is not None and not isinstance(scheduler, (str, os.PathLike)):
        return _run_dask(paths, scheduler, kwargs, reports_parquet)
    if scheduler is not None:
        with distributed.Client(str(scheduler), set_as_default=False) as client:
            return _run_dask(paths, client, kwargs, reports_parquet)
    workers = n_workers or os.cpu_count() or 1
    with (
        distributed.LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address="127.0.0.1:0",  # a free port: never clash with another cluster
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
    ):
        return _run_dask(paths, client, kwargs, reports_parquet)


def _run_dask(paths, client, kwargs: dict, reports_parquet):
    ddf, skipped, *places = extract_dask(paths, scheduler=client, **kwargs)
    if reports_parquet is not None:
        write = write_reports_parquet(ddf, reports_parquet, compute=False)
        _, skipped_df, *found = client.compute([write, skipped, *places], sync=True)
        reports = read_reports_parquet(reports_parquet)
    else:
        reports, skipped_df, *found = client.compute([ddf, skipped, *places], sync=True)
        reports = _conform(reports)
    out = (reports, skipped_records(skipped_df))
    return out + (_conform_places(found[0]),) if found else out


def _run_local(paths, *, metadata, gazetteer, lexicon, reports_parquet, with_places: bool, options: dict):
    if gazetteer is None or isinstance(gazetteer, (str, os.PathLike)):
        gazetteer = _load_gazetteer_cached(_gazetteer_key(gazetteer))
    skipped: list[Skipped] = []
    reports, places = [], []
    chunk: list[Article | Skipped] = []

    def flush():
        r, s, p = _extract_items(chunk, gazetteer, lexicon, with_places, options)
        reports.append(r)
        skipped.extend(s)
        places.append(p)
        chunk.clear()

    for item in read_articles(paths, metadata=metadata):  # streamed, in bounded chunks
        chunk.append(item)
        if len(chunk) >= 256:
            flush()
    flush()
    out_reports = _conform(pd.concat([r for r in reports if len(r)] or [_meta()], ignore_index=True))
    if reports_parquet is not None:
        _write_parquet_local(out_reports, Path(reports_parquet))
    if with_places:
        return out_reports, skipped, _conform_places(pd.concat([p for p in places if len(p)] or [_places_meta()], ignore_index=True))
    return out_reports, skipped


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


def add_engine_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--engine``, ``--scheduler``, ``--reports-parquet`` and ``--blocksize`` to a parser.

    Call from ``mapper extract`` and ``mapper build``; pass ``args.engine``,
    ``args.scheduler``, ``args.reports_parquet`` and ``args.blocksize`` to
    :func:`run_extraction`.
    """
    g = parser.add_argument_group("distributed extraction (Dask)")
    g.add_argument(
        "--engine", choices=ENGINES, default="local",
        help="where extraction runs: this process (local, default) or a Dask cluster (dask)",
    )
    g.add_argument(
        "--scheduler", metavar="ADDRESS", default=None,
        help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (default with --engine dask: a "
             "local cluster, one worker per core); workers must see the input paths",
    )
    g.add_argument(
        "--reports-parquet", metavar="DIR", default=None,
        help="also write the reports as a Parquet dataset (e.g. reports.parquet/)",
    )
    g.add_argument(
        "--blocksize", metavar="SIZE", default="1MiB",
        help="with --engine dask: bytes of JSON Lines per partition (default 1MiB, about 250 articles)",
    )


def skipped_summary(skipped: Sequence[Skipped]) -> list[str]:
    """One line per skipped input, for logs and ``run.json``."""
    return [str(s) for s in skipped]
