"""Optional packages: checked before a run starts, missing ones named in one line.

require(extra, *, feature=None)   raise MissingDependencyError when an extra is not installed
missing(extra)                    -> the import names of the extra that are not installed

Each extra of ``pyproject.toml`` that a command option needs is listed in :data:`EXTRAS` with
the modules it must provide; :func:`require` looks them up with :func:`importlib.util.find_spec`
(nothing is imported), so a run that would fail at its end for want of a package fails at its
start instead, with the ``pip install`` line that fixes it.
"""

from __future__ import annotations

import importlib.util

from mapper.errors import MissingDependencyError

__all__ = ["EXTRAS", "missing", "require"]

#: extra -> (import names it provides, what needs it)
EXTRAS: dict[str, tuple[tuple[str, ...], str]] = {
    "dask": (("dask", "distributed", "pyarrow"), "the Dask engine (--engine dask)"),
    "offline": (("offlinefolium",), "self-contained maps (--self-contained)"),
    "notebooks": (("nbconvert", "nbclient", "ipykernel"), "running the notebooks"),
}

_PACKAGE = "territorial-control-mapper"


def missing(extra: str) -> list[str]:
    """The import names of ``extra`` that cannot be found in this environment."""
    names, _ = EXTRAS[extra]
    out = []
    for name in names:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):  # a parent package missing, or a module set to None
            found = False
        if not found:
            out.append(name)
    return out


def require(extra: str, *, feature: str | None = None) -> None:
    """Raise :class:`MissingDependencyError` (one line, with the install command) when ``extra``
    is not installed.
    """
    gone = missing(extra)
    if gone:
        what = feature or EXTRAS[extra][1]
        raise MissingDependencyError(
            f"{what} needs the '{extra}' extra ({', '.join(gone)} not installed): "
            f"pip install '{_PACKAGE}[{extra}]'"
        )
