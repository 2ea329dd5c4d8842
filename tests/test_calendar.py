"""The working-day calendar (R19): official holidays and make-up weekends, overrides, deadlines."""
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.timelimits import calendar
from app.timelimits.models import CalendarOverride, Setting

SHANGHAI = ZoneInfo("Asia/Shanghai")
CLOSE = time(17, 30)
PROPERTY = settings(max_examples=50, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def utc(local: datetime) -> datetime:
    """Naive UTC for a naive Asia/Shanghai wall-clock time."""
    return local.replace(tzinfo=SHANGHAI).astimezone(UTC).replace(tzinfo=None)


def local(naive_utc: datetime) -> datetime:
    return naive_utc.replace(tzinfo=UTC).astimezone(SHANGHAI).replace(tzinfo=None)


def override(day: date, kind: str) -> None:
    db.session.add(CalendarOverride(day=day, kind=kind, note="test"))
    db.session.commit()


local_starts = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31, 23, 59))


# --- is_working_day --------------------------------------------------------------------------

def test_given_library_calendar_when_checking_2026_days_then_holidays_and_makeup_days_apply(app):
    assert not calendar.is_working_day(date(2026, 10, 1))   # National Day
    assert not calendar.is_working_day(date(2026, 10, 7))   # day off swapped from 10 Oct
    assert calendar.is_working_day(date(2026, 10, 10))      # make-up working Saturday
    assert calendar.is_working_day(date(2026, 9, 30))       # plain Wednesday
    assert not calendar.is_working_day(date(2026, 9, 26))   # plain Saturday
    assert not calendar.is_working_day(date(2027, 10, 1))   # rule-based holiday, unannounced year


def test_given_overrides_when_checking_then_they_win_over_the_library(app):
    override(date(2026, 9, 16), "holiday")   # a Wednesday
    override(date(2026, 9, 13), "workday")   # a Sunday
    override(date(2026, 10, 10), "holiday")  # library make-up Saturday
    assert not calendar.is_working_day(date(2026, 9, 16))
    assert calendar.is_working_day(date(2026, 9, 13))
    assert not calendar.is_working_day(date(2026, 10, 10))


# --- working_days ----------------------------------------------------------------------------

def test_given_receipt_before_national_day_when_adding_5_working_days_then_due_close_of_13_oct(app):
    start = utc(datetime(2026, 9, 30, 10, 0))
    due = calendar.add(start, 5, "working_days")
    # Oct 8, 9, 10 (make-up Saturday), 12, 13; 1-7 Oct are holidays.
    assert local(due) == datetime(2026, 10, 13, 17, 30)
    assert due == datetime(2026, 10, 13, 9, 30)


def test_given_receipt_late_in_the_evening_when_adding_working_days_then_receipt_day_is_not_counted(app):
    # 23:30 local on Wed 2026-09-16 is still 15:30 UTC of the same day.
    due = calendar.add(utc(datetime(2026, 9, 16, 23, 30)), 1, "working_days")
    assert local(due) == datetime(2026, 9, 17, 17, 30)
    # 00:30 local on Thu is Wed 16:30 UTC: the local date decides.
    due = calendar.add(utc(datetime(2026, 9, 17, 0, 30)), 1, "working_days")
    assert local(due) == datetime(2026, 9, 18, 17, 30)


def test_given_mid_december_when_adding_20_working_days_then_crosses_into_2027_on_a_working_day(app):
    due = calendar.add(utc(datetime(2026, 12, 15, 9, 0)), 20, "working_days")
    due_local = local(due)
    assert due_local.year == 2027
    assert due_local.time() == CLOSE
    assert calendar.is_working_day(due_local.date())
    assert not calendar.is_working_day(date(2027, 1, 1))  # rule-based New Year, no announcement


def test_given_override_holiday_on_a_weekday_when_adding_working_days_then_it_is_skipped(app):
    start = utc(datetime(2026, 9, 14, 10, 0))  # Monday
    assert local(calendar.add(start, 2, "working_days")).date() == date(2026, 9, 16)
    override(date(2026, 9, 15), "holiday")
    assert local(calendar.add(start, 2, "working_days")).date() == date(2026, 9, 17)


def test_given_override_workday_on_a_sunday_when_adding_working_days_then_it_is_counted(app):
    start = utc(datetime(2026, 9, 11, 10, 0))  # Friday
    assert local(calendar.add(start, 1, "working_days")).date() == date(2026, 9, 14)
    override(date(2026, 9, 13), "workday")
    assert local(calendar.add(start, 1, "working_days")) == datetime(2026, 9, 13, 17, 30)


def test_given_fraction_of_working_days_when_adding_then_value_error(app):
    with pytest.raises(ValueError):
        calendar.add(utc(datetime(2026, 9, 14, 10, 0)), 1.5, "working_days")
    with pytest.raises(ValueError):
        calendar.add(utc(datetime(2026, 9, 14, 10, 0)), 1, "fortnights")


def test_given_custom_working_hours_when_adding_working_days_then_due_at_custom_close(app):
    db.session.add(Setting(key="working_hours", value=[["09:00", "12:00"], ["14:00", "18:00"]]))
    db.session.commit()
    assert calendar.working_hours() == [(time(9), time(12)), (time(14), time(18))]
    due = calendar.add(utc(datetime(2026, 9, 14, 10, 0)), 1, "working_days")
    assert local(due) == datetime(2026, 9, 15, 18, 0)


def test_given_no_setting_when_reading_working_hours_then_default(app):
    assert calendar.working_hours() == [(time(8, 30), time(12)), (time(13, 30), time(17, 30))]


@PROPERTY
@given(start_local=local_starts, n=st.integers(min_value=1, max_value=30))
def test_given_any_start_when_adding_n_working_days_then_nth_working_day_after_receipt_at_close(
        app, start_local, n):
    start = utc(start_local)
    due = calendar.add(start, n, "working_days")
    due_local = local(due)
    assert due > start
    assert due_local.time() == CLOSE
    assert calendar.is_working_day(due_local.date())
    days = (due_local.date() - start_local.date()).days
    between = [start_local.date() + timedelta(days=i) for i in range(1, days + 1)]
    assert sum(calendar.is_working_day(d) for d in between) == n


# --- plain arithmetic ------------------------------------------------------------------------

@PROPERTY
@given(start=local_starts, amount=st.integers(min_value=0, max_value=100_000),
       unit=st.sampled_from(["minutes", "hours", "calendar_days"]))
def test_given_plain_units_when_adding_then_plain_arithmetic(app, start, amount, unit):
    step = {"minutes": timedelta(minutes=1), "hours": timedelta(hours=1),
            "calendar_days": timedelta(days=1)}[unit]
    amount = amount % 2000 if unit == "calendar_days" else amount
    assert calendar.add(start, amount, unit) == start + amount * step


def test_given_fractional_hours_when_adding_then_plain_arithmetic(app):
    start = datetime(2026, 9, 14, 2, 0)
    assert calendar.add(start, 1.5, "hours") == datetime(2026, 9, 14, 3, 30)
    assert calendar.add(start, 0.5, "calendar_days") == datetime(2026, 9, 14, 14, 0)


# --- working_hours ---------------------------------------------------------------------------

def test_given_morning_start_when_adding_working_hours_then_lunch_is_skipped(app):
    due = calendar.add(utc(datetime(2026, 9, 16, 11, 0)), 2, "working_hours")
    assert local(due) == datetime(2026, 9, 16, 14, 30)


def test_given_afternoon_start_when_adding_working_hours_then_night_is_skipped(app):
    due = calendar.add(utc(datetime(2026, 9, 16, 16, 30)), 3, "working_hours")
    assert local(due) == datetime(2026, 9, 17, 10, 30)


def test_given_friday_afternoon_when_adding_working_hours_then_weekend_is_skipped(app):
    due = calendar.add(utc(datetime(2026, 9, 11, 17, 0)), 1, "working_hours")
    assert local(due) == datetime(2026, 9, 14, 9, 0)


def test_given_makeup_sunday_when_adding_working_hours_then_it_is_counted(app):
    due = calendar.add(utc(datetime(2026, 9, 18, 17, 0)), 1, "working_hours")
    assert local(due) == datetime(2026, 9, 20, 9, 0)  # 20 Sep 2026 is a make-up working Sunday


def test_given_start_at_night_when_adding_working_hours_then_counting_starts_next_morning(app):
    due = calendar.add(utc(datetime(2026, 9, 16, 22, 0)), 0.5, "working_hours")
    assert local(due) == datetime(2026, 9, 17, 9, 0)


def test_given_limit_using_up_the_morning_when_adding_working_hours_then_due_at_noon(app):
    due = calendar.add(utc(datetime(2026, 9, 16, 8, 30)), 3.5, "working_hours")
    assert local(due) == datetime(2026, 9, 16, 12, 0)


def _working_time_between(start: datetime, end: datetime) -> timedelta:
    total = timedelta(0)
    day = start.date()
    while day <= end.date():
        if calendar.is_working_day(day):
            for begin, close in calendar.working_hours():
                a = max(datetime.combine(day, begin), start)
                b = min(datetime.combine(day, close), end)
                total += max(b - a, timedelta(0))
        day += timedelta(days=1)
    return total


@PROPERTY
@given(start_local=local_starts, quarters=st.integers(min_value=1, max_value=200))
def test_given_any_start_when_adding_working_hours_then_exactly_that_much_working_time(
        app, start_local, quarters):
    hours = quarters / 4
    due_local = local(calendar.add(utc(start_local), hours, "working_hours"))
    assert due_local > start_local
    assert _working_time_between(start_local, due_local) == timedelta(hours=hours)
    assert calendar.is_working_day(due_local.date())
    assert any(begin < due_local.time() <= close for begin, close in calendar.working_hours())


# --- next_year_unconfirmed -------------------------------------------------------------------

def test_given_a_date_before_december_when_checking_next_year_then_false(app):
    assert not calendar.next_year_unconfirmed(date(2040, 11, 30))


def test_given_december_and_nothing_known_for_next_year_when_checking_then_true(app):
    assert calendar.next_year_unconfirmed(date(2040, 12, 1))
    assert calendar.next_year_unconfirmed(date(2040, 12, 31))


def test_given_december_and_an_override_for_next_year_when_checking_then_false(app):
    override(date(2041, 2, 9), "workday")
    assert not calendar.next_year_unconfirmed(date(2040, 12, 1))


def test_given_december_and_library_knows_next_year_when_checking_then_false(app):
    assert not calendar.next_year_unconfirmed(date(2025, 12, 1))  # 2026 is announced


def test_given_an_override_in_another_year_when_checking_then_still_true(app):
    override(date(2040, 12, 20), "holiday")
    override(date(2042, 1, 2), "holiday")
    assert calendar.next_year_unconfirmed(date(2040, 12, 1))


# --- performance -----------------------------------------------------------------------------

def test_given_a_deadline_when_computing_then_one_override_query(app):
    from sqlalchemy import event
    statements = []

    def count(conn, cursor, statement, *args):
        if "calendar_override" in statement:
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        calendar.add(utc(datetime(2026, 9, 30, 10, 0)), 20, "working_days")
        calendar.add(utc(datetime(2026, 9, 30, 10, 0)), 40, "working_hours")
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 2
