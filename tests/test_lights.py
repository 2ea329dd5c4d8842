"""Red/yellow/blue lights (R20): red after the deadline, yellow when the administrators' share of
the step's own limit is left, blue otherwise; and the working time left beside them. Fixed
datetimes, naive UTC; working hours 08:30–12:00 and 13:30–17:30 in Beijing = 00:30–04:00 and
05:30–09:30 UTC."""
from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event

from app.extensions import db
from app.timelimits import calendar, lights, limits
from app.timelimits.models import CalendarOverride


def light(start, due, now, share=None):
    """Judge one light as a page does: the basis (the share) read at `now`."""
    at = lights.basis(now)
    if share is not None:
        at = lights.Basis(at.now, share)
    return lights.light(start, due, at)


def left(due, now):
    """The time beside the light of an item due at `due`, judged at `now`."""
    return lights.remaining(due, lights.basis(now))


def beijing(*args):
    """A Beijing wall-clock time as the naive UTC the database stores."""
    return datetime(*args) - timedelta(hours=8)

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


def test_R20_a_step_of_one_working_day_or_less_is_blue_at_birth(app):
    # given the default share (a quarter) and a 30-minute first-contact step born on a Friday evening
    start = beijing(2025, 3, 14, 17, 0)
    due = calendar.add(start, 30, "minutes")
    # then it is blue when it starts and still at half time, yellow in its last quarter, red after
    assert light(start, due, start) == "blue"
    assert light(start, due, start + timedelta(minutes=15)) == "blue"
    assert light(start, due, due - timedelta(minutes=7, seconds=30)) == "yellow"
    assert light(start, due, due + SECOND) == "red"


def test_R20_a_one_working_day_step_is_not_yellow_over_the_weekend(app):
    # given a sign-for step (1 working day) born on Friday morning: due Monday's close
    start = beijing(2025, 3, 14, 10, 0)
    due = calendar.add(start, 1, "working_days")
    assert due == beijing(2025, 3, 17, 17, 30)
    # then it is blue on Friday and over the weekend, yellow only in its last quarter
    assert light(start, due, start) == "blue"
    assert light(start, due, beijing(2025, 3, 15, 12, 0)) == "blue"
    assert light(start, due, due - (due - start) / 4) == "yellow"


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
            assert due - now > total * share
    # time only moves the light from blue towards red
    assert ORDER[light(start, due, earlier, share=share)] <= ORDER[light(start, due, later, share=share)]


@pytest.mark.parametrize("share", [0, 0.25, 0.9])
def test_start_equal_to_due(app, share):
    moment = datetime(2025, 3, 10, 2, 0)
    assert light(moment, moment, moment, share=share) == "yellow"
    assert light(moment, moment, moment + SECOND, share=share) == "red"


# --- the time left beside the light ------------------------------------------------------------

HOUR, MINUTE = timedelta(hours=1), timedelta(minutes=1)
WORKING_DAY = timedelta(hours=7, minutes=30)  # 08:30–12:00 and 13:30–17:30


def test_no_deadline_has_no_time_left(app):
    assert left(None, LONG_AGO) is None


def test_R20_time_left_counts_working_hours_only(app):
    # a Tuesday morning: the rest of the day, then across the lunch break
    tuesday = beijing(2025, 3, 11, 10, 0)
    assert left(beijing(2025, 3, 11, 17, 30), tuesday) == lights.Remaining(6 * HOUR, False, WORKING_DAY)
    assert left(beijing(2025, 3, 11, 13, 50), beijing(2025, 3, 11, 11, 35)).amount == 45 * MINUTE
    # Tuesday 13:30 to Wednesday 16:30 is 4 + 3.5 + 3 hours: one working day and 3 hours
    after = left(beijing(2025, 3, 12, 16, 30), beijing(2025, 3, 11, 13, 30))
    assert after.parts() == (1, 3, 0)


def test_R20_time_left_skips_the_weekend(app):
    # Friday 16:30 to Monday's close: one hour on Friday and the whole Monday
    remaining = left(beijing(2025, 3, 17, 17, 30), beijing(2025, 3, 14, 16, 30))
    assert remaining.amount == HOUR + WORKING_DAY and remaining.parts() == (1, 1, 0)


def test_R19_time_left_skips_holidays_and_counts_make_up_days(app):
    # National Day 2025: 1–8 October off; Saturday 11 October is a make-up working day
    assert left(beijing(2025, 10, 9, 9, 30), beijing(2025, 9, 30, 17, 0)).amount == 90 * MINUTE
    assert left(beijing(2025, 10, 13, 17, 30), beijing(2025, 10, 10, 17, 30)).parts() == (2, 0, 0)


def test_R19_time_left_follows_the_administrators_overrides(app):
    db.session.add(CalendarOverride(day=date(2025, 3, 17), kind="holiday", note="local holiday"))
    db.session.commit()
    assert left(beijing(2025, 3, 18, 17, 30), beijing(2025, 3, 14, 16, 30)).amount == HOUR + WORKING_DAY


def test_R20_overdue_counts_working_time_since_the_deadline(app):
    friday_close = beijing(2025, 3, 14, 17, 30)
    assert left(friday_close, beijing(2025, 3, 17, 10, 30)) == lights.Remaining(2 * HOUR, True, WORKING_DAY)
    assert left(beijing(2025, 3, 17, 17, 30), beijing(2025, 3, 20, 17, 30)).parts() == (3, 0, 0)
    # over the weekend no working time has passed: overdue, without an amount
    saturday = beijing(2025, 3, 15, 11, 0)
    assert left(friday_close, saturday) == lights.Remaining(timedelta(0), True, WORKING_DAY)


def test_R14_an_evening_call_back_shows_the_clock_time_it_really_has(app):
    # a 30-minute first contact at 20:00: no working time before 20:30, yet 30 real minutes
    now = beijing(2025, 3, 11, 20, 0)
    remaining = left(calendar.add(now, 30, "minutes"), now)
    assert remaining == lights.Remaining(30 * MINUTE, False, None) and remaining.parts() == (0, 0, 30)


def test_R20_time_left_far_beyond_the_weeks_around_now(app):
    # Tuesday 08:30: the whole day plus 100 working days until the close of the 100th
    now = beijing(2025, 3, 11, 8, 30)
    assert left(calendar.add(now, 100, "working_days"), now).amount == 101 * WORKING_DAY
    assert left(now, calendar.add(now, 100, "working_days")).amount == 101 * WORKING_DAY


def test_R20_time_left_costs_no_query_per_row(app):
    # given one page's basis that has answered once
    at = lights.basis(beijing(2025, 3, 11, 10, 0))
    lights.remaining(beijing(2025, 3, 12, 10, 0), at)
    statements = []
    listener = lambda *args: statements.append(1)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        # when 50 rows due over the coming and past weeks are judged
        for n in range(50):
            lights.remaining(beijing(2025, 3, 11, 10, 0) + timedelta(hours=7 * n - 150), at)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    # then no further query ran
    assert statements == []


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(now=moments, hours=st.floats(0.01, 400))
def test_R20_time_left_agrees_with_the_deadline_arithmetic(app, now, hours):
    """A limit of N working hours leaves exactly N working hours at its start."""
    remaining = left(calendar.add(now, hours, "working_hours"), now)
    assert not remaining.overdue
    assert abs(remaining.amount - timedelta(hours=hours)) < timedelta(milliseconds=1)
