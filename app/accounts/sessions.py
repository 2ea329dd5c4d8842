"""Staff web sessions kept on the server, and the one "sign out everywhere" of a user.

A session is a `user_session` row; the browser's signed cookie carries only its random id (256
bits) and the row only the id's SHA-256. Every request finds the live session, its user and the
user's roles in one indexed query (`find`), so any web worker serves any request and nothing lives
in process memory. A session ends at `expires_at` (WEB_SESSION_HOURS after the sign-in, however
busy the user is), when the user is deactivated, or when it is revoked: by logging out (`end`) or
by `revoke_all`, which also deletes the user's API tokens. `revoke_all` is what a password change
or reset, a deactivation and "sign out everywhere" call, from the web pages and the API alike.
"""
import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import contains_eager
from sqlalchemy.orm.attributes import set_committed_value

from app.accounts.models import ApiToken, User, UserSession
from app.clock import utcnow
from app.extensions import db

log = logging.getLogger(__name__)

#: last_seen_at is written when it is older than this, not on every request.
TOUCH_INTERVAL = timedelta(minutes=5)
USER_AGENT_MAX, ADDRESS_MAX = 200, 64


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _printable(text: str | None, max_length: int) -> str:
    """What the client sent about itself, fit for a column (no control characters, cut to size)."""
    return "".join(ch for ch in (text or "") if ch.isprintable())[:max_length]


def start(user: User, hours: int, user_agent: str | None, address: str | None) -> tuple[str, UserSession]:
    """A new session of `user` and its id for the cookie (the only time the id exists in clear).
    Flushes; the caller commits."""
    session_id = secrets.token_urlsafe(32)
    now = utcnow()
    row = UserSession(id_hash=_digest(session_id), user_id=user.id, user=user, created_at=now,
                      last_seen_at=now, expires_at=now + timedelta(hours=hours),
                      user_agent=_printable(user_agent, USER_AGENT_MAX),
                      client_address=_printable(address, ADDRESS_MAX))
    db.session.add(row)
    db.session.flush()
    return session_id, row


def find(session_id: str) -> UserSession | None:
    """The live session with this id, with its (active) user and the user's memberships, in one
    query; its last_seen_at is brought up to date when older than TOUCH_INTERVAL."""
    now = utcnow()
    statement = (select(UserSession).join(UserSession.user)
                 .options(contains_eager(UserSession.user).joinedload(User.memberships))
                 .where(UserSession.id_hash == _digest(session_id), UserSession.revoked_at.is_(None),
                        UserSession.expires_at > now, User.active.is_(True)))
    row = db.session.scalars(statement).unique().one_or_none()
    if row is not None and now - row.last_seen_at >= TOUCH_INTERVAL:
        _touch(row, now)
    return row


def _touch(row: UserSession, now: datetime) -> None:
    """Best effort, in its own short transaction (the request's own work is not committed with
    it): a failure only leaves last_seen_at older, so it is logged, not raised."""
    try:
        with db.engine.begin() as connection:
            connection.execute(update(UserSession.__table__).where(UserSession.__table__.c.id == row.id)
                               .values(last_seen_at=now))
    except SQLAlchemyError:
        log.warning("could not record the last activity of session %s", row.id, exc_info=True)
        return
    set_committed_value(row, "last_seen_at", now)


def end(session_id: str) -> None:
    """Logging out: the session ends on the server, so a copy of its cookie stops working too.
    Flushes; the caller commits."""
    db.session.execute(update(UserSession).where(UserSession.id_hash == _digest(session_id),
                                                 UserSession.revoked_at.is_(None))
                       .values(revoked_at=utcnow()))


def active(user_id: int) -> list[UserSession]:
    """The user's live sessions, most recently used first (for the user's own list)."""
    return list(db.session.scalars(
        select(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None),
                                  UserSession.expires_at > utcnow())
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())))


def is_current(row: UserSession, session_id: str | None) -> bool:
    return session_id is not None and row.id_hash == _digest(session_id)


def revoke_all(user: User) -> dict[str, int]:
    """Sign the user out everywhere: every live web session ends and every API token is deleted.
    Returns how many of each. Flushes; the caller commits (in the same transaction as the change
    that called for it)."""
    now = utcnow()
    sessions = db.session.execute(
        update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None),
                                  UserSession.expires_at > now)
        .values(revoked_at=now).execution_options(synchronize_session=False)).rowcount
    tokens = db.session.execute(delete(ApiToken).where(ApiToken.user_id == user.id)
                                .execution_options(synchronize_session=False)).rowcount
    return {"sessions": sessions, "tokens": tokens}


def purge_expired() -> int:
    """Delete sessions and tokens past their end (a scheduler job); returns how many."""
    now = utcnow()
    with db.engine.begin() as connection:
        return (connection.execute(delete(UserSession.__table__)
                                   .where(UserSession.__table__.c.expires_at <= now)).rowcount
                + connection.execute(delete(ApiToken.__table__)
                                     .where(ApiToken.__table__.c.expires_at <= now)).rowcount)
