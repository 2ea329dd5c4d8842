"""No malformed request to the pages and machine interfaces added for citizens, channels and the
workspace produces a 500: each gets a clear 4xx (or the page again with its errors)."""
import json

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
