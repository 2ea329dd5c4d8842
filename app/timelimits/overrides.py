"""Administrators' calendar overrides (R19): set a date, or a range of dates at once (at most
RANGE_MAX_DAYS, e.g. a week-long holiday), to a holiday or a (make-up) working day, or remove its
override — for the admin API and the calendar page alike. Each change is audited
(app/audit, entity "calendar_override", key the date), deletions too.

Changing an override does not move deadlines already computed (re-apply a phase for that).
Functions flush but do not commit: callers wrap them in `with transaction():`.
"""
from datetime import date, timedelta

from sqlalchemy import select

from app.audit import service as audit
from app.clock import utcnow
from app.engine.errors import InvalidData, NotFound
from app.extensions import db
from app.i18n import N_, Problem
from app.timelimits import calendar
from app.timelimits.models import CalendarOverride

KINDS = ("holiday", "workday")
NOTE_MAX = 200
#: The most dates one range may set at once (a holiday week with its make-up days fits easily).
RANGE_MAX_DAYS = 60


def _snapshot(row: CalendarOverride) -> dict:
    return {"kind": row.kind, "note": row.note}


def list_overrides(year: int | None = None) -> list[CalendarOverride]:
    """Overrides by date, of one year or all."""
    statement = select(CalendarOverride).order_by(CalendarOverride.day)
    if year is not None:
        statement = statement.where(CalendarOverride.day >= date(year, 1, 1),
                                    CalendarOverride.day <= date(year, 12, 31))
    return list(db.session.scalars(statement))


def problems(day: date | None, kind: str, note: str) -> dict[str, list[str]]:
    """What is wrong with an override, by field (`day` None: checked by the caller)."""
    errors = {}
    if day is not None and not calendar.YEAR_MIN <= day.year <= calendar.YEAR_MAX:
        errors["day"] = [Problem(N_("must be in the years %(first)s–%(last)s"), first=calendar.YEAR_MIN,
                                last=calendar.YEAR_MAX)]
    if kind not in KINDS:
        errors["kind"] = [Problem(N_("must be one of: %(choices)s"), choices=", ".join(KINDS))]
    if not isinstance(note, str) or len(note) > NOTE_MAX:
        errors["note"] = [Problem(N_("at most %(max)s characters"), max=NOTE_MAX)]
    return errors


def set_override(day: date, kind: str, note: str = "", actor=None) -> CalendarOverride:
    """Make `day` a holiday or a working day, or change what it is (one row per date)."""
    errors = problems(day, kind, note)
    if errors:
        raise InvalidData("invalid calendar override", errors)
    row = db.session.get(CalendarOverride, day)
    old = _snapshot(row) if row else None
    if row is None:
        row = CalendarOverride(day=day)
        db.session.add(row)
    row.kind, row.note = kind, note
    row.updated_by_id, row.updated_at = getattr(actor, "id", None), utcnow()
    db.session.flush()
    audit.record(actor, "calendar_override", day.isoformat(), "create" if old is None else "update", old,
                 _snapshot(row))
    return row


def range_problems(first: date | None, last: date | None, kind: str, note: str) -> dict[str, list[str]]:
    """What is wrong with a range of overrides, by field "from", "to", "kind", "note" (a date None:
    checked by the caller)."""
    errors = problems(first, kind, note)
    if "day" in errors:
        errors["from"] = errors.pop("day")
    if last is not None and not calendar.YEAR_MIN <= last.year <= calendar.YEAR_MAX:
        errors["to"] = [Problem(N_("must be in the years %(first)s–%(last)s"), first=calendar.YEAR_MIN,
                                last=calendar.YEAR_MAX)]
    elif first is not None and last is not None and last < first:
        errors["to"] = [Problem(N_("must not be before the first date"))]
    elif first is not None and last is not None and (last - first).days >= RANGE_MAX_DAYS:
        errors["to"] = [Problem(N_("at most %(max)s days at once"), max=RANGE_MAX_DAYS)]
    return errors


def set_range(first: date, last: date, kind: str, note: str = "", actor=None) -> list[CalendarOverride]:
    """Make every date from `first` to `last` (inclusive) a holiday or a working day, each audited
    as if set alone; an invalid range changes nothing."""
    errors = range_problems(first, last, kind, note)
    if errors:
        raise InvalidData("invalid calendar override range", errors)
    return [set_override(first + timedelta(days=n), kind, note, actor)
            for n in range((last - first).days + 1)]


def delete_override(day: date, actor=None) -> None:
    """Remove the override of `day` (NotFound if it has none): the date is again what the library
    and the weekday say."""
    row = db.session.get(CalendarOverride, day)
    if row is None:
        raise NotFound(f"no calendar override for {day.isoformat()}")
    audit.record(actor, "calendar_override", day.isoformat(), "delete", _snapshot(row), None)
    db.session.delete(row)
    db.session.flush()
