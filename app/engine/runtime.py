"""Runtime service: start, load, run and save process instances.

Every change follows one shape: load the instance row (one SELECT), let SpiffWorkflow run,
save (one versioned UPDATE plus the task/timer mirrors and history) and commit. Two writers
that loaded the same revision cannot both save: the second UPDATE matches no row.
"""
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from blinker import Namespace
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from app.clock import utcnow
from app.engine import history, incidents, mirrors, serialization
from app.engine.errors import ProcessIncident
from app.engine.mirrors import Snapshot
from app.engine.models import ProcessDefinition, ProcessInstance
from app.engine.repository import ParsedProcess, parsed_process
from app.engine.scripting import build_script_engine
from app.extensions import db

signals = Namespace()
#: Sent after an instance is loaded and before it runs; lets tests line up concurrent writers.
instance_loaded = signals.signal("instance-loaded")
#: Sent inside the saving transaction when a process reaches its end, so the owner of the
#: instance (the case) can close in the same transaction.
process_completed = signals.signal("process-completed")

_script_engine = build_script_engine()


@dataclass
class LoadedInstance:
    row: ProcessInstance
    workflow: BpmnWorkflow
    parsed: ParsedProcess
    before: Snapshot


def start(definition: ProcessDefinition, case_id: int, data: dict[str, Any],
          actor_id: int | None) -> LoadedInstance:
    parsed = parsed_process(definition)
    workflow = BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=_script_engine)
    workflow.get_next_task(state=TaskState.READY).data.update(data)
    row = ProcessInstance(definition=definition, case_id=case_id, state="")
    loaded = LoadedInstance(row, workflow, parsed, Snapshot())
    run(loaded, workflow.do_engine_steps, source="start")
    db.session.add(row)
    save(loaded, actor_id, source="start")
    return loaded


def load(row: ProcessInstance) -> LoadedInstance:
    parsed = parsed_process(row.definition)
    workflow = serialization.loads(row.state, parsed, _script_engine)
    loaded = LoadedInstance(row, workflow, parsed, Snapshot.of(workflow))
    instance_loaded.send(loaded)
    return loaded


def run(loaded: LoadedInstance, step: Callable[[], Any], source: str,
        timer_id: str | None = None, task_id: str | None = None) -> Any:
    """Run engine code; a process error rolls the transaction back and becomes an incident."""
    try:
        return step()
    except Exception as exc:  # any error inside the process must not escape as a 500
        element_id = None
        if isinstance(exc, WorkflowTaskException) and exc.task_spec is not None:
            element_id = getattr(exc.task_spec, "bpmn_id", None) or exc.task_spec.name
        message = str(exc) if isinstance(exc, SpiffWorkflowException) else f"{type(exc).__name__}: {exc}"
        instance_id, case_id = loaded.row.id, loaded.row.case_id
        db.session.rollback()
        if source == "start":  # the instance was never saved: nothing to attach an incident to
            raise ProcessIncident(f"the process failed at '{element_id}': {message}",
                                  element_id=element_id) from None
        incident = incidents.record(instance_id, case_id, source, message, element_id, timer_id, task_id)
        raise ProcessIncident(f"the process failed at '{element_id}': {message}",
                              element_id=element_id, incident_id=incident.id) from None


def save(loaded: LoadedInstance, actor_id: int | None, completed: dict | None = None,
         source: str = "task") -> Snapshot:
    """Write the new state and bring mirrors and history up to date.

    The instance row is written exactly once (INSERT when new, else one UPDATE guarded by the
    revision, which raises StaleDataError if another writer saved first). Returns the snapshot
    after the run: which user tasks are ready, which timers wait.
    """
    row, workflow = loaded.row, loaded.workflow
    after = Snapshot.of(workflow)
    new_tasks = run(loaded, lambda: mirrors.plan_new_tasks(loaded, after), source)
    row.state = serialization.dumps(workflow)
    row.updated_at = utcnow()
    finished = workflow.completed and row.status != "completed"
    if finished:
        row.status = "completed"
    db.session.flush()
    if source == "start":
        definition = row.definition
        history.record(row.case_id, "process_started", instance_id=row.id, actor_id=actor_id,
                       payload={"process": definition.process_id, "version": definition.version})
    for task in new_tasks:
        task.instance_id = row.id
    mirrors.sync_timers(loaded, after)
    mirrors.sync_tasks(loaded, after, new_tasks, actor_id, completed or {})
    if finished:
        history.record(row.case_id, "process_completed", instance_id=row.id, actor_id=actor_id)
        process_completed.send(row, actor_id=actor_id)
    db.session.flush()
    return after
