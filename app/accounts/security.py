"""Passwords (argon2) and bearer tokens (random, stored as SHA-256)."""
import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import select

from app.accounts.models import ApiToken, User
from app.clock import utcnow
from app.extensions import db

_hasher = PasswordHasher()
# Verified against when the user does not exist, so a wrong username costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def authenticate(username: str, password: str) -> User | None:
    """The user for these credentials, or None. After LOGIN_MAX_FAILURES wrong passwords in a row
    the account is locked for LOGIN_LOCK_MINUTES, and during the lock even the right password
    fails: guessing costs minutes per handful of tries. The answer never says which it was."""
    user = db.session.scalar(select(User).where(User.username == username))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        correct = True
    except (VerificationError, InvalidHashError):
        correct = False
    if user is None:
        return None
    now = utcnow()
    if user.locked_until is not None and user.locked_until > now:
        return None
    if not correct:
        user.failed_logins += 1
        if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
            user.locked_until = now + timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
            user.failed_logins = 0
        db.session.commit()
        return None
    changed = bool(user.failed_logins or user.locked_until)
    user.failed_logins, user.locked_until = 0, None
    if _hasher.check_needs_rehash(user.password_hash):
        # e.g. the cheap hash of a generated one-time password from an import: now at full cost
        user.password_hash = _hasher.hash(password)
        changed = True
    if changed:
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
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if row is None or row.expires_at < utcnow() or not row.user.active:
        return None
    return row.user
