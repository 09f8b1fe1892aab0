"""The build at scale (issue 15): 1k, 10k, 100k synthetic articles, weekly snapshots.

    python bench/bench_scale.py [--sizes 1000 10000] [--jobs 1 2] [--dask-at 10000]
                                [--workers 1 2] [--results bench/RESULTS.md] [--json FILE]
    python bench/bench_scale.py --quick        # 1,000 articles only, builds and Dask

For each size it writes a JSON Lines corpus with :func:`synthetic.write_corpus` (distinct
texts, names drawn from the packaged gazetteer, dates spread over 2014-2019, sentences written
in ``bench/synthetic.py``), then runs, each in a fresh process::

    mapper build CORPUS --out DIR --every week --jobs J --quiet

for every ``--jobs``, and reports the wall time, each stage's time (``timings_s`` of the
build's ``run.json``), the peak resident memory of the whole process tree (the build and its
pool processes: their RSS summed, sampled every 0.2 s with psutil) and of its largest single
process, the size of the output folder and its largest snapshot page.

At ``--dask-at`` articles it then runs ``mapper extract CORPUS`` three ways:
``--engine local``, and ``--engine dask --scheduler ADDRESS`` on a ``LocalCluster`` of 1 and
of 2 single-threaded worker processes. The cluster is started in a helper process (this
script with ``--serve-cluster``) before the clock starts, so the figure is the extraction and
not the cluster's start; its processes are sampled with the extract process. The reports of
the three runs are compared (they must be the same bytes).

Ratios are to a peer run in this same process (``--jobs 2`` over ``--jobs 1``, Dask over
local, 10k over 1k), because the machine is shared: absolute times are only upper bounds. The
load average is printed at each run. Results are printed, written as a section of
``--results`` (between ``<!-- bench_scale -->`` markers, the rest of the file is kept), and
with ``--json`` as JSON. ``bench/run_all.py --only scale`` runs ``--quick``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

MAPPER = [sys.executable, "-c", "import sys; from mapper.cli import main; sys.exit(main(sys.argv[1:]))"]
BEGIN, END = "<!-- bench_scale: begin -->", "<!-- bench_scale: end -->"
STAGES = ("gazetteer", "extract", "events", "territory", "tables", "maps")


# ------------------------------------------------------------------------------ measuring


class TreeSampler:
    """Peak resident memory of process trees, sampled every ``interval`` seconds.

    ``peak_sum`` is the largest sum of RSS over the trees' processes at one instant (what the
    machine had to hold), ``peak_one`` the largest RSS of a single process.
    """

    def __init__(self, roots: list[int], interval: float = 0.2):
        import psutil  # comes with distributed

        self._psutil = psutil
        self.roots = list(roots)
        self.interval = interval
        self.peak_sum = 0
        self.peak_one = 0
        self.max_procs = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        ps = self._psutil
        procs = []
        for pid in self.roots:
            try:
                root = ps.Process(pid)
                procs += [root, *root.children(recursive=True)]
            except ps.Error:
                continue
        rss = []
        for p in procs:
            try:
                rss.append(p.memory_info().rss)
            except ps.Error:
                continue
        if rss:
            self.peak_sum = max(self.peak_sum, sum(rss))
            self.peak_one = max(self.peak_one, max(rss))
            self.max_procs = max(self.max_procs, len(rss))

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)


def load() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


def run_measured(argv: list[str], *, extra_roots: list[int] = (), log: Path | None = None) -> dict:
    """Run ``argv``; wall time, exit code and peak memory of its tree (and of ``extra_roots``)."""
    t0 = time.perf_counter()
    with open(log or os.devnull, "w") as err:
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, cwd=REPO)
        with TreeSampler([proc.pid, *extra_roots]) as sampler:
            code = proc.wait()
    took = time.perf_counter() - t0
    return {"seconds": took, "exit": code, "peak_tree_mb": sampler.peak_sum / 2**20,
            "peak_one_mb": sampler.peak_one / 2**20, "processes": sampler.max_procs}


def folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def largest(path: Path, pattern: str) -> tuple[str, int]:
    files = [(f.stat().st_size, f.name) for f in path.glob(pattern) if f.is_file()]
    if not files:
        return "", 0
    size, name = max(files)
    return name, size


# ------------------------------------------------------------------------------ runs


def build_once(corpus: Path, n: int, jobs: int, tmp: Path) -> dict:
    out = tmp / f"out-{n}-{jobs}"
    started_load = load()
    r = run_measured([*MAPPER, "build", str(corpus), "--out", str(out), "--every", "week", "--jobs", str(jobs),
                      "--quiet"], log=tmp / f"build-{n}-{jobs}.err")
    r.update({"kind": "build", "articles": n, "jobs": jobs, "load_at_start": started_load, "load_at_end": load()})
    run = out / "run.json"
    if run.is_file():
        doc = json.loads(run.read_text())
        r["stages"] = doc.get("timings_s") or {}
        counts = doc.get("counts") or {}
        r["snapshots"] = counts.get("snapshots")
        r["events"] = counts.get("events")
        r["reports"] = counts.get("reports")
        r["output_bytes"] = folder_bytes(out)
        r["largest_page"], r["largest_page_bytes"] = largest(out / "snapshots", "*.html")
        r["snapshot_pages"] = len(list((out / "snapshots").glob("*.html")))
        r["timeline_bytes"] = (out / "timeline.html").stat().st_size if (out / "timeline.html").is_file() else 0
        r["data_bytes"] = folder_bytes(out / "data") if (out / "data").is_dir() else 0
    else:
        r["error"] = ((tmp / f"build-{n}-{jobs}.err").read_text().strip().splitlines() or ["no run.json"])[-1][:200]
    _remove(out)
    return r


def _remove(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def serve_cluster(workers: int, address_file: Path) -> int:
    """Helper process: a LocalCluster of ``workers`` single-threaded processes, until killed."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0", worker_dashboard_address=None) as cluster:
        tmp = address_file.with_suffix(".tmp")
        tmp.write_text(cluster.scheduler_address)
        os.replace(tmp, address_file)
        while True:
            time.sleep(3600)


def _start_cluster(workers: int, tmp: Path) -> tuple[subprocess.Popen, str]:
    address_file = tmp / f"cluster-{workers}.address"
    address_file.unlink(missing_ok=True)
    with open(tmp / f"cluster-{workers}.err", "w") as err:  # the child keeps its own copy of the handle
        helper = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--serve-cluster", str(workers),
                                   "--address-file", str(address_file)], stdout=subprocess.DEVNULL, stderr=err,
                                  cwd=REPO)
    deadline = time.time() + 120
    while not address_file.exists():
        if helper.poll() is not None or time.time() > deadline:
            helper.kill()
            raise SystemExit(f"the LocalCluster helper did not start: see {tmp / f'cluster-{workers}.err'}")
        time.sleep(0.2)
    address = address_file.read_text().strip()
    from distributed import Client

    with Client(address, timeout=60) as client:  # workers up before the clock starts
        client.wait_for_workers(workers, timeout=120)
    return helper, address


def extract_once(corpus: Path, n: int, engine: str, workers: int, tmp: Path) -> dict:
    out = tmp / f"reports-{engine}-{workers}.csv"
    argv = [*MAPPER, "extract", str(corpus), "--engine", engine, "-o", str(out)]
    helper = None
    roots: list[int] = []
    if engine == "dask":
        helper, address = _start_cluster(workers, tmp)
        argv += ["--scheduler", address]
        roots = [helper.pid]
    started_load = load()
    try:
        r = run_measured(argv, extra_roots=roots, log=tmp / f"extract-{engine}-{workers}.err")
    finally:
        if helper is not None:
            helper.terminate()
            try:
                helper.wait(30)
            except subprocess.TimeoutExpired:
                helper.kill()
    r.update({"kind": "extract", "articles": n, "engine": engine, "workers": workers,
              "load_at_start": started_load, "load_at_end": load()})
    if out.is_file():
        import hashlib

        data = out.read_bytes()
        r["reports_sha256"] = hashlib.sha256(data).hexdigest()[:16]
        r["report_rows"] = data.count(b"\n") - 1
    return r


# ------------------------------------------------------------------------------ report


def _mb(x: float) -> str:
    return f"{x:,.0f} MB"


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}x" if a and b else "-"


def report(rows: list[dict], info: dict) -> str:
    builds = [r for r in rows if r["kind"] == "build"]
    extracts = [r for r in rows if r["kind"] == "extract"]
    out = [f"Run of `python bench/bench_scale.py {info['argv']}` on {info['date']} ({info['cores']} cores, "
           f"{info['cpu']}; load average at start {info['load']}). Synthetic corpus from `bench/synthetic.py`.", ""]
    if builds:
        out += ["`mapper build CORPUS --every week --jobs J` (local engine), each in a fresh process:", "",
                "| articles | jobs | wall s | " + " | ".join(f"{s} s" for s in STAGES)
                + " | peak RSS, tree | largest process | output | largest snapshot page | pages | snapshots | load start/end |",
                "|" + "---|" * (11 + len(STAGES))]
        for r in builds:
            st = r.get("stages", {})
            out.append(
                f"| {r['articles']:,} | {r['jobs']} | {r['seconds']:.1f} | "
                + " | ".join(f"{st.get(s, 0):.1f}" for s in STAGES)
                + f" | {_mb(r['peak_tree_mb'])} | {_mb(r['peak_one_mb'])} | {r.get('output_bytes', 0) / 2**20:.1f} MB | "
                f"{r.get('largest_page_bytes', 0) / 1024:.0f} KB | {r.get('snapshot_pages', 0)} | {r.get('snapshots', '-')} | "
                f"{r['load_at_start']} / {r['load_at_end']} |" + (f" error: {r['error']}" if "error" in r else ""))
        out += ["", "Ratios within this run:", ""]
        sizes = sorted({r["articles"] for r in builds})
        by = {(r["articles"], r["jobs"]): r for r in builds}
        jobs = sorted({r["jobs"] for r in builds})
        for n in sizes:
            if len(jobs) > 1 and (n, jobs[0]) in by and (n, jobs[-1]) in by:
                a, b = by[(n, jobs[0])], by[(n, jobs[-1])]
                out.append(f"- {n:,} articles: `--jobs {jobs[-1]}` takes {_ratio(b['seconds'], a['seconds'])} the time "
                           f"of `--jobs {jobs[0]}` (extract {_ratio(b['stages'].get('extract'), a['stages'].get('extract'))}, "
                           f"maps {_ratio(b['stages'].get('maps'), a['stages'].get('maps'))}), peak tree RSS "
                           f"{_ratio(b['peak_tree_mb'], a['peak_tree_mb'])}.")
        for lo, hi in zip(sizes, sizes[1:]):
            for j in jobs:
                if (lo, j) in by and (hi, j) in by:
                    a, b = by[(lo, j)], by[(hi, j)]
                    out.append(f"- `--jobs {j}`, {hi:,} over {lo:,} articles ({hi / lo:.0f}x the articles): wall "
                               f"{_ratio(b['seconds'], a['seconds'])}, peak tree RSS {_ratio(b['peak_tree_mb'], a['peak_tree_mb'])}, "
                               f"largest page {_ratio(b.get('largest_page_bytes'), a.get('largest_page_bytes'))}.")
        out.append("")
    if extracts:
        n = extracts[0]["articles"]
        base = next((r for r in extracts if r["engine"] == "local"), None)
        one = next((r for r in extracts if r["engine"] == "dask" and r["workers"] == 1), None)
        out += [f"`mapper extract` of {n:,} articles; Dask on a LocalCluster of single-threaded workers started "
                "before the clock (the scheduler and workers are sampled with the extract process):", "",
                "| engine | workers | wall s | time / local | time / 1 worker | peak RSS, tree | largest process | reports | same bytes as local | load start/end |",
                "|---|---|---|---|---|---|---|---|---|---|"]
        for r in extracts:
            same = "-" if base is None or r is base else ("yes" if r.get("reports_sha256") == base.get("reports_sha256") else "NO")
            out.append(f"| {r['engine']} | {r['workers'] if r['engine'] == 'dask' else '-'} | {r['seconds']:.1f} | "
                       f"{_ratio(r['seconds'], base['seconds'] if base else None)} | "
                       f"{_ratio(r['seconds'], one['seconds']) if one and r['engine'] == 'dask' else '-'} | "
                       f"{_mb(r['peak_tree_mb'])} | {_mb(r['peak_one_mb'])} | {r.get('report_rows', '-'):,} | {same} | "
                       f"{r['load_at_start']} / {r['load_at_end']} |")
        out.append("")
    return "\n".join(out)


def write_section(path: Path, body: str) -> None:
    """Put ``body`` between the markers of ``path`` (replacing the old section, keeping the rest)."""
    section = f"{BEGIN}\n## Issue 15: the build at scale (`bench/bench_scale.py`)\n\n{body}\n{END}"
    text = path.read_text() if path.is_file() else "# Benchmark results\n"
    if BEGIN in text and END in text:
        text = re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda _m: section, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def machine() -> dict:
    """The machine facts of ``run_all.machine`` (one reader of /proc), in this report's keys."""
    from run_all import machine as machine_facts

    m = machine_facts()
    return {"date": m["date"], "cores": m["cores (nproc)"], "cpu": m["CPU"], "load": load()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000])
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--dask-at", type=int, default=10_000, help="articles of the engine comparison (0: skip it)")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--quick", action="store_true", help="1,000 articles: builds and the engine comparison")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--results", type=Path, default=HERE / "RESULTS.md", help="write the section here ('-': don't)")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--keep", type=Path, help="keep corpora and logs in this folder")
    ap.add_argument("--serve-cluster", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--address-file", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.serve_cluster:
        return serve_cluster(args.serve_cluster, args.address_file)
    if args.quick:
        args.sizes, args.dask_at = [1_000], 1_000
    info = machine()
    info["argv"] = " ".join(argv if argv is not None else sys.argv[1:])

    from synthetic import write_corpus

    from mapper.gazetteer import Gazetteer

    gaz = Gazetteer.load()
    rows: list[dict] = []
    tmp_ctx = tempfile.TemporaryDirectory(prefix="bench-scale-") if args.keep is None else None
    tmp = Path(tmp_ctx.name) if tmp_ctx else args.keep
    tmp.mkdir(parents=True, exist_ok=True)
    try:
        sizes = sorted(set(args.sizes) | ({args.dask_at} if args.dask_at else set()))
        for n in sizes:
            corpus = tmp / f"corpus-{n}.jsonl"
            if not corpus.is_file():
                write_corpus(corpus, n=n, seed=args.seed, gazetteer=gaz)
            print(f"corpus: {n:,} articles, {corpus.stat().st_size / 2**20:.1f} MiB", file=sys.stderr, flush=True)
            if n in args.sizes:
                for j in args.jobs:
                    r = build_once(corpus, n, j, tmp)
                    rows.append(r)
                    print(f"  build --jobs {j}: {r['seconds']:.1f} s, stages {r.get('stages')}, peak tree "
                          f"{r['peak_tree_mb']:.0f} MB, output {r.get('output_bytes', 0) / 2**20:.1f} MB, largest page "
                          f"{r.get('largest_page_bytes', 0) / 1024:.0f} KB, load {r['load_at_start']}"
                          + (f", ERROR {r['error']}" if "error" in r else ""), file=sys.stderr, flush=True)
            if n == args.dask_at:
                for engine, w in [("local", 1)] + [("dask", w) for w in args.workers]:
                    r = extract_once(corpus, n, engine, w, tmp)
                    rows.append(r)
                    print(f"  extract --engine {engine}{f' ({w} worker(s))' if engine == 'dask' else ''}: "
                          f"{r['seconds']:.1f} s, peak tree {r['peak_tree_mb']:.0f} MB, exit {r['exit']}, "
                          f"load {r['load_at_start']}", file=sys.stderr, flush=True)
            if args.keep is None:
                corpus.unlink(missing_ok=True)
    finally:
        if tmp_ctx:
            tmp_ctx.cleanup()
    body = report(rows, info)
    print(body)
    if str(args.results) != "-":
        write_section(args.results, body)
        print(f"wrote the section of {args.results}", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "runs": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
