"""Supervision (R29–R32) over the API: directives on a case reach whoever holds it; leaders'
instructions are tracked; the supervision list and the unsatisfied zone."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.notifications.models import OutboxMessage
from app.timelimits.models import SupervisionItem
from tests import factories as f
from tests.complaint_city import Desk, build_city


@pytest.fixture
def city(app):
    return build_city()


@pytest.fixture
def desk(client, city):
    desk = Desk(client)
    desk.village_case(city["units"])
    return desk


def write(desk, user, kind, text):
    return desk.client.post(f"/api/v1/cases/{desk.number}/directives", json={"kind": kind, "text": text},
                            headers=desk.headers(user))


def test_R29_a_reminder_note_reaches_the_unit_holding_the_case_and_is_on_the_case(desk):
    # when the platform supervisor writes a 催办单 on a case the village holds
    written = write(desk, "supervisor", "reminder_note", "请于今日内联系诉求人")
    assert written.status_code == 201, written.json
    # then the village's handlers are told, and the case shows it with its timeline entry
    told = set(db.session.scalars(select(OutboxMessage.user_id).where(OutboxMessage.kind == "reminder_note")))
    assert told == {f.user_id(name) for name in ("handler_village", "reviewer_village", "leader_village")}
    case = desk.case()
    assert [(d["kind"], d["text"], d["author"]) for d in case["directives"]] == [
        ("reminder_note", "请于今日内联系诉求人", "Supervisor")]
    assert "reminder_note" in desk.events()


def test_R30_only_leaders_write_instructions_which_come_first_and_are_tracked(desk, city):
    assert write(desk, "dispatcher", "instruction", "我来批示").status_code == 403
    assert write(desk, "handler_village", "reminder_note", "x").status_code == 403
    write(desk, "supervisor", "supervision_order", "限三日内办结")
    assert write(desk, "leader", "instruction", "县住建局配合，务必办好").status_code == 201
    assert [d["kind"] for d in desk.case()["directives"]] == ["instruction", "supervision_order"]
    tracked = desk.client.get("/api/v1/supervision/instructed", headers=desk.headers("leader")).json
    assert (tracked["instructed"], tracked["closed"]) == (1, 0)
    assert [c["number"] for c in tracked["cases"]] == [desk.number]


@pytest.mark.parametrize("body, field", [({"kind": "memo", "text": "x"}, "kind"),
                                         ({"kind": "reminder_note", "text": ""}, "text"),
                                         ({"kind": "reminder_note", "text": "x" * 1001}, "text")])
def test_a_bad_directive_is_refused_per_field_and_writes_nothing(desk, body, field):
    refused = desk.client.post(f"/api/v1/cases/{desk.number}/directives", json=body,
                               headers=desk.headers("supervisor"))
    assert refused.status_code == 422 and field in str(refused.json["errors"])
    assert desk.case()["directives"] == []


def test_R21_R31_the_supervision_list_shows_the_units_open_overdue_items(desk, city):
    case_id = db.session.scalar(select(db.text("id")).select_from(db.text("case_record")))
    db.session.add(SupervisionItem(case_id=case_id, unit_id=city["units"]["village"].id, kind="overdue"))
    db.session.commit()
    items = desk.client.get("/api/v1/supervision/items", headers=desk.headers("handler_village")).json
    assert [i["case_number"] for i in items] == [desk.number]
    assert desk.client.get("/api/v1/supervision/items", headers=desk.headers("handler_township")).json == []


def test_R32_the_unsatisfied_zone_lists_cases_rated_unsatisfied(desk, city):
    desk.village_answers()
    desk.rate("unsatisfied", "unresolved")
    zone = desk.client.get("/api/v1/supervision/unsatisfied", headers=desk.headers("supervisor")).json
    assert [(c["number"], c["satisfaction"]) for c in zone] == [(desk.number, "unsatisfied")]
    # outside the jurisdiction nothing shows
    assert desk.client.get("/api/v1/supervision/unsatisfied",
                           headers=desk.headers("handler_township")).json == []
