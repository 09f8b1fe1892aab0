"""``mapper build`` (articles to maps) and ``mapper demo`` (the bundled demo corpus)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _add_common(p) -> None:
    p.add_argument("--out", default=None, metavar="DIR",
                   help="output folder, replaced whole when the run completes: a new or empty folder, or "
                        "an earlier mapper output (it holds .mapper-output)")
    p.add_argument("--force", action="store_true",
                   help="replace --out even if it holds files mapper did not write (never the current "
                        "folder, a home folder, a root or a folder holding an input)")
    p.add_argument("--follow-links", action="store_true",
                   help="read what symbolic links inside input folders point to, even outside them")
    p.add_argument("--grammar", metavar="FILE",
                   help="extra extraction grammar (YAML in the format of mapper/extract/grammar.yaml)")
    p.add_argument("--since", metavar="YYYY-MM-DD", help="keep events on or after this date")
    p.add_argument("--until", metavar="YYYY-MM-DD", help="keep events on or before this date")
    p.add_argument("--every", choices=["event", "week", "month"], default="week",
                   help="snapshot dates and slider steps: weekly (default), monthly or each event date")
    p.add_argument("--radius-km", type=float, default=None, metavar="R",
                   help="reach of a control point in km (default: the calibrated value, see docs/territory.md)")
    p.add_argument("--actor", default="IS", help="actor whose area the maps headline (default IS)")
    p.add_argument("--overrides", metavar="FILE", help="analyst overrides CSV (adds, drops or corrects events)")
    p.add_argument("--actors", metavar="FILE", help="extra actor names (CSV or YAML)")
    p.add_argument("--geonames", metavar="FILE", help="GeoNames dump to use instead of the packaged gazetteer")
    p.add_argument("--self-contained", action="store_true",
                   help="(the default) copy Leaflet beside the pages so they open with no internet")
    p.add_argument("--cdn", action="store_true",
                   help="link Leaflet from its CDN instead of copying it (pages then need the internet)")
    p.add_argument("--gif", action=argparse.BooleanOptionalAction, default=True,
                   help="write snapshots.gif (default: yes; it is written frame by frame)")
    p.add_argument("--jobs", type=int, default=1, metavar="N",
                   help="processes for extraction and for map rendering (same result for any N)")
    p.add_argument("--reference", metavar="CSV", help="published area figures (date,area_km2,source) for the chart")
    p.add_argument("--quiet", action="store_true", help="no progress bars or summary")
    p.add_argument("--engine", choices=["local", "dask"], default="local", help="extraction engine")
    p.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address (with --engine dask)")


def register(sub) -> None:
    b = sub.add_parser("build", help="articles -> events -> territory -> maps",
                       description="Read articles, extract and corroborate control changes, model held "
                                   "territory and write maps, tables and run.json into --out.")
    b.add_argument("paths", nargs="+", metavar="PATH", help=".txt files or folders, .jsonl or .csv files")
    b.add_argument("--metadata", metavar="FILE", help="CSV with columns file,published for .txt inputs")
    _add_common(b)
    b.set_defaults(func=run_build)

    d = sub.add_parser("demo", help="build the bundled demo corpus (2014-2019) and say where to click")
    _add_common(d)
    d.set_defaults(func=run_demo)


def _run(paths, metadata, args) -> int:
    import warnings

    from mapper.errors import MapperWarning
    from mapper.pipeline import BuildConfig, run

    out = Path(args.out or "mapper-out")
    progress = not args.quiet and sys.stderr.isatty()
    config = BuildConfig.from_args(args, inputs=paths, metadata=metadata, out_dir=out, progress=progress,
                                   argv=sys.argv[1:])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MapperWarning)
        result = run(config)
    for w in caught:
        if issubclass(w.category, MapperWarning):
            print(f"mapper: warning: {w.message}", file=sys.stderr)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return _report(result, args)


def _report(result, args) -> int:
    for s in result.skipped:
        print(f"mapper: {s}", file=sys.stderr)
    if result.report is not None and result.report.no_map:
        print(f"mapper: no map: {result.report.no_map}", file=sys.stderr)
    if not args.quiet:
        _print_summary(result)
    return result.exit_code


def _print_summary(result) -> None:
    s = result.summary
    lines = [
        f"articles read {s['articles_read']}, skipped {s['articles_skipped']}"
        + (f", repaired {s['inputs_repaired']}" if s.get("inputs_repaired") else ""),
        f"reports {s['reports']}, events {s['events']} from {s['sources']} sources; "
        f"places unresolved {s['unresolved_names']}",
    ]
    if s["snapshots"]:
        lines.append(f"{s['actor']} area {s['first_date']} {s['actor_area_first_km2']:,.0f} km² -> "
                     f"{s['last_date']} {s['actor_area_last_km2']:,.0f} km² ({s['snapshots']} snapshots, "
                     f"radius {s['radius_km']:g} km)")
    lines.append(f"open {result.index}")
    print("\n".join(lines))


def run_build(args) -> int:
    return _run(args.paths, args.metadata, args)


def run_demo(args) -> int:
    from mapper.pipeline import demo_inputs

    arts, meta = demo_inputs()
    if args.out is None:
        args.out = "mapper-demo"
    return _run(arts, meta, args)
