"""Static figures with matplotlib (Agg, no pyplot state): snapshot PNGs, a GIF, the area chart.

snapshot_figure(areas, date, *, events=None, countries=None, rivers=None, ...) -> Figure
area_chart(areas, *, reference=None, actors=None)                             -> Figure
save_figure(fig, path, *, dpi=100)                      write a PNG (or SVG/PDF) atomically
snapshots_gif(pngs, path, *, duration_ms=800)           an animated GIF of the PNGs

Colours are ``mapper.colors.ACTOR_COLORS``, the same as on the web maps; contested areas are
hatched. Figures are ``matplotlib.figure.Figure`` objects built without pyplot, so nothing is
left open and the backend of the caller's session is untouched.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from mapper.colors import actor_color
from mapper.errors import InputError
from mapper.maps import _day  # one date rule for maps and figures
from mapper.outputs import atomic_write
from mapper.schema import ACTORS, WGS84

__all__ = ["area_chart", "save_figure", "snapshot_figure", "snapshots_gif"]

_SIZE = (10.0, 7.5)  # inches; fixed so that GIF frames share one shape


def _new_figure(size: tuple[float, float] = _SIZE) -> Figure:
    fig = Figure(figsize=size, dpi=100)
    canvas = FigureCanvasAgg(fig)
    # geopandas' plot() asks for a redraw after every layer; on an off-screen Agg canvas that
    # is a full render each time. The figure is drawn once, when saved.
    canvas.draw_idle = lambda *args, **kwargs: None
    return fig


def _plain(text: Any) -> str:
    """Article text for matplotlib: no mathtext (``$``) interpretation."""
    return str(text).replace("$", r"\$")


def _to_wgs84(gdf: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    if gdf is None or len(gdf) == 0:
        return None
    if gdf.crs is not None and gdf.crs != WGS84:
        return gdf.to_crs(WGS84)
    return gdf


def _basemap(kind: str, given: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    if given is not None:
        return _to_wgs84(given)
    from mapper.maps import GAZETTEER_DIR, load_basemap

    if kind != "countries" and not (GAZETTEER_DIR / f"{kind}.geojson").is_file():
        return None  # optional layers are left out quietly; countries warn
    return _to_wgs84(load_basemap(kind))


def snapshot_figure(
    areas: gpd.GeoDataFrame | None,
    date: Any,
    *,
    events: pd.DataFrame | None = None,
    countries: gpd.GeoDataFrame | None = None,
    admin1: gpd.GeoDataFrame | None = None,
    rivers: gpd.GeoDataFrame | None = None,
    lakes: gpd.GeoDataFrame | None = None,
    actor: str = "IS",
    n_labels: int = 8,
    extent: Sequence[float] | None = None,
) -> Figure:
    """A static map of one snapshot: countries, rivers, held areas, events and place labels.

    Parameters
    ----------
    areas : GeoDataFrame
        ``schema.AREA_COLUMNS``; only rows of ``date`` are drawn.
    date : date-like
        The snapshot date.
    events : DataFrame, optional
        ``schema.EVENT_COLUMNS``; events up to ``date`` are drawn as points and the
        ``n_labels`` most reported places are labelled.
    countries, admin1, rivers, lakes : GeoDataFrame, optional
        Basemap layers; default the packaged files (countries always, the others when
        present).
    actor : str
        Whose held area the title gives.
    extent : (xmin, ymin, xmax, ymax), optional
        Map window in degrees; default the areas and events, padded.

    Returns
    -------
    matplotlib.figure.Figure
    """
    day = _day(date)
    if day is None:
        raise InputError(f"snapshot date {date!r} is not a date; pass e.g. '2017-10-17'.")
    fig = _new_figure()
    ax = fig.add_axes((0.03, 0.06, 0.95, 0.86))
    ax.set_facecolor("#cfe3ef")

    a = None
    if areas is not None and len(areas):
        a = _to_wgs84(areas)
        a = a[[_day(d) == day for d in a["date"]]]
    ev = None
    if events is not None and len(events):
        ev = events.copy()
        ev["_day"] = [_day(d) for d in ev["date"]]
        ev["lat"] = pd.to_numeric(ev["lat"], errors="coerce")
        ev["lon"] = pd.to_numeric(ev["lon"], errors="coerce")
        ev = ev[ev["_day"].notna() & (ev["_day"] <= day) & ev["lat"].notna() & ev["lon"].notna()]

    if extent is None:
        boxes = []
        if a is not None and len(a):
            boxes.append(a.total_bounds)
        if ev is not None and len(ev):
            boxes.append((ev["lon"].min(), ev["lat"].min(), ev["lon"].max(), ev["lat"].max()))
        if not boxes:
            boxes.append((35.5, 29.0, 48.6, 37.4))
        x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
        x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
        pad = max(0.3, 0.08 * max(x1 - x0, y1 - y0))
        extent = (x0 - pad, y0 - pad, x1 + pad, y1 + pad)
    x0, y0, x1, y1 = extent

    c = _basemap("countries", countries)
    if c is not None:
        c.plot(ax=ax, color="#f4f1ea", edgecolor="#8c8c8c", linewidth=0.8, zorder=1)
    adm = _basemap("admin1", admin1)
    if adm is not None:
        adm.boundary.plot(ax=ax, color="#b0b0b0", linewidth=0.4, linestyle="--", zorder=2)
    lk = _basemap("lakes", lakes)
    if lk is not None:
        lk.plot(ax=ax, color="#b7d4ea", edgecolor="#7fb2d6", linewidth=0.4, zorder=2)
    rv = _basemap("rivers", rivers)
    if rv is not None:
        rv.plot(ax=ax, color="#5a9bd0", linewidth=1.0, zorder=3)

    handles: list[Any] = []
    held_km2 = 0.0
    if a is not None and len(a):
        present = [x for x in ACTORS if x in set(a["actor"])] + sorted(
            set(a["actor"]) - set(ACTORS)
        )
        for who in present:
            col = actor_color(who)
            sub = a[a["actor"] == who]
            held = sub[sub["state"] == "held"]
            cont = sub[sub["state"] != "held"]
            if len(held):
                held.plot(ax=ax, color=col, alpha=0.5, edgecolor=col, linewidth=1.0, zorder=4)
                handles.append(Patch(facecolor=col, alpha=0.5, edgecolor=col, label=f"{who} held"))
            if len(cont):
                cont.plot(
                    ax=ax, facecolor="none", edgecolor=col, hatch="///", linewidth=0.8, zorder=4
                )
                handles.append(
                    Patch(facecolor="none", edgecolor=col, hatch="///", label=f"{who} contested")
                )
            if who == actor and "area_km2" in held:
                held_km2 = float(pd.to_numeric(held["area_km2"], errors="coerce").sum())
    if ev is not None and len(ev):
        newest = ev["_day"].max()
        cols = [
            actor_color(g) if isinstance(g, str) else "#999999"
            for g in ev.get("gainer", [None] * len(ev))
        ]
        is_new = (ev["_day"] == newest).to_numpy()
        ax.scatter(
            ev["lon"],
            ev["lat"],
            s=np.where(is_new, 60, 18),
            c=cols,
            edgecolors=np.where(is_new, "white", "#222222"),
            linewidths=np.where(is_new, 1.8, 0.5),
            zorder=6,
        )
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                color="#777777",
                label="reported event (large: newest)",
            )
        )
        name_col = "place" if "place" in ev else "name_as_written"
        if name_col in ev and n_labels > 0:
            counts = (
                ev.assign(_n=1)
                .groupby(name_col)
                .agg(
                    n=("_n", "sum"), last=("_day", "max"), lat=("lat", "mean"), lon=("lon", "mean")
                )
                .sort_values(["n", "last"], ascending=False)
                .head(n_labels)
            )
            for name, r in counts.iterrows():
                if x0 <= r["lon"] <= x1 and y0 <= r["lat"] <= y1:
                    ax.annotate(
                        _plain(name),
                        (r["lon"], r["lat"]),
                        xytext=(4, 4),
                        textcoords="offset points",
                        fontsize=8,
                        zorder=7,
                        bbox={
                            "boxstyle": "round,pad=0.15",
                            "fc": "white",
                            "ec": "none",
                            "alpha": 0.75,
                        },
                    )

    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect(1 / math.cos(math.radians((y0 + y1) / 2)))
    ax.tick_params(labelsize=7)
    ax.set_xlabel("")
    ax.set_ylabel("")
    if handles:
        ax.legend(handles=handles, loc="lower left", fontsize=8, framealpha=0.9)
    fig.suptitle(
        _plain(f"{day} \u2014 {actor} held area: {held_km2:,.0f} km\u00b2"), fontsize=13, y=0.97
    )
    fig.text(
        0.5,
        0.01,
        "Estimated from reported control points; not surveyed front lines.",
        ha="center",
        fontsize=8,
        color="#444444",
    )
    return fig


def area_chart(
    areas: gpd.GeoDataFrame | pd.DataFrame,
    *,
    reference: pd.DataFrame | None = None,
    actors: Iterable[str] | None = None,
    state: str = "held",
    reference_actor: str = "IS",
) -> Figure:
    """Area (km²) per actor over time, with published reference figures as points.

    Parameters
    ----------
    areas : (Geo)DataFrame
        With ``date``, ``actor``, ``state``, ``area_km2``.
    reference : DataFrame, optional
        ``date, area_km2, source`` (and optionally ``actor``, default ``reference_actor``):
        published estimates, one marker shape per source.
    actors : iterable of str, optional
        Actors to draw; default all.
    state : str
        Which state to sum (``"held"``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    missing = [c for c in ("date", "actor", "state", "area_km2") if c not in areas.columns]
    if missing:
        raise InputError(f"areas: missing column(s) {missing}; expected schema.AREA_COLUMNS.")
    df = pd.DataFrame(
        {
            "date": pd.to_datetime(pd.Series([_day(d) for d in areas["date"]])),
            "actor": areas["actor"].astype(str).to_numpy(),
            "state": areas["state"].astype(str).to_numpy(),
            "km2": pd.to_numeric(areas["area_km2"], errors="coerce").to_numpy(),
        }
    )
    df = df[(df["state"] == state) & df["date"].notna()]
    table = df.pivot_table(index="date", columns="actor", values="km2", aggfunc="sum").sort_index()
    table = table.fillna(0.0)
    wanted = (
        list(actors)
        if actors is not None
        else ([x for x in ACTORS if x in table.columns] + sorted(set(table.columns) - set(ACTORS)))
    )

    fig = _new_figure((10.0, 4.8))
    ax = fig.add_subplot(1, 1, 1)
    for who in wanted:
        if who not in table.columns:
            continue
        col = actor_color(who)
        ax.plot(
            table.index,
            table[who],
            color=col,
            marker="o",
            markersize=3,
            markeredgecolor="#333333" if col in ("#F0E442",) else col,
            linewidth=2,
            label=_plain(who),
        )
    if reference is not None and len(reference):
        ref = reference.copy()
        ref["date"] = pd.to_datetime(pd.Series([_day(d) for d in ref["date"]], index=ref.index))
        ref["area_km2"] = pd.to_numeric(ref["area_km2"], errors="coerce")
        ref = ref[ref["date"].notna() & ref["area_km2"].notna()]
        markers = "sD^vP*Xh"
        src_col = ref["source"] if "source" in ref else pd.Series("reference", index=ref.index)
        # one marker per publisher: "IHS Conflict Monitor: ..., January 2015" -> "IHS Conflict Monitor"
        publisher = src_col.astype(str).str.split(":", n=1).str[0].str.strip()
        for i, (src, sub) in enumerate(ref.groupby(publisher, sort=True)):
            who = sub["actor"].iloc[0] if "actor" in sub else reference_actor
            ax.scatter(
                sub["date"],
                sub["area_km2"],
                marker=markers[i % len(markers)],
                s=46,
                facecolor="white",
                edgecolor=actor_color(str(who)),
                linewidths=1.6,
                zorder=5,
                label=_plain(f"{src} (published, {who})"),
            )
    ax.set_ylabel(f"{state} area (km\u00b2)")
    ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:,.0f}")
    ax.grid(True, color="#dddddd", linewidth=0.6)
    ax.set_ylim(bottom=0)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="upper right", framealpha=0.9)
    ax.set_title("Estimated held area per actor over time")
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def save_figure(fig: Figure, path: str | os.PathLike, *, dpi: int = 100) -> Path:
    """Write ``fig`` atomically; the format follows the suffix (``.png``, ``.svg``, ``.pdf``).

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    return atomic_write(path, lambda tmp: fig.savefig(
        tmp,
        dpi=dpi,
        format=path.suffix.lstrip(".") or "png",
        metadata={"Software": None} if path.suffix.lower() == ".png" else None,
    ))


def snapshots_gif(
    pngs: Iterable[str | os.PathLike],
    path: str | os.PathLike,
    *,
    duration_ms: int = 800,
    hold_last_ms: int = 2000,
) -> Path:
    """An animated GIF of snapshot PNGs (same pixel size, e.g. from :func:`snapshot_figure`).

    Needs ``imageio`` (imported here, not at module import).

    Returns
    -------
    Path
        ``path``.
    """
    try:
        import imageio.v3 as iio
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("GIF export needs imageio: pip install imageio") from e
    files = [Path(p) for p in pngs]
    if not files:
        raise InputError(f"{path}: no PNG frames given; write the snapshot PNGs first.")
    frames = []
    for f in files:
        img = iio.imread(f)
        if img.ndim == 2:
            img = np.stack([img] * 3, axis=-1)
        frames.append(img[..., :3])
    shapes = {fr.shape for fr in frames}
    if len(shapes) > 1:
        raise InputError(
            f"{path}: frames differ in size {sorted(shapes)}; draw every PNG with the same "
            "figure size and dpi (snapshot_figure does)."
        )
    durations = [duration_ms] * len(frames)
    durations[-1] = max(duration_ms, hold_last_ms)
    return atomic_write(Path(path), lambda tmp: iio.imwrite(
        tmp, np.stack(frames), extension=".gif", duration=durations, loop=0))
