"""Static figures: snapshot PNGs, the GIF and the area chart."""

from __future__ import annotations

import imageio.v3 as iio
import matplotlib
import pandas as pd
import pytest
from browser_util import ARTIFACTS, shared_basemap, synthetic_areas, synthetic_events
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from shapely.geometry import box

from mapper import figures
from mapper.colors import ACTOR_COLORS
from mapper.errors import InputError, OutputError
from mapper.schema import WGS84


@pytest.fixture(scope="module")
def corpus():
    events = synthetic_events(12)
    return events, synthetic_areas(events)


@pytest.fixture(scope="module")
def countries():
    import geopandas as gpd

    return gpd.GeoDataFrame({"name": ["Syria"]}, geometry=[box(35.7, 32.3, 42.4, 37.3)], crs=WGS84)


def _hex(rgba) -> str:
    return matplotlib.colors.to_hex(rgba, keep_alpha=False).upper()


def test_snapshot_figure(tmp_path, corpus, countries):
    events, areas = corpus
    fig = figures.snapshot_figure(
        areas, "2017-10-26", events=events, countries=countries, rivers=None
    )
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    day = areas[areas["date"] == "2017-10-26"]
    for actor, state in zip(day["actor"], day["state"]):
        assert f"{actor} {state}" in labels
    contested = [h for h in ax.get_legend().legend_handles if "contested" in h.get_label()]
    assert contested and all(h.get_hatch() == "///" for h in contested)
    is_km2 = day[(day["actor"] == "IS") & (day["state"] == "held")]["area_km2"].sum()
    assert fig._suptitle.get_text() == f"2017-10-26 \u2014 IS held area: {is_km2:,.0f} km\u00b2"
    # events up to the date only; the newest larger
    pts = [c for c in ax.collections if isinstance(c, PathCollection)][-1]
    n_upto = int((events["date"] <= "2017-10-26").sum())
    assert len(pts.get_offsets()) == n_upto
    sizes = pts.get_sizes()
    assert sizes.max() > sizes.min()
    names = {t.get_text() for t in ax.texts}
    assert "Deir ez-Zor" in names and "Mosul" not in names  # Mosul's event is later
    png = figures.save_figure(fig, tmp_path / "s.png")
    img = iio.imread(png)
    assert img.shape[:2] == (750, 1000)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.png"]


def test_snapshot_png_on_real_basemap(corpus):
    b = shared_basemap()
    if b is None:
        pytest.skip("../shared/data basemap files not found")
    events, areas = corpus
    fig = figures.snapshot_figure(areas, "2017-11-10", events=events, **b)
    ARTIFACTS.mkdir(exist_ok=True)
    out = figures.save_figure(fig, ARTIFACTS / "figure_snapshot.png")
    assert out.stat().st_size > 20_000


def test_place_names_are_not_mathtext(corpus, countries):
    events, areas = corpus
    events = events.copy()
    events.loc[0, "place"] = "$\\frac{1}{0}$ & {{ 7*7 }}"
    fig = figures.snapshot_figure(areas, "2017-10-26", events=events, countries=countries)
    fig.canvas.draw()  # would raise on a mathtext parse error
    assert any("7*7" in t.get_text() for t in fig.axes[0].texts)


def test_area_chart(tmp_path, corpus):
    events, areas = corpus
    ref = pd.DataFrame(
        {
            "date": ["2017-10-15", "2017-11-15", "2017-11-20"],
            "area_km2": [12000, 3000, 2500],
            "source": ["Agency A", "Agency A", "B"],
        }
    )
    fig = figures.area_chart(areas, reference=ref)
    ax = fig.axes[0]
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    assert set(lines) == set(areas.loc[areas["state"] == "held", "actor"])
    for actor, ln in lines.items():
        assert _hex(ln.get_color()) == ACTOR_COLORS[actor]
    is_series = (
        areas[(areas["actor"] == "IS") & (areas["state"] == "held")]
        .groupby("date")["area_km2"]
        .sum()
    )
    # a date where IS holds nothing is drawn as 0, not skipped
    is_series = is_series.reindex(sorted(areas["date"].unique()), fill_value=0.0)
    assert is_series.iloc[-1] == 0
    assert list(lines["IS"].get_ydata()) == pytest.approx(list(is_series.values))
    scat = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert sorted(c.get_label() for c in scat) == ["Agency A (published, IS)", "B (published, IS)"]
    assert sum(len(c.get_offsets()) for c in scat) == 3
    figures.save_figure(fig, tmp_path / "chart.svg")
    assert (tmp_path / "chart.svg").read_text().lstrip().startswith("<?xml")
    with pytest.raises(InputError, match="area_km2"):
        figures.area_chart(areas.drop(columns="area_km2"))


def test_gif(tmp_path, corpus, countries):
    events, areas = corpus
    pngs = []
    for d in sorted(areas["date"].unique())[:3]:
        fig = figures.snapshot_figure(areas, d, events=events, countries=countries)
        pngs.append(figures.save_figure(fig, tmp_path / f"{pd.Timestamp(d):%Y-%m-%d}.png"))
    gif = figures.snapshots_gif(pngs, tmp_path / "anim.gif", duration_ms=500)
    frames = iio.imread(gif, index=None)
    assert frames.shape[0] == 3 and frames.shape[1:3] == (750, 1000)
    meta = iio.immeta(gif, index=0)
    assert meta.get("loop") == 0
    small = Figure(figsize=(2, 2))
    other = figures.save_figure(small, tmp_path / "small.png")
    with pytest.raises(InputError, match="frames differ in size"):
        figures.snapshots_gif([pngs[0], other], tmp_path / "bad.gif")
    assert not (tmp_path / "bad.gif").exists()
    with pytest.raises(InputError, match="no PNG frames"):
        figures.snapshots_gif([], tmp_path / "none.gif")


def test_inputs_unchanged_and_errors(tmp_path, corpus, countries):
    events, areas = corpus
    e0, a0 = events.copy(deep=True), areas.copy(deep=True)
    figures.snapshot_figure(areas, "2017-11-01", events=events, countries=countries)
    figures.area_chart(areas)
    pd.testing.assert_frame_equal(events, e0)
    assert areas.geometry.geom_equals_exact(a0.geometry, 0).all()
    pd.testing.assert_frame_equal(
        pd.DataFrame(areas.drop(columns="geometry")), pd.DataFrame(a0.drop(columns="geometry"))
    )
    with pytest.raises(InputError, match="not a date"):
        figures.snapshot_figure(areas, "someday", countries=countries)
    blocker = tmp_path / "f"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="cannot write"):
        figures.save_figure(Figure(), blocker / "x.png")
