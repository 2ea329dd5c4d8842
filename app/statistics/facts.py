"""The facts statistics count, written in the transaction of the change they record.

The casework services call these as a case moves (they in turn are called by the process,
workflows/complaint.bpmn, through the registered functions): the case row's counters and times,
one `case_assignment` row per unit that holds the case, one `case_rating` row per rating. So
every figure is a plain aggregate over indexed columns — no replay of the timeline — and a
change and the figures it moves are committed together or not at all. The writes are deferred
(app/engine/pipeline.py): they reach the database with the change's next statement.

Which limits count against what (docs/statistics.md): a first-contact or signing-for limit
passing is a late response of the unit holding the case (响应率); a handling or review limit
passing is a late reply (及时率), of that unit and of the case.
"""
from sqlalchemy import bindparam, func, insert, select, update

from app.cases.models import Case
from app.clock import utcnow
from app.engine.transaction import defer, execute
from app.statistics.models import CaseAssignment, CaseRating

RESPONSE_PHASES = ("first_contact", "sign_for")
REPLY_PHASES = ("handling", "unit_review", "platform_review")

_cases, _assignments, _ratings = Case.__table__, CaseAssignment.__table__, CaseRating.__table__
_CURRENT = (select(func.max(_assignments.c.id)).where(_assignments.c.case_id == bindparam("of_case"))
            .scalar_subquery())
_END_CURRENT = (update(_assignments).where(_assignments.c.id == _CURRENT, _assignments.c.ended_at.is_(None))
                .values(ended_at=bindparam("ended")))


def _case(case_id: int, **values) -> None:
    defer(update(_cases).where(_cases.c.id == case_id).values(**values))


def _current(case_id: int, **values) -> None:
    """Update the assignment the case is at now (its latest)."""
    defer(update(_assignments).where(_assignments.c.id == _CURRENT).values(**values), {"of_case": case_id})


def assigned(case_id: int, unit_id: int | None, level: str | None, via: str = "dispatch") -> None:
    """A unit holds the case from now; the unit before it (if any) no longer does."""
    now = utcnow()
    defer(_END_CURRENT, {"of_case": case_id, "ended": now})
    defer(insert(_assignments), {"case_id": case_id, "unit_id": unit_id, "level": level, "via": via,
                                   "assigned_at": now, "late_response": False, "return_overruled": False,
                                   "late_reply": False})
    values = {"dispatched_at": func.coalesce(_cases.c.dispatched_at, now)}
    if via == "second_handling":
        values["second_handled"] = True
    _case(case_id, **values)


def first_contact_made(case_id: int) -> None:
    """The unit signed for the case and called the requester (R14): on time unless its limit
    passed before (`overdue` recorded it). The case keeps its first call: a unit that returned
    the case made none, the unit that took it over did."""
    _current(case_id, responded_at=utcnow(), responded_on_time=~_assignments.c.late_response)
    this_one = (select(_assignments.c.responded_on_time).where(_assignments.c.id == _CURRENT)
                .scalar_subquery())
    defer(update(_cases).where(_cases.c.id == case_id).values(
        responded_on_time=func.coalesce(_cases.c.responded_on_time, this_one)), {"of_case": case_id})


def returned(case_id: int) -> None:
    _current(case_id, returned_at=utcnow())
    _case(case_id, returns=_cases.c.returns + 1)


def return_overruled(case_id: int) -> None:
    """The dispatcher ruled the return unjustified: the returning unit keeps the case."""
    _current(case_id, return_overruled=True)


def escalated(case_id: int) -> None:
    _current(case_id, escalated_at=utcnow())
    _case(case_id, escalations=_cases.c.escalations + 1)


def overdue(case_id: int, phase: str) -> None:
    if phase in RESPONSE_PHASES:
        _current(case_id, late_response=True)
    elif phase in REPLY_PHASES:
        _current(case_id, late_reply=True)
        _case(case_id, late_reply=True)


def extended(case_id: int) -> None:
    _case(case_id, extensions=_cases.c.extensions + 1)


def replied(case_id: int) -> None:
    """The platform released the answer of the unit holding the case."""
    _current(case_id, replied_at=utcnow())


def answered_at_intake(case_id: int) -> None:
    _case(case_id, intake_answered=True)


def rated(case_id: int, satisfaction: str, resolution: str) -> None:
    """One rating of the answer of the unit holding the case (none for an answer at intake)."""
    case = execute(select(_cases.c.unit_id, _cases.c.level, _cases.c.intake_answered, _cases.c.second_handled)
                   .where(_cases.c.id == case_id)).one()
    at_intake = case.intake_answered and case.unit_id is None
    defer(insert(_ratings), {
        "case_id": case_id, "unit_id": None if at_intake else case.unit_id,
        "level": None if at_intake else case.level, "round": 2 if case.second_handled else 1,
        "satisfaction": satisfaction, "resolution": resolution, "rated_at": utcnow(), "excluded": False})


def restarted(case_id: int) -> None:
    _case(case_id, restarted_at=utcnow())


def closed(case_id: int) -> None:
    defer(_END_CURRENT, {"of_case": case_id, "ended": utcnow()})
