"""Issue and check channel API keys. A key is shown once, when it is issued."""
import hashlib
import re
import secrets

from sqlalchemy import select

from app.channels.models import ChannelKey
from app.engine.errors import InvalidData
from app.extensions import db
from app.organisation.models import Territory

_CHANNEL = re.compile(r"^[a-z][a-z0-9_-]{1,39}$")


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue(channel: str, name: str = "", territory_code: str | None = None,
          webhook_url: str | None = None) -> tuple[ChannelKey, str]:
    """A new key for `channel` (e.g. "wechat", "open311"); returns the row and the key itself.
    With `webhook_url`, the row also gets the secret its webhooks are signed with."""
    if not _CHANNEL.match(channel or ""):
        raise InvalidData("invalid channel", {"channel": ["2–40 lower-case letters, digits, - or _"]})
    if webhook_url and (not re.match(r"^https?://[^\s]+$", webhook_url) or len(webhook_url) > 500):
        raise InvalidData("invalid webhook URL",
                          {"webhook_url": ["an http(s) URL of at most 500 characters"]})
    territory_id = None
    if territory_code:
        territory_id = db.session.scalar(select(Territory.id).where(Territory.code == territory_code))
        if territory_id is None:
            raise InvalidData("unknown territory",
                              {"territory_code": [f"nothing has the code {territory_code}"]})
    key = f"hy_{channel}_{secrets.token_urlsafe(24)}"
    row = ChannelKey(channel=channel, name=name, key_hash=_digest(key), territory_id=territory_id,
                     webhook_url=webhook_url or None,
                     webhook_secret=secrets.token_hex(32) if webhook_url else None)
    db.session.add(row)
    db.session.flush()
    return row, key


def find(key: str | None) -> ChannelKey | None:
    """The active channel key matching `key`, or None."""
    if not key or len(key) > 200:
        return None
    return db.session.scalar(select(ChannelKey).where(ChannelKey.key_hash == _digest(key),
                                                      ChannelKey.active.is_(True)))
