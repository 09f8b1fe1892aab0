"""The maps stage, measured two ways (issues 13 and 15).

    python bench/bench_maps.py [demo] [--baseline REV] [--repeat 1] [--jobs 1]
    python bench/bench_maps.py scale [--events 20000] [--places 400] [--weeks 260] [--jobs 1 2]
    python bench/bench_maps.py all

Without arguments (as ``bench/run_all.py`` runs it) it compares the demo once, about a minute.

``demo``: ``mapper demo`` of this tree beside the same command of a baseline revision (default:
the merge base with ``main``, i.e. the release this branch started from), run alternately in
fresh processes on this machine, ``--repeat`` times each. The baseline's files come from ``git
archive`` into ``bench/_work/`` (nothing in the repository changes). Prints wall time, peak
resident memory and each stage's time from ``run.json``, the medians, and the ratios
baseline / this tree.

``scale``: a synthetic corpus (``--events`` events on ``--places`` gazetteer settlements,
spread over five years) through ``control_timeline``, ``held_areas`` on weekly dates and
``render.write_site`` with each ``--jobs``, each in its own process so that its peak memory is
its own. Prints the time of each part, the peak resident memory, the largest snapshot page, the
shared data files, the whole output, and whether the outputs of the ``--jobs`` runs are the
same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / "_work"


# ------------------------------------------------------------------------------- processes


def run_measured(cmd: list[str], *, cwd: Path | None = None, env: dict | None = None) -> dict:
    """Run ``cmd``; return wall seconds, peak RSS (MB) and the exit code."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"wall_s": wall, "peak_rss_mb": usage.ru_maxrss / 1024, "rc": proc.returncode,
            "stdout": out, "stderr": err}


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=REPO, check=True, capture_output=True, text=True).stdout.strip()


def baseline_tree(rev: str | None) -> tuple[str, Path]:
    """The baseline revision's files in ``bench/_work/baseline-<sha>`` (from ``git archive``)."""
    if rev is None:
        try:
            rev = _git("merge-base", "HEAD", "main")
        except subprocess.CalledProcessError:
            rev = "HEAD"
    sha = _git("rev-parse", rev)
    dest = WORK / f"baseline-{sha[:12]}"
    if not (dest / "mapper" / "__init__.py").is_file():
        dest.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "archive", sha], cwd=REPO, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return sha, dest


def _demo_cmd(tree: Path, out: Path, jobs: int) -> list[str]:
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from mapper.cli import main; "
            "sys.exit(main(sys.argv[2:]))")
    args = ["demo", "--out", str(out), "--quiet"]
    if jobs > 1:
        args += ["--jobs", str(jobs)]
    return [sys.executable, "-c", code, str(tree), *args]


def bench_demo(baseline: str | None, repeat: int, jobs: int) -> dict:
    sha, tree = baseline_tree(baseline)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    runs: dict[str, list[dict]] = {"baseline": [], "this tree": []}
    with tempfile.TemporaryDirectory(prefix="bench-maps-") as tmp:
        for k in range(repeat):
            for name, src in (("baseline", tree), ("this tree", REPO)):
                out = Path(tmp) / f"{name.replace(' ', '_')}-{k}"
                r = run_measured(_demo_cmd(src, out, jobs if name == "this tree" else 1), env=env)
                if r["rc"] not in (0, 1):
                    raise SystemExit(f"{name}: mapper demo failed ({r['rc']}):\n{r['stderr'][-2000:]}")
                run = json.loads((out / "run.json").read_text())
                r["stages"] = run.get("timings_s", {})
                r["snapshots"] = run.get("counts", {}).get("snapshots")
                r["output_mb"] = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 2**20
                runs[name].append(r)
                print(f"  {name:<10} run {k + 1}: {r['wall_s']:6.2f} s wall, {r['peak_rss_mb']:6.0f} MB, "
                      f"maps {r['stages'].get('maps', float('nan')):5.2f} s, {r['snapshots']} snapshot dates",
                      flush=True)
    med = {}
    for name, rs in runs.items():
        stages = sorted({s for r in rs for s in r["stages"]})
        med[name] = {"wall_s": statistics.median(r["wall_s"] for r in rs),
                     "peak_rss_mb": statistics.median(r["peak_rss_mb"] for r in rs),
                     "output_mb": statistics.median(r["output_mb"] for r in rs),
                     **{f"{s}_s": statistics.median(r["stages"].get(s, 0.0) for r in rs) for s in stages}}
    keys = sorted(set(med["baseline"]) | set(med["this tree"]), key=lambda k: (k != "wall_s", k))
    print(f"\nmapper demo, median of {repeat}: baseline {sha[:10]} vs this tree (jobs {jobs})")
    print(f"  {'measure':<16}{'baseline':>10}{'this tree':>11}{'ratio':>8}")
    for k in keys:
        b, n = med["baseline"].get(k), med["this tree"].get(k)
        ratio = f"{b / n:7.2f}x" if b and n else "      -"
        print(f"  {k:<16}{b if b is not None else float('nan'):>10.2f}{n if n is not None else float('nan'):>11.2f}{ratio:>8}")
    b, n = med["baseline"], med["this tree"]
    print(f"demo build, wall time  {b['wall_s']:.1f} s -> {n['wall_s']:.1f} s ({b['wall_s'] / n['wall_s']:.2f}x faster; "
          f"baseline {sha[:10]})")
    print(f"demo maps stage  {b.get('maps_s', 0):.1f} s -> {n.get('maps_s', 0):.1f} s "
          f"({b.get('maps_s', 0) / max(n.get('maps_s', 0), 1e-9):.2f}x faster)")
    print(f"demo peak RSS  {b['peak_rss_mb']:.0f} MB -> {n['peak_rss_mb']:.0f} MB")
    print(f"demo output  {b['output_mb']:.1f} MB -> {n['output_mb']:.1f} MB")
    return {"baseline": sha, "median": med, "runs": {k: [{x: y for x, y in r.items() if x not in ("stdout", "stderr")}
                                                         for r in v] for k, v in runs.items()}}


# ------------------------------------------------------------------------------- scale

_SCALE_CHILD = r'''
import json, sys, time, warnings
import numpy as np, pandas as pd
warnings.simplefilter("ignore")
t0 = time.perf_counter()
from mapper import territory as T, render
from mapper.gazetteer import Gazetteer
n_events, n_places, weeks, jobs, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
gaz = Gazetteer.load()
t1 = time.perf_counter()
rng = np.random.default_rng(11)
s = gaz.settlements()
pick = s.iloc[rng.choice(len(s), size=n_places, replace=False)]
actors = np.array(["IS", "Syrian government", "Iraqi government", "SDF", "Kurdish forces"])
start = pd.Timestamp("2014-06-01")
rows = []
for i in range(n_events):
    p = pick.iloc[int(rng.integers(n_places))]
    g, l = rng.choice(actors, size=2, replace=False)
    kind = rng.choice(["captured", "held", "entered", "withdrew"], p=[0.5, 0.3, 0.15, 0.05])
    day = start + pd.Timedelta(days=int(rng.integers(0, weeks * 7)))
    ev = f"Forces of {g} and {l} fought for {p['name']} (report {i})."
    rows.append({"event_id": f"s{i:06d}", "place_id": p.place_id, "place": p["name"], "country": p["country"],
                 "name_as_written": p["name"], "lat": p.geometry.y, "lon": p.geometry.x,
                 "event_type": kind, "gainer": g if kind != "withdrew" else None, "loser": l,
                 "date": day, "date_precision": "day", "confidence": 0.8, "evidence": ev,
                 "sources": f"a{i}", "n_sources": 1,
                 "citations": json.dumps([{"article": f"a{i}", "title": f"Report {i}",
                                           "url": f"https://example.org/{i}", "evidence": ev}]),
                 "flags": ""})
events = pd.DataFrame(rows)
t2 = time.perf_counter()
control = T.control_timeline(events, start=start)
dates = pd.date_range(start, periods=weeks, freq="7D")
t3 = time.perf_counter()
areas = T.held_areas(control, gaz, dates)
t4 = time.perf_counter()
site = render.write_site(out, areas, events, dates, gazetteer=gaz, control=control, jobs=jobs, gif=True)
t5 = time.perf_counter()
print(json.dumps({"load_s": t1 - t0, "events_s": t2 - t1, "control_s": t3 - t2, "areas_s": t4 - t3,
                  "site_s": t5 - t4, "site_parts_s": site.timings, "pages": len(site.pages),
                  "area_rows": len(areas)}))
'''


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(folder).as_posix().encode())
            h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


def bench_scale(n_events: int, n_places: int, weeks: int, jobs: list[int]) -> dict:
    results = {}
    digests = {}
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        for j in jobs:
            out = Path(tmp) / f"jobs{j}"
            r = run_measured([sys.executable, "-c", _SCALE_CHILD, str(n_events), str(n_places),
                              str(weeks), str(j), str(out)])
            if r["rc"] != 0:
                raise SystemExit(f"scale run failed:\n{r['stderr'][-3000:]}")
            parts = json.loads(r["stdout"].strip().splitlines()[-1])
            pages = list((out / "snapshots").glob("*.html"))
            res = {**parts, "wall_s": r["wall_s"], "peak_rss_mb": r["peak_rss_mb"],
                   "largest_page_kb": max(p.stat().st_size for p in pages) / 1024 if pages else 0,
                   "timeline_kb": (out / "timeline.html").stat().st_size / 1024,
                   "data_files_mb": sum(p.stat().st_size for p in (out / "data").iterdir()) / 2**20,
                   "output_mb": sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 2**20}
            digests[j] = _digest(out)
            results[j] = res
            print(f"\nscale: {n_events:,} events on {n_places} places, {weeks} weekly snapshots, jobs {j}")
            for k, v in res.items():
                if isinstance(v, dict):
                    v = ", ".join(f"{a} {b:.2f}" for a, b in v.items())
                elif isinstance(v, float):
                    v = f"{v:,.2f}"
                print(f"  {k:<18} {v}")
    same = len(set(digests.values())) == 1
    print(f"\noutputs of jobs {jobs}: {'the same bytes' if same else 'DIFFERENT'}")
    for j, res in results.items():
        print(f"scale jobs {j}  {res['wall_s']:.1f} s, peak RSS {res['peak_rss_mb']:.0f} MB, "
              f"largest page {res['largest_page_kb']:.1f} kB, output {res['output_mb']:.1f} MB")
    return {"runs": results, "same_bytes": same}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", nargs="?", choices=["demo", "scale", "all"], default="demo")
    ap.add_argument("--baseline", help="git revision to compare with (default: merge base with main)")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--events", type=int, default=20_000)
    ap.add_argument("--places", type=int, default=400)
    ap.add_argument("--weeks", type=int, default=260)
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args(argv)
    print(f"{platform.node()} {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}, "
          f"{time.strftime('%Y-%m-%d %H:%M')}, load {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    res = {}
    if args.what in ("demo", "all"):
        res["demo"] = bench_demo(args.baseline, args.repeat, args.jobs[0])
    if args.what in ("scale", "all"):
        res["scale"] = bench_scale(args.events, args.places, args.weeks, args.jobs)
    if args.json:
        args.json.write_text(json.dumps(res, indent=1, default=str) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
