"""Calendar overrides, the time-limit table and administrator settings (their changes are audited in
app/audit)."""
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import db

REQUEST_TYPES = ("consultation", "help", "complaint", "report", "suggestion")  # 咨询 求助 投诉 举报 建议
COMPLEXITIES = ("simple", "complex", "especially_complex")
#: The phases the product ships with (rows of `phase` with builtin true; always valid, even before
#: the table is seeded). Administrators add more as rows: see limits.phase_codes().
PHASES = ("dispatch", "sign_for", "first_contact", "handling", "unit_review", "platform_review",
          "rating_window", "extension_max", "appeal_review")
LEVELS = ("village", "township", "county", "city", "department")
LIMIT_UNITS = ("working_days", "calendar_days", "working_hours", "hours", "minutes")


class Phase(db.Model):
    """A step of handling with its own time limit (`deadline('<code>')` in a BPMN timer). Built-in
    phases come with the product; an administrator adds others, so a designer can give a new step
    its own limit without a programmer."""

    __tablename__ = "phase"
    code: Mapped[str] = mapped_column(String(30), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    builtin: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CalendarOverride(db.Model):
    """An administrator's word on one date: a holiday or a (make-up) working day; wins over the library."""

    __tablename__ = "calendar_override"
    day: Mapped[date] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # "holiday" or "workday"
    note: Mapped[str] = mapped_column(String(200), default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class TimeLimit(db.Model):
    """One row of the limit table. A null dimension means "any"; the most specific row wins."""

    __tablename__ = "time_limit"
    __table_args__ = (UniqueConstraint("phase", "request_type", "klass", "complexity", "level"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    phase: Mapped[str] = mapped_column(String(30), index=True)
    request_type: Mapped[str | None] = mapped_column(String(20))
    klass: Mapped[str | None] = mapped_column(String(20))
    complexity: Mapped[str | None] = mapped_column(String(20))
    level: Mapped[str | None] = mapped_column(String(20))
    amount: Mapped[float]
    unit: Mapped[str] = mapped_column(String(20))
    #: When the deadline passes: also escalate to the next level automatically (per phase/row).
    auto_escalate: Mapped[bool] = mapped_column(default=False)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Setting(db.Model):
    """Administrator settings that are not per-row limits (working hours, yellow-light share, ...)."""

    __tablename__ = "setting"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SupervisionItem(db.Model):
    """An overdue item on a unit's supervision list (待督办), until the task is done."""

    __tablename__ = "supervision_item"
    __table_args__ = (Index("ix_supervision_open_unit", "resolved_at", "unit_id"),
                      UniqueConstraint("task_id", "unit_id", "kind"))
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    kind: Mapped[str] = mapped_column(String(20), default="overdue")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
