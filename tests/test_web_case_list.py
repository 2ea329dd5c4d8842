"""The case list (/cases, GET /api/v1/cases, /cases/export.xlsx): search by number, phone and
text, the inbox's filters, paging and the masked XLSX export, all within the viewer's
jurisdiction (app/cases/search.py, app/cases/export.py)."""
import re
from datetime import timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from app.cases import export
from app.cases.models import Case
from app.clock import utcnow
from app.engine import tasks
from app.engine.models import HumanTask
from app.extensions import db
from app.timelimits.lights import basis, light
from tests import factories as f
from tests.web_helpers import post_form, signed_in

PHONE, OTHER_PHONE = "13812345678", "13987654321"


@pytest.fixture
def city(app):
    """City 210900 > county 210902 > township 和平街道 (its office), and county 210903 with its own
    office. The city registrar sees every case; the handler of county 210903 only its own."""
    f.deploy("simple_complaint.bpmn")
    root = f.territory("210900", "city", name="阜新市")
    county = f.territory("210902", "county", root, name="海州区")
    township = f.territory("210902001", "township", county, name="和平街道")
    far = f.territory("210903", "county", root, name="新邱区")
    office = f.unit("U210902001", "township", name="和平街道办事处", territory=township)
    far_office = f.unit("U210903", "county", name="新邱区中心", territory=far)
    registrar = f.user("registrar", (f.unit("C210900", "city", territory=root, kind="centre"), "registrar"))
    handler = f.user("handler", (office, "handler"))
    f.user("far_handler", (far_office, "handler"))
    f.category("lighting", "livelihood", name="路灯照明")
    f.category("stall", "enforcement", name="占道经营")

    def new_case(title, unit=office, territory="210902001", **fields):
        return f.case(title, unit_row=unit, actor=registrar, territory_code=territory, **fields)

    return {"office": office, "far_office": far_office, "registrar": registrar, "handler": handler,
            "new_case": new_case}


def numbers(html: str) -> list[str]:
    """The case numbers listed, in the order shown."""
    return re.findall(r'<tr data-number="([^"]+)">', html)


def listed(client, query: str = "", status: int = 200) -> list[str]:
    response = client.get(f"/cases?{query}")
    assert response.status_code == status, response.get_data(as_text=True)[-2000:]
    return numbers(response.get_data(as_text=True))


def test_the_case_list_finds_a_case_by_its_whole_number_or_a_part_of_it(city, client):
    lamp, noise = city["new_case"]("路灯不亮"), city["new_case"]("噪声扰民")
    signed_in(client, "registrar")
    assert listed(client) == [noise.number, lamp.number]
    assert listed(client, f"number={lamp.number.lower()}") == [lamp.number]
    assert listed(client, f"number={lamp.number[-6:]}") == [lamp.number]
    assert listed(client, "number=HY19990101-000001") == []


def test_the_case_list_finds_every_case_of_a_phone_and_shows_the_phone_masked(city, client):
    first = city["new_case"]("路灯不亮", requester_phone=PHONE)
    city["new_case"]("噪声扰民", requester_phone=OTHER_PHONE)
    again = city["new_case"]("路灯又坏了", requester_phone=PHONE)
    landline = city["new_case"]("井盖丢失", requester_phone="0418-1234567")
    signed_in(client, "registrar")
    html = client.get(f"/cases?phone={PHONE}").get_data(as_text=True)
    assert numbers(html) == [again.number, first.number]
    table = html.split('id="case-table"')[1]
    assert "138****5678" in table and PHONE not in table
    assert listed(client, "phone=04181234567") == [landline.number]  # with or without the dash


def test_a_partial_phone_is_refused_under_its_field_and_lists_nothing(city, client):
    city["new_case"]("路灯不亮", requester_phone=PHONE)
    signed_in(client, "registrar")
    response = client.get("/cases?phone=1381234")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and numbers(html) == []
    assert 'id="f-phone-error"' in html and "请输入完整的电话号码" in html
    assert 'id="export-link"' not in html


def test_the_case_list_finds_words_in_the_title_or_the_description(city, client):
    lamp = city["new_case"]("路灯不亮", description="和平街 12 号门前")
    hole = city["new_case"]("井盖丢失", description="靠近路灯 100% 看不见")
    city["new_case"]("噪声扰民")
    signed_in(client, "registrar")
    assert listed(client, "q=路灯") == [hole.number, lamp.number]
    assert listed(client, "q=12 号") == [lamp.number]
    assert listed(client, "q=100%") == [hole.number]  # % is a character, not a wildcard
    assert listed(client, "q=_", status=422) == []  # no word to search for: refused


def test_the_inbox_filters_narrow_the_case_list(city, client):
    lamp = city["new_case"]("路灯不亮", category_code="lighting", request_type="help")
    stall = city["new_case"]("占道经营", category_code="stall", request_type="complaint")
    far = city["new_case"]("远处的事", unit=city["far_office"], territory="210903", request_type="help")
    done = city["new_case"]("已办结的路灯")
    handle = db.session.scalar(select(HumanTask.id).where(HumanTask.case_id == done.id))
    tasks.complete(city["handler"], handle, {})
    signed_in(client, "registrar")
    assert listed(client, "type=help") == [far.number, lamp.number]
    assert listed(client, "class=enforcement") == [stall.number]
    assert listed(client, "territory=210902&q=占道") == [stall.number]  # the county and below
    assert listed(client, "territory=210903&type=complaint") == []
    assert listed(client, "unit=U210903") == [far.number]
    assert listed(client, "status=closed") == [done.number]
    assert listed(client, "status=open&territory=210902") == [stall.number, lamp.number]
    today = utcnow().date()
    assert listed(client, f"from={today - timedelta(days=1)}&to={today + timedelta(days=1)}") == [
        done.number, far.number, stall.number, lamp.number]
    assert listed(client, f"from={today + timedelta(days=2)}") == []


def test_bad_filters_are_named_by_field_and_change_nothing(city, client):
    city["new_case"]("路灯不亮")
    signed_in(client, "registrar")
    response = client.get("/cases?status=lost&territory=999&unit=nope&from=2026-13-01&to=1999-01-01"
                          "&light=pink")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and numbers(html) == []
    for field in ("status", "territory", "unit", "from", "to", "light"):
        assert f'id="f-{field}-error"' in html, field
    assert client.get("/cases?from=2026-05-02&to=2026-05-01").status_code == 422


def test_R20_the_light_filter_agrees_with_the_light_of_every_case(city, client):
    now = utcnow()
    spans = [(timedelta(days=10), timedelta(days=-1)),   # overdue
             (timedelta(days=10), timedelta(hours=30)),  # little of its time left
             (timedelta(hours=1), timedelta(days=30)),   # plenty of time
             (timedelta(hours=1), None)]                 # no deadline
    for i, (ago, due) in enumerate(spans):
        case = city["new_case"](f"case {i}")
        db.session.execute(update(HumanTask).where(HumanTask.case_id == case.id).values(
            created_at=now - ago, due_at=None if due is None else now + due))
    db.session.commit()
    at = basis(utcnow())
    expected = {number: light(task.created_at, task.due_at, at) for task, number in db.session.execute(
        select(HumanTask, Case.number).join(Case, Case.id == HumanTask.case_id))}
    assert set(expected.values()) == {"red", "yellow", "blue"}
    signed_in(client, "registrar")
    for colour in ("red", "yellow", "blue"):
        wanted = {number for number, shown in expected.items() if shown == colour}
        assert set(listed(client, f"light={colour}")) == wanted, colour
    assert 'class="light light-red"' in client.get("/cases?light=red").get_data(as_text=True)


def test_the_posted_search_keeps_the_phone_out_of_every_address_and_paging_keeps_it(city, client):
    made = [city["new_case"](f"路灯 {i}", requester_phone=PHONE) for i in range(52)]
    city["new_case"]("噪声扰民", requester_phone=OTHER_PHONE)
    signed_in(client, "registrar")
    posted = post_form(client, "/cases", {"phone": PHONE, "status": "open"}, page="/cases")
    assert posted.status_code == 303 and PHONE not in posted.location and "pt=" in posted.location
    first = client.get(posted.location).get_data(as_text=True)
    assert numbers(first) == [case.number for case in reversed(made)][:50]
    assert f'value="{PHONE}"' in first  # the form still shows what was typed
    following = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    export_link = re.search(r'id="export-link" href="([^"]+)"', first).group(1)
    assert PHONE not in following + export_link and "page=2" in following and "status=open" in following
    assert numbers(client.get(following).get_data(as_text=True)) == [made[1].number, made[0].number]


def test_a_posted_bad_search_is_answered_beside_its_fields_and_a_broken_phone_link_is_refused(city, client):
    city["new_case"]("路灯不亮", requester_phone=PHONE)
    signed_in(client, "registrar")
    refused = post_form(client, "/cases", {"phone": "1381234", "q": "路灯"}, page="/cases")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'id="f-phone-error"' in html and 'value="路灯"' in html
    broken = client.get("/cases?pt=not-a-token")
    assert broken.status_code == 422 and 'id="f-phone-error"' in broken.get_data(as_text=True)


def sheet_rows(response) -> list[tuple]:
    assert response.status_code == 200
    assert response.mimetype == export.XLSX
    book = load_workbook(BytesIO(response.data))
    return [tuple(row) for row in book.worksheets[0].iter_rows(values_only=True)]


def test_the_export_holds_the_filtered_cases_with_masked_phones(city, client):
    lamp = city["new_case"]("路灯不亮", requester_phone=PHONE, requester_name="张三",
                            category_code="lighting", request_type="help")
    city["new_case"]("噪声扰民", requester_phone=OTHER_PHONE)
    trick = city["new_case"]("=HYPERLINK(\"http://x\")", requester_phone=PHONE)
    signed_in(client, "registrar")
    html = client.get(f"/cases?phone={PHONE}").get_data(as_text=True)
    link = re.search(r'id="export-link" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    rows = sheet_rows(client.get(link))
    header, data = rows[0], rows[1:]
    assert header[:3] == ("诉求编号", "标题", "状态") and "电话(已脱敏)" in header
    assert [row[0] for row in data] == [trick.number, lamp.number]
    by_number = {row[0]: dict(zip(header, row, strict=True)) for row in data}
    assert by_number[lamp.number]["电话(已脱敏)"] == "138****5678"
    assert by_number[lamp.number]["诉求人"] == "张三"
    assert by_number[lamp.number]["承办单位"] == "和平街道办事处"
    assert by_number[lamp.number]["类别"] == "民生类"
    assert by_number[lamp.number]["状态"] == "办理中"
    assert by_number[trick.number]["标题"] == "=HYPERLINK(\"http://x\")"  # text, never a formula
    assert not any(PHONE in str(value) for row in rows for value in row)


def test_the_export_respects_jurisdiction(city, client):
    city["new_case"]("路灯不亮", requester_phone=PHONE)
    far = city["new_case"]("远处的事", unit=city["far_office"], territory="210903", requester_phone=PHONE)
    signed_in(client, "far_handler")
    assert [row[0] for row in sheet_rows(client.get(f"/cases/export.xlsx?phone={PHONE}"))[1:]] == [far.number]
    assert listed(client, f"phone={PHONE}") == [far.number]


def test_the_export_stops_at_its_row_limit_and_says_so(city, client, monkeypatch):
    made = [city["new_case"](f"路灯 {i}") for i in range(3)]
    monkeypatch.setattr(export, "MAX_ROWS", 2)
    signed_in(client, "registrar")
    response = client.get("/cases/export.xlsx")
    assert [row[0] for row in sheet_rows(response)[1:]] == [made[2].number, made[1].number]
    about = load_workbook(BytesIO(response.data)).worksheets[1]
    about = [row[0] for row in about.iter_rows(values_only=True)]
    assert any("仅导出最新的 2 件" in (text or "") for text in about)


def test_an_export_with_bad_filters_exports_nothing_and_names_the_problem(city, client):
    signed_in(client, "registrar")
    response = client.get("/cases/export.xlsx?phone=12")
    assert response.status_code == 302 and "/cases?pt=" in response.location
    assert "phone" not in response.location
    assert client.get(response.location).status_code == 422


def test_the_api_case_list_takes_the_same_search(city, client):
    lamp = city["new_case"]("路灯不亮", requester_phone=PHONE, request_type="help")
    city["new_case"]("噪声扰民", requester_phone=OTHER_PHONE, request_type="help")
    headers = f.auth(client, "registrar")
    found = client.get(f"/api/v1/cases?phone={PHONE}&type=help&q=路灯", headers=headers)
    assert found.status_code == 200 and [c["number"] for c in found.json] == [lamp.number]
    assert found.json[0]["requester"]["requester_phone"] == "138****5678"
    refused = client.get("/api/v1/cases?phone=123&class=other", headers=headers)
    assert refused.status_code == 422 and {"phone", "class"} <= set(refused.json["errors"])
