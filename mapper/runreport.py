"""What a run did, for the user and for ``run.json``.

RunReport                    collects a run's inputs read, skipped records, warnings, timings
report.skip(item) / note     record a skipped or repaired input (a :class:`Skipped`)
report.stage(name)           a context manager timing one stage
report.to_dict()             the content of ``run.json``
report.write(path)           ``run.json``, atomically (text made UTF-8-safe first)
report.exit_code             0 done, 1 done with skipped inputs or without a map

``run.json`` lists exactly the files the run read (articles, metadata, overrides, actor
lexicon, GeoNames dump, reference figures), each with its size, SHA-256 and the encoding it
was read with; every skipped or repaired input with its reason and fix; the names left
unresolved; the overrides applied; the run's warnings; and the time each stage took.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mapper import __version__
from mapper.articles import ReadLog, Skipped
from mapper.outputs import atomic_write_text
from mapper.textio import clean_text

__all__ = ["RunReport", "new_run_id"]


def new_run_id(started: dt.datetime) -> str:
    """A run id: the start time (UTC) and a random suffix, e.g. ``20171103T101500Z-3f9a1c``."""
    return started.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def _safe(value: Any) -> Any:
    """``value`` with every string made writable as UTF-8 (lone surrogates -> U+FFFD)."""
    if isinstance(value, str):
        return clean_text(value)[0] if not value.isascii() or "\x00" in value else value
    if isinstance(value, dict):
        return {_safe(str(k)): _safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_safe(v) for v in value]
    if isinstance(value, Path):
        return _safe(str(value))
    return value


@dataclass
class RunReport:
    """A run's record; :meth:`write` makes it ``run.json``."""

    started: dt.datetime
    run_id: str = ""
    arguments: dict = field(default_factory=dict)
    files: ReadLog = field(default_factory=ReadLog)
    skipped: list[Skipped] = field(default_factory=list)
    unresolved: list[dict] = field(default_factory=list)
    overrides: list[dict] = field(default_factory=list)
    undated: list[str] = field(default_factory=list)
    undated_evidence: list[dict] = field(default_factory=list)
    undated_events: list = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, Any] = field(default_factory=dict)
    no_map: str | None = None
    #: dated events left out by --since/--until
    outside_window: int = 0
    #: the stage running now (named when a run fails)
    current: str = "start"

    def __post_init__(self) -> None:
        if not self.run_id:
            self.run_id = new_run_id(self.started)

    # -- recording -----------------------------------------------------------------------

    def skip(self, item: Skipped) -> None:
        """Record a skipped (or, with ``repaired=True``, repaired) input."""
        self.skipped.append(item)

    def add_file(self, path: str | os.PathLike, *, role: str, encoding: str = "utf-8") -> None:
        """Record a whole file the run read (hashed here)."""
        p = Path(path)
        h = hashlib.sha256()
        size = 0
        with p.open("rb") as fh:
            while block := fh.read(1 << 20):
                h.update(block)
                size += len(block)
        from mapper.articles import InputFile

        self.files.files.append(InputFile(str(p), role, size, h.hexdigest(), encoding))

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the block as stage ``name`` (seconds in ``timings_s``)."""
        t0 = time.perf_counter()
        self.current = name
        try:
            yield
        finally:
            self.timings[name] = round(time.perf_counter() - t0, 3)

    # -- reading -------------------------------------------------------------------------

    @property
    def n_skipped(self) -> int:
        return sum(1 for s in self.skipped if not s.repaired)

    @property
    def exit_code(self) -> int:
        """0 when every input was read and a map drawn; 1 when some input was skipped or no
        dated event gave a map (the outputs say why)."""
        return 1 if self.n_skipped or self.no_map else 0

    def to_dict(self, *, versions: dict | None = None) -> dict:
        """The content of ``run.json``."""
        return _safe({
            "mapper": __version__,
            "run_id": self.run_id,
            "started": self.started.isoformat(timespec="seconds"),
            "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "versions": versions if versions is not None else _versions(),
            "arguments": self.arguments,
            "inputs": self.files.records(),
            "counts": self.counts,
            "exit_code": self.exit_code,
            "no_map": self.no_map,
            "skipped": [{"input": s.input, "reason": s.reason, "fix": s.fix, "repaired": s.repaired}
                        for s in self.skipped],
            "unresolved": self.unresolved,
            "overrides": self.overrides,
            "undated_articles": self.undated,
            "undated_evidence": self.undated_evidence,
            "undated_events": self.undated_events,
            "warnings": self.warnings,
            "timings_s": self.timings,
        })

    def write(self, path: str | os.PathLike) -> Path:
        """Write ``run.json`` atomically."""
        text = json.dumps(self.to_dict(), indent=1, ensure_ascii=False, default=str) + "\n"
        return atomic_write_text(path, text)


def _versions() -> dict:
    import folium
    import geopandas
    import numpy
    import pandas
    import pyproj
    import shapely

    return {
        "mapper": __version__, "python": platform.python_version(), "pandas": pandas.__version__,
        "numpy": numpy.__version__, "geopandas": geopandas.__version__, "shapely": shapely.__version__,
        "pyproj": pyproj.__version__, "folium": folium.__version__,
    }
