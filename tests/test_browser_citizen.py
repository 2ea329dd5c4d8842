"""The citizen's path on a 390 px phone in Debian's headless chromium (zh-CN): an emergency warns at
once, the place picker loads townships then villages, the phone adds its position, a reload or a
resend of the report creates no second case, the tracking link is copied, and /track shows the
steps, the rating awaited and the photo sent."""
import struct
import zlib

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from app.cases.models import Case
from app.extensions import db
from tests.browser_helpers import accessible, no_english, shot
from tests.complaint_city import Desk, build_city

pytestmark = pytest.mark.browser
#: what the test's people typed or are called, in Latin letters
ALLOW = ("Colleague", "Reviewer", "Handler", "Village", "Township", "Author")
PHONE_SIZE = {"locale": "zh-CN", "viewport": {"width": 390, "height": 844}, "is_mobile": True,
              "has_touch": True}


def png(width: int = 8, height: int = 8) -> bytes:
    """A real (decodable) red PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\xb3\x26\x1e" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def cases() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Case))


def phone(browser, **options):
    context = browser.new_context(**PHONE_SIZE, **options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def fits(page) -> bool:
    """Nothing wider than the phone (a mobile browser would widen the layout to fit it)."""
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE_SIZE["viewport"]["width"]


def test_R7_choosing_an_emergency_warns_at_once_before_anything_is_filled_in(browser, live_server, app):
    build_city()
    context, page = phone(browser)
    page.goto(f"{live_server}/report")
    assert page.locator("#emergency-warning").is_hidden()
    # when the citizen chooses 紧急情况 as the very first thing
    page.select_option("#r-matter", "emergency")
    # then the numbers to call appear at once, while the rest of the form is still empty
    warning = page.locator("#emergency-warning")
    assert warning.is_visible()
    for number, service in (("110", "报警"), ("119", "火警"), ("120", "急救"), ("122", "交通事故")):
        assert page.locator(f"#emergency-warning a[href='tel:{number}']").is_visible()
        assert service in warning.inner_text()
    assert page.input_value("#r-title") == "" and page.input_value("#r-description") == ""
    assert fits(page)
    shot(page, "i14-citizen-emergency")
    # and going back to an ordinary matter hides it
    page.select_option("#r-matter", "ordinary")
    assert warning.is_hidden()
    context.close()


def test_R4_a_reload_or_a_resend_of_the_report_creates_no_second_case(browser, live_server, app, tmp_path):
    build_city()
    photo = tmp_path / "lamp.png"
    photo.write_bytes(png())
    context, page = phone(browser, geolocation={"latitude": 42.011, "longitude": 121.655},
                          permissions=["geolocation", "clipboard-read", "clipboard-write"])
    page.goto(f"{live_server}/report")
    accessible(page)
    no_english(page, allow=ALLOW)
    page.select_option("#r-category", "lamp")
    page.fill("#r-title", "路灯不亮")
    page.fill("#r-description", "三组路口的路灯坏了一周")
    # the picker loads the county's townships, then the township's villages, as they are chosen
    assert page.locator("#r-township").is_disabled()
    page.select_option("#r-county", "210921")
    page.wait_for_selector("#r-township option[value='210921001']", state="attached")
    page.select_option("#r-township", "210921001")
    page.wait_for_selector("#r-village option[value='210921001001']", state="attached")
    page.select_option("#r-village", "210921001001")
    # the phone adds its position
    page.get_by_role("button", name="添加我的位置").click()
    expect(page.locator("#r-latitude")).not_to_have_value("")  # no page-side eval: the CSP forbids it
    assert "已添加位置" in page.locator("#r-position-status").inner_text()
    page.fill("#r-phone", "13812345678")
    page.set_input_files("#r-files", str(photo))
    assert fits(page)
    shot(page, "i14-citizen-report-filled")
    page.get_by_role("button", name="发送").click()
    page.wait_for_selector("#case-number")
    number = page.locator("#case-number").inner_text()
    link = page.locator("#tracking-link").get_attribute("href")
    assert cases() == 1
    case = db.session.scalar(select(Case).where(Case.number == number))
    assert (float(case.latitude), float(case.longitude)) == (42.011, 121.655)
    assert case.territory_id is not None

    # the result fits the phone: the long link wraps, and the copy button copies it
    assert fits(page)
    page.get_by_role("button", name="复制链接").click()
    expect(page.locator("#copy-status")).not_to_have_text("")
    assert page.locator("#copy-status").inner_text() == "已复制"
    assert page.evaluate("navigator.clipboard.readText()") == link
    shot(page, "i14-citizen-result")

    # when the citizen reloads the result page, then nothing is sent again
    page.reload()
    assert page.locator("#case-number").inner_text() == number and cases() == 1
    # when they go back to the form and send it once more, then they get the same case
    page.go_back()
    page.wait_for_selector("#report-form")
    page.get_by_role("button", name="发送").click()
    page.wait_for_selector("#case-number")
    assert page.locator("#case-number").inner_text() == number and cases() == 1
    context.close()


def test_R25_track_shows_the_steps_the_rating_awaited_and_the_photo(browser, live_server, client, app,
                                                                     tmp_path):
    city = build_city()
    photo = tmp_path / "lamp.png"
    photo.write_bytes(png(32, 24))
    context, page = phone(browser)
    page.goto(f"{live_server}/report?territory=210921001001")
    page.fill("#r-title", "路灯不亮")
    page.fill("#r-description", "三组路口的路灯坏了一周")
    page.fill("#r-phone", "13812345678")
    page.set_input_files("#r-files", str(photo))
    page.get_by_role("button", name="发送").click()
    number = page.locator("#case-number").inner_text()
    desk = Desk(client, number=number)
    desk.accept_and_dispatch("village", city["units"], "village")
    page.locator("#tracking-link").click()
    page.wait_for_selector("#track-steps")
    assert page.locator("#expected-reply").is_visible()
    assert page.locator(".step.current .step-name").inner_text() == "办理"
    # when the answer is released
    desk.village_answers()
    page.reload()
    # then the status says it waits for the citizen's rating, each earlier step has its date
    assert page.locator("#public-status").inner_text() == "待您评价"
    names = page.locator(".step-name").all_inner_texts()
    assert names == ["受理", "交办", "办理", "答复", "评价"]
    dates = page.locator(".step-date").all_inner_texts()
    assert all(date[:4].isdigit() for date in dates[:4]) and page.locator(".step.current").inner_text() \
        .startswith("评价")
    # and the photo the citizen sent is shown
    image = page.locator("#track-photos img")
    assert image.count() == 1
    assert image.evaluate("img => img.complete && img.naturalWidth") == 32
    accessible(page)
    no_english(page, allow=ALLOW)
    assert fits(page)
    shot(page, "i14-citizen-track-awaiting-rating")
    context.close()


def test_R5_a_field_error_keeps_the_chinese_message_and_asks_for_the_photo_again(browser, live_server, app,
                                                                                 tmp_path):
    build_city()
    photo = tmp_path / "lamp.png"
    photo.write_bytes(png())
    context, page = phone(browser)
    page.goto(f"{live_server}/report?territory=210921001001")
    page.fill("#r-title", "路灯不亮")
    page.fill("#r-description", "三组路口的路灯坏了一周")
    page.fill("#r-phone", "1381234")  # too short: the server refuses it
    page.set_input_files("#r-files", str(photo))
    page.get_by_role("button", name="发送").click()
    page.wait_for_selector("#r-phone-error")
    assert "手机号码" in page.locator("#r-phone-error").inner_text()
    assert "请重新选择照片" in page.locator("#r-files-error").inner_text()
    assert page.input_value("#r-title") == "路灯不亮" and cases() == 0
    assert fits(page)
    shot(page, "i14-citizen-field-error")
    context.close()
