"""A channel's API key; only its SHA-256 is stored."""
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import db
from app.organisation.models import Territory


class ChannelKey(db.Model):
    __tablename__ = "channel_key"
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(40), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: Where its requests belong when they do not say (e.g. a county's WeChat account).
    territory_id: Mapped[int | None] = mapped_column(ForeignKey("territory.id"))
    territory: Mapped[Territory | None] = relationship(lazy="joined")
    active: Mapped[bool] = mapped_column(default=True)
    #: Outgoing webhook (status changes, released replies), signed with HMAC-SHA256 of the secret.
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    webhook_secret: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
