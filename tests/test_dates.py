"""Temporal expressions resolved against the publication date."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mapper.dates import find_dates, format_date, parse_header_date, resolve_date
from mapper.schema import PRECISION_RANK

SAT = dt.date(2017, 11, 4)  # a Saturday


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("on Friday", (dt.date(2017, 11, 3), "day")),
        ("late on Saturday", (SAT, "day")),  # the publication day itself
        ("last Saturday", (dt.date(2017, 10, 28), "day")),
        ("today", (SAT, "day")),
        ("yesterday", (dt.date(2017, 11, 3), "day")),
        ("last week", (dt.date(2017, 10, 28), "week")),
        ("two weeks ago", (dt.date(2017, 10, 21), "week")),
        ("three days ago", (dt.date(2017, 11, 1), "day")),
        ("this month", (dt.date(2017, 11, 1), "month")),
        ("last month", (dt.date(2017, 10, 1), "month")),
        ("in October", (dt.date(2017, 10, 1), "month")),
        ("this July", (dt.date(2017, 7, 1), "month")),
        ("in mid-October", (dt.date(2017, 10, 1), "month")),
        ("in December", (dt.date(2016, 12, 1), "month")),  # never a future month
        ("last November", (dt.date(2016, 11, 1), "month")),
        ("On October 17", (dt.date(2017, 10, 17), "day")),
        ("Nov. 3", (dt.date(2017, 11, 3), "day")),
        ("3 November", (dt.date(2017, 11, 3), "day")),
        ("on December 12", (dt.date(2016, 12, 12), "day")),  # year inferred backwards
        ("in 2014", (dt.date(2014, 1, 1), "year")),
        ("in January 2014", (dt.date(2014, 1, 1), "month")),
        ("in October of 2014", (dt.date(2014, 10, 1), "month")),
        ("on March 2, 2016", (dt.date(2016, 3, 2), "day")),
        ("2017-11-03", (dt.date(2017, 11, 3), "day")),
        ("since last summer", (dt.date(2016, 1, 1), "year")),
        ("nothing temporal here", (None, "unknown")),
    ],
)
def test_resolve_examples(expr, expected):
    assert resolve_date(expr, SAT) == expected


def test_relative_needs_an_anchor():
    assert resolve_date("on Friday", None) == (None, "unknown")
    assert resolve_date("in October", None) == (None, "unknown")
    assert resolve_date("yesterday", None) == (None, "unknown")
    # absolute dates do not
    assert resolve_date("4 November 2017", None) == (dt.date(2017, 11, 4), "day")
    assert resolve_date("in 2015", None) == (dt.date(2015, 1, 1), "year")


def test_may_the_verb_is_no_month():
    assert find_dates("The army may retake the town soon.", SAT) == []
    assert resolve_date("in May", SAT) == (dt.date(2017, 5, 1), "month")


def test_find_dates_in_order():
    found = find_dates("It lost the first town in July and the second one in October.", SAT)
    assert [(d.text, d.date, d.precision) for d in found] == [
        ("in July", dt.date(2017, 7, 1), "month"),
        ("in October", dt.date(2017, 10, 1), "month"),
    ]


def test_counts_are_not_years():
    assert find_dates("Some 2000 people fled.", SAT) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Saturday, 4 November 2017\n\nHeadline here\n\nBody.", dt.date(2017, 11, 4)),
        ("Headline\nNov. 3, 2017\nBody text.", dt.date(2017, 11, 3)),
        ("Published 2017-11-03\nBody.", dt.date(2017, 11, 3)),
        ("BEIRUT, Nov. 3, 2017 (Reuters) - Troops advanced on the town.", dt.date(2017, 11, 3)),
        ("Stamp\n10.12.17\nText", dt.date(2017, 10, 12)),
        # a date inside a long caption dates the photo, not the article
        ("Headline\n\nA fighter walks through rubble in the old quarter of a city, June 17, 2017. PHOTO AGENCY\n\nBody.", None),
        ("No date at all.\nJust text.", None),
    ],
)
def test_header_dates(text, expected):
    assert parse_header_date(text) == expected


def test_format_date_forms():
    d = dt.date(2017, 11, 3)
    assert format_date(d, "day") == "2017-11-03"
    assert format_date(d, "week") == "week of 2017-11-03"
    assert format_date(dt.date(2017, 11, 1), "month") == "2017-11"
    assert format_date(dt.date(2017, 1, 1), "year") == "2017"
    assert format_date(None, "unknown") == ""
    with pytest.raises(ValueError, match="precision"):
        format_date(d, "fortnight")


# ------------------------------------------------------------------ properties

anchors = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2040, 12, 31))
weekdays = st.sampled_from(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"])
months = st.sampled_from(["January", "February", "March", "April", "May", "June", "July", "August",
                          "September", "October", "November", "December"])
relative = st.one_of(
    weekdays.map(lambda w: f"on {w}"),
    weekdays.map(lambda w: f"last {w}"),
    months.map(lambda m: f"in {m}"),
    months.map(lambda m: f"last {m}"),
    st.tuples(months, st.integers(1, 28)).map(lambda t: f"{t[0]} {t[1]}"),
    st.tuples(st.integers(1, 28), months).map(lambda t: f"{t[0]} {t[1]}"),
    st.integers(1, 31).map(lambda d: f"on the {d}{'st' if d % 10 == 1 and d != 11 else 'nd' if d % 10 == 2 and d != 12 else 'rd' if d % 10 == 3 and d != 13 else 'th'}"),
    st.sampled_from(["today", "yesterday", "last week", "this week", "last month", "this month",
                     "two weeks ago", "a week ago", "three days ago", "last year", "this year"]),
)


@given(expr=relative, anchor=anchors)
def test_past_tense_never_after_anchor(expr, anchor):
    d, p = resolve_date(expr, anchor)
    assert d is not None and p != "unknown"
    assert d <= anchor


@given(expr=relative, anchor=anchors)
def test_resolution_is_idempotent(expr, anchor):
    d, p = resolve_date(expr, anchor)
    again = resolve_date(format_date(d, p), anchor)
    assert again == (d, p)
    # and does not depend on the anchor once written out
    assert resolve_date(format_date(d, p), None) == (d, p)


@given(month=months, anchor=anchors)
def test_precision_never_finer_than_text(month, anchor):
    _, p = resolve_date(f"in {month}", anchor)
    assert PRECISION_RANK[p] >= PRECISION_RANK["month"]
    _, p = resolve_date("last week", anchor)
    assert PRECISION_RANK[p] >= PRECISION_RANK["week"]
    _, p = resolve_date(f"in {anchor.year}", anchor)
    assert p == "year"


@given(day=st.integers(1, 28), month=months, anchor=anchors)
def test_day_and_month_never_jump_into_the_future(day, month, anchor):
    d, p = resolve_date(f"on {month} {day}", anchor)
    assert p == "day" and d <= anchor
    assert (anchor - d).days < 366


@given(day=st.integers(1, 31), anchor=anchors)
def test_an_ordinal_day_is_the_latest_such_day_not_after_the_anchor(day, anchor):
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(day % 10 if day not in (11, 12, 13) else 0, "th")
    d, p = resolve_date(f"on the {day}{suffix}", anchor)
    assert p == "day" and d.day == day and d <= anchor
    assert (anchor - d).days < 62


def test_an_ordinal_before_a_name_is_no_date():
    assert resolve_date("the 9th Armoured Division", dt.date(2017, 11, 20)) == (None, "unknown")
    assert resolve_date("by the 17th century", dt.date(2017, 11, 20)) == (None, "unknown")
