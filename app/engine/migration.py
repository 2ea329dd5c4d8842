"""Instance migration: move running cases onto another deployed version of their process.

SpiffWorkflow 3.2 aligns the two specs (`SpecDiff`: by element id, then by position in the
flow) and the instance's tasks are re-pointed as its `migrate_workflow` does. The moved instance is saved
through the runtime's one save path, so the task and timer mirrors and the history follow as
after any other step. Each migration keeps the state it replaced (`instance_migration`), so it
can be reverted while nothing else happened to the case.

Waiting timers keep their due time unless the new version changes the timer: a migration must
not restart a case's time limits.
"""
from dataclasses import dataclass, field
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, select, update

from app.cases.models import Case
from app.clock import utcnow
from app.engine import history, runtime, serialization
from app.engine.errors import Conflict, NotFound
from app.engine.migration_models import InstanceMigration
from app.engine.models import HumanTask, ProcessDefinition, ProcessInstance, Timer
from app.engine.repository import ParsedProcess, parsed_by_id
from app.engine.scripting import build_script_engine
from app.engine.transaction import CONFLICT_MESSAGE, execute, transaction
from app.extensions import db

_instances, _definitions, _cases = (ProcessInstance.__table__, ProcessDefinition.__table__,
                                    Case.__table__)
_tasks, _timers = HumanTask.__table__, Timer.__table__
_script_engine = build_script_engine()
#: SpecDiff compares two task specs through their serialized form.
_spec_registry = BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG)
_ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED
_DEFINITE = TaskState.FINISHED_MASK | _ACTIVE

_LOAD = (select(*runtime.INSTANCE_COLUMNS, _cases.c.number.label("case_number"),
                _definitions.c.process_id, _definitions.c.version)
         .select_from(_instances.join(_cases, _cases.c.id == _instances.c.case_id)
                      .join(_definitions, _definitions.c.id == _instances.c.definition_id)))
_LOAD_ONE = _LOAD.where(_instances.c.id == bindparam("instance_id"))
_REPOINT = (update(_instances).where(_instances.c.id == bindparam("instance_id"),
                                     _instances.c.revision == bindparam("loaded_revision"))
            .values(definition_id=bindparam("definition_id")))
_REFRESH_TASK = (update(_tasks).where(_tasks.c.id == bindparam("row_id"), _tasks.c.status == "open")
                 .values(element_id=bindparam("element_id"), name=bindparam("name"),
                         candidate_role=bindparam("candidate_role"), form_key=bindparam("form_key"),
                         due_at=bindparam("due_at")))
_REFRESH_TIMER = (update(_timers).where(_timers.c.id == bindparam("row_id"))
                  .values(element_id=bindparam("element_id")))


@dataclass
class InstancePreview:
    """What migrating one running instance to the target would do, or why it cannot."""

    instance_id: int
    case_id: int
    case_number: str
    from_definition_id: int
    from_version: int
    #: where the case is now: [{"from": element in its version, "to": element in the target}]
    mapped: list[dict] = field(default_factory=list)
    #: elements of its version that the target does not have, and elements only the target has
    removed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    can_migrate: bool = True
    reason: str | None = None


@dataclass
class MigrationOutcome:
    instance_id: int
    case_number: str | None
    migrated: bool
    reason: str | None = None
    migration_id: int | None = None
    from_version: int | None = None


@dataclass
class MigrationReport:
    target_definition_id: int
    target_version: int
    dry_run: bool
    results: list[MigrationOutcome] = field(default_factory=list)

    @property
    def migrated(self) -> int:
        return sum(r.migrated for r in self.results)

    @property
    def refused(self) -> int:
        return len(self.results) - self.migrated


class _Plan:
    """An instance moved onto the target spec in memory, with what it took (nothing is saved)."""

    def __init__(self, loaded: runtime.LoadedInstance, target: ParsedProcess, spec_diffs: dict):
        self.loaded, self.target = loaded, target
        self.mapped: list[dict] = []
        self.removed: list[str] = []
        self.added: list[str] = []
        self.reason: str | None = None
        try:
            self._move(spec_diffs)
        except Exception as exc:  # SpiffWorkflow cannot rebuild the instance on the new spec
            self.reason = f"the process engine refused the move: {type(exc).__name__}: {exc}"

    def _move(self, spec_diffs: dict) -> None:
        workflow, source = self.loaded.workflow, self.loaded.parsed
        if workflow.subprocesses:
            self.reason = "cases inside a subprocess or call activity cannot be migrated yet"
            return
        key = (source.process_id, source.version)
        if key not in spec_diffs:
            spec_diffs[key] = SpecDiff(_spec_registry, workflow.spec, self.target.spec)
        spec_diff = spec_diffs[key]
        self.added = sorted({s.bpmn_id for s in spec_diff.added if getattr(s, "bpmn_id", None)})
        self.removed = sorted({s.bpmn_id for s in spec_diff.removed if getattr(s, "bpmn_id", None)})
        diff = WorkflowDiff(workflow, spec_diff)
        active = [t for t in workflow.get_tasks(state=_ACTIVE) if getattr(t.task_spec, "bpmn_id", None)]
        self.mapped = [{"from": t.task_spec.bpmn_id,
                        "to": getattr(diff.alignment.get(t), "bpmn_id", None)} for t in active]
        lost = sorted({t.task_spec.bpmn_id for t in diff.removed
                       if t.has_state(_DEFINITE) and getattr(t.task_spec, "bpmn_id", None)})
        if lost:
            self.reason = (f"the case is at or has passed {', '.join(map(repr, lost))}, which version "
                           f"{self.target.version} does not have")
            return
        retyped = sorted({t.task_spec.bpmn_id for t in active
                          if "typename" in spec_diff.changed.get(t.task_spec, ())})
        if retyped:
            self.reason = (f"{', '.join(map(repr, retyped))} changes its kind of element in version "
                           f"{self.target.version}; move the case first (repair) or keep the kind")
            return
        changed_waits = [t for t in workflow.get_tasks(state=TaskState.WAITING)
                         if t.task_spec in spec_diff.changed]
        serialization.connect_loops(self.target)
        _repoint(diff, workflow, self.target.spec)
        for task in changed_waits:  # a changed timer is set again; unchanged ones keep their time
            if task.id in workflow.tasks:
                task.reset_branch(None)
        workflow.subprocess_specs = self.target.subprocess_specs
        foreign = sorted({t.task_spec.name for t in workflow.tasks.values()
                          if self.target.spec.task_specs.get(t.task_spec.name) is not t.task_spec})
        if foreign:
            self.reason = (f"parts of the case have no place in version {self.target.version}: "
                           f"{', '.join(foreign)}")


def _repoint(diff: WorkflowDiff, workflow, spec) -> None:
    """SpiffWorkflow's `migrate_workflow`, except that an instance of a multi-instance task is not
    reset: resetting drops the item it works on, and the loop could never finish."""
    workflow.spec = spec
    for task in workflow.tasks.values():
        if diff.alignment.get(task) is not None:
            task.task_spec = diff.alignment[task]
    for task in list(workflow.get_tasks(state=TaskState.READY, skip_subprocesses=True)):
        in_loop = task.parent is not None and isinstance(task.parent.task_spec, LoopTask)
        if task.id in workflow.tasks and not in_loop:
            task.reset_branch(None)  # its predicted successors come from the new version
    if workflow.last_task not in workflow.tasks:
        workflow.last_task = None


def _target(target_definition_id: int) -> ProcessDefinition:
    target = db.session.get(ProcessDefinition, target_definition_id)
    if target is None:
        raise NotFound(f"no process definition {target_definition_id}")
    return target


def preview(target_definition_id: int) -> list[InstancePreview]:
    """Every running instance on an older version of the target's process, and what migrating it
    would do. Reads only."""
    target = _target(target_definition_id)
    parsed = parsed_by_id(target.id)
    rows = execute(_LOAD.where(_definitions.c.process_id == target.process_id,
                               _definitions.c.version < target.version, _instances.c.status == "running")
                   .order_by(_instances.c.id)).all()
    spec_diffs: dict = {}
    previews = []
    for row in rows:
        plan = _Plan(runtime.load(row), parsed, spec_diffs)
        previews.append(InstancePreview(
            row.process_instance_id, row.instance_case_id, row.case_number, row.definition_id, row.version,
            plan.mapped, plan.removed, plan.added, plan.reason is None, plan.reason))
    db.session.rollback()  # loading touched nothing, but leave no transaction open
    return previews


def migrate(target_definition_id: int, instance_ids: list[int], actor_id: int | None,
            dry_run: bool = False) -> MigrationReport:
    """Move each instance onto the target version, one transaction per case. A dry run says what
    would happen and writes nothing; an instance that cannot move says why and stays as it was."""
    target = _target(target_definition_id)
    report = MigrationReport(target.id, target.version, dry_run)
    parsed = parsed_by_id(target.id)
    spec_diffs: dict = {}
    for instance_id in dict.fromkeys(instance_ids):
        try:
            report.results.append(_migrate_one(instance_id, target, parsed, spec_diffs, actor_id, dry_run))
        except Conflict as exc:
            report.results.append(MigrationOutcome(instance_id, None, False, exc.message))
    return report


def _migrate_one(instance_id: int, target: ProcessDefinition, parsed: ParsedProcess, spec_diffs: dict,
                 actor_id: int | None, dry_run: bool) -> MigrationOutcome:
    with transaction():
        row = execute(_LOAD_ONE, {"instance_id": instance_id}).first()
        refusal = _refusal(row, target)
        if refusal is not None:
            return MigrationOutcome(instance_id, row.case_number if row else None, False, refusal,
                                    from_version=row.version if row else None)
        previous_state = row.state
        loaded = runtime.load(row)
        plan = _Plan(loaded, parsed, spec_diffs)
        outcome = MigrationOutcome(instance_id, row.case_number, plan.reason is None, plan.reason,
                                   from_version=row.version)
        if dry_run or plan.reason is not None:
            db.session.rollback()
            return outcome
        _save_on(loaded, parsed, target.id, actor_id)
        record = InstanceMigration(instance_id=instance_id, case_id=row.instance_case_id,
                                   from_definition_id=row.definition_id, to_definition_id=target.id,
                                   previous_state=previous_state, revision_after=loaded.row.revision,
                                   actor_id=actor_id)
        db.session.add(record)
        db.session.flush()
        history.record(row.instance_case_id, "migrated", instance_id=instance_id, actor_id=actor_id,
                       payload={"process": target.process_id, "from_version": row.version,
                                "to_version": target.version, "migration_id": record.id})
        outcome.migration_id = record.id
        return outcome


def _refusal(row, target: ProcessDefinition) -> str | None:
    if row is None:
        return "no such process instance"
    if row.process_id != target.process_id:
        return f"the case runs process '{row.process_id}', not '{target.process_id}'"
    if row.instance_status != "running":
        return f"the process of this case is {row.instance_status}"
    if row.definition_id == target.id:
        return f"the case is on version {target.version} already"
    return None


def _save_on(loaded: runtime.LoadedInstance, parsed: ParsedProcess, definition_id: int,
             actor_id: int | None) -> None:
    """Point the instance row at `parsed`'s definition and save the moved workflow; task rows the
    move kept (same task, maybe a renamed or changed element) take the new element's details."""
    repointed = execute(_REPOINT, {"instance_id": loaded.row.id, "loaded_revision": loaded.row.revision,
                                   "definition_id": definition_id}).rowcount
    if repointed != 1:
        raise Conflict(CONFLICT_MESSAGE)
    loaded.parsed, loaded.row.definition_id = parsed, definition_id
    after = runtime.save(loaded, actor_id, source="migration")
    kept = []
    for task_id, task in after.ready_user_tasks.items():
        if task_id in loaded.before.ready_user_tasks:
            spec, meta = task.task_spec, parsed.user_tasks.get(task.task_spec.bpmn_id)
            kept.append({"row_id": task_id, "element_id": spec.bpmn_id,
                         "name": spec.bpmn_name or spec.bpmn_id,
                         "candidate_role": meta.candidate_role if meta else None,
                         "form_key": meta.form_key if meta else None, "due_at": after.due_of(task)})
    if kept:
        execute(_REFRESH_TASK, kept)
    timers = [{"row_id": timer_id,
               "element_id": loaded.workflow.get_task_from_id(UUID(timer_id)).task_spec.bpmn_id}
              for timer_id in after.waiting_timers if timer_id in loaded.before.waiting_timers]
    if timers:
        execute(_REFRESH_TIMER, timers)


def revert(migration_id: int, actor_id: int | None, process_id: str | None = None) -> InstanceMigration:
    """Put the instance back as it was before the migration, if nothing happened to it since.
    `process_id` (from a URL) must be the migration's process."""
    with transaction():
        record = db.session.get(InstanceMigration, migration_id)
        if record is None or (process_id is not None and db.session.get(
                ProcessDefinition, record.to_definition_id).process_id != process_id):
            raise NotFound(f"no migration {migration_id}")
        if record.reverted_at is not None:
            raise Conflict(f"migration {migration_id} was reverted already")
        row = execute(_LOAD_ONE, {"instance_id": record.instance_id}).first()
        if row.definition_id != record.to_definition_id or row.revision != record.revision_after:
            raise Conflict(f"case {row.case_number} moved on since migration {migration_id} (a task was "
                           "done, a timer fired or it was migrated again); it cannot be reverted")
        loaded = runtime.load(row)
        previous = parsed_by_id(record.from_definition_id)
        loaded.workflow = serialization.loads(record.previous_state, previous, _script_engine)
        _save_on(loaded, previous, record.from_definition_id, actor_id)
        record.reverted_at, record.reverted_by_id = utcnow(), actor_id
        history.record(row.instance_case_id, "migration_reverted", instance_id=row.process_instance_id,
                       actor_id=actor_id, payload={"migration_id": record.id, "from_version": row.version,
                                                   "to_version": previous.version})
    return record


def migrations_of(process_id: str, limit: int = 100) -> list:
    """The latest migrations of a process's instances, newest first (for the migration page)."""
    target, source = _definitions.alias("target"), _definitions.alias("source")
    migrations = InstanceMigration.__table__
    return list(execute(
        select(migrations.c.id, migrations.c.instance_id, migrations.c.at, migrations.c.reverted_at,
               _cases.c.number.label("case_number"), source.c.version.label("from_version"),
               target.c.version.label("to_version"))
        .select_from(migrations.join(_cases, _cases.c.id == migrations.c.case_id)
                     .join(source, source.c.id == migrations.c.from_definition_id)
                     .join(target, target.c.id == migrations.c.to_definition_id))
        .where(target.c.process_id == process_id).order_by(migrations.c.id.desc()).limit(limit)))
