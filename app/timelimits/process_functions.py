"""Functions BPMN expressions and scripts call for time limits (registered with the script engine).

- `deadline(phase)` in a timer's timeDate: when the phase's limit runs out, for this case's type,
  class, complexity and level (read from the task data), counted from now — or, when the task
  data holds `<phase>_since` (an ISO time the process set when the phase began, e.g.
  `handling_since`), from then, so re-entering a task (a reply sent back, an extension decided)
  keeps the unit's clock. `<phase>_due` (set by an approved extension) replaces the limit.
- `deadline(phase, "reminder")`: when the warning light turns yellow: the limit's last
  `yellow_share` (default 25%) begins; a non-interrupting reminder timer waits for it.
- `send_reminder(phase)` and `mark_overdue(phase)` in the script tasks after those timers:
  history, supervision list (待督办) and notifications through the outbox, all in the same
  transaction as the timer firing.

No number of days lives in a BPMN file or here: the limits come from the time-limit table.
"""
from datetime import UTC, datetime
from typing import Any

from flask_babel import force_locale
from sqlalchemy import select

from app.clock import to_naive_utc, utcnow
from app.engine import history
from app.engine.scripting import current_task_data, register
from app.extensions import db
from app.i18n import DEFAULT_LOCALE, N_, message_text
from app.organisation.models import Territory, Unit
from app.statistics import facts
from app.timelimits import limits
from app.timelimits.models import SupervisionItem

DIMENSIONS = ("request_type", "klass", "complexity", "level")


def _facts() -> dict:
    data = current_task_data.get() or {}
    return {name: data.get(name) for name in DIMENSIONS}


def parse_iso(value: str) -> datetime:
    return to_naive_utc(datetime.fromisoformat(value))


def due_times(phase: str, start: datetime, facts: dict) -> tuple[datetime, datetime]:
    """(reminder, due) for a phase started at `start` (naive UTC)."""
    due = limits.deadline_for(phase, start, **facts)
    if due is None:
        raise LookupError(f"no time limit for phase '{phase}' ({facts}); add one in the time-limit table")
    reminder = due - (due - start) * limits.yellow_share()
    return reminder, due


def iso_utc(moment: datetime) -> str:
    return moment.replace(tzinfo=UTC).isoformat()


def phase_times(phase: str, data: dict[str, Any], default_start: datetime) -> tuple[datetime, datetime]:
    """(reminder, due) of `phase` for a task with `data`: counted from `<phase>_since` when the
    process keeps a clock for the phase (else from `default_start`), ending at `<phase>_due` when
    an extension set one."""
    since, extended = data.get(f"{phase}_since"), data.get(f"{phase}_due")
    start = parse_iso(since) if since else default_start
    if extended:
        due = parse_iso(extended)
        return due - (due - start) * limits.yellow_share(), due
    return due_times(phase, start, {name: data.get(name) for name in DIMENSIONS})


@register()
def deadline(phase: str, part: str = "due") -> str:
    """ISO timestamp for a timeDate timer: the phase's deadline, or its reminder time."""
    if part not in ("due", "reminder"):
        raise ValueError("deadline(phase, part): part is 'due' or 'reminder'")
    reminder, due = phase_times(phase, current_task_data.get() or {}, utcnow())
    return iso_utc(due if part == "due" else reminder)


@register()
def auto_escalate(phase: str) -> bool:
    """Whether an overdue item of this phase also goes up a level by itself (a table setting)."""
    row = limits.find_limit(phase, **_facts())
    return bool(row and row.auto_escalate)


def _unit_and_parent_level(unit_id: int | None) -> list[int]:
    """The unit and the units one territory up (the level above is told and supervises, R21)."""
    if unit_id is None:
        return []
    unit = db.session.get(Unit, unit_id)
    ids = [unit_id]
    if unit is not None and unit.territory_id is not None:
        parent_id = db.session.scalar(select(Territory.parent_id).where(Territory.id == unit.territory_id))
        if parent_id is not None:
            ids += list(db.session.scalars(select(Unit.id).where(Unit.territory_id == parent_id,
                                                                   Unit.kind != "department")))
    return ids


def _phase_name(phase: str) -> str:
    """The phase's name in the default locale (built in: the catalogue; added: its Chinese name)."""
    from app.web.labels import phase_label

    with force_locale(DEFAULT_LOCALE):
        return phase_label(phase)


def _notify(kind: str, text: str, unit_ids: list[int], case_id: int) -> None:
    from app.notifications.outbox import notify_units

    notify_units(kind, text, unit_ids, roles=("handler", "leader", "platform_supervisor"), case_id=case_id)


@register()
def send_reminder(phase: str) -> bool:
    """催办: the limit is nearly used up; tell the unit holding the case."""
    data = current_task_data.get() or {}
    case_id, unit_id = data["case_id"], data.get("unit_id")
    history.record(case_id, "reminder", payload={"phase": phase})
    _notify("reminder", message_text(N_("Reminder: the time limit of the step %(phase)s is nearly up."),
                                     phase=_phase_name(phase)),
            [unit_id] if unit_id else [], case_id)
    return True


@register()
def mark_overdue(phase: str, unit_id: int | None = None) -> bool:
    """超期: record it, put it on the supervision list of this level and the one above, notify them.

    The unit is the one holding the case (`unit_id` of the task data) unless given, e.g. the
    platform centre for an overdue dispatch. A case already on a unit's list is not added twice.
    """
    data = current_task_data.get() or {}
    case_id = data["case_id"]
    units = _unit_and_parent_level(unit_id if unit_id is not None else data.get("unit_id"))
    history.record(case_id, "overdue", payload={"phase": phase, "units": units})
    facts.overdue(case_id, phase)
    listed = set(db.session.scalars(select(SupervisionItem.unit_id).where(
        SupervisionItem.case_id == case_id, SupervisionItem.kind == "overdue",
        SupervisionItem.resolved_at.is_(None))))
    for unit in units:
        if unit not in listed:
            db.session.add(SupervisionItem(case_id=case_id, unit_id=unit, kind="overdue"))
    _notify("overdue", message_text(N_("Overdue: the time limit of the step %(phase)s has passed."),
                                    phase=_phase_name(phase)), units, case_id)
    return True
