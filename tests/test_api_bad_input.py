"""No request, however malformed, produces a 500: each gets a JSON error with a 4xx status."""
import io

import pytest

from tests import factories as f

MALFORMED = [
    ("post", "/api/v1/auth/token", {"data": "{", "content_type": "application/json"}),
    ("post", "/api/v1/auth/token", {"json": {"username": ["a"], "password": 1}}),
    ("post", "/api/v1/auth/token", {"data": "username=a",
                                    "content_type": "application/x-www-form-urlencoded"}),
    ("post", "/api/v1/cases", {"json": {"title": "x" * 201}}),
    ("post", "/api/v1/cases", {"json": {"title": None}}),
    ("post", "/api/v1/cases", {"json": {"title": "x", "external_ref": {"a": 1}}}),
    ("post", "/api/v1/cases", {"data": b"\xff\xfe", "content_type": "application/json"}),
    ("get", "/api/v1/cases/%00%27", {}),
    ("get", "/api/v1/tasks?limit=%00", {}),
    ("post", "/api/v1/cases", {"json": {"title": "nul \u0000 inside"}}),
    ("post", "/api/v1/auth/token", {"json": {"username": "a\u0000", "password": "x"}}),
    ("get", "/api/v1/tasks?limit=abc", {}),
    ("get", "/api/v1/tasks?limit=100000", {}),
    ("get", "/api/v1/tasks?offset=-1", {}),
    ("get", "/api/v1/tasks/not-a-uuid", {}),
    ("post", "/api/v1/tasks/not-a-uuid/claim", {}),
    ("post", "/api/v1/tasks/not-a-uuid/complete", {"json": {"data": []}}),
    ("post", "/api/v1/tasks/not-a-uuid/complete", {"json": "a string"}),
    ("post", "/api/v1/workflows", {"json": {"file": "x"}}),
    ("post", "/api/v1/workflows", {"upload": (b"\xff\xfe<x/>", "latin.bpmn")}),
    ("post", "/api/v1/workflows", {"upload": (b"", "empty.bpmn")}),
    ("post", "/api/v1/incidents/999999/retry", {}),
    ("delete", "/api/v1/cases", {}),
]


@pytest.mark.parametrize("method, url, kwargs", MALFORMED)
def test_malformed_requests_get_a_json_4xx_never_a_500(client, app, method, url, kwargs):
    unit = f.unit("CENTER", "city")
    f.user("admin", (unit, "administrator"), (unit, "registrar"), (unit, "handler"))
    headers = f.auth(client, "admin")
    if "upload" in kwargs:  # a fresh file object per run: the client closes the one it sends
        content, name = kwargs["upload"]
        kwargs = {"data": {"file": (io.BytesIO(content), name)}}
    response = getattr(client, method)(url, headers=headers, **kwargs)
    assert 400 <= response.status_code < 500, (response.status_code, response.data[:300])
    assert set(response.json) >= {"code", "message", "errors"}


@pytest.fixture
def admin_headers(client, app):
    centre = f.unit("CENTER", "city")
    f.user("admin", (centre, "administrator"), (centre, "registrar"))
    return f.auth(client, "admin")


def test_a_method_the_path_does_not_take_is_405_naming_the_ones_it_does(client, admin_headers):
    response = client.delete("/api/v1/cases", headers=admin_headers)
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}


@pytest.mark.parametrize("body", [{}, None])
def test_a_patch_that_names_no_change_is_refused_not_answered_200(client, admin_headers, body):
    response = client.patch("/api/v1/admin/units/CENTER", headers=admin_headers,
                            **({"json": body} if body is not None else {}))
    assert (response.status_code, list(response.json["errors"])) == (422, ["_body"])
    assert "name" in response.json["errors"]["_body"][0]


def test_an_unknown_query_parameter_is_refused_by_name(client, admin_headers):
    response = client.get("/api/v1/cases?limt=10", headers=admin_headers)
    assert (response.status_code, response.json["errors"]) == (422, {"limt": ["Unknown field."]})


def test_errors_of_nested_fields_come_as_one_level_of_dotted_paths(client, admin_headers):
    response = client.post("/api/v1/admin/users", headers=admin_headers, json={
        "username": "wang", "display_name": "王", "memberships": [{"unit_code": "CENTER", "role": 1}]})
    assert (response.status_code, response.json["errors"]) == (
        422, {"memberships.0.role": ["Not a valid string."]})
