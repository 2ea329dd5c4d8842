"""Red/yellow/blue lights for the remaining time of an open item (R20), and the time left beside them.

`light(start, due, at)` (all naive UTC):

* "blue" when there is no deadline (`due` is None);
* "red" when the deadline has passed: now > due (at exactly `due` the item is still on time);
* "yellow" when remaining ≤ yellow_share × (due − start): the share of the step's OWN limit, the
  administrators' Setting "yellow_share" (default 0.25). There is no fixed "less than a working
  day" rule, so a step whose whole limit is a working day or less (the 30-minute first contact)
  is blue when it starts and turns yellow only in the last share of its time;
* "blue" otherwise.

`remaining(due, at)` is the time beside the light ("剩 1 工作日 3 小时", "超期 2 小时"):

* it counts WORKING time only (app/timelimits/calendar.WorkingTime: working hours, weekends,
  holidays, make-up working days), before the deadline and, once overdue, since it too — an item
  due on Friday evening is not "two days overdue" on Monday morning;
* one exception: when no working time is left before a deadline that has not passed (an absolute
  limit such as the 30-minute call-back running in the evening), the wall-clock time left is
  given, since that is what the handler really has;
* every row of a page is judged against one `Basis`: the calendar of the weeks around now is read
  once, then each row is arithmetic.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

from app.timelimits import calendar
from app.timelimits.limits import yellow_share

BLUE, YELLOW, RED = "blue", "yellow", "red"


@dataclass(frozen=True)
class Basis:
    """What every light of one page or response is judged against, read once (not per row)."""

    now: datetime
    share: float

    @cached_property
    def working_time(self) -> calendar.WorkingTime:
        """The calendar around `now`, read only when a page asks for time left."""
        return calendar.WorkingTime(self.now)


def basis(now: datetime) -> Basis:
    return Basis(now, yellow_share())


def light(start: datetime, due: datetime | None, at: Basis) -> str:
    """The light for an item that started at `start` and is due at `due`, judged at `at`."""
    if due is None:
        return BLUE
    if at.now > due:
        return RED
    if due - at.now <= (due - start) * at.share:
        return YELLOW
    return BLUE


@dataclass(frozen=True)
class Remaining:
    """Time left before a deadline (or past it, when `overdue`). `working_day` is the length of one
    working day to count `amount` in, or None when `amount` is wall-clock time (hours and minutes
    only)."""

    amount: timedelta
    overdue: bool
    working_day: timedelta | None

    def parts(self) -> tuple[int, int, int]:
        """(working days, hours, minutes), rounded down."""
        days, rest = divmod(self.amount, self.working_day) if self.working_day else (0, self.amount)
        hours, rest = divmod(rest, timedelta(hours=1))
        return days, hours, rest // timedelta(minutes=1)


def remaining(due: datetime | None, at: Basis) -> Remaining | None:
    """The time left before `due` judged at `at` (None without a deadline); see the module doc."""
    if due is None:
        return None
    clock = at.working_time
    if at.now > due:
        return Remaining(clock.between(due, at.now), True, clock.day_length)
    left = clock.between(at.now, due)
    if left <= timedelta(0):
        return Remaining(due - at.now, False, None)
    return Remaining(left, False, clock.day_length)
