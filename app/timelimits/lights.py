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
from datetime import datetime

from app.timelimits import calendar
from app.timelimits.limits import yellow_share

BLUE, YELLOW, RED = "blue", "yellow", "red"


def light(start: datetime, due: datetime | None, now: datetime, share: float | None = None) -> str:
    """The light for an item that started at `start` and is due at `due`, seen at `now`.
    `share` overrides the yellow-share setting (otherwise it is read from the database)."""
    if due is None:
        return BLUE
    if now > due:
        return RED
    share = yellow_share() if share is None else share
    if due - now <= (due - start) * share:
        return YELLOW
    if due <= calendar.add(now, 1, "working_days"):
        return YELLOW
    return BLUE
