"""Passwords (argon2) and bearer tokens (random, stored as SHA-256)."""
import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from app.accounts.models import ApiToken, Membership, User
from app.clock import utcnow
from app.engine.transaction import execute
from app.extensions import db

_hasher = PasswordHasher()
# Verified against when the user does not exist, so a wrong username costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None (a wrong password, an unknown user and a
    deactivated account read the same). Unthrottled: sign-ins over HTTP go through
    app/accounts/throttle.py, which counts the failures."""
    user = db.session.scalar(select(User).where(User.username == username))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        # e.g. the cheap hash of a generated one-time password from an import: now at full cost
        user.password_hash = _hasher.hash(password)
        db.session.commit()
    return user if user.active else None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, hours: int) -> tuple[str, ApiToken]:
    token = secrets.token_urlsafe(32)
    row = ApiToken(token_hash=_digest(token), user_id=user.id, expires_at=utcnow() + timedelta(hours=hours))
    db.session.add(row)
    db.session.commit()
    return token, row


_users, _tokens, _memberships = User.__table__, ApiToken.__table__, Membership.__table__
_USER_ATTRIBUTES = tuple((attribute.key, attribute.columns[0]) for attribute in User.__mapper__.column_attrs)
#: A live token's active user, one row per membership (one row of NULLs for a user without any).
_TOKEN_USER = (select(*(column.label(key) for key, column in _USER_ATTRIBUTES),
                      _memberships.c.id.label("membership_id"), _memberships.c.unit_id, _memberships.c.role)
               .select_from(_tokens.join(_users, _users.c.id == _tokens.c.user_id)
                            .outerjoin(_memberships, _memberships.c.user_id == _users.c.id))
               .where(_tokens.c.token_hash == bindparam("token_hash"),
                      _tokens.c.expires_at >= bindparam("now"), _users.c.active.is_(True)))


def user_for_token(token: str) -> User | None:
    """The active user of a live token, with the memberships every permission check reads, in one
    query. Every API request asks, so the rows become the session's objects directly: loading them
    through the ORM (joined eager loading) cost more than the rest of the API layer together."""
    rows = execute(_TOKEN_USER, {"token_hash": _digest(token), "now": utcnow()}).all()
    if not rows:
        return None
    first = rows[0]
    known = db.session.identity_map.get(identity_key(User, first.id))
    if known is not None:  # as an ORM query would, the session's own object
        return known
    user = User(**{key: getattr(first, key) for key, _ in _USER_ATTRIBUTES})
    memberships = [Membership(id=row.membership_id, user_id=first.id, unit_id=row.unit_id, role=row.role)
                   for row in rows if row.membership_id is not None]
    set_committed_value(user, "memberships", memberships)
    for membership in memberships:
        make_transient_to_detached(membership)
    make_transient_to_detached(user)
    db.session.add(user)  # persistent, as loaded; adds its memberships by cascade
    return user


def revoke_token(token: str) -> bool:
    """Delete the token (DELETE /api/v1/auth/token); False when it was not a valid one. Flushes."""
    return db.session.execute(delete(ApiToken).where(ApiToken.token_hash == _digest(token),
                                                     ApiToken.expires_at >= utcnow())).rowcount > 0
