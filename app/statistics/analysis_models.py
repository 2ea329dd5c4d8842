"""What the analysis for leaders records (R31, R35): supervision orders made from hot spots, and
the weekly analysis of each county with the cases it listed."""
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import db


class HotspotOrder(db.Model):
    """督办单 made from a hot spot: a lead unit must settle its cases by `due_at` (a limit in
    working days the leader gave, on the working-day calendar)."""

    __tablename__ = "hotspot_order"
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the hot spot: its place, category, period and first case (its key, app/statistics/hotspots.py)
    hotspot: Mapped[str] = mapped_column(String(120))
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"))
    first_day: Mapped[date]
    last_day: Mapped[date]
    lead_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    working_days: Mapped[int]
    due_at: Mapped[datetime]
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HotspotOrderCase(db.Model):
    """A case under a hot spot's order; a case is under one such order at most, so the same
    hot spot cannot be ordered twice (two leaders at once: the second insert fails)."""

    __tablename__ = "hotspot_order_case"
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"), primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("hotspot_order.id"), index=True)


class WeeklyAnalysis(db.Model):
    """周分析 of one county for one week (its Monday): one row, so the analysis is delivered once
    however many schedulers run the job."""

    __tablename__ = "weekly_analysis"
    __table_args__ = (UniqueConstraint("territory_id", "week"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id"))
    week: Mapped[date]
    overdue: Mapped[int] = mapped_column(default=0)
    long_unsolved: Mapped[int] = mapped_column(default=0)
    group_cases: Mapped[int] = mapped_column(default=0)
    repeated: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WeeklyAnalysisCase(db.Model):
    """A case the weekly analysis listed, and why (overdue, long_unsolved, group, repeated)."""

    __tablename__ = "weekly_analysis_case"
    __table_args__ = (Index("ix_weekly_analysis_case_case", "case_id"),)
    analysis_id: Mapped[int] = mapped_column(ForeignKey("weekly_analysis.id"), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"), primary_key=True)
    reasons: Mapped[str] = mapped_column(String(80))
