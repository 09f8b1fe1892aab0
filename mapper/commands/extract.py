"""``mapper places PATH...`` and ``mapper extract PATH...``."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser(
        "places",
        help="list every place mention in articles",
        description="Find and resolve every place name in the articles (offline). One row per "
        "mention: article,name_as_written,place_id,place,country,lat,lon,start,end. Names the "
        "gazetteer cannot resolve are listed with an empty place_id.",
    )
    _inputs(p)
    p.add_argument("--format", choices=["csv", "json"], default="csv")
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    p.set_defaults(func=run_places)

    e = sub.add_parser(
        "extract",
        help="extract dated control-change reports (or corroborated events)",
        description="Read articles and write one row per control-change claim (reports), or with "
        "--events the corroborated events. Skipped inputs are reported on stderr.",
    )
    _inputs(e)
    e.add_argument("--events", action="store_true", help="corroborate reports into events")
    e.add_argument("--format", choices=["csv", "geojson", "jsonl", "gpkg"], default="csv")
    e.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout (required for gpkg)")
    e.add_argument("--actors", metavar="FILE", help="extra actor phrases: CSV 'pattern,actor' or YAML 'actor: [phrases]'")
    e.add_argument("--overrides", metavar="FILE", help="analyst overrides CSV (add/drop/correct events); implies --events")
    e.add_argument("--keep-uncertain", action="store_true", help="keep hypothetical/denied claims with low confidence and a flag")
    e.add_argument("--min-confidence", type=float, default=0.0, metavar="X", help="drop reports below this confidence")
    from mapper.engine_args import add_engine_arguments

    add_engine_arguments(e)
    e.set_defaults(func=run_extract)


def _inputs(p) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH", help=".txt files or folders, .jsonl or .csv corpora")
    p.add_argument("--metadata", metavar="FILE", help="CSV file,published[,title,url] giving dates for .txt files")
    p.add_argument("--geonames", metavar="FILE", help="use a GeoNames dump instead of the packaged gazetteer")
    p.add_argument("--follow-links", action="store_true",
                   help="read what symbolic links inside input folders point to, even outside them")
    p.add_argument("--grammar", metavar="FILE",
                   help="extra extraction grammar (YAML in the format of mapper/extract/grammar.yaml)")


def _gazetteer(args):
    from mapper.workers import load_gazetteer  # loaded once per process

    return load_gazetteer(getattr(args, "geonames", None))


def _check(args) -> None:
    """What can be checked before any work (exit 2, or 3 for a missing optional package)."""
    from mapper.errors import InputError, OutputError

    paths = [Path(p) for p in args.paths]
    missing = [p for p in paths if not p.exists() and not p.is_symlink()]
    if len(missing) == len(paths):
        raise InputError(f"no such input: {', '.join(map(str, missing))}. Check the paths (globs are expanded "
                         "by the shell).")
    for flag in ("metadata", "geonames", "actors", "overrides", "grammar"):
        value = getattr(args, flag, None)
        if value is not None and not Path(value).is_file():
            raise InputError(f"--{flag} {value}: no such file.")
    if getattr(args, "grammar", None):
        from mapper.workers import load_grammar

        load_grammar(args.grammar)  # every problem of the file, before any work (GrammarError)
    if getattr(args, "engine", "local") == "dask":
        from mapper import extras

        extras.require("dask")
    if getattr(args, "output", None):
        out = Path(args.output)
        if out.is_dir():
            raise OutputError(f"-o {out}: is a folder. Give a file name, e.g. -o reports.csv.")
        if not out.absolute().parent.is_dir():
            raise OutputError(f"-o {out}: the folder {out.absolute().parent} does not exist. Create it first.")


def _report_skipped(skipped, command: str) -> int:
    """Print each skipped input; the exit code (1 when an input was skipped, else 0)."""
    for s in skipped:
        print(f"mapper {command}: {s}", file=sys.stderr)
    return 1 if any(not s.repaired for s in skipped) else 0


def _emit_text(text: str, output: str | None) -> None:
    if output:
        from mapper.outputs import atomic_write_text

        atomic_write_text(Path(output), text, create_parent=False)
    else:
        sys.stdout.write(text)


def run_places(args) -> int:
    from mapper.articles import iter_articles
    from mapper.extract import extractor_for, places_frame
    from mapper.outputs import csv_text
    from mapper.workers import load_grammar

    _check(args)
    gaz = _gazetteer(args)
    ex = extractor_for(gaz, grammar=load_grammar(args.grammar))
    skipped: list = []
    rows: list[dict] = []
    for a in iter_articles(args.paths, metadata=args.metadata, skipped=skipped, follow_links=args.follow_links):
        try:
            rows.extend(ex.places(a))
        except Exception as exc:  # noqa: BLE001 - one article never ends the run
            from mapper.articles import Skipped

            skipped.append(Skipped(a.path or a.id, f"{a.id}: place search failed ({type(exc).__name__}: "
                                   f"{str(exc)[:200]})", "Report this article to the project; the others were read"))
    df = places_frame(rows)
    code = _report_skipped(skipped, "places")
    if args.format == "json":
        import pandas as pd  # here, not at import: `mapper geocode` starts without pandas

        recs = [{k: (None if isinstance(v, float) and pd.isna(v) else v) for k, v in r.items()} for r in df.to_dict("records")]
        _emit_text(json.dumps(recs, ensure_ascii=False, indent=1, default=str) + "\n", args.output)
    else:
        _emit_text(csv_text(df), args.output)
    unresolved = int((df["place_id"] == "").sum()) if len(df) else 0
    if unresolved:
        print(f"mapper places: {unresolved} mention(s) without a gazetteer match (empty place_id)", file=sys.stderr)
    return code


def _lexicon(args, skipped: list):
    from mapper.actors import ActorLexicon
    from mapper.articles import Skipped

    if not args.actors:
        return None
    lexicon = ActorLexicon.from_file(args.actors, errors="skip")
    for problem in lexicon.problems:
        where, _, why = problem.partition(": ")
        skipped.append(Skipped(f"--actors {args.actors}, {where}", f"row left out: {why}",
                               "Fix the row; the other rows were used"))
    return lexicon


def run_extract(args) -> int:
    from mapper import events as ev
    from mapper.articles import Skipped, note_duplicates, read_articles
    from mapper.errors import InputError
    from mapper.extract import extract_corpus
    from mapper.outputs import csv_text
    from mapper.workers import load_grammar

    if args.format == "gpkg" and not args.output:
        raise InputError("--format gpkg writes a file: give it with -o FILE.gpkg")
    _check(args)
    skipped: list = []
    lexicon = _lexicon(args, skipped)
    overrides = ev.read_overrides(args.overrides) if args.overrides else None
    gaz = _gazetteer(args)
    if getattr(args, "engine", "local") == "dask" or getattr(args, "reports_parquet", None):
        from mapper.distributed import run_extraction

        df, more = run_extraction(
            args.paths, engine=args.engine, scheduler=args.scheduler, metadata=args.metadata,
            gazetteer=gaz, lexicon=lexicon, reports_parquet=args.reports_parquet,
            blocksize=args.blocksize, keep_uncertain=args.keep_uncertain,
            min_confidence=args.min_confidence, grammar=args.grammar, follow_links=args.follow_links,
        )
        skipped.extend(more)
    else:
        df = extract_corpus(
            note_duplicates(read_articles(args.paths, metadata=args.metadata, follow_links=args.follow_links)), gaz,
            lexicon=lexicon, keep_uncertain=args.keep_uncertain, min_confidence=args.min_confidence,
            skipped=skipped, grammar=load_grammar(args.grammar),
        )
    if args.events or overrides is not None:
        df = ev.corroborate(df)
        if overrides is not None:
            df = ev.apply_overrides(df, overrides, gazetteer=gaz, errors="skip")
            for p in df.attrs.get("override_problems", []):
                skipped.append(Skipped(f"--overrides {args.overrides}, line {p['line']}", f"row not applied: {p['problem']}",
                                       "Fix the row; the other rows were applied"))
            for o in df.attrs.get("overrides", []):
                print(f"mapper extract: override line {o['line']}: {o['action']} {o['place']} {o['date']} ({o['events']} event(s))", file=sys.stderr)
    code = _report_skipped(skipped, "extract")
    if args.format == "csv":
        if args.output:
            ev.to_csv(df, args.output)
        else:
            _emit_text(csv_text(ev._for_text(df)), None)
    elif args.format == "geojson":
        fc = ev.to_geojson(df)
        _emit_text(json.dumps(fc, ensure_ascii=False, indent=1) + "\n", args.output)
    elif args.format == "jsonl":
        lines = [json.dumps(r, ensure_ascii=False, default=str) for r in ev._for_text(df).to_dict("records")]
        _emit_text("".join(line + "\n" for line in lines), args.output)
    else:
        ev.to_gpkg(df, args.output)
    print(f"mapper extract: {len(df)} {'event' if args.events or args.overrides else 'report'}(s)", file=sys.stderr)
    return code
