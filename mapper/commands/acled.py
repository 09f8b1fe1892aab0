"""``mapper export acled EVENTS --out FILE`` and ``mapper import acled FILE --out EVENTS_CSV``."""

from __future__ import annotations

import sys
from pathlib import Path

from mapper.errors import InputError


def register(sub) -> None:
    exp = sub.add_parser(
        "export", help="write events in another dataset's format",
        description="Write our events in another dataset's format.",
    )
    esub = exp.add_subparsers(dest="export_format", metavar="FORMAT")
    ea = esub.add_parser(
        "acled", help="events as ACLED-style rows (CSV)",
        description="Write events (events.csv, events.geojson or events.gpkg from `mapper build`) as "
                    "ACLED-style rows; see docs/acled.md for the mapping.",
    )
    ea.add_argument("events", metavar="EVENTS", help="events.csv, events.geojson or events.gpkg")
    ea.add_argument("--out", required=True, metavar="FILE", help="the ACLED CSV to write")
    ea.add_argument("--geonames", metavar="FILE", help="gazetteer for geo_precision (default: the packaged one)")
    ea.set_defaults(func=run_export)
    exp.set_defaults(func=lambda args: (exp.print_help(), 2)[1])

    imp = sub.add_parser(
        "import", help="read events from another dataset",
        description="Read another dataset's rows as our events.",
    )
    isub = imp.add_subparsers(dest="import_format", metavar="FORMAT")
    ia = isub.add_parser(
        "acled", help="ACLED territorial events as our events (CSV)",
        description="Read an ACLED CSV export; rows of the territorial sub-event types become our events "
                    "with ACLED as the source. Unknown columns and bad rows are reported, not fatal.",
    )
    ia.add_argument("file", metavar="FILE", help="ACLED CSV export")
    ia.add_argument("--out", required=True, metavar="EVENTS_CSV", help="events CSV to write")
    ia.add_argument("--geonames", metavar="FILE", help="gazetteer to match ACLED locations (default: the packaged one)")
    ia.set_defaults(func=run_import)
    imp.set_defaults(func=lambda args: (imp.print_help(), 2)[1])


def _gazetteer(args):
    from mapper.workers import load_gazetteer  # loaded once per process

    return load_gazetteer(getattr(args, "geonames", None))


def _read_events(path: Path):
    from mapper import events

    if not path.is_file():
        raise InputError(f"{path}: no such events file. Give events.csv, events.geojson or events.gpkg from `mapper build`.")
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        return events.read_geojson(path)
    if suffix == ".gpkg":
        return events.read_gpkg(path)
    if suffix == ".csv":
        return events.read_csv(path)
    raise InputError(f"{path}: unknown events format {suffix!r}. Give a .csv, .geojson or .gpkg file.")


def run_export(args) -> int:
    from mapper.acled import to_acled, write_acled

    ev = _read_events(Path(args.events))
    rows = to_acled(ev, gazetteer=_gazetteer(args))
    undated = len(ev) - len(rows)
    write_acled(rows, args.out)
    print(f"mapper export acled: {len(rows)} row(s) written to {args.out}", file=sys.stderr)
    if undated:
        print(f"mapper export acled: warning: {undated} event(s) without a date left out (ACLED rows need "
              "one); date them with an overrides CSV", file=sys.stderr)
    return 0


def run_import(args) -> int:
    from mapper import events
    from mapper.acled import from_acled

    ev, problems = from_acled(args.file, gazetteer=_gazetteer(args))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    events.to_csv(ev, out)
    for p in problems:
        print(f"mapper import acled: warning: {p}", file=sys.stderr)
    print(f"mapper import acled: {len(ev)} event(s) written to {out}", file=sys.stderr)
    return 0
