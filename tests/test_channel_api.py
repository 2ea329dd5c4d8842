"""The channel API (R4): other systems register cases with a per-channel API key; the channel is
recorded and a retried delivery with the same external reference creates one case."""
import pytest
from sqlalchemy import func, select

from app.cases.models import Case
from app.channels import keys
from app.engine.transaction import transaction
from app.extensions import db
from tests.complaint_city import build_city


@pytest.fixture
def wechat(app):
    build_city()
    with transaction():
        _, key = keys.issue("wechat", "WeChat service account")
    return {"X-Api-Key": key}


def test_R4_a_retried_channel_delivery_with_the_same_external_ref_creates_one_case(client, wechat):
    body = {"title": "噪声扰民", "territory_code": "210921001001", "category_code": "lamp",
            "external_ref": "wx-msg-20261122-0001", "requester_phone": "13812345678"}
    first = client.post("/api/v1/cases", json=body, headers=wechat)
    again = client.post("/api/v1/cases", json=body, headers=wechat)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json["number"] == again.json["number"] and first.json["channel"] == "wechat"
    assert db.session.scalar(select(func.count()).select_from(Case)) == 1


def test_a_wrong_key_is_refused_and_creates_nothing(client, wechat):
    refused = client.post("/api/v1/cases", json={"title": "x"}, headers={"X-Api-Key": "hy_wechat_nope"})
    assert refused.status_code == 401
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0


def test_a_channel_reads_the_status_of_its_own_cases_only(client, wechat):
    body = {"title": "噪声扰民", "territory_code": "210921001001", "external_ref": "wx-7",
            "requester_phone": "13812345678"}
    number = client.post("/api/v1/cases", json=body, headers=wechat).json["number"]
    status = client.get(f"/api/v1/cases/{number}/status", headers=wechat)
    assert status.status_code == 200
    assert (status.json["status"], status.json["channel"], status.json["external_ref"]) == (
        "open", "wechat", "wx-7")
    assert "13812345678" not in status.get_data(as_text=True)
    with transaction():
        _, other = keys.issue("sms", "SMS gateway")
    assert client.get(f"/api/v1/cases/{number}/status", headers={"X-Api-Key": other}).status_code == 404
    # the full case, with its timeline, is for staff only
    assert client.get(f"/api/v1/cases/{number}", headers=wechat).status_code == 401
