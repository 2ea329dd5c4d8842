"""The process files in workflows/ (complaint.bpmn, appeal.bpmn) as files designers edit: complete
diagram interchange, lanes that name roles, forms for every user task, no time limit written into
them, and what each one's end means for its case (closesCase)."""
import ast
from pathlib import Path

import pytest
from lxml import etree

WORKFLOWS = Path(__file__).resolve().parent.parent / "workflows"
FILES = sorted(WORKFLOWS.glob("*.bpmn"))
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "camunda": "http://camunda.org/schema/1.0/bpmn"}


class Model:
    def __init__(self, path: Path):
        self.root = etree.parse(str(path)).getroot()
        self.process = self.root.find("bpmn:process", NS)
        self.flow_nodes = [e for e in self.process
                           if etree.QName(e).localname.endswith(("Event", "Task", "Gateway"))]


@pytest.fixture(params=FILES, ids=[p.name for p in FILES])
def model(request) -> Model:
    return Model(request.param)


def test_both_processes_are_in_the_directory():
    assert {p.name for p in FILES} >= {"complaint.bpmn", "appeal.bpmn"}


def test_every_shape_and_edge_has_diagram_interchange(model):
    drawn = {e.get("bpmnElement") for e in model.root.iterfind(".//bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement") for e in model.root.iterfind(".//bpmndi:BPMNEdge", NS)}
    assert {n.get("id") for n in model.flow_nodes} <= drawn
    assert {f.get("id") for f in model.process.iterfind("bpmn:sequenceFlow", NS)} == edges
    assert {lane.get("id") for lane in model.process.iterfind(".//bpmn:lane", NS)} <= drawn


def test_every_flow_node_sits_in_exactly_one_lane(model):
    placed = [ref.text for ref in model.process.iterfind(".//bpmn:flowNodeRef", NS)]
    assert sorted(placed) == sorted(n.get("id") for n in model.flow_nodes)


def test_every_user_task_names_a_role_and_a_form_that_exists(model):
    forms = {p.stem for p in (WORKFLOWS.parent / "forms").glob("*.form")}
    for task in model.process.iterfind("bpmn:userTask", NS):
        assert task.get(f"{{{NS['camunda']}}}candidateGroups"), task.get("id")
        assert task.get(f"{{{NS['camunda']}}}formRef") in forms, task.get("id")


def test_no_time_limit_is_written_in_the_file(model):
    timers = [*model.process.iterfind(".//bpmn:timeDate", NS),
              *model.process.iterfind(".//bpmn:timeDuration", NS)]
    assert timers
    for timer in timers:
        call = ast.parse(timer.text.strip(), mode="eval").body
        assert isinstance(call, ast.Call) and call.func.id == "deadline", timer.text


@pytest.mark.parametrize(("name", "closes"), [("complaint.bpmn", None), ("appeal.bpmn", "false")])
def test_only_the_case_process_closes_the_case_when_it_ends(name, closes):
    process = Model(WORKFLOWS / name).process
    found = process.find("bpmn:extensionElements/camunda:properties/camunda:property[@name='closesCase']", NS)
    assert (found.get("value") if found is not None else None) == closes
