"""Repository: versioned deployments, validation that names the element, parse once per version."""
import io

import pytest
from sqlalchemy import func, select

from app.cases.models import Case
from app.engine import repository, runtime
from app.engine.errors import DeploymentError
from app.engine.models import HumanTask, ProcessDefinition, ProcessInstance
from app.engine.tasks import complete
from app.engine.transaction import transaction
from app.extensions import db
from tests import factories as f
from tests.factories import _TEST_BPMN

COMPLAINT = (_TEST_BPMN / "simple_complaint.bpmn").read_bytes()
# The same process with an extra review step after handling.
COMPLAINT_V2 = COMPLAINT.replace(
    b'<bpmn:sequenceFlow id="flow_handle_closed" sourceRef="handle" targetRef="closed" />',
    b'<bpmn:sequenceFlow id="flow_handle_closed" sourceRef="handle" targetRef="review" />'
    b'<bpmn:userTask id="review" name="Review" camunda:candidateGroups="handler">'
    b'<bpmn:extensionElements><camunda:properties><camunda:property name="candidateUnit" value="unit_id" />'
    b'</camunda:properties></bpmn:extensionElements>'
    b'<bpmn:incoming>flow_handle_closed</bpmn:incoming><bpmn:outgoing>flow_review_closed</bpmn:outgoing>'
    b'</bpmn:userTask><bpmn:sequenceFlow id="flow_review_closed" sourceRef="review" targetRef="closed" />'
).replace(b"<bpmn:incoming>flow_handle_closed</bpmn:incoming>\n    </bpmn:endEvent>",
          b"<bpmn:incoming>flow_review_closed</bpmn:incoming>\n    </bpmn:endEvent>")


def definitions():
    return db.session.scalar(select(func.count()).select_from(ProcessDefinition))


def test_redeploying_identical_xml_is_a_no_op(app):
    first = f.deploy("simple_complaint.bpmn")
    again = f.deploy("simple_complaint.bpmn")
    assert [d.version for d in first] == [d.version for d in again] == [1]
    assert definitions() == 1


def test_a_changed_file_becomes_the_next_version_and_running_cases_stay_on_theirs(app):
    # given a case started on version 1
    assert b'targetRef="review"' in COMPLAINT_V2 and b"flow_review_closed</bpmn:incoming>" in COMPLAINT_V2
    f.deploy("simple_complaint.bpmn")
    unit = f.unit("V1")
    handler = f.user("handler", (unit, "handler"))
    old_case = f.case("old", unit_row=unit)

    # when an edited copy is deployed
    [v2] = f.deploy("simple_complaint.bpmn", COMPLAINT_V2)
    assert v2.version == 2 and definitions() == 2

    # then a new case runs on version 2 and needs the extra review
    new_case = f.case("new", unit_row=unit)
    versions = dict(db.session.execute(
        select(ProcessInstance.case_id, ProcessDefinition.version).join(ProcessDefinition)).all())
    assert versions == {old_case.id: 1, new_case.id: 2}

    def open_task(case_id):
        return db.session.scalar(select(HumanTask).where(HumanTask.case_id == case_id,
                                                         HumanTask.status == "open"))

    complete(handler, open_task(new_case.id).id, {"action": "reply"})
    assert open_task(new_case.id).element_id == "review"

    # and the old case finishes on version 1, without a review
    complete(handler, open_task(old_case.id).id, {"action": "reply"})
    db.session.expire_all()
    assert open_task(old_case.id) is None
    assert db.session.get(Case, old_case.id).status == "closed"


@pytest.mark.parametrize("filename, element, reason", [
    ("flow_to_nowhere.bpmn", "f3", "nowhere"),
    ("script_with_import.bpmn", "divide", "imports are not allowed"),
])
def test_invalid_bpmn_is_refused_naming_the_element_and_nothing_is_deployed(app, filename, element, reason):
    xml = (_TEST_BPMN / filename).read_bytes()
    with pytest.raises(DeploymentError) as refused:
        f.deploy(filename, xml)
    assert refused.value.element_id == element
    assert f"'{element}'" in refused.value.message and reason in refused.value.message
    assert definitions() == 0


@pytest.mark.parametrize("source, fragment", [
    ("__import__('os')", "__import__"),
    ("().__class__.__bases__", "access to '__bases__' is not allowed"),
    ("open('/etc/passwd')", "'open' is not a registered function"),
    ("'{0.__class__}'.format(1)", "format"),
    ("eval('1')", "'eval' is not a registered function"),
])
def test_expressions_that_reach_outside_the_sandbox_are_refused(app, source, fragment):
    xml = (_TEST_BPMN / "script_between_tasks.bpmn").read_bytes().replace(
        b"result = 100 / divisor", source.encode())
    with pytest.raises(DeploymentError) as refused:
        f.deploy("evil.bpmn", xml)
    assert fragment in refused.value.message and refused.value.element_id == "divide"
    assert definitions() == 0


def test_malformed_xml_is_refused(app):
    # outside a request (as at start-up) the reason is in the default locale, Chinese
    with pytest.raises(DeploymentError, match=r"broken\.bpmn：不是格式正确的 XML"):
        f.deploy("broken.bpmn", b"<bpmn:definitions")
    assert definitions() == 0


def test_deploy_through_the_api_refuses_invalid_files_with_422(client, app):
    admin_unit = f.unit("CENTER", "city")
    f.user("designer", (admin_unit, "process_designer"))
    headers = f.auth(client, "designer")
    bad = (_TEST_BPMN / "flow_to_nowhere.bpmn").read_bytes()
    refused = client.post("/api/v1/workflows", headers=headers,
                          data={"file": (io.BytesIO(bad), "flow_to_nowhere.bpmn")})
    assert refused.status_code == 422
    assert refused.json["code"] == "invalid_bpmn" and refused.json["element_id"] == "f3"
    assert [e["element_id"] for e in refused.json["errors"]] == ["f3"]
    assert definitions() == 0
    ok = client.post("/api/v1/workflows", headers=headers,
                     data={"file": (io.BytesIO(COMPLAINT), "complaint.bpmn")})
    assert ok.status_code == 201 and [d["version"] for d in ok.json["definitions"]] == [1]
    listed = client.get("/api/v1/workflows", headers=headers)
    assert [(p["process_id"], p["release_version"]) for p in listed.json] == [("complaint", 1)]


def test_a_version_is_parsed_once_not_per_request(app, monkeypatch):
    # given a deployed process whose parsed spec is not cached (as in a fresh worker)
    f.deploy("simple_complaint.bpmn")
    unit = f.unit("V1")
    handler = f.user("handler", (unit, "handler"))
    repository.clear_cache()
    calls = []
    real_parse = repository.parse
    monkeypatch.setattr(repository, "parse", lambda *a, **k: calls.append(a[1]) or real_parse(*a, **k))

    # when several cases are created and handled
    for i in range(3):
        case = f.case(f"case {i}", unit_row=unit)
        task = db.session.scalar(select(HumanTask).where(HumanTask.case_id == case.id))
        complete(handler, task.id, {"action": "reply"})

    # then the BPMN was parsed exactly once
    assert calls == ["simple_complaint.bpmn"]


def _beside(closes_case: bytes) -> bytes:
    """simple_complaint.bpmn as a second process `beside` whose BPMN says closesCase=<value>."""
    return COMPLAINT.replace(b'"complaint"', b'"beside"').replace(
        b'isExecutable="true">', b'isExecutable="true"><bpmn:extensionElements><camunda:properties>'
        b'<camunda:property name="closesCase" value="' + closes_case + b'" /></camunda:properties>'
        b'</bpmn:extensionElements>', 1)


def test_a_process_marked_closesCase_false_ends_without_closing_its_case(app):
    # given a case on its own process, and a second process marked closesCase="false" on it
    f.deploy("simple_complaint.bpmn")
    [beside] = f.deploy("beside.bpmn", _beside(b"false"))
    assert repository.parsed_process(beside).closes_case is False
    assert repository.parsed_process(repository.latest_definition("complaint")).closes_case is True
    unit = f.unit("V1")
    handler = f.user("handler", (unit, "handler"))
    case = f.case("lamp", unit_row=unit)
    with transaction():
        runtime.start(beside.id, case.id, {"case_id": case.id, "unit_id": unit.id}, None)

    def open_task(process_id):
        return db.session.scalar(select(HumanTask).join(ProcessInstance).join(ProcessDefinition).where(
            HumanTask.case_id == case.id, HumanTask.status == "open",
            ProcessDefinition.process_id == process_id))

    # when the second process ends, the case stays open
    complete(handler, open_task("beside").id, {"action": "reply"})
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == "open"
    # and when its own process ends, it closes
    complete(handler, open_task("complaint").id, {"action": "reply"})
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == "closed"


def test_a_closesCase_that_is_not_true_or_false_is_refused_at_deployment(app):
    with pytest.raises(DeploymentError) as refused:
        f.deploy("beside.bpmn", _beside(b"sometimes"))
    assert refused.value.element_id == "beside" and "closesCase" in refused.value.message
    assert definitions() == 0
