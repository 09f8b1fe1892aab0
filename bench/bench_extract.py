"""Extraction throughput and memory on a 10,000-article corpus made by cycling the seeds.

    python bench/bench_extract.py [--n 10000] [--shared ../shared]

Builds a JSON Lines corpus in a temporary folder by cycling the seed articles of
``../shared/seeds`` (read at run time; nothing third-party is stored in the project), then
times, on one core and in the same run:

- ``read``: the streaming reader alone;
- ``tokenise``: reader + a pure regex word tokenisation pass (the floor for any text work);
- ``flashgeotext``: reader + flashgeotext place detection (its bundled city/country lookup);
- ``mapper extract``: reader + full extraction (places resolved against the gazetteer,
  actors, dates, claims), rows written straight to a CSV file as they come.

It prints articles/s and ratios, and the process's peak resident memory after 1,000 and
after all articles of the extraction pass: the reader streams and the rows are written out,
so the peak must not grow with the corpus.

Resolutions are memoised per set of names an article mentions (see
``mapper.extract._resolve_cached``); cycling five seeds makes that memo hit almost always,
so a "cold" figure with the memo cleared before every article is printed too.
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import re
import resource
import shutil
import sys
import tempfile
import time
from itertools import cycle, islice
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mapper import extract as X  # noqa: E402
from mapper.articles import iter_articles  # noqa: E402
from mapper.gazetteer import Gazetteer  # noqa: E402
from mapper.schema import REPORT_COLUMNS  # noqa: E402


def peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * resource.getpagesize() / 2**20
    except OSError:  # not Linux
        return float("nan")


def build_corpus(seeds: Path, n: int, out: Path) -> Path:
    meta = {}
    with (seeds / "metadata.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            meta[row["file"]] = row.get("published", "")
    files = sorted(seeds.glob("*.txt"))
    if not files:
        raise SystemExit(f"no seed articles in {seeds}")
    path = out / "corpus.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for i, f in enumerate(islice(cycle(files), n)):
            rec = {"id": f"{i:05d}-{f.name}", "text": f.read_text(encoding="utf-8"), "published": meta.get(f.name, "")}
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return path


def timed(label: str, fn, n: int) -> dict:
    gc.collect()
    t0 = time.perf_counter()
    fn()
    dt = time.perf_counter() - t0
    return {"label": label, "seconds": dt, "rate": n / dt}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000, help="articles in the corpus (default 10000)")
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared", help="path of ../shared")
    ap.add_argument("--cold", type=int, default=200, help="articles for the cold (no memo) figure")
    args = ap.parse_args(argv)
    seeds = args.shared / "seeds"
    if not seeds.is_dir():
        print(f"seeds not found at {seeds}: pass --shared", file=sys.stderr)
        return 2

    tmp = Path(tempfile.mkdtemp(prefix="mapper-bench-"))
    try:
        return _run(args, seeds, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _run(args, seeds: Path, tmp: Path) -> int:
    corpus = build_corpus(seeds, args.n, tmp)
    size_mb = corpus.stat().st_size / 2**20
    print(f"corpus: {args.n} articles cycled from {len(list(seeds.glob('*.txt')))} seeds, {size_mb:.1f} MB JSON Lines")

    gaz = Gazetteer.load()
    X._default_lexicon()
    word = re.compile(r"\w+")

    def read_only():
        for _ in iter_articles(corpus):
            pass

    def tokenise():
        n = 0
        for a in iter_articles(corpus):
            n += len(word.findall(a.text))

    try:
        from flashgeotext.geotext import GeoText
    except ImportError:  # pragma: no cover
        GeoText = None
    geo = GeoText() if GeoText else None

    def flash():
        for a in iter_articles(corpus):
            geo.extract(input_text=a.text)

    memory: dict[str, float] = {}
    checkpoint = min(1000, max(1, args.n // 10))
    counts = {"reports": 0}

    def extract():
        X.clear_caches()
        with (tmp / "reports.csv").open("w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=REPORT_COLUMNS)
            w.writeheader()
            seen = 0
            last = None
            for row in X.iter_reports(iter_articles(corpus), gaz):
                w.writerow(row)
                counts["reports"] += 1
                if row["article"] != last:
                    last = row["article"]
                    seen += 1
                    if seen == checkpoint:
                        memory["peak_1k"], memory["rss_1k"] = peak_rss_mb(), current_rss_mb()
        memory["peak_all"], memory["rss_all"] = peak_rss_mb(), current_rss_mb()
        counts["memo"] = dict(X.CACHE_STATS)

    def cold():
        for a in islice(iter_articles(corpus), args.cold):
            X.clear_caches()
            X._report_rows(a, gaz, lexicon=None, keep_uncertain=False, min_confidence=0.0)

    results = [timed("read (streaming reader)", read_only, args.n), timed("tokenise (regex words)", tokenise, args.n)]
    if geo is not None:
        results.append(timed("flashgeotext (places only)", flash, args.n))
    ex = timed("mapper extract (full)", extract, args.n)
    results.append(ex)
    cold_r = timed(f"mapper extract, cold memo ({args.cold})", cold, args.cold)
    results.append(cold_r)

    tok = results[1]["rate"]
    fg = results[2]["rate"] if geo is not None else float("nan")
    print()
    print(f"{'pass':40} {'seconds':>9} {'articles/s':>11} {'x tokenise':>11} {'x flashgeotext':>15}")
    for r in results:
        print(f"{r['label']:40} {r['seconds']:9.2f} {r['rate']:11.0f} {r['rate'] / tok:11.3f} {r['rate'] / fg:15.3f}")
    print()
    print(f"reports written: {counts['reports']} ({counts['reports'] / args.n:.1f} per article)")
    print(f"peak RSS after {checkpoint:,} articles: {memory.get('peak_1k', float('nan')):.0f} MB "
          f"(current {memory.get('rss_1k', float('nan')):.0f} MB)")
    print(f"peak RSS after {args.n:,} articles: {memory['peak_all']:.0f} MB (current {memory['rss_all']:.0f} MB)")
    growth = memory["peak_all"] - memory.get("peak_1k", memory["peak_all"])
    print(f"growth from {checkpoint:,} to {args.n:,} articles: {growth:+.0f} MB "
          f"({'flat: the reader streams' if growth < 20 else 'NOT flat'})")
    print(f"resolution memo during the extract pass: {counts.get('memo')}")
    print("one core: single process, no threads; the temporary corpus is removed on exit")
    return 0


if __name__ == "__main__":
    sys.exit(main())
