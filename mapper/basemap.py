"""What every map and figure shares: the basemap layers, the town labels, the credits, the day.

day(value)                          -> ``YYYY-MM-DD`` of a date-like value, or ``None``
load_basemap(kind, *, path=None)    -> a packaged layer (countries, admin1, lakes, rivers)
basemap_layers(layers, *, tolerance)-> the layers simplified for drawing (WGS84 GeoDataFrames)
label_candidates(settlements, places)
                                    -> towns worth a label, most important first
map_extent(areas, points)           -> (xmin, ymin, xmax, ymax) degrees around what is drawn
ATTRIBUTION_HTML, ATTRIBUTION_TEXT  -> the credit line of every data source

``mapper.maps`` (web pages) and ``mapper.figures`` (PNGs) both import from here and never from
each other, so the two renderers draw the same basemap, the same labels and the same credits.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from mapper import resources
from mapper.errors import InputError, SkippedInputWarning
from mapper.schema import WGS84

__all__ = [
    "ATTRIBUTION_HTML",
    "ATTRIBUTION_TEXT",
    "BASEMAP_KINDS",
    "BASEMAP_TOLERANCE",
    "GAZETTEER_DIR",
    "STUDY_EXTENT",
    "basemap_layers",
    "day",
    "label_candidates",
    "load_basemap",
    "map_extent",
]

#: packaged basemap files: ``<kind>.geojson``
GAZETTEER_DIR = resources.gazetteer_dir()  # a checkout's data/gazetteer or the wheel's copy


def _gazetteer_file(name: str) -> Path:
    """A packaged gazetteer layer, from a checkout or an installed wheel."""
    return GAZETTEER_DIR / name
BASEMAP_KINDS = ("countries", "admin1", "lakes", "rivers")
#: simplification tolerance of the basemap layers, degrees (~1 km)
BASEMAP_TOLERANCE = 0.01
#: Syria and Iraq, degrees (xmin, ymin, xmax, ymax)
STUDY_EXTENT = (35.5, 29.0, 48.6, 37.4)

#: credit line of every data source a map rests on (see data/gazetteer/SOURCES.md)
ATTRIBUTION_HTML = (
    'Places &copy; <a href="https://www.geonames.org/" target="_blank" rel="noopener noreferrer">'
    "GeoNames</a> (CC BY 4.0), "
    '<a href="https://whosonfirst.org/" target="_blank" rel="noopener noreferrer">Who&#39;s On '
    "First</a> (CC0) &middot; borders, rivers: "
    '<a href="https://www.naturalearthdata.com/" target="_blank" rel="noopener noreferrer">'
    "Natural Earth</a> &middot; areas: estimates"
)
ATTRIBUTION_TEXT = (
    "Places: GeoNames (CC BY 4.0) via Who's On First (CC0). Borders, rivers, lakes: Natural "
    "Earth (public domain). Areas: estimated from news reports."
)

#: feature codes of settlements worth a label even without a population figure, with the
#: population a label of that rank stands for
_RANK_POPULATION = {"PPLC": 3_000_000, "PPLA": 200_000, "PPLA2": 40_000}
_NO_LABEL_CODES = {"PPLX", "PPLQ", "PPLW", "PPLH", "PPLCH"}


def day(value: Any) -> str | None:
    """``YYYY-MM-DD`` of a date-like value; ``None`` when missing or not a date."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        return None
    return None if pd.isna(ts) else ts.strftime("%Y-%m-%d")


def load_basemap(kind: str, *, path: str | os.PathLike | None = None) -> gpd.GeoDataFrame | None:
    """Read a packaged basemap layer (``countries``, ``admin1``, ``lakes`` or ``rivers``).

    Returns a new GeoDataFrame in WGS84, or ``None`` (with a :class:`SkippedInputWarning`)
    when the file is absent.
    """
    if kind not in BASEMAP_KINDS:
        raise InputError(f"basemap layer {kind!r} is not one of {BASEMAP_KINDS}.")
    p = Path(path) if path is not None else _gazetteer_file(f"{kind}.geojson")
    if not p.is_file():
        warnings.warn(
            f"{p}: basemap layer '{kind}' not found; the map is drawn without it. "
            "Pass it as a GeoDataFrame or restore the packaged data/gazetteer files.",
            SkippedInputWarning,
            stacklevel=2,
        )
        return None
    return _read(str(p), p.stat().st_mtime_ns).copy()


@lru_cache(maxsize=8)
def _read(path: str, _mtime: int) -> gpd.GeoDataFrame:
    gdf = gpd.read_file(path)
    return gdf.to_crs(WGS84) if gdf.crs is not None else gdf.set_crs(WGS84)


@lru_cache(maxsize=16)
def _simplified_packaged(path: str, mtime: int, tolerance: float) -> gpd.GeoDataFrame:
    return _simplify(_read(path, mtime), tolerance)


def _simplify(gdf: gpd.GeoDataFrame, tolerance: float) -> gpd.GeoDataFrame:
    if gdf.crs is not None and gdf.crs != WGS84:
        gdf = gdf.to_crs(WGS84)
    geoms = gdf.geometry.values
    if tolerance > 0:
        geoms = shapely.simplify(geoms, tolerance, preserve_topology=True)
    keep = ~(shapely.is_empty(geoms) | shapely.is_missing(geoms))
    out = gpd.GeoDataFrame(gdf.drop(columns=gdf.geometry.name)[keep].reset_index(drop=True),
                           geometry=list(geoms[keep]), crs=WGS84)
    return out


def basemap_layers(
    layers: Mapping[str, gpd.GeoDataFrame | None] | None = None,
    *,
    tolerance: float = BASEMAP_TOLERANCE,
) -> dict[str, gpd.GeoDataFrame]:
    """The basemap layers to draw, simplified to ``tolerance`` degrees, in WGS84.

    A layer given in ``layers`` is used as given (simplified); a missing one is read from the
    packaged ``data/gazetteer/<kind>.geojson`` (once per process). A missing packaged
    ``countries`` file warns (:class:`SkippedInputWarning`); the optional layers are left out
    quietly. The frames returned are shared: do not change them.
    """
    layers = dict(layers or {})
    out: dict[str, gpd.GeoDataFrame] = {}
    for kind in BASEMAP_KINDS:
        given = layers.get(kind)
        if given is not None:
            if len(given):
                out[kind] = _simplify(given, tolerance)
            continue
        p = _gazetteer_file(f"{kind}.geojson")
        if not p.is_file():
            if kind == "countries":
                load_basemap(kind)  # warns
            continue
        out[kind] = _simplified_packaged(str(p), p.stat().st_mtime_ns, tolerance)
    return out


def label_candidates(
    settlements: gpd.GeoDataFrame | pd.DataFrame | None,
    places: pd.DataFrame | None = None,
    *,
    extent: tuple[float, float, float, float] = STUDY_EXTENT,
    limit: int = 400,
) -> pd.DataFrame:
    """Towns worth a label, most important first.

    Parameters
    ----------
    settlements : (Geo)DataFrame, optional
        Gazetteer settlements (``name, feature_code, population`` and a point geometry or
        ``lat``/``lon``). Capitals, governorate and district seats and towns of 40,000 or more
        are candidates (quarters, abandoned and destroyed places are not).
    places : DataFrame, optional
        The control points (``place_id, place, lat, lon``): every one is a candidate, ranked
        above a town of the same size.
    extent : (xmin, ymin, xmax, ymax)
        Candidates outside are dropped.
    limit : int
        At most this many settlement candidates.

    Returns
    -------
    DataFrame
        ``name, lat, lon, score, place_id`` sorted by ``score`` (descending), then name. The
        score is ``log10`` of the population (or of the population its rank stands for),
        plus 1 for a control point. Renderers place labels in this order and skip any that
        would overlap one already placed.
    """
    rows = []
    if settlements is not None and len(settlements):
        s = settlements
        if isinstance(s, gpd.GeoDataFrame) and "lat" not in s.columns:
            s = s.to_crs(WGS84)
            lat, lon = s.geometry.y.to_numpy(), s.geometry.x.to_numpy()
        else:
            lat, lon = s["lat"].to_numpy(dtype=float), s["lon"].to_numpy(dtype=float)
        code = s["feature_code"].astype(str).to_numpy() if "feature_code" in s else np.array([""] * len(s))
        pop = pd.to_numeric(s.get("population", 0), errors="coerce").fillna(0).to_numpy(dtype=float)
        rank_pop = np.array([_RANK_POPULATION.get(c, 0) for c in code], dtype=float)
        size = np.maximum(pop, rank_pop)
        ok = (size >= 40_000) & ~np.isin(code, list(_NO_LABEL_CODES))
        ok &= (lon >= extent[0]) & (lon <= extent[2]) & (lat >= extent[1]) & (lat <= extent[3])
        names = s["name"].astype(str).to_numpy()
        ids = s["place_id"].astype(str).to_numpy() if "place_id" in s else np.array([""] * len(s))
        idx = np.flatnonzero(ok)
        idx = idx[np.argsort(-size[idx], kind="stable")][:limit]
        for i in idx:
            rows.append((names[i], float(lat[i]), float(lon[i]), math.log10(size[i]), ids[i]))
    seen = {r[4] for r in rows}
    if places is not None and len(places):
        known = {r[4]: r for r in rows}
        for pid, name, lat, lon in zip(places["place_id"], places["place"], places["lat"], places["lon"]):
            if not (isinstance(name, str) and name.strip()) or pd.isna(lat) or pd.isna(lon):
                continue
            base = known[pid][3] if pid in known else 4.3
            if pid in seen:
                rows = [r for r in rows if r[4] != pid]
            rows.append((name.strip(), float(lat), float(lon), base + 1.0, str(pid)))
            seen.add(pid)
    out = pd.DataFrame(rows, columns=["name", "lat", "lon", "score", "place_id"])
    out = out.drop_duplicates("place_id", keep="last") if len(out) else out
    return out.sort_values(["score", "name"], ascending=[False, True], kind="stable").reset_index(drop=True)


def map_extent(
    areas: gpd.GeoDataFrame | None,
    points: Iterable[tuple[float, float]] | pd.DataFrame | None = None,
    *,
    pad_fraction: float = 0.06,
    min_pad: float = 0.3,
) -> tuple[float, float, float, float]:
    """(xmin, ymin, xmax, ymax) in degrees around the areas and points, padded; Syria and Iraq
    when there is nothing to frame."""
    boxes = []
    if areas is not None and len(areas):
        a = areas.to_crs(WGS84) if areas.crs is not None and areas.crs != WGS84 else areas
        b = a.total_bounds
        if np.isfinite(b).all():
            boxes.append(tuple(b))
    if points is not None:
        if isinstance(points, pd.DataFrame):
            lat = pd.to_numeric(points["lat"], errors="coerce")
            lon = pd.to_numeric(points["lon"], errors="coerce")
            ok = lat.notna() & lon.notna()
            if ok.any():
                boxes.append((lon[ok].min(), lat[ok].min(), lon[ok].max(), lat[ok].max()))
        else:
            pts = [(x, y) for x, y in points]
            if pts:
                xs, ys = zip(*pts)
                boxes.append((min(xs), min(ys), max(xs), max(ys)))
    if not boxes:
        boxes.append(STUDY_EXTENT)
    x0 = min(b[0] for b in boxes)
    y0 = min(b[1] for b in boxes)
    x1 = max(b[2] for b in boxes)
    y1 = max(b[3] for b in boxes)
    pad = max(min_pad, pad_fraction * max(x1 - x0, y1 - y0))
    return (round(x0 - pad, 3), round(y0 - pad, 3), round(x1 + pad, 3), round(y1 + pad, 3))
