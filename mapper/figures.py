"""Static figures with matplotlib (Agg, no pyplot state): snapshot PNGs, a GIF, the area chart.

SnapshotRenderer(extent, *, basemap, labels, legend)
                                draws the basemap once, then each snapshot on top of a copy
FrameSpec, frame_spec(areas, date, *, control, events)
                                what one snapshot draws, as plain data (cheap to send to a worker)
snapshot_figure(areas, date, *, events=None, control=None, ...) -> Figure (one snapshot)
area_chart(areas, *, reference=None, actor="IS")                -> Figure
png_bytes(rgba), gif_frame(rgba, *, duration_ms)                 -> encoded frames
save_figure(fig, path, *, dpi=100)            write a PNG (or SVG/PDF) atomically
GifStream(path)                               an animated GIF written frame by frame
snapshots_gif(pngs, path, *, duration_ms=800) a GIF of PNG files (streamed, bounded memory)

Colours are ``mapper.colors.ACTOR_COLORS``, the same as on the web maps; contested areas are
hatched, stale ones faded. Town labels are placed most important first and a label that would
overlap one already placed is left out (the rule of the web maps). Every string that reaches
matplotlib is drawn without mathtext, so ``$...$`` in a name is text.
"""

from __future__ import annotations

import functools
import io
import math
import os
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path as MplPath

from mapper.basemap import (
    ATTRIBUTION_TEXT,
    BASEMAP_TOLERANCE,
    basemap_layers,
    day,
    label_candidates,
    map_extent,
)
from mapper.colors import UNKNOWN_COLOR, actor_color
from mapper.errors import InputError
from mapper.outputs import atomic_write
from mapper.schema import ACTORS, WGS84

__all__ = [
    "FrameSpec",
    "GifStream",
    "SnapshotRenderer",
    "area_chart",
    "clear_caches",
    "frame_spec",
    "gif_frame",
    "legend_handles",
    "png_bytes",
    "save_figure",
    "snapshot_figure",
    "snapshots_gif",
]

_SIZE = (10.0, 7.5)  # inches; fixed so that GIF frames share one shape
_DPI = 100
_GIF_WIDTH = 640
_LAND, _SEA = "#f4f1ea", "#cfe3ef"
_POINT_STATES = ("held", "contested", "stale", "unknown")


def _new_figure(size: tuple[float, float] = _SIZE, dpi: int = _DPI) -> Figure:
    fig = Figure(figsize=size, dpi=dpi)
    canvas = FigureCanvasAgg(fig)
    # geopandas' plot() asks for a redraw after every layer; on an off-screen Agg canvas that
    # is a full render each time. The figure is drawn once, when saved.
    canvas.draw_idle = lambda *args, **kwargs: None
    return fig


def _escaped(text: Any) -> str:
    """Text for a matplotlib string that is parsed for mathtext (legend labels): ``$`` escaped."""
    return str(text).replace("$", r"\$")


# ----------------------------------------------------------------------------- geometry


_PATHS: dict[int, tuple[Any, MplPath | None]] = {}


def _path(geom) -> MplPath | None:
    """A matplotlib compound path of a (multi)polygon in lon/lat (holes included); the path of
    a geometry object drawn on many frames is built once. A path is taken as it is."""
    if geom is None or isinstance(geom, MplPath):
        return geom
    hit = _PATHS.get(id(geom))
    if hit is not None and hit[0] is geom:
        return hit[1]
    if len(_PATHS) > 20_000:
        _PATHS.clear()
    path = _build_path(geom)
    _PATHS[id(geom)] = (geom, path)  # the geometry is kept, so its id is not reused
    return path


def clear_caches() -> None:
    """Forget the paths and label tiles kept between frames (after a series is drawn)."""
    _PATHS.clear()
    _label_sprite.cache_clear()


def _build_path(geom) -> MplPath | None:
    verts, codes = [], []
    for poly in shapely.get_parts(geom):
        if poly.geom_type != "Polygon" or poly.is_empty:
            continue
        for ring in (poly.exterior, *poly.interiors):
            xy = np.asarray(ring.coords)[:, :2]
            if len(xy) < 3:
                continue
            c = np.full(len(xy), MplPath.LINETO, dtype=np.uint8)
            c[0], c[-1] = MplPath.MOVETO, MplPath.CLOSEPOLY
            verts.append(xy)
            codes.append(c)
    if not verts:
        return None
    return MplPath(np.concatenate(verts), np.concatenate(codes))


def _line_paths(gdf: gpd.GeoDataFrame) -> list[MplPath]:
    out = []
    for g in gdf.geometry.values:
        for part in shapely.get_parts(g):
            if part.geom_type in ("LineString", "LinearRing"):
                xy = np.asarray(part.coords)[:, :2]
                if len(xy) >= 2:
                    out.append(MplPath(xy))
            elif part.geom_type == "Polygon":
                for ring in (part.exterior, *part.interiors):
                    out.append(MplPath(np.asarray(ring.coords)[:, :2]))
    return out


# ----------------------------------------------------------------------------- one frame


@dataclass
class FrameSpec:
    """What one snapshot draws (plain data, cheap to send to a worker process).

    ``areas``: ``(actor, state, geometry)`` in WGS84 (a shapely polygon or a matplotlib path); ``points``: ``(lon, lat, holder or None,
    state)`` of the control points; ``events``: ``(lon, lat, gainer or None)`` of the step's
    events; ``active``: place ids of the points (their labels come first).
    """

    title: str
    caption: str
    areas: list[tuple[str, str, Any]] = field(default_factory=list)
    points: list[tuple[float, float, str | None, str]] = field(default_factory=list)
    events: list[tuple[float, float, str | None]] = field(default_factory=list)
    active: frozenset[str] = frozenset()


class SnapshotRenderer:
    """Draws the basemap once, then each snapshot on top of a copy of it.

    Parameters
    ----------
    extent : (xmin, ymin, xmax, ymax)
        The window in degrees, the same for every frame (so a GIF does not jump).
    basemap : mapping, optional
        ``countries, admin1, rivers, lakes`` GeoDataFrames; default the packaged layers.
    labels : DataFrame, optional
        :func:`mapper.basemap.label_candidates` output (a boolean ``control`` column marks the
        control points).
    legend : sequence of (actor, state), optional
        Draw one legend for every frame, with these entries (plus the control points and the
        events of the step), into the cached basemap; default a legend per frame.
    size, dpi : optional
        Figure size (inches) and resolution.
    """

    def __init__(
        self,
        extent: Sequence[float],
        *,
        basemap: Mapping[str, gpd.GeoDataFrame | None] | None = None,
        labels: pd.DataFrame | None = None,
        legend: Sequence[tuple[str, str]] | None = None,
        size: tuple[float, float] = _SIZE,
        dpi: int = _DPI,
    ):
        self.extent = tuple(float(v) for v in extent)
        self.fig = _new_figure(size, dpi)
        self.ax = self.fig.add_axes((0.02, 0.085, 0.96, 0.83))
        ax = self.ax
        ax.set_facecolor(_SEA)
        layers = basemap_layers(basemap, tolerance=BASEMAP_TOLERANCE)
        x0, y0, x1, y1 = self.extent
        clip = shapely.box(x0 - 1, y0 - 1, x1 + 1, y1 + 1)
        if "countries" in layers:
            paths = [p for p in (_path(shapely.clip_by_rect(g, *clip.bounds)) for g in layers["countries"].geometry) if p]
            ax.add_collection(PathCollection(paths, facecolors=_LAND, edgecolors="#8c8c8c",
                                             linewidths=0.8, zorder=1))
        if "admin1" in layers:
            ax.add_collection(PathCollection(_line_paths(layers["admin1"]), facecolors="none",
                                             edgecolors="#b5b5b5", linewidths=0.4,
                                             linestyles="--", zorder=2))
        if "lakes" in layers:
            paths = [p for p in (_path(g) for g in layers["lakes"].geometry) if p]
            ax.add_collection(PathCollection(paths, facecolors="#b7d4ea", edgecolors="#7fb2d6",
                                             linewidths=0.4, zorder=2))
        if "rivers" in layers:
            ax.add_collection(PathCollection(_line_paths(layers["rivers"]), facecolors="none",
                                             edgecolors="#5a9bd0", linewidths=1.0, zorder=3))
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_aspect(1 / math.cos(math.radians((y0 + y1) / 2)))
        ax.tick_params(labelsize=7)
        self.fig.text(0.99, 0.005, ATTRIBUTION_TEXT, ha="right", va="bottom", fontsize=6.5,
                      color="#555555", parse_math=False)
        self.static_legend = legend is not None
        self._legend = None
        if legend:
            self._legend = ax.legend(handles=legend_handles(legend), loc="lower left", fontsize=7,
                                     framealpha=0.9, handlelength=1.6, borderpad=0.5, labelspacing=0.35)
        self.labels = labels if labels is not None else pd.DataFrame(
            columns=["name", "lat", "lon", "score", "place_id"])
        self.canvas = self.fig.canvas
        # the control points and the step's events: two collections refilled for every frame
        self._dots = ax.scatter([], [], s=26, linewidths=0.9, zorder=6)
        self._rings = ax.scatter([], [], s=150, facecolors="none", linewidths=1.8, zorder=7)
        for c in (self._dots, self._rings):
            c.set_visible(False)
        self.canvas.draw()
        self.renderer = self.canvas.get_renderer()
        self.background = self.canvas.copy_from_bbox(self.fig.bbox)
        # labels keep off the legend
        self.obstacles: list[tuple[float, float, float, float]] = []
        if self._legend is not None:
            e = self._legend.get_window_extent(self.renderer)
            self.obstacles.append((e.x0, e.y0, e.x1, e.y1))
        self._widths: dict[tuple[str, bool], tuple[float, float]] = {}
        self._cands: dict | None = None

    # -- artists of one frame ----------------------------------------------------------------
    def _markers(self, spec: FrameSpec) -> list:
        """The two persistent marker collections, filled with this frame's points and events."""
        dots, rings = self._dots, self._rings
        if spec.points:
            cols = [actor_color(p[2]) if p[2] else UNKNOWN_COLOR for p in spec.points]
            dots.set_offsets(np.array([(p[0], p[1]) for p in spec.points], dtype=float))
            dots.set_facecolors([_rgba(c, 0.35 if p[3] == "stale" else 1.0) for c, p in zip(cols, spec.points)])
            dots.set_edgecolors(["#000000" if p[3] == "contested" else "#ffffff" for p in spec.points])
        if spec.events:
            rings.set_offsets(np.array([(e[0], e[1]) for e in spec.events], dtype=float))
            rings.set_edgecolors([actor_color(e[2]) if e[2] else "#555555" for e in spec.events])
        return [c for c, on in ((dots, spec.points), (rings, spec.events)) if on]

    def _artists(self, spec: FrameSpec, *, texts: bool = True) -> list:
        ax, fig = self.ax, self.fig
        arts: list = []
        entries: list[tuple[str, str]] = []
        present = [a for a in ACTORS if any(r[0] == a for r in spec.areas)]
        present += sorted({r[0] for r in spec.areas} - set(present))
        for who in present:
            col = actor_color(who)
            for state in ("held", "stale", "contested"):
                paths = [p for p in (_path(g) for a, s, g in spec.areas if a == who and s == state) if p]
                if not paths:
                    continue
                path = MplPath.make_compound_path(*paths)
                if state == "held":
                    patch = PathPatch(path, facecolor=col, alpha=0.5, edgecolor=col, linewidth=1.0, zorder=4)
                elif state == "stale":
                    patch = PathPatch(path, facecolor=col, alpha=0.14, edgecolor=col, linewidth=0.6,
                                      linestyle=(0, (2, 2)), zorder=4)
                else:
                    patch = PathPatch(path, facecolor="none", edgecolor=col, hatch="///",
                                      linewidth=0.8, zorder=4)
                entries.append((who, state))
                arts.append(patch)
        for a in arts:
            ax.add_artist(a)
        if not texts:
            return arts
        for c in self._markers(spec):
            c.set_visible(True)
        if not self.static_legend:
            arts.append(ax.legend(handles=legend_handles(entries), loc="lower left", fontsize=7,
                                  framealpha=0.9, handlelength=1.6, borderpad=0.5, labelspacing=0.35))
            self.canvas.draw()  # the legend's place is known after a draw; labels keep off it
            e = arts[-1].get_window_extent(self.renderer)
            self.obstacles = [(e.x0, e.y0, e.x1, e.y1)]
        arts.extend(self._label_artists(spec))
        arts.append(fig.text(0.5, 0.965, spec.title, ha="center", va="center", fontsize=12.5,
                             fontweight="bold", parse_math=False))
        arts.append(fig.text(0.02, 0.022, textwrap.fill(spec.caption, 175), ha="left", va="bottom",
                             fontsize=6.8, color="#333333", parse_math=False, linespacing=1.25))
        return arts

    def _candidates(self, spec: FrameSpec) -> list[tuple[str, float, float, bool]]:
        """Label candidates in the window, most important first: ``(name, lon, lat, on)``."""
        c = self._cands
        if c is None:
            lab = self.labels
            x0, y0, x1, y1 = self.extent
            if lab is None or not len(lab):
                lab = pd.DataFrame(columns=["name", "lat", "lon", "score", "place_id"])
            lon = lab["lon"].to_numpy(dtype=float)
            lat = lab["lat"].to_numpy(dtype=float)
            inside = (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)
            ctrl = lab["control"].to_numpy(dtype=bool) if "control" in lab else np.zeros(len(lab), bool)
            c = self._cands = {
                "name": lab["name"].astype(str).to_numpy()[inside], "lon": lon[inside],
                "lat": lat[inside], "score": lab["score"].to_numpy(dtype=float)[inside],
                "pid": lab["place_id"].astype(str).to_numpy()[inside], "ctrl": ctrl[inside],
            }
        active = spec.active
        on = np.fromiter((p in active for p in c["pid"]), dtype=bool, count=len(c["pid"]))
        # a small place nobody reports on this date gets no label (the web maps' rule)
        keep = on | ~c["ctrl"] | (c["score"] >= 5.6)
        prio = np.where(on, c["score"] + 10, np.where(c["ctrl"], c["score"] - 1, c["score"]))
        idx = np.flatnonzero(keep)
        idx = idx[np.lexsort((c["name"][idx], -prio[idx]))][:150]
        return [(c["name"][i], float(c["lon"][i]), float(c["lat"][i]), bool(on[i])) for i in idx]

    def _placements(self, spec: FrameSpec, measure) -> list[tuple[str, bool, float, float]]:
        """Greedy label placement in display pixels (origin bottom left): for each label placed,
        ``(name, on, left, bottom)``; ``measure(name, on) -> (width, height)``. A label tries
        right of its point, then left, above, below, and is left out if all four overlap a
        label already placed (most important first) or leave the map."""
        trans = self.ax.transData
        bbox = self.ax.bbox
        placed: list[tuple[float, float, float, float]] = list(self.obstacles)
        out = []
        cands = self._candidates(spec)
        if not cands:
            return out
        xy = trans.transform(np.array([(c[1], c[2]) for c in cands], dtype=float))
        for (name, _, _, on), (px, py) in zip(cands, xy.tolist()):
            if len(out) >= 45:
                break
            w, h = measure(name, on)
            for lx, ly in ((px + 5, py - h / 2), (px - 5 - w, py - h / 2),
                           (px - w / 2, py + 6), (px - w / 2, py - 6 - h)):
                box = (lx - 2, ly - 1, lx + w + 2, ly + h + 1)
                if box[0] < bbox.x0 or box[1] < bbox.y0 or box[2] > bbox.x1 or box[3] > bbox.y1:
                    continue
                if any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed):
                    continue
                placed.append(box)
                out.append((name, on, lx, ly))
                break
        return out

    def _label_artists(self, spec: FrameSpec) -> list:
        """Town labels as matplotlib texts (for :meth:`figure`)."""
        from matplotlib.font_manager import FontProperties

        def measure(name: str, on: bool) -> tuple[float, float]:
            prop = FontProperties(size=7.5 if on else 6.8, weight="bold" if on else "normal")
            w, h, _ = self.renderer.get_text_width_height_descent(name, prop, ismath=False)
            return w, h

        W, H = self.fig.bbox.width, self.fig.bbox.height
        arts = []
        for name, on, lx, ly in self._placements(spec, measure):
            arts.append(self.fig.text(lx / W, ly / H, name, ha="left", va="bottom", zorder=8,
                                      fontsize=7.5 if on else 6.8, parse_math=False,
                                      fontweight="bold" if on else "normal",
                                      color="#1d1d1d" if on else "#444444",
                                      bbox={"boxstyle": "square,pad=0.08", "fc": "white",
                                            "ec": "none", "alpha": 0.72}))
        return arts

    # -- output ----------------------------------------------------------------------------------
    def rgba(self, spec: FrameSpec) -> np.ndarray:
        """The frame as an RGB array (height, width, 3): areas, points and events drawn by
        matplotlib on the cached basemap, then labels, title and caption set with Pillow (the
        same DejaVu fonts, a fraction of the time)."""
        from PIL import Image, ImageDraw

        self.canvas.restore_region(self.background)
        arts = self._artists(spec, texts=False)
        try:
            for a in arts:
                self.ax.draw_artist(a)
            for c in self._markers(spec):
                c.set_visible(True)
                self.ax.draw_artist(c)
                c.set_visible(False)
            w, h = self.canvas.get_width_height()
            img = Image.frombuffer("RGBA", (w, h), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB")
        finally:
            for a in arts:
                a.remove()
        fonts = _fonts()
        H = img.height

        def measure(name: str, on: bool) -> tuple[float, float]:
            hit = self._widths.get((name, on))
            if hit is None:
                box = fonts["on" if on else "town"].getbbox(name)
                hit = self._widths[(name, on)] = (box[2] - box[0] + 2, 13.0 if on else 12.0)
            return hit

        for name, on, lx, ly in self._placements(spec, measure):
            sprite = _label_sprite(name, on)
            img.paste(sprite, (int(round(lx)) - 1, int(round(H - ly - sprite.height)) + 1), sprite)
        draw = ImageDraw.Draw(img)
        draw.text((img.width / 2, 0.035 * H), spec.title, font=fonts["title"], fill="#111111", anchor="mm")
        lines = textwrap.wrap(spec.caption, 170)
        y = H - 0.02 * H - 11 * len(lines)
        for line in lines:
            draw.text((0.02 * img.width, y), line, font=fonts["caption"], fill="#333333")
            y += 11
        return np.asarray(img)

    def figure(self, spec: FrameSpec) -> Figure:
        """A Figure with the frame's artists attached (save it with :func:`save_figure`)."""
        self._artists(spec)
        return self.fig


@functools.lru_cache(maxsize=1)
def _fonts() -> dict:
    """Pillow fonts from matplotlib's own DejaVu files (the same glyphs as the figures)."""
    from matplotlib import font_manager as fm
    from PIL import ImageFont

    regular = fm.findfont(fm.FontProperties(family="DejaVu Sans"), fallback_to_default=True)
    bold = fm.findfont(fm.FontProperties(family="DejaVu Sans", weight="bold"), fallback_to_default=True)
    return {"on": ImageFont.truetype(bold, 11), "town": ImageFont.truetype(regular, 10),
            "title": ImageFont.truetype(bold, 17), "caption": ImageFont.truetype(regular, 9)}


@functools.lru_cache(maxsize=2048)
def _label_sprite(name: str, on: bool):
    """A label drawn once (dark text, white halo) on a transparent tile, pasted where placed."""
    from PIL import Image, ImageDraw

    font = _fonts()["on" if on else "town"]
    left, top, right, bottom = font.getbbox(name)
    pad = 2
    tile = Image.new("RGBA", (right - left + 2 * pad + 2, 13 + 2 * pad), (255, 255, 255, 0))
    ImageDraw.Draw(tile).text((pad + 1 - left, pad), name, font=font,
                              fill="#1d1d1d" if on else "#444444", stroke_width=2,
                              stroke_fill=(255, 255, 255, 230))
    return tile


def _rgba(color: str, alpha: float) -> tuple[float, float, float, float]:
    from matplotlib.colors import to_rgba

    return to_rgba(color, alpha)


def png_bytes(rgba: np.ndarray) -> bytes:
    """PNG of an RGBA frame: 255 colours (a map has few; a quarter of the size of RGB), no
    metadata, so equal frames give equal bytes."""
    from PIL import Image

    buf = io.BytesIO()
    im = Image.fromarray(np.ascontiguousarray(rgba[..., :3]))
    im = im.quantize(colors=255, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    im.save(buf, format="PNG", compress_level=6)
    return buf.getvalue()


def legend_handles(entries: Sequence[tuple[str, str]]) -> list:
    """Compact legend handles of ``(actor, state)`` area entries: one row per actor (its
    colour), one per way of drawing (solid held, hatched contested, faded stale), then the
    control points and the events of the step."""
    handles: list = []
    actors = []
    for who, _ in entries:
        if who not in actors:
            actors.append(who)
    for who in actors:
        col = actor_color(who)
        handles.append(Patch(facecolor=col, alpha=0.6, edgecolor=col, label=_escaped(who)))
    states = {s for _, s in entries}
    handles.append(Patch(facecolor="#8a8a8a", alpha=0.6, edgecolor="#8a8a8a", label="solid: held"))
    if "contested" in states:
        handles.append(Patch(facecolor="none", edgecolor="#555555", hatch="///",
                             label="hatched: contested (defender's colour)"))
    if "stale" in states:
        handles.append(Patch(facecolor="#8a8a8a", alpha=0.14, edgecolor="#8a8a8a", linestyle=":",
                             label="faded: stale (last known holder)"))
    handles.append(Line2D([], [], marker="o", linestyle="", color="#666666",
                          markeredgecolor="white", label="dot: control point (colour: holder)"))
    handles.append(Line2D([], [], marker="o", linestyle="", markerfacecolor="none",
                          markeredgecolor="#333333", label="ring: event in this step"))
    return handles


# ----------------------------------------------------------------------------- the GIF


def gif_frame(rgba: np.ndarray, *, duration_ms: int, width: int = _GIF_WIDTH) -> tuple[bytes, tuple[int, int]]:
    """One GIF frame (graphic control, image descriptor, local colour table, LZW data) of an
    RGB(A) frame scaled to ``width``; returns the bytes and the frame's (width, height)."""
    from PIL import GifImagePlugin, Image

    im = Image.fromarray(np.ascontiguousarray(rgba[..., :3]))
    if width and im.width != width:
        im = im.resize((width, round(im.height * width / im.width)), Image.Resampling.BOX)
    pal = im.quantize(colors=255, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    blocks = GifImagePlugin.getdata(pal, duration=int(duration_ms), disposal=1,
                                    include_color_table=True)
    return b"".join(blocks), pal.size


class GifStream:
    """An animated GIF written frame by frame: memory holds one frame, whatever the length.

    Use as a context manager; frames come from :func:`gif_frame`. The file is written to a
    temporary name and moved into place when the stream closes without error.
    """

    def __init__(self, path: str | os.PathLike, *, loop: int = 0):
        self.path = Path(path)
        self.loop = int(loop)
        self.size: tuple[int, int] | None = None
        self.count = 0
        self._fh = None
        self._tmp: Path | None = None

    def __enter__(self) -> GifStream:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        self._fh = open(self._tmp, "wb")  # noqa: SIM115 - closed in __exit__
        return self

    def add(self, frame: bytes, size: tuple[int, int]) -> None:
        """Append one frame (from :func:`gif_frame`); every frame must have the first's size."""
        if self._fh is None:
            raise InputError(f"{self.path}: add frames inside 'with GifStream(...)'.")
        if self.size is None:
            self.size = size
            w, h = size
            # header, logical screen (no global colour table), loop forever
            self._fh.write(b"GIF89a" + w.to_bytes(2, "little") + h.to_bytes(2, "little") + b"\x70\x00\x00")
            self._fh.write(b"\x21\xff\x0bNETSCAPE2.0\x03\x01" + self.loop.to_bytes(2, "little") + b"\x00")
        elif size != self.size:
            raise InputError(f"{self.path}: frame {self.count} is {size}, the first was {self.size}; "
                             "draw every frame with the same figure size and dpi.")
        self._fh.write(frame)
        self.count += 1

    def __exit__(self, exc_type, exc, tb) -> None:
        assert self._fh is not None and self._tmp is not None
        try:
            if exc_type is None:
                if self.count == 0:
                    raise InputError(f"{self.path}: no frames were added; write the snapshots first.")
                self._fh.write(b"\x3b")
            self._fh.close()
            if exc_type is None:
                atomic_write(self.path, lambda tmp: os.replace(self._tmp, tmp))
        finally:
            if self._tmp.exists():
                self._tmp.unlink()


def snapshots_gif(
    pngs: Iterable[str | os.PathLike],
    path: str | os.PathLike,
    *,
    duration_ms: int | Sequence[int] = 800,
    hold_last_ms: int = 2000,
    width: int = _GIF_WIDTH,
) -> Path:
    """An animated GIF of snapshot PNGs (same pixel size), read and written one at a time.

    ``duration_ms`` is one duration for every frame or one per frame; the last frame is held
    at least ``hold_last_ms``.

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
    durations = list(duration_ms) if not isinstance(duration_ms, int) else [duration_ms] * len(files)
    if len(durations) != len(files):
        raise InputError(f"{path}: {len(durations)} durations for {len(files)} frames.")
    durations[-1] = max(durations[-1], hold_last_ms)
    first_shape = None
    with GifStream(path) as gif:
        for f, d in zip(files, durations):
            img = iio.imread(f)
            if img.ndim == 2:
                img = np.stack([img] * 3, axis=-1)
            if first_shape is None:
                first_shape = img.shape[:2]
            elif img.shape[:2] != first_shape:
                raise InputError(
                    f"{path}: frames differ in size ({f.name} is {img.shape[1]}x{img.shape[0]}, the "
                    f"first {first_shape[1]}x{first_shape[0]}); draw every PNG with the same figure "
                    "size and dpi (snapshot_figure does)."
                )
            gif.add(*gif_frame(img, duration_ms=d, width=width))
    return Path(path)


# ----------------------------------------------------------------------------- one snapshot


def frame_spec(
    areas: gpd.GeoDataFrame | None,
    date: Any,
    *,
    control: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    previous: Any = None,
    actor: str = "IS",
    title: str | None = None,
    caption: str | None = None,
) -> FrameSpec:
    """The :class:`FrameSpec` of one date from the tables (areas, control points, events)."""
    d = day(date)
    rows: list[tuple[str, str, Any]] = []
    held_km2 = 0.0
    if areas is not None and len(areas):
        a = areas.to_crs(WGS84) if areas.crs is not None and areas.crs != WGS84 else areas
        sel = a[[day(x) == d for x in a["date"]]]
        for who, state, g, km2 in zip(sel["actor"], sel["state"], sel.geometry, sel.get("area_km2", [0] * len(sel))):
            rows.append((str(who), str(state), g))
            if who == actor and state == "held":
                held_km2 += float(km2) if pd.notna(km2) else 0.0
    points, active = [], set()
    if control is not None and len(control):
        t = pd.Timestamp(d)
        vf, vt = pd.to_datetime(control["valid_from"]), pd.to_datetime(control["valid_to"])
        on = control[(vf <= t) & (vt.isna() | (vt > t)) & control["state"].isin(_POINT_STATES)]
        for r in on.itertuples(index=False):
            points.append((float(r.lon), float(r.lat), r.holder if isinstance(r.holder, str) else None, r.state))
            active.add(str(r.place_id))
    evs = []
    if events is not None and len(events):
        prev = day(previous) if previous is not None else None
        for r in events.to_dict("records"):
            ed = day(r.get("date"))
            if ed is None or ed > d or (prev is not None and ed <= prev):
                continue
            if pd.isna(r.get("lat")) or pd.isna(r.get("lon")):
                continue
            g = r.get("gainer")
            evs.append((float(r["lon"]), float(r["lat"]), g if isinstance(g, str) and g else None))
    if title is None:
        title = f"{d} \u2014 {actor} held area: {held_km2:,.0f} km\u00b2"
    if caption is None:
        caption = (f"Estimated from reported control points ({len(points)} drawn); not surveyed front "
                   "lines. Hatched: contested; faded: stale (not re-confirmed).")
    return FrameSpec(title=title, caption=caption, areas=rows, points=points, events=evs,
                     active=frozenset(active))


def snapshot_figure(
    areas: gpd.GeoDataFrame | None,
    date: Any,
    *,
    events: pd.DataFrame | None = None,
    control: pd.DataFrame | None = None,
    countries: gpd.GeoDataFrame | None = None,
    admin1: gpd.GeoDataFrame | None = None,
    rivers: gpd.GeoDataFrame | None = None,
    lakes: gpd.GeoDataFrame | None = None,
    settlements: gpd.GeoDataFrame | None = None,
    actor: str = "IS",
    previous: Any = None,
    extent: Sequence[float] | None = None,
) -> Figure:
    """A static map of one snapshot: basemap, held areas, control points, events, labels.

    Parameters
    ----------
    areas : GeoDataFrame
        ``schema.AREA_COLUMNS``; only rows of ``date`` are drawn.
    date : date-like
        The snapshot date.
    events : DataFrame, optional
        ``schema.EVENT_COLUMNS``: the events after ``previous`` up to ``date`` are ringed.
    control : DataFrame, optional
        ``territory.control_timeline`` output: the control points on ``date`` (coloured by
        holder, faded when stale) and their labels.
    countries, admin1, rivers, lakes : GeoDataFrame, optional
        Basemap layers; default the packaged files.
    settlements : GeoDataFrame, optional
        Gazetteer settlements for town labels.
    actor : str
        Whose held area the title gives.
    previous : date-like, optional
        The previous snapshot (events after it are this step's).
    extent : (xmin, ymin, xmax, ymax), optional
        Map window in degrees; default the areas and points, padded.

    Returns
    -------
    matplotlib.figure.Figure
    """
    d = day(date)
    if d is None:
        raise InputError(f"snapshot date {date!r} is not a date; pass e.g. '2017-10-17'.")
    spec = frame_spec(areas, d, control=control, events=events, previous=previous, actor=actor)
    if extent is None:
        pts = pd.DataFrame([(p[1], p[0]) for p in spec.points] + [(e[1], e[0]) for e in spec.events],
                           columns=["lat", "lon"])
        sel = None
        if areas is not None and len(areas):
            sel = areas[[day(x) == d for x in areas["date"]]]
        extent = map_extent(sel if sel is not None and len(sel) else None, pts if len(pts) else None)
    places = None
    if control is not None and len(control):
        places = control.drop_duplicates("place_id")[["place_id", "place", "lat", "lon"]]
    labels = label_candidates(settlements, places)
    if places is not None:
        labels["control"] = labels["place_id"].isin(set(places["place_id"]))
    r = SnapshotRenderer(extent, basemap={"countries": countries, "admin1": admin1,
                                          "rivers": rivers, "lakes": lakes}, labels=labels)
    return r.figure(spec)


# ----------------------------------------------------------------------------- the chart


def area_chart(
    areas: gpd.GeoDataFrame | pd.DataFrame,
    *,
    reference: pd.DataFrame | None = None,
    actors: Iterable[str] | None = None,
    state: str = "held",
    reference_actor: str = "IS",
    actor: str | None = None,
) -> Figure:
    """Area (km²) over time: the mapped actor on top, beside published figures, the others apart.

    Parameters
    ----------
    areas : (Geo)DataFrame
        With ``date``, ``actor``, ``state``, ``area_km2``.
    reference : DataFrame, optional
        ``date, area_km2, source`` (and optionally ``actor``, default ``reference_actor``):
        published estimates, one marker shape per publisher.
    actors : iterable of str, optional
        Actors to draw; default all.
    state : str
        Which state the lines sum (``"held"``); the mapped actor's contested and stale areas
        are shaded above its line.
    reference_actor : str
        The actor the published figures measure.
    actor : str, optional
        The mapped actor, drawn in the upper panel (default ``reference_actor``). The other
        actors go to a lower panel: their areas are only what the corpus reports about them.

    Returns
    -------
    matplotlib.figure.Figure
    """
    missing = [c for c in ("date", "actor", "state", "area_km2") if c not in areas.columns]
    if missing:
        raise InputError(f"areas: missing column(s) {missing}; expected schema.AREA_COLUMNS.")
    mapped = actor or reference_actor
    df = pd.DataFrame(
        {
            "date": pd.to_datetime(pd.Series([day(d) for d in areas["date"]])),
            "actor": areas["actor"].astype(str).to_numpy(),
            "state": areas["state"].astype(str).to_numpy(),
            "km2": pd.to_numeric(areas["area_km2"], errors="coerce").to_numpy(),
        }
    )
    df = df[df["date"].notna()]
    every = df.pivot_table(index="date", columns=["actor", "state"], values="km2", aggfunc="sum").sort_index().fillna(0.0)
    all_dates = every.index
    table = df[df["state"] == state].pivot_table(index="date", columns="actor", values="km2",
                                                  aggfunc="sum").reindex(all_dates).fillna(0.0)
    wanted = (list(actors) if actors is not None
              else [x for x in ACTORS if x in table.columns] + sorted(set(table.columns) - set(ACTORS)))
    others = [w for w in wanted if w != mapped and w in table.columns]
    fig = _new_figure((10.0, 6.4 if others else 4.8))
    if others:
        ax = fig.add_axes((0.08, 0.40, 0.66, 0.52))
        ax2 = fig.add_axes((0.08, 0.08, 0.66, 0.22), sharex=ax)
    else:
        ax = fig.add_axes((0.08, 0.12, 0.66, 0.78))
        ax2 = None
    col = actor_color(mapped)
    if mapped in table.columns and (actors is None or mapped in wanted):
        y = table[mapped]
        ax.step(y.index, y.to_numpy(), where="post", color=col, linewidth=2.2,
                label=_escaped(f"{mapped} {state} (estimate)"))
        base = y.to_numpy()
        for extra, alpha, hatch in (("contested", 0.35, "///"), ("stale", 0.15, None)):
            if (mapped, extra) in every.columns:
                top = base + every[(mapped, extra)].to_numpy()
                ax.fill_between(y.index, base, top, step="post", facecolor=col if hatch is None else "none",
                                edgecolor=col, alpha=alpha if hatch is None else 0.6, hatch=hatch,
                                linewidth=0, label=_escaped(f"{mapped} {extra} (not counted)"))
                base = top
    if reference is not None and len(reference):
        ref = reference.copy()
        ref["date"] = pd.to_datetime(pd.Series([day(d) for d in ref["date"]], index=ref.index))
        ref["area_km2"] = pd.to_numeric(ref["area_km2"], errors="coerce")
        ref = ref[ref["date"].notna() & ref["area_km2"].notna()]
        markers = "sD^vP*Xh"
        src_col = ref["source"] if "source" in ref else pd.Series("reference", index=ref.index)
        # one marker per publisher: "IHS Conflict Monitor: ..., January 2015" -> "IHS Conflict Monitor"
        publisher = src_col.astype(str).str.split(":", n=1).str[0].str.strip()
        for i, (src, sub) in enumerate(ref.groupby(publisher, sort=True)):
            who = sub["actor"].iloc[0] if "actor" in sub else reference_actor
            ax.scatter(sub["date"], sub["area_km2"], marker=markers[i % len(markers)], s=46,
                       facecolor="white", edgecolor=actor_color(str(who)), linewidths=1.6,
                       zorder=5, label=_escaped(f"{src} (published, {who})"))
    ax.set_ylabel(f"{_escaped(mapped)} area (km\u00b2)")
    ax.set_title(_escaped(f"{mapped}: estimated area over time, beside published figures"), fontsize=11)
    for a in (ax, ax2):
        if a is None:
            continue
        a.yaxis.set_major_formatter(lambda v, _pos: f"{v:,.0f}")
        a.grid(True, color="#dddddd", linewidth=0.6)
        a.set_ylim(bottom=0)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), framealpha=0.9)
    if ax2 is not None:
        for who in others:
            c = actor_color(who)
            ax2.step(table.index, table[who].to_numpy(), where="post", color=c, linewidth=1.2,
                     label=_escaped(who), path_effects=None)
        ax2.set_title("Other actors: only the areas around places the corpus reports (partial)",
                      fontsize=9, loc="left")
        ax2.set_ylabel("km\u00b2", fontsize=8)
        ax2.tick_params(labelsize=8)
        ax2.legend(fontsize=7.5, loc="upper left", bbox_to_anchor=(1.01, 1.0), framealpha=0.9)
        for lbl in ax.get_xticklabels():
            lbl.set_visible(False)
    if len(all_dates):
        ax.set_xlim(all_dates.min(), all_dates.max() + pd.Timedelta(days=7))
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
