"""How much land: held areas from a control timeline, built from settlement cells.

held_areas(control, places, dates, *, radius_km, cell_km, countries)
                                     -> one polygon per date, actor and state, with km²
compare_areas(areas, reference)      -> estimated beside published km², ratio per date
calibrate_reach(events, reference, candidates, *, places, countries)
                                     -> the reach that best matches published areas
read_reference(path)                 -> the published figures (default: IHS, packaged)
write_areas(areas, gpkg, csv)        -> ``territory.gpkg`` (one layer) and ``areas.csv``
load_countries(path), settlements_from_geonames(path), default_settlements()

The model (``docs/territory.md`` has the long form and the calibration). On a date t every
place of the control table that some report covers is a **control point** with the state of its
interval (``unreported`` places are none). Then, in :data:`mapper.schema.EQUAL_AREA`:

1. Every settlement of the gazetteer takes the state of its **nearest control point within
   the reach** ``radius_km``; farther ones stay unknown. A control point is a settlement too
   (it always takes its own state).
2. Each settlement owns its **cell**: the land nearer to it than to any other settlement, up to
   about ``cell_km`` away (the Voronoi cells of the settlements, bounded in empty land by a
   ``cell_km`` grid of empty sites wherever no settlement lies within ``2 * cell_km``), clipped to
   the study countries.
3. An actor's area is the **union of its settlements' cells**. So the corridor between two
   points of one holder fills in wherever settlements lie between them, the front between two
   opposing points falls between their settlements, halfway, and empty desert far from any
   settlement is held by nobody. Contested and stale points give rows of their own.

The Voronoi cells are computed once per call (only around the control points), snapped to a
1 m grid so neighbouring cells share their edges exactly, and each group of cells is merged
with GEOS' coverage union; a group that does not change between dates is merged once.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from mapper.errors import DateWarning, DegreeAreaWarning, InputError
from mapper.outputs import atomic_write
from mapper.schema import AREA_COLUMNS, EQUAL_AREA, WGS84

__all__ = [
    "AREA_STATES",
    "AREA_TABLE_COLUMNS",
    "DEFAULT_CELL_KM",
    "DEFAULT_RADIUS_KM",
    "STUDY_COUNTRIES",
    "AreaStore",
    "calibrate_reach",
    "compare_areas",
    "default_settlements",
    "held_areas",
    "load_countries",
    "read_reference",
    "settlements_from_geonames",
    "spool_held_areas",
    "write_areas",
]

#: default reach of a control point in km: settlements this close take its state. Calibrated
#: against the IHS Conflict Monitor figures for the IS-held area (``docs/territory.md``)
DEFAULT_RADIUS_KM = 50.0
#: how far (km) a settlement's own cell reaches into empty land
DEFAULT_CELL_KM = 15.0
#: the study countries the held areas are clipped to when the packaged countries are used
STUDY_COUNTRIES = ("SY", "IQ")
#: the states an areas row can have (``unknown`` only with ``include_unknown=True``)
AREA_STATES = ("held", "contested", "stale", "unknown")
#: vertex spacing (m) along polygon edges before they are stored in WGS84, so the stored
#: polygon keeps the shape (and the area) of the equal-area one
_SEGMENT_M = 2_000.0
_GRID_M = 1.0  # cells are snapped to this grid so that neighbours share edges exactly

_REPO = Path(__file__).resolve().parents[1]
_SHARED = Path(os.environ.get("MAPPER_SHARED", _REPO.parent / "shared"))
_SHARED_COUNTRIES = _SHARED / "data" / "ne_10m_admin0_region.geojson"
_REQUIRED_CONTROL_COLUMNS = ("place_id", "lat", "lon", "holder", "state", "valid_from", "valid_to")
_CONTROL_STATES = ("held", "contested", "stale", "unknown", "unreported")


def _blank(value) -> str | None:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    text = str(value).strip()
    return text or None


# ---------------------------------------------------------------------------------------------
# layers: settlements and countries
# ---------------------------------------------------------------------------------------------


def settlements_from_geonames(path: str | os.PathLike) -> gpd.GeoDataFrame:
    """Populated places (feature class ``P``) of a 19-column GeoNames-format dump.

    A stand-in for ``mapper.gazetteer.Gazetteer.settlements()`` with the same columns
    (``place_id, name, country, population, geometry``), for benchmarks and for users with
    their own ``SY.txt``/``IQ.txt``.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: GeoNames-format dump not found. Pass the path to a "
                         "19-column, tab-separated dump such as GeoNames' SY.txt.")
    df = pd.read_csv(
        path, sep="\t", header=None, usecols=[0, 1, 4, 5, 6, 8, 14], quoting=3,
        names=["geonameid", "name", "lat", "lon", "feature_class", "country", "population"],
        dtype={0: str, 1: str, 6: str, 8: str}, keep_default_na=False, na_values={14: [""]},
    )
    df = df[df["feature_class"] == "P"]
    return gpd.GeoDataFrame(
        {
            "place_id": "geonames:" + df["geonameid"],
            "name": df["name"].to_numpy(),
            "country": df["country"].to_numpy(),
            "population": pd.to_numeric(df["population"], errors="coerce").fillna(0).astype("int64").to_numpy(),
        },
        geometry=gpd.points_from_xy(df["lon"], df["lat"]),
        crs=WGS84,
    ).reset_index(drop=True)


def load_countries(path: str | os.PathLike | None = None) -> gpd.GeoDataFrame:
    """Country polygons (WGS84): ``path``, else the packaged ``data/gazetteer/countries.geojson``
    (or ``../shared/data/ne_10m_admin0_region.geojson``), limited to :data:`STUDY_COUNTRIES`."""
    if path is None:
        from mapper import resources

        candidates = [resources.gazetteer_file("countries.geojson"), _SHARED_COUNTRIES]
    else:
        candidates = [Path(path)]
    for p in candidates:
        if p.is_file():
            gdf = gpd.read_file(p)
            break
    else:
        raise InputError(f"country polygons not found at {[str(p) for p in candidates]}; pass "
                         "countries= (a GeoDataFrame of polygons) or build the gazetteer data.")
    code = next((c for c in ("iso_a2", "ISO_A2", "ISO_A2_EH") if c in gdf.columns), None)
    if path is None and code is not None:
        gdf = gdf[gdf[code].isin(STUDY_COUNTRIES)]
    return gdf.to_crs(WGS84).reset_index(drop=True)


def default_settlements() -> gpd.GeoDataFrame:
    """The packaged gazetteer's settlements (or, without it, the shared GeoNames-format dump)."""
    try:
        from mapper.gazetteer import Gazetteer
    except ImportError:  # pragma: no cover - the gazetteer ships with the package
        dump = _SHARED / "data" / "wof_geonames_format_SY_IQ.tsv"
        if dump.is_file():
            return settlements_from_geonames(dump)
        raise InputError("held areas need a settlement layer: pass places= (a GeoDataFrame of "
                         "populated places) or install the packaged gazetteer.") from None
    return Gazetteer.load().settlements()


def _to_equal_area(gdf: gpd.GeoDataFrame, name: str, crs: str = EQUAL_AREA) -> gpd.GeoDataFrame:
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputError(f"{name}: expected a GeoDataFrame, got {type(gdf).__name__}.")
    if gdf.crs is None:
        raise InputError(f"{name}: has no CRS. Set it, e.g. {name}.set_crs('EPSG:4326') for "
                         "longitude/latitude.")
    return gdf.to_crs(crs)


def _validate_control(control: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(control, pd.DataFrame):
        raise InputError(f"control: expected the DataFrame of control_timeline(), got "
                         f"{type(control).__name__}.")
    missing = [c for c in _REQUIRED_CONTROL_COLUMNS if c not in control.columns]
    if missing:
        raise InputError(f"control: missing column(s) {missing}; pass the output of "
                         "control_timeline(events).")
    ctl = control.copy()
    ctl.attrs = {}  # pandas deep-copies attrs on every operation; the tables need none here
    ctl["valid_from"] = pd.to_datetime(ctl["valid_from"])
    ctl["valid_to"] = pd.to_datetime(ctl["valid_to"])
    if "basis" not in ctl.columns:
        ctl["basis"] = ""
    bad = sorted(set(map(str, ctl["state"])) - set(_CONTROL_STATES))
    if bad:
        raise InputError(f"control: state {bad} unknown; use one of {list(_CONTROL_STATES)}.")
    return ctl


# ---------------------------------------------------------------------------------------------
# the settlement cells
# ---------------------------------------------------------------------------------------------


class _LRU(dict):
    """A dict that forgets its least recently used entries beyond ``size`` entries or, with
    ``weigh``, beyond ``budget`` (the sum of ``weigh(value)`` over the entries)."""

    def __init__(self, size: int, *, budget: float = math.inf, weigh=None):
        super().__init__()
        self.size = size
        self.budget = budget
        self.weigh = weigh
        self._weights: dict = {}
        self.total = 0.0

    def get(self, key, default=None):
        if key in self:
            value = super().pop(key)
            super().__setitem__(key, value)  # most recent last
            return value
        return default

    def __setitem__(self, key, value) -> None:
        if key in self:
            super().pop(key)
            self.total -= self._weights.pop(key, 0.0)
        super().__setitem__(key, value)
        if self.weigh is not None:
            self._weights[key] = w = float(self.weigh(value))
            self.total += w
        while len(self) > 1 and (len(self) > self.size or self.total > self.budget):
            old = next(iter(self))
            super().pop(old)
            self.total -= self._weights.pop(old, 0.0)


def _coords_bytes(*geoms) -> int:
    """About the memory of some geometries: 16 bytes per vertex."""
    return 16 * sum(int(shapely.get_num_coordinates(g)) for g in geoms if g is not None)


#: memory (bytes, by vertices) the caches of merged cells may hold: bounded whatever the corpus
_UNION_CACHE_BYTES = 96 << 20
_PIECE_CACHE_BYTES = 64 << 20
_OWNER_CACHE_BYTES = 32 << 20


class _Cells:
    """Date-independent geometry of one held_areas call: sites, their cells, their owners."""

    def __init__(self, settle_xy: np.ndarray, point_xy: np.ndarray, land, radius_m: float,
                 cell_m: float, area_crs: str = EQUAL_AREA):
        from pyproj import Transformer

        self._to_wgs84 = Transformer.from_crs(area_crs, WGS84, always_xy=True)
        self.radius_m = radius_m
        self.point_xy = point_xy
        # only the settlements that can matter: within the reach (plus the cells' margin)
        if len(point_xy) and len(settle_xy):
            # the nearest point of each settlement, not every pair within reach: a dense corpus
            # has hundreds of points around each settlement (pairs would take gigabytes)
            pts_tree = shapely.STRtree(shapely.points(point_xy))
            near = pts_tree.query_nearest(shapely.points(settle_xy), max_distance=radius_m + 3 * cell_m,
                                          all_matches=False)[0]
            settle_xy = settle_xy[np.unique(near)]
        else:
            settle_xy = settle_xy[:0]
        shapely.prepare(land)
        if len(settle_xy):
            settle_xy = settle_xy[shapely.contains_xy(land, settle_xy[:, 0], settle_xy[:, 1])]
        # real sites: settlements and control points, one per location (1 m)
        both = np.round(np.vstack([settle_xy, point_xy]))
        real, inverse = np.unique(both, axis=0, return_inverse=True)
        inverse = inverse.ravel()
        self.n_real = len(real)
        self.is_settlement = np.zeros(len(real), bool)
        self.is_settlement[inverse[: len(settle_xy)]] = True
        self.point_site = inverse[len(settle_xy):]
        self.site_points = shapely.points(real)
        # empty sites on a cell_m grid wherever no real site lies within 2 * cell_m: they bound
        # the cells of lone settlements in empty land
        x0, y0 = real.min(axis=0) - 3 * cell_m
        x1, y1 = real.max(axis=0) + 3 * cell_m
        gx, gy = np.meshgrid(np.arange(x0, x1 + cell_m, cell_m), np.arange(y0, y1 + cell_m, cell_m))
        grid = np.column_stack([gx.ravel(), gy.ravel()])
        close = shapely.STRtree(self.site_points).query_nearest(
            shapely.points(grid), max_distance=2 * cell_m, all_matches=False)[0]
        keep = np.ones(len(grid), bool)
        keep[close] = False
        self.cells = self._voronoi(np.vstack([real, grid[keep]]), land)[: len(real)]
        # small LRU caches: dates come in order, so only recent states are asked for again;
        # memory stays bounded however many dates there are
        self._owner_cache: _LRU = _LRU(64, budget=_OWNER_CACHE_BYTES,
                                       weigh=lambda hit: hit[0].nbytes + hit[1].nbytes)
        self._union_cache: _LRU = _LRU(48, budget=_UNION_CACHE_BYTES,
                                       weigh=lambda hit: _coords_bytes(hit[0], hit[3]))
        self._piece_cache: _LRU = _LRU(4096, budget=_PIECE_CACHE_BYTES, weigh=_coords_bytes)

    @staticmethod
    def _voronoi(sites: np.ndarray, land) -> np.ndarray:
        """Cells of the sites (in input order), clipped to the land, vertices on a 1 m grid.

        Rounding every vertex (pointwise) keeps the vertices two cells share identical, so the
        cells form an exact coverage and merge edge by edge.
        """
        if len(sites) == 1:
            cells = np.array([shapely.buffer(shapely.points(sites[0]), 1e7, quad_segs=4)])
        else:
            vor = shapely.voronoi_polygons(shapely.multipoints(sites), ordered=True)
            cells = np.asarray(shapely.get_parts(vor))
        cells = shapely.set_precision(cells, _GRID_M, mode="pointwise")
        cut = ~shapely.contains(land, cells)
        clipped = shapely.intersection(cells[cut], land)
        cells[cut] = shapely.set_precision(_polygonal(clipped), _GRID_M, mode="pointwise")
        return cells

    def owners(self, active: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Sites grouped by the active point that owns them (nearest within reach).

        Returns ``(order, bounds)``: ``order[bounds[k]:bounds[k + 1]]`` are the sites of the
        ``k``-th active point (a control point always owns its own location).
        """
        hit = self._owner_cache.get(active)
        if hit is not None:
            return hit
        owner = np.full(self.n_real, -1, dtype=np.int64)
        tree = shapely.STRtree(shapely.points(self.point_xy[list(active)]))
        site_i, pt_i = tree.query_nearest(self.site_points, max_distance=self.radius_m,
                                          all_matches=False)
        owner[site_i] = pt_i
        owner[self.point_site[list(active)]] = np.arange(len(active))
        order = np.argsort(owner, kind="stable")
        bounds = np.searchsorted(owner[order], np.arange(-1, len(active) + 1))[1:]
        self._owner_cache[active] = hit = (order, bounds)
        return hit

    def _merge(self, parts: np.ndarray):
        parts = parts[~shapely.is_empty(parts)]
        if len(parts) == 0:
            return shapely.Polygon()
        geom = shapely.coverage_union_all(parts)
        if not shapely.is_valid(geom):  # a pair of cells that does not share an exact edge
            geom = shapely.make_valid(shapely.union_all(parts))
        return geom

    def piece(self, sites: np.ndarray):
        """The merged cells of one point's sites (kept while they stay that point's)."""
        key = sites.tobytes()
        hit = self._piece_cache.get(key)
        if hit is None:
            hit = self._piece_cache[key] = self._merge(self.cells[sites])
        return hit

    def union(self, groups: list[np.ndarray]) -> tuple[object, float, int, object]:
        """The union of the cells of several points' sites, its km², its settlements and (once
        asked for, see :meth:`stored`) the same polygon in WGS84.

        Each point's cells are merged once (:meth:`piece`), then the pieces: neighbouring cells
        share their edges exactly, so both steps are coverage unions, linear in the edges.
        """
        key = b"|".join(g.tobytes() for g in groups)
        hit = self._union_cache.get(key)
        if hit is not None:
            return hit
        pieces = np.array([self.piece(g) for g in groups if len(g)], dtype=object)
        geom = self._merge(pieces) if len(pieces) > 1 else (pieces[0] if len(pieces) else shapely.Polygon())
        n = int(sum(self.is_settlement[g].sum() for g in groups))
        self._union_cache[key] = hit = (geom, float(shapely.area(geom)) / 1e6, n, None)
        return hit

    def stored(self, groups: list[np.ndarray]) -> tuple[object, float, int]:
        """Like :meth:`union`, with the polygon in WGS84 (densified, projected once per union)."""
        geom, km2, n, wgs = self.union(groups)
        if wgs is None:
            def project(xy: np.ndarray) -> np.ndarray:
                return np.column_stack(self._to_wgs84.transform(xy[:, 0], xy[:, 1]))

            wgs = shapely.transform(shapely.segmentize(geom, _SEGMENT_M), project)
            self._union_cache[b"|".join(g.tobytes() for g in groups)] = (geom, km2, n, wgs)
        return wgs, km2, n


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Each geometry reduced to its polygons (clipping may leave lines or points behind)."""
    out = np.array(geoms, dtype=object)
    odd = ~np.isin(shapely.get_type_id(out), (3, 6))  # Polygon, MultiPolygon
    for i in np.flatnonzero(odd):
        polys = [p for p in shapely.get_parts(out[i]) if p.geom_type == "Polygon" and not p.is_empty]
        out[i] = shapely.MultiPolygon(polys) if polys else shapely.Polygon()
    return out


class _Intervals:
    """The control intervals as plain arrays, for the per-date lookups."""

    def __init__(self, ctl: pd.DataFrame, coord_of: pd.Series):
        ctl = ctl.assign(_coord=ctl["place_id"].map(coord_of).to_numpy())
        # per location, the most recent change first (then place id): the one that speaks
        ctl = ctl.sort_values(["_coord", "valid_from", "place_id"], ascending=[True, False, True])
        self.coord = ctl["_coord"].to_numpy(dtype=np.int64)
        self.start = ctl["valid_from"].to_numpy(dtype="datetime64[ns]")
        end = ctl["valid_to"].to_numpy(dtype="datetime64[ns]")
        self.end = np.where(np.isnat(end), np.datetime64("2262-01-01", "ns"), end)
        self.state = ctl["state"].astype(str).tolist()
        self.actor = [_blank(h) or "unknown" for h in ctl["holder"]]
        self.basis = [frozenset(b for b in str(s).split(";") if b and " " not in b)
                      for s in ctl["basis"].fillna("")]

    def active(self, t: pd.Timestamp) -> np.ndarray:
        """Row positions valid at ``t``, one per location, ordered by location."""
        t64 = np.datetime64(t.to_datetime64(), "ns")
        on = np.flatnonzero((self.start <= t64) & (self.end > t64))
        if not len(on):
            return on
        _, first = np.unique(self.coord[on], return_index=True)
        return on[first]


def held_areas(
    control: pd.DataFrame,
    places: gpd.GeoDataFrame | None,
    dates: Iterable,
    *,
    radius_km: float | None = None,
    cell_km: float | None = None,
    countries: gpd.GeoDataFrame | None = None,
    country_codes: Sequence[str] | None = STUDY_COUNTRIES,
    include_unknown: bool = False,
    area_crs: str = EQUAL_AREA,
) -> gpd.GeoDataFrame:
    """Held areas per date, actor and state, as polygons with areas in km².

    Parameters
    ----------
    control : DataFrame
        Output of :func:`mapper.territory.control_timeline`.
    places : GeoDataFrame, Gazetteer or None
        The settlement layer (points, any CRS), e.g. ``Gazetteer.load().settlements()``, or a
        ``Gazetteer`` (its settlements, and its countries unless ``countries`` is given);
        ``None`` loads the packaged gazetteer.
    dates : iterable of date-like
        Snapshot dates (see :func:`mapper.territory.snapshot_dates`); the state on date t is
        the interval with ``valid_from <= t < valid_to``.
    radius_km : float, optional
        Reach of a control point: settlements within it take its state. Default
        :data:`DEFAULT_RADIUS_KM` (calibrated).
    cell_km : float, optional
        How far a settlement's own cell reaches into empty land; default :data:`DEFAULT_CELL_KM`.
    countries : GeoDataFrame, optional
        Polygons to clip to; default :func:`load_countries` (Syria and Iraq).
    country_codes : sequence of str or None
        ISO 3166-1 alpha-2 codes of the countries to keep when ``countries`` has an
        ``iso_a2`` (or ``ISO_A2``) column: control does not spread across the border into
        neighbours. ``None`` keeps every polygon.
    include_unknown : bool
        Also return the cells of control points whose holder is unknown (actor ``unknown``).
    area_crs : str
        Equal-area CRS for areas and distances; a geographic CRS is refused with a
        :class:`DegreeAreaWarning` and :data:`~mapper.schema.EQUAL_AREA` is used.

    Returns
    -------
    GeoDataFrame
        :data:`mapper.schema.AREA_COLUMNS` in WGS84, one row per date, actor and state
        (``held``, ``contested`` or ``stale``; contested rows carry the defender as actor,
        stale rows the last confirmed holder). ``n_places`` counts settlements,
        ``n_events`` distinct events behind the points. Rows do not overlap on a date.
        ``attrs`` holds ``radius_km``, ``cell_km``, ``area_crs`` and, from the control
        table, ``stale_days`` and ``backfill_days``.
    """
    run = _AreaRun(control, places, dates, radius_km=radius_km, cell_km=cell_km, countries=countries,
                   country_codes=country_codes, include_unknown=include_unknown, area_crs=area_crs)
    records = [r for _, rows in run for r in rows]
    out = _to_wgs84_rows(records, run.area_crs)
    out.attrs.update(run.attrs)
    return out


class _AreaRun:
    """One held-areas computation, date by date: iterate it for ``(date, records)``.

    The date-independent work (settlement cells, control intervals) is done on creation; each
    date's records (``AREA_COLUMNS`` dicts, geometry in WGS84) are made only when that date is
    reached, so a caller that writes them away (:class:`AreaStore`) holds one date at a time.
    ``attrs`` are the areas table's ``attrs``.
    """

    def __init__(self, control, places, dates, *, radius_km, cell_km, countries, country_codes,
                 include_unknown, area_crs):
        radius = DEFAULT_RADIUS_KM if radius_km is None else radius_km
        cell = DEFAULT_CELL_KM if cell_km is None else cell_km
        for name, value, default in (("radius_km", radius, DEFAULT_RADIUS_KM),
                                     ("cell_km", cell, DEFAULT_CELL_KM)):
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise InputError(f"held_areas: {name}={value!r} must be a positive number of km "
                                 f"(default {default}).")
        if CRS.from_user_input(area_crs).is_geographic:
            warnings.warn(f"held_areas: area_crs={area_crs!r} is geographic (degrees); areas and "
                          f"distances are computed in {EQUAL_AREA!r} instead.", DegreeAreaWarning,
                          stacklevel=3)
            area_crs = EQUAL_AREA
        ctl = _validate_control(control)
        self.dates = pd.DatetimeIndex(pd.to_datetime(list(dates))).normalize().unique().sort_values()
        if places is None:
            places = default_settlements()
        elif not isinstance(places, gpd.GeoDataFrame) and callable(getattr(places, "settlements", None)):
            if countries is None and isinstance(getattr(places, "countries", None), gpd.GeoDataFrame):
                countries = places.countries
            places = places.settlements()  # a Gazetteer
        settle = _to_equal_area(places, "places", area_crs)
        settle = settle[settle.geometry.notna() & ~settle.geometry.is_empty]
        settle_xy = shapely.get_coordinates(shapely.centroid(settle.geometry.values))
        land = _land(countries, country_codes, area_crs)

        ctl = ctl.reset_index(drop=True)
        reported = ctl[ctl["state"] != "unreported"]
        pts = reported.drop_duplicates("place_id")[["place_id", "lat", "lon"]].reset_index(drop=True)
        ctl = ctl[(ctl["state"] != "unreported") & ctl["place_id"].isin(pts["place_id"])]
        pts_xy = gpd.GeoSeries(gpd.points_from_xy(pts["lon"], pts["lat"]), crs=WGS84).to_crs(area_crs)
        point_xy = np.column_stack([pts_xy.x.to_numpy(), pts_xy.y.to_numpy()]) if len(pts) \
            else np.zeros((0, 2))
        # one key per location (1 m grid): coincident places share one control point
        coord_key = np.unique(np.round(point_xy), axis=0, return_inverse=True)[1].ravel() \
            if len(point_xy) else np.zeros(0, dtype=np.int64)
        site_xy = np.zeros((coord_key.max() + 1 if len(coord_key) else 0, 2))
        site_xy[coord_key] = point_xy
        self.geo = _Cells(settle_xy, site_xy, land, radius * 1000.0, cell * 1000.0, area_crs) \
            if len(site_xy) else None
        self.rows = _Intervals(ctl, pd.Series(coord_key, index=pts["place_id"]))
        self.include_unknown = include_unknown
        self.area_crs = area_crs
        self.attrs = {"radius_km": float(radius), "cell_km": float(cell), "area_crs": area_crs}
        for key in ("stale_days", "backfill_days"):
            if key in control.attrs:
                self.attrs[key] = control.attrs[key]

    def __iter__(self) -> Iterator[tuple[pd.Timestamp, list[dict]]]:
        for t in self.dates if self.geo is not None else []:
            yield t, self.records(t)

    def records(self, t: pd.Timestamp) -> list[dict]:
        """The rows of date ``t``: one per actor and state, sorted by them."""
        geo, rows = self.geo, self.rows
        idx = rows.active(t)  # one interval per location: the most recent change there
        if geo is None or not len(idx):
            return []
        active = tuple(rows.coord[idx].tolist())
        order, bounds = geo.owners(active)
        groups: dict[tuple[str, str], list[int]] = {}
        for k, i in enumerate(idx):
            state = rows.state[i]
            if state == "unknown" and not self.include_unknown:
                continue
            groups.setdefault((rows.actor[i], state), []).append(k)
        out = []
        for (actor, state), ks in sorted(groups.items()):
            parts = [order[bounds[k]:bounds[k + 1]] for k in ks]
            if not sum(len(p) for p in parts):
                continue
            geom, km2, n_places = geo.stored(parts)
            if geom.is_empty:
                continue
            basis = set().union(*(rows.basis[idx[k]] for k in ks))
            out.append({
                "date": t, "actor": actor, "state": state, "geometry": geom,
                "area_km2": km2, "n_places": n_places, "n_events": len(basis),
            })
        return out


def _land(countries, country_codes, area_crs):
    if countries is None:
        countries = load_countries()
    code = next((c for c in ("iso_a2", "ISO_A2", "ISO_A2_EH") if c in getattr(countries, "columns", ())), None)
    if country_codes is not None and code is not None:
        kept = countries[countries[code].isin(list(country_codes))]
        if kept.empty:
            raise InputError(f"countries: none of {list(country_codes)} in column {code!r} "
                             f"(found {sorted(map(str, countries[code].unique()))[:10]}); pass "
                             "country_codes= with codes it has, or None to keep every polygon.")
        countries = kept
    if isinstance(countries, gpd.GeoDataFrame) and countries.crs is not None \
            and countries.crs.is_geographic:
        # straight lon/lat borders (the desert borders of Syria and Iraq) stay where they are
        countries = countries.set_geometry(shapely.segmentize(countries.geometry.values, 0.02))
    return shapely.union_all(_to_equal_area(countries, "countries", area_crs).geometry.values)


def _to_wgs84_rows(records: list[dict], area_crs: str) -> gpd.GeoDataFrame:
    """The rows (their geometries already in WGS84) as the areas table."""
    frame = pd.DataFrame(records, columns=AREA_COLUMNS)
    out = gpd.GeoDataFrame(frame, geometry="geometry", crs=WGS84)
    out["date"] = pd.to_datetime(out["date"])
    out["area_km2"] = out["area_km2"].astype(float)
    out["n_places"] = out["n_places"].astype("int64")
    out["n_events"] = out["n_events"].astype("int64")
    return out


# ---------------------------------------------------------------------------------------------
# the held areas of a build, on disk
# ---------------------------------------------------------------------------------------------

#: the columns of :attr:`AreaStore.table`: the areas table without its polygons, and the key of
#: each row's polygon in the store
AREA_TABLE_COLUMNS = [c for c in AREA_COLUMNS if c != "geometry"] + ["geom"]


class AreaStore:
    """Held areas written to disk as they are made: a light table in memory, each distinct
    polygon once in a file.

    What :func:`held_areas` returns, in a form whose memory does not grow with the polygons:
    :attr:`table` has one row per date, actor and state (``AREA_COLUMNS`` without ``geometry``,
    plus ``geom``, the row's polygon key), and :meth:`geometry` reads a polygon back (WGS84).
    A polygon that recurs (an area unchanged over many dates) is stored once. The file is an
    anonymous temporary file in ``workdir`` (gone when the store is closed or collected); it
    is read with ``pread``, so forked processes can share it.

    ``len(store)``, ``store.crs``, ``store.attrs`` and ``store.total_bounds`` behave as on the
    areas GeoDataFrame.
    """

    crs = WGS84

    def __init__(self, workdir: str | os.PathLike | None = None, *, attrs: dict | None = None):
        import tempfile
        import weakref

        self._file = tempfile.TemporaryFile(dir=workdir, prefix="areas-")  # noqa: SIM115 - closed by close() or on collection
        self._closer = weakref.finalize(self, self._file.close)
        self._size = 0
        self._offsets: list[int] = [0]
        self._bounds: list[np.ndarray] = []
        self._keys: dict[bytes, int] = {}
        self._types: set[str] = set()
        self._cols: dict[str, list] = {c: [] for c in AREA_TABLE_COLUMNS}
        self._table: pd.DataFrame | None = None
        self.attrs: dict = dict(attrs or {})

    # -- writing ---------------------------------------------------------------------------

    def add(self, records: Iterable[dict]) -> None:
        """Append rows (``AREA_COLUMNS`` dicts, geometry in WGS84); each polygon is written
        unless the store holds the same one already."""
        import hashlib

        for r in records:
            wkb = shapely.to_wkb(r["geometry"])
            digest = hashlib.blake2b(wkb, digest_size=16).digest()
            key = self._keys.get(digest)
            if key is None:
                key = self._keys[digest] = len(self._offsets) - 1
                self._file.write(wkb)
                self._size += len(wkb)
                self._offsets.append(self._size)
                self._bounds.append(shapely.bounds(r["geometry"]))
                self._types.add(r["geometry"].geom_type)
            for c in AREA_TABLE_COLUMNS[:-1]:
                self._cols[c].append(r[c])
            self._cols["geom"].append(key)
        self._table = None

    # -- reading ---------------------------------------------------------------------------

    @property
    def table(self) -> pd.DataFrame:
        """The rows without their polygons (``AREA_TABLE_COLUMNS``; ``attrs`` as the store's)."""
        if self._table is None:
            self._file.flush()
            t = pd.DataFrame(self._cols, columns=AREA_TABLE_COLUMNS)
            t["date"] = pd.to_datetime(t["date"])
            t["area_km2"] = t["area_km2"].astype(float)
            for c in ("n_places", "n_events", "geom"):
                t[c] = t[c].astype("int64")
            self._table = t
        out = self._table.copy()
        out.attrs = dict(self.attrs)
        return out

    def __len__(self) -> int:
        return len(self._cols["geom"])

    @property
    def n_polygons(self) -> int:
        """How many distinct polygons the store holds."""
        return len(self._offsets) - 1

    @property
    def nbytes(self) -> int:
        """Bytes of WKB on disk."""
        return self._size

    @property
    def total_bounds(self) -> np.ndarray:
        """``(xmin, ymin, xmax, ymax)`` of every polygon, as ``GeoDataFrame.total_bounds``."""
        if not self._bounds:
            return np.full(4, np.nan)
        b = np.vstack(self._bounds)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: NaN, as geopandas
            return np.array([np.nanmin(b[:, 0]), np.nanmin(b[:, 1]), np.nanmax(b[:, 2]),
                             np.nanmax(b[:, 3])])

    @property
    def layer_type(self) -> tuple[str | None, bool | None]:
        """``(geometry_type, promote_to_multi)`` of the GeoPackage layer, as geopandas infers
        them from the whole table when it is written at once (Polygon and MultiPolygon rows
        make a MultiPolygon layer), so that writing it part by part makes the same layer."""
        if not self._types:
            return None, None
        if len(self._types) == 1:
            return next(iter(self._types)), None
        if self._types == {"Polygon", "MultiPolygon"}:
            return "MultiPolygon", True
        return "Unknown", None

    def wkb(self, key: int) -> bytes:
        """The polygon ``key`` as WKB."""
        self._file.flush()
        lo, hi = self._offsets[key], self._offsets[key + 1]
        return os.pread(self._file.fileno(), hi - lo, lo)

    def geometry(self, key: int):
        """The polygon ``key`` (WGS84), read from disk."""
        return shapely.from_wkb(self.wkb(key))

    def chunks(self, max_bytes: int = 32 << 20) -> Iterator[gpd.GeoDataFrame]:
        """The areas table (``AREA_COLUMNS``, WGS84) in row order, a part at a time: each part
        holds at most about ``max_bytes`` of polygons (at least one row)."""
        table = self.table
        if not len(table):
            yield _to_wgs84_rows([], WGS84)
            return
        keys = table["geom"].to_numpy()
        sizes = np.diff(np.asarray(self._offsets, dtype=np.int64))[keys] if len(keys) else keys
        start = 0
        while start < len(table):
            stop, total = start + 1, int(sizes[start])
            while stop < len(table) and total + sizes[stop] <= max_bytes:
                total += int(sizes[stop])
                stop += 1
            part = table.iloc[start:stop]
            geoms = {k: self.geometry(k) for k in dict.fromkeys(part["geom"].tolist())}
            yield _to_wgs84_rows(
                [{**r, "geometry": geoms[r["geom"]]} for r in part.to_dict("records")], WGS84)
            start = stop

    def to_geodataframe(self) -> gpd.GeoDataFrame:
        """The whole areas table with its polygons: what :func:`held_areas` returns."""
        parts = list(self.chunks())
        out = pd.concat(parts, ignore_index=True) if parts else _to_wgs84_rows([], WGS84)
        out = gpd.GeoDataFrame(out, geometry="geometry", crs=WGS84)
        out.attrs = dict(self.attrs)
        return out

    def close(self) -> None:
        """Close (and so delete) the store's file."""
        self._closer()

    def __enter__(self) -> AreaStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def spool_held_areas(
    control: pd.DataFrame,
    places: gpd.GeoDataFrame | None,
    dates: Iterable,
    *,
    workdir: str | os.PathLike | None = None,
    radius_km: float | None = None,
    cell_km: float | None = None,
    countries: gpd.GeoDataFrame | None = None,
    country_codes: Sequence[str] | None = STUDY_COUNTRIES,
    include_unknown: bool = False,
    area_crs: str = EQUAL_AREA,
    progress=None,
) -> AreaStore:
    """:func:`held_areas`, written to an :class:`AreaStore` date by date (the build's path).

    The same rows, in the same order, as :func:`held_areas` (``store.to_geodataframe()``
    equals its result); only one date's polygons are in memory at a time, so memory does not
    grow with the number of dates. ``workdir`` holds the store's file; ``progress`` is called
    with 1 after each date.
    """
    run = _AreaRun(control, places, dates, radius_km=radius_km, cell_km=cell_km, countries=countries,
                   country_codes=country_codes, include_unknown=include_unknown, area_crs=area_crs)
    store = AreaStore(workdir, attrs=run.attrs)
    for _, rows in run:
        store.add(rows)
        if progress is not None:
            progress(1)
    return store


# ---------------------------------------------------------------------------------------------
# published figures, comparison and calibration
# ---------------------------------------------------------------------------------------------


def read_reference(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """Published areas (``date, area_km2, source``); default the packaged IHS figures for IS."""
    if path is None:
        from mapper import resources

        path = resources.reference_file()
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: reference figures not found; pass a CSV with columns "
                         "date,area_km2,source.")
    ref = pd.read_csv(path)
    return _validate_reference(ref, str(path))


def _validate_reference(reference: pd.DataFrame, name: str = "reference") -> pd.DataFrame:
    if not isinstance(reference, pd.DataFrame):
        raise InputError(f"{name}: expected a DataFrame or CSV with date,area_km2,source.")
    missing = [c for c in ("date", "area_km2") if c not in reference.columns]
    if missing:
        raise InputError(f"{name}: missing column(s) {missing}; the published figures need "
                         "date (YYYY-MM-DD), area_km2 and source.")
    ref = reference.copy()
    ref["date"] = pd.to_datetime(ref["date"], errors="coerce")
    ref["area_km2"] = pd.to_numeric(ref["area_km2"], errors="coerce")
    bad = ref.index[ref["date"].isna() | ~(ref["area_km2"] > 0)].tolist()
    if bad:
        raise InputError(f"{name}: rows {bad} have no valid date or a non-positive area_km2; "
                         "write dates as YYYY-MM-DD and areas in km².")
    if "source" not in ref.columns:
        ref["source"] = ""
    return ref.sort_values("date").reset_index(drop=True)


def compare_areas(
    areas: gpd.GeoDataFrame | pd.DataFrame,
    reference: pd.DataFrame | str | os.PathLike | None = None,
    *,
    actor: str = "IS",
    states: str | Sequence[str] = ("held", "contested"),
) -> pd.DataFrame:
    """Estimated areas beside published ones.

    Parameters
    ----------
    areas : (Geo)DataFrame
        Output of :func:`held_areas` (or ``areas.csv``).
    reference : DataFrame, path or None
        Published figures ``date, area_km2, source``; default :func:`read_reference`.
    actor : str
        Whose area the figures measure.
    states : str or sequence of str
        The states of ``areas`` counted as the actor's: by default ``held`` and
        ``contested`` (a contested row is land the actor defends, as published "areas
        controlled" count it); ``stale`` rows are never counted unless named here.

    Returns
    -------
    DataFrame
        ``date, published_km2, source, snapshot, estimated_km2, ratio`` per reference date,
        where ``snapshot`` is the latest snapshot on or before it (``NaT`` and NaN if none)
        and ``ratio = estimated / published``. An actor absent from a snapshot holds 0 km².
    """
    ref = reference if isinstance(reference, pd.DataFrame) else read_reference(reference)
    ref = _validate_reference(ref)
    missing = [c for c in ("date", "actor", "state", "area_km2") if c not in areas.columns]
    if missing:
        raise InputError(f"areas: missing column(s) {missing}; pass the output of held_areas().")
    snaps = pd.DatetimeIndex(pd.to_datetime(areas["date"]).unique()).sort_values()
    wanted = [states] if isinstance(states, str) else list(states)
    sel = areas[(areas["actor"] == actor) & areas["state"].isin(wanted)]
    est = sel.assign(date=pd.to_datetime(sel["date"])).groupby("date")["area_km2"].sum()
    rows = []
    for r in ref.itertuples(index=False):
        prior = snaps[snaps <= r.date]
        snap = prior[-1] if len(prior) else pd.NaT
        value = float(est.get(snap, 0.0)) if len(prior) else float("nan")
        rows.append({"date": r.date, "published_km2": float(r.area_km2), "source": r.source,
                     "snapshot": snap, "estimated_km2": value,
                     "ratio": value / float(r.area_km2)})
    return pd.DataFrame(rows, columns=["date", "published_km2", "source", "snapshot",
                                       "estimated_km2", "ratio"])


def calibrate_reach(
    events: pd.DataFrame,
    reference: pd.DataFrame | str | os.PathLike | None = None,
    candidates: Sequence[float] = (30, 40, 50, 60, 75, 100),
    *,
    places: gpd.GeoDataFrame | None = None,
    countries: gpd.GeoDataFrame | None = None,
    actor: str = "IS",
    cell_km: float | None = None,
    regions=None,
) -> pd.DataFrame:
    """Pick the reach whose estimated areas best match published figures.

    For every candidate reach the events' held area of ``actor`` is computed on each reference
    date and compared with the published figure; the score is the root mean square of
    ``ln(estimated / published)`` (a factor-of-2 miss either way costs the same).

    Parameters
    ----------
    events : DataFrame
        Event table (see :func:`mapper.territory.control_timeline`).
    reference : DataFrame, path or None
        Published figures ``date, area_km2, source``; default the packaged IHS figures.
    candidates : sequence of float
        Reaches to try, km.
    places, countries, cell_km : optional
        As in :func:`held_areas`.
    actor : str
        Whose area the figures measure.
    regions : GeoDataFrame, optional
        As in :func:`mapper.territory.control_timeline`.

    Returns
    -------
    DataFrame
        One row per candidate: ``radius_km, rms_log_error, geo_mean_ratio, max_abs_log,
        n_dates`` and a ``ratio <date>`` column per reference date, sorted by reach; ``best``
        marks the smallest error and ``attrs["best_radius_km"]`` holds it.
    """
    from mapper.territory import _events_start, control_timeline

    ref = reference if isinstance(reference, pd.DataFrame) else read_reference(reference)
    ref = _validate_reference(ref)
    cands = sorted({float(c) for c in candidates})
    if not cands or any(not (c > 0) for c in cands):
        raise InputError(f"calibrate_reach: candidates={list(candidates)!r} must be positive km.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DateWarning)
        control = control_timeline(events, start=min(ref["date"].min(), _events_start(events)),
                                   regions=regions)
    if places is None:
        places = default_settlements()
    if countries is None:
        countries = load_countries()
    rows = []
    for c in cands:
        areas = held_areas(control, places, ref["date"], radius_km=c, countries=countries,
                           cell_km=cell_km)
        cmp = compare_areas(areas, ref, actor=actor)
        logs = np.log(cmp["ratio"].clip(lower=1e-9))
        row = {"radius_km": c, "rms_log_error": float(np.sqrt(np.mean(logs**2))),
               "geo_mean_ratio": float(np.exp(np.mean(logs))),
               "max_abs_log": float(np.max(np.abs(logs))), "n_dates": len(cmp)}
        for d, ratio in zip(cmp["date"], cmp["ratio"]):
            row[f"ratio {d:%Y-%m-%d}"] = float(ratio)
        rows.append(row)
    table = pd.DataFrame(rows)
    best = table.loc[table["rms_log_error"].idxmin(), "radius_km"]
    table["best"] = table["radius_km"] == best
    table.attrs["best_radius_km"] = float(best)
    return table


# ---------------------------------------------------------------------------------------------
# writers
# ---------------------------------------------------------------------------------------------


def write_areas(
    areas: gpd.GeoDataFrame | AreaStore,
    gpkg_path: str | os.PathLike | None,
    csv_path: str | os.PathLike | None,
    *,
    layer: str = "territory",
) -> None:
    """Write held areas to a GeoPackage (one layer, WGS84) and a CSV without geometry.

    ``areas`` is the GeoDataFrame of :func:`held_areas` or the :class:`AreaStore` of
    :func:`spool_held_areas`; a store is written a part at a time (32 MB of polygons at most
    in memory), appended to the layer in row order, so the file holds the same rows. Each file
    is written to a temporary name in its folder and moved into place, so a reader never sees
    half a file. Either path may be ``None`` to skip that file.
    """
    layer_kw: dict = {}
    if isinstance(areas, AreaStore):
        parts: Iterable[gpd.GeoDataFrame] = areas.chunks()
        table = areas.table.drop(columns="geom")
        kind, promote = areas.layer_type
        if kind is not None:
            layer_kw = {"geometry_type": kind, "promote_to_multi": promote}
    elif isinstance(areas, gpd.GeoDataFrame):
        out = areas[AREA_COLUMNS].to_crs(WGS84)
        parts = [out]
        table = pd.DataFrame(out.drop(columns="geometry"))
    else:
        raise InputError("areas: expected the GeoDataFrame of held_areas().")
    if gpkg_path is not None:
        def write_gpkg(path: Path) -> None:
            for i, part in enumerate(parts):
                gpkg = part.copy()
                gpkg["date"] = gpkg["date"].dt.strftime("%Y-%m-%d")
                gpkg.to_file(path, layer=layer, driver="GPKG", **layer_kw, **({"mode": "a"} if i else {}))

        atomic_write(Path(gpkg_path), write_gpkg)
    if csv_path is not None:
        table = table.copy()
        table["date"] = table["date"].dt.strftime("%Y-%m-%d")
        atomic_write(Path(csv_path), lambda p: table.to_csv(p, index=False, float_format="%.1f"))
