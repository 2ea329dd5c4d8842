"""The handler workspace in a real browser: Debian's headless Chromium driven by Playwright.

A village handler signs for a new case, calls the requester and escalates it from the handling
step, which opens already signed for by them; a township handler does the same and replies; the
township's reviewer and the platform approve; the case page shows the timeline and the process
diagram with the current step highlighted. Screenshots of the inbox, a task page and
the case page go to HUIYIN_ARTIFACTS (default test-artifacts/). Each page also passes an
accessibility smoke check: labelled fields, one h1, named buttons, keyboard-usable actions.
"""
import pytest

from tests import factories as f
from tests.browser_helpers import accessible, no_english, shot
from tests.complaint_city import Desk, build_city

pytestmark = pytest.mark.browser


def sign_in(browser, base: str, username: str, **context):
    """A fresh browser context (desktop size unless `context` says otherwise), signed in."""
    options = {"locale": "zh-CN", "viewport": {"width": 1280, "height": 900}, **context}
    page = browser.new_context(**options).new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", f.PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(f"{base}/")
    return page


def sign_for_and_open(page, base: str, number: str, screenshot: str | None = None) -> None:
    """From the inbox: sign for the case's task with the keyboard, then open it."""
    page.goto(f"{base}/inbox")
    row = page.locator("tr", has_text=number)
    accessible(page)
    no_english(page)
    if screenshot:
        shot(page, screenshot)
    row.get_by_role("button").focus()
    page.keyboard.press("Enter")  # keyboard-usable: sign for without the mouse
    row.get_by_role("link", name="打开").or_(row.get_by_role("link", name="Open")).first.click()
    page.wait_for_selector("#task-form .fjs-form")
    no_english(page)


def complete(page, choices: dict[str, str], texts: dict[str, str]) -> None:
    for label in choices.values():
        page.get_by_label(label, exact=True).check()
    for label, value in texts.items():
        page.get_by_label(label).fill(value)  # required labels end with an asterisk
    before = page.url
    page.click("#task-submit")
    page.wait_for_url(lambda url: url != before)


def test_handlers_sign_for_escalate_reply_and_review_in_the_browser(browser, live_server, client, app):
    city = build_city()
    desk = Desk(client)
    desk.village_case(city["units"], title="路灯不亮 Street lamp out")
    base = live_server

    village = sign_in(browser, base, "handler_village")
    sign_for_and_open(village, base, desk.number, screenshot="inbox")
    accessible(village)
    complete(village, {"action": "接单办理", "contact": "已联系"}, {})
    # moved on to the handle task, already signed for by the handler who called the requester
    village.wait_for_selector("#task-submit")
    assert village.locator("#task-claim").count() == 0
    village.wait_for_selector("#task-form .fjs-form")
    shot(village, "task")
    shot(village, "i14-sticky-handle-signed-for")
    no_english(village)
    complete(village, {"action": "上报"}, {"上报理由": "村级无权限，需镇里协调"})
    assert desk.holders() == [("first_contact", "T-ZHANGWU", "handler")]

    township = sign_in(browser, base, "handler_township")
    sign_for_and_open(township, base, desk.number)
    complete(township, {"action": "接单办理", "contact": "已联系"}, {})
    township.wait_for_selector("#task-submit")
    assert township.locator("#task-claim").count() == 0
    township.wait_for_selector("#task-form .fjs-form")
    # a reply without its required fields is refused next to the fields, and nothing is sent
    township.get_by_label("答复", exact=True).check()
    township.click("#task-submit")
    assert township.locator("#task-errors").is_visible()
    assert "此项必填。" in township.locator("#task-form").inner_text()  # form-js's own check, in Chinese
    no_english(township)
    shot(township, "i14-chinese-task-errors")
    assert desk.holders() == [("handle", "T-ZHANGWU", "handler")]
    complete(township, {"action": "答复"}, {
        "政策依据": "《城市道路照明设施管理规定》", "办理结果": "已更换灯泡",
        "责任人": "王主任", "联系电话": "13900001111"})
    assert desk.holders() == [("unit_review", "T-ZHANGWU", "unit_reviewer")]

    for user, element in (("reviewer_township", "unit_review"), ("supervisor", "platform_review")):
        reviewer = sign_in(browser, base, user)
        reviewer.goto(f"{base}/inbox?queue=review")
        reviewer.locator("tr", has_text=desk.number).locator("a[href*='/tasks/']").first.click()
        reviewer.click("#task-claim")  # 签收 first: the submit button comes with the task signed for
        reviewer.wait_for_selector("#task-submit")
        reviewer.wait_for_selector("#task-form .fjs-form")
        no_english(reviewer)
        complete(reviewer, {"action": "通过"}, {})
        assert element not in [h[0] for h in desk.holders()]
    assert desk.holders() == [("rating", "C-CITY", "platform_supervisor")]

    reviewer.goto(f"{base}/cases/{desk.number}")
    reviewer.wait_for_selector("#case-diagram[data-ready=true]")
    current = reviewer.locator(".djs-element.huiyin-current")
    assert current.count() == 1 and current.get_attribute("data-element-id") == "rating"
    assert reviewer.locator(".djs-element.huiyin-done[data-element-id=handle]").count() == 1
    timeline = reviewer.locator("#timeline").inner_text()
    assert "村级无权限，需镇里协调" in timeline  # the escalation and its reason are on the timeline
    assert "上报" in timeline and "escalate" not in timeline
    accessible(reviewer)
    no_english(reviewer)
    shot(reviewer, "case")


def test_the_inbox_and_a_task_fit_a_phone_screen(browser, live_server, client, app):
    """Grid workers and village cadres work from phones: nothing may need sideways scrolling."""
    city = build_city()
    desk = Desk(client)
    desk.village_case(city["units"])
    page = sign_in(browser, live_server, "handler_village", viewport={"width": 390, "height": 844},
                   is_mobile=True, has_touch=True)
    for path in ("/inbox", f"/tasks/{desk.task('handler_village', 'first_contact')}"):
        page.goto(live_server + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (path, overflow)
        accessible(page)
        no_english(page)
    shot(page, "task-phone")
    page.goto(f"{live_server}/inbox")
    shot(page, "inbox-phone")
    page.context.close()
