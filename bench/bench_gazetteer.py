"""Gazetteer benchmark: load time of the packaged gazetteer and of the 33k-place dump, and
lookup throughput after load.

    python bench/bench_gazetteer.py [--n 200000]

Lookups cycle through every distinct name of the gazetteer's own index (as written in the
source, so each goes through folding) plus spelling variants, so the figure is not a cache
benchmark of one name. Printed: one ``measure: value`` line each.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mapper.gazetteer import Gazetteer  # noqa: E402
from mapper.names import fold  # noqa: E402

SHARED = Path(os.environ.get("MAPPER_SHARED", REPO.parent / "shared"))
DUMP = SHARED / "data" / "wof_geonames_format_SY_IQ.tsv"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=200_000, help="lookups to time")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    gaz = Gazetteer.load()
    load_packaged = time.perf_counter() - t0
    print(f"packaged load: {load_packaged:.2f} s ({len(gaz):,} places; aim < 1 s)")
    if DUMP.is_file():
        t0 = time.perf_counter()
        dump = Gazetteer.from_geonames(DUMP)
        print(f"33k-place dump load: {time.perf_counter() - t0:.2f} s ({len(dump):,} places; aim < 3 s)")
    else:
        print(f"33k-place dump load: skipped ({DUMP} not found)")

    names = [n for names in gaz._table["names"] for n in names[:3]]
    names = list(dict.fromkeys(names))
    queries = (names * (args.n // len(names) + 1))[: args.n]
    fold.cache_clear()
    t0 = time.perf_counter()
    for q in queries[: len(names)]:
        gaz._candidates(q, fuzzy=False)
    cold = time.perf_counter() - t0
    print(f"candidate lookups, cold (fold computed): {len(names) / cold:,.0f} names/s over {len(names):,} distinct names")
    t0 = time.perf_counter()
    for q in queries:
        gaz._candidates(q, fuzzy=False)
    warm = time.perf_counter() - t0
    print(f"candidate lookups, warm: {len(queries) / warm:,.0f} names/s (aim >= 100,000)")
    sample = queries[: min(50_000, len(queries))]
    t0 = time.perf_counter()
    resolved = sum(gaz.resolve(q, fuzzy=False) is not None for q in sample)
    dt_res = time.perf_counter() - t0
    print(f"resolve (ranked, ambiguity-checked): {len(sample) / dt_res:,.0f} names/s "
          f"({resolved / len(sample):.0%} resolved without context)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
