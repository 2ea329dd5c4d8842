"""Extensions (延期, R22): a handler asks for more working days; the platform approves or rejects
(steps of the complaint process). Once approved, the phase's deadline becomes the new date — the
process keeps it as `<phase>_due`, so the task's timers and light follow — the timeline records it
and the requester is told the new date by SMS.

The new date is the current deadline plus the requested working days, and may not lie beyond the
phase's `extension_max` limit counted from when the phase began.
"""
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app

from app.cases.models import Case
from app.clock import utcnow
from app.engine import history
from app.extensions import db
from app.i18n import N_, message_text
from app.notifications.outbox import enqueue_to_requester
from app.statistics import facts
from app.timelimits import calendar, limits
from app.timelimits.process_functions import parse_iso, phase_times


def proposed_due(phase: str, data: dict, days: int) -> tuple[datetime, datetime | None]:
    """(the new deadline, the furthest one allowed or None) for `days` more working days."""
    _, current = phase_times(phase, data, utcnow())
    since = data.get(f"{phase}_since")
    started = parse_iso(since) if since else utcnow()
    return calendar.add(current, int(days), "working_days"), limits.deadline_for("extension_max", started)


def allowed(phase: str, data: dict, days) -> bool:
    """Whether an extension by `days` working days stays within extension_max."""
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        return False
    new_due, furthest = proposed_due(phase, data, days)
    return furthest is None or new_due <= furthest


def apply(phase: str, data: dict, days: int, reason: str) -> datetime:
    """The approved new deadline; recorded on the timeline and sent to the requester."""
    if not allowed(phase, data, days):
        raise ValueError(f"an extension by {days} working days goes beyond extension_max")
    new_due, _ = proposed_due(phase, data, days)
    case_id = data["case_id"]
    facts.extended(case_id)
    history.record(case_id, "deadline_extended",
                   payload={"phase": phase, "days": days, "new_due": new_due.isoformat() + "Z",
                            "note": reason})
    case = db.session.get(Case, case_id)
    if case.requester_phone:
        local = new_due.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(current_app.config["TIMEZONE"]))
        enqueue_to_requester("extension", message_text(
            N_("The reply to your request %(number)s is now due by %(due)s."),
            number=case.number, due=f"{local:%Y-%m-%d %H:%M}"),
                             case.requester_phone, case_id)
    return new_due
