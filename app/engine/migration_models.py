"""The record of each instance migration: what the instance was before, so it can be reverted."""
from datetime import datetime

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import db


class InstanceMigration(db.Model):
    """One instance moved from one deployed version to another (app/engine/migration.py).

    `previous_state` is the serialized state before the move and `revision_after` the instance's
    revision right after it: a revert is allowed only while the instance still has that revision,
    i.e. nothing happened to the case since."""

    __tablename__ = "instance_migration"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"), index=True)
    from_definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    to_definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    previous_state: Mapped[str] = mapped_column(Text)
    revision_after: Mapped[int]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    reverted_at: Mapped[datetime | None]
    reverted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
