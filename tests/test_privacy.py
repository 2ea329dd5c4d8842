"""Personal data (PIPL): phone and ID number masked everywhere; ID encrypted at rest and found by a
keyed hash; revealing is an explicit, audited action for the roles that need it."""
import logging

import pytest
from sqlalchemy import func, select, text

from app.cases.models import Case
from app.engine.models import HumanTask
from app.extensions import db
from app.privacy import crypto
from app.privacy.models import PersonalDataAccess
from tests import factories as f

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def with_check_character(first17: str) -> str:
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


ID_NUMBER = with_check_character("21090219800101123")
PHONE = "13812345678"


@pytest.fixture
def setting(app, client):
    f.deploy("simple_complaint.bpmn")
    city = f.territory("210900", "city")
    centre = f.unit("C210900", "city", territory=city, kind="centre")
    village = f.unit("V1", "village", territory=f.territory("210902001001", "village", city))
    f.user("registrar", (centre, "registrar"))
    f.user("leader", (centre, "leader"))
    f.user("handler", (village, "handler"))
    created = client.post("/api/v1/cases", headers=f.auth(client, "registrar"), json={
        "title": "欠薪", "unit_code": "V1", "territory_code": "210902001001",
        "requester_name": "张三", "requester_phone": PHONE, "id_number": ID_NUMBER})
    assert created.status_code == 201, created.json
    return created.json


def test_personal_data_is_masked_in_every_api_response(client, setting):
    expected = {"requester_name": "张三", "requester_phone": "138****5678",
                "id_number": ID_NUMBER[:4] + "**********" + ID_NUMBER[-4:]}
    assert setting["requester"] == expected  # the creation response, even to the registrar
    for user in ("registrar", "leader", "handler"):
        headers = f.auth(client, user)
        assert client.get(f"/api/v1/cases/{setting['number']}", headers=headers).json["requester"] == expected
        listed = client.get("/api/v1/cases", headers=headers).json
        assert [c["requester"] for c in listed] == [expected]
        assert PHONE not in client.get("/api/v1/cases", headers=headers).get_data(as_text=True)


def test_the_id_number_is_stored_encrypted_and_found_by_its_keyed_hash(setting):
    raw = db.session.execute(text("SELECT id_number_cipher, id_number_hash FROM case_record")).one()
    assert ID_NUMBER not in raw.id_number_cipher and crypto.decrypt(raw.id_number_cipher) == ID_NUMBER
    found = db.session.scalar(select(Case.number).where(Case.id_number_hash == crypto.search_hash(ID_NUMBER)))
    assert found == setting["number"]


def test_revealing_is_audited_and_limited_to_the_roles_that_need_it(client, setting):
    number = setting["number"]
    # the registrar may reveal; the reveal is written to the audit log
    revealed = client.post(f"/api/v1/cases/{number}/personal-data", headers=f.auth(client, "registrar"))
    assert revealed.status_code == 200
    assert (revealed.json["requester_phone"], revealed.json["id_number"]) == (PHONE, ID_NUMBER)
    audit = db.session.scalars(select(PersonalDataAccess)).all()
    assert [(a.user_id, a.fields, a.via) for a in audit] == [
        (f.user_id("registrar"), "requester_phone,id_number", "api")]
    # a leader has no such need: refused, nothing audited
    assert client.post(f"/api/v1/cases/{number}/personal-data",
                       headers=f.auth(client, "leader")).status_code == 403
    # a handler only once they hold the case's task
    handler = f.auth(client, "handler")
    assert client.post(f"/api/v1/cases/{number}/personal-data", headers=handler).status_code == 403
    task_id = db.session.scalar(select(HumanTask.id))
    assert client.post(f"/api/v1/tasks/{task_id}/claim", headers=handler).status_code == 200
    assert client.post(f"/api/v1/cases/{number}/personal-data", headers=handler).status_code == 200
    assert db.session.scalar(select(func.count()).select_from(PersonalDataAccess)) == 2


def test_personal_data_never_reaches_the_logs(client, app, caplog):
    caplog.set_level(logging.DEBUG)
    f.deploy("simple_complaint.bpmn")
    city = f.territory("210900", "city")
    f.user("registrar", (f.unit("C", "city", territory=city, kind="centre"), "registrar"))
    headers = f.auth(client, "registrar")
    created = client.post("/api/v1/cases", headers=headers, json={
        "title": "x", "requester_phone": PHONE, "id_number": ID_NUMBER})
    client.get(f"/api/v1/cases/{created.json['number']}", headers=headers)
    client.post(f"/api/v1/cases/{created.json['number']}/personal-data", headers=headers)
    client.post("/api/v1/cases", headers=headers, json={"title": "x", "id_number": ID_NUMBER[:-1] + "0"})
    logged = caplog.text
    assert "registered via api" in logged and "revealed the personal data" in logged
    assert PHONE not in logged and ID_NUMBER not in logged


@pytest.mark.parametrize("field, value, message", [
    ("requester_phone", "1381234567", "11 digits"),
    ("requester_phone", "23812345678", "11 digits"),
    ("id_number", ID_NUMBER[:-1] + ("0" if ID_NUMBER[-1] != "0" else "1"), "check character"),
    ("id_number", "210902198013011234", "birth date"),
    ("id_number", "21090219800101", "17 digits"),
])
def test_R5_phone_and_id_numbers_are_checked_with_clear_messages(client, setting, field, value, message):
    headers = f.auth(client, "registrar")
    before = db.session.scalar(select(func.count()).select_from(Case))
    refused = client.post("/api/v1/cases", headers=headers, json={"title": "x", field: value})
    assert refused.status_code == 422 and message in refused.json["errors"][field][0]
    assert db.session.scalar(select(func.count()).select_from(Case)) == before
