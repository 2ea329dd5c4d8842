"""重复件 in a real browser (Debian's Chromium, zh-CN): the registrar sees on the triage page that a
new call repeats an open case and merges it there; when the main case's answer is released, the
duplicate's requester opens their tracking link on a phone and reads that answer."""
import pytest

from app.citizen.service import tracking_token
from tests.browser_helpers import accessible, no_english, shot
from tests.complaint_city import Desk, build_city
from tests.test_browser_workspace import sign_in

pytestmark = pytest.mark.browser
#: what the test's people typed or are called, in Latin letters
ALLOW = ("Colleague", "Reviewer", "Handler", "Village", "Township", "Author")



def test_a_merged_duplicates_requester_gets_the_main_cases_answer_on_track(browser, live_server, client, app):
    city = build_city()
    main, duplicate = Desk(client), Desk(client)
    duplicate.tokens = main.tokens
    main.register(title="兴隆村村口路灯不亮", description="村口路灯三天不亮", requester_phone="13812345678",
                  requester_name="李四")
    duplicate.register(title="村口路灯坏了", description="兴隆村村口的路灯一直不亮",
                       requester_phone="13812345678", requester_name="张三")

    # the registrar's triage page of the new call lists the open case it repeats
    registrar = sign_in(browser, live_server, "registrar")
    registrar.goto(f"{live_server}/tasks/{duplicate.task('registrar', 'triage')}")
    candidates = registrar.locator("#duplicates")
    row = candidates.locator("tr", has_text=main.number)
    assert "同一号码" in row.inner_text()
    accessible(registrar)
    no_english(registrar, allow=ALLOW)
    shot(registrar, "i14-duplicates-triage")
    row.get_by_label("说明（可选）").fill("同一路灯，合并办理")
    row.get_by_role("button", name="合并到此件").click()
    registrar.wait_for_url(f"{live_server}/cases/{main.number}")
    assert f"案件 {duplicate.number} 已合并至 {main.number}" in registrar.locator("main").inner_text()
    assert duplicate.number in registrar.locator("#merged-cases").inner_text()
    shot(registrar, "i14-duplicates-main-case")
    assert duplicate.case()["outcome"] == "merged"

    # the main case goes its way; its answer is released by the platform
    main.accept_and_dispatch("village", city["units"], "village")
    main.village_answers()

    citizen = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844},
                                  is_mobile=True).new_page()
    citizen.goto(f"{live_server}/track/{tracking_token(duplicate.number)}")
    merged = citizen.locator("#merged")
    assert f"已合并至 {main.number}" in merged.inner_text()
    assert "已更换灯泡，恢复照明" in citizen.locator("#merged-answer").inner_text()
    assert "李四" not in citizen.content()  # nothing personal of the main case
    assert citizen.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    accessible(citizen)
    no_english(citizen, allow=ALLOW)
    shot(citizen, "i14-duplicates-track")
