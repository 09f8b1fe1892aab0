"""The engine options of ``mapper extract`` and ``mapper build`` (light: no pandas, no Dask),
so that building the command-line parser stays fast (``mapper geocode`` starts in well under a
second). :mod:`mapper.distributed` re-exports them."""

from __future__ import annotations

import argparse

__all__ = ["ENGINES", "add_engine_arguments"]

ENGINES = ("local", "dask")


def add_engine_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--engine``, ``--scheduler``, ``--reports-parquet`` and ``--blocksize`` to a parser.

    Call from ``mapper extract`` and ``mapper build``; pass ``args.engine``,
    ``args.scheduler``, ``args.reports_parquet`` and ``args.blocksize`` to
    :func:`run_extraction`.
    """
    g = parser.add_argument_group("distributed extraction (Dask)")
    g.add_argument(
        "--engine", choices=ENGINES, default="local",
        help="where extraction runs: this process (local, default) or a Dask cluster (dask)",
    )
    g.add_argument(
        "--scheduler", metavar="ADDRESS", default=None,
        help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (default with --engine dask: a "
             "local cluster, one worker per core); workers must see the input paths",
    )
    g.add_argument(
        "--reports-parquet", metavar="DIR", default=None,
        help="also write the reports as a Parquet dataset (e.g. reports.parquet/)",
    )
    g.add_argument(
        "--blocksize", metavar="SIZE", default="1MiB",
        help="with --engine dask: bytes of JSON Lines per partition (default 1MiB, about 250 articles)",
    )
