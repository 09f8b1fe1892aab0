"""Extraction throughput and memory on a corpus of distinct synthetic dispatches.

    python bench/bench_extract.py [--n 10000]

Writes ``--n`` distinct dispatches (``bench/synthetic.py``: places drawn from the gazetteer,
sentences written here, dates over 2014-2019) as JSON Lines in a temporary folder, then times,
on one core and in the same run:

- ``read``: the streaming reader alone;
- ``tokenise``: reader + a pure regex word tokenisation pass (the floor for any text work);
- ``flashgeotext``: reader + flashgeotext place detection (its bundled city/country lookup);
- ``mapper extract``: reader + the full Extractor (places resolved against the gazetteer,
  actors, triggers, clauses, dates, claims), rows written straight to a CSV as they come.

It prints articles/s and the ratios to the tokenisation floor and to flashgeotext, and the
process's peak resident memory after 1,000 and after all articles of the extraction pass.
The texts are all different, so nothing is served from a cache of earlier texts.

When the development corpus is beside the project (``../shared/dev``, or ``MAPPER_SHARED``),
it also reads its 55 real reports (about 1.5 KB each, longer than the synthetic dispatches)
once each, before the synthetic pass, and prints that rate with the same two ratios on the
same texts (the tokenisation and flashgeotext passes over them are repeated to be
measurable: they keep nothing between texts).
"""

from __future__ import annotations

import argparse
import csv
import gc
import itertools
import os
import re
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mapper import extract as X  # noqa: E402
from mapper.articles import iter_articles  # noqa: E402

sys.path.insert(0, str(REPO / "bench"))
from synthetic import write_corpus  # noqa: E402

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


def timed(label: str, fn, n: int) -> dict:
    gc.collect()
    t0 = time.perf_counter()
    fn()
    dt = time.perf_counter() - t0
    return {"label": label, "seconds": dt, "rate": n / dt}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000, help="articles in the corpus (default 10000)")
    ap.add_argument("--seed", type=int, default=1, help="random seed of the synthetic corpus")
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="mapper-bench-"))
    try:
        return _run(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _run(args, tmp: Path) -> int:
    gaz = Gazetteer.load()
    corpus = write_corpus(tmp / "corpus.jsonl", n=args.n, seed=args.seed, gazetteer=gaz)
    size_mb = corpus.stat().st_size / 2**20
    print(f"corpus: {args.n} distinct synthetic dispatches, {size_mb:.1f} MB JSON Lines "
          f"({size_mb * 2**20 / args.n:,.0f} bytes per article)")
    extractor = X.Extractor(gaz)
    # one-time set-up outside the timing: the tables and grids built on first use (the grid of
    # names by cell, the prominent names), which the first few articles with unknown names build
    for a in itertools.islice(iter_articles(corpus), 100):
        extractor.read(a)
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
        with (tmp / "reports.csv").open("w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=REPORT_COLUMNS)
            w.writeheader()
            for seen, article in enumerate(iter_articles(corpus), start=1):
                for row in extractor.reports(article):
                    w.writerow(row)
                    counts["reports"] += 1
                if seen == checkpoint:
                    memory["peak_1k"], memory["rss_1k"] = peak_rss_mb(), current_rss_mb()
        memory["peak_all"], memory["rss_all"] = peak_rss_mb(), current_rss_mb()

    dev_line = _dev_set(extractor, word, geo)
    results = [timed("read (streaming reader)", read_only, args.n), timed("tokenise (regex words)", tokenise, args.n)]
    if geo is not None:
        results.append(timed("flashgeotext (places only)", flash, args.n))
    results.append(timed("mapper extract (full)", extract, args.n))

    tok = results[1]["rate"]
    fg = results[2]["rate"] if geo is not None else float("nan")
    print()
    print(f"{'pass':40} {'seconds':>9} {'articles/s':>11} {'x tokenise':>11} {'x flashgeotext':>15}")
    for r in results:
        print(f"{r['label']:40} {r['seconds']:9.2f} {r['rate']:11.0f} {r['rate'] / tok:11.3f} {r['rate'] / fg:15.3f}")
    print()
    if dev_line:
        print(dev_line)
        print()
    print(f"reports written: {counts['reports']} ({counts['reports'] / args.n:.1f} per article)")
    print(f"peak RSS after {checkpoint:,} articles: {memory.get('peak_1k', float('nan')):.0f} MB "
          f"(current {memory.get('rss_1k', float('nan')):.0f} MB)")
    print(f"peak RSS after {args.n:,} articles: {memory['peak_all']:.0f} MB (current {memory['rss_all']:.0f} MB)")
    growth = memory["peak_all"] - memory.get("peak_1k", memory["peak_all"])
    print(f"growth from {checkpoint:,} to {args.n:,} articles: {growth:+.0f} MB "
          f"({'flat: the reader streams' if growth < 20 else 'NOT flat'})")
    print("one core: single process, no threads; the temporary corpus is removed on exit")
    return 0


def _dev_set(extractor, word, geo) -> str:
    """One line on the development corpus read once each (``""`` when it is not there)."""
    dev = Path(os.environ.get("MAPPER_SHARED", REPO.parent / "shared")) / "dev"
    paths = sorted((dev / "articles").glob("*.txt"))
    if not paths:
        return ""
    meta = dev / "metadata.csv"
    articles = list(iter_articles(paths, metadata=meta if meta.is_file() else None))
    texts = [a.text for a in articles]
    n = len(articles)
    gc.collect()
    t0 = time.perf_counter()
    for a in articles:  # once each: nothing is served from a cache of an earlier reading
        extractor.read(a)
    rate = n / (time.perf_counter() - t0)

    def repeated(fn, times: int) -> float:
        t0 = time.perf_counter()
        for _ in range(times):
            for t in texts:
                fn(t)
        return times * n / (time.perf_counter() - t0)

    tok = repeated(word.findall, 200)
    line = (f"dev set ({n} real reports, {sum(map(len, texts)) / n:,.0f} characters each, read once each): "
            f"mapper extract (full) {rate:,.0f} articles/s; x{rate / tok:.3f} of tokenise ({tok:,.0f}/s)")
    if geo is not None:
        fg = repeated(lambda t: geo.extract(input_text=t), 20)
        line += f", x{rate / fg:.3f} of flashgeotext ({fg:,.0f}/s) on the same texts"
    return line


if __name__ == "__main__":
    sys.exit(main())
