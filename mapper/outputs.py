"""Writing outputs safely: a staged output folder swapped in whole, spreadsheet-safe CSV.

check_output_dir(out_dir, *, inputs, force)  refuse a folder mapper must not replace (exit 2)
StagedOutput(out_dir)        write into a hidden sibling folder, then swap it in at commit()
spreadsheet_safe(df)         neutralise cells a spreadsheet would run as a formula
unneutralise(df)             undo it: what write_csv protects, read_csv restores
write_csv(df, path)          spreadsheet-safe, atomic CSV;  csv_text(df): the same text
read_csv(path)               a CSV written by write_csv, text cells as written
atomic_write_bytes/text      temp file in the same folder + os.replace

Output folders are replaced whole, so mapper only replaces a folder that is empty or holds its
marker file :data:`MARKER` (``.mapper-output``, with the run id), unless forced; never the
current folder, a home folder, a filesystem root, a mount point, a symbolic link or a folder
that holds an input (:func:`check_output_dir`).

A ``mapper build`` killed at any point leaves the previous complete output folder in place:
everything is written to ``.<name>.staging-<pid>`` beside ``out_dir`` and only renamed over it
when the run is complete. The swap is two renames (old -> ``.<name>.previous``, staging ->
``out_dir``); if a crash falls between them, the next run (or :func:`recover`) puts the
previous folder back before doing anything else.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

from mapper.errors import OutputError

__all__ = [
    "MARKER",
    "StagedOutput",
    "check_output_dir",
    "csv_text",
    "read_csv",
    "unneutralise",
    "atomic_write",
    "recover",
    "spreadsheet_safe",
    "write_csv",
    "atomic_write_bytes",
    "atomic_write_text",
    "sha256_file",
]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: a cell a spreadsheet would run (after any apostrophes we or the user put in front)
_NEEDS_PREFIX = re.compile(r"^'*[=+\-@\t\r]")
_PREFIXED = re.compile(r"^'+[=+\-@\t\r]")
#: the file that marks a folder as mapper's output (JSON: run id, mapper version)
MARKER = ".mapper-output"
_UMASK = os.umask(0)
os.umask(_UMASK)


def atomic_write(path: str | os.PathLike, write: Callable[[Path], object], *, create_parent: bool = True) -> Path:
    """Write ``path`` through ``write(tmp)`` on a temporary path in the same folder, then rename.

    ``tmp`` does not exist when ``write`` is called (drivers such as GPKG create the file
    themselves). The result gets ordinary permissions (0666 less the umask); on any failure
    the temporary file is removed and ``path`` is untouched.

    Raises
    ------
    OutputError
        The folder is missing (with ``create_parent=False``) or cannot be written.
    """
    path = Path(path)
    if not path.parent.exists() and not create_parent:
        raise OutputError(f"{path}: the folder {path.parent} does not exist. Create it first.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + path.suffix, dir=path.parent)
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write here ({exc.strerror or exc}); choose a writable "
                          "output folder.") from exc
    tmp = Path(name)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OutputError):
            raise
        raise OutputError(f"{path}: could not be written ({exc.strerror or exc}). Free some disk space "
                          "or choose another output location.") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def atomic_write_bytes(path: str | os.PathLike, data: bytes, *, create_parent: bool = True) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`)."""

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())

    return atomic_write(path, write, create_parent=create_parent)


def atomic_write_text(path: str | os.PathLike, text: str, *, create_parent: bool = True) -> Path:
    """Write ``text`` as UTF-8 to ``path`` atomically (see :func:`atomic_write`)."""
    return atomic_write_bytes(path, text.encode("utf-8"), create_parent=create_parent)


def spreadsheet_safe(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells cannot run as spreadsheet formulas.

    A text cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading
    apostrophe (the OWASP recommendation); so does a cell that already starts with apostrophes
    before such a character, so that :func:`unneutralise` restores every cell exactly.
    Numbers, dates and booleans are untouched.
    """
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            mask = s.map(lambda v: isinstance(v, str) and _NEEDS_PREFIX.match(v) is not None).astype(bool)
            if mask.any():
                out[col] = s.astype(object).where(~mask, "'" + s.astype(str))
    return out


def unneutralise(df: pd.DataFrame) -> pd.DataFrame:
    """Undo :func:`spreadsheet_safe` when reading our own CSV back (one apostrophe removed)."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            mask = s.map(lambda v: isinstance(v, str) and _PREFIXED.match(v) is not None).astype(bool)
            if mask.any():
                out[col] = s.astype(object).where(~mask, s.astype(str).str.slice(1))
    return out


def csv_text(df: pd.DataFrame, *, safe: bool = True, **to_csv) -> str:
    """The CSV text :func:`write_csv` writes (for stdout): UTF-8, ``\\n`` line ends, neutralised."""
    frame = spreadsheet_safe(df) if safe else df
    return frame.to_csv(index=False, lineterminator="\n", date_format="%Y-%m-%d", **to_csv)


def write_csv(df: pd.DataFrame, path: str | os.PathLike, *, safe: bool = True, create_parent: bool = True,
              **to_csv) -> Path:
    """Write a CSV atomically (UTF-8, ``\\n`` line ends), formula cells neutralised by default."""
    return atomic_write_text(path, csv_text(df, safe=safe, **to_csv), create_parent=create_parent)


def read_csv(path: str | os.PathLike, **read_csv) -> pd.DataFrame:
    """A CSV written by :func:`write_csv`, every cell as text exactly as it was written out.

    Blank cells are ``""`` (not NaN) and neutralised cells lose the apostrophe
    :func:`spreadsheet_safe` gave them.
    """
    df = pd.read_csv(path, dtype=str, keep_default_na=False, **read_csv)
    return unneutralise(df)


def sha256_file(path: str | os.PathLike, *, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def _siblings(out_dir: Path) -> tuple[Path, str]:
    return out_dir.parent, out_dir.name


def recover(out_dir: str | os.PathLike) -> bool:
    """Restore ``out_dir`` from ``.<name>.previous`` if a crash fell between the two renames.

    Stale staging folders of dead runs are removed. Returns True when something was restored.
    """
    out_dir = Path(out_dir)
    parent, name = _siblings(out_dir)
    restored = False
    previous = parent / f".{name}.previous"
    if previous.is_dir():
        if not out_dir.exists():
            os.replace(previous, out_dir)
            restored = True
        else:
            remove_tree(previous)
    if parent.is_dir():
        for stale in parent.glob(f".{name}.staging-*"):
            pid = stale.name.rsplit("-", 1)[-1]
            if pid.isdigit() and _alive(int(pid)) and int(pid) != os.getpid():
                continue
            remove_tree(stale)
        for stale in parent.glob(f".{name}.previous.stale-*"):
            shutil.rmtree(stale, ignore_errors=True)
    return restored


def remove_tree(path: str | os.PathLike) -> bool:
    """Delete a folder mapper wrote, read-only subfolders included; True when it is gone.

    A folder that still cannot be deleted (files of another user, say) is renamed aside to
    ``.<name>.stale-<pid>`` so it never blocks a later run, and False is returned.
    """
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        return True
    if path.is_symlink() or not path.is_dir():
        path.unlink()
        return True

    def retry(func, p, _exc):
        # an old output with a read-only folder: make it writable, then try once more
        for folder in {os.path.dirname(p), p}:
            try:
                mode = os.stat(folder, follow_symlinks=False).st_mode
                if stat.S_ISDIR(mode):
                    os.chmod(folder, mode | stat.S_IRWXU)
            except OSError:
                pass
        func(p)

    try:
        if sys.version_info >= (3, 12):
            shutil.rmtree(path, onexc=retry)
        else:  # pragma: no cover - Python 3.11
            shutil.rmtree(path, onerror=retry)
        return True
    except OSError:
        aside = path.with_name(f".{path.name.lstrip('.')}.stale-{os.getpid()}")
        n = 0
        while aside.exists():
            n += 1
            aside = path.with_name(f".{path.name.lstrip('.')}.stale-{os.getpid()}-{n}")
        with contextlib.suppress(OSError):
            os.replace(path, aside)
        return False


def read_marker(folder: str | os.PathLike) -> dict | None:
    """The marker mapper left in ``folder`` (``{"run_id": ..., "mapper": ...}``), or None."""
    p = Path(folder) / MARKER
    try:
        if not p.is_file() or p.stat().st_size > 65536:
            return None
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("run_id") else None


def _within(path: Path, folder: Path) -> bool:
    """``path`` is ``folder`` or lies inside it."""
    return path == folder or folder in path.parents


def check_output_dir(out_dir: str | os.PathLike, *, inputs: Iterable[str | os.PathLike] = (),
                     force: bool = False) -> Path:
    """Refuse an output folder mapper must not replace; returns it as an absolute path.

    mapper replaces its output folder whole. It does so only when the folder does not exist,
    is empty, or holds the :data:`MARKER` of an earlier run; ``force=True`` lifts that last
    rule. Never, even when forced: the current folder or one that contains it, a home folder
    or one that contains it, a filesystem root, a mount point, a symbolic link, or a folder
    that is or contains one of ``inputs``.

    Raises
    ------
    OutputError
        Naming the folder and the way out (another folder, or ``--force``).
    """
    given = Path(out_dir)
    out = given.absolute()
    where = str(given)
    other = "Pass --out a new or empty folder (e.g. --out mapper-out)"
    if out.is_symlink():
        target = os.path.realpath(out)
        raise OutputError(f"--out {where}: is a symbolic link (to {target}); mapper replaces its output folder "
                          f"whole and does not replace links. Pass --out {target} itself, or another folder.")
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {where}: exists and is not a folder. {other}.")
    real = Path(os.path.realpath(out))
    cwd = Path(os.path.realpath(os.getcwd()))
    homes = {Path(os.path.realpath(Path.home()))}
    if os.environ.get("HOME"):
        homes.add(Path(os.path.realpath(os.environ["HOME"])))
    if real.parent == real:
        raise OutputError(f"--out {where}: is a filesystem root; mapper would replace the whole disk's "
                          f"contents. {other}.")
    if _within(cwd, real):
        what = "the current folder" if real == cwd else f"a folder that contains the current folder ({cwd})"
        raise OutputError(f"--out {where}: is {what}; mapper replaces its output folder whole, which "
                          f"would delete it. {other}.")
    for home in homes:
        if _within(home, real):
            what = "your home folder" if real == home else f"a folder that contains your home folder ({home})"
            raise OutputError(f"--out {where}: is {what}; mapper replaces its output folder whole. {other}.")
    for inp in inputs:
        ip = Path(os.path.realpath(Path(inp).absolute()))
        if _within(ip, real):
            what = "is the input" if ip == real else f"contains the input {inp}"
            raise OutputError(f"--out {where}: {what}; replacing the output folder would delete it. "
                              "Pass --out a folder outside the inputs.")
    if out.is_dir():
        if os.path.ismount(out):
            raise OutputError(f"--out {where}: is a mount point, which cannot be swapped in whole. "
                              "Pass --out a folder inside it instead.")
        if not force and read_marker(out) is None:
            try:
                names = sorted(p.name for p in out.iterdir())
            except OSError as exc:
                raise OutputError(f"--out {where}: cannot be listed ({exc.strerror or exc}). {other}.") from exc
            if names:
                shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
                raise OutputError(
                    f"--out {where}: the folder is not empty ({shown}) and was not written by mapper "
                    f"(no {MARKER} file). mapper replaces its output folder whole, so these files "
                    f"would be deleted. Pass --out a new or empty folder, or add --force to replace it.")
    return out


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class StagedOutput:
    """An output folder that appears whole or not at all.

    Examples
    --------
    >>> with StagedOutput("out") as stage:          # doctest: +SKIP
    ...     (stage.path / "events.csv").write_text("...")
    ...     stage.commit()
    """

    def __init__(self, out_dir: str | os.PathLike, *, run_id: str | None = None):
        self.out_dir = Path(out_dir).absolute()
        self.run_id = run_id
        parent, name = _siblings(self.out_dir)
        if self.out_dir.is_symlink():
            raise OutputError(f"{self.out_dir}: is a symbolic link; mapper does not replace links. Pass --out "
                              "the folder it points to, or another folder.")
        if self.out_dir.exists() and not self.out_dir.is_dir():
            raise OutputError(f"{self.out_dir}: exists and is not a folder. Pass --out a folder path.")
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{parent}: cannot create the output's parent folder ({exc.strerror}). "
                              "Pass --out a writable location.") from exc
        if not os.access(parent, os.W_OK | os.X_OK):
            raise OutputError(f"{parent}: not writable, so {name!r} cannot be written there. "
                              "Pass --out a folder you can write to, or fix its permissions.")
        recover(self.out_dir)
        self.path = parent / f".{name}.staging-{os.getpid()}"
        if self.path.exists():
            remove_tree(self.path)
        try:
            self.path.mkdir()
        except OSError as exc:
            raise OutputError(f"{self.path}: cannot create the staging folder ({exc.strerror}). "
                              "Pass --out a writable location.") from exc
        self.committed = False

    def commit(self) -> Path:
        """Swap the staged folder in place of ``out_dir`` (with the marker file when a run id is set)."""
        from mapper import __version__

        if self.run_id is not None:
            atomic_write_text(self.path / MARKER, json.dumps(
                {"run_id": self.run_id, "mapper": __version__, "note": "written by mapper; the folder "
                 "is replaced whole by the next run with this --out"}, indent=1) + "\n")
        parent, name = _siblings(self.out_dir)
        previous = parent / f".{name}.previous"
        if previous.exists():
            remove_tree(previous)
        if self.out_dir.exists():
            os.replace(self.out_dir, previous)
        os.replace(self.path, self.out_dir)
        remove_tree(previous)
        self.committed = True
        return self.out_dir

    def discard(self) -> None:
        remove_tree(self.path)

    def __enter__(self) -> StagedOutput:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if not self.committed:
            self.discard()
