"""Task service: who may see and act on a human task, the inbox query, claim and complete."""
import re
from typing import Any
from uuid import UUID

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import and_, or_, select

from app.accounts.models import User
from app.engine import history, incidents, runtime
from app.engine.errors import Conflict, Forbidden, InvalidData, NotFound
from app.engine.models import HumanTask, ProcessInstance
from app.engine.scripting import registered_names
from app.engine.transaction import transaction
from app.extensions import db

_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")


def _candidate_clause(user: User):
    """Open tasks offered to the user: assigned to them, offered to one of their (unit, role)
    pairs, or offered to a role they hold when the process names no unit."""
    roles = sorted(user.roles)
    pairs = [and_(HumanTask.candidate_unit_id == m.unit_id,
                  or_(HumanTask.candidate_role.is_(None), HumanTask.candidate_role == m.role))
             for m in user.memberships]
    unitless = and_(HumanTask.candidate_unit_id.is_(None),
                    or_(HumanTask.candidate_role.is_(None), HumanTask.candidate_role.in_(roles)))
    return or_(HumanTask.assignee_id == user.id, unitless, *pairs)


def may_see(user: User, task: HumanTask) -> bool:
    """The same rule as `_candidate_clause`, for one task already loaded."""
    if task.assignee_id == user.id:
        return True
    return any((task.candidate_unit_id is None or m.unit_id == task.candidate_unit_id)
               and (task.candidate_role is None or task.candidate_role == m.role)
               for m in user.memberships)


def inbox(user: User, limit: int = 50, offset: int = 0) -> list[HumanTask]:
    return list(db.session.scalars(
        select(HumanTask).where(HumanTask.status == "open", _candidate_clause(user))
        .order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at)
        .limit(limit).offset(offset)))


def get_visible(user: User, task_id: str) -> HumanTask:
    """A task the user may see; anything else is 'not found', so task ids cannot be probed."""
    task = db.session.get(HumanTask, task_id)
    if task is None or not may_see(user, task):
        raise NotFound(f"no task {task_id}")
    return task


def _check_can_act(user: User, task: HumanTask) -> None:
    if task.status != "open":
        raise Conflict(f"task {task.id} is already {task.status}")
    if task.assignee_id is not None and task.assignee_id != user.id:
        raise Forbidden(f"task {task.id} is signed for by another handler")


def validate_data(data: dict[str, Any]) -> None:
    errors = {}
    reserved = registered_names()
    for key in data:
        if not isinstance(key, str) or not _IDENTIFIER.match(key):
            errors[str(key)] = ["field names are letters, digits and _, starting with a letter"]
        elif key in reserved:
            errors[key] = ["this name is reserved for a process function"]
    action = data.get("action")
    if action is not None and not (isinstance(action, str) and 0 < len(action) <= 40):
        errors["action"] = ["the action is a text of 1 to 40 characters"]
    if errors:
        raise InvalidData("invalid task data", errors)


def claim(user: User, task_id: str) -> HumanTask:
    """Sign for a task (签收): it leaves the other candidates' lists and becomes the user's."""
    with transaction():
        task = get_visible(user, task_id)
        _check_can_act(user, task)
        if task.assignee_id is None:
            task.assignee_id = user.id
            history.record(task.case_id, "task_claimed", instance_id=task.instance_id,
                           actor_id=user.id, element_id=task.element_id, task_id=task.id)
    return task


def complete(user: User, task_id: str, data: dict[str, Any]) -> HumanTask:
    """Complete a user task with the submitted data and run the process to its next wait state."""
    validate_data(data)
    with transaction():
        found = db.session.execute(
            select(HumanTask, ProcessInstance)
            .join(ProcessInstance, HumanTask.instance_id == ProcessInstance.id)
            .where(HumanTask.id == task_id)).first()
        if found is None or not may_see(user, found[0]):
            raise NotFound(f"no task {task_id}")
        task, row = found
        _check_can_act(user, task)
        loaded = runtime.load(row)
        spiff_task = loaded.workflow.get_task_from_id(UUID(task.id))
        if spiff_task.state != TaskState.READY:
            raise Conflict(f"task {task.id} is no longer waiting for input")

        def step():
            spiff_task.data.update(data)
            spiff_task.run()
            loaded.workflow.do_engine_steps()

        runtime.run(loaded, step, source="task", task_id=task.id)
        runtime.save(loaded, user.id, completed={task.id: {
            "actor_id": user.id, "action": data.get("action"), "data": data}})
        incidents.resolve_for_task(row.id, task.id)
        if task.assignee_id is None:
            task.assignee_id = user.id
    db.session.refresh(task)
    return task
