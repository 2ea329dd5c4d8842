"""The process designer's workbench pages (/designer): who may use them, the versions with their
open cases, download, the heatmap's counts, and validate / deploy of an edited bundle answering
with problems that name the element — never a 500, nothing written when refused."""
import json

import pytest
from sqlalchemy import func, select

from app.engine import repository
from app.engine.models import ProcessDefinition, ProcessInstance
from app.extensions import db
from tests import factories as f
from tests.web_helpers import csrf_token, is_login_redirect, post_form, signed_in

SIMPLE = (f._TEST_BPMN / "simple_complaint.bpmn").read_text(encoding="utf-8")
#: simple_complaint with its handling task renamed: a changed file, so a new version.
RENAMED = SIMPLE.replace('name="办理并答复 Handle and reply"', 'name="办理 Handle"')
#: simple_complaint whose handling task names a form nobody supplies.
FORMLESS = SIMPLE.replace('camunda:candidateGroups="handler">',
                          'camunda:candidateGroups="handler" camunda:formRef="legal-review">', 1)


@pytest.fixture
def people(app):
    city = f.territory("210900", "city")
    centre = f.unit("C210900", "city", territory=city, kind="centre")
    village = f.unit("V1", territory=city)
    return {"centre": centre, "village": village,
            "designer": f.user("designer", (centre, "process_designer")),
            "auditor": f.user("auditor", (centre, "auditor")),
            "handler": f.user("handler", (village, "handler"))}


def bundle(bpmn: str, **forms: str) -> dict:
    return {"filename": "complaint.bpmn", "bpmn": bpmn, "forms": forms}


def versions() -> int:
    return db.session.scalar(select(func.count()).select_from(ProcessDefinition))


def post_json(client, path: str, body, page: str = "/designer/"):
    return client.post(path, data=json.dumps(body), content_type="application/json",
                       headers={"X-CSRFToken": csrf_token(client, page)})


def test_the_workbench_is_for_workflow_readers_and_editing_for_those_who_may_deploy(client, people):
    f.deploy("simple_complaint.bpmn")
    # anonymous: sign in first; a handler: forbidden
    assert is_login_redirect(client.get("/designer/"))
    signed_in(client, "handler")
    assert client.get("/designer/").status_code == 403
    assert client.get("/designer/complaint/v1/bpmn").status_code == 403
    # an auditor reads but may not edit, validate or deploy
    signed_in(client, "auditor")
    assert client.get("/designer/complaint/v1").status_code == 200
    assert client.get("/designer/complaint/v1/edit").status_code == 403
    assert post_json(client, "/designer/check", {"bpmn": SIMPLE}).status_code == 403
    # the designer may
    signed_in(client, "designer")
    assert client.get("/designer/complaint/v1/edit").status_code == 200


def test_the_list_shows_each_version_with_its_open_cases_and_the_release(client, people):
    # given a case started on version 1, then version 2 deployed
    f.deploy("simple_complaint.bpmn")
    f.case("on version 1", unit_row=people["village"])
    f.deploy("simple_complaint.bpmn", RENAMED.encode())
    signed_in(client, "designer")

    html = client.get("/designer/").get_data(as_text=True)

    # then version 2 is the release with no open case, version 1 holds the one case
    rows = {v["version"]: v for v in repository.processes_overview()[0]["versions"]}
    assert (rows[1]["open_cases"], rows[2]["open_cases"]) == (1, 0)
    assert rows[2]["is_release"] and not rows[1]["is_release"]
    v2 = html[html.index('data-version="2"'):html.index('data-version="1"')]
    v1 = html[html.index('data-version="1"'):]
    assert 'class="release-mark"' in v2 and 'class="release-mark"' not in v1
    assert '<td class="open-cases">1</td>' in v1 and '<td class="open-cases">0</td>' in v2
    assert "/designer/complaint/diff?a=1&amp;b=2" in html


def test_any_version_downloads_as_its_own_bpmn_file(client, people):
    f.deploy("simple_complaint.bpmn")
    f.deploy("simple_complaint.bpmn", RENAMED.encode())
    signed_in(client, "designer")

    response = client.get("/designer/complaint/v1/bpmn")

    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert response.headers["Content-Disposition"] == 'attachment; filename="complaint-v1.bpmn"'
    assert response.get_data(as_text=True) == SIMPLE
    assert client.get("/designer/complaint/v9/bpmn").status_code == 404


def test_the_heatmap_counts_the_open_tasks_waiting_on_each_element_of_the_version(client, people):
    # given two cases waiting at "handle" on version 1 and one on version 2
    f.deploy("simple_complaint.bpmn")
    f.case("one", unit_row=people["village"])
    f.case("two", unit_row=people["village"])
    f.deploy("simple_complaint.bpmn", RENAMED.encode())
    f.case("three", unit_row=people["village"])
    signed_in(client, "designer")

    # then each version's diagram counts only its own cases
    assert client.get("/designer/complaint/v1/bundle.json").json["waiting"] == {"handle": 2}
    assert client.get("/designer/complaint/v2/bundle.json").json["waiting"] == {"handle": 1}


def test_validating_a_bundle_names_the_element_whose_form_is_missing_and_writes_nothing(client, people):
    f.deploy("simple_complaint.bpmn")
    signed_in(client, "designer")

    response = post_json(client, "/designer/check", bundle(FORMLESS))

    assert response.status_code == 422
    assert response.json["ok"] is False
    [problem] = [p for p in response.json["problems"] if p["element_id"] == "handle"]
    assert "legal-review" in problem["message"]
    assert versions() == 1


def test_a_valid_bundle_passes_the_dry_run_without_being_deployed(client, people):
    f.deploy("simple_complaint.bpmn")
    signed_in(client, "designer")

    response = post_json(client, "/designer/check", bundle(RENAMED))

    assert response.status_code == 200
    assert (response.json["ok"], response.json["dry_run"], response.json["problems"]) == (True, True, [])
    assert versions() == 1


def test_deploying_from_the_workbench_makes_the_next_version_deployed_by_the_designer(client, people):
    f.deploy("simple_complaint.bpmn")
    signed_in(client, "designer")

    response = post_json(client, "/designer/deploy", bundle(RENAMED))

    assert response.status_code == 200, response.json
    assert response.json["definitions"] == [{"process_id": "complaint", "version": 2}]
    newest = repository.get_version("complaint", 2)
    assert newest.deployed_by_id == people["designer"].id and newest.bpmn_xml == RENAMED


@pytest.mark.parametrize(("body", "field"), [
    ("not json", "JSON"),
    ({"filename": "x.bpmn"}, "bpmn"),
    ({"bpmn": SIMPLE, "filename": "../x.bpmn"}, "filename"),
    ({"bpmn": SIMPLE, "forms": {"a": 1}}, "forms"),
    ({"bpmn": "<not-xml", "forms": {}}, "不是格式正确的 XML"),  # the workbench's default language
])
def test_a_malformed_bundle_is_refused_with_the_reason_not_a_server_error(client, people, body, field):
    signed_in(client, "designer")
    if isinstance(body, str):
        response = client.post("/designer/check", data=body, content_type="application/json",
                               headers={"X-CSRFToken": csrf_token(client, "/designer/")})
    else:
        response = post_json(client, "/designer/deploy", body)
    assert response.status_code == 422
    assert field in response.json["problems"][0]["message"]
    assert versions() == 0


def test_deploying_without_the_csrf_token_is_refused(client, people):
    signed_in(client, "designer")
    response = client.post("/designer/deploy", json={"bpmn": SIMPLE})
    assert response.status_code == 400 and versions() == 0


def test_user_text_in_a_process_name_is_escaped_on_the_list(client, people):
    f.deploy("simple_complaint.bpmn", SIMPLE.replace('name="诉求办理 Complaint handling"',
                                                      'name="&lt;script&gt;x()&lt;/script&gt;"').encode())
    signed_in(client, "designer")
    html = client.get("/designer/").get_data(as_text=True)
    assert "<script>x()" not in html and "&lt;script&gt;x()" in html


def test_the_pickers_offer_phases_roles_and_registered_functions_with_their_parameters(client, people):
    signed_in(client, "designer")
    catalogue = client.get("/designer/catalogue.json").json
    assert "handling" in {p["code"] for p in catalogue["phases"]}
    assert "handler" in {r["code"] for r in catalogue["roles"]}
    deadline = next(fn for fn in catalogue["functions"] if fn["name"] == "deadline")
    assert deadline["params"].startswith("(phase")


def test_migrating_without_choosing_a_case_names_the_field(client, people):
    f.deploy("simple_complaint.bpmn")
    signed_in(client, "designer")
    response = post_form(client, "/designer/complaint/v1/migrate", {}, page="/designer/")
    assert response.status_code == 422
    assert "instance" in response.get_data(as_text=True)


def test_making_an_older_version_the_release_starts_new_cases_on_it(client, people):
    # given version 2 is the release
    f.deploy("simple_complaint.bpmn")
    f.deploy("simple_complaint.bpmn", RENAMED.encode())
    signed_in(client, "designer")

    # when the designer makes version 1 the release again (a roll back)
    response = post_form(client, "/designer/complaint/release", {"version": "1"}, page="/designer/")

    # then the list marks version 1 and a new case starts on it
    assert response.status_code == 302
    assert [v["version"] for v in repository.processes_overview()[0]["versions"] if v["is_release"]] == [1]
    started = f.case("after the roll back", unit_row=people["village"])
    assert db.session.scalar(select(ProcessDefinition.version).join(
        ProcessInstance, ProcessInstance.definition_id == ProcessDefinition.id).where(
        ProcessInstance.case_id == started.id)) == 1


def test_a_release_of_a_version_that_does_not_exist_is_refused_with_a_message(client, people):
    f.deploy("simple_complaint.bpmn")
    signed_in(client, "designer")
    response = post_form(client, "/designer/complaint/release", {"version": "7"}, page="/designer/",
                         follow_redirects=True)
    assert response.status_code == 200
    assert '<p class="notice error" role="status">' in response.get_data(as_text=True)
    assert [v["is_release"] for v in repository.processes_overview()[0]["versions"]] == [True]
