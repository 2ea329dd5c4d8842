"""Runtime service: start, load, run and save process instances.

Every change follows one shape: load the instance row (one SELECT, usually joined with whatever
the caller needs), let SpiffWorkflow run, save and commit. Saving writes the instance once (an
INSERT, or an UPDATE guarded by the revision read at load), then the task and timer mirrors and
the history in batches. Two writers that loaded the same revision cannot both save: the second
UPDATE matches no row and becomes `Conflict`.

The UPDATE and the mirror writes are deferred (app/engine/pipeline.py): on PostgreSQL they reach
the server in one round trip with the next statement or the COMMIT, and the UPDATE's row count
is checked before anything commits.

The hot path uses SQLAlchemy Core, not ORM objects: building and flushing ORM objects cost more
than SpiffWorkflow itself (see bench/README.md).
"""
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from blinker import Namespace
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, insert, update

from app.clock import utcnow
from app.engine import history, incidents, mirrors, serialization
from app.engine.errors import Conflict, ProcessIncident
from app.engine.mirrors import Snapshot
from app.engine.models import ProcessInstance
from app.engine.repository import ParsedProcess, parsed_by_id
from app.engine.scripting import build_script_engine
from app.engine.transaction import CONFLICT_MESSAGE, defer, execute, lost_a_lock
from app.extensions import db

signals = Namespace()
#: Sent after an instance is loaded and before it runs; lets tests line up concurrent writers.
instance_loaded = signals.signal("instance-loaded")
#: Sent inside the saving transaction when a process reaches its end, so the owner of the
#: instance (the case) can close in the same transaction. Receives the InstanceRow, the actor and
#: `closes_case`: what the process's BPMN says its end means for the case.
process_completed = signals.signal("process-completed")

_script_engine = build_script_engine()

_instances = ProcessInstance.__table__
#: The instance columns the runtime needs; callers select these (plus their own) in one query.
INSTANCE_COLUMNS = (_instances.c.id.label("process_instance_id"), _instances.c.definition_id,
                    _instances.c.case_id.label("instance_case_id"), _instances.c.state,
                    _instances.c.revision, _instances.c.status.label("instance_status"),
                    _instances.c.incident_open)
_INSERT = insert(_instances).returning(_instances.c.id)
_UPDATE = (update(_instances)
           .where(_instances.c.id == bindparam("instance_id"),
                  _instances.c.revision == bindparam("loaded_revision"))
           .values(state=bindparam("state"), status=bindparam("status"),
                   revision=bindparam("loaded_revision") + 1, updated_at=bindparam("now")))


@dataclass
class InstanceRow:
    """What the runtime knows of an instance row; `id` is None until a new one is saved."""

    id: int | None
    definition_id: int
    case_id: int
    revision: int
    status: str = "running"
    incident_open: bool = False
    state: str = ""

    @classmethod
    def from_result(cls, row) -> "InstanceRow":
        return cls(row.process_instance_id, row.definition_id, row.instance_case_id, row.revision,
                   row.instance_status, row.incident_open, row.state)


@dataclass
class LoadedInstance:
    row: InstanceRow
    workflow: BpmnWorkflow
    parsed: ParsedProcess
    before: Snapshot
    after: Snapshot | None = None  # set by save()

    def earliest_due(self):
        """Due time of the most urgent ready user task after the last save (None: no deadline)."""
        dues = [d for d in map(self.after.due_of, self.after.ready_user_tasks.values()) if d]
        return min(dues) if dues else None


def start(definition_id: int, case_id: int, data: dict[str, Any],
          actor_id: int | None) -> LoadedInstance:
    parsed = parsed_by_id(definition_id)
    workflow = BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=_script_engine)
    workflow.get_next_task(state=TaskState.READY).data.update(data)
    row = InstanceRow(None, definition_id, case_id, revision=0)
    loaded = LoadedInstance(row, workflow, parsed, Snapshot(due_elements=parsed.due_timer_elements))
    run(loaded, workflow.do_engine_steps, source="start")
    loaded.after = save(loaded, actor_id, source="start")
    return loaded


def load(result_row) -> LoadedInstance:
    """Rebuild the workflow from a row carrying INSTANCE_COLUMNS (spec from the cache)."""
    row = InstanceRow.from_result(result_row)
    parsed = parsed_by_id(row.definition_id)
    workflow = serialization.loads(row.state, parsed, _script_engine)
    row.state = ""  # the text is not needed any more; the workflow is the truth now
    loaded = LoadedInstance(row, workflow, parsed, Snapshot.of(workflow, parsed.due_timer_elements))
    instance_loaded.send(loaded)
    return loaded


def run(loaded: LoadedInstance, step: Callable[[], Any], source: str,
        timer_id: str | None = None, task_id: str | None = None) -> Any:
    """Run engine code; a process error rolls the transaction back and becomes an incident."""
    try:
        return step()
    except Exception as exc:  # any error inside the process must not escape as a 500
        if lost_a_lock(exc):  # e.g. two writers deadlocked on the statistics rollup: retry
            db.session.rollback()
            raise Conflict(CONFLICT_MESSAGE) from None
        element_id = None
        if isinstance(exc, WorkflowTaskException) and exc.task_spec is not None:
            element_id = getattr(exc.task_spec, "bpmn_id", None) or exc.task_spec.name
        message = describe(exc)
        db.session.rollback()
        text = f"the process failed at '{element_id}': {message}"
        if source == "start":  # the instance was never saved: nothing to attach an incident to
            raise ProcessIncident(text, element_id=element_id) from None
        incident = incidents.record(loaded.row.id, loaded.row.case_id, source, message, element_id,
                                    timer_id, task_id)
        raise ProcessIncident(text, element_id=element_id, incident_id=incident.id) from None


def describe(exc: BaseException) -> str:
    """The error as an operator needs it: SpiffWorkflow's own words ("Error evaluating expression
    ...") followed by the real cause it wraps (e.g. "LookupError: no time limit for phase ...")."""
    if not isinstance(exc, SpiffWorkflowException):
        return f"{type(exc).__name__}: {exc}"
    cause, seen = exc.__cause__ or exc.__context__, {id(exc)}
    while cause is not None and isinstance(cause, SpiffWorkflowException) and id(cause) not in seen:
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    text = str(exc)
    if cause is None or id(cause) in seen:
        return text
    return text if str(cause) in text else f"{text.rstrip('. ')}: {type(cause).__name__}: {cause}"


def save(loaded: LoadedInstance, actor_id: int | None, completed: dict | None = None,
         source: str = "task") -> Snapshot:
    """Write the new state, the mirrors and the history. Returns the snapshot after the run."""
    row, workflow = loaded.row, loaded.workflow
    after = Snapshot.of(workflow, loaded.parsed.due_timer_elements)
    new_tasks = run(loaded, lambda: mirrors.plan_new_tasks(loaded, after), source)
    state = serialization.dumps(workflow)
    finished = workflow.completed and row.status != "completed"
    status = "completed" if workflow.completed else row.status
    now = utcnow()
    if row.id is None:
        row.id = execute(_INSERT, {
            "definition_id": row.definition_id, "case_id": row.case_id, "state": state,
            "status": status, "revision": 1, "incident_open": False, "created_at": now,
            "updated_at": now}).scalar_one()
        row.revision = 1
        history.record(row.case_id, "process_started", instance_id=row.id, actor_id=actor_id,
                       payload={"process": loaded.parsed.process_id, "version": loaded.parsed.version})
    else:
        defer(_UPDATE, {"instance_id": row.id, "loaded_revision": row.revision, "state": state,
                        "status": status, "now": now}, conflict=CONFLICT_MESSAGE)
        row.revision += 1
    row.status = status
    mirrors.sync_timers(loaded, after)
    mirrors.sync_tasks(loaded, after, new_tasks, actor_id, completed or {})
    if finished:
        history.record(row.case_id, "process_completed", instance_id=row.id, actor_id=actor_id)
        process_completed.send(row, actor_id=actor_id, closes_case=loaded.parsed.closes_case)
    return after
