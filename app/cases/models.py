"""The case row (what the citizen asked, where it stands) and its daily number counter."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.cases import searchable
from app.clock import utcnow
from app.extensions import db
from app.organisation.models import Unit
from app.search.words import WORDS


class Case(db.Model):
    __tablename__ = "case_record"
    __table_args__ = (UniqueConstraint("channel", "external_ref"),
                      # the text search's index (app/search/words.py), PostgreSQL only: written as
                      # an expression, which autogenerate does not look for on SQLite
                      Index("ix_case_record_search_words", text("search_words"),
                            postgresql_using="gin").ddl_if(dialect="postgresql"),
                      # a unit's cases newest first (app/cases/service.list_visible)
                      Index("ix_case_record_unit_newest", "unit_id", "id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    #: Where the problem is, as the requester says it (R5); kept apart from the description.
    address: Mapped[str | None] = mapped_column(String(200))
    #: Where the requester's phone was when they reported (browser geolocation, WGS 84), if they chose.
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    territory_id: Mapped[int | None] = mapped_column(ForeignKey("territory.id"), index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"))
    # The requester (诉求人). Phone is kept readable (callbacks, SMS, duplicate search) but shown
    # masked; the ID number is only stored encrypted, with a keyed hash for exact search.
    requester_name: Mapped[str | None] = mapped_column(String(100))
    requester_phone: Mapped[str | None] = mapped_column(String(20), index=True)
    id_number_cipher: Mapped[str | None] = mapped_column(String(200))
    id_number_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(40), default="api")
    #: The requester chose to publish the request (Open311's public reads; app/cases/publication.py).
    public: Mapped[bool] = mapped_column(default=False, server_default=false())
    external_ref: Mapped[str | None] = mapped_column(String(120))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # Where the process has taken it (R6, R10, R25, R34): written by the complaint process.
    request_type: Mapped[str | None] = mapped_column(String(20))
    level: Mapped[str | None] = mapped_column(String(20))
    outcome: Mapped[str | None] = mapped_column(String(20))
    resolved_level: Mapped[str | None] = mapped_column(String(20), index=True)
    resolved_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    satisfaction: Mapped[str | None] = mapped_column(String(30))
    resolution: Mapped[str | None] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(index=True)
    # What happened to it, for statistics (app/statistics/facts.py keeps these in step).
    dispatched_at: Mapped[datetime | None] = mapped_column(index=True)
    intake_answered: Mapped[bool] = mapped_column(default=False)
    #: The first unit's first contact came before its limit (R14); null until known.
    responded_on_time: Mapped[bool | None]
    #: A handling or review limit passed before the answer went out (及时率).
    late_reply: Mapped[bool] = mapped_column(default=False)
    returns: Mapped[int] = mapped_column(default=0)
    escalations: Mapped[int] = mapped_column(default=0)
    extensions: Mapped[int] = mapped_column(default=0)
    second_handled: Mapped[bool] = mapped_column(default=False)
    restarted_at: Mapped[datetime | None]
    #: The main case this duplicate was merged into (重复件, app/cases/merging.py): it closed with
    #: outcome "merged", its requester gets the main case's answer, and statistics count it once.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("case_record.id"), index=True)

    #: The words of the title, description and address that the text search finds it by
    #: (app/cases/searchable.py): computed on insert, written again when those texts change.
    search_words: Mapped[str] = mapped_column(WORDS, default=searchable.on_insert, server_default="")

    unit: Mapped[Unit | None] = relationship(lazy="joined", foreign_keys=[unit_id])


class CaseNumberCounter(db.Model):
    """Last number handed out per day; incremented under a row lock so numbers never repeat."""

    __tablename__ = "case_number_counter"
    day: Mapped[date] = mapped_column(primary_key=True)
    last_value: Mapped[int] = mapped_column(default=0)
