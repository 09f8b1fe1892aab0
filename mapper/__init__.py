"""Territorial-control mapper: news reports -> dated control changes -> maps of held territory.

The flow (see ``docs/DESIGN.md``)::

    articles -> extract -> events -> territory -> maps
                  ^
              gazetteer (offline)
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
