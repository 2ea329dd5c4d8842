"""Instance state <-> JSON without the process spec and without the finished history.

SpiffWorkflow's serializer writes the whole parsed spec into every instance and rebuilds it on
every load. We keep specs in the repository cache instead: the stored state holds only tasks and
data, and loading attaches the cached spec of the instance's own version. Of the tasks, only
those app/engine/pruning.py keeps are written (with the subprocesses still reachable from them),
so a step costs the same after twenty loops as at the start of a case.
"""
import json
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnSubWorkflowConverter, BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import VERSION, BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.util.deep_merge import DeepMerge

from app.engine import pruning
from app.engine.repository import ParsedProcess


class _PrunedTreeMixin:
    """A workflow's fields as SpiffWorkflow writes them, with only the tasks pruning keeps."""

    def workflow_fields(self, workflow) -> dict:
        cut = pruning.cut(workflow)
        if cut is None:
            tasks = self.mapping_to_dict(workflow.tasks)
        else:
            tasks = {str(task.id): self.registry.convert(task) for task in cut.kept}
            root, top = tasks[str(cut.root.id)], tasks[str(cut.top.id)]
            root["children"], top["parent"] = [str(cut.top.id)], str(cut.root.id)
            top["delta"] = {"updates": DeepMerge.get_updated_keys(cut.root.data, cut.top.data),
                            "deletions": DeepMerge.get_deleted_keys(cut.root.data, cut.top.data)}
        last = workflow.last_task
        return {
            "data": self.registry.convert(self.registry.clean(workflow.data)),
            "correlations": workflow.correlations,
            "last_task": str(last.id) if last is not None and str(last.id) in tasks else None,
            "success": workflow.success,
            "completed": workflow.completed,
            "tasks": tasks,
            "root": str(workflow.task_tree.id),
        }

    def subprocesses_to_dict(self, workflow, tasks: dict) -> dict:
        """The subprocesses whose task is still saved; a finished one whose task was cut goes."""
        saved, found = set(tasks), {}
        for task_id, subprocess in sorted(workflow.subprocesses.items(), key=lambda item: item[1].depth):
            if str(task_id) in saved:
                found[str(task_id)] = dct = self.registry.convert(subprocess)
                saved.update(dct["tasks"])
        return found


class _PrunedSubWorkflowConverter(_PrunedTreeMixin, BpmnSubWorkflowConverter):
    def to_dict(self, workflow):
        return {**self.workflow_fields(workflow), "parent_task_id": str(workflow.parent_task_id),
                "spec": workflow.spec.name}


class _SpeclessWorkflowConverter(_PrunedTreeMixin, BpmnWorkflowConverter):
    def to_dict(self, workflow):
        dct = self.workflow_fields(workflow)
        dct["subprocesses"] = self.subprocesses_to_dict(workflow, dct["tasks"])
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def restore(self, dct, parsed: ParsedProcess, script_engine):
        workflow = BpmnWorkflow(parsed.spec, parsed.subprocess_specs,
                                script_engine=script_engine, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


_registry = BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG)
_PrunedSubWorkflowConverter(BpmnSubWorkflow, _registry)  # registers itself for subprocesses
_converter = _SpeclessWorkflowConverter(BpmnWorkflow, _registry)
_serializer = BpmnWorkflowSerializer(_registry)


def dumps(workflow: BpmnWorkflow) -> str:
    _registry._encoder_mode = True
    try:
        dct = _converter.to_dict(workflow)
        dct[BpmnWorkflowSerializer.VERSION_KEY] = VERSION
        return json.dumps(dct, cls=_serializer._encoder_cls, separators=(",", ":"))
    finally:
        _registry._encoder_mode = False


def loads(state: str, parsed: ParsedProcess, script_engine) -> BpmnWorkflow:
    dct = json.loads(state)
    _serializer.migrate(dct)
    connect_loops(parsed)
    return _converter.restore(dct, parsed, script_engine)


def connect_loops(parsed: ParsedProcess) -> None:
    """Let each multi-instance task hear its instances complete. SpiffWorkflow connects this only
    when the loop creates its first instance, on the spec object; a freshly parsed spec (after a
    restart, or a version an instance was migrated to) would leave a running loop deaf for good."""
    if getattr(parsed, "loops_connected", False):
        return
    for spec in [parsed.spec, *parsed.subprocess_specs.values()]:
        for task_spec in list(spec.task_specs.values()):
            if isinstance(task_spec, LoopTask):
                child = spec.task_specs[task_spec.task_spec]
                if not child.completed_event.is_connected(task_spec.merge_child):
                    child.completed_event.connect(task_spec.merge_child)
    parsed.loops_connected = True
