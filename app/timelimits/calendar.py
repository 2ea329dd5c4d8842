"""The working-day calendar (R19) and deadline arithmetic for time limits (R18, R23).

Decisions
---------
* Source of China's official calendar: the ``holidays`` library, not ``chinesecalendar``.
  ``chinesecalendar`` raises ``NotImplementedError`` for any year it has no data for (e.g. 2027),
  which would stop every deadline computation on 1 January. ``holidays`` computes rule-based
  holidays (Spring Festival, Qingming, Dragon Boat, Mid-Autumn, National Day, ...) for any year,
  so the calendar keeps working across year boundaries.
* Make-up working weekends (调休, ``China().weekend_workdays``) exist in the library only for
  years the State Council has announced (it publishes each arrangement in November/December).
  For other years the library gives only the statutory holidays and weekends are days off.
* Administrators fill the gap with ``CalendarOverride`` rows ("holiday" or "workday"), which
  win over the library. From 1 December ``next_year_unconfirmed`` tells the admin dashboard
  when next year's arrangement is unknown (no library make-up days, no override); deadlines
  still compute meanwhile.
* Precedence in ``is_working_day`` (one function, ``_decide``, also behind ``year_days`` and
  ``day_info``, which administrators see): override > library holiday > library make-up workday >
  Monday–Friday.
* Times: ``add`` takes and returns NAIVE UTC (as stored); working-day/hour arithmetic happens in
  the local zone ``app.config["TIMEZONE"]`` (default Asia/Shanghai).
* Units of ``add``:
  - ``minutes``, ``hours``: absolute durations (UTC arithmetic). Fractions allowed.
  - ``calendar_days``: same local wall-clock time N days later (identical to UTC arithmetic in
    zones without DST, e.g. China). Fractions allowed.
  - ``working_days``: N working days after the day of receipt; due at the CLOSE (end of the last
    working-hours interval) of the Nth working day strictly after the local receipt day, however
    late in the day the item arrived. Fractions are REJECTED with ``ValueError`` (use
    ``working_hours`` for sub-day limits). N = 0 means the close of the receipt day if it is a
    working day, else of the next working day.
  - ``working_hours``: only time inside the working-hours intervals of working days counts
    (lunch, nights, weekends and holidays are skipped). Fractions allowed. A limit that uses up
    an interval exactly ends at that interval's end, not at the start of the next one.
* Performance: the library's per-year data are cached in a module-level dict of frozensets
  (immutable); overrides for the needed date range are read with one query per call (a further
  query only if a walk runs past the generously sized window, which needs many override
  holidays in a row).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
from flask import current_app

from app.clock import to_naive_utc
from app.extensions import db
from app.timelimits.models import CalendarOverride, Setting

DEFAULT_WORKING_HOURS: tuple[tuple[time, time], ...] = (
    (time(8, 30), time(12, 0)),
    (time(13, 30), time(17, 30)),
)
UNITS = ("minutes", "hours", "calendar_days", "working_days", "working_hours")
#: The years the calendar answers for (administrators' questions and overrides).
YEAR_MIN, YEAR_MAX = 1900, 2200
#: Why a date is or is not a working day, in the order of precedence of ``_decide``.
REASONS = ("override", "official_holiday", "official_workday", "weekday", "weekend")

# year -> (library holidays dated in that year, library make-up working days dated in that year)
_YEARS: dict[int, tuple[frozenset[date], frozenset[date]]] = {}


def _library_year(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """The library's holidays and make-up workdays of one year, computed once per process.

    Make-up days are registered with the arrangement they belong to, which may be the next
    year's (a late-December Saturday worked for New Year), so years y and y+1 are populated.
    """
    cached = _YEARS.get(year)
    if cached is None:
        china = holidays.China(years=(year, year + 1))
        days_off = frozenset(d for d in china if d.year == year)
        workdays = frozenset(d for d in getattr(china, "weekend_workdays", ()) if d.year == year)
        cached = _YEARS[year] = (days_off, workdays)
    return cached


def _decide(day: date, override_kind: str | None) -> tuple[bool, str]:
    """(is a working day, why: one of REASONS) — the one precedence rule of the calendar."""
    if override_kind == "holiday":
        return False, "override"
    if override_kind == "workday":
        return True, "override"
    days_off, workdays = _library_year(day.year)
    if day in days_off:
        return False, "official_holiday"
    if day in workdays:
        return True, "official_workday"
    return (True, "weekday") if day.weekday() < 5 else (False, "weekend")


class _Overrides:
    """Override rows for a date window, loaded with one query; widened on demand."""

    def __init__(self, first: date, last: date) -> None:
        self.kinds: dict[date, str] = {}
        self.first = first
        self.last = first - timedelta(days=1)  # nothing loaded yet
        self._load(first, last)

    def _load(self, first: date, last: date) -> None:
        rows = db.session.execute(
            db.select(CalendarOverride.day, CalendarOverride.kind)
            .where(CalendarOverride.day >= first, CalendarOverride.day <= last)
        )
        self.kinds.update({day: kind for day, kind in rows})
        self.first = min(self.first, first)
        self.last = max(self.last, last)

    def is_working_day(self, day: date) -> bool:
        if day > self.last:
            self._load(self.last + timedelta(days=1), max(day, self.last + timedelta(days=60)))
        elif day < self.first:
            self._load(day, self.first - timedelta(days=1))
        return _decide(day, self.kinds.get(day))[0]


def is_working_day(day: date) -> bool:
    """Whether ``day`` is a working day: override, then library holiday/make-up day, then Mon–Fri."""
    return _Overrides(day, day).is_working_day(day)


@dataclass(frozen=True)
class CalendarDay:
    """One date as the calendar sees it, with the reason (REASONS) and the holiday's name from the
    library or the administrator's note on an override."""

    day: date
    working_day: bool
    reason: str
    note: str = ""


def _describe(day: date, override: CalendarOverride | None, names) -> CalendarDay:
    working, reason = _decide(day, override.kind if override else None)
    if override is not None:
        return CalendarDay(day, working, reason, override.note)
    return CalendarDay(day, working, reason, names.get(day, "") if reason == "official_holiday" else "")


def _names(year: int, language: str):
    return holidays.China(years=(year, year + 1), language=language)


def year_days(year: int, language: str = "en_US") -> list[CalendarDay]:
    """Every date of `year` as deadlines count it, and why; names in `language` (one of the
    library's: en_US, zh_CN, zh_TW, th). Two queries' worth of work, not one per date."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    overrides = {row.day: row for row in db.session.scalars(
        db.select(CalendarOverride).where(CalendarOverride.day >= first, CalendarOverride.day <= last))}
    names = _names(year, language)
    return [_describe(first + timedelta(days=n), overrides.get(first + timedelta(days=n)), names)
            for n in range((last - first).days + 1)]


def official_days(year: int, language: str = "en_US") -> list[CalendarDay]:
    """The official holidays and make-up working days of `year` as the library knows them, without
    the administrators' overrides (what they override is still shown to them)."""
    names = _names(year, language)
    days_off, workdays = _library_year(year)
    return sorted([CalendarDay(d, False, "official_holiday", names.get(d, "")) for d in days_off]
                  + [CalendarDay(d, True, "official_workday") for d in workdays], key=lambda d: d.day)


def day_info(day: date, language: str = "en_US") -> CalendarDay:
    """One date as ``year_days`` describes it."""
    return _describe(day, db.session.get(CalendarOverride, day), _names(day.year, language))


def _parse_time(value: str) -> time:
    return time.fromisoformat(value)


def working_hours() -> list[tuple[time, time]]:
    """The daily working-hours intervals (Setting "working_hours"), sorted; default 08:30–12:00,
    13:30–17:30. Raises ValueError on a malformed setting (empty, end before start, overlap)."""
    row = db.session.get(Setting, "working_hours")
    if row is None or row.value is None:
        return list(DEFAULT_WORKING_HOURS)
    intervals = sorted((_parse_time(a), _parse_time(b)) for a, b in row.value)
    if not intervals:
        raise ValueError("setting working_hours is empty")
    for (start, end), following in zip(intervals, [*intervals[1:], None], strict=True):
        if end <= start:
            raise ValueError(f"working-hours interval {start}–{end} ends before it starts")
        if following is not None and following[0] < end:
            raise ValueError(f"working-hours intervals overlap at {following[0]}")
    return intervals


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("TIMEZONE", "Asia/Shanghai"))


def _to_utc(local: datetime) -> datetime:
    return local.astimezone(UTC).replace(tzinfo=None)


def _window_days(amount: float, per_day: float = 1.0) -> int:
    """Calendar days that comfortably hold ``amount`` working days (7 per 5, plus holidays)."""
    return math.ceil(amount / per_day * 7 / 5) + 31


def add(start: datetime, amount: float, unit: str) -> datetime:
    """The deadline of a limit of ``amount`` ``unit`` starting at ``start`` (both naive UTC)."""
    if unit not in UNITS:
        raise ValueError(f"unknown time-limit unit {unit!r}")
    if amount < 0 or not math.isfinite(amount):
        raise ValueError(f"time-limit amount must be a non-negative number, not {amount!r}")
    start = to_naive_utc(start)
    if unit == "minutes":
        return start + timedelta(minutes=amount)
    if unit == "hours":
        return start + timedelta(hours=amount)
    zone = _zone()
    local = start.replace(tzinfo=UTC).astimezone(zone)
    if unit == "calendar_days":
        wall = local.replace(tzinfo=None) + timedelta(days=amount)
        return _to_utc(wall.replace(tzinfo=zone))
    intervals = working_hours()
    receipt = local.date()
    if unit == "working_days":
        if amount != int(amount):
            raise ValueError("fractions of working days are not supported; use working_hours")
        return _add_working_days(receipt, int(amount), intervals, zone)
    return _add_working_hours(local, amount, intervals, zone)


def _add_working_days(receipt: date, n: int, intervals: list[tuple[time, time]],
                      zone: ZoneInfo) -> datetime:
    overrides = _Overrides(receipt, receipt + timedelta(days=_window_days(n)))
    day = receipt
    if n == 0:
        while not overrides.is_working_day(day):
            day += timedelta(days=1)
    counted = 0
    while counted < n:
        day += timedelta(days=1)
        if overrides.is_working_day(day):
            counted += 1
    return _to_utc(datetime.combine(day, intervals[-1][1], tzinfo=zone))


def _add_working_hours(local: datetime, amount: float, intervals: list[tuple[time, time]],
                       zone: ZoneInfo) -> datetime:
    remaining = timedelta(hours=amount)
    if remaining <= timedelta(0):
        return _to_utc(local)
    per_day = sum(
        (datetime.combine(date.min, b) - datetime.combine(date.min, a)).total_seconds() / 3600
        for a, b in intervals
    )
    day = local.date()
    overrides = _Overrides(day, day + timedelta(days=_window_days(amount, per_day)))
    now = local.replace(tzinfo=None)  # local wall clock
    while True:
        if overrides.is_working_day(day):
            for begin, end in intervals:
                segment_start = max(datetime.combine(day, begin), now)
                segment_end = datetime.combine(day, end)
                if segment_end <= segment_start:
                    continue
                available = segment_end - segment_start
                if remaining <= available:
                    return _to_utc((segment_start + remaining).replace(tzinfo=zone))
                remaining -= available
        day += timedelta(days=1)


class WorkingTime:
    """Working time between instants, for the many rows of one page (the time left beside each
    light, R20): the working days of a window around ``around`` are read once (one override
    query) into running totals, so each question is arithmetic, not a query or a day-by-day walk.
    A moment outside the window widens it once (one more query)."""

    def __init__(self, around: datetime, margin_days: int = 62) -> None:
        self._zone = _zone()
        self._intervals = working_hours()
        self.day_length = sum((datetime.combine(date.min, b) - datetime.combine(date.min, a)
                               for a, b in self._intervals), timedelta(0))
        today = self._local(around).date()
        self._load(today - timedelta(days=margin_days), today + timedelta(days=margin_days))

    def _local(self, moment: datetime) -> datetime:
        return to_naive_utc(moment).replace(tzinfo=UTC).astimezone(self._zone).replace(tzinfo=None)

    def _load(self, first: date, last: date) -> None:
        overrides = _Overrides(first, last)
        self._first, self._last = first, last
        self._working: list[bool] = []
        self._before: list[timedelta] = []  # working time from `first` to the start of each day
        total = timedelta(0)
        for n in range((last - first).days + 1):
            working = overrides.is_working_day(first + timedelta(days=n))
            self._working.append(working)
            self._before.append(total)
            total += self.day_length if working else timedelta(0)

    def _cover(self, *days: date) -> None:
        if min(days) < self._first or max(days) > self._last:
            self._load(min(self._first, min(days) - timedelta(days=31)),
                       max(self._last, max(days) + timedelta(days=31)))

    def _position(self, local: datetime) -> timedelta:
        """Working time from the window's first day up to the local wall-clock ``local``."""
        day = local.date()
        index = (day - self._first).days
        position = self._before[index]
        if self._working[index]:
            for begin, end in self._intervals:
                passed = min(local, datetime.combine(day, end)) - datetime.combine(day, begin)
                position += max(passed, timedelta(0))
        return position

    def between(self, start: datetime, end: datetime) -> timedelta:
        """The working time from ``start`` to ``end`` (naive UTC; negative if end is earlier)."""
        start, end = self._local(start), self._local(end)
        self._cover(start.date(), end.date())
        return self._position(end) - self._position(start)


def next_year_unconfirmed(today: date) -> bool:
    """From 1 December: True if next year's official arrangement is unknown — the library has no
    make-up working days for next year and no override exists for any date of next year."""
    if today.month < 12:
        return False
    year = today.year + 1
    if _library_year(year)[1]:
        return False
    override = db.session.scalar(
        db.select(CalendarOverride.day)
        .where(CalendarOverride.day >= date(year, 1, 1), CalendarOverride.day <= date(year, 12, 31))
        .limit(1)
    )
    return override is None
