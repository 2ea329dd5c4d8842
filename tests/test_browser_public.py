"""A citizen on a phone, in Debian's headless chromium: reports a street lamp with a photo, follows
the request with the tracking link, and rates the answer once the platform has released it."""
import pytest

from tests.browser_helpers import accessible, no_english, shot
from tests.complaint_city import Desk, build_city

pytestmark = pytest.mark.browser
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_a_citizen_reports_with_a_photo_tracks_and_rates_on_a_phone(browser, live_server, client, app,
                                                                    tmp_path):
    city = build_city()
    photo = tmp_path / "lamp.png"
    photo.write_bytes(PNG)
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server}/report?territory=210921001001")  # as from a QR code poster
    accessible(page)
    no_english(page)
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    page.fill("#r-title", "路灯不亮")
    page.fill("#r-description", "三组路口的路灯坏了一周")
    page.fill("#r-phone", "13812345678")
    page.set_input_files("#r-files", str(photo))
    shot(page, "citizen-report")
    page.get_by_role("button", name="发送").click()
    number = page.locator("#case-number").inner_text()
    page.locator("#tracking-link").click()
    assert "办理中" in page.locator("#public-status").inner_text()
    no_english(page)
    assert page.locator("form[action$='/rate']").count() == 0  # nothing to rate before the answer

    desk = Desk(client, number=number)
    desk.accept_and_dispatch("village", city["units"], "village")
    desk.village_answers()

    page.reload()
    assert "已更换灯泡" in page.locator("#reply").inner_text()
    accessible(page)
    no_english(page, allow=("Lamp replaced",))  # the reply as the handler wrote it
    page.get_by_label("满意", exact=True).check()
    page.get_by_label("解决", exact=True).check()
    page.fill("#rate-comment", "谢谢，修得很快")
    shot(page, "citizen-rate")
    page.get_by_role("button", name="提交评价").click()
    page.wait_for_selector("#public-status")
    assert desk.case()["outcome"] == "satisfied"
    assert page.locator("form[action$='/rate']").count() == 0  # rated once
    context.close()
