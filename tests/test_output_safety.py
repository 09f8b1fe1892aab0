"""`--out` never deletes a user's files (issue 14) and never gets stuck (issue 16).

mapper replaces its output folder whole. It may replace a folder that is new, empty, or holds
the ``.mapper-output`` marker of an earlier run; a non-empty folder without the marker only
with ``--force``; and never (not even forced) the current folder or one above it, a home
folder, a filesystem root, a symbolic link or a folder holding an input. Each refusal exits 2
before any work, names the folder and the way out, and every sentinel file survives.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from mapper.errors import MapperWarning, OutputError

MARKER = ".mapper-output"  # mapper.outputs.MARKER
REPO = Path(__file__).resolve().parents[1]
_ARTICLE = "Iraqi troops captured Rawa from the Islamic State on 3 November 2017, officials said.\n"


@pytest.fixture
def corpus(tmp_path) -> Path:
    arts = tmp_path / "corpus"
    arts.mkdir()
    (arts / "a.txt").write_text(_ARTICLE, encoding="utf-8")
    return arts


def _sentinel(folder: Path, name: str = "thesis.docx") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    f = folder / name
    f.write_bytes(b"years of work\n")
    return f


def _build(*args: str, cwd: Path, env: dict | None = None, process: bool = False) -> subprocess.CompletedProcess:
    """`mapper build ... --quiet` from ``cwd``: in this process, or (``process=True``) in a new one."""
    argv = ["build", *args, "--quiet"]
    if process:
        return subprocess.run([sys.executable, "-m", "mapper.cli", *argv], capture_output=True, text=True,
                              timeout=300, cwd=cwd, env={**os.environ, **(env or {})})
    import contextlib
    import io

    from mapper.cli import main

    err = io.StringIO()
    saved = {k: os.environ.get(k) for k in (env or {})}
    here = os.getcwd()
    try:
        os.environ.update(env or {})
        os.chdir(cwd)
        with contextlib.redirect_stderr(err), warnings.catch_warnings():
            warnings.simplefilter("ignore", MapperWarning)
            code = main(argv)
    finally:
        os.chdir(here)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return subprocess.CompletedProcess(argv, code, "", err.getvalue())


def _refused(p: subprocess.CompletedProcess, *words: str) -> None:
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert "Traceback" not in p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    for w in words:
        assert w in lines[0], (w, lines[0])


def _api_build(corpus: Path, out: Path, **kw):
    from mapper.pipeline import build

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MapperWarning)
        return build([corpus], out, **kw)


def test_non_empty_folder_without_marker_is_refused_then_replaced_with_force(tmp_path, corpus):
    precious = tmp_path / "precious"
    thesis = _sentinel(precious)
    p = _build(str(corpus), "--out", "precious", cwd=tmp_path)
    _refused(p, "precious", "thesis.docx", "--force", "new or empty folder")
    assert thesis.read_bytes() == b"years of work\n"
    assert not [x for x in tmp_path.iterdir() if x.name.startswith(".precious")]
    assert _api_build(corpus, precious, force=True).exit_code == 0
    assert not thesis.exists() and (precious / MARKER).is_file()


def test_a_folder_mapper_wrote_is_replaced_and_an_empty_one_used(tmp_path, corpus):
    out = tmp_path / "out"
    out.mkdir()
    first = _api_build(corpus, out).report.run_id
    assert json.loads((out / MARKER).read_text())["run_id"] == first
    (out / "notes-inside-old-output.txt").write_text("mapper's folder; replaced whole\n")
    second = _api_build(corpus, out).report.run_id
    marker = json.loads((out / MARKER).read_text())
    assert marker["run_id"] == second != first
    assert marker["run_id"] == json.loads((out / "run.json").read_text())["run_id"]
    assert not (out / "notes-inside-old-output.txt").exists()


@pytest.mark.parametrize("force", [[], ["--force"]], ids=["", "forced"])
@pytest.mark.parametrize("out", [".", "..", "../.."])
def test_the_current_folder_and_its_parents_are_never_replaced(tmp_path, corpus, out, force):
    cwd = tmp_path / "work" / "here"
    keep = [_sentinel(cwd), _sentinel(cwd.parent, "other.txt"), corpus / "a.txt"]
    p = _build(str(corpus), "--out", out, *force, cwd=cwd, process=out == "." and not force)
    assert all(k.is_file() for k in keep)
    _refused(p, f"--out {out}", "current folder", "--out a new or empty folder")


def test_the_home_folder_is_never_replaced(tmp_path, corpus):
    home = tmp_path / "home"
    thesis = _sentinel(home)
    env = {"HOME": str(home)}
    for force in ([], ["--force"]):
        p = _build(str(corpus), "--out", str(home), *force, cwd=tmp_path, env=env)
        assert thesis.is_file()
        _refused(p, str(home), "home folder")
    p = _build(str(corpus), "--out", str(tmp_path), "--force", cwd=REPO, env=env)  # contains home
    _refused(p, "home folder")
    assert thesis.is_file()


def test_a_filesystem_root_is_never_replaced():
    # checked on the guard itself: no test ever runs a build with --out /
    from mapper.outputs import check_output_dir

    with pytest.raises(OutputError, match="filesystem root"):
        check_output_dir("/", force=True)


@pytest.mark.parametrize("where", ["the input folder", "above the input", "metadata inside"])
def test_a_folder_holding_an_input_is_never_replaced(tmp_path, corpus, where):
    meta = None
    if where == "the input folder":
        out = corpus
    elif where == "above the input":
        out = tmp_path
    else:
        out = tmp_path / "results"
        meta = _sentinel(out, "metadata.csv")
        meta.write_text("file,published\na.txt,2017-11-03\n")
    for force in ([], ["--force"]):
        args = [str(corpus), "--out", str(out), *force] + (["--metadata", str(meta)] if meta else [])
        p = _build(*args, cwd=REPO)
        assert (corpus / "a.txt").read_text() == _ARTICLE
        assert meta is None or meta.is_file()
        _refused(p, str(out), "input", "outside the inputs")


def test_a_symlinked_output_folder_is_refused_and_its_target_untouched(tmp_path, corpus):
    target = tmp_path / "real"
    thesis = _sentinel(target)
    (tmp_path / "link").symlink_to(target, target_is_directory=True)
    p = _build(str(corpus), "--out", "link", cwd=tmp_path)
    assert thesis.is_file() and (tmp_path / "link").is_symlink()
    _refused(p, "--out link", "symbolic link", str(target))


def test_an_output_folder_under_a_file_is_refused(tmp_path, corpus):
    afile = tmp_path / "afile"
    afile.write_text("not a folder\n")
    p = _build(str(corpus), "--out", str(afile), cwd=tmp_path)
    _refused(p, str(afile), "not a folder")
    assert afile.read_text() == "not a folder\n"


def _posix_permissions(monkeypatch) -> None:
    """Deleting an entry needs a writable folder, as for any user but root (the tests run as
    root, whom the kernel lets delete anything)."""
    real_unlink, real_rmdir = os.unlink, os.rmdir

    def guarded(real):
        def call(path, *, dir_fd=None):
            folder = os.fstat(dir_fd).st_mode if dir_fd is not None else os.stat(os.path.dirname(os.path.abspath(path))).st_mode
            if not folder & stat.S_IWUSR:
                raise PermissionError(13, "Permission denied", path)
            return real(path, dir_fd=dir_fd)
        return call

    monkeypatch.setattr(os, "unlink", guarded(real_unlink))
    monkeypatch.setattr(os, "rmdir", guarded(real_rmdir))


def test_a_read_only_folder_in_an_old_output_never_blocks_later_runs(tmp_path, corpus, monkeypatch):
    from mapper.pipeline import build

    out = tmp_path / "out"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MapperWarning)
        build([corpus], out)
        locked = out / "snapshots"
        locked.chmod(0o555)  # the user made a folder of the old output read-only
        _posix_permissions(monkeypatch)
        for _ in range(2):  # the second run is the one an undeletable .previous broke
            result = build([corpus], out)
            assert result.exit_code == 0
    assert (out / "run.json").is_file() and (out / "snapshots").is_dir()
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.")]


def test_refusals_come_before_any_work(tmp_path, corpus):
    """The API raises the same errors, before a staging folder is made."""
    from mapper.pipeline import build

    _sentinel(tmp_path / "precious")
    with pytest.raises(OutputError, match="--force"):
        build([corpus], tmp_path / "precious")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus", "precious"]
