"""Shared fixtures: the network is blocked, ``../shared`` is located or the test skips, and the
expensive builds are made once per session.

Session builds (each made the first time a test asks for it):

- ``installed_mapper``: the project built as a wheel, installed in a fresh venv in a temp dir;
- ``demo_run``: ``mapper demo`` run by that install from a folder outside the repository (the
  user's path, and the one demo build the whole suite reads). These two are made in a
  background thread (the work is in subprocesses) started as soon as collection finds a test
  that needs them, so they run beside the tests before it on the second core;
- ``seeds_build``: the five seed articles built in this process (a ``BuildResult``);
- ``hostile_build``: a corpus of hostile text built in this process with ``--self-contained``.

Subprocess builds are kept for the few tests that need a process (kill -9, exit codes).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import tempfile
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings as _hyp_settings

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MAPPER_SHARED", REPO.parent / "shared"))

# the gazetteer's built name index is cached between runs; tests keep theirs out of the
# user's cache folder (subprocesses inherit it)
if "MAPPER_CACHE_DIR" not in os.environ:
    import tempfile

    os.environ["MAPPER_CACHE_DIR"] = tempfile.mkdtemp(prefix="mapper-test-cache-")


# property tests: random examples on a developer's machine (new counterexamples get found),
# the same examples on CI (a run is decided by the code, not by the draw); `.ci/run` sets CI
_hyp_settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    _hyp_settings.load_profile("ci")


def pytest_addoption(parser):
    parser.addoption("--run-network", action="store_true", help="allow tests marked 'network'")


class NetworkBlocked(RuntimeError):
    """Raised when a test tries to reach a non-loopback address."""


_real_connect = socket.socket.connect
_real_create_connection = socket.create_connection


def _is_loopback(address) -> bool:
    if isinstance(address, tuple) and address:
        host = str(address[0])
        return host in ("localhost", "::1") or host.startswith("127.")
    return isinstance(address, (str, bytes))  # AF_UNIX sockets (jupyter kernels) are local


def _guarded_connect(self, address):
    if not _is_loopback(address):
        raise NetworkBlocked(f"network access blocked in tests: {address!r}")
    return _real_connect(self, address)


def _guarded_create_connection(address, *args, **kwargs):
    if not _is_loopback(address):
        raise NetworkBlocked(f"network access blocked in tests: {address!r}")
    return _real_create_connection(address, *args, **kwargs)


@pytest.fixture(autouse=True)
def _block_network(request, monkeypatch):
    if request.node.get_closest_marker("network") and request.config.getoption("--run-network"):
        yield
        return
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket, "create_connection", _guarded_create_connection)
    yield


def pytest_collection_modifyitems(config, items):
    if config.getoption("--run-network"):
        return
    skip = pytest.mark.skip(reason="needs the network: run with --run-network")
    for item in items:
        if "network" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` beside the project; tests that need it skip with a reason when absent."""
    if not (SHARED / "seeds").is_dir():
        pytest.skip(f"reference corpus not found at {SHARED} (set MAPPER_SHARED to its path)")
    return SHARED


@pytest.fixture(scope="session")
def seeds_dir(shared_dir) -> Path:
    return shared_dir / "seeds"


@pytest.fixture(scope="session")
def dev_dir(shared_dir) -> Path:
    d = shared_dir / "dev"
    if not d.is_dir():
        pytest.skip(f"development corpus not found at {d}")
    return d


@pytest.fixture(scope="session")
def geonames_dump(shared_dir) -> Path:
    p = shared_dir / "data" / "wof_geonames_format_SY_IQ.tsv"
    if not p.is_file():
        pytest.skip(f"GeoNames-format dump not found at {p}")
    return p


@pytest.fixture(scope="session")
def gazetteer():
    """The packaged gazetteer, loaded once per session."""
    from mapper.gazetteer import Gazetteer

    return Gazetteer.load()


# ---------------------------------------------------------------------------- session builds


@pytest.fixture(scope="session")
def seeds_build(seeds_dir, tmp_path_factory):
    """The seed articles built once (weekly snapshots, October to mid-November 2017)."""
    from mapper.errors import MapperWarning
    from mapper.pipeline import build

    out = tmp_path_factory.mktemp("seeds") / "out"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MapperWarning)
        return build(sorted(seeds_dir.glob("*.txt")), out, metadata=seeds_dir / "metadata.csv",
                     since="2017-10-01", until="2017-11-12", every="week")


# Hostile text written for these tests; every sentence is our own.
SCRIPT = "<script>window.__pwned=1</script>"
IMG = '"><img src=x onerror=window.__pwned=1>'
TPL = "{{ 7*7 }} {% if 1 %}X{% endif %}"
JS_URL = "javascript:window.__pwned=1"
HOSTILE_RECORDS = [
    {"id": IMG + "id1", "published": "2017-11-19", "title": SCRIPT + " " + TPL, "url": JS_URL,
     "text": f"{SCRIPT} {IMG} Iraqi troops recaptured the town of Rawa from Islamic State fighters "
             f"on 17 November 2017 {TPL}."},
    {"id": '=HYPERLINK("http://127.0.0.1/x","y")', "published": "2017-10-15", "title": "=cmd|' /C calc'!A0",
     "url": " JaVaScRiPt:window.__pwned=1",
     "text": "Syrian government forces captured Mayadin from the Islamic State on 14 October 2017."},
    {"id": "@sum(1)", "published": "2017-11-05", "title": "+plus -minus", "url": "https://example.org/a?b=1&c=<2>",
     "text": "-Iraqi forces captured Al Qaim from the Islamic State on 3 November 2017."},
]
HOSTILE_FILES = {
    IMG + ".txt": f"Town taken\n\nKurdish forces captured Hajin from the Islamic State on 14 December 2017, {SCRIPT} said.\n",
    "{{ 7*7 }}.txt": "Another town\n\nIraqi troops captured Anah from the Islamic State on 20 November 2017.\n",
}


@pytest.fixture(scope="session")
def hostile_corpus(tmp_path_factory) -> dict:
    """Articles whose ids, titles, URLs, file names and sentences carry markup, templates and
    spreadsheet formulas."""
    d = tmp_path_factory.mktemp("hostile")
    arts = d / "articles"
    arts.mkdir()
    (arts / "feed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in HOSTILE_RECORDS), encoding="utf-8")
    for name, text in HOSTILE_FILES.items():
        (arts / name).write_text(text, encoding="utf-8")
    with (d / "metadata.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "published", "title", "url"])
        w.writerow([IMG + ".txt", "2017-12-15", SCRIPT, "javascript:alert(1)"])
        w.writerow(["{{ 7*7 }}.txt", "2017-11-21", "{{ 7*7 }}", "data:text/html,<script>window.__pwned=1</script>"])
    return {"dir": d, "articles": arts, "metadata": d / "metadata.csv"}


@pytest.fixture(scope="session")
def hostile_build(hostile_corpus):
    """The hostile corpus built once, self-contained (Leaflet copied beside the pages)."""
    from mapper.errors import MapperWarning
    from mapper.pipeline import build

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MapperWarning)
        return build([hostile_corpus["articles"]], hostile_corpus["dir"] / "out", metadata=hostile_corpus["metadata"],
                     every="month", self_contained=True)


# ---------------------------------------------------------------------------- an installed wheel

#: what a wheel is built from (a copy, so the build never writes into the working tree)
_PROJECT_FILES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "mapper", "data")
_NOT_SOURCE = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")


@dataclass
class Installed:
    """mapper installed from its wheel in a fresh venv outside the repository."""

    wheel: Path
    venv: Path
    mode: str  # "full": dependencies installed by pip; "offline": the test env's, shared

    @property
    def mapper(self) -> Path:
        return self.venv / "bin" / "mapper"

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def env(self) -> dict:
        env = {k: v for k, v in os.environ.items()
               if k not in ("PYTHONPATH", "MAPPER_DATA_DIR", "VIRTUAL_ENV", "PYTHONHOME")}
        env["PATH"] = f"{self.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        return env

    def run(self, *args: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.mapper), *args], cwd=cwd, env=self.env(), capture_output=True,
                              text=True, timeout=timeout)


def _pip(*args: str, python: str = sys.executable, timeout: float = 900) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run([python, "-m", "pip", *args], capture_output=True, text=True, timeout=timeout, env=env)


def _install_wheel(root: Path) -> Installed:
    """``pip wheel`` + ``pip install`` into a fresh venv under ``root``.

    Dependencies come from the package index pip is configured with (this machine's local
    index). When no index answers, the wheel is installed without dependencies and the venv
    borrows the test environment's (not the repository: the wheel's own ``mapper`` is used).
    """
    src = root / "src"
    src.mkdir()
    for name in _PROJECT_FILES:
        p = REPO / name
        if p.is_dir():
            shutil.copytree(p, src / name, ignore=_NOT_SOURCE)
        else:
            shutil.copy2(p, src / name)
    dist = root / "dist"
    built = _pip("wheel", str(src), "--no-deps", "-q", "-w", str(dist))
    if built.returncode != 0:  # no index for the build requirements: build with what is here
        built = _pip("wheel", str(src), "--no-deps", "--no-build-isolation", "-q", "-w", str(dist))
    if built.returncode != 0:
        raise RuntimeError(f"pip wheel failed:\n{built.stderr[-3000:]}")
    (wheel,) = dist.glob("*.whl")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    py = str(venv / "bin" / "python")
    got = _pip("install", "-q", str(wheel), python=py)
    mode = "full"
    if got.returncode != 0:
        offline = _pip("install", "-q", "--no-deps", str(wheel), python=py)
        if offline.returncode != 0:
            raise RuntimeError(f"pip install failed:\n{got.stderr[-3000:]}\n{offline.stderr[-3000:]}")
        site = subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              capture_output=True, text=True, check=True).stdout.strip()
        # the test environment's packages, after the venv's own (its mapper comes from the wheel)
        Path(site, "zz_test_env_packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
        mode = "offline"
    return Installed(wheel=wheel, venv=venv, mode=mode)


def _wheel_and_demo(root: Path) -> tuple[Installed, subprocess.CompletedProcess, Path]:
    installed = _install_wheel(root)
    elsewhere = root / "elsewhere"
    elsewhere.mkdir()
    proc = installed.run("demo", "--out", "demo", cwd=elsewhere, timeout=1200)
    return installed, proc, elsewhere / "demo"


#: the wheel built, installed and run in the background (started when collection finds a test
#: that needs it, so it overlaps the tests that run before)
_BACKGROUND: dict = {}


class _Job:
    """``fn(*args)`` in a daemon thread (its work is in subprocesses); ``result()`` waits."""

    def __init__(self, fn, *args):
        self._done = threading.Event()
        self._value = self._error = None

        def work():
            try:
                self._value = fn(*args)
            except BaseException as exc:  # handed to the test that asks for the result
                self._error = exc
            finally:
                self._done.set()

        threading.Thread(target=work, name="mapper-wheel", daemon=True).start()

    def result(self, timeout: float):
        if not self._done.wait(timeout):
            raise RuntimeError(f"building and installing the wheel took over {timeout:.0f} s")
        if self._error is not None:
            raise RuntimeError(f"{type(self._error).__name__}: {self._error}")
        return self._value


def pytest_collection_finish(session):
    needs = {"installed_mapper", "demo_run"}
    if session.config.option.collectonly or not any(needs & set(getattr(i, "fixturenames", ())) for i in session.items):
        return
    root = Path(tempfile.mkdtemp(prefix="mapper-wheel-"))
    _BACKGROUND.update(root=root, job=_Job(_wheel_and_demo, root))


def pytest_unconfigure(config):
    if _BACKGROUND:
        shutil.rmtree(_BACKGROUND["root"], ignore_errors=True)


def _background_result():
    if not _BACKGROUND:  # the fixture was asked for without collection seeing it: start now
        root = Path(tempfile.mkdtemp(prefix="mapper-wheel-"))
        _BACKGROUND.update(root=root, job=_Job(_wheel_and_demo, root))
    try:
        return _BACKGROUND["job"].result(timeout=2400)
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def installed_mapper() -> Installed:
    """mapper built as a wheel and installed (with its dependencies) into a fresh venv in a
    temp dir; made in the background from the start of the session."""
    installed, _, _ = _background_result()
    if installed.mode == "offline":
        print("\n(no package index answered: the wheel was installed without dependencies)")
    return installed


@pytest.fixture(scope="session")
def demo_run():
    """``mapper demo --out demo`` run by the installed wheel from a folder outside the repository:
    (the finished process, the output folder)."""
    _, proc, out = _background_result()
    return proc, out
