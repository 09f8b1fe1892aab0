"""Where the packaged data lives: the one module that locates it.

data_dir()                 -> Path of the data folder (``gazetteer/``, ``examples/``, ``reference/``)
gazetteer_dir()            -> Path of the packaged gazetteer (``places.tsv.gz``, layers, curated CSVs)
gazetteer_file(name)       -> Path of one file of it (``countries.geojson``, ``aliases.csv``, ...)
examples_dir()             -> Path of the demo corpus (``articles/``, ``metadata.csv``)
reference_file(name)       -> Path of a published reference table (``is_area_ihs.csv``)
demo_inputs()              -> (article paths, metadata CSV) of the demo corpus

The repository's top-level ``data/`` folder is the source of truth. A wheel carries it as the
package data ``mapper/_data/`` (``pyproject.toml`` maps ``data/`` onto it at build time), and
it is found through :mod:`importlib.resources`. A source checkout or an editable install has
no ``mapper/_data``; there the ``data/`` folder beside the package is used. The environment
variable ``MAPPER_DATA_DIR`` points everything at another copy (a rebuilt gazetteer, say).
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.resources
import os
from functools import cache
from pathlib import Path

from mapper.errors import DataError

__all__ = [
    "data_dir",
    "demo_inputs",
    "examples_dir",
    "gazetteer_dir",
    "gazetteer_file",
    "reference_file",
]

#: the package data folder inside an installed wheel
_PACKAGED = "_data"
_REINSTALL = ("Reinstall the package (`pip install --force-reinstall territorial-control-mapper`, or "
              "`pip install .` from a clone), or set MAPPER_DATA_DIR to a folder holding gazetteer/ "
              "and examples/")
_files = contextlib.ExitStack()
atexit.register(_files.close)


@cache
def _located() -> tuple[Path, str]:
    """The data folder and how it was found (``environment``, ``package`` or ``checkout``)."""
    env = os.environ.get("MAPPER_DATA_DIR")
    if env:
        return Path(env), "environment"
    package = importlib.resources.files("mapper")
    bundled = package.joinpath(_PACKAGED)
    if bundled.is_dir():
        # installed from a wheel; as_file gives a real folder even for a zipped install
        return Path(_files.enter_context(importlib.resources.as_file(bundled))), "package"
    checkout = Path(str(package)).resolve().parent / "data"
    return checkout, "checkout"


def data_dir() -> Path:
    """The data folder: ``gazetteer/``, ``examples/`` and ``reference/``.

    Raises
    ------
    DataError
        No data folder was found (an install without its package data); the message says how
        to reinstall.
    """
    root, how = _located()
    if not root.is_dir():
        where = "MAPPER_DATA_DIR" if how == "environment" else "the installed package"
        raise DataError(f"{root}: the mapper's data folder is missing ({where}). {_REINSTALL}.")
    return root


def gazetteer_dir() -> Path:
    """The packaged gazetteer's folder (``places.tsv.gz``, polygon layers, curated CSVs)."""
    return _located()[0] / "gazetteer"


def gazetteer_file(name: str) -> Path:
    """One file of the packaged gazetteer, e.g. ``gazetteer_file("countries.geojson")``.

    The path is returned whether or not the file exists; readers say what is missing.
    """
    return gazetteer_dir() / name


def examples_dir() -> Path:
    """The demo corpus: ``articles/*.txt`` and ``metadata.csv``."""
    return _located()[0] / "examples"


def reference_file(name: str = "is_area_ihs.csv") -> Path:
    """A published reference table shipped with the package (default: the IHS IS-area series)."""
    return _located()[0] / "reference" / name


def demo_inputs() -> tuple[list[Path], Path]:
    """The demo corpus: (sorted article paths, metadata CSV).

    Raises
    ------
    DataError
        The corpus is not where the package data should be.
    """
    folder = examples_dir()
    articles = sorted((folder / "articles").glob("*.txt"))
    metadata = folder / "metadata.csv"
    if not articles or not metadata.is_file():
        raise DataError(f"{folder}: the demo corpus is missing (no articles/*.txt or metadata.csv). "
                        f"{_REINSTALL}.")
    return articles, metadata
