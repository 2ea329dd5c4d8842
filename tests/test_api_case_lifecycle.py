"""The first path through the stack: case -> task -> complete -> closed, over HTTP."""
import pytest
from sqlalchemy import create_engine, event, func, insert, select

from app.cases.models import Case
from app.cases.service import NewCase, create_case
from app.engine.models import CaseEvent, HumanTask, ProcessInstance
from app.extensions import db
from tests import factories as f


@pytest.fixture
def village(app):
    f.deploy("simple_complaint.bpmn")
    city = f.territory("210900", "city")
    unit = f.unit("210902001001", "village")
    center = f.unit("210900-CENTER", "city", territory=city, kind="centre")
    f.user("registrar", (center, "registrar"))
    f.user("handler", (unit, "handler"))
    return unit


def counts():
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Case, ProcessInstance, HumanTask, CaseEvent)}


def test_case_is_created_handled_and_closed_through_the_api(client, village):
    # given a registrar and a village handler
    registrar, handler = f.auth(client, "registrar"), f.auth(client, "handler")

    # when the registrar registers a case for the village
    created = client.post("/api/v1/cases", json={"title": "路灯不亮", "description": "新兴路 3 号",
                                                 "unit_code": village.code}, headers=registrar)
    assert created.status_code == 201
    number = created.json["number"]
    assert number.startswith("HY") and number.endswith("-000001")
    assert created.json["status"] == "open"

    # then the handler sees its task and completes it
    inbox = client.get("/api/v1/tasks", headers=handler)
    assert inbox.status_code == 200
    assert [(t["case_number"], t["element_id"]) for t in inbox.json] == [(number, "handle")]
    task_id = inbox.json[0]["id"]
    done = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"action": "reply"}},
                       headers=handler)
    assert done.status_code == 200
    assert done.json["status"] == "completed" and done.json["action"] == "reply"

    # and the case is closed with its whole timeline (completing the task signed for it first)
    case = client.get(f"/api/v1/cases/{number}", headers=registrar)
    assert case.status_code == 200
    assert case.json["status"] == "closed" and case.json["closed_at"]
    assert [e["kind"] for e in case.json["timeline"]] == [
        "case_created", "process_started", "task_created", "task_claimed", "task_completed",
        "process_completed", "case_closed"]
    assert client.get("/api/v1/tasks", headers=handler).json == []


def test_case_numbers_count_up_within_a_day(client, village):
    registrar = f.auth(client, "registrar")
    numbers = [client.post("/api/v1/cases", json={"title": f"case {i}"}, headers=registrar).json["number"]
               for i in range(3)]
    assert [n[-6:] for n in numbers] == ["000001", "000002", "000003"]
    assert len({n[:10] for n in numbers}) == 1


def test_openapi_document_lists_the_endpoints(client, app):
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    assert {"/api/v1/cases", "/api/v1/tasks/{task_id}/complete", "/api/v1/auth/token"} <= set(
        spec.json["paths"])


@pytest.mark.parametrize("body, content_type, status, field", [
    ("{not json", "application/json", 400, None),
    ('{"title": "x", "colour": "red"}', "application/json", 422, "colour"),
    ('{"description": "no title"}', "application/json", 422, "title"),
    ('{"title": ""}', "application/json", 422, "title"),
    ('{"title": "x", "unit_code": "NO-SUCH-UNIT"}', "application/json", 422, "unit_code"),
    ('["a list"]', "application/json", 422, None),
])
def test_bad_case_input_is_refused_with_a_clear_error_and_changes_nothing(
        client, village, body, content_type, status, field):
    registrar = f.auth(client, "registrar")
    before = counts()
    response = client.post("/api/v1/cases", data=body, content_type=content_type, headers=registrar)
    assert response.status_code == status
    assert set(response.json) >= {"code", "message", "errors"}
    assert response.json["message"]
    if field:
        assert field in response.json["errors"]
    assert counts() == before


def test_unknown_case_and_task_answer_404(client, village):
    handler = f.auth(client, "handler")
    registrar = f.auth(client, "registrar")
    assert client.get("/api/v1/cases/HY20260101-999999", headers=registrar).status_code == 404
    missing = client.post("/api/v1/tasks/00000000-0000-0000-0000-000000000000/complete",
                          json={"data": {}}, headers=handler)
    assert missing.status_code == 404 and missing.json["code"] == "not_found"


def test_requests_without_a_valid_token_are_refused(client, village):
    assert client.get("/api/v1/tasks").status_code == 401
    assert client.get("/api/v1/tasks", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    wrong = client.post("/api/v1/auth/token", json={"username": "handler", "password": "wrong"})
    assert wrong.status_code == 401


def test_a_role_without_the_permission_gets_403(client, village):
    handler = f.auth(client, "handler")
    before = counts()
    response = client.post("/api/v1/cases", json={"title": "x"}, headers=handler)
    assert response.status_code == 403
    assert counts() == before


def test_a_task_of_another_unit_is_not_found_and_stays_open(client, village):
    other = f.unit("210902001002", "village")
    f.user("stranger", (other, "handler"))
    case = f.case(unit_row=village)
    task = db.session.scalar(select(HumanTask).where(HumanTask.case_id == case.id))
    stranger = f.auth(client, "stranger")
    assert client.get(f"/api/v1/tasks/{task.id}", headers=stranger).status_code == 404
    assert client.post(f"/api/v1/tasks/{task.id}/complete", json={"data": {}},
                       headers=stranger).status_code == 404
    assert client.get("/api/v1/tasks", headers=stranger).json == []
    assert client.get(f"/api/v1/cases/{case.number}", headers=stranger).status_code == 404
    db.session.expire_all()
    assert db.session.get(HumanTask, task.id).status == "open"


def test_a_task_signed_for_by_a_colleague_cannot_be_completed(client, village):
    f.user("colleague", (village, "handler"))
    case = f.case(unit_row=village)
    task = db.session.scalar(select(HumanTask).where(HumanTask.case_id == case.id))
    handler, colleague = f.auth(client, "handler"), f.auth(client, "colleague")
    assert client.post(f"/api/v1/tasks/{task.id}/claim", headers=handler).status_code == 200
    refused = client.post(f"/api/v1/tasks/{task.id}/complete", json={"data": {}}, headers=colleague)
    assert refused.status_code == 403
    db.session.expire_all()
    assert db.session.get(HumanTask, task.id).status == "open"


@pytest.mark.parametrize("data, field", [
    ({"__class__": 1}, "__class__"),
    ({"1abc": 1}, "1abc"),
    ({"ok": 1, "bad key": 2}, "bad key"),
    ({"action": ["reply"]}, "action"),
    ({"action": "x" * 41}, "action"),
])
def test_task_data_with_bad_field_names_is_refused(client, village, data, field):
    case = f.case(unit_row=village)
    task = db.session.scalar(select(HumanTask).where(HumanTask.case_id == case.id))
    handler = f.auth(client, "handler")
    response = client.post(f"/api/v1/tasks/{task.id}/complete", json={"data": data}, headers=handler)
    assert response.status_code == 422
    assert field in response.json["errors"]
    db.session.expire_all()
    assert db.session.get(HumanTask, task.id).status == "open"


def test_complete_body_with_unknown_fields_is_refused(client, village):
    case = f.case(unit_row=village)
    task = db.session.scalar(select(HumanTask).where(HumanTask.case_id == case.id))
    handler = f.auth(client, "handler")
    response = client.post(f"/api/v1/tasks/{task.id}/complete", json={"dat": {}}, headers=handler)
    assert response.status_code == 422 and "dat" in response.json["errors"]


def test_a_task_without_a_candidate_unit_is_offered_to_the_role_anywhere(client, village):
    # given a process whose user task names a role but no unit
    f.deploy("timer_then_task.bpmn")  # only to have a second process around
    other = f.unit("OTHER", "township")
    f.user("other_handler", (other, "handler"))
    f.user("other_reviewer", (other, "unit_reviewer"))
    case = f.case()  # no unit: the complaint's `handle` task gets candidate_unit_id None
    task = db.session.scalar(select(HumanTask).where(HumanTask.case_id == case.id))
    assert task.candidate_unit_id is None and task.candidate_role == "handler"
    # then any handler sees it, a reviewer does not
    handler, reviewer = f.auth(client, "other_handler"), f.auth(client, "other_reviewer")
    assert [t["id"] for t in client.get("/api/v1/tasks", headers=handler).json] == [task.id]
    assert client.get("/api/v1/tasks", headers=reviewer).json == []
    assert client.get(f"/api/v1/tasks/{task.id}", headers=reviewer).status_code == 404


def test_a_repeated_external_ref_returns_the_existing_case_with_200(client, village):
    registrar = f.auth(client, "registrar")
    body = {"title": "路灯不亮", "external_ref": "hotline-778812"}
    first = client.post("/api/v1/cases", json=body, headers=registrar)
    again = client.post("/api/v1/cases", json=body, headers=registrar)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json["number"] == again.json["number"]
    assert counts()["Case"] == 1


def test_api_times_state_their_utc_offset(client, village):
    registrar = f.auth(client, "registrar")
    created = client.post("/api/v1/cases", json={"title": "x"}, headers=registrar).json
    assert created["created_at"].endswith("+00:00")


def test_two_racing_deliveries_with_one_external_ref_create_one_case(app, village, database_url):
    if db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite lets one writer in at a time; the competitor cannot commit in between")
    # given another worker that commits the same delivery just before our INSERT
    other = create_engine(database_url)
    raced = []

    def insert_first(conn, cursor, statement, params, context, executemany):
        if statement.startswith("INSERT INTO case_record") and not raced:
            raced.append(True)
            with other.begin() as c:
                c.execute(insert(Case.__table__).values(
                    number="HY20260101-999999", title="other worker", channel="api",
                    external_ref="wechat-42", status="open", description=""))

    event.listen(db.engine, "before_cursor_execute", insert_first)
    try:
        # when this worker delivers it too
        case, created = create_case(NewCase(title="mine", external_ref="wechat-42"), None)
    finally:
        event.remove(db.engine, "before_cursor_execute", insert_first)
        other.dispose()

    # then it gets the other worker's case back, and there is one case
    assert raced and not created
    assert case.number == "HY20260101-999999"
    assert counts()["Case"] == 1 and counts()["ProcessInstance"] == 0
