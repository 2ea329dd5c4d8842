"""Keep the `human_task` and `timer` tables in step with an instance after each run.

Both are diffs of two snapshots (before the run, after it), so saving needs no SELECT of the
mirror tables: new rows are inserted and finished ones updated by primary key, each kind in one
executemany, deferred to travel with the instance's UPDATE (app/engine/pipeline.py).
"""
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, insert, update

from app.clock import to_naive_utc, utcnow
from app.engine import candidates, history
from app.engine.models import HumanTask, Timer
from app.engine.transaction import defer


@dataclass
class Snapshot:
    """The parts of a workflow the mirrors care about."""

    ready_user_tasks: dict[str, Any] = field(default_factory=dict)
    waiting_timers: dict[str, datetime] = field(default_factory=dict)
    due_elements: frozenset[str] = frozenset()

    @classmethod
    def of(cls, workflow: BpmnWorkflow, due_elements: frozenset[str] = frozenset()) -> "Snapshot":
        ready = {str(t.id): t for t in workflow.get_tasks(state=TaskState.READY, manual=True)}
        return cls(ready, waiting_timers(workflow), due_elements)

    def due_of(self, task) -> datetime | None:
        """A user task is due when its earliest boundary timer that is interrupting, or that is a
        deadline('phase') timer, fires. A deadline timer that has fired still counts: a task past
        one of its deadlines stays overdue although a later one is pending (the call-back of R14
        passes long before the day to sign for, R8)."""
        parent = task.parent
        if parent is None or not isinstance(parent.task_spec, BoundaryEventSplit):
            return None
        dues = []
        for event in parent.children:
            marks_due = event.task_spec.bpmn_id in self.due_elements
            if str(event.id) in self.waiting_timers:
                if marks_due or getattr(event.task_spec, "cancel_activity", False):
                    dues.append(self.waiting_timers[str(event.id)])
            elif marks_due and event.state & _FIRED:
                moment = _timer_moment(event)
                if moment is not None:
                    dues.append(moment)
        return min(dues) if dues else None


_FIRED = TaskState.READY | TaskState.COMPLETED


def _timer_moment(task) -> datetime | None:
    """When a timer event task is (or was) due, from what SpiffWorkflow keeps on it."""
    value = task._get_internal_data("event_value")
    if isinstance(value, dict):
        value = value.get("next")
    return to_naive_utc(TimerEventDefinition.get_datetime(value)) if value else None


def waiting_timers(workflow: BpmnWorkflow) -> dict[str, datetime]:
    found = {}
    for task in workflow.event_manager.tasks.values():
        if task.state != TaskState.WAITING:
            continue
        if not isinstance(task.task_spec.event_definition, TimerEventDefinition):
            continue
        moment = _timer_moment(task)
        if moment is not None:
            found[str(task.id)] = moment
    return found


def _state_of(workflow: BpmnWorkflow, task_id: str) -> TaskState | None:
    try:
        task = workflow.get_task_from_id(UUID(task_id))
    except Exception:  # SpiffWorkflow raises when a task was removed from the tree
        return None
    return task.state if task is not None else None


_INSERT_TIMERS = insert(Timer.__table__).inline()
_INSERT_TASKS = insert(HumanTask.__table__).inline()
_tasks = HumanTask.__table__
#: The completion of a task nobody had signed for, which signs for it in the same UPDATE: it
#: must still be open and unassigned, or someone signed for it meanwhile.
_COMPLETE_UNCLAIMED = (update(_tasks).where(_tasks.c.id == bindparam("row_id"), _tasks.c.status == "open",
                                            _tasks.c.assignee_id.is_(None))
                       .values({name: bindparam(name) for name in (
                           "status", "completed_at", "completed_by_id", "assignee_id", "action", "data")}))


@lru_cache(maxsize=64)
def _update_statement(table, columns: tuple[str, ...]):
    return (update(table).where(table.c.id == bindparam("row_id"))
            .values({name: bindparam(name) for name in columns}))


def _update_by_id(model, rows: list[dict]) -> None:
    """UPDATE model SET ... WHERE id = :id for each row, as one executemany."""
    if rows:
        columns = tuple(key for key in rows[0] if key != "id")
        defer(_update_statement(model.__table__, columns), [{**r, "row_id": r["id"]} for r in rows])


def sync_timers(loaded, after: Snapshot) -> None:
    row, before = loaded.row, loaded.before.waiting_timers
    workflow = loaded.workflow
    now = utcnow()
    new = [{"id": t, "instance_id": row.id, "due_at": due, "status": "waiting", "started_at": now,
            "element_id": workflow.get_task_from_id(UUID(t)).task_spec.bpmn_id}
           for t, due in after.waiting_timers.items() if t not in before]
    if new:
        defer(_INSERT_TIMERS, new)
    _update_by_id(Timer, [{"id": t, "due_at": d} for t, d in after.waiting_timers.items()
                          if t in before and before[t] != d])
    finished, fired_timers = [], []
    for timer_id in before.keys() - after.waiting_timers.keys():
        state = _state_of(workflow, timer_id)
        fired = state is not None and state in (TaskState.READY, TaskState.COMPLETED)
        finished.append({"id": timer_id, "status": "fired" if fired else "cancelled",
                         "fired_at": now if fired else None,
                         "claimed_by": None, "claim_expires_at": None})
        if fired:
            element = workflow.get_task_from_id(UUID(timer_id)).task_spec.bpmn_id
            fired_timers.append((before[timer_id] or now, element, timer_id))
    # timers that fired in one step go on the timeline by due time, then element: not in the
    # order of a set of random task ids
    for _due, element, timer_id in sorted(fired_timers):
        history.record(row.case_id, "timer_fired", instance_id=row.id, element_id=element,
                       task_id=timer_id)
    _update_by_id(Timer, finished)


def plan_new_tasks(loaded, after: Snapshot) -> list[dict]:
    """Rows for newly READY user tasks; evaluating candidateUnit, notBy or assignee may raise (an
    incident)."""
    rows, now = [], utcnow()
    for task_id, task in after.ready_user_tasks.items():
        if task_id in loaded.before.ready_user_tasks:
            continue
        spec = task.task_spec
        meta = loaded.parsed.user_tasks.get(spec.bpmn_id)
        unit_id = _evaluate_id(loaded, task, meta.candidate_unit_expr if meta else None)
        excluded = _evaluate_id(loaded, task, meta.not_by_expr if meta else None)
        role = meta.candidate_role if meta else None
        assignee = _assignee(loaded, task, meta.assignee_expr if meta else None)
        if assignee is not None and not candidates.is_offered(assignee, unit_id, role, excluded):
            assignee = None  # no longer one of the task's candidates: offered to all of them
        rows.append({
            "id": task_id, "case_id": loaded.row.case_id, "element_id": spec.bpmn_id,
            "name": spec.bpmn_name or spec.bpmn_id, "candidate_unit_id": unit_id, "candidate_role": role,
            "form_key": meta.form_key if meta else None, "assignee_id": assignee,
            "excluded_user_id": excluded, "status": "open", "due_at": after.due_of(task), "created_at": now,
        })
    return rows


def _assignee(loaded, task, expression: str | None) -> int | None:
    """The user a task's assignee property names. A variable the case does not hold names nobody:
    a case that reached the task by a path that sets no handler, or an instance migrated from a
    version without the variable, goes on with the task offered to every candidate (deployment
    already refuses a name that nothing in the process sets)."""
    try:
        return _evaluate_id(loaded, task, expression)
    except WorkflowTaskException as exc:
        if exc.error_type == "NameError":
            return None
        raise


def _evaluate_id(loaded, task, expression: str | None) -> int | None:
    """A user task property that names a database id (a unit, a user), evaluated over its data."""
    if not expression:
        return None
    value = loaded.workflow.script_engine.evaluate(task, expression)
    return int(value) if value is not None else None


def sync_tasks(loaded, after: Snapshot, new_rows: list[dict], actor_id: int | None,
               completed: dict[str, dict]) -> None:
    """`completed` maps the task ids the caller completed to actor_id, action, data and
    `unless_signed_for`: for a task nobody had signed for, the Conflict message should someone
    sign for it before this commits (None: the actor had signed for it)."""
    row, before = loaded.row, loaded.before
    for task in new_rows:
        task["instance_id"] = row.id
        history.record(row.case_id, "task_created", instance_id=row.id, element_id=task["element_id"],
                       task_id=task["id"], payload={"name": task["name"], "role": task["candidate_role"],
                                                    "unit_id": task["candidate_unit_id"]})
        if task["assignee_id"] is not None:  # the process gave it to the handler who keeps the case
            history.record(row.case_id, "task_claimed", instance_id=row.id, element_id=task["element_id"],
                           task_id=task["id"], actor_id=task["assignee_id"],
                           payload={"name": task["name"], "by_process": True})
    if new_rows:
        defer(_INSERT_TASKS, new_rows)
    moved = []
    for task_id, task in after.ready_user_tasks.items():
        if task_id in before.ready_user_tasks:
            old, new = before.due_of(before.ready_user_tasks[task_id]), after.due_of(task)
            if old != new:
                moved.append({"id": task_id, "due_at": new})
    _update_by_id(HumanTask, moved)
    done_rows, cancelled_rows, now = [], [], utcnow()
    for task_id in before.ready_user_tasks.keys() - after.ready_user_tasks.keys():
        element = before.ready_user_tasks[task_id].task_spec.bpmn_id
        done = completed.get(task_id)
        if done is None:  # an interrupting event, a gateway or the process end took it away
            cancelled_rows.append({"id": task_id, "status": "cancelled", "completed_at": now})
            history.record(row.case_id, "task_cancelled", instance_id=row.id, element_id=element,
                           task_id=task_id, actor_id=actor_id)
            continue
        values = {"status": "completed", "completed_at": now, "completed_by_id": done["actor_id"],
                  "assignee_id": done["actor_id"], "action": done["action"], "data": done["data"]}
        if done.get("unless_signed_for"):
            defer(_COMPLETE_UNCLAIMED, {**values, "row_id": task_id}, conflict=done["unless_signed_for"])
        else:
            done_rows.append({"id": task_id, **values})
        history.record(row.case_id, "task_completed", instance_id=row.id, element_id=element,
                       task_id=task_id, actor_id=done["actor_id"],
                       payload={"action": done["action"]} if done["action"] else None)
    _update_by_id(HumanTask, done_rows)
    _update_by_id(HumanTask, cancelled_rows)
