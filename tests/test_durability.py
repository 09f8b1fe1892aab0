"""``kill -9`` mid-build and determinism (issue 8, "Durability and determinism").

A complete build is made first; then the same build is started again into the same folder and
killed with SIGKILL at spread-out points of its run (reading, maps, writing, the swap). After
every kill the folder must still hold a complete build: the previous outputs byte for byte (or,
when the kill came after the swap, the new run's, which are the same bytes since the build is
deterministic), a parseable ``run.json``, no half-written file. A clean build afterwards
succeeds and leaves no staging folder behind.

Two builds of the same input are byte-identical apart from the timestamps and timings in
``run.json``, and so are ``--jobs 1`` and ``--jobs 2``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mapper.outputs import recover

REPO = Path(__file__).resolve().parents[1]

# our own sentences, one control change each
_ARTICLES = {
    "a1.txt": ("2017-11-19", "Army retakes border town\n\nIraqi troops recaptured the town of Rawa from "
               "Islamic State fighters on Friday, an army spokesman said.\n"),
    "a2.txt": ("2017-10-15", "Advance along the river\n\nSyrian government forces captured Mayadin from the "
               "Islamic State on 14 October 2017, state media reported.\n"),
    "a3.txt": ("2017-11-05", "Crossing reopens\n\nIraqi forces captured Al Qaim from the Islamic State on "
               "3 November 2017, the defence ministry said.\n"),
    "a4.txt": ("2017-12-20", "Last pocket\n\nThe SDF captured Hajin from the Islamic State on 14 December "
               "2017, a coalition statement said.\n"),
}

#: run.json fields that may differ between runs of the same input
_VOLATILE = ("run_id", "started", "finished", "timings_s")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict:
    d = tmp_path_factory.mktemp("durable")
    arts = d / "articles"
    arts.mkdir()
    rows = ["file,published"]
    for name, (day, text) in _ARTICLES.items():
        (arts / name).write_text(text, encoding="utf-8")
        rows.append(f"{name},{day}")
    (d / "metadata.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return {"dir": d, "articles": arts, "metadata": d / "metadata.csv"}


def _args(corpus: dict, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "mapper.cli", "build", str(corpus["articles"]), "--metadata",
            str(corpus["metadata"]), "--out", str(out), "--quiet", *extra]


def _build(corpus: dict, out: Path, *extra: str) -> float:
    t0 = time.perf_counter()
    p = subprocess.run(_args(corpus, out, *extra), capture_output=True, text=True, timeout=300, cwd=REPO)
    assert p.returncode == 0, p.stderr
    return time.perf_counter() - t0


def _tree(folder: Path) -> dict[str, str]:
    """relative path -> sha256 of every file; run.json by its stable content."""
    out = {}
    for f in sorted(folder.rglob("*")):
        if not f.is_file():
            continue
        rel = f.relative_to(folder).as_posix()
        if rel == "run.json":
            run = json.loads(f.read_text(encoding="utf-8"))  # parses: not half written
            for k in _VOLATILE:
                run.pop(k)
            run["arguments"].pop("argv")
            run["arguments"].pop("jobs")
            out[rel] = hashlib.sha256(json.dumps(run, sort_keys=True).encode()).hexdigest()
        elif rel == ".mapper-output":  # the marker names the run that wrote the folder
            marker = json.loads(f.read_text(encoding="utf-8"))
            run_id = json.loads((folder / "run.json").read_text(encoding="utf-8"))["run_id"]
            assert marker.pop("run_id") == run_id, "the marker and run.json name different runs"
            out[rel] = hashlib.sha256(json.dumps(marker, sort_keys=True).encode()).hexdigest()
        else:
            out[rel] = hashlib.sha256(f.read_bytes()).hexdigest()
    return out


def test_kill_9_never_leaves_a_half_written_folder(corpus, tmp_path):
    out = tmp_path / "out"
    took = _build(corpus, out)
    before = _tree(out)
    assert "run.json" in before and "index.html" in before and "territory.gpkg" in before
    # kill at spread-out points of a run as long as the first one
    for frac in (0.15, 0.4, 0.65, 0.85, 0.97):
        proc = subprocess.Popen(_args(corpus, out), cwd=REPO, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(max(0.2, frac * took))
        with contextlib.suppress(ProcessLookupError):  # it finished first: complete outputs too
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        recover(out)  # what the next run does first: a kill between the two renames is undone
        assert out.is_dir(), f"kill at {frac:.0%}: the output folder is gone"
        assert _tree(out) == before, f"kill at {frac:.0%} of the run changed the previous outputs"
    _build(corpus, out)
    assert _tree(out) == before
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")]
    assert leftovers == [], f"staging folders left behind: {leftovers}"


def test_same_input_same_bytes_for_any_jobs(corpus, tmp_path):
    """Two builds in this process and one with two extraction processes: the same bytes."""
    import warnings

    from mapper.errors import MapperWarning
    from mapper.pipeline import build

    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MapperWarning)
        for out, jobs in ((a, 1), (b, 1), (c, 2)):
            build([corpus["articles"]], out, metadata=corpus["metadata"], jobs=jobs)
    ta, tb, tc = _tree(a), _tree(b), _tree(c)
    assert len(ta) > 10
    assert ta == tb, sorted(k for k in ta if ta.get(k) != tb.get(k))
    assert ta == tc, sorted(k for k in ta if ta.get(k) != tc.get(k))
