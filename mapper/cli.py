"""The ``mapper`` command line: ``mapper build|demo|extract|places|geocode|gazetteer|export|import``.

Subcommands live in :mod:`mapper.commands`, one module per group.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from mapper import __version__
from mapper.commands import COMMAND_MODULES
from mapper.errors import MapperError


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


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except MapperError as exc:
        print(f"mapper {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
