"""Exception and warning classes shared by every module.

Exceptions subclass both :class:`MapperError` and the builtin a caller would catch,
so ``except ValueError`` keeps working (the geopy pattern).
"""

from __future__ import annotations


class MapperError(Exception):
    """Base class of every error raised by the mapper."""


class InputError(MapperError, ValueError):
    """A user-supplied input (file, argument, row) is malformed. The message names it and the fix."""


class GazetteerError(MapperError, ValueError):
    """A gazetteer file or query is malformed."""


class OutputError(MapperError, OSError):
    """An output folder or file cannot be written."""


class DataError(MapperError, FileNotFoundError):
    """The package's own data (gazetteer, demo corpus) is missing: a broken install."""


class MissingDependencyError(MapperError, ImportError):
    """An optional package that a requested feature needs is not installed.

    The message is one line naming the feature and the ``pip install`` line that adds it.
    """


class RunError(MapperError, RuntimeError):
    """A run failed after its work had started (I/O, a full disk): the message names the cause.

    The output folder is left as it was before the run.
    """


class MapperWarning(UserWarning):
    """Base class of every warning emitted by the mapper."""


class UnresolvedPlaceWarning(MapperWarning):
    """A place name has no (unambiguous) gazetteer match."""


class SkippedInputWarning(MapperWarning):
    """An input file or row was skipped or repaired; the message says why."""


class DegreeAreaWarning(MapperWarning):
    """Flat maths (areas, distances) attempted in a geographic CRS."""


class DateWarning(MapperWarning):
    """A date could not be resolved or was clamped."""
