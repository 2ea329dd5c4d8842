"""Red/yellow/blue lights for the remaining time of an open item (R20).

`light(start, due, now)` (all naive UTC):

* "blue" when there is no deadline (`due` is None);
* "red" when the deadline has passed: now > due (at exactly `due` the item is still on time);
* "yellow" when little time is left, i.e. either
  - remaining ≤ yellow_share × (due − start), the share being the administrators' Setting
    "yellow_share" (default 0.25), or
  - at most one working day is left: due ≤ calendar.add(now, 1, "working_days"), i.e. the
    deadline falls on or before the close of working hours of the next working day after now's
    local day (the same arithmetic deadlines use: on a Friday anything due by Monday's close is
    yellow; weekends, holidays and make-up working days count as the calendar says);
* "blue" otherwise.
"""
from dataclasses import dataclass
from datetime import datetime

from app.timelimits import calendar
from app.timelimits.limits import yellow_share

BLUE, YELLOW, RED = "blue", "yellow", "red"


@dataclass(frozen=True)
class Basis:
    """What every light of one page or response is judged against, read once (not per row)."""

    now: datetime
    share: float
    horizon: datetime  # the close of the next working day after `now`


def basis(now: datetime) -> Basis:
    return Basis(now, yellow_share(), calendar.add(now, 1, "working_days"))


def light(start: datetime, due: datetime | None, at: Basis) -> str:
    """The light for an item that started at `start` and is due at `due`, judged at `at`."""
    if due is None:
        return BLUE
    if at.now > due:
        return RED
    if due - at.now <= (due - start) * at.share or due <= at.horizon:
        return YELLOW
    return BLUE
