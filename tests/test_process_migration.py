"""Migrating running cases to a newer version of their process: preview, dry run, migrate, revert."""
import pytest
from sqlalchemy import func, select

from app.engine import migration, repository
from app.engine.errors import Conflict
from app.engine.migration_models import InstanceMigration
from app.engine.models import CaseEvent, HumanTask, ProcessInstance, Timer
from app.extensions import db
from tests import factories as f
from tests.complaint_city import Desk, build_city
from tests.factories import _TEST_BPMN, _WORKFLOWS, due_in

V1 = (_TEST_BPMN / "two_steps.bpmn").read_bytes()
# Version 2 puts a legal review between the two steps.
V2 = V1.replace(
    b'<bpmn:sequenceFlow id="f2" sourceRef="first" targetRef="second" />',
    b'<bpmn:sequenceFlow id="f2" sourceRef="first" targetRef="legal_review" />'
    b'<bpmn:userTask id="legal_review" name="Legal review" camunda:candidateGroups="handler">'
    b'<bpmn:extensionElements><camunda:properties><camunda:property name="candidateUnit" value="unit_id" />'
    b'</camunda:properties></bpmn:extensionElements>'
    b'<bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f_reviewed</bpmn:outgoing></bpmn:userTask>'
    b'<bpmn:sequenceFlow id="f_reviewed" sourceRef="legal_review" targetRef="second" />'
).replace(b'<bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>',
          b'<bpmn:incoming>f_reviewed</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>')
# Version 3 drops the first step: cases waiting there have nowhere to go.
V3 = V1.replace(b'targetRef="first" />', b'targetRef="second" />', 1)


@pytest.fixture
def handler(app):
    unit = f.unit("V1")
    f.user("handler", (unit, "handler"))
    f.user("designer", (unit, "process_designer"))
    return unit


def open_tasks(case_id) -> list[tuple[str, str]]:
    return [tuple(row) for row in db.session.execute(select(HumanTask.id, HumanTask.element_id).where(
        HumanTask.case_id == case_id, HumanTask.status == "open"))]


def complete_open(client, case_id, data=None):
    [(task_id, _)] = open_tasks(case_id)
    done = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": data or {}},
                       headers=f.auth(client, "handler"))
    assert done.status_code == 200, done.json


def instance_of(case_id) -> ProcessInstance:
    db.session.expire_all()
    return db.session.scalar(select(ProcessInstance).where(ProcessInstance.case_id == case_id))


def events(case_id) -> list[str]:
    return list(db.session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case_id)
                                   .order_by(CaseEvent.id)))


def everything_of(case_ids) -> tuple:
    """The instances, the timeline, the task and timer mirrors: what a migration would change."""
    instances = [(i.id, i.definition_id, i.revision, i.state) for i in map(instance_of, case_ids)]
    return (instances, db.session.scalar(select(func.count()).select_from(CaseEvent)),
            sorted(db.session.execute(select(HumanTask.id, HumanTask.element_id, HumanTask.status))),
            sorted(db.session.execute(select(Timer.id, Timer.due_at, Timer.status))))


def two_versions():
    [v1] = f.deploy("two_steps.bpmn", V1)
    [v2] = f.deploy("two_steps.bpmn", V2)
    return v1, v2


def test_the_preview_lists_cases_on_older_versions_with_what_maps_and_what_is_added(handler):
    # given a case waiting at `first` on version 1, and version 2 adding a legal review
    [v1] = f.deploy("two_steps.bpmn", V1)
    case = f.case(unit_row=handler, process_id="two_steps", data={"due": due_in(3600)})
    [v2] = f.deploy("two_steps.bpmn", V2)

    # when the designer previews a migration to version 2
    [preview] = migration.preview(v2.id)

    # then the case can move; its step and its timer map; the legal review is new
    assert (preview.case_number, preview.from_version, preview.can_migrate) == (case.number, 1, True)
    assert {"from": "first", "to": "first"} in preview.mapped
    assert {"from": "first_reminder", "to": "first_reminder"} in preview.mapped
    assert preview.added == ["legal_review"] and preview.removed == []
    assert v1.id != v2.id


def test_a_case_waiting_on_a_step_the_new_version_drops_cannot_migrate_and_says_why(handler):
    f.deploy("two_steps.bpmn", V1)
    case = f.case(unit_row=handler, process_id="two_steps", data={"due": due_in(3600)})
    [v3] = f.deploy("two_steps.bpmn", V3)

    [preview] = migration.preview(v3.id)
    assert not preview.can_migrate and "'first'" in preview.reason and "version 2" in preview.reason

    report = migration.migrate(v3.id, [instance_of(case.id).id], actor_id=None)
    assert report.migrated == 0 and "'first'" in report.results[0].reason
    assert instance_of(case.id).definition_id != v3.id


def test_a_bulk_migration_dry_run_changes_nothing(handler):
    # given two cases on version 1 and version 2 deployed
    f.deploy("two_steps.bpmn", V1)
    cases = [f.case(unit_row=handler, process_id="two_steps", data={"due": due_in(3600)}) for _ in range(2)]
    [v2] = f.deploy("two_steps.bpmn", V2)
    instances = [instance_of(c.id) for c in cases]
    before = everything_of([c.id for c in cases])

    # when the designer runs the migration as a dry run
    report = migration.migrate(v2.id, [i.id for i in instances], actor_id=f.user_id("designer"), dry_run=True)

    # then it says both would migrate, and nothing in the database changed
    assert report.dry_run and report.migrated == 2 and report.refused == 0
    assert everything_of([c.id for c in cases]) == before
    assert db.session.scalar(select(func.count()).select_from(InstanceMigration)) == 0


def test_a_migrated_case_takes_the_new_step_keeps_its_task_and_its_deadline(client, handler):
    # given a case waiting at `first` on version 1 with a reminder timer
    f.deploy("two_steps.bpmn", V1)
    case = f.case(unit_row=handler, process_id="two_steps", data={"due": due_in(3600)})
    [(task_id, _)] = open_tasks(case.id)
    timer_due = db.session.scalar(select(Timer.due_at))
    [v2] = f.deploy("two_steps.bpmn", V2)

    # when it is migrated to version 2
    report = migration.migrate(v2.id, [instance_of(case.id).id], actor_id=f.user_id("designer"))

    # then it runs on version 2, still at the same task with the same deadline, and the timeline says so
    assert report.migrated == 1
    assert instance_of(case.id).definition_id == v2.id
    assert open_tasks(case.id) == [(task_id, "first")]
    assert db.session.scalar(select(Timer.due_at).where(Timer.status == "waiting")) == timer_due
    [moved] = db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "migrated"))
    assert moved.payload["from_version"] == 1 and moved.payload["to_version"] == 2
    # and completing the step leads to the new legal review
    complete_open(client, case.id)
    assert [element for _, element in open_tasks(case.id)] == ["legal_review"]


def test_a_migration_is_reverted_while_the_case_has_not_moved_on(client, handler):
    # given a case migrated from version 1 to version 2
    f.deploy("two_steps.bpmn", V1)
    case = f.case(unit_row=handler, process_id="two_steps", data={"due": due_in(3600)})
    v1_id, state = instance_of(case.id).definition_id, instance_of(case.id).state
    [v2] = f.deploy("two_steps.bpmn", V2)
    [outcome] = migration.migrate(v2.id, [instance_of(case.id).id], actor_id=None).results

    # when the designer reverts it
    migration.revert(outcome.migration_id, actor_id=f.user_id("designer"))

    # then it is on version 1 again, with the state it had, and completing `first` leads to `second`
    instance = instance_of(case.id)
    assert (instance.definition_id, instance.state) == (v1_id, state)
    assert events(case.id)[-2:] == ["migrated", "migration_reverted"]
    assert db.session.get(InstanceMigration, outcome.migration_id).reverted_at is not None
    complete_open(client, case.id)
    assert [element for _, element in open_tasks(case.id)] == ["second"]


def test_a_migration_is_not_reverted_once_the_case_moved_on(client, handler):
    f.deploy("two_steps.bpmn", V1)
    case = f.case(unit_row=handler, process_id="two_steps", data={"due": due_in(3600)})
    [v2] = f.deploy("two_steps.bpmn", V2)
    [outcome] = migration.migrate(v2.id, [instance_of(case.id).id], actor_id=None).results
    complete_open(client, case.id)

    with pytest.raises(Conflict, match="moved on"):
        migration.revert(outcome.migration_id, actor_id=None)
    assert instance_of(case.id).definition_id == v2.id
    assert [element for _, element in open_tasks(case.id)] == ["legal_review"]


def test_the_migration_api_previews_migrates_and_reverts_for_designers_only(client, handler):
    f.deploy("two_steps.bpmn", V1)
    case = f.case(unit_row=handler, process_id="two_steps", data={"due": due_in(3600)})
    [v2] = f.deploy("two_steps.bpmn", V2)
    designer, other = f.auth(client, "designer"), f.auth(client, "handler")
    base = "/api/v1/workflows/two_steps/migrations"

    assert client.get(f"{base}?target_version=2", headers=other).status_code == 403
    preview = client.get(f"{base}?target_version=2", headers=designer)
    assert preview.status_code == 200
    [row] = preview.json
    assert (row["case_number"], row["from_version"], row["can_migrate"], row["added"]) == (
        case.number, 1, True, ["legal_review"])

    chosen = {"target_version": 2, "instance_ids": [row["instance_id"]]}
    dry = client.post(base, json={**chosen, "dry_run": True}, headers=designer)
    assert dry.status_code == 200 and dry.json["migrated"] == 1
    assert instance_of(case.id).definition_id != v2.id
    done = client.post(base, json=chosen, headers=designer)
    assert done.status_code == 200 and done.json["migrated"] == 1
    assert instance_of(case.id).definition_id == v2.id
    migration_id = done.json["results"][0]["migration_id"]

    assert client.post(f"{base}/{migration_id}/revert", headers=other).status_code == 403
    reverted = client.post(f"{base}/{migration_id}/revert", headers=designer)
    assert reverted.status_code == 200 and reverted.json["reverted_at"]
    again = client.post(f"{base}/{migration_id}/revert", headers=designer)
    assert again.status_code == 409 and "reverted already" in again.json["message"]
    assert client.get(f"{base}?target_version=9", headers=designer).status_code == 404
    unknown = client.post(base, json={"target_version": 2, "instance_ids": "all"}, headers=designer)
    assert unknown.status_code == 422 and "instance_ids" in str(unknown.json)


def test_a_case_that_was_never_on_the_process_is_refused_by_name(handler):
    f.deploy("script_between_tasks.bpmn")
    other = f.case(unit_row=handler, process_id="script_between_tasks")
    _, v2 = two_versions()
    [outcome] = migration.migrate(v2.id, [instance_of(other.id).id], actor_id=None).results
    assert not outcome.migrated and "script_between_tasks" in outcome.reason


def test_complaint_cases_at_handling_and_cooperating_migrate_to_a_changed_version_and_close(client, app):
    # given the complaint process with one case at handling and one with two cooperating units
    city = build_city()
    units = city["units"]
    at_handling = Desk(client)
    at_handling.village_case(units)
    at_handling.sign_for("handler_village")
    cooperating = Desk(client, tokens=at_handling.tokens)
    cooperating.cooperation_under_way(units)
    due_before = at_handling.case()["due_at"]

    # when version 2 renames the handling step and both cases are migrated to it
    renamed = (_WORKFLOWS / "complaint.bpmn").read_bytes().replace(
        b'name="Handle and reply"', b'name="Handle, then reply"')
    [v2] = f.deploy("complaint.bpmn", renamed)
    running = db.session.scalars(select(ProcessInstance.id).where(ProcessInstance.status == "running"))
    report = migration.migrate(v2.id, list(running), actor_id=None)

    # then both moved, keep who holds them and when they are due, and run on to their end
    assert report.migrated == 2, [r.reason for r in report.results]
    assert at_handling.holders() == [("handle", "V-XINGLONG", "handler")]
    assert at_handling.case()["due_at"] == due_before
    handle = db.session.scalar(select(HumanTask).where(HumanTask.status == "open",
                                                       HumanTask.element_id == "handle"))
    assert handle.name == "Handle, then reply"
    assert cooperating.holders() == [("cooperate", "P-POLICE", "handler"),
                                     ("cooperate", "U-URBAN", "handler")]
    at_handling.reply("handler_village")
    at_handling.approve_reply("reviewer_village")
    at_handling.rate("satisfied", "resolved")
    assert at_handling.case()["status"] == "closed"
    cooperating.do("handler_police", "cooperate", part="已出警核查")
    cooperating.do("handler_urban", "cooperate", part="已暂扣经营工具")
    assert cooperating.holders() == [("handle", "E-MARKET", "handler")]


def test_a_cooperation_in_progress_finishes_on_a_freshly_parsed_version(client, app):
    # given a case whose two cooperating units are at work (a multi-instance task)
    units = build_city()["units"]
    desk = Desk(client)
    desk.cooperation_under_way(units)

    # when the server restarts (its parsed versions are gone) before both parts are in
    repository.clear_cache()
    desk.do("handler_police", "cooperate", part="已出警核查")
    desk.do("handler_urban", "cooperate", part="已暂扣经营工具")

    # then the loop still hears its parts and the lead unit replies
    assert desk.holders() == [("handle", "E-MARKET", "handler")]
