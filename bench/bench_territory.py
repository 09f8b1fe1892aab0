"""Benchmark of the territory model: 52 weekly snapshots over the 33,205-place dump.

Run ``python bench/bench_territory.py [--events 200] [--weeks 52] [--radius 40]``. Needs
``../shared/data/wof_geonames_format_SY_IQ.tsv`` beside the project (or ``MAPPER_SHARED``).
Prints the time of each stage and the peak resident memory of the process; the aim is under
60 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from mapper import territory as T
from mapper.schema import EVENT_TYPES

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MAPPER_SHARED", REPO.parent / "shared"))
DUMP = SHARED / "data" / "wof_geonames_format_SY_IQ.tsv"
ACTORS = ("IS", "Syrian government", "Iraqi government", "SDF", "Kurdish forces",
          "Turkish-backed rebels")


def synthetic_events(settlements, n: int, *, seed: int = 7) -> pd.DataFrame:
    """``n`` random events over ``n // 2`` settlements in 2017 (day, week and month dates)."""
    rng = np.random.default_rng(seed)
    pick = settlements.iloc[rng.choice(len(settlements), size=max(1, n // 2), replace=False)]
    rows = []
    for i in range(n):
        place = pick.iloc[rng.integers(len(pick))]
        gainer, loser = rng.choice(ACTORS, size=2, replace=False)
        precision = rng.choice(["day", "day", "day", "week", "month"])
        date = pd.Timestamp("2017-01-01") + pd.Timedelta(days=int(rng.integers(0, 365)))
        if precision == "month":
            date = date.replace(day=1)
        rows.append({
            "event_id": f"b{i:04d}", "place_id": place.place_id, "place": place["name"],
            "lat": place.geometry.y, "lon": place.geometry.x,
            "event_type": rng.choice(EVENT_TYPES, p=[0.5, 0.15, 0.2, 0.1, 0.05]),
            "gainer": gainer, "loser": loser, "date": date, "date_precision": precision,
            "confidence": float(rng.uniform(0.4, 1.0)), "n_sources": int(rng.integers(1, 5)),
        })
    return pd.DataFrame(rows)


def peak_rss_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return kb / 1024


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=200)
    ap.add_argument("--weeks", type=int, default=52)
    ap.add_argument("--radius", type=float, default=T.DEFAULT_RADIUS_KM)
    args = ap.parse_args(argv)
    if not DUMP.is_file():
        print(f"settlement dump not found at {DUMP}; set MAPPER_SHARED", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    settlements = T.settlements_from_geonames(DUMP)
    countries = T.load_countries()
    t1 = time.perf_counter()
    events = synthetic_events(settlements, args.events)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", T.ControlConflictWarning)
        control = T.control_timeline(events, start="2017-01-01")
    dates = T.snapshot_dates(events, every="week", start="2017-01-01")[: args.weeks]
    t2 = time.perf_counter()
    areas = T.held_areas(control, settlements, dates, radius_km=args.radius, countries=countries)
    t3 = time.perf_counter()
    print(f"settlements {len(settlements):,} | events {len(events)} | places "
          f"{control['place_id'].nunique()} | control rows {len(control)} | snapshots "
          f"{len(dates)} | area rows {len(areas)} | reach {args.radius:g} km")
    print(f"load layers      {t1 - t0:6.2f} s")
    print(f"control timeline {t2 - t1:6.2f} s")
    print(f"held areas       {t3 - t2:6.2f} s  ({(t3 - t2) / max(len(dates), 1) * 1000:.0f} ms "
          "per snapshot)")
    print(f"total            {t3 - t0:6.2f} s  (aim < 60 s)")
    print(f"peak memory      {peak_rss_mb():6.0f} MB (resident, whole process)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
