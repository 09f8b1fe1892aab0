"""Corroboration at scale: the grouped algorithm gives the groups of the pairwise rule, and
its time grows linearly with the number of reports (issue 15: a 100,000-article corpus
repeats one change in thousands of reports).
"""

from __future__ import annotations

import datetime as dt
import gc
import time

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mapper.events import _compatible, corroborate, corroborate_parts
from mapper.schema import REPORT_COLUMNS

SIDES = ["", "IS", "SDF", "Syrian government"]
PRECISIONS = ["day", "day", "week", "month", "year", "unknown"]


def _report(i, place, event, gainer, loser, day, precision, conf=0.7):
    date = pd.NaT if precision == "unknown" else pd.Timestamp(dt.date(2016, 1, 1) + dt.timedelta(days=day))
    row = dict.fromkeys(REPORT_COLUMNS, "")
    row.update(article=f"a{i:05d}.txt", place_id=f"geonames:{place}", place=f"P{place}", country="SY",
               name_as_written=f"P{place}", lat=35.0, lon=38.0, event_type=event, gainer=gainer, loser=loser,
               date=date, date_precision=precision, confidence=conf, evidence="x", span="", published=pd.NaT,
               title="", url="", flags="")
    return row


reports_st = st.lists(
    st.tuples(st.integers(0, 2), st.sampled_from(["captured", "entered"]), st.sampled_from(SIDES),
              st.sampled_from(SIDES), st.integers(0, 900), st.sampled_from(PRECISIONS),
              st.floats(0.1, 0.95)),
    min_size=1, max_size=40)


def _naive_groups(df: pd.DataFrame, day_window: int = 3) -> list[tuple[str, ...]]:
    """The pairwise rule, written out: first group whose every member is compatible."""
    from mapper.events import _normalise
    from mapper.schema import PRECISION_RANK

    rows = [r for r in _normalise(df, REPORT_COLUMNS).to_dict("records") if r["place_id"]]
    rows.sort(key=lambda r: (r["place_id"], r["event_type"], PRECISION_RANK.get(r["date_precision"], 4),
                             -r["confidence"], r["article"]))
    groups: list[list[dict]] = []
    for r in rows:
        for g in groups:
            if g[0]["place_id"] == r["place_id"] and all(_compatible(x, r, day_window=day_window) for x in g):
                g.append(r)
                break
        else:
            groups.append([r])
    return sorted(tuple(sorted(r["article"] for r in g)) for g in groups)


@settings(max_examples=150, deadline=None)
@given(reports_st)
def test_grouping_equals_the_pairwise_rule(items):
    df = pd.DataFrame([_report(i, *it) for i, it in enumerate(items)], columns=REPORT_COLUMNS)
    events = corroborate(df)
    got = sorted(tuple(sorted(s.split(";"))) for s in events["sources"])
    assert got == _naive_groups(df)


@settings(max_examples=60, deadline=None)
@given(reports_st, st.integers(1, 5), st.integers(1, 12))
def test_out_of_core_corroboration_equals_the_whole_table(tmp_path_factory, items, part_rows, batch_rows):
    df = pd.DataFrame([_report(i, *it) for i, it in enumerate(items)], columns=REPORT_COLUMNS)
    parts = [df.iloc[i:i + part_rows] for i in range(0, len(df), part_rows)]
    work = tmp_path_factory.mktemp("buckets")
    got = corroborate_parts(lambda: iter(parts), workdir=work, batch_rows=batch_rows)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), corroborate(df).reset_index(drop=True))


def test_a_recapture_between_two_captures_keeps_both_and_far_repeats_are_flagged():
    rows = [_report(0, 1, "captured", "IS", "", 0, "day"), _report(1, 1, "captured", "IS", "", 700, "day")]
    ev = corroborate(pd.DataFrame(rows, columns=REPORT_COLUMNS))
    assert all("conflict:" in f for f in ev["flags"])  # the same change dated two years apart
    rows.append(_report(2, 1, "captured", "SDF", "IS", 1, "day"))  # a different taker the next day
    ev = corroborate(pd.DataFrame(rows, columns=REPORT_COLUMNS)).set_index("gainer")
    assert "conflict:" in ev.loc["SDF", "flags"]


def _corroborate_seconds(n: int, repeat: int = 3) -> float:
    rows = [_report(i, i % 40, "captured", SIDES[1 + i % 3], "", (i * 7) % 1800, "day") for i in range(n)]
    df = pd.DataFrame(rows, columns=REPORT_COLUMNS)
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        corroborate(df)
        best = min(best, time.perf_counter() - t0)
    return best


@pytest.mark.linear
def test_corroboration_time_grows_linearly():
    small, large = _corroborate_seconds(4_000), _corroborate_seconds(8_000)
    print(f"\ncorroborate: 4,000 reports {small:.2f} s, 8,000 {large:.2f} s, ratio {large / small:.2f}")
    assert large / small <= 2.6
