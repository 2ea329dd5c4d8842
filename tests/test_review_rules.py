"""Four-eyes review (R24): whoever wrote a reply cannot approve it, in unit review nor in platform
review. The rule is the reviews' `notBy` property in workflows/complaint.bpmn over the process
variable `reply_author_id`; the engine keeps the excluded user on the task row."""
import pytest
from flask_babel import force_locale
from sqlalchemy import select

from app.casework.models import CaseReply
from app.engine.models import HumanTask
from app.extensions import db
from tests import factories as f
from tests.complaint_city import Desk, build_city
from tests.test_process_validation import by_element, changed, problems_of
from tests.web_helpers import signed_in

REFUSAL_ZH = "您撰写了这份答复，须由其他审核人审核通过。"


@pytest.fixture
def city(app):
    return build_city()


def author_who_also_reviews(city, element: str) -> str:
    """A village handler who also holds the role that reviews at `element`."""
    reviewing = {"unit_review": (city["units"]["village"], "unit_reviewer"),
                 "platform_review": (city["centre"], "platform_supervisor")}[element]
    f.user("author", (city["units"]["village"], "handler"), reviewing)
    return "author"


def replied_by(client, city, author: str) -> Desk:
    desk = Desk(client)
    desk.village_case(city["units"])
    desk.sign_for(author)
    desk.reply(author)
    return desk


def review_task(desk, element: str) -> str:
    return db.session.scalar(select(HumanTask.id).where(HumanTask.element_id == element,
                                                        HumanTask.status == "open"))


def inbox_ids(desk, user: str) -> set[str]:
    return {t["id"] for t in desk.call("GET", "/api/v1/tasks?limit=200", user)}


@pytest.mark.parametrize("element, reviewer", [("unit_review", "reviewer_village"),
                                               ("platform_review", "supervisor")])
def test_R24_the_author_of_a_reply_cannot_approve_it_another_reviewer_can(client, city, element, reviewer):
    # given a village handler who also holds the reviewing role, and who wrote the reply
    author = author_who_also_reviews(city, element)
    desk = replied_by(client, city, author)
    if element == "platform_review":
        desk.do("reviewer_village", "unit_review", action="approve")
    task_id = review_task(desk, element)
    # then the reply and the review know its author
    reply = db.session.scalars(select(CaseReply)).one()
    assert reply.author_id == f.user_id(author)
    assert desk.call("GET", f"/api/v1/tasks/{task_id}", author)["excluded_user_id"] == f.user_id(author)
    # and the author's inbox does not offer the review, while the other reviewer's does
    assert task_id not in inbox_ids(desk, author)
    assert task_id in inbox_ids(desk, reviewer)
    # when the author tries to sign for it or approve it, then both are refused with the reason
    for action, body in (("claim", None), ("complete", {"data": {"action": "approve"}})):
        refused = desk.call("POST", f"/api/v1/tasks/{task_id}/{action}", author, expected=403, json=body)
        assert refused["message"] == REFUSAL_ZH
    assert element in [h[0] for h in desk.holders()]
    # and another reviewer approves it
    desk.do(reviewer, element, action="approve")
    assert element not in [h[0] for h in desk.holders()]


def test_R24_the_refusal_is_in_english_when_asked(client, city):
    author = author_who_also_reviews(city, "unit_review")
    desk = replied_by(client, city, author)
    refused = client.post(f"/api/v1/tasks/{review_task(desk, 'unit_review')}/claim",
                          headers={**desk.headers(author), "Accept-Language": "en"})
    assert refused.status_code == 403
    assert refused.json["message"] == "You wrote this reply; another reviewer must approve it."


def test_R24_the_task_page_tells_the_author_why_they_cannot_act(client, city):
    author = author_who_also_reviews(city, "unit_review")
    desk = replied_by(client, city, author)
    page = signed_in(client, author).get(f"/tasks/{review_task(desk, 'unit_review')}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert REFUSAL_ZH in html
    assert 'id="task-submit"' not in html and 'id="task-claim"' not in html


def test_R24_a_reply_sent_back_and_rewritten_by_a_colleague_excludes_the_new_author(client, city):
    # given the reply of handler_village sent back by the unit reviewer
    f.user("colleague", (city["units"]["village"], "handler"), (city["units"]["village"], "unit_reviewer"))
    desk = replied_by(client, city, "handler_village")
    desk.do("reviewer_village", "unit_review", action="send_back", review_note="政策依据不全")
    # when a colleague who is also a reviewer rewrites it (handing-over the handle task to them)
    task_id = desk.task("handler_village", "handle")
    desk.call("POST", f"/api/v1/tasks/{task_id}/claim", "handler_village")
    desk.call("POST", f"/api/v1/tasks/{task_id}/hand-over", "handler_village",
              json={"to_user_id": f.user_id("colleague")})
    desk.reply("colleague")
    # then the new review excludes the colleague, not the first author
    review = db.session.scalars(select(HumanTask).where(HumanTask.element_id == "unit_review",
                                                        HumanTask.status == "open")).one()
    assert review.excluded_user_id == f.user_id("colleague")


def test_notBy_reading_a_variable_nothing_sets_is_a_problem(app):
    with force_locale("en"):
        problems = by_element(problems_of(changed(
            ('<camunda:property name="notBy" value="reply_author_id"/>',
             '<camunda:property name="notBy" value="reply_writer_id"/>'))))
    assert any("notBy of 'unit_review' reads 'reply_writer_id'" in m for m in problems["unit_review"])


def test_notBy_on_an_element_nobody_completes_is_a_problem(app):
    with force_locale("en"):
        problems = by_element(problems_of(changed(
            ('<bpmn:scriptTask id="store_reply" name="Keep the reply" scriptFormat="python">',
             '<bpmn:scriptTask id="store_reply" name="Keep the reply" scriptFormat="python">'
             '<bpmn:extensionElements><camunda:properties><camunda:property name="notBy" '
             'value="reply_author_id"/></camunda:properties></bpmn:extensionElements>'))))
    assert any("only user tasks can have it" in m for m in problems["store_reply"])
