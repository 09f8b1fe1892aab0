"""One fixed, colour-blind-safe colour per actor, shared by every map and figure.

ACTOR_COLORS           actor (``schema.ACTORS``) -> hex colour
actor_color(actor)     the colour, grey for an actor outside the vocabulary

The palette is Okabe & Ito (2008), "Color Universal Design", distinguishable under the
common forms of colour-vision deficiency. Assignments follow press-map conventions where
they can (IS black, Syrian government red, SDF yellow, Iraqi government blue).
"""

from __future__ import annotations

from mapper.schema import ACTORS

__all__ = ["ACTORS", "ACTOR_COLORS", "UNKNOWN_COLOR", "actor_color"]

ACTOR_COLORS: dict[str, str] = {
    "IS": "#000000",  # black
    "Syrian government": "#D55E00",  # vermillion
    "Iraqi government": "#0072B2",  # blue
    "SDF": "#F0E442",  # yellow
    "Kurdish forces": "#E69F00",  # orange
    "Turkish-backed rebels": "#009E73",  # bluish green
    "Syrian rebels": "#CC79A7",  # reddish purple
    "other": "#56B4E9",  # sky blue
}

#: colour of an actor outside ``schema.ACTORS``
UNKNOWN_COLOR = "#999999"


def actor_color(actor: str) -> str:
    """Return the fixed hex colour of ``actor`` (grey when it is not in ``schema.ACTORS``)."""
    return ACTOR_COLORS.get(actor, UNKNOWN_COLOR)
