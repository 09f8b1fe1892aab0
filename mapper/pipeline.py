"""The whole run as stages: articles -> reports -> events -> territory -> maps, written atomically.

BuildConfig                  every option of a build; ``mapper build`` fills one from its flags
build(inputs, out_dir, ...)  -> BuildResult: the run from Python
run(config)                  -> BuildResult: the run of a BuildConfig (what the CLI calls)
BuildResult                  the tables, counts, the run report and where the outputs are

The stages, one function each, in the order :func:`run` calls them:

check(config)                         -> Plan: options, inputs, the output folder and optional
                                         packages checked before any work (InputError, OutputError,
                                         MissingDependencyError: exit 2 or 3, nothing written)
load_lookups(plan, report)            -> Lookups: gazetteer, actor lexicon, overrides; bad rows
                                         of the user's files are recorded and left out
extract_articles(plan, lookups, report) -> Extraction: reports and place mentions, per article
                                         inside its own guard
make_events(plan, extraction, lookups, report) -> events: corroborated, overridden, windowed
model_territory(plan, events, lookups) -> Territory: control timeline, snapshot dates, areas
write_tables(out, ...)                 reports, places, events, control, areas, GeoPackage
render.write_site(out, ...)            maps, figures and the index page (the index page alone,
                                         saying why, when no event is dated)
report.write(out / "run.json")         the :class:`~mapper.runreport.RunReport`

Outputs (see the README) are written into a staging folder beside ``out_dir`` and swapped in
only when complete (:class:`mapper.outputs.StagedOutput`), so a crash never leaves a
half-written folder. One bad article is skipped and recorded, never the end of the run; a
failure of the run itself (a full disk, say) raises :class:`~mapper.errors.RunError` naming
the stage and the cause, and leaves the previous outputs as they were.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import io
import math
import os
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from mapper import resources
from mapper.articles import Article, Skipped, note_duplicates, read_articles
from mapper.errors import GazetteerError, InputError, MapperWarning, RunError
from mapper.memory import release_memory
from mapper.outputs import StagedOutput, check_output_dir, write_csv
from mapper.progress import NullTask, Progress
from mapper.runreport import RunReport
from mapper.schema import ACTORS, AREA_COLUMNS, WGS84
from mapper.spool import RowSpool
from mapper.workers import iter_extracted, load_gazetteer, load_lexicon

if TYPE_CHECKING:  # geopandas is imported where it is used (start-up time)
    import geopandas as gpd

    from mapper.areas import AreaStore

__all__ = ["BuildConfig", "BuildResult", "DEMO_DIR", "build", "demo_inputs", "run"]
#: the demo corpus (``data/examples``; package data in an installed wheel)
DEMO_DIR = resources.examples_dir()
_EVERY = ("event", "week", "month")
_ENGINES = ("local", "dask")


def demo_inputs() -> tuple[list[Path], Path]:
    """The bundled demo corpus: (article paths, metadata CSV)."""
    return resources.demo_inputs()


# ---------------------------------------------------------------------------- configuration


@dataclass(frozen=True, kw_only=True)
class BuildConfig:
    """Every option of a build; :func:`run` takes one, ``mapper build`` makes one from its flags.

    See :func:`build` for the meaning of each field. ``force`` allows replacing a non-empty
    output folder that mapper did not write; ``follow_links`` reads what symbolic links inside
    an input folder point to even outside it.
    """

    inputs: tuple[Path, ...]
    out_dir: Path
    metadata: Path | None = None
    since: str | dt.date | None = None
    until: str | dt.date | None = None
    every: str = "week"
    radius_km: float | None = None
    actor: str = "IS"
    overrides: Path | None = None
    actors: Path | None = None
    geonames: Path | None = None
    self_contained: bool = True
    jobs: int = 1
    cdn: bool = False
    gif: bool = True
    grammar: Path | None = None
    reference: Path | None = None
    engine: str = "local"
    scheduler: str | None = None
    force: bool = False
    follow_links: bool = False
    progress: bool = False
    argv: tuple[str, ...] | None = None

    @classmethod
    def create(cls, inputs: Iterable[str | os.PathLike] | str | os.PathLike, out_dir: str | os.PathLike,
               **options) -> BuildConfig:
        """A config from plain values (paths as strings, a single input or several)."""
        if isinstance(inputs, (str, os.PathLike)):
            inputs = [inputs]
        paths = ("metadata", "overrides", "actors", "geonames", "reference", "grammar")
        for key in paths:
            if options.get(key) is not None:
                options[key] = Path(options[key])
        if options.get("argv") is not None:
            options["argv"] = tuple(options["argv"])
        return cls(inputs=tuple(Path(p) for p in inputs), out_dir=Path(out_dir), **options)

    @classmethod
    def from_args(cls, args, *, inputs: Iterable[str | os.PathLike], metadata=None,
                  out_dir: str | os.PathLike, progress: bool = False,
                  argv: Iterable[str] | None = None) -> BuildConfig:
        """The config of ``mapper build`` / ``mapper demo`` from parsed arguments.

        Every option field of the config is read from the attribute of the same name.
        """
        names = {f.name for f in dataclasses.fields(cls)} - {"inputs", "out_dir", "metadata", "progress", "argv"}
        options = {n: getattr(args, n) for n in names if hasattr(args, n)}
        return cls.create(inputs, out_dir, metadata=metadata, progress=progress,
                          argv=None if argv is None else list(argv), **options)

    def arguments(self) -> dict:
        """The options as ``run.json`` records them."""
        def text(v):
            return str(v) if v not in (None, "") else None

        return {
            "argv": list(self.argv) if self.argv is not None else None,
            "inputs": [str(p) for p in self.inputs], "metadata": text(self.metadata),
            "since": text(self.since), "until": text(self.until), "every": self.every,
            "radius_km": self.radius_km, "actor": self.actor, "overrides": text(self.overrides),
            "actors": text(self.actors), "geonames": text(self.geonames),
            "self_contained": self.self_contained, "jobs": self.jobs, "engine": self.engine,
            "cdn": self.cdn, "gif": self.gif, "grammar": text(self.grammar),
            "force": self.force, "follow_links": self.follow_links,
        }


@dataclass
class Plan:
    """A checked config: what :func:`check` found, ready to run."""

    config: BuildConfig
    inputs: list[Path]
    missing: list[Path]
    out_dir: Path
    since: pd.Timestamp | None
    until: pd.Timestamp | None
    radius_km: float
    today: dt.date
    started: dt.datetime


@dataclass
class Lookups:
    gazetteer: object
    lexicon: object
    geonames_used: str | None
    actors_used: str | None
    overrides: object | None  # mapper.events.Overrides
    grammar: object | None = None  # mapper.extract.Grammar


@dataclass
class Extraction:
    reports: RowSpool  # the reports, on disk in parts (read back part by part, never whole)
    places: RowSpool  # the place mentions, on disk in parts (they outnumber reports tenfold)
    n_read: int
    undated: list[str]
    read_names: set[str] = field(default_factory=set)
    unresolved: list[dict] = field(default_factory=list)
    sources: int = 0  # articles that gave at least one report


@dataclass
class Territory:
    """The territory stage's result. ``areas`` is the light areas table (``AREA_COLUMNS``
    without ``geometry``; ``attrs`` as ``held_areas`` sets them); the polygons are in
    ``store`` (an ``AreaStore`` on disk), which the tables and maps read back."""

    control: pd.DataFrame
    dates: pd.DatetimeIndex
    areas: pd.DataFrame
    radius_km: float
    store: AreaStore | None = None


@dataclass
class BuildResult:
    """What a build produced: tables, counts, problems and the output folder."""

    out_dir: Path
    events: pd.DataFrame
    control: pd.DataFrame
    area_table: pd.DataFrame
    skipped: list[Skipped] = field(default_factory=list)
    unresolved: list[dict] = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)
    report: RunReport | None = None

    @property
    def exit_code(self) -> int:
        """0 done; 1 done with skipped inputs (listed in run.json) or without a map (no dated event)."""
        if self.report is not None:
            return self.report.exit_code
        return 1 if any(not s.repaired for s in self.skipped) else 0

    @property
    def index(self) -> Path:
        return self.out_dir / "index.html"

    @property
    def reports(self) -> pd.DataFrame:
        """Every report (``reports.csv``), read from the output when first asked for: a build
        never holds them all in memory."""
        got = self.__dict__.get("_reports")
        if got is None:
            from mapper import events as ev_mod
            from mapper.extract import empty_reports

            path = self.out_dir / "reports.csv"
            got = self.__dict__["_reports"] = ev_mod.read_csv(path) if path.is_file() else empty_reports()
        return got

    @property
    def areas(self) -> gpd.GeoDataFrame:
        """The held areas with their polygons (``territory.gpkg``, as ``held_areas`` returns
        them), read from the output when first asked for: a build holds only
        :attr:`area_table` (the same rows without polygons) in memory."""
        got = self.__dict__.get("_areas")
        if got is None:
            got = self.__dict__["_areas"] = _read_areas(self.out_dir / "territory.gpkg", self.area_table)
        return got

    @property
    def places(self) -> pd.DataFrame:
        """Every place mention (``places.csv``), read from the output when first asked for:
        a build never holds them all in memory."""
        got = self.__dict__.get("_places")
        if got is None:
            from mapper.extract import places_frame
            from mapper.outputs import read_csv

            path = self.out_dir / "places.csv"
            df = read_csv(path) if path.is_file() else places_frame([])
            for c in ("lat", "lon"):
                df[c] = pd.to_numeric(df[c].replace("", None), errors="coerce").astype("float64")
            for c in ("start", "end"):
                df[c] = pd.to_numeric(df[c], errors="coerce").fillna(0).astype("int64")
            got = self.__dict__["_places"] = df
        return got

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


# ---------------------------------------------------------------------------- stage 1: check


def _parse_day(value, name: str) -> pd.Timestamp | None:
    if value in (None, ""):
        return None
    try:
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
        return pd.Timestamp(day)
    except (ValueError, OverflowError, pd.errors.OutOfBoundsDatetime) as exc:
        raise InputError(f"--{name} {value!r}: not a date. Write it as YYYY-MM-DD, e.g. 2017-10-01.") from exc


def _user_file(path: Path | None, flag: str, what: str) -> None:
    if path is not None and not path.is_file():
        kind = "a folder" if path.is_dir() else "no such file"
        raise InputError(f"{flag} {path}: {kind}. Pass {what}.")


def check(config: BuildConfig) -> Plan:
    """Stage 1: everything that can be checked before any work, checked.

    Raises
    ------
    InputError
        A bad option or no usable input (exit 2).
    OutputError
        An output folder mapper may not replace or cannot write (exit 2); see
        :func:`mapper.outputs.check_output_dir`.
    MissingDependencyError
        An optional package an option needs is not installed (exit 3).
    """
    from mapper import extras
    from mapper.territory import DEFAULT_RADIUS_KM

    c = config
    inputs = list(c.inputs)
    if not inputs:
        raise InputError("no inputs given: pass article files or folders (e.g. data/examples/articles)")
    missing = [p for p in inputs if not p.exists() and not p.is_symlink()]
    if len(missing) == len(inputs):
        raise InputError(f"no such input: {', '.join(map(str, missing))}. Check the paths (globs are expanded by the shell).")
    if not isinstance(c.jobs, int) or c.jobs < 1:
        raise InputError(f"--jobs {c.jobs}: must be 1 or more")
    if c.every not in _EVERY:
        raise InputError(f"--every {c.every!r}: choose event, week or month")
    if c.engine not in _ENGINES:
        raise InputError(f"--engine {c.engine!r}: choose local or dask")
    if c.actor not in ACTORS:
        raise InputError(f"--actor {c.actor!r}: not a known actor. Choose one of {', '.join(ACTORS)}.")
    if c.radius_km is not None and not (isinstance(c.radius_km, (int, float)) and math.isfinite(c.radius_km) and c.radius_km > 0):
        raise InputError(f"--radius-km {c.radius_km}: must be a positive number of kilometres, e.g. 40.")
    _user_file(c.metadata, "--metadata", "a CSV with columns file,published")
    _user_file(c.overrides, "--overrides", "a CSV of analyst overrides (see README)")
    _user_file(c.actors, "--actors", "a CSV 'pattern,actor' or a YAML 'actor: [phrases]' file")
    _user_file(c.geonames, "--geonames", "a GeoNames dump (SY.txt, IQ.txt or allCountries.txt)")
    _user_file(c.reference, "--reference", "a CSV with columns date,area_km2,source")
    _user_file(c.grammar, "--grammar", "a YAML grammar in the format of mapper/extract/grammar.yaml")
    if c.grammar is not None:
        from mapper.workers import load_grammar

        load_grammar(str(c.grammar))  # every problem of the file, before any work (GrammarError)
    since, until = _parse_day(c.since, "since"), _parse_day(c.until, "until")
    if since is not None and until is not None and since > until:
        raise InputError(f"--since {c.since} is after --until {c.until}: swap them")
    if c.engine == "dask":
        extras.require("dask")
    if not c.cdn:
        extras.require("offline")
    files = [*inputs, *(p for p in (c.metadata, c.overrides, c.actors, c.geonames, c.reference, c.grammar)
                        if p is not None)]
    out = check_output_dir(c.out_dir, inputs=[p for p in files if p.exists()], force=c.force)
    started = dt.datetime.now(dt.UTC)
    return Plan(config=c, inputs=[p for p in inputs if p not in missing], missing=missing, out_dir=out,
                since=since, until=until,
                radius_km=float(c.radius_km) if c.radius_km is not None else DEFAULT_RADIUS_KM,
                today=started.date(), started=started)


# ---------------------------------------------------------------------------- stage 2: lookups


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


def _load_gazetteer_lenient(geonames, workdir: Path, report: RunReport):
    """The gazetteer; a GeoNames dump's malformed rows are skipped and recorded, not fatal.

    Returns (gazetteer, the dump path the extraction workers should load).
    """
    if not geonames:
        return load_gazetteer(None), None
    report.add_file(geonames, role="geonames")
    try:
        return load_gazetteer(str(geonames)), str(geonames)
    except GazetteerError as exc:
        if "malformed row" not in str(exc):
            raise  # missing, not UTF-8, no places at all: nothing sensible to go on with
    clean, problems = _clean_geonames(Path(geonames), workdir)
    for p in problems:
        report.skip(p)
    return load_gazetteer(str(clean)), str(clean)


def load_lookups(plan: Plan, report: RunReport, *, workdir: Path) -> Lookups:
    """Stage 2: the gazetteer, the actor lexicon and the overrides, each file checked whole.

    A user file's bad rows are recorded (one record per row, with the fix) and the run goes
    on without them; a file that cannot be used at all is recorded the same way.
    """
    from mapper.actors import ActorLexicon
    from mapper.events import read_overrides

    c = plan.config
    gaz, geonames_used = _load_gazetteer_lenient(c.geonames, workdir, report)
    lexicon, actors_used = ActorLexicon.default(), None
    if c.actors is not None:
        report.add_file(c.actors, role="actors", encoding=_encoding_of(c.actors))
        try:
            lexicon = load_lexicon(str(c.actors))
            actors_used = str(c.actors)
        except InputError as exc:
            report.skip(Skipped(f"--actors {c.actors}", f"not used: {exc}",
                                f"Fix the file (actors must be one of {', '.join(ACTORS)}); the built-in actor "
                                "names were used"))
        for problem in getattr(lexicon, "problems", []):
            where, _, why = problem.partition(": ")
            report.skip(Skipped(f"--actors {c.actors}, {where}", f"row left out: {why}",
                                f"Fix the row (actors must be one of {', '.join(ACTORS)}); the other rows were used"))
    overrides = None
    if c.overrides is not None:
        try:
            overrides = read_overrides(c.overrides)
        except InputError as exc:
            report.skip(Skipped(f"--overrides {c.overrides}", f"not applied: {exc}",
                                "Fix the file and run again; no override was applied"))
        else:
            from mapper.articles import InputFile

            report.files.files.append(InputFile(str(c.overrides), "overrides", overrides.size, overrides.sha256,
                                                overrides.encoding))
    from mapper.workers import load_grammar

    grammar = load_grammar(str(c.grammar) if c.grammar is not None else None)
    if c.grammar is not None:
        report.add_file(c.grammar, role="grammar", encoding=_encoding_of(c.grammar))
    return Lookups(gaz, lexicon, geonames_used, actors_used, overrides, grammar)


def _encoding_of(path: Path) -> str:
    from mapper.textio import decode_bytes

    try:
        return decode_bytes(path.read_bytes())[1]
    except OSError:
        return ""


# ---------------------------------------------------------------------------- stage 3: extract


def _screen(stream, *, today: dt.date, report: RunReport) -> Iterator[Article | Skipped]:
    """Each item of the reader, checked on its own: a publication date in the future is dropped
    (recorded), and whatever fails here skips that article only."""
    from mapper.dates import parse_header_date

    for item in stream:
        try:
            if isinstance(item, Article) and item.published is not None and item.published > today:
                header = parse_header_date(item.text) if item.date_source != "header" else None
                if header is not None and header > today:
                    header = None
                report.skip(Skipped(
                    item.path or item.id, f"{item.id}: published date {item.published.isoformat()} "
                    f"({item.date_source}) is in the future",
                    "The date was ignored" + (f" and the article's header date {header} used" if header else "")
                    + "; correct the publication date", repaired=True))
                item = dataclasses.replace(item, published=header, date_source="header" if header else "none")
        except Exception as exc:  # noqa: BLE001 - one article never ends the run
            item = Skipped(getattr(item, "path", "") or str(getattr(item, "id", "?")),
                           f"could not be screened ({type(exc).__name__}: {str(exc)[:200]})",
                           "Check this article; the others were processed")
        yield item


def _metadata_notes(metadata, articles_seen: set[str]) -> list[Skipped]:
    """Unknown columns of a metadata CSV and its rows naming no input file (recorded, not fatal)."""
    from mapper.textio import clean_text, csv_records, decode_bytes

    text = clean_text(decode_bytes(Path(metadata).read_bytes())[0])[0]
    records = csv_records(io.StringIO(text, newline=""), ",")
    first = next(records, None)
    header = [h.strip().lower() for h in (first[1] if first else [])]
    known = {"file", "published", "title", "url", "source", "outlet"}
    notes = []
    unknown = [h for h in header if h and h not in known]
    if unknown:
        notes.append(Skipped(f"--metadata {metadata}", f"unknown column(s) {', '.join(unknown)} ignored",
                             "Use the columns file,published,title,url,source", repaired=True))
    if "file" in header:
        col = header.index("file")
        for lineno, row, error in records:
            if error or len(row) <= col or not row[col].strip():
                continue
            if Path(row[col].strip()).name not in articles_seen:
                notes.append(Skipped(f"--metadata {metadata}, line {lineno}",
                                     f"names {row[col].strip()!r}, which is not among the input files",
                                     "Check the file name, or add the file to the inputs; the row was ignored",
                                     repaired=True))
    return notes


def _empty_places() -> pd.DataFrame:
    from mapper.extract import PLACE_COLUMNS_OUT

    return pd.DataFrame(columns=PLACE_COLUMNS_OUT)


def extract_articles(plan: Plan, lookups: Lookups, report: RunReport, *, bars=None,
                     workdir: Path | None = None) -> Extraction:
    """Stage 3: read every input and extract its reports and place mentions.

    Reading, screening and extraction of each record run inside their own guard: a record
    that fails is skipped with its reason (in ``run.json`` and on stderr) and the run goes on.
    Results stream: each article's rows go to spools on disk (``workdir``) as the article
    finishes, so memory does not grow with the corpus; the reports are read back as one
    table for the events stage, the place mentions stay on disk until ``places.csv``.
    """
    import tempfile

    from mapper.extract import places_frame, reports_frame

    c = plan.config
    if workdir is None:
        workdir = Path(tempfile.mkdtemp(prefix="mapper-extract-"))
    report_spool = RowSpool(workdir / "reports", reports_frame)
    place_spool = RowSpool(workdir / "places", places_frame, part_rows=50_000)
    for p in plan.missing:
        report.skip(Skipped(str(p), "no such file or folder", "Check the path"))
    task = bars.task("extract") if bars is not None else NullTask()
    undated: list[str] = []
    seen: set[str] = set()
    unresolved: dict[tuple[str, str], None] = {}
    if c.engine == "dask":
        from mapper.distributed import run_extraction

        reports, dask_skipped, places = run_extraction(
            plan.inputs, engine="dask", scheduler=c.scheduler, metadata=c.metadata,
            gazetteer=lookups.gazetteer, lexicon=lookups.lexicon, with_places=True, grammar=c.grammar,
        )
        for s in dask_skipped:
            report.skip(s)
        for f in _listed_files(plan.inputs, follow_links=c.follow_links):
            report.add_file(f, role="articles", encoding="")
        if c.metadata is not None:
            report.add_file(c.metadata, role="metadata", encoding=_encoding_of(c.metadata))
        n_read = reports["article"].nunique() if len(reports) else 0
        sources = set(reports["article"]) if len(reports) else set()
        report_spool.add_frame(reports)
        place_spool.add_frame(places)
        for art, name in places.loc[places["place_id"] == "", ["article", "name_as_written"]].itertuples(index=False):
            unresolved[(art, name)] = None
    else:
        stream = _screen(note_duplicates(read_articles(plan.inputs, metadata=c.metadata, follow_links=c.follow_links,
                                                       log=report.files)), today=plan.today, report=report)
        n_read = 0
        sources = set()
        for a, rows, prows, s in iter_extracted(
                stream, gaz=lookups.gazetteer, lex=lookups.lexicon, jobs=c.jobs, geonames=lookups.geonames_used,
                actors=lookups.actors_used, grammar=lookups.grammar,
                grammar_path=str(c.grammar) if c.grammar else None, on_skipped=report.skip,
                on_article=task.advance):
            if a.path:
                seen.add(Path(a.path).name)
            if s is not None:
                report.skip(s)
                continue
            n_read += 1
            if a.published is None:
                undated.append(a.id)
            if rows:
                sources.add(a.id)
            report_spool.extend(rows)
            place_spool.extend(prows)
            for r in prows:
                if r["place_id"] == "":
                    unresolved[(r["article"], r["name_as_written"])] = None
    task.done()
    report_spool.flush()
    if c.metadata is not None:
        seen |= {Path(f.path).name for f in report.files.files}
        seen |= {s.input.split(",")[0] for s in report.skipped} | {Path(s.input).name for s in report.skipped}
        for note in _metadata_notes(c.metadata, seen):
            report.skip(note)
    unresolved_rows = [{"article": art, "name": name, "reason": _UNRESOLVED_REASON}
                       for art, name in sorted(unresolved)]
    return Extraction(reports=report_spool, places=place_spool, n_read=int(n_read), undated=undated,
                      unresolved=unresolved_rows, sources=len(sources))


def _listed_files(inputs: list[Path], *, follow_links: bool) -> list[Path]:
    from mapper.articles import _expand

    return [p for p in _expand(inputs, follow_links=follow_links) if isinstance(p, Path) and p.is_file()]


_UNRESOLVED_REASON = ("no unambiguous gazetteer match; add a row to data/gazetteer/aliases.csv or pass "
                      "--geonames with a fuller dump")


# ---------------------------------------------------------------------------- stage 4: events


def _override_notes(overrides, log: list[dict]) -> list[Skipped]:
    """Overrides that matched no event (an unknown or misspelt place, a wrong date)."""
    return [Skipped(f"--overrides {overrides}, line {o['line']}",
                    f"{o['action']} {o.get('place')!r}{' on ' + o['date'] if o.get('date') else ''} matches no event "
                    "(unknown place, or no event of it on that date)",
                    "Check the place_id/place and date against events.csv; the row changed nothing")
            for o in log if o.get("action") in ("drop", "correct") and not o.get("events")]


def make_events(plan: Plan, extraction: Extraction, lookups: Lookups, report: RunReport) -> pd.DataFrame:
    """Stage 4: corroborate reports into events, apply the overrides, keep the study window.

    Overrides rows that are malformed were found when the file was read; they are recorded
    here, one record per row, and the other rows are applied.
    """
    from mapper import events as ev_mod

    c = plan.config
    # out of core: buckets of whole places beside the spooled reports, one bucket in memory at once
    events = ev_mod.corroborate_parts(extraction.reports.parts, workdir=extraction.reports.folder.parent / "buckets")
    if lookups.overrides is not None:
        events = ev_mod.apply_overrides(events, lookups.overrides, gazetteer=lookups.gazetteer, errors="skip")
        for p in events.attrs.get("override_problems", []):
            report.skip(Skipped(f"--overrides {c.overrides}, line {p['line']}", f"row not applied: {p['problem']}",
                                "Fix the row and run again; the other rows were applied"))
        report.overrides = list(events.attrs.get("overrides", []))
        for note in _override_notes(c.overrides, report.overrides):
            report.skip(note)
    future = events["date"].notna() & (events["date"] > pd.Timestamp(plan.today))
    for _, e in events[future].iterrows():
        report.skip(Skipped(f"event {e['event_id']} ({e['sources']})",
                            f"{e['place']} dated {e['date'].date().isoformat()}, in the future; left out",
                            "Check the article's date or correct it with an analyst override", repaired=True))
    events = events[~future]
    n = len(events)
    if plan.since is not None:
        events = events[events["date"].isna() | (events["date"] >= plan.since)]
    if plan.until is not None:
        events = events[events["date"].isna() | (events["date"] <= plan.until)]
    report.outside_window = n - len(events)
    return events.reset_index(drop=True)


# ---------------------------------------------------------------------------- stage 5: territory


def model_territory(plan: Plan, events: pd.DataFrame, lookups: Lookups, *, bars=None,
                    workdir: Path | None = None) -> Territory:
    """Stage 5: control timeline per place, snapshot dates and held areas per date.

    The held areas are written date by date to an ``AreaStore`` (its file in ``workdir``, by
    default the system's temporary folder): memory holds one date's polygons at a time and
    the light table of every date.
    """
    from mapper import territory

    c = plan.config
    dated = events[events["date"].notna()]
    control = territory.control_timeline(dated, start=plan.since, end=plan.until)
    if len(dated):
        dates = territory.snapshot_dates(dated, every=c.every, start=plan.since, end=plan.until)
    else:
        dates = pd.DatetimeIndex([])
    task = bars.task("territory", total=len(dates)) if bars is not None else NullTask()
    store = territory.spool_held_areas(control, lookups.gazetteer.settlements(), dates, workdir=workdir,
                                       radius_km=plan.radius_km, countries=lookups.gazetteer.countries,
                                       progress=task.advance)
    task.done()
    areas = store.table.drop(columns="geom")
    return Territory(control=control, dates=dates, areas=areas, radius_km=plan.radius_km, store=store)


def _no_map_reason(plan: Plan, extraction: Extraction, events: pd.DataFrame, terr: Territory,
                   outside_window: int) -> str | None:
    """Why no map can be drawn (None when there is one)."""
    if len(terr.dates):
        return None
    if extraction.n_read == 0:
        return "no article could be read: every input was skipped (the reasons are listed below and in run.json)"
    if len(extraction.reports) == 0:
        return (f"no control change was found in the {extraction.n_read} article(s) read, so there is "
                "nothing to map")
    if len(events) and events["date"].notna().any():
        return "no snapshot date fell inside the study window"
    window = " ".join(x for x in (f"--since {plan.config.since}" if plan.since is not None else "",
                                  f"--until {plan.config.until}" if plan.until is not None else "") if x)
    if outside_window and window:
        return (f"no dated event inside {window} ({outside_window} dated event(s) fall outside it); "
                "widen the window to draw a map")
    return ("no event has a date: the articles give no publication date and their text no usable date. "
            "Give dates with --metadata (file,published) or the records' 'published' field")


def _undated_evidence(events: pd.DataFrame, limit: int = 50) -> list[dict]:
    rows = events[events["date"].isna()].head(limit)
    return [{"place": r["place"], "event_type": r["event_type"], "sources": r["sources"],
             "evidence": r["evidence"]} for _, r in rows.iterrows()]


# ---------------------------------------------------------------------------- stage 6: tables


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


def write_tables(out: Path, extraction: Extraction, events: pd.DataFrame, terr: Territory) -> None:
    """Stage 6: every table, spreadsheet-safe and atomic."""
    from mapper import events as ev_mod
    from mapper import territory

    _write_csv_parts(extraction.reports.parts(), out / "reports.csv")
    _write_csv_parts(extraction.places.parts(), out / "places.csv")
    # the corpus' tables a part at a time: whole, their text (and a GeoJSON's dicts) would
    # take several times the table
    _write_csv_parts(_row_parts(events), out / "events.csv")
    ev_mod.write_geojson(events, out / "events.geojson")
    _write_csv_parts(_row_parts(terr.control), out / "control.csv")
    with _gpkg_stamp(terr.dates[-1] if len(terr.dates) else None):
        territory.write_areas(terr.store if terr.store is not None else terr.areas, out / "territory.gpkg", None)
    table = pd.DataFrame(terr.areas[[c for c in AREA_COLUMNS if c != "geometry"]])
    table["area_km2"] = table["area_km2"].astype(float).round(1)
    write_csv(table, out / "areas.csv")


def _read_areas(path: Path, table: pd.DataFrame) -> gpd.GeoDataFrame:
    """``territory.gpkg`` as the areas GeoDataFrame (``AREA_COLUMNS``, dates as timestamps,
    ``attrs`` of ``table``); an empty table when the file is missing or has no rows."""
    import geopandas as gpd

    from mapper.areas import _to_wgs84_rows

    if not len(table) or not path.is_file():
        out = _to_wgs84_rows([], WGS84)
    else:
        got = gpd.read_file(path, layer="territory")
        out = _to_wgs84_rows(got[AREA_COLUMNS].to_dict("records"), WGS84)
    out.attrs = dict(table.attrs)
    return out


def _row_parts(df: pd.DataFrame, rows: int = 20_000) -> Iterator[pd.DataFrame]:
    """``df`` a slice of ``rows`` rows at a time (at least one part, for the header)."""
    yield df.iloc[:rows]
    for start in range(rows, len(df), rows):
        yield df.iloc[start:start + rows]


def _write_csv_parts(parts, path: Path) -> None:
    """A CSV written part by part (the header once), spreadsheet-safe, atomically
    (``outputs.atomic_write``); inside the staging folder, so the file appears only with the
    whole run."""
    from mapper import outputs

    def write(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            for i, part in enumerate(parts):
                fh.write(outputs.csv_text(part, header=i == 0))

    outputs.atomic_write(path, write)


# ---------------------------------------------------------------------------- the run


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
    grammar: str | os.PathLike | None = None,
    reference: str | os.PathLike | None = None,
    progress: bool = False,
    engine: str = "local",
    scheduler: str | None = None,
    force: bool = False,
    follow_links: bool = False,
    argv: list[str] | None = None,
) -> BuildResult:
    """Read articles, extract and corroborate events, model territory and write every output.

    Parameters
    ----------
    inputs : path or paths
        ``.txt`` files or folders of them, JSON Lines (``.jsonl``) or CSV files.
    out_dir : path
        Output folder; replaced whole when the run completes. It must be new, empty or an
        earlier output of mapper (it holds ``.mapper-output``) unless ``force``; never the
        current folder, a home folder, a root or a folder holding an input.
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
        Analyst overrides CSV (adds, drops or corrects events; always wins). Bad rows are
        recorded and left out.
    actors : path, optional
        Extra actor lexicon (CSV or YAML). Bad rows are recorded and left out.
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
    grammar : path, optional
        A grammar file (``mapper/extract/grammar.yaml`` format) extending the packaged one.
    reference : path, optional
        Published area figures for the chart (default: the packaged IHS figures).
    progress : bool
        Progress bars on stderr.
    engine, scheduler
        ``local`` (default) or ``dask`` extraction (needs the ``dask`` extra), and the Dask
        scheduler address.
    force : bool
        Replace a non-empty ``out_dir`` that mapper did not write.
    follow_links : bool
        Follow symbolic links inside input folders that point outside them.
    argv : list of str, optional
        The command line, recorded in ``run.json``.

    Returns
    -------
    BuildResult

    Raises
    ------
    InputError, OutputError
        Before any work: a bad option, no usable input, an output folder that must not be
        replaced (nothing is written).
    MissingDependencyError
        Before any work: an option needs an optional package that is not installed.
    RunError
        The run failed after it started (I/O, a full disk); the previous outputs are intact.
    """
    config = BuildConfig.create(
        inputs, out_dir, metadata=metadata, since=since, until=until, every=every, radius_km=radius_km,
        actor=actor, overrides=overrides, actors=actors, geonames=geonames, self_contained=self_contained,
        jobs=jobs, cdn=cdn, gif=gif, grammar=grammar, reference=reference, progress=progress, engine=engine, scheduler=scheduler, force=force,
        follow_links=follow_links, argv=argv,
    )
    return run(config)


def run(config: BuildConfig) -> BuildResult:
    """Run every stage of a build (see the module docstring); the CLI's ``mapper build``."""
    plan = check(config)
    report = RunReport(started=plan.started, arguments=config.arguments())
    if report.arguments["argv"] is None:
        import sys

        report.arguments["argv"] = sys.argv[1:]
    report.arguments["radius_km"] = plan.radius_km
    stage = StagedOutput(plan.out_dir, run_id=report.run_id)
    with stage, Progress(config.progress) as bars, warnings.catch_warnings(record=True) as caught:
        # the run's own warnings are collected into run.json (and re-emitted at the end)
        warnings.simplefilter("always", MapperWarning)
        work = stage.path / ".work"  # scratch files; removed before the swap
        work.mkdir(exist_ok=True)
        with report.stage("gazetteer"):
            lookups = load_lookups(plan, report, workdir=work)  # a bad --geonames dump: exit 2
        try:
            result = _run_stages(plan, lookups, report, stage, bars, caught)
        except (KeyboardInterrupt, RunError):
            raise
        except Exception as exc:  # noqa: BLE001 - any failure after the work started: exit 3, one line
            raise RunError(_failure(exc, report, plan)) from exc
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return result


def _failure(exc: BaseException, report: RunReport, plan: Plan) -> str:
    """The one-line cause of a failed run: the stage, the error and what was left in place."""
    first = (str(exc).strip().splitlines() or [""])[0]
    why = getattr(exc, "strerror", None) or first or type(exc).__name__
    return (f"the run failed in its '{report.current}' stage ({type(exc).__name__}: {str(why)[:300]}). "
            f"Nothing was replaced: {plan.out_dir} holds its previous outputs, if any. "
            "Fix the cause (free disk space, check permissions) and run again.")


def _run_stages(plan: Plan, lookups: Lookups, report: RunReport, stage: StagedOutput, bars, caught) -> BuildResult:
    c = plan.config
    out = stage.path
    with report.stage("extract"):
        extraction = extract_articles(plan, lookups, report, bars=bars, workdir=out / ".work")
    report.unresolved = extraction.unresolved
    report.undated = extraction.undated
    with report.stage("events"):
        events = make_events(plan, extraction, lookups, report)
    release_memory()
    with report.stage("territory"):
        terr = model_territory(plan, events, lookups, bars=bars, workdir=out / ".work")
    release_memory()
    report.no_map = _no_map_reason(plan, extraction, events, terr, report.outside_window)
    report.undated_evidence = _undated_evidence(events)
    with report.stage("tables"):
        write_tables(out, extraction, events, terr)
    release_memory()
    ref = None
    ref_path = c.reference if c.reference is not None else resources.reference_file()
    if ref_path is not None and Path(ref_path).is_file():
        from mapper import territory

        ref = territory.read_reference(ref_path)
        report.add_file(ref_path, role="reference")
    skipped = report.skipped
    summary = _summary(len(extraction.reports), extraction.sources, events, terr.areas, terr.dates, actor=c.actor, n_read=extraction.n_read,
                       skipped=skipped, unresolved=report.unresolved, radius=terr.radius_km,
                       undated=extraction.undated)
    if report.no_map:
        summary["no_map"] = report.no_map
        summary["skipped_inputs"] = [str(s) for s in skipped]
        summary["undated_evidence"] = report.undated_evidence
    with report.stage("maps"):
        from mapper.render import write_site

        task = bars.task("maps", total=len(terr.dates))
        site = write_site(out, terr.store if terr.store is not None else terr.areas, events, terr.dates, actor=c.actor, gazetteer=lookups.gazetteer,
                          summary=summary, reference=ref, control=terr.control, jobs=c.jobs, cdn=c.cdn, gif=c.gif,
                          skipped=skipped, progress=task.advance)
        task.done()
    summary["snapshot_files"] = site.snapshot_files
    report.undated_events = list(site.undated)
    report.counts = {k: v for k, v in summary.items() if not isinstance(v, (list, dict))}
    report.warnings = [{"category": w.category.__name__, "message": str(w.message)}
                       for w in caught if issubclass(w.category, MapperWarning)]
    report.write(out / "run.json")
    from mapper.outputs import remove_tree

    if terr.store is not None:
        terr.store.close()
    remove_tree(out / ".work")
    final = stage.commit()
    return BuildResult(out_dir=final, events=events, control=terr.control,
                       area_table=terr.areas, skipped=skipped, unresolved=report.unresolved,
                       summary=summary, timings=report.timings, report=report)


def _summary(n_reports: int, n_sources: int, events, areas, dates, *, actor, n_read, skipped, unresolved, radius,
             undated) -> dict:
    held = areas[(areas["actor"] == actor) & (areas["state"] == "held")] if len(areas) else areas
    by_date = held.groupby("date")["area_km2"].sum() if len(held) else pd.Series(dtype=float)
    # on the first and the last snapshot (an actor with no area left on the last one has 0 km²,
    # not the area of the last date it still had some)
    first = by_date.get(dates[0], 0.0) if len(dates) and len(by_date) else 0.0
    last = by_date.get(dates[-1], 0.0) if len(dates) and len(by_date) else 0.0
    return {
        "articles_read": int(n_read),
        "articles_skipped": sum(1 for s in skipped if not s.repaired),
        "inputs_repaired": sum(1 for s in skipped if s.repaired),
        "reports": int(n_reports),
        "events": int(len(events)),
        "sources": int(n_sources),
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
