"""Repairing stuck cases: the incidents list, moving a case to a step, closing it with a reason."""
import time

import pytest
from sqlalchemy import select

from app.cases.models import Case
from app.engine import scripting, timers
from app.engine.models import CaseEvent, HumanTask, Incident, ProcessInstance, Timer
from app.extensions import db
from tests import factories as f
from tests import web_helpers as web
from tests.complaint_city import Desk, build_city


@pytest.fixture
def city(app):
    """A city whose centre has an administrator, a village office (township 001) with a handler,
    and township 002 whose administrator must not reach township 001's cases."""
    city = f.territory("210900", "city")
    village = f.unit("V1", territory=f.territory("210900001", "township", city))
    f.user("handler", (village, "handler"))
    f.user("admin", (f.unit("C210900", "city", territory=city, kind="centre"), "administrator"))
    other = f.territory("210900002", "township", city)
    f.user("stranger", (f.unit("T2", "township", territory=other, kind="centre"), "administrator"))
    return village


def open_tasks(case_id) -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(HumanTask.element_id).where(
        HumanTask.case_id == case_id, HumanTask.status == "open")))


def complete(client, case_id, data=None):
    task_id = db.session.scalar(select(HumanTask.id).where(HumanTask.case_id == case_id,
                                                           HumanTask.status == "open"))
    return client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": data or {}},
                       headers=f.auth(client, "handler"))


def stuck_case(client, village):
    """A case whose step after `first` is a gateway comparing the case's level (a text) with a
    number: valid to deploy, failing whenever it runs."""
    f.deploy("failing_condition.bpmn")
    case = f.case(unit_row=village, process_id="failing_condition", territory_code="210900001")
    failed = complete(client, case.id)
    assert failed.status_code == 422 and failed.json["element_id"] == "route"
    return case


def test_a_case_stuck_on_a_failing_expression_is_moved_to_a_step_and_completes(client, city):
    # given a case stuck at `first`: completing it fails on the gateway's condition every time
    case = stuck_case(client, city)
    assert complete(client, case.id).status_code == 422
    admin = f.auth(client, "admin")
    listed = client.get("/api/v1/incidents", headers=admin).json
    assert [(i["case_number"], i["element_id"]) for i in listed] == [(case.number, "route")] * 2

    # when the administrator moves the case past the gateway to `small`, giving a reason
    steps = client.get(f"/api/v1/cases/{case.number}/repair", headers=admin).json
    assert {s["element_id"] for s in steps} == {"first", "large", "small"}
    reason = "the level is a text, not an amount; small claims"
    moved = client.post(f"/api/v1/cases/{case.number}/repair/move-to", headers=admin,
                        json={"element_id": "small", "reason": reason})

    # then the case waits at `small`, the incidents are settled, and the timeline says who and why
    assert moved.status_code == 200 and (moved.json["from"], moved.json["to"]) == ("first", "small")
    assert open_tasks(case.id) == ["small"]
    assert client.get("/api/v1/incidents", headers=admin).json == []
    event = db.session.scalar(select(CaseEvent).where(CaseEvent.kind == "repair_moved"))
    assert event.actor_id == f.user_id("admin")
    assert event.payload == {"from": "first", "to": "small", "reason": reason}
    # and the handler completes it: the process ends and the case closes
    assert complete(client, case.id).status_code == 200
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == "closed"
    assert db.session.scalar(select(ProcessInstance.status)) == "completed"


def test_a_case_is_moved_back_to_a_step_it_passed(client, city):
    f.deploy("two_steps.bpmn")
    case = f.case(unit_row=city, process_id="two_steps", territory_code="210900001",
                  data={"due": f.due_in(3600)})
    assert complete(client, case.id).status_code == 200
    assert open_tasks(case.id) == ["second"]

    moved = client.post(f"/api/v1/cases/{case.number}/repair/move-to", headers=f.auth(client, "admin"),
                        json={"element_id": "first", "reason": "the first answer was wrong"})

    assert moved.status_code == 200
    assert open_tasks(case.id) == ["first"]
    cancelled = db.session.scalar(select(HumanTask.status).where(HumanTask.element_id == "second"))
    assert cancelled == "cancelled"
    assert complete(client, case.id).status_code == 200 and open_tasks(case.id) == ["second"]


def test_a_stuck_case_is_closed_with_a_reason(client, city):
    case = stuck_case(client, city)
    admin = f.auth(client, "admin")

    missing = client.post(f"/api/v1/cases/{case.number}/repair/close", headers=admin, json={"reason": ""})
    assert missing.status_code == 422 and "reason" in str(missing.json)
    closed = client.post(f"/api/v1/cases/{case.number}/repair/close", headers=admin,
                         json={"reason": "duplicate of an older case"})

    assert closed.status_code == 200
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == "closed"
    assert open_tasks(case.id) == []
    assert db.session.scalar(select(ProcessInstance.status)) == "cancelled"
    assert db.session.scalar(select(Incident.status)) == "resolved"
    kinds = list(db.session.scalars(select(CaseEvent.kind).order_by(CaseEvent.id)))
    assert "repair_closed" in kinds and kinds[-1] == "case_closed"
    again = client.post(f"/api/v1/cases/{case.number}/repair/close", headers=admin, json={"reason": "again"})
    assert again.status_code == 409


def test_repair_needs_the_permission_the_jurisdiction_and_a_real_step(client, city):
    case = stuck_case(client, city)
    url = f"/api/v1/cases/{case.number}/repair/move-to"
    body = {"element_id": "small", "reason": "test"}

    assert client.post(url, headers=f.auth(client, "handler"), json=body).status_code == 403
    assert client.post(url, headers=f.auth(client, "stranger"), json=body).status_code == 404
    assert client.get("/api/v1/incidents", headers=f.auth(client, "stranger")).json == []
    unknown = client.post(url, headers=f.auth(client, "admin"), json={"element_id": "route", "reason": "x"})
    assert unknown.status_code == 422 and "element_id" in unknown.json["errors"]
    assert open_tasks(case.id) == ["first"]


def test_the_incidents_page_and_the_repair_form_move_a_stuck_case(client, city):
    # given a stuck case and its administrator signed in to the web pages
    case = stuck_case(client, city)
    web.signed_in(client, "admin")

    # the incidents page shows the element, the cause and the case
    page = client.get("/repair/incidents").get_data(as_text=True)
    assert case.number in page and "route" in page and "not supported between" in page

    # a move without a reason is refused on the form, and nothing moves
    form = f"/repair/cases/{case.number}"
    refused = web.post_form(client, f"{form}/move", {"element_id": "small", "reason": " "}, page=form)
    assert refused.status_code == 422 and "move-reason-error" in refused.get_data(as_text=True)
    assert open_tasks(case.id) == ["first"]

    # with a reason the case moves, and the case page says so
    moved = web.post_form(client, f"{form}/move", {"element_id": "small", "reason": "<b>small</b> claim"},
                          page=form)
    assert moved.status_code == 302 and moved.location.endswith(f"/cases/{case.number}")
    assert open_tasks(case.id) == ["small"]


def test_the_repair_pages_are_for_administrators_and_need_the_form_token(client, city):
    case = stuck_case(client, city)
    web.signed_in(client, "handler")
    assert client.get("/repair/incidents").status_code == 403
    assert client.get(f"/repair/cases/{case.number}").status_code == 403
    web.signed_in(client, "admin")
    forged = client.post(f"/repair/cases/{case.number}/close", data={"close_reason": "no token"})
    assert forged.status_code in (400, 403)
    assert open_tasks(case.id) == ["first"]


def test_a_case_whose_timer_keeps_failing_is_moved_past_it(client, city, monkeypatch):
    # given a case whose timer fired and whose follow-up fails every time (an incident)
    def lookup_down():
        raise ConnectionError("lookup service retired")

    monkeypatch.setitem(scripting._globals, "flaky_lookup", lookup_down)
    f.deploy("timer_then_script.bpmn")
    case = f.case(unit_row=city, process_id="timer_then_script", territory_code="210900001",
                  data={"due": f.due_in(0.2)})
    time.sleep(0.4)
    timers.fire_due("test-worker")
    db.session.expire_all()
    assert db.session.scalar(select(Timer.status)) == "incident"

    # when the administrator moves the case to the step after the failing script
    moved = client.post(f"/api/v1/cases/{case.number}/repair/move-to", headers=f.auth(client, "admin"),
                        json={"element_id": "after_timer", "reason": "the lookup service is retired"})

    # then the timer is cancelled, the incident settled, and the case goes on to its end
    assert moved.status_code == 200 and moved.json["from"] == "wait"
    db.session.expire_all()
    assert db.session.scalar(select(Timer.status)) == "cancelled"
    assert db.session.scalar(select(Incident.status)) == "resolved"
    assert open_tasks(case.id) == ["after_timer"]
    assert complete(client, case.id).status_code == 200
    assert db.session.get(Case, case.id).status == "closed"


def test_a_case_waiting_at_several_steps_at_once_is_not_moved(client, app):
    # given a case whose two cooperating units work on it at the same time
    city = build_city()
    units = city["units"]
    f.user("admin", (city["centre"], "administrator"))
    desk = Desk(client)
    desk.cooperation_under_way(units)

    refused = client.post(f"/api/v1/cases/{desk.number}/repair/move-to", headers=f.auth(client, "admin"),
                          json={"element_id": "handle", "reason": "skip the cooperation"})

    assert refused.status_code == 409 and "exactly one" in refused.json["message"]
    assert desk.holders() == [("cooperate", "P-POLICE", "handler"), ("cooperate", "U-URBAN", "handler")]


def test_a_timer_incident_is_retried_from_the_incidents_page_within_the_jurisdiction(client, city,
                                                                                    flaky_lookup):
    # given a case whose timer follow-up failed once because an outside system was down
    f.deploy("timer_then_script.bpmn")
    case = f.case(unit_row=city, process_id="timer_then_script", territory_code="210900001",
                  data={"due": f.due_in(0.2)})
    time.sleep(0.4)
    timers.fire_due("test-worker")
    incident_id = db.session.scalar(select(Incident.id))

    # an administrator of another township may not retry it
    outside = client.post(f"/api/v1/incidents/{incident_id}/retry", headers=f.auth(client, "stranger"))
    assert outside.status_code == 404

    # when the city's administrator presses Retry on the incidents page
    web.signed_in(client, "admin")
    retried = web.post_form(client, f"/repair/incidents/{incident_id}/retry", page="/repair/incidents")

    # then the process moves on and the incident is gone from the page
    assert retried.status_code == 302
    assert open_tasks(case.id) == ["after_timer"]
    assert f"incident-{incident_id}" not in client.get("/repair/incidents").get_data(as_text=True)
