"""The ``mapper`` command line: ``mapper build|demo|extract|places|geocode|gazetteer|export|import``.

Subcommands live in :mod:`mapper.commands`, one module per group. Every command exits 0 when
done, 1 when done with skipped inputs, 2 on a usage or input error before any work and 3 when
the run itself fails, with one line naming the cause (:func:`main`).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from collections.abc import Sequence

from mapper import __version__
from mapper.commands import COMMAND_MODULES
from mapper.errors import DataError, MapperError, MissingDependencyError, RunError


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mapper",
        description="Map territorial control from news reports, offline.",
    )
    parser.add_argument("--version", action="version", version=f"mapper {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:  # a command group not built yet
            if exc.name == name:
                continue
            raise
        module.register(sub)
    return parser


#: exit codes: what each one means, everywhere
EXIT_OK, EXIT_SKIPPED, EXIT_USAGE, EXIT_FAILED = 0, 1, 2, 3


def main(argv: Sequence[str] | None = None) -> int:
    """Run a ``mapper`` command; returns its exit code.

    0 done; 1 done, but some inputs were skipped (or no map could be drawn), each listed on
    stderr and in ``run.json``; 2 a usage or input error found before any work; 3 a failure
    during the run (I/O, a full disk, a missing optional package). Errors are one line on
    stderr, never a traceback (set ``MAPPER_TRACEBACK=1`` to see one).
    """
    parser = make_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    name = f"mapper {args.command}"
    try:
        return int(args.func(args) or 0)
    except (MissingDependencyError, RunError, DataError) as exc:
        return _fail(name, exc, EXIT_FAILED)
    except MapperError as exc:
        return _fail(name, exc, EXIT_USAGE)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader of stdout went away (`mapper extract ... | head`)
        _silence_stdout()
        return EXIT_OK
    except OSError as exc:
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        return _fail(name, f"{where}{exc.strerror or exc}", EXIT_FAILED)
    except Exception as exc:  # noqa: BLE001 - one line, not a traceback
        return _fail(name, f"internal error ({type(exc).__name__}: {exc}). Please report it to the project "
                           "with the command line; set MAPPER_TRACEBACK=1 to see the traceback", EXIT_FAILED)


def _fail(name: str, exc: BaseException | str, code: int) -> int:
    if os.environ.get("MAPPER_TRACEBACK") and isinstance(exc, BaseException):
        traceback.print_exception(exc)
    text = " ".join(str(exc).split()) if str(exc).strip() else type(exc).__name__
    print(f"{name}: error: {text}", file=sys.stderr)
    return code


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
