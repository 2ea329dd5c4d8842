"""Outgoing webhooks (R4): the channel that delivered a case hears of its assignment, the released
reply and its closing, signed with the key's secret; a failing receiver is retried."""
import hashlib
import hmac
import json

import pytest
from sqlalchemy import select

from app.channels import keys
from app.engine.transaction import transaction
from app.extensions import db
from app.notifications.dispatcher import dispatch_due
from app.notifications.models import OutboxMessage
from tests.complaint_city import Desk, build_city


@pytest.fixture
def wechat(app, receiver):
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True  # the receiver listens on loopback
    city = build_city()
    with transaction():
        row, key = keys.issue("wechat", "WeChat service", webhook_url=receiver["url"])
    return {"key": key, "secret": row.webhook_secret, "city": city}


def test_R4_the_channel_hears_of_its_case_signed_with_its_secret(client, app, wechat, receiver):
    created = client.post("/api/v1/cases", headers={"X-Api-Key": wechat["key"]}, json={
        "title": "路灯不亮", "territory_code": "210921001001", "category_code": "lamp",
        "external_ref": "wx-1", "requester_phone": "13812345678"})
    desk = Desk(client, number=created.json["number"])
    desk.accept_and_dispatch("village", wechat["city"]["units"], "village")
    desk.village_answers()
    desk.rate("satisfied", "resolved")
    dispatch_due(app)
    events = []
    for _, headers, body in receiver["received"]:
        expected = "sha256=" + hmac.new(wechat["secret"].encode(), body, hashlib.sha256).hexdigest()
        assert headers["X-Huiyin-Signature"] == expected
        payload = json.loads(body)
        assert payload["case_number"] == desk.number and "13812345678" not in body.decode()
        events.append(payload["event"])
    assert events == ["assigned", "reply_released", "case_closed"]
    assert json.loads(receiver["received"][-1][2])["outcome"] == "satisfied"


def test_a_failing_receiver_is_retried_later(client, app, wechat, receiver):
    receiver["state"]["answer"] = (500, {})
    client.post("/api/v1/cases", headers={"X-Api-Key": wechat["key"]}, json={
        "title": "x", "territory_code": "210921001001", "external_ref": "wx-2"})
    number = db.session.scalar(select(db.text("number")).select_from(db.text("case_record")))
    Desk(client, number=number).accept_and_dispatch("village", wechat["city"]["units"], "village")
    dispatch_due(app)  # the in-app notifications go out; the webhook fails
    [message] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "webhook"))
    assert (message.status, message.attempts) == ("pending", 1) and "500" in message.last_error
