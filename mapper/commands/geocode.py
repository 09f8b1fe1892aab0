"""``mapper geocode NAME...`` and ``mapper gazetteer info``."""

from __future__ import annotations

import json
import sys

CSV_COLUMNS = ["query", "place_id", "place", "country", "lat", "lon", "feature", "score"]


def register(sub) -> None:
    p = sub.add_parser(
        "geocode",
        help="resolve place names offline",
        description="Resolve place names against the offline gazetteer; one row per query on stdout.",
    )
    p.add_argument("names", nargs="+", metavar="NAME", help="place names as written, e.g. 'Deir Ezzor'")
    p.add_argument("--country", help="restrict to one ISO 3166-1 alpha-2 code (SY, IQ, ...)")
    p.add_argument("--context", help="text the names come from (helps disambiguation)")
    p.add_argument("--format", choices=["csv", "json"], default="csv")
    p.add_argument("--geonames", metavar="FILE", help="use a GeoNames dump instead of the packaged gazetteer")
    p.set_defaults(func=run_geocode)

    g = sub.add_parser("gazetteer", help="inspect the gazetteer")
    gsub = g.add_subparsers(dest="gazetteer_command", metavar="ACTION")
    info = gsub.add_parser("info", help="sources, counts per country and feature class")
    info.add_argument("--geonames", metavar="FILE")
    info.set_defaults(func=run_info)
    g.set_defaults(func=lambda args: (g.print_help(), 2)[1])


def _load(args):
    from mapper.workers import load_gazetteer  # loaded once per process

    return load_gazetteer(getattr(args, "geonames", None))


def run_geocode(args) -> int:
    gaz = _load(args)
    rows = []
    unresolved = 0
    for name in args.names:
        if not name.strip():
            print("mapper geocode: error: empty name; pass place names such as 'Raqqa'", file=sys.stderr)
            return 2
        res = gaz.resolve(name, country=args.country, context=args.context, explain=True)
        p = res.place
        if p is None:
            unresolved += 1
            closest = ", ".join(
                f"{n} ({c}, {s:.2f})" for n, c, s in zip(res.candidates["name"][:3], res.candidates["country"][:3], res.candidates["score"][:3])
            )
            print(f"mapper geocode: warning: {name!r} unresolved: {res.reason}"
                  + (f"; closest: {closest}" if closest else ""), file=sys.stderr)
        rows.append({
            "query": name,
            "place_id": p.place_id if p else "",
            "place": p.name if p else "",
            "country": p.country if p else "",
            "lat": p.lat if p else "",
            "lon": p.lon if p else "",
            "feature": p.feature_code if p else "",
            "score": p.score if p else "",
        })
    if args.format == "json":
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:  # the queries are echoed back: a spreadsheet must not run them
        import pandas as pd

        from mapper.outputs import csv_text

        sys.stdout.write(csv_text(pd.DataFrame(rows, columns=CSV_COLUMNS).astype(object)))
    return 0


def run_info(args) -> int:
    from pathlib import Path

    from mapper.gazetteer import GAZ_DIR

    gaz = _load(args)
    info = gaz.info()
    print(f"source: {info['source']}")
    print(f"places: {info['places']:,}   name keys: {info['names']:,}")
    print("by country:      " + ", ".join(f"{k} {v:,}" for k, v in sorted(info["by_country"].items(), key=lambda kv: -kv[1])))
    print("by feature class: " + ", ".join(f"{k or '?'} {v:,}" for k, v in sorted(info["by_feature_class"].items(), key=lambda kv: -kv[1])))
    sources = Path(GAZ_DIR) / "SOURCES.md"
    if sources.is_file():
        print(f"sources and licences: {sources}")
    return 0
