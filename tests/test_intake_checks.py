"""One set of checks for every new case (issue 11, part 5): the case service checks every field of
a new case, with one limit each, before anything is written; the four ways in — the case API, the
hotline desk, the citizen's /report form and Open311 — refuse the same bad value with the same
message under their own field names, and add only their own extras."""
import re
from html import unescape
from typing import ClassVar

import pytest
from sqlalchemy import func, select

from app.cases.models import Case
from app.cases.service import NewCase, create_case, problems
from app.channels import keys
from app.engine.errors import InvalidData
from app.engine.models import CaseEvent, HumanTask, ProcessInstance
from app.engine.transaction import transaction
from app.extensions import db
from tests import factories as f
from tests.complaint_city import build_city
from tests.web_helpers import csrf_token, in_english, signed_in

PHONE = "13812345678"
VILLAGE = "210921001001"
_FIELD_ERROR = re.compile(r'id="[a-z]-(\w+)-error">([^<]*)<')


def counts() -> dict:
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Case, CaseEvent, ProcessInstance, HumanTask)}


class Api:
    """POST /api/v1/cases as the registrar; the fields keep the service's names."""

    names: ClassVar[dict] = {}
    accepted = (201,)

    def __init__(self, client):
        self.client, self.headers = client, f.auth(client, "registrar")

    def send(self, **fields):
        body = {"title": "路灯不亮", "territory_code": VILLAGE, "category_code": "lamp",
                "request_type": "complaint", "requester_phone": PHONE, **fields}
        return self.client.post("/api/v1/cases", json=body, headers=self.headers)

    @staticmethod
    def refusal(response) -> dict:
        assert response.status_code == 422, response.get_data(as_text=True)
        return {name: "; ".join(messages) for name, messages in response.json["errors"].items()}


class Desk:
    names: ClassVar[dict] = {"requester_phone": "phone", "requester_name": "name"}
    accepted = (302,)

    def __init__(self, client):
        self.client = signed_in(client, "registrar")

    def send(self, **fields):
        data = {"csrf_token": csrf_token(self.client, "/desk"), "phone": PHONE, "name": "李女士",
                "request_type": "complaint", "category_code": "lamp", "territory_code": VILLAGE,
                "title": "三组路灯不亮", "description": "路灯坏了", "decision": "accept",
                "confirmed_new": "1"}
        data.update({self.names.get(name, name): value for name, value in fields.items()})
        return self.client.post("/desk", data=data)

    @staticmethod
    def refusal(response) -> dict:
        assert response.status_code == 422, response.status_code
        return {name: unescape(text) for name, text in _FIELD_ERROR.findall(response.get_data(as_text=True))}


class Citizen(Desk):
    names: ClassVar[dict] = {"requester_phone": "phone", "requester_name": "name"}
    accepted = (303,)

    def __init__(self, client):
        self.client = in_english(client)  # the citizen's page translates the service's messages

    def send(self, **fields):
        page = self.client.get("/report").get_data(as_text=True)
        data = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1),
                "submission": re.search(r'name="submission" value="([^"]+)"', page).group(1),
                "matter": "ordinary", "request_type": "complaint", "title": "路灯不亮",
                "description": "兴隆村三组路灯坏了一周", "territory_code": VILLAGE, "phone": PHONE}
        data.update({self.names.get(name, name): value for name, value in fields.items()})
        return self.client.post("/report", data=data)


class Open311:
    names: ClassVar[dict] = {"requester_phone": "phone", "requester_name": "first_name",
                             "address": "address_string"}
    accepted = (201,)

    def __init__(self, client):
        self.client = client
        with transaction():
            _, self.key = keys.issue("open311", "a citizen app", territory_code=VILLAGE)

    def send(self, **fields):
        data = {"api_key": self.key, "service_code": "lamp", "description": "路灯不亮", "phone": PHONE}
        data.update({self.names.get(name, name): value for name, value in fields.items() if name != "title"})
        return self.client.post("/open311/v2/requests.json", data=data)

    @staticmethod
    def refusal(response) -> dict:
        assert response.status_code == 400, response.get_data(as_text=True)
        return dict(problem["description"].split(": ", 1) for problem in response.json)


CHANNELS = {"api": Api, "desk": Desk, "citizen": Citizen, "open311": Open311}


@pytest.fixture
def channels(client, app):
    build_city()
    app.config.update(PUBLIC_SUBMIT_LIMIT_IP="1000/hour", PUBLIC_SUBMIT_LIMIT_PHONE="1000/hour")
    return lambda name: CHANNELS[name](app.test_client())


@pytest.mark.parametrize("field, too_much, just_enough, message", [
    ("description", "述" * 10001, "述" * 10000, "at most 10000 characters"),
    ("address", "址" * 201, "址" * 200, "at most 200 characters"),
    ("requester_name", "名" * 101, "名" * 100, "at most 100 characters"),
    ("requester_phone", "1381234567", "0418-1234567",
     "a mobile number has 11 digits starting with 13–19; a landline starts with its area code"),
])
@pytest.mark.parametrize("channel", CHANNELS)
def test_every_channel_refuses_the_same_bad_value_with_the_same_limit(channels, channel, field, too_much,
                                                                      just_enough, message):
    way_in = channels(channel)
    before = counts()
    refused = way_in.send(**{field: too_much})
    assert way_in.refusal(refused).get(way_in.names.get(field, field)) == message
    assert counts() == before  # nothing written
    accepted = way_in.send(**{field: just_enough})
    assert accepted.status_code in way_in.accepted, accepted.get_data(as_text=True)[:500]
    assert counts()["Case"] == before["Case"] + 1


@pytest.mark.parametrize("channel", CHANNELS)
def test_nul_characters_are_refused_on_every_channel(channels, channel):
    way_in = channels(channel)
    before = counts()
    refused = way_in.send(description="路灯\x00不亮", address="三组\x00")
    assert 400 <= refused.status_code < 500 and counts() == before


def test_open311_no_longer_lets_a_long_address_past_the_description_limit(channels):
    open311 = channels("open311")
    refused = open311.send(description="述" * 9999, address="址" * 10000)
    assert open311.refusal(refused) == {"address_string": "at most 200 characters"}
    assert counts()["Case"] == 0


@pytest.mark.parametrize("channel", ["citizen", "open311", "api"])
def test_the_address_is_stored_in_its_own_field_and_shown_to_staff(channels, client, channel):
    way_in = channels(channel)
    assert way_in.send(description="路灯坏了一周", address="兴隆村三组路口").status_code in way_in.accepted
    case = db.session.scalar(select(Case))
    assert (case.description, case.address) == ("路灯坏了一周", "兴隆村三组路口")
    page = signed_in(client, "supervisor").get(f"/cases/{case.number}").get_data(as_text=True)
    assert 'id="case-address">兴隆村三组路口<' in page


def test_the_service_reports_every_problem_by_field_and_writes_nothing(app):
    f.deploy("simple_complaint.bpmn")
    bad = NewCase(title=" ", description="d" * 10001, address="a" * 201, requester_name="n" * 101,
                  requester_phone="12345", id_number="110101199003070000", request_type="gossip",
                  unit_code="NO-UNIT", territory_code="NO-PLACE", category_code="NO-CATEGORY",
                  external_ref="r" * 121, channel="c\x00")
    found = problems(bad)
    assert set(found) == {"title", "description", "address", "requester_name", "requester_phone",
                          "id_number", "request_type", "unit_code", "territory_code", "category_code",
                          "external_ref", "channel"}
    before = counts()
    with pytest.raises(InvalidData) as refused:
        create_case(bad, None)
    assert refused.value.errors == found and counts() == before


def test_the_limits_come_from_the_case_columns(app):
    from app.cases.service import LIMITS

    columns = Case.__table__.c
    assert LIMITS["title"] == columns.title.type.length and LIMITS["address"] == columns.address.type.length
    assert LIMITS["requester_name"] == columns.requester_name.type.length
    assert LIMITS["external_ref"] == columns.external_ref.type.length
