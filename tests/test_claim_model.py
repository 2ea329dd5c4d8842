"""One claim model (docs/process.md, "Signing for tasks"): a task is signed for (签收) before it is
completed — completing an unclaimed task signs for it in the same transaction — and its assignee
may give it back to every candidate (取消签收) or hand it over (转交) to a colleague offered the
same task; both are on the case history and in the audit log. The web and the API share the
service (app/engine/tasks.py)."""
import pytest
from sqlalchemy import select

from app.audit.models import AdminChange
from app.engine.models import HumanTask
from app.extensions import db
from app.notifications.models import OutboxMessage
from tests import factories as f
from tests.complaint_city import Desk, build_city
from tests.web_helpers import post_form, signed_in


@pytest.fixture
def city(app):
    built = build_city()
    f.user("colleague", (built["units"]["village"], "handler"))
    return built


@pytest.fixture
def desk(client, city):
    desk = Desk(client)
    desk.village_case(city["units"])
    return desk


def first_contact(desk) -> HumanTask:
    db.session.expire_all()
    return db.session.scalars(select(HumanTask).where(HumanTask.element_id == "first_contact")).one()


def events(desk, *kinds) -> list[tuple]:
    return [(e["kind"], e["actor_id"]) for e in desk.case()["timeline"] if e["kind"] in kinds]


def test_completing_an_unclaimed_task_signs_for_it_in_the_same_step(desk):
    # when the village handler completes the first contact without signing for it first
    desk.do("handler_village", "first_contact", action="accept", contact_result="reached")
    # then the history shows them signing for it, then completing it
    done = [(e["kind"], e["element_id"]) for e in desk.case()["timeline"]
            if e["kind"] in ("task_claimed", "task_completed") and e["element_id"] == "first_contact"]
    assert done == [("task_claimed", "first_contact"), ("task_completed", "first_contact")]
    assert first_contact(desk).assignee_id == f.user_id("handler_village")


def test_unclaim_gives_the_task_back_to_every_candidate(desk):
    # given the village handler signed for the first contact: it left the colleague's inbox
    task_id = desk.task("handler_village", "first_contact")
    desk.call("POST", f"/api/v1/tasks/{task_id}/claim", "handler_village")
    assert task_id not in [t["id"] for t in desk.call("GET", "/api/v1/tasks", "colleague")]
    # when another candidate tries to give it back, then that is refused
    desk.call("POST", f"/api/v1/tasks/{task_id}/unclaim", "colleague", expected=403)
    # when the handler gives it back
    answer = desk.call("POST", f"/api/v1/tasks/{task_id}/unclaim", "handler_village")
    # then nobody holds it and the colleague can sign for it
    assert answer["assignee_id"] is None and first_contact(desk).assignee_id is None
    assert task_id in [t["id"] for t in desk.call("GET", "/api/v1/tasks", "colleague")]
    desk.call("POST", f"/api/v1/tasks/{task_id}/claim", "colleague")
    # and the history and the audit log say who gave it back
    assert ("task_unclaimed", f.user_id("handler_village")) in events(desk, "task_unclaimed")
    audit = db.session.scalars(select(AdminChange).where(AdminChange.entity == "task")).one()
    assert (audit.entity_key, audit.user_id, audit.old, audit.new) == (
        task_id, f.user_id("handler_village"), {"assignee_id": f.user_id("handler_village")},
        {"assignee_id": None})


def test_hand_over_to_a_colleague_of_the_unit_who_is_told(desk):
    task_id = desk.task("handler_village", "first_contact")
    desk.call("POST", f"/api/v1/tasks/{task_id}/claim", "handler_village")
    offered = desk.call("GET", f"/api/v1/tasks/{task_id}/colleagues", "handler_village")
    assert [c["username"] for c in offered] == ["colleague"]
    # when the handler hands it over to the colleague
    answer = desk.call("POST", f"/api/v1/tasks/{task_id}/hand-over", "handler_village",
                       json={"to_user_id": f.user_id("colleague")})
    # then the colleague holds it, is told, and the first handler can no longer complete it
    assert answer["assignee_id"] == f.user_id("colleague") == first_contact(desk).assignee_id
    told = db.session.scalars(select(OutboxMessage.user_id).where(OutboxMessage.kind == "task_handed_over"))
    assert set(told) == {f.user_id("colleague")}
    desk.call("POST", f"/api/v1/tasks/{task_id}/complete", "handler_village", expected=403,
              json={"data": {"action": "accept", "contact_result": "reached"}})
    assert ("task_handed_over", f.user_id("handler_village")) in events(desk, "task_handed_over")
    assert db.session.scalar(select(AdminChange.new).where(AdminChange.entity == "task")) == {
        "assignee_id": f.user_id("colleague")}
    desk.do("colleague", "first_contact", action="accept", contact_result="reached")


@pytest.mark.parametrize("target", ["reviewer_village", "handler_township", "handler_village", None])
def test_a_hand_over_outside_the_unit_or_role_is_refused_on_the_field(desk, target):
    # given the village handler signed for the first contact
    task_id = desk.task("handler_village", "first_contact")
    desk.call("POST", f"/api/v1/tasks/{task_id}/claim", "handler_village")
    # when they hand it to the unit's reviewer (wrong role), the township's handler (wrong unit),
    # themselves, or a user who does not exist
    to = f.user_id(target) if target else 999_999
    refused = desk.call("POST", f"/api/v1/tasks/{task_id}/hand-over", "handler_village", expected=422,
                        json={"to_user_id": to})
    # then the answer names the field, and nothing changed
    assert list(refused["errors"]) == ["to_user_id"]
    assert first_contact(desk).assignee_id == f.user_id("handler_village")
    assert events(desk, "task_handed_over") == []
    assert db.session.scalar(select(AdminChange.id).where(AdminChange.entity == "task")) is None


def test_only_the_assignee_hands_a_task_over(desk):
    task_id = desk.task("handler_village", "first_contact")
    desk.call("POST", f"/api/v1/tasks/{task_id}/hand-over", "handler_village", expected=403,
              json={"to_user_id": f.user_id("colleague")})
    assert first_contact(desk).assignee_id is None


def test_the_task_page_offers_sign_for_until_signed_then_the_form_unclaim_and_hand_over(client, desk):
    task_id = desk.task("handler_village", "first_contact")
    signed_in(client, "handler_village")
    # before signing for it: the 签收 button, no submit button
    html = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'id="task-claim"' in html and 'id="task-submit"' not in html
    # after signing for it: the form's submit button, 取消签收 and 转交 to the colleague only
    post_form(client, f"/tasks/{task_id}/claim", page=f"/tasks/{task_id}")
    html = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'id="task-submit"' in html and 'id="task-claim"' not in html
    assert "取消签收" in html and "转交" in html
    assert f'<option value="{f.user_id("colleague")}">Colleague</option>' in html
    assert "Reviewer_Village" not in html
    # a hand-over to someone else is refused with the field's message, and nothing changes
    refused = post_form(client, f"/tasks/{task_id}/hand-over", {"to_user_id": f.user_id("handler_township")},
                        page=f"/tasks/{task_id}", follow_redirects=True)
    assert "没有转交" in refused.get_data(as_text=True)
    assert first_contact(desk).assignee_id == f.user_id("handler_village")
    # the hand-over to the colleague goes through and says so
    handed = post_form(client, f"/tasks/{task_id}/hand-over", {"to_user_id": f.user_id("colleague")},
                       page=f"/tasks/{task_id}", follow_redirects=True)
    assert "已转交给 Colleague" in handed.get_data(as_text=True)
    assert first_contact(desk).assignee_id == f.user_id("colleague")


def test_the_task_page_gives_a_signed_for_task_back(client, desk):
    task_id = desk.task("handler_village", "first_contact")
    signed_in(client, "handler_village")
    post_form(client, f"/tasks/{task_id}/claim", page=f"/tasks/{task_id}")
    back = post_form(client, f"/tasks/{task_id}/unclaim", page=f"/tasks/{task_id}", follow_redirects=True)
    assert back.status_code == 200 and 'id="task-claim"' in back.get_data(as_text=True)
    assert first_contact(desk).assignee_id is None
