"""The hotline desk (R5, R9): one form per call; the caller recognised by phone; possible
duplicates shown before saving and linkable instead of a new case; consultations answered at once."""
import pytest
from sqlalchemy import func, select

from app.cases.models import Case
from app.extensions import db
from tests.complaint_city import Desk, build_city
from tests.web_helpers import csrf_token, signed_in

PHONE = "13812345678"


@pytest.fixture
def desk_page(client, app):
    build_city()
    signed_in(client, "registrar")
    return client


def call(client, **fields):
    data = {"csrf_token": csrf_token(client, "/desk"), "phone": PHONE, "name": "李女士",
            "request_type": "complaint", "category_code": "lamp", "territory_code": "210921001001",
            "title": "三组路灯不亮", "description": "三组路口路灯坏了一周", "decision": "accept", **fields}
    return client.post("/desk", data=data)


def count():
    return db.session.scalar(select(func.count()).select_from(Case))


def test_R5_a_call_is_registered_and_accepted_in_one_form(desk_page):
    saved = call(desk_page)
    assert saved.status_code == 302
    number = saved.location.rsplit("/", 1)[-1]
    holders = Desk(desk_page, number=number).holders()
    assert holders == [("dispatch", "C-CITY", "dispatcher")]  # triaged as it was registered
    assert db.session.scalar(select(Case.channel).where(Case.number == number)) == "hotline"


def test_R9_a_consultation_is_answered_on_the_phone(desk_page):
    missing = call(desk_page, request_type="consultation", decision="answer")
    assert missing.status_code == 422 and "d-answer-error" in missing.get_data(as_text=True)
    saved = call(desk_page, request_type="consultation", decision="answer", answer="周一至周五到政务中心办理")
    number = saved.location.rsplit("/", 1)[-1]
    assert Desk(desk_page, number=number).holders() == [("rating", "C-CITY", "platform_supervisor")]


def test_a_repeated_call_shows_possible_duplicates_and_can_be_linked_instead(desk_page):
    first = call(desk_page).location.rsplit("/", 1)[-1]
    # another caller: the same place and a similar text
    again = call(desk_page, title="路灯还是不亮", phone="13900000000")
    page = again.get_data(as_text=True)
    assert again.status_code == 200 and first in page and count() == 1  # nothing saved yet
    linked = call(desk_page, title="路灯还是不亮", phone="13900000000", duplicate_of=first, confirmed_new="1")
    assert linked.status_code == 302 and linked.location.endswith(first) and count() == 1
    assert "duplicate_call" in [e["kind"] for e in Desk(desk_page, number=first).case()["timeline"]]
    new = call(desk_page, title="路灯还是不亮", phone="13900000000", confirmed_new="1")
    assert new.status_code == 302 and count() == 2


def test_the_caller_is_recognised_by_phone(desk_page):
    number = call(desk_page).location.rsplit("/", 1)[-1]
    shown = desk_page.get(f"/desk/caller?phone={PHONE}", headers={"HX-Request": "true"})
    assert number in shown.get_data(as_text=True)
    assert number not in desk_page.get("/desk/caller?phone=13900000000").get_data(as_text=True)


def test_only_registrars_use_the_desk(client, app):
    build_city()
    signed_in(client, "handler_village")
    assert client.get("/desk").status_code == 403
