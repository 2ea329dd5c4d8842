"""The review rules in a real browser (Chromium, zh-CN): the author of a reply cannot approve it
(four-eyes), and a 催办单 on a step nobody has signed for reaches every candidate of the unit, the
confirmation naming them. Screenshots: test-artifacts/i14-rules-*.png."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.notifications.dispatcher import dispatch_due
from app.notifications.models import OutboxMessage
from tests import factories as f
from tests.browser_helpers import accessible, no_english, shot
from tests.complaint_city import Desk, build_city
from tests.test_browser_workspace import complete, sign_in

pytestmark = pytest.mark.browser
#: what the test's people typed or are called, in Latin letters
ALLOW = ("Colleague", "Reviewer", "Handler", "Village", "Township", "Author")


def test_R24_the_author_of_a_reply_cannot_approve_it_in_the_browser_another_reviewer_can(
        browser, live_server, client, app):
    # given a village handler who is also a reviewer of the village, and who wrote the reply
    city = build_city()
    village = city["units"]["village"]
    f.user("author", (village, "handler"), (village, "unit_reviewer"))
    f.user("reviewer_two", (village, "unit_reviewer"))
    desk = Desk(client)
    desk.village_case(city["units"])
    desk.sign_for("author")
    desk.reply("author")
    task_id = desk.task("reviewer_village", "unit_review")

    # when the author looks at the review queue, then the review is not offered to them
    author = sign_in(browser, live_server, "author")
    author.goto(f"{live_server}/inbox?queue=review")
    assert author.locator("tr", has_text=desk.number).count() == 0
    shot(author, "i14-rules-author-inbox")
    # and opening the task's address says why they cannot act, with nothing to press
    author.goto(f"{live_server}/tasks/{task_id}")
    assert "您撰写了这份答复，须由其他审核人审核通过。" in author.locator("#task-refusal").inner_text()
    assert author.locator("#task-submit, #task-claim").count() == 0
    accessible(author)
    no_english(author, allow=ALLOW)
    shot(author, "i14-rules-author-task")
    # and the API refuses them with 403
    refused = desk.call("POST", f"/api/v1/tasks/{task_id}/complete", "author", expected=403,
                        json={"data": {"action": "approve"}})
    assert "其他审核人" in refused["message"]

    # when the village's other reviewer opens it, signs for it and approves
    reviewer = sign_in(browser, live_server, "reviewer_village")
    reviewer.goto(f"{live_server}/inbox?queue=review")
    reviewer.locator("tr", has_text=desk.number).locator("a[href*='/tasks/']").first.click()
    reviewer.wait_for_selector("#task-form .fjs-form")  # the form to read, not yet to fill in
    assert reviewer.locator("#task-submit").count() == 0
    shot(reviewer, "i14-rules-reviewer-before-signing")
    reviewer.click("#task-claim")
    reviewer.wait_for_selector("#task-submit")
    reviewer.wait_for_selector("#task-form .fjs-form")
    # (it could hand the review over to the other reviewer, never to the author)
    assert reviewer.locator("#hand-over-to option").all_inner_texts() == ["Reviewer_Two"]
    accessible(reviewer)
    no_english(reviewer, allow=ALLOW)
    shot(reviewer, "i14-rules-reviewer-signed-for")
    complete(reviewer, {"action": "通过"}, {})
    # then the case moves on to the platform's review
    assert desk.holders() == [("platform_review", "C-CITY", "platform_supervisor")]


def test_R29_a_reminder_on_an_unclaimed_step_reaches_every_candidate_named_in_the_confirmation(
        browser, live_server, client, app):
    # given a village with two handlers, and a case at its first contact that nobody signed for
    city = build_city()
    f.user("colleague", (city["units"]["village"], "handler"))
    desk = Desk(client)
    desk.village_case(city["units"])

    # when the platform supervisor writes a 催办单 on the case page
    supervisor = sign_in(browser, live_server, "supervisor")
    supervisor.goto(f"{live_server}/cases/{desk.number}")
    supervisor.select_option("#directive-kind", "reminder_note")
    supervisor.fill("#directive-text", "请于今日内联系诉求人")
    supervisor.locator("#directives button[type=submit]").click()
    supervisor.wait_for_load_state()
    # then the confirmation names both handlers and their unit
    assert "已发送给：Colleague、Handler_Village（Unit V-XINGLONG）" in supervisor.content()
    shot(supervisor, "i14-rules-reminder-sent")

    # and each of them has it, and nobody else
    told = set(db.session.scalars(select(OutboxMessage.user_id).where(
        OutboxMessage.kind == "reminder_note", OutboxMessage.channel == "in_app")))
    assert told == {f.user_id("handler_village"), f.user_id("colleague")}
    dispatch_due(app)  # what the scheduler does: the in-app messages land on the bell
    for name in ("colleague", "handler_village"):
        handler = sign_in(browser, live_server, name)
        handler.goto(f"{live_server}/notifications")
        assert f"催办单（{desk.number}）：请于今日内联系诉求人" in handler.locator("main").inner_text()
        shot(handler, f"i14-rules-reminder-{name}")
