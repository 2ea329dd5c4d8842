"""A process error at run time becomes an incident; the request gets a clear error; nothing moves."""
import time

from sqlalchemy import select

from app.engine import timers
from app.engine.models import HumanTask, Incident, ProcessInstance, Timer
from app.extensions import db
from tests import factories as f
from tests.factories import due_in


def open_task(case_id):
    return db.session.scalar(select(HumanTask).where(HumanTask.case_id == case_id,
                                                     HumanTask.status == "open"))


def test_a_failing_script_is_recorded_as_an_incident_and_changes_nothing(client, app):
    # given a case waiting at `first`, followed by a script that divides by the submitted divisor
    f.deploy("script_between_tasks.bpmn")
    unit = f.unit("V1")
    f.user("handler", (unit, "handler"))
    case = f.case(unit_row=unit, process_id="script_between_tasks")
    task_id = open_task(case.id).id
    revision = db.session.scalar(select(ProcessInstance.revision))
    headers = f.auth(client, "handler")

    # when the handler submits data that makes the script fail
    failed = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"divisor": 0}},
                         headers=headers)

    # then the request gets a clear error naming the element, and an incident is recorded
    assert failed.status_code == 422
    assert failed.json["code"] == "process_incident" and failed.json["element_id"] == "divide"
    assert "division by zero" in failed.json["message"]
    db.session.expire_all()
    incident = db.session.scalar(select(Incident))
    assert (incident.element_id, incident.status, incident.source) == ("divide", "open", "task")
    assert incident.id == failed.json["incident_id"]
    # and the process did not move
    assert open_task(case.id).id == task_id
    assert db.session.scalar(select(ProcessInstance.revision)) == revision

    # when the handler retries with good data, the process moves on and the incident is resolved
    ok = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"divisor": 4}}, headers=headers)
    assert ok.status_code == 200
    db.session.expire_all()
    assert open_task(case.id).element_id == "second"
    assert db.session.get(Incident, incident.id).status == "resolved"


def test_incidents_are_listed_for_administrators_only(client, app):
    f.deploy("script_between_tasks.bpmn")
    unit = f.unit("V1")
    f.user("handler", (unit, "handler"))
    f.user("admin", (f.unit("C1", "city", territory=f.territory("210900"), kind="centre"), "administrator"))
    case = f.case(unit_row=unit, process_id="script_between_tasks")
    client.post(f"/api/v1/tasks/{open_task(case.id).id}/complete", json={"data": {"divisor": 0}},
                headers=f.auth(client, "handler"))
    assert client.get("/api/v1/incidents", headers=f.auth(client, "handler")).status_code == 403
    listed = client.get("/api/v1/incidents", headers=f.auth(client, "admin"))
    assert [i["element_id"] for i in listed.json] == ["divide"]


def test_a_timer_whose_follow_up_fails_becomes_an_incident_and_can_be_retried(client, app, flaky_lookup):
    # given a registered function that fails on its first call (an outside system being down)
    f.deploy("timer_then_script.bpmn")
    unit = f.unit("V1")
    f.user("admin", (f.unit("C1", "city", territory=f.territory("210900"), kind="centre"), "administrator"))
    case = f.case(unit_row=unit, process_id="timer_then_script", data={"due": due_in(0.2)})
    time.sleep(0.4)

    # when the timer fires and the script after it fails
    assert timers.fire_due("test-worker") == 0
    db.session.expire_all()
    incident = db.session.scalar(select(Incident))
    assert incident.source == "timer" and incident.element_id == "compute"
    assert "lookup service unavailable" in incident.message
    assert db.session.scalar(select(Timer.status)) == "incident"
    assert timers.fire_due("test-worker") == 0  # an incident's timer is not retried on its own
    assert open_task(case.id) is None

    # then an administrator retries it after the outside system is back, and the process moves on
    retried = client.post(f"/api/v1/incidents/{incident.id}/retry", headers=f.auth(client, "admin"))
    assert retried.status_code == 200 and retried.json["status"] == "resolved"
    db.session.expire_all()
    assert open_task(case.id).element_id == "after_timer"
    assert db.session.scalar(select(Timer.status)) == "fired"
    assert client.post(f"/api/v1/incidents/{incident.id}/retry",
                       headers=f.auth(client, "admin")).status_code == 409
