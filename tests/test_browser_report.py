"""The monthly report's printable page in a real browser (Debian's headless Chromium, Playwright):
its charts draw under the Content-Security-Policy (no inline script), it prints without the site's
navigation, and it passes the accessibility smoke check. Screenshot to HUIYIN_ARTIFACTS."""
import pytest

from tests.browser_helpers import accessible, no_english, shot
from tests.complaint_city import build_city
from tests.test_browser_workspace import sign_in
from tests.test_statistics_report import _TOKENS, a_month_of_requests

pytestmark = pytest.mark.browser


def test_the_monthly_report_draws_its_charts_and_prints_without_navigation(browser, live_server, client, app):
    _TOKENS.clear()
    city = build_city()
    a_month_of_requests(client, city["units"])
    page = sign_in(browser, live_server, "leader")
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.goto(f"{live_server}/statistics/report")
    page.wait_for_function("() => window.Chart && document.querySelectorAll('canvas[data-chart]').length"
                           " === [...document.querySelectorAll('canvas[data-chart]')]"
                           ".filter(c => window.Chart.getChart(c)).length")
    assert page.locator("h1").inner_text() == "月度分析报告"
    accessible(page)
    no_english(page)
    shot(page, "monthly-report")
    page.emulate_media(media="print")
    assert not page.locator("header.site-header").is_visible()
    assert page.locator("#report-summary").is_visible()
    assert problems == []  # no CSP violation, no script error
