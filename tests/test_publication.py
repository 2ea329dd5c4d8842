"""Personal data outside the staff application (issue 11, part 1; PIPL). A case is public on Open311
only when its requester chose so — never a report (举报), never a case staff registered — and a
platform supervisor can unpublish it (audited). Everything else answers 404 to anonymous readers;
a channel's key reads the status of its own cases. The free text that leaves (Open311, webhooks,
the tracking page) shows no phone, ID number, e-mail or name in any spelling tests/pii.py writes."""
import json
import re
from html import unescape

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import select, update

from app.cases.models import Case
from app.channels import keys
from app.engine.transaction import transaction
from app.extensions import db
from app.notifications.dispatcher import dispatch_due
from tests import pii
from tests.complaint_city import Desk, build_city
from tests.web_helpers import csrf_token, post_form, signed_in

PHONE = "13812345678"
VILLAGE = "210921001001"
HTTP_PROPERTY = settings(max_examples=12, deadline=None,
                         suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def city(app):
    built = build_city()
    app.config.update(PUBLIC_SUBMIT_LIMIT_IP="1000/hour", PUBLIC_SUBMIT_LIMIT_PHONE="1000/hour")
    with transaction():
        _, built["open311"] = keys.issue("open311", "a citizen app", territory_code=VILLAGE)
        _, built["sms"] = keys.issue("sms", "SMS gateway", territory_code=VILLAGE)
    return built


def report(client, public: bool = False, **fields):
    page = client.get("/report").get_data(as_text=True)
    data = {name: re.search(rf'name="{name}" value="([^"]+)"', page).group(1)
            for name in ("csrf_token", "submission")}
    data.update({"matter": "ordinary", "request_type": "complaint", "title": "路灯不亮",
                 "description": "三组路灯坏了一周", "territory_code": VILLAGE, "phone": PHONE, **fields})
    if public:
        data["public"] = "1"
    return client.post("/report", data=data)


def reported(client, public: bool = False, **fields) -> tuple[str, str]:
    """The case number and tracking link of a citizen's report."""
    sent = report(client, public, **fields)
    assert sent.status_code == 303, sent.get_data(as_text=True)[:2000]
    page = client.get(sent.location).get_data(as_text=True)
    return (re.search(r'id="case-number">([^<]+)<', page).group(1),
            re.search(r'id="tracking-link" href="([^"]+)"', page).group(1))


def open311(client, key, public: bool = False, **fields):
    data = {"api_key": key, "service_code": "lamp", "description": "路灯不亮", **fields}
    if public:
        data["attribute[public]"] = "true"
    return client.post("/open311/v2/requests.json", data=data)


def posted(client, key, public: bool = False, **fields) -> str:
    created = open311(client, key, public, **fields)
    assert created.status_code == 201, created.json
    return created.json[0]["service_request_id"]


def listed(client, **query) -> list[str]:
    answer = client.get("/open311/v2/requests.json", query_string=query)
    assert answer.status_code == 200, answer.json
    return [request["service_request_id"] for request in answer.json]


def read(client, number: str, **query):
    return client.get(f"/open311/v2/requests/{number}.json", query_string=query)


def desk_call(client, **fields):
    """A call saved at the hotline desk by the registrar (who is signed out afterwards)."""
    signed_in(client, "registrar")
    saved = client.post("/desk", data={
        "csrf_token": csrf_token(client, "/desk"), "phone": PHONE, "name": "李女士",
        "request_type": "complaint", "category_code": "lamp", "territory_code": VILLAGE, "title": "热线来电",
        "description": "路灯坏了", "decision": "accept", "confirmed_new": "1", **fields})
    with client.session_transaction() as session:
        session.clear()
    assert saved.status_code == 302, saved.get_data(as_text=True)[:1000]
    return saved.location.rsplit("/", 1)[-1]


def staff_cases(client, city) -> dict:
    """A hotline call, a registrar's API case and a citizen's report (举报): none chose publication."""
    desk = Desk(client)
    api = desk.register(title="API case")["number"]
    return {"api": api, "hotline": desk_call(client), "report": reported(client, request_type="report")[0]}


def test_only_what_a_citizen_chose_to_publish_is_public(client, city):
    chosen, _ = reported(client, public=True)
    private, _ = reported(client)
    chosen_311, private_311 = posted(client, city["open311"], public=True), posted(client, city["open311"])
    others = staff_cases(client, city)
    assert set(listed(client)) == {chosen, chosen_311}
    assert read(client, chosen).status_code == read(client, chosen_311).status_code == 200
    for number in (private, private_311, *others.values()):
        missing = read(client, number)
        assert missing.status_code == 404 and number in missing.json[0]["description"]
    assert listed(client, service_request_id=",".join([private, *others.values()])) == []


def test_staff_registered_cases_and_reports_stay_private_even_if_flagged_public(client, city):
    others = staff_cases(client, city)
    db.session.execute(update(Case).values(public=True))  # e.g. a careless import
    db.session.commit()
    assert listed(client) == [] and read(client, others["hotline"]).status_code == 404


def test_only_the_requester_chooses_publication_and_a_report_is_never_public(client, city):
    registrar = Desk(client).headers("registrar")
    by_staff = client.post("/api/v1/cases", headers=registrar, json={
        "title": "x", "territory_code": VILLAGE, "public": True})
    assert by_staff.status_code == 422 and "public" in by_staff.json["errors"]
    a_report = report(client, public=True, request_type="report")
    assert a_report.status_code == 422 and 'id="r-public-error"' in a_report.get_data(as_text=True)
    unclear = open311(client, city["open311"], **{"attribute[public]": "maybe"})
    assert unclear.status_code == 400 and "attribute[public]" in unclear.json[0]["description"]
    assert db.session.scalar(select(Case.id)) is None


def test_the_report_form_asks_clearly_and_publishes_nothing_by_default(client, city):
    page = client.get("/report").get_data(as_text=True)
    box = re.search(r'<input id="r-public" name="public" type="checkbox" value="1"([^>]*)>', page)
    assert box and "checked" not in box.group(1)
    assert "公开" in re.search(r'<label for="r-public">(.*?)</label>', page, re.S).group(1)
    assert "举报" in re.search(r'id="r-public-hint">(.*?)<', page, re.S).group(1)  # reports never are
    english = client.get("/report", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Make my request public" in english


def test_a_channel_reads_the_status_of_its_own_cases_without_personal_data(client, city):
    number = posted(client, city["open311"], phone=PHONE, description="路灯不亮，电话13812345678")
    assert read(client, number).status_code == 404 and number not in listed(client)
    [own] = read(client, number, api_key=city["open311"]).json
    assert (own["service_request_id"], own["status"], own["description"]) == (number, "open", None)
    assert number in listed(client, api_key=city["open311"])
    assert read(client, number, api_key=city["sms"]).status_code == 404  # another channel's case
    assert read(client, number, api_key="hy_nope").status_code == 403
    assert client.get("/open311/v2/requests.json", query_string={"api_key": "hy_nope"}).status_code == 403


def test_the_operator_can_switch_public_reads_off(client, city, app):
    public, own = posted(client, city["open311"], public=True), posted(client, city["sms"], public=True)
    app.config["OPEN311_PUBLIC_READ"] = "off"
    assert listed(client) == [] and read(client, public).status_code == 404
    assert listed(client, api_key=city["sms"]) == [own]  # a channel still follows its own


def test_a_platform_supervisor_unpublishes_a_case_and_it_disappears(client, city):
    number, _ = reported(client, public=True)
    desk = Desk(client, number=number)
    unpublish = f"/api/v1/cases/{number}/unpublish"
    assert client.post(unpublish, headers=desk.headers("registrar")).status_code == 403
    done = client.post(unpublish, headers=desk.headers("supervisor"))
    assert done.status_code == 200 and done.json["public"] is False
    again = client.post(unpublish, headers=desk.headers("supervisor"))
    assert again.status_code == 200
    assert listed(client) == [] and read(client, number).status_code == 404
    unpublished = [e for e in desk.case()["timeline"] if e["kind"] == "case_unpublished"]
    assert len(unpublished) == 1 and unpublished[0]["actor_id"] is not None


def test_the_unpublish_button_on_the_staff_case_page(client, city):
    number, _ = reported(client, public=True)
    registrar_page = signed_in(client, "registrar").get(f"/cases/{number}").get_data(as_text=True)
    assert 'id="unpublish"' not in registrar_page
    signed_in(client, "supervisor")
    page = client.get(f"/cases/{number}").get_data(as_text=True)
    assert 'id="unpublish"' in page
    done = post_form(client, f"/cases/{number}/unpublish", page=f"/cases/{number}")
    assert done.status_code == 302
    after = client.get(done.location).get_data(as_text=True)
    assert 'id="unpublish"' not in after and "已取消公开" in after  # the timeline says so
    assert listed(client) == []


@HTTP_PROPERTY
@given(pii.personal_text(), pii.personal_text())
def test_public_open311_reads_expose_no_personal_data_in_any_spelling(client, city, first, second):
    (text_311, name_311), (text_web, name_web) = first, second
    number_311 = posted(client, city["open311"], public=True, description=text_311, first_name=name_311)
    number_web, _ = reported(client, public=True, description=text_web, name=name_web)
    everything = {r["service_request_id"]: r for r in client.get("/open311/v2/requests.json").json}
    for number, name in ((number_311, name_311), (number_web, name_web)):
        [single] = read(client, number).json
        for shown in (everything[number], single):
            assert pii.leaks(shown["description"], name) == [], shown["description"]
            assert shown["address"] is None


@HTTP_PROPERTY
@given(pii.personal_text().filter(lambda drawn: len(drawn[0]) <= 200))
def test_the_tracking_page_shows_no_personal_data_in_the_title(client, city, drawn):
    text, name = drawn
    _, link = reported(client, title=text, name=name)
    page = client.get(link).get_data(as_text=True)
    title = unescape(re.search(r"<h1>(.*?) <small>", page, re.S).group(1))
    assert pii.leaks(title, name) == [], title


def test_the_tracking_page_masks_the_released_reply_but_keeps_the_units_contact_phone(client, city):
    number, link = reported(client, name="张三")
    desk = Desk(client, number=number)
    desk.accept_and_dispatch("village", city["units"], "village")
    desk.sign_for("handler_village")
    desk.do("handler_village", "handle", action="reply", contact_phone="0418-2345678",
            policy_basis="依据《办法》，张 三（身份证210902 19800101 1234）", responsible_person="王主任",
            result="已联系张三（138 1234 5678，zhang@example.com），路灯已修复")
    desk.approve_reply("reviewer_village")
    with client.session_transaction() as session:
        session.clear()
    reply = client.get(link).get_data(as_text=True).split('id="reply"', 1)[1]
    assert "路灯已修复" in reply and "0418-2345678" in reply  # R24: the unit's contact phone
    shown = reply.replace("0418-2345678", "")
    assert pii.leaks(re.sub(r"<[^>]+>", "", shown), "张三") == []


@pytest.fixture
def hotline_hook(app, city, receiver):
    """The hotline system hears of its cases at the loopback receiver."""
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    with transaction():
        keys.issue("hotline", "hotline system", webhook_url=receiver["url"])
    return receiver


@HTTP_PROPERTY
@given(pii.personal_text())
def test_webhook_payloads_carry_no_personal_data(client, app, hotline_hook, drawn):
    text, name = drawn
    desk_call(client, name=name, request_type="consultation", decision="answer", answer=text)
    hotline_hook["received"].clear()
    dispatch_due(app)
    replies = [json.loads(body) for _, _, body in hotline_hook["received"]]
    assert [p["event"] for p in replies if "reply" in p] == ["reply_released"]
    for payload in replies:
        assert pii.leaks(payload.get("reply"), name) == [], payload
