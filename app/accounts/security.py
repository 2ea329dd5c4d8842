"""Passwords (argon2) and bearer tokens (random, stored as SHA-256)."""
import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import contains_eager

from app.accounts.models import ApiToken, User
from app.clock import utcnow
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


def user_for_token(token: str) -> User | None:
    """The active user of a live token, with the memberships every permission check reads, in one
    query (as app/accounts/sessions.find does for a web session)."""
    statement = (select(ApiToken).join(ApiToken.user)
                 .options(contains_eager(ApiToken.user).joinedload(User.memberships))
                 .where(ApiToken.token_hash == _digest(token), ApiToken.expires_at >= utcnow(),
                        User.active.is_(True)))
    row = db.session.scalars(statement).unique().one_or_none()
    return row.user if row is not None else None


def revoke_token(token: str) -> bool:
    """Delete the token (DELETE /api/v1/auth/token); False when it was not a valid one. Flushes."""
    return db.session.execute(delete(ApiToken).where(ApiToken.token_hash == _digest(token),
                                                     ApiToken.expires_at >= utcnow())).rowcount > 0
