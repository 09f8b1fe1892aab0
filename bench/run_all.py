"""Run every benchmark of ``bench/`` and print one table; write ``bench/RESULTS.md``.

    python bench/run_all.py [--budget 600] [--extract-n 10000] [--logs DIR] [--parse-only DIR]

Runs, one after the other, each in its own process (so peak-memory figures are per benchmark):

- ``bench_gazetteer.py``: load time of the packaged gazetteer and of the 33k-place dump,
  lookups per second after load;
- ``bench_extract.py --n N``: extraction articles/s beside a tokenisation pass and
  flashgeotext, and peak memory at 1k and N articles;
- ``bench_territory.py``: 52 weekly snapshots over the 33,205-place dump, time and memory;
- ``bench_maps.py``: sizes and render times of the timeline and a snapshot (500 events);
- ``bench_dask.py --quick``: Dask extraction with 1 and 2 workers.

Not in the default run (it takes longer than the budget): ``bench_scale.py`` (issue 15), the
whole ``mapper build`` at 1k/10k articles with weekly snapshots and ``mapper extract`` on the
local and Dask engines; ``--only scale`` runs its ``--quick`` form (1,000 articles), which
writes its own section of ``bench/RESULTS.md`` (kept when this script rewrites the file).

Each may use what is left of ``--budget`` seconds (default 600: the whole run stays under
ten minutes) less a reserve for the ones still to come; one that runs over is stopped, its
row says so and the figures it had printed so far are kept. The printed figures of each are
collected into one table (benchmark, measure, value), printed, and written to
``bench/RESULTS.md`` with the machine (cores, CPU model, RAM), the date and the Python
version. The full output of each benchmark goes to ``--logs`` (default: a temporary folder)
and ``--parse-only DIR`` rebuilds the table from such logs without running anything.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

#: (name, script arguments, seconds kept back for it while the ones before it run)
BENCHMARKS = [
    ("gazetteer", ["bench_gazetteer.py"], 10),
    ("territory", ["bench_territory.py"], 20),
    ("maps", ["bench_maps.py"], 40),
    ("extract", ["bench_extract.py"], 150),
    ("dask", ["bench_dask.py", "--quick"], 240),
]
#: run only when named with --only (longer than the ten-minute budget allows)
OPTIONAL = [
    ("scale", ["bench_scale.py", "--quick"], 0),
]

Row = tuple[str, str, str]


# ------------------------------------------------------------------------------ machine


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 2**20:.1f} GiB"
                break
    except OSError:
        pass
    try:
        load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        load = ""
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cores (nproc)": str(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()),
        "CPU": cpu,
        "RAM": ram,
        "Python": platform.python_version(),
        "OS": platform.platform(),
        "load average at start": load,
    }


# ------------------------------------------------------------------------------ parsers


def _num(text: str) -> str:
    return text.strip()


def parse_extract(out: str) -> list[Row]:
    rows: list[Row] = []
    m = re.search(r"corpus: (\d+) (?:articles|distinct synthetic dispatches).*?([\d.]+) MB", out)
    if m:
        rows.append(("extract", "corpus", f"{int(m[1]):,} articles, {m[2]} MB JSON Lines"))
        n, mb = int(m[1]), float(m[2])
    else:
        n, mb = 0, 0.0
    in_table = False
    for line in out.splitlines():
        if line.startswith("pass") and "articles/s" in line:
            in_table = True
            continue
        if in_table:
            if not line.strip():
                in_table = False
                continue
            parts = line.rsplit(None, 4)
            if len(parts) == 5:
                label, secs, rate, x_tok, x_fg = parts
                sub = re.search(r"\((\d+)\)", label)  # a pass over the first N articles only
                share = int(sub[1]) / n if sub and n else 1.0
                mbs = f", {mb * share / float(secs):.2f} MB/s" if mb and float(secs) > 0 else ""
                rows.append(("extract", f"{label.strip()}: articles/s (one core)",
                             f"{float(rate):,.0f}{mbs}; x{float(x_tok):.3f} of tokenise, x{float(x_fg):.3f} of flashgeotext"))
    m = re.search(r"dev set \((\d+) real reports, ([\d,]+) characters each, read once each\): mapper extract \(full\) "
                  r"([\d,]+) articles/s; x([\d.]+) of tokenise \(([\d,]+)/s\)(?:, x([\d.]+) of flashgeotext)?", out)
    if m:
        fg = f", x{m[6]} of flashgeotext" if m[6] else ""
        rows.append(("extract", f"mapper extract (full), dev set ({m[1]} reports, {m[2]} chars, once each): articles/s",
                     f"{m[3]}; x{m[4]} of tokenise{fg} on the same texts"))
    for pat, what in [(r"peak RSS after 1,000 articles: ([\d.]+) MB", "peak RSS after 1k articles"),
                      (r"peak RSS after ([\d,]+) articles: ([\d.]+) MB", "peak RSS after all articles"),
                      (r"growth from [\d,k]+ to [\d,k]+ articles: ([+\-\d.]+) MB", "peak memory growth, 1k -> all"),
                      (r"reports written: (\d+)", "reports written")]:
        found = list(re.finditer(pat, out))
        if found:
            m = found[-1]
            val = m.groups()[-1]
            if "after all" in what:
                what = f"peak RSS after {m[1]} articles"
            rows.append(("extract", what, f"{val} MB" if "RSS" in what or "memory" in what else val))
    return rows


def parse_territory(out: str) -> list[Row]:
    rows: list[Row] = []
    m = re.search(r"settlements ([\d,]+) \| events (\d+)(.*)", out)
    if m:
        rows.append(("territory", "input", f"{m[1]} settlements, {m[2]} events{m[3].rstrip()}"))
    for line in out.splitlines():
        m = re.match(r"(load layers|control timeline|held areas|total|peak memory)\s+([\d.]+ \w+)(.*)", line)
        if m:
            rows.append(("territory", m[1], (m[2] + " " + m[3].strip()).strip()))
    return rows


def parse_maps(out: str) -> list[Row]:
    rows: list[Row] = []
    for line in out.splitlines():
        m = re.match(r"^(\S.*?)\s{2,}(\S.*)$", line)
        if m and not line.startswith(("Traceback", " ")) and m[1].strip() not in ("machine", "date"):
            rows.append(("maps", m[1].strip(), m[2].strip()))
    return rows


def parse_dask(out: str, err: str = "") -> list[Row]:
    rows: list[Row] = []
    if not re.search(r"^\s*articles\s+workers", out, re.M):  # stopped before its table: use stderr
        size = "?"
        for line in err.splitlines():
            m = re.match(r"corpus: ([\d,]+) articles", line)
            if m:
                size = m[1]
            m = re.match(r"\s+(\d+) worker\(s\): ([\d.]+) articles/s, peak ([\d.]+) MB/worker", line)
            if m:
                rows.append(("dask", f"{size} articles, {m[1]} worker(s)", f"{m[2]} articles/s, peak {m[3]} MB/worker"))
        return rows
    header = False
    for line in out.splitlines():
        if line.strip().startswith("articles") and "workers" in line:
            header = True
            continue
        if header:
            parts = line.split()
            if len(parts) >= 8 and parts[0].replace(",", "").isdigit():
                arts, workers, _parts, secs, rate, speed, reports, peak = parts[:8]
                rows.append(("dask", f"{arts} articles, {workers} worker(s)",
                             f"{rate} articles/s ({secs} s), speed-up {speed}, peak {peak} MB/worker"))
    return rows


def parse_scale(out: str, err: str = "") -> list[Row]:
    """The progress lines of ``bench_scale.py`` (its tables are in its own RESULTS.md section)."""
    rows: list[Row] = []
    size = "?"
    for line in err.splitlines():
        m = re.match(r"corpus: ([\d,]+) articles", line)
        if m:
            size = m[1]
        m = re.match(r"\s+build --jobs (\d+): ([\d.]+) s, stages .*?, peak tree (\d+) MB, output ([\d.]+) MB, "
                     r"largest page (\d+) KB", line)
        if m:
            rows.append(("scale", f"build {size} articles, --jobs {m[1]}",
                         f"{m[2]} s, peak RSS {m[3]} MB (process tree), output {m[4]} MB, largest page {m[5]} KB"))
        m = re.match(r"\s+extract --engine (\w+)(?: \((\d+) worker\(s\)\))?: ([\d.]+) s, peak tree (\d+) MB", line)
        if m:
            who = m[1] + (f", {m[2]} worker(s)" if m[2] else "")
            rows.append(("scale", f"extract {size} articles, {who}", f"{m[3]} s, peak RSS {m[4]} MB (process tree)"))
    return rows


def parse_gazetteer(out: str) -> list[Row]:
    rows: list[Row] = []
    for line in out.splitlines():
        m = re.match(r"^([^:]+):\s+(.*)$", line)
        if m:
            rows.append(("gazetteer", m[1].strip(), m[2].strip()))
    return rows


PARSERS = {"gazetteer": parse_gazetteer, "extract": parse_extract, "territory": parse_territory, "maps": parse_maps, "dask": parse_dask}


def _parse(name: str, out: str, err: str) -> list[Row]:
    if name == "scale":
        return parse_scale(out, err)
    return parse_dask(out, err) if name == "dask" else PARSERS[name](out)


# ------------------------------------------------------------------------------ run


def run_one(name: str, argv: list[str], timeout: float, logs: Path) -> tuple[list[Row], float, str]:
    t0 = time.perf_counter()
    status = "ok"
    try:
        p = subprocess.run([sys.executable, str(HERE / argv[0]), *argv[1:]], capture_output=True, text=True,
                           timeout=timeout, cwd=REPO)
        out, err = p.stdout, p.stderr
        if p.returncode != 0:
            status = f"failed (exit {p.returncode}): {(err.strip().splitlines() or ['?'])[-1][:120]}"
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        status = f"stopped after {timeout:.0f} s (over the budget)"
    took = time.perf_counter() - t0
    (logs / f"{name}.out").write_text(out)
    (logs / f"{name}.err").write_text(err)
    (logs / f"{name}.status").write_text(f"{status}\n{took:.1f}\n")
    return _parse(name, out, err), took, status


def table(rows: list[Row]) -> str:
    w1 = max([len("benchmark")] + [len(r[0]) for r in rows])
    w2 = max([len("measure")] + [len(r[1]) for r in rows])
    lines = [f"| {'benchmark':<{w1}} | {'measure':<{w2}} | value |", f"|{'-' * (w1 + 2)}|{'-' * (w2 + 2)}|-------|"]
    lines += [f"| {a:<{w1}} | {b:<{w2}} | {c.replace('|', '/')} |" for a, b, c in rows]
    return "\n".join(lines)


def write_results(rows: list[Row], info: dict[str, str], total: float, path: Path) -> None:
    text = ["# Benchmark results", "",
            f"Written by `python bench/run_all.py` in {total:.0f} s. Every figure below is from that one run.", "",
            "## Machine", ""]
    text += [f"- {k}: {v}" for k, v in info.items()]
    text += ["", "## Results", "", table(rows), "",
             "Scripts and what each measures: see the docstrings of `bench/bench_*.py`. The machine was "
             "shared with other work while this ran (see the load average), so times are upper bounds.", "",
             "Not in the ten-minute run: extraction of 100,000 articles (`python bench/bench_extract.py --n "
             "100000`, about 20 minutes at the rate above) and Dask at 100,000 (`python bench/bench_dask.py`); "
             "the 1k -> 10k peak-memory figures above are the flatness check.", ""]
    # sections other scripts write between their own markers (bench_scale.py) are kept
    old = path.read_text() if path.is_file() else ""
    blocks = [m.group(0) for m in re.finditer(r"<!-- (\w+): begin -->.*?<!-- \1: end -->", old, flags=re.S)]
    path.write_text("\n".join(text + blocks) + ("\n" if blocks else ""))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--budget", type=float, default=600, help="seconds for the whole run (default 600)")
    ap.add_argument("--extract-n", type=int, default=10_000, help="articles of the extraction corpus")
    ap.add_argument("--logs", type=Path, help="keep each benchmark's output here")
    ap.add_argument("--parse-only", type=Path, metavar="DIR", help="rebuild the table from the logs in DIR")
    ap.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    ap.add_argument("--only", nargs="+", choices=[b[0] for b in BENCHMARKS + OPTIONAL])
    args = ap.parse_args(argv)

    info = machine()
    rows: list[Row] = []
    t0 = time.perf_counter()
    logs = args.parse_only or args.logs or Path(tempfile.mkdtemp(prefix="mapper-bench-"))
    logs.mkdir(parents=True, exist_ok=True)
    chosen = [b for b in BENCHMARKS + OPTIONAL if (b in BENCHMARKS and not args.only) or (args.only and b[0] in args.only)]
    for i, (name, script, _reserve) in enumerate(chosen):
        # what is left of the budget, less what the benchmarks still to come are kept
        timeout = max(30.0, args.budget - (time.perf_counter() - t0) - sum(r for _, _, r in chosen[i + 1:]))
        if args.parse_only:
            out = (logs / f"{name}.out").read_text() if (logs / f"{name}.out").exists() else ""
            status, took = ((logs / f"{name}.status").read_text().splitlines() + ["missing", "0"])[:2]
            err = (logs / f"{name}.err").read_text() if (logs / f"{name}.err").exists() else ""
            found = _parse(name, out, err)
            took = float(took)
        else:
            script = list(script)
            if name == "extract":
                script += ["--n", str(args.extract_n)]
            print(f"running {name} ({timeout:.0f} s at most) ...", file=sys.stderr, flush=True)
            found, took, status = run_one(name, script, timeout, logs)
        rows += found
        rows.append((name, "wall time of the benchmark", f"{took:.0f} s" + ("" if status == "ok" else f" - {status}")))
    total = time.perf_counter() - t0
    if args.parse_only:
        total = sum(float(((logs / f"{n}.status").read_text().splitlines() + ["", "0"])[1])
                    for n, _, _ in BENCHMARKS if (logs / f"{n}.status").exists())
    print(table(rows))
    print(f"\n{total:.0f} s in all; logs in {logs}")
    write_results(rows, info, total, args.results)
    print(f"wrote {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
