"""Bundles: a deployed version is a BPMN file and the forms its tasks name, stored together and
never changed; a task renders and validates with its own version's form; start-up never deploys a
bundle twice; the release says which version new cases start on; an administrator's choice says
which process a request type and class start on."""
import io
import json

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select, text

from app import create_app
from app.audit.models import AdminChange
from app.engine import repository
from app.engine.errors import InvalidData
from app.engine.models import HumanTask, ProcessDefinition, ProcessForm, ProcessInstance, ProcessRelease
from app.engine.tasks import complete
from app.extensions import db
from tests import factories as f
from tests.factories import _TEST_BPMN
from tests.web_helpers import post_form, signed_in

COMPLAINT = (_TEST_BPMN / "simple_complaint.bpmn").read_bytes()
#: simple_complaint.bpmn whose `handle` task is answered with the form `lamp-report`.
WITH_FORM = COMPLAINT.replace(b'camunda:candidateGroups="handler">',
                              b'camunda:candidateGroups="handler" camunda:formRef="lamp-report">')


def lamp_form(*extra: dict) -> bytes:
    """The form `lamp-report`: an action and an answer, plus `extra` components."""
    return json.dumps({"id": "lamp-report", "type": "default", "schemaVersion": 16, "components": [
        {"type": "select", "key": "action", "id": "action", "label": "Action",
         "values": [{"label": "Reply", "value": "reply"}], "validate": {"required": True}},
        {"type": "textfield", "key": "answer", "id": "answer", "label": "Answer to the citizen"},
        *extra]}).encode()


#: Version 2 of the form asks how many lamps were replaced, and requires it.
LAMPS_FIELD = {"type": "number", "key": "lamps_replaced", "id": "lamps_replaced", "label": "Lamps replaced",
               "validate": {"required": True}}


def post_bundle(client, headers, bpmn: bytes, forms: dict[str, bytes] | None = None, **options):
    data = {"file": (io.BytesIO(bpmn), "lamp.bpmn"),
            "forms": [(io.BytesIO(content), name) for name, content in (forms or {}).items()],
            **{key: str(value).lower() for key, value in options.items()}}
    return client.post("/api/v1/workflows", headers=headers, data=data)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def open_task(case_id: int) -> HumanTask:
    return db.session.scalar(select(HumanTask).where(HumanTask.case_id == case_id,
                                                     HumanTask.status == "open"))


def version_of(case_id: int) -> tuple[str, int]:
    return tuple(db.session.execute(select(ProcessDefinition.process_id, ProcessDefinition.version)
                                    .join(ProcessInstance).where(ProcessInstance.case_id == case_id)).one())


@pytest.fixture
def city(client, app):
    """A platform centre with a designer and an administrator, a village with its handler."""
    centre, village = f.unit("CENTER", "city"), f.unit("V1")
    f.user("designer", (centre, "process_designer"))
    f.user("admin", (centre, "administrator"))
    handler = f.user("handler", (village, "handler"))
    return {"village": village, "handler": handler, "designer": f.auth(client, "designer")}


def test_a_bundle_is_refused_when_a_task_names_a_form_that_is_neither_uploaded_nor_released(client, city):
    # when a designer deploys a BPMN whose task names a form, without the form
    refused = post_bundle(client, city["designer"], WITH_FORM)

    # then it is refused naming the task and the form, and nothing is written
    assert refused.status_code == 422 and refused.json["code"] == "invalid_bpmn"
    [problem] = refused.json["errors"]
    assert problem["element_id"] == "handle" and "'lamp-report'" in problem["message"]
    assert count(ProcessDefinition) == count(ProcessForm) == count(ProcessRelease) == 0

    # and with the form uploaded it becomes version 1, the release, with its form stored
    deployed = post_bundle(client, city["designer"], WITH_FORM, {"lamp-report.form": lamp_form()})
    assert deployed.status_code == 201 and [d["version"] for d in deployed.json["definitions"]] == [1]
    definition_id = deployed.json["definitions"][0]["id"]
    assert repository.bundle_forms(definition_id) == {"lamp-report": lamp_form().decode()}
    assert repository.release_definition_id("complaint") == definition_id


def test_problems_come_back_in_chinese_by_default_and_in_english_when_asked(client, city):
    english = post_bundle(client, {**city["designer"], "Accept-Language": "en"}, WITH_FORM)
    chinese = post_bundle(client, city["designer"], WITH_FORM)
    assert english.status_code == chinese.status_code == 422
    [en], [zh] = english.json["errors"], chinese.json["errors"]
    assert en["element_id"] == zh["element_id"] == "handle"
    assert en["message"] == ("user task 'handle' names the form 'lamp-report', which is not in the bundle: "
                             "add lamp-report.form to the deployment or correct formRef")
    assert zh["message"] == ("用户任务 'handle' 指定了表单 'lamp-report'，但它不在部署包中："
                             "请把 lamp-report.form 加入部署，或更正 formRef")


def test_every_problem_of_the_uploaded_forms_is_reported_naming_the_file(client, city):
    broken = post_bundle(client, {**city["designer"], "Accept-Language": "en"}, WITH_FORM, {
        "lamp-report.form": lamp_form(), "copy.form": lamp_form(), "latin.form": b"\xff\xfe{}",
        "nokey.form": json.dumps({"id": "x", "components": [{"type": "textfield"}]}).encode()})
    assert broken.status_code == 422
    messages = " | ".join(p["message"] for p in broken.json["errors"])
    assert "copy.form: form id 'lamp-report' is already used by lamp-report.form" in messages
    assert "latin.form: form files must be UTF-8 encoded" in messages
    assert "nokey.form" in messages and "needs a 'key'" in messages
    assert count(ProcessDefinition) == 0


def test_a_dry_run_checks_the_bundle_and_writes_nothing(client, city):
    # when a designer only validates a good bundle
    checked = post_bundle(client, city["designer"], WITH_FORM, {"lamp-report.form": lamp_form()},
                          dry_run=True)

    # then the answer says what would be deployed, and nothing is
    assert checked.status_code == 200 and checked.json["dry_run"] is True
    assert [(d["id"], d["version"]) for d in checked.json["definitions"]] == [(None, 1)]
    assert count(ProcessDefinition) == count(ProcessForm) == count(ProcessRelease) == 0

    # and a bad one is refused as a real deployment would be
    assert post_bundle(client, city["designer"], WITH_FORM, dry_run=True).status_code == 422


def test_a_task_on_version_n_renders_and_validates_with_version_ns_form_after_n_plus_1_changes_it(
        client, city):
    # given a case started on version 1, whose form has no `lamps_replaced`
    post_bundle(client, city["designer"], WITH_FORM, {"lamp-report.form": lamp_form()})
    old_case = f.case("old", unit_row=city["village"])

    # when version 2 changes only the form: it now requires `lamps_replaced`
    v2 = post_bundle(client, city["designer"], WITH_FORM, {"lamp-report.form": lamp_form(LAMPS_FIELD)})
    assert [d["version"] for d in v2.json["definitions"]] == [2]
    new_case = f.case("new", unit_row=city["village"])
    assert (version_of(old_case.id), version_of(new_case.id)) == (("complaint", 1), ("complaint", 2))

    # then the old case's task page shows version 1's form, the new case's version 2's
    signed_in(client, "handler")
    old_page = client.get(f"/tasks/{open_task(old_case.id).id}").get_data(as_text=True)
    new_page = client.get(f"/tasks/{open_task(new_case.id).id}").get_data(as_text=True)
    assert "Answer to the citizen" in old_page and "lamps_replaced" not in old_page
    assert "lamps_replaced" in new_page

    # and each task is validated with its own version's form
    with pytest.raises(InvalidData) as refused:
        complete(city["handler"], open_task(new_case.id).id, {"action": "reply", "answer": "fixed"})
    assert set(refused.value.errors) == {"lamps_replaced"}
    complete(city["handler"], open_task(old_case.id).id, {"action": "reply", "answer": "fixed"})
    assert open_task(old_case.id) is None


def test_a_form_the_upload_leaves_out_comes_from_the_release(client, city):
    # given version 1 deployed with its form
    post_bundle(client, city["designer"], WITH_FORM, {"lamp-report.form": lamp_form(LAMPS_FIELD)})

    # when version 2 changes only the BPMN and uploads no form
    renamed = WITH_FORM.replace("办理并答复 Handle and reply".encode(), "办理 Handle".encode())
    deployed = post_bundle(client, city["designer"], renamed)

    # then version 2 carries the release's form
    assert deployed.status_code == 201
    [v2] = deployed.json["definitions"]
    assert v2["version"] == 2
    assert repository.bundle_forms(v2["id"]) == {"lamp-report": lamp_form(LAMPS_FIELD).decode()}


def test_restarting_after_a_newer_deployment_keeps_it(client, city, app, tmp_path):
    # given the repository's workflows/ and forms/ deployed at start-up as version 1
    (tmp_path / "workflows").mkdir(), (tmp_path / "forms").mkdir()
    (tmp_path / "workflows" / "lamp.bpmn").write_bytes(WITH_FORM)
    (tmp_path / "forms" / "lamp-report.form").write_bytes(lamp_form())
    app.config.update(WORKFLOWS_DIR=str(tmp_path / "workflows"), FORMS_DIR=str(tmp_path / "forms"))

    def start_up():
        result = app.test_cli_runner().invoke(args=["workflows", "deploy"])
        assert result.exit_code == 0, result.output
        db.session.expire_all()

    start_up()
    assert [d["version"] for d in repository.processes_overview()[0]["versions"]] == [1]

    # and a designer's version 2 with a changed form
    post_bundle(client, city["designer"], WITH_FORM, {"lamp-report.form": lamp_form(LAMPS_FIELD)})

    # when the server restarts (and again after rolling back to version 1, then forward)
    start_up()
    repository.set_release("complaint", 1, None)
    repository.set_release("complaint", 2, None)
    db.session.commit()
    start_up()

    # then nothing was deployed again and new cases start on the designer's version
    overview = repository.processes_overview()
    assert [d["version"] for d in overview[0]["versions"]] == [2, 1] and overview[0]["release_version"] == 2
    assert version_of(f.case("after restart", unit_row=city["village"]).id) == ("complaint", 2)

    # but a changed form on disk is new content, deployed as version 3
    (tmp_path / "forms" / "lamp-report.form").write_bytes(lamp_form({**LAMPS_FIELD, "label": "Lamps"}))
    app.config["FORMS_DIR"] = str(tmp_path / "forms")
    from app.forms import registry
    registry.clear_cache()
    start_up()
    assert repository.processes_overview()[0]["release_version"] == 3


def test_deploying_without_activate_keeps_new_cases_on_the_release(client, city):
    post_bundle(client, city["designer"], COMPLAINT)
    renamed = COMPLAINT.replace("办理并答复 Handle and reply".encode(), "办理 Handle".encode())
    deployed = post_bundle(client, city["designer"], renamed, activate=False)
    assert [d["version"] for d in deployed.json["definitions"]] == [2]
    assert version_of(f.case("lamp", unit_row=city["village"]).id) == ("complaint", 1)


def test_rolling_the_release_back_starts_new_cases_on_the_older_version_and_is_audited(client, city):
    # given versions 1 and 2, 2 the release
    post_bundle(client, city["designer"], COMPLAINT)
    post_bundle(client, city["designer"], COMPLAINT.replace(b"Handle and reply", b"Handle"))

    # when the designer points the release at version 1
    rolled = client.put("/api/v1/workflows/complaint/release", headers=city["designer"], json={"version": 1})

    # then new cases start on version 1, and the audit says who did it, from what to what
    assert rolled.status_code == 200 and (rolled.json["version"], rolled.json["is_release"]) == (1, True)
    assert version_of(f.case("lamp", unit_row=city["village"]).id) == ("complaint", 1)
    change = db.session.scalars(select(AdminChange)).one()
    assert (change.entity, change.entity_key, change.old, change.new, change.user.username) == (
        "process_release", "complaint", {"version": 2}, {"version": 1}, "designer")

    # and a version that does not exist, or a handler, is refused and changes nothing
    missing = client.put("/api/v1/workflows/complaint/release", headers=city["designer"], json={"version": 9})
    assert missing.status_code == 404 and "no version 9" in missing.json["message"]
    beyond = client.put("/api/v1/workflows/complaint/release", headers=city["designer"],
                        json={"version": 57990587550717})  # schemathesis found a 500 on PostgreSQL
    assert beyond.status_code == 422 and "version" in beyond.json["errors"]
    handler = client.put("/api/v1/workflows/complaint/release", headers=f.auth(client, "handler"),
                         json={"version": 2})
    assert handler.status_code == 403 and repository.processes_overview()[0]["release_version"] == 1


def test_the_overview_lists_every_version_newest_first_with_its_open_cases(client, city):
    # given two cases on version 1, one on version 2 (deployed by the designer), one closed on 2
    f.deploy("simple_complaint.bpmn")
    for title in ("a", "b"):
        f.case(title, unit_row=city["village"])
    post_bundle(client, city["designer"], COMPLAINT.replace(b"Handle and reply", b"Handle"))
    f.case("c", unit_row=city["village"])
    closed = f.case("d", unit_row=city["village"])
    complete(city["handler"], open_task(closed.id).id, {"action": "reply"})

    # when the designer asks for the overview
    listed = client.get("/api/v1/workflows", headers=city["designer"])

    # then each version says how many cases run on it, who deployed it, which is the release
    [process] = listed.json
    assert (process["process_id"], process["release_version"]) == ("complaint", 2)
    assert [(v["version"], v["open_cases"], v["deployed_by"], v["is_release"])
            for v in process["versions"]] == [(2, 1, "Designer", True), (1, 2, None, False)]
    assert client.get("/api/v1/workflows", headers=f.auth(client, "handler")).status_code == 403


def test_any_version_and_its_forms_can_be_read_and_downloaded(client, city):
    post_bundle(client, city["designer"], WITH_FORM, {"lamp-report.form": lamp_form()})
    post_bundle(client, city["designer"], WITH_FORM, {"lamp-report.form": lamp_form(LAMPS_FIELD)})
    headers = city["designer"]

    detail = client.get("/api/v1/workflows/complaint/versions/1", headers=headers)
    assert detail.status_code == 200
    assert (detail.json["version"], detail.json["is_release"], detail.json["forms"]) == (
        1, False, ["lamp-report"])

    bpmn = client.get("/api/v1/workflows/complaint/versions/1/bpmn", headers=headers)
    assert bpmn.status_code == 200 and bpmn.mimetype == "application/xml" and bpmn.data == WITH_FORM
    assert bpmn.headers["Content-Disposition"] == 'attachment; filename="complaint-v1.bpmn"'

    form = client.get("/api/v1/workflows/complaint/versions/1/forms/lamp-report", headers=headers)
    assert form.status_code == 200 and "lamps_replaced" not in form.json and form.json["id"] == "lamp-report"

    for missing in ("/api/v1/workflows/complaint/versions/3", "/api/v1/workflows/nothing/versions/1/bpmn",
                    "/api/v1/workflows/complaint/versions/1/forms/other"):
        assert client.get(missing, headers=headers).status_code == 404


ENFORCEMENT = COMPLAINT.replace(b'"complaint"', b'"enforcement"')


def test_cases_start_on_the_process_chosen_for_their_request_type_and_class(client, city):
    # given the default process and an enforcement process, and an administrator's choices:
    # reports of the enforcement class, and suggestions of any class, start on `enforcement`
    f.deploy("simple_complaint.bpmn")
    f.deploy("enforcement.bpmn", ENFORCEMENT)
    admin = f.auth(client, "admin")
    for choice in ({"request_type": "report", "klass": "enforcement", "process_id": "enforcement"},
                   {"request_type": "suggestion", "process_id": "enforcement"}):
        assert client.put("/api/v1/admin/process-choices", headers=admin, json=choice).status_code == 200
    f.category("ILLEGAL_BUILDING", klass="enforcement")
    f.category("STREET_LAMP", klass="livelihood")

    def process_of(request_type, category):
        case = f.case(unit_row=city["village"], request_type=request_type, category_code=category)
        return version_of(case.id)[0]

    # then each case starts on the process chosen for it, else the default
    assert process_of("report", "ILLEGAL_BUILDING") == "enforcement"
    assert process_of("report", "STREET_LAMP") == "complaint"
    assert process_of("suggestion", "STREET_LAMP") == "enforcement"
    assert process_of("complaint", "ILLEGAL_BUILDING") == "complaint"

    # and the choices are listed, audited, and removed again
    listed = client.get("/api/v1/admin/process-choices", headers=admin).json
    assert [(c["request_type"], c["klass"], c["process_id"]) for c in listed] == [
        ("report", "enforcement", "enforcement"), ("suggestion", None, "enforcement")]
    audited = {e.entity_key for e in db.session.scalars(select(AdminChange))}
    assert audited == {"report/enforcement", "suggestion/*"}
    removed = client.delete("/api/v1/admin/process-choices?request_type=suggestion", headers=admin)
    assert removed.status_code == 204
    assert process_of("suggestion", "STREET_LAMP") == "complaint"


def test_a_bad_process_choice_is_refused_by_field_and_only_administrators_may_choose(client, city):
    f.deploy("simple_complaint.bpmn")
    admin = f.auth(client, "admin")
    refused = client.put("/api/v1/admin/process-choices", headers=admin,
                         json={"request_type": "gossip", "klass": "royal", "process_id": "nothing"})
    assert refused.status_code == 422
    assert set(refused.json["errors"]) == {"request_type", "klass", "process_id"}
    assert "'nothing' is not deployed" in refused.json["errors"]["process_id"][0]
    unknown = client.delete("/api/v1/admin/process-choices?request_type=report", headers=admin)
    assert unknown.status_code == 404
    designer = client.put("/api/v1/admin/process-choices", headers=city["designer"],
                          json={"request_type": "report", "process_id": "complaint"})
    assert designer.status_code == 403
    assert count(AdminChange) == 0 and client.get("/api/v1/admin/process-choices", headers=admin).json == []


def test_migration_0017_keeps_versions_deployed_before_bundles_with_their_forms_from_disk(tmp_path):
    # given a database at 0016 with two versions of the complaint process deployed from workflows/
    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    workflow = (f._WORKFLOWS / "complaint.bpmn").read_text(encoding="utf-8")
    with app.app_context():
        upgrade(revision="0016")
        for version, xml in ((1, workflow.replace("诉求", "诉求 ")), (2, workflow)):
            db.session.execute(text(
                "INSERT INTO process_definition (process_id, name, version, sha256, filename, bpmn_xml,"
                " deployed_at) VALUES ('complaint', 'Complaint', :v, 'x', 'complaint.bpmn', :xml, :at)"),
                {"v": version, "xml": xml, "at": f"2026-0{version}-01 00:00:00"})
        db.session.commit()

        # when 0017 runs
        upgrade(revision="0017")

        # then each version has the forms its tasks name, version 2 is the release, and a start-up
        # deploy of the same files finds version 2 deployed already
        forms_of = dict(db.session.execute(text(
            "SELECT d.version, count(f.id) FROM process_definition d JOIN process_form f"
            " ON f.definition_id = d.id GROUP BY d.version")).all())
        assert forms_of[1] == forms_of[2] > 5
        assert repository.release_definition_id("complaint") == 2
        upgrade()  # the later migrations, which a start-up deploy's validation reads
        assert [d.version for d in repository.deploy_directory(f._WORKFLOWS)
                if d.process_id == "complaint"] == [2]
        db.session.remove()
        db.engine.dispose()


def test_an_administrator_chooses_the_process_of_a_request_type_on_the_processes_page(client, city):
    # given two deployed processes
    f.deploy("simple_complaint.bpmn")
    f.deploy("enforcement.bpmn", ENFORCEMENT)
    signed_in(client, "admin")
    page = client.get("/admin/processes").get_data(as_text=True)
    assert 'id="process-enforcement"' in page and 'id="process-complaint"' in page

    # when a choice names no process it is refused by field, and nothing is saved
    bad = {"request_type": "report", "klass": "", "process_id": "none"}
    refused = post_form(client, "/admin/processes", bad, page="/admin/processes")
    assert refused.status_code == 422 and "is not deployed" in refused.get_data(as_text=True)
    assert repository.process_choices() == []

    # and a good one is saved, listed, and removed again
    saved = post_form(client, "/admin/processes", {"request_type": "report", "klass": "enforcement",
                                                   "process_id": "enforcement"}, page="/admin/processes")
    assert saved.status_code == 302 and repository.chosen_process_id("report", "enforcement") == "enforcement"
    assert 'id="process-choices"' in client.get("/admin/processes").get_data(as_text=True)
    removed = post_form(client, "/admin/processes/choices/delete",
                        {"request_type": "report", "klass": "enforcement"}, page="/admin/processes")
    assert removed.status_code == 302 and repository.process_choices() == []

    # and a handler may not see the page
    signed_in(client, "handler")
    assert client.get("/admin/processes").status_code == 403


def test_an_administrator_rolls_a_process_back_on_the_processes_page(client, city):
    # given versions 1 and 2 of the complaint process, 2 the release
    f.deploy("simple_complaint.bpmn")
    f.deploy("simple_complaint.bpmn", COMPLAINT.replace(b"Handle and reply", b"Handle"))
    signed_in(client, "admin")

    def make_release(version: str):
        return post_form(client, "/admin/processes/complaint/release", {"version": version},
                         page="/admin/processes")

    # when the administrator makes version 1 the release
    rolled = make_release("1")

    # then new cases start on version 1, and the change is audited
    assert rolled.status_code == 302
    assert version_of(f.case("lamp", unit_row=city["village"]).id) == ("complaint", 1)
    assert db.session.scalars(select(AdminChange.new)).one() == {"version": 1}

    # and no version, or an unknown one, changes nothing
    none = make_release("")
    assert none.status_code == 422 and 'id="processes"' in none.get_data(as_text=True)
    unknown, beyond = make_release("7"), make_release("57990587550717")
    assert unknown.status_code == beyond.status_code == 404
    assert repository.processes_overview()[0]["release_version"] == 1
