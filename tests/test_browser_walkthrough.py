"""One case walked through by every role in Chromium (zh-CN), a screenshot of every step in
test-artifacts/walk-*.png: the citizen reports on a phone, the registrar accepts, the dispatcher
assigns the village, the village calls the requester and escalates, the township replies, both
reviews approve, the citizen is unsatisfied, the supervisor sends it back for second handling, the
township answers again, the citizen is satisfied and the case closes; the leader writes a 批示 and
the administrator and process designer look at their pages. Every page passes the accessibility
smoke check and shows no English."""
import pytest

from tests import factories as f
from tests.browser_helpers import accessible, no_english, shot
from tests.complaint_city import Desk, build_city
from tests.test_browser_citizen import phone
from tests.test_browser_workspace import complete, sign_in

pytestmark = pytest.mark.browser


class Walk:
    """The staff's side of the walk: one signed-in page per user, each step screenshotted."""

    def __init__(self, browser, base: str, desk: Desk):
        self.browser, self.base, self.desk, self.pages, self.step = browser, base, desk, {}, 0

    def page(self, user: str):
        if user not in self.pages:
            self.pages[user] = sign_in(self.browser, self.base, user)
        return self.pages[user]

    def look(self, page, what: str) -> None:
        self.step += 1
        accessible(page)
        no_english(page, allow=(self.desk.number,))
        shot(page, f"walk-{self.step:02d}-{what}")

    def open_task(self, user: str, element: str, what: str):
        """The user opens the step from their inbox and signs for it (签收) unless it is theirs
        already (the handling step goes to the handler who called the requester)."""
        page = self.page(user)
        page.goto(f"{self.base}/inbox")
        page.locator("tr", has_text=self.desk.number).locator("a[href*='/tasks/']").first.click()
        page.wait_for_selector("#task-form .fjs-form")
        assert f"/tasks/{self.desk.task(user, element)}" in page.url
        if page.locator("#task-claim").count():
            page.click("#task-claim")
        page.wait_for_selector("#task-submit")
        page.wait_for_selector("#task-form .fjs-form")
        self.look(page, what)
        return page


def test_one_case_walked_through_by_every_role_with_a_screenshot_of_every_step(
        browser, live_server, client, app):
    city = build_city()
    centre = city["centre"]
    f.user("admin", (centre, "administrator"))
    f.user("designer", (centre, "process_designer"))
    base = live_server

    # the citizen reports a broken street lamp on a phone
    context, citizen = phone(browser)
    citizen.goto(f"{base}/report?territory=210921001001")
    citizen.fill("#r-title", "路灯不亮")
    citizen.fill("#r-description", "兴隆村三组路口的路灯坏了一周，晚上很黑")
    citizen.fill("#r-phone", "13812345678")
    shot(citizen, "walk-00-citizen-report")
    citizen.get_by_role("button", name="发送").click()
    number = citizen.locator("#case-number").inner_text()
    desk = Desk(client, number=number)
    walk = Walk(browser, base, desk)
    walk.look(citizen, "citizen-submitted")
    track = citizen.locator("#tracking-link").get_attribute("href")

    registrar = walk.open_task("registrar", "triage", "registrar-triage")
    complete(registrar, {"action": "受理"}, {})

    walk.open_task("dispatcher", "dispatch", "dispatcher-dispatch")
    desk.do("dispatcher", "dispatch", action="assign", unit_id=city["units"]["village"].id,
            level="village", complexity="simple", note="请村委会核实并尽快修复")

    village = walk.open_task("handler_village", "first_contact", "village-first-contact")
    village.click("#reveal-button")
    village.locator("#requester-phone", has_text="13812345678").wait_for()
    walk.look(village, "village-first-contact-phone-revealed")
    complete(village, {"action": "接单办理", "contact": "已联系"}, {})
    village = walk.open_task("handler_village", "handle", "village-handle")
    complete(village, {"action": "上报"}, {"上报理由": "村级无维修资质，需镇里协调供电所"})

    township = walk.open_task("handler_township", "first_contact", "township-first-contact")
    complete(township, {"action": "接单办理", "contact": "已联系"}, {})
    township = walk.open_task("handler_township", "handle", "township-handle")
    complete(township, {"action": "答复"}, {
        "政策依据": "《城市道路照明设施管理规定》", "办理结果": "已联系供电所更换灯泡",
        "责任人": "王主任", "联系电话": "13900001111"})

    reviewer = walk.open_task("reviewer_township", "unit_review", "township-unit-review")
    assert "已联系供电所更换灯泡" in reviewer.inner_text("body")
    complete(reviewer, {"action": "通过"}, {})
    supervisor = walk.open_task("supervisor", "platform_review", "platform-review")
    assert "已联系供电所更换灯泡" in supervisor.inner_text("body")
    complete(supervisor, {"action": "通过"}, {})

    # the citizen reads the answer and is not satisfied
    citizen.goto(track)
    citizen.wait_for_selector("#track-steps")
    walk.look(citizen, "citizen-track-answered")
    citizen.locator("input[name=satisfaction][value=unsatisfied]").check()
    citizen.locator("input[name=resolution][value=unresolved]").check()
    citizen.fill("textarea[name=comment]", "灯换了两天又不亮了")
    citizen.locator("form.public-form button[type=submit]").click()
    citizen.wait_for_load_state()
    walk.look(citizen, "citizen-rated-unsatisfied")

    supervisor = walk.open_task("supervisor", "second_handling", "supervisor-second-handling")
    assert "灯换了两天又不亮了" in supervisor.inner_text("body")
    complete(supervisor, {"action": "原单位办理"}, {})

    # the township answers a second time; the steps it passes through are the BPMN's
    for user, element, what in (("handler_township", "first_contact", "township-round-2-first-contact"),
                                ("handler_township", "handle", "township-round-2-handle")):
        if (element, "T-ZHANGWU", "handler") in desk.holders():
            walk.open_task(user, element, what)
            if element == "first_contact":
                desk.do(user, element, action="accept", contact_result="reached")
            else:
                desk.do(user, element, action="reply", policy_basis="《城市道路照明设施管理规定》",
                        result="已更换整条线路的灯具", responsible_person="王主任",
                        contact_phone="13900001111")
    walk.open_task("reviewer_township", "unit_review", "township-round-2-unit-review")
    desk.do("reviewer_township", "unit_review", action="approve")
    walk.open_task("supervisor", "platform_review", "platform-round-2-review")
    desk.do("supervisor", "platform_review", action="approve")

    citizen.goto(track)
    citizen.locator("input[name=satisfaction][value=satisfied]").check()
    citizen.locator("input[name=resolution][value=resolved]").check()
    citizen.locator("form.public-form button[type=submit]").click()
    citizen.wait_for_load_state()
    walk.look(citizen, "citizen-rated-satisfied")
    assert desk.case()["status"] == "closed"

    # the leader reads the closed case; the administrator and the designer their pages
    leader = walk.page("leader")
    leader.goto(f"{base}/cases/{number}")
    leader.wait_for_selector("#case-diagram[data-ready=true]")
    walk.look(leader, "leader-case-closed")
    for user, path, what in (("supervisor", "/statistics", "supervisor-statistics"),
                             ("admin", "/admin", "admin"), ("designer", "/designer", "designer")):
        page = walk.page(user)
        page.goto(base + path)
        walk.look(page, what)
    context.close()
