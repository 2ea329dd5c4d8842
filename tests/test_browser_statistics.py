"""The statistics page (统计分析) and the public ranking (亮晒比) in Debian's headless Chromium, in
zh-CN, over cases built through the API with known outcomes (tests/test_statistics_figures.py):
the figures, the charts drawn by the vendored Chart.js without breaking the Content-Security-Policy,
a click on a number opening exactly its cases, the ranking ordered by a click, a district leader
seeing the district only, the public page 404 until published. Screenshots (desktop and a 390 px
phone) go to HUIYIN_ARTIFACTS (default test-artifacts/)."""
import openpyxl
import pytest

from tests import factories as f
from tests import test_statistics_figures as figures_tests
from tests.browser_helpers import accessible, no_english, shot
from tests.complaint_city import build_city
from tests.test_browser_workspace import sign_in
from tests.test_statistics_figures import seven_cases, village_resolves
from tests.test_web_statistics import second_county

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def city(app):
    figures_tests._TOKENS.clear()
    built = build_city()
    f.user("admin", (built["centre"], "administrator"))
    return built


def watch_console(page) -> list[str]:
    """Script errors and console errors (a Content-Security-Policy violation is one), except the
    browser's note that the hot spots panel answered 404 (it may not be installed)."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error"
            and not message.text.startswith("Failed to load resource") else None)
    return errors


def figure(page, name: str) -> str:
    return page.locator(f"li[data-figure={name}] .figure-value").inner_text().strip()


def open_statistics(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("#chart-trend[data-ready=true]")
    page.wait_for_selector("#chart-levels[data-ready=true]")
    # the hot spots panel has answered (a fragment, or the note when it is not installed)
    page.wait_for_function("!document.getElementById('hotspots-loading')")


def test_a_leader_reads_the_figures_drills_down_and_orders_the_ranking(browser, live_server, client, city):
    made = seven_cases(client, city["units"])
    page = sign_in(browser, live_server, "leader")
    errors = watch_console(page)
    page.get_by_role("link", name="统计分析").click()
    open_statistics(page, page.url)
    assert [figure(page, n) for n in ("received", "closed", "returned", "open")] == ["7", "5", "1", "2"]
    assert [figure(page, n) for n in ("completion_rate", "satisfaction_rate")] == ["71.43%", "80.00%"]
    assert page.locator("#htmx-alert").inner_text().strip() == ""  # a missing panel is no error
    accessible(page)
    no_english(page)
    shot(page, "statistics")

    page.locator("li[data-figure=closed] a").click()
    assert page.locator("#drill-heading").inner_text().startswith("办结 5 件 · ")
    numbers = page.locator("tbody tr td:first-child a").all_inner_texts()
    assert numbers == [made[k].number for k in "EDCBA"]
    accessible(page)
    no_english(page)
    shot(page, "statistics-drill-down")

    page.get_by_role("link", name="返回统计分析").click()
    page.wait_for_selector("#ranking")
    page.locator("#ranking th a[data-order=received]").click()
    page.wait_for_url("**order=received**")
    units = page.locator("#ranking tbody tr").evaluate_all("rows => rows.map(r => r.dataset.unit)")
    received = [int(n) for n in page.locator("#ranking tbody tr td:nth-child(4)").all_inner_texts()]
    assert units[0] == "V-XINGLONG" and received == sorted(received, reverse=True)
    page.locator("#ranking tbody tr[data-unit=V-XINGLONG] a").click()
    assert set(page.locator("tbody tr td:first-child a").all_inner_texts()) == {
        made[k].number for k in "ABCF"}
    assert errors == []


def test_the_statistics_page_fits_a_phone(browser, live_server, client, city):
    seven_cases(client, city["units"])
    page = sign_in(browser, live_server, "leader", **PHONE)
    errors = watch_console(page)
    open_statistics(page, f"{live_server}/statistics")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    accessible(page)
    shot(page, "statistics-phone")
    page.locator("li[data-figure=received] a").click()
    page.wait_for_selector("#drill-heading")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert errors == []


def test_a_district_leader_does_not_see_another_districts_numbers(browser, live_server, client, city):
    village_resolves(client, city["units"])
    other = second_county(client, city)
    page = sign_in(browser, live_server, "leader_b")
    open_statistics(page, f"{live_server}/statistics")
    assert (figure(page, "received"), figure(page, "closed")) == ("1", "0")
    body = page.locator("main").inner_text()
    assert "彰武县" in body and "阜新县" not in body and "兴隆村" not in body
    page.locator("li[data-figure=received] a").click()
    assert page.locator("tbody tr td:first-child a").all_inner_texts() == [other.number]


def test_the_public_ranking_is_404_until_published_and_then_shows_the_rates(browser, live_server, client,
                                                                           city):
    seven_cases(client, city["units"])
    visitor = browser.new_context(locale="zh-CN", **PHONE).new_page()
    assert visitor.goto(f"{live_server}/ranking").status == 404

    admin = sign_in(browser, live_server, "admin")
    open_statistics(admin, f"{live_server}/statistics")
    admin.locator("#public-switch").click()
    assert "已公开" in admin.locator("#public-state").inner_text()

    assert visitor.goto(f"{live_server}/ranking").status == 200
    assert [figure(visitor, n) for n in ("received", "closed", "completion_rate", "satisfaction_rate")] == [
        "7", "5", "71.43%", "80.00%"]
    assert visitor.locator("#public-ranking tbody tr").count() >= 3
    assert visitor.locator("a[href*='/cases']").count() == 0
    assert visitor.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    accessible(visitor)
    no_english(visitor)
    shot(visitor, "ranking-phone")
    visitor.context.close()


def test_the_statistics_page_exports_the_report_a_leader_opens_in_a_spreadsheet(browser, live_server, client,
                                                                                  city, tmp_path):
    # given the seven known cases and the page of a leader
    seven_cases(client, city["units"])
    summary = figures_tests.get(client, "/summary")
    page = sign_in(browser, live_server, "leader")
    page.get_by_role("link", name="统计分析").click()
    open_statistics(page, page.url)
    # when the leader downloads the Excel export of the page's period
    with page.expect_download() as download:
        page.locator("#export-xlsx").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    # then the workbook opens and holds the summary's own numbers
    workbook = openpyxl.load_workbook(saved, read_only=True)
    cells = [str(value) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True)
             for value in row if value is not None]
    figures = {row[1]: row[2] for row in workbook.worksheets[0].iter_rows(values_only=True)
               if len(row) > 2 and row[1] in summary}
    shown = ("received", "closed", "completion_rate", "satisfaction_rate")
    assert {name: figures[name] for name in shown} == {name: summary[name] for name in shown}
    ranking = workbook[next(name for name in workbook.sheetnames if name in ("亮晒比排名", "Ranking"))]
    codes = [row[1] for row in ranking.iter_rows(min_row=2, values_only=True) if row[1]]
    assert codes == [row["unit_code"] for row in figures_tests.get(client, "/units")]
    assert "13812345678" not in " ".join(cells)  # the requesters' phones never leave in an export
