"""Records the complaint process writes besides the case row: replies, assessments, referrals."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import db

REPLY_STATUSES = ("draft", "sent_back", "released")
ASSESSMENT_RESULTS = ("completed", "not_completed")


class CaseReply(db.Model):
    """A unit's reply (R24): kept out of the process variables; reviewed, then released."""

    __tablename__ = "case_reply"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    level: Mapped[str | None] = mapped_column(String(20))
    policy_basis: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[str] = mapped_column(Text)
    responsible_person: Mapped[str | None] = mapped_column(String(50))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    review_note: Mapped[str | None] = mapped_column(String(500))
    #: The handler who wrote it (None: written at intake or by the system); reviews exclude them.
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    released_at: Mapped[datetime | None]


class UnitAssessment(db.Model):
    """履职评估 (R26): the platform's judgement of a unit after a failed second handling."""

    __tablename__ = "unit_assessment"
    __table_args__ = (Index("ix_unit_assessment_unit", "unit_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    result: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccountabilityReferral(db.Model):
    """移交问责 (R26): a unit whose last two assessments were both "not completed"."""

    __tablename__ = "accountability_referral"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"))
    assessment_id: Mapped[int] = mapped_column(ForeignKey("unit_assessment.id"), unique=True)
    previous_assessment_id: Mapped[int] = mapped_column(ForeignKey("unit_assessment.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
