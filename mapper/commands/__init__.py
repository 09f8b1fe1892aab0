"""CLI subcommands, one module per command group.

Each module defines ``register(subparsers)`` that adds its parsers and sets
``func`` (called with the parsed ``args``, returns an exit code).
"""

COMMAND_MODULES = (
    "mapper.commands.geocode",
    "mapper.commands.extract",
    "mapper.commands.build",
    "mapper.commands.acled",
)
