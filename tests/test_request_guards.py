"""No input gives a 500, and SQLite and PostgreSQL give the same answer: the request guards of
every path (app/guards.py) and the column-length net under the services (app/column_limits.py).
Every test here runs on both databases with the same expected answers."""
import pytest
from sqlalchemy import func, select

from app.cases.models import Case
from app.column_limits import ValueTooLong
from app.engine.transaction import transaction
from app.extensions import db
from app.timelimits.models import Setting
from tests import factories as f
from tests.web_helpers import csrf_token, signed_in

HUGE = "9" * 25  # beyond 64 bits, let alone PostgreSQL's integer ids
DEEP_JSON = "[" * 100_000 + "]" * 100_000


@pytest.fixture
def cases(app):
    return f.county_with_two_townships()


def _case_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Case))


def test_ids_beyond_the_integer_columns_are_not_found_on_every_path(client, cases):
    number = cases["210902001"].number
    headers = f.auth(client, "admin")
    answers = {
        "attachment": client.get(f"/api/v1/cases/{number}/attachments/{HUGE}", headers=headers),
        "notification": client.post(f"/api/v1/notifications/{HUGE}/read", headers=headers),
        "incident": client.post(f"/api/v1/incidents/{HUGE}/retry", headers=headers),
        "routing rule": client.patch(f"/api/v1/admin/routing-rules/{HUGE}", headers=headers,
                                     json={"unit_code": "U210902001"}),
    }
    signed_in(client, "admin")
    answers["web attachment"] = client.get(f"/cases/{number}/attachments/{HUGE}")
    assert {what: r.status_code for what, r in answers.items()} == dict.fromkeys(answers, 404)


def test_offsets_beyond_any_page_are_refused_by_field(client, cases):
    headers = f.auth(client, "admin")
    for path in ("/api/v1/admin/users", "/api/v1/admin/units", "/api/v1/admin/time-limits/changes",
                 "/api/v1/cases", "/api/v1/notifications"):
        response = client.get(f"{path}?offset={HUGE}", headers=headers)
        assert (response.status_code, list(response.json["errors"])) == (422, ["offset"]), path


@pytest.mark.parametrize("path", ["/api/v1/auth/token", "/api/v1/cases", "/tasks/x/complete",
                                  "/open311/v2/requests.json"])
def test_json_nested_deeper_than_any_schema_is_a_400(client, cases, path):
    response = client.post(path, data=DEEP_JSON, content_type="application/json",
                           headers=f.auth(client, "registrar"))
    assert response.status_code == 400
    assert b"nested" in response.data


def test_a_lone_surrogate_in_json_is_a_400_and_writes_nothing(client, cases):
    before = _case_count()
    response = client.post("/api/v1/cases", data='{"title": "lamp \\ud800 out"}',
                           content_type="application/json", headers=f.auth(client, "registrar"))
    assert (response.status_code, response.json["code"]) == (400, "malformed_request")
    assert "surrogate" in response.json["message"]
    assert _case_count() == before


def test_nul_characters_in_any_form_are_a_400(client, cases):
    token = csrf_token(client, "/login")
    posts = {
        "login": ("/login", {"username": "admin\x00", "password": "x"}),
        "report": ("/report", {"title": "lamp", "description": "out\x00"}),
        "track": ("/track", {"number": "HY\x00", "phone": "13812345678"}),
        "open311": ("/open311/v2/requests.json", {"api_key": "k", "description": "d\x00"}),
    }
    responses = {what: client.post(path, data={"csrf_token": token, **data})
                 for what, (path, data) in posts.items()}
    signed_in(client, "admin")
    responses["admin form"] = client.post("/admin/units", data={
        "csrf_token": csrf_token(client, "/admin/units"), "code": "U1", "name": "名\x00", "level": "village"})
    answers = {what: (r.status_code, b"NUL" in r.data) for what, r in responses.items()}
    assert answers == dict.fromkeys(answers, (400, True))


def test_a_value_longer_than_its_column_is_refused_before_the_database_sees_it(app):
    with pytest.raises(ValueTooLong) as refused, transaction():
        db.session.add(Setting(key="k" * 81, value=1))
    assert refused.value.status == 422 and refused.value.errors == {"key": ["at most 80 characters"]}
    assert db.session.scalar(select(func.count()).select_from(Setting)) == 0


def test_a_phone_longer_than_a_rate_key_gets_a_field_error_not_a_500(client, cases):
    response = client.post("/report", data={
        "csrf_token": csrf_token(client, "/report"), "matter": "ordinary", "request_type": "complaint",
        "title": "lamp", "description": "out", "territory_code": "210902001", "phone": "1" * 300})
    assert response.status_code == 422
    assert "phone" in response.get_data(as_text=True)


def test_open311_dates_at_the_edge_of_the_calendar_are_a_400(client, cases):
    for query in ("end_date=0001-01-02T00:00:00Z", "start_date=9999-12-31T23:59:59Z",
                  "start_date=0001-01-01T00:00:00Z&end_date=9999-12-31T23:59:59Z"):
        response = client.get(f"/open311/v2/requests.json?{query}")
        assert response.status_code == 400, query
        assert response.json[0]["code"] == 400


def test_nul_characters_in_query_parameters_are_a_400_on_every_path(client, cases):
    headers = f.auth(client, "admin")
    for path in ("/api/v1/admin/routing-rules", "/open311/v2/requests.json", "/report"):
        response = client.get(path, query_string={"territory_code": ["\x00x"]}, headers=headers)
        assert (response.status_code, b"NUL" in response.data) == (400, True), path
