"""Static figures: the snapshot renderer (labels, legend, text), the streamed GIF, the area chart."""

from __future__ import annotations

import tracemalloc
import warnings

import geopandas as gpd
import imageio.v3 as iio
import matplotlib
import numpy as np
import pandas as pd
import pytest
from browser_util import ARTIFACTS, shared_basemap, synthetic_areas, synthetic_events
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from shapely.geometry import box

from mapper import basemap, figures
from mapper import territory as T
from mapper.colors import ACTOR_COLORS
from mapper.errors import InputError, MapperWarning, OutputError
from mapper.schema import WGS84


@pytest.fixture(scope="module")
def corpus():
    events = synthetic_events(12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MapperWarning)
        control = T.control_timeline(events)
    return events, synthetic_areas(events), control


@pytest.fixture(scope="module")
def countries():
    return gpd.GeoDataFrame({"name": ["Syria"]}, geometry=[box(35.7, 32.3, 42.4, 37.3)], crs=WGS84)


def _hex(rgba) -> str:
    return matplotlib.colors.to_hex(rgba, keep_alpha=False).upper()


def _boxes_overlap(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def test_snapshot_figure(tmp_path, corpus, countries):
    events, areas, control = corpus
    day, prev = "2017-10-26", "2017-10-20"
    fig = figures.snapshot_figure(areas, day, events=events, control=control, previous=prev,
                                  countries=countries, rivers=None)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    rows = areas[areas["date"] == day]
    assert set(rows["actor"]) <= set(labels) and "solid: held" in labels
    assert "hatched: contested (defender's colour)" in labels
    hatched = [h for h in ax.get_legend().legend_handles if h.get_label().startswith("hatched")]
    assert hatched[0].get_hatch() == "///"
    title = next(t.get_text() for t in fig.texts if "held area" in t.get_text())
    is_km2 = rows[(rows["actor"] == "IS") & (rows["state"] == "held")]["area_km2"].sum()
    assert title == f"{day} \u2014 IS held area: {is_km2:,.0f} km\u00b2"
    # the control points of the day, then the events of the step (after `prev`) as rings
    dots, rings = [c for c in ax.collections if isinstance(c, PathCollection)][-2:]
    t = pd.Timestamp(day)
    on = control[(control["valid_from"] <= t) & (control["valid_to"].isna() | (control["valid_to"] > t))
                 & control["state"].isin(["held", "contested", "stale", "unknown"])]
    assert len(dots.get_offsets()) == len(on)
    step = events[(events["date"] > prev) & (events["date"] <= day)]
    assert len(rings.get_offsets()) == len(step) > 0
    # labels: the reported places, none overlapping another or the legend
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    texts = [x for x in fig.texts if x.get_text() in set(control["place"])]
    assert {"Deir ez-Zor", "Mayadin"} <= {x.get_text() for x in texts}
    extents = [x.get_window_extent(r) for x in texts] + [ax.get_legend().get_window_extent(r)]
    for i, a in enumerate(extents):
        for b in extents[i + 1:]:
            assert not _boxes_overlap(a, b)
    png = figures.save_figure(fig, tmp_path / "s.png")
    assert iio.imread(png).shape[:2] == (750, 1000)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.png"]


def test_snapshot_png_on_real_basemap(corpus, gazetteer):
    b = shared_basemap()
    if b is None:
        pytest.skip("../shared/data basemap files not found")
    events, areas, control = corpus
    fig = figures.snapshot_figure(areas, "2017-11-10", events=events, control=control,
                                  settlements=gazetteer.settlements(), **b)
    ARTIFACTS.mkdir(exist_ok=True)
    out = figures.save_figure(fig, ARTIFACTS / "figure_snapshot.png")
    assert out.stat().st_size > 20_000


@pytest.fixture(scope="module")
def renderer(corpus, gazetteer):
    events, areas, control = corpus
    places = control.drop_duplicates("place_id")[["place_id", "place", "lat", "lon"]]
    labels = basemap.label_candidates(gazetteer.settlements(), places)
    labels["control"] = labels["place_id"].isin(set(places["place_id"]))
    extent = basemap.map_extent(areas, places)
    return figures.SnapshotRenderer(extent, labels=labels,
                                    legend=[("IS", "held"), ("IS", "contested"), ("SDF", "held")])


def test_the_renderer_draws_each_frame_alone(corpus, renderer):
    events, areas, control = corpus
    a = figures.frame_spec(areas, "2017-10-26", control=control, events=events)
    b = figures.frame_spec(areas, "2017-11-25", control=control, events=events)
    first = renderer.rgba(a)
    renderer.rgba(b)
    again = renderer.rgba(a)
    assert first.shape == (750, 1000, 3)
    assert np.array_equal(first, again)  # nothing of one frame is left in the next
    assert not np.array_equal(first, renderer.rgba(b))
    png = figures.png_bytes(first)
    assert png == figures.png_bytes(again) and png.startswith(b"\x89PNG")


def test_labels_most_important_first_and_never_overlapping(corpus, renderer):
    events, areas, control = corpus
    spec = figures.frame_spec(areas, "2017-11-25", control=control, events=events)
    boxes, names = [], []

    def measure(name, on):
        return (7.0 * len(name), 13.0)

    for name, on, lx, ly in renderer._placements(spec, measure):
        w, h = measure(name, on)
        box_ = (lx, ly, lx + w, ly + h)
        assert all(not (box_[0] < o[2] and o[0] < box_[2] and box_[1] < o[3] and o[1] < box_[3])
                   for o in boxes)
        boxes.append(box_)
        names.append((name, on))
    assert names and names[0][1]  # the active control points come first
    first_town = next(i for i, (_, on) in enumerate(names) if not on)
    assert all(not on for _, on in names[first_town:])
    assert first_town < len(names)  # towns after them, where there is room


def test_strings_never_reach_mathtext(corpus, countries, renderer):
    events, areas, control = corpus
    events = events.copy()
    control = control.copy()
    evil = "$\\frac{1}{0}$ & {{ 7*7 }}"
    control.loc[control.index[0], "place"] = evil
    areas = areas.copy()
    areas.loc[areas.index[0], "actor"] = "$x_{"
    fig = figures.snapshot_figure(areas, "2017-10-26", events=events, control=control,
                                  countries=countries)
    fig.canvas.draw()  # would raise on a mathtext parse error
    assert any(t.get_text() == evil for t in fig.texts)
    spec = figures.frame_spec(areas, "2017-10-26", control=control, events=events,
                              title="$\\alpha$ title", caption="costs $5 and $6")
    assert renderer.rgba(spec).shape == (750, 1000, 3)
    chart = figures.area_chart(areas, actor="$x_{")
    chart.canvas.draw()


def test_area_chart_sets_the_mapped_actor_apart(tmp_path, corpus):
    events, areas, control = corpus
    ref = pd.DataFrame({"date": ["2017-10-15", "2017-11-15", "2017-11-20"],
                        "area_km2": [12000, 3000, 2500], "source": ["Agency A", "Agency A", "B"]})
    fig = figures.area_chart(areas, reference=ref)
    top, bottom = fig.axes
    (is_line,) = [ln for ln in top.get_lines() if ln.get_label().startswith("IS held")]
    assert _hex(is_line.get_color()) == ACTOR_COLORS["IS"]
    is_series = (areas[(areas["actor"] == "IS") & (areas["state"] == "held")]
                 .groupby("date")["area_km2"].sum()
                 .reindex(sorted(areas["date"].unique()), fill_value=0.0))
    assert is_series.iloc[-1] == 0  # a date where IS holds nothing is drawn as 0, not skipped
    assert list(is_line.get_ydata()) == pytest.approx(list(is_series.values))
    others = {ln.get_label(): ln for ln in bottom.get_lines()}
    assert set(others) == set(areas.loc[areas["state"] == "held", "actor"]) - {"IS"}
    for actor, ln in others.items():
        assert _hex(ln.get_color()) == ACTOR_COLORS[actor]
    assert "partial" in bottom.get_title(loc="left")
    scat = [c for c in top.collections if isinstance(c, PathCollection)]
    assert sorted(c.get_label() for c in scat) == ["Agency A (published, IS)", "B (published, IS)"]
    assert sum(len(c.get_offsets()) for c in scat) == 3
    figures.save_figure(fig, tmp_path / "chart.svg")
    assert (tmp_path / "chart.svg").read_text().lstrip().startswith("<?xml")
    alone = figures.area_chart(areas[areas["actor"] == "IS"])
    assert len(alone.axes) == 1
    with pytest.raises(InputError, match="area_km2"):
        figures.area_chart(areas.drop(columns="area_km2"))


def test_gif_is_written_frame_by_frame(tmp_path, corpus, renderer):
    events, areas, control = corpus
    pngs = []
    for d in sorted(areas["date"].unique())[:3]:
        spec = figures.frame_spec(areas, d, control=control, events=events)
        p = tmp_path / f"{pd.Timestamp(d):%Y-%m-%d}.png"
        p.write_bytes(figures.png_bytes(renderer.rgba(spec)))
        pngs.append(p)
    gif = figures.snapshots_gif(pngs, tmp_path / "anim.gif", duration_ms=[300, 600, 900])
    frames = iio.imread(gif, index=None)
    assert frames.shape[0] == 3 and frames.shape[1:3] == (480, 640)
    assert iio.immeta(gif, index=0).get("loop") == 0
    assert [iio.immeta(gif, index=i)["duration"] for i in range(3)] == [300, 600, 2000]
    small = Figure(figsize=(2, 2))
    other = figures.save_figure(small, tmp_path / "small.png")
    with pytest.raises(InputError, match="frames differ in size"):
        figures.snapshots_gif([pngs[0], other], tmp_path / "bad.gif")
    assert not (tmp_path / "bad.gif").exists()
    assert not list(tmp_path.glob(".bad.gif*"))
    with pytest.raises(InputError, match="no PNG frames"):
        figures.snapshots_gif([], tmp_path / "none.gif")


def test_gif_memory_does_not_grow_with_the_frames(tmp_path, corpus, renderer):
    events, areas, control = corpus
    spec = figures.frame_spec(areas, "2017-11-25", control=control, events=events)
    frame, size = figures.gif_frame(renderer.rgba(spec), duration_ms=100)

    def peak(n: int) -> int:
        tracemalloc.start()
        with figures.GifStream(tmp_path / f"g{n}.gif") as gif:
            for _ in range(n):
                gif.add(frame, size)
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    few, many = peak(3), peak(60)
    assert many < few + 200_000  # one frame is about 100 kB; 60 frames would be megabytes
    assert iio.imread(tmp_path / "g60.gif", index=None).shape[0] == 60


def test_inputs_unchanged_and_errors(tmp_path, corpus, countries):
    events, areas, control = corpus
    e0, a0, c0 = events.copy(deep=True), areas.copy(deep=True), control.copy(deep=True)
    figures.snapshot_figure(areas, "2017-11-01", events=events, control=control, countries=countries)
    figures.area_chart(areas)
    pd.testing.assert_frame_equal(events, e0)
    pd.testing.assert_frame_equal(control, c0)
    assert areas.geometry.geom_equals_exact(a0.geometry, 0).all()
    pd.testing.assert_frame_equal(pd.DataFrame(areas.drop(columns="geometry")),
                                  pd.DataFrame(a0.drop(columns="geometry")))
    with pytest.raises(InputError, match="not a date"):
        figures.snapshot_figure(areas, "someday", countries=countries)
    blocker = tmp_path / "f"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="cannot write"):
        figures.save_figure(Figure(), blocker / "x.png")
