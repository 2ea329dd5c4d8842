"""What happened to a case, kept for counting: each hand-over to a unit and each rating.

The case row itself carries the case-level facts (dispatched_at, returns, escalations, ...;
app/cases/models.py); these tables carry what belongs to a unit: a unit's figures (亮晒比) count
its own assignments and the ratings of its own answers, not whoever holds the case last."""
from datetime import datetime

from sqlalchemy import Column, Date, ForeignKey, Index, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db

#: How a unit came to hold a case.
VIA = ("dispatch", "escalation", "second_handling")


class CaseAssignment(db.Model):
    """A unit held the case from `assigned_at` to `ended_at`: dispatched to it, escalated to it,
    or handed back to it for second handling. Written by the casework services as it happens."""

    __tablename__ = "case_assignment"
    __table_args__ = (Index("ix_case_assignment_unit_assigned", "unit_id", "assigned_at"),
                      Index("ix_case_assignment_case", "case_id", "id"),
                      Index("ix_case_assignment_assigned", "assigned_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    level: Mapped[str | None] = mapped_column(String(20))
    via: Mapped[str] = mapped_column(String(20), default="dispatch")
    assigned_at: Mapped[datetime]
    #: The first contact (R14): when, and whether before its limit passed.
    responded_at: Mapped[datetime | None]
    responded_on_time: Mapped[bool | None]
    #: The first-contact or signing-for limit passed while the unit held the case.
    late_response: Mapped[bool] = mapped_column(default=False)
    #: 退单 (R15), and whether the dispatcher overruled it (the return was not justified).
    returned_at: Mapped[datetime | None]
    return_overruled: Mapped[bool] = mapped_column(default=False)
    escalated_at: Mapped[datetime | None]
    #: The unit's reply was released, and whether a handling or review limit passed first.
    replied_at: Mapped[datetime | None]
    late_reply: Mapped[bool] = mapped_column(default=False)
    ended_at: Mapped[datetime | None]


class CaseRating(db.Model):
    """One rating of a released answer (R25, R28): by the requester or at a revisit. The unit is
    the one whose answer was rated (none for an answer at intake)."""

    __tablename__ = "case_rating"
    __table_args__ = (Index("ix_case_rating_rated", "rated_at"),
                      Index("ix_case_rating_unit_rated", "unit_id", "rated_at"),
                      Index("ix_case_rating_case", "case_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    level: Mapped[str | None] = mapped_column(String(20))
    #: 1, or 2 for the rating after second handling (R26).
    round: Mapped[int] = mapped_column(default=1)
    satisfaction: Mapped[str] = mapped_column(String(30))
    resolution: Mapped[str] = mapped_column(String(30))
    rated_at: Mapped[datetime]
    #: An accepted appeal (申诉) takes the rating out of the unit's rates.
    excluded: Mapped[bool] = mapped_column(default=False)


#: The counts the rollup keeps (app/statistics/rollup.py): every dated count of cases, assignments
#: and ratings in app/statistics/figures.py (a test holds the two lists together; a new count
#: needs its column here and in a migration).
ROLLUP_COUNTS = ("received", "accepted", "not_accepted", "answered_at_intake", "extended", "dispatched",
                 "responded_on_time", "closed", "closed_on_time", "restarted", "assignments",
                 "unit_responded_on_time", "returned", "returns_upheld", "returns_overruled", "escalated",
                 "second_handled", "replied", "replied_on_time", "late_replies", "rated", "satisfied",
                 "basically_satisfied", "resolved", "basically_resolved")

#: The rollup: the dated counts summed per local day, territory (0: none) and one key of a face
#: ('': none; a category, channel, request type, level, unit or resolved level). Kept on
#: PostgreSQL by triggers generated from the figures' definitions; empty on SQLite.
rollup = Table(
    "statistics_rollup", db.metadata,
    Column("face", String(20), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("territory_id", Integer, primary_key=True),
    Column("key", String(40), primary_key=True),
    *(Column(name, Integer, nullable=False, server_default="0") for name in ROLLUP_COUNTS),
    # a district's days (the primary key serves the whole city's)
    Index("ix_statistics_rollup_territory", "face", "territory_id", "day"),
)
