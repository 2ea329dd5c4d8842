"""No malformed request to the pages and machine interfaces added for citizens, channels and the
workspace produces a 500: each gets a clear 4xx (or the page again with its errors)."""
import json
import re

from app.channels import keys
from app.engine.transaction import transaction
from tests import factories as f
from tests.complaint_city import Desk, build_city
from tests.web_helpers import csrf_token, signed_in

VALID_REPORT = {"matter": "ordinary", "request_type": "complaint", "title": "t",
                "territory_code": "210921001001", "phone": "13812345678"}
OPEN311_QUERIES = ("service_request_id=" + "," * 5000, "start_date=zzz", "end_date=2026-13-40",
                   "status=open,closed", "service_code=%00", "start_date=2026-11-01T00:00:00+99:00")
COMPLETE_BODIES = (None, "x", {"data": []}, {"data": {"action": ["x"]}},
                   {"data": {"action": "accept", "contact_result": {"a": 1}}}, {"data": {"x" * 100: 1}})
INBOX_QUERIES = ("page=-5", "page=99999999999", "from=2026-99-99", "q=" + "%" * 500, "territory=" + "x" * 500,
                 "sort=';drop")


def test_malformed_requests_never_get_a_500(client, app):
    city = build_city()
    desk = Desk(client)
    desk.village_case(city["units"])
    task = desk.task("handler_village", "first_contact")
    answers = {}

    def record(what, response):
        answers[what] = response.status_code

    token = csrf_token(client, "/report")
    for i, data in enumerate(({"title": "x" * 5000}, {**VALID_REPORT, "request_type": "x"},
                              {**VALID_REPORT, "files": "not a file"},
                              {**VALID_REPORT, "description": "d\x00"},
                              {**VALID_REPORT, "anonymous": "1", "id_number": "\x00"})):
        record(f"report {i}", client.post("/report", data={"csrf_token": token, **data}))
    record("report territory", client.get("/report?territory=" + "x" * 5000))
    record("track token", client.get("/track/" + "a" * 3000))
    for query in OPEN311_QUERIES:
        record(f"open311 {query[:30]}", client.get("/open311/v2/requests.json?" + query))
    record("open311 id", client.get("/open311/v2/requests/%00.json"))
    record("open311 key", client.post("/open311/v2/requests.json", data={"api_key": "x" * 5000}))
    record("status key", client.get(f"/api/v1/cases/{desk.number}/status", headers={"X-Api-Key": "x" * 5000}))
    record("attach no file", client.post(f"/api/v1/cases/{desk.number}/attachments",
                                         headers=desk.headers("registrar"), data={"file": "no file"}))
    signed_in(client, "registrar")
    token = csrf_token(client, "/desk")
    for i, data in enumerate(({}, {"phone": "一二三", "decision": "answer"},
                              {**VALID_REPORT, "category_code": "lamp", "duplicate_of": "HY-none"})):
        record(f"desk {i}", client.post("/desk", data={"csrf_token": token, **data}))
    record("caller", client.get("/desk/caller?phone=" + "一" * 500))
    signed_in(client, "handler_village")
    token = csrf_token(client, "/inbox")
    for i, body in enumerate(COMPLETE_BODIES):
        record(f"complete {i}", client.post(f"/tasks/{task}/complete", data=json.dumps(body),
                                            content_type="application/json", headers={"X-CSRFToken": token}))
    record("complete unknown", client.post("/tasks/none/complete", json={"data": {}},
                                           headers={"X-CSRFToken": token}))
    record("claim unknown", client.post("/tasks/none/claim", data={"csrf_token": token}))
    for query in INBOX_QUERIES:
        record(f"inbox {query[:20]}", client.get("/inbox?" + query))
    record("diagram unknown", client.get("/cases/none/diagram.json"))

    assert {what: status for what, status in answers.items() if status >= 500} == {}
    assert (answers["complete 2"], answers["complete unknown"], answers["track token"]) == (400, 404, 404)
    assert desk.holders() == [("first_contact", "V-XINGLONG", "handler")]  # nothing moved


LONG = "长" * 300


def test_over_long_values_get_the_same_field_answer_on_either_database(client, app):
    """PostgreSQL refuses a value longer than its column, SQLite stores it: every form checks its
    lengths first, so both answer alike (each run of this test holds them to the same statuses)."""
    city = build_city()
    with transaction():
        _, key = keys.issue("open311", "a citizen app", territory_code="210921001001")
    answers = {}
    token = csrf_token(client, "/login")
    answers["login"] = client.post("/login", data={"csrf_token": token, "username": LONG, "password": LONG})
    report = {**VALID_REPORT, "description": "d", "csrf_token": csrf_token(client, "/report")}
    for field in ("phone", "name", "address", "title"):
        form = client.get("/report").get_data(as_text=True)
        submission = re.search(r'name="submission" value="([^"]+)"', form).group(1)
        answers[f"report {field}"] = client.post("/report", data={**report, "submission": submission,
                                                                   field: LONG})
    answers["track"] = client.post("/track", data={"csrf_token": token, "number": LONG, "phone": LONG})
    for field in ("first_name", "address_string", "service_code", "attribute[territory]"):
        answers[f"open311 {field}"] = client.post("/open311/v2/requests.json", data={
            "api_key": key, "service_code": "lamp", "description": "路灯不亮", field: LONG})
    signed_in(client, "registrar")
    answers["api name"] = client.post("/api/v1/cases", headers=Desk(client).headers("registrar"),
                                      json={"title": "t", "requester_name": LONG})
    f.user("admin", (city["centre"], "administrator"))
    signed_in(client, "admin")
    for page, data in (("/admin/units", {"code": "U1", "name": LONG, "level": "village"}),
                       ("/admin/territories", {"code": LONG, "name": "n", "level": "village"}),
                       ("/admin/users", {"username": "wang", "display_name": LONG})):
        answers[page] = client.post(page, data={"csrf_token": csrf_token(client, page), **data})
    statuses = {what: response.status_code for what, response in answers.items()}
    assert statuses == {"login": 200, "report phone": 422, "report name": 422, "report address": 422,
                        "report title": 422, "track": 404, "open311 first_name": 400,
                        "open311 address_string": 400, "open311 service_code": 400,
                        "open311 attribute[territory]": 400, "api name": 422, "/admin/units": 422,
                        "/admin/territories": 422, "/admin/users": 422}
    named = {"/admin/units": "最多 200 个字符",
             "/admin/users": "最多 200 个字符", "/admin/territories": "须为 1–32 个字母",
             "report name": "at most 100 characters", "report title": "1 to 200 characters",
             "report address": "at most 200 characters"}
    for what, reason in named.items():  # the field's own limit, next to the field
        assert reason in answers[what].get_data(as_text=True), what
