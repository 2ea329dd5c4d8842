"""Users, units and memberships (who sits where, in which role), API tokens and web sessions."""
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import db
from app.organisation.models import Unit

#: The roles the product ships with (rows of `role` with builtin true); administrators add more as
#: rows (app/accounts/roles.py), each with a scope that decides which cases it sees.
ROLES = (
    "registrar",
    "dispatcher",
    "handler",
    "unit_reviewer",
    "platform_supervisor",
    "leader",
    "administrator",
    "process_designer",
    "auditor",
)


class Role(db.Model):
    """A role a membership can hold and a BPMN task can name (candidateGroups). `scope` says what
    its holders see: "territory" (the cases of their unit's territory and below) or "unit" (the
    cases their unit holds or has a task of); see app/cases/access.py."""

    __tablename__ = "role"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    scope: Mapped[str] = mapped_column(String(10))
    builtin: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(db.Model):
    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    # Where notifications reach them (optional): e-mail and mobile for SMS.
    email: Mapped[str | None] = mapped_column(String(200))
    mobile: Mapped[str | None] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="user", lazy="selectin", cascade="all, delete-orphan"
    )

    def roles_in(self, unit_id: int | None) -> set[str]:
        return {m.role for m in self.memberships if unit_id is None or m.unit_id == unit_id}

    @property
    def roles(self) -> set[str]:
        return {m.role for m in self.memberships}

    @property
    def unit_ids(self) -> set[int]:
        return {m.unit_id for m in self.memberships}


class Membership(db.Model):
    """A user holds a role in a unit; several rows give several roles or units."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "unit_id", "role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    role: Mapped[str] = mapped_column(String(40))

    user: Mapped[User] = relationship(back_populates="memberships")
    unit: Mapped[Unit] = relationship(lazy="select")


class ApiToken(db.Model):
    """A bearer token; only its SHA-256 is stored, so a database leak does not leak tokens."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]

    user: Mapped[User] = relationship(lazy="joined")


class UserSession(db.Model):
    """A staff member's web sign-in (app/accounts/sessions.py). The browser's cookie holds a random
    id; only its SHA-256 is stored here, so a database leak does not leak sessions."""

    __tablename__ = "user_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Absolute end (WEB_SESSION_HOURS after the sign-in): activity does not extend it.
    expires_at: Mapped[datetime]
    # Written at most every few minutes (sessions.TOUCH_INTERVAL), for the user's own list.
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    client_address: Mapped[str] = mapped_column(String(64), default="")

    user: Mapped[User] = relationship()
