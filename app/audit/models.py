"""One audit row per administrator change (organisation, users, limits, calendar, channel keys)."""
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.clock import utcnow
from app.extensions import db


class AdminChange(db.Model):
    """`old` and `new` are snapshots of the record's administered fields (None: it did not exist /
    no longer exists); never a password hash, API key or signing secret."""

    __tablename__ = "admin_change"
    __table_args__ = (Index("ix_admin_change_entity_at", "entity", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    #: Who made the change; None for the system (command line, demo data).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    user: Mapped[User | None] = relationship(lazy="joined", viewonly=True)
    entity: Mapped[str] = mapped_column(String(40))
    entity_key: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(10))  # create, update or delete
    old: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    new: Mapped[dict[str, Any] | None] = mapped_column(JSON)
