"""Meanings live in the BPMN: a designer may rename an element in the modeler and the product keeps
working as long as the element carries its meaning (camunda:property meaning / queue / publicStatus)."""
import json
import re
from pathlib import Path

from sqlalchemy import select

from app.accounts.models import User
from app.cases.models import Case
from app.citizen.service import public_view, rate
from app.clock import utcnow
from app.engine import meanings, repository
from app.engine.models import ProcessDefinition
from app.extensions import db
from app.open311.mapping import detailed_status
from app.timelimits.lights import basis
from app.workspace.inbox import InboxFilter, inbox
from tests import factories as f
from tests.complaint_city import Desk, build_city
from tests.web_helpers import csrf_token, signed_in

COMPLAINT = (Path(__file__).resolve().parent.parent / "workflows" / "complaint.bpmn").read_text("utf-8")


def renamed(xml: str, old: str, new: str) -> str:
    """The element `old` renamed to `new` everywhere the file refers to it, as a modeler does."""
    xml = re.sub(rf'\b(id|sourceRef|targetRef|attachedToRef|bpmnElement)="{old}"', rf'\1="{new}"', xml)
    return xml.replace(f">{old}</bpmn:flowNodeRef>", f">{new}</bpmn:flowNodeRef>")


def a_call_at_the_desk(client) -> str:
    signed_in(client, "registrar")
    saved = client.post("/desk", data={
        "csrf_token": csrf_token(client, "/desk"), "phone": "13812345678", "name": "李女士",
        "request_type": "complaint", "category_code": "lamp", "territory_code": "210921001001",
        "title": "三组路灯不亮", "description": "三组路口路灯坏了一周", "decision": "accept"})
    assert saved.status_code == 302
    return saved.location.rsplit("/", 1)[-1]


def queue_elements(username: str, queue: str) -> list[str]:
    user = db.session.scalar(select(User).where(User.username == username))
    return [row.element_id for row in inbox(user, InboxFilter(queue=queue), basis(utcnow()))]


def test_the_shipped_process_marks_every_queue_and_meaning_the_product_used_by_element_id(app):
    definition = f.deploy("complaint.bpmn")[0]
    marked = meanings.for_definition(definition.id)
    assert marked[("queue", "dispatch")] == {"dispatch", "review_return", "chief_reassign"}
    assert marked[("queue", "review")] == {"unit_review", "platform_review", "review_extension"}
    assert marked[("queue", "revisit")] == {"rating", "revisit"}
    assert marked[("publicStatus", "RECEIVED")] == {"triage"}
    assert marked[("publicStatus", "PROCESSED")] == {"rating", "revisit"}
    assert marked[("meaning", "triage")] == {"triage"} and marked[("meaning", "dispatch")] == {"dispatch"}
    assert marked[("meaning", "rating")] == {"rating"}
    assert marked[("meaning", "reply_due")] == {"handle", "first_contact"}


def test_renamed_triage_and_dispatch_tasks_keep_the_desk_and_the_dispatch_queue_working(client, app):
    # given the city's process, then a designer's copy where triage and dispatch have new ids
    city = build_city()
    xml = renamed(renamed(COMPLAINT, "triage", "check_request"), "dispatch", "allocate")
    f.deploy("complaint.bpmn", xml.encode())

    # when the desk registers and accepts a call
    number = a_call_at_the_desk(client)

    # then the desk triaged it (by meaning) and it waits in the dispatch queue under its new id
    desk = Desk(client, number=number)
    assert desk.holders() == [("allocate", "C-CITY", "dispatcher")]
    assert queue_elements("dispatcher", "dispatch") == ["allocate"]
    # with the routing catalogue's proposal pre-filled in its form
    task = desk.task("dispatcher", "allocate")
    signed_in(client, "dispatcher")
    page = client.get(f"/tasks/{task}").get_data(as_text=True)
    initial = json.loads(re.search(r'id="task-form-data">(.*?)</script>', page, re.S).group(1))
    assert (initial["unit_id"], initial["level"]) == (city["units"]["village"].id, "village")


def test_a_renamed_task_without_its_queue_property_leaves_the_queue(client, app):
    build_city()
    xml = renamed(COMPLAINT, "dispatch", "allocate").replace(
        '<camunda:property name="queue" value="dispatch"/>', "", 1)  # the first: the dispatch task's
    f.deploy("complaint.bpmn", xml.encode())
    number = a_call_at_the_desk(client)
    assert Desk(client, number=number).holders() == [("allocate", "C-CITY", "dispatcher")]
    assert queue_elements("dispatcher", "dispatch") == []


def test_a_renamed_rating_task_is_still_what_the_requester_rates_and_open311_calls_processed(client, app):
    # given a copy whose rating task has a new id, and a case answered on it
    city = build_city()
    f.deploy("complaint.bpmn", renamed(COMPLAINT, "rating", "requester_rates").encode())
    desk = Desk(client)
    desk.village_case(city["units"])
    desk.village_answers()
    case = db.session.scalar(select(Case).where(Case.number == desk.number))

    # then the requester may rate, Open311 says the request is processed
    assert desk.holders() == [("requester_rates", "C-CITY", "platform_supervisor")]
    assert public_view(case).can_rate
    assert detailed_status(case, {"requester_rates"}) == "PROCESSED"

    # and the requester's rating completes the renamed task
    rate(case, "satisfied", "resolved", "")
    db.session.expire_all()
    assert desk.holders() == [] and db.session.get(Case, case.id).satisfaction == "satisfied"


def test_meanings_are_read_once_per_deployed_version(app, monkeypatch):
    definition = f.deploy("complaint.bpmn")[0]
    first = meanings.for_definition(definition.id)
    calls = []
    monkeypatch.setattr(meanings, "of_parsed", lambda parsed: calls.append(parsed) or {})
    assert meanings.for_definition(definition.id) is first and calls == []
    assert db.session.scalar(select(ProcessDefinition.id)) == definition.id
    repository.clear_cache()  # a new parse (another worker, a reset database) is read again
    meanings.for_definition(definition.id)
    assert len(calls) == 1
