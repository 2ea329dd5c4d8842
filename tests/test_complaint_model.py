"""workflows/complaint.bpmn as a file designers edit: complete diagram interchange, lanes that
name roles, forms for every user task, and no time limit written into it."""
import ast
from pathlib import Path

from lxml import etree

FILE = Path(__file__).resolve().parent.parent / "workflows" / "complaint.bpmn"
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "camunda": "http://camunda.org/schema/1.0/bpmn"}
ROOT = etree.parse(str(FILE)).getroot()
PROCESS = ROOT.find("bpmn:process", NS)
FLOW_NODES = [e for e in PROCESS if etree.QName(e).localname.endswith(
    ("Event", "Task", "Gateway"))]


def test_every_shape_and_edge_has_diagram_interchange():
    drawn = {e.get("bpmnElement") for e in ROOT.iterfind(".//bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement") for e in ROOT.iterfind(".//bpmndi:BPMNEdge", NS)}
    assert {n.get("id") for n in FLOW_NODES} <= drawn
    assert {f.get("id") for f in PROCESS.iterfind("bpmn:sequenceFlow", NS)} == edges
    assert {lane.get("id") for lane in PROCESS.iterfind(".//bpmn:lane", NS)} <= drawn


def test_every_flow_node_sits_in_exactly_one_lane():
    placed = [ref.text for ref in PROCESS.iterfind(".//bpmn:flowNodeRef", NS)]
    assert sorted(placed) == sorted(n.get("id") for n in FLOW_NODES)


def test_every_user_task_names_a_role_and_a_form_that_exists():
    forms = {p.stem for p in (FILE.parent.parent / "forms").glob("*.form")}
    for task in PROCESS.iterfind("bpmn:userTask", NS):
        assert task.get(f"{{{NS['camunda']}}}candidateGroups"), task.get("id")
        assert task.get(f"{{{NS['camunda']}}}formRef") in forms, task.get("id")


def test_no_time_limit_is_written_in_the_file():
    timers = [*PROCESS.iterfind(".//bpmn:timeDate", NS), *PROCESS.iterfind(".//bpmn:timeDuration", NS)]
    assert timers
    for timer in timers:
        call = ast.parse(timer.text.strip(), mode="eval").body
        assert isinstance(call, ast.Call) and call.func.id == "deadline", timer.text
