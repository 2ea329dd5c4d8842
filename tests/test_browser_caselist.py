"""The case list in Debian's Chromium (zh-CN): a registrar finds a caller's cases by phone, sees
the phone masked, exports the list and opens the XLSX; a partial phone is refused beside its
field. The header's bell is an SVG icon with its count. Screenshots: i14-caselist-*.png."""
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook

from app.extensions import db
from app.notifications.models import Notification
from tests import factories as f
from tests.browser_helpers import ARTIFACTS, accessible, no_english, shot

pytestmark = pytest.mark.browser
#: what the test's people typed or are called, in Latin letters
ALLOW = ("Colleague", "Reviewer", "Handler", "Village", "Township", "Author")

PHONE = "13812345678"


@pytest.fixture
def cases(app):
    """Three cases in 和平街道, two of them from the same caller; a reminder in the registrar's bell."""
    f.deploy("simple_complaint.bpmn")
    city = f.territory("210900", "city", name="阜新市")
    township = f.territory("210902001", "township", f.territory("210902", "county", city, name="海州区"),
                           name="和平街道")
    office = f.unit("U210902001", "township", name="和平街道办事处", territory=township)
    registrar = f.user("registrar", (f.unit("C210900", "city", name="阜新市12345中心", territory=city,
                                             kind="centre"), "registrar"))
    made = [f.case(title, unit_row=office, actor=registrar, territory_code="210902001", requester_phone=phone,
                   requester_name="张三")
            for title, phone in (("路灯不亮", PHONE), ("噪声扰民", "13900001111"), ("路灯又坏了", PHONE))]
    db.session.add(Notification(user_id=registrar.id, kind="reminder", text="催办：路灯不亮"))
    db.session.commit()
    return made


def test_a_registrar_finds_a_callers_cases_by_phone_and_exports_them(browser, live_server, cases):
    base = live_server
    page = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900},
                               accept_downloads=True).new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base}/login")
    page.fill("input[name=username]", "registrar")
    page.fill("input[name=password]", f.PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(f"{base}/")

    # the bell: an SVG icon that is drawn, its name and the unread count
    bell = page.locator("#bell")
    icon = bell.locator("svg.bell-icon").bounding_box()
    assert icon and icon["width"] >= 16 and icon["height"] >= 16
    assert bell.inner_text().split() == ["通知", "1", "条未读"]
    shot(page, "i14-caselist-bell")
    page.locator("header").screenshot(path=str(ARTIFACTS / "i14-caselist-bell-header.png"))

    page.get_by_role("link", name="案件", exact=True).click()
    page.wait_for_url(f"{base}/cases")
    accessible(page)
    no_english(page, allow=ALLOW)
    page.get_by_label("诉求人电话").fill("1381234")
    page.get_by_role("button", name="搜索").click()
    page.wait_for_selector("#f-phone-error")
    assert "请输入完整的电话号码" in page.locator("#f-phone-error").inner_text()
    assert page.locator("#case-table").count() == 0
    shot(page, "i14-caselist-phone-refused")

    page.get_by_label("诉求人电话").fill(PHONE)
    page.get_by_role("button", name="搜索").click()
    page.wait_for_selector("#case-table")
    assert PHONE not in page.url  # posted, and carried encrypted: never in an address
    rows = page.locator("#case-table tbody tr")
    assert rows.count() == 2
    assert [cases[2].number, cases[0].number] == [rows.nth(i).get_attribute("data-number") for i in range(2)]
    table = page.locator("#case-table").inner_text()
    assert "138****5678" in table and PHONE not in table and "和平街道办事处" in table
    accessible(page)
    no_english(page, allow=ALLOW)
    shot(page, "i14-caselist-search")
    page.get_by_text("更多筛选条件").click()
    assert page.get_by_label("承办单位").is_visible()
    shot(page, "i14-caselist-filters")

    with page.expect_download() as download:
        page.get_by_role("link", name="导出本列表(XLSX)").click()
    sheet = load_workbook(BytesIO(Path(download.value.path()).read_bytes())).worksheets[0]
    found = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    assert [row[0] for row in found[1:]] == [cases[2].number, cases[0].number]
    assert all(PHONE not in str(value) for row in found for value in row)
    assert "138****5678" in found[1]
