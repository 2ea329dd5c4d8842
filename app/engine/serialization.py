"""Instance state <-> JSON without the process spec.

SpiffWorkflow's serializer writes the whole parsed spec into every instance and rebuilds it on
every load. We keep specs in the repository cache instead: the stored state holds only tasks and
data, and loading attaches the cached spec of the instance's own version.
"""
import json
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import VERSION, BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG

from app.engine.repository import ParsedProcess


class _SpeclessWorkflowConverter(BpmnWorkflowConverter):
    def to_dict(self, workflow):
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
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
