"""The whole run: articles -> reports -> events -> territory -> maps, written atomically.

build(inputs, out_dir, ...) -> BuildResult     the run from Python (the CLI's `mapper build`)
BuildResult                                      the tables, counts and where the outputs are

Outputs (see the README): ``index.html``, ``timeline.html``, ``snapshots/<date>.html`` and
``.png``, ``area_chart.png``, ``snapshots.gif``, ``events.geojson``, ``events.csv``,
``reports.csv``, ``places.csv``, ``control.csv``, ``areas.csv``, ``territory.gpkg`` and
``run.json``. Everything is written into a staging folder beside ``out_dir`` and swapped in
only when complete (:class:`mapper.outputs.StagedOutput`), so a crash never leaves a
half-written folder. One bad article is skipped and recorded, never the end of the run.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import platform
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from mapper import __version__
from mapper.articles import Article, Skipped, read_articles
from mapper.errors import GazetteerError, InputError, MapperWarning
from mapper.outputs import StagedOutput, atomic_write_text, sha256_file, write_csv
from mapper.schema import ACTORS, AREA_COLUMNS

__all__ = ["build", "BuildResult", "DEMO_DIR", "demo_inputs"]

DEMO_DIR = Path(__file__).resolve().parents[1] / "data" / "examples"
REFERENCE_CSV = Path(__file__).resolve().parents[1] / "data" / "reference" / "is_area_ihs.csv"
_CHUNK = 16


def demo_inputs() -> tuple[list[Path], Path]:
    """The bundled demo corpus: (article paths, metadata CSV)."""
    arts = sorted((DEMO_DIR / "articles").glob("*.txt"))
    if not arts:
        raise InputError(f"{DEMO_DIR}: the demo corpus is missing. Reinstall from a full clone of the repository.")
    return arts, DEMO_DIR / "metadata.csv"


@dataclass
class BuildResult:
    """What a build produced: tables, counts, problems and the output folder."""

    out_dir: Path
    reports: pd.DataFrame
    events: pd.DataFrame
    control: pd.DataFrame
    areas: pd.DataFrame
    places: pd.DataFrame
    skipped: list[Skipped] = field(default_factory=list)
    unresolved: list[dict] = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """0 when every input was read, 1 when some were skipped (listed in run.json)."""
        return 1 if any(not s.repaired for s in self.skipped) else 0

    @property
    def index(self) -> Path:
        return self.out_dir / "index.html"

    def _repr_html_(self) -> str:
        s = self.summary
        e = html.escape
        rows = [
            ("articles read / skipped", f"{s.get('articles_read', 0)} / {s.get('articles_skipped', 0)}"),
            ("reports / events", f"{s.get('reports', 0)} / {s.get('events', 0)}"),
            ("places unresolved", str(s.get("unresolved_names", 0))),
            ("dates", f"{s.get('first_date', '')} → {s.get('last_date', '')} ({s.get('snapshots', 0)} snapshots)"),
            (f"{s.get('actor', 'IS')} area", f"{s.get('actor_area_first_km2', 0):,.0f} → {s.get('actor_area_last_km2', 0):,.0f} km²"),
            ("outputs", f"<a href='{e(self.index.as_uri())}'>{e(str(self.out_dir))}</a>"),
        ]
        body = "".join(f"<tr><th style='text-align:left'>{e(k)}</th><td>{v if k == 'outputs' else e(v)}</td></tr>" for k, v in rows)
        return f"<div><b>mapper build</b><table>{body}</table></div>"

    def __repr__(self) -> str:
        s = self.summary
        return (f"<BuildResult {s.get('events', 0)} events from {s.get('articles_read', 0)} articles, "
                f"{s.get('snapshots', 0)} snapshots in {self.out_dir}>")


# ---------------------------------------------------------------------------- progress


class _Progress:
    """Per-stage progress bars on a terminal (rich), silent otherwise."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._progress = None
        if enabled:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self._progress = Progress(TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn(),
                                      TimeElapsedColumn(), transient=False)

    def __enter__(self):
        if self._progress:
            self._progress.__enter__()
        return self

    def __exit__(self, *exc):
        if self._progress:
            self._progress.__exit__(*exc)

    def task(self, name: str, total: int | None = None):
        if not self._progress:
            return _NullTask()
        return _Task(self._progress, self._progress.add_task(name, total=total))


class _NullTask:
    def advance(self, n: int = 1) -> None:
        pass

    def done(self) -> None:
        pass


class _Task(_NullTask):
    def __init__(self, progress, task_id):
        self.p, self.id = progress, task_id

    def advance(self, n: int = 1) -> None:
        self.p.advance(self.id, n)

    def done(self) -> None:
        t = self.p.tasks[self.p.task_ids.index(self.id)]
        self.p.update(self.id, total=t.completed)


@contextmanager
def _timed(timings: dict, stage: str):
    t0 = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = round(time.perf_counter() - t0, 3)


# ---------------------------------------------------------------------------- extraction


_WORKER: dict = {}


def _load_gazetteer(geonames: str | None):
    from mapper.gazetteer import Gazetteer

    return Gazetteer.from_geonames(geonames) if geonames else Gazetteer.load()


def _load_lexicon(actors: str | None):
    from mapper.actors import ActorLexicon

    return ActorLexicon.from_file(actors) if actors else ActorLexicon.default()


def _init_worker(geonames: str | None, actors: str | None) -> None:
    import warnings

    warnings.simplefilter("ignore")
    _WORKER["gaz"] = _load_gazetteer(geonames)
    _WORKER["lex"] = _load_lexicon(actors)


def _extract_one(article: Article, gaz, lex) -> tuple[pd.DataFrame, pd.DataFrame, Skipped | None]:
    import warnings

    from mapper.extract import extract_reports, find_places

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reports = extract_reports(article, gaz, lexicon=lex)
            places = find_places(article, gaz)
        return reports, places, None
    except Exception as exc:  # one bad article never ends the run
        return pd.DataFrame(), pd.DataFrame(), Skipped(
            input=article.path or article.id,
            reason=f"extraction failed ({type(exc).__name__}: {exc})",
            fix="report this article to the project with the text attached; the other articles were processed",
        )


def _extract_chunk(chunk: list[Article]):
    return [_extract_one(a, _WORKER["gaz"], _WORKER["lex"]) for a in chunk]


def _chunks(items: Iterable[Article | Skipped], skipped: list[Skipped], n: int) -> Iterator[list[Article]]:
    buf: list[Article] = []
    for item in items:
        if isinstance(item, Skipped):
            skipped.append(item)
            continue
        buf.append(item)
        if len(buf) >= n:
            yield buf
            buf = []
    if buf:
        yield buf


def _extract_all(articles, *, gaz, lex, jobs: int, geonames, actors, skipped, on_article: Callable[[int], None]):
    """Run extraction over a stream of articles; results in input order for any ``jobs``."""
    results: list[tuple[Article, pd.DataFrame, pd.DataFrame, Skipped | None]] = []
    chunks = _chunks(articles, skipped, _CHUNK)
    if jobs <= 1:
        for chunk in chunks:
            for a in chunk:
                r, p, s = _extract_one(a, gaz, lex)
                results.append((a, r, p, s))
                on_article(1)
        return results
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(geonames, actors)) as pool:
        pending = []
        for chunk in chunks:
            pending.append((chunk, pool.submit(_extract_chunk, chunk)))
            while len(pending) > jobs * 4:  # bounded window: memory stays flat on big corpora
                c, fut = pending.pop(0)
                for a, (r, p, s) in zip(c, fut.result()):
                    results.append((a, r, p, s))
                on_article(len(c))
        for c, fut in pending:
            for a, (r, p, s) in zip(c, fut.result()):
                results.append((a, r, p, s))
            on_article(len(c))
    return results



# ---------------------------------------------------------------------------- lenient inputs

_GEONAMES_FIX = ("A GeoNames dump has 19 tab-separated columns and decimal-degree coordinates; "
                 "fix or delete the line (the other rows were used)")


def _clean_geonames(path: Path, into: Path) -> tuple[Path, list[Skipped]]:
    """A copy of a GeoNames dump without its malformed rows, and one record per dropped row."""
    import gzip
    import math

    opener = gzip.open if path.suffix == ".gz" else open
    problems: list[Skipped] = []
    clean = into / "geonames-clean.txt"
    with opener(path, "rt", encoding="utf-8", errors="strict", newline="") as src, \
            clean.open("w", encoding="utf-8", newline="") as dst:
        for lineno, line in enumerate(src, 1):
            body = line.rstrip("\r\n")
            if not body or body.startswith("#"):
                continue
            cols = body.split("\t")
            why = None
            if len(cols) != 19:
                why = f"{len(cols)} columns, expected 19"
            else:
                try:
                    lat, lon = float(cols[4]), float(cols[5])
                    if math.isnan(lat + lon) or not (-90 <= lat <= 90 and -180 <= lon <= 180):
                        why = f"coordinates out of range ({cols[4]}, {cols[5]})"
                except ValueError:
                    why = f"bad coordinates {cols[4]!r}, {cols[5]!r}"
            if why:
                problems.append(Skipped(f"--geonames {path}, line {lineno}", f"malformed row skipped: {why}", _GEONAMES_FIX))
            else:
                dst.write(body + "\n")
    return clean, problems


def _load_gazetteer_lenient(geonames, workdir: Path, skipped: list[Skipped]):
    """The gazetteer; a GeoNames dump's malformed rows are skipped and recorded, not fatal.

    Returns (gazetteer, the dump path the extraction workers should load).
    """
    if not geonames:
        return _load_gazetteer(None), None
    try:
        return _load_gazetteer(str(geonames)), str(geonames)
    except GazetteerError as exc:
        if "malformed row" not in str(exc):
            raise  # missing, not UTF-8, no places at all: nothing sensible to go on with
    clean, problems = _clean_geonames(Path(geonames), workdir)
    skipped.extend(problems)
    return _load_gazetteer(str(clean)), str(clean)


def _load_lexicon_lenient(actors, skipped: list[Skipped]):
    """The actor lexicon; a user file with bad rows is recorded and the default lexicon used."""
    if not actors:
        return _load_lexicon(None), None
    try:
        return _load_lexicon(str(actors)), str(actors)
    except InputError as exc:
        skipped.append(Skipped(f"--actors {actors}", f"not used: {exc}",
                               "Fix the rows named above (actors must be one of "
                               f"{', '.join(ACTORS)}); the built-in actor names were used"))
        return _load_lexicon(None), None


def _screen_articles(stream, *, today: dt.date, skipped: list[Skipped]):
    """Articles with a publication date in the future lose that date (recorded)."""
    import dataclasses

    from mapper.dates import parse_header_date

    for item in stream:
        if isinstance(item, Article) and item.published is not None and item.published > today:
            header = parse_header_date(item.text) if item.date_source != "header" else None
            if header is not None and header > today:
                header = None
            skipped.append(Skipped(
                item.path or item.id, f"{item.id}: published date {item.published.isoformat()} "
                f"({item.date_source}) is in the future",
                "The date was ignored" + (f" and the article's header date {header} used" if header else "")
                + "; correct the publication date", repaired=True))
            item = dataclasses.replace(item, published=header, date_source="header" if header else "none")
        yield item


def _metadata_notes(metadata, articles_seen: set[str]) -> list[Skipped]:
    """Unknown columns of a metadata CSV and its rows naming no input file (recorded, not fatal)."""
    import csv

    from mapper.articles import decode_bytes

    text, _ = decode_bytes(Path(metadata).read_bytes())
    reader = csv.reader(text.splitlines())
    header = [h.strip().lower() for h in next(reader, [])]
    known = {"file", "published", "title", "url", "source", "outlet"}
    notes = []
    unknown = [h for h in header if h and h not in known]
    if unknown:
        notes.append(Skipped(f"--metadata {metadata}", f"unknown column(s) {', '.join(unknown)} ignored",
                             "Use the columns file,published,title,url,source", repaired=True))
    if "file" in header:
        col = header.index("file")
        for lineno, row in enumerate(reader, start=2):
            if len(row) > col and row[col].strip() and Path(row[col].strip()).name not in articles_seen:
                notes.append(Skipped(f"--metadata {metadata}, line {lineno}",
                                     f"names {row[col].strip()!r}, which is not among the input files",
                                     "Check the file name, or add the file to the inputs; the row was ignored",
                                     repaired=True))
    return notes


def _override_notes(overrides, log: list[dict]) -> list[Skipped]:
    """Overrides that matched no event (an unknown or misspelt place, a wrong date)."""
    return [Skipped(f"--overrides {overrides}, line {o['line']}",
                    f"{o['action']} {o.get('place')!r}{' on ' + o['date'] if o.get('date') else ''} matches no event "
                    "(unknown place, or no event of it on that date)",
                    "Check the place_id/place and date against events.csv; the row changed nothing")
            for o in log if o.get("action") in ("drop", "correct") and not o.get("events")]


# ---------------------------------------------------------------------------- build


@contextmanager
def _gpkg_stamp(day):
    """GeoPackages stamped with the data's last date, not the clock: same input, same bytes."""
    try:
        import pyogrio
    except ImportError:  # pragma: no cover - geopandas' fiona engine
        yield
        return
    before = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    stamp = (pd.Timestamp(day) if day is not None else pd.Timestamp("1970-01-01")).strftime("%Y-%m-%dT00:00:00.000Z")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": stamp})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": before})


def _parse_day(value, name: str) -> pd.Timestamp | None:
    if value in (None, ""):
        return None
    try:
        return pd.Timestamp(dt.date.fromisoformat(str(value)))
    except ValueError as exc:
        raise InputError(f"--{name} {value!r}: not a date. Write it as YYYY-MM-DD, e.g. 2017-10-01.") from exc


def _versions() -> dict:
    import folium
    import geopandas
    import numpy
    import pyproj
    import shapely

    return {
        "mapper": __version__, "python": platform.python_version(), "pandas": pd.__version__,
        "numpy": numpy.__version__, "geopandas": geopandas.__version__, "shapely": shapely.__version__,
        "pyproj": pyproj.__version__, "folium": folium.__version__,
    }


def _input_files(inputs: list[Path]) -> list[dict]:
    out = []
    for p in inputs:
        files = sorted(x for x in p.rglob("*") if x.is_file()) if p.is_dir() else [p]
        for f in files:
            try:
                out.append({"path": str(f), "bytes": f.stat().st_size, "sha256": sha256_file(f)})
            except OSError as exc:
                out.append({"path": str(f), "error": exc.strerror or str(exc)})
    return out


def build(
    inputs: Iterable[str | os.PathLike] | str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    metadata: str | os.PathLike | None = None,
    since: str | dt.date | None = None,
    until: str | dt.date | None = None,
    every: str = "week",
    radius_km: float | None = None,
    actor: str = "IS",
    overrides: str | os.PathLike | None = None,
    actors: str | os.PathLike | None = None,
    geonames: str | os.PathLike | None = None,
    self_contained: bool = True,
    jobs: int = 1,
    cdn: bool = False,
    gif: bool = True,
    reference: str | os.PathLike | None = None,
    progress: bool = False,
    engine: str = "local",
    scheduler: str | None = None,
    argv: list[str] | None = None,
) -> BuildResult:
    """Read articles, extract and corroborate events, model territory and write every output.

    Parameters
    ----------
    inputs : path or paths
        ``.txt`` files or folders of them, JSON Lines (``.jsonl``) or CSV files.
    out_dir : path
        Output folder; replaced whole when the run completes.
    metadata : path, optional
        CSV with ``file,published`` giving publication dates for ``.txt`` files.
    since, until : 'YYYY-MM-DD', optional
        Keep events in this window (snapshots too).
    every : {'week', 'month', 'event'}
        Snapshot dates and slider steps: weekly (default), monthly, or every event date.
    radius_km : float, optional
        Reach of a control point; default the calibrated value of :mod:`mapper.territory`.
    actor : str
        The actor whose area maps and summary headline (default ``IS``).
    overrides : path, optional
        Analyst overrides CSV (adds, drops or corrects events; always wins).
    actors : path, optional
        Extra actor lexicon (CSV or YAML).
    geonames : path, optional
        A GeoNames dump to use instead of the packaged gazetteer.
    self_contained : bool
        Kept for compatibility: pages open with no internet unless ``cdn`` is set.
    jobs : int
        Processes for extraction and for the map pages and PNGs; the result is identical for
        any value.
    cdn : bool
        Link Leaflet from its CDN instead of copying it beside the pages.
    gif : bool
        Write ``snapshots.gif`` (frame by frame).

    Returns
    -------
    BuildResult
    """
    from mapper import events as ev_mod
    from mapper import territory

    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    inputs = [Path(p) for p in inputs]
    if not inputs:
        raise InputError("no inputs given: pass article files or folders (e.g. data/examples/articles)")
    missing = [str(p) for p in inputs if not p.exists()]
    if missing and len(missing) == len(inputs):
        raise InputError(f"no such input: {', '.join(missing)}. Check the paths (globs are expanded by the shell).")
    if jobs < 1:
        raise InputError(f"--jobs {jobs}: must be 1 or more")
    if every not in ("event", "week", "month"):
        raise InputError(f"--every {every!r}: choose event, week or month")
    if actor not in ACTORS:
        raise InputError(f"--actor {actor!r}: not a known actor. Choose one of {', '.join(ACTORS)}.")
    if metadata is not None and not Path(metadata).is_file():
        raise InputError(f"--metadata {metadata}: no such file. Pass a CSV with columns file,published.")
    if overrides is not None and not Path(overrides).is_file():
        raise InputError(f"--overrides {overrides}: no such file. Pass a CSV of analyst overrides (see README).")
    since_ts, until_ts = _parse_day(since, "since"), _parse_day(until, "until")
    if since_ts is not None and until_ts is not None and since_ts > until_ts:
        raise InputError(f"--since {since} is after --until {until}: swap them")

    started = dt.datetime.now(dt.UTC)
    timings: dict[str, float] = {}
    skipped: list[Skipped] = [Skipped(str(p), "no such file or folder", "check the path", False) for p in inputs if not p.exists()]
    inputs = [p for p in inputs if p.exists()]

    today = started.date()
    stage = StagedOutput(out_dir)
    with stage, _Progress(progress) as bars, warnings.catch_warnings(record=True) as caught:
        # the run's own warnings are collected into run.json (and re-emitted at the end)
        warnings.simplefilter("always", MapperWarning)
        with _timed(timings, "gazetteer"):
            work = stage.path / ".work"  # scratch files; removed before the swap
            work.mkdir(exist_ok=True)
            gaz, geonames_used = _load_gazetteer_lenient(geonames, work, skipped)
            lex, actors_used = _load_lexicon_lenient(actors, skipped)

        # -- extract ---------------------------------------------------------------------
        with _timed(timings, "extract"):
            task = bars.task("extract")
            if engine == "dask":
                from mapper.distributed import run_extraction

                reports, dask_skipped, places = run_extraction(
                    inputs, engine="dask", scheduler=scheduler, metadata=metadata, gazetteer=gaz, lexicon=lex,
                    with_places=True,
                )
                skipped.extend(dask_skipped)
                n_read = reports["article"].nunique() if len(reports) else 0
                results = []
            else:
                stream = _screen_articles(read_articles(inputs, metadata=metadata), today=today, skipped=skipped)
                results = _extract_all(stream, gaz=gaz, lex=lex, jobs=jobs, geonames=geonames_used,
                                       actors=actors_used, skipped=skipped, on_article=task.advance)
                for _, _, _, s in results:
                    if s is not None:
                        skipped.append(s)
                frames = [r for _, r, _, s in results if s is None and len(r)]
                from mapper.extract import empty_reports as _empty_reports

                reports = pd.concat(frames, ignore_index=True) if frames else _empty_reports()
                pframes = [p for _, _, p, s in results if s is None and len(p)]
                places = pd.concat(pframes, ignore_index=True) if pframes else pd.DataFrame(
                    columns=["article", "name_as_written", "place_id", "place", "country", "lat", "lon", "start", "end"])
                n_read = sum(1 for _, _, _, s in results if s is None)
            task.done()
            undated = [a.id for a, _, _, s in results if s is None and a.published is None]
            if metadata is not None:
                seen = {Path(a.path).name for a, _, _, _ in results if a.path} | {s.input.split(",")[0] for s in skipped}
                seen |= {Path(s.input).name for s in skipped}
                # every input file counts as seen, whichever engine read it
                seen |= {f.name for p in inputs for f in ([p] if p.is_file() else p.rglob("*"))}
                skipped.extend(_metadata_notes(metadata, seen))
        unresolved = []
        if len(places):
            un = places[places["place_id"] == ""]
            for (art, name), _ in un.groupby(["article", "name_as_written"], sort=True):
                unresolved.append({"article": art, "name": name, "reason": "no unambiguous gazetteer match; "
                                   "add a row to data/gazetteer/aliases.csv or pass --geonames with a fuller dump"})

        # -- events ----------------------------------------------------------------------
        with _timed(timings, "events"):
            events = ev_mod.corroborate(reports)
            override_log: list[dict] = []
            if overrides is not None:
                try:
                    overridden = ev_mod.apply_overrides(events, overrides, gazetteer=gaz)
                except InputError as exc:  # recorded; the run goes on without the overrides
                    skipped.append(Skipped(f"--overrides {overrides}", f"not applied: {exc}",
                                           "Fix the rows named above and run again; no override was applied"))
                else:
                    events = overridden
                    override_log = list(events.attrs.get("overrides", []))
                    skipped.extend(_override_notes(overrides, override_log))
            future = events["date"].notna() & (events["date"] > pd.Timestamp(today))
            for _, e in events[future].iterrows():
                skipped.append(Skipped(f"event {e['event_id']} ({e['sources']})",
                                       f"{e['place']} dated {e['date'].date().isoformat()}, in the future; left out",
                                       "Check the article's date or correct it with an analyst override", repaired=True))
            events = events[~future]
            if since_ts is not None:
                events = events[events["date"].isna() | (events["date"] >= since_ts)]
            if until_ts is not None:
                events = events[events["date"].isna() | (events["date"] <= until_ts)]
            events = events.reset_index(drop=True)

        # -- territory -------------------------------------------------------------------
        with _timed(timings, "territory"):
            dated = events[events["date"].notna()]
            control = territory.control_timeline(dated, start=since_ts, end=until_ts)
            if len(dated):
                dates = territory.snapshot_dates(dated, every=every, start=since_ts, end=until_ts)
            else:
                dates = pd.DatetimeIndex([])
            radius = radius_km if radius_km is not None else territory.DEFAULT_RADIUS_KM
            task = bars.task("territory", total=len(dates))
            areas = territory.held_areas(control, gaz.settlements(), dates, radius_km=radius, countries=gaz.countries)
            task.advance(len(dates))
            task.done()

        # -- write -----------------------------------------------------------------------
        out = stage.path
        with _timed(timings, "tables"):
            write_csv(reports, out / "reports.csv")
            write_csv(places, out / "places.csv")
            write_csv(events, out / "events.csv")
            ev_mod.to_geojson(events, out / "events.geojson")
            write_csv(control, out / "control.csv")
            with _gpkg_stamp(dates[-1] if len(dates) else None):
                territory.write_areas(areas, out / "territory.gpkg", None)
            table = pd.DataFrame(areas[[c for c in AREA_COLUMNS if c != "geometry"]])  # spreadsheet-safe too
            table["area_km2"] = table["area_km2"].astype(float).round(1)
            write_csv(table, out / "areas.csv")

        ref = None
        ref_path = Path(reference) if reference else (REFERENCE_CSV if REFERENCE_CSV.is_file() else None)
        if ref_path is not None:
            ref = territory.read_reference(ref_path)

        summary = _summary(reports, events, areas, dates, actor=actor, n_read=n_read, skipped=skipped,
                           unresolved=unresolved, radius=radius, undated=undated)
        with _timed(timings, "maps"):
            from mapper.render import write_site

            site = write_site(out, areas, events, dates, actor=actor, gazetteer=gaz, summary=summary,
                              reference=ref, control=control, jobs=jobs, cdn=cdn, gif=gif,
                              skipped=skipped, progress=bars.task("maps", total=len(dates)).advance)
        summary["snapshot_files"] = site.snapshot_files

        run = {
            "mapper": __version__,
            "started": started.isoformat(timespec="seconds"),
            "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "versions": _versions(),
            "arguments": {
                "argv": argv if argv is not None else sys.argv[1:],
                "inputs": [str(p) for p in inputs], "metadata": str(metadata) if metadata else None,
                "since": str(since) if since else None, "until": str(until) if until else None,
                "every": every, "radius_km": radius, "actor": actor,
                "overrides": str(overrides) if overrides else None, "actors": str(actors) if actors else None,
                "geonames": str(geonames) if geonames else None, "self_contained": self_contained,
                "jobs": jobs, "engine": engine, "cdn": cdn, "gif": gif,
            },
            "inputs": _input_files(inputs) + ([{"path": str(metadata), "sha256": sha256_file(metadata)}] if metadata else []),
            "counts": {k: v for k, v in summary.items() if not isinstance(v, (list, dict))},
            "skipped": [{"input": s.input, "reason": s.reason, "fix": s.fix, "repaired": s.repaired} for s in skipped],
            "unresolved": unresolved,
            "overrides": override_log,
            "undated_articles": undated,
            "undated_events": site.undated,
            "timings_s": timings,
        }
        run["warnings"] = [
            {"category": w.category.__name__, "message": str(w.message)}
            for w in caught if issubclass(w.category, MapperWarning)
        ]
        atomic_write_text(out / "run.json", json.dumps(run, indent=1, ensure_ascii=False, default=str) + "\n")
        import shutil

        shutil.rmtree(work, ignore_errors=True)
        final = stage.commit()

    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return BuildResult(out_dir=final, reports=reports, events=events, control=control, areas=areas, places=places,
                       skipped=skipped, unresolved=unresolved, summary=summary, timings=timings)


def _summary(reports, events, areas, dates, *, actor, n_read, skipped, unresolved, radius, undated) -> dict:
    held = areas[(areas["actor"] == actor) & (areas["state"] == "held")] if len(areas) else areas
    by_date = held.groupby("date")["area_km2"].sum() if len(held) else pd.Series(dtype=float)
    first = by_date.iloc[0] if len(by_date) else 0.0
    last = by_date.iloc[-1] if len(by_date) else 0.0
    return {
        "articles_read": int(n_read),
        "articles_skipped": sum(1 for s in skipped if not s.repaired),
        "inputs_repaired": sum(1 for s in skipped if s.repaired),
        "reports": int(len(reports)),
        "events": int(len(events)),
        "sources": int(reports["article"].nunique()) if len(reports) else 0,
        "unresolved_names": len(unresolved),
        "undated_articles": len(undated),
        "snapshots": len(dates),
        "first_date": dates[0].date().isoformat() if len(dates) else "",
        "last_date": dates[-1].date().isoformat() if len(dates) else "",
        "actor": actor,
        "actor_area_first_km2": round(float(first), 1),
        "actor_area_last_km2": round(float(last), 1),
        "radius_km": radius,
    }
