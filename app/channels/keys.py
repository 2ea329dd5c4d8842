"""Issue, list, revoke and check channel API keys — one service for the command line
(`flask channels add-key`), the admin API and the admin pages.

A key is shown once, when it is issued; only its SHA-256 is stored. Revoking deactivates the row
(it stays, for the cases that name its channel and for the audit) and the key stops working at
once, since every request looks it up. Issuing and revoking are audited (app/audit) without the
key or the webhook's signing secret. A webhook URL must pass app/channels/destinations.py when the
key is issued; to move a webhook, issue a new key and revoke the old one.
"""
import hashlib
import re
import secrets

from sqlalchemy import select

from app.audit import service as audit
from app.channels import destinations
from app.channels.models import ChannelKey
from app.engine.errors import InvalidData, NotFound
from app.extensions import db
from app.organisation.models import Territory

_CHANNEL = re.compile(r"^[a-z][a-z0-9_-]{1,39}$")
NAME_MAX = 200
_ID_MAX = 2**63 - 1


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def snapshot(row: ChannelKey) -> dict:
    """What the audit and the listings show of a key: never the key or the signing secret."""
    return {"channel": row.channel, "name": row.name,
            "territory_code": row.territory.code if row.territory else None, "webhook_url": row.webhook_url,
            "active": row.active}


def issue(channel: str, name: str = "", territory_code: str | None = None,
          webhook_url: str | None = None, actor=None) -> tuple[ChannelKey, str]:
    """A new key for `channel` (e.g. "wechat", "open311"); returns the row and the key itself.
    With `webhook_url`, the row also gets the secret its webhooks are signed with. Every invalid
    field is named at once (InvalidData); `actor` None is the system (command line)."""
    errors: dict[str, list[str]] = {}
    if not isinstance(channel, str) or not _CHANNEL.match(channel):
        errors["channel"] = ["2–40 lower-case letters, digits, - or _, starting with a letter"]
    if not isinstance(name, str) or len(name) > NAME_MAX:
        errors["name"] = [f"at most {NAME_MAX} characters"]
    if webhook_url:
        try:
            destinations.check_url(webhook_url)
        except destinations.RefusedDestination as refused:
            errors["webhook_url"] = [str(refused)]
    territory = None
    if territory_code:
        territory = db.session.scalar(select(Territory).where(Territory.code == territory_code))
        if territory is None:
            errors["territory_code"] = [f"nothing has the code {territory_code}"]
    if errors:
        raise InvalidData("some fields are invalid: " + ", ".join(sorted(errors)), errors)
    key = f"hy_{channel}_{secrets.token_urlsafe(24)}"
    row = ChannelKey(channel=channel, name=name.strip(), key_hash=_digest(key), territory=territory,
                     webhook_url=webhook_url or None,
                     webhook_secret=secrets.token_hex(32) if webhook_url else None)
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "channel_key", row.id, "create", None, snapshot(row))
    return row, key


def list_keys(limit: int = 100, offset: int = 0) -> list[ChannelKey]:
    """Every key, active ones first, newest first."""
    return list(db.session.scalars(select(ChannelKey).order_by(ChannelKey.active.desc(), ChannelKey.id.desc())
                                   .limit(limit).offset(offset)))


def revoke(key_id: int, actor=None) -> ChannelKey:
    """Deactivate a key (NotFound if there is none); revoking a revoked key changes nothing."""
    row = db.session.get(ChannelKey, key_id) if 0 < key_id <= _ID_MAX else None
    if row is None:
        raise NotFound(f"no channel key {key_id}")
    old = snapshot(row)
    row.active = False
    db.session.flush()
    audit.record(actor, "channel_key", row.id, "update", old, snapshot(row))
    return row


def find(key: str | None) -> ChannelKey | None:
    """The active channel key matching `key`, or None."""
    if not key or len(key) > 200:
        return None
    return db.session.scalar(select(ChannelKey).where(ChannelKey.key_hash == _digest(key),
                                                      ChannelKey.active.is_(True)))
