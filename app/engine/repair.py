"""Repair of stuck cases by an administrator: move a case to a chosen step, or close it with a reason.

A case is stuck when the step after its current one keeps failing (an expression that cannot be
evaluated, a function that raises): every attempt is rolled back and becomes an incident, so
the case stays where it was. Moving puts the case's token on another user task of its version,
forwards or back, keeping the case's data: the task where it waits (with its boundary events)
leaves the tree and a fresh task for the chosen step takes its place. Both repairs save through
the runtime, so task and timer mirrors follow, and both are written in the case timeline.

A move into one branch of a parallel split is not offered: the joining gateway would wait for
branches that never run.
"""
from dataclasses import dataclass

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, select, update

from app.accounts.models import User
from app.cases import service as cases
from app.clock import utcnow
from app.engine import history, runtime
from app.engine.errors import Conflict, InvalidData
from app.engine.models import Incident, ProcessInstance
from app.engine.transaction import execute, transaction
from app.extensions import db

_instances = ProcessInstance.__table__
_RUNNING = (select(*runtime.INSTANCE_COLUMNS)
            .where(_instances.c.case_id == bindparam("case_id"), _instances.c.status == "running")
            .order_by(_instances.c.id))
_WAITING = TaskState.READY | TaskState.WAITING
_REASON_LIMIT = 500


@dataclass(frozen=True)
class Step:
    element_id: str
    name: str


def _running(case_id: int, number: str):
    """The case's one running process (the case's own; an appeal beside it is repaired alone)."""
    rows = execute(_RUNNING, {"case_id": case_id}).all()
    if not rows:
        raise Conflict(f"case {number} has no running process to repair")
    return rows[0]


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text or len(text) > _REASON_LIMIT:
        raise InvalidData("a repair needs a reason", {"reason": [f"1 to {_REASON_LIMIT} characters"]})
    return text


def steps(user: User, number: str) -> list[Step]:
    """The steps the case can be moved to: the user tasks of its process version."""
    case = cases.get_visible(user, number)
    loaded = runtime.load(_running(case.id, number))
    specs = loaded.workflow.spec.task_specs
    found = [Step(element, specs[element].bpmn_name or element) for element in loaded.parsed.user_tasks
             if element in specs]
    db.session.rollback()
    return sorted(found, key=lambda s: s.element_id)


def _entry(task):
    """The task that holds the case's token for a waiting task: its boundary split, or itself."""
    parent = task.parent
    return parent if parent is not None and isinstance(parent.task_spec, BoundaryEventSplit) else task


def _entry_spec(spec, all_specs):
    """The spec a token enters to reach the user task `spec`: its boundary split when it has one."""
    for candidate in all_specs.values():
        if isinstance(candidate, BoundaryEventSplit) and spec in candidate.outputs:
            return candidate
    return spec


def move_to(user: User, number: str, element_id: str, reason: str | None) -> dict:
    """Move the case's process to the user task `element_id`; its current step is cancelled."""
    text = _reason(reason)
    case = cases.get_visible(user, number)
    with transaction():
        loaded = runtime.load(_running(case.id, number))
        workflow = loaded.workflow
        target = workflow.spec.task_specs.get(element_id)
        if target is None or element_id not in loaded.parsed.user_tasks:
            raise InvalidData("no such step", {"element_id": [
                f"'{element_id}' is not a user task of version {loaded.parsed.version}"]})
        entries = {_entry(t).id: _entry(t) for t in workflow.get_tasks(state=_WAITING, skip_subprocesses=True)
                   if t.task_spec.manual or isinstance(t.task_spec, CatchingEvent)}
        if len(entries) != 1:
            where = ", ".join(sorted(e.task_spec.bpmn_id or e.task_spec.name for e in entries.values()))
            raise Conflict(f"case {number} waits at {len(entries)} steps ({where or 'none'}); a move starts "
                           "from exactly one")
        [entry] = entries.values()
        from_element = _waiting_element(entry)
        parent = entry.parent
        for task in list(entry):
            workflow.event_manager.remove_task(task)
        workflow._remove_task(entry.id)
        moved = parent._add_child(_entry_spec(target, workflow.spec.task_specs), TaskState.FUTURE)
        moved.task_spec._predict(moved, mask=TaskState.PREDICTED_MASK | TaskState.FUTURE)
        moved.task_spec._update(moved)
        workflow.last_task = parent
        runtime.run(loaded, workflow.do_engine_steps, source="repair")
        runtime.save(loaded, user.id, source="repair")
        _resolve_incidents(loaded.row.id)
        history.record(case.id, "repair_moved", instance_id=loaded.row.id, actor_id=user.id,
                       element_id=element_id,
                       payload={"from": from_element, "to": element_id, "reason": text})
    return {"case_number": number, "from": from_element, "to": element_id}


def _waiting_element(entry) -> str:
    if isinstance(entry.task_spec, BoundaryEventSplit):
        for child in entry.children:
            if child.task_spec.manual:
                return child.task_spec.bpmn_id
    return entry.task_spec.bpmn_id or entry.task_spec.name


def close(user: User, number: str, reason: str | None) -> dict:
    """End the case's process with a reason: open tasks and timers are cancelled and the case
    closes as when its process ends (statistics, webhooks)."""
    text = _reason(reason)
    case = cases.get_visible(user, number)
    with transaction():
        end_process(case.id, number, user.id, "repair_closed", {"reason": text})
    return {"case_number": number, "closed": True}


def end_process(case_id: int, number: str, actor_id: int, kind: str, payload: dict) -> None:
    """End the case's running process in the caller's transaction, recording `kind` first: its
    open tasks and timers are cancelled and the case closes as when its process ends (statistics,
    webhooks). Closing by an administrator and merging a duplicate (app/cases/merging.py) end here."""
    loaded = runtime.load(_running(case_id, number))
    history.record(case_id, kind, instance_id=loaded.row.id, actor_id=actor_id, payload=payload)
    loaded.workflow.cancel()
    runtime.save(loaded, actor_id, source="repair")
    execute(update(_instances).where(_instances.c.id == loaded.row.id).values(status="cancelled"))
    _resolve_incidents(loaded.row.id)


def _resolve_incidents(instance_id: int) -> None:
    """A repaired instance's open incidents are settled: what failed will not run again."""
    execute(update(Incident.__table__)
            .where(Incident.__table__.c.instance_id == instance_id, Incident.__table__.c.status == "open")
            .values(status="resolved", resolved_at=utcnow()))
    execute(update(_instances).where(_instances.c.id == instance_id).values(incident_open=False))
