"""Validation before deploy: each rule refuses a file that breaks it, naming the element and what to
change; every problem of a file is reported at once; an incident shows the real cause."""
import inspect
from pathlib import Path

import pytest
from flask_babel import force_locale
from lxml import etree
from sqlalchemy import select

from app.accounts import roles
from app.cases.service import start_variables
from app.engine import repository, validation
from app.engine.models import HumanTask, Incident
from app.engine.transaction import transaction
from app.engine.validation import START_VARIABLES, catalogue, check_bundle
from app.extensions import db
from app.forms.registry import load_directory
from app.timelimits import limits
from tests import factories as f

ROOT = Path(__file__).resolve().parent.parent
COMPLAINT = (ROOT / "workflows" / "complaint.bpmn").read_text(encoding="utf-8")
FORMS = load_directory(ROOT / "forms")


@pytest.fixture(autouse=True)
def english(app):
    """The rules' messages in English, the language these tests read (Chinese is the default:
    tests/test_process_bundles.py asks for both)."""
    with force_locale("en"):
        yield


def problems_of(xml: str, forms=None) -> list:
    data = xml.encode("utf-8")
    return check_bundle(etree.fromstring(data), repository.parse(data), FORMS if forms is None else forms)


def changed(*replacements: tuple[str, str]) -> str:
    """complaint.bpmn with each (old, new) replaced once (the old text must be there)."""
    xml = COMPLAINT
    for old, new in replacements:
        assert old in xml, old
        xml = xml.replace(old, new, 1)
    return xml


def by_element(problems) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for problem in problems:
        found.setdefault(problem.element_id, []).append(problem.message)
    return found


@pytest.mark.parametrize("name", ["complaint.bpmn", "appeal.bpmn"])
def test_the_shipped_processes_pass_every_rule(app, name):
    assert problems_of((ROOT / "workflows" / name).read_text(encoding="utf-8")) == []


def test_a_deadline_naming_an_unknown_phase_is_refused_until_an_administrator_adds_the_phase(app):
    # given a timer that counts a phase nobody created
    xml = changed(("deadline('handling')<", "deadline('legal_review')<"))

    # then the file is refused, naming the timer and where to add the phase
    [problem] = problems_of(xml)
    assert problem.element_id == "handle_overdue"
    assert "'legal_review'" in problem.message and "Administration → Phases and roles" in problem.message

    # when an administrator adds the phase with its limit, the same file passes
    with transaction():
        limits.add_phase({"code": "legal_review", "name_zh": "法制审核", "name_en": "Legal review"},
                         {"amount": 3, "unit": "working_days"})
    assert problems_of(xml) == []


def test_a_phase_argument_of_any_registered_function_is_checked(app):
    xml = changed(("mark_overdue('handling')", "mark_overdue('handlng')"))
    [problem] = problems_of(xml)
    assert problem.element_id == "mark_handling_overdue" and "'handlng'" in problem.message


def test_an_unknown_candidate_role_is_refused_until_an_administrator_adds_the_role(app):
    xml = changed(('id="triage" name="Triage" camunda:candidateGroups="registrar"',
                   'id="triage" name="Triage" camunda:candidateGroups="legal_officer"'))
    [problem] = problems_of(xml)
    assert problem.element_id == "triage"
    assert "'legal_officer'" in problem.message and "Administration → Phases and roles" in problem.message

    with transaction():
        roles.add_role({"code": "legal_officer", "name_zh": "法制员", "name_en": "Legal officer",
                        "scope": "unit"})
    assert problems_of(xml) == []
    several = xml.replace('candidateGroups="legal_officer"', 'candidateGroups="legal_officer, registrar"')
    [problem] = problems_of(several)
    assert problem.element_id == "triage" and "name one role" in problem.message


def test_a_registered_function_called_with_arguments_it_does_not_take_is_refused(app):
    xml = changed(("refuse_case(refusal_reason, redirect_to)", "refuse_case(refusal_reason)"),
                  ("handling_since = assign_case(unit_id, level)",
                   "handling_since = assign_case(unit_id, level, colour='red')"))
    found = by_element(problems_of(xml))
    assert set(found) == {"refuse", "assign"}
    assert "redirect_to" in found["refuse"][0]
    assert "refuse_case(reason: str, redirect_to: str)" in found["refuse"][0]
    assert "colour" in found["assign"][0]


def test_a_form_missing_from_the_bundle_is_refused(app):
    forms = {key: form for key, form in FORMS.items() if key != "triage"}
    [problem] = problems_of(COMPLAINT, forms)
    assert problem.element_id == "triage" and "triage.form" in problem.message


def test_a_condition_reading_a_variable_nothing_sets_is_refused(app):
    xml = changed(("<bpmn:conditionExpression xsi:type=\"bpmn:tFormalExpression\">rating_ok<",
                   "<bpmn:conditionExpression xsi:type=\"bpmn:tFormalExpression\">rating_okay<"))
    [problem] = problems_of(xml)
    assert problem.element_id == "f_happy" and "'rating_okay'" in problem.message


def test_allowed_actions_must_be_options_of_the_task_form_and_listed_once(app):
    xml = changed(("['accept'] if overruled_unit_id == unit_id else ['accept', 'return']",
                   "['accept'] if overruled_unit_id == unit_id else ['accept', 'retrun']"),
                  ("['reply', 'extension'] if level == 'city'",
                   "['reply', 'reply', 'extension'] if level == 'city'"))
    found = by_element(problems_of(xml))
    assert set(found) == {"first_contact", "handle"}
    assert "'retrun'" in found["first_contact"][0] and "first-contact" in found["first_contact"][0]
    assert found["handle"] == [
        "allowedActions of user task 'handle' lists 'reply' twice; list each action once"]


def test_a_process_lacking_a_meaning_the_product_needs_is_refused(app):
    xml = changed(('<camunda:property name="meaning" value="rating"/>', ""))
    [problem] = problems_of(xml)
    assert problem.element_id == "complaint"
    assert "record_rating()" in problem.message and "value=\"rating\"" in problem.message


def test_unknown_meanings_and_a_property_given_twice_are_refused(app):
    marked_twice = ('<camunda:property name="meaning" value="dispatch"/>'
                    '<camunda:property name="meaning" value="x"/>')
    xml = changed(('<camunda:property name="queue" value="review"/>',
                   '<camunda:property name="queue" value="reveiw"/>'),
                  ('<camunda:property name="meaning" value="dispatch"/>', marked_twice))
    found = by_element(problems_of(xml))
    assert any("'reveiw'" in m and "dispatch, review, revisit" in m for m in found["review_extension"])
    assert any("more than once" in m for m in found["dispatch"])


def test_every_problem_of_a_file_is_reported_at_once(app):
    xml = changed(("deadline('handling')<", "deadline('legal_review')<"),
                  ('id="triage" name="Triage" camunda:candidateGroups="registrar"',
                   'id="triage" name="Triage" camunda:candidateGroups="legal_officer"'),
                  ("refuse_case(refusal_reason, redirect_to)", "refuse_case(refusal_reason)"),
                  ("<bpmn:conditionExpression xsi:type=\"bpmn:tFormalExpression\">rating_ok<",
                   "<bpmn:conditionExpression xsi:type=\"bpmn:tFormalExpression\">rating_okay<"))
    assert set(by_element(problems_of(xml))) == {"handle_overdue", "triage", "refuse", "f_happy"}


def test_the_catalogue_lists_what_the_rules_accept(app):
    with transaction():
        limits.add_phase({"code": "legal_review", "name_zh": "法制审核", "name_en": "Legal review"})
    found = catalogue()
    assert {"code": "legal_review", "name": "法制审核 Legal review", "name_zh": "法制审核",
            "name_en": "Legal review"} in found["phases"]
    assert "handler" in [r["code"] for r in found["roles"]]
    deadline = next(fn for fn in found["functions"] if fn["name"] == "deadline")
    assert deadline["params"] == "(phase: str, part: str = 'due') -> str"
    assert found["meanings"]["queue"] == ["dispatch", "review", "revisit"]


def test_the_start_data_the_validator_knows_is_what_cases_start_with(app):
    started = start_variables(*[None] * len(inspect.signature(start_variables).parameters))
    assert set(started) <= START_VARIABLES


TIMER_ON_UNKNOWN_PHASE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="https://huiyin.example/test">
  <bpmn:process id="legal" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="first" name="First" camunda:candidateGroups="handler">
      <bpmn:extensionElements><camunda:properties><camunda:property name="candidateUnit" value="unit_id" />
      </camunda:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:intermediateCatchEvent id="wait_legal_review"><bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDate>deadline('legal_review')</bpmn:timeDate></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="first" />
    <bpmn:sequenceFlow id="f2" sourceRef="first" targetRef="wait_legal_review" />
    <bpmn:sequenceFlow id="f3" sourceRef="wait_legal_review" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""


def test_an_incident_shows_the_real_cause_not_just_error_evaluating_expression(client, app, monkeypatch):
    # given a case (deployed before validation existed) whose next timer counts an unknown phase
    with monkeypatch.context() as before_validation:
        before_validation.setattr(validation, "check_bundle", lambda root, parsed, forms: [])
        f.deploy("legal.bpmn", TIMER_ON_UNKNOWN_PHASE.encode())
    unit = f.unit("V1")
    f.user("handler", (unit, "handler"))
    case = f.case(unit_row=unit, process_id="legal")
    task_id = db.session.scalar(select(HumanTask.id).where(HumanTask.case_id == case.id))

    # when the handler completes the task and the timer's date is evaluated
    failed = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {}},
                         headers=f.auth(client, "handler"))

    # then the answer and the incident name the element and the real cause
    assert failed.status_code == 422 and failed.json["element_id"] == "wait_legal_review"
    assert "no time limit for phase 'legal_review'" in failed.json["message"]
    incident = db.session.scalar(select(Incident))
    assert "LookupError: no time limit for phase 'legal_review'" in incident.message
