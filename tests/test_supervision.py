"""Supervision (R29–R32) over the API: directives on a case reach whoever holds it; leaders'
instructions are tracked; the supervision list and the unsatisfied zone."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.notifications.models import OutboxMessage
from app.timelimits.models import SupervisionItem
from tests import factories as f
from tests.complaint_city import Desk, build_city
from tests.web_helpers import post_form, signed_in


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


def told(kind: str) -> set[int]:
    return set(db.session.scalars(select(OutboxMessage.user_id).where(OutboxMessage.kind == kind)))


def test_R29_a_reminder_note_reaches_every_candidate_of_the_unclaimed_step_and_is_on_the_case(desk, city):
    # given a second village handler; nobody has signed for the village's first contact yet
    f.user("colleague", (city["units"]["village"], "handler"))
    # when the platform supervisor writes a 催办单 on the case
    written = write(desk, "supervisor", "reminder_note", "请于今日内联系诉求人")
    assert written.status_code == 201, written.json
    # then every handler of the village is told (not its reviewer or leader: they do not hold the
    # step), the answer names them with their unit, and the case shows it with its timeline entry
    assert told("reminder_note") == {f.user_id("handler_village"), f.user_id("colleague")}
    assert [(r["name"], r["unit"]) for r in written.json["recipients"]] == [
        ("Colleague", "Unit V-XINGLONG"), ("Handler_Village", "Unit V-XINGLONG")]
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


def test_R29_a_supervision_order_on_a_signed_for_step_reaches_its_handler_only(desk, city):
    f.user("colleague", (city["units"]["village"], "handler"))
    task_id = desk.task("handler_village", "first_contact")
    desk.call("POST", f"/api/v1/tasks/{task_id}/claim", "handler_village")
    written = write(desk, "leader", "supervision_order", "限三日内办结")
    assert written.status_code == 201, written.json
    assert told("supervision_order") == {f.user_id("handler_village")}
    assert [r["name"] for r in written.json["recipients"]] == ["Handler_Village"]


def test_R29_a_reminder_on_a_case_in_triage_reaches_the_registrars_not_the_leader(client, city):
    desk = Desk(client)
    desk.register()
    written = write(desk, "supervisor", "reminder_note", "请尽快受理")
    assert written.status_code == 201, written.json
    assert told("reminder_note") == {f.user_id("registrar")}


def test_R30_a_directive_on_a_closed_case_is_refused_and_nothing_is_sent(desk):
    # given a case answered and rated satisfied: closed, no step open
    desk.village_answers()
    desk.rate("satisfied", "resolved")
    assert desk.case()["status"] == "closed"
    # when the leader writes an instruction on it
    refused = write(desk, "leader", "instruction", "要举一反三")
    # then it is refused on the case, nothing is recorded and nobody is told
    assert refused.status_code == 422 and list(refused.json["errors"]) == ["case"]
    assert "已办结" in refused.json["errors"]["case"][0]
    assert desk.case()["directives"] == [] and told("instruction") == set()


def test_R29_the_web_confirmation_names_the_recipients_and_their_unit(client, desk, city):
    f.user("colleague", (city["units"]["village"], "handler"))
    signed_in(client, "supervisor")
    page = post_form(client, f"/cases/{desk.number}/directives",
                     {"kind": "reminder_note", "text": "请尽快联系"}, page=f"/cases/{desk.number}",
                     follow_redirects=True)
    assert "已发送给：Colleague、Handler_Village（Unit V-XINGLONG）" in page.get_data(as_text=True)


def test_R30_the_web_says_why_nothing_was_sent_on_a_closed_case(client, desk):
    desk.village_answers()
    desk.rate("satisfied", "resolved")
    signed_in(client, "leader")
    page = post_form(client, f"/cases/{desk.number}/directives",
                     {"kind": "instruction", "text": "要举一反三"}, page=f"/cases/{desk.number}",
                     follow_redirects=True)
    html = page.get_data(as_text=True)
    assert "未发送" in html and "已办结" in html and "已发送给" not in html
