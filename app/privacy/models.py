"""The audit log of personal data revealed to staff."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import db


class PersonalDataAccess(db.Model):
    """Who saw which case's unmasked personal data, when, through which channel."""

    __tablename__ = "personal_data_access"
    __table_args__ = (Index("ix_personal_data_access_case", "case_id", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"))
    fields: Mapped[str] = mapped_column(String(100))
    via: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(default=utcnow)
