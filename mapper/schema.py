"""Shared vocabularies, column orders and coordinate reference systems.

Every table that travels between stages follows the column lists below, so each module
can be developed, tested and replaced on its own.
"""

from __future__ import annotations

#: storage and map CRS
WGS84 = "EPSG:4326"
#: equal-area CRS for areas and distances: Lambert azimuthal equal-area centred on 36N 40E
EQUAL_AREA = "+proj=laea +lat_0=36 +lon_0=40 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs"

PRECISIONS = ("day", "week", "month", "year", "unknown")
#: coarseness rank: lower is finer
PRECISION_RANK = {p: i for i, p in enumerate(PRECISIONS)}

EVENT_TYPES = ("captured", "entered", "held", "withdrew", "besieged")

ACTORS = (
    "IS",
    "Syrian government",
    "Iraqi government",
    "SDF",
    "Kurdish forces",
    "Turkish-backed rebels",
    "Syrian rebels",
    "other",
)

#: per-article claims. ``date`` is a pandas Timestamp (NaT when unknown); a month date is its
#: first day with ``date_precision == "month"``. ``span`` is "start:end" character offsets of the
#: evidence sentence in the article text.
REPORT_COLUMNS = [
    "article", "place_id", "place", "country", "name_as_written", "lat", "lon",
    "event_type", "gainer", "loser", "date", "date_precision", "confidence",
    "evidence", "span", "published", "title", "url", "flags",
]

#: corroborated events. ``sources`` is the ';'-joined article ids; ``citations`` a JSON list of
#: {"article", "title", "url", "published", "evidence", "name_as_written"} (one per report).
EVENT_COLUMNS = [
    "event_id", "place_id", "place", "country", "name_as_written", "lat", "lon",
    "event_type", "gainer", "loser", "date", "date_precision", "confidence",
    "evidence", "sources", "n_sources", "citations", "flags",
]

CONTROL_COLUMNS = [
    "place_id", "place", "lat", "lon", "holder", "state", "valid_from", "valid_to",
    "basis", "confidence", "date_note",
]

AREA_COLUMNS = ["date", "actor", "state", "geometry", "area_km2", "n_places", "n_events"]

PLACE_COLUMNS = [
    "place_id", "geonameid", "name", "country", "admin1", "feature_class", "feature_code",
    "population", "lat", "lon", "n_names",
]
