"""Red/yellow/blue lights (R20): red after the deadline, yellow when the administrators' share of
the time is left or at most one working day, blue otherwise. Fixed datetimes, naive UTC; working
hours end at 17:30 in Beijing = 09:30 UTC."""
from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.timelimits import calendar, lights, limits


def light(start, due, now, share=None):
    """Judge one light as a page does: the basis (share, horizon) read at `now`."""
    at = lights.basis(now)
    if share is not None:
        at = lights.Basis(at.now, share, at.horizon)
    return lights.light(start, due, at)

SECOND = timedelta(seconds=1)
LONG_AGO = datetime(2024, 1, 1)


def test_no_deadline_is_blue(app):
    assert light(LONG_AGO, None, datetime(2030, 1, 1)) == "blue"


def test_red_only_after_the_deadline(app):
    due = datetime(2025, 3, 20, 9, 30)
    assert light(LONG_AGO, due, due + timedelta(microseconds=1)) == "red"
    assert light(LONG_AGO, due, due + timedelta(days=3)) == "red"
    assert light(LONG_AGO, due, due) == "yellow"


def test_yellow_by_share_of_the_total_time(app):
    start = datetime(2025, 3, 3, 0, 0)
    due = start + timedelta(days=40)  # a quarter is 10 days, far more than one working day
    assert light(start, due, due - timedelta(days=10)) == "yellow"
    assert light(start, due, due - timedelta(days=10) - SECOND) == "blue"
    assert light(start, due, start) == "blue"


def test_share_comes_from_the_setting(app):
    start = datetime(2025, 3, 3, 0, 0)
    due = start + timedelta(days=40)
    now = due - timedelta(days=15)
    assert light(start, due, now) == "blue"
    limits.set_yellow_share(0.5)
    db.session.commit()
    assert light(start, due, now) == "yellow"
    assert light(start, due, due - timedelta(days=20) - SECOND) == "blue"
    assert light(start, due, now, share=0.25) == "blue"


def test_yellow_within_one_working_day_over_a_weekend(app):
    friday = datetime(2025, 3, 14, 2, 0)  # 10:00 Beijing
    monday_close = datetime(2025, 3, 17, 9, 30)  # 17:30 Beijing
    assert calendar.add(friday, 1, "working_days") == monday_close
    assert light(LONG_AGO, monday_close, friday, share=0) == "yellow"
    assert light(LONG_AGO, monday_close + SECOND, friday, share=0) == "blue"
    # the same three calendar days from a Tuesday are two working days: blue
    tuesday = datetime(2025, 3, 11, 2, 0)
    assert light(LONG_AGO, tuesday + timedelta(days=3), tuesday, share=0) == "blue"
    assert light(LONG_AGO, datetime(2025, 3, 12, 9, 30), tuesday, share=0) == "yellow"


def test_yellow_within_one_working_day_over_national_day(app):
    assert not calendar.is_working_day(date(2025, 10, 8))
    assert calendar.is_working_day(date(2025, 10, 9))
    eve = datetime(2025, 9, 30, 2, 0)
    close_after_holiday = datetime(2025, 10, 9, 9, 30)
    assert light(LONG_AGO, close_after_holiday, eve, share=0) == "yellow"
    assert light(LONG_AGO, close_after_holiday + SECOND, eve, share=0) == "blue"


ORDER = {"blue": 0, "yellow": 1, "red": 2}
moments = st.datetimes(min_value=datetime(2024, 12, 1), max_value=datetime(2026, 12, 31))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=moments, total=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=90)),
       first=st.floats(0, 1.2), second=st.floats(0, 1.2), share=st.floats(0, 0.99))
def test_light_properties(app, start, total, first, second, share):
    due = start + total
    earlier, later = sorted((start + total * first, start + total * second))
    for now in (earlier, later):
        colour = light(start, due, now, share=share)
        assert (colour == "red") == (now > due)
        if now <= due and due - now <= total * share:
            assert colour == "yellow"
        if colour == "blue":
            assert due > calendar.add(now, 1, "working_days")
    # time only moves the light from blue towards red
    assert ORDER[light(start, due, earlier, share=share)] <= ORDER[light(start, due, later, share=share)]


@pytest.mark.parametrize("share", [0, 0.25, 0.9])
def test_start_equal_to_due(app, share):
    moment = datetime(2025, 3, 10, 2, 0)
    assert light(moment, moment, moment, share=share) == "yellow"
    assert light(moment, moment, moment + SECOND, share=share) == "red"
