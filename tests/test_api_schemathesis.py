"""A bounded schemathesis run against the API's own OpenAPI document, in process (WSGI, no server),
as an administrator and as a village handler: every operation gets schema-valid and
schema-violating requests, and no answer may be a 5xx or differ from what the document says
(body schema, status, content type, headers, 405 with Allow). Failures of every operation are
collected and reported together.

Derandomized, so CI is reproducible; HUIYIN_SCHEMATHESIS_EXAMPLES=200 explores further by hand."""
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)
from sqlalchemy import select

from app.accounts.models import User
from app.accounts.security import issue_token
from app.extensions import db
from tests import factories as f
from tests.complaint_city import Desk, build_city

EXAMPLES = int(os.environ.get("HUIYIN_SCHEMATHESIS_EXAMPLES", "8"))
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance,
          response_headers_conformance, unsupported_method]


def _headers(username: str) -> dict[str, str]:
    """A fresh token per request: an example may have revoked the previous one."""
    user = db.session.scalar(select(User).where(User.username == username))
    token, _ = issue_token(user, 1)
    return {"Authorization": f"Bearer {token}"}


def _run(operation, mode: GenerationMode, username: str, failures: list[str]) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case):
        headers = _headers(username)
        try:
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (Exception, BaseExceptionGroup) as error:
            for failure in getattr(error, "exceptions", [error]):
                summary = " | ".join(str(failure).splitlines()[:4]) or type(failure).__name__
                failures.append(f"{operation.label} ({mode.value}): {type(failure).__name__}: {summary[:300]}"
                                f"\n    query={case.query!r} body={str(case.body)[:200]}")
        finally:
            db.session.rollback()

    run()


@pytest.mark.slow
@pytest.mark.parametrize("username", [
    "admin",
    # the administrator's run covers every operation on both databases; a village handler's
    # answers (mostly 403/404 by jurisdiction) do not depend on the database
    pytest.param("handler_village", marks=pytest.mark.sqlite_only)])
def test_every_api_operation_answers_as_documented_and_never_with_a_5xx(app, client, username):
    # given a city with a case at the village, its handler and an administrator
    city = build_city()
    Desk(client).village_case(city["units"])
    f.user("admin", (city["centre"], "administrator"))
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    # when every operation gets valid and invalid requests
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _run(operation, mode, username, failures)
    # then none failed a check
    assert len(operations) > 40
    assert failures == [], "\n".join(failures)
