"""Outgoing webhooks (R4): a channel that delivered a case hears of its status changes and of the
released reply. Messages go through the outbox (same transaction as the change; sent, retried with
back-off by the dispatcher). Each POST carries `X-Huiyin-Event` and `X-Huiyin-Signature:
sha256=<hex HMAC-SHA256 of the body with the key's webhook secret>`.

Payloads hold the case number, status, level, outcome and the released reply's text — no
requester data; the text goes through the one masking function (app/privacy/redaction.py)."""
import hashlib
import hmac
import json
from collections.abc import Mapping

from sqlalchemy import and_, bindparam, select

from app.cases.models import Case
from app.channels import destinations
from app.channels.models import ChannelKey
from app.engine.transaction import execute
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.privacy.redaction import redact

TIMEOUT_SECONDS = 10

_cases, _keys = Case.__table__, ChannelKey.__table__
#: The case and the webhooks of its channel in one query (a row per hook; one with no hook).
_CASE_AND_HOOKS = (
    select(_cases.c.number, _cases.c.channel, _cases.c.status, _cases.c.level, _cases.c.outcome,
           _cases.c.requester_name, _keys.c.id.label("key_id"), _keys.c.webhook_url)
    .select_from(_cases.outerjoin(_keys, and_(_keys.c.channel == _cases.c.channel, _keys.c.active.is_(True),
                                              _keys.c.webhook_url.is_not(None))))
    .where(_cases.c.id == bindparam("case_id")).order_by(_keys.c.id))


def enqueue_for_case(case_id: int, event: str, **extra) -> int:
    """Queue `event` for every webhook of the case's channel; returns how many were queued. Texts
    in `extra` (the reply) are masked."""
    rows = execute(_CASE_AND_HOOKS, {"case_id": case_id}).all()
    if not rows:
        return 0
    case = rows[0]
    hooks = [(row.key_id, row.webhook_url) for row in rows if row.key_id is not None]
    masked = {name: redact(value, (case.requester_name,)) if isinstance(value, str) else value
              for name, value in extra.items()}
    body = json.dumps({"event": event, "case_number": case.number, "status": case.status,
                       "level": case.level, "outcome": case.outcome, **masked}, ensure_ascii=False)
    for key_id, url in hooks:
        # for webhook messages the subject names the channel key whose secret signs them
        db.session.add(OutboxMessage(channel="webhook", address=url, subject=f"channel_key:{key_id}",
                                     case_id=case_id, kind=event, body=body))
    return len(hooks)


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookSender:
    """POST the message body as JSON to its address, only if the address may receive webhooks
    (app/channels/destinations.py); anything but a 2xx answer, redirects included, raises (retry)."""

    def __init__(self, config: Mapping | None = None):
        pass

    def send(self, message: OutboxMessage) -> None:
        key_id = int(message.subject.removeprefix("channel_key:"))
        secret = db.session.scalar(select(ChannelKey.webhook_secret).where(ChannelKey.id == key_id))
        if not secret or not message.address:
            raise ValueError(f"webhook message {message.id} has no channel key secret or URL")
        body = message.body.encode()
        destinations.post(message.address, body, timeout=TIMEOUT_SECONDS, headers={
            "Content-Type": "application/json; charset=utf-8", "X-Huiyin-Event": message.kind,
            "X-Huiyin-Signature": signature(secret, body)})
