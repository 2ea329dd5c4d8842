"""One claim model (docs/process.md, "Signing for tasks"): a task is signed for (签收) before it is
completed — completing an unclaimed task signs for it in the same transaction — and its assignee
may give it back to every candidate (取消签收) or hand it over (转交) to a colleague offered the
same task; both are on the case history and in the audit log. The web and the API share the
service (app/engine/tasks.py). The handler who called the requester keeps the case: the handling
step is created signed for by them (the `assignee` property of `handle`)."""
import pytest
from flask_babel import force_locale
from sqlalchemy import select

from app.audit.models import AdminChange
from app.engine.models import HumanTask
from app.extensions import db
from app.notifications.models import OutboxMessage
from tests import factories as f
from tests.complaint_city import Desk, build_city
from tests.test_process_validation import by_element, changed, problems_of
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


# The handler who called the requester keeps the case: `handle` carries the property assignee =
# case_handler_id, which record_first_contact sets to whoever completed first_contact.

def open_task(element: str) -> HumanTask:
    db.session.expire_all()
    return db.session.scalars(select(HumanTask).where(HumanTask.element_id == element,
                                                      HumanTask.status == "open")).one()


def inbox_ids(desk, user: str) -> list[str]:
    return [t["id"] for t in desk.call("GET", "/api/v1/tasks?limit=200", user)]


def test_the_handler_who_called_the_requester_finds_handle_signed_for_by_them(client, desk):
    # when the village handler signs for the first contact and calls the requester
    desk.sign_for("handler_village")
    # then the handling step is already theirs: in their inbox, signed for by them
    handle = open_task("handle")
    assert handle.assignee_id == f.user_id("handler_village")
    assert handle.id in inbox_ids(desk, "handler_village")
    # and the timeline says the process signed for it on their behalf
    claims = [(e["actor_id"], e["payload"]) for e in desk.case()["timeline"]
              if e["kind"] == "task_claimed" and e["element_id"] == "handle"]
    assert claims == [(f.user_id("handler_village"), {"name": "Handle and reply", "by_process": True})]
    signed_in(client, "supervisor")
    assert "由流程自动签收" in client.get(f"/cases/{desk.number}").get_data(as_text=True)
    # and the task page opens on the form, without a 签收 button
    signed_in(client, "handler_village")
    page = client.get(f"/tasks/{handle.id}").get_data(as_text=True)
    assert 'id="task-submit"' in page and 'id="task-claim"' not in page
    # and they reply without signing for it again
    desk.reply("handler_village")
    assert open_task("unit_review").element_id == "unit_review"


def test_a_colleague_of_the_unit_does_not_find_the_kept_case_unclaimed(desk):
    desk.sign_for("handler_village")
    handle = open_task("handle")
    # the colleague, also a village handler, neither finds it nor can sign for or complete it
    assert handle.id not in inbox_ids(desk, "colleague")
    desk.call("POST", f"/api/v1/tasks/{handle.id}/claim", "colleague", expected=403)
    desk.call("POST", f"/api/v1/tasks/{handle.id}/complete", "colleague", expected=403,
              json={"data": {"action": "extension", "extension_days": 3, "extension_reason": "x"}})
    assert open_task("handle").assignee_id == f.user_id("handler_village")


def test_a_reply_sent_back_returns_to_the_handler_who_wrote_it(desk):
    # given the village handler replied and the unit reviewer sends the reply back
    desk.sign_for("handler_village")
    desk.reply("handler_village")
    desk.do("reviewer_village", "unit_review", action="send_back", review_note="政策依据不全")
    # then the handling step is theirs again
    assert open_task("handle").assignee_id == f.user_id("handler_village")
    assert open_task("handle").id not in inbox_ids(desk, "colleague")


def test_on_second_handling_the_handler_who_called_back_keeps_the_case(desk):
    # given the requester rejected the village's answer and the case goes back to the village
    desk.sign_for("handler_village")
    desk.reply("handler_village")
    desk.approve_reply("reviewer_village")
    desk.rate("unsatisfied", "unresolved")
    desk.do("supervisor", "second_handling", action="same_unit")
    # when this time the colleague calls the requester back
    desk.sign_for("colleague")
    # then the second handling is the colleague's, not the first round's handler's
    handle = open_task("handle")
    assert handle.assignee_id == f.user_id("colleague")
    assert handle.id not in inbox_ids(desk, "handler_village")


@pytest.fixture
def cooperation(client, app):
    """The county's market department leads with police and urban management cooperating; its
    handler signed for the case and called the requester."""
    built = build_city()
    f.user("admin", (built["centre"], "administrator"))
    f.user("colleague", (built["units"]["lead"], "handler"))
    desk = Desk(client)
    desk.cooperation_under_way(built["units"])
    return desk


def cooperation_ends(desk) -> None:
    desk.do("handler_police", "cooperate", part="已出警核查")
    desk.do("handler_urban", "cooperate", part="已暂扣经营工具")


@pytest.mark.parametrize("change", [
    {"active": False},
    {"memberships": [{"unit_code": "P-POLICE", "role": "handler"}]},
], ids=["deactivated", "moved_to_another_unit"])
def test_a_handler_who_is_no_longer_a_candidate_does_not_keep_the_case(cooperation, change):
    # given the lead's handler is deactivated, or moved to another unit, while the units cooperate
    cooperation.call("PATCH", "/api/v1/admin/users/handler_lead", "admin", json=change)
    # when the cooperation ends and the handling step is created
    cooperation_ends(cooperation)
    # then nobody holds it: every handler of the lead unit is offered it, with no error
    handle = open_task("handle")
    assert handle.assignee_id is None
    assert handle.id in inbox_ids(cooperation, "colleague")
    assert [e for e in cooperation.case()["timeline"]
            if e["kind"] == "task_claimed" and e["element_id"] == "handle"] == []


def test_the_lead_handler_keeps_the_case_after_the_cooperation(cooperation):
    cooperation_ends(cooperation)
    handle = open_task("handle")
    assert handle.assignee_id == f.user_id("handler_lead")
    assert handle.id not in inbox_ids(cooperation, "colleague")


def test_the_assignee_is_never_the_user_notBy_excludes(client, app):
    # given a process whose unit review would go to the reply's author, whom notBy excludes
    built = build_city()
    f.deploy("complaint.bpmn", changed(
        ('<camunda:property name="notBy" value="reply_author_id"/>',
         '<camunda:property name="notBy" value="reply_author_id"/>'
         '<camunda:property name="assignee" value="reply_author_id"/>')).encode("utf-8"))
    f.user("author", (built["units"]["village"], "handler"), (built["units"]["village"], "unit_reviewer"))
    desk = Desk(client)
    desk.village_case(built["units"])
    # when the author, who is also a reviewer of the unit, replies
    desk.sign_for("author")
    desk.reply("author")
    # then the review is left for the unit's reviewers, not given to the author
    review = open_task("unit_review")
    assert (review.assignee_id, review.excluded_user_id) == (None, f.user_id("author"))
    assert review.id in inbox_ids(desk, "reviewer_village")


def test_a_case_whose_handler_is_not_known_yet_offers_handle_to_every_candidate(client, app):
    # given a process version in which a reply names the handler but the call-back does not
    built = build_city()
    f.user("colleague", (built["units"]["village"], "handler"))
    f.deploy("complaint.bpmn", changed(
        ("first_contact_made(contact_result)\ncase_handler_id = current_user_id()",
         "first_contact_made(contact_result)")).encode("utf-8"))
    desk = Desk(client)
    desk.village_case(built["units"])
    # when the village handler calls the requester, then the handling step goes on, unclaimed
    desk.sign_for("handler_village")
    handle = open_task("handle")
    assert handle.assignee_id is None and handle.id in inbox_ids(desk, "colleague")
    # and once the colleague's reply is sent back, it returns to the colleague
    desk.reply("colleague")
    desk.do("reviewer_village", "unit_review", action="send_back", review_note="政策依据不全")
    assert open_task("handle").assignee_id == f.user_id("colleague")


def test_an_assignee_reading_a_variable_nothing_sets_is_a_problem(app):
    with force_locale("en"):
        problems = by_element(problems_of(changed(
            ('<camunda:property name="assignee" value="case_handler_id"/>',
             '<camunda:property name="assignee" value="contact_handler"/>'))))
    assert any("assignee of 'handle' reads 'contact_handler'" in m for m in problems["handle"])


def test_an_assignee_on_an_element_nobody_completes_is_a_problem(app):
    with force_locale("en"):
        problems = by_element(problems_of(changed(
            ('<bpmn:scriptTask id="store_reply" name="Keep the reply" scriptFormat="python">',
             '<bpmn:scriptTask id="store_reply" name="Keep the reply" scriptFormat="python">'
             '<bpmn:extensionElements><camunda:properties><camunda:property name="assignee" '
             'value="reply_author_id"/></camunda:properties></bpmn:extensionElements>'))))
    assert any("has assignee, but only user tasks can have it" in m for m in problems["store_reply"])
