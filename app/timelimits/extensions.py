"""Extensions (延期, R22): once the platform approves a new date, the phase's deadline moves there,
the reminder moves with it, the timeline records it and the requester is told the new date.

The approval itself is a step of the process (the complaint process issue); this module is what
that step calls. A new date must be later than the current one and within the phase's
`extension_max` limit counted from when the phase began.
"""
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from app.cases.models import Case
from app.engine.errors import InvalidData, NotFound
from app.engine.models import Timer
from app.extensions import db
from app.notifications.outbox import enqueue_to_requester
from app.timelimits import limits
from app.timelimits.reapply import move_timers, waiting_deadline_timers


def extend(case_id: int, phase: str, new_due: datetime, actor_id: int | None, reason: str) -> int:
    """Move the case's pending `phase` deadline to `new_due` (naive UTC); returns timers moved."""
    pending = waiting_deadline_timers(phase, case_id)
    if not pending:
        raise NotFound(f"case {case_id} has no pending {phase} deadline")
    if not reason.strip():
        raise InvalidData("a reason is required", {"reason": ["give the reason for the extension"]})
    [(instance_id, timers)] = pending.items()
    started = min(started_at for _, started_at in timers.values())
    current_due = db.session.scalar(select(Timer.due_at).where(Timer.id.in_(timers)).order_by(
        Timer.due_at.desc()).limit(1))
    if new_due <= current_due:
        raise InvalidData("the new date must be later", {"new_due": ["must be after the current deadline"]})
    furthest = limits.deadline_for("extension_max", started)
    if furthest is not None and new_due > furthest:
        raise InvalidData("beyond the longest extension",
                          {"new_due": [f"must not be after {furthest.isoformat()}Z (extension_max)"]})

    def new_times(_task, started_at):
        return new_due - (new_due - started_at) * limits.yellow_share(), new_due

    case = db.session.get(Case, case_id)
    if case.requester_phone:  # queued first, so it commits (or rolls back) with the move itself
        local = new_due.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(current_app.config["TIMEZONE"]))
        enqueue_to_requester("extension", f"您的诉求 {case.number} 答复时间延至 {local:%Y-%m-%d %H:%M}。",
                             case.requester_phone, case_id)
    return move_timers(instance_id, timers, phase, actor_id, new_times, event="deadline_extended",
                       note=reason)
