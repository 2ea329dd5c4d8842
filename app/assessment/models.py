"""Assessment schemes and their versions, frozen rankings, and appeals of ratings."""
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import db

APPEAL_STATUSES = ("open", "accepted", "rejected")


class AssessmentScheme(db.Model):
    """One version of an assessment scheme (考核方案): the weights of a unit's rates and the points
    taken off per item of some counts. Editing a scheme adds its next version; versions are never
    changed, so a frozen ranking can name the one it used. At most one version is active (the
    partial unique index); once any exists, exactly one is (app/assessment/schemes.py)."""

    __tablename__ = "assessment_scheme"
    __table_args__ = (UniqueConstraint("code", "version"),
                      Index("uq_assessment_scheme_active", "active", unique=True,
                            sqlite_where=text("active"), postgresql_where=text("active")))
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(100))
    #: rate name (figures.UNIT_RATES) -> weight
    weights: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: count name (schemes.DEDUCTIONS) -> points per item
    deductions: Mapped[dict[str, Any]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class AssessmentSnapshot(db.Model):
    """The ranking of one assessment period, frozen when it ended (or by an administrator): later
    corrections — a late rating, an accepted appeal — no longer move it. A period is frozen once
    (the unique constraint decides between schedulers that race)."""

    __tablename__ = "assessment_snapshot"
    __table_args__ = (UniqueConstraint("period_first", "period_last"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    period_first: Mapped[date]
    period_last: Mapped[date]
    #: The scheme version used (none: the built-in default); `scheme` keeps what it said.
    scheme_id: Mapped[int | None] = mapped_column(ForeignKey("assessment_scheme.id"))
    scheme: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: The statistics settings the rates were computed with (基本满意/基本解决 weights).
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    frozen_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: None: the scheduler froze it when the period ended.
    frozen_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class AssessmentSnapshotRow(db.Model):
    """One unit's line of a frozen ranking: its rank, score, and every count and rate."""

    __tablename__ = "assessment_snapshot_row"
    __table_args__ = (UniqueConstraint("snapshot_id", "unit_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("assessment_snapshot.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    unit_code: Mapped[str] = mapped_column(String(64))
    unit_name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str | None] = mapped_column(String(20))
    rank: Mapped[int]
    score: Mapped[float | None]
    #: the unit's row of the ranking as it was: received, closed, the counts and the rates
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)


class RatingAppeal(db.Model):
    """申诉: a unit's staff ask the platform to take one rating of their unit's answer out of the
    unit's rates, with a reason; a platform supervisor accepts or rejects it (workflows/appeal.bpmn).
    One open appeal per rating (the partial unique index)."""

    __tablename__ = "rating_appeal"
    __table_args__ = (Index("uq_rating_appeal_open", "rating_id", unique=True,
                            sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
                      Index("ix_rating_appeal_unit", "unit_id", "id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    rating_id: Mapped[int] = mapped_column(ForeignKey("case_rating.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open")
    filed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    filed_at: Mapped[datetime] = mapped_column(default=utcnow)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(Text)
