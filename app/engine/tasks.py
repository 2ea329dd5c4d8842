"""Task service: who may see and act on a human task, the inbox query, and what a handler does
with a task: sign for it (claim), give it back (unclaim), hand it over to a colleague, complete it.

The claim model (docs/process.md): a task is signed for (签收) before it is completed; completing
a task nobody has signed for signs for it in the same transaction. A task's `excluded_user_id`
(its notBy property, the four-eyes rule) may see it but not sign for, take over or complete it.

Reads return plain rows (the human_task columns plus the case number), which the API
serialises directly.
"""
import re
from typing import Any
from uuid import UUID

from flask_babel import gettext
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import and_, bindparam, or_, select, update

from app import forms
from app.accounts.models import User
from app.audit import service as audit
from app.cases.models import Case
from app.engine import history, incidents, runtime
from app.engine.candidates import offered
from app.engine.errors import Conflict, Forbidden, InvalidData, NotFound
from app.engine.models import HumanTask, ProcessInstance
from app.engine.scripting import current_actor, registered_names
from app.engine.transaction import defer, execute, transaction
from app.extensions import db
from app.i18n import N_, Problem
from app.notifications.outbox import enqueue
from app.organisation.models import Unit

_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
_tasks, _cases, _instances = HumanTask.__table__, Case.__table__, ProcessInstance.__table__
_units = Unit.__table__


def _select_tasks(*extra):
    """human_task columns plus the case number (and `extra` columns)."""
    return (select(*_tasks.c, _cases.c.number.label("case_number"), *extra)
            .select_from(_tasks.join(_cases, _cases.c.id == _tasks.c.case_id)))


_GET_TASK = _select_tasks().where(_tasks.c.id == bindparam("task_id"))
_LOAD_FOR_COMPLETE = (_select_tasks(*runtime.INSTANCE_COLUMNS)
                      .join(_instances, _instances.c.id == _tasks.c.instance_id)
                      .where(_tasks.c.id == bindparam("task_id")))
_CLAIM = (update(_tasks).where(_tasks.c.id == bindparam("task_id"), _tasks.c.status == "open",
                               _tasks.c.assignee_id.is_(None))
          .values(assignee_id=bindparam("user_id")))
#: Move a task from its assignee to another user (None: back to all candidates).
_REASSIGN = (update(_tasks).where(_tasks.c.id == bindparam("task_id"), _tasks.c.status == "open",
                                  _tasks.c.assignee_id == bindparam("from_id"))
             .values(assignee_id=bindparam("to_id")))


def _unclaimed_terms(user: User) -> list:
    """One term per index range: nobody has signed for the task, and it is offered without a
    unit to a role the user holds, or to one of the user's (unit, role) pairs, and its notBy does
    not exclude the user. Each term repeats `assignee_id IS NULL` so each can be one range of
    ix_human_task_unit_inbox (bench/README.md); the exclusion only filters the range's rows."""
    roles = sorted(user.roles)
    free = and_(HumanTask.assignee_id.is_(None), HumanTask.excluded_user_id.is_distinct_from(user.id))
    return [and_(free, HumanTask.candidate_unit_id.is_(None),
                 or_(HumanTask.candidate_role.is_(None), HumanTask.candidate_role.in_(roles))),
            *(and_(free, HumanTask.candidate_unit_id == m.unit_id,
                   or_(HumanTask.candidate_role.is_(None), HumanTask.candidate_role == m.role))
              for m in user.memberships)]


def unclaimed_clause(user: User):
    """Open tasks offered to the user that nobody has signed for yet."""
    return or_(*_unclaimed_terms(user))


def candidate_clause(user: User):
    """Open tasks offered to the user: signed for by them, or offered to them and not signed for
    by anyone (a task one handler signed for leaves the other candidates' inboxes)."""
    return or_(HumanTask.assignee_id == user.id, *_unclaimed_terms(user))


def may_see(user: User, task) -> bool:
    """Whether the user may read one task already loaded: a candidate or its assignee."""
    if task.assignee_id == user.id:
        return True
    return any((task.candidate_unit_id is None or m.unit_id == task.candidate_unit_id)
               and (task.candidate_role is None or task.candidate_role == m.role)
               for m in user.memberships)


_INBOX_ORDER = (_tasks.c.due_at.is_(None), _tasks.c.due_at, _tasks.c.created_at, _tasks.c.id)


def inbox(user: User, limit: int = 50, offset: int = 0) -> list:
    """The user's open tasks, due first. The page's ids come from human_task alone (its inbox
    indexes), the case numbers for that page only: joining first would read every candidate
    task's case (bench/README.md, "Scale")."""
    page = (select(_tasks.c.id).where(_tasks.c.status == "open", candidate_clause(user))
            .order_by(*_INBOX_ORDER).limit(limit).offset(offset))
    return list(db.session.execute(_select_tasks().where(_tasks.c.id.in_(page)).order_by(*_INBOX_ORDER)))


def open_for_case(case_id: int) -> list:
    """Who holds the case now: its open tasks with the candidate unit's code and name, oldest first."""
    return list(execute(
        select(_tasks.c.id, _tasks.c.element_id, _tasks.c.name, _tasks.c.candidate_role,
               _tasks.c.assignee_id, _tasks.c.due_at, _units.c.code.label("candidate_unit_code"),
               _units.c.name.label("candidate_unit_name"))
        .select_from(_tasks.outerjoin(_units, _units.c.id == _tasks.c.candidate_unit_id))
        .where(_tasks.c.case_id == case_id, _tasks.c.status == "open")
        .order_by(_tasks.c.created_at, _tasks.c.id)))


def get_visible(user: User, task_id: str):
    """A task the user may see; anything else is 'not found', so task ids cannot be probed."""
    task = execute(_GET_TASK, {"task_id": task_id}).first()
    if task is None or not may_see(user, task):
        raise NotFound(f"no task {task_id}")
    return task


def why_not(user: User, task) -> str | None:
    """Why the user may not sign for or complete this open task, for people (None: they may)."""
    if task.excluded_user_id is not None and task.excluded_user_id == user.id:
        return gettext("You wrote this reply; another reviewer must approve it.")
    if task.assignee_id is not None and task.assignee_id != user.id:
        return gettext("Another handler has signed for this task.")
    return None


def _check_can_act(user: User, task) -> None:
    if task.status != "open":
        raise Conflict(f"task {task.id} is already {task.status}")
    reason = why_not(user, task)
    if reason is not None:
        raise Forbidden(reason)


def candidates(task) -> list[User]:
    """The active users the task is offered to (its unit's holders of its role), without the one
    its notBy excludes, by name."""
    query = offered(task.candidate_unit_id, task.candidate_role, task.excluded_user_id)
    return list(db.session.scalars(query.order_by(User.display_name, User.id)))


def holders(task) -> list[User]:
    """Who holds an open task now: its assignee once signed for, else every candidate."""
    if task.assignee_id is not None:
        return [db.session.get(User, task.assignee_id)]
    return candidates(task)


def colleagues(user: User, task_id: str) -> list[User]:
    """Whom the user may hand a task over to: the other candidates."""
    task = get_visible(user, task_id)
    return [c for c in candidates(task) if c.id != user.id]


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


def _accepted(loaded, spiff_task, meta, data: dict[str, Any]) -> dict[str, Any]:
    """The submission as the task's form accepts it, with an `action` the task allows now.

    Only the form's fields reach the process (hidden ones are dropped); `allowedActions` is
    evaluated against the task data, so a rule like "an overruled unit cannot return the case
    again" is written in the BPMN, not here.
    """
    if meta is None:
        return data
    if meta.form_key:
        form = forms.for_definition(loaded.row.definition_id, meta.form_key)
        if form is None:
            runtime.run(loaded, _missing_form(meta.form_key), source="task", task_id=str(spiff_task.id))
        data = forms.validate(form, data, context=spiff_task.data)
    if meta.allowed_actions_expr:
        allowed = runtime.run(
            loaded, lambda: loaded.workflow.script_engine.evaluate(spiff_task, meta.allowed_actions_expr),
            source="task", task_id=str(spiff_task.id))
        if data.get("action") not in allowed:
            raise InvalidData("this action is not allowed now", {
                "action": [Problem(N_("must be one of: %(choices)s (at this step)"),
                                   choices=", ".join(map(str, allowed)))]})
    return data


def form_context(user: User, task_id: str) -> tuple[Any, dict, list | None]:
    """What a task page needs besides the task row: the task's current data (for pre-filling its
    form) and the actions it allows now (None: any). Reads the instance; changes nothing."""
    found = execute(_LOAD_FOR_COMPLETE, {"task_id": task_id}).first()
    if found is None or not may_see(user, found):
        raise NotFound(f"no task {task_id}")
    if found.status != "open":
        return found, {}, None
    loaded = runtime.load(found)
    spiff_task = loaded.workflow.get_task_from_id(UUID(task_id))
    meta = loaded.parsed.user_tasks.get(spiff_task.task_spec.bpmn_id)
    allowed = None
    if meta is not None and meta.allowed_actions_expr:
        try:
            allowed = list(loaded.workflow.script_engine.evaluate(spiff_task, meta.allowed_actions_expr))
        except Exception:  # shown anyway; completing would record the incident and say why
            allowed = None
    return found, dict(spiff_task.data), allowed


def _missing_form(form_key: str):
    def fail():
        raise LookupError(f"the form '{form_key}' is not deployed with this version of the process")
    return fail


def _signed_for_meanwhile(task_id: str) -> str:
    return f"task {task_id} was signed for by someone else just now"


def _sign_for(user: User, task) -> None:
    """Deferred: sent with the transaction's next statement; Conflict if someone else took it."""
    defer(_CLAIM, {"task_id": task.id, "user_id": user.id}, conflict=_signed_for_meanwhile(task.id))
    _record_signing_for(user, task)


def _record_signing_for(user: User, task, implicit: bool = False) -> None:
    history.record(task.case_id, "task_claimed", instance_id=task.instance_id, actor_id=user.id,
                   element_id=task.element_id, task_id=task.id,
                   payload={"implicit": True} if implicit else None)


def claim(user: User, task_id: str):
    """Sign for a task (签收): it leaves the other candidates' lists and becomes the user's."""
    with transaction():
        task = get_visible(user, task_id)
        _check_can_act(user, task)
        if task.assignee_id is None:
            _sign_for(user, task)
    return {**task._asdict(), "assignee_id": user.id}


def _signed_for_by(user: User, task_id: str):
    """An open task the user signed for (only its assignee gives it back or hands it over)."""
    task = get_visible(user, task_id)
    if task.status != "open":
        raise Conflict(f"task {task.id} is already {task.status}")
    if task.assignee_id != user.id:
        raise Forbidden(gettext(
            "Only the handler who signed for this task can give it back or hand it over."))
    return task


def _reassign(user: User, task, to: User | None, kind: str, payload: dict) -> None:
    moved = execute(_REASSIGN, {"task_id": task.id, "from_id": user.id, "to_id": to.id if to else None})
    if moved.rowcount != 1:
        raise Conflict(f"task {task.id} changed just now")
    history.record(task.case_id, kind, instance_id=task.instance_id, actor_id=user.id,
                   element_id=task.element_id, task_id=task.id, payload=payload)
    audit.record(user, "task", task.id, "update", {"assignee_id": user.id},
                 {"assignee_id": to.id if to else None})


def unclaim(user: User, task_id: str):
    """取消签收: the assignee gives the task back to all its candidates."""
    with transaction():
        task = _signed_for_by(user, task_id)
        _reassign(user, task, None, "task_unclaimed", {"from_user_id": user.id})
    return {**task._asdict(), "assignee_id": None}


def hand_over(user: User, task_id: str, to_user_id) -> tuple[dict, User]:
    """转交: the assignee passes the task to a colleague who is also offered it (same unit and
    role, not excluded by notBy); the colleague is told. Returns the task and the colleague."""
    with transaction():
        task = _signed_for_by(user, task_id)
        colleague = next((c for c in candidates(task) if c.id == to_user_id and c.id != user.id), None)
        if colleague is None:
            raise InvalidData("invalid hand-over", {"to_user_id": [gettext(
                "Choose a colleague who may take this task: another active user with its role in "
                "its unit.")]})
        _reassign(user, task, colleague, "task_handed_over",
                  {"from_user_id": user.id, "to_user_id": colleague.id})
        enqueue("task_handed_over",
                f"转交（{task.case_number}）：{task.name}，由 {user.display_name} 转交给您",
                users=[colleague], case_id=task.case_id)
    return {**task._asdict(), "assignee_id": colleague.id}, colleague


def complete(user: User, task_id: str, data: dict[str, Any]) -> dict:
    """Complete a user task with the submitted data and run the process to its next wait state;
    a task nobody signed for is signed for by the user first, in the same transaction."""
    validate_data(data)
    with transaction():
        found = execute(_LOAD_FOR_COMPLETE, {"task_id": task_id}).first()
        if found is None or not may_see(user, found):
            raise NotFound(f"no task {task_id}")
        _check_can_act(user, found)
        signs_for = found.assignee_id is None
        if signs_for:  # completing signs for it: the completion's UPDATE is the claim's too
            _record_signing_for(user, found, implicit=True)
        return _complete_loaded(found, data, user.id, signs_for)


_LOAD_OPEN_BY_ELEMENT = (_select_tasks(*runtime.INSTANCE_COLUMNS)
                         .join(_instances, _instances.c.id == _tasks.c.instance_id)
                         .where(_tasks.c.case_id == bindparam("case_id"),
                                _tasks.c.element_id == bindparam("element_id"), _tasks.c.status == "open"))


def complete_for_requester(case_id: int, element_id: str, data: dict[str, Any]) -> dict:
    """The requester, who has no account, completes their case's open `element_id` task (the
    rating, R25) through a public page; the same form validation applies. Conflict when the case
    has no such open task (not released yet, or rated already)."""
    validate_data(data)
    with transaction():
        found = execute(_LOAD_OPEN_BY_ELEMENT, {"case_id": case_id, "element_id": element_id}).first()
        if found is None:
            raise Conflict(f"case {case_id} is not waiting for {element_id}")
        return _complete_loaded(found, data, None)


def _complete_loaded(found, data: dict[str, Any], actor_id: int | None, signs_for: bool = False) -> dict:
    loaded = runtime.load(found)
    task_id = found.id
    spiff_task = loaded.workflow.get_task_from_id(UUID(task_id))
    if spiff_task.state != TaskState.READY:
        raise Conflict(f"task {task_id} is no longer waiting for input")
    meta = loaded.parsed.user_tasks.get(spiff_task.task_spec.bpmn_id)
    accepted = _accepted(loaded, spiff_task, meta, data)

    def step():
        spiff_task.data.update(accepted)
        token = current_actor.set(actor_id)
        try:
            spiff_task.run()
            loaded.workflow.do_engine_steps()
        finally:
            current_actor.reset(token)

    runtime.run(loaded, step, source="task", task_id=task_id)
    done = {"actor_id": actor_id, "action": accepted.get("action"), "data": accepted,
            "unless_signed_for": _signed_for_meanwhile(task_id) if signs_for else None}
    runtime.save(loaded, actor_id, completed={task_id: done})
    if loaded.row.incident_open:
        incidents.resolve_for_task(loaded.row.id, task_id)
    return {**{c.name: getattr(found, c.name) for c in _tasks.c},
            "case_number": found.case_number, "status": "completed", "assignee_id": actor_id,
            "completed_by_id": actor_id, "action": accepted.get("action"), "data": accepted}
