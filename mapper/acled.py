"""Our events as ACLED rows, and ACLED rows as our events.

to_acled(events, *, admin=None, gazetteer=None)  -> DataFrame[ACLED_COLUMNS]
from_acled(df_or_path, *, gazetteer=None)         -> (events DataFrame[EVENT_COLUMNS], problems)
read_acled(path) / write_acled(rows, path)        -> ACLED CSV files as text tables

ACLED (Armed Conflict Location & Event Data) codes territorial change as three sub-event
types: *Non-state actor overtakes territory* and *Government regains territory* (both under
**Battles**) and *Non-violent transfer of territory* (under **Strategic developments**). A
``captured`` event becomes the first or the second, depending on whether the gainer is a
government; a ``withdrew`` event (no taker named) the third. ``entered`` and ``besieged`` become
Battles / Armed clash and ``held`` Strategic developments / Other: ACLED has no type for them, so
the exact mapper type travels in the ``tags`` column (``mapper:event_type=entered; ...``) and an
export reads back losslessly. ACLED rows of other sub-event types (armed clashes, air strikes,
...) are not control changes and are left out of an import, counted in its problems.

The full mapping table is in ``docs/acled.md``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pandas as pd

from mapper.errors import InputError
from mapper.schema import ACTORS, EQUAL_AREA, EVENT_COLUMNS, EVENT_TYPES, WGS84

__all__ = [
    "ACLED_COLUMNS",
    "ACTOR_NAMES",
    "acled_actor",
    "from_acled",
    "mapper_actor",
    "read_acled",
    "to_acled",
    "write_acled",
]

#: the columns written, in ACLED's order (the subset we can fill honestly)
ACLED_COLUMNS = [
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
    "sub_event_type", "actor1", "actor2", "iso", "region", "country", "admin1", "admin2",
    "location", "latitude", "longitude", "geo_precision", "source", "notes", "fatalities", "tags",
]

#: every column of an ACLED export (2023 layout plus the older ones); others are reported
KNOWN_ACLED_COLUMNS = set(ACLED_COLUMNS) | {
    "data_id", "event_id_no_cnty", "iso3", "assoc_actor_1", "assoc_actor_2", "inter1", "inter2",
    "interaction", "civilian_targeting", "admin3", "source_scale", "timestamp",
}

REQUIRED = ("event_date", "sub_event_type", "location", "latitude", "longitude", "country")

NSAOT = "Non-state actor overtakes territory"
GRT = "Government regains territory"
NVTT = "Non-violent transfer of territory"
TERRITORIAL = (NSAOT, GRT, NVTT)

GOVERNMENTS = {"Syrian government", "Iraqi government"}

#: mapper precision -> ACLED time_precision (1 exact day, 2 a week, 3 a month; ACLED has no
#: coarser code, so a year date is 3 and the tag keeps "year")
TIME_PRECISION = {"day": 1, "week": 2, "month": 3, "year": 3}
PRECISION_OF = {1: "day", 2: "week", 3: "month"}

#: ISO 3166-1 alpha-2 -> (ACLED country name, ISO numeric)
COUNTRIES = {
    "SY": ("Syria", 760), "IQ": ("Iraq", 368), "TR": ("Turkey", 792), "LB": ("Lebanon", 422),
    "JO": ("Jordan", 400), "IL": ("Israel", 376), "PS": ("Palestine", 275),
    "SA": ("Saudi Arabia", 682),
}
_COUNTRY_CODE = {name.lower(): code for code, (name, _) in COUNTRIES.items()} | {"türkiye": "TR", "turkiye": "TR"}

#: mapper actor -> ACLED-style actor name (Iraq's forces are named by government period)
ACTOR_NAMES = {
    "IS": "Islamic State ({country})",
    "Syrian government": "Military Forces of Syria (2000-)",
    "Iraqi government": "Military Forces of Iraq ({period})",
    "SDF": "QSD: Syrian Democratic Forces",
    "Kurdish forces": "{kurdish}",
    "Turkish-backed rebels": "SNA: Syrian National Army",
    "Syrian rebels": "Opposition Rebels (Syria)",
    "other": "Unidentified Armed Group ({country})",
}
_IRAQ_PERIODS = ((dt.date(2014, 9, 8), "2006-2014"), (dt.date(2018, 10, 25), "2014-2018"), (dt.date(2020, 5, 7), "2018-2020"))

#: ACLED actor name patterns -> mapper actor, first match wins
_ACTOR_PATTERNS = [
    (r"islamic state|\bisis\b|\bisil\b|daesh", "IS"),
    (r"\bqsd\b|syrian democratic forces|\bsdf\b", "SDF"),
    (r"peshmerga|kurdistan regional|\bypg\b|\bypj\b|kurdish", "Kurdish forces"),
    (r"military forces of syria|police forces of syria|national defen[cs]e forces", "Syrian government"),
    (r"military forces of iraq|police forces of iraq|popular mobili[sz]ation|\bpmf\b|hashd", "Iraqi government"),
    (r"syrian national army|\bsna\b|turkish-backed|national liberation front|euphrates shield|olive branch", "Turkish-backed rebels"),
    (r"opposition|rebel|free syrian army|\bfsa\b|hayat tahrir|\bhts\b|jabhat|nusra|ahrar", "Syrian rebels"),
    (r"unidentified armed group", "other"),
]

_DATE_FORMATS = ("%Y-%m-%d", "%d %B %Y", "%d-%B-%Y", "%d %b %Y", "%d-%b-%Y", "%d-%m-%Y", "%d/%m/%Y")
_TAG = re.compile(r"mapper:(\w+)=([^;]*)")
_ADMIN_CACHE: dict[str, object] = {}


# ------------------------------------------------------------------------------ export


def _iraq_period(when: dt.date | None) -> str:
    if when is not None:
        for until, label in _IRAQ_PERIODS:
            if when < until:
                return label
    return "2014-2018" if when is None else "2020-"


def acled_actor(actor: str, *, country: str = "", when: dt.date | None = None) -> str:
    """ACLED-style name of a mapper actor (``""`` for none), e.g. ``IS`` in SY ->
    ``Islamic State (Syria)``. Unknown actors pass through unchanged."""
    if not actor:
        return ""
    pattern = ACTOR_NAMES.get(actor)
    if pattern is None:
        return actor
    cname = COUNTRIES.get(country, (country or "Syria", 0))[0]
    kurdish = "Peshmerga - Kurdistan Regional Government" if country == "IQ" else "YPG: People's Protection Units"
    return pattern.format(country=cname, period=_iraq_period(when), kurdish=kurdish)


def mapper_actor(name: str) -> str | None:
    """Mapper actor of an ACLED actor name; ``""`` for blank, ``None`` when unrecognised."""
    text = (name or "").strip()
    if not text:
        return ""
    if text in ACTORS:
        return text
    low = text.lower()
    for pattern, actor in _ACTOR_PATTERNS:
        if re.search(pattern, low):
            return actor
    return None


def _acled_types(event_type: str, gainer: str) -> tuple[str, str, str]:
    """(disorder_type, event_type, sub_event_type) for a mapper event."""
    if event_type == "captured":
        return "Political violence", "Battles", GRT if gainer in GOVERNMENTS else NSAOT
    if event_type == "withdrew":
        return "Strategic developments", "Strategic developments", NVTT
    if event_type in ("entered", "besieged"):
        return "Political violence", "Battles", "Armed clash"
    return "Strategic developments", "Strategic developments", "Other"


def _admin_layers(admin):
    if admin is not None:
        if not isinstance(admin, Mapping) or not {"admin1", "admin2"} <= set(admin):
            raise InputError("to_acled(admin=...): give a mapping {'admin1': GeoDataFrame, 'admin2': GeoDataFrame} with a 'name' column each.")
        return admin["admin1"], admin["admin2"]
    if "layers" not in _ADMIN_CACHE:
        import geopandas as gpd

        from mapper.gazetteer import GAZ_DIR

        _ADMIN_CACHE["layers"] = (gpd.read_file(GAZ_DIR / "admin1.geojson"), gpd.read_file(GAZ_DIR / "admin2.geojson"))
    return _ADMIN_CACHE["layers"]


def _admin_names(lat: np.ndarray, lon: np.ndarray, layer, *, max_km: float = 10.0) -> list[str]:
    """Name of the polygon holding each point; the nearest within ``max_km`` when none does
    (simplified borders leave river-bank and border-crossing points just outside)."""
    import geopandas as gpd

    if not len(lat):
        return []
    pts = gpd.GeoDataFrame({"i": np.arange(len(lat))}, geometry=gpd.points_from_xy(lon, lat), crs=WGS84)
    poly = layer[["name", "geometry"]].to_crs(WGS84)
    hit = gpd.sjoin(pts, poly, how="left", predicate="within").drop_duplicates("i").set_index("i")["name"]
    names = [n if isinstance(n, str) else "" for n in hit.reindex(range(len(lat)))]
    missing = [i for i, n in enumerate(names) if not n and np.isfinite(lat[i]) and np.isfinite(lon[i])]
    if missing:
        near = gpd.sjoin_nearest(
            pts.iloc[missing].to_crs(EQUAL_AREA), poly.to_crs(EQUAL_AREA), how="left", max_distance=max_km * 1000,
        ).drop_duplicates("i").set_index("i")["name"]
        for i in missing:
            n = near.get(i)
            names[i] = n if isinstance(n, str) else ""
    return names


def _source_names(row) -> str:
    """Outlets of an event's citations (URL host), else its article ids."""
    names: list[str] = []
    try:
        cites = json.loads(row.get("citations") or "[]")
    except (TypeError, ValueError):
        cites = []
    for c in cites if isinstance(cites, list) else []:
        if not isinstance(c, dict):
            continue
        host = urlparse(str(c.get("url") or "")).netloc.lower().removeprefix("www.")
        name = host or str(c.get("article") or "")
        if name and name not in names:
            names.append(name)
    if not names:
        names = [s for s in str(row.get("sources") or "").split(";") if s]
    return "; ".join(names)


def _date_text(date: pd.Timestamp, precision: str) -> str:
    if precision == "day":
        return f"On {date.day} {date:%B %Y}"
    if precision == "week":
        return f"In the week of {date.day} {date:%B %Y}"
    if precision == "month":
        return f"In {date:%B %Y}"
    return f"In {date.year}"


_VERB = {"captured": "took control of", "entered": "entered", "besieged": "besieged", "held": "held", "withdrew": "withdrew from"}


def _notes(r, actor1: str, actor2: str, where: str) -> str:
    et = r["event_type"]
    who = actor2 if et == "withdrew" else actor1
    text = f"{_date_text(r['date'], r['date_precision'])}, {who or 'an unnamed force'} {_VERB.get(et, et)} {r['place']}{where}"
    if et == "captured" and actor2:
        text += f" from {actor2}"
    n = int(r["n_sources"]) if pd.notna(r.get("n_sources")) else 0
    text += f". [mapper, {n} source{'s' if n != 1 else ''}]"
    evidence = " ".join(str(r.get("evidence") or "").split())
    if evidence:
        text += f' Evidence: "{evidence}"'
    return text


def _clean(v) -> str:
    return "" if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA else str(v)


def to_acled(events: pd.DataFrame, *, admin: Mapping | None = None, gazetteer=None) -> pd.DataFrame:
    """Our events as ACLED-style rows (see ``docs/acled.md`` for the mapping).

    Parameters
    ----------
    events
        Events with :data:`mapper.schema.EVENT_COLUMNS` (``date`` a Timestamp).
    admin
        ``{"admin1": GeoDataFrame, "admin2": GeoDataFrame}`` polygons with a ``name`` column
        for the spatial join; default the packaged ``data/gazetteer/admin1.geojson`` and
        ``admin2.geojson``.
    gazetteer
        A :class:`~mapper.gazetteer.Gazetteer` to set ``geo_precision`` from the place's
        feature class (3 for governorates and countries, 1 otherwise); without it, places
        with ``ne:`` ids (governorates) get 3 and the rest 1.

    Returns
    -------
    DataFrame
        :data:`ACLED_COLUMNS`, one row per dated event. Events without a date cannot be ACLED
        rows and are left out; ``from_acled`` reads the rows back.

    Raises
    ------
    InputError
        ``events`` lacks columns the mapping needs; the message lists them.
    """
    need = {"event_id", "place_id", "place", "country", "lat", "lon", "event_type", "gainer", "loser",
            "date", "date_precision", "confidence", "evidence", "sources", "n_sources"}
    missing = sorted(need - set(events.columns))
    if missing:
        raise InputError(f"to_acled: events lack column(s) {', '.join(missing)}. Give the events table of "
                         "`mapper build` (events.csv / events.geojson), read with mapper.events.")
    ev = events.copy()
    ev["date"] = pd.to_datetime(ev["date"], errors="coerce")
    ev = ev[ev["date"].notna() & ev["date_precision"].isin(TIME_PRECISION)].reset_index(drop=True)
    lat = pd.to_numeric(ev["lat"], errors="coerce").to_numpy(dtype=float)
    lon = pd.to_numeric(ev["lon"], errors="coerce").to_numpy(dtype=float)
    a1_layer, a2_layer = _admin_layers(admin)
    admin1 = _admin_names(lat, lon, a1_layer)
    admin2 = _admin_names(lat, lon, a2_layer)
    feature = {}
    if gazetteer is not None:
        table = gazetteer.places.set_index("place_id")
        feature = {pid: (table.at[pid, "feature_class"], table.at[pid, "feature_code"])
                   for pid in set(ev["place_id"]) if pid in table.index}
    rows = []
    for i, r in ev.iterrows():
        country = _clean(r["country"]).upper()
        gainer, loser = _clean(r["gainer"]), _clean(r["loser"])
        when = r["date"].date()
        disorder, etype, sub = _acled_types(r["event_type"], gainer)
        actor1 = acled_actor(gainer, country=country, when=when)
        actor2 = acled_actor(loser, country=country, when=when)
        if r["event_type"] == "held":
            actor2 = ""
        cname, iso = COUNTRIES.get(country, (country, None))
        fclass, fcode = feature.get(r["place_id"], ("", ""))
        coarse = fcode in ("ADM1", "ADM2", "PCLI") or str(r["place_id"]).startswith("ne:")
        geo_precision = 3 if coarse else (2 if fclass in ("L", "T", "H") else 1)
        where = ", ".join(x for x in (admin1[i], cname) if x)
        tags = {
            "event_type": r["event_type"], "date_precision": r["date_precision"], "place_id": _clean(r["place_id"]),
            "event_id": _clean(r["event_id"]), "gainer": gainer, "loser": loser,
            "confidence": f"{float(r['confidence']):.3f}" if pd.notna(r["confidence"]) else "",
        }
        rows.append({
            "event_id_cnty": _clean(r["event_id"]),
            "event_date": r["date"].strftime("%Y-%m-%d"),
            "year": int(r["date"].year),
            "time_precision": TIME_PRECISION[r["date_precision"]],
            "disorder_type": disorder, "event_type": etype, "sub_event_type": sub,
            "actor1": actor1, "actor2": actor2,
            "iso": iso, "region": "Middle East", "country": cname,
            "admin1": admin1[i], "admin2": admin2[i],
            "location": _clean(r["place"]), "latitude": lat[i], "longitude": lon[i],
            "geo_precision": geo_precision,
            "source": _source_names(r),
            "notes": _notes(r, actor1, actor2, f" ({where})" if where else ""),
            "fatalities": pd.NA,
            "tags": "; ".join(f"mapper:{k}={v.replace(';', ',')}" for k, v in tags.items()),
        })
    out = pd.DataFrame(rows, columns=ACLED_COLUMNS)
    out["year"] = out["year"].astype("int64")
    out["time_precision"] = out["time_precision"].astype("int64")
    out["geo_precision"] = out["geo_precision"].astype("int64")
    out["iso"] = out["iso"].astype("Int64")
    out["fatalities"] = out["fatalities"].astype("Int64")
    out["latitude"] = out["latitude"].astype("float64")
    out["longitude"] = out["longitude"].astype("float64")
    return out


def write_acled(rows: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write ACLED rows as a UTF-8 CSV (atomically, formula-like cells neutralised)."""
    from mapper.outputs import write_csv

    return write_csv(rows, path)


# ------------------------------------------------------------------------------ import


def read_acled(path: str | os.PathLike) -> pd.DataFrame:
    """An ACLED CSV export as text cells (column names lower-cased), nothing parsed yet.

    Raises
    ------
    InputError
        The file is missing, empty or not CSV.
    """
    from mapper.outputs import unneutralise

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such ACLED file. Export one from acleddata.com (CSV) or with `mapper export acled`.")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a readable CSV ({exc}). Give ACLED's CSV export (UTF-8, comma-separated).") from exc
    df.columns = [str(c).strip().lower() for c in df.columns]
    df.attrs["source"] = str(path)
    return unneutralise(df)


def _parse_date(text: str) -> dt.date:
    text = text.strip()
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"event_date {text!r} is not a date; write it as YYYY-MM-DD or '17 October 2017'")


def _tags(text: str) -> dict[str, str]:
    return {k: v.strip() for k, v in _TAG.findall(text or "")}


class _Resolver:
    """ACLED location + coordinates -> a gazetteer place id (nearest same-named place)."""

    def __init__(self, gazetteer):
        self.gaz = gazetteer

    def place_id(self, location: str, country: str, lat: float, lon: float, *, max_km: float = 15.0) -> str | None:
        if self.gaz is None:
            return None
        try:
            cands = self.gaz.lookup(location, country or None)
        except Exception:  # a name the matcher cannot take is simply unresolved
            return None
        if cands is None or not len(cands):
            return None
        cands = cands[cands["match"] >= 0.85] if "match" in cands.columns else cands
        if not len(cands):
            return None
        d = _km(lat, lon, cands["lat"].to_numpy(dtype=float), cands["lon"].to_numpy(dtype=float))
        j = int(np.argmin(d))
        return str(cands["place_id"].iloc[j]) if d[j] <= max_km else None


def _km(lat, lon, lats, lons):
    p1, p2 = np.radians(lat), np.radians(lats)
    dphi, dlmb = p2 - p1, np.radians(lons - lon)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 6371.0 * 2 * np.arcsin(np.sqrt(a))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "place"


def from_acled(df_or_path, *, gazetteer=None, confidence: float = 0.9) -> tuple[pd.DataFrame, list[str]]:
    """ACLED rows of territorial sub-event types as our events, with ACLED as the source.

    Parameters
    ----------
    df_or_path
        An ACLED CSV path or a frame from :func:`read_acled` (any column-name case).
    gazetteer
        Gazetteer to give ACLED locations our place ids (same name, within 15 km); default
        the packaged one. Locations it lacks keep ACLED's coordinates with an ``acled:`` id.
    confidence
        Confidence given to ACLED rows (a curated, human-coded source).

    Returns
    -------
    (DataFrame, list of str)
        Events with :data:`mapper.schema.EVENT_COLUMNS` (``sources`` ``acled:<event_id_cnty>``,
        flag ``source:acled``), and the problems: unknown columns, rows skipped and why,
        actors mapped to ``other``, rows of other sub-event types left out. None is fatal.

    Raises
    ------
    InputError
        Columns every row needs are missing (the file is not an ACLED export).
    """
    if isinstance(df_or_path, (str, os.PathLike)):
        raw = read_acled(df_or_path)
    elif isinstance(df_or_path, pd.DataFrame):
        raw = df_or_path.copy()
        raw.columns = [str(c).strip().lower() for c in raw.columns]
        raw = raw.astype(object).where(raw.notna(), "")
    else:
        raise InputError(f"from_acled: expected a CSV path or a DataFrame, got {type(df_or_path).__name__}.")
    name = raw.attrs.get("source", "ACLED rows")
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise InputError(
            f"{name}: missing ACLED column(s) {', '.join(missing)} (found: {', '.join(raw.columns) or 'none'}). "
            "Export the full ACLED table, which names these columns."
        )
    problems: list[str] = []
    unknown = [c for c in raw.columns if c not in KNOWN_ACLED_COLUMNS]
    if unknown:
        problems.append(f"{name}: unknown column(s) ignored: {', '.join(unknown)}")
    if gazetteer is None:
        from mapper.gazetteer import Gazetteer

        gazetteer = Gazetteer.load()
    resolver = _Resolver(gazetteer)
    other_types: Counter[str] = Counter()
    unknown_actors: Counter[str] = Counter()
    unresolved = 0
    rows = []
    for n, r in enumerate(raw.to_dict("records"), start=2):
        r = {k: ("" if v is None else str(v)).strip() for k, v in r.items()}
        eid = r.get("event_id_cnty", "")
        where = f"{name}, row {n}" + (f" ({eid})" if eid else "")
        tags = _tags(r.get("tags", ""))
        sub = r["sub_event_type"]
        etype = tags.get("event_type", "")
        if etype and etype not in EVENT_TYPES:
            problems.append(f"{where}: tag event_type {etype!r} unknown (use one of {', '.join(EVENT_TYPES)}); row skipped")
            continue
        if not etype and sub not in TERRITORIAL:
            other_types[sub or "(blank)"] += 1
            continue
        try:
            lat, lon = float(r["latitude"]), float(r["longitude"])
            if not (-90 <= lat <= 90 and -180 <= lon <= 180) or not (np.isfinite(lat) and np.isfinite(lon)):
                raise ValueError
        except ValueError:
            problems.append(f"{where}: latitude/longitude {r['latitude']!r}, {r['longitude']!r} are not decimal degrees; row skipped")
            continue
        try:
            day = _parse_date(r["event_date"])
        except ValueError as exc:
            problems.append(f"{where}: {exc}; row skipped")
            continue
        precision = tags.get("date_precision", "")
        if precision not in TIME_PRECISION:
            tp = r.get("time_precision", "") or "1"
            try:
                precision = PRECISION_OF[int(float(tp))]
            except (ValueError, KeyError):
                problems.append(f"{where}: time_precision {tp!r} is not 1, 2 or 3; row skipped")
                continue
        if precision == "month":
            day = day.replace(day=1)
        elif precision == "year":
            day = day.replace(month=1, day=1)
        country = _COUNTRY_CODE.get(r["country"].lower(), r["country"].upper() if len(r["country"]) == 2 else "")
        if not country:
            problems.append(f"{where}: country {r['country']!r} unknown (expected e.g. Syria, Iraq); row skipped")
            continue
        location = r["location"]
        if not location:
            problems.append(f"{where}: empty location; row skipped")
            continue
        # actors: ACLED's actor1 is the taker for all three territorial types
        actor1, actor2 = r.get("actor1", ""), r.get("actor2", "")
        mapped = []
        for a in (actor1, actor2):
            m = mapper_actor(a)
            if m is None:
                unknown_actors[a] += 1
                m = "other"
            mapped.append(m)
        gainer, loser = tags.get("gainer", mapped[0]), tags.get("loser", mapped[1])
        if not etype:  # NSAOT / GRT always name a change of hands; NVTT without a taker is a withdrawal
            etype = "withdrew" if sub == NVTT and not gainer else "captured"
        pid = tags.get("place_id") or resolver.place_id(location, country, lat, lon)
        if not pid:
            unresolved += 1
            pid = f"acled:{_slug(location)}@{lat:.4f},{lon:.4f}"
        try:
            conf = float(tags["confidence"]) if tags.get("confidence") else confidence
        except ValueError:
            conf = confidence
        event_id = tags.get("event_id") or (f"acled:{eid}" if eid else f"acled:row{n}")
        source = f"acled:{eid}" if eid else f"acled:row{n}"
        notes = r.get("notes", "")
        rows.append({
            "event_id": event_id, "place_id": pid, "place": location, "country": country,
            "name_as_written": location, "lat": lat, "lon": lon, "event_type": etype,
            "gainer": gainer, "loser": loser, "date": pd.Timestamp(day), "date_precision": precision,
            "confidence": conf, "evidence": notes, "sources": source, "n_sources": 1,
            "citations": json.dumps([{
                "article": source, "title": f"ACLED {eid or f'row {n}'}: {sub}", "url": "",
                "published": "", "evidence": notes, "name_as_written": location,
            }], ensure_ascii=False),
            "flags": "source:acled",
        })
    if other_types:
        detail = ", ".join(f"{k}: {v}" for k, v in other_types.most_common())
        problems.append(f"{name}: {sum(other_types.values())} row(s) of sub-event types that are not control "
                        f"changes left out ({detail}); only {', '.join(TERRITORIAL)} are imported")
    for actor, count in unknown_actors.most_common():
        problems.append(f"{name}: actor {actor!r} ({count} row(s)) has no mapper equivalent: imported as 'other'. "
                        "Add it to an actor lexicon to map it")
    if unresolved:
        problems.append(f"{name}: {unresolved} location(s) not in the gazetteer kept with ACLED's coordinates (place ids acled:...)")
    return _events_frame(rows), problems


def _events_frame(rows: list[dict]) -> pd.DataFrame:
    """Rows in the events module's canonical dtypes (``str`` text, ``datetime64`` dates)."""
    from mapper.events import empty_events

    empty = empty_events()
    if not rows:
        return empty
    df = pd.DataFrame(rows, columns=EVENT_COLUMNS)
    df["date"] = pd.to_datetime(df["date"])
    return df.astype(empty.dtypes.to_dict()).reset_index(drop=True)
