"""Writing outputs safely: a staged output folder swapped in whole, spreadsheet-safe CSV.

StagedOutput(out_dir)        write into a hidden sibling folder, then swap it in at commit()
spreadsheet_safe(df)         neutralise cells a spreadsheet would run as a formula
write_csv(df, path)          spreadsheet-safe, atomic CSV
atomic_write_bytes/text      temp file in the same folder + os.replace

A ``mapper build`` killed at any point leaves the previous complete output folder in place:
everything is written to ``.<name>.staging-<pid>`` beside ``out_dir`` and only renamed over it
when the run is complete. The swap is two renames (old -> ``.<name>.previous``, staging ->
``out_dir``); if a crash falls between them, the next run (or :func:`recover`) puts the
previous folder back before doing anything else.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from mapper.errors import OutputError

__all__ = [
    "StagedOutput",
    "atomic_write",
    "recover",
    "spreadsheet_safe",
    "write_csv",
    "atomic_write_bytes",
    "atomic_write_text",
    "sha256_file",
]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
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
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`)."""

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())

    return atomic_write(path, write)


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def spreadsheet_safe(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells cannot run as spreadsheet formulas.

    A text cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading
    apostrophe (the OWASP recommendation); numbers, dates and booleans are untouched.
    """
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            mask = s.map(lambda v: isinstance(v, str) and v.startswith(_FORMULA_START))
            if mask.any():
                out[col] = s.astype(object).where(~mask, "'" + s.astype(str))
    return out


def unneutralise(df: pd.DataFrame) -> pd.DataFrame:
    """Undo :func:`spreadsheet_safe` when reading our own CSV back."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            mask = s.map(lambda v: isinstance(v, str) and len(v) > 1 and v[0] == "'" and v[1] in "=+-@\t\r")
            if mask.any():
                out[col] = s.astype(object).where(~mask, s.astype(str).str.slice(1))
    return out


def write_csv(df: pd.DataFrame, path: str | os.PathLike, *, safe: bool = True) -> Path:
    """Write a CSV atomically (UTF-8, ``\\n`` line ends), formula cells neutralised by default."""
    frame = spreadsheet_safe(df) if safe else df
    text = frame.to_csv(index=False, lineterminator="\n", date_format="%Y-%m-%d")
    return atomic_write_text(path, text)


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
            shutil.rmtree(previous, ignore_errors=True)
    if parent.is_dir():
        for stale in parent.glob(f".{name}.staging-*"):
            pid = stale.name.rsplit("-", 1)[-1]
            if pid.isdigit() and _alive(int(pid)) and int(pid) != os.getpid():
                continue
            shutil.rmtree(stale, ignore_errors=True)
    return restored


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

    def __init__(self, out_dir: str | os.PathLike):
        self.out_dir = Path(out_dir).absolute()
        parent, name = _siblings(self.out_dir)
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
            shutil.rmtree(self.path)
        try:
            self.path.mkdir()
        except OSError as exc:
            raise OutputError(f"{self.path}: cannot create the staging folder ({exc.strerror}). "
                              "Pass --out a writable location.") from exc
        self.committed = False

    def commit(self) -> Path:
        """Swap the staged folder in place of ``out_dir``."""
        parent, name = _siblings(self.out_dir)
        previous = parent / f".{name}.previous"
        if previous.exists():
            shutil.rmtree(previous)
        if self.out_dir.exists():
            os.replace(self.out_dir, previous)
        os.replace(self.path, self.out_dir)
        shutil.rmtree(previous, ignore_errors=True)
        self.committed = True
        return self.out_dir

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def __enter__(self) -> StagedOutput:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if not self.committed:
            self.discard()
