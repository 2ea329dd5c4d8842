"""The monthly report for leaders (R35): the XLSX workbook's numbers are the API's, it holds no
personal data, and the printable page and the hot spots panel render (definitions:
docs/statistics.md)."""
from io import BytesIO

import pytest
from openpyxl import load_workbook

from tests.complaint_city import Desk, build_city
from tests.web_helpers import post_form, signed_in, with_check_character

API = "/api/v1/statistics"
_TOKENS: dict = {}
PEOPLE = [("张伟明", "13912345678", with_check_character("21092119800101123"), "zhangwm@example.com"),
          ("李秀英", "13787654321", with_check_character("21092119850505456"), "lixy@example.org"),
          ("王建国", "13611112222", with_check_character("21092119900909789"), "wangjg@example.net")]


@pytest.fixture
def city(app):
    _TOKENS.clear()
    return build_city()


def desk(client) -> Desk:
    return Desk(client, tokens=_TOKENS)


def a_month_of_requests(client, units) -> list[str]:
    """Three people report the same lamp, writing their phone, e-mail and name into the text;
    one is answered at the village and rated; one more request waits at triage."""
    numbers = []
    for name, phone, id_number, email in PEOPLE:
        d = desk(client)
        text = f"兴隆村东头路灯不亮，晚上出行不便。联系人{name}，电话{phone}，邮箱{email}"
        d.register(title="兴隆村东头路灯不亮", requester_name=name, requester_phone=phone,
                   id_number=id_number, description=text)
        numbers.append(d.number)
    first = desk(client)
    first.number = numbers[0]
    first.accept_and_dispatch("village", units, "village")
    first.village_answers()
    first.rate("basically_satisfied", "resolved")
    desk(client).register(title="社保卡补办", request_type="consultation")
    return numbers


def api(client, path, **params):
    response = client.get(f"{API}{path}", query_string=params, headers=desk(client).headers("leader"))
    assert response.status_code == 200, response.json
    return response


def test_R35_the_monthly_workbook_has_the_apis_numbers_and_no_personal_data(client, city):
    numbers = a_month_of_requests(client, city["units"])
    # when the leader exports the report
    response = api(client, "/export", format="xlsx")
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(BytesIO(response.data))
    summary = api(client, "/summary").json
    ranking = api(client, "/units").json
    # then its summary is the API's, figure by figure, with a definition beside each
    sheet = book.worksheets[0]
    rows = {row[1]: row for row in sheet.iter_rows(values_only=True) if row and len(row) > 3 and row[1]}
    for figure in ("received", "closed", "open", "completion_rate", "satisfaction_rate", "resolution_rate",
                   "acceptance_rate", "timeliness_rate", "response_rate"):
        assert rows[figure][2] == summary[figure], figure
        assert rows[figure][3], figure
    assert (rows["received"][2], rows["closed"][2]) == (4, 1)
    # and its ranking is the API's
    ranked = [row for row in book.worksheets[5].iter_rows(min_row=2, values_only=True)]
    assert [(r[0], r[1], r[4], r[5], r[-1]) for r in ranked] == [
        (u["rank"], u["unit_code"], u["received"], u["closed"], u["score"]) for u in ranking]
    # and the hot spot of the three requests is in it
    spots = [row for row in book.worksheets[6].iter_rows(min_row=2, values_only=True)]
    assert len(spots) == 1 and sorted(spots[0][-1].split()) == sorted(numbers)
    # and no phone, ID number, e-mail address or name is anywhere in it
    text = "\n".join(str(cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                     for cell in row if cell is not None)
    for person in PEOPLE:
        for secret in (*person, person[3].split("@")[0], person[1][-8:]):
            assert secret not in text, secret


def test_the_printable_report_and_the_hot_spots_panel_render_for_a_leader(client, city):
    a_month_of_requests(client, city["units"])
    signed_in(client, "leader")
    page = client.get("/statistics/report")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="chart-levels"' in html and "chart.umd.js" in html and "report-print.css" in html
    assert "<script>" not in html  # the CSP forbids inline scripts
    assert "月度分析报告" in html  # Chinese by default
    download = client.get("/statistics/report.xlsx")
    assert download.status_code == 200 and download.data[:2] == b"PK"
    panel = client.get("/statistics/hotspots/panel?min_count=3", headers={"HX-Request": "true"})
    assert panel.status_code == 200
    fragment = panel.get_data(as_text=True)
    assert "兴隆村" in fragment and 'name="lead_unit"' in fragment and "<html" not in fragment


def test_the_web_order_form_sends_a_supervision_order(client, city):
    a_month_of_requests(client, city["units"])
    signed_in(client, "leader")
    key = api(client, "/hotspots").json[0]["key"]
    sent = post_form(client, "/statistics/hotspots/orders", {"hotspot": key, "lead_unit": "T-ZHANGWU",
                                                            "working_days": "3", "text": "三日内修复路灯"})
    assert sent.status_code == 302
    page = client.get(sent.location)
    assert page.status_code == 200 and "三日内修复路灯" in page.get_data(as_text=True)
