"""Citizens without an account (R4–R9, R25): report (also from a QR code's territory), track by
number and phone or by the tracking link, rate once; out-of-scope requests, bad uploads, wrong
phones and floods are refused."""
import io
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.attachments import service as attachments
from app.attachments.models import CaseAttachment
from app.cases.models import Case
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.organisation.models import Territory
from tests import factories as f
from tests.complaint_city import Desk, build_city
from tests.web_helpers import csrf_token, in_english, signed_in, without_tokens

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PHONE = "13812345678"
#: the place picker's choice: county → township → village
PLACE = {"county": "210921", "township": "210921001", "village": "210921001001"}


@pytest.fixture
def city(app):
    return build_city()


def report_form(client) -> dict:
    """The hidden fields of a freshly opened report form: the CSRF token and the submission token."""
    page = client.get("/report").get_data(as_text=True)
    return {name: re.search(rf'name="{name}" value="([^"]+)"', page).group(1)
            for name in ("csrf_token", "submission")}


def report(client, files=(), form=None, **fields):
    data = {**(form or report_form(client)), "matter": "ordinary", "request_type": "complaint",
            "title": "路灯不亮", "description": "兴隆村三组路灯坏了一周", **PLACE, "phone": PHONE, **fields}
    data["files"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post("/report", data=data, content_type="multipart/form-data")


def reported(client, **fields) -> str:
    """Report, follow the redirect to the result page, and return the case number it shows."""
    sent = report(client, **fields)
    assert sent.status_code == 303, sent.status_code
    return re.search(r'id="case-number">([^<]+)<', client.get(sent.location).get_data(as_text=True)).group(1)


def cases():
    return db.session.scalar(select(func.count()).select_from(Case))


def test_R4_a_citizen_reports_with_a_photo_and_gets_a_number_and_a_tracking_link(client, city):
    sent = report(client, files=[("现场.png", PNG)])
    assert sent.status_code == 303  # post/redirect/get: the result page is a GET
    page = client.get(sent.location).get_data(as_text=True)
    number = re.search(r'id="case-number">([^<]+)<', page).group(1)
    link = re.search(r'id="tracking-link" href="([^"]+)"', page).group(1)
    case = db.session.scalar(select(Case).where(Case.number == number))
    assert (case.channel, case.requester_phone, case.request_type) == ("web", PHONE, "complaint")
    kinds = db.session.scalars(select(CaseAttachment.content_type).where(CaseAttachment.case_id == case.id))
    assert list(kinds) == ["image/png"]
    assert "/track/" in link


def test_R4_a_qr_code_fixes_the_territory_on_the_report_page(client, city):
    page = client.get("/report?territory=210921001").get_data(as_text=True)
    assert "彰武镇" in page and 'name="fixed" value="1"' in page and 'id="r-county"' not in page
    assert 'id="r-county"' in client.get("/report?territory=nowhere").get_data(as_text=True)


def test_R7_an_out_of_scope_request_is_refused_with_where_to_go_and_nothing_is_registered(client, city):
    refused = report(client, matter="emergency")
    assert refused.status_code == 200 and "110" in refused.get_data(as_text=True)
    assert cases() == 0


@pytest.mark.parametrize("files, phone, id_number, field", [
    ([("photo.png", b"<html><script>alert(1)</script></html>")], PHONE, "", "files"),
    ([("big.jpg", b"\xff\xd8\xff" + b"\x00" * (10 * 1024 * 1024))], PHONE, "", "files"),
    ([], "12345", "", "phone"),
    ([], PHONE, "110101199003070000", "id_number"),
])
def test_bad_input_is_refused_per_field_and_nothing_is_registered(client, city, files, phone, id_number,
                                                                  field):
    refused = report(client, files=files, phone=phone, id_number=id_number)
    assert refused.status_code == 422
    assert f'id="r-{field}-error"' in refused.get_data(as_text=True)
    assert cases() == 0 and db.session.scalar(select(func.count()).select_from(CaseAttachment)) == 0


def test_tracking_with_the_wrong_phone_reveals_nothing(client, city):
    number = reported(client)
    wrong = client.post("/track", data={"csrf_token": csrf_token(client, "/track"), "number": number,
                                        "phone": "13900000000"})
    assert wrong.status_code == 404 and "路灯不亮" not in wrong.get_data(as_text=True)
    unknown = client.post("/track", data={"csrf_token": csrf_token(client, "/track"),
                                          "number": "HY20000101-000001", "phone": PHONE})
    assert unknown.status_code == 404
    # the same answer (but for the form's CSRF token, signed with the time): no hint which part was wrong
    assert without_tokens(unknown.get_data(as_text=True)).replace("HY20000101-000001", "") == \
        without_tokens(wrong.get_data(as_text=True)).replace(number, "")
    right = client.post("/track", data={"csrf_token": csrf_token(client, "/track"), "number": number,
                                        "phone": PHONE})
    assert right.status_code == 302 and "/track/" in right.location
    assert client.get("/track/not-a-valid-token").status_code == 404


def test_R25_the_citizen_rates_the_released_answer_once(client, city):
    number = reported(client)
    desk = Desk(client, number=number)
    desk.accept_and_dispatch("village", city["units"], "village")
    with client.session_transaction() as session:
        session.clear()
    link = client.post("/track", data={"csrf_token": csrf_token(client, "/track"), "number": number,
                                       "phone": PHONE}).location
    assert "Send the rating" not in client.get(link).get_data(as_text=True)  # nothing to rate yet
    desk.village_answers()
    page = client.get(link).get_data(as_text=True)
    assert "已更换灯泡" in page and "13900001111" in page and "王主任" not in page  # no staff names
    token = csrf_token(client, link)
    rated = client.post(f"{link}/rate", data={"csrf_token": token, "satisfaction": "satisfied",
                                              "resolution": "resolved", "comment": "谢谢"})
    assert rated.status_code == 302
    assert desk.case()["outcome"] == "satisfied"
    again = client.post(f"{link}/rate", data={"csrf_token": token, "satisfaction": "unsatisfied",
                                              "resolution": "unresolved"})
    assert again.status_code == 302 and desk.case()["satisfaction"] == "satisfied"


def test_floods_of_tracking_attempts_are_refused(client, city, app):
    app.config["PUBLIC_TRACK_LIMIT_IP"] = "3/hour"
    answers = [client.post("/track", data={"csrf_token": csrf_token(client, "/track"), "number": "x",
                                           "phone": f"1380000000{i}"}).status_code for i in range(5)]
    assert answers == [404, 404, 404, 429, 429]


def test_malformed_tracking_input_gets_the_same_not_found_answer(client, city):
    real = reported(client)
    for number, phone in ((real, "一三八一二三四五六七八"), (real, "\u00e9"), ("路灯", PHONE), ("", "")):
        answer = client.post("/track", data={"csrf_token": csrf_token(client, "/track"), "number": number,
                                             "phone": phone})
        assert answer.status_code == 404, (number, phone)


def test_a_report_and_its_photos_are_written_together_or_not_at_all(city, monkeypatch):
    from app.citizen import service

    stored = []

    def store_then_fail(case_id, filename, content, kind, actor_id):  # the disk fills up on the 2nd photo
        if stored:
            raise OSError("no space left on device")
        stored.append(filename)
        return real_store(case_id, filename, content, kind, actor_id)

    real_store = service.attachments.store
    monkeypatch.setattr(service.attachments, "store", store_then_fail)
    submission = service.Submission(matter="ordinary", request_type="complaint", title="路灯不亮",
                                    description="坏了一周", territory_code="210921001001", phone=PHONE,
                                    token="a-fresh-submission-token")
    with pytest.raises(OSError):
        service.submit(submission, [("a.png", PNG), ("b.png", PNG)])
    assert stored == ["a.png"]
    assert cases() == 0 and db.session.scalar(select(func.count()).select_from(CaseAttachment)) == 0


def test_a_double_post_of_the_report_form_creates_one_case(client, city):
    form = report_form(client)
    first, again = report(client, form=form), report(client, form=form)  # a double click
    assert first.status_code == again.status_code == 303
    assert first.location == again.location  # the same result page: the same case
    assert cases() == 1


def test_reloading_the_result_page_creates_nothing(client, city):
    sent = report(client)
    first = client.get(sent.location)
    again = client.get(sent.location)  # the browser's refresh repeats the GET, not the POST
    assert first.status_code == again.status_code == 200
    assert first.get_data(as_text=True) == again.get_data(as_text=True) and cases() == 1
    assert 'id="tracking-link"' in first.get_data(as_text=True)
    assert client.get("/report/done/not-a-valid-token").status_code == 404


def test_a_report_without_a_submission_token_is_refused_with_a_clear_error(client, city):
    in_english(client)
    form = report_form(client)
    refused = report(client, form={"csrf_token": form["csrf_token"]})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "open the report page again" in page and cases() == 0
    assert re.search(r'name="submission" value="[^"]+"', page)  # a fresh token to send it with


def test_a_used_submission_token_does_not_reveal_someone_elses_case(client, city):
    in_english(client)
    form = report_form(client)
    mine = report(client, form=form)
    fishing = report(client, form=form, phone="13900000000")
    assert fishing.status_code == 422 and cases() == 1
    page = fishing.get_data(as_text=True)
    assert mine.location.rsplit("/", 1)[-1] not in page and "/track/" not in page
    assert "another phone number" in page


def proposal(desk: Desk) -> int:
    """The unit the routing catalogue proposed to the dispatcher."""
    [proposed] = [e["payload"] for e in desk.case()["timeline"] if e["kind"] == "route_proposed"]
    return proposed["unit_id"]


def test_R5_the_category_the_citizen_chooses_routes_the_web_report(client, city):
    # given an unlicensed stall reported on the web form under the category the citizen chose
    number = reported(client, title="路口摆摊", description="每天晚上占道", category="market")
    desk = Desk(client, number=number)
    # when the registrar accepts it
    desk.do("registrar", "triage", action="accept")
    # then the catalogue proposes the market department, as for a hotline call in that category
    assert desk.case()["category_code"] == "market"
    assert proposal(desk) == city["units"]["lead"].id


def test_R5_without_a_category_one_is_proposed_from_the_text(client, city):
    # given a report whose text names the matter but no chosen category
    number = reported(client, title="有人无证经营", description="三组路口每晚摆摊")
    # then the category whose name the text holds is proposed, and routes it
    desk = Desk(client, number=number)
    desk.do("registrar", "triage", action="accept")
    assert desk.case()["category_code"] == "market" and proposal(desk) == city["units"]["lead"].id
    # and a text that names no category leaves it to the dispatcher
    vague = Desk(client, number=reported(client, title="有个问题", description="请尽快处理"))
    assert vague.case()["category_code"] is None


def test_R5_the_place_picker_loads_townships_then_villages_on_demand(client, city):
    # the form carries the counties only, never the villages of the whole city
    page = client.get("/report").get_data(as_text=True)
    assert "阜新县" in page and "彰武镇" not in page and "兴隆村" not in page
    # choosing a county loads its townships, a township its villages
    assert client.get("/report/places/210921").json == [{"code": "210921001", "name": "彰武镇"}]
    assert client.get("/report/places/210921001").json == [{"code": "210921001001", "name": "兴隆村"}]
    # a village has nothing below it in the picker; an unknown code is not found
    assert client.get("/report/places/210921001001").status_code == 404
    assert client.get("/report/places/nowhere").status_code == 404


def test_R5_the_deepest_place_chosen_is_the_cases_territory(client, city):
    township_only = reported(client, county="210921", township="210921001", village="")
    assert Desk(client, number=township_only).case()["territory_code"] == "210921001"


def test_R5_a_place_outside_the_one_chosen_above_is_refused(client, city):
    # given a second county
    other = f.territory("210922", "county", db.session.get(Territory, city["township"].parent_id),
                        name="彰武县")
    f.territory("210922001", "township", other, name="大德镇")
    # when the citizen picks that county but a township of the first one
    refused = report(client, county="210922", township="210921001", village="")
    # then the picker says so next to it, keeps the choice, and nothing is registered
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and cases() == 0
    assert "所选地点不在上一级地点范围内" in re.search(r'id="r-territory_code-error">([^<]+)<', page).group(1)
    assert re.search(r'<option value="210921001" selected>', page)


def test_R5_the_phones_position_is_stored_with_the_case_and_shown_to_staff(client, city):
    # given a report the phone added its position to
    number = reported(client, latitude="42.0123456", longitude="121.654321")
    case = db.session.scalar(select(Case).where(Case.number == number))
    assert (case.latitude, case.longitude) == (Decimal("42.012346"), Decimal("121.654321"))
    # then the case page shows the dispatcher where, with a map link
    signed_in(client, "dispatcher")
    position = re.search(r'<p id="case-position">(.+?)</p>', client.get(f"/cases/{number}").get_data(
        as_text=True), re.S).group(1)
    assert position.startswith("42.012346, 121.654321") and "mlat=42.012346" in position
    # and a report without a position has none
    with client.session_transaction() as session:
        session.clear()
    assert db.session.scalar(select(Case.latitude).where(Case.number == reported(client))) is None


@pytest.mark.parametrize("latitude, longitude", [
    ("91", "121.6"), ("42", "-181"), ("42", ""), ("北纬", "东经"), ("nan", "1")])
def test_R5_an_impossible_position_is_refused_next_to_the_location_button(client, city, latitude, longitude):
    refused = report(client, latitude=latitude, longitude=longitude)
    assert refused.status_code == 422 and cases() == 0
    assert 'id="r-position-error"' in refused.get_data(as_text=True)


def test_R7_the_report_page_carries_the_emergency_numbers_for_the_warning(client, city):
    page = client.get("/report").get_data(as_text=True)
    warning = page[page.index('id="emergency-warning"'):page.index('id="r-matter-where"')]
    assert all(f'href="tel:{number}"' in warning for number in ("110", "119", "120", "122"))
    assert '<option value="emergency"' in page and "紧急情况" in page
    # and an emergency sent anyway (without the page's script) is refused with the same numbers
    refused = report(client, matter="emergency").get_data(as_text=True)
    assert all(f'href="tel:{number}"' in refused for number in ("110", "119", "120", "122")) and cases() == 0


def test_R5_a_field_error_is_chinese_next_to_the_field_and_asks_to_choose_the_photo_again(client, city):
    # given a report with a good photo but a wrong phone number, on the Chinese page
    refused = report(client, files=[("现场.png", PNG)], phone="12345")
    page = refused.get_data(as_text=True)
    # then the error sits under the phone field, in Chinese
    assert refused.status_code == 422
    assert "手机号码为 13–19 开头的 11 位数字" in re.search(r'id="r-phone-error">([^<]+)<', page).group(1)
    # and the photo field says to choose the photo again (a browser cannot keep it)
    assert "请重新选择照片" in re.search(r'id="r-files-error">([^<]+)<', page).group(1)
    assert 'value="路灯不亮"' in page  # what was typed is kept


def dispatched_with_a_photo(client, city) -> tuple[Desk, str]:
    """A web report with a photo, dispatched to the village; its desk and tracking link."""
    sent = report(client, files=[("现场.png", PNG)])
    page = client.get(sent.location).get_data(as_text=True)
    number = re.search(r'id="case-number">([^<]+)<', page).group(1)
    link = re.search(r'id="tracking-link" href="([^"]+)"', page).group(1)
    desk = Desk(client, number=number)
    desk.accept_and_dispatch("village", city["units"], "village")
    return desk, link


def test_R25_track_shows_the_steps_with_dates_and_the_expected_reply_date(client, city):
    desk, link = dispatched_with_a_photo(client, city)
    page = client.get(link).get_data(as_text=True)
    # given a dispatched case: received and dispatched have dates, handling is what it waits for
    assert steps(page) == [("受理", True, False), ("交办", True, False), ("办理", False, True),
                           ("答复", False, False), ("评价", False, False)]
    assert re.search(r'id="expected-reply">\d{4}-\d\d-\d\d \d\d:\d\d<', page)
    assert "办理中" in re.search(r'id="public-status">(.+?)</dd>', page).group(1)
    # when the village answers and the answer is released
    desk.village_answers()
    page = client.get(link).get_data(as_text=True)
    # then it waits for the citizen's rating, said so, with every earlier step dated
    assert "待您评价" in re.search(r'id="public-status">(.+?)</dd>', page).group(1)
    assert "办理中" not in re.search(r'id="public-status">(.+?)</dd>', page).group(1)
    assert steps(page) == [("受理", True, False), ("交办", True, False), ("办理", True, False),
                           ("答复", True, False), ("评价", False, True)]


def steps(page: str) -> list[tuple[str, bool, bool]]:
    """(name, has a date, is current) of each step on /track."""
    found = re.findall(r'<li class="step([^"]*)"[^>]*>\s*<span class="step-name">([^<]+)</span>\s*'
                       r'<span class="step-date">([^<]*)</span>', page)
    return [(name, bool(re.match(r"\d{4}-\d\d-\d\d", date)), "current" in classes)
            for classes, name, date in found]


def test_R25_track_shows_the_photos_the_citizen_sent_to_the_link_holder_only(client, city):
    desk, link = dispatched_with_a_photo(client, city)
    case = db.session.scalar(select(Case).where(Case.number == desk.number))
    staff_file = attachments.store(case.id, "内部.png", PNG, "image/png", f.user_id("handler_village"))
    db.session.commit()
    page = client.get(link).get_data(as_text=True)
    photos = re.findall(r'<img src="([^"]+)"', page)
    assert len(photos) == 1  # the citizen's photo, not the staff's file
    shown = client.get(photos[0])
    assert shown.status_code == 200 and shown.data == PNG and shown.mimetype == "image/png"
    token = link.rsplit("/", 1)[-1]
    assert client.get(f"/track/{token}/photos/{staff_file.id}").status_code == 404
    other = client.get(report(client, phone="13900000000").location).get_data(as_text=True)
    other_token = re.search(r'id="tracking-link" href="[^"]*/track/([^"]+)"', other).group(1)
    assert client.get(photos[0].replace(token, other_token)).status_code == 404  # another case's link
    assert client.get(photos[0].replace(token, "forged")).status_code == 404


def test_the_sms_that_the_answer_is_ready_carries_the_tracking_link(client, city, app):
    app.config["PUBLIC_BASE_URL"] = "https://12345.example.gov.cn/hy"  # where citizens reach the site
    desk, link = dispatched_with_a_photo(client, city)
    desk.village_answers()
    [sms] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reply"))
    assert sms.address == PHONE and desk.number in sms.body
    url = re.search(r"https://12345\.example\.gov\.cn/hy/track/\S+", sms.body).group(0)
    assert url == link and "评价" in sms.body  # the link of the result page, on the public address
    assert "已更换灯泡" in client.get(url.removeprefix("https://12345.example.gov.cn/hy")).get_data(as_text=True)
