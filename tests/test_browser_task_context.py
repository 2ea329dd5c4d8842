"""Task pages show what the step needs (issue 14), in Debian's Chromium (zh-CN): the reviewers
read the reply they decide on, the supervisor on second handling reads the citizen's comment,
and the handler who must call the requester reveals the phone with one click (audited, R14).
Screenshots go to HUIYIN_ARTIFACTS as i14-context-*.png."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.privacy.models import PersonalDataAccess
from tests import factories as f
from tests.browser_helpers import accessible, no_english, shot
from tests.complaint_city import UNIT_NAMES, Desk, named_city
from tests.test_browser_workspace import sign_in

pytestmark = pytest.mark.browser
#: what the test's people typed or are called, in Latin letters
ALLOW = ("Colleague", "Reviewer", "Handler", "Village", "Township", "Author")

REPLY = ("已更换灯泡，恢复照明 Lamp replaced", "《城市道路照明设施管理规定》", "王主任", "13900001111")
NAMES = UNIT_NAMES


@pytest.fixture
def city(app):
    return named_city()


def open_task(page, base: str, desk: Desk, user: str, element: str) -> None:
    page.goto(f"{base}/tasks/{desk.task(user, element)}")
    page.wait_for_selector("#task-form .fjs-form")


def test_R24_the_unit_and_platform_reviewers_read_the_reply_on_the_task_page(browser, live_server, client,
                                                                            city):
    # given the village committee replied, after the dispatcher's note and its own call
    desk = Desk(client)
    desk.register(description="兴隆村三组路灯坏了一周，晚上出行不便")
    desk.do("registrar", "triage", action="accept")
    desk.do("dispatcher", "dispatch", action="assign", unit_id=city["units"]["village"].id, level="village",
            complexity="simple", note="请当天联系诉求人")
    desk.do("handler_village", "first_contact", claim=True, action="accept", contact_result="reached",
            contact_note="已电话联系，约定明早查看")
    desk.reply("handler_village")
    for user, element in (("reviewer_village", "unit_review"), ("supervisor", "platform_review")):
        # when each reviewer opens the review
        page = sign_in(browser, live_server, user)
        open_task(page, live_server, desk, user, element)
        # then the reply they decide on is on the page, beside the form, with the earlier notes
        reply = page.locator("#reply-under-review")
        for text in REPLY:
            assert text in reply.inner_text()
        notes = page.locator("#earlier-notes").inner_text()
        assert "请当天联系诉求人" in notes and "已电话联系，约定明早查看" in notes
        assert notes.index("已电话联系") < notes.index("请当天联系诉求人")  # newest first
        assert NAMES["village"] in page.locator("#case-unit").inner_text()
        accessible(page)
        no_english(page, allow=ALLOW)
        shot(page, f"i14-context-{element}")
        if element == "unit_review":
            page.click("#task-claim")  # 签收 first: the form is read-only until then
            page.wait_for_selector("#task-submit")
            page.get_by_label("通过", exact=True).check()
            page.click("#task-submit")
            # and after approving, the reviewer is told where the case went
            went = page.locator("p.notice.success")
            went.wait_for()
            assert "阜新市12345热线中心" in went.inner_text()
            shot(page, "i14-context-where-it-went")
        page.context.close()
    assert [h[0] for h in desk.holders()] == ["platform_review"]


def test_the_supervisor_on_second_handling_reads_the_citizens_comment(browser, live_server, client, city):
    # given the requester rated the answer unsatisfied on the tracking page, with a comment
    desk = Desk(client)
    desk.village_case(city["units"])
    desk.village_answers()
    desk.rate_online("unsatisfied", "unresolved", "灯还是时亮时不亮，晚上依旧很黑")
    # when the supervisor opens second handling
    page = sign_in(browser, live_server, "supervisor")
    open_task(page, live_server, desk, "supervisor", "second_handling")
    # then the comment and the rating are among the earlier steps, and the released reply is shown
    notes = page.locator("#earlier-notes").inner_text()
    assert "灯还是时亮时不亮，晚上依旧很黑" in notes and "诉求人" in notes
    assert "已更换灯泡" in page.locator("#reply-released").inner_text()
    accessible(page)
    no_english(page, allow=ALLOW)
    shot(page, "i14-context-second-handling")
    page.context.close()
    # and on a phone the same page is one column, without sideways scrolling
    phone = sign_in(browser, live_server, "supervisor", viewport={"width": 390, "height": 844},
                    is_mobile=True, has_touch=True)
    open_task(phone, live_server, desk, "supervisor", "second_handling")
    assert phone.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    shot(phone, "i14-context-second-handling-phone")
    phone.context.close()


def test_R14_the_first_contact_task_reveals_the_phone_with_one_audited_click(browser, live_server, client,
                                                                             city):
    # given a new case dispatched to the village, from 李女士
    desk = Desk(client)
    desk.village_case(city["units"], requester_name="李女士")
    page = sign_in(browser, live_server, "handler_village")
    open_task(page, live_server, desk, "handler_village", "first_contact")
    # then the calling step shows her name and the masked phone
    contact = page.locator("#personal-data")
    assert "李女士" in contact.inner_text() and page.locator("#requester-phone").inner_text() == "138****5678"
    shot(page, "i14-context-first-contact-masked")
    # when the handler signs for the task and clicks reveal
    page.get_by_role("button", name="签收", exact=True).click()
    page.wait_for_selector("#reveal-button")
    page.click("#reveal-button")
    # then the full number replaces the masked one in place, and the access is audited
    page.locator("#requester-phone", has_text="13812345678").wait_for()
    assert page.locator("#task-form .fjs-form").count() == 1  # still on the task page, form intact
    accessible(page)
    no_english(page, allow=ALLOW)
    shot(page, "i14-context-first-contact-revealed")
    db.session.expire_all()
    audit = db.session.scalars(select(PersonalDataAccess)).all()
    assert [(a.user_id, a.via) for a in audit] == [(f.user_id("handler_village"), "web")]
    page.context.close()
