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
