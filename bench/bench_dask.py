"""Distributed extraction on Dask: throughput with 1 and 2 workers, peak memory per worker.

    python bench/bench_dask.py [--sizes 10000 100000] [--workers 1 2] [--quick] [--shared ../shared]

Builds a JSON Lines corpus per size in a temporary folder by cycling the seed articles of
``../shared/seeds`` (read at run time: nothing third-party is stored in the project), each
record with its own id and the seed's publication date. For every (size, workers) pair it
starts a fresh ``LocalCluster`` on 127.0.0.1 (one single-threaded worker process per worker,
so Python's GIL does not serialise them), runs :func:`mapper.distributed.extract_dask` and
streams the reports to a Parquet folder (the ``--reports-parquet`` path: nothing is gathered
on the client), then reads each worker's peak resident memory (``ru_maxrss``).

It prints a table: articles/s, the speed-up of 2 workers over 1 at the same size, and the
peak memory per worker, which must stay flat from 10k to 100k articles (each worker holds one
block of ``--blocksize`` bytes and its reports at a time, never the corpus).

``--quick`` runs 2,000 and 10,000 articles (a few minutes on two cores). Each worker's
memory includes the gazetteer it loaded once (a few hundred MB), so "flat" is the claim,
not "small".
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def make_corpus(seeds: Path, n: int, out: Path) -> int:
    """Write ``n`` JSON Lines records cycling the seed texts; returns the file size."""
    from mapper.articles import Article, read_articles

    meta = seeds / "metadata.csv"
    arts = [a for a in read_articles([seeds], metadata=meta if meta.is_file() else None) if isinstance(a, Article)]
    if not arts:
        raise SystemExit(f"no seed articles in {seeds}: set --shared to the folder holding seeds/")
    with out.open("w", encoding="utf-8") as fh:
        for i in range(n):
            a = arts[i % len(arts)]
            fh.write(json.dumps({
                "id": f"bench-{i:07d}", "text": a.text, "title": a.title,
                "published": a.published.isoformat() if a.published else "",
            }, ensure_ascii=False) + "\n")
    return out.stat().st_size


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_one(corpus: Path, n_articles: int, workers: int, blocksize: str, tmp: Path) -> dict:
    from distributed import Client, LocalCluster

    from mapper.distributed import extract_dask, write_reports_parquet

    with (
        LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                     dashboard_address="127.0.0.1:0", worker_dashboard_address=None) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        client.run(_peak_rss_mb)  # workers are up before the clock starts
        t0 = time.perf_counter()
        ddf, skipped = extract_dask([corpus], scheduler=client, blocksize=blocksize, with_skipped=True)
        out = tmp / f"reports-{n_articles}-{workers}.parquet"
        write = write_reports_parquet(ddf, out, compute=False)
        _, skipped_df = client.compute([write, skipped], sync=True)
        elapsed = time.perf_counter() - t0
        peaks = client.run(_peak_rss_mb)
        n_reports = _count_parquet(out)
    return {
        "articles": n_articles, "workers": workers, "partitions": ddf.npartitions, "seconds": elapsed,
        "articles_per_s": n_articles / elapsed, "reports": n_reports, "skipped": len(skipped_df),
        "peak_worker_mb": max(peaks.values()),
    }


def _count_parquet(path: Path) -> int:
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(f).metadata.num_rows for f in sorted(path.glob("*.parquet")))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--quick", action="store_true", help="2,000 and 10,000 articles")
    ap.add_argument("--blocksize", default="1MiB")
    ap.add_argument("--shared", default=str(REPO.parent / "shared"))
    ap.add_argument("--json", help="also write the results as JSON here")
    args = ap.parse_args(argv)
    sizes = [2_000, 10_000] if args.quick else args.sizes
    seeds = Path(args.shared) / "seeds"

    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-dask-") as tmpname:
        tmp = Path(tmpname)
        for n in sizes:
            corpus = tmp / f"corpus-{n}.jsonl"
            size = make_corpus(seeds, n, corpus)
            print(f"corpus: {n:,} articles, {size / 2**20:.1f} MiB ({corpus.name})", file=sys.stderr, flush=True)
            for w in args.workers:
                r = run_one(corpus, n, w, args.blocksize, tmp)
                rows.append(r)
                print(f"  {w} worker(s): {r['articles_per_s']:.0f} articles/s, peak {r['peak_worker_mb']:.0f} MB/worker",
                      file=sys.stderr, flush=True)
            corpus.unlink()

    base = {r["articles"]: r["articles_per_s"] for r in rows if r["workers"] == min(args.workers)}
    print(f"\nDask extraction, JSON Lines by {args.blocksize} blocks, {os.cpu_count()} cores on this machine\n")
    print(f"{'articles':>9} {'workers':>7} {'parts':>5} {'seconds':>8} {'art/s':>7} {'speed-up':>8} {'reports':>8} {'peak MB/worker':>15}")
    for r in rows:
        ratio = r["articles_per_s"] / base[r["articles"]] if r["articles"] in base else float("nan")
        print(f"{r['articles']:>9,} {r['workers']:>7} {r['partitions']:>5} {r['seconds']:>8.1f} {r['articles_per_s']:>7.0f} "
              f"{ratio:>7.2f}x {r['reports']:>8,} {r['peak_worker_mb']:>15.0f}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
