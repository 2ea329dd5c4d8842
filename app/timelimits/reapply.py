"""Re-apply a changed limit to open cases (R22/R23): every waiting deadline timer of the phase is
recomputed from the moment it started, under the new limit, and moved in the process itself.

Each instance is changed in its own transaction (load -> move -> save, optimistic lock); the
change is written to the case's timeline with the old and new times.
"""
from collections.abc import Callable
from uuid import UUID

from sqlalchemy import select

from app.engine import history, runtime
from app.engine.errors import Conflict
from app.engine.models import ProcessInstance, Timer
from app.engine.repository import parsed_by_id
from app.engine.transaction import execute, transaction
from app.extensions import db
from app.timelimits.process_functions import iso_utc, phase_times

_instances = ProcessInstance.__table__


def waiting_deadline_timers(phase: str, case_id: int | None = None) -> dict[int, dict[str, tuple]]:
    """instance id -> {timer id: (part, started_at)} for waiting timers of `phase` (of one case)."""
    query = (select(Timer.id, Timer.instance_id, Timer.element_id, Timer.started_at,
                    ProcessInstance.definition_id)
             .join(ProcessInstance, ProcessInstance.id == Timer.instance_id).where(Timer.status == "waiting"))
    if case_id is not None:
        query = query.where(ProcessInstance.case_id == case_id)
    rows = db.session.execute(query).all()
    found: dict[int, dict[str, tuple]] = {}
    for timer_id, instance_id, element_id, started_at, definition_id in rows:
        mapped = parsed_by_id(definition_id).deadline_timers.get(element_id)
        if mapped is not None and mapped[0] == phase and started_at is not None:
            found.setdefault(instance_id, {})[timer_id] = (mapped[1], started_at)
    return found


def move_timers(instance_id: int, timers: dict[str, tuple], phase: str, actor_id: int | None,
                new_times: Callable, event: str = "deadline_changed", note: str | None = None) -> int:
    """Set new times on waiting deadline timers of one instance, in one transaction under the
    optimistic lock. `new_times(task, started_at) -> (reminder, due)` gives each timer's times."""
    with transaction():
        row = execute(select(*runtime.INSTANCE_COLUMNS).where(_instances.c.id == instance_id)).first()
        loaded = runtime.load(row)
        moved = []
        for timer_id, (part, started_at) in timers.items():
            task = loaded.workflow.get_task_from_id(UUID(timer_id))
            reminder, due = new_times(task, started_at)
            new_value = iso_utc(due if part == "due" else reminder)
            old_value = task._get_internal_data("event_value")
            if new_value != old_value:
                task._set_internal_data(event_value=new_value)
                moved.append({"element": task.task_spec.bpmn_id, "old": old_value, "new": new_value})
        if moved:
            history.record(loaded.row.case_id, event, instance_id=instance_id, actor_id=actor_id,
                           payload={"phase": phase, "timers": moved, **({"note": note} if note else {})})
            runtime.save(loaded, actor_id, source="timer")
        return len(moved)


def _under_current_limits(phase: str):
    """Times under the changed table, from the phase's clock; an approved extension stays."""
    def new_times(task, started_at):
        return phase_times(phase, task.data, started_at)

    return new_times


def reapply(phase: str, actor_id: int | None = None) -> dict[str, int]:
    """Move every pending deadline timer of `phase`; returns counts of moved timers and of instances
    that changed meanwhile (those keep their timers; run again to catch them)."""
    moved = conflicts = 0
    for instance_id, timers in waiting_deadline_timers(phase).items():
        try:
            moved += move_timers(instance_id, timers, phase, actor_id, _under_current_limits(phase))
        except Conflict:
            conflicts += 1
    return {"moved": moved, "conflicts": conflicts}
