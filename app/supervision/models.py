"""A directive written on a case by the platform or a leader (催办单, 督办单, 批示)."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import db

#: kind -> the roles that may write it
DIRECTIVE_KINDS = {
    "reminder_note": {"platform_supervisor", "leader", "dispatcher"},  # 催办单
    "supervision_order": {"platform_supervisor", "leader"},  # 督办单
    "instruction": {"leader"},  # 批示 (R30)
}


class CaseDirective(db.Model):
    __tablename__ = "case_directive"
    __table_args__ = (Index("ix_case_directive_case", "case_id", "id"),
                      Index("ix_case_directive_kind", "kind", "case_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"))
    kind: Mapped[str] = mapped_column(String(20))
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
