"""Rows spooled to disk in parts as they come, read back part by part or as one table.

RowSpool(folder, make_frame)   .extend(rows), .add_frame(df), .parts(), .frame(), len()

A build extracts article after article; keeping every row in memory until the end makes the
peak grow with the corpus. A spool turns each batch of rows into a table part (the same
``make_frame`` that makes the whole table) and writes it into the run's scratch folder, so
what stays in memory is one batch. The parts are pickled DataFrames that this process writes
and reads in a folder of its own run; they are removed with the scratch folder.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pandas as pd

__all__ = ["RowSpool"]


class RowSpool:
    """Rows written to ``folder`` in parts of ``part_rows``.

    Parameters
    ----------
    folder : path
        A scratch folder of the run (created if missing).
    make_frame : callable
        Rows (a list of dicts) -> the table of those rows, with its columns and dtypes.
    part_rows : int
        Rows per part.
    """

    def __init__(self, folder: str | os.PathLike, make_frame: Callable[[list[dict]], pd.DataFrame], *,
                 part_rows: int = 20_000):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._make = make_frame
        self._part_rows = int(part_rows)
        self._buffer: list[dict] = []
        self._files: list[Path] = []
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def __repr__(self) -> str:
        return f"<RowSpool {self._n} rows in {len(self._files)} parts at {self.folder}>"

    def extend(self, rows: Iterable[dict]) -> None:
        """Add rows; a full batch goes to disk."""
        for row in rows:
            self._buffer.append(row)
            self._n += 1
        if len(self._buffer) >= self._part_rows:
            self.flush()

    def add_frame(self, df: pd.DataFrame) -> None:
        """Add a table made elsewhere (after the rows already added)."""
        self.flush()
        if len(df):
            self._write(df)
            self._n += len(df)

    def flush(self) -> None:
        """Write the rows held in memory as one part."""
        if self._buffer:
            self._write(self._make(self._buffer))
            self._buffer = []

    def _write(self, df: pd.DataFrame) -> None:
        path = self.folder / f"part-{len(self._files):05d}.pkl"
        df.reset_index(drop=True).to_pickle(path)
        self._files.append(path)

    def parts(self) -> Iterator[pd.DataFrame]:
        """The table part by part, in the order the rows came (at least one, maybe empty)."""
        self.flush()
        if not self._files:
            yield self._make([])
            return
        for path in self._files:
            yield pd.read_pickle(path)

    def frame(self) -> pd.DataFrame:
        """The whole table."""
        parts = list(self.parts())
        return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
