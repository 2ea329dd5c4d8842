"""The statistics page (统计分析), the drill-down case list and the public ranking page (亮晒比) over
HTTP, with cases built through the API and known outcomes (tests/test_statistics_figures.py): the
page shows the summary's figures, every number opens exactly the cases behind it, the page is
scoped like the API, the public page stays 404 until an administrator publishes it."""
from datetime import date
from urllib.parse import parse_qs, urlsplit

import lxml.html
import pytest
from sqlalchemy import select

from app.audit.models import AdminChange
from app.extensions import db
from app.organisation.models import Territory
from app.statistics.service import SUMMARY_COUNTS
from app.web import cases as web_cases
from app.web import statistics as web_statistics
from tests import factories as f
from tests import test_statistics_figures as figures_tests
from tests.complaint_city import build_city
from tests.test_statistics_figures import desk, seven_cases, village_resolves
from tests.web_helpers import is_login_redirect, post_form, signed_in

ENGLISH = {"Accept-Language": "en"}


@pytest.fixture
def city(app):
    built = build_city()
    f.user("admin", (built["centre"], "administrator"))
    return built


@pytest.fixture(autouse=True)
def _fresh_tokens():
    figures_tests._TOKENS.clear()


def api(client, path, user="leader", **params):
    response = client.get(f"/api/v1/statistics{path}", query_string=params,
                          headers=desk(client).headers(user))
    assert response.status_code == 200, response.json
    return response.json


def page(client, path, status=200, **kwargs):
    response = client.get(path, **kwargs)
    assert response.status_code == status, (path, response.status_code)
    return lxml.html.fromstring(response.get_data(as_text=True))


def text(node) -> str:
    return " ".join(node.text_content().split())


def figures(doc, list_id: str) -> dict[str, str]:
    return {li.get("data-figure"): text(li.xpath(".//*[contains(@class, 'figure-value')]")[0])
            for li in doc.xpath(f"//ul[@id='{list_id}']/li")}


def listed(client, href: str) -> tuple[str, list[str], list[str]]:
    """(heading, case numbers, times counted) of a drill-down page."""
    doc = page(client, href)
    heading = doc.xpath("//p[@id='drill-heading']")
    numbers = [text(a) for a in doc.xpath("//tbody/tr/td[1]/a")]
    counted = [text(td) for td in doc.xpath("//tbody/tr/td[contains(@class, 'matches')]")]
    return (text(heading[0]) if heading else ""), numbers, counted


def shown_period(doc) -> str:
    return text(doc.xpath("//*[@id='statistics-period']")[0])


def second_county(client, city):
    """A second county (彰武县) with its own village, leader and one case; returns that case's desk."""
    whole_city = db.session.scalar(select(Territory).where(Territory.code == "210900"))
    county_b = f.territory("210922", "county", whole_city, name="彰武县")
    village_b = f.territory("210922001001", "village", county_b, name="前进村")
    unit_b = f.unit("V-QIANJIN", "village", territory=village_b, kind="committee")
    f.routing_rule(village_b, "village", unit_b)
    f.user("leader_b", (f.unit("C-ZHANGWU", "county", territory=county_b, kind="centre"), "leader"))
    d = desk(client)
    d.register(territory_code="210922001001")
    return d


# --- the page --------------------------------------------------------------------------------------

def test_R33_the_statistics_page_shows_every_count_and_rate_of_the_summary(client, city):
    seven_cases(client, city["units"])
    summary = api(client, "/summary")
    signed_in(client, "leader")
    doc = page(client, "/statistics")
    counts = figures(doc, "counts")
    assert counts == {name: str(summary[name]) for name in SUMMARY_COUNTS}
    assert (counts["received"], counts["closed"], counts["returned"], counts["open"]) == ("7", "5", "1", "2")
    rates = figures(doc, "rates")
    assert (rates["completion_rate"], rates["satisfaction_rate"], rates["response_rate"]) == (
        "71.43%", "80.00%", "75.00%")
    levels = {tr.get("data-level"): [text(td) for td in tr.xpath("td")[1:3]]
              for tr in doc.xpath("//table[@id='levels']//tbody/tr")}
    assert levels == {"village": ["1", "33.34%"], "township": ["1", "33.33%"], "county": ["1", "33.33%"],
                      "city": ["0", "0.00%"]}
    charts = doc.xpath("//canvas[@data-chart]")
    assert {c.get("id") for c in charts} == {"chart-trend", "chart-rates", "chart-levels"}
    assert "阜新市" in text(doc.xpath("//*[@id='statistics-scope']")[0])


def test_every_number_on_the_page_opens_exactly_the_cases_the_api_counts(client, city):
    made = seven_cases(client, city["units"])
    summary = api(client, "/summary")
    behind = {name: [c["number"] for c in api(client, "/cases", limit=200, **link)["cases"]]
              for name, link in summary["drill_down"].items() if name in SUMMARY_COUNTS}
    signed_in(client, "leader")
    doc = page(client, "/statistics")
    for item in doc.xpath("//ul[@id='counts']/li"):
        name = item.get("data-figure")
        assert listed(client, item.xpath(".//a")[0].get("href"))[1] == behind[name], name
    # the known cases: closed are A to E, newest first, under a heading naming figure and period
    closed = doc.xpath("//li[@data-figure='closed']//a")[0].get("href")
    heading, numbers, counted = listed(client, closed)
    period = f"{summary['period']['from']} 至 {summary['period']['to']}"
    assert heading == f"办结 5 件 · {period}"
    assert numbers == [made[k].number for k in "EDCBA"] and counted == []
    # a rate: its numerator and its denominator
    response = doc.xpath("//li[@data-figure='response_rate']")[0]
    parts = {a.get("data-part"): listed(client, a.get("href")) for a in response.xpath(".//a")}
    assert set(parts["numerator"][1]) == {made[k].number for k in "ABC"}
    assert set(parts["denominator"][1]) == {made[k].number for k in "ABCF"}
    assert parts["numerator"][0].startswith("响应率（分子） 3 件")
    # a count of returns says how many each case has
    returned = doc.xpath("//li[@data-figure='returned']//a")[0].get("href")
    assert listed(client, returned)[1:] == ([made["C"].number], ["1"])


def test_the_drill_down_heading_names_the_cuts_and_pages_keep_the_filters(client, city, monkeypatch):
    made = seven_cases(client, city["units"])
    signed_in(client, "leader")
    cuts = "territory=210921&category=lamp&request_type=complaint"
    heading, numbers, _ = listed(client, f"/cases?figure=received&{cuts}")
    assert heading.endswith(" · 阜新县 · 路灯 Street lamps · 投诉")
    assert set(numbers) == {made[k].number for k in "ABCEFG"}  # D is a consultation
    # paged: every page keeps the figure and the cuts
    monkeypatch.setattr(web_cases, "PAGE_SIZE", 2)
    href, seen = "/cases?figure=received&territory=210921", []
    while href:
        doc = page(client, href)
        seen += [text(a) for a in doc.xpath("//tbody/tr/td[1]/a")]
        following = doc.xpath("//a[@rel='next']")
        href = following[0].get("href") if following else None
        if href:
            assert parse_qs(urlsplit(href).query)["territory"] == ["210921"]
    assert seen == [made[k].number for k in "GFEDCBA"]


def test_the_ranking_table_orders_units_and_links_each_to_its_cases(client, city):
    made = seven_cases(client, city["units"])
    signed_in(client, "leader")
    for order in ("score", "received", "satisfaction_rate"):
        doc = page(client, f"/statistics?order={order}")
        rows = [tr.get("data-unit") for tr in doc.xpath("//table[@id='ranking']//tbody/tr")]
        assert rows == [row["unit_code"] for row in api(client, "/units", order=order)], order
        assert doc.xpath("//th[@aria-sort='descending']//a/@data-order") == [order]
    doc = page(client, "/statistics?order=received")
    assert doc.xpath("//table[@id='ranking']//tbody/tr[1]/@data-unit") == ["V-XINGLONG"]  # handed A, B, C, F
    village = doc.xpath("//tr[@data-unit='V-XINGLONG']//a")[0].get("href")
    assert set(listed(client, village)[1]) == {made[k].number for k in "ABCF"}


def test_a_district_leaders_page_shows_only_the_district(client, city):
    village_resolves(client, city["units"])
    other = second_county(client, city)
    signed_in(client, "leader_b")
    doc = page(client, "/statistics")
    assert (figures(doc, "counts")["received"], figures(doc, "counts")["closed"]) == ("1", "0")
    html = lxml.html.tostring(doc, encoding="unicode")
    assert "阜新县" not in html and "兴隆村" not in html and "V-XINGLONG" not in html
    territories = [o for o in doc.xpath("//select[@id='f-territory']/option/@value") if o]
    assert territories == ["210922", "210922001001"]
    assert doc.xpath("//table[@id='ranking']//tbody/tr") == []
    # asking for the other county's cases by hand lists none of them
    assert listed(client, "/cases?figure=received&territory=210921")[1] == []
    assert listed(client, "/cases?figure=received")[1] == [other.number]


def test_a_unit_sees_its_own_figures_on_the_page(client, city):
    seven_cases(client, city["units"])
    signed_in(client, "handler_township")
    doc = page(client, "/statistics")
    assert figures(doc, "counts")["received"] == "1"  # case B came through the township
    assert doc.xpath("//table[@id='ranking']//tbody/tr/@data-unit") == ["T-ZHANGWU"]
    assert [o for o in doc.xpath("//select[@id='f-unit']//option/@value") if o] == ["T-ZHANGWU"]


def test_the_period_presets_follow_the_assessment_month(client, city, monkeypatch):
    signed_in(client, "admin")
    response = client.patch("/api/v1/statistics/settings", json={"month_start_day": 19},
                            headers=desk(client).headers("admin"))
    assert response.status_code == 200
    monkeypatch.setattr(web_statistics, "today", lambda: date(2026, 11, 5))
    shown = {period: shown_period(page(client, f"/statistics?period={period}"))
             for period in ("month", "last_month", "week")}
    assert shown == {"month": "2026-10-19 至 2026-11-18", "last_month": "2026-09-19 至 2026-10-18",
                     "week": "2026-11-02 至 2026-11-08"}
    custom = page(client, "/statistics?from=2026-01-01&to=2026-03-31")
    assert shown_period(custom) == "2026-01-01 至 2026-03-31"
    assert custom.xpath("//select[@id='f-period']/option[@selected]/@value") == ["custom"]


def test_bad_filters_are_named_on_the_page_and_nothing_breaks(client, city):
    signed_in(client, "leader")
    for path, fields in (("/statistics?from=2026-02-30&unit=NOPE", {"from", "unit"}),
                         ("/statistics?period=fortnight", {"period"}), ("/statistics?trend=hour", {"trend"}),
                         ("/statistics?order=name", {"order"}), ("/cases?figure=nonsense", {"figure"}),
                         ("/cases?figure=completion_rate", {"figure"}),
                         ("/cases?figure=closed&klass=x", {"klass"})):
        doc = page(client, path, status=422)
        named = {text(code) for code in doc.xpath("//div[@class='error-summary']//code")}
        assert named == fields, path


def test_only_statistics_roles_open_the_page_and_it_speaks_both_languages(client, city):
    assert is_login_redirect(client.get("/statistics"))
    f.user("designer", (city["centre"], "process_designer"))
    signed_in(client, "designer")
    assert client.get("/statistics").status_code == 403
    assert client.get("/cases?figure=closed").status_code == 403
    signed_in(client, "leader")
    chinese = page(client, "/statistics")
    assert text(chinese.xpath("//h1")[0]) == "统计分析" and chinese.xpath("//nav//a[@href='/statistics']")
    assert text(chinese.xpath("//li[@data-figure='closed']/span")[0]) == "办结"
    english = page(client, "/statistics", headers=ENGLISH)
    assert text(english.xpath("//h1")[0]) == "Statistics"
    assert text(english.xpath("//li[@data-figure='closed']/span")[0]) == "Closed"


def test_the_hot_spots_panel_asks_with_the_same_filters(client, city):
    signed_in(client, "leader")
    doc = page(client, "/statistics?period=custom&from=2026-11-01&to=2026-11-30&territory=210921")
    url = urlsplit(doc.xpath("//*[@id='hotspots-panel']/@hx-get")[0])
    assert url.path == "/statistics/hotspots/panel"
    assert parse_qs(url.query) == {"from": ["2026-11-01"], "to": ["2026-11-30"], "territory": ["210921"]}


# --- the public page (亮晒比) -----------------------------------------------------------------------

def test_the_public_ranking_is_404_until_an_administrator_publishes_it(client, city):
    made = seven_cases(client, city["units"])
    assert client.get("/ranking").status_code == 404
    signed_in(client, "leader")
    assert post_form(client, "/statistics/public-ranking", {"publish": "1"}).status_code == 403
    signed_in(client, "admin")
    assert post_form(client, "/statistics/public-ranking", {"publish": "1"}).status_code == 302
    change = db.session.scalars(select(AdminChange).where(AdminChange.entity == "setting")).one()
    assert (change.entity_key, change.old["public_ranking"], change.new["public_ranking"]) == (
        "statistics", False, True)
    with client.session_transaction() as session:
        session.clear()  # a citizen, not signed in
    response = client.get("/ranking")
    html = response.get_data(as_text=True)
    doc = lxml.html.fromstring(html)
    rates = figures(doc, "public-rates")
    assert (rates["received"], rates["closed"], rates["completion_rate"], rates["satisfaction_rate"]) == (
        "7", "5", "71.43%", "80.00%")
    assert doc.xpath("//table[@id='public-districts']//tbody/tr/@data-territory") == ["210921"]
    assert "V-XINGLONG" in doc.xpath("//table[@id='public-ranking']//tbody/tr/@data-unit")
    # no cases, no people, no way into the cases
    assert not any(made[k].number in html for k in made)
    assert "138" not in html and "/cases" not in html
    signed_in(client, "admin")
    post_form(client, "/statistics/public-ranking", {"publish": "0"})
    assert client.get("/ranking").status_code == 404


def test_the_public_ranking_setting_is_a_boolean(client, city):
    headers = desk(client).headers("admin")
    refused = client.patch("/api/v1/statistics/settings", json={"public_ranking": "yes"}, headers=headers)
    assert refused.status_code == 422 and "public_ranking" in refused.json["errors"]
    accepted = client.patch("/api/v1/statistics/settings", json={"public_ranking": True}, headers=headers)
    assert accepted.status_code == 200 and accepted.json["public_ranking"] is True
    assert client.get("/ranking").status_code == 200
